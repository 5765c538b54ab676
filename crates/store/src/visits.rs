//! 入户走访: households (an address in a grid, nothing about its people), visits to a household or
//! a place, and the incidents, disputes and risks each visit raised. Scoped by the grid's area path.

use crate::db::{Db, Tx};
use crate::{Result, StoreError, Value, args, scope};
use pingan_domain::Scope;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HouseholdRow {
    pub id: String,
    pub grid_code: String,
    pub area_path: String,
    pub address: String,
    pub lng: Option<f64>,
    pub lat: Option<f64>,
}

/// Registers a household, or answers the one already at that address in that grid.
pub async fn household(
    tx: &mut Tx,
    grid_code: &str,
    address: &str,
    point: Option<(f64, f64)>,
    now: i64,
) -> Result<HouseholdRow> {
    let grid: Option<(String,)> = tx
        .fetch_optional(
            "SELECT area_path FROM grids WHERE code = ?",
            args![grid_code],
        )
        .await?;
    let (area_path,) =
        grid.ok_or_else(|| StoreError::Invalid(format!("grid {grid_code} does not exist")))?;
    tx.execute(
        "INSERT INTO households (id, grid_code, area_path, address, lng, lat, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (grid_code, address) DO NOTHING",
        args![
            crate::new_id(),
            grid_code,
            area_path.as_str(),
            address,
            point.map(|p| p.0),
            point.map(|p| p.1),
            now
        ],
    )
    .await?;
    tx.fetch_one(
        "SELECT id, grid_code, area_path, address, lng, lat FROM households WHERE grid_code = ? AND address = ?",
        args![grid_code, address],
    )
    .await
}

