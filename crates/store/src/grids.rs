//! Grids (网格): the unit every other capability reports against. Each belongs to exactly one
//! village/community and carries its polygon (GeoJSON text) and bounding box.

use crate::db::{Db, Tx};
use crate::{Result, StoreError, args, now_micros, scope};
use pingan_domain::{GridCode, Scope};

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct GridRow {
    pub code: String,
    pub village_code: String,
    pub name: String,
    pub kind: String,
    pub area_path: String,
    pub geometry: String,
}

#[derive(Debug, Clone)]
pub struct NewGrid {
    pub code: GridCode,
    pub name: String,
    /// `basic` (基础网格) or `dedicated` (专属网格).
    pub kind: String,
    pub geometry_json: String,
    pub bbox: [f64; 4],
}

const COLS: &str = "code, village_code, name, kind, area_path, geometry";

pub async fn insert(tx: &mut Tx, g: &NewGrid) -> Result<()> {
    let village = g.code.village();
    let Some(v) = crate::areas::get_unscoped(tx, village.as_str()).await? else {
        return Err(StoreError::Invalid(format!(
            "grid {}: village {village} does not exist",
            g.code
        )));
    };
    let now = now_micros();
    tx.execute(
        "INSERT INTO grids (code, village_code, name, kind, area_path, geometry, min_x, min_y, max_x, max_y, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        args![
            g.code.as_str(),
            village.as_str(),
            g.name.clone(),
            g.kind.clone(),
            v.path,
            g.geometry_json.clone(),
            g.bbox[0],
            g.bbox[1],
            g.bbox[2],
            g.bbox[3],
            now,
            now
        ],
    )
    .await?;
    Ok(())
}

/// The grids at or under area `path` (an area's 网格: its study area), inside the scope.
pub async fn under(db: &Db, scope: &Scope, path: &str) -> Result<Vec<GridRow>> {
    let (pred, mut a) = scope::predicate(scope, Some("area_path"), None);
    a.push(format!("{path}%").into());
    db.fetch_all(
        &format!("SELECT {COLS} FROM grids WHERE {pred} AND area_path LIKE ? ORDER BY code"),
        a,
    )
    .await
}

pub async fn list(db: &Db, scope: &Scope, village: Option<&str>) -> Result<Vec<GridRow>> {
    let (pred, mut a) = scope::predicate(scope, Some("area_path"), None);
    let mut sql = format!("SELECT {COLS} FROM grids WHERE {pred}");
    if let Some(v) = village {
        sql.push_str(" AND village_code = ?");
        a.push(v.into());
    }
    sql.push_str(" ORDER BY code");
    db.fetch_all(&sql, a).await
}

pub async fn get(db: &Db, scope: &Scope, code: &str) -> Result<Option<GridRow>> {
    let (pred, mut a) = scope::predicate(scope, Some("area_path"), None);
    let mut all = args![code];
    all.append(&mut a);
    db.fetch_optional(
        &format!("SELECT {COLS} FROM grids WHERE code = ? AND {pred}"),
        all,
    )
    .await
}

pub async fn count(db: &Db, scope: &Scope) -> Result<i64> {
    let (pred, a) = scope::predicate(scope, Some("area_path"), None);
    let (n,): (i64,) = db
        .fetch_one(&format!("SELECT COUNT(*) FROM grids WHERE {pred}"), a)
        .await?;
    Ok(n)
}

/// Replaces an existing grid's name, kind and geometry (re-imports of a corrected layer).
pub async fn update(tx: &mut Tx, g: &NewGrid) -> Result<u64> {
    tx.execute(
        "UPDATE grids SET name = ?, kind = ?, geometry = ?, min_x = ?, min_y = ?, max_x = ?, max_y = ?, updated_at = ? WHERE code = ?",
        args![
            g.name.clone(),
            g.kind.clone(),
            g.geometry_json.clone(),
            g.bbox[0],
            g.bbox[1],
            g.bbox[2],
            g.bbox[3],
            now_micros(),
            g.code.as_str()
        ],
    )
    .await
}

