//! Units on duty (警力) — status and GPS positions — and the camera registry (雪亮工程).

use crate::auth::Actor;
use crate::dispatch::units::Camera;
use crate::dispatch::units::IngestResult;
use crate::dispatch::units::NewUnit;
use crate::dispatch::units::PingBatch;
use crate::dispatch::units::{Unit, change_status, to_api};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiJson;
use crate::extract::ApiPath as Path;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pingan_domain::Permission;
use pingan_store::units::{self};
use serde::Deserialize;
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
    Ok((
        StatusCode::CREATED,
        Json(crate::dispatch::units::create(&state, &actor, req).await?),
    ))
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
    Ok(Json(
        crate::dispatch::units::ingest_positions(&state, &actor, batch).await?,
    ))
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
    Ok((
        StatusCode::CREATED,
        Json(crate::dispatch::units::create_camera(&state, &actor, c).await?),
    ))
}
