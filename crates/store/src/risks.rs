//! 风险联排: the risk register, each risk's timeline, and screening campaigns (a checklist per
//! campaign, answered per grid). Risks and campaign grids are scoped by their grid's area path.

use crate::db::{Db, Tx};
use crate::{Result, StoreError, Value, args, scope};
use pingan_domain::Scope;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RiskRow {
    pub id: String,
    pub title: String,
    pub category: String,
    pub level: String,
    pub status: String,
    pub source: String,
    pub detail: String,
    pub place_id: Option<String>,
    pub place_name: Option<String>,
    pub grid_code: String,
    pub grid_name: String,
    pub area_path: String,
    pub lng: Option<f64>,
    pub lat: Option<f64>,
    pub campaign_id: Option<String>,
    pub visit_id: Option<String>,
    pub task_id: Option<String>,
    /// The order's status, card and deadline day, when there is one.
    pub task_status: Option<String>,
    pub task_card: Option<String>,
    pub task_due_on: Option<String>,
    pub found_by: String,
    pub finder_name: String,
    pub found_at: i64,
    pub closed_at: Option<i64>,
    pub updated_at: i64,
}

const SELECT: &str = "SELECT r.id, r.title, r.category, r.level, r.status, r.source, r.detail, \
    r.place_id, p.name AS place_name, r.grid_code, g.name AS grid_name, r.area_path, r.lng, r.lat, \
    r.campaign_id, r.visit_id, r.task_id, t.status AS task_status, t.card AS task_card, \
    t.due_on AS task_due_on, r.found_by, u.display_name AS finder_name, r.found_at, r.closed_at, \
    r.updated_at FROM risks r JOIN grids g ON g.code = r.grid_code JOIN users u ON u.id = r.found_by \
    LEFT JOIN places p ON p.id = r.place_id LEFT JOIN tasks t ON t.id = r.task_id";

/// A new risk, as written.
#[derive(Debug, Clone)]
pub struct NewRisk {
    pub id: String,
    pub title: String,
    pub category: String,
    pub level: String,
    pub source: String,
    pub detail: String,
    pub place_id: Option<String>,
    pub grid_code: String,
    pub area_path: String,
    pub lng: Option<f64>,
    pub lat: Option<f64>,
    pub campaign_id: Option<String>,
    pub visit_id: Option<String>,
    pub found_by: String,
    pub found_at: i64,
}

pub fn insert(tx: &mut Tx, r: &NewRisk) {
    tx.queue(
        "INSERT INTO risks (id, title, category, level, status, source, detail, place_id, grid_code, \
         area_path, lng, lat, campaign_id, visit_id, task_id, found_by, found_at, closed_at, \
         created_at, updated_at) VALUES (?, ?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, \
         NULL, ?, ?)",
        args![
            r.id.as_str(),
            r.title.as_str(),
            r.category.as_str(),
            r.level.as_str(),
            r.source.as_str(),
            r.detail.as_str(),
            r.place_id.clone(),
            r.grid_code.as_str(),
            r.area_path.as_str(),
            r.lng,
            r.lat,
            r.campaign_id.clone(),
            r.visit_id.clone(),
            r.found_by.as_str(),
            r.found_at,
            r.found_at,
            r.found_at
        ],
    );
    tx.emit(pingan_domain::sharing::Event {
        event_type: pingan_domain::sharing::EventType::RiskRegistered,
        aggregate_id: r.id.clone(),
        area_path: r.area_path.clone(),
        occurred_at: r.found_at,
        data: pingan_domain::sharing::object(serde_json::json!({
            "title": r.title,
            "category": r.category,
            "level": r.level,
            "status": "open",
            "source": r.source,
            "grid_code": r.grid_code,
            "area_path": r.area_path,
            "lng": r.lng,
            "lat": r.lat,
            "found_at": pingan_domain::sharing::rfc3339(r.found_at),
        })),
    });
}

/// Which risks a list shows.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub status: Option<String>,
    pub category: Option<String>,
    pub level: Option<String>,
    pub grid: Option<String>,
    pub campaign: Option<String>,
    /// Only those whose rectification order is carded.
    pub carded: bool,
}

