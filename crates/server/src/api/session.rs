//! Login, logout and "who am I". Browsers get an HttpOnly SameSite=Strict cookie; machine clients
//! create API tokens and send them as `Authorization: Bearer …`.

use crate::auth::{self, Actor, LoginError};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiJson;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use pingan_domain::audit::AuditOutcome;
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
        .routes(routes!(create_token))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(example = "dispatcher")]
    pub username: String,
    pub password: String,
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
        }
    }
}

/// Log in with username and password; sets the session cookie.
#[utoipa::path(post, path = "/api/v1/session", tag = "session", security(()), request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in; `Set-Cookie` carries the session", body = Me),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "Wrong username or password", body = ErrorBody),
        (status = 423, description = "Account locked after too many failures", body = ErrorBody),
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
    match auth::login(&state, &req.username, &req.password, ip.clone(), ua).await {
        Ok(ok) => {
            let s = sessions::get(&state.db, &ok.token)
                .await?
                .ok_or(ApiError::Unauthenticated)?;
            let actor = auth_actor(&state, &ok.user_id, s.id_hash, ip).await?;
            let cookie = auth::session_cookie(&state, &ok.token);
            Ok(([(SET_COOKIE, cookie)], Json(Me::of(&actor))).into_response())
        }
        Err(LoginError::InvalidCredentials) => Err(ApiError::InvalidCredentials),
        Err(LoginError::Locked(until)) => {
            Err(ApiError::Locked(format!("account locked until {until}")))
        }
        Err(LoginError::Api(e)) => Err(e),
    }
}

async fn auth_actor(
    state: &AppState,
    user_id: &str,
    session_hash: String,
    ip: Option<String>,
) -> ApiResult<Actor> {
    let u = pingan_store::users::by_id(&state.db, user_id)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    Ok(Actor {
        role: u.role().ok_or(ApiError::Unauthenticated)?,
        scope: pingan_store::users::scope_of(&state.db, &u.id).await?,
        user_id: u.id,
        username: u.username,
        display_name: u.display_name,
        org_id: u.org_id,
        session_hash: Some(session_hash),
        ip,
    })
}

/// End the current session.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session",
    responses((status = 204, description = "Logged out"), (status = 401, description = "Not authenticated", body = ErrorBody)))]
async fn logout(State(state): State<AppState>, actor: Actor) -> ApiResult<Response> {
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
async fn me(actor: Actor) -> Json<Me> {
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

/// Create an API token acting as the caller (for machine clients).
#[utoipa::path(post, path = "/api/v1/tokens", tag = "session", request_body = NewToken,
    responses((status = 201, description = "Created", body = CreatedToken), (status = 400, description = "Malformed request (bad JSON, wrong type, unknown field)", body = ErrorBody), (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn create_token(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(req): ApiJson<NewToken>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::invalid("name", "name must be 1–100 characters"));
    }
    let days = req.days.unwrap_or(365);
    if !(1..=3650).contains(&days) {
        return Err(ApiError::invalid("days", "days must be between 1 and 3650"));
    }
    let token = format!("pat_{}", auth::new_secret());
    let expires_at = now_micros() + days * 86_400_000_000;
    let mut tx = state.db.begin().await?;
    let id =
        sessions::create_token(&mut tx, &actor.user_id, name, &token, Some(expires_at)).await?;
    let e = actor.audit_entry(
        "token.create",
        "api_token",
        Some(&id),
        AuditOutcome::Ok,
        &serde_json::json!({"name": name, "days": days}).to_string(),
    );
    tx.commit_audited(vec![e]).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            id,
            token,
            expires_at,
        }),
    ))
}
