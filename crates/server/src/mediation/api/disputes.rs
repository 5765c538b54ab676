//! Disputes (矛盾纠纷) API: registration, the list with clocks, the dispute with its timeline, party
//! identity (masked; the full value for a stated purpose, audited), joint mediation, sessions, the
//! agreement, failure/withdrawal/closure/escalation, extensions, follow-ups, KPIs and the type table.

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiPath as Path;
use crate::extract::{ApiJson, ApiQuery};
use crate::mediation::detail::{DisputeDetail, RevealedParty, detail, reveal};
use crate::mediation::register::{self, NewDisputeRequest};
use crate::mediation::steps::{
    self, AgreementRequest, DecisionRequest, ExtensionRequest, FollowUpRequest, OrgRequest,
    SessionRequest, StepRequest,
};
use crate::mediation::types::DisputeType;
use crate::mediation::{self, Dispute};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pingan_domain::Permission;
use pingan_domain::dispute::{GradeSuggestion, Kpi, RiskFactors};
use pingan_store::disputes::{self, DisputeFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_disputes, create_dispute))
        .routes(routes!(get_dispute))
        .routes(routes!(suggest_grade))
        .routes(routes!(reveal_party))
        .routes(routes!(add_org))
        .routes(routes!(add_session))
        .routes(routes!(add_agreement))
        .routes(routes!(act_on_dispute))
        .routes(routes!(request_extension))
        .routes(routes!(decide_extension))
        .routes(routes!(follow_up))
        .routes(routes!(kpi))
        .routes(routes!(list_dispute_types))
        .routes(routes!(put_dispute_type))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Comma-separated statuses (mediating, agreed, closed, transferred, withdrawn).
    pub status: Option<String>,
    /// grid, village, township or district.
    pub tier: Option<String>,
    /// Only mediating disputes whose tier time has run out.
    pub overdue: Option<bool>,
    /// 1–1000, default 200.
    pub limit: Option<i64>,
}

/// Disputes in your scope, newest first, with their clocks.
#[utoipa::path(get, path = "/api/v1/disputes", tag = "mediation", params(ListQuery),
    responses((status = 200, description = "OK", body = Vec<Dispute>), (status = 403, description = "Your role may not do this", body = ErrorBody), (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn list_disputes(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Vec<Dispute>>> {
    actor.require(&state, Permission::DisputeRead).await?;
    let statuses: Vec<String> = q
        .status
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    for s in &statuses {
        s.parse::<pingan_domain::dispute::Status>()
            .map_err(|m| ApiError::invalid("status", format!("status {m}")))?;
    }
    if let Some(t) = &q.tier {
        t.parse::<pingan_domain::dispute::Tier>()
            .map_err(|m| ApiError::invalid("tier", format!("tier {m}")))?;
    }
    let rows = disputes::list(
        &state.db,
        &actor.scope,
        &DisputeFilter {
            statuses,
            tier: q.tier,
            overdue_at: q.overdue.unwrap_or(false).then(|| state.now()),
            limit: q.limit.unwrap_or(200),
            ..Default::default()
        },
    )
    .await?;
    let types = mediation::type_names(&state).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| mediation::view(&state, &types, r))
            .collect(),
    ))
}

/// Register a dispute. The grade is suggested from the factors (with reasons); choosing another grade
/// needs `grade_reason`. Party identity is stored encrypted and answered masked.
#[utoipa::path(post, path = "/api/v1/disputes", tag = "mediation", request_body = NewDisputeRequest,
    responses((status = 201, description = "Created", body = Dispute), (status = 400, description = "Malformed request", body = ErrorBody), (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 409, description = "The incident named was already handed to mediation as another dispute", body = ErrorBody),
        (status = 422, description = "Values are invalid: every problem is listed (error.problems)", body = ErrorBody)))]
async fn create_dispute(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(req): ApiJson<NewDisputeRequest>,
) -> ApiResult<(StatusCode, Json<Dispute>)> {
    let row = register::register(&state, &actor, req).await?;
    let types = mediation::type_names(&state).await?;
    Ok((
        StatusCode::CREATED,
        Json(mediation::view(&state, &types, row)),
    ))
}

/// What the grading rules suggest for these factors (the registration form shows it before saving).
#[utoipa::path(post, path = "/api/v1/disputes/grade-suggestion", tag = "mediation", request_body = RiskFactors,
    responses((status = 200, description = "OK", body = GradeSuggestion), (status = 403, description = "Your role may not do this", body = ErrorBody)))]
