//! Accounts, their roles and their scope grants, and the failed-login counter behind the lockout.
//! Password hashes arrive already computed (argon2id in the server); this module never sees a password.

use crate::db::{Db, Tx, Value};
use crate::{Result, StoreError, args, new_id, now_micros, scope};
use pingan_domain::{Role, Scope, ScopeGrant, ScopeKind};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub org_id: Option<String>,
    /// Sealed (SM4-GCM) by the server; the plain column stays empty.
    pub mobile_sealed: Option<String>,
    pub password_hash: String,
    pub failed_logins: i64,
    pub locked_until: Option<i64>,
    pub disabled: bool,
    pub password_changed_at: i64,
    pub created_at: i64,
    /// The TOTP secret, sealed (column `users.totp`); set at enrolment, in use once `totp_enabled_at` is.
    pub totp_sealed: Option<String>,
    pub totp_enabled_at: Option<i64>,
    pub totp_last_step: Option<i64>,
}

impl UserRow {
    pub fn role(&self) -> Option<Role> {
        self.role.parse().ok()
    }
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub org_id: Option<String>,
    /// Sealed (SM4-GCM) by the server; the plain column stays empty.
    pub mobile_sealed: Option<String>,
    pub password_hash: String,
    pub grants: Vec<ScopeGrant>,
}

const COLS: &str = "u.id, u.username, u.display_name, u.role, u.org_id, u.mobile_sealed, u.password_hash, u.failed_logins, u.locked_until, u.disabled, u.password_changed_at, u.created_at, u.totp_sealed, u.totp_enabled_at, u.totp_last_step";

/// Usernames are matched case-insensitively: stored lower-cased.
pub fn normalise_username(s: &str) -> String {
    s.trim().to_lowercase()
}

pub async fn insert(tx: &mut Tx, u: &NewUser) -> Result<String> {
    let username = normalise_username(&u.username);
    if username.is_empty()
        || username.len() > 64
        || !username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        return Err(StoreError::Invalid(format!(
            "username `{}` must be 1–64 of a-z 0-9 . _ -",
            u.username
        )));
    }
    let id = new_id();
    let now = now_micros();
    tx.execute(
        "INSERT INTO users (id, username, display_name, role, org_id, mobile_sealed, password_hash, failed_logins, disabled, password_changed_at, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)",
        args![
            id.clone(),
            username,
            u.display_name.clone(),
            u.role.code(),
            u.org_id.clone(),
            u.mobile_sealed.clone(),
            u.password_hash.clone(),
            false,
            now,
            now,
            now
        ],
    )
    .await?;
    for g in &u.grants {
        if !pingan_domain::scope::is_valid_path(&g.path) {
            return Err(StoreError::Invalid(format!(
                "scope path `{}` is malformed",
                g.path
            )));
        }
        tx.execute(
            "INSERT INTO user_scopes (user_id, kind, path) VALUES (?, ?, ?)",
            args![id.clone(), g.kind.code(), g.path.clone()],
        )
        .await?;
    }
    Ok(id)
}

pub async fn by_username(db: &Db, username: &str) -> Result<Option<UserRow>> {
    db.fetch_optional(
        &format!("SELECT {COLS} FROM users u WHERE u.username = ?"),
        args![normalise_username(username)],
    )
    .await
}

pub async fn by_id(db: &Db, id: &str) -> Result<Option<UserRow>> {
    db.fetch_optional(
        &format!("SELECT {COLS} FROM users u WHERE u.id = ?"),
        args![id],
    )
    .await
}

/// The account as the transaction sees it (after its own writes).
pub async fn by_id_tx(tx: &mut Tx, id: &str) -> Result<Option<UserRow>> {
    tx.fetch_optional(
        &format!("SELECT {COLS} FROM users u WHERE u.id = ?"),
        args![id],
    )
    .await
}

#[derive(sqlx::FromRow)]
struct UserScopeRow {
    #[sqlx(flatten)]
    user: UserRow,
    scope_kind: Option<String>,
    scope_path: Option<String>,
}

