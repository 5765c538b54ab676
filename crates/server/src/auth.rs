//! Authentication and the `Actor`. A request is authenticated by the session cookie (browsers) or a
//! bearer API token (machine clients); both are stored only as SM3 hashes. The `Actor` carries the
//! user's role and scope; `Actor::require` is the one permission check handlers use, and it audits
//! refusals. Passwords are argon2id, hashed off the async runtime.

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
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
    /// The API token's id when authenticated by a bearer token.
    pub token_id: Option<String>,
    pub ip: Option<String>,
    /// What the session may do: everything, or only what its owner must do first.
    pub stage: SessionStage,
}

/// A session is `full`, or held to one task until its owner has done it (等保: change an expired or
/// administrator-set password; enrol the second factor an administrator role requires).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SessionStage {
    Full,
    PasswordChange,
    TotpEnrol,
}

impl SessionStage {
    pub fn code(self) -> &'static str {
        match self {
            SessionStage::Full => "full",
            SessionStage::PasswordChange => "password_change",
            SessionStage::TotpEnrol => "totp_enrol",
        }
    }

    /// Fails closed: a stage this server does not know (a newer server's, a damaged row) is no stage
    /// at all, and the session is refused — never taken for the unrestricted `Full`.
    pub fn parse(s: &str) -> Option<SessionStage> {
        match s {
            "full" => Some(SessionStage::Full),
            "password_change" => Some(SessionStage::PasswordChange),
            "totp_enrol" => Some(SessionStage::TotpEnrol),
            _ => None,
        }
    }

    /// What the account must do before it may do anything else, judged at `now`.
    pub fn of(u: &users::UserRow, state: &AppState, now: i64) -> SessionStage {
        let policy = state.config.auth.password_policy();
        if policy.is_expired(u.password_changed_at, now) {
            SessionStage::PasswordChange
        } else if u.role().is_some_and(Role::is_administrative) && u.totp_enabled_at.is_none() {
            SessionStage::TotpEnrol
        } else {
            SessionStage::Full
        }
    }

    /// The refusal a held session gets everywhere but its one task.
    pub fn refusal(self) -> ApiError {
        let (code, message) = match self {
            SessionStage::PasswordChange => (
                "password_change_required",
                "your password has expired or was set by an administrator: change it first (PUT /api/v1/session/password)",
            ),
            _ => (
                "totp_enrolment_required",
                "administrator accounts need a second factor: enrol an authenticator first (POST /api/v1/session/totp)",
            ),
        };
        ApiError::Other {
            status: axum::http::StatusCode::FORBIDDEN,
            code,
            message: message.into(),
        }
    }
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
        let key = format!("permission.denied|{}|{p:?}", self.user_id);
        audit_repeated(state, &key, entry).await?;
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

/// Compares a presented secret with the configured one without leaking, through timing, how much of
/// it matched: both are hashed to fixed-length digests and every byte is compared.
pub fn same_secret(given: &str, expected: &str) -> bool {
    use sm3::Digest;
    let a = sm3::Sm3::digest(given.as_bytes());
    let b = sm3::Sm3::digest(expected.as_bytes());
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

pub fn new_secret() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

pub use crate::hashing::{hash_password, hash_password_now, verify_password_now};

/// A real hash to verify against when the username does not exist, so timing does not reveal it.
static DUMMY_HASH: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();

async fn dummy_hash() -> String {
    // Made once per process with the host's hasher: it is not a request's work.
    DUMMY_HASH
        .get_or_init(|| async { hash_password(new_secret()).await.unwrap_or_default() })
        .await
        .clone()
}

/// The caller as the account is now (role and scope re-read on every request); a disabled account is
/// no caller. `token_id` is set by the bearer path afterwards.
pub async fn actor_for_user(
    state: &AppState,
    user_id: &str,
    session_hash: Option<String>,
    ip: Option<String>,
    stage: SessionStage,
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
        token_id: None,
        ip,
        stage,
    })
}

