//! 雪亮工程 API: cameras with sectors and status, the platform's signed heartbeats, "which cameras
//! could have seen P at T", and footage requests (调取) with their decisions and exports.

use crate::auth::{Actor, ClientIp};
use crate::cameras::footage::{
    self, FootageDecision, FootageExport, FootageQuery, FootageRequest, NewFootageRequest,
};
use crate::cameras::heartbeat::{self, CameraHeartbeatResult, CameraHeartbeats};
use crate::cameras::{self, CameraSite, CameraWitnesses, SetSector, WitnessQuery};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiPath as Path;
use crate::extract::{ApiJson, ApiQuery, decode};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use pingan_domain::audit::{AuditEntry, AuditOutcome};
use pingan_domain::camera::FootageStep;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(camera_sites))
        .routes(routes!(set_camera_sector))
        .routes(routes!(camera_witnesses))
        .routes(routes!(camera_heartbeat))
        .routes(routes!(list_footage_requests, request_footage))
        .routes(routes!(get_footage_request))
        .routes(routes!(approve_footage_request))
        .routes(routes!(refuse_footage_request))
        .routes(routes!(export_footage_request))
}

/// Cameras in your scope with owner, sector and status (for the map).
#[utoipa::path(get, path = "/api/v1/camera-sites", tag = "cameras",
    responses((status = 200, description = "OK", body = Vec<CameraSite>),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody)))]
async fn camera_sites(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<Json<Vec<CameraSite>>> {
    Ok(Json(cameras::cameras(&state, &actor).await?))
}

/// Record a camera's owner and where it looks (direction clockwise from north, field of view,
/// range in metres).
#[utoipa::path(put, path = "/api/v1/camera-sites/{code}/sector", tag = "cameras", request_body = SetSector,
    params(("code" = String, Path, description = "CameraSite code")),
    responses((status = 200, description = "The camera as it now stands", body = CameraSite),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such camera in your scope", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn set_camera_sector(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    ApiJson(req): ApiJson<SetSector>,
) -> ApiResult<Json<CameraSite>> {
    Ok(Json(cameras::set_sector(&state, &actor, &code, req).await?))
}

/// Which cameras could have seen a point at an instant: the sector holds the point and the camera
/// was online then (by heartbeats, else the registry); those looking at it but offline are listed
/// apart.
#[utoipa::path(get, path = "/api/v1/camera-sites/witnesses", tag = "cameras", params(WitnessQuery),
    responses((status = 200, description = "OK", body = CameraWitnesses),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn camera_witnesses(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<WitnessQuery>,
) -> ApiResult<Json<CameraWitnesses>> {
    Ok(Json(cameras::witnesses(&state, &actor, &q).await?))
}

/// CameraSite heartbeats from the video platform, signed like camera alerts: `X-Pingan-Timestamp`
/// (Unix seconds) and `X-Pingan-Signature: hmac-sm3=<hex>` over `<timestamp>.<raw body>`.
#[utoipa::path(post, path = "/api/v1/hooks/camera-heartbeat", tag = "cameras", request_body = CameraHeartbeats, security(()),
    responses((status = 200, description = "Recorded", body = CameraHeartbeatResult),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "Missing or wrong signature, or stale timestamp", body = ErrorBody),
        (status = 403, description = "The camera webhook is not configured", body = ErrorBody),
        (status = 413, description = "The request body is too large", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn camera_heartbeat(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: axum::body::Body,
) -> ApiResult<Json<CameraHeartbeatResult>> {
    let limit = state.config.server.body_limit_bytes;
    let body = crate::extract::read_body(body, limit).await?;
    let cfg = &state.config.dispatch;
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let checked = if cfg.camera_webhook_secret.is_empty() {
        Err(ApiError::Forbidden(
            "the camera webhook is not configured".into(),
        ))
    } else {
        crate::signed::verify(
            &cfg.camera_webhook_secret,
            cfg.camera_webhook_max_skew_seconds,
            state.now() / 1_000_000,
            header("x-pingan-timestamp"),
            header("x-pingan-signature"),
            &body,
        )
    };
    if let Err(e) = checked {
        // A refused caller is on record, as for camera alerts.
        let entry = AuditEntry {
            at: state.now(),
            actor_id: None,
            actor_name: "channel:camera".into(),
            action: "camera.heartbeat".into(),
            object_type: "camera".into(),
            object_id: None,
            outcome: AuditOutcome::Denied,
            purpose: None,
            ip,
            detail: serde_json::json!({"status": e.status().as_u16(), "error": e.to_string()})
                .to_string(),
        };
        state.db.audit(vec![entry]).await?;
        return Err(e);
    }
    let batch: CameraHeartbeats = decode(&body)?;
    Ok(Json(heartbeat::record(&state, batch).await?))
}

/// Footage requests in your scope (by the linked incident's or case's place), newest first.
#[utoipa::path(get, path = "/api/v1/footage-requests", tag = "cameras", params(FootageQuery),
    responses((status = 200, description = "OK", body = Vec<FootageRequest>),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody)))]
