//! Demo 群防群治: 枫桥镇平安志愿者服务队 (the demo volunteer leads it, three named members without
//! accounts) and 陈家社区治保会 (the grid worker and three named members), formed by the demo chief;
//! yesterday evening's duty confirmed and credited, tonight's duty for the volunteer, a task done and
//! one open each, a duty of two days ago still to be confirmed, and one award in the ledger.

use crate::config::Config;
use crate::state::AppState;
use crate::teams::work::{self, DutyAttendance, LedgerAdjustment, NewDuty, NewTask, TaskDone};
use crate::teams::{self, NewMember, NewTeam};
use pingan_domain::team::{MemberRole, TaskKind, TeamKind};
use pingan_store::{Db, args};

fn rfc(day: jiff::civil::Date, hour: i64, minute: i64) -> String {
    let us = pingan_domain::time::day_start(day) + hour * 3_600_000_000 + minute * 60_000_000;
    jiff::Timestamp::from_microsecond(us)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// Once: returns whether anything was made.
pub async fn ensure(db: &Db, config: &Config) -> anyhow::Result<bool> {
    let (n,): (i64,) = db.fetch_one("SELECT COUNT(*) FROM teams", args![]).await?;
    if n > 0 {
        return Ok(false);
    }
    let state = AppState::new(config.clone(), db.clone())?;
    let chief = crate::accounts::demo::actor(db, "chief").await?;
    let err = |e: crate::error::ApiError| anyhow::anyhow!("demo teams: {e:?}");
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
    let yesterday = today.yesterday().unwrap_or(today);
    let before = yesterday.yesterday().unwrap_or(yesterday);
    let in_days = |n: i64| {
        today
            .checked_add(jiff::Span::new().days(n))
            .unwrap_or(today)
    };

    // 平安志愿者: the demo volunteer leads; three named members.
    let volunteers = teams::create_team(
        &state,
        &chief,
        NewTeam {
            name: "枫桥镇平安志愿者服务队".into(),
            kind: TeamKind::PeaceVolunteers,
            org_id: org("枫桥镇平安志愿者服务队").await?,
            note: Some("夜市、老街义务巡防和反诈宣传".into()),
        },
    )
    .await
    .map_err(err)?;
    let mut v = Vec::new();
    let leader = teams::add_member(
        &state,
        &chief,
        &volunteers.id,
        NewMember {
            user_id: Some(user("volunteer").await?),
            name: None,
            role: Some(MemberRole::Leader),
        },
    )
    .await
    .map_err(err)?;
    v.push(leader.id);
    for name in ["陈阿姨", "李师傅", "周大姐"] {
        let m = teams::add_member(
            &state,
            &chief,
            &volunteers.id,
            NewMember {
                user_id: None,
                name: Some(name.into()),
                role: None,
            },
        )
        .await
        .map_err(err)?;
        v.push(m.id);
    }
    let last_night = work::create_duty(
        &state,
        &chief,
        &volunteers.id,
        NewDuty {
            place: "枫桥老街".into(),
            starts_at: rfc(yesterday, 19, 0),
            ends_at: rfc(yesterday, 21, 0),
            member_ids: vec![v[0].clone(), v[1].clone(), v[3].clone()],
            note: Some("夜间义务巡防".into()),
        },
    )
    .await
    .map_err(err)?;
    work::confirm_duty(
        &state,
        &chief,
        &last_night.id,
        DutyAttendance {
            present: vec![v[0].clone(), v[1].clone()],
        },
    )
    .await
    .map_err(err)?;
    work::create_duty(
        &state,
        &chief,
        &volunteers.id,
        NewDuty {
            place: "枫桥夜市".into(),
            starts_at: rfc(today, 19, 0),
            ends_at: rfc(today, 21, 30),
            member_ids: vec![v[0].clone(), v[2].clone()],
            note: None,
        },
    )
    .await
    .map_err(err)?;
    let leaflets = work::create_task(
        &state,
        &chief,
        &volunteers.id,
        NewTask {
            kind: TaskKind::Information,
            title: "排查出租屋消防隐患线索".into(),
            place: Some("枫桥老街出租屋".into()),
            due_at: rfc(yesterday, 17, 0),
            member_ids: vec![v[0].clone(), v[3].clone()],
            note: None,
        },
    )
    .await
    .map_err(err)?;
    work::complete_task(&state, &chief, &leaflets.id, TaskDone { work_minutes: 90 })
        .await
        .map_err(err)?;
    work::create_task(
        &state,
        &chief,
        &volunteers.id,
        NewTask {
            kind: TaskKind::Publicity,
            title: "反诈宣传进菜市场".into(),
            place: Some("枫桥农贸市场".into()),
            due_at: rfc(in_days(3), 11, 0),
            member_ids: vec![v[0].clone(), v[3].clone()],
            note: Some("发放反诈宣传册 200 份".into()),
        },
    )
    .await
    .map_err(err)?;

    // 治保会: the grid worker and three named residents.
    let committee = teams::create_team(
        &state,
        &chief,
        NewTeam {
            name: "陈家社区治保会".into(),
            kind: TeamKind::SecurityCommittee,
            org_id: org("陈家社区居委会").await?,
            note: None,
        },
    )
    .await
    .map_err(err)?;
    let mut c = Vec::new();
    for (name, role) in [
        ("陈主任", MemberRole::Leader),
        ("王大伯", MemberRole::Member),
        ("张师傅", MemberRole::Member),
    ] {
        let m = teams::add_member(
            &state,
            &chief,
            &committee.id,
            NewMember {
                user_id: None,
                name: Some(name.into()),
                role: Some(role),
            },
        )
        .await
        .map_err(err)?;
        c.push(m.id);
    }
    teams::add_member(
        &state,
        &chief,
        &committee.id,
        NewMember {
            user_id: Some(user("gridworker").await?),
            name: None,
            role: None,
        },
    )
    .await
    .map_err(err)?;
    work::create_duty(
        &state,
        &chief,
        &committee.id,
        NewDuty {
            place: "陈家社区东门".into(),
            starts_at: rfc(before, 8, 0),
            ends_at: rfc(before, 11, 30),
            member_ids: vec![c[1].clone(), c[2].clone()],
            note: Some("上学时段护学岗".into()),
        },
    )
    .await
    .map_err(err)?;
    work::create_task(
        &state,
        &chief,
        &committee.id,
        NewTask {
            kind: TaskKind::Patrol,
            title: "夜间巡查陈家社区".into(),
            place: Some("陈家社区".into()),
            due_at: rfc(in_days(1), 22, 0),
            member_ids: vec![c[0].clone(), c[1].clone()],
            note: None,
        },
    )
    .await
    .map_err(err)?;
    work::adjust(
        &state,
        &chief,
        &committee.id,
        LedgerAdjustment {
            member_id: c[1].clone(),
            points: 5,
            minutes: 0,
            note: "协助民警找回走失老人".into(),
        },
    )
    .await
    .map_err(err)?;
    Ok(true)
}
