//! 打卡: whether a plan's posts were visited on a day. A post counts as checked in when a unit of
//! the zone's station stayed within `patrol.checkin_radius_m` of it for at least
//! `patrol.checkin_minutes` inside the post's window, by the units' GPS tracks; silences longer than
//! `patrol.max_gap_minutes` break a stay and are listed as gaps. A crew member may also check in by
//! hand with the phone's position (手动打卡): inside the window and the radius, kept and shown as
//! manual, never mistaken for the GPS record.

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use pingan_domain::Permission;
use pingan_domain::patrol::{Fix, Post, stays_near, track_gaps, window_on};
use pingan_store::patrol as store;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

/// Which day.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CheckInQuery {
    /// Local day (YYYY-MM-DD); today when absent.
    pub date: Option<String>,
}

/// A unit's longest stay near a post inside its window.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitStay {
    pub unit_id: String,
    pub unit_name: String,
    pub from: i64,
    pub to: i64,
    pub minutes: f64,
}

/// One post on the day.
#[derive(Debug, Serialize, ToSchema)]
pub struct PostCheckIn {
    /// 1-based, as the plan lists its posts.
    pub post: usize,
    pub window_label: String,
    /// The window on this day (UTC µs).
    pub from: i64,
    pub to: i64,
    /// By GPS or by hand.
    pub checked_in: bool,
    /// By the GPS track (a stay long enough).
    pub gps: bool,
    /// Every unit that came within the radius in the window, longest stay first.
    pub stays: Vec<UnitStay>,
    /// Manual check-ins in the window (flagged: the phone's position, not the track).
    pub manual: Vec<ManualCheckInView>,
}

/// A manual check-in as the day's list shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ManualCheckInView {
    pub id: String,
    pub user_name: String,
    pub at: i64,
    /// From the post, by the phone's position.
    pub distance_m: f64,
    pub accuracy_m: Option<f64>,
}

/// Adds the manual check-ins to the posts whose window holds them.
pub(crate) fn merge_manual(posts: &mut [PostCheckIn], manual: Vec<store::ManualCheckIn>) {
    for m in manual {
        if let Some(p) = posts
            .iter_mut()
            .find(|p| p.post as i64 == m.post && p.from <= m.at && m.at < p.to)
        {
            p.checked_in = true;
            p.manual.push(ManualCheckInView {
                id: m.id,
                user_name: m.user_name,
                at: m.at,
                distance_m: m.distance_m,
                accuracy_m: m.accuracy_m,
            });
        }
    }
}

/// A silence in a unit's track.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrackGap {
    pub unit_id: String,
    pub unit_name: String,
    pub from: i64,
    pub to: i64,
}

/// A plan's check-ins on one day.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckIns {
    pub plan_id: String,
    pub date: String,
    pub radius_m: f64,
    pub min_minutes: f64,
    pub posts: Vec<PostCheckIn>,
    /// Posts checked in, of `posts.len()`.
    pub checked: usize,
    /// Silences longer than the configured gap in the station's tracks between the first window's
    /// start and the last window's end.
    pub gaps: Vec<TrackGap>,
    /// Where a unit rostered on the zone (排班) that day was outside the zone during its shift.
    pub deviations: Vec<Deviation>,
}

/// A rostered unit outside its zone during its shift: two or more consecutive fixes outside, first
/// to last.
#[derive(Debug, Serialize, ToSchema)]
pub struct Deviation {
    pub unit_id: String,
    pub unit_name: String,
    pub shift_id: String,
    pub from: i64,
    pub to: i64,
    /// Fixes outside in the run.
    pub fixes: usize,
}

