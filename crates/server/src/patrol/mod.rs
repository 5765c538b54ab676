//! 分片布警 and 屯警街面: patrol zones (巡区) per station and patrol plans drawn from hotspots — the
//! MCLP kernel places K posts (必到点) over the zone's recent incidents weighted by hour-of-day risk,
//! each post with its busiest window; the chief moves, adds or removes posts and publishes; crews
//! see today's published plans. The plan keeps what the kernel proposed beside what the chief
//! changed, so both can be read later.

pub mod api;
pub mod checkins;
pub mod coverage;
pub mod day;
pub mod demo;
pub mod figures;
pub mod fold;
pub mod pages;
pub mod planning;
pub mod roster;
pub mod roster_pages;
pub mod tally;
pub mod tracks;
pub mod zone_import;
pub mod zone_pages;

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use geo::MultiPolygon;
use jiff::civil::Date;
use pingan_domain::audit::AuditOutcome;
use pingan_domain::patrol::{MAX_POSTS, PlanStatus, Post, PostChange, changes, check_posts};
use pingan_domain::{Permission, Scope};
use pingan_geo::Projection;
use pingan_geo::analysis::mclp::MclpOptions;
use pingan_store::patrol::{self as store, PlanRow, ZoneRow};
use pingan_store::{Db, new_id};
use planning::{Demand, Proposal};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How long the kernel may search for the proven optimum before it answers with its best and bound.
pub const KERNEL_TIME_LIMIT: std::time::Duration = std::time::Duration::from_secs(3);
/// Incidents one proposal may weigh (a busy zone's year is far fewer).
pub const MAX_INCIDENTS: i64 = 200_000;
const DAY: i64 = 86_400_000_000;

/// A new zone: a polygon (GeoJSON Polygon or MultiPolygon, WGS-84) of one station.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewZone {
    pub station_org_id: String,
    /// 1–60 characters, unique within the station.
    pub name: String,
    /// GeoJSON geometry, Polygon or MultiPolygon, in WGS-84 degrees.
    #[schema(value_type = Object)]
    pub geometry: serde_json::Value,
}

/// Another zone of the station the new one overlaps (reported, not refused: a car zone may lie
/// over foot zones).
#[derive(Debug, Serialize, ToSchema)]
pub struct ZoneOverlap {
    pub zone_id: String,
    pub zone_name: String,
    pub area_m2: f64,
}

/// A patrol zone.
#[derive(Debug, Serialize, ToSchema)]
pub struct Zone {
    pub id: String,
    pub station_org_id: String,
    pub name: String,
    #[schema(value_type = Object)]
    pub geometry: serde_json::Value,
    pub area_m2: f64,
    /// Only when just created: the station's zones it overlaps.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub overlaps: Vec<ZoneOverlap>,
}

/// A stored zone's shape; a row that does not parse is a fault of the store, not of the request.
pub(crate) fn stored_shape(zone: &ZoneRow) -> ApiResult<MultiPolygon<f64>> {
    crate::locate::shape(&zone.geometry).ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!(
            "zone {}: stored geometry unreadable",
            zone.id
        ))
    })
}

/// The metric projection of a stored zone: the 3° zone of its box's middle, as for a new shape.
pub(crate) fn zone_projection(zone: &ZoneRow) -> Projection {
    Projection::gauss_kruger_3deg((zone.min_x + zone.max_x) / 2.0)
}

pub(crate) fn projection_of(shape: &MultiPolygon<f64>) -> Projection {
    use geo::BoundingRect;
    let lng = shape
        .bounding_rect()
        .map_or(120.0, |r| (r.min().x + r.max().x) / 2.0);
    Projection::gauss_kruger_3deg(lng)
}

fn area_m2(shape: &MultiPolygon<f64>) -> f64 {
    use geo::Area;
    projection_of(shape).forward_geometry(shape).unsigned_area()
}

