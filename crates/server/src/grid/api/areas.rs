//! Areas and grids, filtered by the caller's scope in the query: an out-of-scope code answers 404,
//! exactly like a code that does not exist.

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiJson;
use crate::extract::ApiPath as Path;
use crate::extract::ApiQuery as Query;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pingan_domain::audit::AuditOutcome;
use pingan_domain::{AreaCode, AreaLevel, Permission};
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

#[derive(Serialize, ToSchema)]
pub struct Area {
    /// 6-, 9- or 12-digit official code.
    pub code: String,
    pub parent_code: Option<String>,
    pub level: AreaLevel,
    pub name: String,
    /// urban / suburban / rural.
    pub area_type: String,
    /// Date from which the code is valid (codes change yearly).
    pub valid_from: String,
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewArea {
    #[schema(example = "330681109201")]
    pub code: String,
    pub parent_code: Option<String>,
    pub name: String,
    /// urban (default), suburban or rural.
    pub area_type: Option<String>,
    /// YYYY-MM-DD (default today).
    pub valid_from: Option<String>,
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
    actor.require(&state, Permission::AreaManage).await?;
    let code = AreaCode::parse(&req.code).map_err(|e| ApiError::invalid("code", e.to_string()))?;
    let parent = match &req.parent_code {
        None => None,
        Some(p) => {
            Some(AreaCode::parse(p).map_err(|e| ApiError::invalid("parent_code", e.to_string()))?)
        }
    };
    code.check_parent(parent.as_ref())
        .map_err(|e| ApiError::invalid("parent_code", e.to_string()))?;
    let area_type = req.area_type.unwrap_or_else(|| "urban".into());
    if !["urban", "suburban", "rural"].contains(&area_type.as_str()) {
        return Err(ApiError::invalid(
            "area_type",
            "area_type must be urban, suburban or rural",
        ));
    }
    let valid_from = match req.valid_from {
        Some(d) => {
            d.parse::<jiff::civil::Date>()
                .map_err(|_| ApiError::invalid("valid_from", "valid_from must be YYYY-MM-DD"))?;
            d
        }
        None => pingan_domain::time::local_date(jiff::Timestamp::now()),
    };
    if req.name.trim().is_empty() || req.name.chars().count() > 100 {
        return Err(ApiError::invalid("name", "name must be 1–100 characters"));
    }
    // The parent must be visible to the caller; a new root needs a root grant.
    match &parent {
        Some(p) => {
            areas::get(&state.db, &actor.scope, p.as_str())
                .await?
                .ok_or(ApiError::NotFound)?;
        }
        None if !actor.scope.covers_area_path("/") => {
            return Err(ApiError::Forbidden(
                "creating a district needs a whole-system scope".into(),
            ));
        }
        None => {}
    }
    let mut tx = state.db.begin().await?;
    let row = areas::insert(
        &mut tx,
        &areas::NewArea {
            code,
            parent,
            name: req.name.trim().to_string(),
            area_type,
            valid_from,
        },
    )
    .await?;
    let e = actor.audit_entry(
        "area.create",
        "area",
        Some(&row.code),
        AuditOutcome::Ok,
        &serde_json::json!({"name": row.name}).to_string(),
    );
    tx.commit_audited(vec![e]).await?;
    Ok((StatusCode::CREATED, Json(row.into())))
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GridWorkers {
    /// User id of the lead grid worker (网格长/专职网格员).
    pub lead: String,
    /// Other grid workers.
    #[serde(default)]
    pub members: Vec<String>,
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
    actor.require(&state, Permission::GridManage).await?;
    let g = grids::get(&state.db, &actor.scope, &code)
        .await?
        .ok_or(ApiError::NotFound)?;
    let ids: Vec<(String, String)> = std::iter::once(("lead".to_string(), req.lead.clone()))
        .chain(
            req.members
                .iter()
                .enumerate()
                .map(|(i, m)| (format!("members[{i}]"), m.clone())),
        )
        .collect();
    for (field, id) in &ids {
        let u = pingan_store::users::get(&state.db, &actor.scope, id).await?;
        match u.and_then(|u| u.role()) {
            Some(pingan_domain::Role::GridWorker) => {}
            Some(_) => {
                return Err(ApiError::invalid(
                    field,
                    "only grid workers (网格员) can be assigned to a grid",
                ));
            }
            None => return Err(ApiError::invalid(field, "no such user in your scope")),
        }
    }
    let mut tx = state.db.begin().await?;
    grids::set_workers(&mut tx, &g.code, &req.lead, &req.members).await?;
    let e = actor.audit_entry(
        "grid.assign_workers",
        "grid",
        Some(&g.code),
        AuditOutcome::Ok,
        &serde_json::json!({"lead": req.lead, "members": req.members}).to_string(),
    );
    tx.commit_audited(vec![e]).await?;
    Ok(StatusCode::NO_CONTENT)
}
