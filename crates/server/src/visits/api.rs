//! 入户走访 API: visits (with the incidents, disputes and risks they raised), households, coverage.

use super::{
    CoverageQuery, GridCoverage, Household, NewHousehold, NewVisit, Visit, VisitDetail, VisitQuery,
};
use crate::auth::Actor;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiPath as Path;
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_visits, record_visit))
        .routes(routes!(get_visit))
        .routes(routes!(visit_coverage))
        .routes(routes!(grid_households))
        .routes(routes!(register_household))
}

/// Visits in your scope, newest first.
#[utoipa::path(get, path = "/api/v1/visits", tag = "visits", params(VisitQuery),
    responses((status = 200, description = "OK", body = Vec<Visit>),
        (status = 400, description = "A query parameter is invalid", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody)))]
async fn list_visits(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<VisitQuery>,
) -> ApiResult<Json<Vec<Visit>>> {
    Ok(Json(super::list(&state, &actor, &q).await?))
}

/// Record a visit (入户走访) and raise what it heard as incidents, disputes or risks, all or none.
#[utoipa::path(post, path = "/api/v1/visits", tag = "visits", request_body = NewVisit,
    responses((status = 201, description = "Recorded", body = VisitDetail),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named, `issues[i].field` for an issue)", body = ErrorBody),
        (status = 429, description = "Too many requests", body = ErrorBody)))]
async fn record_visit(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(req): ApiJson<NewVisit>,
) -> ApiResult<(StatusCode, Json<VisitDetail>)> {
    Ok((
        StatusCode::CREATED,
        Json(super::record(&state, &actor, req).await?),
    ))
}

/// One visit with the objects it raised.
#[utoipa::path(get, path = "/api/v1/visits/{id}", tag = "visits",
    params(("id" = String, Path, description = "Visit id")),
    responses((status = 200, description = "OK", body = VisitDetail),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such visit in your scope", body = ErrorBody)))]
async fn get_visit(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<VisitDetail>> {
    Ok(Json(super::detail(&state, &actor, &id).await?))
}

/// Visit coverage per grid: the share of registered households and places visited in the period.
#[utoipa::path(get, path = "/api/v1/visit-coverage", tag = "visits", params(CoverageQuery),
    responses((status = 200, description = "OK", body = Vec<GridCoverage>),
        (status = 400, description = "A query parameter is missing or invalid", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A date is invalid (the field is named)", body = ErrorBody)))]
async fn visit_coverage(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<CoverageQuery>,
) -> ApiResult<Json<Vec<GridCoverage>>> {
    Ok(Json(super::coverage(&state, &actor, &q).await?))
}

/// The households registered in a grid (addresses only).
#[utoipa::path(get, path = "/api/v1/grids/{code}/households", tag = "visits",
    params(("code" = String, Path, description = "Grid code")),
    responses((status = 200, description = "OK", body = Vec<Household>),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such grid in your scope", body = ErrorBody)))]
async fn grid_households(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
) -> ApiResult<Json<Vec<Household>>> {
    Ok(Json(super::households(&state, &actor, &code).await?))
}

/// Register a household by its address in a grid (answers the existing one at that address).
#[utoipa::path(post, path = "/api/v1/households", tag = "visits", request_body = NewHousehold,
    responses((status = 201, description = "Registered", body = Household),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn register_household(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(req): ApiJson<NewHousehold>,
) -> ApiResult<(StatusCode, Json<Household>)> {
    Ok((
        StatusCode::CREATED,
        Json(super::add_household(&state, &actor, req).await?),
    ))
}
