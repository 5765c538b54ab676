//! 账户安全: change one's password, enrol the TOTP second factor, manage one's API tokens. A session
//! held by an expired password or a missing administrator second factor lands here and can go
//! nowhere else.

use crate::accounts::account;
use crate::auth::{Actor, SessionStage};
use crate::error::ApiError;
use crate::shell::{AnyStagePage, Ctx, render};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode, header::LOCATION};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account", get(account_page))
        .route("/account/password", post(password_submit))
        .route("/account/totp/begin", post(totp_begin))
        .route("/account/totp/confirm", post(totp_confirm))
        .route("/account/tokens", post(token_create))
        .route("/account/tokens/{id}/revoke", post(token_revoke))
}

#[derive(Template)]
#[template(path = "accounts/account.html")]
struct AccountPage {
    ctx: Ctx,
    /// What the session must do first, as a message; empty when it is free.
    held: String,
    second_factor: bool,
    /// An enrolment in progress: the secret (base32) and its otpauth URI.
    pending: Option<(String, String)>,
    error: Option<(String, String)>,
    done: Option<String>,
    /// The API tokens section is shown to a free session only.
    full: bool,
    tokens: Vec<TokenRow>,
    /// A token just created: its name and the secret, shown this once.
    created: Option<(String, String)>,
}

/// One API token as the page lists it (times in local time, status as a message key).
struct TokenRow {
    id: String,
    name: String,
    created: String,
    last_used: String,
    expires: String,
    status: &'static str,
    active: bool,
}

impl TokenRow {
    fn of(t: pingan_store::sessions::ApiTokenRow, now: i64) -> TokenRow {
        let when = |at: Option<i64>| {
            at.map(|m| pingan_domain::time::local_datetime(pingan_domain::time::from_micros(m)))
                .unwrap_or_else(|| "—".into())
        };
        let active = t.is_active(now);
        let status = match (active, t.revoked_at) {
            (true, _) => "account.token_active",
            (false, Some(_)) => "account.token_revoked",
            (false, None) => "account.token_expired",
        };
        TokenRow {
            created: when(Some(t.created_at)),
            last_used: when(t.last_used_at),
            expires: when(t.expires_at),
            id: t.id,
            name: t.name,
            status,
            active,
        }
    }
}

async fn view(
    state: &AppState,
    headers: &HeaderMap,
    actor: &Actor,
    error: Option<(String, String)>,
    done: Option<String>,
    status: StatusCode,
    created: Option<(String, String)>,
) -> Response {
    let ctx = Ctx::new(state, headers, actor, "account", "/account");
    let held = match actor.stage {
        SessionStage::Full => String::new(),
        SessionStage::PasswordChange => ctx.t("account.held_password").to_string(),
        SessionStage::TotpEnrol => ctx.t("account.held_totp").to_string(),
    };
    let u = match pingan_store::users::by_id(&state.db, &actor.user_id).await {
        Ok(Some(u)) => u,
        Ok(None) => return ApiError::Unauthenticated.into_response(),
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let pending = match account::pending_totp(state, &u) {
        Ok(p) => p.map(|s| (s.to_base32(), account::otpauth_uri(&s, &actor.username))),
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let full = actor.stage == SessionStage::Full;
    let tokens = if full {
        match pingan_store::sessions::tokens_of(&state.db, &actor.user_id).await {
            Ok(rows) => {
                let now = pingan_store::now_micros();
                rows.into_iter().map(|t| TokenRow::of(t, now)).collect()
            }
            Err(e) => return crate::shell::page_error(ctx, e),
        }
    } else {
        Vec::new()
    };
    let page = AccountPage {
        ctx,
        held,
        second_factor: u.totp_enabled_at.is_some(),
        pending,
        error,
        done,
        full,
        tokens,
        created,
    };
    render(status, &page)
}

#[derive(Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

async fn account_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    AnyStagePage(actor): AnyStagePage,
    axum::extract::Query(q): axum::extract::Query<DoneQuery>,
) -> Response {
    let done = q.done.as_deref().and_then(|d| match d {
        "password" => Some("account.done_password"),
        "totp" => Some("account.done_totp"),
        "token_revoked" => Some("account.done_token_revoked"),
        _ => None,
    });
    let ctx_done = done.map(|k| state.i18n.t(crate::shell::lang_of(&headers), k).to_string());
    view(
        &state,
        &headers,
        &actor,
        None,
        ctx_done,
        StatusCode::OK,
        None,
    )
    .await
}

/// After a change: back to work if the session is free now, else stay for the next task.
fn after(stage: SessionStage, done: &str) -> Response {
    let to = if stage == SessionStage::Full {
        format!("/account?done={done}")
    } else {
        "/account".to_string()
    };
    (StatusCode::SEE_OTHER, [(LOCATION, to)]).into_response()
}

/// A refusal shown on the page beside its field; anything else answers as the API would.
async fn refused(state: &AppState, headers: &HeaderMap, actor: &Actor, e: ApiError) -> Response {
    let e = e.first_problem();
    match &e {
        ApiError::Validation(msg, field) => {
            let field = field.clone().unwrap_or_default();
            let (f, m) = (field, msg.clone());
            view(
                state,
                headers,
                actor,
                Some((f, m)),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
            )
            .await
        }
        ApiError::Conflict(msg) | ApiError::Forbidden(msg) => {
            let m = msg.clone();
            view(
                state,
                headers,
                actor,
                Some((String::new(), m)),
                None,
                StatusCode::CONFLICT,
                None,
            )
            .await
        }
        // Too many wrong current passwords: the account is locked and its sessions ended.
        ApiError::Locked(_) => Redirect::to("/login?e=locked").into_response(),
        _ => e.into_response(),
    }
}

#[derive(Deserialize)]
struct PasswordForm {
    current_password: String,
    new_password: String,
    confirm_password: String,
}

async fn password_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    AnyStagePage(actor): AnyStagePage,
    Form(f): Form<PasswordForm>,
) -> Response {
    if f.new_password != f.confirm_password {
        let msg = state
            .i18n
            .t(crate::shell::lang_of(&headers), "account.mismatch")
            .to_string();
        return view(
            &state,
            &headers,
            &actor,
            Some(("confirm_password".into(), msg)),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
        )
        .await;
    }
    match account::change_password(&state, &actor, &f.current_password, &f.new_password).await {
        Ok(stage) => after(stage, "password"),
        Err(e) => refused(&state, &headers, &actor, e).await,
    }
}

