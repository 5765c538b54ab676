//! Accounts. Contact data is masked in every response; the full value needs `PersonalDataReveal`, a
//! stated purpose, and leaves an audit record naming both.

use crate::auth::{self, Actor};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use pingan_domain::audit::AuditOutcome;
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
        .routes(routes!(get_user))
        .routes(routes!(unlock_user))
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
}

fn to_api(u: users::UserRow, reveal: bool) -> User {
    let role = u.role().unwrap_or(Role::Leader);
    User {
        mobile: u.mobile.as_deref().map(|m| {
            if reveal {
                m.to_string()
            } else {
                mask::mask_phone(m)
            }
        }),
        mobile_revealed: reveal && u.mobile.is_some(),
        locked_until: u.locked_until.filter(|&t| t > now_micros()),
        id: u.id,
        username: u.username,
        display_name: u.display_name,
        role,
        role_label: role.label_zh().into(),
        org_id: u.org_id,
        disabled: u.disabled,
    }
}

/// Users of organisations in the caller's scope (contact data masked).
#[utoipa::path(get, path = "/api/v1/users", tag = "users", responses((status = 200, description = "OK", body = Vec<User>), (status = 403, description = "Your role may not do this", body = ErrorBody)))]
async fn list_users(State(state): State<AppState>, actor: Actor) -> ApiResult<Json<Vec<User>>> {
    actor.require(&state, Permission::UserRead).await?;
    Ok(Json(
        users::list(&state.db, &actor.scope)
            .await?
            .into_iter()
            .map(|u| to_api(u, false))
            .collect(),
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
    Ok(Json(to_api(u, reveal)))
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
    let policy = PasswordPolicy {
        min_length: state.config.auth.password_min_length,
    };
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
    for (i, g) in req.scope.iter().enumerate() {
        if !pingan_domain::scope::is_valid_path(&g.path) {
            return Err(ApiError::invalid(
                &format!("scope[{i}].path"),
                "path must look like /330681/330681109/",
            ));
        }
        // Nobody grants more than they hold.
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
    let hash = auth::hash_password(req.password.clone()).await?;
    let mut tx = state.db.begin().await?;
    let id = users::insert(
        &mut tx,
        &users::NewUser {
            username: req.username.clone(),
            display_name: req.display_name.trim().into(),
            role: req.role,
            org_id: Some(req.org_id.clone()),
            mobile,
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
    Ok((StatusCode::CREATED, Json(to_api(row, false))))
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
