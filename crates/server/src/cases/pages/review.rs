//! 实地抽查 and 案件评查 pages: draw a sample (the seed is shown so anyone can redraw it) and record
//! on-site findings; the statistics per station with their XLSX export; rubrics (written as TOML) and
//! the review form on a case.

use crate::auth::{Actor, PageActor};
use crate::cases::review::{
    self, NewFinding, NewReview, NewRubric, NewSample, RubricView, Sample, StationStats,
};
use crate::error::ApiError;
use crate::shell::{Ctx, not_found, render};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use pingan_domain::Permission;
use pingan_domain::case_review::Rubric;
use pingan_domain::time;
use pingan_store::cases::{self as store, SampleRow};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/case-samples", get(samples).post(draw))
        .route("/case-samples/{id}", get(sample_page).post(finding))
        .route("/case-reviews", get(reviews_page).post(add_rubric))
        .route("/cases/{id}/reviews", post(submit_review))
}

fn see_other(to: String) -> Response {
    (StatusCode::SEE_OTHER, [(axum::http::header::LOCATION, to)]).into_response()
}

fn message(e: &ApiError) -> Option<String> {
    crate::shell::field_message(e).or_else(|| match e {
        ApiError::Forbidden(m) | ApiError::Conflict(m) => Some(m.clone()),
        _ => None,
    })
}

#[derive(Template)]
#[template(path = "cases/case_samples.html")]
struct SamplesPage {
    ctx: Ctx,
    rows: Vec<(SampleRow, i64, i64)>,
    error: Option<String>,
}

impl SamplesPage {
    fn at(&self, us: &i64) -> String {
        time::local_datetime(time::from_micros(*us))
    }
}

async fn samples_view(
    state: &AppState,
    headers: &HeaderMap,
    actor: &Actor,
    error: Option<String>,
) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(
            state,
            headers,
            actor,
            "spot_checks",
            "/case-samples",
            Permission::CaseSupervise
        )
        .await
    );
    match store::list_samples(&state.db, &actor.scope, 100).await {
        Ok(rows) => render(
            if error.is_some() {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            },
            &SamplesPage { ctx, rows, error },
        ),
        Err(e) => crate::shell::page_error(ctx, e),
    }
}

async fn samples(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
) -> Response {
    samples_view(&state, &headers, &actor, None).await
}

#[derive(Deserialize)]
struct DrawForm {
    per_stratum: String,
    #[serde(default)]
    seed: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

async fn draw(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    form: Result<axum::extract::Form<DrawForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let f = match crate::shell::form(form) {
        Ok(f) => f,
        Err(e) => return crate::shell::fail(&state, &headers, &actor, e),
    };
    let blank = |v: String| Some(v.trim().to_string()).filter(|s| !s.is_empty());
    let Ok(per_stratum) = f.per_stratum.trim().parse::<i64>() else {
        return samples_view(&state, &headers, &actor, Some("per_stratum: 1–100".into())).await;
    };
    let seed = match blank(f.seed) {
        None => None,
        Some(s) => match s.parse::<i64>() {
            Ok(v) => Some(v),
            Err(_) => {
                return samples_view(
                    &state,
                    &headers,
                    &actor,
                    Some("seed: a whole number".into()),
                )
                .await;
            }
        },
    };
    let req = NewSample {
        per_stratum,
        seed,
        status: blank(f.status),
        from: blank(f.from),
        to: blank(f.to),
    };
    match review::draw(&state, &actor, req).await {
        Ok(s) => see_other(format!("/case-samples/{}", s.id)),
        Err(e) => match message(&e) {
            Some(m) => samples_view(&state, &headers, &actor, Some(m)).await,
            None => crate::shell::fail(&state, &headers, &actor, e),
        },
    }
}

/// A sampled case as the page lists it.
struct SampleLine {
    case_id: String,
    number: String,
    title: String,
    station: String,
    kind: String,
    finding: Option<String>,
    recorded: String,
}

#[derive(Template)]
#[template(path = "cases/case_sample.html")]
struct SamplePage {
    ctx: Ctx,
    s: Sample,
    lines: Vec<SampleLine>,
    error: Option<String>,
}

impl SamplePage {
    fn kind(&self, k: &str) -> String {
        self.ctx.t(&format!("cases.kind_{k}")).to_string()
    }
}

async fn sample_view(
    state: &AppState,
    headers: &HeaderMap,
    actor: &Actor,
    id: &str,
    error: Option<String>,
) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(
            state,
            headers,
            actor,
            "spot_checks",
            &format!("/case-samples/{id}"),
            Permission::CaseSupervise
        )
        .await
    );
    let s = match review::sample(state, actor, id).await {
        Ok(s) => s,
        Err(ApiError::NotFound) => return not_found(ctx),
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let mut lines = Vec::new();
    for i in &s.items {
        let row: Result<(String, String, String), _> = state
            .db
            .fetch_one(
                "SELECT c.number, c.title, o.name FROM cases c JOIN orgs o ON o.id = c.station_org_id WHERE c.id = ?",
                pingan_store::args![i.case_id.as_str()],
            )
            .await;
        let (number, title, station) = match row {
            Ok(r) => r,
            Err(e) => return crate::shell::page_error(ctx, e),
        };
        lines.push(SampleLine {
            case_id: i.case_id.clone(),
            number,
            title,
            station,
            kind: i.kind.clone(),
            finding: i.finding.clone(),
            recorded: match (&i.recorded_by, i.recorded_at) {
                (Some(b), Some(t)) => {
                    format!("{b} · {}", time::local_datetime(time::from_micros(t)))
                }
                _ => String::new(),
            },
        });
    }
    render(
        if error.is_some() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        },
        &SamplePage {
            ctx,
            s,
            lines,
            error,
        },
    )
}