pub async fn list(db: &Db, s: &Scope, f: &Filter, limit: i64) -> Result<Vec<RiskRow>> {
    let (pred, mut a) = scope::predicate(s, Some("r.area_path"), None);
    let mut sql = format!("{SELECT} WHERE {pred}");
    for (col, v) in [
        ("r.status", &f.status),
        ("r.category", &f.category),
        ("r.level", &f.level),
        ("r.grid_code", &f.grid),
        ("r.campaign_id", &f.campaign),
    ] {
        if let Some(v) = v {
            sql.push_str(&format!(" AND {col} = ?"));
            a.push(Value::from(v.as_str()));
        }
    }
    if f.carded {
        sql.push_str(" AND r.status = 'rectifying' AND t.card IN ('yellow', 'red')");
    }
    sql.push_str(
        " ORDER BY CASE r.status WHEN 'closed' THEN 1 ELSE 0 END, \
         CASE r.level WHEN 'major' THEN 0 WHEN 'high' THEN 1 WHEN 'general' THEN 2 ELSE 3 END, \
         r.found_at DESC, r.id LIMIT ?",
    );
    a.push(Value::from(limit));
    db.fetch_all(&sql, a).await
}

pub async fn get(db: &Db, s: &Scope, id: &str) -> Result<Option<RiskRow>> {
    let (pred, a) = scope::predicate(s, Some("r.area_path"), None);
    let mut all = args![id];
    all.extend(a);
    db.fetch_optional(&format!("{SELECT} WHERE r.id = ? AND {pred}"), all)
        .await
}

pub async fn get_tx(tx: &mut Tx, s: &Scope, id: &str) -> Result<Option<RiskRow>> {
    let (pred, a) = scope::predicate(s, Some("r.area_path"), None);
    let mut all = args![id];
    all.extend(a);
    tx.fetch_optional(&format!("{SELECT} WHERE r.id = ? AND {pred}"), all)
        .await
}

/// Writes a risk's new status and order, if it has not changed since it was read (`row`); tells
/// partners (`risk.status_changed`).
pub async fn update(
    tx: &mut Tx,
    row: &RiskRow,
    status: &str,
    task_id: Option<&str>,
    closed_at: Option<i64>,
    now: i64,
) -> Result<()> {
    let (id, updated_at) = (row.id.as_str(), row.updated_at);
    let now = now.max(updated_at.saturating_add(1));
    let n = tx
        .execute(
            "UPDATE risks SET status = ?, task_id = ?, closed_at = ?, updated_at = ? \
             WHERE id = ? AND updated_at = ?",
            args![status, task_id, closed_at, now, id, updated_at],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::Conflict(
            "the risk changed since it was read".into(),
        ));
    }
    tx.emit(pingan_domain::sharing::Event {
        event_type: pingan_domain::sharing::EventType::RiskStatusChanged,
        aggregate_id: row.id.clone(),
        area_path: row.area_path.clone(),
        occurred_at: now,
        data: pingan_domain::sharing::object(serde_json::json!({
            "from_status": row.status,
            "status": status,
            "category": row.category,
            "level": row.level,
            "grid_code": row.grid_code,
            "area_path": row.area_path,
            "at": pingan_domain::sharing::rfc3339(now),
        })),
    });
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub at: i64,
    pub actor_name: Option<String>,
    pub kind: String,
    pub note: String,
    pub task_id: Option<String>,
}

pub fn event(
    tx: &mut Tx,
    risk_id: &str,
    at: i64,
    actor_id: Option<&str>,
    kind: &str,
    note: &str,
    task_id: Option<&str>,
) {
    tx.queue(
        "INSERT INTO risk_events (id, risk_id, at, actor_id, kind, note, task_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
        args![crate::new_id(), risk_id, at, actor_id, kind, note, task_id],
    );
}

pub async fn events(db: &Db, risk_id: &str) -> Result<Vec<EventRow>> {
    db.fetch_all(
        "SELECT e.at, u.display_name AS actor_name, e.kind, e.note, e.task_id FROM risk_events e \
         LEFT JOIN users u ON u.id = e.actor_id WHERE e.risk_id = ? ORDER BY e.at, e.id",
        args![risk_id],
    )
    .await
}

