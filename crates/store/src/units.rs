//! Units on duty and their GPS pings, and the camera registry (雪亮工程) that camera alerts refer to.
//! Pings are idempotent by (device, timestamp): a device that resends a batch adds nothing.

use crate::db::{Db, Tx};
use crate::{Result, StoreError, Value, args, new_id, scope};
use pingan_domain::Scope;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UnitRow {
    pub id: String,
    pub call_sign: String,
    pub name: String,
    pub kind: String,
    pub org_id: String,
    pub org_name: String,
    pub org_path: String,
    pub area_path: String,
    pub user_id: Option<String>,
    pub device_id: Option<String>,
    pub status: String,
    pub status_at: i64,
    pub lng: Option<f64>,
    pub lat: Option<f64>,
    pub position_at: Option<i64>,
}

const COLS: &str = "u.id, u.call_sign, u.name, u.kind, u.org_id, o.name AS org_name, u.org_path, u.area_path, \
    u.user_id, u.device_id, u.status, u.status_at, u.lng, u.lat, u.position_at";

#[derive(Debug, Clone)]
pub struct NewUnit {
    pub call_sign: String,
    pub name: String,
    pub kind: String,
    pub org_id: String,
    pub user_id: Option<String>,
    pub device_id: Option<String>,
    pub status: String,
    pub lng: Option<f64>,
    pub lat: Option<f64>,
}

pub async fn insert(tx: &mut Tx, u: &NewUnit, at: i64) -> Result<String> {
    let org: Option<(String, Option<String>)> = tx
        .fetch_optional(
            "SELECT path, area_path FROM orgs WHERE id = ?",
            args![u.org_id.as_str()],
        )
        .await?;
    let Some((org_path, Some(area_path))) = org else {
        return Err(StoreError::Invalid(
            "the organisation does not exist or serves no area".into(),
        ));
    };
    let id = new_id();
    let position_at = u.lng.map(|_| at);
    tx.execute(
        "INSERT INTO units (id, call_sign, name, kind, org_id, org_path, area_path, user_id, device_id, status, \
         status_at, lng, lat, position_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        args![
            id.clone(),
            u.call_sign.as_str(),
            u.name.as_str(),
            u.kind.as_str(),
            u.org_id.as_str(),
            org_path,
            area_path,
            u.user_id.clone(),
            u.device_id.clone(),
            u.status.as_str(),
            at,
            u.lng,
            u.lat,
            position_at,
            at,
            at
        ],
    )
    .await
    .map_err(|e| match e {
        StoreError::Conflict(_) => {
            StoreError::Conflict("call sign or device id already in use".into())
        }
        other => other,
    })?;
    Ok(id)
}

pub async fn list(db: &Db, scope: &Scope) -> Result<Vec<UnitRow>> {
    let (pred, a) = scope::predicate(scope, Some("u.area_path"), Some("u.org_path"));
    db.fetch_all(
        &format!(
            "SELECT {COLS} FROM units u JOIN orgs o ON o.id = u.org_id WHERE {pred} ORDER BY u.call_sign"
        ),
        a,
    )
    .await
}

pub async fn get(db: &Db, scope: &Scope, id: &str) -> Result<Option<UnitRow>> {
    let (pred, mut a) = scope::predicate(scope, Some("u.area_path"), Some("u.org_path"));
    let mut all = args![id];
    all.append(&mut a);
    db.fetch_optional(
        &format!(
            "SELECT {COLS} FROM units u JOIN orgs o ON o.id = u.org_id WHERE u.id = ? AND {pred}"
        ),
        all,
    )
    .await
}

pub async fn get_tx(tx: &mut Tx, id: &str) -> Result<Option<UnitRow>> {
    tx.fetch_optional(
        &format!("SELECT {COLS} FROM units u JOIN orgs o ON o.id = u.org_id WHERE u.id = ?"),
        args![id],
    )
    .await
}

/// Units crewed by a user (the mobile duty view).
pub async fn for_user(db: &Db, user_id: &str) -> Result<Vec<UnitRow>> {
    db.fetch_all(
        &format!(
            "SELECT {COLS} FROM units u JOIN orgs o ON o.id = u.org_id WHERE u.user_id = ? ORDER BY u.call_sign"
        ),
        args![user_id],
    )
    .await
}