/// The runs of fixes outside the zone by the units on the zone's shifts during `day`.
async fn deviations(
    state: &AppState,
    zone: &pingan_store::patrol::ZoneRow,
    day: (i64, i64),
) -> ApiResult<Vec<Deviation>> {
    let shape = super::stored_shape(zone)?;
    let index = pingan_geo::PolygonIndex::new(vec![("zone".into(), shape)]);
    let (shifts, _) = pingan_store::roster::list_shifts(
        &state.db,
        None,
        &pingan_store::roster::ShiftFilter {
            zone_id: Some(zone.id.clone()),
            from: day.0,
            to: day.1,
            ..Default::default()
        },
    )
    .await?;
    let mut out = Vec::new();
    for s in shifts {
        let Some(unit_id) = s.unit_id.clone() else {
            continue;
        };
        let span = (s.starts_at.max(day.0), s.ends_at.min(day.1));
        let rows = store::unit_fixes(&state.db, &unit_id, span, 200_000).await?;
        let mut run: Option<Deviation> = None;
        for (at, lng, lat) in rows {
            if index.locate(lng, lat).is_none() {
                match run.as_mut() {
                    Some(r) => {
                        r.to = at;
                        r.fixes += 1;
                    }
                    None => {
                        run = Some(Deviation {
                            unit_id: unit_id.clone(),
                            unit_name: s.unit_name.clone().unwrap_or_default(),
                            shift_id: s.id.clone(),
                            from: at,
                            to: at,
                            fixes: 1,
                        })
                    }
                }
            } else if let Some(r) = run.take() {
                out.push(r);
            }
        }
        out.extend(run);
        // One fix outside is a GPS wobble at the edge as often as a deviation.
        out.retain(|r| r.fixes >= 2);
    }
    Ok(out)
}

const MINUTE: f64 = 60e6;

/// The station's units' tracks over a span: unit id → (unit name, fixes oldest first, projected).
pub(crate) type Tracks = BTreeMap<String, (String, Vec<Fix>)>;

pub(crate) async fn station_tracks(
    state: &AppState,
    zone: &pingan_store::patrol::ZoneRow,
    proj: &pingan_geo::Projection,
    span: (i64, i64),
) -> ApiResult<Tracks> {
    read_tracks(&state.db, &zone.station_org_id, proj, span).await
}

/// Most fixes one unit's track may hold for one span (a day at one fix a second is 86,400).
const MAX_UNIT_FIXES: i64 = 200_000;

/// The tracks of a station's units, read unit by unit over the (unit, time) index: no row carries
/// the unit's id or name, which a station-wide read repeated for every fix.
pub(crate) async fn read_tracks(
    db: &pingan_store::Db,
    station_org_id: &str,
    proj: &pingan_geo::Projection,
    span: (i64, i64),
) -> ApiResult<Tracks> {
    let mut tracks: Tracks = BTreeMap::new();
    for (unit_id, unit_name) in store::station_units(db, station_org_id).await? {
        let rows = store::unit_fixes(db, &unit_id, span, MAX_UNIT_FIXES).await?;
        if rows.is_empty() {
            continue;
        }
        let fixes = rows
            .iter()
            .take(MAX_UNIT_FIXES as usize)
            .map(|&(at, lng, lat)| {
                let (x, y) = proj.forward(lng, lat);
                Fix { at, x, y }
            })
            .collect();
        tracks.insert(unit_id, (unit_name, fixes));
    }
    Ok(tracks)
}

/// Each post's stays in its window on the day, and whether the longest is a check-in.
pub(crate) fn post_check_ins(
    proj: &pingan_geo::Projection,
    posts: &[Post],
    windows: &[(i64, i64)],
    tracks: &Tracks,
    radius: f64,
    min_stay: i64,
    max_gap: i64,
) -> Vec<PostCheckIn> {
    let mut out = Vec::with_capacity(posts.len());
    for (i, (p, w)) in posts.iter().zip(windows).enumerate() {
        let at = proj.forward(p.lng, p.lat);
        let mut stays: Vec<UnitStay> = tracks
            .iter()
            .filter_map(|(unit_id, (unit_name, track))| {
                // Only the fixes near the window matter: a stay that reaches into it has a fix
                // within max_gap of its edges (fixes of one stay are never further apart).
                let lo = track.partition_point(|f| f.at < w.0 - max_gap);
                let hi = track.partition_point(|f| f.at <= w.1 + max_gap);
                let longest = stays_near(&track[lo..hi], at, radius, *w, max_gap)
                    .into_iter()
                    .max_by_key(|s| (s.to - s.from, std::cmp::Reverse(s.from)))?;
                Some(UnitStay {
                    unit_id: unit_id.clone(),
                    unit_name: unit_name.clone(),
                    from: longest.from,
                    to: longest.to,
                    minutes: longest.minutes(),
                })
            })
            .collect();
        stays.sort_by(|a, b| {
            (b.to - b.from)
                .cmp(&(a.to - a.from))
                .then(a.unit_id.cmp(&b.unit_id))
        });
        let gps = stays.first().is_some_and(|s| s.to - s.from >= min_stay);
        out.push(PostCheckIn {
            post: i + 1,
            window_label: p.window.label(),
            from: w.0,
            to: w.1,
            checked_in: gps,
            gps,
            stays,
            manual: Vec::new(),
        });
    }
    out
}