async fn suggest_grade(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(f): ApiJson<RiskFactors>,
) -> ApiResult<Json<GradeSuggestion>> {
    actor.require(&state, Permission::DisputeRead).await?;
    Ok(Json(state.config.mediation.grading.suggest(&f)))
}

/// One dispute with parties (masked), organisations, sessions, agreements, follow-ups, extensions,
/// alerts and the timeline.
#[utoipa::path(get, path = "/api/v1/disputes/{id}", tag = "mediation",
    responses((status = 200, description = "OK", body = DisputeDetail), (status = 403, description = "Your role may not do this", body = ErrorBody), (status = 404, description = "Not found or outside your scope", body = ErrorBody)))]
async fn get_dispute(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<DisputeDetail>> {
    actor.require(&state, Permission::DisputeRead).await?;
    let row = steps::load(&state, &actor, &id).await?;
    Ok(Json(detail(&state, row, crate::i18n::Lang::ZhCn).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = DisputeRevealRequest)]
pub struct RevealRequest {
    /// Why you need the full identity (recorded in the audit log).
    pub purpose: Option<String>,
}

/// A party's full identity. Needs the personal-data right and a purpose; every read is audited.
#[utoipa::path(post, path = "/api/v1/disputes/{id}/parties/{party_id}/reveal", tag = "mediation",
    request_body = RevealRequest,
    responses((status = 200, description = "OK", body = RevealedParty), (status = 403, description = "Your role may not do this", body = ErrorBody), (status = 404, description = "Not found or outside your scope", body = ErrorBody),
        (status = 422, description = "No purpose given", body = ErrorBody)))]
