//! 网上巡查: the engine over stored cases. `inspect_case` after every step, `sweep` on a timer over
//! every open case (any server may run it: an alert is keyed by case, rule, item, clock start and
//! kind, so one found twice is stored once and announced once), `replay` for any instant in the past
//! without writing anything. Alert work (comment, explain, accept, escalate) keeps a full history.

use super::{audit, rule_name};
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::notifications::{self, Notice};
use crate::state::AppState;
use pingan_domain::Permission;
use pingan_domain::case_alert::{AlertAction as Step, AlertStatus};
use pingan_domain::case_rules::{ClockState, Evaluation, Finding, FindingKind, RuleBook, evaluate};
use pingan_store::cases::{self as store, AlertEventRow, AlertRow, EngineCase};
use pingan_store::{Db, Tx, args, new_id};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The name the alert history gives the 网上巡查 job (pages show it in the reader's language).
pub const INSPECTOR: &str = "网上巡查";

const BATCH: i64 = 500;

/// A stored alert's (rule, item, clock start, kind, status).
type StoredKey = (String, String, i64, String, String);

fn severity_code(f: &Finding) -> &'static str {
    match f.severity {
        pingan_domain::case_rules::Severity::Low => "low",
        pingan_domain::case_rules::Severity::Medium => "medium",
        pingan_domain::case_rules::Severity::High => "high",
    }
}

fn kind_zh(kind: &str) -> &'static str {
    match kind {
        "approaching" => "临近期限",
        "overdue" => "已超期",
        "missing_step" => "缺少环节",
        "out_of_order" => "顺序异常",
        _ => "预警",
    }
}

async fn handlers(db: &Db, c: &EngineCase) -> ApiResult<Vec<String>> {
    let mut people: Vec<String> = store::officers(db, &c.id)
        .await?
        .into_iter()
        .map(|(u, _)| u)
        .collect();
    people.extend(store::supervisors(db, &c.org_path, &c.area_path).await?);
    people.sort();
    people.dedup();
    Ok(people)
}

/// Stores the findings of one evaluated case: new alerts are announced to the handling officers and
/// the legal supervisors; open approaching alerts whose clock has since stopped in time are resolved.
async fn record(state: &AppState, c: &EngineCase, eval: &Evaluation) -> ApiResult<usize> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let mut new = 0;
    let mut announce = Vec::new();
    for f in &eval.findings {
        let a = AlertRow {
            id: new_id(),
            case_id: c.id.clone(),
            rule_id: f.rule_id.clone(),
            version: f.version.clone(),
            kind: f.kind.code().into(),
            severity: severity_code(f).into(),
            item: f.item.clone().unwrap_or_default(),
            started_at: f.started_at,
            due_at: f.due_at,
            found_at: f.at,
            status: "open".into(),
            updated_at: now,
            org_path: c.org_path.clone(),
        };
        if store::insert_alert(&mut tx, &a).await? {
            new += 1;
            store::add_alert_event(&mut tx, &event(&a.id, now, "opened", None, INSPECTOR, None));
            announce.push((
                format!(
                    "网上巡查：{} {}（{}）",
                    c.number,
                    rule_name(&state.rules, &f.rule_id, &f.version),
                    kind_zh(f.kind.code())
                ),
                format!(
                    "Online inspection: {} {} ({})",
                    c.number,
                    super::rule_name_in(
                        &state.rules,
                        &f.rule_id,
                        &f.version,
                        crate::i18n::Lang::En
                    ),
                    f.kind.code().replace('_', " ")
                ),
            ));
        }
    }
    settle(&mut tx, c, eval, now).await?;
    if !announce.is_empty() {
        let people = handlers(&state.db, c).await?;
        for (m, m_en) in &announce {
            let notice = Notice {
                kind: "case_alert",
                object: ("case", &c.id),
                message: m,
                message_en: m_en,
            };
            notifications::send(&mut tx, &people, now, &notice);
        }
    }
    tx.commit_audited(Vec::new()).await?;
    Ok(new)
}

