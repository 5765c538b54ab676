//! 警网融合 API: agreements (draft, approve, revoke), partners' endpoints, keys, delivery status and
//! replay, a partner's own view, and the signed inbound endpoint partners post events to.

use super::inbound::InboundAccepted;
use super::{
    NewSharingAgreement, RevokeSharingAgreement, SharingAgreement, SharingEndpoint,
    SharingEndpointRequest, SharingKeys, SharingPartner, SharingReplay, SharingReplayed,
};
use crate::auth::Actor;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiJson;
use crate::extract::ApiPath as Path;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_sharing_agreements, draft_sharing_agreement))
        .routes(routes!(approve_sharing_agreement))
        .routes(routes!(revoke_sharing_agreement))
        .routes(routes!(list_sharing_partners))
        .routes(routes!(get_sharing_partner))
        .routes(routes!(set_sharing_endpoint))
        .routes(routes!(rotate_sharing_keys))
        .routes(routes!(replay_sharing_partner))
        .routes(routes!(get_own_sharing))
        .routes(routes!(post_sharing_inbound))
}

/// Every sharing agreement (共享协议), newest first.
#[utoipa::path(get, path = "/api/v1/sharing/agreements", tag = "sharing",
    responses((status = 200, description = "OK", body = Vec<SharingAgreement>),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody)))]
async fn list_sharing_agreements(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<Json<Vec<SharingAgreement>>> {
    Ok(Json(super::list(&state, &actor).await?))
}

/// Draft an agreement: partner, event types and their fields, areas, purpose, legal basis (needed
/// for personal fields), validity. It delivers nothing until the security administrator approves it.
#[utoipa::path(post, path = "/api/v1/sharing/agreements", tag = "sharing", request_body = NewSharingAgreement,
    responses((status = 201, description = "Drafted", body = SharingAgreement),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn draft_sharing_agreement(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(req): ApiJson<NewSharingAgreement>,
) -> ApiResult<(StatusCode, Json<SharingAgreement>)> {
    Ok((
        StatusCode::CREATED,
        Json(super::draft(&state, &actor, req).await?),
    ))
}

/// Approve a pending agreement (the security administrator; not the person who drafted it).
#[utoipa::path(post, path = "/api/v1/sharing/agreements/{id}/approve", tag = "sharing",
    params(("id" = String, Path, description = "Agreement id")),
    responses((status = 200, description = "Approved", body = SharingAgreement),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such agreement", body = ErrorBody),
        (status = 409, description = "Not pending, ended, or your own draft", body = ErrorBody)))]
async fn approve_sharing_agreement(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<SharingAgreement>> {
    Ok(Json(super::approve(&state, &actor, &id).await?))
}

/// Revoke an agreement: nothing more is delivered under it from the next delivery pass.
#[utoipa::path(post, path = "/api/v1/sharing/agreements/{id}/revoke", tag = "sharing",
    request_body = RevokeSharingAgreement,
    params(("id" = String, Path, description = "Agreement id")),
    responses((status = 200, description = "Revoked", body = SharingAgreement),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such agreement", body = ErrorBody),
        (status = 409, description = "Already revoked", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn revoke_sharing_agreement(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<RevokeSharingAgreement>,
) -> ApiResult<Json<SharingAgreement>> {
    Ok(Json(super::revoke(&state, &actor, &id, req).await?))
}

/// Partner organisations with their delivery status: cursor, lag, failures, dead letters.
#[utoipa::path(get, path = "/api/v1/sharing/partners", tag = "sharing",
    responses((status = 200, description = "OK", body = Vec<SharingPartner>),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody)))]