/// The risk a rectification order (task) belongs to, if any.
pub async fn by_task(tx: &mut Tx, task_id: &str) -> Result<Option<(String, String)>> {
    tx.fetch_optional(
        "SELECT id, title FROM risks WHERE task_id = ?",
        args![task_id],
    )
    .await
}

/* ---------- screening campaigns ---------- */

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CampaignRow {
    pub id: String,
    pub name: String,
    pub area_path: String,
    pub starts_on: String,
    pub ends_on: String,
    pub created_by: String,
    pub created_at: i64,
    pub grids: i64,
    pub done: i64,
    pub found: i64,
    pub open_found: i64,
}

const CAMPAIGN_SELECT: &str = "SELECT c.id, c.name, c.area_path, c.starts_on, c.ends_on, \
    c.created_by, c.created_at, \
    (SELECT COUNT(*) FROM risk_campaign_grids g WHERE g.campaign_id = c.id) AS grids, \
    (SELECT COUNT(*) FROM risk_campaign_grids g WHERE g.campaign_id = c.id AND g.done_at IS NOT NULL) AS done, \
    (SELECT COUNT(*) FROM risks r WHERE r.campaign_id = c.id) AS found, \
    (SELECT COUNT(*) FROM risks r WHERE r.campaign_id = c.id AND r.status <> 'closed') AS open_found \
    FROM risk_campaigns c";

/// Creates a campaign with its checklist (text, category) over `grids` (code, area path).
pub fn create_campaign(
    tx: &mut Tx,
    c: &CampaignRow,
    items: &[(String, String)],
    grids: &[(String, String)],
) {
    tx.queue(
        "INSERT INTO risk_campaigns (id, name, area_path, starts_on, ends_on, created_by, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
        args![
            c.id.as_str(),
            c.name.as_str(),
            c.area_path.as_str(),
            c.starts_on.as_str(),
            c.ends_on.as_str(),
            c.created_by.as_str(),
            c.created_at
        ],
    );
    for (i, (text, category)) in items.iter().enumerate() {
        tx.queue(
            "INSERT INTO risk_campaign_items (campaign_id, seq, text, category) VALUES (?, ?, ?, ?)",
            args![c.id.as_str(), i as i64 + 1, text.as_str(), category.as_str()],
        );
    }
    for (code, path) in grids {
        tx.queue(
            "INSERT INTO risk_campaign_grids (campaign_id, grid_code, area_path) VALUES (?, ?, ?)",
            args![c.id.as_str(), code.as_str(), path.as_str()],
        );
    }
}

/// Campaigns with at least one grid in scope, newest first.
pub async fn campaigns(db: &Db, s: &Scope) -> Result<Vec<CampaignRow>> {
    let (pred, a) = scope::predicate(s, Some("g.area_path"), None);
    db.fetch_all(
        &format!(
            "{CAMPAIGN_SELECT} WHERE EXISTS (SELECT 1 FROM risk_campaign_grids g \
             WHERE g.campaign_id = c.id AND {pred}) ORDER BY c.starts_on DESC, c.created_at DESC LIMIT 200"
        ),
        a,
    )
    .await
}

