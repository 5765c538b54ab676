//! 考核 pages: `/assessment` (the units of a type ranked for a month or quarter; settling an ended
//! period), `/assessment/{unit_type}/{key}` (a unit's score: each indicator with its weight, rate,
//! points and the counts behind it, each opening its records; manual items entered and confirmed
//! by a second person) and `/assessment/schemes` (the versions of each unit type's scheme; a new
//! version with changed weights).

use super::{NewManualItem, NewScheme, Ranking, RankingQuery, Scheme, Settlement, UnitDetail};
use crate::auth::{Actor, PageActor};
use crate::shell::{Ctx, FieldErrors, Forms, Typed, render};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use pingan_domain::Permission;
use pingan_domain::assessment::{Rule, UnitType};
use pingan_domain::period::{PeriodKind, ReportPeriod};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/assessment", get(ranking_page))
        .route("/assessment/settle", post(settle))
        .route("/assessment/schemes", get(schemes_page).post(add_scheme))
        .route("/assessment/items/{id}/confirm", post(confirm))
        .route(
            "/assessment/{unit_type}/{key}",
            get(unit_page).post(add_item),
        )
}

/// Every assessment page is read with the dashboard's permission.
async fn page_ctx(state: &AppState, headers: &HeaderMap, actor: &Actor) -> Result<Ctx, Response> {
    crate::shell::ctx_with(
        state,
        headers,
        actor,
        "assessment",
        "/assessment",
        Permission::KpiRead,
    )
    .await
}

fn plain_field(path: &str) -> Option<String> {
    Some(path.split('[').next().unwrap_or(path).to_string())
}

fn periods(ctx: &Ctx, today: jiff::civil::Date) -> Vec<(String, String)> {
    let label = |p: &ReportPeriod| ctx.period(p);
    let mut out = Vec::new();
    let mut q = ReportPeriod::containing(PeriodKind::Quarter, today);
    for _ in 0..8 {
        out.push((q.to_string(), label(&q)));
        q = q.previous();
    }
    let mut m = ReportPeriod::containing(PeriodKind::Month, today);
    for _ in 0..12 {
        out.push((m.to_string(), label(&m)));
        m = m.previous();
    }
    out
}

fn unit_types(ctx: &Ctx) -> Vec<(&'static str, String)> {
    UnitType::ALL
        .iter()
        .map(|t| (t.code(), ctx.label("unit_type", t.code())))
        .collect()
}

fn fmt(v: &Option<f64>) -> String {
    v.map(|x| format!("{x:.2}")).unwrap_or_else(|| "—".into())
}

#[derive(Debug, Default, Deserialize)]
struct RankingParams {
    unit_type: Option<String>,
    period: Option<String>,
    area: Option<String>,
}

#[derive(Template)]
#[template(path = "assessment/ranking.html")]
struct RankingPage {
    ctx: Ctx,
    r: Ranking,
    periods: Vec<(String, String)>,
    can_settle: bool,
    forms: Forms,
}

impl RankingPage {
    fn v(&self, n: &i64) -> String {
        self.ctx
            .t("assessment.version")
            .replace("{n}", &n.to_string())
    }
    fn is_type(&self, code: &str) -> bool {
        self.r.unit_type.code() == code
    }
    fn unit_types(&self) -> Vec<(&'static str, String)> {
        unit_types(&self.ctx)
    }
    fn total(&self, s: &super::UnitScore) -> String {
        fmt(&s.settled.as_ref().map_or(s.total, |x| x.total))
    }
}

