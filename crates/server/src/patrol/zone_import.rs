//! 巡区导入: a station's patrol zones from a GeoJSON layer (features with a `name` property), with the
//! grid import's checks — each feature's geometry (closed rings, no self-intersection, degrees), its
//! name (1–60 characters, once in the layer, not taken at the station), overlaps with the layer's
//! other zones and the station's stored ones (measured in m², located by a point inside) — and the
//! parts of the station's jurisdiction no zone covers (gaps: reported, not blocking). A dry run
//! answers the report and writes nothing; otherwise every zone is written in one audited transaction,
//! or none when any feature is bad.

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, Problem};
use crate::patrol::{Zone, projection_of, zone_view};
use crate::state::AppState;
use geo::{Area, BoundingRect, MapCoords, MultiPolygon};
use pingan_domain::Permission;
use pingan_domain::audit::AuditOutcome;
use pingan_geo::Crs;
use pingan_store::new_id;
use pingan_store::patrol::{self as store, ZoneRow};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Overlaps and gaps under this many m² are digitising noise.
const MIN_AREA_M2: f64 = 1.0;
/// Features one layer may hold.
pub const MAX_FEATURES: usize = 500;

/// A layer of zones for one station.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ZoneImport {
    pub station_org_id: String,
    /// A GeoJSON FeatureCollection of Polygon/MultiPolygon features, each with a `name` property.
    #[schema(value_type = Object)]
    pub layer: serde_json::Value,
    /// Coordinate system of the layer: wgs84 (default, = CGCS2000), gcj02 or bd09.
    #[serde(default)]
    pub crs: Option<String>,
    /// true: check and report only.
    #[serde(default)]
    pub dry_run: bool,
}

/// A feature that would become a zone.
#[derive(Debug, Serialize, ToSchema)]
pub struct ZoneImportLine {
    /// 1-based position in the layer.
    pub feature: usize,
    pub name: String,
    pub area_m2: f64,
}

/// What is wrong with one feature.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ZoneImportProblem {
    /// 1-based position in the layer.
    pub feature: usize,
    /// `name` or `geometry`.
    pub property: String,
    /// Stable code: patrol_zone_name_length, patrol_zone_name_twice, patrol_zone_name_taken,
    /// patrol_zone_geometry, patrol_zone_degrees, patrol_zone_crs, patrol_zone_overlap.
    pub code: String,
    /// The code's parameters (name, first, detail, crs, other, area, at), as text.
    #[schema(value_type = Object)]
    pub params: BTreeMap<String, String>,
    /// In English.
    pub message: String,
}

impl ZoneImportProblem {
    /// As the kernel's problem, for words in the reader's language.
    pub fn as_problem(&self) -> Problem {
        let mut p = Problem::new(&self.property, &self.code, self.message.clone());
        p.params = self.params.clone();
        p
    }
}

/// A part of the station's jurisdiction no zone covers.
#[derive(Debug, Serialize, ToSchema)]
pub struct ZoneImportGap {
    pub area_m2: f64,
    /// A point inside the gap (WGS-84).
    pub lng: f64,
    pub lat: f64,
}

/// The checks' answer; `created` holds the zones written (empty on a dry run).
#[derive(Debug, Serialize, ToSchema)]
pub struct ZoneImportReport {
    pub dry_run: bool,
    pub zones: Vec<ZoneImportLine>,
    pub problems: Vec<ZoneImportProblem>,
    pub gaps: Vec<ZoneImportGap>,
    pub created: Vec<Zone>,
}

struct Candidate {
    feature: usize,
    name: String,
    shape: MultiPolygon<f64>,
}

fn problem(
    feature: usize,
    property: &str,
    code: &str,
    message: impl Into<String>,
    params: &[(&str, String)],
) -> ZoneImportProblem {
    ZoneImportProblem {
        feature: feature + 1,
        property: property.into(),
        code: code.into(),
        params: params
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
        message: message.into(),
    }
}

fn in_degrees(shape: &MultiPolygon<f64>) -> bool {
    use geo::CoordsIter;
    shape
        .coords_iter()
        .all(|c| (-180.0..=180.0).contains(&c.x) && (-90.0..=90.0).contains(&c.y))
}