/// A plan's posts as stored.
pub(crate) fn plan_posts(plan: &store::PlanRow) -> ApiResult<Vec<Post>> {
    serde_json::from_str(&plan.posts).map_err(|e| {
        ApiError::Internal(anyhow::anyhow!(
            "plan {}: stored posts unreadable: {e}",
            plan.id
        ))
    })
}

/// Each of a plan's posts on a local day — its stays, by GPS and by hand, and whether it was
/// checked in — with the station's tracks over the day's windows.
pub(crate) async fn posts_on(
    state: &AppState,
    plan: &store::PlanRow,
    zone: &store::ZoneRow,
    date: jiff::civil::Date,
) -> ApiResult<(Vec<PostCheckIn>, Tracks)> {
    let posts = plan_posts(plan)?;
    let cfg = &state.config.patrol;
    let min_stay = (cfg.checkin_minutes * MINUTE) as i64;
    let max_gap = (cfg.max_gap_minutes * MINUTE) as i64;
    let start = pingan_domain::time::day_start(date);
    let windows: Vec<(i64, i64)> = posts.iter().map(|p| window_on(p.window, start)).collect();
    let span = (
        windows.iter().map(|w| w.0).min().unwrap_or(start),
        windows.iter().map(|w| w.1).max().unwrap_or(start),
    );
    let proj = super::zone_projection(zone);
    let tracks = station_tracks(state, zone, &proj, span).await?;
    let mut out = post_check_ins(
        &proj,
        &posts,
        &windows,
        &tracks,
        cfg.checkin_radius_m,
        min_stay,
        max_gap,
    );
    merge_manual(
        &mut out,
        store::manual_checkins(&state.db, &plan.id, span).await?,
    );
    Ok((out, tracks))
}