pub async fn set_status(tx: &mut Tx, id: &str, status: &str, at: i64) -> Result<()> {
    let n = tx
        .execute(
            "UPDATE units SET status = ?, status_at = ?, updated_at = ? WHERE id = ?",
            args![status, at, at, id],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// `set_status` for a unit the caller has just read: queued with the transaction's next statement.
pub fn queue_status(tx: &mut Tx, id: &str, status: &str, at: i64) {
    tx.queue(
        "UPDATE units SET status = ?, status_at = ?, updated_at = ? WHERE id = ?",
        args![status, at, at, id],
    );
}

/// One GPS ping.
#[derive(Debug, Clone)]
pub struct Ping {
    pub device_id: String,
    pub at: i64,
    pub lng: f64,
    pub lat: f64,
    pub speed: Option<f64>,
    pub heading: Option<f64>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IngestCount {
    pub accepted: u64,
    pub duplicates: u64,
    pub unknown_devices: u64,
}

/// (device id, unit id, area path) per known device id.
pub async fn devices(db: &Db, device_ids: &[&str]) -> Result<Vec<(String, String, String)>> {
    if device_ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks = vec!["?"; device_ids.len()].join(", ");
    db.fetch_all(
        &format!("SELECT device_id, id, area_path FROM units WHERE device_id IN ({marks})"),
        device_ids.iter().map(|d| Value::from(*d)).collect(),
    )
    .await
}

/// The distinct device ids of a batch, for `devices`.
pub fn device_ids(pings: &[Ping]) -> Vec<&str> {
    let mut ids: Vec<&str> = pings.iter().map(|p| p.device_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Stores pings of `known` devices (from `devices`, read before the transaction so the write lock is
/// held for writing only) with multi-row inserts, duplicates skipped, and moves each unit to its
/// newest position. Returns the counts and the units whose position changed, with their area paths.
pub async fn ingest(
    tx: &mut Tx,
    pings: &[Ping],
    known: &[(String, String, String)],
) -> Result<(IngestCount, Vec<(String, String)>)> {
    let unit_of = |d: &str| known.iter().find(|k| k.0 == d);
    let mut count = IngestCount::default();
    let valid: Vec<(&Ping, &(String, String, String))> = pings
        .iter()
        .filter_map(|p| match unit_of(&p.device_id) {
            Some(k) => Some((p, k)),
            None => {
                count.unknown_devices += 1;
                None
            }
        })
        .collect();
    // 7 parameters a row; stay under SQLite's 32,766-parameter limit.
    for chunk in valid.chunks(1000) {
        let mut sql = String::from(
            "INSERT INTO unit_positions (device_id, at, unit_id, lng, lat, speed, heading) VALUES ",
        );
        let mut a = Vec::with_capacity(chunk.len() * 7);
        for (i, (p, k)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str("(?, ?, ?, ?, ?, ?, ?)");
            a.extend(args![
                p.device_id.as_str(),
                p.at,
                k.1.as_str(),
                p.lng,
                p.lat,
                p.speed,
                p.heading
            ]);
        }
        sql.push_str(" ON CONFLICT (device_id, at) DO NOTHING");
        let n = tx.execute(&sql, a).await?;
        count.accepted += n;
        count.duplicates += chunk.len() as u64 - n;
    }
    // Newest ping per unit moves the unit (only forward in time).
    let mut newest: Vec<(&str, &Ping, &str)> = Vec::new();
    for (p, k) in &valid {
        match newest.iter_mut().find(|n| n.0 == k.1) {
            Some(n) if n.1.at < p.at => n.1 = p,
            Some(_) => {}
            None => newest.push((k.1.as_str(), p, k.2.as_str())),
        }
    }
    if newest.is_empty() {
        return Ok((count, Vec::new()));
    }
    // All units in one statement; a unit moves only forward in time.
    let rows = vec!["(?, ?, ?, ?)"; newest.len()].join(", ");
    let mut a = Vec::with_capacity(newest.len() * 4);
    for (unit_id, p, _) in &newest {
        a.extend(args![*unit_id, p.lng, p.lat, p.at]);
    }
    let moved_ids: Vec<(String,)> = tx
        .fetch_all(
            &format!(
                "WITH v (id, lng, lat, at) AS (VALUES {rows}) \
                 UPDATE units SET lng = v.lng, lat = v.lat, position_at = v.at FROM v \
                 WHERE units.id = v.id AND (units.position_at IS NULL OR units.position_at < v.at) \
                 RETURNING units.id"
            ),
            a,
        )
        .await?;
    let moved = newest
        .into_iter()
        .filter(|(unit_id, _, _)| moved_ids.iter().any(|(m,)| m == unit_id))
        .map(|(unit_id, _, area_path)| (unit_id.to_string(), area_path.to_string()))
        .collect();
    Ok((count, moved))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CameraRow {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub lng: f64,
    pub lat: f64,
    pub grid_code: Option<String>,
    pub area_path: String,
    pub active: bool,
}

const CCOLS: &str = "code, name, kind, lng, lat, grid_code, area_path, active";

pub async fn insert_camera(tx: &mut Tx, c: &CameraRow, at: i64) -> Result<()> {
    tx.execute(
        &format!("INSERT INTO cameras ({CCOLS}, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
        args![
            c.code.as_str(),
            c.name.as_str(),
            c.kind.as_str(),
            c.lng,
            c.lat,
            c.grid_code.clone(),
            c.area_path.as_str(),
            c.active,
            at,
            at
        ],
    )
    .await
    .map_err(|e| match e {
        StoreError::Conflict(_) => StoreError::Conflict(format!("camera {} exists", c.code)),
        other => other,
    })?;
    Ok(())
}

pub async fn cameras(db: &Db, scope: &Scope) -> Result<Vec<CameraRow>> {
    let (pred, a) = scope::predicate(scope, Some("area_path"), None);
    db.fetch_all(
        &format!("SELECT {CCOLS} FROM cameras WHERE {pred} ORDER BY code"),
        a,
    )
    .await
}

pub async fn camera(db: &Db, code: &str) -> Result<Option<CameraRow>> {
    db.fetch_optional(
        &format!("SELECT {CCOLS} FROM cameras WHERE code = ?"),
        args![code],
    )
    .await
}
