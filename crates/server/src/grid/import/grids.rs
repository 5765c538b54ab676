//! `pingan import grids FILE.geojson [--crs gcj02|bd09]`: a FeatureCollection of Polygon/MultiPolygon
//! features with properties `code` (15-digit grid code), `name` and optionally `kind` (basic/dedicated).
//! Each feature is checked: its code, that its village exists, its geometry (unclosed rings,
//! self-intersections, holes outside shells …). Then sibling grids (same village) are checked for
//! overlaps, and each village for area that no grid covers. Overlaps and gaps are measured in m² in a
//! local transverse-Mercator projection and located by a longitude/latitude inside them.
//! Bad features block the whole import unless `--skip-bad`; gaps are reported but do not block.

use super::{ImportActor, ImportError, ImportOptions, ImportReport, RowError};
use geo::{BoundingRect, MapCoords, MultiPolygon};
use pingan_domain::{GridCode, Scope, ScopeGrant, ScopeKind};
use pingan_geo::{
    Crs, PolygonFeature, Projection, gaps_within, overlaps, parse_polygon_layer, to_wgs84,
};
use pingan_store::{Db, areas, grids};
use std::collections::{BTreeMap, HashSet};

/// Overlaps or gaps smaller than this many m² are digitising noise, not findings.
const MIN_AREA_M2: f64 = 1.0;

/// An area of a village that no grid covers.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Gap {
    pub village: String,
    pub area_m2: f64,
    /// `[lng, lat]` inside the gap.
    pub at: [f64; 2],
}

#[derive(Debug, Default, serde::Serialize)]
pub struct GridImportReport {
    pub report: ImportReport,
    pub gaps: Vec<Gap>,
}

/// A feature that passed its own checks: the grid to write and its shape in WGS-84.
pub struct Candidate {
    /// 0-based position in the layer.
    pub feature: usize,
    pub grid: grids::NewGrid,
    pub shape: MultiPolygon<f64>,
}

fn err(feature: usize, column: &str, message: impl Into<String>) -> RowError {
    // Features are numbered from 1 for people; the column is the property (or `geometry`).
    RowError {
        unit: "feature",
        row: feature + 1,
        column: column.into(),
        message: message.into(),
    }
}

fn wgs84(shape: &MultiPolygon<f64>, crs: Crs) -> MultiPolygon<f64> {
    shape.map_coords(|c| {
        let (x, y) = to_wgs84(crs, c.x, c.y);
        geo::coord! { x: x, y: y }
    })
}

/// Every coordinate a longitude in [-180, 180] and a latitude in [-90, 90] (so finite).
fn in_degrees(shape: &MultiPolygon<f64>) -> bool {
    use geo::CoordsIter;
    shape
        .coords_iter()
        .all(|c| (-180.0..=180.0).contains(&c.x) && (-90.0..=90.0).contains(&c.y))
}

fn whole_system() -> Scope {
    Scope::new(vec![ScopeGrant {
        kind: ScopeKind::Area,
        path: "/".into(),
    }])
}

fn fmt_at(p: [f64; 2]) -> String {
    format!("{:.6},{:.6}", p[0], p[1])
}

/// The features of a grid layer (GeoJSON text), each with its geometry problems; an error only when
/// the text is not a layer at all.
pub fn read_layer(geojson: &str) -> Result<Vec<PolygonFeature>, ImportError> {
    parse_polygon_layer(geojson, "code")
        .map_err(|e| ImportError::Read("GeoJSON".into(), e.to_string()))
}

