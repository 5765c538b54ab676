//! 轨迹压缩: raw GPS fixes older than `patrol.raw_fix_days` are folded, unit-day by unit-day, into
//! simplified tracks (`pingan_geo::track`: Douglas–Peucker on the time-synchronised distance, so the
//! position at every instant — not only the path's shape — stays within `patrol.fold_tolerance_m`;
//! both ends of a silence longer than `patrol.max_gap_minutes` are kept, so a gap stays a gap). Each
//! unit-day is one audited transaction: the kept fixes and a record of the fold (how many fixes,
//! the bound asked for and the largest error measured) are written and the raw fixes deleted
//! together, so a crash leaves a day either raw or folded. Readers (`store::patrol::unit_fixes`)
//! see one or the other. A fold keeps time and position; the devices' speed and heading go.
//!
//! Check-ins and coverage of a folded day are computed on the simplified track: a unit's position
//! there is off by at most the tolerance, so a stay at a post's radius edge may count or not by
//! that margin. The fold is a leased job (`patrol_fold`): one server folds a given period.

use crate::error::ApiResult;
use crate::state::AppState;
use pingan_domain::audit::{AuditEntry, AuditOutcome};
use pingan_geo::track::{Fix, SimplifyParams, max_sed_error, simplify};
use pingan_store::patrol::{self as store, TrackFold};

const DAY: i64 = 86_400_000_000;
/// Unit-days folded per run at most (the rest wait for the next period).
const UNIT_DAYS_PER_RUN: i64 = 500;

/// What one run folded.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Folded {
    pub unit_days: usize,
    pub raw_fixes: usize,
    pub kept_fixes: usize,
}

/// Folds, unit by unit, the oldest days whose raw fixes are past the retention (whole local days
/// only), at most [`UNIT_DAYS_PER_RUN`] a run.
pub async fn fold_old_fixes(state: &AppState) -> ApiResult<Folded> {
    let days = state.config.patrol.raw_fix_days;
    if days <= 0 {
        return Ok(Folded::default());
    }
    let today = pingan_domain::time::day_start(state.today());
    let cutoff = today - days * DAY;
    let params = SimplifyParams {
        tolerance_m: state.config.patrol.fold_tolerance_m.max(0.0),
        max_gap_us: ((state.config.patrol.max_gap_minutes * 60_000_000.0) as i64).max(1),
    };
    let mut done = Folded::default();
    for unit_id in store::unit_ids(&state.db).await? {
        while let Some(oldest) = store::oldest_raw_fix(&state.db, &unit_id, cutoff).await? {
            if done.unit_days as i64 >= UNIT_DAYS_PER_RUN {
                return Ok(done);
            }
            let date = pingan_domain::time::local_date(pingan_domain::time::from_micros(oldest));
            let day_start = date
                .parse::<jiff::civil::Date>()
                .map(pingan_domain::time::day_start)
                .unwrap_or(oldest - oldest.rem_euclid(DAY));
            let (raw, kept) =
                fold_day(state, &unit_id, (day_start, day_start + DAY), params).await?;
            done.unit_days += 1;
            done.raw_fixes += raw;
            done.kept_fixes += kept;
        }
    }
    Ok(done)
}

/// Folds one unit-day in one transaction; `(raw, kept)` fixes. The raw fixes are taken out of the
/// table (deleted and returned), so exactly what is folded goes. A day folded before (fixes that
/// arrived late, possible only after `raw_fix_days` was lowered) is folded again from its kept fixes
/// and the late ones; its recorded error is then the earlier bound plus the new one.
async fn fold_day(
    state: &AppState,
    unit_id: &str,
    day: (i64, i64),
    params: SimplifyParams,
) -> ApiResult<(usize, usize)> {
    let mut tx = state.db.begin().await?;
    let raw = store::take_raw_fixes(&mut tx, unit_id, day).await?;
    let prior = store::take_folded_day(&mut tx, unit_id, day).await?;
    let mut rows = raw.clone();
    if let Some((_, kept)) = &prior {
        rows.extend(kept.iter().copied());
        rows.sort_by_key(|a| a.0);
    }
    // One position per instant (two devices of a unit may report the same second): the first.
    let mut fixes: Vec<Fix> = Vec::with_capacity(rows.len());
    for (at, lng, lat) in rows.iter().copied() {
        if fixes.last().is_none_or(|f| f.at < at) {
            fixes.push(Fix { at, lng, lat });
        }
    }
    let (kept, measured) = match fold_keep(&fixes, params) {
        Ok(idx) => {
            let err = max_sed_error(&fixes, &idx);
            (idx.into_iter().map(|i| fixes[i]).collect::<Vec<_>>(), err)
        }
        // Positions the ingest let through but the fold cannot place are kept as they are.
        Err(e) => {
            tracing::warn!(unit = unit_id, error = %e, "fold: track kept unsimplified");
            (fixes.clone(), 0.0)
        }
    };
    let measured = if measured.is_finite() { measured } else { 0.0 };
    let fold = TrackFold {
        unit_id: unit_id.to_string(),
        day_start: day.0,
        day_end: day.1,
        raw_fixes: raw.len() as i64 + prior.as_ref().map_or(0, |p| p.0.raw_fixes),
        kept_fixes: kept.len() as i64,
        tolerance_m: params.tolerance_m,
        max_error_m: measured + prior.as_ref().map_or(0.0, |p| p.0.max_error_m),
        folded_at: state.now(),
    };
    let kept_rows: Vec<(i64, f64, f64)> = kept.iter().map(|f| (f.at, f.lng, f.lat)).collect();
    store::write_fold(&mut tx, &fold, &kept_rows).await?;
    tx.commit_audited(vec![AuditEntry {
        at: fold.folded_at,
        actor_id: None,
        actor_name: "system".into(),
        action: "patrol.fold_track".into(),
        object_type: "unit".into(),
        object_id: Some(unit_id.to_string()),
        outcome: AuditOutcome::Ok,
        purpose: None,
        ip: None,
        detail: serde_json::json!({
            "day_start": day.0, "raw": raw.len(), "kept": fold.kept_fixes,
            "tolerance_m": fold.tolerance_m, "max_error_m": fold.max_error_m,
            "refolded": prior.is_some(),
        })
        .to_string(),
    }])
    .await?;
    Ok((raw.len(), kept.len()))
}

