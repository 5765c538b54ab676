//! Accounts managed by the security administrator (三员分立): create, change role/scope/disabled,
//! temporary passwords, second-factor resets, unlocks. Contact data is masked in every answer; the full
//! mobile number needs `PersonalDataReveal` and a stated purpose, and is audited. The API calls these.

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::rekey::{MOBILE, open_sealed};
use crate::state::AppState;
use pingan_domain::audit::AuditOutcome;
use pingan_domain::crypto::FieldCipher;
use pingan_domain::password::PasswordPolicy;
use pingan_domain::{Mobile, Permission, Role, ScopeGrant, mask};
use pingan_store::{now_micros, orgs, users};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct User {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub role_label: String,
    pub org_id: Option<String>,
    /// Masked (`138****5678`) unless revealed with a purpose.
    pub mobile: Option<String>,
    pub mobile_revealed: bool,
    /// Locked after too many failed logins, until this time (UTC µs).
    pub locked_until: Option<i64>,
    pub disabled: bool,
    /// Whether a TOTP second factor is in force.
    pub second_factor: bool,
}

pub fn to_api(cipher: &FieldCipher, u: users::UserRow, reveal: bool) -> ApiResult<User> {
    let role = u.role().unwrap_or(Role::Leader);
    let mobile = open_sealed(cipher, MOBILE, u.mobile_sealed.as_deref())
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("user {} mobile: {e}", u.id)))?;
    Ok(User {
        mobile_revealed: reveal && mobile.is_some(),
        mobile: mobile.map(|m| if reveal { m } else { mask::mask_phone(&m) }),
        locked_until: u.locked_until.filter(|&t| t > now_micros()),
        id: u.id,
        username: u.username,
        display_name: u.display_name,
        role,
        role_label: role.label_zh().into(),
        org_id: u.org_id,
        disabled: u.disabled,
        second_factor: u.totp_enabled_at.is_some(),
    })
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub org_id: String,
    pub mobile: Option<String>,
    /// Must meet the password policy (length, 3 of 4 character classes).
    pub password: String,
    /// Area/organisation subtrees the user may see.
    pub scope: Vec<ScopeGrant>,
}

/// 三员分立: the administrator roles are never given through the API (see `Role::assignable_online`).
fn check_assignable(role: Role) -> ApiResult<()> {
    if role.assignable_online() {
        return Ok(());
    }
    Err(ApiError::invalid(
        "role",
        "administrator accounts (admin, security_admin, auditor) are created on the server host with `pingan user add`",
    ))
}

/// Nobody grants more than they hold.
fn check_grants(actor: &Actor, grants: &[ScopeGrant]) -> ApiResult<()> {
    for (i, g) in grants.iter().enumerate() {
        if !pingan_domain::scope::is_valid_path(&g.path) {
            return Err(ApiError::invalid(
                &format!("scope[{i}].path"),
                "path must look like /330681/330681109/",
            ));
        }
        let held = match g.kind {
            pingan_domain::ScopeKind::Area => actor.scope.covers_area_path(&g.path),
            pingan_domain::ScopeKind::Org => actor.scope.covers_org_path(&g.path),
        };
        if !held {
            return Err(ApiError::invalid(
                &format!("scope[{i}].path"),
                "you can only grant parts of your own scope",
            ));
        }
    }
    Ok(())
}

