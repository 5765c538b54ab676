//! 督办: what moves a task's card and deadline. The sweep (the leased `task_supervision` job, every
//! `tasks.sweep_seconds`) raises the card of every open task the rules now card higher, each decided
//! on the row read inside its own transaction and written conditionally, so two sweeps never card one
//! task twice. TaskExtension requests: the lead asks for a later deadline day with a reason; someone who
//! manages tasks (not the requester) approves — the deadline moves and the card is recomputed, so an
//! overdue card clears — or refuses, and nothing else changes.

use super::{OwnedChange, Task, change_of, day, event, reader, task_for_change};
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, Problem, Problems};
use crate::notifications::{self, Notice};
use crate::state::AppState;
use pingan_domain::Permission;
use pingan_domain::audit::{AuditEntry, AuditOutcome};
use pingan_domain::task::{self as rules, Action, Card, EventKind, ExtensionStatus, Facts, Status};
use pingan_store::new_id;
use pingan_store::tasks::{self as store, ExtensionRow};
use serde::Deserialize;
use utoipa::ToSchema;

pub const SYSTEM_ACTOR: &str = "system:task_supervision";

/// Raises cards that are due; returns how many tasks were carded higher.
pub async fn sweep(state: &AppState) -> ApiResult<usize> {
    let rules = state.config.tasks.cards;
    let now = state.now();
    let quiet_before = now - rules.yellow_stall_days * rules::DAY;
    let mut carded = 0;
    let mut after = String::new();
    loop {
        let rows = store::sweep_candidates(&state.db, now, quiet_before, &after, 500).await?;
        let Some(last) = rows.last() else { break };
        after = last.id.clone();
        for r in rows {
            // Decided on the light row first: only a card to raise takes the write lock.
            let carding = rules::card(
                &Facts {
                    status: Status::Open,
                    deadline_end: r.deadline_end,
                    last_activity: r.last_activity_at,
                },
                &rules,
                now,
            );
            let stored: Card = r.card.parse().unwrap_or(Card::Normal);
            if carding.card.rank() > stored.rank() {
                if card_one(state, &r.id, now).await? {
                    carded += 1;
                }
            } else if carding.card == stored && stored != Card::Normal {
                // The same card, its days counted on.
                let reasons = serde_json::to_string(&carding.reasons).unwrap_or_default();
                if reasons != r.card_reasons {
                    store::refresh_reasons(&state.db, &r.id, stored.code(), &reasons).await?;
                }
            }
        }
    }
    Ok(carded)
}

async fn card_one(state: &AppState, id: &str, now: i64) -> ApiResult<bool> {
    let mut tx = state.db.begin().await?;
    let Some(row) = store::get_any_tx(&mut tx, id).await? else {
        return Ok(false);
    };
    let facts = Facts {
        status: row.status.parse().unwrap_or(Status::Accepted),
        deadline_end: row.deadline_end,
        last_activity: row.last_activity_at,
    };
    let carding = rules::card(&facts, &state.config.tasks.cards, now);
    let stored: Card = row.card.parse().unwrap_or(Card::Normal);
    if carding.card.rank() <= stored.rank() {
        return Ok(false);
    }
    let mut c: OwnedChange = change_of(&row);
    c.card = carding.card.code().into();
    c.card_reasons = serde_json::to_string(&carding.reasons).unwrap_or_else(|_| "[]".into());
    c.carded_at = Some(now);
    match c.write(&mut tx, &row, now).await {
        Ok(()) => {}
        // Someone changed it first; the next sweep looks again.
        Err(ApiError::Conflict(_)) => return Ok(false),
        Err(e) => return Err(e),
    }
    super::announce_card(&mut tx, &row, &carding, now).await?;
    tx.commit_audited(vec![AuditEntry {
        at: now,
        actor_id: None,
        actor_name: SYSTEM_ACTOR.into(),
        action: "task.card".into(),
        object_type: "task".into(),
        object_id: Some(row.id.clone()),
        outcome: AuditOutcome::Ok,
        purpose: None,
        ip: None,
        detail:
            serde_json::json!({"from": row.card, "to": carding.card, "reasons": carding.reasons})
                .to_string(),
    }])
    .await?;
    Ok(true)
}

pub fn job(state: &AppState) -> crate::jobs::Job {
    crate::jobs::Job::new(
        "task_supervision",
        std::time::Duration::from_secs(state.config.tasks.sweep_seconds),
        |state| Box::pin(async move { Ok(sweep(&state).await?) }),
    )
}

/// A request for a later deadline day.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskExtensionRequest {
    /// The new deadline day, `YYYY-MM-DD`, after the current one.
    pub due_on: String,
    /// Why, 1–500 characters.
    pub reason: String,
    pub updated_at: i64,
}

