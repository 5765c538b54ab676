//! Demo 考核: for last quarter, the 综治 coordinator enters each 枫桥镇 village's key-work points
//! with their evidence and the station chief confirms all but one (left awaiting a second person), so the
//! village ranking and a village's breakdown have computed and manual indicators to show. From this
//! month the station scheme is at version 2, with training hours per head and patrol posts checked in
//! among its indicators.

use super::NewManualItem;
use crate::config::Config;
use crate::state::AppState;
use pingan_domain::assessment::UnitType;
use pingan_domain::period::{PeriodKind, ReportPeriod};
use pingan_store::{Db, args};

/// Once: returns whether anything was made.
pub async fn ensure(db: &Db, config: &Config) -> anyhow::Result<bool> {
    let (n,): (i64,) = db
        .fetch_one("SELECT COUNT(*) FROM assessment_items", args![])
        .await?;
    if n > 0 {
        return Ok(false);
    }
    let state = AppState::new(config.clone(), db.clone())?;
    let coordinator = crate::accounts::demo::actor(db, "coordinator").await?;
    let chief = crate::accounts::demo::actor(db, "chief").await?;
    let err = |e: crate::error::ApiError| anyhow::anyhow!("demo assessment: {e:?}");
    let quarter = ReportPeriod::containing(PeriodKind::Quarter, state.today()).previous();
    let villages = super::units(
        &state,
        &coordinator,
        UnitType::Village,
        "/330681/330681109/",
    )
    .await
    .map_err(err)?;
    let evidence = [
        "季度平安创建台账齐全，联防巡逻记录按周上报",
        "矛盾纠纷排查按月开展，调解卷宗规范",
        "法治宣传进村三次，反诈宣传覆盖全部网格",
        "重点场所检查整改及时，隐患销号",
    ];
    for (i, v) in villages.iter().enumerate() {
        let id = super::add_item(
            &state,
            &coordinator,
            &NewManualItem {
                unit_type: UnitType::Village,
                unit_key: v.key.clone(),
                period: quarter.to_string(),
                indicator: "key_work".into(),
                points: [8.5, 7.0, 9.0, 6.5][i % 4],
                evidence: evidence[i % evidence.len()].into(),
            },
        )
        .await
        .map_err(err)?;
        if i + 1 < villages.len() {
            super::confirm_item(&state, &chief, &id)
                .await
                .map_err(err)?;
        }
    }
    station_training(&state, &coordinator).await.map_err(err)?;
    Ok(!villages.is_empty())
}

/// Version 2 of the station scheme from this month: training hours per head (队伍建设, 4 hours a
/// month each) and the patrol posts checked in join the indicators, weighed out of the key work's
/// and the response clocks' points.
async fn station_training(
    state: &AppState,
    coordinator: &crate::auth::Actor,
) -> crate::error::ApiResult<()> {
    let mut indicators = pingan_domain::assessment::default_scheme(UnitType::Station);
    for i in &mut indicators {
        if matches!(
            i.code.as_str(),
            "key_work" | "arrival_on_target" | "dispatch_on_target"
        ) {
            i.weight -= 5.0;
        }
    }
    indicators.push(pingan_domain::assessment::Indicator {
        code: "patrol_checkins".into(),
        name_zh: "巡逻必到点打卡率".into(),
        name_en: "Patrol posts checked in".into(),
        weight: 10.0,
        rule: pingan_domain::assessment::Rule::Share {
            num: "patrol.post_days_checked_in".into(),
            den: "patrol.post_days".into(),
        },
    });
    indicators.push(pingan_domain::assessment::Indicator {
        code: "training_hours".into(),
        name_zh: "人均训练学时（每月4学时满分）".into(),
        name_en: "Training hours per head (4 a month earns it all)".into(),
        weight: 5.0,
        rule: pingan_domain::assessment::Rule::PerHead {
            measure: "training.attendance".into(),
            heads: "training.staff".into(),
            target: 4.0,
        },
    });
    let month = ReportPeriod::containing(PeriodKind::Month, state.today());
    super::add_scheme(
        state,
        coordinator,
        &super::NewScheme {
            unit_type: UnitType::Station,
            effective_from: month.to_string(),
            indicators,
            note: "加入队伍建设：人均训练学时".into(),
        },
    )
    .await?;
    Ok(())
}