/// The account another account's manager may change: in scope, not the caller's own, and not an
/// administrator account (those are managed on the server host).
async fn managed_account(state: &AppState, actor: &Actor, id: &str) -> ApiResult<users::UserRow> {
    actor.require(state, Permission::UserManage).await?;
    let u = users::get(&state.db, &actor.scope, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if u.id == actor.user_id {
        return Err(ApiError::Forbidden(
            "you cannot change your own account's role, scope, password or second factor here"
                .into(),
        ));
    }
    Ok(u)
}

fn refuse_administrative(u: &users::UserRow) -> ApiResult<()> {
    if u.role().is_some_and(Role::is_administrative) {
        return Err(ApiError::Forbidden(
            "administrator accounts are managed on the server host (`pingan user …`)".into(),
        ));
    }
    Ok(())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    /// A new role (not one of the administrator roles).
    pub role: Option<Role>,
    /// Disable or re-enable the account; disabling ends its sessions and revokes its API tokens.
    pub disabled: Option<bool>,
    /// Replaces the scope grants.
    pub scope: Option<Vec<ScopeGrant>>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordReset {
    /// A temporary password (meets the policy); its owner must change it at the next login.
    pub password: String,
}

/// Users of organisations in the caller's scope (contact data masked).
pub async fn list(state: &AppState, actor: &Actor) -> ApiResult<Vec<User>> {
    actor.require(state, Permission::UserRead).await?;
    users::list(&state.db, &actor.scope)
        .await?
        .into_iter()
        .map(|u| to_api(&state.cipher, u, false))
        .collect()
}

/// One user; `reveal` = `mobile` shows the full number for a stated `purpose`, audited.
pub async fn get(
    state: &AppState,
    actor: &Actor,
    id: &str,
    reveal: Option<&str>,
    purpose: Option<&str>,
) -> ApiResult<User> {
    actor.require(state, Permission::UserRead).await?;
    let u = users::get(&state.db, &actor.scope, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let reveal = match reveal {
        None => false,
        Some("mobile") => true,
        Some(_) => return Err(ApiError::invalid("reveal", "reveal must be `mobile`")),
    };
    if reveal {
        actor
            .reveal_personal(state, "user", &u.id, &["mobile"], purpose)
            .await?;
    }
    to_api(&state.cipher, u, reveal)
}

/// Creates an account (never an administrator role).
pub async fn create(state: &AppState, actor: &Actor, req: NewUser) -> ApiResult<User> {
    actor.require(state, Permission::UserManage).await?;
    check_assignable(req.role)?;
    let policy: PasswordPolicy = state.config.auth.password_policy();
    policy
        .check(&req.username, &req.password)
        .map_err(|e| ApiError::invalid("password", e.to_string()))?;
    if req.display_name.trim().is_empty() || req.display_name.chars().count() > 50 {
        return Err(ApiError::invalid(
            "display_name",
            "display_name must be 1–50 characters",
        ));
    }
    let mobile = match &req.mobile {
        None => None,
        Some(m) => Some(
            Mobile::parse(m)
                .map_err(|e| ApiError::invalid("mobile", e.to_string()))?
                .as_str()
                .to_string(),
        ),
    };
    orgs::get(&state.db, &actor.scope, &req.org_id)
        .await?
        .ok_or_else(|| ApiError::invalid("org_id", "no such organisation in your scope"))?;
    check_grants(actor, &req.scope)?;
    let hash = state.hashing.hash(req.password.clone()).await??;
    let mut tx = state.db.begin().await?;
    let id = users::insert(
        &mut tx,
        &users::NewUser {
            username: req.username.clone(),
            display_name: req.display_name.trim().into(),
            role: req.role,
            org_id: Some(req.org_id.clone()),
            mobile_sealed: mobile.map(|m| state.cipher.seal(MOBILE, &m)),
            password_hash: hash,
            grants: req.scope.clone(),
        },
    )
    .await
    .map_err(|e| match e {
        pingan_store::StoreError::Invalid(m) => ApiError::invalid("username", m),
        other => other.into(),
    })?;
    let detail = serde_json::json!({"username": users::normalise_username(&req.username), "role": req.role.code(), "scope": req.scope});
    let e = actor.audit_entry(
        "user.create",
        "user",
        Some(&id),
        AuditOutcome::Ok,
        &detail.to_string(),
    );
    tx.commit_audited(vec![e]).await?;
    let row = users::by_id(&state.db, &id)
        .await?
        .ok_or(ApiError::NotFound)?;
    to_api(&state.cipher, row, false)
}

/// Changes another account's role, scope or disabled flag.
pub async fn update(state: &AppState, actor: &Actor, id: &str, req: UserChange) -> ApiResult<User> {
    let u = managed_account(state, actor, id).await?;
    refuse_administrative(&u)?;
    if let Some(r) = req.role {
        check_assignable(r)?;
    }
    if let Some(g) = &req.scope {
        check_grants(actor, g)?;
    }
    let mut tx = state.db.begin().await?;
    users::update(&mut tx, &u.id, req.role, req.disabled, req.scope.as_deref()).await?;
    // Whatever changed, the account's sessions start over under the new rules; a disabled account's
    // tokens are revoked for good (re-enabling it does not bring them back).
    pingan_store::sessions::delete_for_user(&mut tx, &u.id, None).await?;
    if req.disabled == Some(true) {
        pingan_store::sessions::revoke_tokens_for_user(&mut tx, &u.id).await?;
    }
    let detail = serde_json::json!({"role": req.role.map(Role::code), "disabled": req.disabled, "scope": req.scope});
    let e = actor.audit_entry(
        "user.update",
        "user",
        Some(&u.id),
        AuditOutcome::Ok,
        &detail.to_string(),
    );
    tx.commit_audited(vec![e]).await?;
    let row = users::by_id(&state.db, &u.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    to_api(&state.cipher, row, false)
}

/// Sets a temporary password the owner must change first; ends sessions and revokes tokens.
pub async fn reset_password(
    state: &AppState,
    actor: &Actor,
    id: &str,
    req: PasswordReset,
) -> ApiResult<()> {
    let u = managed_account(state, actor, id).await?;
    refuse_administrative(&u)?;
    let policy = state.config.auth.password_policy();
    policy
        .check(&u.username, &req.password)
        .map_err(|e| ApiError::invalid("password", e.to_string()))?;
    let hash = state.hashing.hash(req.password.clone()).await??;
    let mut tx = state.db.begin().await?;
    // changed_at 0: the owner must change it first.
    users::set_password_hash(&mut tx, &u.id, &hash, 0, policy.history).await?;
    users::clear_failed_logins(&mut tx, &u.id).await?;
    // A reset answers a lost or leaked password: whatever was signed in with it ends, tokens included.
    pingan_store::sessions::delete_for_user(&mut tx, &u.id, None).await?;
    pingan_store::sessions::revoke_tokens_for_user(&mut tx, &u.id).await?;
    let e = actor.audit_entry(
        "user.password_reset",
        "user",
        Some(&u.id),
        AuditOutcome::Ok,
        "{}",
    );
    tx.commit_audited(vec![e]).await?;
    Ok(())
}

/// Removes another account's second factor.
pub async fn reset_totp(state: &AppState, actor: &Actor, id: &str) -> ApiResult<()> {
    let u = managed_account(state, actor, id).await?;
    let mut tx = state.db.begin().await?;
    users::clear_totp(&mut tx, &u.id).await?;
    pingan_store::sessions::delete_for_user(&mut tx, &u.id, None).await?;
    let e = actor.audit_entry(
        "user.totp_reset",
        "user",
        Some(&u.id),
        AuditOutcome::Ok,
        "{}",
    );
    tx.commit_audited(vec![e]).await?;
    Ok(())
}

/// Lifts a lockout.
pub async fn unlock(state: &AppState, actor: &Actor, id: &str) -> ApiResult<()> {
    actor.require(state, Permission::UserManage).await?;
    let u = users::get(&state.db, &actor.scope, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut tx = state.db.begin().await?;
    users::clear_failed_logins(&mut tx, &u.id).await?;
    let e = actor.audit_entry("user.unlock", "user", Some(&u.id), AuditOutcome::Ok, "{}");
    tx.commit_audited(vec![e]).await?;
    Ok(())
}