/// Each feature on its own: name and geometry, converted to WGS-84.
fn check_features(
    layer: &str,
    crs: Crs,
    taken: &[String],
) -> ApiResult<(Vec<Candidate>, Vec<ZoneImportProblem>)> {
    let features = pingan_geo::parse_polygon_layer(layer, "name").map_err(|e| {
        ApiError::problem(Problem::new("layer", "patrol_layer", format!("layer: {e}")))
    })?;
    if features.is_empty() || features.len() > MAX_FEATURES {
        return Err(ApiError::problem(
            Problem::new(
                "layer",
                "patrol_layer_size",
                format!("a layer of 1–{MAX_FEATURES} zones"),
            )
            .with("max", MAX_FEATURES),
        ));
    }
    let mut good: Vec<Candidate> = Vec::new();
    let mut bad = Vec::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for f in features {
        let name = f.id.trim().trim_matches('"').to_string();
        if name.is_empty() || name.chars().count() > 60 {
            bad.push(problem(
                f.index,
                "name",
                "patrol_zone_name_length",
                "a name of 1–60 characters",
                &[],
            ));
            continue;
        }
        if let Some(first) = seen.insert(name.clone(), f.index) {
            bad.push(problem(
                f.index,
                "name",
                "patrol_zone_name_twice",
                format!("{name}: also the name of feature {}", first + 1),
                &[("name", name.clone()), ("first", (first + 1).to_string())],
            ));
            continue;
        }
        if taken.contains(&name) {
            bad.push(problem(
                f.index,
                "name",
                "patrol_zone_name_taken",
                format!("{name}: the station already has a zone of this name"),
                &[("name", name.clone())],
            ));
            continue;
        }
        if let Some(p) = f.problems.first() {
            bad.push(problem(
                f.index,
                "geometry",
                "patrol_zone_geometry",
                format!("{name}: {p}"),
                &[("name", name.clone()), ("detail", p.to_string())],
            ));
            continue;
        }
        if f.geometry.0.is_empty() || !in_degrees(&f.geometry) {
            bad.push(problem(
                f.index,
                "geometry",
                "patrol_zone_degrees",
                format!("{name}: a Polygon or MultiPolygon in longitude/latitude degrees"),
                &[("name", name.clone())],
            ));
            continue;
        }
        let shape = f.geometry.map_coords(|c| {
            let (x, y) = pingan_geo::to_wgs84(crs, c.x, c.y);
            geo::coord! { x: x, y: y }
        });
        if !in_degrees(&shape) {
            bad.push(problem(
                f.index,
                "geometry",
                "patrol_zone_crs",
                format!("{name}: cannot be converted from {}", crs.as_str()),
                &[("name", name.clone()), ("crs", crs.as_str().to_string())],
            ));
            continue;
        }
        good.push(Candidate {
            feature: f.index,
            name,
            shape,
        });
    }
    Ok((good, bad))
}