/// A partner system acting through its signed inbound events: its service account (`account`:
/// id, username, name — disabled, it never logs in), its scope the areas of its agreements in force.
/// It holds no session; records and audit entries name the service account.
pub fn partner_actor(org_id: &str, account: (&str, &str, &str), area_paths: &[String]) -> Actor {
    Actor {
        user_id: account.0.to_string(),
        username: account.1.to_string(),
        display_name: account.2.to_string(),
        role: Role::Partner,
        scope: Scope::new(
            area_paths
                .iter()
                .map(|p| pingan_domain::scope::ScopeGrant {
                    kind: pingan_domain::scope::ScopeKind::Area,
                    path: p.clone(),
                })
                .collect(),
        ),
        org_id: Some(org_id.to_string()),
        session_hash: None,
        token_id: None,
        ip: None,
        stage: SessionStage::Full,
    }
}

/// Resolves the caller from a bearer token or the session cookie.
pub async fn authenticate(parts: &Parts, state: &AppState) -> ApiResult<Actor> {
    authenticate_with(parts, state, true).await
}

/// Like [`authenticate`], but leaves the session's idle clock alone: for what a page asks by itself in
/// the background (the header's unread count), so an unattended browser still times out.
pub async fn authenticate_quietly(parts: &Parts, state: &AppState) -> ApiResult<Actor> {
    authenticate_with(parts, state, false).await
}

async fn authenticate_with(parts: &Parts, state: &AppState, touch: bool) -> ApiResult<Actor> {
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
        if !t.is_active(now) {
            return Err(ApiError::Unauthenticated);
        }
        let mut actor = actor_for_user(state, &t.user_id, None, ip, SessionStage::Full).await?;
        // Like a session's idle clock: at most one write per token-minute.
        if t.last_used_at.is_none_or(|at| now - at > MICROS_PER_MINUTE) {
            sessions::touch_token(&state.db, &t.id, now).await?;
        }
        actor.token_id = Some(t.id);
        return Ok(actor);
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
    if touch && now - s.last_seen_at > MICROS_PER_MINUTE {
        sessions::touch(&state.db, &s.id_hash, now).await?;
    }
    let Some(stage) = SessionStage::parse(&s.stage) else {
        tracing::warn!(stage = %s.stage, "session with an unknown stage refused");
        return Err(ApiError::Unauthenticated);
    };
    actor_for_user(state, &s.user_id, Some(s.id_hash), ip, stage).await
}

/// Every API handler's caller: a held session (see [`SessionStage`]) is refused here, once, so no
/// handler can forget the check.
impl FromRequestParts<AppState> for Actor {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let a = authenticate(parts, state).await?;
        if a.stage != SessionStage::Full {
            return Err(a.stage.refusal());
        }
        Ok(a)
    }
}

/// The caller of the few endpoints a held session may use: who am I, log out, change the password,
/// enrol the second factor.
pub struct AnyStage(pub Actor);

