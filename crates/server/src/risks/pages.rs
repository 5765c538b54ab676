//! 风险联排 pages: `/risks` (the register in scope, registering a risk), `/risks/{id}` (the risk,
//! its rectification order and re-inspection), `/risks/campaigns` (screening campaigns) and
//! `/risks/campaigns/{id}` (completion per grid, open rectifications) with each grid's checklist
//! at `/risks/campaigns/{id}/grids/{code}` (phone-first: grid workers answer it on the spot).

use super::campaigns::{
    self, ChecklistItem, GridDone, GridSheet, NewCheckAnswer, NewRiskCampaign, RiskCampaign,
    RiskCampaignDetail,
};
use super::{
    NewRiskReport, RectificationOrder, Reinspection, Risk, RiskClosure, RiskDetail, RiskQuery,
};
use crate::auth::{Actor, PageActor};
use crate::error::{ApiError, ApiResult};
use crate::shell::{Ctx, FieldErrors, Forms, Typed, render};
use crate::state::AppState;
use crate::tasks::forms::choices;
use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use pingan_domain::Permission;
use pingan_domain::risk::{CheckResult, RiskLevel as Level, RiskStatus as Status};
use pingan_domain::task::Card;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/risks", get(list).post(register))
        .route("/risks/campaigns", get(campaign_list).post(campaign_create))
        .route("/risks/campaigns/{id}", get(campaign_detail))
        .route("/risks/campaigns/{id}/grids/{code}", get(grid_sheet))
        .route(
            "/risks/campaigns/{id}/grids/{code}/answers",
            post(grid_answer),
        )
        .route(
            "/risks/campaigns/{id}/grids/{code}/report",
            post(grid_report),
        )
        .route("/risks/{id}", get(detail))
        .route("/risks/{id}/order", post(order))
        .route("/risks/{id}/reinspection", post(reinspect))
        .route("/risks/{id}/closure", post(close))
}

fn at(us: &i64) -> String {
    pingan_domain::time::local_datetime(pingan_domain::time::from_micros(*us))[..16].to_string()
}

/// What every risk page shows of a risk: names, not codes.
pub struct Words<'a> {
    ctx: &'a Ctx,
    state: &'a AppState,
}

impl Words<'_> {
    pub fn category(&self, code: &str) -> String {
        super::category_name(self.state, self.ctx, code)
    }
    pub fn level(&self, l: &Level) -> String {
        self.ctx.label("risk_level", l.code())
    }
    pub fn status(&self, r: &Risk) -> String {
        self.ctx.label("risk_status", r.status.code())
    }
    pub fn card(&self, r: &Risk) -> Option<String> {
        r.order
            .as_ref()
            .filter(|o| r.status == Status::Rectifying && o.card != Card::Normal)
            .map(|o| self.ctx.label("task_card", o.card.code()))
    }
    pub fn card_code(&self, r: &Risk) -> &'static str {
        r.order
            .as_ref()
            .filter(|_| r.status == Status::Rectifying)
            .map_or("normal", |o| o.card.code())
    }
    pub fn at(&self, us: &i64) -> String {
        at(us)
    }
}

/* ---------- the register ---------- */

#[derive(Template)]
#[template(path = "risks/list.html")]
struct ListPage {
    ctx: Ctx,
    state: AppState,
    risks: Vec<Risk>,
    tab: String,
    can_report: bool,
    grids: Vec<(String, String)>,
    categories: Vec<(String, String)>,
    forms: Forms,
}

impl ListPage {
    fn w(&self) -> Words<'_> {
        Words {
            ctx: &self.ctx,
            state: &self.state,
        }
    }
    fn levels(&self) -> Vec<(&'static str, String)> {
        Level::ALL
            .iter()
            .map(|l| (l.code(), self.ctx.label("risk_level", l.code())))
            .collect()
    }
}

#[derive(Debug, Default, serde::Deserialize)]
struct Tab {
    #[serde(default)]
    tab: String,
}

async fn grid_choices(state: &AppState, actor: &Actor) -> ApiResult<Vec<(String, String)>> {
    Ok(pingan_store::grids::list(&state.db, &actor.scope, None)
        .await?
        .into_iter()
        .map(|g| (g.code, g.name))
        .collect())
}

