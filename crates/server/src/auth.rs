//! Authentication and the `Actor`. A request is authenticated by the session cookie (browsers) or a
//! bearer API token (machine clients); both are stored only as SM3 hashes. The `Actor` carries the
//! user's role and scope; `Actor::require` is the one permission check handlers use, and it audits
//! refusals. Passwords are argon2id, hashed off the async runtime.

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::{AUTHORIZATION, COOKIE, USER_AGENT};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use pingan_domain::audit::{AuditEntry, AuditOutcome};
use pingan_domain::{Permission, Role, Scope};
use pingan_store::{now_micros, sessions, users};
use rand::RngCore;
use std::net::SocketAddr;

pub const SESSION_COOKIE: &str = "pingan_session";
const MICROS_PER_MINUTE: i64 = 60_000_000;

/// Who is calling, with what role and which data scope.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub scope: Scope,
    pub org_id: Option<String>,
    /// Hash of the session id when authenticated by cookie.
    pub session_hash: Option<String>,
    pub ip: Option<String>,
}

impl Actor {
    pub fn can(&self, p: Permission) -> bool {
        self.role.can(p)
    }

    /// The permission check. A refusal is audited and answered 403.
    pub async fn require(&self, state: &AppState, p: Permission) -> ApiResult<()> {
        if self.can(p) {
            return Ok(());
        }
        let entry = self.audit_entry(
            "permission.denied",
            "permission",
            Some(&format!("{p:?}")),
            AuditOutcome::Denied,
            "{}",
        );
        state.db.audit(vec![entry]).await?;
        Err(ApiError::Forbidden(format!(
            "your role may not {}",
            permission_phrase(p)
        )))
    }

    /// The one gate for seeing personal data unmasked: the reveal permission, a stated purpose, and an
    /// audit record naming the object, the fields and the purpose.
    pub async fn reveal_personal(
        &self,
        state: &AppState,
        object_type: &str,
        object_id: &str,
        fields: &[&str],
        purpose: Option<&str>,
    ) -> ApiResult<()> {
        self.require(state, Permission::PersonalDataReveal).await?;
        let purpose = purpose.map(str::trim).unwrap_or("");
        if !(2..=200).contains(&purpose.chars().count()) {
            return Err(ApiError::invalid(
                "purpose",
                "state why you need the full value (2–200 characters)",
            ));
        }
        let detail = serde_json::json!({ "fields": fields }).to_string();
        let mut e = self.audit_entry(
            &format!("{object_type}.read_personal"),
            object_type,
            Some(object_id),
            AuditOutcome::Ok,
            &detail,
        );
        e.purpose = Some(purpose.to_string());
        state.db.audit(vec![e]).await?;
        Ok(())
    }

    pub fn audit_entry(
        &self,
        action: &str,
        object_type: &str,
        object_id: Option<&str>,
        outcome: AuditOutcome,
        detail: &str,
    ) -> AuditEntry {
        AuditEntry {
            at: now_micros(),
            actor_id: Some(self.user_id.clone()),
            actor_name: self.username.clone(),
            action: action.to_string(),
            object_type: object_type.to_string(),
            object_id: object_id.map(String::from),
            outcome,
            purpose: None,
            ip: self.ip.clone(),
            detail: detail.to_string(),
        }
    }
}

fn permission_phrase(p: Permission) -> String {
    let s = format!("{p:?}");
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push(' ');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

pub fn client_ip(parts: &Parts) -> Option<String> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
}

pub fn cookie_value(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

pub fn new_secret() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

pub async fn hash_password(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("argon2: {e}"))
    })
    .await?
}

pub async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|h| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A real hash to verify against when the username does not exist, so timing does not reveal it.
static DUMMY_HASH: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();

async fn dummy_hash() -> String {
    DUMMY_HASH
        .get_or_init(|| async { hash_password(new_secret()).await.unwrap_or_default() })
        .await
        .clone()
}