/// Settles live alerts the current evaluation no longer supports, with the reason in their history:
/// an "approaching" alert once its clock has stopped or run out (the overdue alert takes over), and any
/// alert whose finding is gone — a step recorded later (补录) shows the limit was met in time.
/// Why a live alert (rule, item, clock start, kind) should settle given the current evaluation:
/// its finding is gone (a step recorded later shows the limit was met), or it is an "approaching"
/// alert whose clock has stopped or run out (the overdue alert takes over).
fn settle_reason(
    eval: &Evaluation,
    rule: &str,
    item: &str,
    started: i64,
    kind: &str,
) -> Option<&'static str> {
    let item = (!item.is_empty()).then(|| item.to_string());
    let still_found = eval.findings.iter().any(|f| {
        f.rule_id == rule && f.kind.code() == kind && f.item == item && f.started_at == started
    });
    if !still_found {
        return Some("补录的办案环节显示期限内已完成，预警自动解除");
    }
    let clock = eval
        .clocks
        .iter()
        .find(|k| k.rule_id == rule && k.item == item && k.started_at == started)?;
    if kind != FindingKind::Approaching.code()
        || matches!(clock.state, ClockState::Running | ClockState::Warning)
    {
        return None;
    }
    Some(if clock.state == ClockState::Met {
        "期限内已完成"
    } else {
        "已超期，由超期预警接续"
    })
}

/// Settles the live alerts the current evaluation no longer supports, with the reason in their history.
async fn settle(tx: &mut Tx, c: &EngineCase, eval: &Evaluation, now: i64) -> ApiResult<()> {
    for a in store::live_alerts_of(tx, &c.id).await? {
        if let Some(reason) = settle_reason(eval, &a.rule_id, &a.item, a.started_at, &a.kind)
            && store::set_alert_status(tx, &a.id, &a.status, AlertStatus::Resolved.code(), now)
                .await?
        {
            store::add_alert_event(
                tx,
                &event(
                    &a.id,
                    now,
                    AlertStatus::Resolved.code(),
                    None,
                    INSPECTOR,
                    Some(reason),
                ),
            );
        }
    }
    Ok(())
}

fn event(
    alert_id: &str,
    at: i64,
    action: &str,
    actor_id: Option<&str>,
    actor_name: &str,
    note: Option<&str>,
) -> AlertEventRow {
    AlertEventRow {
        id: new_id(),
        alert_id: alert_id.into(),
        at,
        action: action.into(),
        actor_id: actor_id.map(str::to_string),
        actor_name: actor_name.into(),
        note: note.map(str::to_string),
    }
}

/// Runs the engine on one case now.
pub async fn inspect_case(state: &AppState, case_id: &str) -> ApiResult<usize> {
    let Some(c) = store::engine_one(&state.db, case_id).await? else {
        return Ok(0);
    };
    let eval = evaluate(&c.facts, &state.rules, state.now());
    record(state, &c, &eval).await
}

/// Every open case, in batches; returns the alerts opened. A case is written to only when the
/// engine finds something not stored yet or a live alert to settle: a quiet sweep is reads only.
pub async fn sweep(state: &AppState) -> ApiResult<usize> {
    let mut after = String::new();
    let mut opened = 0;
    loop {
        let batch = store::engine_batch(&state.db, &after, BATCH, true).await?;
        let Some(last) = batch.last() else { break };
        after = last.id.clone();
        let ids: Vec<String> = batch.iter().map(|c| c.id.clone()).collect();
        let mut stored: std::collections::HashMap<String, Vec<StoredKey>> =
            std::collections::HashMap::new();
        for (case_id, rule, item, started, kind, status) in
            store::alert_keys(&state.db, &ids).await?
        {
            stored
                .entry(case_id)
                .or_default()
                .push((rule, item, started, kind, status));
        }
        let now = state.now();
        for c in &batch {
            let eval = evaluate(&c.facts, &state.rules, now);
            let known = stored.get(&c.id).map(Vec::as_slice).unwrap_or(&[]);
            let is_stored = |f: &Finding| {
                known.iter().any(|k| {
                    k.0 == f.rule_id
                        && k.1 == f.item.clone().unwrap_or_default()
                        && k.2 == f.started_at
                        && k.3 == f.kind.code()
                })
            };
            let has_new = eval.findings.iter().any(|f| !is_stored(f));
            let has_stale = known.iter().any(|k| {
                k.4.parse::<AlertStatus>().is_ok_and(AlertStatus::is_live)
                    && settle_reason(&eval, &k.0, &k.1, k.2, &k.3).is_some()
            });
            if has_new || has_stale {
                opened += record(state, c, &eval).await?;
            }
        }
    }
    Ok(opened)
}