pub async fn households(db: &Db, s: &Scope, grid_code: &str) -> Result<Vec<HouseholdRow>> {
    let (pred, a) = scope::predicate(s, Some("area_path"), None);
    let mut all = args![grid_code];
    all.extend(a);
    db.fetch_all(
        &format!(
            "SELECT id, grid_code, area_path, address, lng, lat FROM households \
             WHERE grid_code = ? AND {pred} ORDER BY address LIMIT 5000"
        ),
        all,
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VisitRow {
    pub id: String,
    pub grid_code: String,
    pub grid_name: String,
    pub area_path: String,
    pub household_id: Option<String>,
    pub place_id: Option<String>,
    /// The household's address or the place's name.
    pub target: String,
    pub visited_at: i64,
    pub visitor_id: String,
    pub visitor_name: String,
    /// Comma-separated topic codes.
    pub topics: String,
    pub materials: String,
    pub note: String,
}

const SELECT: &str = "SELECT v.id, v.grid_code, g.name AS grid_name, v.area_path, v.household_id, \
    v.place_id, COALESCE(h.address, p.name, '') AS target, v.visited_at, v.visitor_id, \
    u.display_name AS visitor_name, v.topics, v.materials, v.note FROM visits v \
    JOIN grids g ON g.code = v.grid_code JOIN users u ON u.id = v.visitor_id \
    LEFT JOIN households h ON h.id = v.household_id LEFT JOIN places p ON p.id = v.place_id";

#[derive(Debug, Clone)]
pub struct NewVisit {
    pub id: String,
    pub grid_code: String,
    pub area_path: String,
    pub household_id: Option<String>,
    pub place_id: Option<String>,
    pub visited_at: i64,
    pub visitor_id: String,
    pub topics: String,
    pub materials: String,
    pub note: String,
    pub created_at: i64,
}

pub fn insert(tx: &mut Tx, v: &NewVisit) {
    tx.queue(
        "INSERT INTO visits (id, grid_code, area_path, household_id, place_id, visited_at, visitor_id, \
         topics, materials, note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        args![
            v.id.as_str(),
            v.grid_code.as_str(),
            v.area_path.as_str(),
            v.household_id.clone(),
            v.place_id.clone(),
            v.visited_at,
            v.visitor_id.as_str(),
            v.topics.as_str(),
            v.materials.as_str(),
            v.note.as_str(),
            v.created_at
        ],
    );
    tx.emit(pingan_domain::sharing::Event {
        event_type: pingan_domain::sharing::EventType::VisitRecorded,
        aggregate_id: v.id.clone(),
        area_path: v.area_path.clone(),
        occurred_at: v.visited_at,
        data: pingan_domain::sharing::object(serde_json::json!({
            "grid_code": v.grid_code,
            "area_path": v.area_path,
            "kind": if v.place_id.is_some() { "place" } else { "household" },
            "topics": v.topics,
            "visited_at": pingan_domain::sharing::rfc3339(v.visited_at),
            "note": v.note,
        })),
    });
}

pub fn issue(tx: &mut Tx, visit_id: &str, seq: i64, kind: &str, object_id: &str) {
    tx.queue(
        "INSERT INTO visit_issues (visit_id, seq, kind, object_id) VALUES (?, ?, ?, ?)",
        args![visit_id, seq, kind, object_id],
    );
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub grid: Option<String>,
    pub visitor: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
}

pub async fn list(db: &Db, s: &Scope, f: &Filter, limit: i64) -> Result<Vec<VisitRow>> {
    let (pred, mut a) = scope::predicate(s, Some("v.area_path"), None);
    let mut sql = format!("{SELECT} WHERE {pred}");
    if let Some(g) = &f.grid {
        sql.push_str(" AND v.grid_code = ?");
        a.push(Value::from(g.as_str()));
    }
    if let Some(u) = &f.visitor {
        sql.push_str(" AND v.visitor_id = ?");
        a.push(Value::from(u.as_str()));
    }
    if let Some(t) = f.from {
        sql.push_str(" AND v.visited_at >= ?");
        a.push(Value::from(t));
    }
    if let Some(t) = f.to {
        sql.push_str(" AND v.visited_at < ?");
        a.push(Value::from(t));
    }
    sql.push_str(" ORDER BY v.visited_at DESC, v.id LIMIT ?");
    a.push(Value::from(limit));
    db.fetch_all(&sql, a).await
}

pub async fn get(db: &Db, s: &Scope, id: &str) -> Result<Option<VisitRow>> {
    let (pred, a) = scope::predicate(s, Some("v.area_path"), None);
    let mut all = args![id];
    all.extend(a);
    db.fetch_optional(&format!("{SELECT} WHERE v.id = ? AND {pred}"), all)
        .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IssueRow {
    pub seq: i64,
    pub kind: String,
    pub object_id: String,
}

pub async fn issues(db: &Db, visit_id: &str) -> Result<Vec<IssueRow>> {
    db.fetch_all(
        "SELECT seq, kind, object_id FROM visit_issues WHERE visit_id = ? ORDER BY seq",
        args![visit_id],
    )
    .await
}

/// The visit that raised an object, if one did.
pub async fn raised_by(db: &Db, kind: &str, object_id: &str) -> Result<Option<String>> {
    let row: Option<(String,)> = db
        .fetch_optional(
            "SELECT visit_id FROM visit_issues WHERE kind = ? AND object_id = ?",
            args![kind, object_id],
        )
        .await?;
    Ok(row.map(|r| r.0))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CoverageRow {
    pub grid_code: String,
    pub grid_name: String,
    pub area_path: String,
    pub households: i64,
    pub households_visited: i64,
    pub places: i64,
    pub places_visited: i64,
    pub visits: i64,
}

/// Per grid in scope: registered households and places, and how many of each were visited in
/// [from, to).
pub async fn coverage(db: &Db, s: &Scope, from: i64, to: i64) -> Result<Vec<CoverageRow>> {
    let (pred, a) = scope::predicate(s, Some("g.area_path"), None);
    let mut all = args![from, to, from, to, from, to];
    all.extend(a);
    db.fetch_all(
        &format!(
            "SELECT g.code AS grid_code, g.name AS grid_name, g.area_path, \
             (SELECT COUNT(*) FROM households h WHERE h.grid_code = g.code) AS households, \
             (SELECT COUNT(DISTINCT v.household_id) FROM visits v WHERE v.grid_code = g.code \
                AND v.household_id IS NOT NULL AND v.visited_at >= ? AND v.visited_at < ?) AS households_visited, \
             (SELECT COUNT(*) FROM places p WHERE p.grid_code = g.code) AS places, \
             (SELECT COUNT(DISTINCT v.place_id) FROM visits v WHERE v.grid_code = g.code \
                AND v.place_id IS NOT NULL AND v.visited_at >= ? AND v.visited_at < ?) AS places_visited, \
             (SELECT COUNT(*) FROM visits v WHERE v.grid_code = g.code AND v.visited_at >= ? AND v.visited_at < ?) AS visits \
             FROM grids g WHERE {pred} ORDER BY g.code LIMIT 5000"
        ),
        all,
    )
    .await
}

/// One household by id, whatever the scope (the caller checks its area path).
pub async fn household_by_id(tx: &mut Tx, id: &str) -> Result<Option<HouseholdRow>> {
    tx.fetch_optional(
        "SELECT id, grid_code, area_path, address, lng, lat FROM households WHERE id = ?",
        args![id],
    )
    .await
}
