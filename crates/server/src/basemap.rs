//! The base map (底图) on an isolated network: an MBTiles or PMTiles file imported into the database
//! (`pingan import basemap FILE`) and served by every server at `/basemap/{z}/{x}/{y}`, beside the
//! internal XYZ/WMTS service a deployment may configure instead (`map.tile_url`, which wins). The demo
//! draws its own from its geography (`demo_basemap`). Maps learn which to use from `tile_url`.

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use pingan_domain::audit::{AuditEntry, AuditOutcome};
use pingan_geo::tiles::{TileFormat, TileId, pmtiles};
use pingan_store::Db;
use pingan_store::basemap::{self, BasemapMeta, Mbtiles};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The deepest zoom a tile may have (a tile address beyond it is a broken file).
const MAX_ZOOM: u8 = 24;

/// Why a file was refused; nothing already imported is touched.
#[derive(Debug, thiserror::Error)]
pub enum BasemapError {
    #[error("cannot read {0}: {1}")]
    Read(String, std::io::Error),
    #[error("{0} is neither an MBTiles (SQLite) nor a PMTiles file")]
    UnknownKind(String),
    #[error("{file}: {problem}")]
    Broken { file: String, problem: String },
    #[error("{0} holds no tiles")]
    Empty(String),
    #[error(transparent)]
    Store(#[from] pingan_store::StoreError),
}

fn broken(file: &str, problem: impl ToString) -> BasemapError {
    BasemapError::Broken {
        file: file.into(),
        problem: problem.to_string(),
    }
}

/// What an import stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    pub meta: BasemapMeta,
}

/// The XYZ template maps should draw: the configured internal service, else the imported base map,
/// else none (the map shows outlines and labels on a plain background).
pub async fn tile_url(state: &AppState) -> String {
    if !state.config.map.tile_url.is_empty() {
        return state.config.map.tile_url.clone();
    }
    match basemap::meta(&state.db).await {
        // Raster images as they are; vector tiles drawn by the page (web/src/vectortiles.ts).
        Ok(Some(m)) if TileFormat::from_mbtiles_format(&m.format) != TileFormat::Unknown => {
            "/basemap/{z}/{x}/{y}".into()
        }
        _ => String::new(),
    }
}

/// Reads `path` (MBTiles or PMTiles, told apart by their first bytes) and replaces the base map with
/// it in one transaction. A broken file is refused before anything is written.
pub async fn import_file(
    db: &Db,
    path: &std::path::Path,
    now: i64,
) -> Result<Imported, BasemapError> {
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().to_string())
        .unwrap_or_else(|| path.display().to_string());
    let mut head = [0u8; 16];
    {
        use std::io::Read;
        let mut f = std::fs::File::open(path).map_err(|e| BasemapError::Read(file.clone(), e))?;
        let n = f
            .read(&mut head)
            .map_err(|e| BasemapError::Read(file.clone(), e))?;
        if n < 7 {
            return Err(BasemapError::UnknownKind(file));
        }
    }
    let (meta, tiles) = if head.starts_with(b"SQLite format 3\0") {
        read_mbtiles(path, &file).await?
    } else if head.starts_with(b"PMTiles") {
        let bytes = std::fs::read(path).map_err(|e| BasemapError::Read(file.clone(), e))?;
        read_pmtiles(&bytes, &file)?
    } else {
        return Err(BasemapError::UnknownKind(file));
    };
    if tiles.is_empty() {
        return Err(BasemapError::Empty(file));
    }
    let meta = BasemapMeta {
        tile_count: tiles.len() as i64,
        imported_at: now,
        ..meta
    };
    store(db, &meta, &tiles).await?;
    Ok(Imported { meta })
}