/// The account and its scope in one query (every authenticated request needs both).
pub async fn with_scope(db: &Db, id: &str) -> Result<Option<(UserRow, Scope)>> {
    let rows: Vec<UserScopeRow> = db
        .fetch_all(
            &format!(
                "SELECT {COLS}, s.kind AS scope_kind, s.path AS scope_path FROM users u \
                 LEFT JOIN user_scopes s ON s.user_id = u.id WHERE u.id = ? ORDER BY s.kind, s.path"
            ),
            args![id],
        )
        .await?;
    let grants = rows
        .iter()
        .filter_map(|r| {
            let kind = ScopeKind::parse(r.scope_kind.as_deref()?)?;
            Some(ScopeGrant {
                kind,
                path: r.scope_path.clone()?,
            })
        })
        .collect();
    Ok(rows
        .into_iter()
        .next()
        .map(|r| (r.user, Scope::new(grants))))
}

pub async fn scope_of(db: &Db, user_id: &str) -> Result<Scope> {
    let rows: Vec<(String, String)> = db
        .fetch_all(
            "SELECT kind, path FROM user_scopes WHERE user_id = ? ORDER BY kind, path",
            args![user_id],
        )
        .await?;
    Ok(Scope::new(
        rows.into_iter()
            .filter_map(|(k, path)| ScopeKind::parse(&k).map(|kind| ScopeGrant { kind, path }))
            .collect(),
    ))
}

/// Users whose organisation lies in the caller's scope (by org subtree or the area it serves).
pub async fn list(db: &Db, scope: &Scope) -> Result<Vec<UserRow>> {
    let (pred, a) = scope::predicate(scope, Some("o.area_path"), Some("o.path"));
    db.fetch_all(
        &format!("SELECT {COLS} FROM users u JOIN orgs o ON o.id = u.org_id WHERE {pred} ORDER BY u.username"),
        a,
    )
    .await
}

pub async fn get(db: &Db, scope: &Scope, id: &str) -> Result<Option<UserRow>> {
    let (pred, mut a) = scope::predicate(scope, Some("o.area_path"), Some("o.path"));
    let mut all = args![id];
    all.append(&mut a);
    db.fetch_optional(
        &format!(
            "SELECT {COLS} FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.id = ? AND {pred}"
        ),
        all,
    )
    .await
}

/// What a login attempt's reservation found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// The attempt holds a place in the failure count; finish it with [`finish_failed_login`],
    /// [`finish_good_login`] or [`release_login`].
    Granted,
    /// The account is locked until then.
    Locked(i64),
    /// Failures so far plus attempts being checked reach the limit: no more checks until they end.
    Busy,
}

/// An attempt's place is held this long at most (a server killed mid-check frees it then).
pub const LOGIN_HOLD_MICROS: i64 = 120_000_000;

/// Reserves a place for one password check, atomically with reading the lock: one conditional
/// UPDATE (a row lock on PostgreSQL, the one writer on SQLite), so parallel attempts on any number of
/// servers never check more passwords than `max_failures` allows between two locks.
pub async fn reserve_login(
    tx: &mut Tx,
    user_id: &str,
    max_failures: i64,
    now: i64,
) -> Result<Reservation> {
    let granted: Option<(i64,)> = tx
        .fetch_optional(
            "UPDATE users SET
                login_pending = (CASE WHEN login_pending_until > ? THEN login_pending ELSE 0 END) + 1,
                login_pending_until = ?
             WHERE id = ? AND (locked_until IS NULL OR locked_until <= ?)
               AND failed_logins + (CASE WHEN login_pending_until > ? THEN login_pending ELSE 0 END) < ?
             RETURNING login_pending",
            args![now, now + LOGIN_HOLD_MICROS, user_id, now, now, max_failures],
        )
        .await?;
    if granted.is_some() {
        return Ok(Reservation::Granted);
    }
    let (locked_until,): (Option<i64>,) = tx
        .fetch_one(
            "SELECT locked_until FROM users WHERE id = ?",
            args![user_id],
        )
        .await?;
    Ok(match locked_until.filter(|&t| t > now) {
        Some(until) => Reservation::Locked(until),
        None => Reservation::Busy,
    })
}

