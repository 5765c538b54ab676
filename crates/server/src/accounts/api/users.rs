//! Accounts. Contact data is masked in every response; the full value needs `PersonalDataReveal`, a
//! stated purpose, and leaves an audit record naming both.

use crate::accounts::users::{self, NewUser, PasswordReset, User, UserChange};
use crate::auth::Actor;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiPath as Path;
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user))
        .routes(routes!(unlock_user))
        .routes(routes!(reset_password))
        .routes(routes!(reset_totp))
}

/// Users of organisations in the caller's scope (contact data masked).
#[utoipa::path(get, path = "/api/v1/users", tag = "users", responses((status = 200, description = "OK", body = Vec<User>), (status = 403, description = "Your role may not do this", body = ErrorBody)))]
async fn list_users(State(state): State<AppState>, actor: Actor) -> ApiResult<Json<Vec<User>>> {
    Ok(Json(users::list(&state, &actor).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RevealParams {
    /// `mobile` to see the full number (needs a purpose).
    pub reveal: Option<String>,
    /// Why the full value is needed; recorded in the audit log.
    pub purpose: Option<String>,
}

/// One user; `?reveal=mobile&purpose=…` shows the full number and is audited.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = String, Path, description = "User id"), RevealParams),
    responses((status = 200, description = "OK", body = User), (status = 403, description = "Your role may not do this", body = ErrorBody), (status = 404, description = "Not found, or outside your data scope", body = ErrorBody), (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn get_user(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<RevealParams>,
) -> ApiResult<Json<User>> {
    Ok(Json(
        users::get(
            &state,
            &actor,
            &id,
            q.reveal.as_deref(),
            q.purpose.as_deref(),
        )
        .await?,
    ))
}

/// Create an account (security administrator).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUser,
    responses((status = 201, description = "Created", body = User), (status = 400, description = "Malformed request (bad JSON, wrong type, unknown field)", body = ErrorBody), (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 409, description = "Already exists", body = ErrorBody), (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn create_user(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(req): ApiJson<NewUser>,
) -> ApiResult<(StatusCode, Json<User>)> {
    Ok((
        StatusCode::CREATED,
        Json(users::create(&state, &actor, req).await?),
    ))
}

/// Change another account's role, scope or disabled flag (security administrator). Your own account
/// and the administrator accounts are out of reach here.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = String, Path, description = "User id")), request_body = UserChange,
    responses((status = 200, description = "Changed", body = User), (status = 400, description = "Malformed request (bad JSON, wrong type, unknown field)", body = ErrorBody),
        (status = 403, description = "Your role may not do this, or the account is your own or an administrator's", body = ErrorBody),
        (status = 404, description = "Not found, or outside your data scope", body = ErrorBody), (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn update_user(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<UserChange>,
) -> ApiResult<Json<User>> {
    Ok(Json(users::update(&state, &actor, &id, req).await?))
}

/// Set a temporary password for another account (security administrator); its owner must change it at
/// the next login, its sessions end and its API tokens are revoked.
#[utoipa::path(post, path = "/api/v1/users/{id}/password", tag = "users", params(("id" = String, Path, description = "User id")), request_body = PasswordReset,
    responses((status = 204, description = "Set"), (status = 400, description = "Malformed request (bad JSON, wrong type, unknown field)", body = ErrorBody),
        (status = 403, description = "Your role may not do this, or the account is your own or an administrator's", body = ErrorBody),
        (status = 404, description = "Not found, or outside your data scope", body = ErrorBody), (status = 422, description = "The password breaks the policy (field `password`)", body = ErrorBody)))]
async fn reset_password(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<PasswordReset>,
) -> ApiResult<StatusCode> {
    users::reset_password(&state, &actor, &id, req).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove another account's second factor (e.g. a lost phone; security administrator). The owner enrols
/// again at the next login — administrator roles must.
#[utoipa::path(delete, path = "/api/v1/users/{id}/totp", tag = "users", params(("id" = String, Path, description = "User id")),
    responses((status = 204, description = "Removed"), (status = 403, description = "Your role may not do this, or the account is your own", body = ErrorBody),
        (status = 404, description = "Not found, or outside your data scope", body = ErrorBody)))]
async fn reset_totp(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    users::reset_totp(&state, &actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lift a lockout (security administrator).
#[utoipa::path(post, path = "/api/v1/users/{id}/unlock", tag = "users", params(("id" = String, Path, description = "User id")),
    responses((status = 204, description = "Unlocked"), (status = 403, description = "Your role may not do this", body = ErrorBody), (status = 404, description = "Not found, or outside your data scope", body = ErrorBody)))]
async fn unlock_user(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    users::unlock(&state, &actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
