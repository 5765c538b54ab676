//! System pages: users (contact masked), the organisation tree, and the audit log with its chain status.

use crate::auth::PageActor;
use crate::shell::{Ctx, render};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use pingan_domain::audit::AuditOutcome;
use pingan_domain::{Permission, mask, time};
use pingan_store::{audit, now_micros, orgs, users};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/users", get(users_page))
        .route("/orgs", get(orgs_page))
        .route("/audit", get(audit_page))
}

struct UserLine {
    username: String,
    display_name: String,
    role: String,
    mobile: String,
    locked: bool,
}

#[derive(Template)]
#[template(path = "accounts/users.html")]
struct UsersPage {
    ctx: Ctx,
    users: Vec<UserLine>,
}

async fn users_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(
            &state,
            &headers,
            &actor,
            "users",
            "/users",
            Permission::UserRead
        )
        .await
    );
    let now = now_micros();
    match users::list(&state.db, &actor.scope).await {
        Ok(rows) => {
            let users = rows
                .into_iter()
                .map(|u| UserLine {
                    role: u
                        .role()
                        .map(|r| ctx.lang.pick(r.label_zh(), r.label_en()))
                        .unwrap_or_default()
                        .to_string(),
                    mobile: crate::rekey::open_sealed(
                        &state.cipher,
                        crate::rekey::MOBILE,
                        u.mobile_sealed.as_deref(),
                    )
                    .ok()
                    .flatten()
                    .as_deref()
                    .map(mask::mask_phone)
                    .unwrap_or_default(),
                    locked: u.locked_until.is_some_and(|t| t > now),
                    username: u.username,
                    display_name: u.display_name,
                })
                .collect();
            render(StatusCode::OK, &UsersPage { ctx, users })
        }
        Err(e) => crate::shell::page_error(ctx, e),
    }
}

struct OrgLine {
    name: String,
    kind: String,
    area: String,
    depth: usize,
}

#[derive(Template)]
#[template(path = "accounts/orgs.html")]
struct OrgsPage {
    ctx: Ctx,
    orgs: Vec<OrgLine>,
}

async fn orgs_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(
            &state,
            &headers,
            &actor,
            "orgs",
            "/orgs",
            Permission::OrgRead
        )
        .await
    );
    match orgs::list(&state.db, &actor.scope).await {
        Ok(rows) => {
            let orgs = rows
                .into_iter()
                .map(|o| OrgLine {
                    depth: o.path.matches('/').count().saturating_sub(2),
                    kind: o.kind,
                    area: o.area_code.unwrap_or_default(),
                    name: o.name,
                })
                .collect();
            render(StatusCode::OK, &OrgsPage { ctx, orgs })
        }
        Err(e) => crate::shell::page_error(ctx, e),
    }
}

struct AuditLine {
    seq: i64,
    time: String,
    actor: String,
    action: String,
    object: String,
    outcome: String,
    purpose: String,
}

#[derive(Template)]
#[template(path = "accounts/audit.html")]
struct AuditPage {
    ctx: Ctx,
    chain_ok: bool,
    chain_message: String,
    rows: Vec<AuditLine>,
}

async fn audit_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(
            &state,
            &headers,
            &actor,
            "audit",
            "/audit",
            Permission::AuditRead
        )
        .await
    );
    let loaded = async {
        let report = audit::verify(&state.db).await?;
        let rows = audit::list(
            &state.db,
            &audit::AuditQuery {
                limit: 200,
                ..Default::default()
            },
        )
        .await?;
        let e = actor.audit_entry(
            "audit.read",
            "audit_log",
            None,
            AuditOutcome::Ok,
            &serde_json::json!({"rows": rows.len()}).to_string(),
        );
        state.db.audit(vec![e]).await?;
        Ok::<_, pingan_store::StoreError>((report, rows))
    };
    match loaded.await {
        Ok((report, rows)) => {
            let rows = rows
                .into_iter()
                .map(|r| AuditLine {
                    seq: r.seq,
                    time: time::local_datetime(time::from_micros(r.at)),
                    actor: r.actor_name,
                    action: r.action,
                    // The kind of object in words (its code when there are none yet).
                    object: format!(
                        "{} {}",
                        ctx.label("audit_object", &r.object_type),
                        r.object_id.unwrap_or_default()
                    ),
                    outcome: r.outcome,
                    purpose: r.purpose.unwrap_or_default(),
                })
                .collect();
            let chain_message = match &report.broken {
                None => format!("{} / {}", report.verified, report.head_seq),
                Some(b) => b.to_string(),
            };
            render(
                StatusCode::OK,
                &AuditPage {
                    ctx,
                    chain_ok: report.broken.is_none(),
                    chain_message,
                    rows,
                },
            )
        }
        Err(e) => crate::shell::page_error(ctx, e),
    }
}
