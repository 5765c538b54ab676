//! Accounts. Contact data is masked in every response; the full value needs `PersonalDataReveal`, a
//! stated purpose, and leaves an audit record naming both.

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiPath as Path;
use crate::extract::{ApiJson, ApiQuery};
use crate::rekey::{MOBILE, open_sealed};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pingan_domain::audit::AuditOutcome;
use pingan_domain::crypto::FieldCipher;
use pingan_domain::password::PasswordPolicy;
use pingan_domain::{Mobile, Permission, Role, ScopeGrant, mask};
use pingan_store::{now_micros, orgs, users};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
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

fn to_api(cipher: &FieldCipher, u: users::UserRow, reveal: bool) -> ApiResult<User> {
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

/// Users of organisations in the caller's scope (contact data masked).
#[utoipa::path(get, path = "/api/v1/users", tag = "users", responses((status = 200, description = "OK", body = Vec<User>), (status = 403, description = "Your role may not do this", body = ErrorBody)))]
async fn list_users(State(state): State<AppState>, actor: Actor) -> ApiResult<Json<Vec<User>>> {
    actor.require(&state, Permission::UserRead).await?;
    Ok(Json(
        users::list(&state.db, &actor.scope)
            .await?
            .into_iter()
            .map(|u| to_api(&state.cipher, u, false))
            .collect::<ApiResult<_>>()?,
    ))
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
    actor.require(&state, Permission::UserRead).await?;
    let u = users::get(&state.db, &actor.scope, &id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let reveal = match q.reveal.as_deref() {
        None => false,
        Some("mobile") => true,
        Some(_) => return Err(ApiError::invalid("reveal", "reveal must be `mobile`")),
    };
    if reveal {
        actor
            .reveal_personal(&state, "user", &u.id, &["mobile"], q.purpose.as_deref())
            .await?;
    }
    Ok(Json(to_api(&state.cipher, u, reveal)?))
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

/// Create an account (security administrator).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUser,
    responses((status = 201, description = "Created", body = User), (status = 400, description = "Malformed request (bad JSON, wrong type, unknown field)", body = ErrorBody), (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 409, description = "Already exists", body = ErrorBody), (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn create_user(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(req): ApiJson<NewUser>,
) -> ApiResult<(StatusCode, Json<User>)> {
    actor.require(&state, Permission::UserManage).await?;
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
    check_grants(&actor, &req.scope)?;
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
    Ok((
        StatusCode::CREATED,
        Json(to_api(&state.cipher, row, false)?),
    ))
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
    let u = managed_account(&state, &actor, &id).await?;
    refuse_administrative(&u)?;
    if let Some(r) = req.role {
        check_assignable(r)?;
    }
    if let Some(g) = &req.scope {
        check_grants(&actor, g)?;
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
    Ok(Json(to_api(&state.cipher, row, false)?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordReset {
    /// A temporary password (meets the policy); its owner must change it at the next login.
    pub password: String,
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
    let u = managed_account(&state, &actor, &id).await?;
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
    let u = managed_account(&state, &actor, &id).await?;
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
    actor.require(&state, Permission::UserManage).await?;
    let u = users::get(&state.db, &actor.scope, &id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut tx = state.db.begin().await?;
    users::clear_failed_logins(&mut tx, &u.id).await?;
    let e = actor.audit_entry("user.unlock", "user", Some(&u.id), AuditOutcome::Ok, "{}");
    tx.commit_audited(vec![e]).await?;
    Ok(StatusCode::NO_CONTENT)
}