async fn list_sharing_partners(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<Json<Vec<SharingPartner>>> {
    Ok(Json(super::partners(&state, &actor).await?))
}

/// One partner: its endpoint, agreements, delivery status, dead letters with their last error,
/// recent deliveries and the events it sent in.
#[utoipa::path(get, path = "/api/v1/sharing/partners/{id}", tag = "sharing",
    params(("id" = String, Path, description = "Partner organisation id")),
    responses((status = 200, description = "OK", body = SharingPartner),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such partner", body = ErrorBody)))]
async fn get_sharing_partner(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<SharingPartner>> {
    Ok(Json(super::partner(&state, &actor, &id).await?))
}

/// Set where and how a partner's events go. The first time, the partner's two keys are made and
/// returned in this answer only; its delivery starts from now.
#[utoipa::path(put, path = "/api/v1/sharing/partners/{id}/endpoint", tag = "sharing",
    request_body = SharingEndpointRequest,
    params(("id" = String, Path, description = "Partner organisation id")),
    responses((status = 200, description = "Set", body = SharingEndpoint),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such partner", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn set_sharing_endpoint(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<SharingEndpointRequest>,
) -> ApiResult<Json<SharingEndpoint>> {
    Ok(Json(super::set_endpoint(&state, &actor, &id, req).await?))
}

/// Make new keys for a partner (shown once); the old ones stop working at once.
#[utoipa::path(post, path = "/api/v1/sharing/partners/{id}/keys", tag = "sharing",
    params(("id" = String, Path, description = "Partner organisation id")),
    responses((status = 200, description = "New keys", body = SharingKeys),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "The partner has no endpoint", body = ErrorBody)))]
async fn rotate_sharing_keys(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<SharingKeys>> {
    Ok(Json(super::rotate_keys(&state, &actor, &id).await?))
}

/// Send a partner's events again from an outbox position or a time (dead letters included); the
/// same event ids, so the partner dedupes what it already has.
#[utoipa::path(post, path = "/api/v1/sharing/partners/{id}/replay", tag = "sharing",
    request_body = SharingReplay,
    params(("id" = String, Path, description = "Partner organisation id")),
    responses((status = 200, description = "The cursor was moved", body = SharingReplayed),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "The partner has no endpoint", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn replay_sharing_partner(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<SharingReplay>,
) -> ApiResult<Json<SharingReplayed>> {
    Ok(Json(super::replay(&state, &actor, &id, req).await?))
}

/// A partner's own view: its agreements (what it may receive and why), what it was sent, what it
/// sent in and why any of that was refused.
#[utoipa::path(get, path = "/api/v1/sharing/mine", tag = "sharing",
    responses((status = 200, description = "OK", body = SharingPartner),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "You are not in a partner organisation", body = ErrorBody)))]
async fn get_own_sharing(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<Json<SharingPartner>> {
    Ok(Json(super::mine(&state, &actor).await?))
}

/// A partner system posts one event (CloudEvents 1.0, structured JSON), signed with its inbound key:
/// `X-Pingan-Timestamp` (Unix seconds) and `X-Pingan-Signature: hmac-sm3=<hex>` (or `hmac-sha256=`
/// as its endpoint is set) over `<timestamp>.<raw body>`. Type `incident.report` (data: schema
/// `InboundIncident`) becomes an incident, `dispute.report` (data: `InboundDispute`) a dispute,
/// `risk.report` (data: `InboundRisk`) a risk in the register;
/// both are located within the areas of the partner's agreements in force, and a problem names
/// its field inside `data` (`data.type_code`). Each event id is accepted once.
#[utoipa::path(post, path = "/api/v1/sharing/inbound/{partner}", tag = "sharing", security(()),
    request_body(content = serde_json::Value, content_type = "application/cloudevents+json",
        description = "A CloudEvent: specversion 1.0, id, source, type, data"),
    params(("partner" = String, Path, description = "The partner organisation's id")),
    responses((status = 201, description = "Accepted: what it became", body = InboundAccepted),
        (status = 400, description = "Not a JSON object", body = ErrorBody),
        (status = 401, description = "Missing or wrong signature, or stale timestamp", body = ErrorBody),
        (status = 403, description = "The endpoint is disabled or no agreement is in force", body = ErrorBody),
        (status = 404, description = "No such partner endpoint", body = ErrorBody),
        (status = 409, description = "This event id was accepted before", body = ErrorBody),
        (status = 413, description = "The request body is too large", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn post_sharing_inbound(
    State(state): State<AppState>,
    Path(partner): Path<String>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> ApiResult<(StatusCode, Json<InboundAccepted>)> {
    let body = crate::extract::read_body(body, state.config.server.body_limit_bytes).await?;
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let accepted = super::inbound::receive(
        &state,
        &partner,
        header("x-pingan-timestamp"),
        header("x-pingan-signature"),
        &body,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(accepted)))
}