/// Checks each feature on its own: code, village (`villages`: those the importer may write to),
/// geometry, name and kind; converts good shapes from `crs` to WGS-84. No database needed.
pub fn check_features(
    features: Vec<PolygonFeature>,
    crs: Crs,
    villages: &HashSet<String>,
) -> (Vec<Candidate>, Vec<RowError>) {
    let mut bad = Vec::new();
    let mut good: Vec<Candidate> = Vec::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for f in features {
        let code = match GridCode::parse(&f.id) {
            Ok(c) => c,
            Err(e) => {
                bad.push(err(f.index, "code", e.to_string()));
                continue;
            }
        };
        if let Some(first) = seen.insert(code.to_string(), f.index) {
            bad.push(err(
                f.index,
                "code",
                format!("{code} already used by feature {}", first + 1),
            ));
            continue;
        }
        if !villages.contains(code.village().as_str()) {
            bad.push(err(
                f.index,
                "code",
                format!(
                    "village {} of grid {code} is not in the area tree",
                    code.village()
                ),
            ));
            continue;
        }
        if let Some(p) = f.problems.first() {
            let more = if f.problems.len() > 1 {
                format!(" (+{} more)", f.problems.len() - 1)
            } else {
                String::new()
            };
            let at = p
                .location()
                .map(|a| {
                    let (x, y) = to_wgs84(crs, a[0], a[1]);
                    format!(" at {}", fmt_at([x, y]))
                })
                .unwrap_or_default();
            bad.push(err(
                f.index,
                "geometry",
                format!("grid {code}: {p}{at}{more}"),
            ));
            continue;
        }
        let name = f
            .properties
            .get("name")
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .trim()
            .to_string();
        if name.is_empty() || name.chars().count() > 100 {
            bad.push(err(
                f.index,
                "name",
                format!("grid {code}: name must be 1–100 characters"),
            ));
            continue;
        }
        let kind = match f
            .properties
            .get("kind")
            .and_then(|v| v.as_str())
            .unwrap_or("basic")
        {
            k @ ("basic" | "dedicated") => k.to_string(),
            k => {
                bad.push(err(
                    f.index,
                    "kind",
                    format!("grid {code}: kind `{k}` is not basic or dedicated"),
                ));
                continue;
            }
        };
        // Finite but huge numbers pass the geometry checks; converted they give NaN, which would be
        // stored as `null` and make the grid unreadable. Only degrees, before and after conversion.
        if !in_degrees(&f.geometry) {
            bad.push(err(
                f.index,
                "geometry",
                format!("grid {code}: coordinates must be longitude/latitude in degrees"),
            ));
            continue;
        }
        let shape = wgs84(&f.geometry, crs);
        if !in_degrees(&shape) {
            bad.push(err(
                f.index,
                "geometry",
                format!(
                    "grid {code}: coordinates cannot be converted from {}",
                    crs.as_str()
                ),
            ));
            continue;
        }
        let Some(r) = shape.bounding_rect() else {
            bad.push(err(
                f.index,
                "geometry",
                format!("grid {code}: empty geometry"),
            ));
            continue;
        };
        let geometry_json =
            serde_json::to_string(&geojson::Geometry::from(&shape)).unwrap_or_default();
        let grid = grids::NewGrid {
            code,
            name,
            kind,
            geometry_json,
            bbox: [r.min().x, r.min().y, r.max().x, r.max().y],
        };
        good.push(Candidate {
            feature: f.index,
            grid,
            shape,
        });
    }
    (good, bad)
}

/// Checks the layer; returns the good grids, the bad features and the gaps.
async fn plan(
    db: &Db,
    geojson: &str,
    crs: Crs,
    scope: &Scope,
) -> Result<(Vec<Candidate>, Vec<RowError>, Vec<Gap>), ImportError> {
    let features = read_layer(geojson)?;
    // Villages the importer may write to: those in the tree and in their scope.
    let villages: HashSet<String> = areas::all_codes(db)
        .await?
        .into_iter()
        .filter(|(c, path)| c.len() == 12 && scope.covers_area_path(path))
        .map(|(c, _)| c)
        .collect();
    let (good, mut bad) = check_features(features, crs, &villages);
    // Overlaps between siblings, in metres.
    let mut by_village: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, c) in good.iter().enumerate() {
        by_village
            .entry(c.grid.code.village().to_string())
            .or_default()
            .push(i);
    }
    let in_file: HashSet<String> = good.iter().map(|c| c.grid.code.to_string()).collect();
    let mut overlapping: HashSet<usize> = HashSet::new();
    let mut gaps = Vec::new();
    for (village, members) in &by_village {
        let lng = good[members[0]].grid.bbox[0];
        let proj = Projection::transverse_mercator(lng.round());
        // File features are `f<index>`; grids already stored in the village and not replaced are
        // `d<code>`: a new grid must not overlap them either, and together they must cover the village.
        let mut projected: Vec<(String, MultiPolygon<f64>)> = members
            .iter()
            .map(|&i| (format!("f{i}"), proj.forward_geometry(&good[i].shape)))
            .collect();
        for g in grids::list(db, &whole_system(), Some(village)).await? {
            if in_file.contains(&g.code) {
                continue;
            }
            if let Some(shape) = crate::locate::shape(&g.geometry) {
                projected.push((format!("d{}", g.code), proj.forward_geometry(&shape)));
            }
        }
        for o in overlaps(&projected, MIN_AREA_M2) {
            let (lng, lat) = proj.inverse(o.at[0], o.at[1]);
            let at = fmt_at([lng, lat]);
            let side = |id: &str| -> (Option<usize>, String) {
                match id.strip_prefix('f') {
                    Some(i) => {
                        let i: usize = i.parse().unwrap_or(0);
                        (Some(i), format!("grid {}", good[i].grid.code))
                    }
                    None => (None, format!("existing grid {}", &id[1..])),
                }
            };
            let (a, a_name) = side(&o.a);
            let (b, b_name) = side(&o.b);
            for (x, other) in [(a, &b_name), (b, &a_name)] {
                if let Some(x) = x {
                    overlapping.insert(x);
                    bad.push(err(
                        good[x].feature,
                        "geometry",
                        format!(
                            "grid {} overlaps {other} by {:.0} m² at {at}",
                            good[x].grid.code, o.area
                        ),
                    ));
                }
            }
        }
        if let Some(shape) = areas::shape(db, village).await?
            && let Some(parent) = crate::locate::shape(&shape.geometry)
        {
            for piece in gaps_within(&proj.forward_geometry(&parent), &projected, MIN_AREA_M2) {
                let (lng, lat) = proj.inverse(piece.at[0], piece.at[1]);
                gaps.push(Gap {
                    village: village.clone(),
                    area_m2: piece.area,
                    at: [lng, lat],
                });
            }
        }
    }
    let good = good
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !overlapping.contains(i))
        .map(|(_, c)| c)
        .collect();
    bad.sort_by_key(|e| e.row);
    Ok((good, bad, gaps))
}