pub(crate) fn zone_view(z: &ZoneRow, overlaps: Vec<ZoneOverlap>) -> Zone {
    let shape = crate::locate::shape(&z.geometry);
    Zone {
        id: z.id.clone(),
        station_org_id: z.station_org_id.clone(),
        name: z.name.clone(),
        geometry: serde_json::from_str(&z.geometry).unwrap_or(serde_json::Value::Null),
        area_m2: shape.as_ref().map_or(0.0, area_m2),
        overlaps,
    }
}

/// Creates a zone after checking the station (in the caller's scope, a police station), the name
/// and the geometry (a valid polygon: closed rings, no self-intersection).
pub async fn create_zone(state: &AppState, actor: &Actor, req: NewZone) -> ApiResult<Zone> {
    actor.require(state, Permission::PatrolManage).await?;
    let name = req.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(ApiError::problem(
            Problem::new("name", "too_long", "name must be 1–60 characters").with("max", 60),
        ));
    }
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
    let text = req.geometry.to_string();
    let bad_shape = |detail: String| {
        ApiError::problem(
            Problem::new("geometry", "patrol_geometry", format!("geometry: {detail}"))
                .with("detail", detail),
        )
    };
    let shape = crate::locate::shape(&text)
        .ok_or_else(|| bad_shape("a GeoJSON Polygon or MultiPolygon is needed".into()))?;
    if let Some(p) = pingan_geo::validate::validate_multipolygon(&shape).first() {
        return Err(bad_shape(p.to_string()));
    }
    let bbox = {
        use geo::BoundingRect;
        shape
            .bounding_rect()
            .ok_or_else(|| bad_shape("the geometry is empty".into()))?
    };
    if !(-180.0..=180.0).contains(&bbox.min().x)
        || !(-180.0..=180.0).contains(&bbox.max().x)
        || !(-90.0..=90.0).contains(&bbox.min().y)
        || !(-90.0..=90.0).contains(&bbox.max().y)
    {
        return Err(bad_shape(
            "coordinates must be WGS-84 degrees (lng, lat)".into(),
        ));
    }
    let now = state.now();
    let row = ZoneRow {
        id: new_id(),
        station_org_id: station.id.clone(),
        org_path: station.path.clone(),
        area_path: station.area_path.clone().unwrap_or_default(),
        name,
        geometry: text,
        min_x: bbox.min().x,
        min_y: bbox.min().y,
        max_x: bbox.max().x,
        max_y: bbox.max().y,
        created_by: actor.user_id.clone(),
        created_at: now,
        updated_at: now,
    };
    let mut tx = state.db.begin().await?;
    let others = store::station_zones(&mut tx, &station.id).await?;
    if others.iter().any(|z| z.name == row.name) {
        return Err(ApiError::problem(Problem::new(
            "name",
            "patrol_zone_name_taken",
            "the station already has a zone of this name",
        )));
    }
    let overlaps = overlaps_with(&shape, &others);
    store::insert_zone(&mut tx, &row).await?;
    tx.commit_audited(vec![actor.audit_entry(
        "patrol_zone.create",
        "patrol_zone",
        Some(&row.id),
        AuditOutcome::Ok,
        &format!("{} ({})", row.name, station.name),
    )])
    .await?;
    Ok(zone_view(&row, overlaps))
}

/// Overlaps larger than 1 m² with the station's other zones.
fn overlaps_with(shape: &MultiPolygon<f64>, others: &[ZoneRow]) -> Vec<ZoneOverlap> {
    let proj = projection_of(shape);
    let mut features = vec![("new".to_string(), proj.forward_geometry(shape))];
    for z in others {
        if let Some(s) = crate::locate::shape(&z.geometry) {
            features.push((z.id.clone(), proj.forward_geometry(&s)));
        }
    }
    pingan_geo::validate::overlaps(&features, 1.0)
        .into_iter()
        .filter_map(|o| {
            let other = if o.a == "new" {
                &o.b
            } else if o.b == "new" {
                &o.a
            } else {
                return None;
            };
            let z = others.iter().find(|z| &z.id == other)?;
            use geo::Area;
            Some(ZoneOverlap {
                zone_id: z.id.clone(),
                zone_name: z.name.clone(),
                area_m2: o.geometry.unsigned_area(),
            })
        })
        .collect()
}