async fn sample_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
) -> Response {
    sample_view(&state, &headers, &actor, &id, None).await
}

#[derive(Deserialize)]
struct FindingForm {
    case_id: String,
    #[serde(default)]
    finding: String,
}

async fn finding(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
    form: Result<axum::extract::Form<FindingForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let f = match crate::shell::form(form) {
        Ok(f) => f,
        Err(e) => return crate::shell::fail(&state, &headers, &actor, e),
    };
    match review::record_finding(
        &state,
        &actor,
        &id,
        NewFinding {
            case_id: f.case_id,
            finding: f.finding,
        },
    )
    .await
    {
        Ok(_) => see_other(format!("/case-samples/{id}")),
        Err(e) => match message(&e) {
            Some(m) => sample_view(&state, &headers, &actor, &id, Some(m)).await,
            None => crate::shell::fail(&state, &headers, &actor, e),
        },
    }
}

#[derive(Deserialize, Default)]
struct PeriodQuery {
    from: Option<String>,
    to: Option<String>,
}

#[derive(Template)]
#[template(path = "cases/case_reviews.html")]
struct ReviewsPage {
    ctx: Ctx,
    stats: Vec<StationStats>,
    from: String,
    to: String,
    rubrics: Vec<RubricView>,
    can_supervise: bool,
    error: Option<String>,
}

impl ReviewsPage {
    fn pct(&self, v: &Option<f64>) -> String {
        v.map_or_else(|| "—".into(), |x| format!("{:.1}%", x * 100.0))
    }
    fn num(&self, v: &Option<f64>) -> String {
        v.map_or_else(|| "—".into(), |x| format!("{x:.1}"))
    }
}

async fn reviews_view(
    state: &AppState,
    headers: &HeaderMap,
    actor: &Actor,
    q: PeriodQuery,
    error: Option<String>,
) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(
            state,
            headers,
            actor,
            "reviews",
            "/case-reviews",
            Permission::CaseRead
        )
        .await
    );
    let to =
        q.to.as_deref()
            .and_then(|v| v.parse::<jiff::civil::Date>().ok())
            .unwrap_or_else(|| state.today());
    let from = q
        .from
        .as_deref()
        .and_then(|v| v.parse::<jiff::civil::Date>().ok())
        .unwrap_or_else(|| to.checked_sub(jiff::Span::new().days(29)).unwrap_or(to));
    let stats = match review::stats(
        state,
        actor,
        pingan_domain::time::day_start(from),
        pingan_domain::time::day_start(to.tomorrow().unwrap_or(to)),
    )
    .await
    {
        Ok(s) => s,
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let rubrics = match review::list_rubrics(state, actor).await {
        Ok(r) => r,
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    render(
        if error.is_some() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        },
        &ReviewsPage {
            can_supervise: actor.can(Permission::CaseSupervise),
            ctx,
            stats,
            from: from.to_string(),
            to: to.to_string(),
            rubrics,
            error,
        },
    )
}

async fn reviews_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Query(q): Query<PeriodQuery>,
) -> Response {
    reviews_view(&state, &headers, &actor, q, None).await
}

#[derive(Deserialize)]
struct RubricForm {
    toml: String,
}

async fn add_rubric(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    form: Result<axum::extract::Form<RubricForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let f = match crate::shell::form(form) {
        Ok(f) => f,
        Err(e) => return crate::shell::fail(&state, &headers, &actor, e),
    };
    let parsed: Result<Rubric, _> = toml::from_str(&f.toml);
    let result = match parsed {
        Ok(r) => match serde_json::to_value(&r) {
            Ok(v) => review::create_rubric(&state, &actor, NewRubric { rubric: v })
                .await
                .map(|_| ()),
            Err(e) => Err(ApiError::Internal(e.into())),
        },
        Err(e) => Err(ApiError::invalid("rubric", format!("rubric: {e}"))),
    };
    match result {
        Ok(()) => see_other("/case-reviews".into()),
        Err(e) => match message(&e) {
            Some(m) => {
                reviews_view(&state, &headers, &actor, PeriodQuery::default(), Some(m)).await
            }
            None => crate::shell::fail(&state, &headers, &actor, e),
        },
    }
}

async fn submit_review(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
    form: Result<
        axum::extract::Form<Vec<(String, String)>>,
        axum::extract::rejection::FormRejection,
    >,
) -> Response {
    // Repeated `deduction` fields: the form as a list of pairs.
    let Ok(axum::extract::Form(pairs)) = form else {
        let e = ApiError::bad_request("invalid_form", "malformed form", None);
        return crate::shell::fail(&state, &headers, &actor, e);
    };
    let mut rubric_id = String::new();
    let mut deductions = Vec::new();
    let mut note = None;
    for (k, v) in pairs {
        match k.as_str() {
            "rubric_id" => rubric_id = v,
            "deduction" => deductions.push(v),
            "note" if !v.trim().is_empty() => note = Some(v),
            _ => {}
        }
    }
    match review::submit_review(
        &state,
        &actor,
        &id,
        NewReview {
            rubric_id,
            deductions,
            note,
        },
    )
    .await
    {
        Ok(_) => see_other(format!("/cases/{id}#reviews")),
        Err(e) => crate::shell::fail(&state, &headers, &actor, e),
    }
}
