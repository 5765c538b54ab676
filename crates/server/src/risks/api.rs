//! 风险联排 API: the register (register, order a rectification, re-inspect, close) and screening
//! campaigns (create, per-grid checklists, answers, grid done).

use super::campaigns::{
    self, GridDone, GridSheet, NewCheckAnswer, NewRiskCampaign, RiskCampaign, RiskCampaignDetail,
};
use super::{
    NewRiskReport, RectificationOrder, Reinspection, Risk, RiskClosure, RiskDetail, RiskQuery,
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
        .routes(routes!(list_risks, register_risk))
        .routes(routes!(get_risk))
        .routes(routes!(order_rectification))
        .routes(routes!(record_reinspection))
        .routes(routes!(close_risk))
        .routes(routes!(list_risk_campaigns, create_risk_campaign))
        .routes(routes!(get_risk_campaign))
        .routes(routes!(get_campaign_grid))
        .routes(routes!(answer_campaign_item))
        .routes(routes!(report_campaign_grid))
}

/// Risks in your scope: open ones first, major first.
#[utoipa::path(get, path = "/api/v1/risks", tag = "risks", params(RiskQuery),
    responses((status = 200, description = "OK", body = Vec<Risk>),
        (status = 400, description = "A query parameter is invalid", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody)))]
async fn list_risks(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<RiskQuery>,
) -> ApiResult<Json<Vec<Risk>>> {
    Ok(Json(super::list(&state, &actor, &q).await?))
}