async fn list_view(
    state: &AppState,
    headers: &HeaderMap,
    actor: &Actor,
    tab: &str,
    forms: Forms,
) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(
            state,
            headers,
            actor,
            "risks",
            "/risks",
            Permission::RiskRead
        )
        .await
    );
    let tab = match tab {
        "open" | "rectifying" | "closed" | "carded" | "all" => tab,
        _ => "live",
    };
    let mut q = RiskQuery::default();
    match tab {
        "open" => q.status = Some(Status::Open),
        "rectifying" => q.status = Some(Status::Rectifying),
        "closed" => q.status = Some(Status::Closed),
        "carded" => q.carded = true,
        _ => {}
    }
    let can_report = actor.can(Permission::RiskReport);
    let loaded = async {
        let mut risks = super::list(state, actor, &q).await?;
        if tab == "live" {
            risks.retain(|r| r.status != Status::Closed);
        }
        let grids = if can_report {
            grid_choices(state, actor).await?
        } else {
            Vec::new()
        };
        Ok::<_, ApiError>((risks, grids))
    };
    let (risks, grids) = match loaded.await {
        Ok(v) => v,
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let status = if forms.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let categories = super::categories(state, &ctx);
    render(
        status,
        &ListPage {
            ctx,
            state: state.clone(),
            risks,
            tab: tab.to_string(),
            can_report,
            grids,
            categories,
            forms,
        },
    )
}

async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Query(t): Query<Tab>,
) -> Response {
    list_view(&state, &headers, &actor, &t.tab, Forms::default()).await
}

/// A risk report from a form (the register page and a visit share the field names).
pub fn risk_report(typed: &Typed, prefix: &str) -> NewRiskReport {
    let get = |k: &str| typed.get(&format!("{prefix}{k}"));
    let num = |k: &str| get(k).parse::<f64>().ok().filter(|v| v.is_finite());
    NewRiskReport {
        title: get("title"),
        category: get("category"),
        level: get("level").parse().unwrap_or(Level::General),
        detail: typed.optional(&format!("{prefix}detail")),
        place_id: typed.optional(&format!("{prefix}place_id")),
        grid_code: typed.optional(&format!("{prefix}grid_code")),
        lng: num("lng"),
        lat: num("lat"),
    }
}

fn plain_field(path: &str) -> Option<String> {
    Some(path.split('[').next().unwrap_or(path).to_string())
}

async fn register(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    body: Bytes,
) -> Response {
    let typed = Typed::parse("risk", &body);
    match super::register(&state, &actor, risk_report(&typed, "")).await {
        Ok(r) => Redirect::to(&format!("/risks/{}", r.id)).into_response(),
        Err(e) => {
            let lang = crate::shell::lang_of(&headers);
            match FieldErrors::of(&state.i18n, lang, &e, plain_field) {
                Some(errors) => {
                    list_view(&state, &headers, &actor, "live", Forms { typed, errors }).await
                }
                None => crate::shell::fail(&state, &headers, &actor, e),
            }
        }
    }
}

/* ---------- one risk ---------- */

#[derive(Template)]
#[template(path = "risks/risk.html")]
struct RiskPage {
    ctx: Ctx,
    state: AppState,
    d: RiskDetail,
    can_manage: bool,
    /// Whether a (new) order may be issued now.
    may_order: bool,
    /// Whether the order was reported done and awaits re-inspection.
    awaiting_reinspection: bool,
    orgs: Vec<(String, String)>,
    people: Vec<(String, String)>,
    today: String,
    forms: Forms,
}

impl RiskPage {
    fn w(&self) -> Words<'_> {
        Words {
            ctx: &self.ctx,
            state: &self.state,
        }
    }
    fn event(&self, kind: &pingan_domain::risk::RiskEventKind) -> String {
        self.ctx.label("risk_event", kind.code())
    }
    fn source(&self) -> String {
        self.ctx.label("risk_source", self.d.risk.source.code())
    }
}