impl FromRequestParts<AppState> for AnyStage {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        authenticate(parts, state).await.map(AnyStage)
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
            Ok(a) if a.stage != SessionStage::Full => Err(Redirect::to("/account").into_response()),
            Ok(a) => Ok(PageActor(a)),
            Err(ApiError::Unauthenticated) => {
                let next = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/");
                Err(Redirect::to(&format!("/login?next={}", url_encode(next))).into_response())
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
    #[error("请输入动态口令 / enter the 6-digit code from your authenticator")]
    TotpRequired,
    #[error("动态口令错误或已使用 / the code is wrong, expired or already used")]
    TotpInvalid,
    #[error(transparent)]
    Api(#[from] ApiError),
}

pub struct LoginOk {
    pub token: String,
    pub user_id: String,
    pub stage: SessionStage,
}

/// The column name the TOTP secret is sealed under (the associated data of its SM4-GCM seal).
pub const TOTP_COLUMN: &str = "users.totp";

/// Checks `code` against the account's secret and records its step (never accepted twice).
pub async fn check_totp(
    state: &AppState,
    tx: &mut pingan_store::Tx,
    u: &users::UserRow,
    code: &str,
) -> ApiResult<Result<(), pingan_domain::totp::TotpError>> {
    use pingan_domain::totp::{TotpError, TotpSecret};
    let Some(sealed) = &u.totp_sealed else {
        return Ok(Err(TotpError::Wrong));
    };
    let b32 = state
        .cipher
        .open(TOTP_COLUMN, sealed)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("opening the TOTP secret: {e}")))?;
    let secret = TotpSecret::from_base32(&b32)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored TOTP secret: {e}")))?;
    let now = state.now();
    let step = match secret.verify(code, now.div_euclid(1_000_000), u.totp_last_step) {
        Ok(step) => step,
        Err(e) => return Ok(Err(e)),
    };
    if !users::use_totp_step(tx, &u.id, step, now).await? {
        return Ok(Err(TotpError::Replayed));
    }
    Ok(Ok(()))
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

/// Appends an audit record for a failure an attacker can repeat at will; identical ones (same `key`)
/// within `auth.audit_repeat_window_seconds` are counted into one summary record instead.
pub async fn audit_repeated(state: &AppState, key: &str, entry: AuditEntry) -> ApiResult<()> {
    let window = state.config.auth.audit_repeat_window_seconds * 1_000_000;
    pingan_store::audit::append_repeated(&state.db, key, entry, window).await?;
    Ok(())
}

/// Checks the password, applies the lockout rule, opens a session. Every outcome is audited (repeated
/// refusals of a locked account as one record per window, see [`audit_repeated`]).
///
/// The order is what keeps the lockout exact under parallel attempts, on any number of servers: an
/// attempt first reserves its place in the account's failure count (atomically with reading the lock,
/// `users::reserve_login`); only then is the password checked; the attempt ends as a failure (the one
/// that reaches the limit locks) or a success, which a lock set meanwhile by a concurrent failure still
/// refuses. So no more than `auth.max_failed_logins` passwords are checked between two locks.
pub async fn login(
    state: &AppState,
    username: &str,
    password: &str,
    totp: Option<&str>,
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
        // The same work as for a real account, so timing does not tell which usernames exist.
        let _ = state
            .hashing
            .verify(password.to_string(), dummy_hash().await)
            .await
            .map_err(ApiError::from)?;
        let e = login_entry(
            None,
            &typed,
            "session.login",
            AuditOutcome::Failed,
            ip,
            r#"{"reason":"unknown_user"}"#.into(),
        );
        // One key for all unknown names: guessing names cannot flood the log either.
        audit_repeated(state, "session.login|unknown_user", e).await?;
        return Err(LoginError::InvalidCredentials);
    };
    let now = now_micros();
    let mut tx = state.db.begin().await.map_err(ApiError::from)?;
    let reservation = users::reserve_login(&mut tx, &u.id, cfg.max_failed_logins, now)
        .await
        .map_err(ApiError::from)?;
    tx.commit_audited(vec![]).await.map_err(ApiError::from)?;
    if reservation != users::Reservation::Granted {
        let (reason, until) = match reservation {
            users::Reservation::Locked(until) => ("locked", Some(until)),
            _ => ("attempts_in_progress", None),
        };
        let e = login_entry(
            Some(u.id.clone()),
            &u.username,
            "session.login",
            AuditOutcome::Denied,
            ip,
            format!(r#"{{"reason":"{reason}"}}"#),
        );
        audit_repeated(state, &format!("session.login|{}|{reason}", u.id), e).await?;
        return Err(LoginError::Locked(match until {
            Some(t) => local_time(t),
            None => "the attempts being checked end (about a minute)".into(),
        }));
    }
    let password_ok = if u.disabled {
        Ok(false)
    } else {
        state
            .hashing
            .verify(password.to_string(), u.password_hash.clone())
            .await
    };
    let password_ok = match password_ok {
        Ok(ok) => ok,
        Err(full) => {
            release(state, &u.id).await?;
            return Err(ApiError::from(full).into());
        }
    };
    // The second factor is asked for only once the password is right; a missing code is not a failure.
    if password_ok && u.totp_enabled_at.is_some() && totp.is_none_or(|c| c.trim().is_empty()) {
        release(state, &u.id).await?;
        return Err(LoginError::TotpRequired);
    }
    let mut tx = state.db.begin().await.map_err(ApiError::from)?;
    let totp_ok = match (password_ok, u.totp_enabled_at, totp) {
        (true, Some(_), Some(code)) => check_totp(state, &mut tx, &u, code).await?.is_ok(),
        _ => true,
    };
    let now = now_micros();
    if !(password_ok && totp_ok) {
        let failure = count_failure(state, &mut tx, &u.id, now).await?;
        let reason = if u.disabled {
            "disabled"
        } else if password_ok {
            "wrong_totp"
        } else {
            "wrong_password"
        };
        let mut entries = vec![login_entry(
            Some(u.id.clone()),
            &u.username,
            "session.login",
            AuditOutcome::Failed,
            ip.clone(),
            format!(r#"{{"reason":"{reason}","failures":{}}}"#, failure.failures),
        )];
        entries.extend(failure.lock_entry(&u.id, &u.username, ip));
        let locked = failure.locked_until;
        tx.commit_audited(entries).await.map_err(ApiError::from)?;
        return Err(match locked {
            Some(until) => LoginError::Locked(local_time(until)),
            None if password_ok => LoginError::TotpInvalid,
            None => LoginError::InvalidCredentials,
        });
    }
    if let Some(until) = users::finish_good_login(&mut tx, &u.id, now)
        .await
        .map_err(ApiError::from)?
    {
        // A concurrent failure locked the account while this password was checked: the lock stands.
        let e = login_entry(
            Some(u.id.clone()),
            &u.username,
            "session.login",
            AuditOutcome::Denied,
            ip,
            r#"{"reason":"locked_meanwhile"}"#.into(),
        );
        tx.commit_audited(vec![e]).await.map_err(ApiError::from)?;
        return Err(LoginError::Locked(local_time(until)));
    }
    let token = new_secret();
    let expires = now + cfg.session_absolute_hours * 60 * MICROS_PER_MINUTE;
    let stage = SessionStage::of(&u, state, state.now());
    sessions::create(
        &mut tx,
        &token,
        &u.id,
        expires,
        ip.as_deref(),
        user_agent.as_deref(),
        stage.code(),
    )
    .await
    .map_err(ApiError::from)?;
    let e = login_entry(
        Some(u.id.clone()),
        &u.username,
        "session.login",
        AuditOutcome::Ok,
        ip,
        format!(
            r#"{{"second_factor":{},"stage":"{}"}}"#,
            u.totp_enabled_at.is_some(),
            stage.code()
        ),
    );
    tx.commit_audited(vec![e]).await.map_err(ApiError::from)?;
    Ok(LoginOk {
        token,
        user_id: u.id,
        stage,
    })
}

/// Gives back a reserved attempt that checked nothing.
async fn release(state: &AppState, user_id: &str) -> ApiResult<()> {
    let mut tx = state.db.begin().await?;
    users::release_login(&mut tx, user_id).await?;
    tx.commit_audited(vec![]).await?;
    Ok(())
}

/// One failed password (or second-factor code) counted toward the lockout.
struct Failure {
    failures: i64,
    /// Set when this failure locked the account.
    locked_until: Option<i64>,
}

impl Failure {
    /// The `user.lock` audit entry, when this failure locked the account (a login and a password
    /// change audit the lock the same way).
    fn lock_entry(&self, user_id: &str, username: &str, ip: Option<String>) -> Option<AuditEntry> {
        self.locked_until.map(|until| {
            login_entry(
                Some(user_id.to_string()),
                username,
                "user.lock",
                AuditOutcome::Ok,
                ip,
                format!(
                    r#"{{"after_failures":{},"locked_until":{until}}}"#,
                    self.failures
                ),
            )
        })
    }
}

/// Ends a reserved attempt as a failure.
async fn count_failure(
    state: &AppState,
    tx: &mut pingan_store::Tx,
    user_id: &str,
    now: i64,
) -> ApiResult<Failure> {
    let cfg = &state.config.auth;
    let (failures, locked_until) = users::finish_failed_login(
        tx,
        user_id,
        cfg.max_failed_logins,
        cfg.lockout_minutes * MICROS_PER_MINUTE,
        now,
    )
    .await?;
    Ok(Failure {
        failures,
        locked_until,
    })
}

/// Checks the caller's current password (before a password change) under the same lockout as a
/// login — reserved, checked, counted — so a borrowed session cannot be used to guess the password,
/// in series or in parallel. A wrong password is counted and audited, and ends the account's sessions
/// when it locks; `Ok(false)` then asks the caller to name the field.
pub async fn check_own_password(
    state: &AppState,
    actor: &Actor,
    u: &users::UserRow,
    password: &str,
) -> ApiResult<bool> {
    let cfg = &state.config.auth;
    let mut tx = state.db.begin().await?;
    let reservation =
        users::reserve_login(&mut tx, &u.id, cfg.max_failed_logins, now_micros()).await?;
    tx.commit_audited(vec![]).await?;
    match reservation {
        users::Reservation::Granted => {}
        users::Reservation::Locked(until) => {
            return Err(ApiError::Locked(format!(
                "account locked until {}",
                local_time(until)
            )));
        }
        users::Reservation::Busy => {
            return Err(ApiError::Locked(
                "too many password checks are in progress for this account; try again in a minute"
                    .into(),
            ));
        }
    }
    let ok = match state
        .hashing
        .verify(password.to_string(), u.password_hash.clone())
        .await
    {
        Ok(ok) => ok,
        Err(full) => {
            release(state, &u.id).await?;
            return Err(full.into());
        }
    };
    let mut tx = state.db.begin().await?;
    let now = now_micros();
    if ok {
        if let Some(until) = users::finish_good_login(&mut tx, &u.id, now).await? {
            tx.commit_audited(vec![]).await?;
            return Err(ApiError::Locked(format!(
                "account locked until {}",
                local_time(until)
            )));
        }
        tx.commit_audited(vec![]).await?;
        return Ok(true);
    }
    let failure = count_failure(state, &mut tx, &u.id, now).await?;
    let mut entries = vec![actor.audit_entry(
        "user.password_change",
        "user",
        Some(&actor.user_id),
        AuditOutcome::Failed,
        &format!(
            r#"{{"reason":"wrong_password","failures":{}}}"#,
            failure.failures
        ),
    )];
    entries.extend(failure.lock_entry(&actor.user_id, &actor.username, actor.ip.clone()));
    if let Some(until) = failure.locked_until {
        sessions::delete_for_user(&mut tx, &actor.user_id, None).await?;
        tx.commit_audited(entries).await?;
        return Err(ApiError::Locked(format!(
            "account locked until {}",
            local_time(until)
        )));
    }
    tx.commit_audited(entries).await?;
    Ok(false)
}

/// Refuses a new password equal to the current one or one of the last few (argon2 hashes are salted,
/// so each is verified, not compared).
pub async fn check_history(
    state: &AppState,
    u: &users::UserRow,
    new_password: &str,
) -> ApiResult<()> {
    let policy = state.config.auth.password_policy();
    let mut earlier = vec![u.password_hash.clone()];
    earlier
        .extend(users::password_history(&state.db, &u.id, policy.history.saturating_sub(1)).await?);
    for h in earlier {
        if state.hashing.verify(new_password.to_string(), h).await? {
            return Err(ApiError::invalid(
                "new_password",
                pingan_domain::password::PasswordError::Reused(policy.history).to_string(),
            ));
        }
    }
    Ok(())
}

/// Ends the credential the request came with: the session, or the API token (a machine client that
/// logs out is done with its token; it cannot be used again).
pub async fn logout(state: &AppState, actor: &Actor) -> ApiResult<()> {
    let mut tx = state.db.begin().await?;
    if let Some(h) = &actor.session_hash {
        sessions::delete(&mut tx, h).await?;
    }
    if let Some(id) = &actor.token_id {
        sessions::revoke_token(&mut tx, id, &actor.user_id).await?;
    }
    let detail = match &actor.token_id {
        Some(id) => serde_json::json!({ "token_id": id }).to_string(),
        None => "{}".to_string(),
    };
    let e = actor.audit_entry(
        "session.logout",
        "user",
        Some(&actor.user_id),
        AuditOutcome::Ok,
        &detail,
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

/// Percent-encodes a path for a `next=` parameter.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Only same-site relative paths are allowed as redirect targets (no `//host`, no scheme).
pub fn safe_next(next: &str) -> String {
    if next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.starts_with("/login")
    {
        next.to_string()
    } else {
        "/".to_string()
    }
}

#[cfg(test)]
mod url_tests {
    use super::*;

    #[test]
    fn redirects_stay_on_site() {
        assert_eq!(safe_next("/areas/330681109"), "/areas/330681109");
        assert_eq!(safe_next("//evil.example/x"), "/");
        assert_eq!(safe_next("https://evil.example/"), "/");
        assert_eq!(safe_next("/\\evil"), "/");
        assert_eq!(url_encode("/a b?c=1"), "/a%20b%3Fc%3D1");
    }
}
