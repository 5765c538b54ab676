//! The tier clock and the 民转刑 watch: what the system does to disputes by itself.
//!
//! `sweep` escalates every mediating dispute whose tier time has run out, one tier, notifying the new
//! tier's people. It runs on an interval in every server process; the move is a conditional update on
//! the row as read, so two servers sweeping at once escalate each dispute once (the loser's update
//! matches nothing and is skipped). Time comes from the state's clock, so tests move it instead of
//! sleeping.
//!
//! `watch_incident` runs after intake of a violent incident: any dispute still watched (open, or ended
//! within the window) at the same place or with a party whose phone is the caller's gets an alert.

use super::{SYSTEM_ACTOR, notify_tier};
use crate::error::ApiResult;
use crate::state::AppState;
use pingan_domain::audit::{AuditEntry, AuditOutcome};
use pingan_domain::dispute::{ClockVerdict, Status, clock};
use pingan_store::StoreError;
use pingan_store::disputes::{self, AlertRow, Event, StepChange};
use pingan_store::incidents::IncidentRow;
use pingan_store::new_id;

fn system_entry(action: &str, id: &str, at: i64, detail: serde_json::Value) -> AuditEntry {
    AuditEntry {
        at,
        actor_id: None,
        actor_name: SYSTEM_ACTOR.into(),
        action: action.into(),
        object_type: "dispute".into(),
        object_id: Some(id.into()),
        outcome: AuditOutcome::Ok,
        purpose: None,
        ip: None,
        detail: detail.to_string(),
    }
}

