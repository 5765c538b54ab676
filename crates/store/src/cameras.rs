//! 雪亮工程 beyond the registry (`units::insert_camera`): a camera's owner and sector, its status
//! from heartbeats — the current one on the camera, every change in `camera_status_changes` — and
//! footage requests (调取), scoped by the linked incident's or case's paths.

use crate::db::{Backend, Db, Tx};
use crate::{Result, Value, args, scope};
use pingan_domain::Scope;

/// A camera with where it looks and how it is.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CameraSite {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub lng: f64,
    pub lat: f64,
    pub area_path: String,
    pub active: bool,
    pub owner: String,
    pub direction_deg: Option<f64>,
    pub fov_deg: Option<f64>,
    pub range_m: Option<f64>,
    /// From heartbeats; None when the camera never sent one.
    pub online: Option<bool>,
    pub last_heartbeat_at: Option<i64>,
}

const COLS: &str = "code, name, kind, lng, lat, area_path, active, owner, direction_deg, fov_deg, \
                    range_m, online, last_heartbeat_at";

/// Cameras in scope, by code.
pub async fn sites(db: &Db, s: &Scope) -> Result<Vec<CameraSite>> {
    let (pred, a) = scope::predicate(s, Some("area_path"), None);
    db.fetch_all(
        &format!("SELECT {COLS} FROM cameras WHERE {pred} ORDER BY code"),
        a,
    )
    .await
}

/// Cameras in scope whose position lies in the box `[min_lng, min_lat, max_lng, max_lat]`.
pub async fn sites_in_box(db: &Db, s: &Scope, b: [f64; 4]) -> Result<Vec<CameraSite>> {
    let (pred, mut a) = scope::predicate(s, Some("area_path"), None);
    let mut all: Vec<Value> = vec![b[0].into(), b[2].into(), b[1].into(), b[3].into()];
    all.append(&mut a);
    db.fetch_all(
        &format!(
            "SELECT {COLS} FROM cameras WHERE lng >= ? AND lng <= ? AND lat >= ? AND lat <= ? \
             AND {pred} ORDER BY code"
        ),
        all,
    )
    .await
}

pub async fn site(db: &Db, s: &Scope, code: &str) -> Result<Option<CameraSite>> {
    let (pred, mut a) = scope::predicate(s, Some("area_path"), None);
    let mut all = args![code];
    all.append(&mut a);
    db.fetch_optional(
        &format!("SELECT {COLS} FROM cameras WHERE code = ? AND {pred}"),
        all,
    )
    .await
}

/// Sets a camera's owner and sector (all three of direction, field of view and range, or none).
pub async fn set_sector(
    tx: &mut Tx,
    code: &str,
    owner: &str,
    sector: Option<(f64, f64, f64)>,
    now: i64,
) -> Result<bool> {
    let (d, f, r) = match sector {
        Some((d, f, r)) => (Some(d), Some(f), Some(r)),
        None => (None, None, None),
    };
    let n = tx
        .execute(
            "UPDATE cameras SET owner = ?, direction_deg = ?, fov_deg = ?, range_m = ?, \
             updated_at = ? WHERE code = ?",
            args![owner, d, f, r, now, code],
        )
        .await?;
    Ok(n == 1)
}

/// A camera's current status and latest heartbeat, its row locked until the transaction ends (two
/// servers taking heartbeats of one camera record its changes in order).
pub async fn lock_status(tx: &mut Tx, code: &str) -> Result<Option<(Option<bool>, Option<i64>)>> {
    let lock = match tx.backend() {
        Backend::Postgres => " FOR UPDATE",
        Backend::Sqlite => "",
    };
    tx.fetch_optional(
        &format!("SELECT online, last_heartbeat_at FROM cameras WHERE code = ?{lock}"),
        args![code],
    )
    .await
}

/// Records a heartbeat: the changes it makes, then the status and time on the camera.
pub async fn record_heartbeat(
    tx: &mut Tx,
    code: &str,
    changes: &[(i64, bool)],
    at: i64,
) -> Result<()> {
    for (when, online) in changes {
        tx.execute(
            "INSERT INTO camera_status_changes (camera_code, at, online) VALUES (?, ?, ?)",
            args![code, *when, *online],
        )
        .await?;
    }
    if let Some((_, online)) = changes.last() {
        tx.execute(
            "UPDATE cameras SET online = ? WHERE code = ?",
            args![*online, code],
        )
        .await?;
    }
    tx.execute(
        "UPDATE cameras SET last_heartbeat_at = ? WHERE code = ? \
         AND (last_heartbeat_at IS NULL OR last_heartbeat_at < ?)",
        args![at, code, at],
    )
    .await?;
    Ok(())
}