async fn actor_for_user(
    state: &AppState,
    user_id: &str,
    session_hash: Option<String>,
    ip: Option<String>,
) -> ApiResult<Actor> {
    let (u, scope) = users::with_scope(&state.db, user_id)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    if u.disabled {
        return Err(ApiError::Unauthenticated);
    }
    let role = u.role().ok_or(ApiError::Unauthenticated)?;
    Ok(Actor {
        user_id: u.id,
        username: u.username,
        display_name: u.display_name,
        role,
        scope,
        org_id: u.org_id,
        session_hash,
        ip,
    })
}

/// Resolves the caller from a bearer token or the session cookie.
pub async fn authenticate(parts: &Parts, state: &AppState) -> ApiResult<Actor> {
    let ip = client_ip(parts);
    let now = now_micros();
    if let Some(auth) = parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let token = auth
            .strip_prefix("Bearer ")
            .ok_or(ApiError::Unauthenticated)?
            .trim();
        let t = sessions::token(&state.db, token)
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        if t.revoked_at.is_some() || t.expires_at.is_some_and(|e| e < now) {
            return Err(ApiError::Unauthenticated);
        }
        return actor_for_user(state, &t.user_id, None, ip).await;
    }
    let token = cookie_value(parts, SESSION_COOKIE).ok_or(ApiError::Unauthenticated)?;
    let s = sessions::get(&state.db, &token)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    let idle = state.config.auth.session_idle_minutes * MICROS_PER_MINUTE;
    if s.expires_at < now || s.last_seen_at + idle < now {
        return Err(ApiError::Unauthenticated);
    }
    // Refresh the idle clock at most once a minute: one write per active user-minute, not per request.
    if now - s.last_seen_at > MICROS_PER_MINUTE {
        sessions::touch(&state.db, &s.id_hash, now).await?;
    }
    actor_for_user(state, &s.user_id, Some(s.id_hash), ip).await
}

impl FromRequestParts<AppState> for Actor {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        authenticate(parts, state).await
    }
}

/// The caller of a page: unauthenticated visitors are sent to the login page.
pub struct PageActor(pub Actor);

