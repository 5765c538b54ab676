//! 调取: a request for a camera's footage over a period, linked to an incident or a case the
//! requester can reach, with a stated purpose; the station chief approves or refuses it (never their
//! own), and the export is recorded with its reference (the platform's export id, a medium's
//! number). Every step is audited with the purpose. A request is scoped by its linked object's paths,
//! so whoever cannot see the incident or case cannot see the request either.

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, Problem, Problems};
use crate::state::AppState;
use pingan_domain::Permission;
use pingan_domain::audit::AuditOutcome;
use pingan_domain::camera::{FootageError, FootageStatus, FootageStep};
use pingan_store::cameras::{self as store, FootageRow};
use pingan_store::new_id;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The longest period one request may ask for.
pub const MAX_HOURS: i64 = 72;
const HOUR: i64 = 3_600_000_000;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFootageRequest {
    pub camera_code: String,
    /// Exactly one of an incident and a case the footage is for.
    #[serde(default)]
    pub incident_id: Option<String>,
    #[serde(default)]
    pub case_id: Option<String>,
    /// Why (5–500 characters); kept with every step's audit record.
    pub purpose: String,
    /// RFC 3339; at most 72 hours.
    pub from: String,
    pub to: String,
}

/// A footage request.
#[derive(Debug, Serialize, ToSchema)]
pub struct FootageRequest {
    pub id: String,
    pub camera_code: String,
    pub camera_name: String,
    pub incident_id: Option<String>,
    pub case_id: Option<String>,
    pub requester_id: String,
    pub requester_name: String,
    pub purpose: String,
    pub from: i64,
    pub to: i64,
    pub status: FootageStatus,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub decision_note: Option<String>,
    pub exported_by: Option<String>,
    pub exported_at: Option<i64>,
    pub export_ref: Option<String>,
    pub created_at: i64,
}

fn view(r: FootageRow) -> FootageRequest {
    FootageRequest {
        status: r.status.parse().unwrap_or(FootageStatus::Requested),
        id: r.id,
        camera_code: r.camera_code,
        camera_name: r.camera_name,
        incident_id: r.incident_id,
        case_id: r.case_id,
        requester_id: r.requester_id,
        requester_name: r.requester_name,
        purpose: r.purpose,
        from: r.from_at,
        to: r.to_at,
        decided_by: r.decided_by,
        decided_at: r.decided_at,
        decision_note: r.decision_note,
        exported_by: r.exported_by,
        exported_at: r.exported_at,
        export_ref: r.export_ref,
        created_at: r.created_at,
    }
}

fn audit(
    actor: &Actor,
    action: &str,
    id: &str,
    purpose: &str,
    detail: serde_json::Value,
) -> pingan_domain::AuditEntry {
    let mut e = actor.audit_entry(
        action,
        "footage_request",
        Some(id),
        AuditOutcome::Ok,
        &detail.to_string(),
    );
    e.purpose = Some(purpose.to_string());
    e
}

/// Files a request. The linked incident or case must be in the requester's reach (else 404, as
/// for anything out of scope), and so must the camera.
pub async fn request(
    state: &AppState,
    actor: &Actor,
    req: NewFootageRequest,
) -> ApiResult<FootageRequest> {
    actor.require(state, Permission::FootageRequest).await?;
    let mut problems = Problems::default();
    let purpose = req.purpose.trim().to_string();
    if !(5..=500).contains(&purpose.chars().count()) {
        problems.push(
            Problem::new("purpose", "footage_purpose", "purpose: 5–500 characters")
                .with("min", 5)
                .with("max", 500),
        );
    }
    let from = problems.check(crate::validate::required_instant("from", &req.from))?;
    let to = problems.check(crate::validate::required_instant("to", &req.to))?;
    if let (Some(f), Some(t)) = (from, to)
        && (t <= f || t - f > MAX_HOURS * HOUR)
    {
        problems.push(
            Problem::new(
                "to",
                "footage_period",
                format!("to must be after from, at most {MAX_HOURS} hours later"),
            )
            .with("hours", MAX_HOURS),
        );
    }
    if req.incident_id.is_some() == req.case_id.is_some() {
        problems.push(Problem::new(
            "incident_id",
            "footage_link",
            "name exactly one of incident_id and case_id",
        ));
    }
    problems.finish()?;
    let camera = store::site(&state.db, &actor.scope, req.camera_code.trim())
        .await?
        .ok_or_else(|| {
            ApiError::problem(Problem::new(
                "camera_code",
                "footage_camera",
                "no camera with this code in your scope",
            ))
        })?;
    // The linked object, through the caller's scope: out of reach reads as missing.
    // The request is scoped as its linked object is: an incident by its area alone (as incidents
    // are read), a case by its station and area. An empty org path matches no scope.
    let (org_path, area_path) = if let Some(id) = &req.incident_id {
        let i = pingan_store::incidents::get(&state.db, &actor.scope, id)
            .await?
            .ok_or(ApiError::NotFound)?;
        (String::new(), i.area_path)
    } else {
        let id = req.case_id.as_deref().unwrap_or_default();
        let c = pingan_store::cases::get(&state.db, &actor.scope, id)
            .await?
            .ok_or(ApiError::NotFound)?;
        (c.org_path, c.area_path)
    };
    let now = state.now();
    let row = FootageRow {
        id: new_id(),
        camera_code: camera.code.clone(),
        camera_name: camera.name.clone(),
        incident_id: req.incident_id.clone(),
        case_id: req.case_id.clone(),
        org_path,
        area_path,
        requester_id: actor.user_id.clone(),
        requester_name: actor.display_name.clone(),
        purpose: purpose.clone(),
        from_at: from.unwrap_or_default(),
        to_at: to.unwrap_or_default(),
        status: FootageStatus::Requested.code().into(),
        decided_by: None,
        decided_at: None,
        decision_note: None,
        exported_by: None,
        exported_at: None,
        export_ref: None,
        created_at: now,
        updated_at: now,
    };
    let mut tx = state.db.begin().await?;
    store::insert_footage(&mut tx, &row).await?;
    tx.commit_audited(vec![audit(
        actor,
        "footage.request",
        &row.id,
        &purpose,
        serde_json::json!({"camera": camera.code, "incident": req.incident_id, "case": req.case_id,
            "from": row.from_at, "to": row.to_at}),
    )])
    .await?;
    one(state, actor, &row.id).await
}

