//! Areas (区县 → 乡镇街道 → 村社区) with their official codes, and their outline polygons. Codes are
//! validated by the domain types before anything is written; reads are filtered by the caller's scope.

use crate::db::{Db, Tx};
use crate::{Result, StoreError, args, now_micros, scope};
use pingan_domain::area::{AreaCode, area_path};
use pingan_domain::{AreaLevel, Scope};

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, PartialEq)]
pub struct AreaRow {
    pub code: String,
    pub parent_code: Option<String>,
    pub level: String,
    pub name: String,
    pub path: String,
    pub area_type: String,
    pub valid_from: String,
}

#[derive(Debug, Clone)]
pub struct NewArea {
    pub code: AreaCode,
    pub parent: Option<AreaCode>,
    pub name: String,
    /// urban / suburban / rural: response-time targets depend on it.
    pub area_type: String,
    pub valid_from: String,
}

const COLS: &str = "code, parent_code, level, name, path, area_type, valid_from";

pub async fn insert(tx: &mut Tx, a: &NewArea) -> Result<AreaRow> {
    a.code
        .check_parent(a.parent.as_ref())
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
    if let Some(p) = &a.parent {
        let exists: Option<(String,)> = tx
            .fetch_optional("SELECT code FROM areas WHERE code = ?", args![p.as_str()])
            .await?;
        if exists.is_none() {
            return Err(StoreError::Invalid(format!(
                "parent area {p} does not exist"
            )));
        }
    }
    if a.name.trim().is_empty() {
        return Err(StoreError::Invalid("area name is empty".into()));
    }
    let now = now_micros();
    let row = AreaRow {
        code: a.code.to_string(),
        parent_code: a.parent.as_ref().map(|p| p.to_string()),
        level: a.code.level().code().to_string(),
        name: a.name.trim().to_string(),
        path: area_path(&a.code),
        area_type: a.area_type.clone(),
        valid_from: a.valid_from.clone(),
    };
    tx.execute(
        &format!(
            "INSERT INTO areas ({COLS}, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ),
        args![
            row.code.clone(),
            row.parent_code.clone(),
            row.level.clone(),
            row.name.clone(),
            row.path.clone(),
            row.area_type.clone(),
            row.valid_from.clone(),
            now,
            now
        ],
    )
    .await?;
    Ok(row)
}

/// One area, if it exists and is in scope (otherwise `None`: the caller answers 404 either way).
pub async fn get(db: &Db, scope: &Scope, code: &str) -> Result<Option<AreaRow>> {
    let (pred, mut a) = scope::predicate(scope, Some("path"), None);
    let mut all = args![code];
    all.append(&mut a);
    db.fetch_optional(
        &format!("SELECT {COLS} FROM areas WHERE code = ? AND {pred}"),
        all,
    )
    .await
}

/// Areas in scope, optionally only the children of `parent`, ordered by code.
pub async fn list(
    db: &Db,
    scope: &Scope,
    parent: Option<&str>,
    level: Option<AreaLevel>,
) -> Result<Vec<AreaRow>> {
    let (pred, sa) = scope::predicate(scope, Some("path"), None);
    let mut sql = format!("SELECT {COLS} FROM areas WHERE {pred}");
    let mut a = sa;
    if let Some(p) = parent {
        sql.push_str(" AND parent_code = ?");
        a.push(p.into());
    }
    if let Some(l) = level {
        sql.push_str(" AND level = ?");
        a.push(l.code().into());
    }
    sql.push_str(" ORDER BY code");
    db.fetch_all(&sql, a).await
}

/// Unscoped lookup for internal use (path computation, demo seeding).
pub async fn get_unscoped(tx: &mut Tx, code: &str) -> Result<Option<AreaRow>> {
    tx.fetch_optional(
        &format!("SELECT {COLS} FROM areas WHERE code = ?"),
        args![code],
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct AreaShapeRow {
    pub code: String,
    pub geometry: String,
}

/// Stores (or replaces) an area's outline as GeoJSON geometry text with its bounding box.
pub async fn put_shape(tx: &mut Tx, code: &str, geometry_json: &str, bbox: [f64; 4]) -> Result<()> {
    tx.execute("DELETE FROM area_shapes WHERE code = ?", args![code])
        .await?;
    tx.execute(
        "INSERT INTO area_shapes (code, geometry, min_x, min_y, max_x, max_y) VALUES (?, ?, ?, ?, ?, ?)",
        args![code, geometry_json, bbox[0], bbox[1], bbox[2], bbox[3]],
    )
    .await?;
    Ok(())
}

pub async fn shapes(db: &Db, scope: &Scope) -> Result<Vec<AreaShapeRow>> {
    let (pred, a) = scope::predicate(scope, Some("a.path"), None);
    db.fetch_all(
        &format!("SELECT s.code, s.geometry FROM area_shapes s JOIN areas a ON a.code = s.code WHERE {pred} ORDER BY s.code"),
        a,
    )
    .await
}

/// Every area code with its path (imports check parents against it; not scope-filtered).
pub async fn all_codes(db: &Db) -> Result<Vec<(String, String)>> {
    db.fetch_all("SELECT code, path FROM areas ORDER BY code", crate::args![])
        .await
}

/// Renames or re-dates an existing area (codes are stable; names and validity change yearly).
pub async fn update(
    tx: &mut Tx,
    code: &str,
    name: &str,
    area_type: &str,
    valid_from: &str,
) -> Result<u64> {
    tx.execute(
        "UPDATE areas SET name = ?, area_type = ?, valid_from = ?, updated_at = ? WHERE code = ?",
        args![name, area_type, valid_from, now_micros(), code],
    )
    .await
}

/// One area's outline, unscoped (imports check grids against their village).
pub async fn shape(db: &Db, code: &str) -> Result<Option<AreaShapeRow>> {
    db.fetch_optional(
        "SELECT code, geometry FROM area_shapes WHERE code = ?",
        args![code],
    )
    .await
}
