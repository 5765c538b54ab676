//! Units on duty (警力) — status and GPS positions — and the camera registry (雪亮工程).

use crate::auth::Actor;
use crate::dispatch::units::{Unit, change_status, to_api};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiJson;
use crate::extract::ApiPath as Path;
use crate::state::AppState;
use crate::validate::implausible;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pingan_domain::Permission;
use pingan_domain::audit::AuditOutcome;
use pingan_domain::plausible;
use pingan_domain::unit::{UnitKind, UnitStatus};
use pingan_store::incidents;
use pingan_store::units::{self};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_units, create_unit))
        .routes(routes!(set_status))
        .routes(routes!(ingest_positions))
        .routes(routes!(list_cameras, create_camera))
}

/// Units in the caller's scope.
#[utoipa::path(get, path = "/api/v1/units", tag = "dispatch",
    responses((status = 200, description = "OK", body = Vec<Unit>), (status = 403, description = "Your role may not do this", body = ErrorBody)))]
async fn list_units(State(state): State<AppState>, actor: Actor) -> ApiResult<Json<Vec<Unit>>> {
    actor.require(&state, Permission::UnitRead).await?;
    Ok(Json(
        units::list(&state.db, &actor.scope)
            .await?
            .into_iter()
            .map(to_api)
            .collect(),
    ))
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

/// Register a unit.
#[utoipa::path(post, path = "/api/v1/units", tag = "dispatch", request_body = NewUnit,
    responses((status = 201, description = "Created", body = Unit), (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 409, description = "Call sign or device already in use", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn create_unit(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(req): ApiJson<NewUnit>,
) -> ApiResult<(StatusCode, Json<Unit>)> {
    actor.require(&state, Permission::UnitManage).await?;
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
    Ok((StatusCode::CREATED, Json(to_api(row))))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    /// available, patrol_available, busy or off_duty (en_route and on_scene follow the incident).
    pub status: String,
}

/// Set a unit's status: dispatchers for any unit in scope, crews for their own.
#[utoipa::path(put, path = "/api/v1/units/{id}/status", tag = "dispatch", params(("id" = String, Path, description = "Unit id")),
    request_body = StatusChange,
    responses((status = 200, description = "Changed", body = Unit), (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "Not found, or outside your data scope", body = ErrorBody),
        (status = 409, description = "The unit is on an incident", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn set_status(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<StatusChange>,
) -> ApiResult<Json<Unit>> {
    Ok(Json(change_status(&state, &actor, &id, &req.status).await?))
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

/// Batch GPS ingest: many pings per request, idempotent by device and timestamp. Moves each unit to its
/// newest fix.
#[utoipa::path(post, path = "/api/v1/units/positions", tag = "dispatch", request_body = PingBatch,
    responses((status = 200, description = "Stored", body = IngestResult), (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named, e.g. pings[3].at)", body = ErrorBody)))]
async fn ingest_positions(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(batch): ApiJson<PingBatch>,
) -> ApiResult<Json<IngestResult>> {
    actor.require(&state, Permission::UnitManage).await?;
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
    Ok(Json(IngestResult {
        accepted: count.accepted,
        duplicates: count.duplicates,
        unknown_devices: count.unknown_devices,
    }))
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Camera {
    /// The camera's id in the video platform (国标 GB/T 28181 device id or the platform's own).
    pub code: String,
    pub name: String,
    /// e.g. road, community_gate, public_square.
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

/// Cameras in the caller's scope (雪亮工程 registry).
#[utoipa::path(get, path = "/api/v1/cameras", tag = "dispatch",
    responses((status = 200, description = "OK", body = Vec<Camera>), (status = 403, description = "Your role may not do this", body = ErrorBody)))]
async fn list_cameras(State(state): State<AppState>, actor: Actor) -> ApiResult<Json<Vec<Camera>>> {
    actor.require(&state, Permission::CameraRead).await?;
    Ok(Json(
        units::cameras(&state.db, &actor.scope)
            .await?
            .into_iter()
            .map(|c| Camera {
                code: c.code,
                name: c.name,
                kind: c.kind,
                lng: c.lng,
                lat: c.lat,
                grid_code: c.grid_code,
                active: c.active,
            })
            .collect(),
    ))
}

/// Register a camera; its grid comes from its location.
#[utoipa::path(post, path = "/api/v1/cameras", tag = "dispatch", request_body = Camera,
    responses((status = 201, description = "Created", body = Camera), (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 409, description = "The code is in use", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn create_camera(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(c): ApiJson<Camera>,
) -> ApiResult<(StatusCode, Json<Camera>)> {
    actor.require(&state, Permission::UnitManage).await?;
    let code = crate::validate::text("code", &c.code, 64)?;
    let name = crate::validate::text("name", &c.name, 100)?;
    let kind = crate::validate::text("kind", &c.kind, 40)?;
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
    Ok((
        StatusCode::CREATED,
        Json(Camera {
            code: row.code,
            name: row.name,
            kind: row.kind,
            lng,
            lat,
            grid_code: row.grid_code,
            active: row.active,
        }),
    ))
}
