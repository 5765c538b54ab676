//! 入户走访 pages, phone-first: `/visits` (record a visit in one of your grids — a household by its
//! address or a place, topics, materials, and optionally an incident, a dispute or a risk raised on
//! the spot — and your recent visits), `/visits/{id}` (the visit and what it raised) and
//! `/visits/coverage` (per grid, the share of households and places visited in a period).

use super::{CoverageQuery, GridCoverage, NewVisit, RaisedIssue, Visit, VisitDetail, VisitQuery};
use crate::auth::{Actor, PageActor};
use crate::error::ApiError;
use crate::shell::{Ctx, FieldErrors, Forms, Typed, render};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use pingan_domain::Permission;
use pingan_domain::risk::RiskLevel;
use pingan_domain::visit::VisitIssueKind;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/visits", get(list).post(record))
        .route("/visits/coverage", get(coverage))
        .route("/visits/{id}", get(detail))
}

fn at(us: &i64) -> String {
    pingan_domain::time::local_datetime(pingan_domain::time::from_micros(*us))[..16].to_string()
}

/// A choice list: (value, label).
type Choices = Vec<(String, String)>;

#[derive(Template)]
#[template(path = "visits/list.html")]
struct ListPage {
    ctx: Ctx,
    visits: Vec<Visit>,
    can_record: bool,
    grid: String,
    grids: Choices,
    households: Choices,
    places: Choices,
    topics: Choices,
    incident_types: Choices,
    dispute_types: Choices,
    categories: Choices,
    forms: Forms,
}

impl ListPage {
    fn at(&self, us: &i64) -> String {
        at(us)
    }
    fn topic_names(&self, v: &Visit) -> String {
        v.topics
            .iter()
            .map(|t| {
                self.topics
                    .iter()
                    .find(|(c, _)| c == t)
                    .map_or(t.as_str(), |(_, n)| n.as_str())
            })
            .collect::<Vec<_>>()
            .join(self.ctx.t("shell.list_sep"))
    }
    fn levels(&self) -> Vec<(&'static str, String)> {
        RiskLevel::ALL
            .iter()
            .map(|l| (l.code(), self.ctx.label("risk_level", l.code())))
            .collect()
    }
}

#[derive(Debug, Default, serde::Deserialize)]
struct GridPick {
    #[serde(default)]
    grid: String,
}

async fn list_view(
    state: &AppState,
    headers: &HeaderMap,
    actor: &Actor,
    grid: &str,
    forms: Forms,
) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(
            state,
            headers,
            actor,
            "visits",
            "/visits",
            Permission::GridRead
        )
        .await
    );
    let can_record = actor.can(Permission::VisitRecord);
    let lang = ctx.lang;
    let loaded = async {
        let visits = super::list(
            state,
            actor,
            &VisitQuery {
                grid: None,
                mine: can_record,
            },
        )
        .await?;
        let grids: Choices = if can_record {
            pingan_store::grids::list(&state.db, &actor.scope, None)
                .await?
                .into_iter()
                .map(|g| (g.code, g.name))
                .collect()
        } else {
            Vec::new()
        };
        let grid = grids
            .iter()
            .find(|(c, _)| c == grid)
            .or(grids.first())
            .map(|(c, _)| c.clone())
            .unwrap_or_default();
        let (mut households, mut places) = (Vec::new(), Vec::new());
        let (mut incident_types, mut dispute_types) = (Vec::new(), Vec::new());
        if can_record && !grid.is_empty() {
            households = super::households(state, actor, &grid)
                .await?
                .into_iter()
                .map(|h| (h.id, h.address))
                .collect();
            places = pingan_store::places::list(
                &state.db,
                &actor.scope,
                &pingan_store::places::PlaceFilter {
                    grid: Some(grid.clone()),
                    kind: None,
                },
            )
            .await?
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect();
            let name = |zh: String, en: String| lang.pick(zh, en);
            incident_types = pingan_store::incidents::types(&state.db)
                .await?
                .into_iter()
                .filter(|t| t.active && !t.code.ends_with("0000"))
                .map(|t| (t.code, name(t.name_zh, t.name_en)))
                .collect();
            dispute_types = pingan_store::disputes::types(&state.db)
                .await?
                .into_iter()
                .filter(|t| t.active)
                .map(|t| (t.code, name(t.name_zh, t.name_en)))
                .collect();
        }
        Ok::<_, ApiError>((
            visits,
            grids,
            grid,
            households,
            places,
            incident_types,
            dispute_types,
        ))
    };
    let (visits, grids, grid, households, places, incident_types, dispute_types) =
        match loaded.await {
            Ok(v) => v,
            Err(e) => return crate::shell::page_error(ctx, e),
        };
    let status = if forms.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let topics = super::topics(state, &ctx);
    let categories = crate::risks::raised::categories(state, &ctx);
    render(
        status,
        &ListPage {
            ctx,
            visits,
            can_record,
            grid,
            grids,
            households,
            places,
            topics,
            incident_types,
            dispute_types,
            categories,
            forms,
        },
    )
}

