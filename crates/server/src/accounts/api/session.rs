//! Login, logout and "who am I". Browsers get an HttpOnly SameSite=Strict cookie; machine clients
//! create API tokens and send them as `Authorization: Bearer …`.

use crate::accounts::account;
use crate::auth::{self, Actor, AnyStage, LoginError, SessionStage};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use pingan_domain::{Permission, ScopeGrant};
use pingan_store::{now_micros, sessions};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login, logout))
        .routes(routes!(me))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
        .routes(routes!(change_password))
        .routes(routes!(begin_totp, confirm_totp))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(example = "dispatcher")]
    pub username: String,
    pub password: String,
    /// The 6-digit code from the authenticator app, once the account has enrolled one.
    pub totp: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: pingan_domain::Role,
    pub role_label: String,
    pub org_id: Option<String>,
    pub scope: Vec<ScopeGrant>,
    pub permissions: Vec<Permission>,
    /// `full`, or the one thing this session must do before anything else.
    pub stage: SessionStage,
}

impl Me {
    pub fn of(a: &Actor) -> Me {
        Me {
            id: a.user_id.clone(),
            username: a.username.clone(),
            display_name: a.display_name.clone(),
            role: a.role,
            role_label: a.role.label_zh().to_string(),
            org_id: a.org_id.clone(),
            scope: a.scope.grants.clone(),
            permissions: a.role.permissions().to_vec(),
            stage: a.stage,
        }
    }
}

/// Log in with username and password; sets the session cookie.
#[utoipa::path(post, path = "/api/v1/session", tag = "session", security(()), request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in; `Set-Cookie` carries the session", body = Me),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "Wrong username or password (`invalid_credentials`); the account has a second factor and the code is missing (`totp_required`) or wrong (`totp_invalid`)", body = ErrorBody),
        (status = 423, description = "Account locked after too many failures", body = ErrorBody),
        (status = 429, description = "Too many attempts from this address", body = ErrorBody),
    ))]
async fn login(
    State(state): State<AppState>,
    crate::auth::ClientIp(ip): crate::auth::ClientIp,
    headers: HeaderMap,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Response> {
    let ua = headers
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let totp = req.totp.as_deref();
    match auth::login(&state, &req.username, &req.password, totp, ip.clone(), ua).await {
        Ok(ok) => {
            let s = sessions::get(&state.db, &ok.token)
                .await?
                .ok_or(ApiError::Unauthenticated)?;
            let actor =
                auth::actor_for_user(&state, &ok.user_id, Some(s.id_hash), ip, ok.stage).await?;
            let cookie = auth::session_cookie(&state, &ok.token);
            Ok(([(SET_COOKIE, cookie)], Json(Me::of(&actor))).into_response())
        }
        Err(LoginError::InvalidCredentials) => Err(ApiError::InvalidCredentials),
        Err(LoginError::Locked(until)) => {
            Err(ApiError::Locked(format!("account locked until {until}")))
        }
        Err(LoginError::TotpRequired) => Err(ApiError::Other {
            status: StatusCode::UNAUTHORIZED,
            code: "totp_required",
            message: LoginError::TotpRequired.to_string(),
        }),
        Err(LoginError::TotpInvalid) => Err(ApiError::Other {
            status: StatusCode::UNAUTHORIZED,
            code: "totp_invalid",
            message: LoginError::TotpInvalid.to_string(),
        }),
        Err(LoginError::Api(e)) => Err(e),
    }
}

/// End the current session; called with an API token, revoke that token.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session",
    responses((status = 204, description = "Logged out"), (status = 401, description = "Not authenticated", body = ErrorBody)))]
async fn logout(State(state): State<AppState>, AnyStage(actor): AnyStage) -> ApiResult<Response> {
    auth::logout(&state, &actor).await?;
    Ok((
        StatusCode::NO_CONTENT,
        [(SET_COOKIE, auth::clear_session_cookie())],
    )
        .into_response())
}

/// The caller: role, permissions and data scope.
#[utoipa::path(get, path = "/api/v1/me", tag = "session",
    responses((status = 200, description = "OK", body = Me), (status = 401, description = "Not authenticated", body = ErrorBody)))]
async fn me(AnyStage(actor): AnyStage) -> Json<Me> {
    Json(Me::of(&actor))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// What the token is for, e.g. `camera-gateway`.
    pub name: String,
    /// Days until it expires (1–3650; default 365).
    pub days: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedToken {
    pub id: String,
    /// Shown once; only its hash is stored.
    pub token: String,
    pub expires_at: i64,
}

/// Create an API token acting as the caller (for machine clients). Only from a signed-in session: a
/// token cannot mint further tokens, so revoking one is the end of what it could do.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "session", request_body = NewToken,
    responses((status = 201, description = "Created", body = CreatedToken), (status = 400, description = "Malformed request (bad JSON, wrong type, unknown field)", body = ErrorBody),
        (status = 403, description = "Called with an API token (`session_required`): tokens are created from a signed-in session", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn create_token(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(req): ApiJson<NewToken>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    let t = account::create_token(&state, &actor, &req.name, req.days).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            id: t.id,
            token: t.token,
            expires_at: t.expires_at,
        }),
    ))
}