async fn risk_view(
    state: &AppState,
    headers: &HeaderMap,
    actor: &Actor,
    id: &str,
    forms: Forms,
) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(
            state,
            headers,
            actor,
            "risks",
            "/risks",
            Permission::RiskRead
        )
        .await
    );
    let can_manage = actor.can(Permission::RiskManage);
    let loaded = async {
        let d = super::detail(state, actor, id).await?;
        let (orgs, people) = if can_manage {
            choices(state, actor).await?
        } else {
            (Vec::new(), Vec::new())
        };
        Ok::<_, ApiError>((d, orgs, people))
    };
    let (d, orgs, people) = match loaded.await {
        Ok(v) => v,
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let order = d.risk.order.as_ref().map(|o| o.status);
    let may_order = match d.risk.status {
        Status::Open => true,
        Status::Rectifying => order.is_some_and(|s| !s.is_live()),
        Status::Closed => false,
    };
    let awaiting_reinspection = d.risk.status == Status::Rectifying
        && order == Some(pingan_domain::task::Status::Submitted);
    let status = if forms.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(
        status,
        &RiskPage {
            ctx,
            state: state.clone(),
            d,
            can_manage,
            may_order,
            awaiting_reinspection,
            orgs,
            people,
            today: state.today().to_string(),
            forms,
        },
    )
}

async fn detail(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
) -> Response {
    risk_view(&state, &headers, &actor, &id, Forms::default()).await
}

async fn answer_risk_form(
    state: &AppState,
    headers: &HeaderMap,
    actor: &Actor,
    id: &str,
    typed: Typed,
    result: ApiResult<Risk>,
) -> Response {
    match result {
        Ok(r) => Redirect::to(&format!("/risks/{}", r.id)).into_response(),
        Err(e) => {
            let lang = crate::shell::lang_of(headers);
            match FieldErrors::of(&state.i18n, lang, &e, plain_field) {
                Some(errors) => risk_view(state, headers, actor, id, Forms { typed, errors }).await,
                None => crate::shell::fail(state, headers, actor, e),
            }
        }
    }
}

fn read_at(typed: &Typed) -> i64 {
    typed.get("updated_at").parse().unwrap_or(0)
}

async fn order(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let typed = Typed::parse("order", &body);
    let req = RectificationOrder {
        requirement: typed.get("requirement"),
        lead_org_id: typed.get("lead_org_id"),
        lead_user_id: typed.get("lead_user_id"),
        co_org_ids: typed
            .all("co_org_ids")
            .into_iter()
            .filter(|o| !o.is_empty())
            .collect(),
        due_on: typed.get("due_on"),
        updated_at: read_at(&typed),
    };
    let result = super::order(&state, &actor, &id, req).await;
    answer_risk_form(&state, &headers, &actor, &id, typed, result).await
}

async fn reinspect(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let typed = Typed::parse("reinspect", &body);
    let req = Reinspection {
        passed: typed.get("passed") == "yes",
        note: typed.optional("note"),
        updated_at: read_at(&typed),
    };
    let result = super::reinspect(&state, &actor, &id, req).await;
    answer_risk_form(&state, &headers, &actor, &id, typed, result).await
}

async fn close(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let typed = Typed::parse("close", &body);
    let req = RiskClosure {
        note: typed.get("note"),
        updated_at: read_at(&typed),
    };
    let result = super::close(&state, &actor, &id, req).await;
    answer_risk_form(&state, &headers, &actor, &id, typed, result).await
}

/* ---------- campaigns ---------- */

#[derive(Template)]
#[template(path = "risks/campaigns.html")]
struct CampaignsPage {
    ctx: Ctx,
    campaigns: Vec<RiskCampaign>,
    can_manage: bool,
    areas: Vec<(String, String)>,
    categories: Vec<(String, String)>,
    checklist: String,
    today: String,
    forms: Forms,
}

/// The checklist offered when a campaign is started: one item per line, `category｜what to check`.
fn default_checklist(state: &AppState, ctx: &Ctx) -> String {
    let c = |code: &str| super::category_name(state, ctx, code);
    [
        ("fire", ctx.t("risks.default_item_fire_exit")),
        ("fire", ctx.t("risks.default_item_extinguisher")),
        ("fire", ctx.t("risks.default_item_wiring")),
        ("public_security", ctx.t("risks.default_item_lighting")),
        ("traffic", ctx.t("risks.default_item_crossing")),
        ("school_surroundings", ctx.t("risks.default_item_school")),
        ("road_rail", ctx.t("risks.default_item_rail")),
    ]
    .iter()
    .map(|(code, text)| format!("{}｜{}", c(code), text))
    .collect::<Vec<_>>()
    .join("\n")
}