async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Query(q): Query<GridPick>,
) -> Response {
    list_view(&state, &headers, &actor, &q.grid, Forms::default()).await
}

/// Form fields → the API's; an issue's fields keep their own names behind `incident_`, `dispute_`
/// or `risk_`.
fn visit_field(path: &str) -> Option<String> {
    let base = path.split('[').next().unwrap_or(path);
    if base == "issues" {
        let rest = path.split_once("].").map_or("", |(_, f)| f);
        return Some(format!("issue_{rest}"));
    }
    Some(base.to_string())
}

fn new_visit(typed: &Typed) -> NewVisit {
    let household = typed.get("household");
    let mut issues = Vec::new();
    let (lng, lat) = (
        typed.get("lng").parse::<f64>().unwrap_or(f64::NAN),
        typed.get("lat").parse::<f64>().unwrap_or(f64::NAN),
    );
    // The service places an issue at the household or place visited.
    let address = String::new();
    if typed.get("raise_incident") == "1" {
        issues.push(RaisedIssue::Incident(
            crate::dispatch::raised::NewIncident {
                channel: None,
                type_code: typed.get("incident_type"),
                level: None,
                description: typed.get("incident_description"),
                address: address.clone(),
                lng,
                lat,
                crs: None,
                caller_name: None,
                caller_phone: None,
                reported_at: None,
            },
        ));
    }
    if typed.get("raise_dispute") == "1" {
        issues.push(RaisedIssue::Dispute(
            crate::mediation::raised::NewDisputeRequest {
                type_code: typed.get("dispute_type"),
                source: None,
                incident_id: None,
                campaign_id: None,
                title: typed.get("dispute_title"),
                description: typed.get("dispute_description"),
                address: Some(address.clone()).filter(|a| !a.is_empty()),
                lng: lng.is_finite().then_some(lng),
                lat: lat.is_finite().then_some(lat),
                crs: None,
                people_involved: None,
                amount_yuan: None,
                violence_threat: false,
                self_harm_threat: false,
                vulnerable_party: false,
                grade: None,
                grade_reason: None,
                tier: None,
                parties: Vec::new(),
            },
        ));
    }
    if typed.get("raise_risk") == "1" {
        issues.push(RaisedIssue::Risk(crate::risks::raised::NewRiskReport {
            title: typed.get("risk_title"),
            category: typed.get("risk_category"),
            level: typed
                .get("risk_level")
                .parse()
                .unwrap_or(RiskLevel::General),
            detail: None,
            place_id: None,
            grid_code: None,
            lng: None,
            lat: None,
        }));
    }
    NewVisit {
        household_id: household
            .strip_prefix("h:")
            .map(String::from)
            .filter(|h| !h.is_empty()),
        household_address: typed.optional("new_address"),
        grid_code: typed.optional("grid"),
        place_id: household
            .strip_prefix("p:")
            .map(String::from)
            .filter(|p| !p.is_empty()),
        visited_at: None,
        topics: typed
            .all("topics")
            .into_iter()
            .filter(|t| !t.is_empty())
            .collect(),
        materials: typed.optional("materials"),
        note: typed.optional("note"),
        issues,
    }
}

