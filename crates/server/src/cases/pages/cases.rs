//! 执法监督 pages: the case list, a case (steps, the engine's clocks, its alerts, a form to record the
//! next step), the 网上巡查 alert inbox and one alert with its history and the actions the reader's role
//! allows (explain for the handling officer; accept / escalate for the legal supervisor; comment for all).

use crate::auth::{Actor, PageActor};
use crate::cases::inspect::{self, AlertAction};
use crate::cases::{self, Case, StepRequest, rule_name_in};
use crate::error::ApiError;
use crate::shell::{Ctx, not_found, render};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use pingan_domain::Permission;
use pingan_domain::case::STEPS;
use pingan_domain::case_alert::AlertStatus;
use pingan_domain::time;
use pingan_store::cases::{self as store, AlertFilter, AlertRow, CaseFilter, CaseRow};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/cases", get(list))
        .route("/cases/{id}", get(show).post(add_step))
        .route("/case-alerts", get(inbox))
        .route("/case-alerts/{id}", get(alert_page).post(alert_act))
}

fn when(us: &i64) -> String {
    time::local_datetime(time::from_micros(*us))
}

fn kind_label(ctx: &Ctx, kind: &str) -> String {
    ctx.t(&format!("cases.kind_{kind}")).to_string()
}

#[derive(Template)]
#[template(path = "cases/cases.html")]
struct ListPage {
    ctx: Ctx,
    rows: Vec<(CaseRow, i64)>,
}

impl ListPage {
    fn kind(&self, c: &CaseRow) -> String {
        kind_label(&self.ctx, &c.kind)
    }
    fn status(&self, c: &CaseRow) -> String {
        self.ctx
            .t(&format!("cases.status_{}", c.status))
            .to_string()
    }
    fn at(&self, us: &i64) -> String {
        when(us)
    }
    fn busy(&self, n: &i64) -> bool {
        *n > 0
    }
}

