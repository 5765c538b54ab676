//! What people do to an incident after intake: dispatch units, acknowledge, arrive, resolve, report back,
//! close, merge, transfer, cancel, and the satisfaction call (回访). The domain state machine decides
//! whether the step is legal (409 otherwise); this module checks who may take it, keeps the units'
//! status in step, and writes event, change-feed row and audit record in one transaction.

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use pingan_domain::OrgKind;
use pingan_domain::Permission;
use pingan_domain::audit::AuditOutcome;
use pingan_domain::incident::{Action, Satisfaction, Status, TransferTarget};
use pingan_domain::unit::UnitStatus;
use pingan_store::incidents::{self, Change, IncidentRow};
use pingan_store::{Tx, units};
use serde::Deserialize;
use utoipa::ToSchema;

/// One step on an incident. Which fields are needed depends on `action`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    /// dispatch, acknowledge, arrive, resolve, report_back, close, merge, transfer, cancel or callback (回访).
    pub action: String,
    /// dispatch: the units to send.
    pub unit_ids: Option<Vec<String>>,
    /// acknowledge / arrive: which assigned unit (defaults to the caller's own unit on the incident).
    pub unit_id: Option<String>,
    /// Free text for the timeline (resolve, close, cancel, transfer, merge, callback).
    pub note: Option<String>,
    /// report_back: what the reporter is told (shown with their tracking code).
    pub feedback: Option<String>,
    /// merge: the open incident this one duplicates.
    pub into: Option<String>,
    /// transfer: mediation, fire, station or agency.
    pub to: Option<String>,
    /// transfer: the receiving organisation (required for station).
    pub org_id: Option<String>,
    /// transfer to mediation: the two-digit dispute type the incident becomes (default: suggested
    /// from the incident type, see /api/v1/dispute-types).
    pub dispute_type: Option<String>,
    /// callback: satisfied, basically_satisfied or dissatisfied.
    pub satisfaction: Option<String>,
}

fn note(v: &Option<String>, field: &str, required: bool) -> ApiResult<Option<String>> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None if required => Err(ApiError::invalid(field, format!("{field} is required"))),
        None => Ok(None),
        Some(s) if s.chars().count() > 2000 => Err(ApiError::invalid(
            field,
            format!("{field} is longer than 2000 characters"),
        )),
        Some(s) => Ok(Some(s.to_string())),
    }
}

fn illegal(row: &IncidentRow, e: pingan_domain::incident::IllegalTransition) -> ApiError {
    ApiError::Conflict(format!("incident {}: {e}", row.number))
}

