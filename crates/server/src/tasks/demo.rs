//! Demo 交办/督办 (beside the tasks the demo meeting assigned): the station chief's direct task for the
//! officer, due yesterday and so carded yellow, and one the auxiliary officer has reported done,
//! waiting for the chief to accept it.

use crate::config::Config;
use crate::state::AppState;
use crate::tasks::{self, Completion, NewSupervisedTask};
use pingan_store::{Db, args};

/// Once (when no task has been assigned directly yet): returns whether anything was made.
pub async fn ensure(db: &Db, config: &Config) -> anyhow::Result<bool> {
    let (n,): (i64,) = db
        .fetch_one(
            "SELECT COUNT(*) FROM tasks WHERE meeting_id IS NULL",
            args![],
        )
        .await?;
    if n > 0 {
        return Ok(false);
    }
    let state = AppState::new(config.clone(), db.clone())?;
    let chief = crate::accounts::demo::actor(db, "chief").await?;
    let officer = crate::accounts::demo::actor(db, "officer").await?;
    let auxiliary = crate::accounts::demo::actor(db, "auxiliary").await?;
    let err = |e: crate::error::ApiError| anyhow::anyhow!("demo tasks: {e:?}");
    let station = chief
        .org_id
        .clone()
        .ok_or_else(|| anyhow::anyhow!("the demo chief has no organisation"))?;
    let today = state.today();
    let day = |n: i64| {
        today
            .checked_add(jiff::Span::new().days(n))
            .unwrap_or(today)
    };
    // Assigned today with yesterday's deadline would be refused; the demo's clock is moved back a
    // few days for the assignment instead, as if it had been made then.
    state.clock.advance_seconds(-4 * 86_400);
    tasks::assign(
        &state,
        &chief,
        NewSupervisedTask {
            title: "核查陈家社区监控盲区".into(),
            detail: Some("对照雪亮工程点位，核查陈家社区主要路口的监控盲区并提出补点建议。".into()),
            lead_org_id: station.clone(),
            lead_user_id: officer.user_id.clone(),
            co_org_ids: Vec::new(),
            due_on: day(-1).to_string(),
            link: None,
        },
        None,
    )
    .await
    .map_err(err)?;
    let patrol = tasks::assign(
        &state,
        &chief,
        NewSupervisedTask {
            title: "学校周边上下学时段护学岗".into(),
            detail: None,
            lead_org_id: station,
            lead_user_id: auxiliary.user_id.clone(),
            co_org_ids: Vec::new(),
            due_on: day(3).to_string(),
            link: None,
        },
        None,
    )
    .await
    .map_err(err)?;
    state.clock.advance_seconds(4 * 86_400);
    tasks::submit(
        &state,
        &auxiliary,
        &patrol.id,
        Completion {
            note: "本周上下学时段护学岗已按排班落实，无异常。".into(),
            evidence: Vec::new(),
            updated_at: patrol.updated_at,
        },
    )
    .await
    .map_err(err)?;
    Ok(true)
}