pub async fn zones(state: &AppState, actor: &Actor) -> ApiResult<Vec<Zone>> {
    actor.require(state, Permission::PatrolRead).await?;
    Ok(store::list_zones(&state.db, &actor.scope, None)
        .await?
        .iter()
        .map(|z| zone_view(z, Vec::new()))
        .collect())
}

pub async fn zone(state: &AppState, actor: &Actor, id: &str) -> ApiResult<Zone> {
    actor.require(state, Permission::PatrolRead).await?;
    let z = store::get_zone(&state.db, &actor.scope, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(zone_view(&z, Vec::new()))
}

/// Ask the kernel for a plan of a zone.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPlan {
    pub zone_id: String,
    /// Posts to place, 1–30.
    pub k: usize,
    /// A post covers incidents within this many metres (50–2000, default 300).
    #[serde(default)]
    pub radius_m: Option<f64>,
    /// Incidents of this many days before now are the basis (7–365, default 90).
    #[serde(default)]
    pub basis_days: Option<i64>,
    /// Hours each post is manned a day (1–12, default 3).
    #[serde(default)]
    pub window_hours: Option<u8>,
    /// First and last local day the plan is for (YYYY-MM-DD; at most 31 days).
    pub valid_from: String,
    pub valid_to: String,
}

/// A post as the plan shows it: the stored post's fields (not flattened: `Post` refuses unknown
/// fields, so its schema would forbid these) and what the page shows with them.
#[derive(Debug, Serialize, ToSchema)]
pub struct PostView {
    pub lng: f64,
    pub lat: f64,
    pub window: pingan_domain::patrol::HourWindow,
    /// Index of the proposed post this one is; absent for a post the chief added.
    pub proposed: Option<usize>,
    /// "20:00–23:00".
    pub window_label: String,
    /// Incidents of the basis within the radius.
    pub incidents: usize,
}

/// A patrol plan: the posts as they stand, what the kernel proposed and what the chief changed.
#[derive(Debug, Serialize, ToSchema)]
pub struct Plan {
    pub id: String,
    pub zone_id: String,
    pub zone_name: String,
    pub status: PlanStatus,
    pub valid_from: String,
    pub valid_to: String,
    /// The incidents weighed were received in [basis_from, basis_to) (UTC µs).
    pub basis_from: i64,
    pub basis_to: i64,
    pub posts: Vec<PostView>,
    /// Risk weight the posts as they stand cover (of `proposal.total_weight`).
    pub covered: f64,
    pub proposal: Proposal,
    pub changes: Vec<PostChange>,
    pub created_at: i64,
    pub updated_at: i64,
    pub published_at: Option<i64>,
}

/// Every problem of a plan request at once, coded for pages to put in words.
fn check_plan_request(req: &NewPlan) -> ApiResult<(f64, i64, u8, Date, Date)> {
    use crate::error::{Problem, Problems};
    let mut problems = Problems::default();
    let range = |field: &str, min: f64, max: f64| {
        Problem::new(
            field,
            "out_of_range",
            format!("{field} must be {min}–{max}"),
        )
        .with("min", min)
        .with("max", max)
    };
    if !(1..=MAX_POSTS).contains(&req.k) {
        problems.push(range("k", 1.0, MAX_POSTS as f64));
    }
    let radius = req.radius_m.unwrap_or(300.0);
    if !(50.0..=2000.0).contains(&radius) {
        problems.push(range("radius_m", 50.0, 2000.0));
    }
    let days = req.basis_days.unwrap_or(90);
    if !(7..=365).contains(&days) {
        problems.push(range("basis_days", 7.0, 365.0));
    }
    let window_hours = req.window_hours.unwrap_or(3);
    if !(1..=12).contains(&window_hours) {
        problems.push(range("window_hours", 1.0, 12.0));
    }
    let from = problems.check(parse_day("valid_from", &req.valid_from))?;
    let to = problems.check(parse_day("valid_to", &req.valid_to))?;
    if let (Some(f), Some(t)) = (from, to) {
        let span = f.until(t).map(|s| s.get_days()).unwrap_or(-1);
        if !(0..=30).contains(&span) {
            problems.push(Problem::new(
                "valid_to",
                "patrol_period",
                "valid_to must be on or after valid_from and at most 30 days later",
            ));
        }
    }
    problems.finish()?;
    match (from, to) {
        (Some(f), Some(t)) => Ok((radius, days, window_hours, f, t)),
        _ => unreachable!("date problems were reported"),
    }
}

