//! 执法监督 API: cases and their procedural steps, the 网上巡查 alerts with their history and the
//! actions on them, the rule sets in force, and a replay of the engine for a past instant.

use crate::auth::Actor;
use crate::cases::inspect::{self, AlertAction, ReplayFinding};
use crate::cases::parties::{self, NewParty, Party, RevealRequest};
use crate::cases::review::{
    self, CaseReviews, NewFinding, NewReview, NewRubric, NewSample, RubricView, Sample,
    StationStats,
};
use crate::cases::{self, Case, Document, NewCaseRequest, NewDocument, StepRequest, rule_name};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiPath as Path;
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;
use crate::validate::instant;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pingan_domain::Permission;
use pingan_domain::case::{FLAGS, STEPS};
use pingan_store::cases::{self as store, AlertFilter, AlertRow, CaseFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_cases, create_case))
        .routes(routes!(get_case))
        .routes(routes!(add_case_step))
        .routes(routes!(case_vocabulary))
        .routes(routes!(case_rule_sets))
        .routes(routes!(list_case_alerts))
        .routes(routes!(get_case_alert))
        .routes(routes!(act_on_case_alert))
        .routes(routes!(replay_inspection))
        .routes(routes!(draw_case_sample))
        .routes(routes!(get_case_sample))
        .routes(routes!(record_sample_finding))
        .routes(routes!(list_case_rubrics, create_case_rubric))
        .routes(routes!(list_case_reviews, submit_case_review))
        .routes(routes!(case_statistics))
        .routes(routes!(add_case_party))
        .routes(routes!(attach_case_document))
        .routes(routes!(reveal_case_party))
        .routes(routes!(export_case_statistics))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CaseQuery {
    /// `open` or `closed` (default: both).
    pub status: Option<String>,
    /// `administrative` or `criminal`.
    pub kind: Option<String>,
    /// `true`: only cases you handle.
    pub mine: Option<bool>,
    /// At most this many (1–1000, default 200).
    pub limit: Option<i64>,
}

fn limit(v: Option<i64>, default: i64) -> ApiResult<i64> {
    let l = v.unwrap_or(default);
    if !(1..=1000).contains(&l) {
        return Err(ApiError::invalid("limit", "limit must be 1–1000"));
    }
    Ok(l)
}

/// A case in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseSummary {
    pub id: String,
    pub number: String,
    pub kind: String,
    pub title: String,
    pub status: String,
    pub station_org_id: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Cases in your scope, newest first.
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(CaseQuery),
    responses((status = 200, description = "OK", body = Vec<CaseSummary>),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn list_cases(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<CaseQuery>,
) -> ApiResult<Json<Vec<CaseSummary>>> {
    actor.require(&state, Permission::CaseRead).await?;
    if let Some(s) = &q.status
        && s != "open"
        && s != "closed"
    {
        return Err(ApiError::invalid("status", "status is open or closed"));
    }
    if let Some(k) = &q.kind
        && pingan_domain::case::CaseKind::parse(k).is_none()
    {
        return Err(ApiError::invalid(
            "kind",
            "kind is administrative or criminal",
        ));
    }
    let rows = store::list(
        &state.db,
        &actor.scope,
        &CaseFilter {
            status: q.status.clone(),
            kind: q.kind.clone(),
            officer_user_id: q.mine.unwrap_or(false).then(|| actor.user_id.clone()),
            limit: limit(q.limit, 200)?,
        },
    )
    .await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| CaseSummary {
                id: r.id,
                number: r.number,
                kind: r.kind,
                title: r.title,
                status: r.status,
                station_org_id: r.station_org_id,
                created_at: r.created_at,
                updated_at: r.updated_at,
            })
            .collect(),
    ))
}

