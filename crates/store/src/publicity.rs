//! 法治宣传: campaigns with targets per setting, the events held, and the incident and dispute counts
//! the campaign page compares. A campaign is seen by whoever holds one of the grids under its area.

use crate::db::{Db, Tx};
use crate::{Result, Value, args, scope};
use pingan_domain::Scope;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CampaignRow {
    pub id: String,
    pub name: String,
    pub theme: String,
    pub area_path: String,
    pub starts_on: String,
    pub ends_on: String,
    pub created_at: i64,
    pub events: i64,
    pub attendance: i64,
}

const SELECT: &str = "SELECT c.id, c.name, c.theme, c.area_path, c.starts_on, c.ends_on, c.created_at, \
    (SELECT COUNT(*) FROM publicity_events e WHERE e.campaign_id = c.id) AS events, \
    (SELECT CAST(COALESCE(SUM(e.attendance), 0) AS BIGINT) FROM publicity_events e WHERE e.campaign_id = c.id) AS attendance \
    FROM publicity_campaigns c";

/// A campaign is in reach when one of the grids under its area is in the scope (as a screening
/// campaign is).
fn overlapping(s: &Scope) -> (String, Vec<Value>) {
    let (pred, a) = scope::predicate(s, Some("g.area_path"), None);
    (
        format!(
            "EXISTS (SELECT 1 FROM grids g WHERE g.area_path LIKE c.area_path || '%' AND {pred})"
        ),
        a,
    )
}

pub fn create(tx: &mut Tx, c: &CampaignRow, created_by: &str, targets: &[(String, i64)]) {
    tx.queue(
        "INSERT INTO publicity_campaigns (id, name, theme, area_path, starts_on, ends_on, created_by, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        args![
            c.id.as_str(),
            c.name.as_str(),
            c.theme.as_str(),
            c.area_path.as_str(),
            c.starts_on.as_str(),
            c.ends_on.as_str(),
            created_by,
            c.created_at
        ],
    );
    for (setting, n) in targets {
        tx.queue(
            "INSERT INTO publicity_targets (campaign_id, setting, events) VALUES (?, ?, ?)",
            args![c.id.as_str(), setting.as_str(), *n],
        );
    }
}

pub async fn list(db: &Db, s: &Scope) -> Result<Vec<CampaignRow>> {
    let (pred, a) = overlapping(s);
    db.fetch_all(
        &format!("{SELECT} WHERE {pred} ORDER BY c.starts_on DESC, c.created_at DESC LIMIT 200"),
        a,
    )
    .await
}

pub async fn get(db: &Db, s: &Scope, id: &str) -> Result<Option<CampaignRow>> {
    let (pred, a) = overlapping(s);
    let mut all = args![id];
    all.extend(a);
    db.fetch_optional(&format!("{SELECT} WHERE c.id = ? AND {pred}"), all)
        .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TargetRow {
    pub setting: String,
    pub target: i64,
    pub held: i64,
    pub attendance: i64,
}

pub async fn targets(db: &Db, campaign_id: &str) -> Result<Vec<TargetRow>> {
    db.fetch_all(
        "SELECT t.setting, t.events AS target, \
         (SELECT COUNT(*) FROM publicity_events e WHERE e.campaign_id = t.campaign_id AND e.setting = t.setting) AS held, \
         (SELECT CAST(COALESCE(SUM(e.attendance), 0) AS BIGINT) FROM publicity_events e WHERE e.campaign_id = t.campaign_id AND e.setting = t.setting) AS attendance \
         FROM publicity_targets t WHERE t.campaign_id = ? ORDER BY t.setting",
        args![campaign_id],
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub id: String,
    pub setting: String,
    pub held_at: i64,
    pub place: String,
    pub grid_code: String,
    pub grid_name: String,
    pub attendance: i64,
    pub materials: String,
    pub note: String,
    pub recorder_name: String,
}

#[derive(Debug, Clone)]
pub struct NewEvent {
    pub id: String,
    pub campaign_id: String,
    pub setting: String,
    pub held_at: i64,
    pub place: String,
    pub grid_code: String,
    pub area_path: String,
    pub attendance: i64,
    pub materials: String,
    pub note: String,
    pub recorded_by: String,
    pub created_at: i64,
}

pub fn add_event(tx: &mut Tx, e: &NewEvent) {
    tx.queue(
        "INSERT INTO publicity_events (id, campaign_id, setting, held_at, place, grid_code, area_path, \
         attendance, materials, note, recorded_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        args![
            e.id.as_str(),
            e.campaign_id.as_str(),
            e.setting.as_str(),
            e.held_at,
            e.place.as_str(),
            e.grid_code.as_str(),
            e.area_path.as_str(),
            e.attendance,
            e.materials.as_str(),
            e.note.as_str(),
            e.recorded_by.as_str(),
            e.created_at
        ],
    );
}

/// The campaign's events (all of them: a campaign's page shows what it did).
pub async fn events(db: &Db, campaign_id: &str) -> Result<Vec<EventRow>> {
    db.fetch_all(
        "SELECT e.id, e.setting, e.held_at, e.place, e.grid_code, g.name AS grid_name, e.attendance, \
         e.materials, e.note, u.display_name AS recorder_name FROM publicity_events e \
         JOIN grids g ON g.code = e.grid_code JOIN users u ON u.id = e.recorded_by \
         WHERE e.campaign_id = ? ORDER BY e.held_at DESC, e.id LIMIT 1000",
        args![campaign_id],
    )
    .await
}

/// Each grid under the campaign's area and when the campaign's first event there was held.
pub async fn grid_firsts(
    db: &Db,
    campaign_id: &str,
    area_path: &str,
) -> Result<Vec<(String, Option<i64>)>> {
    db.fetch_all(
        "SELECT g.code, (SELECT MIN(e.held_at) FROM publicity_events e WHERE e.campaign_id = ? AND e.grid_code = g.code) \
         FROM grids g WHERE g.area_path LIKE ? ORDER BY g.code",
        args![campaign_id, format!("{area_path}%")],
    )
    .await
}

/// Incidents received and disputes registered in `grids` within [from, to).
pub async fn counts(db: &Db, grids: &[String], from: i64, to: i64) -> Result<(i64, i64)> {
    if grids.is_empty() {
        return Ok((0, 0));
    }
    let marks = vec!["?"; grids.len()].join(", ");
    let mut a: Vec<Value> = grids.iter().map(|g| Value::from(g.as_str())).collect();
    a.push(Value::from(from));
    a.push(Value::from(to));
    let (i,): (i64,) = db
        .fetch_one(
            &format!("SELECT COUNT(*) FROM incidents WHERE grid_code IN ({marks}) AND received_at >= ? AND received_at < ?"),
            a.clone(),
        )
        .await?;
    let (d,): (i64,) = db
        .fetch_one(
            &format!("SELECT COUNT(*) FROM disputes WHERE grid_code IN ({marks}) AND registered_at >= ? AND registered_at < ?"),
            a,
        )
        .await?;
    Ok((i, d))
}