/// Replaces the base map in one transaction, audited.
pub async fn store(
    db: &Db,
    meta: &BasemapMeta,
    tiles: &[(u8, u32, u32, Vec<u8>)],
) -> Result<(), BasemapError> {
    let mut tx = db.begin().await?;
    basemap::clear(&mut tx).await?;
    basemap::insert_tiles(&mut tx, tiles).await?;
    basemap::set_meta(&mut tx, meta).await?;
    tx.commit_audited(vec![AuditEntry {
        at: meta.imported_at,
        actor_id: None,
        actor_name: "cli".into(),
        action: "basemap.import".into(),
        object_type: "basemap".into(),
        object_id: None,
        outcome: AuditOutcome::Ok,
        purpose: None,
        ip: None,
        detail: serde_json::json!({"source": meta.source, "format": meta.format,
            "tiles": meta.tile_count, "synthetic": meta.synthetic})
        .to_string(),
    }])
    .await?;
    Ok(())
}

type Tiles = Vec<(u8, u32, u32, Vec<u8>)>;

async fn read_mbtiles(
    path: &std::path::Path,
    file: &str,
) -> Result<(BasemapMeta, Tiles), BasemapError> {
    let mb = Mbtiles::open(path).await.map_err(|e| broken(file, e))?;
    let md: std::collections::HashMap<String, String> = mb
        .metadata()
        .await
        .map_err(|e| broken(file, e))?
        .into_iter()
        .collect();
    let mut tiles = Vec::new();
    let mut after = None;
    loop {
        let batch = mb
            .tiles_after(after, 1000)
            .await
            .map_err(|e| broken(file, e))?;
        let Some(last) = batch.last() else { break };
        after = Some((last.0, last.1, last.2));
        for (z, x, row, data) in batch {
            let (z, x, y) = xyz_of_tms(z, x, row).ok_or_else(|| {
                broken(
                    file,
                    format!("tile {z}/{x}/{row} is outside its zoom level"),
                )
            })?;
            tiles.push((z, x, y, data));
        }
    }
    let format = match md.get("format").map(|f| f.trim().to_ascii_lowercase()) {
        Some(f) => match TileFormat::from_mbtiles_format(&f) {
            TileFormat::Unknown => return Err(broken(file, format!("unknown tile format `{f}`"))),
            t => format_code(t),
        },
        None => tiles
            .first()
            .map(|t| format_code(TileFormat::sniff(&t.3)))
            .unwrap_or("png"),
    };
    let compression = if tiles
        .first()
        .is_some_and(|t| t.3.starts_with(&[0x1f, 0x8b]))
    {
        "gzip"
    } else {
        "none"
    };
    let (min_zoom, max_zoom) = zoom_range(&tiles);
    let (west, south, east, north) = md
        .get("bounds")
        .and_then(|b| parse_bounds(b))
        .unwrap_or_else(|| bounds_of(&tiles));
    Ok((
        BasemapMeta {
            name: md.get("name").cloned().unwrap_or_else(|| file.into()),
            format: format.into(),
            compression: compression.into(),
            min_zoom,
            max_zoom,
            west,
            south,
            east,
            north,
            attribution: md.get("attribution").cloned().unwrap_or_default(),
            source: file.into(),
            synthetic: false,
            tile_count: 0,
            imported_at: 0,
        },
        tiles,
    ))
}

