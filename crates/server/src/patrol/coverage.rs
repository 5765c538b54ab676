//! 覆盖与成效: what a plan's crews actually covered, and what changed. Over the days of a period
//! (default: the plan's days so far) it counts the posts checked in (see `checkins`) and the
//! hotspot cells visited — a fix of a station unit inside the cell during the cell's own high-risk
//! window. The effect compares the zone's incidents in equal periods before and after the plan
//! started, in the hotspot cells patrolled on at least half of the days against the hotspot cells
//! that were not: counts, both rate ratios, their ratio and its 95 % interval (domain
//! `patrol_effect`). Nothing is stored; it is computed when asked.

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, Problem};
use crate::patrol::checkins::{Tracks, merge_manual, post_check_ins, station_tracks};
use crate::state::AppState;
use pingan_domain::Permission;
use pingan_domain::patrol::{Fix, HourWindow, Post, window_on};
use pingan_domain::patrol_effect::{
    EffectEstimate, GroupCounts, HotspotCell, compare, hotspot_cells,
};
use pingan_store::patrol as store;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

const DAY: i64 = 86_400_000_000;
const MINUTE: f64 = 60e6;
/// The longest period one answer covers.
pub const MAX_DAYS: i64 = 62;

/// Which days, and how hotspot cells are drawn.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CoverageQuery {
    /// First and last local day (YYYY-MM-DD); default the plan's first day and the earlier of its
    /// last day and today.
    pub from: Option<String>,
    pub to: Option<String>,
    /// Side of a hotspot cell in metres (50–1000, default 150).
    pub cell_m: Option<f64>,
    /// Hotspot cells: the most incident-dense cells of the basis with at least two incidents, at
    /// most this many (1–100, default 10).
    pub cells: Option<usize>,
}

/// A hotspot cell and how it was covered.
#[derive(Debug, Serialize, ToSchema)]
pub struct CellCoverage {
    /// The cell's centre (WGS-84).
    pub lng: f64,
    pub lat: f64,
    /// Incidents of the plan's basis in the cell.
    pub incidents: usize,
    pub window: HourWindow,
    pub window_label: String,
    /// Days a station unit was in the cell during its window.
    pub visited_days: usize,
    /// Visited on at least half of the days: counted as patrolled for the effect.
    pub patrolled: bool,
    /// Incidents in the cell before and after the plan started (equal periods).
    pub before: u64,
    pub after: u64,
    /// An online camera's sector holds the cell's centre now (雪亮工程).
    pub camera: bool,
}

/// One day's coverage.
#[derive(Debug, Serialize, ToSchema)]
pub struct DayCoverage {
    pub date: String,
    pub posts_checked: usize,
    pub cells_visited: usize,
}

/// The comparison behind the effect, with its counts.
#[derive(Debug, Serialize, ToSchema)]
pub struct Effect {
    /// Equal periods before and after the plan started (UTC µs, end exclusive).
    pub before_from: i64,
    pub before_to: i64,
    pub after_from: i64,
    pub after_to: i64,
    pub patrolled: GroupCounts,
    pub comparison: GroupCounts,
    /// Absent without comparison cells (every hotspot cell patrolled, or none).
    pub estimate: Option<EffectEstimate>,
    /// How the comparison is made, in words.
    pub method: String,
}

/// A plan's coverage over a period and the effect since it started.
#[derive(Debug, Serialize, ToSchema)]
pub struct Coverage {
    pub plan_id: String,
    pub from: String,
    pub to: String,
    pub days: usize,
    pub cell_m: f64,
    /// Post-days checked in, of posts × days.
    pub post_checks: usize,
    pub post_days: usize,
    /// Cell-days visited in the cells' windows, of cells × days.
    pub cell_visits: usize,
    pub cell_days: usize,
    pub cells: Vec<CellCoverage>,
    pub by_day: Vec<DayCoverage>,
    pub effect: Effect,
    /// Posts (1-based) no online camera looks at now: where only a patrol sees.
    pub posts_without_camera: Vec<usize>,
}

