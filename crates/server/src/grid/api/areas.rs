//! Areas and grids, filtered by the caller's scope in the query: an out-of-scope code answers 404,
//! exactly like a code that does not exist.

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiJson;
use crate::extract::ApiPath as Path;
use crate::extract::ApiQuery as Query;
use crate::grid::areas::Area;
use crate::grid::areas::GridWorkers;
use crate::grid::areas::NewArea;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pingan_domain::{AreaLevel, Permission};
use pingan_store::{areas, grids};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_areas, create_area))
        .routes(routes!(get_area))
        .routes(routes!(list_grids))
        .routes(routes!(get_grid))
        .routes(routes!(grid_card))
        .routes(routes!(set_grid_workers))
}

impl From<areas::AreaRow> for Area {
    fn from(r: areas::AreaRow) -> Self {
        Area {
            level: AreaLevel::parse(&r.level).unwrap_or(AreaLevel::Village),
            code: r.code,
            parent_code: r.parent_code,
            name: r.name,
            area_type: r.area_type,
            valid_from: r.valid_from,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AreaFilter {
    /// Only the direct children of this area.
    pub parent: Option<String>,
    /// district, township or village.
    pub level: Option<String>,
}

/// Areas in the caller's scope.
#[utoipa::path(get, path = "/api/v1/areas", tag = "areas", params(AreaFilter),
    responses((status = 200, description = "OK", body = Vec<Area>), (status = 403, description = "Your role may not do this", body = ErrorBody), (status = 401, description = "Not authenticated", body = ErrorBody), (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn list_areas(
    State(state): State<AppState>,
    actor: Actor,
    Query(f): Query<AreaFilter>,
) -> ApiResult<Json<Vec<Area>>> {
    actor.require(&state, Permission::AreaRead).await?;
    let level = match f.level.as_deref() {
        None => None,
        Some(l) => Some(AreaLevel::parse(l).ok_or_else(|| {
            ApiError::invalid("level", "level must be district, township or village")
        })?),
    };
    let rows = areas::list(&state.db, &actor.scope, f.parent.as_deref(), level).await?;
    Ok(Json(rows.into_iter().map(Area::from).collect()))
}

/// One area by code (404 when outside the caller's scope).
#[utoipa::path(get, path = "/api/v1/areas/{code}", tag = "areas", params(("code" = String, Path, description = "Area code")),
    responses((status = 200, description = "OK", body = Area), (status = 403, description = "Your role may not do this", body = ErrorBody), (status = 404, description = "Not found, or outside your data scope", body = ErrorBody)))]
async fn get_area(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
) -> ApiResult<Json<Area>> {
    actor.require(&state, Permission::AreaRead).await?;
    let row = areas::get(&state.db, &actor.scope, &code)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(row.into()))
}

/// Add an area under a parent in the caller's scope.
#[utoipa::path(post, path = "/api/v1/areas", tag = "areas", request_body = NewArea,
    responses((status = 201, description = "Created", body = Area), (status = 400, description = "Malformed request (bad JSON, wrong type, unknown field)", body = ErrorBody), (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "Not found, or outside your data scope", body = ErrorBody), (status = 409, description = "Already exists", body = ErrorBody), (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn create_area(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(req): ApiJson<NewArea>,
) -> ApiResult<(StatusCode, Json<Area>)> {
    Ok((
        StatusCode::CREATED,
        Json(crate::grid::areas::create(&state, &actor, req).await?),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct Grid {
    /// 15-digit grid code (village code + 3-digit number).
    pub code: String,
    pub village_code: String,
    pub name: String,
    /// basic (基础网格) or dedicated (专属网格).
    pub kind: String,
    /// GeoJSON geometry (WGS-84).
    pub geometry: serde_json::Value,
}

impl From<grids::GridRow> for Grid {
    fn from(r: grids::GridRow) -> Self {
        Grid {
            geometry: serde_json::from_str(&r.geometry).unwrap_or(serde_json::Value::Null),
            code: r.code,
            village_code: r.village_code,
            name: r.name,
            kind: r.kind,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct GridFilter {
    /// Only the grids of this village/community.
    pub village: Option<String>,
}

/// Grids in the caller's scope.
#[utoipa::path(get, path = "/api/v1/grids", tag = "areas", params(GridFilter),
    responses((status = 200, description = "OK", body = Vec<Grid>), (status = 403, description = "Your role may not do this", body = ErrorBody), (status = 401, description = "Not authenticated", body = ErrorBody)))]
async fn list_grids(
    State(state): State<AppState>,
    actor: Actor,
    Query(f): Query<GridFilter>,
) -> ApiResult<Json<Vec<Grid>>> {
    actor.require(&state, Permission::AreaRead).await?;
    let rows = grids::list(&state.db, &actor.scope, f.village.as_deref()).await?;
    Ok(Json(rows.into_iter().map(Grid::from).collect()))
}

/// One grid by code (404 when outside the caller's scope).
#[utoipa::path(get, path = "/api/v1/grids/{code}", tag = "areas", params(("code" = String, Path, description = "Grid code")),
    responses((status = 200, description = "OK", body = Grid), (status = 403, description = "Your role may not do this", body = ErrorBody), (status = 404, description = "Not found, or outside your data scope", body = ErrorBody)))]
async fn get_grid(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
) -> ApiResult<Json<Grid>> {
    actor.require(&state, Permission::AreaRead).await?;
    let row = grids::get(&state.db, &actor.scope, &code)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(row.into()))
}

#[derive(Serialize, ToSchema)]
pub struct GridWorkerView {
    pub user_id: String,
    pub display_name: String,
    pub is_lead: bool,
}

#[derive(Serialize, ToSchema)]
pub struct GridCard {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub village_code: String,
    pub village_name: String,
    /// Lead first.
    pub workers: Vec<GridWorkerView>,
    /// Places registered in the grid.
    pub places: i64,
}

/// What the map shows for a grid: its workers and how much is registered in it.
#[utoipa::path(get, path = "/api/v1/grids/{code}/card", tag = "areas", params(("code" = String, Path, description = "Grid code")),
    responses((status = 200, description = "OK", body = GridCard), (status = 403, description = "Your role may not do this", body = ErrorBody), (status = 404, description = "Not found, or outside your data scope", body = ErrorBody)))]
async fn grid_card(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
) -> ApiResult<Json<GridCard>> {
    actor.require(&state, Permission::AreaRead).await?;
    let g = grids::get(&state.db, &actor.scope, &code)
        .await?
        .ok_or(ApiError::NotFound)?;
    let village_name = areas::get(&state.db, &actor.scope, &g.village_code)
        .await?
        .map(|a| a.name)
        .unwrap_or_default();
    let workers = grids::workers(&state.db, &g.code)
        .await?
        .into_iter()
        .map(|w| GridWorkerView {
            user_id: w.user_id,
            display_name: w.display_name,
            is_lead: w.is_lead,
        })
        .collect();
    let places = pingan_store::places::count_in_grid(&state.db, &g.code).await?;
    Ok(Json(GridCard {
        code: g.code,
        name: g.name,
        kind: g.kind,
        village_code: g.village_code,
        village_name,
        workers,
        places,
    }))
}

/// Assign the grid's workers (replaces the previous assignment).
#[utoipa::path(put, path = "/api/v1/grids/{code}/workers", tag = "areas", params(("code" = String, Path, description = "Grid code")), request_body = GridWorkers,
    responses((status = 204, description = "Assigned"), (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "Not found, or outside your data scope", body = ErrorBody), (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn set_grid_workers(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    ApiJson(req): ApiJson<GridWorkers>,
) -> ApiResult<StatusCode> {
    crate::grid::areas::set_workers(&state, &actor, &code, req).await?;
    Ok(StatusCode::NO_CONTENT)
}