/// Applies `req` to the incident `id` (which must be in the actor's scope) and returns it afterwards.
pub async fn apply(
    state: &AppState,
    actor: &Actor,
    id: &str,
    req: &ActionRequest,
) -> ApiResult<IncidentRow> {
    let row = incidents::get(&state.db, &actor.scope, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if req.action == "callback" {
        return callback(state, actor, row, req).await;
    }
    let action: Action = req
        .action
        .parse()
        .map_err(|m: String| ApiError::invalid("action", format!("action {m}, or callback")))?;
    let responder_action = matches!(
        action,
        Action::Acknowledge | Action::Arrive | Action::Resolve | Action::ReportBack
    );
    if !(actor.can(Permission::IncidentDispatch)
        || responder_action && actor.can(Permission::IncidentRespond))
    {
        actor.require(state, Permission::IncidentDispatch).await?;
    }
    let from = row.status();
    let to = from.apply(action).map_err(|e| illegal(&row, e))?;
    let now = state.now();
    let who = (Some(actor.user_id.as_str()), actor.username.as_str());
    let mut tx = state.db.begin().await?;
    let mut change = Change::default();
    let mut event_unit: Option<String> = None;
    let mut event_note = note(&req.note, "note", false)?;
    let mut handoff = None;
    match action {
        Action::Dispatch => {
            let ids = req.unit_ids.clone().unwrap_or_default();
            if ids.is_empty() || ids.len() > 20 {
                return Err(ApiError::invalid("unit_ids", "name 1–20 units to dispatch"));
            }
            for (i, uid) in ids.iter().enumerate() {
                let field = format!("unit_ids[{i}]");
                let unit = units::get(&state.db, &actor.scope, uid)
                    .await?
                    .ok_or_else(|| ApiError::invalid(&field, "no such unit in your scope"))?;
                // Off duty, or a status this version does not know: not dispatchable.
                if !matches!(unit.status.parse::<UnitStatus>(), Ok(s) if s != UnitStatus::OffDuty) {
                    return Err(ApiError::invalid(
                        &field,
                        format!("{} is off duty", unit.call_sign),
                    ));
                }
                incidents::assign(&mut tx, &row.id, uid, now, &actor.user_id).await?;
                set_unit(&mut tx, uid, UnitStatus::EnRoute, &unit.area_path, now).await?;
            }
            event_unit = (ids.len() == 1).then(|| ids[0].clone());
            if ids.len() > 1 {
                event_note = Some(ids.join(","));
            }
        }
        Action::Acknowledge | Action::Arrive => {
            let unit_id = responding_unit(state, actor, &mut tx, &row, req).await?;
            let (state_name, unit_status) = if action == Action::Acknowledge {
                ("acknowledged", UnitStatus::EnRoute)
            } else {
                ("on_scene", UnitStatus::OnScene)
            };
            incidents::set_assignment_state(&mut tx, &row.id, &unit_id, state_name, now).await?;
            let unit = units::get_tx(&mut tx, &unit_id)
                .await?
                .ok_or(ApiError::NotFound)?;
            set_unit(&mut tx, &unit_id, unit_status, &unit.area_path, now).await?;
            event_unit = Some(unit_id);
        }
        Action::Resolve => {
            if !actor.can(Permission::IncidentDispatch) {
                responding_unit(state, actor, &mut tx, &row, req).await?;
            }
            release_units(&mut tx, &row.id, now).await?;
        }
        Action::ReportBack => {
            if !actor.can(Permission::IncidentDispatch) {
                responding_unit(state, actor, &mut tx, &row, req).await?;
            }
            change.feedback_text = note(&req.feedback, "feedback", true)?;
        }
        Action::Close => {}
        Action::Merge => {
            let into = req.into.as_deref().ok_or_else(|| {
                ApiError::invalid("into", "name the incident this one duplicates")
            })?;
            let target = incidents::get(&state.db, &actor.scope, into)
                .await?
                .ok_or_else(|| ApiError::invalid("into", "no such incident in your scope"))?;
            if target.id == row.id || !target.status().is_open() {
                return Err(ApiError::invalid(
                    "into",
                    "merge into another incident that is still open",
                ));
            }
            change.merged_into = Some(target.id);
            release_units(&mut tx, &row.id, now).await?;
        }
        Action::Transfer => {
            let to: TransferTarget = req
                .to
                .as_deref()
                .unwrap_or("")
                .parse()
                .map_err(|m: String| ApiError::invalid("to", format!("to {m}")))?;
            if let Some(org) = &req.org_id {
                let o = pingan_store::orgs::get_unscoped(&state.db, org)
                    .await?
                    .ok_or_else(|| ApiError::invalid("org_id", "no such organisation"))?;
                if to == TransferTarget::Station
                    && OrgKind::parse(&o.kind) != Some(OrgKind::Station)
                {
                    return Err(ApiError::invalid(
                        "org_id",
                        "that organisation is not a police station",
                    ));
                }
                change.transfer_org_id = Some(o.id);
            } else if to == TransferTarget::Station {
                return Err(ApiError::invalid(
                    "org_id",
                    "name the station that takes over",
                ));
            }
            if to == TransferTarget::Mediation {
                handoff = Some(
                    crate::mediation::register::from_incident(
                        state,
                        actor,
                        &row,
                        req.dispute_type.as_deref(),
                        event_note.as_deref(),
                    )
                    .await?,
                );
            } else if req.dispute_type.is_some() {
                return Err(ApiError::invalid(
                    "dispute_type",
                    "a dispute type goes with a transfer to mediation only",
                ));
            }
            change.transfer_target = Some(to.code().into());
            release_units(&mut tx, &row.id, now).await?;
        }
        Action::Cancel => {
            event_note = note(&req.note, "note", true)?;
            release_units(&mut tx, &row.id, now).await?;
        }
    }
    incidents::transition(
        &mut tx,
        &row,
        action,
        to,
        now,
        &change,
        event_unit.as_deref(),
        who,
        event_note.as_deref(),
    )
    .await?;
    let mut audit =
        vec![
            actor.audit_entry(
                &format!("incident.{}", action.code()),
                "incident",
                Some(&row.id),
                AuditOutcome::Ok,
                &serde_json::json!({"from": from.code(), "to": to.code(), "unit": event_unit})
                    .to_string(),
            ),
        ];
    if let Some(p) = handoff {
        // The dispute exists exactly when the transfer is committed.
        let (_, e) =
            crate::mediation::register::record(state, &mut tx, actor, p, "dispute.from_incident")
                .await?;
        audit.push(e);
    }
    tx.commit_audited(audit).await?;
    incidents::get(&state.db, &actor.scope, id)
        .await?
        .ok_or(ApiError::NotFound)
}

/// The assigned unit a responder acts for: the one named (if they crew it or may dispatch), else the
/// caller's own unit on this incident.
async fn responding_unit(
    state: &AppState,
    actor: &Actor,
    tx: &mut Tx,
    row: &IncidentRow,
    req: &ActionRequest,
) -> ApiResult<String> {
    let mine: Vec<String> = units::for_user(&state.db, &actor.user_id)
        .await?
        .into_iter()
        .map(|u| u.id)
        .collect();
    let unit_id = match &req.unit_id {
        Some(u) => u.clone(),
        None => {
            let mut found = None;
            for u in &mine {
                if incidents::assignment_tx(tx, &row.id, u).await?.is_some() {
                    found = Some(u.clone());
                    break;
                }
            }
            found.ok_or_else(|| {
                ApiError::invalid("unit_id", "none of your units is assigned to this incident")
            })?
        }
    };
    if !actor.can(Permission::IncidentDispatch) && !mine.contains(&unit_id) {
        return Err(ApiError::Forbidden(
            "you may only act for a unit you crew".into(),
        ));
    }
    let a = incidents::assignment_tx(tx, &row.id, &unit_id)
        .await?
        .ok_or_else(|| {
            ApiError::invalid("unit_id", "that unit is not assigned to this incident")
        })?;
    if a.released_at.is_some() {
        return Err(ApiError::Conflict(format!(
            "{} has already been released from this incident",
            a.call_sign
        )));
    }
    Ok(unit_id)
}

async fn set_unit(
    tx: &mut Tx,
    unit_id: &str,
    status: UnitStatus,
    area_path: &str,
    now: i64,
) -> ApiResult<()> {
    // Every caller has just read the unit, so the update can wait for the next statement.
    units::queue_status(tx, unit_id, status.code(), now);
    incidents::record_change(tx, "unit", unit_id, area_path, now).await?;
    Ok(())
}

/// Frees the incident's units: back to available.
async fn release_units(tx: &mut Tx, incident_id: &str, now: i64) -> ApiResult<()> {
    for uid in incidents::release_all(tx, incident_id, now).await? {
        if let Some(u) = units::get_tx(tx, &uid).await? {
            set_unit(tx, &uid, UnitStatus::Available, &u.area_path, now).await?;
        }
    }
    Ok(())
}

async fn callback(
    state: &AppState,
    actor: &Actor,
    row: IncidentRow,
    req: &ActionRequest,
) -> ApiResult<IncidentRow> {
    actor.require(state, Permission::IncidentDispatch).await?;
    let s: Satisfaction = req
        .satisfaction
        .as_deref()
        .unwrap_or("")
        .parse()
        .map_err(|m: String| ApiError::invalid("satisfaction", format!("satisfaction {m}")))?;
    if !matches!(row.status(), Status::ReportedBack | Status::Closed) {
        return Err(ApiError::Conflict(format!(
            "incident {}: the satisfaction call follows the report back to the reporter",
            row.number
        )));
    }
    let n = note(&req.note, "note", false)?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    incidents::record_callback(
        &mut tx,
        &row,
        s.code(),
        n.as_deref(),
        now,
        (Some(actor.user_id.as_str()), actor.username.as_str()),
    )
    .await?;
    let e = actor.audit_entry(
        "incident.callback",
        "incident",
        Some(&row.id),
        AuditOutcome::Ok,
        &serde_json::json!({"satisfaction": s.code()}).to_string(),
    );
    tx.commit_audited(vec![e]).await?;
    incidents::get(&state.db, &actor.scope, &row.id)
        .await?
        .ok_or(ApiError::NotFound)
}
