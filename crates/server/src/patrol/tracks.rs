//! 轨迹: a unit's GPS track over a period, for replay on the map — the fixes in order, where the
//! track falls silent for longer than `patrol.max_gap_minutes`, and the distance covered.

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use pingan_domain::Permission;
use pingan_domain::patrol::{Fix, metres_between, track_gaps};
use pingan_store::patrol as store;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The longest period one request may replay.
pub const MAX_DAYS: i64 = 7;
/// Most fixes one track answers with (a week at one fix every 10 s is 60,480).
pub const MAX_FIXES: i64 = 100_000;

/// The period, RFC 3339 instants.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TrackQuery {
    pub from: Option<String>,
    pub to: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrackPoint {
    pub at: i64,
    pub lng: f64,
    pub lat: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrackSilence {
    pub from: i64,
    pub to: i64,
}

/// A unit's track for a period.
#[derive(Debug, Serialize, ToSchema)]
pub struct Track {
    pub unit_id: String,
    pub unit_name: String,
    pub from: i64,
    pub to: i64,
    pub fixes: Vec<TrackPoint>,
    pub gaps: Vec<TrackSilence>,
    /// Metres along the fixes (great circle between consecutive fixes).
    pub length_m: f64,
    /// Days of the period whose raw fixes were folded into a simplified track (after
    /// `patrol.raw_fix_days`), with the error bound that holds there.
    pub folded: Vec<FoldedDay>,
}

/// A day of a track that is a fold of its raw fixes: every raw fix lay within `max_error_m`
/// (at most `tolerance_m`) of the simplified track at its own instant.
#[derive(Debug, Serialize, ToSchema)]
pub struct FoldedDay {
    /// UTC µs, the local day's first instant and the next day's.
    pub day_start: i64,
    pub day_end: i64,
    pub raw_fixes: i64,
    pub kept_fixes: i64,
    pub tolerance_m: f64,
    pub max_error_m: f64,
}

pub async fn track(
    state: &AppState,
    actor: &Actor,
    unit_id: &str,
    q: &TrackQuery,
) -> ApiResult<Track> {
    actor.require(state, Permission::PatrolRead).await?;
    let unit = pingan_store::units::get(&state.db, &actor.scope, unit_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let required = |field: &str| {
        ApiError::problem(Problem::new(
            field,
            "required",
            format!("{field} is required"),
        ))
    };
    let from =
        crate::validate::instant("from", q.from.as_deref())?.ok_or_else(|| required("from"))?;
    let to = crate::validate::instant("to", q.to.as_deref())?.ok_or_else(|| required("to"))?;
    if to <= from || to - from > MAX_DAYS * 86_400_000_000 {
        return Err(ApiError::problem(
            Problem::new(
                "to",
                "patrol_track_period",
                format!("to must be after from, at most {MAX_DAYS} days later"),
            )
            .with("days", MAX_DAYS),
        ));
    }
    let rows = store::unit_fixes(&state.db, unit_id, (from, to), MAX_FIXES).await?;
    if rows.len() as i64 > MAX_FIXES {
        return Err(ApiError::problem(
            Problem::new(
                "to",
                "patrol_track_period",
                format!("more than {MAX_FIXES} fixes: choose a shorter period"),
            )
            .with("days", MAX_DAYS),
        ));
    }
    let folded = store::folds(&state.db, unit_id, (from, to))
        .await?
        .into_iter()
        .map(|f| FoldedDay {
            day_start: f.day_start,
            day_end: f.day_end,
            raw_fixes: f.raw_fixes,
            kept_fixes: f.kept_fixes,
            tolerance_m: f.tolerance_m,
            max_error_m: f.max_error_m,
        })
        .collect();
    let proj = pingan_geo::Projection::gauss_kruger_3deg(rows.first().map_or(120.0, |r| r.1));
    let fixes: Vec<Fix> = rows
        .iter()
        .map(|r| {
            let (x, y) = proj.forward(r.1, r.2);
            Fix { at: r.0, x, y }
        })
        .collect();
    let max_gap = (state.config.patrol.max_gap_minutes * 60e6) as i64;
    let length_m = rows
        .windows(2)
        .map(|w| metres_between([w[0].1, w[0].2], [w[1].1, w[1].2]))
        .sum();
    Ok(Track {
        unit_id: unit.id,
        unit_name: unit.name,
        from,
        to,
        gaps: track_gaps(&fixes, max_gap)
            .into_iter()
            .map(|(from, to)| TrackSilence { from, to })
            .collect(),
        fixes: rows
            .into_iter()
            .map(|(at, lng, lat)| TrackPoint { at, lng, lat })
            .collect(),
        length_m,
        folded,
    })
}