pub async fn campaign(db: &Db, s: &Scope, id: &str) -> Result<Option<CampaignRow>> {
    let (pred, a) = scope::predicate(s, Some("g.area_path"), None);
    let mut all = args![id];
    all.extend(a);
    db.fetch_optional(
        &format!(
            "{CAMPAIGN_SELECT} WHERE c.id = ? AND EXISTS (SELECT 1 FROM risk_campaign_grids g \
             WHERE g.campaign_id = c.id AND {pred})"
        ),
        all,
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ItemRow {
    pub seq: i64,
    pub text: String,
    pub category: String,
}

pub async fn items(db: &Db, campaign_id: &str) -> Result<Vec<ItemRow>> {
    db.fetch_all(
        "SELECT seq, text, category FROM risk_campaign_items WHERE campaign_id = ? ORDER BY seq",
        args![campaign_id],
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CampaignGridRow {
    pub grid_code: String,
    pub grid_name: String,
    pub area_path: String,
    pub done_at: Option<i64>,
    pub done_by_name: Option<String>,
    pub note: Option<String>,
    pub answered: i64,
    pub found: i64,
    pub open_found: i64,
}

/// The campaign's grids in scope, with how far each has got.
pub async fn campaign_grids(db: &Db, s: &Scope, campaign_id: &str) -> Result<Vec<CampaignGridRow>> {
    let (pred, a) = scope::predicate(s, Some("g.area_path"), None);
    let mut all = args![campaign_id];
    all.extend(a);
    db.fetch_all(
        &format!(
            "SELECT g.grid_code, gr.name AS grid_name, g.area_path, g.done_at, u.display_name AS done_by_name, g.note, \
             (SELECT COUNT(*) FROM risk_campaign_checks k WHERE k.campaign_id = g.campaign_id AND k.grid_code = g.grid_code) AS answered, \
             (SELECT COUNT(*) FROM risks r WHERE r.campaign_id = g.campaign_id AND r.grid_code = g.grid_code) AS found, \
             (SELECT COUNT(*) FROM risks r WHERE r.campaign_id = g.campaign_id AND r.grid_code = g.grid_code AND r.status <> 'closed') AS open_found \
             FROM risk_campaign_grids g JOIN grids gr ON gr.code = g.grid_code LEFT JOIN users u ON u.id = g.done_by \
             WHERE g.campaign_id = ? AND {pred} ORDER BY g.grid_code"
        ),
        all,
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CheckRow {
    pub seq: i64,
    pub result: String,
    pub risk_id: Option<String>,
    pub note: String,
    pub checked_by_name: String,
    pub checked_at: i64,
}

pub async fn checks(db: &Db, campaign_id: &str, grid_code: &str) -> Result<Vec<CheckRow>> {
    db.fetch_all(
        "SELECT k.seq, k.result, k.risk_id, k.note, u.display_name AS checked_by_name, k.checked_at \
         FROM risk_campaign_checks k JOIN users u ON u.id = k.checked_by \
         WHERE k.campaign_id = ? AND k.grid_code = ? ORDER BY k.seq",
        args![campaign_id, grid_code],
    )
    .await
}

/// One checklist answer, once per item: `Conflict` if the item was already answered for this grid
/// or the grid was reported done.
#[allow(clippy::too_many_arguments)]
pub async fn answer(
    tx: &mut Tx,
    campaign_id: &str,
    grid_code: &str,
    seq: i64,
    result: &str,
    risk_id: Option<&str>,
    note: &str,
    by: &str,
    at: i64,
) -> Result<()> {
    let open: Option<(String,)> = tx
        .fetch_optional(
            "SELECT grid_code FROM risk_campaign_grids WHERE campaign_id = ? AND grid_code = ? AND done_at IS NULL",
            args![campaign_id, grid_code],
        )
        .await?;
    if open.is_none() {
        return Err(StoreError::Conflict(
            "the grid was already reported done".into(),
        ));
    }
    let n = tx
        .execute(
            "INSERT INTO risk_campaign_checks (campaign_id, grid_code, seq, result, risk_id, note, checked_by, checked_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (campaign_id, grid_code, seq) DO NOTHING",
            args![campaign_id, grid_code, seq, result, risk_id, note, by, at],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::Conflict("the item was already answered".into()));
    }
    Ok(())
}

/// Marks a grid done, once, when every item is answered.
pub async fn report_grid(
    tx: &mut Tx,
    campaign_id: &str,
    grid_code: &str,
    note: Option<&str>,
    by: &str,
    at: i64,
) -> Result<()> {
    let n = tx
        .execute(
            "UPDATE risk_campaign_grids SET done_at = ?, done_by = ?, note = ? \
             WHERE campaign_id = ? AND grid_code = ? AND done_at IS NULL \
             AND (SELECT COUNT(*) FROM risk_campaign_checks k WHERE k.campaign_id = ? AND k.grid_code = ?) \
               >= (SELECT COUNT(*) FROM risk_campaign_items i WHERE i.campaign_id = ?)",
            args![at, by, note, campaign_id, grid_code, campaign_id, grid_code, campaign_id],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::Conflict(
            "the grid was already reported done or has unanswered items".into(),
        ));
    }
    Ok(())
}