/// Which fixes a fold keeps: a fix at least every `max_gap_us` wherever the raw track had one (so
/// a folded straight stretch never reads as a silence, and stays at posts are not broken), both ends
/// of every real silence, and between those, what the time-synchronised Douglas–Peucker keeps.
/// Each stretch is simplified on its own, so the bound holds in every one.
pub fn fold_keep(
    fixes: &[Fix],
    params: SimplifyParams,
) -> Result<Vec<usize>, pingan_geo::track::TrackError> {
    if fixes.len() < 3 {
        return Ok((0..fixes.len()).collect());
    }
    let mut anchors = vec![0usize];
    for k in 1..fixes.len() {
        let last = *anchors.last().unwrap_or(&0);
        if fixes[k].at - fixes[last].at > params.max_gap_us {
            if k - 1 > last {
                anchors.push(k - 1);
            }
            let last = *anchors.last().unwrap_or(&0);
            if fixes[k].at - fixes[last].at > params.max_gap_us {
                anchors.push(k);
            }
        }
    }
    if anchors.last() != Some(&(fixes.len() - 1)) {
        anchors.push(fixes.len() - 1);
    }
    let mut kept = Vec::new();
    for w in anchors.windows(2) {
        let (a, b) = (w[0], w[1]);
        for i in simplify(&fixes[a..=b], params)? {
            if kept.last() != Some(&(a + i)) {
                kept.push(a + i);
            }
        }
    }
    Ok(kept)
}

/// The leased job.
pub fn job(state: &AppState) -> crate::jobs::Job {
    crate::jobs::Job::new(
        "patrol_fold",
        std::time::Duration::from_secs(state.config.patrol.fold_seconds),
        |state| {
            Box::pin(async move {
                let f = fold_old_fixes(&state).await?;
                Ok(f.unit_days)
            })
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000;

    fn line(n: usize, step_s: i64, metres_per_step: f64) -> Vec<Fix> {
        (0..n)
            .map(|i| Fix {
                at: i as i64 * step_s * S,
                lng: 120.2 + i as f64 * metres_per_step / 96_000.0,
                lat: 29.7,
            })
            .collect()
    }

    #[test]
    fn a_straight_stretch_keeps_a_fix_every_max_gap() {
        let p = SimplifyParams {
            tolerance_m: 5.0,
            max_gap_us: 300 * S,
        };
        // An hour at 10 s, straight and steady: DP alone would keep 2 fixes an hour apart.
        let fixes = line(361, 10, 14.0);
        let kept = fold_keep(&fixes, p).unwrap();
        assert_eq!(kept.first(), Some(&0));
        assert_eq!(kept.last(), Some(&360));
        assert!(
            kept.windows(2)
                .all(|w| fixes[w[1]].at - fixes[w[0]].at <= 300 * S)
        );
        assert!(kept.len() <= 14, "{kept:?}");
        assert!(max_sed_error(&fixes, &kept) <= 5.0 + 1e-6);
    }

    #[test]
    fn a_real_silence_stays_a_silence() {
        let p = SimplifyParams {
            tolerance_m: 5.0,
            max_gap_us: 300 * S,
        };
        let mut fixes = line(30, 10, 14.0);
        // Twenty minutes without a fix, then on again.
        let resume = fixes[29].at + 1_200 * S;
        fixes.extend(line(30, 10, 14.0).into_iter().map(|f| Fix {
            at: f.at + resume,
            ..f
        }));
        let kept = fold_keep(&fixes, p).unwrap();
        assert!(kept.contains(&29) && kept.contains(&30), "{kept:?}");
        let longest = kept
            .windows(2)
            .map(|w| fixes[w[1]].at - fixes[w[0]].at)
            .max()
            .unwrap();
        assert_eq!(longest, fixes[30].at - fixes[29].at);
        assert!(max_sed_error(&fixes, &kept) <= 5.0 + 1e-6);
    }

    #[test]
    fn short_tracks_are_kept_whole() {
        let p = SimplifyParams {
            tolerance_m: 5.0,
            max_gap_us: 300 * S,
        };
        assert_eq!(fold_keep(&[], p).unwrap(), Vec::<usize>::new());
        assert_eq!(fold_keep(&line(2, 10, 1.0), p).unwrap(), vec![0, 1]);
    }
}