/// The engine over open cases every `cases.inspect_seconds` (0 turns it off), on one server a period.
pub fn job(state: &AppState) -> crate::jobs::Job {
    crate::jobs::Job::new(
        "case_inspection",
        std::time::Duration::from_secs(state.config.cases.inspect_seconds),
        |state| Box::pin(async move { Ok(sweep(&state).await?) }),
    )
}

/// What the engine finds in one case as of an instant.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ReplayFinding {
    pub case_id: String,
    pub case_number: String,
    pub rule_id: String,
    pub version: String,
    /// approaching, overdue, missing_step, out_of_order.
    pub kind: String,
    pub item: Option<String>,
    pub started_at: i64,
    pub due_at: i64,
    pub at: i64,
}

/// Every case (open or closed) evaluated as of `as_of`; writes nothing. Sorted by case number, then
/// time, rule and item — the same input gives the same output.
pub async fn replay(
    db: &Db,
    book: &RuleBook,
    as_of: i64,
) -> pingan_store::Result<Vec<ReplayFinding>> {
    let mut out = Vec::new();
    let mut after = String::new();
    loop {
        let batch = store::engine_batch(db, &after, BATCH, false).await?;
        let Some(last) = batch.last() else { break };
        after = last.id.clone();
        for c in &batch {
            for f in evaluate(&c.facts, book, as_of).findings {
                out.push(ReplayFinding {
                    case_id: c.id.clone(),
                    case_number: c.number.clone(),
                    rule_id: f.rule_id,
                    version: f.version,
                    kind: f.kind.code().into(),
                    item: f.item,
                    started_at: f.started_at,
                    due_at: f.due_at,
                    at: f.at,
                });
            }
        }
    }
    out.sort_by(|a, b| {
        (&a.case_number, a.at, &a.rule_id, &a.item, &a.kind).cmp(&(
            &b.case_number,
            b.at,
            &b.rule_id,
            &b.item,
            &b.kind,
        ))
    });
    Ok(out)
}

/// What someone does with an alert.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertAction {
    /// `comment` (anyone who may read the case), `explain` (a handling officer), `accept` or
    /// `escalate` (the legal supervisor).
    pub action: String,
    pub note: String,
}

/// Applies an action; returns the alert as it now stands.
pub async fn act(
    state: &AppState,
    actor: &Actor,
    alert_id: &str,
    req: AlertAction,
) -> ApiResult<AlertRow> {
    actor.require(state, Permission::CaseRead).await?;
    let alert = store::get_alert(&state.db, &actor.scope, alert_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let note = crate::validate::text("note", &req.note, 500)?;
    let officers: Vec<String> = store::officers(&state.db, &alert.case_id)
        .await?
        .into_iter()
        .map(|(u, _)| u)
        .collect();
    let is_officer = officers.contains(&actor.user_id);
    let action = Step::parse(&req.action).ok_or_else(|| {
        ApiError::invalid("action", "action is comment, explain, accept or escalate")
    })?;
    match action {
        Step::Explain if !is_officer => {
            return Err(ApiError::Forbidden(
                "only a handling officer explains an alert".into(),
            ));
        }
        Step::Accept | Step::Escalate => {
            actor.require(state, Permission::CaseSupervise).await?;
        }
        _ => {}
    }
    let from = alert.status().ok_or_else(|| {
        ApiError::Conflict(format!(
            "the alert has a status this server does not know ({})",
            alert.status
        ))
    })?;
    let to = action
        .apply(from)
        .map_err(|e| ApiError::Conflict(e.to_string()))?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    if let Some(to) = to
        && !store::set_alert_status(&mut tx, &alert.id, &alert.status, to.code(), now).await?
    {
        tx.rollback().await?;
        return Err(ApiError::Conflict(
            "the alert changed meanwhile; reload it".into(),
        ));
    }
    store::add_alert_event(
        &mut tx,
        &event(
            &alert.id,
            now,
            &req.action,
            Some(&actor.user_id),
            &actor.display_name,
            Some(&note),
        ),
    );
    // Who hears of it: officers hear the supervisor, supervisors hear the officers; an escalation
    // also reaches the station's chief.
    let (org_path, area_path, number): (String, String, String) = state
        .db
        .fetch_one(
            "SELECT org_path, area_path, number FROM cases WHERE id = ?",
            args![alert.case_id.as_str()],
        )
        .await?;
    let mut to_whom = match action {
        Step::Explain => store::supervisors(&state.db, &org_path, &area_path).await?,
        _ => officers.clone(),
    };
    if action == Step::Escalate {
        let chiefs: Vec<(String,)> = state
            .db
            .fetch_all(
                "SELECT u.id FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.role = 'station_chief' AND o.path = ? AND NOT u.disabled",
                args![org_path.as_str()],
            )
            .await?;
        to_whom.extend(chiefs.into_iter().map(|(u,)| u));
    }
    to_whom.retain(|u| *u != actor.user_id);
    let message = format!(
        "网上巡查 {number}：{}（{}）",
        action_zh(&req.action),
        actor.display_name
    );
    let message_en = format!(
        "Online inspection {number}: {} ({})",
        action_en(&req.action),
        actor.display_name
    );
    let notice = Notice {
        kind: "case_alert_step",
        object: ("case_alert", &alert.id),
        message: &message,
        message_en: &message_en,
    };
    notifications::send(&mut tx, &to_whom, now, &notice);
    tx.commit_audited(vec![audit(
        actor,
        now,
        &format!("case_alert.{}", req.action),
        &alert.case_id,
        serde_json::json!({"alert": alert.id, "note": note}),
    )])
    .await?;
    store::get_alert(&state.db, &actor.scope, alert_id)
        .await?
        .ok_or(ApiError::NotFound)
}

fn action_en(a: &str) -> &'static str {
    match a {
        "comment" => "a new comment",
        "explain" => "the handling officer explained",
        "accept" => "the legal department accepted the explanation and closed the alert",
        "escalate" => "the legal department escalated it for supervision",
        _ => "",
    }
}