/// Ends a reserved attempt that checked nothing (the second factor was still to be entered, or the
/// server was too busy to check): it counts neither way.
pub async fn release_login(tx: &mut Tx, user_id: &str) -> Result<()> {
    tx.execute(
        "UPDATE users SET login_pending = CASE WHEN login_pending > 0 THEN login_pending - 1 ELSE 0 END WHERE id = ?",
        args![user_id],
    )
    .await?;
    Ok(())
}

/// Ends a reserved attempt as a failure; the one that reaches `max_failures` locks the account until
/// `now + lock_micros`. A failure finishing while a concurrent one already locked the account adds
/// nothing (the lock stands; the count starts afresh after it).
/// Returns (failures so far, locked_until if this failure locked it).
pub async fn finish_failed_login(
    tx: &mut Tx,
    user_id: &str,
    max_failures: i64,
    lock_micros: i64,
    now: i64,
) -> Result<(i64, Option<i64>)> {
    let (n, locked_until): (i64, Option<i64>) = tx
        .fetch_one(
            "UPDATE users SET
                login_pending = CASE WHEN login_pending > 0 THEN login_pending - 1 ELSE 0 END,
                failed_logins = CASE WHEN locked_until > ? THEN 0 ELSE failed_logins + 1 END,
                updated_at = ?
             WHERE id = ? RETURNING failed_logins, locked_until",
            args![now, now, user_id],
        )
        .await?;
    if n >= max_failures && locked_until.is_none_or(|t| t <= now) {
        let until = now + lock_micros;
        tx.execute(
            "UPDATE users SET locked_until = ?, failed_logins = 0 WHERE id = ?",
            args![until, user_id],
        )
        .await?;
        return Ok((n, Some(until)));
    }
    Ok((n, None))
}

/// Ends a reserved attempt whose password (and code) were right. A lock set meanwhile by a concurrent
/// failure stands and is returned: the login is refused. Otherwise the failure count starts afresh,
/// unless other attempts are still being checked (their places stay counted).
pub async fn finish_good_login(tx: &mut Tx, user_id: &str, now: i64) -> Result<Option<i64>> {
    let (locked_until,): (Option<i64>,) = tx
        .fetch_one(
            "UPDATE users SET
                login_pending = CASE WHEN login_pending > 0 THEN login_pending - 1 ELSE 0 END,
                failed_logins = CASE WHEN login_pending <= 1 AND (locked_until IS NULL OR locked_until <= ?)
                                     THEN 0 ELSE failed_logins END
             WHERE id = ? RETURNING locked_until",
            args![now, user_id],
        )
        .await?;
    Ok(locked_until.filter(|&t| t > now))
}

pub async fn clear_failed_logins(tx: &mut Tx, user_id: &str) -> Result<()> {
    tx.execute(
        "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ? AND (failed_logins <> 0 OR locked_until IS NOT NULL)",
        args![user_id],
    )
    .await?;
    Ok(())
}

/// Replaces the password hash, keeping the old one in the history (the newest `keep` are kept).
/// `changed_at` 0 marks a password set by an administrator, which its owner must change first.
pub async fn set_password_hash(
    tx: &mut Tx,
    user_id: &str,
    hash: &str,
    changed_at: i64,
    keep: usize,
) -> Result<()> {
    let now = now_micros();
    let n = tx
        .execute(
            "INSERT INTO password_history (user_id, password_hash, replaced_at) \
             SELECT id, password_hash, ? FROM users WHERE id = ?",
            args![now, user_id],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    tx.execute(
        "UPDATE users SET password_hash = ?, password_changed_at = ?, updated_at = ? WHERE id = ?",
        args![hash, changed_at, now, user_id],
    )
    .await?;
    tx.execute(
        "DELETE FROM password_history WHERE user_id = ? AND replaced_at NOT IN \
         (SELECT replaced_at FROM password_history WHERE user_id = ? ORDER BY replaced_at DESC LIMIT ?)",
        args![user_id, user_id, keep as i64],
    )
    .await?;
    Ok(())
}

/// The hashes of the account's earlier passwords, newest first.
pub async fn password_history(db: &Db, user_id: &str, n: usize) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = db
        .fetch_all(
            "SELECT password_hash FROM password_history WHERE user_id = ? ORDER BY replaced_at DESC LIMIT ?",
            args![user_id, n as i64],
        )
        .await?;
    Ok(rows.into_iter().map(|(h,)| h).collect())
}

