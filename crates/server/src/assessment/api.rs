//! 考核 API: scheme versions, rankings, a unit's score with its drill-down, manual items and their
//! confirmation, settling a period.

use super::{
    NewManualItem, NewScheme, PeriodQuery, Ranking, RankingQuery, Scheme, SchemesQuery, Settlement,
    SettlementDone, UnitDetail,
};
use crate::auth::Actor;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiPath as Path;
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use pingan_domain::assessment::UnitType;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_assessment_schemes, add_assessment_scheme))
        .routes(routes!(assessment_ranking))
        .routes(routes!(assessment_unit))
        .routes(routes!(add_assessment_item))
        .routes(routes!(confirm_assessment_item))
        .routes(routes!(settle_assessment))
}

/// Every version of the schemes (of one unit type), oldest first.
#[utoipa::path(get, path = "/api/v1/assessment/schemes", tag = "assessment", params(SchemesQuery),
    responses((status = 200, description = "OK", body = Vec<Scheme>),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody)))]
async fn list_assessment_schemes(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<SchemesQuery>,
) -> ApiResult<Json<Vec<Scheme>>> {
    Ok(Json(super::schemes(&state, &actor, q.unit_type).await?))
}

/// A new version of a unit type's scheme (weights adding to 100), in force from a month on.
#[utoipa::path(post, path = "/api/v1/assessment/schemes", tag = "assessment", request_body = NewScheme,
    responses((status = 201, description = "Added", body = Scheme),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn add_assessment_scheme(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(req): ApiJson<NewScheme>,
) -> ApiResult<(StatusCode, Json<Scheme>)> {
    Ok((
        StatusCode::CREATED,
        Json(super::add_scheme(&state, &actor, &req).await?),
    ))
}

/// The units of a type ranked by their score for a period (settled scores as settled).
#[utoipa::path(get, path = "/api/v1/assessment/ranking", tag = "assessment", params(RankingQuery),
    responses((status = 200, description = "OK", body = Ranking),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn assessment_ranking(
    State(state): State<AppState>,
    headers: HeaderMap,
    actor: Actor,
    ApiQuery(q): ApiQuery<RankingQuery>,
) -> ApiResult<Json<Ranking>> {
    let lang = crate::shell::lang_of(&headers);
    Ok(Json(super::ranking(&state, &actor, &q, lang).await?))
}

/// One unit's score: every indicator with the counts behind it (linked to their records) and the
/// manual items.
#[utoipa::path(get, path = "/api/v1/assessment/units/{unit_type}/{key}", tag = "assessment",
    params(("unit_type" = UnitType, Path, description = "station, police_post, township, village or grid"),
        ("key" = String, Path, description = "Area code, grid code or organisation id"), PeriodQuery),
    responses((status = 200, description = "OK", body = UnitDetail),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such unit in your scope", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn assessment_unit(
    State(state): State<AppState>,
    headers: HeaderMap,
    actor: Actor,
    ApiQuery(q): ApiQuery<PeriodQuery>,
    Path((unit_type, key)): Path<(UnitType, String)>,
) -> ApiResult<Json<UnitDetail>> {
    let lang = crate::shell::lang_of(&headers);
    Ok(Json(
        super::detail(&state, &actor, unit_type, &key, q.period.as_deref(), lang).await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemAdded {
    pub id: String,
}

/// Enter a manual item's points with their evidence (counted once a second person confirms).
#[utoipa::path(post, path = "/api/v1/assessment/items", tag = "assessment", request_body = NewManualItem,
    responses((status = 201, description = "Entered", body = ItemAdded),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn add_assessment_item(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(req): ApiJson<NewManualItem>,
) -> ApiResult<(StatusCode, Json<ItemAdded>)> {
    let id = super::add_item(&state, &actor, &req).await?;
    Ok((StatusCode::CREATED, Json(ItemAdded { id })))
}

/// Confirm a manual item someone else entered.
#[utoipa::path(post, path = "/api/v1/assessment/items/{id}/confirmation", tag = "assessment",
    params(("id" = String, Path, description = "Item id")),
    responses((status = 204, description = "Confirmed"),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such item in your scope", body = ErrorBody),
        (status = 409, description = "Your own item, or confirmed already", body = ErrorBody)))]
async fn confirm_assessment_item(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    super::confirm_item(&state, &actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Settle an ended period's scores for the units of a type under an area (each with the version
/// it was scored with; units settled before are kept).
#[utoipa::path(post, path = "/api/v1/assessment/settlements", tag = "assessment", request_body = Settlement,
    responses((status = 200, description = "Settled", body = SettlementDone),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn settle_assessment(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(req): ApiJson<Settlement>,
) -> ApiResult<Json<SettlementDone>> {
    Ok(Json(super::settle(&state, &actor, &req).await?))
}