fn parse_day(field: &str, v: &str) -> ApiResult<Date> {
    v.parse::<Date>().map_err(|_| {
        ApiError::problem(Problem::new(
            field,
            "date",
            format!("{field} must be a date YYYY-MM-DD"),
        ))
    })
}

/// The zone's incidents in the basis period as demand for the kernel.
async fn read_demand(
    db: &Db,
    scope: &Scope,
    zone: &ZoneRow,
    shape: &MultiPolygon<f64>,
    basis: (i64, i64),
) -> ApiResult<(Demand, Projection)> {
    let (points, proj) = zone_incidents(db, scope, zone, shape, basis, "basis_days").await?;
    Ok((planning::demand(&points), proj))
}

/// The zone's incidents received in `period`, projected (x, y, received_at); more than
/// [`MAX_INCIDENTS`] in the zone's box is a problem of `field`.
pub(crate) async fn zone_incidents(
    db: &Db,
    scope: &Scope,
    zone: &ZoneRow,
    shape: &MultiPolygon<f64>,
    period: (i64, i64),
    field: &str,
) -> ApiResult<(Vec<(f64, f64, i64)>, Projection)> {
    let proj = zone_projection(zone);
    let index = pingan_geo::PolygonIndex::new(vec![("zone".into(), shape.clone())]);
    let mut points = Vec::new();
    let read = pingan_store::analysis::for_each_incident_in_box(
        db,
        scope,
        period,
        [zone.min_x, zone.min_y, zone.max_x, zone.max_y],
        MAX_INCIDENTS,
        |p| {
            if index.locate(p.lng, p.lat).is_some() {
                let (x, y) = proj.forward(p.lng, p.lat);
                points.push((x, y, p.received_at));
            }
            true
        },
    )
    .await?;
    if read as i64 > MAX_INCIDENTS {
        return Err(ApiError::invalid(
            field,
            format!("more than {MAX_INCIDENTS} incidents in the zone's box: choose fewer days"),
        ));
    }
    Ok((points, proj))
}

fn projected_posts(proj: &Projection, posts: &[Post]) -> Vec<(f64, f64)> {
    posts.iter().map(|p| proj.forward(p.lng, p.lat)).collect()
}

