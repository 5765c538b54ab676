//! What mediators do to a dispute after registration: joint mediation (organisations taking part),
//! sessions, the agreement (art. 28/29) with its follow-up visits, failure and transfer, withdrawal,
//! closure, manual escalation, extension requests and their approval, and the follow-up results — a
//! breach reopens the dispute. Every step: the domain decides whether it is legal (409 otherwise), one
//! transaction writes the change, the timeline event, notifications and the audit record.

use super::notify_tier;
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::validate::{optional_text, text};
use pingan_domain::Permission;
use pingan_domain::audit::AuditOutcome;
use pingan_domain::dispute::{
    Action, AgreementForm, FollowUpResult, MICROS_PER_DAY, Status, TransferTo,
};
use pingan_domain::plausible::DateWindow;
use pingan_store::Tx;
use pingan_store::disputes::{self, DisputeRow, Event, StepChange};
use pingan_store::new_id;
use serde::Deserialize;
use utoipa::ToSchema;

/// The dispute `id` in the caller's scope, or 404.
pub async fn load(state: &AppState, actor: &Actor, id: &str) -> ApiResult<DisputeRow> {
    disputes::get(&state.db, &actor.scope, id)
        .await?
        .ok_or(ApiError::NotFound)
}

fn illegal(row: &DisputeRow, e: pingan_domain::dispute::IllegalStep) -> ApiError {
    ApiError::Conflict(format!("dispute {}: {e}", row.number))
}

fn event<'a>(
    row: &'a DisputeRow,
    actor: &'a Actor,
    at: i64,
    action: &'a str,
    to: &'a str,
    tier: &'a str,
    note: Option<&'a str>,
) -> Event<'a> {
    Event {
        dispute_id: &row.id,
        at,
        action,
        from_status: Some(&row.status),
        to_status: to,
        tier,
        actor: (Some(&actor.user_id), &actor.username),
        note,
    }
}

async fn commit(
    tx: Tx,
    actor: &Actor,
    row: &DisputeRow,
    action: &str,
    at: i64,
    detail: serde_json::Value,
) -> ApiResult<()> {
    let mut e = actor.audit_entry(
        &format!("dispute.{action}"),
        "dispute",
        Some(&row.id),
        AuditOutcome::Ok,
        &detail.to_string(),
    );
    e.at = at;
    tx.commit_audited(vec![e]).await?;
    Ok(())
}

