//! Places (实有单位/场所) and their inspections (消防/治安检查). A place's grid is derived from its
//! location (accepted in WGS-84, GCJ-02 or BD-09, stored as WGS-84); the contact person's details are
//! masked unless revealed with a purpose, and each reveal is audited.

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiPath as Path;
use crate::extract::{ApiJson, ApiQuery};
use crate::grid::places::to_api;
use crate::grid::places::{
    NewPlace, NewPlaceInspection, Place, PlaceInspection, record_place_inspection,
};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pingan_domain::Permission;
use pingan_store::places;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_places, create_place))
        .routes(routes!(get_place))
        .routes(routes!(list_inspections, add_inspection))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PlaceQuery {
    pub grid: Option<String>,
    pub kind: Option<String>,
}

/// Places in the caller's scope (contacts masked).
#[utoipa::path(get, path = "/api/v1/places", tag = "areas", params(PlaceQuery),
    responses((status = 200, description = "OK", body = Vec<Place>), (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody)))]
async fn list_places(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<PlaceQuery>,
) -> ApiResult<Json<Vec<Place>>> {
    actor.require(&state, Permission::PlaceRead).await?;
    let rows = places::list(
        &state.db,
        &actor.scope,
        &places::PlaceFilter {
            grid: q.grid,
            kind: q.kind,
        },
    )
    .await?;
    Ok(Json(
        rows.into_iter()
            .map(|p| to_api(&state.cipher, p, false))
            .collect::<ApiResult<_>>()?,
    ))
}

/// Register a place; its grid is derived from the location, which must lie in the caller's scope.
#[utoipa::path(post, path = "/api/v1/places", tag = "areas", request_body = NewPlace,
    responses((status = 201, description = "Created", body = Place), (status = 400, description = "Malformed request (bad JSON, wrong type, unknown field)", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody), (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn create_place(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(req): ApiJson<NewPlace>,
) -> ApiResult<(StatusCode, Json<Place>)> {
    Ok((
        StatusCode::CREATED,
        Json(crate::grid::places::create(&state, &actor, req).await?),
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RevealQuery {
    /// `contact` to see the contact person's name and phone (needs a purpose).
    pub reveal: Option<String>,
    pub purpose: Option<String>,
}

/// One place; `?reveal=contact&purpose=…` shows the contact details and is audited.
#[utoipa::path(get, path = "/api/v1/places/{id}", tag = "areas", params(("id" = String, Path, description = "Place id"), RevealQuery),
    responses((status = 200, description = "OK", body = Place), (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "Not found, or outside your data scope", body = ErrorBody), (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn get_place(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<RevealQuery>,
) -> ApiResult<Json<Place>> {
    actor.require(&state, Permission::PlaceRead).await?;
    let p = places::get(&state.db, &actor.scope, &id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let reveal = match q.reveal.as_deref() {
        None => false,
        Some("contact") => true,
        Some(_) => return Err(ApiError::invalid("reveal", "reveal must be `contact`")),
    };
    if reveal {
        actor
            .reveal_personal(
                &state,
                "place",
                &p.id,
                &["contact_name", "contact_phone"],
                q.purpose.as_deref(),
            )
            .await?;
    }
    Ok(Json(to_api(&state.cipher, p, reveal)?))
}

/// Inspections of one place, oldest first.
#[utoipa::path(get, path = "/api/v1/places/{id}/inspections", tag = "areas", params(("id" = String, Path, description = "Place id")),
    responses((status = 200, description = "OK", body = Vec<PlaceInspection>), (status = 403, description = "Your role may not do this", body = ErrorBody), (status = 404, description = "Not found, or outside your data scope", body = ErrorBody)))]
async fn list_inspections(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<PlaceInspection>>> {
    actor.require(&state, Permission::PlaceRead).await?;
    let p = places::get(&state.db, &actor.scope, &id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let rows = places::inspections(&state.db, &p.id).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| PlaceInspection {
                id: r.id,
                place_id: r.place_id,
                kind: r.kind,
                inspected_at: r.inspected_at,
                inspector_id: r.inspector_id,
                findings: r.findings,
                result: r.result,
                rectify_by: r.rectify_by,
                follows_up: r.follows_up,
            })
            .collect(),
    ))
}

/// Record an inspection (or a re-inspection after rectification).
#[utoipa::path(post, path = "/api/v1/places/{id}/inspections", tag = "areas", params(("id" = String, Path, description = "Place id")), request_body = NewPlaceInspection,
    responses((status = 201, description = "Created", body = PlaceInspection), (status = 404, description = "Not found, or outside your data scope", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn add_inspection(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<NewPlaceInspection>,
) -> ApiResult<(StatusCode, Json<PlaceInspection>)> {
    actor.require(&state, Permission::PlaceManage).await?;
    let inspection = record_place_inspection(&state, &actor, &id, req).await?;
    Ok((StatusCode::CREATED, Json(inspection)))
}
