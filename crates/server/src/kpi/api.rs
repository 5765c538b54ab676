//! 统计分析 API: the dashboard for an area (or grid) and period, and the records behind each count.

use super::{Dashboard, DashboardQuery, Records, RecordsQuery};
use crate::auth::Actor;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiQuery;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(kpi_dashboard))
        .routes(routes!(kpi_records))
}

/// The dashboard: every figure you may see for the area (or grid) and month or quarter, each count
/// linked to its records; names in the language of the `lang` cookie (zh-CN by default).
#[utoipa::path(get, path = "/api/v1/kpi/dashboard", tag = "kpi", params(DashboardQuery),
    responses((status = 200, description = "OK", body = Dashboard),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn kpi_dashboard(
    State(state): State<AppState>,
    headers: HeaderMap,
    actor: Actor,
    ApiQuery(q): ApiQuery<DashboardQuery>,
) -> ApiResult<Json<Dashboard>> {
    let lang = crate::shell::lang_of(&headers);
    Ok(Json(super::dashboard(&state, &actor, &q, lang).await?))
}

/// The records one count is made of, oldest first, a page at a time (`total` is the count).
#[utoipa::path(get, path = "/api/v1/kpi/records", tag = "kpi", params(RecordsQuery),
    responses((status = 200, description = "OK", body = Records),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn kpi_records(
    State(state): State<AppState>,
    headers: HeaderMap,
    actor: Actor,
    ApiQuery(q): ApiQuery<RecordsQuery>,
) -> ApiResult<Json<Records>> {
    let lang = crate::shell::lang_of(&headers);
    Ok(Json(super::records(&state, &actor, &q, lang).await?))
}
