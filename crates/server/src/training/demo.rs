//! Demo 队伍建设: a district course three months ago, a 枫桥镇 drill, a skill test and a 比武
//! with scores, a course for 陈家社区's grid workers, a course planned for next week; certificates (one expiring within 30 days, one
//! expired, one long valid); and a 传帮带 pair (李警官 mentoring 赵辅警) with goals and two
//! check-ins, so every page and the dashboard's training figures have something real to show.

use super::{
    AttendanceEntry, NewMentorship, NewMentorshipCheckin, NewTrainingCertificate,
    NewTrainingSession,
};
use crate::config::Config;
use crate::state::AppState;
use pingan_domain::training::SessionKind;
use pingan_store::{Db, args};

fn rfc3339(us: i64) -> String {
    pingan_domain::time::from_micros(us).to_string()
}

/// Once: returns whether anything was made.
pub async fn ensure(db: &Db, config: &Config) -> anyhow::Result<bool> {
    let (n,): (i64,) = db
        .fetch_one("SELECT COUNT(*) FROM training_sessions", args![])
        .await?;
    if n > 0 {
        return Ok(false);
    }
    let state = AppState::new(config.clone(), db.clone())?;
    let coordinator = crate::accounts::demo::actor(db, "coordinator").await?;
    let chief = crate::accounts::demo::actor(db, "chief").await?;
    let err = |e: crate::error::ApiError| anyhow::anyhow!("demo training: {e:?}");
    let mut ids = std::collections::HashMap::new();
    for name in [
        "chief",
        "officer",
        "auxiliary",
        "dispatcher",
        "gridworker",
        "mediator",
        "volunteer",
        "villagemediator",
    ] {
        ids.insert(name, crate::accounts::demo::actor(db, name).await?.user_id);
    }
    // 09:00 China Standard Time, `days` from today.
    let nine = |days: i64| {
        let d = state
            .today()
            .checked_add(jiff::Span::new().days(days))
            .unwrap_or(state.today());
        pingan_domain::time::day_start(d) + 9 * 3_600_000_000
    };
    // (who plans, kind, title, topic, trainer, place, day, hours, max, pass, area,
    //  [(person, score)])
    type Plan<'a> = (
        &'a crate::auth::Actor,
        SessionKind,
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        i64,
        f64,
        Option<f64>,
        Option<f64>,
        &'a str,
        Vec<(&'a str, Option<f64>)>,
    );
    let plans: Vec<Plan> = vec![
        (
            &coordinator,
            SessionKind::Course,
            "接处警规范与执法记录仪使用",
            "110接处警工作规范、现场执法全过程记录",
            "市局法制大队",
            "市局三楼培训室",
            -88,
            4.0,
            None,
            None,
            "/330681/",
            vec![
                ("chief", None),
                ("officer", None),
                ("auxiliary", None),
                ("dispatcher", None),
            ],
        ),
        (
            &chief,
            SessionKind::Drill,
            "校园突发事件处置实战演练",
            "持械闹事处置、疏散与救护衔接",
            "陈所长",
            "枫桥小学",
            -40,
            3.0,
            None,
            None,
            "/330681/330681109/",
            vec![
                ("officer", None),
                ("auxiliary", None),
                ("gridworker", None),
                ("volunteer", None),
            ],
        ),
        (
            &coordinator,
            SessionKind::Competition,
            "全警实战大练兵·警务技能比武",
            "盘查、约束带使用、警情研判",
            "市局政治处",
            "市局训练基地",
            -20,
            8.0,
            Some(100.0),
            None,
            "/330681/",
            vec![
                ("officer", Some(92.5)),
                ("auxiliary", Some(88.0)),
                ("chief", Some(92.5)),
                ("dispatcher", Some(79.0)),
            ],
        ),
        (
            &chief,
            SessionKind::SkillTest,
            "季度体能与射击考核",
            "3000米跑、手枪精度射击",
            "所训练组",
            "市局训练基地",
            -10,
            2.0,
            Some(100.0),
            Some(60.0),
            "/330681/330681109/",
            vec![("officer", Some(84.0)), ("auxiliary", Some(56.5))],
        ),
        (
            &coordinator,
            SessionKind::Course,
            "网格员入户走访与信息采集规范",
            "走访记录、隐患上报、个人信息保护",
            "枫桥镇综治中心",
            "陈家社区文化礼堂",
            -25,
            2.5,
            None,
            None,
            "/330681/330681109/330681109004/",
            vec![("gridworker", None), ("villagemediator", None)],
        ),
        (
            &chief,
            SessionKind::Drill,
            "夜间巡逻盘查实战演练",
            "可疑车辆拦截、盘查安全距离",
            "陈所长",
            "枫桥镇环镇路",
            -2,
            2.0,
            None,
            None,
            "/330681/330681109/",
            vec![("chief", None), ("officer", None), ("auxiliary", None)],
        ),
        (
            &coordinator,
            SessionKind::Course,
            "民法典与矛盾纠纷调解实务",
            "婚姻家庭、相邻关系纠纷的调解要点",
            "市司法局",
            "枫桥镇综治中心",
            7,
            3.0,
            None,
            None,
            "/330681/330681109/",
            vec![],
        ),
    ];
    for (who, kind, title, topic, trainer, place, day, hours, max, pass, area, attendees) in plans {
        let s = super::create_session(
            &state,
            who,
            NewTrainingSession {
                kind,
                title: title.into(),
                topic: Some(topic.into()),
                trainer: trainer.into(),
                place: Some(place.into()),
                starts_at: rfc3339(nine(day)),
                hours,
                max_score: max,
                pass_score: pass,
                area_path: area.into(),
            },
        )
        .await
        .map_err(err)?;
        for (person, score) in attendees {
            super::record_attendance(
                &state,
                who,
                &s.id,
                &ids[person],
                AttendanceEntry {
                    hours: None,
                    score,
                    note: None,
                },
            )
            .await
            .map_err(err)?;
        }
    }
    let today = state.today();
    let day = |n: i64| {
        today
            .checked_add(jiff::Span::new().days(n))
            .unwrap_or(today)
            .to_string()
    };
    // (holder, name, issuer, number, issued days ago, expires in days)
    let certificates = [
        (
            "officer",
            "高级执法资格",
            "公安部",
            "GJ-2023-0412",
            -1090,
            Some(25),
        ),
        (
            "auxiliary",
            "急救员证",
            "市红十字会",
            "JJ-2023-1187",
            -1100,
            Some(-5),
        ),
        (
            "mediator",
            "人民调解员证",
            "市司法局",
            "TJ-2025-0033",
            -300,
            Some(430),
        ),
        (
            "chief",
            "基本级执法资格",
            "公安部",
            "JB-2015-0098",
            -4000,
            None,
        ),
    ];
    for (person, name, issuer, number, issued, expires) in certificates {
        super::add_certificate(
            &state,
            &coordinator,
            NewTrainingCertificate {
                user_id: ids[person].clone(),
                name: name.into(),
                issuer: issuer.into(),
                number: Some(number.into()),
                issued_on: day(issued),
                expires_on: expires.map(day),
            },
        )
        .await
        .map_err(err)?;
    }
    let pair = super::create_mentorship(
        &state,
        &chief,
        NewMentorship {
            mentor_id: ids["officer"].clone(),
            mentee_id: ids["auxiliary"].clone(),
            started_on: day(-60),
            ends_on: day(120),
            goals: vec![
                "独立规范处置一般治安警情".into(),
                "熟练使用执法记录仪并规范上传".into(),
                "掌握矛盾纠纷现场调解的基本方法".into(),
            ],
        },
    )
    .await
    .map_err(err)?;
    for (held, note, met) in [
        (
            -45,
            "一起出警三次，讲解现场询问和笔录要点；下次重点练执法记录仪。",
            vec![],
        ),
        (
            -14,
            "已能独立处置邻里噪音纠纷警情，记录仪使用规范。",
            vec![1, 2],
        ),
    ] {
        super::record_checkin(
            &state,
            &chief,
            &pair.id,
            NewMentorshipCheckin {
                held_on: day(held),
                note: note.into(),
                goals_met: met,
            },
        )
        .await
        .map_err(err)?;
    }
    // The reminders due today go out now, as the hourly job would.
    super::reminders::sweep(&state).await?;
    Ok(true)
}