async fn campaigns_view(
    state: &AppState,
    headers: &HeaderMap,
    actor: &Actor,
    forms: Forms,
) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(
            state,
            headers,
            actor,
            "risks",
            "/risks",
            Permission::RiskRead
        )
        .await
    );
    let can_manage = actor.can(Permission::RiskManage);
    let loaded = async {
        let campaigns = campaigns::list(state, actor).await?;
        let areas = if can_manage {
            pingan_store::areas::list(&state.db, &actor.scope, None, None)
                .await?
                .into_iter()
                .filter(|a| actor.scope.covers_area_path(&a.path))
                .map(|a| (a.path, a.name))
                .collect()
        } else {
            Vec::new()
        };
        Ok::<_, ApiError>((campaigns, areas))
    };
    let (campaigns, areas) = match loaded.await {
        Ok(v) => v,
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let status = if forms.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let checklist = default_checklist(state, &ctx);
    let categories = super::categories(state, &ctx);
    render(
        status,
        &CampaignsPage {
            ctx,
            campaigns,
            can_manage,
            areas,
            categories,
            checklist,
            today: state.today().to_string(),
            forms,
        },
    )
}

async fn campaign_list(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
) -> Response {
    campaigns_view(&state, &headers, &actor, Forms::default()).await
}

/// Checklist lines `category｜text` (a category named in either language, or its code; a line
/// without one is `other`).
fn checklist_lines(state: &AppState, ctx: &Ctx, text: &str) -> Vec<ChecklistItem> {
    let names = super::categories(state, ctx);
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| match l.split_once(['｜', '|']) {
            Some((c, t)) => {
                let c = c.trim();
                let code = names
                    .iter()
                    .find(|(code, name)| code == c || name == c)
                    .map_or_else(|| c.to_string(), |(code, _)| code.clone());
                ChecklistItem {
                    text: t.trim().to_string(),
                    category: code,
                }
            }
            None => ChecklistItem {
                text: l.to_string(),
                category: "other".into(),
            },
        })
        .collect()
}

fn campaign_field(path: &str) -> Option<String> {
    let base = path.split('[').next().unwrap_or(path);
    Some(
        match base {
            "checklist" => "checklist",
            other => other,
        }
        .to_string(),
    )
}

async fn campaign_create(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    body: Bytes,
) -> Response {
    let typed = Typed::parse("campaign", &body);
    let lang = crate::shell::lang_of(&headers);
    let ctx = Ctx::new(&state, &headers, &actor, "risks", "/risks/campaigns");
    let req = NewRiskCampaign {
        name: typed.get("name"),
        area_path: typed.get("area_path"),
        starts_on: typed.get("starts_on"),
        ends_on: typed.get("ends_on"),
        checklist: checklist_lines(&state, &ctx, &typed.get("checklist")),
    };
    match campaigns::create(&state, &actor, req).await {
        Ok(c) => Redirect::to(&format!("/risks/campaigns/{}", c.id)).into_response(),
        Err(e) => match FieldErrors::of(&state.i18n, lang, &e, campaign_field) {
            Some(errors) => campaigns_view(&state, &headers, &actor, Forms { typed, errors }).await,
            None => crate::shell::fail(&state, &headers, &actor, e),
        },
    }
}

#[derive(Template)]
#[template(path = "risks/campaign.html")]
struct CampaignPage {
    ctx: Ctx,
    state: AppState,
    d: RiskCampaignDetail,
    open: Vec<Risk>,
}

impl CampaignPage {
    fn w(&self) -> Words<'_> {
        Words {
            ctx: &self.ctx,
            state: &self.state,
        }
    }
}

async fn campaign_detail(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(
            &state,
            &headers,
            &actor,
            "risks",
            "/risks",
            Permission::RiskRead
        )
        .await
    );
    let loaded = async {
        let d = campaigns::detail(&state, &actor, &id).await?;
        let mut open = super::list(
            &state,
            &actor,
            &RiskQuery {
                campaign: Some(d.campaign.id.clone()),
                ..RiskQuery::default()
            },
        )
        .await?;
        open.retain(|r| r.status != Status::Closed);
        Ok::<_, ApiError>((d, open))
    };
    match loaded.await {
        Ok((d, open)) => render(
            StatusCode::OK,
            &CampaignPage {
                ctx,
                state: state.clone(),
                d,
                open,
            },
        ),
        Err(e) => crate::shell::page_error(ctx, e),
    }
}