async fn reveal_party(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, party_id)): Path<(String, String)>,
    ApiJson(req): ApiJson<RevealRequest>,
) -> ApiResult<Json<RevealedParty>> {
    Ok(Json(
        reveal(&state, &actor, &id, &party_id, req.purpose.as_deref()).await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    pub id: String,
}

/// An organisation joins the mediation (矛盾联调).
#[utoipa::path(post, path = "/api/v1/disputes/{id}/orgs", tag = "mediation", request_body = OrgRequest,
    responses((status = 204, description = "Done"), (status = 404, description = "Not found or outside your scope", body = ErrorBody), (status = 409, description = "Not allowed in the dispute's state", body = ErrorBody), (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn add_org(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<OrgRequest>,
) -> ApiResult<StatusCode> {
    steps::add_org(&state, &actor, &id, req).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Record a mediation session.
#[utoipa::path(post, path = "/api/v1/disputes/{id}/sessions", tag = "mediation", request_body = SessionRequest,
    responses((status = 201, description = "Created", body = Created), (status = 404, description = "Not found or outside your scope", body = ErrorBody), (status = 409, description = "Not allowed in the dispute's state", body = ErrorBody), (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn add_session(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<SessionRequest>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = steps::add_session(&state, &actor, &id, req).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// Record the agreement (人民调解法 art. 28/29); schedules the follow-up visits.
#[utoipa::path(post, path = "/api/v1/disputes/{id}/agreement", tag = "mediation", request_body = AgreementRequest,
    responses((status = 201, description = "Created", body = Created), (status = 404, description = "Not found or outside your scope", body = ErrorBody), (status = 409, description = "Not allowed in the dispute's state", body = ErrorBody), (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn add_agreement(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<AgreementRequest>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = steps::agree(&state, &actor, &id, req).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// fail (→ litigation/arbitration/petition/administrative), withdraw, close or escalate.
#[utoipa::path(post, path = "/api/v1/disputes/{id}/actions", tag = "mediation", request_body = StepRequest,
    responses((status = 200, description = "OK", body = Dispute), (status = 404, description = "Not found or outside your scope", body = ErrorBody),
        (status = 409, description = "Not allowed in the dispute's state", body = ErrorBody), (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn act_on_dispute(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<StepRequest>,
) -> ApiResult<Json<Dispute>> {
    steps::act(&state, &actor, &id, req).await?;
    let row = steps::load(&state, &actor, &id).await?;
    let types = mediation::type_names(&state).await?;
    Ok(Json(mediation::view(&state, &types, row)))
}

/// Ask for more time at the current tier.
#[utoipa::path(post, path = "/api/v1/disputes/{id}/extensions", tag = "mediation", request_body = ExtensionRequest,
    responses((status = 201, description = "Created", body = Created), (status = 404, description = "Not found or outside your scope", body = ErrorBody), (status = 409, description = "Not allowed in the dispute's state", body = ErrorBody), (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn request_extension(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ExtensionRequest>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = steps::request_extension(&state, &actor, &id, req).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// Approve or refuse an extension (someone other than the requester, with the supervision right).
#[utoipa::path(post, path = "/api/v1/disputes/{id}/extensions/{extension_id}", tag = "mediation",
    request_body = DecisionRequest,
    responses((status = 204, description = "Done"), (status = 403, description = "Your role may not do this", body = ErrorBody), (status = 404, description = "Not found or outside your scope", body = ErrorBody), (status = 409, description = "Not allowed in the dispute's state", body = ErrorBody)))]
async fn decide_extension(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, extension_id)): Path<(String, String)>,
    ApiJson(req): ApiJson<DecisionRequest>,
) -> ApiResult<StatusCode> {
    steps::decide_extension(&state, &actor, &id, &extension_id, req).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Record a follow-up visit; `breached` reopens the dispute.
#[utoipa::path(post, path = "/api/v1/disputes/{id}/followups/{followup_id}", tag = "mediation",
    request_body = FollowUpRequest,
    responses((status = 204, description = "Done"), (status = 404, description = "Not found or outside your scope", body = ErrorBody), (status = 409, description = "Not allowed in the dispute's state", body = ErrorBody), (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn follow_up(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, followup_id)): Path<(String, String)>,
    ApiJson(req): ApiJson<FollowUpRequest>,
) -> ApiResult<StatusCode> {
    steps::follow_up(&state, &actor, &id, &followup_id, req).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct KpiQuery {
    /// Area path, e.g. /330681/330681109/ (default: your first area scope).
    pub area: Option<String>,
    /// First local day of the period (YYYY-MM-DD, Asia/Shanghai).
    pub from: String,
    /// Day after the period's last.
    pub to: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KpiReport {
    pub area: String,
    pub from: String,
    pub to: String,
    #[serde(flatten)]
    pub kpi: Kpi,
}

fn local_day_start(field: &str, v: &str) -> ApiResult<i64> {
    let d: jiff::civil::Date = v
        .trim()
        .parse()
        .map_err(|_| ApiError::invalid(field, format!("{field} must be a date like 2026-11-01")))?;
    Ok(pingan_domain::time::day_start(d))
}

/// Registered, resolved, resolution and success rates, agreements performed, median days to resolve,
/// escalations and 民转刑 for an area and period.
#[utoipa::path(get, path = "/api/v1/disputes-kpi", tag = "mediation", params(KpiQuery),
    responses((status = 200, description = "OK", body = KpiReport), (status = 403, description = "Your role may not do this", body = ErrorBody), (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn kpi(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<KpiQuery>,
) -> ApiResult<Json<KpiReport>> {
    actor.require(&state, Permission::DisputeRead).await?;
    let area = match q.area {
        Some(a) => a,
        None => actor
            .scope
            .area_paths()
            .next()
            .map(String::from)
            .ok_or_else(|| ApiError::invalid("area", "name the area"))?,
    };
    if !pingan_domain::scope::is_valid_path(&area) || !actor.scope.covers_area_path(&area) {
        return Err(ApiError::invalid("area", "no such area in your scope"));
    }
    let from = local_day_start("from", &q.from)?;
    let to = local_day_start("to", &q.to)?;
    if to <= from {
        return Err(ApiError::invalid("to", "to must be after from"));
    }
    let facts = disputes::facts(&state.db, &area).await?;
    Ok(Json(KpiReport {
        kpi: pingan_domain::dispute::kpi(&facts, from, to),
        area,
        from: q.from,
        to: q.to,
    }))
}

/// The dispute type table (25 common types by default).
#[utoipa::path(get, path = "/api/v1/dispute-types", tag = "mediation",
    responses((status = 200, description = "OK", body = Vec<DisputeType>)))]
async fn list_dispute_types(
    State(state): State<AppState>,
    _actor: Actor,
) -> ApiResult<Json<Vec<DisputeType>>> {
    Ok(Json(
        disputes::types(&state.db)
            .await?
            .into_iter()
            .map(|t| DisputeType {
                code: t.code,
                name_zh: t.name_zh,
                name_en: t.name_en,
                active: t.active,
            })
            .collect(),
    ))
}

/// Add or change a dispute type, e.g. a local type beside the 25 common ones (system administrator).
#[utoipa::path(put, path = "/api/v1/dispute-types/{code}", tag = "mediation",
    params(("code" = String, Path, description = "Type code: 1–8 letters or digits")),
    request_body = DisputeType,
    responses((status = 200, description = "Saved", body = DisputeType),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn put_dispute_type(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    ApiJson(t): ApiJson<DisputeType>,
) -> ApiResult<Json<DisputeType>> {
    Ok(Json(
        crate::mediation::types::put(&state, &actor, &code, t).await?,
    ))
}
