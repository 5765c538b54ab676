//! Dispute pages: the list with each dispute's tier clock, the dispute page (timeline, masked parties,
//! joint mediation, sessions, agreements, follow-ups, alerts) and the printable 人民调解协议书, which
//! shows the parties' identity and therefore asks for a purpose and is audited like any reveal.

use super::shell::{Ctx, forbidden, not_found, render};
use crate::api::disputes::{DisputeDetail, RevealedParty, detail, reveal};
use crate::auth::PageActor;
use crate::error::ApiError;
use crate::mediation::{self, Dispute};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use pingan_domain::Permission;
use pingan_domain::time;
use pingan_store::disputes::{self, DisputeFilter};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/disputes", get(list))
        .route("/disputes/{id}", get(show))
        .route("/disputes/{id}/agreement", get(print))
}

fn when(us: i64) -> String {
    time::local_datetime(time::from_micros(us))
}

fn day(us: i64) -> String {
    time::local_date(time::from_micros(us))
}

/// "3 天 4 小时" left, or "超时 2 天" once overdue.
fn left(seconds: i64) -> String {
    let s = seconds.abs();
    let (d, h) = (s / 86_400, s % 86_400 / 3600);
    let span = if d > 0 {
        format!("{d} 天 {h} 小时")
    } else {
        format!("{h} 小时 {} 分", s % 3600 / 60)
    };
    if seconds < 0 {
        format!("超时 {span}")
    } else {
        span
    }
}

#[derive(Template)]
#[template(path = "disputes.html")]
struct ListPage {
    ctx: Ctx,
    rows: Vec<Dispute>,
}

impl ListPage {
    fn status_label(&self, status: &str) -> String {
        self.ctx
            .t(&format!("mediation.status_{status}"))
            .to_string()
    }
    fn clock(&self, d: &Dispute) -> String {
        d.seconds_left.map(left).unwrap_or_default()
    }
    fn at(&self, us: &i64) -> String {
        when(*us)
    }
}

async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
) -> Response {
    let ctx = Ctx::new(&state, &headers, &actor, "disputes", "/disputes");
    if actor
        .require(&state, Permission::DisputeRead)
        .await
        .is_err()
    {
        return forbidden(ctx);
    }
    let rows = match disputes::list(
        &state.db,
        &actor.scope,
        &DisputeFilter {
            limit: 500,
            ..Default::default()
        },
    )
    .await
    {
        Ok(r) => r,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let types = match mediation::type_names(&state).await {
        Ok(t) => t,
        Err(e) => return e.into_response(),
    };
    let rows = rows
        .into_iter()
        .map(|r| mediation::view(&state, &types, r))
        .collect();
    render(StatusCode::OK, &ListPage { ctx, rows })
}

#[derive(Template)]
#[template(path = "dispute.html")]
struct DisputePage {
    ctx: Ctx,
    d: DisputeDetail,
    can_reveal: bool,
}

impl DisputePage {
    fn status_label(&self) -> String {
        self.ctx
            .t(&format!("mediation.status_{}", self.d.dispute.status))
            .to_string()
    }
    fn at(&self, us: &i64) -> String {
        when(*us)
    }
    fn opt_at(&self, us: &Option<i64>) -> String {
        us.map(when).unwrap_or_default()
    }
    fn clock(&self) -> String {
        self.d.dispute.seconds_left.map(left).unwrap_or_default()
    }
}

async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
) -> Response {
    let ctx = Ctx::new(
        &state,
        &headers,
        &actor,
        "disputes",
        &format!("/disputes/{id}"),
    );
    if actor
        .require(&state, Permission::DisputeRead)
        .await
        .is_err()
    {
        return forbidden(ctx);
    }
    let row = match disputes::get(&state.db, &actor.scope, &id).await {
        Ok(Some(r)) => r,
        Ok(None) => return not_found(ctx),
        Err(e) => return ApiError::from(e).into_response(),
    };
    match detail(&state, row).await {
        Ok(d) => render(
            StatusCode::OK,
            &DisputePage {
                can_reveal: actor.can(Permission::PersonalDataReveal),
                ctx,
                d,
            },
        ),
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
struct PrintQuery {
    purpose: Option<String>,
}

#[derive(Template)]
#[template(path = "agreement_print.html")]
struct PrintPage {
    d: DisputeDetail,
    parties: Vec<(crate::mediation::Party, RevealedParty)>,
    copies: usize,
}

impl PrintPage {
    fn agreement(&self) -> Option<&crate::api::disputes::Agreement> {
        self.d
            .agreements
            .iter()
            .rev()
            .find(|a| a.superseded_at.is_none())
    }
    fn date(&self, us: &i64) -> String {
        day(*us)
    }
    fn role_zh(&self, role: &str) -> &'static str {
        match role {
            "applicant" => "申请人",
            "respondent" => "被申请人",
            _ => "当事人",
        }
    }
}

#[derive(Template)]
#[template(path = "agreement_purpose.html")]
struct PurposePage {
    ctx: Ctx,
    id: String,
    number: String,
}

/// The agreement as printed for signing (人民调解法 art. 29). Shows full identity: purpose required.
async fn print(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
    Query(q): Query<PrintQuery>,
) -> Response {
    let ctx = Ctx::new(
        &state,
        &headers,
        &actor,
        "disputes",
        &format!("/disputes/{id}/agreement"),
    );
    if actor
        .require(&state, Permission::DisputeRead)
        .await
        .is_err()
    {
        return forbidden(ctx);
    }
    let row = match disputes::get(&state.db, &actor.scope, &id).await {
        Ok(Some(r)) => r,
        Ok(None) => return not_found(ctx),
        Err(e) => return ApiError::from(e).into_response(),
    };
    let Some(purpose) = q.purpose.filter(|p| !p.trim().is_empty()) else {
        return render(
            StatusCode::OK,
            &PurposePage {
                ctx,
                id: row.id,
                number: row.number,
            },
        );
    };
    let d = match detail(&state, row).await {
        Ok(d) => d,
        Err(e) => return e.into_response(),
    };
    if !d.agreements.iter().any(|a| a.superseded_at.is_none()) {
        return not_found(ctx);
    }
    let mut parties = Vec::new();
    for p in &d.parties {
        match reveal(&state, &actor, &id, &p.id, Some(&purpose)).await {
            Ok(r) => parties.push((p.clone(), r)),
            Err(ApiError::Forbidden(_)) => return forbidden(ctx),
            Err(e) => return e.into_response(),
        }
    }
    let copies = parties.len() + 1;
    render(StatusCode::OK, &PrintPage { d, parties, copies })
}