/// Runs the kernel for a zone and keeps the result as a draft plan.
pub async fn propose(state: &AppState, actor: &Actor, req: NewPlan) -> ApiResult<Plan> {
    actor.require(state, Permission::PatrolManage).await?;
    let zone = store::get_zone(&state.db, &actor.scope, &req.zone_id)
        .await?
        .ok_or_else(|| {
            ApiError::problem(Problem::new(
                "zone_id",
                "patrol_zone",
                "no patrol zone with this id in your scope",
            ))
        })?;
    let checked = check_plan_request(&req)?;
    let (radius, days, window_hours, from, to) = checked;
    let shape = stored_shape(&zone)?;
    let now = state.now();
    let basis = (now - days * DAY, now);
    let (demand, proj) = read_demand(&state.db, &actor.scope, &zone, &shape, basis).await?;
    let k = req.k;
    let proposal = tokio::task::spawn_blocking(move || {
        let projected = proj.forward_geometry(&shape);
        let (sites, spacing) = planning::candidate_sites(&projected, radius / 2.0);
        let p = planning::propose(
            &demand,
            &sites,
            spacing,
            &proj,
            k,
            radius,
            window_hours,
            MclpOptions {
                time_limit: KERNEL_TIME_LIMIT,
            },
        );
        p.map(|p| {
            let (covered, counts) =
                planning::coverage(&demand, &projected_posts(&proj, &p.posts), radius);
            (p, covered, counts)
        })
    })
    .await
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("the planning task failed: {e}")))?;
    let (proposal, covered, counts) = proposal.map_err(|e| match e {
        planning::PlanningError::NoIncidents => ApiError::problem(Problem::new(
            "basis_days",
            "patrol_no_incidents",
            e.to_string(),
        )),
        planning::PlanningError::TooFewSites { .. } => ApiError::invalid("k", e.to_string()),
        planning::PlanningError::Kernel(k) => ApiError::invalid("zone_id", k.to_string()),
    })?;
    let row = PlanRow {
        id: new_id(),
        zone_id: zone.id.clone(),
        org_path: zone.org_path.clone(),
        area_path: zone.area_path.clone(),
        status: PlanStatus::Draft.code().into(),
        valid_from: from.to_string(),
        valid_to: to.to_string(),
        basis_from: basis.0,
        basis_to: basis.1,
        proposal: serde_json::to_string(&proposal).expect("a proposal serialises"),
        posts: serde_json::to_string(&proposal.posts).expect("posts serialise"),
        covered,
        created_by: actor.user_id.clone(),
        created_at: now,
        updated_at: now,
        published_by: None,
        published_at: None,
    };
    let mut tx = state.db.begin().await?;
    store::insert_plan(&mut tx, &row).await?;
    tx.commit_audited(vec![actor.audit_entry(
        "patrol_plan.propose",
        "patrol_plan",
        Some(&row.id),
        AuditOutcome::Ok,
        &format!(
            "zone {} k {} radius {radius} m: {:.1} of {:.1} covered, proven {}",
            zone.name, k, proposal.covered, proposal.total_weight, proposal.proven_optimal
        ),
    )])
    .await?;
    plan_view(&row, &zone, counts)
}

/// A stored plan's JSON, read back; a row that does not parse is a fault of the store.
fn stored<T: serde::de::DeserializeOwned>(row: &PlanRow, what: &str, json: &str) -> ApiResult<T> {
    serde_json::from_str(json).map_err(|e| {
        ApiError::Internal(anyhow::anyhow!(
            "plan {}: stored {what} unreadable: {e}",
            row.id
        ))
    })
}

/// A plan as read: each post's incidents counted over the plan's basis.
async fn view(state: &AppState, actor: &Actor, row: &PlanRow, zone: &ZoneRow) -> ApiResult<Plan> {
    let proposal: Proposal = stored(row, "proposal", &row.proposal)?;
    let posts: Vec<Post> = stored(row, "posts", &row.posts)?;
    let shape = stored_shape(zone)?;
    let (demand, proj) = read_demand(
        &state.db,
        &actor.scope,
        zone,
        &shape,
        (row.basis_from, row.basis_to),
    )
    .await?;
    let counts = planning::coverage(&demand, &projected_posts(&proj, &posts), proposal.radius_m).1;
    plan_view(row, zone, counts)
}