fn read_pmtiles(bytes: &[u8], file: &str) -> Result<(BasemapMeta, Tiles), BasemapError> {
    let a = pmtiles::Archive::parse(bytes).map_err(|e| broken(file, e))?;
    let format = match a.tile_type() {
        TileFormat::Unknown => return Err(broken(file, "the archive does not say its tile type")),
        t => format_code(t),
    };
    let tiles: Tiles = a
        .tiles()
        .map_err(|e| broken(file, e))?
        .into_iter()
        .map(|(t, d)| (t.z, t.x, t.y, d.to_vec()))
        .collect();
    if let Some(t) = tiles.iter().find(|t| t.0 > MAX_ZOOM) {
        return Err(broken(
            file,
            format!("tile at zoom {} is deeper than {MAX_ZOOM}", t.0),
        ));
    }
    let (min_zoom, max_zoom) = zoom_range(&tiles);
    let b = a.bounds();
    let name = serde_json::from_str::<serde_json::Value>(&a.metadata_json().unwrap_or_default())
        .ok()
        .and_then(|m| m.get("name").and_then(|n| n.as_str()).map(String::from))
        .unwrap_or_else(|| file.into());
    Ok((
        BasemapMeta {
            name,
            format: format.into(),
            compression: if a.tile_compression_is_gzip() {
                "gzip"
            } else {
                "none"
            }
            .into(),
            min_zoom,
            max_zoom,
            west: b.west,
            south: b.south,
            east: b.east,
            north: b.north,
            attribution: String::new(),
            source: file.into(),
            synthetic: false,
            tile_count: 0,
            imported_at: 0,
        },
        tiles,
    ))
}

fn format_code(t: TileFormat) -> &'static str {
    match t {
        TileFormat::Png => "png",
        TileFormat::Jpeg => "jpg",
        TileFormat::Webp => "webp",
        TileFormat::Mvt => "pbf",
        TileFormat::Unknown => "unknown",
    }
}

/// An MBTiles (TMS) address as XYZ; `None` when it cannot exist at its zoom.
fn xyz_of_tms(z: i64, x: i64, row: i64) -> Option<(u8, u32, u32)> {
    let z = u8::try_from(z).ok().filter(|z| *z <= MAX_ZOOM)?;
    let n = 1i64 << z;
    if !(0..n).contains(&x) || !(0..n).contains(&row) {
        return None;
    }
    Some((z, x as u32, (n - 1 - row) as u32))
}

fn zoom_range(tiles: &Tiles) -> (i64, i64) {
    let zs = tiles.iter().map(|t| i64::from(t.0));
    (zs.clone().min().unwrap_or(0), zs.max().unwrap_or(0))
}

fn parse_bounds(s: &str) -> Option<(f64, f64, f64, f64)> {
    let v: Vec<f64> = s
        .split(',')
        .map(|p| p.trim().parse().ok())
        .collect::<Option<_>>()?;
    match v[..] {
        [w, s, e, n] if w < e && s < n => Some((w, s, e, n)),
        _ => None,
    }
}

/// The area the deepest zoom's tiles cover.
fn bounds_of(tiles: &Tiles) -> (f64, f64, f64, f64) {
    let max = tiles.iter().map(|t| t.0).max().unwrap_or(0);
    tiles
        .iter()
        .filter(|t| t.0 == max)
        .map(|t| {
            TileId {
                z: t.0,
                x: t.1,
                y: t.2,
            }
            .bounds()
        })
        .fold((180.0, 90.0, -180.0, -90.0), |a, b| {
            (
                a.0.min(b.west),
                a.1.min(b.south),
                a.2.max(b.east),
                a.3.max(b.north),
            )
        })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BasemapInfo {
    /// Where maps take their tiles from (an XYZ template; empty = no base layer).
    pub tile_url: String,
    /// The imported base map, if any.
    pub name: Option<String>,
    /// png, jpg, webp or pbf.
    pub format: Option<String>,
    pub min_zoom: Option<i64>,
    pub max_zoom: Option<i64>,
    /// west, south, east, north (WGS-84).
    pub bounds: Option<[f64; 4]>,
    pub attribution: Option<String>,
    /// Drawn by the demo from its own geography, not surveyed.
    pub synthetic: bool,
}

/// Which base map the product's maps show.
#[utoipa::path(get, path = "/api/v1/basemap", tag = "maps", security(()),
    responses((status = 200, description = "OK", body = BasemapInfo)))]