impl FromRequestParts<AppState> for PageActor {
    type Rejection = Response;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match authenticate(parts, state).await {
            Ok(a) => Ok(PageActor(a)),
            Err(ApiError::Unauthenticated) => {
                let next = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/");
                Err(
                    Redirect::to(&format!("/login?next={}", crate::pages::url_encode(next)))
                        .into_response(),
                )
            }
            Err(e) => Err(e.into_response()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("用户名或密码错误 / wrong username or password")]
    InvalidCredentials,
    #[error("账户已锁定，请稍后再试 / account locked until {0}")]
    Locked(String),
    #[error(transparent)]
    Api(#[from] ApiError),
}

pub struct LoginOk {
    pub token: String,
    pub user_id: String,
}

fn login_entry(
    actor_id: Option<String>,
    name: &str,
    action: &str,
    outcome: AuditOutcome,
    ip: Option<String>,
    detail: String,
) -> AuditEntry {
    AuditEntry {
        at: now_micros(),
        actor_id: actor_id.clone(),
        actor_name: name.to_string(),
        action: action.to_string(),
        object_type: "user".to_string(),
        object_id: actor_id,
        outcome,
        purpose: None,
        ip,
        detail,
    }
}

/// Checks the password, applies the lockout rule, opens a session. Every outcome is audited.
pub async fn login(
    state: &AppState,
    username: &str,
    password: &str,
    ip: Option<String>,
    user_agent: Option<String>,
) -> Result<LoginOk, LoginError> {
    let cfg = &state.config.auth;
    crate::rate::check(state, "login", ip.as_deref(), cfg.login_per_ip_per_minute).await?;
    let typed = users::normalise_username(username);
    let typed = typed.chars().take(64).collect::<String>();
    let Some(u) = users::by_username(&state.db, &typed)
        .await
        .map_err(ApiError::from)?
    else {
        let _ = verify_password(password.to_string(), dummy_hash().await).await;
        let e = login_entry(
            None,
            &typed,
            "session.login",
            AuditOutcome::Failed,
            ip,
            r#"{"reason":"unknown_user"}"#.into(),
        );
        state.db.audit(vec![e]).await.map_err(ApiError::from)?;
        return Err(LoginError::InvalidCredentials);
    };
    let now = now_micros();
    if let Some(until) = u.locked_until.filter(|&t| t > now) {
        let e = login_entry(
            Some(u.id.clone()),
            &u.username,
            "session.login",
            AuditOutcome::Denied,
            ip,
            r#"{"reason":"locked"}"#.into(),
        );
        state.db.audit(vec![e]).await.map_err(ApiError::from)?;
        return Err(LoginError::Locked(local_time(until)));
    }
    let ok = !u.disabled && verify_password(password.to_string(), u.password_hash.clone()).await;
    let mut tx = state.db.begin().await.map_err(ApiError::from)?;
    if !ok {
        let (failures, locked) = users::record_failed_login(
            &mut tx,
            &u.id,
            cfg.max_failed_logins,
            cfg.lockout_minutes * MICROS_PER_MINUTE,
        )
        .await
        .map_err(ApiError::from)?;
        let reason = if u.disabled {
            "disabled"
        } else {
            "wrong_password"
        };
        let mut entries = vec![login_entry(
            Some(u.id.clone()),
            &u.username,
            "session.login",
            AuditOutcome::Failed,
            ip.clone(),
            format!(r#"{{"reason":"{reason}","failures":{failures}}}"#),
        )];
        if let Some(until) = locked {
            entries.push(login_entry(
                Some(u.id.clone()),
                &u.username,
                "user.lock",
                AuditOutcome::Ok,
                ip,
                format!(r#"{{"after_failures":{failures},"locked_until":{until}}}"#),
            ));
        }
        tx.commit_audited(entries).await.map_err(ApiError::from)?;
        return Err(match locked {
            Some(until) => LoginError::Locked(local_time(until)),
            None => LoginError::InvalidCredentials,
        });
    }
    users::clear_failed_logins(&mut tx, &u.id)
        .await
        .map_err(ApiError::from)?;
    let token = new_secret();
    let expires = now + cfg.session_absolute_hours * 60 * MICROS_PER_MINUTE;
    sessions::create(
        &mut tx,
        &token,
        &u.id,
        expires,
        ip.as_deref(),
        user_agent.as_deref(),
    )
    .await
    .map_err(ApiError::from)?;
    let e = login_entry(
        Some(u.id.clone()),
        &u.username,
        "session.login",
        AuditOutcome::Ok,
        ip,
        "{}".into(),
    );
    tx.commit_audited(vec![e]).await.map_err(ApiError::from)?;
    Ok(LoginOk {
        token,
        user_id: u.id,
    })
}

pub async fn logout(state: &AppState, actor: &Actor) -> ApiResult<()> {
    let mut tx = state.db.begin().await?;
    if let Some(h) = &actor.session_hash {
        sessions::delete(&mut tx, h).await?;
    }
    let e = actor.audit_entry(
        "session.logout",
        "user",
        Some(&actor.user_id),
        AuditOutcome::Ok,
        "{}",
    );
    tx.commit_audited(vec![e]).await?;
    Ok(())
}

fn local_time(micros: i64) -> String {
    pingan_domain::time::local_datetime(pingan_domain::time::from_micros(micros))
}

pub fn session_cookie(state: &AppState, token: &str) -> String {
    let max_age = state.config.auth.session_absolute_hours * 3600;
    let secure = if state.config.auth.cookie_secure {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{secure}"
    )
}

pub fn clear_session_cookie() -> String {
    format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0")
}

pub fn user_agent(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get(USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(200).collect())
}

/// The client's address as the server saw it (absent in in-process tests).
pub struct ClientIp(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(parts)))
    }
}
