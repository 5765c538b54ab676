//! Demo 联席会议: the 综治 office's joint meeting of ten days ago with 枫桥派出所, 枫桥镇人民政府 and
//! 陈家社区居委会 (agenda, minutes, two decisions). The first decision assigned the station chief to clear up
//! the night market's order by five days ago — now overdue, red-carded — and the community's grid
//! worker to visit the shops along the old street within the next ten days; the second, with the
//! town government's agreement, asks the chief for a joint fire-safety check.

use crate::config::Config;
use crate::meetings::{self, AgendaItem, NewDecision, NewMeeting};
use crate::state::AppState;
use crate::tasks::decided::NewSupervisedTask;
use pingan_store::{Db, args};

/// Once: returns whether anything was made.
pub async fn ensure(db: &Db, config: &Config) -> anyhow::Result<bool> {
    let (n,): (i64,) = db
        .fetch_one("SELECT COUNT(*) FROM meetings", args![])
        .await?;
    if n > 0 {
        return Ok(false);
    }
    let state = AppState::new(config.clone(), db.clone())?;
    let coordinator = crate::accounts::demo::actor(db, "coordinator").await?;
    let err = |e: crate::error::ApiError| anyhow::anyhow!("demo meetings: {e:?}");
    let org = |name: &'static str| async move {
        let row: Option<(String,)> = db
            .fetch_optional("SELECT id FROM orgs WHERE name = ?", args![name])
            .await?;
        row.map(|r| r.0)
            .ok_or_else(|| anyhow::anyhow!("demo org {name} missing"))
    };
    let user = |name: &'static str| async move {
        let row: Option<(String,)> = db
            .fetch_optional("SELECT id FROM users WHERE username = ?", args![name])
            .await?;
        row.map(|r| r.0)
            .ok_or_else(|| anyhow::anyhow!("demo user {name} missing"))
    };
    let today = state.today();
    let day = |n: i64| {
        today
            .checked_add(jiff::Span::new().days(n))
            .unwrap_or(today)
    };
    let held = pingan_domain::time::day_start(day(-10)) + 9 * 3_600_000_000;
    let held = jiff::Timestamp::from_microsecond(held)?.to_string();
    let station = org("枫桥派出所").await?;
    let town = org("枫桥镇人民政府").await?;
    let village = org("陈家社区居委会").await?;
    let zongzhi = coordinator
        .org_id
        .clone()
        .ok_or_else(|| anyhow::anyhow!("the demo coordinator has no organisation"))?;
    let meeting = meetings::create(
        &state,
        &coordinator,
        NewMeeting {
            title: "枫桥镇平安建设联席会议（第四季度）".into(),
            org_id: zongzhi,
            held_at: held,
            place: Some("枫桥镇综治中心会议室".into()),
            org_ids: vec![station.clone(), town.clone(), village.clone()],
            attendees: Vec::new(),
            agenda: vec![
                AgendaItem {
                    title: "老街夜市周边治安秩序".into(),
                    link: None,
                },
                AgendaItem {
                    title: "冬季出租房消防安全".into(),
                    link: None,
                },
            ],
            minutes: Some(
                "会议通报了第四季度警情和矛盾纠纷情况，研究老街夜市周边治安秩序整治和冬季出租房消防安全工作。"
                    .into(),
            ),
        },
    )
    .await
    .map_err(err)?;
    meetings::decide(
        &state,
        &coordinator,
        &meeting.id,
        NewDecision {
            text: "由枫桥派出所牵头、陈家社区配合，整治老街夜市周边治安秩序；网格员走访沿街商户。"
                .into(),
            agreed_by: Vec::new(),
            tasks: vec![
                NewSupervisedTask {
                    title: "老街夜市周边治安秩序整治".into(),
                    detail: Some("夜市时段增加巡逻，清理占道经营，排查监控盲区。".into()),
                    lead_org_id: station.clone(),
                    lead_user_id: user("chief").await?,
                    co_org_ids: vec![village.clone()],
                    due_on: day(-5).to_string(),
                    link: None,
                },
                NewSupervisedTask {
                    title: "走访老街沿街商户".into(),
                    detail: Some("逐户走访，宣传防盗防诈，收集商户反映的问题。".into()),
                    lead_org_id: village.clone(),
                    lead_user_id: user("gridworker").await?,
                    co_org_ids: Vec::new(),
                    due_on: day(10).to_string(),
                    link: None,
                },
            ],
        },
    )
    .await
    .map_err(err)?;
    meetings::decide(
        &state,
        &coordinator,
        &meeting.id,
        NewDecision {
            text: "镇政府与派出所联合开展出租房消防安全检查。".into(),
            agreed_by: vec![town.clone(), station.clone()],
            tasks: vec![NewSupervisedTask {
                title: "出租房消防安全联合检查".into(),
                detail: None,
                lead_org_id: station,
                lead_user_id: user("officer").await?,
                co_org_ids: vec![town],
                due_on: day(20).to_string(),
                link: None,
            }],
        },
    )
    .await
    .map_err(err)?;
    Ok(true)
}