fn action_zh(a: &str) -> &'static str {
    match a {
        "comment" => "有新批注",
        "explain" => "办案民警已说明情况",
        "accept" => "法制部门已采纳说明并销警",
        "escalate" => "法制部门已升级督办",
        _ => "",
    }
}

/// Writes `n` synthetic cases (`pingan_domain::case::synthetic_history`, accepted over the last year)
/// under the first police station, 1,000 per transaction — for benchmarks and load tests, never the
/// demo's own data. Returns the steps written.
pub async fn write_synthetic(db: &Db, n: usize, seed: u64, now: i64) -> anyhow::Result<usize> {
    let station: Option<(String, String, String)> = db
        .fetch_optional(
            "SELECT id, path, area_path FROM orgs WHERE kind = 'station' AND area_path IS NOT NULL ORDER BY path LIMIT 1",
            args![],
        )
        .await?;
    let Some((station, path, area)) = station else {
        anyhow::bail!(
            "no police station with an area: import the organisations (or run `pingan demo`) first"
        );
    };
    let history = pingan_domain::case::synthetic_history(n, seed, now, 365);
    let local_date = pingan_domain::time::local_date(pingan_domain::time::from_micros(now));
    let mut steps = 0;
    for chunk in history.chunks(1000) {
        let mut tx = db.begin().await?;
        for (i, facts) in chunk.iter().enumerate() {
            let row = store::insert(
                &mut tx,
                &store::NewCase {
                    kind: facts.kind,
                    title: &format!("合成案件 {i}"),
                    summary: "",
                    incident_id: None,
                    station_org_id: &station,
                    org_path: &path,
                    area_path: &area,
                    flags: &facts.flags,
                    officers: &[],
                    created_by: "synthetic",
                    at: now,
                    district: "000000",
                    local_date: &local_date,
                },
            )
            .await?;
            for e in &facts.events {
                store::add_event(
                    &mut tx,
                    &row,
                    &store::CaseEventRow {
                        id: new_id(),
                        case_id: row.id.clone(),
                        step: e.step.clone(),
                        at: e.at,
                        item: e.item.clone(),
                        days: e.days,
                        note: None,
                        recorded_by: "synthetic".into(),
                        recorded_at: now,
                    },
                );
                steps += 1;
            }
        }
        tx.commit_audited(Vec::new()).await?;
    }
    Ok(steps)
}