#[derive(Template)]
#[template(path = "risks/sheet.html")]
struct SheetPage {
    ctx: Ctx,
    state: AppState,
    s: GridSheet,
    can_report: bool,
    forms: Forms,
}

impl SheetPage {
    fn w(&self) -> Words<'_> {
        Words {
            ctx: &self.ctx,
            state: &self.state,
        }
    }
    fn result(&self, r: &CheckResult) -> String {
        self.ctx.label("check_result", r.code())
    }
    fn levels(&self) -> Vec<(&'static str, String)> {
        Level::ALL
            .iter()
            .map(|l| (l.code(), self.ctx.label("risk_level", l.code())))
            .collect()
    }
    /// The form name of item `seq` (each item has its own answer form).
    fn form(&self, seq: &i64) -> String {
        format!("item{seq}")
    }
}

async fn sheet_view(
    state: &AppState,
    headers: &HeaderMap,
    actor: &Actor,
    id: &str,
    code: &str,
    forms: Forms,
) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(
            state,
            headers,
            actor,
            "risks",
            "/risks",
            Permission::RiskRead
        )
        .await
    );
    match campaigns::sheet(state, actor, id, code).await {
        Ok(s) => render(
            if forms.is_empty() {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            },
            &SheetPage {
                ctx,
                state: state.clone(),
                s,
                can_report: actor.can(Permission::RiskReport),
                forms,
            },
        ),
        Err(e) => crate::shell::page_error(ctx, e),
    }
}

async fn grid_sheet(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path((id, code)): Path<(String, String)>,
) -> Response {
    sheet_view(&state, &headers, &actor, &id, &code, Forms::default()).await
}

fn answer_field(path: &str) -> Option<String> {
    let base = path.split('[').next().unwrap_or(path);
    Some(base.strip_prefix("risk.").unwrap_or(base).to_string())
}

async fn grid_answer(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path((id, code)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let seq: i64 = Typed::parse("", &body).get("seq").parse().unwrap_or(0);
    let typed = Typed::parse(&format!("item{seq}"), &body);
    let result: CheckResult = typed.get("result").parse().unwrap_or(CheckResult::Fine);
    let req = NewCheckAnswer {
        seq,
        result,
        note: typed.optional("note"),
        risk: (result == CheckResult::Found).then(|| {
            let mut r = risk_report(&typed, "");
            r.category = String::new();
            r.detail = typed.optional("note");
            r
        }),
    };
    match campaigns::answer(&state, &actor, &id, &code, req).await {
        Ok(_) => {
            Redirect::to(&format!("/risks/campaigns/{id}/grids/{code}#item-{seq}")).into_response()
        }
        Err(e) => {
            let lang = crate::shell::lang_of(&headers);
            match FieldErrors::of(&state.i18n, lang, &e, answer_field) {
                Some(errors) => {
                    sheet_view(
                        &state,
                        &headers,
                        &actor,
                        &id,
                        &code,
                        Forms { typed, errors },
                    )
                    .await
                }
                None => crate::shell::fail(&state, &headers, &actor, e),
            }
        }
    }
}

async fn grid_report(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path((id, code)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let typed = Typed::parse("report", &body);
    let req = GridDone {
        note: typed.optional("note"),
    };
    match campaigns::report(&state, &actor, &id, &code, req).await {
        Ok(_) => Redirect::to(&format!("/risks/campaigns/{id}")).into_response(),
        Err(e) => {
            let lang = crate::shell::lang_of(&headers);
            match FieldErrors::of(&state.i18n, lang, &e, plain_field) {
                Some(errors) => {
                    sheet_view(
                        &state,
                        &headers,
                        &actor,
                        &id,
                        &code,
                        Forms { typed, errors },
                    )
                    .await
                }
                None => crate::shell::fail(&state, &headers, &actor, e),
            }
        }
    }
}
