//! Login sessions and API tokens. Only hashes of the secrets are stored (SM3 of the token), so a copy of
//! the database cannot be replayed as a login.

use crate::db::{Db, Tx};
use crate::{Result, args, new_id, now_micros};
use sm3::{Digest, Sm3};

pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sm3::digest(secret.as_bytes()))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id_hash: String,
    pub user_id: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    /// `full`, or what the owner must do first: `password_change`, `totp_enrol`.
    pub stage: String,
}

pub async fn create(
    tx: &mut Tx,
    token: &str,
    user_id: &str,
    expires_at: i64,
    ip: Option<&str>,
    user_agent: Option<&str>,
    stage: &str,
) -> Result<()> {
    let now = now_micros();
    tx.execute(
        "INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at, ip, user_agent, stage) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        args![hash_secret(token), user_id, now, now, expires_at, ip, user_agent, stage],
    )
    .await?;
    Ok(())
}

pub async fn get(db: &Db, token: &str) -> Result<Option<SessionRow>> {
    db.fetch_optional(
        "SELECT id_hash, user_id, created_at, last_seen_at, expires_at, stage FROM sessions WHERE id_hash = ?",
        args![hash_secret(token)],
    )
    .await
}

pub async fn touch(db: &Db, id_hash: &str, now: i64) -> Result<()> {
    db.execute(
        "UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?",
        args![now, id_hash],
    )
    .await?;
    Ok(())
}

pub async fn set_stage(tx: &mut Tx, id_hash: &str, stage: &str) -> Result<()> {
    tx.execute(
        "UPDATE sessions SET stage = ? WHERE id_hash = ?",
        args![stage, id_hash],
    )
    .await?;
    Ok(())
}

/// Ends every session of the account except `keep` (after a password change or a reset).
pub async fn delete_for_user(tx: &mut Tx, user_id: &str, keep: Option<&str>) -> Result<u64> {
    tx.execute(
        "DELETE FROM sessions WHERE user_id = ? AND id_hash <> ?",
        args![user_id, keep.unwrap_or("")],
    )
    .await
}

pub async fn delete(tx: &mut Tx, id_hash: &str) -> Result<u64> {
    tx.execute("DELETE FROM sessions WHERE id_hash = ?", args![id_hash])
        .await
}

/// Removes sessions past their absolute expiry or idle too long.
pub async fn purge_expired(db: &Db, now: i64, idle_micros: i64) -> Result<u64> {
    db.execute(
        "DELETE FROM sessions WHERE expires_at < ? OR last_seen_at < ?",
        args![now, now - idle_micros],
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiTokenRow {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl ApiTokenRow {
    /// Usable at `now`: neither revoked nor past its expiry.
    pub fn is_active(&self, now: i64) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| e >= now)
    }
}

const TOKEN_COLS: &str = "id, user_id, name, created_at, last_used_at, expires_at, revoked_at";

pub async fn create_token(
    tx: &mut Tx,
    user_id: &str,
    name: &str,
    token: &str,
    expires_at: Option<i64>,
) -> Result<String> {
    let id = new_id();
    tx.execute(
        "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
        args![id.clone(), user_id, name, hash_secret(token), now_micros(), expires_at],
    )
    .await?;
    Ok(id)
}

pub async fn token(db: &Db, token: &str) -> Result<Option<ApiTokenRow>> {
    db.fetch_optional(
        &format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE token_hash = ?"),
        args![hash_secret(token)],
    )
    .await
}

/// The account's tokens, newest first (revoked and expired ones included: the owner sees the history).
pub async fn tokens_of(db: &Db, user_id: &str) -> Result<Vec<ApiTokenRow>> {
    db.fetch_all(
        &format!(
            "SELECT {TOKEN_COLS} FROM api_tokens WHERE user_id = ? ORDER BY created_at DESC, id"
        ),
        args![user_id],
    )
    .await
}

/// Records a token's use (callers throttle this to once a minute per token).
pub async fn touch_token(db: &Db, id: &str, now: i64) -> Result<()> {
    db.execute(
        "UPDATE api_tokens SET last_used_at = ? WHERE id = ?",
        args![now, id],
    )
    .await?;
    Ok(())
}

/// Revokes every live token of the account (an administrator's password reset, a disabled account).
pub async fn revoke_tokens_for_user(tx: &mut Tx, user_id: &str) -> Result<u64> {
    tx.execute(
        "UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
        args![now_micros(), user_id],
    )
    .await
}

pub async fn revoke_token(tx: &mut Tx, id: &str, user_id: &str) -> Result<u64> {
    tx.execute(
        "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL",
        args![now_micros(), id, user_id],
    )
    .await
}