/// Register a risk found (风险隐患登记) at a place or in a grid.
#[utoipa::path(post, path = "/api/v1/risks", tag = "risks", request_body = NewRiskReport,
    responses((status = 201, description = "Registered", body = Risk),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn register_risk(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(req): ApiJson<NewRiskReport>,
) -> ApiResult<(StatusCode, Json<Risk>)> {
    Ok((
        StatusCode::CREATED,
        Json(super::register(&state, &actor, req).await?),
    ))
}

/// One risk with its timeline.
#[utoipa::path(get, path = "/api/v1/risks/{id}", tag = "risks",
    params(("id" = String, Path, description = "Risk id")),
    responses((status = 200, description = "OK", body = RiskDetail),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such risk in your scope", body = ErrorBody)))]
async fn get_risk(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<RiskDetail>> {
    Ok(Json(super::detail(&state, &actor, &id).await?))
}

/// Order a rectification (整改): a supervised task linked to the risk, carded when overdue.
#[utoipa::path(post, path = "/api/v1/risks/{id}/order", tag = "risks", request_body = RectificationOrder,
    params(("id" = String, Path, description = "Risk id")),
    responses((status = 200, description = "Ordered", body = Risk),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such risk in your scope", body = ErrorBody),
        (status = 409, description = "The risk changed, is closed, or its order is still live", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn order_rectification(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<RectificationOrder>,
) -> ApiResult<Json<Risk>> {
    Ok(Json(super::order(&state, &actor, &id, req).await?))
}

/// Record a re-inspection (复查): passed closes the risk, not passed returns the order.
#[utoipa::path(post, path = "/api/v1/risks/{id}/reinspection", tag = "risks", request_body = Reinspection,
    params(("id" = String, Path, description = "Risk id")),
    responses((status = 200, description = "Recorded", body = Risk),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such risk in your scope", body = ErrorBody),
        (status = 409, description = "The risk changed, or the rectification is not reported done", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn record_reinspection(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<Reinspection>,
) -> ApiResult<Json<Risk>> {
    Ok(Json(super::reinspect(&state, &actor, &id, req).await?))
}

/// Close a risk without an order (removed on the spot, not a risk after all).
#[utoipa::path(post, path = "/api/v1/risks/{id}/closure", tag = "risks", request_body = RiskClosure,
    params(("id" = String, Path, description = "Risk id")),
    responses((status = 200, description = "Closed", body = Risk),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such risk in your scope", body = ErrorBody),
        (status = 409, description = "The risk changed, is closed, or has an order", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn close_risk(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<RiskClosure>,
) -> ApiResult<Json<Risk>> {
    Ok(Json(super::close(&state, &actor, &id, req).await?))
}

/// Screening campaigns (联排) with a grid in your scope.
#[utoipa::path(get, path = "/api/v1/risk-campaigns", tag = "risks",
    responses((status = 200, description = "OK", body = Vec<RiskCampaign>),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody)))]
async fn list_risk_campaigns(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<Json<Vec<RiskCampaign>>> {
    Ok(Json(campaigns::list(&state, &actor).await?))
}

/// Start a screening campaign: every grid under the area gets the checklist.
#[utoipa::path(post, path = "/api/v1/risk-campaigns", tag = "risks", request_body = NewRiskCampaign,
    responses((status = 201, description = "Created", body = RiskCampaign),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn create_risk_campaign(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(req): ApiJson<NewRiskCampaign>,
) -> ApiResult<(StatusCode, Json<RiskCampaign>)> {
    Ok((
        StatusCode::CREATED,
        Json(campaigns::create(&state, &actor, req).await?),
    ))
}

/// A campaign: its checklist and each grid's completion and open rectifications.
#[utoipa::path(get, path = "/api/v1/risk-campaigns/{id}", tag = "risks",
    params(("id" = String, Path, description = "Campaign id")),
    responses((status = 200, description = "OK", body = RiskCampaignDetail),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such campaign in your scope", body = ErrorBody)))]
async fn get_risk_campaign(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<RiskCampaignDetail>> {
    Ok(Json(campaigns::detail(&state, &actor, &id).await?))
}

/// One grid's checklist with the answers so far.
#[utoipa::path(get, path = "/api/v1/risk-campaigns/{id}/grids/{grid_code}", tag = "risks",
    params(("id" = String, Path, description = "Campaign id"),
        ("grid_code" = String, Path, description = "Grid code")),
    responses((status = 200, description = "OK", body = GridSheet),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such campaign or grid in your scope", body = ErrorBody)))]
async fn get_campaign_grid(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, grid_code)): Path<(String, String)>,
) -> ApiResult<Json<GridSheet>> {
    Ok(Json(
        campaigns::sheet(&state, &actor, &id, &grid_code).await?,
    ))
}

/// Answer one checklist item for the grid (once); a risk found is registered with it.
#[utoipa::path(post, path = "/api/v1/risk-campaigns/{id}/grids/{grid_code}/answers", tag = "risks",
    request_body = NewCheckAnswer,
    params(("id" = String, Path, description = "Campaign id"),
        ("grid_code" = String, Path, description = "Grid code")),
    responses((status = 200, description = "Recorded", body = GridSheet),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such campaign or grid in your scope", body = ErrorBody),
        (status = 409, description = "The item was already answered or the grid reported done", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn answer_campaign_item(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, grid_code)): Path<(String, String)>,
    ApiJson(req): ApiJson<NewCheckAnswer>,
) -> ApiResult<Json<GridSheet>> {
    Ok(Json(
        campaigns::answer(&state, &actor, &id, &grid_code, req).await?,
    ))
}

/// Report the grid done (every item answered).
#[utoipa::path(post, path = "/api/v1/risk-campaigns/{id}/grids/{grid_code}/report", tag = "risks",
    request_body = GridDone,
    params(("id" = String, Path, description = "Campaign id"),
        ("grid_code" = String, Path, description = "Grid code")),
    responses((status = 200, description = "Reported", body = GridSheet),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such campaign or grid in your scope", body = ErrorBody),
        (status = 409, description = "The grid was already reported done", body = ErrorBody),
        (status = 422, description = "An item is unanswered", body = ErrorBody)))]
async fn report_campaign_grid(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, grid_code)): Path<(String, String)>,
    ApiJson(req): ApiJson<GridDone>,
) -> ApiResult<Json<GridSheet>> {
    Ok(Json(
        campaigns::report(&state, &actor, &id, &grid_code, req).await?,
    ))
}