pub async fn check_ins(
    state: &AppState,
    actor: &Actor,
    plan_id: &str,
    q: &CheckInQuery,
) -> ApiResult<CheckIns> {
    actor.require(state, Permission::PatrolRead).await?;
    let plan = store::get_plan(&state.db, &actor.scope, plan_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let zone = store::get_zone(&state.db, &actor.scope, &plan.zone_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let date = match q.date.as_deref() {
        None => state.today(),
        Some(d) => d.parse::<jiff::civil::Date>().map_err(|_| {
            ApiError::problem(Problem::new("date", "date", "date must be YYYY-MM-DD"))
        })?,
    };
    let cfg = &state.config.patrol;
    let radius = cfg.checkin_radius_m;
    let max_gap = (cfg.max_gap_minutes * MINUTE) as i64;
    let start = pingan_domain::time::day_start(date);
    let (out, tracks) = posts_on(state, &plan, &zone, date).await?;
    let gaps = tracks
        .iter()
        .flat_map(|(unit_id, (unit_name, track))| {
            track_gaps(track, max_gap)
                .into_iter()
                .map(|(from, to)| TrackGap {
                    unit_id: unit_id.clone(),
                    unit_name: unit_name.clone(),
                    from,
                    to,
                })
        })
        .collect();
    let deviations = deviations(state, &zone, (start, start + 86_400_000_000)).await?;
    Ok(CheckIns {
        deviations,
        plan_id: plan.id,
        date: date.to_string(),
        radius_m: radius,
        min_minutes: cfg.checkin_minutes,
        checked: out.iter().filter(|p| p.checked_in).count(),
        posts: out,
        gaps,
    })
}

/// A manual check-in: the post and the phone's position.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewManualCheckIn {
    /// 1-based, as the plan lists its posts.
    pub post: usize,
    /// WGS-84, from the phone.
    pub lng: f64,
    pub lat: f64,
    /// The phone's stated accuracy in metres, if it gives one.
    #[serde(default)]
    pub accuracy_m: Option<f64>,
}

/// Checks in by hand at a post of a published plan: now inside the post's window (today's, or
/// yesterday's when it runs past midnight), the phone within `patrol.checkin_radius_m` of the post
/// and no vaguer than that. Kept as manual; audited.
pub async fn manual_check_in(
    state: &AppState,
    actor: &Actor,
    plan_id: &str,
    req: NewManualCheckIn,
) -> ApiResult<ManualCheckInView> {
    actor.require(state, Permission::PatrolRead).await?;
    let plan = store::get_plan(&state.db, &actor.scope, plan_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if plan.status != pingan_domain::patrol::PlanStatus::Published.code() {
        return Err(ApiError::Conflict("the plan is not published".into()));
    }
    let posts = plan_posts(&plan)?;
    let post = req
        .post
        .checked_sub(1)
        .and_then(|i| posts.get(i))
        .ok_or_else(|| {
            ApiError::problem(
                Problem::new("post", "patrol_checkin_post", "no such post in the plan")
                    .with("max", posts.len()),
            )
        })?;
    let (lng, lat) = crate::validate::location(req.lng, req.lat, None)?;
    let radius = state.config.patrol.checkin_radius_m;
    if req.accuracy_m.is_some_and(|a| !(0.0..=radius).contains(&a)) {
        return Err(ApiError::problem(
            Problem::new(
                "accuracy_m",
                "patrol_checkin_accuracy",
                format!("the position is vaguer than the {radius} m radius: wait for a better fix"),
            )
            .with("radius", radius),
        ));
    }
    let now = state.now();
    // Who may check in by hand: a responder (民警, 辅警) or someone rostered on the zone now (a
    // seconded volunteer); a reader of plans may not. Decided
    // before the window, so the answer to who may does not depend on the time of day.
    if !actor.can(Permission::IncidentRespond)
        && !rostered_now(state, actor, &plan.zone_id, now).await?
    {
        return Err(ApiError::Forbidden(
            "only a responder or someone on a shift of this zone now checks in by hand".into(),
        ));
    }
    // The day whose window holds now: today's, or yesterday's when it runs past midnight; that
    // day must be one of the plan's.
    let today = state.today();
    let day = [Some(today), today.yesterday().ok()]
        .into_iter()
        .flatten()
        .find(|d| {
            let (from, to) = window_on(post.window, pingan_domain::time::day_start(*d));
            from <= now && now < to
        })
        .filter(|d| {
            let d = d.to_string();
            plan.valid_from <= d && d <= plan.valid_to
        });
    if day.is_none() {
        return Err(ApiError::problem(
            Problem::new(
                "post",
                "patrol_checkin_window",
                format!(
                    "post {} is manned {} (plan days {}–{})",
                    req.post,
                    post.window.label(),
                    plan.valid_from,
                    plan.valid_to
                ),
            )
            .with("window", post.window.label()),
        ));
    }
    let distance = pingan_domain::patrol::metres_between([lng, lat], [post.lng, post.lat]);
    if distance > radius {
        return Err(ApiError::problem(
            Problem::new(
                "lng",
                "patrol_checkin_far",
                format!("{distance:.0} m from the post; a check-in is within {radius} m"),
            )
            .with("distance", format!("{distance:.0}"))
            .with("radius", radius),
        ));
    }
    let row = store::ManualCheckIn {
        id: pingan_store::new_id(),
        plan_id: plan.id.clone(),
        post: req.post as i64,
        at: now,
        user_id: actor.user_id.clone(),
        user_name: actor.display_name.clone(),
        lng,
        lat,
        accuracy_m: req.accuracy_m,
        distance_m: distance,
    };
    let mut tx = state.db.begin().await?;
    store::insert_manual_checkin(&mut tx, &row).await?;
    tx.commit_audited(vec![actor.audit_entry(
        "patrol.manual_check_in",
        "patrol_plan",
        Some(&plan.id),
        pingan_domain::audit::AuditOutcome::Ok,
        &serde_json::json!({"post": req.post, "distance_m": distance.round(), "accuracy_m": req.accuracy_m}).to_string(),
    )])
    .await?;
    Ok(ManualCheckInView {
        id: row.id,
        user_name: row.user_name,
        at: row.at,
        distance_m: row.distance_m,
        accuracy_m: row.accuracy_m,
    })
}

/// Whether the actor crews a shift of the zone that holds `now`.
async fn rostered_now(state: &AppState, actor: &Actor, zone_id: &str, now: i64) -> ApiResult<bool> {
    let (shifts, _) = pingan_store::roster::list_shifts(
        &state.db,
        None,
        &pingan_store::roster::ShiftFilter {
            zone_id: Some(zone_id.to_string()),
            user_id: Some(actor.user_id.clone()),
            from: now,
            to: now + 1,
            ..Default::default()
        },
    )
    .await?;
    Ok(!shifts.is_empty())
}
