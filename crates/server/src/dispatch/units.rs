//! Units (patrol cars, foot patrols, community police) and their status as dispatchers and crews set it.

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use pingan_domain::Permission;
use pingan_domain::audit::AuditOutcome;
use pingan_domain::unit::UnitStatus;
use pingan_store::incidents;
use pingan_store::units::{self, UnitRow};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct Unit {
    pub id: String,
    /// 呼号, e.g. 枫桥1号车.
    pub call_sign: String,
    pub name: String,
    /// patrol_car, officer, auxiliary or volunteer_team.
    pub kind: String,
    /// available, patrol_available (动中备勤), en_route, on_scene, busy or off_duty.
    pub status: String,
    /// UTC microseconds of the last status change.
    pub status_at: i64,
    pub org_id: String,
    pub org_name: String,
    /// The user who crews the unit and acknowledges from the mobile view.
    pub user_id: Option<String>,
    /// GPS device id.
    pub device_id: Option<String>,
    /// Last known position, WGS-84.
    pub lng: Option<f64>,
    pub lat: Option<f64>,
    pub position_at: Option<i64>,
}

pub fn to_api(u: UnitRow) -> Unit {
    Unit {
        id: u.id,
        call_sign: u.call_sign,
        name: u.name,
        kind: u.kind,
        status: u.status,
        status_at: u.status_at,
        org_id: u.org_id,
        org_name: u.org_name,
        user_id: u.user_id,
        device_id: u.device_id,
        lng: u.lng,
        lat: u.lat,
        position_at: u.position_at,
    }
}

/// Sets a unit's status (API and the duty page share it).
pub async fn change_status(
    state: &AppState,
    actor: &Actor,
    id: &str,
    status: &str,
) -> ApiResult<Unit> {
    // A role that may set no unit's status is refused before the unit is looked up, so its answer
    // does not depend on what exists; a crew's own-unit right needs the unit.
    if !(actor.can(Permission::UnitManage) || actor.can(Permission::IncidentRespond)) {
        actor.require(state, Permission::UnitManage).await?;
    }
    let unit = units::get(&state.db, &actor.scope, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let own = unit.user_id.as_deref() == Some(actor.user_id.as_str());
    if !(actor.can(Permission::UnitManage) || own && actor.can(Permission::IncidentRespond)) {
        actor.require(state, Permission::UnitManage).await?;
    }
    let status: UnitStatus = status
        .parse()
        .map_err(|m: String| ApiError::invalid("status", format!("status {m}")))?;
    if matches!(status, UnitStatus::EnRoute | UnitStatus::OnScene) {
        return Err(ApiError::invalid(
            "status",
            "en_route and on_scene follow dispatch and arrival on an incident",
        ));
    }
    // A status this version does not know counts as busy on an incident (fail closed).
    let on_incident = !matches!(
        unit.status.parse::<UnitStatus>(),
        Ok(s) if !matches!(s, UnitStatus::EnRoute | UnitStatus::OnScene)
    );
    if on_incident && status != UnitStatus::Busy {
        return Err(ApiError::Conflict(format!(
            "{} is on an incident; it becomes available when the incident is resolved",
            unit.call_sign
        )));
    }
    let now = state.now();
    let mut tx = state.db.begin().await?;
    units::set_status(&mut tx, id, status.code(), now).await?;
    incidents::record_change(&mut tx, "unit", id, &unit.area_path, now).await?;
    let e = actor.audit_entry(
        "unit.status",
        "unit",
        Some(id),
        AuditOutcome::Ok,
        &serde_json::json!({"from": unit.status, "to": status.code()}).to_string(),
    );
    tx.commit_audited(vec![e]).await?;
    let row = units::get(&state.db, &actor.scope, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(to_api(row))
}