async fn totp_begin(
    State(state): State<AppState>,
    headers: HeaderMap,
    AnyStagePage(actor): AnyStagePage,
) -> Response {
    match account::begin_totp(&state, &actor).await {
        Ok(_) => (StatusCode::SEE_OTHER, [(LOCATION, "/account#totp")]).into_response(),
        Err(e) => refused(&state, &headers, &actor, e).await,
    }
}

#[derive(Deserialize)]
struct CodeForm {
    code: String,
}

async fn totp_confirm(
    State(state): State<AppState>,
    headers: HeaderMap,
    AnyStagePage(actor): AnyStagePage,
    Form(f): Form<CodeForm>,
) -> Response {
    match account::confirm_totp(&state, &actor, &f.code).await {
        Ok(stage) => after(stage, "totp"),
        Err(e) => refused(&state, &headers, &actor, e).await,
    }
}

#[derive(Deserialize)]
struct TokenForm {
    name: String,
    days: Option<String>,
}

/// Creates a token and shows its secret on the page this once (a redirect would lose it).
async fn token_create(
    State(state): State<AppState>,
    headers: HeaderMap,
    AnyStagePage(actor): AnyStagePage,
    Form(f): Form<TokenForm>,
) -> Response {
    if actor.stage != SessionStage::Full {
        return Redirect::to("/account").into_response();
    }
    let days = match f.days.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        None => None,
        Some(d) => match d.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                let e = ApiError::invalid("days", "days must be between 1 and 3650");
                return refused(&state, &headers, &actor, e).await;
            }
        },
    };
    match account::create_token(&state, &actor, &f.name, days).await {
        Ok(t) => {
            let created = Some((f.name.trim().to_string(), t.token));
            view(
                &state,
                &headers,
                &actor,
                None,
                None,
                StatusCode::OK,
                created,
            )
            .await
        }
        Err(e) => refused(&state, &headers, &actor, e).await,
    }
}

async fn token_revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    AnyStagePage(actor): AnyStagePage,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    if actor.stage != SessionStage::Full {
        return Redirect::to("/account").into_response();
    }
    match account::revoke_token(&state, &actor, &id).await {
        Ok(()) => (
            StatusCode::SEE_OTHER,
            [(LOCATION, "/account?done=token_revoked#tokens")],
        )
            .into_response(),
        Err(ApiError::NotFound) => {
            let msg = state
                .i18n
                .t(crate::shell::lang_of(&headers), "account.token_gone")
                .to_string();
            let error = Some(("token".to_string(), msg));
            view(
                &state,
                &headers,
                &actor,
                error,
                None,
                StatusCode::NOT_FOUND,
                None,
            )
            .await
        }
        Err(e) => refused(&state, &headers, &actor, e).await,
    }
}