async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(
            &state,
            &headers,
            &actor,
            "cases",
            "/cases",
            Permission::CaseRead
        )
        .await
    );
    let rows = match store::list(
        &state.db,
        &actor.scope,
        &CaseFilter {
            limit: 500,
            ..Default::default()
        },
    )
    .await
    {
        Ok(r) => r,
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let open: Vec<(String, i64)> = match state
        .db
        .fetch_all(
            "SELECT case_id, COUNT(*) FROM case_alerts WHERE status IN ('open', 'explained', 'escalated') GROUP BY case_id",
            pingan_store::args![],
        )
        .await
    {
        Ok(r) => r,
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let rows = rows
        .into_iter()
        .map(|c| {
            let n = open.iter().find(|(id, _)| *id == c.id).map_or(0, |x| x.1);
            (c, n)
        })
        .collect();
    render(StatusCode::OK, &ListPage { ctx, rows })
}

#[derive(Template)]
#[template(path = "cases/case.html")]
struct CasePage {
    ctx: Ctx,
    c: Case,
    reviews: crate::cases::review::CaseReviews,
    /// (rubric id, rubric) for the review form.
    rubrics: Vec<(String, pingan_domain::case_review::Rubric)>,
    can_review: bool,
    alerts: Vec<AlertRow>,
    can_record: bool,
    error: Option<String>,
    rules: std::sync::Arc<pingan_domain::case_rules::RuleBook>,
}

impl CasePage {
    fn kind(&self) -> String {
        kind_label(&self.ctx, &self.c.kind)
    }
    fn at(&self, us: &i64) -> String {
        when(us)
    }
    fn score(&self, v: &f64) -> String {
        format!("{v:.1}")
    }
    fn mean(&self, v: &Option<f64>) -> String {
        v.map_or_else(|| "—".into(), |x| format!("{x:.1}"))
    }
    fn state_label(&self, s: &str) -> String {
        self.ctx.t(&format!("cases.clock_{s}")).to_string()
    }
    fn alert_rule(&self, a: &AlertRow) -> String {
        rule_name_in(&self.rules, &a.rule_id, &a.version, self.ctx.lang)
    }
    fn rule(&self, rule_id: &str, version: &str) -> String {
        rule_name_in(&self.rules, rule_id, version, self.ctx.lang)
    }
    fn step_name(&self, code: &str) -> String {
        STEPS.iter().find(|s| s.0 == code).map_or_else(
            || code.to_string(),
            |s| self.ctx.lang.pick(s.1, s.2).to_string(),
        )
    }
    fn alert_kind(&self, a: &AlertRow) -> String {
        self.ctx.t(&format!("cases.alert_{}", a.kind)).to_string()
    }
    fn alert_status(&self, a: &AlertRow) -> String {
        self.ctx
            .t(&format!("cases.astatus_{}", a.status))
            .to_string()
    }
    fn steps(&self) -> Vec<(&'static str, String)> {
        STEPS
            .iter()
            .map(|s| (s.0, self.ctx.lang.pick(s.1, s.2).to_string()))
            .collect()
    }
}

async fn case_page(
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
            "cases",
            &format!("/cases/{id}"),
            Permission::CaseRead
        )
        .await
    );
    let row = match store::get(&state.db, &actor.scope, id).await {
        Ok(Some(r)) => r,
        Ok(None) => return not_found(ctx),
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let c = match cases::view(state, row).await {
        Ok(c) => c,
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let alerts = match store::list_alerts(
        &state.db,
        &actor.scope,
        &AlertFilter {
            case_id: Some(id.to_string()),
            limit: 200,
            ..Default::default()
        },
    )
    .await
    {
        Ok(a) => a,
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let reviews = match crate::cases::review::reviews(state, actor, id).await {
        Ok(r) => r,
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let rubrics = match crate::cases::review::list_rubrics(state, actor).await {
        Ok(r) => r
            .into_iter()
            .filter_map(|v| serde_json::from_value(v.rubric).ok().map(|r| (v.id, r)))
            .collect(),
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(
        status,
        &CasePage {
            reviews,
            rubrics,
            can_review: actor.can(Permission::CaseSupervise),
            can_record: actor.can(Permission::CaseManage),
            rules: state.rules.clone(),
            ctx,
            c,
            alerts,
            error,
        },
    )
}

async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
) -> Response {
    case_page(&state, &headers, &actor, &id, None).await
}

#[derive(Deserialize)]
struct StepForm {
    step: String,
    /// `datetime-local`: YYYY-MM-DDTHH:MM, China time.
    #[serde(default)]
    at: String,
    #[serde(default)]
    item: String,
    #[serde(default)]
    days: String,
    #[serde(default)]
    note: String,
}

async fn add_step(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
    form: Result<axum::extract::Form<StepForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let f = match crate::shell::form(form) {
        Ok(f) => f,
        Err(e) => return crate::shell::fail(&state, &headers, &actor, e),
    };
    let at = f.at.trim();
    let at = (!at.is_empty()).then(|| {
        if at.len() == 16 {
            format!("{at}:00+08:00")
        } else {
            format!("{at}+08:00")
        }
    });
    let days = match f.days.trim() {
        "" => None,
        d => match d.parse::<i64>() {
            Ok(v) => Some(v),
            Err(_) => {
                return case_page(&state, &headers, &actor, &id, Some("days: 1–4".into())).await;
            }
        },
    };
    let req = StepRequest {
        step: f.step,
        at,
        item: Some(f.item).filter(|s| !s.trim().is_empty()),
        days,
        note: Some(f.note).filter(|s| !s.trim().is_empty()),
    };
    match cases::record_step(&state, &actor, &id, req).await {
        Ok(_) => (
            StatusCode::SEE_OTHER,
            [(axum::http::header::LOCATION, format!("/cases/{id}"))],
        )
            .into_response(),
        Err(e) => match crate::shell::field_message(&e) {
            Some(m) => case_page(&state, &headers, &actor, &id, Some(m)).await,
            None => crate::shell::fail(&state, &headers, &actor, e),
        },
    }
}

/// An alert as the pages show it.
pub struct AlertItem {
    pub a: AlertRow,
    pub case_number: String,
    pub case_title: String,
    pub rule: String,
}

async fn items(
    state: &AppState,
    lang: crate::i18n::Lang,
    rows: Vec<AlertRow>,
) -> Result<Vec<AlertItem>, ApiError> {
    let mut out = Vec::with_capacity(rows.len());
    for a in rows {
        let (case_number, case_title): (String, String) = state
            .db
            .fetch_one(
                "SELECT number, title FROM cases WHERE id = ?",
                pingan_store::args![a.case_id.as_str()],
            )
            .await?;
        out.push(AlertItem {
            rule: rule_name_in(&state.rules, &a.rule_id, &a.version, lang),
            a,
            case_number,
            case_title,
        });
    }
    Ok(out)
}

#[derive(Template)]
#[template(path = "cases/case_alerts.html")]
struct InboxPage {
    ctx: Ctx,
    rows: Vec<AlertItem>,
    q: InboxQuery,
}

/// The inbox's filters (empty = any).
#[derive(Deserialize, Default, Clone)]
struct InboxQuery {
    status: Option<String>,
    kind: Option<String>,
    /// Found within this many days.
    days: Option<String>,
}

impl InboxPage {
    fn kind(&self, a: &AlertRow) -> String {
        self.ctx.t(&format!("cases.alert_{}", a.kind)).to_string()
    }
    fn status(&self, a: &AlertRow) -> String {
        self.ctx
            .t(&format!("cases.astatus_{}", a.status))
            .to_string()
    }
    fn at(&self, us: &i64) -> String {
        when(us)
    }
    /// Whether a filter holds this value (the option shows selected).
    fn sel(&self, v: &Option<String>, s: &str) -> bool {
        v.as_deref() == Some(s)
    }
}

async fn inbox(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Query(q): Query<InboxQuery>,
) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(
            &state,
            &headers,
            &actor,
            "inspection",
            "/case-alerts",
            Permission::CaseRead
        )
        .await
    );
    let pick = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
    // Filtered in the query, so the 500 shown are the newest of those that match.
    let rows = match store::list_alerts(
        &state.db,
        &actor.scope,
        &AlertFilter {
            status: pick(&q.status),
            kind: pick(&q.kind),
            found_since: pick(&q.days)
                .and_then(|d| d.parse::<i64>().ok())
                .map(|d| state.now() - d * pingan_domain::dispute::MICROS_PER_DAY),
            limit: 500,
            ..Default::default()
        },
    )
    .await
    {
        Ok(r) => r,
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    // Work first: what still needs someone, then the settled ones.
    let (mut live, settled): (Vec<AlertRow>, Vec<AlertRow>) = rows
        .into_iter()
        .partition(|a| a.status().is_some_and(AlertStatus::is_live));
    live.extend(settled);
    match items(&state, ctx.lang, live).await {
        Ok(rows) => render(StatusCode::OK, &InboxPage { ctx, rows, q }),
        Err(e) => crate::shell::page_error(ctx, e),
    }
}

#[derive(Template)]
#[template(path = "cases/case_alert.html")]
struct AlertPage {
    ctx: Ctx,
    item: AlertItem,
    history: Vec<pingan_store::cases::AlertEventRow>,
    can_explain: bool,
    can_supervise: bool,
    error: Option<String>,
}

impl AlertPage {
    /// Who acted: a person by name, the 网上巡查 job in the reader's words.
    fn who(&self, name: &str) -> String {
        if name == crate::cases::inspect::INSPECTOR {
            self.ctx.t("cases.inspector").to_string()
        } else {
            name.to_string()
        }
    }
    fn kind(&self) -> String {
        self.ctx
            .t(&format!("cases.alert_{}", self.item.a.kind))
            .to_string()
    }
    fn status(&self) -> String {
        self.ctx
            .t(&format!("cases.astatus_{}", self.item.a.status))
            .to_string()
    }
    fn action(&self, a: &str) -> String {
        self.ctx.t(&format!("cases.action_{a}")).to_string()
    }
    fn at(&self, us: &i64) -> String {
        when(us)
    }
    fn live(&self) -> bool {
        self.item.a.status().is_some_and(AlertStatus::is_live)
    }
}

async fn alert_view(
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
            "inspection",
            &format!("/case-alerts/{id}"),
            Permission::CaseRead
        )
        .await
    );
    let a = match store::get_alert(&state.db, &actor.scope, id).await {
        Ok(Some(a)) => a,
        Ok(None) => return not_found(ctx),
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let officers = match store::officers(&state.db, &a.case_id).await {
        Ok(o) => o,
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let history = match store::alert_events(&state.db, id).await {
        Ok(h) => h,
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let mut item = match items(state, ctx.lang, vec![a]).await {
        Ok(v) => v,
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(
        status,
        &AlertPage {
            can_explain: officers.iter().any(|(u, _)| *u == actor.user_id),
            can_supervise: actor.can(Permission::CaseSupervise),
            item: item.remove(0),
            ctx,
            history,
            error,
        },
    )
}

async fn alert_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
) -> Response {
    alert_view(&state, &headers, &actor, &id, None).await
}

#[derive(Deserialize)]
struct ActForm {
    action: String,
    #[serde(default)]
    note: String,
}

async fn alert_act(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
    form: Result<axum::extract::Form<ActForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let f = match crate::shell::form(form) {
        Ok(f) => f,
        Err(e) => return crate::shell::fail(&state, &headers, &actor, e),
    };
    match inspect::act(
        &state,
        &actor,
        &id,
        AlertAction {
            action: f.action,
            note: f.note,
        },
    )
    .await
    {
        Ok(_) => (
            StatusCode::SEE_OTHER,
            [(axum::http::header::LOCATION, format!("/case-alerts/{id}"))],
        )
            .into_response(),
        Err(e) => {
            let m = crate::shell::field_message(&e).or_else(|| match &e {
                ApiError::Conflict(m) | ApiError::Forbidden(m) => Some(m.clone()),
                _ => None,
            });
            match m {
                Some(m) => alert_view(&state, &headers, &actor, &id, Some(m)).await,
                None => crate::shell::fail(&state, &headers, &actor, e),
            }
        }
    }
}
