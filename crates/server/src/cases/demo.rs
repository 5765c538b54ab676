//! Demo cases for `pingan demo`: four cases of 枫桥派出所 recorded through the same code as the API, so
//! 网上巡查 has something to find — a theft whose filing review is overdue, a detention whose
//! arrest-request period runs out tomorrow, seized property not handed to the custodian, and an
//! administrative case decided in time.

use crate::cases::{NewCaseRequest, StepRequest, record_step, register};
use crate::config::Config;
use crate::state::AppState;
use pingan_domain::case_rules::{RuleBook, Span};
use pingan_store::{Db, args};

const HOUR: i64 = 3_600_000_000;

/// (step, hours ago, suspect or item)
type PlannedStep = (&'static str, i64, Option<&'static str>);
/// (kind, title, summary, steps)
type PlannedCase<'a> = (&'static str, &'static str, &'static str, &'a [PlannedStep]);

/// Hours ago the theft was accepted so that its three-day filing review ended at least a day and a
/// half ago whatever today is: a last day on a weekend or holiday moves to the next working day, so
/// a fixed "five days ago" is not overdue on some Mondays.
fn theft_accepted_hours_ago(rules: &RuleBook, now: i64) -> i64 {
    let mut hours = 120;
    while hours < 24 * 40 && rules.limit_end(now - hours * HOUR, Span::Days(3)) > now - 36 * HOUR {
        hours += 24;
    }
    hours
}

/// Registers the demo cases once (when there are none).
pub async fn ensure(db: &Db, config: &Config) -> anyhow::Result<usize> {
    let (n,): (i64,) = db.fetch_one("SELECT COUNT(*) FROM cases", args![]).await?;
    if n > 0 {
        return Ok(0);
    }
    let state = AppState::new(config.clone(), db.clone())?;
    let officer = crate::accounts::demo::actor(db, "officer").await?;
    let err = |e: crate::error::ApiError| anyhow::anyhow!("demo case: {e:?}");
    let now = state.now();
    let accepted = theft_accepted_hours_ago(&state.rules, now);
    let theft: [PlannedStep; 2] = [("accept", accepted, None), ("receipt", accepted - 1, None)];
    let when = |hours_ago: i64| {
        jiff::Timestamp::from_microsecond(now - hours_ago * HOUR)
            .map(|t| t.to_string())
            .unwrap_or_default()
    };
    let plans: [PlannedCase; 4] = [
        (
            "criminal",
            "陈家村电动车被盗案",
            "村民报称停放在院内的电动车夜间被盗，现场有撬锁痕迹。",
            &theft,
        ),
        (
            "criminal",
            "枫桥老街酒吧故意伤害案",
            "酒后口角引发斗殴，一人轻伤；嫌疑人当场被控制。",
            &[
                ("accept", 240, None),
                ("receipt", 239, None),
                ("file", 220, None),
                ("file_notice", 218, None),
                ("detain", 50, Some("嫌疑人甲")),
            ],
        ),
        (
            "administrative",
            "集市摊位扰乱秩序案",
            "摊主拒不服从管理并推搡市场管理人员，现场扣押手机一部。",
            &[
                ("reported", 60, None),
                ("accept", 58, None),
                ("receipt", 58, None),
                ("property_seized", 48, Some("手机-1")),
            ],
        ),
        (
            "administrative",
            "夜间噪声扰民案",
            "KTV 夜间噪声扰民，经调查属实，依法予以警告。",
            &[
                ("reported", 400, None),
                ("accept", 399, None),
                ("receipt", 399, None),
                ("penalty_decision", 200, None),
                ("close", 199, None),
            ],
        ),
    ];
    let mut made = 0;
    for (kind, title, summary, steps) in plans {
        let case = register(
            &state,
            &officer,
            NewCaseRequest {
                kind: kind.into(),
                title: title.into(),
                summary: Some(summary.into()),
                incident_id: None,
                station_org_id: None,
                officers: vec!["officer".into()],
                flags: Vec::new(),
            },
        )
        .await
        .map_err(err)?;
        for (step, hours_ago, item) in steps {
            record_step(
                &state,
                &officer,
                &case.id,
                StepRequest {
                    step: step.to_string(),
                    at: Some(when(*hours_ago)),
                    item: item.map(str::to_string),
                    days: None,
                    note: None,
                },
            )
            .await
            .map_err(err)?;
        }
        made += 1;
    }
    Ok(made)
}
