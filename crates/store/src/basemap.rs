//! The base map (底图) imported from an MBTiles or PMTiles file: its tiles by XYZ address and one row
//! describing them. Kept in the database, so every server of a deployment serves the same map and an
//! import replaces it in one transaction (readers see the old map or the new one, never half).

use crate::db::{Db, Tx, Value};
use crate::{Result, args};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct BasemapMeta {
    pub name: String,
    /// png, jpg, webp or pbf (vector tiles).
    pub format: String,
    /// none or gzip: how each stored tile's bytes are compressed (vector tiles usually gzip).
    pub compression: String,
    pub min_zoom: i64,
    pub max_zoom: i64,
    pub west: f64,
    pub south: f64,
    pub east: f64,
    pub north: f64,
    pub attribution: String,
    /// The file it came from (its name only).
    pub source: String,
    /// Made by the demo from its own geography, not a survey.
    pub synthetic: bool,
    pub tile_count: i64,
    pub imported_at: i64,
}

/// What is imported, if anything.
pub async fn meta(db: &Db) -> Result<Option<BasemapMeta>> {
    db.fetch_optional(
        "SELECT name, format, compression, min_zoom, max_zoom, west, south, east, north, attribution, \
         source, synthetic, tile_count, imported_at FROM basemap WHERE id = 1",
        args![],
    )
    .await
}

/// One tile's bytes (as stored: a gzip-compressed vector tile stays compressed).
pub async fn tile(db: &Db, z: i64, x: i64, y: i64) -> Result<Option<Vec<u8>>> {
    let r: Option<(Vec<u8>,)> = db
        .fetch_optional(
            "SELECT data FROM basemap_tiles WHERE z = ? AND x = ? AND y = ?",
            args![z, x, y],
        )
        .await?;
    Ok(r.map(|(d,)| d))
}

/// Empties the base map in `tx` (the first step of a replacement).
pub async fn clear(tx: &mut Tx) -> Result<()> {
    tx.execute("DELETE FROM basemap_tiles", args![]).await?;
    tx.execute("DELETE FROM basemap", args![]).await?;
    Ok(())
}

/// Adds tiles in `tx`, a few hundred per statement.
pub async fn insert_tiles(tx: &mut Tx, tiles: &[(u8, u32, u32, Vec<u8>)]) -> Result<()> {
    for chunk in tiles.chunks(200) {
        let mut sql = String::from("INSERT INTO basemap_tiles (z, x, y, data) VALUES ");
        let mut a: Vec<Value> = Vec::with_capacity(chunk.len() * 4);
        for (i, (z, x, y, data)) in chunk.iter().enumerate() {
            sql.push_str(if i == 0 {
                "(?, ?, ?, ?)"
            } else {
                ", (?, ?, ?, ?)"
            });
            a.push(i64::from(*z).into());
            a.push(i64::from(*x).into());
            a.push(i64::from(*y).into());
            a.push(Value::Bytes(data.clone()));
        }
        // A file may list one address twice (MBTiles without its unique index): the last one holds.
        sql.push_str(" ON CONFLICT (z, x, y) DO UPDATE SET data = excluded.data");
        tx.execute(&sql, a).await?;
    }
    Ok(())
}

/// Writes the description (after the tiles, in the same transaction).
pub async fn set_meta(tx: &mut Tx, m: &BasemapMeta) -> Result<()> {
    tx.execute(
        "INSERT INTO basemap (id, name, format, compression, min_zoom, max_zoom, west, south, east, north, \
         attribution, source, synthetic, tile_count, imported_at) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        args![
            m.name.as_str(),
            m.format.as_str(),
            m.compression.as_str(),
            m.min_zoom,
            m.max_zoom,
            m.west,
            m.south,
            m.east,
            m.north,
            m.attribution.as_str(),
            m.source.as_str(),
            m.synthetic,
            m.tile_count,
            m.imported_at
        ],
    )
    .await?;
    Ok(())
}

/// An MBTiles file (a SQLite database with `metadata` and `tiles`, rows in the TMS scheme), read as it
/// is: opened read-only, nothing written.
pub struct Mbtiles {
    db: Db,
}

/// One stored tile of an MBTiles file: zoom, column, TMS row, bytes.
pub type MbtilesTile = (i64, i64, i64, Vec<u8>);

impl Mbtiles {
    /// Opens the file; an error when it is not SQLite or lacks the MBTiles tables.
    pub async fn open(path: &std::path::Path) -> Result<Mbtiles> {
        let db = Db::open_sqlite_read_only(path).await?;
        let found: Vec<(String,)> = db
            .fetch_all(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name IN ('metadata', 'tiles')",
                args![],
            )
            .await?;
        if found.len() < 2 {
            return Err(crate::StoreError::Invalid(
                "not an MBTiles file: it needs the tables (or views) metadata and tiles".into(),
            ));
        }
        Ok(Mbtiles { db })
    }

    /// The `metadata` table (name → value): format, bounds, minzoom, maxzoom, name, attribution, ….
    pub async fn metadata(&self) -> Result<Vec<(String, String)>> {
        self.db
            .fetch_all("SELECT name, value FROM metadata", args![])
            .await
    }

    /// Up to `limit` tiles after the key `after` (zoom, column, row), in key order.
    pub async fn tiles_after(
        &self,
        after: Option<(i64, i64, i64)>,
        limit: i64,
    ) -> Result<Vec<MbtilesTile>> {
        let (z, x, y) = after.unwrap_or((-1, -1, -1));
        self.db
            .fetch_all(
                "SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles \
                 WHERE (zoom_level, tile_column, tile_row) > (?, ?, ?) \
                 ORDER BY zoom_level, tile_column, tile_row LIMIT ?",
                args![z, x, y, limit],
            )
            .await
    }
}

/// Every grid's outline (GeoJSON geometry) with its village: what the demo's base map is drawn from.
pub async fn grid_shapes(db: &Db) -> Result<Vec<(String, String, String)>> {
    db.fetch_all(
        "SELECT code, village_code, geometry FROM grids ORDER BY code",
        args![],
    )
    .await
}
