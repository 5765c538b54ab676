//! 排查 campaigns: the 综治 office assigns grids to screen for disputes in a period; grid workers
//! register what they find against the campaign (source `grid_screening`) and report each grid done.

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiJson;
use crate::extract::ApiPath as Path;
use crate::mediation::screening::Campaign;
use crate::mediation::screening::GridReport;
use crate::mediation::screening::NewCampaign;
use crate::mediation::screening::view;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pingan_domain::Permission;
use pingan_store::disputes::{self};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_campaigns, create_campaign))
        .routes(routes!(get_campaign))
        .routes(routes!(report_grid))
}

/// Campaigns touching your scope, with progress.
#[utoipa::path(get, path = "/api/v1/screening-campaigns", tag = "mediation",
    responses((status = 200, description = "OK", body = Vec<Campaign>), (status = 403, description = "Your role may not do this", body = ErrorBody)))]
async fn list_campaigns(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<Json<Vec<Campaign>>> {
    actor.require(&state, Permission::DisputeRead).await?;
    Ok(Json(
        disputes::campaigns(&state.db, &actor.scope)
            .await?
            .into_iter()
            .map(view)
            .collect(),
    ))
}

/// Start a campaign over every grid of an area in your scope.
#[utoipa::path(post, path = "/api/v1/screening-campaigns", tag = "mediation", request_body = NewCampaign,
    responses((status = 201, description = "Created", body = Campaign), (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn create_campaign(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(req): ApiJson<NewCampaign>,
) -> ApiResult<(StatusCode, Json<Campaign>)> {
    Ok((
        StatusCode::CREATED,
        Json(crate::mediation::screening::create(&state, &actor, req).await?),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignGrid {
    pub grid_code: String,
    pub done_at: Option<i64>,
    pub done_by: Option<String>,
    pub note: Option<String>,
    /// Disputes registered in this grid under the campaign.
    pub found: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignDetail {
    #[serde(flatten)]
    pub campaign: Campaign,
    /// The grids in your scope.
    pub grids_detail: Vec<CampaignGrid>,
}

/// One campaign with the grids of it in your scope.
#[utoipa::path(get, path = "/api/v1/screening-campaigns/{id}", tag = "mediation",
    responses((status = 200, description = "OK", body = CampaignDetail), (status = 403, description = "Your role may not do this", body = ErrorBody), (status = 404, description = "Not found or outside your scope", body = ErrorBody)))]
async fn get_campaign(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<CampaignDetail>> {
    actor.require(&state, Permission::DisputeRead).await?;
    let c = disputes::campaign(&state.db, &actor.scope, &id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let grids = disputes::campaign_grids(&state.db, &c.id)
        .await?
        .into_iter()
        .filter(|g| actor.scope.covers_area_path(&g.area_path))
        .map(|g| CampaignGrid {
            grid_code: g.grid_code,
            done_at: g.done_at,
            done_by: g.done_by,
            note: g.note,
            found: g.found,
        })
        .collect();
    Ok(Json(CampaignDetail {
        campaign: view(c),
        grids_detail: grids,
    }))
}

/// Report a grid screened (once).
#[utoipa::path(post, path = "/api/v1/screening-campaigns/{id}/grids/{grid_code}", tag = "mediation",
    request_body = GridReport,
    responses((status = 204, description = "Done"), (status = 404, description = "Not found or outside your scope", body = ErrorBody),
        (status = 409, description = "Already reported", body = ErrorBody)))]
async fn report_grid(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, grid_code)): Path<(String, String)>,
    ApiJson(req): ApiJson<GridReport>,
) -> ApiResult<StatusCode> {
    crate::mediation::screening::report_grid(&state, &actor, &id, &grid_code, req).await?;
    Ok(StatusCode::NO_CONTENT)
}