pub async fn one(state: &AppState, actor: &Actor, id: &str) -> ApiResult<FootageRequest> {
    actor.require(state, Permission::CameraRead).await?;
    store::footage(&state.db, &actor.scope, id)
        .await?
        .map(view)
        .ok_or(ApiError::NotFound)
}

/// Which requests.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FootageQuery {
    /// requested, approved, refused or exported.
    pub status: Option<FootageStatus>,
}

pub async fn list(
    state: &AppState,
    actor: &Actor,
    q: &FootageQuery,
) -> ApiResult<Vec<FootageRequest>> {
    actor.require(state, Permission::CameraRead).await?;
    Ok(
        store::list_footage(&state.db, &actor.scope, q.status.map(|s| s.code()), 500)
            .await?
            .into_iter()
            .map(view)
            .collect(),
    )
}

/// The chief's decision; a refusal needs its reason.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FootageDecision {
    /// Required to refuse (2–500 characters); optional to approve.
    #[serde(default)]
    pub note: Option<String>,
}

pub async fn decide(
    state: &AppState,
    actor: &Actor,
    id: &str,
    step: FootageStep,
    d: FootageDecision,
) -> ApiResult<FootageRequest> {
    actor.require(state, Permission::FootageApprove).await?;
    let row = store::footage(&state.db, &actor.scope, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let note = d.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > 500)
        || (step == FootageStep::Refuse && note.is_none_or(|n| n.chars().count() < 2))
    {
        return Err(ApiError::problem(
            Problem::new(
                "note",
                "footage_note",
                "a refusal gives its reason (2–500 characters)",
            )
            .with("max", 500),
        ));
    }
    let status: FootageStatus = row.status.parse().unwrap_or(FootageStatus::Requested);
    let next = status
        .after(step, row.requester_id == actor.user_id)
        .map_err(step_error)?;
    let mut tx = state.db.begin().await?;
    if !store::decide_footage(
        &mut tx,
        id,
        status.code(),
        next.code(),
        &actor.user_id,
        note,
        state.now(),
    )
    .await?
    {
        return Err(ApiError::Conflict(
            "the request was decided meanwhile".into(),
        ));
    }
    let action = match step {
        FootageStep::Approve => "footage.approve",
        _ => "footage.refuse",
    };
    tx.commit_audited(vec![audit(
        actor,
        action,
        id,
        &row.purpose,
        serde_json::json!({"note": note}),
    )])
    .await?;
    one(state, actor, id).await
}

fn step_error(e: FootageError) -> ApiError {
    match e {
        FootageError::OwnRequest => ApiError::Forbidden(e.to_string()),
        FootageError::Step(..) => ApiError::Conflict(e.to_string()),
    }
}

/// The export, as the platform made it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FootageExport {
    /// The platform's export id or the medium's number (1–200 characters).
    pub export_ref: String,
}

/// Records the export of an approved request (by the requester or anyone who may request footage
/// in its scope).
pub async fn export(
    state: &AppState,
    actor: &Actor,
    id: &str,
    e: FootageExport,
) -> ApiResult<FootageRequest> {
    actor.require(state, Permission::FootageRequest).await?;
    let row = store::footage(&state.db, &actor.scope, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let export_ref = crate::validate::text("export_ref", &e.export_ref, 200)?;
    let status: FootageStatus = row.status.parse().unwrap_or(FootageStatus::Requested);
    status
        .after(FootageStep::Export, true)
        .map_err(step_error)?;
    let mut tx = state.db.begin().await?;
    if !store::export_footage(&mut tx, id, &actor.user_id, &export_ref, state.now()).await? {
        return Err(ApiError::Conflict(
            "the request is no longer approved".into(),
        ));
    }
    tx.commit_audited(vec![audit(
        actor,
        "footage.export",
        id,
        &row.purpose,
        serde_json::json!({"export_ref": export_ref}),
    )])
    .await?;
    one(state, actor, id).await
}
