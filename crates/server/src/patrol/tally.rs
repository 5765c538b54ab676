//! 必到点打卡 kept for the record: an hour after the last window of a published plan's day has
//! closed, each of its posts that day is written down as checked in by GPS, by hand, or missed
//! (`checkins::posts_on`, the same reading the plan's page shows). The patrol-coverage KPI and the
//! assessment count these rows, so a figure does not re-read months of tracks, and a day keeps its
//! answer after the fold thins its tracks. Every day of a plan's validity counts, as in `coverage`.
//! A fix or a manual check-in that arrives after the day was recorded does not change it.
//!
//! A leased job (`patrol_tally`): the plan's last recorded day moves forward by a conditional
//! UPDATE in the same transaction as the day's rows, so two servers never record a day twice.

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use pingan_domain::patrol::{CheckInMethod, window_on};
use pingan_store::patrol::{self as store, PostDay};

/// How long after a day's last window closes it is recorded: devices that were out of signal
/// send their buffered fixes when they reconnect.
pub const GRACE_MICROS: i64 = 3_600_000_000;
/// Plan-days recorded per run at most (the rest wait for the next period).
const DAYS_PER_RUN: usize = 500;

/// Records every plan-day whose windows closed more than [`GRACE_MICROS`] ago and that is not yet
/// recorded; returns how many plan-days were written.
pub async fn record_due(state: &AppState) -> ApiResult<usize> {
    let mut done = 0;
    for (plan_id, tallied_to) in store::plans_to_tally(&state.db, 200).await? {
        if done >= DAYS_PER_RUN {
            break;
        }
        let Some(plan) = store::plan_unscoped(&state.db, &plan_id).await? else {
            continue;
        };
        let Some(zone) = store::zone_unscoped(&state.db, &plan.zone_id).await? else {
            continue;
        };
        done += record_plan(state, &plan, &zone, tallied_to, DAYS_PER_RUN - done).await?;
    }
    Ok(done)
}

/// Records a plan's due days after `tallied_to`, at most `max`; stops at the first day not yet
/// over, or when another server has recorded the day first.
async fn record_plan(
    state: &AppState,
    plan: &store::PlanRow,
    zone: &store::ZoneRow,
    mut tallied_to: Option<String>,
    max: usize,
) -> ApiResult<usize> {
    let posts = super::checkins::plan_posts(plan)?;
    let parse = |d: &str| {
        d.parse::<jiff::civil::Date>()
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("plan {}: day {d}: {e}", plan.id)))
    };
    let last = parse(&plan.valid_to)?;
    let mut day = match &tallied_to {
        Some(d) => parse(d)?
            .tomorrow()
            .map_err(|e| ApiError::Internal(e.into()))?,
        None => parse(&plan.valid_from)?,
    };
    let mut done = 0;
    while day <= last && done < max {
        let start = pingan_domain::time::day_start(day);
        let windows: Vec<(i64, i64)> = posts.iter().map(|p| window_on(p.window, start)).collect();
        let closed = windows.iter().map(|w| w.1).max().unwrap_or(start);
        let now = state.now();
        if closed + GRACE_MICROS > now {
            break;
        }
        let (checked, _) = super::checkins::posts_on(state, plan, zone, day).await?;
        let d = day.to_string();
        let rows: Vec<PostDay> = checked
            .iter()
            .map(|p| (p, CheckInMethod::of(p.gps, !p.manual.is_empty())))
            .map(|(p, method)| PostDay {
                plan_id: plan.id.clone(),
                day: d.clone(),
                post: p.post as i64,
                window_from: p.from,
                window_to: p.to,
                zone_name: zone.name.clone(),
                area_path: plan.area_path.clone(),
                org_path: plan.org_path.clone(),
                method: method.code().to_string(),
                checked_in: method.checked_in(),
                recorded_at: now,
            })
            .collect();
        let mut tx = state.db.begin().await?;
        if !store::record_post_days(&mut tx, &plan.id, tallied_to.as_deref(), &d, &rows).await? {
            return Ok(done);
        }
        tx.commit_audited(vec![]).await?;
        done += 1;
        tallied_to = Some(d);
        day = match day.tomorrow() {
            Ok(next) => next,
            Err(_) => break,
        };
    }
    Ok(done)
}

pub fn job(_state: &AppState) -> crate::jobs::Job {
    crate::jobs::Job::new(
        "patrol_tally",
        std::time::Duration::from_secs(600),
        |state| Box::pin(async move { Ok(record_due(&state).await?) }),
    )
}
