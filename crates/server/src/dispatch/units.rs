//! Units (patrol cars, foot patrols, community police) and their status as dispatchers and crews set it.

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::validate::implausible;
use pingan_domain::Permission;
use pingan_domain::audit::AuditOutcome;
use pingan_domain::plausible;
use pingan_domain::unit::{UnitKind, UnitStatus};
use pingan_store::incidents;
use pingan_store::units::{self, UnitRow};
use serde::{Deserialize, Serialize};
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

/// Registers a unit (its organisation in the caller's scope).
pub async fn create(state: &AppState, actor: &Actor, req: NewUnit) -> ApiResult<Unit> {
    actor.require(state, Permission::UnitManage).await?;
    let call_sign = crate::validate::text("call_sign", &req.call_sign, 30)?;
    let name = crate::validate::text("name", &req.name, 100)?;
    let kind: UnitKind = req
        .kind
        .parse()
        .map_err(|m: String| ApiError::invalid("kind", format!("kind {m}")))?;
    let status: UnitStatus = req
        .status
        .as_deref()
        .unwrap_or("off_duty")
        .parse()
        .map_err(|m: String| ApiError::invalid("status", format!("status {m}")))?;
    pingan_store::orgs::get(&state.db, &actor.scope, &req.org_id)
        .await?
        .ok_or_else(|| ApiError::invalid("org_id", "no such organisation in your scope"))?;
    if let Some(u) = &req.user_id
        && pingan_store::users::by_id(&state.db, u).await?.is_none()
    {
        return Err(ApiError::invalid("user_id", "no such user"));
    }
    let device_id = crate::validate::optional_text("device_id", req.device_id.as_deref(), 64)?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let id = units::insert(
        &mut tx,
        &units::NewUnit {
            call_sign,
            name,
            kind: kind.code().into(),
            org_id: req.org_id.clone(),
            user_id: req.user_id.clone(),
            device_id,
            status: status.code().into(),
            lng: None,
            lat: None,
        },
        now,
    )
    .await?;
    let row = units::get_tx(&mut tx, &id)
        .await?
        .ok_or(ApiError::NotFound)?;
    incidents::record_change(&mut tx, "unit", &id, &row.area_path, now).await?;
    let e = actor.audit_entry("unit.create", "unit", Some(&id), AuditOutcome::Ok, "{}");
    tx.commit_audited(vec![e]).await?;
    Ok(to_api(row))
}

/// Stores a batch of GPS pings (idempotent by device and time) and moves each unit to its newest fix.
pub async fn ingest_positions(
    state: &AppState,
    actor: &Actor,
    batch: PingBatch,
) -> ApiResult<IngestResult> {
    actor.require(state, Permission::UnitManage).await?;
    if batch.pings.len() > 5000 {
        return Err(ApiError::invalid(
            "pings",
            "at most 5,000 pings per request",
        ));
    }
    let window = state.config.validation.live(state.now());
    let mut pings = Vec::with_capacity(batch.pings.len());
    for (i, p) in batch.pings.into_iter().enumerate() {
        // The field name is built only for an error: a batch holds thousands of pings.
        // Field names are built only for an error: a batch holds thousands of pings.
        let field = |name: &str| format!("pings[{i}].{name}");
        let at = plausible::parse_instant(&p.at)
            .and_then(|t| window.check(t))
            .map_err(|e| implausible(&field("at"), e))?;
        let speed = p
            .speed
            .map(plausible::speed_mps)
            .transpose()
            .map_err(|e| implausible(&field("speed"), e))?;
        let heading = p
            .heading
            .map(plausible::heading_degrees)
            .transpose()
            .map_err(|e| implausible(&field("heading"), e))?;
        if !(p.lng.is_finite() && (-180.0..=180.0).contains(&p.lng)) {
            return Err(ApiError::invalid(
                &format!("pings[{i}].lng"),
                "lng must be a longitude in degrees",
            ));
        }
        if !(p.lat.is_finite() && (-90.0..=90.0).contains(&p.lat)) {
            return Err(ApiError::invalid(
                &format!("pings[{i}].lat"),
                "lat must be a latitude in degrees",
            ));
        }
        if p.device_id.is_empty() || p.device_id.len() > 64 {
            return Err(ApiError::invalid(
                &format!("pings[{i}].device_id"),
                "device_id must be 1–64 characters",
            ));
        }
        pings.push(units::Ping {
            device_id: p.device_id,
            at,
            lng: p.lng,
            lat: p.lat,
            speed,
            heading,
        });
    }
    let now = state.now();
    let known = units::devices(&state.db, &units::device_ids(&pings)).await?;
    let mut tx = state.db.begin().await?;
    let (count, moved) = units::ingest(&mut tx, &pings, &known).await?;
    for (unit_id, area_path) in &moved {
        incidents::record_change(&mut tx, "unit", unit_id, area_path, now).await?;
    }
    let e = actor.audit_entry(
        "unit.positions",
        "unit",
        None,
        AuditOutcome::Ok,
        &serde_json::json!({"accepted": count.accepted, "duplicates": count.duplicates, "unknown": count.unknown_devices}).to_string(),
    );
    tx.commit_audited(vec![e]).await?;
    Ok(IngestResult {
        accepted: count.accepted,
        duplicates: count.duplicates,
        unknown_devices: count.unknown_devices,
    })
}

