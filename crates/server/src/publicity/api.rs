//! 法治宣传 API: campaigns with targets per setting, events held, the campaign's figures.

use super::{
    DetailQuery, NewPublicityCampaign, NewPublicityEvent, PublicityCampaign, PublicityDetail,
    PublicityEvent,
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
        .routes(routes!(list_publicity_campaigns, create_publicity_campaign))
        .routes(routes!(get_publicity_campaign))
        .routes(routes!(record_publicity_event))
}

/// Legal-publicity campaigns over your scope.
#[utoipa::path(get, path = "/api/v1/publicity-campaigns", tag = "publicity",
    responses((status = 200, description = "OK", body = Vec<PublicityCampaign>),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody)))]
async fn list_publicity_campaigns(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<Json<Vec<PublicityCampaign>>> {
    Ok(Json(super::list(&state, &actor).await?))
}

/// Start a campaign with its targets per setting (机关、乡村、社区、学校、企业、单位).
#[utoipa::path(post, path = "/api/v1/publicity-campaigns", tag = "publicity", request_body = NewPublicityCampaign,
    responses((status = 201, description = "Created", body = PublicityCampaign),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn create_publicity_campaign(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(req): ApiJson<NewPublicityCampaign>,
) -> ApiResult<(StatusCode, Json<PublicityCampaign>)> {
    Ok((
        StatusCode::CREATED,
        Json(super::create(&state, &actor, req).await?),
    ))
}

/// A campaign: events per setting against target, grids reached, and incidents and disputes before
/// and after (a comparison of counts).
#[utoipa::path(get, path = "/api/v1/publicity-campaigns/{id}", tag = "publicity",
    params(("id" = String, Path, description = "Campaign id"), DetailQuery),
    responses((status = 200, description = "OK", body = PublicityDetail),
        (status = 400, description = "A query parameter is invalid", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such campaign in your scope", body = ErrorBody),
        (status = 422, description = "The window is out of range", body = ErrorBody)))]
async fn get_publicity_campaign(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<DetailQuery>,
) -> ApiResult<Json<PublicityDetail>> {
    Ok(Json(super::detail(&state, &actor, &id, &q).await?))
}

/// Record an event held under the campaign.
#[utoipa::path(post, path = "/api/v1/publicity-campaigns/{id}/events", tag = "publicity",
    request_body = NewPublicityEvent,
    params(("id" = String, Path, description = "Campaign id")),
    responses((status = 201, description = "Recorded", body = PublicityEvent),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such campaign in your scope", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn record_publicity_event(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<NewPublicityEvent>,
) -> ApiResult<(StatusCode, Json<PublicityEvent>)> {
    Ok((
        StatusCode::CREATED,
        Json(super::record_event(&state, &actor, &id, req).await?),
    ))
}
