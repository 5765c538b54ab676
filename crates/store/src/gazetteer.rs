//! The names a map search looks through (地名检索): areas, grids, and — for staff — places, cameras and
//! the addresses of recent incidents, each with a point to fly to and the area path it lies in.

use crate::db::Db;
use crate::{Result, args};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AreaName {
    pub code: String,
    pub level: String,
    pub name: String,
    pub path: String,
    pub parent_name: Option<String>,
    pub min_x: Option<f64>,
    pub min_y: Option<f64>,
    pub max_x: Option<f64>,
    pub max_y: Option<f64>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GridName {
    pub code: String,
    pub name: String,
    pub area_path: String,
    pub village_name: Option<String>,
    pub min_x: f64,
    pub min_y: f64,
    pub max_x: f64,
    pub max_y: f64,
}

/// A named point: a place, a camera or an incident's address.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PointName {
    pub id: String,
    pub name: String,
    pub detail: Option<String>,
    pub lng: f64,
    pub lat: f64,
    pub area_path: String,
}

pub async fn areas(db: &Db) -> Result<Vec<AreaName>> {
    db.fetch_all(
        "SELECT a.code, a.level, a.name, a.path, p.name AS parent_name, s.min_x, s.min_y, s.max_x, s.max_y \
         FROM areas a LEFT JOIN areas p ON p.code = a.parent_code LEFT JOIN area_shapes s ON s.code = a.code",
        args![],
    )
    .await
}

pub async fn grids(db: &Db) -> Result<Vec<GridName>> {
    db.fetch_all(
        "SELECT g.code, g.name, g.area_path, v.name AS village_name, g.min_x, g.min_y, g.max_x, g.max_y \
         FROM grids g LEFT JOIN areas v ON v.code = g.village_code",
        args![],
    )
    .await
}

pub async fn places(db: &Db) -> Result<Vec<PointName>> {
    db.fetch_all(
        "SELECT id, name, address AS detail, lng, lat, area_path FROM places",
        args![],
    )
    .await
}

pub async fn cameras(db: &Db) -> Result<Vec<PointName>> {
    db.fetch_all(
        "SELECT code AS id, name, code AS detail, lng, lat, area_path FROM cameras",
        args![],
    )
    .await
}

/// Addresses of incidents received since `since`, newest first (the caller keeps one per address).
pub async fn incident_addresses(db: &Db, since: i64, limit: i64) -> Result<Vec<PointName>> {
    db.fetch_all(
        "SELECT id, address AS name, NULL AS detail, lng, lat, area_path FROM incidents \
         WHERE received_at >= ? ORDER BY received_at DESC LIMIT ?",
        args![since, limit],
    )
    .await
}
