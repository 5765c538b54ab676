//! Public alerts API: compose (with update and cancel), decide, list, read, import a received CAP
//! document. The published documents and the Atom feed are outside the API, in `feed`.

use super::{AlertDecision, AlertFeed, AlertImport, AlertListQuery, NewPublicAlert, PublicAlert};
use crate::auth::Actor;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiPath as Path;
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_public_alerts, compose_public_alert))
        .routes(routes!(get_public_alert))
        .routes(routes!(decide_public_alert))
        .routes(routes!(import_public_alert))
        .routes(routes!(list_public_alert_feeds))
}

/// Other agencies' CAP feeds this server reads (`[public_alerts] feeds`), with what each last brought.
#[utoipa::path(get, path = "/api/v1/public-alert-feeds", tag = "public_alerts",
    responses((status = 200, description = "OK", body = Vec<AlertFeed>),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody)))]
async fn list_public_alert_feeds(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<Json<Vec<AlertFeed>>> {
    Ok(Json(super::feeds(&state, &actor).await?))
}

/// Public alerts, composed here or received, newest first.
#[utoipa::path(get, path = "/api/v1/public-alerts", tag = "public_alerts", params(AlertListQuery),
    responses((status = 200, description = "OK", body = Vec<PublicAlert>),
        (status = 400, description = "A query parameter is invalid", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "The state is not one of the four", body = ErrorBody)))]
async fn list_public_alerts(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<AlertListQuery>,
) -> ApiResult<Json<Vec<PublicAlert>>> {
    Ok(Json(super::list(&state, &actor, &q).await?))
}

/// Compose an alert, or an update or cancel of a published one; it waits for approval.
#[utoipa::path(post, path = "/api/v1/public-alerts", tag = "public_alerts", request_body = NewPublicAlert,
    responses((status = 201, description = "Composed, awaiting approval", body = PublicAlert),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn compose_public_alert(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(req): ApiJson<NewPublicAlert>,
) -> ApiResult<(StatusCode, Json<PublicAlert>)> {
    Ok((
        StatusCode::CREATED,
        Json(super::compose(&state, &actor, req).await?),
    ))
}

/// An alert with its CAP document (once published, or as received).
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicAlertDetail {
    pub alert: PublicAlert,
    pub document: Option<String>,
}

/// One alert.
#[utoipa::path(get, path = "/api/v1/public-alerts/{id}", tag = "public_alerts",
    params(("id" = String, Path, description = "Alert id")),
    responses((status = 200, description = "OK", body = PublicAlertDetail),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such alert", body = ErrorBody)))]
async fn get_public_alert(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<PublicAlertDetail>> {
    let read = super::get(&state, &actor, &id).await?;
    Ok(Json(PublicAlertDetail {
        alert: read.alert,
        document: read.document,
    }))
}

/// Approve (publish as CAP 1.2) or reject a pending alert someone else composed.
#[utoipa::path(post, path = "/api/v1/public-alerts/{id}/decision", tag = "public_alerts",
    request_body = AlertDecision,
    params(("id" = String, Path, description = "Alert id")),
    responses((status = 200, description = "Decided", body = PublicAlert),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role or scope may not do this", body = ErrorBody),
        (status = 404, description = "No such alert of ours", body = ErrorBody),
        (status = 409, description = "Not pending, your own, or its original was replaced meanwhile", body = ErrorBody),
        (status = 422, description = "A rejection without a note", body = ErrorBody)))]
async fn decide_public_alert(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<AlertDecision>,
) -> ApiResult<Json<PublicAlert>> {
    Ok(Json(super::decide(&state, &actor, &id, req).await?))
}

/// Import a CAP 1.2 alert received from another agency: checked against the schema first; a refused
/// document names the element and line, and nothing is stored.
#[utoipa::path(post, path = "/api/v1/public-alerts/imports", tag = "public_alerts",
    request_body = AlertImport,
    responses((status = 201, description = "Received", body = PublicAlert),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 409, description = "Already received (same sender and identifier)", body = ErrorBody),
        (status = 422, description = "Not a valid CAP 1.2 document (the element is named)", body = ErrorBody)))]
async fn import_public_alert(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(req): ApiJson<AlertImport>,
) -> ApiResult<(StatusCode, Json<PublicAlert>)> {
    Ok((
        StatusCode::CREATED,
        Json(super::import(&state, &actor, req).await?),
    ))
}