/// A plan with its posts' incident counts (`counts`, in post order) already known.
fn plan_view(row: &PlanRow, zone: &ZoneRow, counts: Vec<usize>) -> ApiResult<Plan> {
    let proposal: Proposal = stored(row, "proposal", &row.proposal)?;
    let posts: Vec<Post> = stored(row, "posts", &row.posts)?;
    Ok(Plan {
        id: row.id.clone(),
        zone_id: zone.id.clone(),
        zone_name: zone.name.clone(),
        status: PlanStatus::parse(&row.status).unwrap_or(PlanStatus::Draft),
        valid_from: row.valid_from.clone(),
        valid_to: row.valid_to.clone(),
        basis_from: row.basis_from,
        basis_to: row.basis_to,
        changes: changes(&proposal.posts, &posts),
        posts: posts
            .into_iter()
            .zip(counts)
            .map(|(post, incidents)| PostView {
                window_label: post.window.label(),
                lng: post.lng,
                lat: post.lat,
                window: post.window,
                proposed: post.proposed,
                incidents,
            })
            .collect(),
        covered: row.covered,
        proposal,
        created_at: row.created_at,
        updated_at: row.updated_at,
        published_at: row.published_at,
    })
}

async fn load(state: &AppState, actor: &Actor, id: &str) -> ApiResult<(PlanRow, ZoneRow)> {
    let row = store::get_plan(&state.db, &actor.scope, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let zone = store::get_zone(&state.db, &actor.scope, &row.zone_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok((row, zone))
}

pub async fn plan(state: &AppState, actor: &Actor, id: &str) -> ApiResult<Plan> {
    actor.require(state, Permission::PatrolRead).await?;
    let (row, zone) = load(state, actor, id).await?;
    view(state, actor, &row, &zone).await
}

/// Which plans to list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PlanQuery {
    pub zone_id: Option<String>,
    /// `draft` or `published`.
    pub status: Option<String>,
    /// Plans in force on this local day (YYYY-MM-DD); `today` for today.
    pub valid_on: Option<String>,
}

/// A plan in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanSummary {
    pub id: String,
    pub zone_id: String,
    pub zone_name: String,
    pub status: PlanStatus,
    pub valid_from: String,
    pub valid_to: String,
    pub posts: usize,
    pub covered: f64,
    pub total_weight: f64,
    pub proven_optimal: bool,
    pub published_at: Option<i64>,
}

pub async fn plans(state: &AppState, actor: &Actor, q: &PlanQuery) -> ApiResult<Vec<PlanSummary>> {
    actor.require(state, Permission::PatrolRead).await?;
    if let Some(s) = &q.status
        && PlanStatus::parse(s).is_none()
    {
        return Err(ApiError::invalid("status", "status is draft or published"));
    }
    let valid_on = match q.valid_on.as_deref() {
        None => None,
        Some("today") => Some(pingan_domain::time::local_date(
            pingan_domain::time::from_micros(state.now()),
        )),
        Some(d) => Some(parse_day("valid_on", d)?.to_string()),
    };
    let rows = store::list_plans(
        &state.db,
        &actor.scope,
        &store::PlanFilter {
            zone_id: q.zone_id.clone(),
            status: q.status.clone(),
            valid_on,
            limit: 500,
        },
    )
    .await?;
    let zones = store::list_zones(&state.db, &actor.scope, None).await?;
    Ok(rows
        .iter()
        .map(|r| {
            let proposal: Option<Proposal> = serde_json::from_str(&r.proposal).ok();
            let posts: Vec<Post> = serde_json::from_str(&r.posts).unwrap_or_default();
            PlanSummary {
                id: r.id.clone(),
                zone_id: r.zone_id.clone(),
                zone_name: zones
                    .iter()
                    .find(|z| z.id == r.zone_id)
                    .map_or_else(String::new, |z| z.name.clone()),
                status: PlanStatus::parse(&r.status).unwrap_or(PlanStatus::Draft),
                valid_from: r.valid_from.clone(),
                valid_to: r.valid_to.clone(),
                posts: posts.len(),
                covered: r.covered,
                total_weight: proposal.as_ref().map_or(0.0, |p| p.total_weight),
                proven_optimal: proposal.is_some_and(|p| p.proven_optimal),
                published_at: r.published_at,
            }
        })
        .collect())
}