/// Registers a camera; its grid comes from its location, which must lie in the caller's scope.
pub async fn create_camera(state: &AppState, actor: &Actor, c: Camera) -> ApiResult<Camera> {
    actor.require(state, Permission::UnitManage).await?;
    let code = crate::validate::text("code", &c.code, 64)?;
    let name = crate::validate::text("name", &c.name, 100)?;
    let kind = c
        .kind
        .trim()
        .parse::<pingan_domain::unit::CameraKind>()
        .map_err(|m| ApiError::invalid("kind", format!("kind {m}")))?
        .code()
        .to_string();
    let (lng, lat) = crate::validate::location(c.lng, c.lat, None)?;
    let located = crate::locate::locate(&state.db, lng, lat).await?;
    if !actor.scope.covers_area_path(&located.area_path) {
        return Err(ApiError::invalid(
            "lng",
            "the location lies outside your scope",
        ));
    }
    let row = units::CameraRow {
        code,
        name,
        kind,
        lng,
        lat,
        grid_code: located.grid_code,
        area_path: located.area_path,
        active: c.active,
    };
    let mut tx = state.db.begin().await?;
    units::insert_camera(&mut tx, &row, state.now()).await?;
    let e = actor.audit_entry(
        "camera.create",
        "camera",
        Some(&row.code),
        AuditOutcome::Ok,
        "{}",
    );
    tx.commit_audited(vec![e]).await?;
    Ok(Camera {
        code: row.code,
        name: row.name,
        kind: row.kind,
        lng,
        lat,
        grid_code: row.grid_code,
        active: row.active,
    })
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUnit {
    pub call_sign: String,
    pub name: String,
    /// patrol_car, officer, auxiliary or volunteer_team.
    pub kind: String,
    /// The organisation the unit belongs to (a station, post or volunteer team in your scope).
    pub org_id: String,
    pub user_id: Option<String>,
    pub device_id: Option<String>,
    /// Initial status (default off_duty).
    pub status: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Ping {
    pub device_id: String,
    /// When the device took the fix (RFC 3339).
    pub at: String,
    /// WGS-84.
    pub lng: f64,
    pub lat: f64,
    /// m/s.
    pub speed: Option<f64>,
    /// Degrees clockwise from north.
    pub heading: Option<f64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PingBatch {
    /// Up to 5,000 pings.
    pub pings: Vec<Ping>,
}

#[derive(Serialize, ToSchema)]
pub struct IngestResult {
    /// Stored now.
    pub accepted: u64,
    /// Already stored (same device and time): resending a batch is harmless.
    pub duplicates: u64,
    /// Pings from devices no unit carries; not stored.
    pub unknown_devices: u64,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Camera {
    /// The camera's id in the video platform (国标 GB/T 28181 device id or the platform's own).
    pub code: String,
    pub name: String,
    /// Where it looks (road, intersection, community_gate …; `other` for any other kind).
    #[schema(value_type = pingan_domain::unit::CameraKind)]
    pub kind: String,
    /// WGS-84.
    pub lng: f64,
    pub lat: f64,
    /// Derived from the location.
    #[serde(default)]
    pub grid_code: Option<String>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}