async fn list_footage_requests(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<FootageQuery>,
) -> ApiResult<Json<Vec<FootageRequest>>> {
    Ok(Json(footage::list(&state, &actor, &q).await?))
}

/// Ask for a camera's footage (调取) for an incident or case in your reach, with the purpose.
#[utoipa::path(post, path = "/api/v1/footage-requests", tag = "cameras", request_body = NewFootageRequest,
    responses((status = 201, description = "Requested; awaits the station chief", body = FootageRequest),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such incident or case in your scope", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn request_footage(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(req): ApiJson<NewFootageRequest>,
) -> ApiResult<(StatusCode, Json<FootageRequest>)> {
    Ok((
        StatusCode::CREATED,
        Json(footage::request(&state, &actor, req).await?),
    ))
}

/// One footage request.
#[utoipa::path(get, path = "/api/v1/footage-requests/{id}", tag = "cameras",
    params(("id" = String, Path, description = "Request id")),
    responses((status = 200, description = "OK", body = FootageRequest),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such request in your scope", body = ErrorBody)))]
async fn get_footage_request(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<FootageRequest>> {
    Ok(Json(footage::one(&state, &actor, &id).await?))
}

/// Approve a footage request (the station chief; not one's own).
#[utoipa::path(post, path = "/api/v1/footage-requests/{id}/approve", tag = "cameras", request_body = FootageDecision,
    params(("id" = String, Path, description = "Request id")),
    responses((status = 200, description = "Approved", body = FootageRequest),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this, or it is your own request", body = ErrorBody),
        (status = 404, description = "No such request in your scope", body = ErrorBody),
        (status = 409, description = "Decided already", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn approve_footage_request(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(d): ApiJson<FootageDecision>,
) -> ApiResult<Json<FootageRequest>> {
    Ok(Json(
        footage::decide(&state, &actor, &id, FootageStep::Approve, d).await?,
    ))
}

/// Refuse a footage request, giving the reason.
#[utoipa::path(post, path = "/api/v1/footage-requests/{id}/refuse", tag = "cameras", request_body = FootageDecision,
    params(("id" = String, Path, description = "Request id")),
    responses((status = 200, description = "Refused", body = FootageRequest),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this, or it is your own request", body = ErrorBody),
        (status = 404, description = "No such request in your scope", body = ErrorBody),
        (status = 409, description = "Decided already", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn refuse_footage_request(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(d): ApiJson<FootageDecision>,
) -> ApiResult<Json<FootageRequest>> {
    Ok(Json(
        footage::decide(&state, &actor, &id, FootageStep::Refuse, d).await?,
    ))
}

/// Record the export of an approved request.
#[utoipa::path(post, path = "/api/v1/footage-requests/{id}/export", tag = "cameras", request_body = FootageExport,
    params(("id" = String, Path, description = "Request id")),
    responses((status = 200, description = "Exported", body = FootageRequest),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such request in your scope", body = ErrorBody),
        (status = 409, description = "Not approved", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn export_footage_request(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(e): ApiJson<FootageExport>,
) -> ApiResult<Json<FootageRequest>> {
    Ok(Json(footage::export(&state, &actor, &id, e).await?))
}