/// Stores a freshly generated TOTP secret, not yet in use (enrolment starts; a second start replaces it).
pub async fn set_totp_pending(tx: &mut Tx, user_id: &str, sealed: &str) -> Result<()> {
    tx.execute(
        "UPDATE users SET totp_sealed = ?, totp_enabled_at = NULL, totp_last_step = NULL, updated_at = ? WHERE id = ?",
        args![sealed, now_micros(), user_id],
    )
    .await?;
    Ok(())
}

/// Records that a code of time step `step` was used, and turns the factor on if enrolment was pending.
/// False when a code of this or a later step was used already (a replay, or two logins racing with
/// one code): the conditional update makes the check and the record one step.
pub async fn use_totp_step(tx: &mut Tx, user_id: &str, step: i64, now: i64) -> Result<bool> {
    let n = tx
        .execute(
            "UPDATE users SET totp_last_step = ?, totp_enabled_at = COALESCE(totp_enabled_at, ?) \
             WHERE id = ? AND totp_sealed IS NOT NULL AND (totp_last_step IS NULL OR totp_last_step < ?)",
            args![step, now, user_id, step],
        )
        .await?;
    Ok(n == 1)
}

/// Removes the second factor (a security administrator's reset, e.g. a lost phone).
pub async fn clear_totp(tx: &mut Tx, user_id: &str) -> Result<()> {
    tx.execute(
        "UPDATE users SET totp_sealed = NULL, totp_enabled_at = NULL, totp_last_step = NULL, updated_at = ? WHERE id = ?",
        args![now_micros(), user_id],
    )
    .await?;
    Ok(())
}

/// Changes an account's role, disabled flag and (when given) its scope grants.
pub async fn update(
    tx: &mut Tx,
    user_id: &str,
    role: Option<Role>,
    disabled: Option<bool>,
    grants: Option<&[ScopeGrant]>,
) -> Result<()> {
    let now = now_micros();
    if let Some(r) = role {
        tx.execute(
            "UPDATE users SET role = ?, updated_at = ? WHERE id = ?",
            args![r.code(), now, user_id],
        )
        .await?;
    }
    if let Some(d) = disabled {
        tx.execute(
            "UPDATE users SET disabled = ?, updated_at = ? WHERE id = ?",
            args![d, now, user_id],
        )
        .await?;
    }
    if let Some(grants) = grants {
        tx.execute("DELETE FROM user_scopes WHERE user_id = ?", args![user_id])
            .await?;
        for g in grants {
            tx.execute(
                "INSERT INTO user_scopes (user_id, kind, path) VALUES (?, ?, ?)",
                args![user_id, g.kind.code(), g.path.clone()],
            )
            .await?;
        }
    }
    Ok(())
}

pub async fn count(db: &Db) -> Result<i64> {
    let (n,): (i64,) = db.fetch_one("SELECT COUNT(*) FROM users", args![]).await?;
    Ok(n)
}

/// Display names by username, for timelines that recorded the username (people are shown by name).
pub async fn display_names(
    db: &Db,
    usernames: &[String],
) -> Result<std::collections::HashMap<String, String>> {
    if usernames.is_empty() {
        return Ok(Default::default());
    }
    let marks = vec!["?"; usernames.len()].join(", ");
    let rows: Vec<(String, String)> = db
        .fetch_all(
            &format!("SELECT username, display_name FROM users WHERE username IN ({marks})"),
            usernames.iter().map(|u| Value::from(u.as_str())).collect(),
        )
        .await?;
    Ok(rows.into_iter().collect())
}