/// The status changes of cameras up to `until`, `(code, at, online)` by camera and time.
pub async fn status_changes(
    db: &Db,
    codes: &[String],
    until: i64,
) -> Result<Vec<(String, i64, bool)>> {
    let mut out = Vec::new();
    for chunk in codes.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(", ");
        let mut a: Vec<Value> = chunk.iter().map(|c| Value::from(c.as_str())).collect();
        a.push(until.into());
        let mut rows: Vec<(String, i64, bool)> = db
            .fetch_all(
                &format!(
                    "SELECT camera_code, at, online FROM camera_status_changes \
                     WHERE camera_code IN ({marks}) AND at <= ? ORDER BY camera_code, at"
                ),
                a,
            )
            .await?;
        out.append(&mut rows);
    }
    Ok(out)
}

/// A footage request (调取) as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FootageRow {
    pub id: String,
    pub camera_code: String,
    pub camera_name: String,
    pub incident_id: Option<String>,
    pub case_id: Option<String>,
    pub org_path: String,
    pub area_path: String,
    pub requester_id: String,
    pub requester_name: String,
    pub purpose: String,
    pub from_at: i64,
    pub to_at: i64,
    pub status: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub decision_note: Option<String>,
    pub exported_by: Option<String>,
    pub exported_at: Option<i64>,
    pub export_ref: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const FCOLS: &str = "f.id, f.camera_code, c.name AS camera_name, f.incident_id, f.case_id, \
    f.org_path, f.area_path, f.requester_id, u.display_name AS requester_name, f.purpose, \
    f.from_at, f.to_at, f.status, f.decided_by, f.decided_at, f.decision_note, f.exported_by, \
    f.exported_at, f.export_ref, f.created_at, f.updated_at";
const FFROM: &str = "footage_requests f JOIN cameras c ON c.code = f.camera_code JOIN users u ON u.id = f.requester_id";

pub async fn insert_footage(tx: &mut Tx, f: &FootageRow) -> Result<()> {
    tx.execute(
        "INSERT INTO footage_requests (id, camera_code, incident_id, case_id, org_path, area_path, \
         requester_id, purpose, from_at, to_at, status, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        args![
            f.id.as_str(),
            f.camera_code.as_str(),
            f.incident_id.clone(),
            f.case_id.clone(),
            f.org_path.as_str(),
            f.area_path.as_str(),
            f.requester_id.as_str(),
            f.purpose.as_str(),
            f.from_at,
            f.to_at,
            f.status.as_str(),
            f.created_at,
            f.updated_at
        ],
    )
    .await?;
    Ok(())
}

fn footage_scope(s: &Scope) -> (String, Vec<Value>) {
    scope::predicate(s, Some("f.area_path"), Some("f.org_path"))
}

pub async fn footage(db: &Db, s: &Scope, id: &str) -> Result<Option<FootageRow>> {
    let (pred, mut a) = footage_scope(s);
    let mut all = args![id];
    all.append(&mut a);
    db.fetch_optional(
        &format!("SELECT {FCOLS} FROM {FFROM} WHERE f.id = ? AND {pred}"),
        all,
    )
    .await
}

/// Requests in scope, newest first, of one status when given.
pub async fn list_footage(
    db: &Db,
    s: &Scope,
    status: Option<&str>,
    limit: i64,
) -> Result<Vec<FootageRow>> {
    let (pred, mut a) = footage_scope(s);
    let mut sql = format!("SELECT {FCOLS} FROM {FFROM} WHERE {pred}");
    if let Some(st) = status {
        sql.push_str(" AND f.status = ?");
        a.push(st.into());
    }
    sql.push_str(" ORDER BY f.created_at DESC, f.id DESC LIMIT ?");
    a.push(limit.into());
    db.fetch_all(&sql, a).await
}

/// Moves a request from `from` to a decision; false when it is no longer `from`.
pub async fn decide_footage(
    tx: &mut Tx,
    id: &str,
    from: &str,
    to: &str,
    by: &str,
    note: Option<&str>,
    now: i64,
) -> Result<bool> {
    let n = tx
        .execute(
            "UPDATE footage_requests SET status = ?, decided_by = ?, decided_at = ?, \
             decision_note = ?, updated_at = ? WHERE id = ? AND status = ?",
            args![to, by, now, note, now, id, from],
        )
        .await?;
    Ok(n == 1)
}

/// Records the export of an approved request; false when it is not approved (any more).
pub async fn export_footage(
    tx: &mut Tx,
    id: &str,
    by: &str,
    export_ref: &str,
    now: i64,
) -> Result<bool> {
    let n = tx
        .execute(
            "UPDATE footage_requests SET status = 'exported', exported_by = ?, exported_at = ?, \
             export_ref = ?, updated_at = ? WHERE id = ? AND status = 'approved'",
            args![by, now, export_ref, now, id],
        )
        .await?;
    Ok(n == 1)
}