/// The posts as the chief leaves them.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditPosts {
    pub posts: Vec<Post>,
    /// The plan's `updated_at` as last read: an edit over someone else's is refused (409).
    pub updated_at: i64,
}

/// Replaces a draft's posts (each inside the zone); the coverage is recomputed over the same basis.
pub async fn edit_posts(
    state: &AppState,
    actor: &Actor,
    id: &str,
    req: EditPosts,
) -> ApiResult<Plan> {
    actor.require(state, Permission::PatrolManage).await?;
    let (row, zone) = load(state, actor, id).await?;
    if row.status != PlanStatus::Draft.code() {
        return Err(ApiError::Conflict(
            "a published plan is not edited: propose a new one".into(),
        ));
    }
    let proposal: Proposal = stored(&row, "proposal", &row.proposal)?;
    check_posts(proposal.posts.len(), &req.posts).map_err(|e| match &e {
        pingan_domain::patrol::PostsError::Count { .. } => {
            ApiError::invalid("posts", e.to_string())
        }
        pingan_domain::patrol::PostsError::Post { index, .. } => {
            ApiError::invalid(&format!("posts[{index}]"), e.to_string())
        }
    })?;
    let shape = stored_shape(&zone)?;
    let inside = pingan_geo::PolygonIndex::new(vec![("zone".into(), shape.clone())]);
    if let Some(i) = req
        .posts
        .iter()
        .position(|p| inside.locate(p.lng, p.lat).is_none())
    {
        return Err(ApiError::problem(
            Problem::new(
                &format!("posts[{i}]"),
                "patrol_post_outside",
                format!("posts[{i}] lies outside the zone {}", zone.name),
            )
            .with("zone", &zone.name)
            .with("post", i + 1),
        ));
    }
    let (demand, proj) = read_demand(
        &state.db,
        &actor.scope,
        &zone,
        &shape,
        (row.basis_from, row.basis_to),
    )
    .await?;
    let (covered, counts) = planning::coverage(
        &demand,
        &projected_posts(&proj, &req.posts),
        proposal.radius_m,
    );
    let now = state.now().max(row.updated_at + 1);
    let posts_json = serde_json::to_string(&req.posts).expect("posts serialise");
    let mut tx = state.db.begin().await?;
    if !store::update_posts(&mut tx, &row.id, req.updated_at, &posts_json, covered, now).await? {
        return Err(ApiError::Conflict(
            "the plan changed since you read it (edited or published): reload it".into(),
        ));
    }
    let changed = changes(&proposal.posts, &req.posts);
    tx.commit_audited(vec![actor.audit_entry(
        "patrol_plan.edit",
        "patrol_plan",
        Some(&row.id),
        AuditOutcome::Ok,
        &format!(
            "{} posts, {} changes from the proposal, covered {covered:.1}",
            req.posts.len(),
            changed.len()
        ),
    )])
    .await?;
    let row = PlanRow {
        posts: posts_json,
        covered,
        updated_at: now,
        ..row
    };
    plan_view(&row, &zone, counts)
}

/// Publishes a draft to the crews.
pub async fn publish(state: &AppState, actor: &Actor, id: &str) -> ApiResult<Plan> {
    actor.require(state, Permission::PatrolManage).await?;
    let (row, _) = load(state, actor, id).await?;
    let now = state.now().max(row.updated_at + 1);
    let mut tx = state.db.begin().await?;
    if !store::publish(&mut tx, &row.id, &actor.user_id, now).await? {
        return Err(ApiError::Conflict("the plan is already published".into()));
    }
    tx.commit_audited(vec![actor.audit_entry(
        "patrol_plan.publish",
        "patrol_plan",
        Some(&row.id),
        AuditOutcome::Ok,
        &format!("valid {} – {}", row.valid_from, row.valid_to),
    )])
    .await?;
    let (row, zone) = load(state, actor, id).await?;
    view(state, actor, &row, &zone).await
}