pub async fn import(
    db: &Db,
    geojson: &str,
    crs: Crs,
    opts: ImportOptions,
    actor: &ImportActor,
    scope: &Scope,
    mut progress: impl FnMut(usize),
) -> Result<GridImportReport, ImportError> {
    let (good, bad, gaps) = plan(db, geojson, crs, scope).await?;
    if !bad.is_empty() && !opts.skip_bad && !opts.dry_run {
        return Err(ImportError::BadRows(bad));
    }
    let existing: HashSet<String> = grids::all_codes(db)
        .await?
        .into_iter()
        .map(|(c,)| c)
        .collect();
    let mut report = ImportReport {
        rows: good.len() + bad.len(),
        skipped: bad,
        dry_run: opts.dry_run,
        ..Default::default()
    };
    for c in &good {
        if existing.contains(c.grid.code.as_str()) {
            report.updated += 1
        } else {
            report.created += 1
        }
    }
    if !opts.dry_run {
        let mut tx = db.begin().await?;
        for (i, c) in good.iter().enumerate() {
            if existing.contains(c.grid.code.as_str()) {
                grids::update(&mut tx, &c.grid).await?;
            } else {
                grids::insert(&mut tx, &c.grid).await?;
            }
            progress(i + 1);
        }
        let entry = actor.entry("grid.import", "grid", serde_json::json!({"created": report.created, "updated": report.updated, "skipped": report.skipped.len(), "crs": crs.as_str()}));
        tx.commit_audited(vec![entry]).await?;
    }
    Ok(GridImportReport { report, gaps })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn villages() -> HashSet<String> {
        ["330681001001".to_string()].into()
    }

    /// Found by the `import_geojson` fuzz target (run as GCJ-02): a latitude of 1e308 passed the
    /// geometry checks, converted to NaN and was about to be stored as `null`, a grid no one could read.
    #[test]
    fn coordinates_out_of_degrees_are_reported() {
        let artifact: &[u8] = b"{\"type\":\"Feature\",\"properties\":{\"code\":\"330681001001002\",\"name\"\n:\"\xe6\xb1\x9f\xe4\xb8\x9c\xe7\xbd\x91\xe6\xa0\xbc\"},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[120.23,29.71,5],[120.24,1e308,5],[120.24,29.72,5],[120.23,29.71,5]]]}}";
        let text = std::str::from_utf8(artifact).expect("UTF-8");
        for crs in [Crs::Wgs84, Crs::Gcj02, Crs::Bd09] {
            let features = read_layer(text).expect("a layer");
            let (good, bad) = check_features(features, crs, &villages());
            assert!(good.is_empty(), "accepted under {crs:?}");
            assert_eq!((bad[0].row, bad[0].column.as_str()), (1, "geometry"));
        }
    }

    #[test]
    fn a_good_feature_is_stored_readably() {
        let text = r#"{"type":"Feature","properties":{"code":"330681001001002","name":"江东网格"},
            "geometry":{"type":"Polygon","coordinates":[[[120.23,29.71],[120.24,29.71],[120.24,29.72],[120.23,29.71]]]}}"#;
        let (good, bad) =
            check_features(read_layer(text).expect("a layer"), Crs::Gcj02, &villages());
        assert!(bad.is_empty(), "{bad:?}");
        assert!(crate::locate::shape(&good[0].grid.geometry_json).is_some());
    }
}