/// Register a case for a station in your scope.
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases", request_body = NewCaseRequest,
    responses((status = 201, description = "Created", body = Case),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn create_case(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(req): ApiJson<NewCaseRequest>,
) -> ApiResult<(StatusCode, Json<Case>)> {
    Ok((
        StatusCode::CREATED,
        Json(cases::register(&state, &actor, req).await?),
    ))
}

/// One case with its officers, steps and the engine's clocks as of now.
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases",
    params(("id" = String, Path, description = "Case id")),
    responses((status = 200, description = "OK", body = Case),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such case in your scope", body = ErrorBody)))]
async fn get_case(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<Case>> {
    actor.require(&state, Permission::CaseRead).await?;
    let row = store::get(&state.db, &actor.scope, &id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(cases::view(&state, row).await?))
}

/// Record a procedural step; the engine looks at the case at once.
#[utoipa::path(post, path = "/api/v1/cases/{id}/steps", tag = "cases", request_body = StepRequest,
    params(("id" = String, Path, description = "Case id")),
    responses((status = 201, description = "Recorded; the case as it now stands", body = Case),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such case in your scope", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn add_case_step(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<StepRequest>,
) -> ApiResult<(StatusCode, Json<Case>)> {
    Ok((
        StatusCode::CREATED,
        Json(cases::record_step(&state, &actor, &id, req).await?),
    ))
}

/// A step or flag code with its names.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CaseTerm)]
pub struct Term {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// Steps only: the step concerns one suspect or property item.
    pub per_item: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Vocabulary {
    pub steps: Vec<Term>,
    pub flags: Vec<Term>,
}

/// The procedural steps and case flags the API accepts.
#[utoipa::path(get, path = "/api/v1/case-steps", tag = "cases",
    responses((status = 200, description = "OK", body = Vocabulary),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody)))]
async fn case_vocabulary(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<Json<Vocabulary>> {
    actor.require(&state, Permission::CaseRead).await?;
    Ok(Json(Vocabulary {
        steps: STEPS
            .iter()
            .map(|s| Term {
                code: s.0.into(),
                name_zh: s.1.into(),
                name_en: s.2.into(),
                per_item: s.3,
            })
            .collect(),
        flags: FLAGS
            .iter()
            .map(|f| Term {
                code: f.0.into(),
                name_zh: f.1.into(),
                name_en: f.2.into(),
                per_item: false,
            })
            .collect(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleSetView {
    pub version: String,
    pub name: String,
    pub effective_from: String,
    pub rules: Vec<RuleView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleView {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    /// `administrative`, `criminal` or null for both.
    pub case_kind: Option<String>,
    pub severity: String,
    /// `deadline` or `order`.
    pub check: String,
}

/// The rule sets the engine holds, oldest first (each applies to clocks started from its date).
#[utoipa::path(get, path = "/api/v1/case-rules", tag = "cases",
    responses((status = 200, description = "OK", body = Vec<RuleSetView>),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody)))]
async fn case_rule_sets(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<Json<Vec<RuleSetView>>> {
    actor.require(&state, Permission::CaseRead).await?;
    let code = |v: serde_json::Value| v.as_str().unwrap_or_default().to_string();
    Ok(Json(
        state
            .rules
            .sets()
            .iter()
            .map(|s| RuleSetView {
                version: s.version.clone(),
                name: s.name.clone(),
                effective_from: s.effective_from.to_string(),
                rules: s
                    .rules
                    .iter()
                    .map(|r| RuleView {
                        id: r.id.clone(),
                        name_zh: r.name_zh.clone(),
                        name_en: r.name_en.clone(),
                        case_kind: r.case_kind.map(|k| k.code().to_string()),
                        severity: code(serde_json::to_value(r.severity).unwrap_or_default()),
                        check: match r.check {
                            pingan_domain::case_rules::Check::Deadline { .. } => "deadline".into(),
                            pingan_domain::case_rules::Check::Order { .. } => "order".into(),
                        },
                    })
                    .collect(),
            })
            .collect(),
    ))
}

/// A 网上巡查 alert.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CaseAlert)]
pub struct Alert {
    pub id: String,
    pub case_id: String,
    pub case_number: String,
    pub rule_id: String,
    pub rule_name: String,
    pub version: String,
    /// approaching, overdue, missing_step, out_of_order.
    pub kind: String,
    /// low, medium, high.
    pub severity: String,
    /// The suspect or property item ("" for the whole case).
    pub item: String,
    pub started_at: i64,
    pub due_at: i64,
    pub found_at: i64,
    /// open, explained, accepted, escalated, resolved.
    pub status: String,
    pub updated_at: i64,
}

/// An alert with its history.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertDetail {
    #[serde(flatten)]
    pub alert: Alert,
    pub history: Vec<AlertHistory>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AlertHistory {
    pub at: i64,
    /// opened, comment, explain, accept, escalate, resolved.
    pub action: String,
    pub actor_name: String,
    pub note: Option<String>,
}

async fn alert_view(state: &AppState, a: AlertRow) -> ApiResult<Alert> {
    let (number,): (String,) = state
        .db
        .fetch_one(
            "SELECT number FROM cases WHERE id = ?",
            pingan_store::args![a.case_id.as_str()],
        )
        .await?;
    Ok(Alert {
        rule_name: rule_name(&state.rules, &a.rule_id, &a.version),
        case_number: number,
        id: a.id,
        case_id: a.case_id,
        rule_id: a.rule_id,
        version: a.version,
        kind: a.kind,
        severity: a.severity,
        item: a.item,
        started_at: a.started_at,
        due_at: a.due_at,
        found_at: a.found_at,
        status: a.status,
        updated_at: a.updated_at,
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AlertQuery {
    /// open, explained, accepted, escalated, resolved.
    pub status: Option<String>,
    pub case_id: Option<String>,
    /// At most this many (1–1000, default 200).
    pub limit: Option<i64>,
}

/// Alerts on cases in your scope, newest first.
#[utoipa::path(get, path = "/api/v1/case-alerts", tag = "cases", params(AlertQuery),
    responses((status = 200, description = "OK", body = Vec<Alert>),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn list_case_alerts(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<AlertQuery>,
) -> ApiResult<Json<Vec<Alert>>> {
    actor.require(&state, Permission::CaseRead).await?;
    if let Some(s) = &q.status
        && let Err(e) = s.parse::<pingan_domain::case_alert::AlertStatus>()
    {
        return Err(ApiError::invalid("status", e.to_string()));
    }
    let rows = store::list_alerts(
        &state.db,
        &actor.scope,
        &AlertFilter {
            status: q.status.clone(),
            case_id: q.case_id.clone(),
            limit: limit(q.limit, 200)?,
            ..Default::default()
        },
    )
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for a in rows {
        out.push(alert_view(&state, a).await?);
    }
    Ok(Json(out))
}

async fn detail(state: &AppState, a: AlertRow) -> ApiResult<AlertDetail> {
    let history = store::alert_events(&state.db, &a.id)
        .await?
        .into_iter()
        .map(|e| AlertHistory {
            at: e.at,
            action: e.action,
            actor_name: e.actor_name,
            note: e.note,
        })
        .collect();
    Ok(AlertDetail {
        alert: alert_view(state, a).await?,
        history,
    })
}

/// One alert with its full history.
#[utoipa::path(get, path = "/api/v1/case-alerts/{id}", tag = "cases",
    params(("id" = String, Path, description = "Alert id")),
    responses((status = 200, description = "OK", body = AlertDetail),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such alert in your scope", body = ErrorBody)))]
async fn get_case_alert(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<AlertDetail>> {
    actor.require(&state, Permission::CaseRead).await?;
    let a = store::get_alert(&state.db, &actor.scope, &id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(detail(&state, a).await?))
}

/// Comment on, explain, accept or escalate an alert.
#[utoipa::path(post, path = "/api/v1/case-alerts/{id}/actions", tag = "cases", request_body = AlertAction,
    params(("id" = String, Path, description = "Alert id")),
    responses((status = 200, description = "The alert with its history", body = AlertDetail),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such alert in your scope", body = ErrorBody),
        (status = 409, description = "Not possible in the alert's state", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn act_on_case_alert(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<AlertAction>,
) -> ApiResult<Json<AlertDetail>> {
    let a = inspect::act(&state, &actor, &id, req).await?;
    Ok(Json(detail(&state, a).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReplayQuery {
    /// The instant to evaluate at, RFC 3339 (e.g. 2026-11-01T00:00:00+08:00).
    pub as_of: String,
}

/// What the engine found (or would have found) in every case as of a past instant; writes nothing.
#[utoipa::path(get, path = "/api/v1/case-inspection/replay", tag = "cases", params(ReplayQuery),
    responses((status = 200, description = "OK", body = Vec<ReplayFinding>),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn replay_inspection(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<ReplayQuery>,
) -> ApiResult<Json<Vec<ReplayFinding>>> {
    actor.require(&state, Permission::CaseSupervise).await?;
    let as_of = instant("as_of", Some(&q.as_of))?.unwrap_or(0);
    // Supervisors see the cases of their scope only.
    let visible: std::collections::HashSet<String> = store::list(
        &state.db,
        &actor.scope,
        &CaseFilter {
            limit: i64::MAX,
            ..Default::default()
        },
    )
    .await?
    .into_iter()
    .map(|c| c.id)
    .collect();
    let mut out = inspect::replay(&state.db, &state.rules, as_of).await?;
    out.retain(|f| visible.contains(&f.case_id));
    Ok(Json(out))
}

/// Draw a reproducible stratified sample (station × kind) for 实地抽查; the seed is kept with it.
#[utoipa::path(post, path = "/api/v1/case-samples", tag = "cases", request_body = NewSample,
    responses((status = 201, description = "Drawn", body = Sample),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn draw_case_sample(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(req): ApiJson<NewSample>,
) -> ApiResult<(StatusCode, Json<Sample>)> {
    Ok((
        StatusCode::CREATED,
        Json(review::draw(&state, &actor, req).await?),
    ))
}

/// A kept sample with the findings recorded so far.
#[utoipa::path(get, path = "/api/v1/case-samples/{id}", tag = "cases",
    params(("id" = String, Path, description = "Sample id")),
    responses((status = 200, description = "OK", body = Sample),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such sample in your scope", body = ErrorBody)))]
async fn get_case_sample(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<Sample>> {
    Ok(Json(review::sample(&state, &actor, &id).await?))
}

/// Record the on-site finding for a sampled case.
#[utoipa::path(post, path = "/api/v1/case-samples/{id}/findings", tag = "cases", request_body = NewFinding,
    params(("id" = String, Path, description = "Sample id")),
    responses((status = 200, description = "The sample as it now stands", body = Sample),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such sample in your scope", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn record_sample_finding(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<NewFinding>,
) -> ApiResult<Json<Sample>> {
    Ok(Json(
        review::record_finding(&state, &actor, &id, req).await?,
    ))
}

/// 评查 rubrics.
#[utoipa::path(get, path = "/api/v1/case-rubrics", tag = "cases",
    responses((status = 200, description = "OK", body = Vec<RubricView>),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody)))]
async fn list_case_rubrics(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<Json<Vec<RubricView>>> {
    Ok(Json(review::list_rubrics(&state, &actor).await?))
}

/// Keep a 评查 rubric (items, points, deductions).
#[utoipa::path(post, path = "/api/v1/case-rubrics", tag = "cases", request_body = NewRubric,
    responses((status = 201, description = "Created", body = RubricView),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn create_case_rubric(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(req): ApiJson<NewRubric>,
) -> ApiResult<(StatusCode, Json<RubricView>)> {
    Ok((
        StatusCode::CREATED,
        Json(review::create_rubric(&state, &actor, req).await?),
    ))
}

/// The reviews of a case per rubric, combined, with disagreements flagged.
#[utoipa::path(get, path = "/api/v1/cases/{id}/reviews", tag = "cases",
    params(("id" = String, Path, description = "Case id")),
    responses((status = 200, description = "OK", body = CaseReviews),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such case in your scope", body = ErrorBody)))]
async fn list_case_reviews(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<CaseReviews>> {
    Ok(Json(review::reviews(&state, &actor, &id).await?))
}

/// Submit (or replace) your review of a case under a rubric.
#[utoipa::path(post, path = "/api/v1/cases/{id}/reviews", tag = "cases", request_body = NewReview,
    params(("id" = String, Path, description = "Case id")),
    responses((status = 201, description = "Recorded; all reviews of the case", body = CaseReviews),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such case in your scope", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn submit_case_review(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<NewReview>,
) -> ApiResult<(StatusCode, Json<CaseReviews>)> {
    Ok((
        StatusCode::CREATED,
        Json(review::submit_review(&state, &actor, &id, req).await?),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    /// First local date (default: 29 days before `to`).
    pub from: Option<String>,
    /// Last local date, inclusive (default: today).
    pub to: Option<String>,
}

fn stats_period(
    state: &AppState,
    q: &StatsQuery,
) -> ApiResult<(jiff::civil::Date, jiff::civil::Date)> {
    let day = |field: &str, v: &str| {
        v.trim().parse::<jiff::civil::Date>().map_err(|_| {
            ApiError::invalid(field, format!("{field} must be a date like 2026-11-30"))
        })
    };
    let to = match &q.to {
        Some(v) => day("to", v)?,
        None => state.today(),
    };
    let from = match &q.from {
        Some(v) => day("from", v)?,
        None => to.checked_sub(jiff::Span::new().days(29)).unwrap_or(to),
    };
    if to < from {
        return Err(ApiError::invalid("to", "to must not be before from"));
    }
    Ok((from, to))
}

async fn station_stats(
    state: &AppState,
    actor: &Actor,
    q: &StatsQuery,
) -> ApiResult<(Vec<StationStats>, String, String)> {
    let (from, to) = stats_period(state, q)?;
    let rows = review::stats(
        state,
        actor,
        pingan_domain::time::day_start(from),
        pingan_domain::time::day_start(to.tomorrow().unwrap_or(to)),
    )
    .await?;
    Ok((rows, from.to_string(), to.to_string()))
}

/// Per station: 破案率, median days per stage, alerts per 100 cases, overdue rate, review scores.
#[utoipa::path(get, path = "/api/v1/case-stats", tag = "cases", params(StatsQuery),
    responses((status = 200, description = "OK", body = Vec<StationStats>),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn case_statistics(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<StatsQuery>,
) -> ApiResult<Json<Vec<StationStats>>> {
    Ok(Json(station_stats(&state, &actor, &q).await?.0))
}

/// The same statistics as an XLSX workbook.
#[utoipa::path(get, path = "/api/v1/case-stats/export", tag = "cases", params(StatsQuery),
    responses((status = 200, description = "XLSX workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn export_case_statistics(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<StatsQuery>,
) -> ApiResult<impl axum::response::IntoResponse> {
    let (rows, from, to) = station_stats(&state, &actor, &q).await?;
    let bytes = review::stats_xlsx(&rows, &from, &to)?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"case-stats-{from}-{to}.xlsx\""),
            ),
        ],
        bytes,
    ))
}

/// Add a suspect, victim, witness or reporter to a case (sealed; shown masked).
#[utoipa::path(post, path = "/api/v1/cases/{id}/parties", tag = "cases", request_body = NewParty,
    params(("id" = String, Path, description = "Case id")),
    responses((status = 201, description = "Added (masked)", body = Party),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such case in your scope", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn add_case_party(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<NewParty>,
) -> ApiResult<(StatusCode, Json<Party>)> {
    Ok((
        StatusCode::CREATED,
        Json(parties::add(&state, &actor, &id, req).await?),
    ))
}

/// The full identity of a case's party, for a stated purpose (handling officers, their station chief
/// and legal supervisors only; every request is audited, refused ones too).
#[utoipa::path(post, path = "/api/v1/cases/{id}/parties/{party_id}/reveal", tag = "cases", request_body = RevealRequest,
    params(("id" = String, Path, description = "Case id"), ("party_id" = String, Path, description = "Party id")),
    responses((status = 200, description = "The full identity", body = Party),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not entitled to this case's people", body = ErrorBody),
        (status = 404, description = "No such case or party in your scope", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn reveal_case_party(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, party_id)): Path<(String, String)>,
    ApiJson(req): ApiJson<RevealRequest>,
) -> ApiResult<Json<Party>> {
    Ok(Json(
        parties::reveal(&state, &actor, &id, &party_id, req).await?,
    ))
}

/// Attach a document to a case by reference (name, kind, size, SM3 hash).
#[utoipa::path(post, path = "/api/v1/cases/{id}/documents", tag = "cases", request_body = NewDocument,
    params(("id" = String, Path, description = "Case id")),
    responses((status = 201, description = "Attached", body = Document),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such case in your scope", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn attach_case_document(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<NewDocument>,
) -> ApiResult<(StatusCode, Json<Document>)> {
    Ok((
        StatusCode::CREATED,
        Json(cases::attach_document(&state, &actor, &id, req).await?),
    ))
}
