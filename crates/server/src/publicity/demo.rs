//! Demo 法治宣传: the 综治 office's "民法典进万家" campaign over 枫桥镇, started 45 days ago with
//! targets in communities, villages and schools; the events held since in five grids, so the
//! campaign page has settings against target and a before/after comparison to show.

use super::{NewPublicityCampaign, NewPublicityEvent, Target};
use crate::config::Config;
use crate::state::AppState;
use pingan_domain::publicity::Setting;
use pingan_store::{Db, args};

/// Once: returns whether anything was made.
pub async fn ensure(db: &Db, config: &Config) -> anyhow::Result<bool> {
    let (n,): (i64,) = db
        .fetch_one("SELECT COUNT(*) FROM publicity_campaigns", args![])
        .await?;
    if n > 0 {
        return Ok(false);
    }
    let state = AppState::new(config.clone(), db.clone())?;
    let coordinator = crate::accounts::demo::actor(db, "coordinator").await?;
    let officer = crate::accounts::demo::actor(db, "officer").await?;
    let err = |e: crate::error::ApiError| anyhow::anyhow!("demo publicity: {e:?}");
    let grids: Vec<(String,)> = db
        .fetch_all(
            "SELECT code FROM grids WHERE area_path LIKE ? ORDER BY code",
            args!["/330681/330681109/%"],
        )
        .await?;
    let today = state.today();
    let start = today
        .checked_add(jiff::Span::new().days(-45))
        .unwrap_or(today);
    state.clock.advance_seconds(-45 * 86_400);
    let c = super::create(
        &state,
        &coordinator,
        NewPublicityCampaign {
            name: "民法典进万家".into(),
            theme: Some("民法典 · 反诈".into()),
            area_path: "/330681/330681109/".into(),
            starts_on: start.to_string(),
            ends_on: today
                .checked_add(jiff::Span::new().days(45))
                .unwrap_or(today)
                .to_string(),
            targets: vec![
                Target {
                    setting: Setting::Community,
                    events: 6,
                },
                Target {
                    setting: Setting::Village,
                    events: 4,
                },
                Target {
                    setting: Setting::School,
                    events: 2,
                },
            ],
        },
    )
    .await
    .map_err(err)?;
    // (setting, place, its village, days after the start, attendance)
    let held = [
        (
            Setting::Community,
            "陈家社区文化礼堂",
            "330681109004",
            0,
            86,
        ),
        (Setting::School, "枫桥小学报告厅", "330681109002", 3, 420),
        (
            Setting::Community,
            "天竺社区居民活动室",
            "330681109002",
            5,
            64,
        ),
        (
            Setting::Village,
            "先进村村委会会议室",
            "330681109219",
            8,
            52,
        ),
        (
            Setting::Community,
            "陈家社区老街广场",
            "330681109004",
            12,
            120,
        ),
    ];
    let mut days_passed = 0;
    for (i, (setting, place, village, day, attendance)) in held.into_iter().enumerate() {
        state
            .clock
            .advance_seconds((day - days_passed) * 86_400 + 3_600);
        days_passed = day;
        let mut in_village = grids.iter().filter(|g| g.0.starts_with(village));
        let grid = in_village
            .nth(i % 2)
            .or_else(|| grids.iter().find(|g| g.0.starts_with(village)))
            .map(|g| g.0.clone())
            .unwrap_or_default();
        super::record_event(
            &state,
            &officer,
            &c.id,
            NewPublicityEvent {
                setting,
                held_at: None,
                place: place.into(),
                grid_code: grid,
                attendance,
                materials: Some("《民法典》宣传册、反诈宣传折页".into()),
                note: None,
            },
        )
        .await
        .map_err(err)?;
    }
    Ok(true)
}