async fn info(State(state): State<AppState>) -> ApiResult<Json<BasemapInfo>> {
    let m = basemap::meta(&state.db).await?;
    Ok(Json(BasemapInfo {
        tile_url: tile_url(&state).await,
        name: m.as_ref().map(|m| m.name.clone()),
        format: m.as_ref().map(|m| m.format.clone()),
        min_zoom: m.as_ref().map(|m| m.min_zoom),
        max_zoom: m.as_ref().map(|m| m.max_zoom),
        bounds: m.as_ref().map(|m| [m.west, m.south, m.east, m.north]),
        attribution: m.as_ref().map(|m| m.attribution.clone()),
        synthetic: m.is_some_and(|m| m.synthetic),
    }))
}

/// One tile of the imported base map (XYZ scheme; vector tiles keep their gzip encoding).
#[utoipa::path(get, path = "/basemap/{z}/{x}/{y}", tag = "maps", security(()),
    params(("z" = u8, Path), ("x" = u32, Path), ("y" = String, Path, description = "Row, optionally with an extension (.png)")),
    responses((status = 200, description = "The tile; a transparent PNG where a raster map has none (header x-pingan-tile: empty)"),
        (status = 204, description = "A vector map has no tile there"), (status = 404, description = "No base map is imported", body = ErrorBody)))]
async fn tile(
    State(state): State<AppState>,
    Path((z, x, y)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let num = |s: &str| s.split('.').next().and_then(|n| n.parse::<i64>().ok());
    let (Some(z), Some(x), Some(y)) = (num(&z), num(&x), num(&y)) else {
        return Err(ApiError::NotFound);
    };
    let Some(meta) = basemap::meta(&state.db).await? else {
        return Err(ApiError::NotFound);
    };
    let Some(data) = basemap::tile(&state.db, z, x, y).await? else {
        // Outside the map's coverage: an empty tile, so the map shows plain ground rather than
        // broken images (and the browser logs no failed loads).
        return Ok(match meta.format.as_str() {
            "png" | "jpg" | "webp" => {
                let mut r = (StatusCode::OK, blank()).into_response();
                let h = r.headers_mut();
                h.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/png"));
                h.insert(
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=3600"),
                );
                h.insert("x-pingan-tile", HeaderValue::from_static("empty"));
                r
            }
            _ => StatusCode::NO_CONTENT.into_response(),
        });
    };
    let mut r = (StatusCode::OK, data).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(TileFormat::from_mbtiles_format(&meta.format).content_type()),
    );
    // Tiles change only with an import; an hour keeps panning fast without pinning an old map.
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    if meta.compression == "gzip" {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    Ok(r)
}

/// The transparent tile, made once.
fn blank() -> Vec<u8> {
    static BLANK: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BLANK
        .get_or_init(pingan_geo::tiles::render::blank_png)
        .clone()
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(info))
        .routes(routes!(tile))
}

