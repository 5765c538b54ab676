//! Places (实有单位/场所) and their inspections. A place lies in exactly one grid, derived from its
//! location when it is written; reads are filtered by the grid's area path like every scoped object.

use crate::db::{Db, Tx};
use crate::{Result, StoreError, args, new_id, now_micros, scope};
use pingan_domain::Scope;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PlaceRow {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub address: String,
    pub lng: f64,
    pub lat: f64,
    pub grid_code: String,
    pub area_path: String,
    pub credit_code: Option<String>,
    /// Sealed (SM4-GCM) by the server; the plain columns stay empty.
    pub contact_name_sealed: Option<String>,
    pub contact_phone_sealed: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewPlace {
    pub name: String,
    pub kind: String,
    pub address: String,
    pub lng: f64,
    pub lat: f64,
    pub grid_code: String,
    pub credit_code: Option<String>,
    /// Sealed (SM4-GCM) by the server; the plain columns stay empty.
    pub contact_name_sealed: Option<String>,
    pub contact_phone_sealed: Option<String>,
}

const COLS: &str = "id, name, kind, address, lng, lat, grid_code, area_path, credit_code, contact_name_sealed, contact_phone_sealed";

pub async fn insert(tx: &mut Tx, p: &NewPlace) -> Result<PlaceRow> {
    let grid: Option<(String,)> = tx
        .fetch_optional(
            "SELECT area_path FROM grids WHERE code = ?",
            args![p.grid_code.as_str()],
        )
        .await?;
    let (area_path,) =
        grid.ok_or_else(|| StoreError::Invalid(format!("grid {} does not exist", p.grid_code)))?;
    let id = new_id();
    let now = now_micros();
    tx.execute(
        &format!("INSERT INTO places ({COLS}, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
        args![
            id.clone(),
            p.name.clone(),
            p.kind.clone(),
            p.address.clone(),
            p.lng,
            p.lat,
            p.grid_code.clone(),
            area_path.clone(),
            p.credit_code.clone(),
            p.contact_name_sealed.clone(),
            p.contact_phone_sealed.clone(),
            now,
            now
        ],
    )
    .await?;
    Ok(PlaceRow {
        id,
        name: p.name.clone(),
        kind: p.kind.clone(),
        address: p.address.clone(),
        lng: p.lng,
        lat: p.lat,
        grid_code: p.grid_code.clone(),
        area_path,
        credit_code: p.credit_code.clone(),
        contact_name_sealed: p.contact_name_sealed.clone(),
        contact_phone_sealed: p.contact_phone_sealed.clone(),
    })
}

#[derive(Debug, Clone, Default)]
pub struct PlaceFilter {
    pub grid: Option<String>,
    pub kind: Option<String>,
}

pub async fn list(db: &Db, scope: &Scope, f: &PlaceFilter) -> Result<Vec<PlaceRow>> {
    let (pred, mut a) = scope::predicate(scope, Some("area_path"), None);
    let mut sql = format!("SELECT {COLS} FROM places WHERE {pred}");
    if let Some(g) = &f.grid {
        sql.push_str(" AND grid_code = ?");
        a.push(g.into());
    }
    if let Some(k) = &f.kind {
        sql.push_str(" AND kind = ?");
        a.push(k.into());
    }
    sql.push_str(" ORDER BY grid_code, name LIMIT 5000");
    db.fetch_all(&sql, a).await
}

pub async fn get(db: &Db, scope: &Scope, id: &str) -> Result<Option<PlaceRow>> {
    let (pred, mut a) = scope::predicate(scope, Some("area_path"), None);
    let mut all = args![id];
    all.append(&mut a);
    db.fetch_optional(
        &format!("SELECT {COLS} FROM places WHERE id = ? AND {pred}"),
        all,
    )
    .await
}

pub async fn count_in_grid(db: &Db, grid_code: &str) -> Result<i64> {
    let (n,): (i64,) = db
        .fetch_one(
            "SELECT COUNT(*) FROM places WHERE grid_code = ?",
            args![grid_code],
        )
        .await?;
    Ok(n)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InspectionRow {
    pub id: String,
    pub place_id: String,
    pub kind: String,
    pub inspected_at: i64,
    pub inspector_id: Option<String>,
    pub findings: String,
    pub result: String,
    pub rectify_by: Option<String>,
    pub follows_up: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewInspection {
    pub place_id: String,
    pub kind: String,
    pub inspected_at: i64,
    pub inspector_id: Option<String>,
    pub findings: String,
    pub result: String,
    pub rectify_by: Option<String>,
    pub follows_up: Option<String>,
}

const ICOLS: &str =
    "id, place_id, kind, inspected_at, inspector_id, findings, result, rectify_by, follows_up";

pub async fn add_inspection(tx: &mut Tx, i: &NewInspection) -> Result<String> {
    if let Some(prev) = &i.follows_up {
        let found: Option<(String,)> = tx
            .fetch_optional(
                "SELECT id FROM place_inspections WHERE id = ? AND place_id = ?",
                args![prev.as_str(), i.place_id.as_str()],
            )
            .await?;
        if found.is_none() {
            return Err(StoreError::Invalid(format!(
                "inspection {prev} is not an inspection of this place"
            )));
        }
    }
    let id = new_id();
    tx.execute(
        &format!("INSERT INTO place_inspections ({ICOLS}, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
        args![
            id.clone(),
            i.place_id.clone(),
            i.kind.clone(),
            i.inspected_at,
            i.inspector_id.clone(),
            i.findings.clone(),
            i.result.clone(),
            i.rectify_by.clone(),
            i.follows_up.clone(),
            now_micros()
        ],
    )
    .await?;
    Ok(id)
}

pub async fn inspections(db: &Db, place_id: &str) -> Result<Vec<InspectionRow>> {
    db.fetch_all(
        &format!(
            "SELECT {ICOLS} FROM place_inspections WHERE place_id = ? ORDER BY inspected_at, id"
        ),
        args![place_id],
    )
    .await
}