/// The lead asks for more time (one pending request at a time); the assigner is told.
pub async fn request_extension(
    state: &AppState,
    actor: &Actor,
    id: &str,
    req: TaskExtensionRequest,
) -> ApiResult<Task> {
    actor.require(state, Permission::TaskRead).await?;
    let mut problems = Problems::default();
    let reason = problems.check(crate::validate::text("reason", &req.reason, 500))?;
    let due = day("due_on", &req.due_on, &mut problems);
    problems.finish()?;
    let (Some(reason), Some(due)) = (reason, due) else {
        return Err(ApiError::Internal(anyhow::anyhow!(
            "an extension value is missing without a problem noted"
        )));
    };
    let mut tx = state.db.begin().await?;
    let row = task_for_change(&mut tx, actor, id, req.updated_at).await?;
    super::require_participant(&mut tx, actor, &row).await?;
    let status: Status = row.status.parse().unwrap_or(Status::Open);
    status
        .apply(Action::RequestExtension)
        .map_err(super::illegal)?;
    let current: jiff::civil::Date = row
        .due_on
        .parse()
        .map_err(|_| ApiError::Internal(anyhow::anyhow!("task {} has a bad due_on", row.id)))?;
    if due <= current || due > current.saturating_add(jiff::Span::new().years(1)) {
        return Err(ApiError::problem(
            Problem::new(
                "due_on",
                "task_extension_day",
                "the new deadline must be after the current one and within a year of it",
            )
            .with("day", current),
        ));
    }
    if store::pending_extension(&mut tx, &row.id).await?.is_some() {
        return Err(ApiError::Conflict(
            "an extension request is waiting for a decision already".into(),
        ));
    }
    let now = state.now();
    let ext = ExtensionRow {
        id: new_id(),
        task_id: row.id.clone(),
        requested_by: actor.user_id.clone(),
        requested_at: now,
        due_on: due.to_string(),
        reason: reason.clone(),
        status: ExtensionStatus::Pending.code().into(),
        decided_by: None,
        decided_at: None,
        decision_note: String::new(),
    };
    store::insert_extension(&mut tx, &ext).await?;
    // The row's version moves, so a second request made against the same read is refused.
    change_of(&row).write(&mut tx, &row, now).await?;
    event(
        &mut tx,
        &row.id,
        now,
        Some(&actor.user_id),
        EventKind::ExtensionRequested,
        &reason,
        serde_json::json!({"due_on": ext.due_on, "from": row.due_on}),
    );
    notifications::send(
        &mut tx,
        std::slice::from_ref(&row.assigned_by),
        now,
        &Notice {
            kind: "task.extension_requested",
            object: ("task", &row.id),
            message: &format!("延期申请：{}（申请延至 {}）", row.title, ext.due_on),
            message_en: &format!("TaskExtension requested: {} (to {})", row.title, ext.due_on),
        },
    );
    super::finish(
        state,
        tx,
        actor,
        "task.extension_request",
        id,
        serde_json::json!({"extension": ext.id, "due_on": ext.due_on}),
    )
    .await
}

/// A decision on the pending extension request.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskExtensionDecision {
    /// Why (required to refuse), at most 500 characters.
    #[serde(default)]
    pub note: Option<String>,
}

/// Approves or refuses the pending request `ext_id` (TaskManage, never one's own request).
pub async fn decide_extension(
    state: &AppState,
    actor: &Actor,
    id: &str,
    ext_id: &str,
    approve: bool,
    req: TaskExtensionDecision,
) -> ApiResult<Task> {
    actor.require(state, Permission::TaskManage).await?;
    let mut problems = Problems::default();
    let note = problems
        .check(crate::validate::optional_text(
            "note",
            req.note.as_deref(),
            500,
        ))?
        .flatten()
        .unwrap_or_default();
    if !approve && note.is_empty() {
        problems.push(Problem::new(
            "note",
            "required",
            "say why the extension is refused",
        ));
    }
    problems.finish()?;
    let mut tx = state.db.begin().await?;
    let row = store::get_tx(&mut tx, &reader(actor), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let Some(ext) = store::pending_extension(&mut tx, &row.id)
        .await?
        .filter(|e| e.id == ext_id)
    else {
        let known = store::extensions(&state.db, &row.id)
            .await?
            .iter()
            .any(|e| e.id == ext_id);
        return Err(if known {
            ApiError::Conflict("this request was decided already".into())
        } else {
            ApiError::NotFound
        });
    };
    if ext.requested_by == actor.user_id {
        return Err(ApiError::Forbidden(
            "an extension is decided by someone other than who asked for it".into(),
        ));
    }
    super::require_decider(actor, &row)?;
    if row.status != Status::Open.code() {
        return Err(ApiError::Conflict(
            "the task is not open: its deadline no longer moves".into(),
        ));
    }
    let now = state.now();
    let status = if approve {
        ExtensionStatus::Approved
    } else {
        ExtensionStatus::Refused
    };
    if !store::decide_extension(&mut tx, &ext.id, status.code(), &actor.user_id, now, &note).await?
    {
        return Err(ApiError::Conflict(
            "this request was decided already".into(),
        ));
    }
    let (kind, zh, en) = if approve {
        let due: jiff::civil::Date = ext.due_on.parse().map_err(|_| {
            ApiError::Internal(anyhow::anyhow!("extension {} has a bad due_on", ext.id))
        })?;
        let mut c = change_of(&row);
        c.due_on = ext.due_on.clone();
        c.deadline_end = super::end_of(due);
        c.last_activity_at = now;
        c.recard(state, now);
        c.write(&mut tx, &row, now).await?;
        (
            EventKind::ExtensionApproved,
            "延期已批准",
            "TaskExtension approved",
        )
    } else {
        (
            EventKind::ExtensionRefused,
            "延期未获批准",
            "TaskExtension refused",
        )
    };
    event(
        &mut tx,
        &row.id,
        now,
        Some(&actor.user_id),
        kind,
        &note,
        serde_json::json!({"due_on": ext.due_on, "from": row.due_on}),
    );
    notifications::send(
        &mut tx,
        std::slice::from_ref(&ext.requested_by),
        now,
        &Notice {
            kind: &format!("task.{}", kind.code()),
            object: ("task", &row.id),
            message: &format!("{zh}：{}（{}）", row.title, ext.due_on),
            message_en: &format!("{en}: {} ({})", row.title, ext.due_on),
        },
    );
    super::finish(
        state,
        tx,
        actor,
        if approve {
            "task.extension_approve"
        } else {
            "task.extension_refuse"
        },
        id,
        serde_json::json!({"extension": ext.id, "due_on": ext.due_on}),
    )
    .await
}
