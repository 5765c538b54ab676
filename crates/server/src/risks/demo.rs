//! Demo 风险联排: the 综治 office's winter fire-safety screening of 枫桥镇 started a week ago. The
//! 陈家社区 grid worker has finished one grid (a blocked fire exit found: ordered rectified by three
//! days ago, so its order is overdue and carded by the next supervision sweep) and half of another;
//! the other grids have not started. Beside it: a risk the officer found on patrol and the chief
//! had removed on the spot, one whose rectification is reported done, waiting for re-inspection, and
//! one just found in 先进村, waiting for an order.

use super::campaigns::{self, ChecklistItem, GridDone, NewCheckAnswer, NewRiskCampaign};
use super::{NewRiskReport, RectificationOrder};
use crate::config::Config;
use crate::state::AppState;
use crate::tasks::ordered;
use pingan_domain::risk::{CheckResult, RiskLevel as Level};
use pingan_store::{Db, args};

/// Once: returns whether anything was made.
pub async fn ensure(db: &Db, config: &Config) -> anyhow::Result<bool> {
    let (n,): (i64,) = db.fetch_one("SELECT COUNT(*) FROM risks", args![]).await?;
    if n > 0 {
        return Ok(false);
    }
    let state = AppState::new(config.clone(), db.clone())?;
    let coordinator = crate::accounts::demo::actor(db, "coordinator").await?;
    let chief = crate::accounts::demo::actor(db, "chief").await?;
    let officer = crate::accounts::demo::actor(db, "officer").await?;
    let worker = crate::accounts::demo::actor(db, "gridworker").await?;
    let err = |e: crate::error::ApiError| anyhow::anyhow!("demo risks: {e:?}");
    let today = state.today();
    let day = |n: i64| {
        today
            .checked_add(jiff::Span::new().days(n))
            .unwrap_or(today)
    };
    let grids: Vec<(String,)> = db
        .fetch_all(
            "SELECT code FROM grids WHERE area_path LIKE ? ORDER BY code",
            args!["/330681/330681109/330681109004/%"],
        )
        .await?;
    let [first, second, ..] = grids.as_slice() else {
        anyhow::bail!("demo risks: 陈家社区 has fewer than two grids");
    };
    let item = |text: &str, category: &str| ChecklistItem {
        text: text.into(),
        category: category.into(),
    };
    // The campaign and its answers happened a week ago and since.
    state.clock.advance_seconds(-7 * 86_400);
    let campaign = campaigns::create(
        &state,
        &coordinator,
        NewRiskCampaign {
            name: "枫桥镇冬季消防安全风险联排".into(),
            area_path: "/330681/330681109/".into(),
            starts_on: day(-7).to_string(),
            ends_on: day(14).to_string(),
            checklist: vec![
                item("消防通道、安全出口畅通无占用", "fire"),
                item("灭火器配置到位且在有效期内", "fire"),
                item("出租房电动车不在楼道内停放充电", "fire"),
                item("村道夜间照明完好", "public_security"),
            ],
        },
    )
    .await
    .map_err(err)?;
    state.clock.advance_seconds(2 * 86_400);
    let answer = |seq: i64, result: CheckResult, risk: Option<NewRiskReport>| NewCheckAnswer {
        seq,
        result,
        note: None,
        risk,
    };
    let found = NewRiskReport {
        title: "陈家社区老街12号出租房安全出口堆放杂物".into(),
        category: "fire".into(),
        level: Level::High,
        detail: Some("一楼安全出口被纸箱和废旧家具堵塞，夜间无法通行。".into()),
        place_id: None,
        grid_code: None,
        lng: None,
        lat: None,
    };
    let sheet = campaigns::answer(
        &state,
        &worker,
        &campaign.id,
        &first.0,
        answer(1, CheckResult::Found, Some(found)),
    )
    .await
    .map_err(err)?;
    for seq in 2..=4 {
        campaigns::answer(
            &state,
            &worker,
            &campaign.id,
            &first.0,
            answer(seq, CheckResult::Fine, None),
        )
        .await
        .map_err(err)?;
    }
    campaigns::report(
        &state,
        &worker,
        &campaign.id,
        &first.0,
        GridDone {
            note: Some("已逐户检查，发现一处安全出口堵塞，已登记。".into()),
        },
    )
    .await
    .map_err(err)?;
    for seq in 1..=2 {
        campaigns::answer(
            &state,
            &worker,
            &campaign.id,
            &second.0,
            answer(seq, CheckResult::Fine, None),
        )
        .await
        .map_err(err)?;
    }
    let exit_risk = sheet.items[0]
        .answer
        .as_ref()
        .and_then(|a| a.risk_id.clone())
        .ok_or_else(|| anyhow::anyhow!("demo risks: the finding has no risk"))?;
    let station = chief
        .org_id
        .clone()
        .ok_or_else(|| anyhow::anyhow!("the demo chief has no organisation"))?;
    let village = worker
        .org_id
        .clone()
        .ok_or_else(|| anyhow::anyhow!("the demo grid worker has no organisation"))?;
    let r = super::get(&state, &coordinator, &exit_risk)
        .await
        .map_err(err)?;
    super::order(
        &state,
        &coordinator,
        &exit_risk,
        RectificationOrder {
            requirement: "清理安全出口杂物，设置禁止堆放标识，房东签订消防安全承诺书。".into(),
            lead_org_id: village,
            lead_user_id: worker.user_id.clone(),
            co_org_ids: vec![station.clone()],
            due_on: day(-3).to_string(),
            updated_at: r.updated_at,
        },
    )
    .await
    .map_err(err)?;
    state.clock.advance_seconds(5 * 86_400);

    // Found on patrol and removed on the spot.
    let spot = super::register(
        &state,
        &officer,
        NewRiskReport {
            title: "天竺社区菜场路口护栏缺失".into(),
            category: "traffic".into(),
            level: Level::General,
            detail: Some("路口护栏被撞倒，已通知交管部门当场恢复。".into()),
            place_id: None,
            grid_code: Some(grids_of(db, "/330681/330681109/330681109002/").await?),
            lng: None,
            lat: None,
        },
    )
    .await
    .map_err(err)?;
    super::close(
        &state,
        &coordinator,
        &spot.id,
        super::RiskClosure {
            note: "护栏已当场恢复。".into(),
            updated_at: spot.updated_at,
        },
    )
    .await
    .map_err(err)?;

    // Rectified and reported done; the re-inspection is the coordinator's to record.
    let school = super::register(
        &state,
        &chief,
        NewRiskReport {
            title: "枫桥小学门口流动摊贩占道".into(),
            category: "school_surroundings".into(),
            level: Level::General,
            detail: None,
            place_id: None,
            grid_code: Some(second.0.clone()),
            lng: None,
            lat: None,
        },
    )
    .await
    .map_err(err)?;
    let ordered = super::order(
        &state,
        &coordinator,
        &school.id,
        RectificationOrder {
            requirement: "上下学时段清理校门口流动摊贩，设置护学岗。".into(),
            lead_org_id: station,
            lead_user_id: officer.user_id.clone(),
            co_org_ids: Vec::new(),
            due_on: day(7).to_string(),
            updated_at: school.updated_at,
        },
    )
    .await
    .map_err(err)?;
    if let Some(o) = ordered.order {
        let t = ordered::detail(&state, &officer, &o.task_id)
            .await
            .map_err(err)?
            .task;
        ordered::submit(
            &state,
            &officer,
            &o.task_id,
            ordered::Completion {
                note: "已联合城管清理摊贩，护学岗已设立。".into(),
                evidence: Vec::new(),
                updated_at: t.updated_at,
            },
        )
        .await
        .map_err(err)?;
    }
    // Just found, waiting for the coordinator's order.
    super::register(
        &state,
        &officer,
        NewRiskReport {
            title: "先进村废弃厂房围墙倒塌，儿童常进入玩耍".into(),
            category: "public_security".into(),
            level: Level::High,
            detail: Some("厂房东侧围墙约十米倒塌，无警示标志。".into()),
            place_id: None,
            grid_code: Some(grids_of(db, "/330681/330681109/330681109219/").await?),
            lng: None,
            lat: None,
        },
    )
    .await
    .map_err(err)?;
    Ok(true)
}

async fn grids_of(db: &Db, path: &str) -> anyhow::Result<String> {
    let row: Option<(String,)> = db
        .fetch_optional(
            "SELECT code FROM grids WHERE area_path LIKE ? ORDER BY code LIMIT 1",
            args![format!("{path}%")],
        )
        .await?;
    row.map(|r| r.0)
        .ok_or_else(|| anyhow::anyhow!("demo risks: no grid under {path}"))
}