/// Escalates overdue disputes one tier; returns how many moved.
pub async fn sweep(state: &AppState) -> ApiResult<usize> {
    let rules = &state.config.mediation.grading;
    let mut moved = 0;
    for due_row in disputes::due_for_escalation(&state.db, state.now(), 200).await? {
        // Decided on the dispute as it is under lock, timed after the lock: a mediator's step or the
        // 民转刑 watch that got there first is in the row and before this entry in the timeline.
        let mut tx = state.db.begin().await?;
        let Some(row) = disputes::get_locked(&mut tx, &due_row.id).await? else {
            tx.rollback().await?;
            continue;
        };
        let now = state.now();
        let ClockVerdict::Escalate(next) = clock(row.tier(), row.tier_due, now) else {
            tx.rollback().await?;
            continue;
        };
        let Some(due) = rules.tier_due(&row.grade, next, now, 0) else {
            tracing::warn!(dispute = %row.number, grade = %row.grade, "grade no longer configured; not escalated");
            tx.rollback().await?;
            continue;
        };
        match disputes::step(
            &mut tx,
            &row,
            "escalate",
            Status::Mediating,
            now,
            &StepChange {
                tier: Some((next.code().into(), due)),
                ..Default::default()
            },
        )
        .await
        {
            Ok(()) => {}
            // Someone (another server's sweep, a mediator) changed it first.
            Err(StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
        let note = format!(
            "{}时限已到（{}），自动上交{}",
            row.tier().label_zh(),
            pingan_domain::time::local_datetime(pingan_domain::time::from_micros(row.tier_due)),
            next.label_zh()
        );
        disputes::add_event(
            &mut tx,
            &Event {
                dispute_id: &row.id,
                at: now,
                action: "escalate",
                from_status: Some(&row.status),
                to_status: &row.status,
                tier: next.code(),
                actor: (None, SYSTEM_ACTOR),
                note: Some(&note),
            },
        );
        notify_tier(
            state,
            &mut tx,
            &row,
            next,
            now,
            "dispute.escalated",
            (
                &format!(
                    "矛盾纠纷 {} 超时上交{}：{}",
                    row.number,
                    next.label_zh(),
                    row.title
                ),
                &format!(
                    "Dispute {} went up to the {} tier when its time ran out: {}",
                    row.number,
                    next.code(),
                    row.title
                ),
            ),
        )
        .await?;
        tx.commit_audited(vec![system_entry(
            "dispute.escalate",
            &row.id,
            now,
            serde_json::json!({"from": row.tier, "to": next.code(), "due": row.tier_due}),
        )])
        .await?;
        moved += 1;
    }
    Ok(moved)
}

/// Reminds the people handling a dispute that the parties' 司法确认 deadline (art. 33: 30 days after the
/// agreement) is three days away; each agreement once. Returns how many reminders went out.
pub async fn remind_confirmations(state: &AppState) -> ApiResult<usize> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let due = disputes::due_confirmation_reminders(
        &mut tx,
        now,
        3 * pingan_domain::dispute::MICROS_PER_DAY,
    )
    .await?;
    for (id, by) in &due {
        let Some(row) = disputes::get_unscoped(&state.db, id).await? else {
            continue;
        };
        let by = pingan_domain::time::local_date(pingan_domain::time::from_micros(*by));
        let message = format!(
            "矛盾纠纷 {} 的调解协议申请司法确认截止于 {by}，请提醒当事人共同向人民法院申请",
            row.number,
        );
        let message_en = format!(
            "Dispute {}: judicial confirmation of the agreement must be applied for by {by}; remind the parties to apply to the court together",
            row.number,
        );
        notify_tier(
            state,
            &mut tx,
            &row,
            row.tier(),
            now,
            "dispute.confirmation_due",
            (&message, &message_en),
        )
        .await?;
    }
    let entries = due
        .iter()
        .map(|(id, by)| {
            system_entry(
                "dispute.confirmation_reminder",
                id,
                now,
                serde_json::json!({"confirm_by": by}),
            )
        })
        .collect();
    tx.commit_audited(entries).await?;
    Ok(due.len())
}

/// The tier clock and the 司法确认 reminders, every `mediation.sweep_seconds` (at least 1) on one server.
pub fn job(state: &AppState) -> crate::jobs::Job {
    let secs = state.config.mediation.sweep_seconds.max(1);
    crate::jobs::Job::new(
        "dispute_clock",
        std::time::Duration::from_secs(secs),
        |state| {
            Box::pin(async move {
                let moved = sweep(&state).await?;
                Ok(moved + remind_confirmations(&state).await?)
            })
        },
    )
}

/// 民转刑 watch for a newly received incident; returns the disputes alerted.
pub async fn watch_incident(state: &AppState, incident: &IncidentRow) -> ApiResult<Vec<String>> {
    let w = &state.config.mediation.watch;
    if !w.is_violent(&incident.type_code) {
        return Ok(Vec::new());
    }
    let phone_index = incident.caller_phone_index.clone();
    let candidates = disputes::watch_candidates(
        &state.db,
        super::register::bbox_around(incident.lng, incident.lat, w.radius_m),
        &incident.address,
        phone_index.as_deref(),
    )
    .await?;
    let address = pingan_domain::incident::normalise_address(&incident.address);
    let mut alerted = Vec::new();
    for d in candidates {
        if !w.watches(d.registered_at, d.ended_at(), incident.received_at) {
            continue;
        }
        let place = pingan_geo::distance_m(d.lng, d.lat, incident.lng, incident.lat) <= w.radius_m
            || (!address.is_empty()
                && pingan_domain::incident::normalise_address(&d.address) == address);
        let party = match &phone_index {
            Some(p) => disputes::has_party_phone(&state.db, &d.id, p).await?,
            None => false,
        };
        if !(place || party) {
            continue;
        }
        let reason = match (place, party) {
            (true, true) => "同一地点、同一当事人",
            (true, false) => "同一地点",
            _ => "同一当事人",
        };
        let mut tx = state.db.begin().await?;
        // The candidate was read outside this transaction; a mediator may have moved it since. The
        // timeline entry and the notice go by its state now, timed after the lock.
        let Some(d) = disputes::get_locked(&mut tx, &d.id).await? else {
            tx.rollback().await?;
            continue;
        };
        let now = state.now();
        let added = disputes::add_alert(
            &mut tx,
            &AlertRow {
                id: new_id(),
                dispute_id: d.id.clone(),
                incident_id: incident.id.clone(),
                at: incident.received_at,
                reason: reason.into(),
            },
        )
        .await?;
        if !added {
            tx.rollback().await?;
            continue;
        }
        let note = format!(
            "民转刑预警：警情 {}（{}），{reason}",
            incident.number, incident.type_code
        );
        disputes::add_event(
            &mut tx,
            &Event {
                dispute_id: &d.id,
                at: now,
                action: "criminal_turn",
                from_status: Some(&d.status),
                to_status: &d.status,
                tier: &d.tier,
                actor: (None, SYSTEM_ACTOR),
                note: Some(&note),
            },
        );
        notify_tier(
            state,
            &mut tx,
            &d,
            d.tier(),
            now,
            "dispute.criminal_turn",
            (
                &format!(
                    "民转刑预警：矛盾纠纷 {} 相关警情 {}",
                    d.number, incident.number
                ),
                &format!(
                    "Risk of violence: incident {} concerns dispute {}",
                    incident.number, d.number
                ),
            ),
        )
        .await?;
        tx.commit_audited(vec![system_entry(
            "dispute.criminal_turn",
            &d.id,
            now,
            serde_json::json!({"incident": incident.id, "reason": reason}),
        )])
        .await?;
        alerted.push(d.id.clone());
    }
    Ok(alerted)
}