/// Every grid code (imports decide insert or update with it; not scope-filtered).
/// (code, name) of every grid: names for counts kept per grid (a code alone says nothing).
pub async fn all_names(db: &Db) -> Result<Vec<(String, String)>> {
    db.fetch_all("SELECT code, name FROM grids ORDER BY code", args![])
        .await
}

pub async fn all_codes(db: &Db) -> Result<Vec<(String,)>> {
    db.fetch_all("SELECT code FROM grids ORDER BY code", args![])
        .await
}

/// Grids whose bounding box holds the point, by code: the candidates for an exact point-in-polygon test.
pub async fn bbox_candidates(db: &Db, x: f64, y: f64) -> Result<Vec<GridRow>> {
    db.fetch_all(
        &format!("SELECT {COLS} FROM grids WHERE min_x <= ? AND max_x >= ? AND min_y <= ? AND max_y >= ? ORDER BY code"),
        args![x, x, y, y],
    )
    .await
}

/// A candidate grid with what intake needs to know about its place: the village's area type, the
/// responsible station (the deepest station whose area holds the grid) and whether an incident type
/// is in use.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GridInContext {
    #[sqlx(flatten)]
    pub grid: GridRow,
    pub area_type: Option<String>,
    pub station_id: Option<String>,
    pub type_active: Option<bool>,
}

/// `bbox_candidates` with each grid's context, in one round trip (intake runs this for every report).
pub async fn candidates_in_context(
    db: &Db,
    x: f64,
    y: f64,
    type_code: &str,
) -> Result<Vec<GridInContext>> {
    db.fetch_all(
        "SELECT g.code, g.village_code, g.name, g.kind, g.area_path, g.geometry, \
         (SELECT a.area_type FROM areas a WHERE a.code = g.village_code) AS area_type, \
         (SELECT o.id FROM orgs o WHERE o.kind = 'station' AND o.area_path IS NOT NULL \
          AND g.area_path LIKE o.area_path || '%' ORDER BY LENGTH(o.area_path) DESC, o.id LIMIT 1) AS station_id, \
         (SELECT t.active FROM incident_types t WHERE t.code = ?) AS type_active \
         FROM grids g WHERE g.min_x <= ? AND g.max_x >= ? AND g.min_y <= ? AND g.max_y >= ? ORDER BY g.code",
        args![type_code, x, x, y, y],
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct GridWorker {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub is_lead: bool,
}

/// Replaces a grid's workers: `lead` plus `members` (the lead is not repeated among members).
pub async fn set_workers(
    tx: &mut Tx,
    grid_code: &str,
    lead: &str,
    members: &[String],
) -> Result<()> {
    tx.execute(
        "DELETE FROM grid_workers WHERE grid_code = ?",
        args![grid_code],
    )
    .await?;
    let now = now_micros();
    tx.execute(
        "INSERT INTO grid_workers (grid_code, user_id, is_lead, assigned_at) VALUES (?, ?, ?, ?)",
        args![grid_code, lead, true, now],
    )
    .await?;
    for m in members.iter().filter(|m| m.as_str() != lead) {
        tx.execute(
            "INSERT INTO grid_workers (grid_code, user_id, is_lead, assigned_at) VALUES (?, ?, ?, ?)",
            args![grid_code, m.as_str(), false, now],
        )
        .await?;
    }
    Ok(())
}

pub async fn workers(db: &Db, grid_code: &str) -> Result<Vec<GridWorker>> {
    db.fetch_all(
        "SELECT w.user_id, u.username, u.display_name, w.is_lead FROM grid_workers w JOIN users u ON u.id = w.user_id
         WHERE w.grid_code = ? ORDER BY w.is_lead DESC, u.username",
        args![grid_code],
    )
    .await
}