/// The demo's base map, drawn from its own geography and labelled as synthetic: each village's grids
/// in its own pale colour, roads along the grid edges (from zoom 13), a trunk road linking the
/// villages, and a river across the district. Zooms 10–15 over the district. Replaces any base map.
pub async fn demo_basemap(db: &Db, now: i64) -> Result<Imported, BasemapError> {
    use pingan_geo::tiles::render::{Area, Line, Rgb, Sketch};
    const PALE: [Rgb; 6] = [
        Rgb(236, 242, 226),
        Rgb(242, 238, 222),
        Rgb(228, 238, 236),
        Rgb(240, 232, 232),
        Rgb(232, 236, 244),
        Rgb(244, 240, 228),
    ];
    let shapes = basemap::grid_shapes(db).await?;
    let mut sketch = Sketch::default();
    let mut villages: Vec<(String, (f64, f64, usize))> = Vec::new();
    let (mut w, mut s, mut e, mut n) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for (_, village, geometry) in &shapes {
        let rings = exterior_rings(geometry);
        let vi = match villages.iter().position(|(v, _)| v == village) {
            Some(i) => i,
            None => {
                villages.push((village.clone(), (0.0, 0.0, 0)));
                villages.len() - 1
            }
        };
        for ring in rings {
            for &(x, y) in &ring {
                (w, s, e, n) = (w.min(x), s.min(y), e.max(x), n.max(y));
                let c = &mut villages[vi].1;
                (c.0, c.1, c.2) = (c.0 + x, c.1 + y, c.2 + 1);
            }
            sketch.areas.push(Area {
                ring: ring.clone(),
                fill: PALE[vi % PALE.len()],
                outline: None,
                min_zoom: 0,
            });
            sketch.lines.push(Line {
                points: ring.iter().copied().chain(ring.first().copied()).collect(),
                colour: Rgb(255, 255, 255),
                width_px: 3.0,
                min_zoom: 13,
            });
        }
    }
    if shapes.is_empty() || w >= e {
        return Err(BasemapError::Empty("the demo district".into()));
    }
    // A river meandering west to east across the middle of the district.
    let river: Vec<(f64, f64)> = (0..=60)
        .map(|i| {
            let t = f64::from(i) / 60.0;
            (
                w + (e - w) * t,
                s + (n - s) * (0.45 + 0.12 * (t * 9.0).sin()),
            )
        })
        .collect();
    sketch.lines.push(Line {
        points: river,
        colour: Rgb(150, 190, 230),
        width_px: 7.0,
        min_zoom: 0,
    });
    // A trunk road through the village centres, west to east.
    let mut centres: Vec<(f64, f64)> = villages
        .iter()
        .filter(|(_, c)| c.2 > 0)
        .map(|(_, c)| (c.0 / c.2 as f64, c.1 / c.2 as f64))
        .collect();
    centres.sort_by(|a, b| a.0.total_cmp(&b.0));
    sketch.lines.push(Line {
        points: centres,
        colour: Rgb(246, 214, 120),
        width_px: 5.0,
        min_zoom: 0,
    });
    let bounds = pingan_geo::tiles::LngLatBox {
        west: w,
        south: s,
        east: e,
        north: n,
    };
    let background = Rgb(226, 224, 218);
    let tiles: Tiles = (10u8..=15)
        .flat_map(|z| pingan_geo::tiles::tiles_covering(&bounds, z).collect::<Vec<_>>())
        .map(|t| (t.z, t.x, t.y, sketch.render(t, background)))
        .collect();
    let meta = BasemapMeta {
        name: "演示辖区合成底图（非实测）".into(),
        format: "png".into(),
        compression: "none".into(),
        min_zoom: 10,
        max_zoom: 15,
        west: w,
        south: s,
        east: e,
        north: n,
        attribution: "合成底图，按演示辖区网格生成，非实测 · Synthetic, not surveyed".into(),
        source: "demo".into(),
        synthetic: true,
        tile_count: tiles.len() as i64,
        imported_at: now,
    };
    store(db, &meta, &tiles).await?;
    Ok(Imported { meta })
}

/// The outer rings of a GeoJSON Polygon or MultiPolygon (anything else: none).
fn exterior_rings(geometry: &str) -> Vec<Vec<(f64, f64)>> {
    let Ok(g) = serde_json::from_str::<serde_json::Value>(geometry) else {
        return Vec::new();
    };
    let ring = |r: &serde_json::Value| -> Vec<(f64, f64)> {
        r.as_array()
            .map(|pts| {
                pts.iter()
                    .filter_map(|p| Some((p.get(0)?.as_f64()?, p.get(1)?.as_f64()?)))
                    .collect()
            })
            .unwrap_or_default()
    };
    let c = &g["coordinates"];
    match g["type"].as_str() {
        Some("Polygon") => c.get(0).map(ring).into_iter().collect(),
        Some("MultiPolygon") => c
            .as_array()
            .map(|ps| ps.iter().filter_map(|p| p.get(0)).map(ring).collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}