/// Records that nothing about the status changes (session, organisation, extension request).
async fn record_only(
    state: &AppState,
    actor: &Actor,
    row: &DisputeRow,
    action: &str,
    note: Option<&str>,
    write: impl FnOnce(&mut Tx, i64),
    detail: serde_json::Value,
) -> ApiResult<()> {
    if !row.status().is_open() {
        return Err(ApiError::Conflict(format!(
            "dispute {} is {}: nothing more can be recorded",
            row.number, row.status
        )));
    }
    let now = state.now();
    let mut tx = state.db.begin().await?;
    write(&mut tx, now);
    disputes::add_event(
        &mut tx,
        &event(row, actor, now, action, &row.status, &row.tier, note),
    );
    commit(tx, actor, row, action, now, detail).await
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrgRequest {
    /// e.g. 枫桥派出所, 枫桥镇司法所, 人民法庭, 村委会, 劳动监察大队.
    pub org_name: String,
    /// police_station, justice_office, court_tribunal, village_committee, labour_bureau, other …
    pub org_kind: String,
    /// The organisation leading the joint mediation.
    #[serde(default)]
    pub lead: bool,
}

/// 矛盾联调: an organisation joins the mediation.
pub async fn add_org(state: &AppState, actor: &Actor, id: &str, req: OrgRequest) -> ApiResult<()> {
    actor.require(state, Permission::DisputeManage).await?;
    let row = load(state, actor, id).await?;
    let name = text("org_name", &req.org_name, 100)?;
    let kind = text("org_kind", &req.org_kind, 40)?;
    if !row.status().is_open() {
        return Err(ApiError::Conflict(format!(
            "dispute {} is {}",
            row.number, row.status
        )));
    }
    let now = state.now();
    let mut tx = state.db.begin().await?;
    disputes::add_org(
        &mut tx,
        &row.id,
        &disputes::OrgRow {
            org_name: name.clone(),
            org_kind: kind.clone(),
            lead: req.lead,
            added_at: now,
        },
    )
    .await?;
    let note = format!("{name}（{kind}）{}", if req.lead { "牵头" } else { "参与" });
    disputes::add_event(
        &mut tx,
        &event(
            &row,
            actor,
            now,
            "join",
            &row.status,
            &row.tier,
            Some(&note),
        ),
    );
    commit(
        tx,
        actor,
        &row,
        "join",
        now,
        serde_json::json!({"org": name, "lead": req.lead}),
    )
    .await
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionRequest {
    /// RFC 3339; default now.
    pub held_at: Option<String>,
    pub place: String,
    /// Who attended (organisations and people, as written in the record).
    pub attendees: String,
    pub notes: String,
}

/// A mediation session (调解会) with date, place, attendees and notes.
pub async fn add_session(
    state: &AppState,
    actor: &Actor,
    id: &str,
    req: SessionRequest,
) -> ApiResult<String> {
    actor.require(state, Permission::DisputeManage).await?;
    let row = load(state, actor, id).await?;
    let held_at = crate::validate::recorded_instant(state, "held_at", req.held_at.as_deref())?
        .unwrap_or_else(|| state.now());
    let s = disputes::SessionRow {
        id: new_id(),
        held_at,
        place: text("place", &req.place, 200)?,
        attendees: text("attendees", &req.attendees, 1000)?,
        notes: text("notes", &req.notes, 8000)?,
        recorded_by: actor.username.clone(),
        recorded_at: state.now(),
    };
    let sid = s.id.clone();
    let note = format!("{}，{}", s.place, s.attendees);
    record_only(
        state,
        actor,
        &row,
        "session",
        Some(&note),
        |tx, _| disputes::add_session(tx, &row.id, &s),
        serde_json::json!({"session": sid}),
    )
    .await?;
    Ok(sid)
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TermRequest {
    pub content: String,
    /// Who performs it.
    pub performer: String,
    /// By when (YYYY-MM-DD).
    pub due_date: String,
}

/// 人民调解法 art. 29: parties (from the party list), main facts, points in dispute and
/// responsibilities, the agreed terms with how and by when they are performed; mediator and committee.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgreementRequest {
    /// written (default) or oral (art. 28: recorded by the mediator).
    pub form: Option<String>,
    /// 纠纷的主要事实.
    pub facts: String,
    /// 争议事项.
    pub issues: String,
    /// 各方当事人的责任.
    pub responsibilities: String,
    pub terms: Vec<TermRequest>,
    /// The mediator who signs.
    pub mediator: String,
    /// The people's mediation committee that seals (人民调解委员会).
    pub committee: String,
    /// The parties chose to apply for judicial confirmation (司法确认, art. 33).
    #[serde(default)]
    pub judicial_confirmation: bool,
}

fn due_date(window: &DateWindow, field: &str, v: &str) -> ApiResult<String> {
    window
        .parse(v)
        .map(|d| d.to_string())
        .map_err(|e| crate::validate::implausible(field, e))
}

/// Agreement reached: status agreed, follow-up visits scheduled, 司法确认 reminder set if chosen.
pub async fn agree(
    state: &AppState,
    actor: &Actor,
    id: &str,
    req: AgreementRequest,
) -> ApiResult<String> {
    actor.require(state, Permission::DisputeManage).await?;
    let row = load(state, actor, id).await?;
    let to = row
        .status()
        .apply(Action::Agree)
        .map_err(|e| illegal(&row, e))?;
    let form: AgreementForm = req
        .form
        .as_deref()
        .unwrap_or("written")
        .parse()
        .map_err(|m: String| ApiError::invalid("form", format!("form {m}")))?;
    if req.terms.is_empty() || req.terms.len() > 50 {
        return Err(ApiError::invalid("terms", "list 1–50 agreed terms"));
    }
    let now = state.now();
    let today: jiff::civil::Date =
        pingan_domain::time::local_date(pingan_domain::time::from_micros(now))
            .parse()
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("today's date: {e}")))?;
    let terms_window = DateWindow::agreement_terms(today);
    let agreement_id = new_id();
    let terms = req
        .terms
        .iter()
        .enumerate()
        .map(|(i, t)| {
            Ok(disputes::TermRow {
                agreement_id: agreement_id.clone(),
                seq: i as i64 + 1,
                content: text(&format!("terms[{i}].content"), &t.content, 2000)?,
                performer: text(&format!("terms[{i}].performer"), &t.performer, 100)?,
                due_date: due_date(&terms_window, &format!("terms[{i}].due_date"), &t.due_date)?,
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let f = &state.config.mediation.followup;
    let a = disputes::AgreementRow {
        id: agreement_id.clone(),
        dispute_id: row.id.clone(),
        made_at: now,
        form: form.code().into(),
        facts: text("facts", &req.facts, 8000)?,
        issues: text("issues", &req.issues, 4000)?,
        responsibilities: text("responsibilities", &req.responsibilities, 4000)?,
        mediator: text("mediator", &req.mediator, 50)?,
        committee: text("committee", &req.committee, 100)?,
        judicial_confirmation: req.judicial_confirmation,
        confirm_by: req
            .judicial_confirmation
            .then(|| now + f.judicial_confirmation_days * MICROS_PER_DAY),
        superseded_at: None,
    };
    let due: Vec<i64> = f.days.iter().map(|d| now + d * MICROS_PER_DAY).collect();
    let mut tx = state.db.begin().await?;
    disputes::step(
        &mut tx,
        &row,
        "agree",
        to,
        now,
        &StepChange {
            agreed_at: Some(now),
            ..Default::default()
        },
    )
    .await?;
    disputes::add_agreement(&mut tx, &a, &terms, &due);
    let note = format!(
        "{}协议，{} 项条款{}",
        if form == AgreementForm::Written {
            "书面"
        } else {
            "口头"
        },
        terms.len(),
        if a.judicial_confirmation {
            "，当事人申请司法确认"
        } else {
            ""
        }
    );
    disputes::add_event(
        &mut tx,
        &event(&row, actor, now, "agree", to.code(), &row.tier, Some(&note)),
    );
    commit(
        tx,
        actor,
        &row,
        "agree",
        now,
        serde_json::json!({"agreement": agreement_id, "terms": terms.len()}),
    )
    .await?;
    Ok(agreement_id)
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = DisputeStepRequest)]
pub struct StepRequest {
    /// fail (mediation failed → `to`), withdraw, close, escalate (to the next tier now).
    pub action: String,
    /// fail: litigation, arbitration, petition or administrative.
    pub to: Option<String>,
    pub note: Option<String>,
}

/// Failure with transfer, withdrawal, closure or a manual escalation.
pub async fn act(state: &AppState, actor: &Actor, id: &str, req: StepRequest) -> ApiResult<()> {
    actor.require(state, Permission::DisputeManage).await?;
    let row = load(state, actor, id).await?;
    let action: Action = req
        .action
        .parse()
        .map_err(|m: String| ApiError::invalid("action", format!("action {m}")))?;
    if matches!(action, Action::Agree | Action::Breach | Action::Extend) {
        return Err(ApiError::invalid(
            "action",
            "agree, breach and extend have their own endpoints (agreement, follow-ups, extensions)",
        ));
    }
    let to = row.status().apply(action).map_err(|e| illegal(&row, e))?;
    let note = optional_text("note", req.note.as_deref(), 2000)?;
    let now = state.now();
    let mut change = StepChange {
        outcome_note: note.clone(),
        ..Default::default()
    };
    let mut tier = row.tier.clone();
    match action {
        Action::Fail => {
            let t: TransferTo = req
                .to
                .as_deref()
                .unwrap_or("")
                .parse()
                .map_err(|m: String| ApiError::invalid("to", format!("to {m}")))?;
            change.failed_at = Some(now);
            change.transfer_to = Some(t.code().into());
        }
        Action::Withdraw => change.withdrawn_at = Some(now),
        Action::Close => change.closed_at = Some(now),
        Action::Escalate => {
            let next = row.tier().next().ok_or_else(|| {
                ApiError::Conflict(format!(
                    "dispute {} is already at the district tier",
                    row.number
                ))
            })?;
            let due = state
                .config
                .mediation
                .grading
                .tier_due(&row.grade, next, now, 0)
                .ok_or_else(|| {
                    ApiError::Conflict("the dispute's grade is no longer configured".into())
                })?;
            change.tier = Some((next.code().into(), due));
            tier = next.code().into();
        }
        _ => {}
    }
    let mut tx = state.db.begin().await?;
    disputes::step(&mut tx, &row, action.code(), to, now, &change).await?;
    disputes::add_event(
        &mut tx,
        &event(
            &row,
            actor,
            now,
            action.code(),
            to.code(),
            &tier,
            note.as_deref(),
        ),
    );
    if action == Action::Escalate {
        let next = row.tier().next().unwrap_or(row.tier());
        notify_tier(
            state,
            &mut tx,
            &row,
            next,
            now,
            "dispute.escalated",
            (
                &format!(
                    "矛盾纠纷 {} 已上交{}：{}",
                    row.number,
                    next.label_zh(),
                    row.title
                ),
                &format!(
                    "Dispute {} went up to the {} tier: {}",
                    row.number,
                    next.code(),
                    row.title
                ),
            ),
        )
        .await?;
    }
    commit(
        tx,
        actor,
        &row,
        action.code(),
        now,
        serde_json::json!({"from": row.status, "to": to.code(), "tier": tier, "transfer_to": change.transfer_to}),
    )
    .await
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtensionRequest {
    /// Days to add to the current tier's time (1–60).
    pub days: i64,
    pub reason: String,
}

/// Asks for more time at the current tier; someone who supervises disputes decides.
pub async fn request_extension(
    state: &AppState,
    actor: &Actor,
    id: &str,
    req: ExtensionRequest,
) -> ApiResult<String> {
    actor.require(state, Permission::DisputeManage).await?;
    let row = load(state, actor, id).await?;
    row.status()
        .apply(Action::Extend)
        .map_err(|e| illegal(&row, e))?;
    if !(1..=60).contains(&req.days) {
        return Err(ApiError::invalid("days", "days must be 1–60"));
    }
    let e = disputes::ExtensionRow {
        id: new_id(),
        tier: row.tier.clone(),
        days: req.days,
        reason: text("reason", &req.reason, 1000)?,
        requested_by: actor.username.clone(),
        requested_at: state.now(),
        decided_by: None,
        decided_at: None,
        approved: None,
        decision_note: None,
    };
    let eid = e.id.clone();
    let note = format!("申请延期 {} 天：{}", e.days, e.reason);
    record_only(
        state,
        actor,
        &row,
        "extension_request",
        Some(&note),
        |tx, _| disputes::request_extension(tx, &row.id, &e),
        serde_json::json!({"extension": eid, "days": req.days}),
    )
    .await?;
    Ok(eid)
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    pub approve: bool,
    pub note: Option<String>,
}

/// Approves (the tier's due time moves) or refuses an extension. Not by the person who asked.
pub async fn decide_extension(
    state: &AppState,
    actor: &Actor,
    id: &str,
    extension_id: &str,
    req: DecisionRequest,
) -> ApiResult<()> {
    actor.require(state, Permission::DisputeSupervise).await?;
    let row = load(state, actor, id).await?;
    let pending = disputes::extensions(&state.db, &row.id)
        .await?
        .into_iter()
        .find(|e| e.id == extension_id)
        .ok_or(ApiError::NotFound)?;
    if pending.requested_by == actor.username {
        return Err(ApiError::Forbidden(
            "someone other than the requester decides an extension".into(),
        ));
    }
    let note = optional_text("note", req.note.as_deref(), 1000)?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let ext = disputes::decide_extension(
        &mut tx,
        &row.id,
        extension_id,
        req.approve,
        &actor.username,
        now,
        note.as_deref(),
    )
    .await?;
    if req.approve {
        // Only while the dispute is still mediating at the tier the request was for.
        if row.status() != Status::Mediating || row.tier != ext.tier {
            return Err(ApiError::Conflict(format!(
                "dispute {} has moved on since the extension was requested",
                row.number
            )));
        }
        let due = row.tier_due + ext.days * MICROS_PER_DAY;
        disputes::step(
            &mut tx,
            &row,
            "extend",
            Status::Mediating,
            now,
            &StepChange {
                extend: Some((ext.days, due)),
                ..Default::default()
            },
        )
        .await?;
    }
    let text = format!(
        "{}延期 {} 天{}",
        if req.approve { "批准" } else { "不批准" },
        ext.days,
        note.as_deref()
            .map(|n| format!("：{n}"))
            .unwrap_or_default()
    );
    disputes::add_event(
        &mut tx,
        &event(
            &row,
            actor,
            now,
            "extension_decision",
            &row.status,
            &row.tier,
            Some(&text),
        ),
    );
    commit(
        tx,
        actor,
        &row,
        "extension_decision",
        now,
        serde_json::json!({"extension": extension_id, "approved": req.approve, "days": ext.days}),
    )
    .await
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpRequest {
    /// performed, partial or breached (reopens the dispute).
    pub result: String,
    pub note: Option<String>,
}

/// Records a follow-up visit (回访). A breach reopens the dispute at its tier with a new clock.
pub async fn follow_up(
    state: &AppState,
    actor: &Actor,
    id: &str,
    followup_id: &str,
    req: FollowUpRequest,
) -> ApiResult<()> {
    actor.require(state, Permission::DisputeManage).await?;
    let row = load(state, actor, id).await?;
    let result: FollowUpResult = req
        .result
        .parse()
        .map_err(|m: String| ApiError::invalid("result", format!("result {m}")))?;
    let note = optional_text("note", req.note.as_deref(), 2000)?;
    if !matches!(row.status(), Status::Agreed | Status::Closed) {
        return Err(ApiError::Conflict(format!(
            "dispute {}: follow-up visits check an agreement, and it has none in force",
            row.number
        )));
    }
    let now = state.now();
    let mut tx = state.db.begin().await?;
    disputes::record_followup(
        &mut tx,
        &row.id,
        followup_id,
        now,
        result.code(),
        note.as_deref(),
        &actor.username,
    )
    .await?;
    let text = format!(
        "回访：{}{}",
        result.code(),
        note.as_deref()
            .map(|n| format!("，{n}"))
            .unwrap_or_default()
    );
    if result == FollowUpResult::Breached {
        let to = row
            .status()
            .apply(Action::Breach)
            .map_err(|e| illegal(&row, e))?;
        let due = state
            .config
            .mediation
            .grading
            .tier_due(&row.grade, row.tier(), now, 0)
            .ok_or_else(|| {
                ApiError::Conflict("the dispute's grade is no longer configured".into())
            })?;
        disputes::step(
            &mut tx,
            &row,
            "breach",
            to,
            now,
            &StepChange {
                reopen_due: Some(due),
                ..Default::default()
            },
        )
        .await?;
        disputes::add_event(
            &mut tx,
            &event(
                &row,
                actor,
                now,
                "breach",
                to.code(),
                &row.tier,
                Some(&text),
            ),
        );
        notify_tier(
            state,
            &mut tx,
            &row,
            row.tier(),
            now,
            "dispute.reopened",
            (
                &format!(
                    "矛盾纠纷 {} 回访发现未履行，已重新调解：{}",
                    row.number, row.title
                ),
                &format!(
                    "Dispute {} is in mediation again: the follow-up found the agreement not kept: {}",
                    row.number, row.title
                ),
            ),
        )
        .await?;
    } else {
        disputes::add_event(
            &mut tx,
            &event(
                &row,
                actor,
                now,
                "follow_up",
                &row.status,
                &row.tier,
                Some(&text),
            ),
        );
    }
    commit(
        tx,
        actor,
        &row,
        "follow_up",
        now,
        serde_json::json!({"follow_up": followup_id, "result": result.code()}),
    )
    .await
}