async fn ranking_view(
    state: &AppState,
    headers: &HeaderMap,
    actor: &Actor,
    p: RankingParams,
    forms: Forms,
) -> Response {
    let ctx = crate::page_try!(page_ctx(state, headers, actor).await);
    let unit_type = p
        .unit_type
        .as_deref()
        .and_then(|t| t.parse().ok())
        .unwrap_or(UnitType::Village);
    let q = RankingQuery {
        unit_type,
        period: p.period.filter(|s| !s.is_empty()),
        area: p.area.filter(|s| !s.is_empty()),
    };
    let r = match super::ranking(state, actor, &q, ctx.lang).await {
        Ok(r) => r,
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let can_settle = actor.can(Permission::AssessmentManage)
        && r.complete
        && r.scores.iter().any(|s| s.settled.is_none());
    let periods = periods(&ctx, state.today());
    render(
        StatusCode::OK,
        &RankingPage {
            ctx,
            r,
            periods,
            can_settle,
            forms,
        },
    )
}

async fn ranking_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Query(p): Query<RankingParams>,
) -> Response {
    ranking_view(&state, &headers, &actor, p, Forms::default()).await
}

async fn settle(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    body: Bytes,
) -> Response {
    let typed = Typed::parse("settle", &body);
    let unit_type = typed.get("unit_type");
    let period = typed.get("period");
    let area = typed.optional("area");
    let parsed: Result<UnitType, _> = unit_type.parse();
    let result = match parsed {
        Ok(t) => {
            super::settle(
                &state,
                &actor,
                &Settlement {
                    unit_type: t,
                    period: period.clone(),
                    area: area.clone(),
                },
            )
            .await
        }
        Err(e) => Err(crate::error::ApiError::invalid("unit_type", e)),
    };
    match result {
        Ok(_) => Redirect::to(&format!(
            "/assessment?unit_type={unit_type}&period={period}&area={}",
            form_urlencoded::byte_serialize(area.unwrap_or_default().as_bytes())
                .collect::<String>()
        ))
        .into_response(),
        Err(e) => {
            let lang = crate::shell::lang_of(&headers);
            match FieldErrors::of(&state.i18n, lang, &e, plain_field) {
                Some(errors) => {
                    let p = RankingParams {
                        unit_type: Some(unit_type),
                        period: Some(period),
                        area,
                    };
                    ranking_view(&state, &headers, &actor, p, Forms { typed, errors }).await
                }
                None => crate::shell::fail(&state, &headers, &actor, e),
            }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct UnitParams {
    period: Option<String>,
}

#[derive(Template)]
#[template(path = "assessment/unit.html")]
struct UnitPage {
    ctx: Ctx,
    d: UnitDetail,
    can_manage: bool,
    forms: Forms,
}

impl UnitPage {
    fn v(&self, n: &i64) -> String {
        self.ctx
            .t("assessment.version")
            .replace("{n}", &n.to_string())
    }
    fn fmt(&self, v: &Option<f64>) -> String {
        fmt(v)
    }
    fn rate(&self, v: &Option<f64>) -> String {
        v.map(|r| format!("{:.1}%", r * 100.0))
            .unwrap_or_else(|| self.ctx.t("assessment.not_scored").to_string())
    }
    fn rule(&self, r: &Rule) -> String {
        let t = |k: &str| self.ctx.t(&format!("assessment_rule.{k}")).to_string();
        match r {
            Rule::Share { .. } => t("share"),
            Rule::Fewer { ceiling, den, .. } if den.is_empty() => {
                t("fewer_count").replace("{ceiling}", &ceiling.to_string())
            }
            Rule::Fewer { ceiling, .. } => t("fewer").replace("{ceiling}", &ceiling.to_string()),
            Rule::Mean { max, .. } => t("mean").replace("{max}", &max.to_string()),
            Rule::PerHead { target, .. } => t("per_head").replace("{target}", &target.to_string()),
            Rule::Manual { max } => t("manual").replace("{max}", &max.to_string()),
        }
    }
    fn count_label(&self, c: &crate::kpi::counting::Counted) -> String {
        self.ctx
            .t(&format!("kpi_measure.{}", c.measure))
            .to_string()
    }
    fn manual_codes(&self) -> Vec<(String, String)> {
        self.d
            .score
            .indicators
            .iter()
            .filter(|i| matches!(i.rule, Rule::Manual { .. }))
            .map(|i| (i.code.clone(), i.name.clone()))
            .collect()
    }
    fn indicator_name(&self, code: &str) -> String {
        self.d
            .score
            .indicators
            .iter()
            .find(|i| i.code == code)
            .map_or(code.to_string(), |i| i.name.clone())
    }
    fn at(&self, us: &i64) -> String {
        pingan_domain::time::local_datetime(pingan_domain::time::from_micros(*us))[..16].to_string()
    }
    fn unit_type(&self) -> String {
        self.ctx
            .label("unit_type", self.d.score.unit.unit_type.code())
    }
}

async fn unit_view(
    state: &AppState,
    headers: &HeaderMap,
    actor: &Actor,
    (unit_type, key): (String, String),
    period: Option<String>,
    forms: Forms,
) -> Response {
    let ctx = crate::page_try!(page_ctx(state, headers, actor).await);
    let Ok(t) = unit_type.parse::<UnitType>() else {
        return crate::shell::page_error(ctx, crate::error::ApiError::NotFound);
    };
    let d = match super::detail(state, actor, t, &key, period.as_deref(), ctx.lang).await {
        Ok(d) => d,
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    render(
        StatusCode::OK,
        &UnitPage {
            ctx,
            d,
            can_manage: actor.can(Permission::AssessmentManage),
            forms,
        },
    )
}

async fn unit_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(k): Path<(String, String)>,
    Query(p): Query<UnitParams>,
) -> Response {
    unit_view(&state, &headers, &actor, k, p.period, Forms::default()).await
}

async fn add_item(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path((unit_type, key)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let typed = Typed::parse("item", &body);
    let period = typed.get("period");
    let result = match unit_type.parse::<UnitType>() {
        Ok(t) => {
            let points = typed.get("points");
            match points.trim().parse::<f64>() {
                Ok(points) => {
                    super::add_item(
                        &state,
                        &actor,
                        &NewManualItem {
                            unit_type: t,
                            unit_key: key.clone(),
                            period: period.clone(),
                            indicator: typed.get("indicator"),
                            points,
                            evidence: typed.get("evidence"),
                        },
                    )
                    .await
                }
                Err(_) => Err(crate::error::ApiError::invalid("points", "a number")),
            }
        }
        Err(e) => Err(crate::error::ApiError::invalid("unit_type", e)),
    };
    match result {
        Ok(_) => Redirect::to(&format!(
            "/assessment/{unit_type}/{key}?period={period}#items"
        ))
        .into_response(),
        Err(e) => {
            let lang = crate::shell::lang_of(&headers);
            match FieldErrors::of(&state.i18n, lang, &e, plain_field) {
                Some(errors) => {
                    unit_view(
                        &state,
                        &headers,
                        &actor,
                        (unit_type, key),
                        Some(period),
                        Forms { typed, errors },
                    )
                    .await
                }
                None => crate::shell::fail(&state, &headers, &actor, e),
            }
        }
    }
}

async fn confirm(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let typed = Typed::parse("confirm", &body);
    match super::confirm_item(&state, &actor, &id).await {
        Ok(()) => {
            let back = typed.get("back");
            let back = if back.starts_with("/assessment/") {
                back
            } else {
                "/assessment".into()
            };
            Redirect::to(&format!("{back}#items")).into_response()
        }
        Err(e) => crate::shell::fail(&state, &headers, &actor, e),
    }
}

#[derive(Template)]
#[template(path = "assessment/schemes.html")]
struct SchemesPage {
    ctx: Ctx,
    schemes: Vec<Scheme>,
    selected: UnitType,
    months: Vec<(String, String)>,
    can_manage: bool,
    forms: Forms,
}

impl SchemesPage {
    fn v(&self, n: &i64) -> String {
        self.ctx
            .t("assessment.version")
            .replace("{n}", &n.to_string())
    }
    fn is_type(&self, code: &str) -> bool {
        self.selected.code() == code
    }
    fn unit_types(&self) -> Vec<(&'static str, String)> {
        unit_types(&self.ctx)
    }
    fn versions(&self) -> Vec<&Scheme> {
        let mut v: Vec<&Scheme> = self
            .schemes
            .iter()
            .filter(|s| s.unit_type == self.selected)
            .collect();
        v.reverse();
        v
    }
    fn latest(&self) -> Option<&Scheme> {
        self.schemes
            .iter()
            .filter(|s| s.unit_type == self.selected)
            .max_by_key(|s| s.version)
    }
    fn name(&self, i: &pingan_domain::assessment::Indicator) -> String {
        self.ctx.lang.pick(&i.name_zh, &i.name_en).clone()
    }
    fn weight(&self, code: &str, current: &f64) -> String {
        self.forms
            .v("scheme", &format!("weight_{code}"), &current.to_string())
    }
}

#[derive(Debug, Default, Deserialize)]
struct SchemesParams {
    unit_type: Option<String>,
}

async fn schemes_view(
    state: &AppState,
    headers: &HeaderMap,
    actor: &Actor,
    selected: UnitType,
    forms: Forms,
) -> Response {
    let ctx = crate::page_try!(page_ctx(state, headers, actor).await);
    let schemes = match super::schemes(state, actor, None).await {
        Ok(s) => s,
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let mut m = ReportPeriod::containing(PeriodKind::Month, state.today());
    let mut months = Vec::new();
    for _ in 0..3 {
        months.push((m.to_string(), ctx.period(&m)));
        m = m.next();
    }
    render(
        StatusCode::OK,
        &SchemesPage {
            ctx,
            schemes,
            selected,
            months,
            can_manage: actor.can(Permission::AssessmentDefine),
            forms,
        },
    )
}

async fn schemes_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Query(p): Query<SchemesParams>,
) -> Response {
    let t = p
        .unit_type
        .as_deref()
        .and_then(|t| t.parse().ok())
        .unwrap_or(UnitType::Village);
    schemes_view(&state, &headers, &actor, t, Forms::default()).await
}

/// A new version: the latest version's indicators with the weights as entered.
async fn add_scheme(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    body: Bytes,
) -> Response {
    let typed = Typed::parse("scheme", &body);
    let Ok(unit_type) = typed.get("unit_type").parse::<UnitType>() else {
        return crate::shell::fail(
            &state,
            &headers,
            &actor,
            crate::error::ApiError::invalid("unit_type", "unknown unit type"),
        );
    };
    let result = async {
        let all = super::schemes(&state, &actor, Some(unit_type)).await?;
        let latest = all
            .into_iter()
            .max_by_key(|s| s.version)
            .ok_or_else(|| crate::error::ApiError::invalid("unit_type", "no scheme yet"))?;
        let mut indicators = latest.indicators;
        for (i, ind) in indicators.iter_mut().enumerate() {
            let raw = typed.get(&format!("weight_{}", ind.code));
            ind.weight = raw.trim().parse().map_err(|_| {
                crate::error::ApiError::invalid(&format!("indicators[{i}]"), "a number")
            })?;
        }
        super::add_scheme(
            &state,
            &actor,
            &NewScheme {
                unit_type,
                effective_from: typed.get("effective_from"),
                indicators,
                note: typed.get("note"),
            },
        )
        .await
    }
    .await;
    match result {
        Ok(_) => {
            Redirect::to(&format!("/assessment/schemes?unit_type={unit_type}")).into_response()
        }
        Err(e) => {
            let lang = crate::shell::lang_of(&headers);
            match FieldErrors::of(&state.i18n, lang, &e, plain_field) {
                Some(errors) => {
                    schemes_view(&state, &headers, &actor, unit_type, Forms { typed, errors }).await
                }
                None => crate::shell::fail(&state, &headers, &actor, e),
            }
        }
    }
}