/// Checks a layer against the station and, unless a dry run, writes its zones.
pub async fn import_zones(
    state: &AppState,
    actor: &Actor,
    req: ZoneImport,
) -> ApiResult<ZoneImportReport> {
    actor.require(state, Permission::PatrolManage).await?;
    let crs: Crs = req.crs.as_deref().unwrap_or("wgs84").parse().map_err(|_| {
        ApiError::problem(Problem::new(
            "crs",
            "crs",
            "crs must be wgs84, gcj02 or bd09",
        ))
    })?;
    let station = pingan_store::orgs::get(&state.db, &actor.scope, &req.station_org_id)
        .await?
        .filter(|o| o.kind == pingan_domain::org::OrgKind::Station.code())
        .ok_or_else(|| {
            ApiError::problem(Problem::new(
                "station_org_id",
                "patrol_station",
                "no police station with this id in your scope",
            ))
        })?;
    // Everything is checked before any transaction: a layer of hundreds of zones takes a while, and
    // the write lock is not held meanwhile (nor at all for a dry run).
    let stored = store::zones_of_station(&state.db, &station.id).await?;
    let taken: Vec<String> = stored.iter().map(|z| z.name.clone()).collect();
    let (good, mut bad) = check_features(&req.layer.to_string(), crs, &taken)?;

    // Overlaps among the layer's zones and with the station's stored ones, in metres.
    let proj = good
        .first()
        .map(|c| projection_of(&c.shape))
        .unwrap_or_else(|| pingan_geo::Projection::gauss_kruger_3deg(120.0));
    let mut projected: Vec<(String, MultiPolygon<f64>)> = good
        .iter()
        .enumerate()
        .map(|(i, c)| (format!("f{i}"), proj.forward_geometry(&c.shape)))
        .collect();
    for z in &stored {
        if let Some(s) = crate::locate::shape(&z.geometry) {
            projected.push((format!("z{}", z.name), proj.forward_geometry(&s)));
        }
    }
    let mut overlapping = std::collections::HashSet::new();
    for o in pingan_geo::validate::overlaps(&projected, MIN_AREA_M2) {
        let (lng, lat) = proj.inverse(o.at[0], o.at[1]);
        let side = |id: &str| -> (Option<usize>, String) {
            match id.strip_prefix('f') {
                Some(i) => {
                    let i: usize = i.parse().unwrap_or(0);
                    (Some(i), good[i].name.clone())
                }
                None => (None, id[1..].to_string()),
            }
        };
        let (a, a_name) = side(&o.a);
        let (b, b_name) = side(&o.b);
        for (x, other) in [(a, &b_name), (b, &a_name)] {
            if let Some(x) = x {
                overlapping.insert(x);
                bad.push(problem(
                    good[x].feature,
                    "geometry",
                    "patrol_zone_overlap",
                    format!(
                        "{} overlaps {other} by {:.0} m² at {lng:.6},{lat:.6}",
                        good[x].name, o.area
                    ),
                    &[
                        ("name", good[x].name.clone()),
                        ("other", other.clone()),
                        ("area", format!("{:.0}", o.area)),
                        ("at", format!("{lng:.6}, {lat:.6}")),
                    ],
                ));
            }
        }
    }
    // The station's jurisdiction that no zone (stored or new) covers.
    let mut gaps = Vec::new();
    if let Some(code) = &station.area_code
        && let Some(row) = pingan_store::areas::shape(&state.db, code).await?
        && let Some(parent) = crate::locate::shape(&row.geometry)
    {
        for piece in pingan_geo::validate::gaps_within(
            &proj.forward_geometry(&parent),
            &projected,
            MIN_AREA_M2,
        ) {
            let (lng, lat) = proj.inverse(piece.at[0], piece.at[1]);
            gaps.push(ZoneImportGap {
                area_m2: piece.area,
                lng,
                lat,
            });
        }
    }
    bad.sort_by_key(|p| p.feature);
    let zones: Vec<ZoneImportLine> = good
        .iter()
        .enumerate()
        .filter(|(i, _)| !overlapping.contains(i))
        .map(|(_, c)| ZoneImportLine {
            feature: c.feature + 1,
            name: c.name.clone(),
            area_m2: proj.forward_geometry(&c.shape).unsigned_area(),
        })
        .collect();
    let mut report = ZoneImportReport {
        dry_run: req.dry_run,
        zones,
        problems: bad,
        gaps,
        created: Vec::new(),
    };
    if req.dry_run {
        return Ok(report);
    }
    if !report.problems.is_empty() {
        return Err(ApiError::Invalid(
            report
                .problems
                .iter()
                .map(|p| {
                    Problem::new(
                        &format!("layer.features[{}].{}", p.feature - 1, p.property),
                        "patrol_zone_feature",
                        format!("feature {}: {}", p.feature, p.message),
                    )
                    .with("feature", p.feature)
                    .with("detail", &p.message)
                })
                .collect(),
        ));
    }
    let mut tx = state.db.begin().await?;
    store::lock_station(&mut tx, &station.id).await?;
    let now_stored: Vec<String> = store::station_zones(&mut tx, &station.id)
        .await?
        .into_iter()
        .map(|z| z.id)
        .collect();
    let checked: Vec<String> = stored.iter().map(|z| z.id.clone()).collect();
    if now_stored != checked {
        return Err(ApiError::Conflict(
            "the station's zones changed while the layer was checked: check it again".into(),
        ));
    }
    let now = state.now();
    let mut entries = Vec::new();
    for c in &good {
        let Some(r) = c.shape.bounding_rect() else {
            continue;
        };
        let row = ZoneRow {
            id: new_id(),
            station_org_id: station.id.clone(),
            org_path: station.path.clone(),
            area_path: station.area_path.clone().unwrap_or_default(),
            name: c.name.clone(),
            geometry: serde_json::to_string(&geojson::Geometry::from(&c.shape)).unwrap_or_default(),
            min_x: r.min().x,
            min_y: r.min().y,
            max_x: r.max().x,
            max_y: r.max().y,
            created_by: actor.user_id.clone(),
            created_at: now,
            updated_at: now,
        };
        store::insert_zone(&mut tx, &row).await?;
        entries.push(actor.audit_entry(
            "patrol_zone.import",
            "patrol_zone",
            Some(&row.id),
            AuditOutcome::Ok,
            &format!("{} ({})", row.name, station.name),
        ));
        report.created.push(zone_view(&row, Vec::new()));
    }
    tx.commit_audited(entries).await?;
    Ok(report)
}