/// One of your API tokens (never the secret: only its hash is stored).
#[derive(Serialize, ToSchema)]
pub struct ApiToken {
    pub id: String,
    pub name: String,
    /// Microseconds since the Unix epoch, like every time in this API.
    pub created_at: i64,
    /// The last request made with it (recorded at most once a minute).
    pub last_used_at: Option<i64>,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    /// Usable now: neither revoked nor expired.
    pub active: bool,
    /// The token this request came with.
    pub current: bool,
}

/// Your API tokens, newest first, revoked and expired ones included.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "session",
    responses((status = 200, description = "OK", body = [ApiToken])))]
async fn list_tokens(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<Json<Vec<ApiToken>>> {
    let now = now_micros();
    let rows = sessions::tokens_of(&state.db, &actor.user_id).await?;
    Ok(Json(
        rows.into_iter()
            .map(|t| ApiToken {
                active: t.is_active(now),
                current: actor.token_id.as_deref() == Some(t.id.as_str()),
                id: t.id,
                name: t.name,
                created_at: t.created_at,
                last_used_at: t.last_used_at,
                expires_at: t.expires_at,
                revoked_at: t.revoked_at,
            })
            .collect(),
    ))
}

/// Revoke one of your API tokens; it is refused from then on. A security administrator's password
/// reset or disabling an account revokes all of that account's tokens.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "session", params(("id" = String, Path, description = "Token id")),
    responses((status = 204, description = "Revoked"),
        (status = 404, description = "No live token of yours with this id", body = ErrorBody)))]
async fn revoke_token(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    account::revoke_token(&state, &actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    /// Meets the policy (length, 3 of 4 classes) and differs from the last few passwords.
    pub new_password: String,
}

/// Change your own password (also the way out of an expired or administrator-set one). Ends your other
/// sessions.
#[utoipa::path(put, path = "/api/v1/session/password", tag = "session", request_body = PasswordChange,
    responses((status = 200, description = "Changed; the session's stage afterwards", body = Me),
        (status = 400, description = "Malformed request (bad JSON, wrong type, unknown field)", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 422, description = "Current password wrong, or the new one breaks the policy (the field is named)", body = ErrorBody),
        (status = 423, description = "Account locked after too many wrong passwords", body = ErrorBody)))]
async fn change_password(
    State(state): State<AppState>,
    AnyStage(actor): AnyStage,
    ApiJson(req): ApiJson<PasswordChange>,
) -> ApiResult<Json<Me>> {
    let stage =
        account::change_password(&state, &actor, &req.current_password, &req.new_password).await?;
    Ok(Json(Me::of(&Actor { stage, ..actor })))
}

#[derive(Serialize, ToSchema)]
pub struct TotpEnrolment {
    /// The shared secret (base32), to type into an authenticator app.
    pub secret: String,
    /// The same as an `otpauth://` URI (what a QR code would carry).
    pub otpauth_uri: String,
}

/// Start enrolling a second factor (TOTP, RFC 6238): returns a new secret for your authenticator app.
/// It is in force once confirmed with a code. Administrator roles must enrol; others may.
#[utoipa::path(post, path = "/api/v1/session/totp", tag = "session",
    responses((status = 201, description = "A new secret, pending confirmation", body = TotpEnrolment),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Change your expired password first", body = ErrorBody),
        (status = 409, description = "A second factor is already in force (a security administrator can reset it)", body = ErrorBody)))]
async fn begin_totp(
    State(state): State<AppState>,
    AnyStage(actor): AnyStage,
) -> ApiResult<(StatusCode, Json<TotpEnrolment>)> {
    let secret = account::begin_totp(&state, &actor).await?;
    Ok((
        StatusCode::CREATED,
        Json(TotpEnrolment {
            otpauth_uri: account::otpauth_uri(&secret, &actor.username),
            secret: secret.to_base32(),
        }),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpCode {
    /// The 6-digit code the authenticator shows now.
    pub code: String,
}

/// Confirm enrolment with a code from the authenticator: the second factor is in force from now on.
#[utoipa::path(put, path = "/api/v1/session/totp", tag = "session", request_body = TotpCode,
    responses((status = 200, description = "In force; the session's stage afterwards", body = Me),
        (status = 400, description = "Malformed request (bad JSON, wrong type, unknown field)", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 409, description = "No enrolment was started, or it is already in force", body = ErrorBody),
        (status = 422, description = "The code is wrong (field `code`)", body = ErrorBody)))]
async fn confirm_totp(
    State(state): State<AppState>,
    AnyStage(actor): AnyStage,
    ApiJson(req): ApiJson<TotpCode>,
) -> ApiResult<Json<Me>> {
    let stage = account::confirm_totp(&state, &actor, &req.code).await?;
    Ok(Json(Me::of(&Actor { stage, ..actor })))
}