async fn record(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    body: Bytes,
) -> Response {
    let typed = Typed::parse("visit", &body);
    let mut req = new_visit(&typed);
    // A new address wins over the list's choice: the worker typed it on purpose.
    if req.household_address.is_some() {
        req.household_id = None;
        req.place_id = None;
    }
    match super::record(&state, &actor, req).await {
        Ok(d) => Redirect::to(&format!("/visits/{}", d.visit.id)).into_response(),
        Err(e) => {
            let lang = crate::shell::lang_of(&headers);
            match FieldErrors::of(&state.i18n, lang, &e, visit_field) {
                Some(errors) => {
                    let grid = typed.get("grid");
                    list_view(&state, &headers, &actor, &grid, Forms { typed, errors }).await
                }
                None => crate::shell::fail(&state, &headers, &actor, e),
            }
        }
    }
}

#[derive(Template)]
#[template(path = "visits/visit.html")]
struct VisitPage {
    ctx: Ctx,
    d: VisitDetail,
    topics: Choices,
}

impl VisitPage {
    fn at(&self, us: &i64) -> String {
        at(us)
    }
    fn topic_names(&self) -> String {
        self.d
            .visit
            .topics
            .iter()
            .map(|t| {
                self.topics
                    .iter()
                    .find(|(c, _)| c == t)
                    .map_or(t.as_str(), |(_, n)| n.as_str())
            })
            .collect::<Vec<_>>()
            .join(self.ctx.t("shell.list_sep"))
    }
    fn href(&self, kind: &VisitIssueKind, id: &str) -> String {
        let base = match kind {
            VisitIssueKind::Incident => "/incidents",
            VisitIssueKind::Dispute => "/disputes",
            VisitIssueKind::Risk => "/risks",
        };
        format!("{base}/{id}")
    }
}

async fn detail(
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
            "visits",
            "/visits",
            Permission::GridRead
        )
        .await
    );
    match super::detail(&state, &actor, &id).await {
        Ok(d) => {
            let topics = super::topics(&state, &ctx);
            render(StatusCode::OK, &VisitPage { ctx, d, topics })
        }
        Err(e) => crate::shell::page_error(ctx, e),
    }
}

#[derive(Template)]
#[template(path = "visits/coverage.html")]
struct CoveragePage {
    ctx: Ctx,
    rows: Vec<GridCoverage>,
    from: String,
    to: String,
}

impl CoveragePage {
    fn share(&self, s: &Option<u8>) -> String {
        s.map_or_else(|| "—".to_string(), |v| format!("{v}%"))
    }
}

#[derive(Debug, Default, serde::Deserialize)]
struct Period {
    from: Option<String>,
    to: Option<String>,
}

async fn coverage(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Query(p): Query<Period>,
) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(
            &state,
            &headers,
            &actor,
            "visits",
            "/visits",
            Permission::GridRead
        )
        .await
    );
    let today = state.today();
    let first = today.first_of_month();
    let q = CoverageQuery {
        from: p.from.unwrap_or_else(|| first.to_string()),
        to: p.to.unwrap_or_else(|| today.to_string()),
    };
    match super::coverage(&state, &actor, &q).await {
        Ok(rows) => render(
            StatusCode::OK,
            &CoveragePage {
                ctx,
                rows,
                from: q.from,
                to: q.to,
            },
        ),
        Err(e) => crate::shell::page_error(ctx, e),
    }
}
