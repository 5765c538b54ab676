//! One's own account: changing the password (history and expiry rules), enrolling the TOTP second
//! factor, and one's API tokens. The API (`/api/v1/session/…`, `/api/v1/tokens`) and the account page
//! both call these, so the rules live once.

use crate::auth::{self, Actor, SessionStage, TOTP_COLUMN};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use pingan_domain::audit::AuditOutcome;
use pingan_domain::totp::TotpSecret;
use pingan_store::{sessions, users};

/// Changes the caller's password; ends their other sessions; returns the session's stage afterwards.
pub async fn change_password(
    state: &AppState,
    actor: &Actor,
    current: &str,
    new: &str,
) -> ApiResult<SessionStage> {
    let u = users::by_id(&state.db, &actor.user_id)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    if !auth::check_own_password(state, actor, &u, current).await? {
        return Err(ApiError::invalid(
            "current_password",
            "the current password is wrong",
        ));
    }
    let policy = state.config.auth.password_policy();
    policy
        .check(&u.username, new)
        .map_err(|e| ApiError::invalid("new_password", e.to_string()))?;
    auth::check_history(state, &u, new).await?;
    let hash = state.hashing.hash(new.to_string()).await??;
    let mut tx = state.db.begin().await?;
    users::set_password_hash(&mut tx, &u.id, &hash, state.now(), policy.history).await?;
    sessions::delete_for_user(&mut tx, &u.id, actor.session_hash.as_deref()).await?;
    settle(state, tx, actor, "user.password_change").await
}

/// Starts (or restarts) enrolment: a new secret, stored sealed, pending until a code confirms it.
pub async fn begin_totp(state: &AppState, actor: &Actor) -> ApiResult<TotpSecret> {
    if actor.stage == SessionStage::PasswordChange {
        return Err(ApiError::Forbidden(
            "change your expired password first".into(),
        ));
    }
    let u = users::by_id(&state.db, &actor.user_id)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    if u.totp_enabled_at.is_some() {
        return Err(ApiError::Conflict(
            "a second factor is already in force; a security administrator can reset it".into(),
        ));
    }
    let secret = TotpSecret::generate();
    let mut tx = state.db.begin().await?;
    users::set_totp_pending(
        &mut tx,
        &u.id,
        &state.cipher.seal(TOTP_COLUMN, &secret.to_base32()),
    )
    .await?;
    let e = actor.audit_entry(
        "user.totp_begin",
        "user",
        Some(&u.id),
        AuditOutcome::Ok,
        "{}",
    );
    tx.commit_audited(vec![e]).await?;
    Ok(secret)
}

/// The secret of an enrolment in progress, to show its owner again (none once in force).
pub fn pending_totp(state: &AppState, u: &users::UserRow) -> ApiResult<Option<TotpSecret>> {
    let (Some(sealed), None) = (&u.totp_sealed, u.totp_enabled_at) else {
        return Ok(None);
    };
    let b32 = state
        .cipher
        .open(TOTP_COLUMN, sealed)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("opening the TOTP secret: {e}")))?;
    Ok(TotpSecret::from_base32(&b32).ok())
}

/// Confirms enrolment with a current code; returns the session's stage afterwards.
pub async fn confirm_totp(state: &AppState, actor: &Actor, code: &str) -> ApiResult<SessionStage> {
    let u = users::by_id(&state.db, &actor.user_id)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    if u.totp_sealed.is_none() || u.totp_enabled_at.is_some() {
        return Err(ApiError::Conflict(
            "start an enrolment first (POST /api/v1/session/totp)".into(),
        ));
    }
    let mut tx = state.db.begin().await?;
    if let Err(e) = auth::check_totp(state, &mut tx, &u, code).await? {
        return Err(ApiError::invalid("code", e.to_string()));
    }
    settle(state, tx, actor, "user.totp_enable").await
}

/// After a change to one's own account: the session's stage as the account now stands (read inside
/// the transaction, so it sees the change), recorded on the session, audited, committed.
async fn settle(
    state: &AppState,
    mut tx: pingan_store::Tx,
    actor: &Actor,
    action: &str,
) -> ApiResult<SessionStage> {
    let now = users::by_id_tx(&mut tx, &actor.user_id)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    let stage = SessionStage::of(&now, state, state.now());
    if let Some(h) = &actor.session_hash {
        sessions::set_stage(&mut tx, h, stage.code()).await?;
    }
    let e = actor.audit_entry(action, "user", Some(&actor.user_id), AuditOutcome::Ok, "{}");
    tx.commit_audited(vec![e]).await?;
    Ok(stage)
}

pub fn otpauth_uri(secret: &TotpSecret, username: &str) -> String {
    secret.otpauth_uri("Pingan 平安", username)
}

/// A token just created: the secret is shown this once (only its hash is stored).
pub struct NewApiToken {
    pub id: String,
    pub token: String,
    pub expires_at: i64,
}

/// Creates an API token acting as the caller. Only from a signed-in session: a token cannot mint
/// further tokens, so revoking one is the end of what it could do.
pub async fn create_token(
    state: &AppState,
    actor: &Actor,
    name: &str,
    days: Option<i64>,
) -> ApiResult<NewApiToken> {
    if actor.token_id.is_some() {
        return Err(ApiError::Other {
            status: axum::http::StatusCode::FORBIDDEN,
            code: "session_required",
            message: "API tokens are created from a signed-in session, not with another token"
                .into(),
        });
    }
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::invalid("name", "name must be 1–100 characters"));
    }
    let days = days.unwrap_or(365);
    if !(1..=3650).contains(&days) {
        return Err(ApiError::invalid("days", "days must be between 1 and 3650"));
    }
    let token = format!("pat_{}", auth::new_secret());
    let expires_at = pingan_store::now_micros() + days * 86_400_000_000;
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
    Ok(NewApiToken {
        id,
        token,
        expires_at,
    })
}

/// Revokes one of the caller's live tokens; 404 for anyone else's, an unknown or a revoked one.
pub async fn revoke_token(state: &AppState, actor: &Actor, id: &str) -> ApiResult<()> {
    let mut tx = state.db.begin().await?;
    if sessions::revoke_token(&mut tx, id, &actor.user_id).await? == 0 {
        return Err(ApiError::NotFound);
    }
    let e = actor.audit_entry(
        "token.revoke",
        "api_token",
        Some(id),
        AuditOutcome::Ok,
        "{}",
    );
    tx.commit_audited(vec![e]).await?;
    Ok(())
}