const METHOD: &str = "Incidents received in the hotspot cells in the days since the plan started \
    (after) and in as many days just before it (before). Patrolled cells: visited on at least half \
    of the days in their window. Effect = (after/before in patrolled cells) ÷ (after/before in the \
    other hotspot cells), 0.5 added to a zero count; 95 % interval on the log scale from Poisson \
    counts. Below 1: the patrolled cells fared better. Hotspot cells are the busiest of the plan's \
    basis, so both groups may fall back toward their usual level by chance alone.";

fn day_of(field: &str, v: &str) -> ApiResult<jiff::civil::Date> {
    v.parse::<jiff::civil::Date>().map_err(|_| {
        ApiError::problem(Problem::new(
            field,
            "date",
            format!("{field} must be YYYY-MM-DD"),
        ))
    })
}

pub async fn coverage(
    state: &AppState,
    actor: &Actor,
    plan_id: &str,
    q: &CoverageQuery,
) -> ApiResult<Coverage> {
    actor.require(state, Permission::PatrolRead).await?;
    let plan = store::get_plan(&state.db, &actor.scope, plan_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let zone = store::get_zone(&state.db, &actor.scope, &plan.zone_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let valid_from = day_of("from", &plan.valid_from)?;
    let valid_to = day_of("to", &plan.valid_to)?;
    let from = match &q.from {
        Some(d) => day_of("from", d)?,
        None => valid_from,
    };
    let to = match &q.to {
        Some(d) => day_of("to", d)?,
        None => valid_to.min(state.today()),
    };
    let span_days = from.until(to).map(|s| s.get_days() as i64).unwrap_or(-1);
    if !(0..MAX_DAYS).contains(&span_days) {
        return Err(ApiError::problem(
            Problem::new(
                "to",
                "patrol_coverage_period",
                format!("to must be on or after from (the plan's days so far by default), at most {MAX_DAYS} days"),
            )
            .with("days", MAX_DAYS),
        ));
    }
    let cell_m = q.cell_m.unwrap_or(150.0);
    if !(50.0..=1000.0).contains(&cell_m) {
        return Err(ApiError::problem(
            Problem::new("cell_m", "out_of_range", "cell_m must be 50–1000")
                .with("min", 50)
                .with("max", 1000),
        ));
    }
    let top = q.cells.unwrap_or(10);
    if !(1..=100).contains(&top) {
        return Err(ApiError::problem(
            Problem::new("cells", "out_of_range", "cells must be 1–100")
                .with("min", 1)
                .with("max", 100),
        ));
    }
    let posts: Vec<Post> = serde_json::from_str(&plan.posts).map_err(|e| {
        ApiError::Internal(anyhow::anyhow!(
            "plan {}: stored posts unreadable: {e}",
            plan.id
        ))
    })?;
    let window_hours = posts.first().map_or(3, |p| p.window.hours);
    let shape = super::stored_shape(&zone)?;
    let (basis, proj) = super::zone_incidents(
        &state.db,
        &actor.scope,
        &zone,
        &shape,
        (plan.basis_from, plan.basis_to),
        "cells",
    )
    .await?;
    let hot = hotspot_cells(&basis, cell_m, 2, top, window_hours);

    // Day by day: the tracks of the windows, the posts checked in, the cells visited.
    let cfg = &state.config.patrol;
    let min_stay = (cfg.checkin_minutes * MINUTE) as i64;
    let max_gap = (cfg.max_gap_minutes * MINUTE) as i64;
    let days = span_days as usize + 1;
    let mut by_day = Vec::with_capacity(days);
    let mut visited_days = vec![0usize; hot.len()];
    let mut post_checks = 0;
    for i in 0..days {
        let date = from
            .checked_add(jiff::Span::new().days(i as i64))
            .map_err(|e| ApiError::Internal(e.into()))?;
        let start = pingan_domain::time::day_start(date);
        let post_windows: Vec<(i64, i64)> =
            posts.iter().map(|p| window_on(p.window, start)).collect();
        let cell_windows: Vec<(i64, i64)> =
            hot.iter().map(|c| window_on(c.window, start)).collect();
        let all = post_windows.iter().chain(&cell_windows);
        let span = (
            all.clone().map(|w| w.0).min().unwrap_or(start),
            all.map(|w| w.1).max().unwrap_or(start),
        );
        let tracks = station_tracks(state, &zone, &proj, span).await?;
        let mut day_posts = post_check_ins(
            &proj,
            &posts,
            &post_windows,
            &tracks,
            cfg.checkin_radius_m,
            min_stay,
            max_gap,
        );
        merge_manual(
            &mut day_posts,
            store::manual_checkins(&state.db, &plan.id, span).await?,
        );
        let checked = day_posts.iter().filter(|p| p.checked_in).count();
        let mut cells_visited = 0;
        for (k, (cell, w)) in hot.iter().zip(&cell_windows).enumerate() {
            if visited(cell, *w, &tracks, cell_m, max_gap) {
                visited_days[k] += 1;
                cells_visited += 1;
            }
        }
        post_checks += checked;
        by_day.push(DayCoverage {
            date: date.to_string(),
            posts_checked: checked,
            cells_visited,
        });
    }

    // The effect: equal periods before and after the plan's first day (the after period ends now
    // at the latest).
    let after_from = pingan_domain::time::day_start(valid_from);
    let after_to = (pingan_domain::time::day_start(to) + DAY).min(state.now());
    let len = (after_to - after_from).max(0);
    let (before_from, before_to) = (after_from - len, after_from);
    let (around, _) = super::zone_incidents(
        &state.db,
        &actor.scope,
        &zone,
        &shape,
        (before_from, after_to),
        "to",
    )
    .await?;
    let cams = online_cameras(state, actor, &zone, &proj).await?;
    let mut cells = Vec::with_capacity(hot.len());
    let (mut patrolled, mut comparison) = (GroupCounts::default(), GroupCounts::default());
    for (cell, visits) in hot.iter().zip(&visited_days) {
        let in_cell = around
            .iter()
            .filter(|(x, y, _)| cell.contains(*x, *y, cell_m));
        let before = in_cell.clone().filter(|p| p.2 < before_to).count() as u64;
        let after = in_cell.filter(|p| p.2 >= after_from).count() as u64;
        let is_patrolled = *visits * 2 >= days;
        let group = if is_patrolled {
            &mut patrolled
        } else {
            &mut comparison
        };
        group.cells += 1;
        group.before += before;
        group.after += after;
        let (cx, cy) = cell.centre(cell_m);
        let (lng, lat) = proj.inverse(cx, cy);
        cells.push(CellCoverage {
            lng,
            lat,
            incidents: cell.incidents,
            window: cell.window,
            window_label: cell.window.label(),
            visited_days: *visits,
            patrolled: is_patrolled,
            before,
            after,
            camera: watched(&cams, (cx, cy)),
        });
    }
    let posts_without_camera = posts
        .iter()
        .enumerate()
        .filter(|(_, p)| !watched(&cams, proj.forward(p.lng, p.lat)))
        .map(|(i, _)| i + 1)
        .collect();
    Ok(Coverage {
        plan_id: plan.id,
        from: from.to_string(),
        to: to.to_string(),
        days,
        cell_m,
        post_checks,
        post_days: posts.len() * days,
        cell_visits: visited_days.iter().sum(),
        cell_days: hot.len() * days,
        cells,
        by_day,
        posts_without_camera,
        effect: Effect {
            before_from,
            before_to,
            after_from,
            after_to,
            estimate: compare(patrolled, comparison),
            patrolled,
            comparison,
            method: METHOD.into(),
        },
    })
}

/// Whether any station unit was inside the cell during `window`, each track read as straight,
/// steady movement between fixes no more than `max_gap` apart (as check-ins read it), so a unit
/// crossing the cell between two fixes — or a folded track — counts.
fn visited(
    cell: &HotspotCell,
    (from, to): (i64, i64),
    tracks: &Tracks,
    size: f64,
    max_gap: i64,
) -> bool {
    let (x0, y0) = (cell.key.0 as f64 * size, cell.key.1 as f64 * size);
    let rect = (x0, y0, x0 + size, y0 + size);
    tracks.values().any(|(_, track)| {
        let lo = track.partition_point(|f| f.at < from - max_gap);
        let hi = track.partition_point(|f| f.at <= to + max_gap);
        let part = &track[lo..hi];
        part.iter()
            .any(|f| f.at >= from && f.at < to && cell.contains(f.x, f.y, size))
            || part.windows(2).any(|w| {
                w[1].at - w[0].at <= max_gap && moves_through(&w[0], &w[1], (from, to), rect)
            })
    })
}

/// Whether the straight, steady move from `a` to `b`, during `[from, to)`, touches the rectangle
/// `(x0, y0, x1, y1)` (Liang–Barsky clipping).
fn moves_through(
    a: &Fix,
    b: &Fix,
    (from, to): (i64, i64),
    (x0, y0, x1, y1): (f64, f64, f64, f64),
) -> bool {
    let (ta, tb) = (a.at.max(from), b.at.min(to));
    if ta >= tb {
        return false;
    }
    let span = (b.at - a.at) as f64;
    let at = |t: i64| {
        let s = if span > 0.0 {
            (t - a.at) as f64 / span
        } else {
            0.0
        };
        (a.x + s * (b.x - a.x), a.y + s * (b.y - a.y))
    };
    let (p, q) = (at(ta), at(tb));
    let (dx, dy) = (q.0 - p.0, q.1 - p.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (pk, qk) in [
        (-dx, p.0 - x0),
        (dx, x1 - p.0),
        (-dy, p.1 - y0),
        (dy, y1 - p.1),
    ] {
        if pk == 0.0 {
            if qk < 0.0 {
                return false;
            }
        } else {
            let r = qk / pk;
            if pk < 0.0 {
                t0 = t0.max(r);
            } else {
                t1 = t1.min(r);
            }
            if t0 > t1 {
                return false;
            }
        }
    }
    true
}

/// The cameras near the zone that are online now and have a sector: (projected position, sector).
async fn online_cameras(
    state: &AppState,
    actor: &Actor,
    zone: &pingan_store::patrol::ZoneRow,
    proj: &pingan_geo::Projection,
) -> ApiResult<Vec<((f64, f64), pingan_domain::camera::Sector)>> {
    let reach = pingan_domain::camera::MAX_RANGE_M;
    let dlat = reach / 110_574.0;
    let dlng = reach / (111_320.0 * zone.min_y.to_radians().cos().max(0.01));
    let near = pingan_store::cameras::sites_in_box(
        &state.db,
        &actor.scope,
        [
            zone.min_x - dlng,
            zone.min_y - dlat,
            zone.max_x + dlng,
            zone.max_y + dlat,
        ],
    )
    .await?;
    let now = state.now();
    let timeout = state.config.dispatch.camera_heartbeat_timeout_seconds * 1_000_000;
    Ok(near
        .into_iter()
        .filter(|c| match (c.online, c.last_heartbeat_at) {
            (Some(online), Some(last)) => online && now <= last + timeout,
            _ => c.active,
        })
        .filter_map(|c| {
            let sector = pingan_domain::camera::Sector {
                direction_deg: c.direction_deg?,
                fov_deg: c.fov_deg?,
                range_m: c.range_m?,
            };
            Some((proj.forward(c.lng, c.lat), sector))
        })
        .collect())
}

fn watched(cams: &[((f64, f64), pingan_domain::camera::Sector)], (x, y): (f64, f64)) -> bool {
    cams.iter().any(|((cx, cy), s)| s.contains(x - cx, y - cy))
}
