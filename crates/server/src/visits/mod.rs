//! 入户走访: grid workers and community police record visits to households and places — topics
//! talked through (反诈, 消防, 民法典, 禁毒 … and those configured in `[visits] topics`), materials
//! handed out — and raise what they hear as an incident, a dispute or a risk in the same step: every
//! issue is checked before anything is written, then the visit, its issues and their links back are
//! written in one transaction. A household is an address in a grid and nothing more: no names, no
//! people, no profile. Coverage per grid: the share of its registered households and places visited
//! in a period.

pub mod api;
pub mod demo;
pub mod figures;
pub mod pages;

use crate::auth::Actor;
use crate::dispatch::raised as incidents;
use crate::error::{ApiError, ApiResult, Problem, Problems};
use crate::mediation::raised as disputes;
use crate::risks::raised as risks;
use crate::state::AppState;
use pingan_domain::Permission;
use pingan_domain::audit::{AuditEntry, AuditOutcome};
use pingan_domain::visit::{Topic, VisitIssueKind, share};
use pingan_store::new_id;
use pingan_store::visits::{self as store, NewVisit as NewVisitRow, VisitRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// At most this many issues raised on one visit.
pub const MAX_ISSUES: usize = 5;

/// Whether `code` is a visit topic here (built in or configured).
pub fn known_topic(state: &AppState, code: &str) -> bool {
    code.parse::<Topic>().is_ok() || state.config.visits.topics.iter().any(|t| t.code == code)
}

/// Every topic: (code, name in `ctx`'s language).
pub fn topics(state: &AppState, ctx: &crate::shell::Ctx) -> Vec<(String, String)> {
    Topic::ALL
        .iter()
        .map(|t| (t.code().to_string(), ctx.label("visit_topic", t.code())))
        .chain(
            state
                .config
                .visits
                .topics
                .iter()
                .map(|t| (t.code.clone(), t.name(ctx.lang).to_string())),
        )
        .collect()
}

/// A household (an address in a grid).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Household {
    pub id: String,
    pub grid_code: String,
    pub address: String,
    pub lng: Option<f64>,
    pub lat: Option<f64>,
}

/// Registers a household (VisitRecord), or answers the one already at that address.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewHousehold {
    pub grid_code: String,
    /// The address (门牌), 1–200 characters. Nothing about who lives there.
    pub address: String,
    #[serde(default)]
    pub lng: Option<f64>,
    #[serde(default)]
    pub lat: Option<f64>,
}

fn point(lng: Option<f64>, lat: Option<f64>, problems: &mut Problems) -> Option<(f64, f64)> {
    match (lng, lat) {
        (Some(x), Some(y)) if (73.0..=136.0).contains(&x) && (3.0..=54.0).contains(&y) => {
            Some((x, y))
        }
        (None, None) => None,
        _ => {
            problems.push(Problem::new(
                "lng",
                "risk_point",
                "give both lng and lat, inside China (WGS-84)",
            ));
            None
        }
    }
}

pub async fn add_household(
    state: &AppState,
    actor: &Actor,
    req: NewHousehold,
) -> ApiResult<Household> {
    actor.require(state, Permission::VisitRecord).await?;
    let mut problems = Problems::default();
    let address = problems.check(crate::validate::text("address", &req.address, 200))?;
    let at = point(req.lng, req.lat, &mut problems);
    let mut tx = state.db.begin().await?;
    if crate::risks::raised::grid_in_scope(&mut tx, actor, &req.grid_code)
        .await?
        .is_none()
    {
        problems.push(Problem::new(
            "grid_code",
            "risk_grid",
            "no such grid in your scope",
        ));
    }
    problems.finish()?;
    let address = address.unwrap_or_default();
    let h = store::household(&mut tx, &req.grid_code, &address, at, state.now()).await?;
    tx.commit_audited(vec![actor.audit_entry(
        "household.register",
        "household",
        Some(&h.id),
        AuditOutcome::Ok,
        &serde_json::json!({"grid": h.grid_code}).to_string(),
    )])
    .await?;
    Ok(household_view(h))
}

fn household_view(h: pingan_store::visits::HouseholdRow) -> Household {
    Household {
        id: h.id,
        grid_code: h.grid_code,
        address: h.address,
        lng: h.lng,
        lat: h.lat,
    }
}

pub async fn households(state: &AppState, actor: &Actor, grid: &str) -> ApiResult<Vec<Household>> {
    actor.require(state, Permission::GridRead).await?;
    pingan_store::grids::get(&state.db, &actor.scope, grid)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(store::households(&state.db, &actor.scope, grid)
        .await?
        .into_iter()
        .map(household_view)
        .collect())
}

/// What a visit raised, to become an incident, a dispute or a risk.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum RaisedIssue {
    /// Reported to the command centre (channel `grid_report`).
    Incident(incidents::NewIncident),
    /// Registered for mediation (source `visit`).
    Dispute(disputes::NewDisputeRequest),
    /// Registered in the risk register (its grid is the visit's; its place the visit's place).
    Risk(risks::NewRiskReport),
}

/// A visit to a household or a place.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewVisit {
    /// A registered household.
    #[serde(default)]
    pub household_id: Option<String>,
    /// Or a household by its address in `grid_code` (registered if new).
    #[serde(default)]
    pub household_address: Option<String>,
    #[serde(default)]
    pub grid_code: Option<String>,
    /// Or a registered place (实有单位).
    #[serde(default)]
    pub place_id: Option<String>,
    /// When (RFC 3339), if not now — a visit recorded later keeps its own time.
    #[serde(default)]
    pub visited_at: Option<String>,
    /// 1–8 topic codes.
    pub topics: Vec<String>,
    /// What was handed out (e.g. 反诈宣传册 2 份), at most 200 characters.
    #[serde(default)]
    pub materials: Option<String>,
    /// What was talked about, at most 1000 characters — not who lives there.
    #[serde(default)]
    pub note: Option<String>,
    /// At most 5.
    #[serde(default)]
    pub issues: Vec<RaisedIssue>,
}

/// A visit as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Visit {
    pub id: String,
    pub grid_code: String,
    pub grid_name: String,
    pub household_id: Option<String>,
    pub place_id: Option<String>,
    /// The household's address or the place's name.
    pub target: String,
    /// UTC µs.
    pub visited_at: i64,
    pub visitor_name: String,
    pub topics: Vec<String>,
    pub materials: String,
    pub note: String,
}

fn view(v: VisitRow) -> Visit {
    Visit {
        id: v.id,
        grid_code: v.grid_code,
        grid_name: v.grid_name,
        household_id: v.household_id,
        place_id: v.place_id,
        target: v.target,
        visited_at: v.visited_at,
        visitor_name: v.visitor_name,
        topics: v
            .topics
            .split(',')
            .filter(|t| !t.is_empty())
            .map(String::from)
            .collect(),
        materials: v.materials,
        note: v.note,
    }
}

/// An issue a visit raised, with the object it became.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Issue {
    pub kind: VisitIssueKind,
    pub object_id: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VisitDetail {
    pub visit: Visit,
    pub issues: Vec<Issue>,
}

/// Problems of an issue named `issues[i].field`.
fn within(e: ApiError, prefix: &str) -> ApiError {
    match e {
        ApiError::Validation(m, Some(f)) => ApiError::Validation(m, Some(format!("{prefix}{f}"))),
        ApiError::Invalid(ps) => ApiError::Invalid(
            ps.into_iter()
                .map(|mut p| {
                    p.field = format!("{prefix}{}", p.field);
                    p
                })
                .collect(),
        ),
        other => other,
    }
}

/// An issue checked, ready to be written.
enum Checked {
    Incident(incidents::Prepared),
    Dispute(disputes::Prepared),
    Risk(risks::NewRiskReport),
}

/// Checks one issue; an incident or a dispute without a place of its own is placed at the visit's
/// household or place. A risk is checked when it is written (inside the transaction, before any
/// write of its own), its category is checked here so its problem comes with the others.
async fn check_issue(
    state: &AppState,
    actor: &Actor,
    target: &Target,
    issue: RaisedIssue,
) -> ApiResult<Option<Checked>> {
    Ok(Some(match issue {
        RaisedIssue::Incident(mut r) => {
            r.channel = Some("grid_report".into());
            if r.address.trim().is_empty() {
                r.address = target.address.clone();
            }
            // A form that picked no point on a map sends NaN: the visit's own point stands in.
            if let Some((x, y)) = target.point
                && (r.lng.is_nan() || r.lat.is_nan())
            {
                (r.lng, r.lat) = (x, y);
            }
            let report = incidents::report_as(state, actor, r).await?;
            Checked::Incident(
                incidents::prepare(state, report, Some(actor), actor.ip.clone()).await?,
            )
        }
        RaisedIssue::Dispute(mut r) => {
            actor.require(state, Permission::DisputeManage).await?;
            r.source = Some("visit".into());
            if r.address.as_deref().is_none_or(|a| a.trim().is_empty()) {
                r.address = Some(target.address.clone());
            }
            if r.lng.is_none() && r.lat.is_none() {
                (r.lng, r.lat) = (target.point.map(|p| p.0), target.point.map(|p| p.1));
            }
            Checked::Dispute(disputes::prepare(state, actor, r).await?)
        }
        RaisedIssue::Risk(mut r) => {
            actor.require(state, Permission::RiskReport).await?;
            if !risks::known_category(state, &r.category) {
                return Err(ApiError::problem(Problem::new(
                    "category",
                    "risk_category",
                    "not a risk category",
                )));
            }
            r.grid_code = Some(target.grid_code.clone());
            if r.place_id.is_none() {
                r.place_id = target.place_id.clone();
            }
            if r.lng.is_none() && r.lat.is_none() {
                (r.lng, r.lat) = (target.point.map(|p| p.0), target.point.map(|p| p.1));
            }
            Checked::Risk(r)
        }
    }))
}

/// Records a visit and what it raised, all or none (VisitRecord; raising an incident or a dispute
/// also needs the permission to report or register one).
pub async fn record(state: &AppState, actor: &Actor, req: NewVisit) -> ApiResult<VisitDetail> {
    actor.require(state, Permission::VisitRecord).await?;
    let mut problems = Problems::default();
    let topics: Vec<String> = req.topics.iter().map(|t| t.trim().to_string()).collect();
    if let Err(e) = pingan_domain::visit::check_topics(&topics, |t| known_topic(state, t)) {
        problems.push(Problem::new("topics", "visit_topics", e.to_string()));
    }
    let materials = problems
        .check(crate::validate::optional_text(
            "materials",
            req.materials.as_deref(),
            200,
        ))?
        .flatten()
        .unwrap_or_default();
    let note = problems
        .check(crate::validate::optional_text(
            "note",
            req.note.as_deref(),
            1000,
        ))?
        .flatten()
        .unwrap_or_default();
    let visited_at = problems
        .check(crate::validate::recorded_instant(
            state,
            "visited_at",
            req.visited_at.as_deref(),
        ))?
        .flatten()
        .unwrap_or_else(|| state.now());
    if req.issues.len() > MAX_ISSUES {
        problems.push(Problem::new(
            "issues",
            "visit_issues",
            "at most 5 issues on one visit",
        ));
    }
    // Where: a household (registered, or by address) or a place, in scope.
    let mut tx = state.db.begin().await?;
    let target = target(state, &mut tx, actor, &req, &mut problems).await?;
    problems.finish()?;
    let Some(target) = target else {
        return Err(ApiError::invalid("household_id", "required"));
    };
    // Every issue checked before anything is written; the problems of all of them answered at once.
    let mut checked = Vec::new();
    let mut issue_problems = Vec::new();
    for (i, issue) in req.issues.into_iter().enumerate() {
        let prefix = format!("issues[{i}].");
        match check_issue(state, actor, &target, issue).await {
            Ok(Some(c)) => checked.push(c),
            Ok(None) => {}
            Err(e) if !e.problems().is_empty() => {
                issue_problems.extend(within(e, &prefix).problems());
            }
            Err(e) => return Err(e),
        }
    }
    if !issue_problems.is_empty() {
        return Err(ApiError::Invalid(issue_problems));
    }
    let now = state.now();
    let id = new_id();
    let household_id = match &target.new_household {
        Some((address, at)) => Some(
            store::household(&mut tx, &target.grid_code, address, *at, now)
                .await?
                .id,
        ),
        None => target.household_id.clone(),
    };
    store::insert(
        &mut tx,
        &NewVisitRow {
            id: id.clone(),
            grid_code: target.grid_code.clone(),
            area_path: target.area_path.clone(),
            household_id,
            place_id: target.place_id.clone(),
            visited_at,
            visitor_id: actor.user_id.clone(),
            topics: topics.join(","),
            materials,
            note,
            created_at: now,
        },
    );
    let mut audits: Vec<AuditEntry> = Vec::new();
    let mut incident_rows = Vec::new();
    for (i, c) in checked.into_iter().enumerate() {
        let seq = i as i64 + 1;
        let (kind, object_id) = match c {
            Checked::Incident(p) => {
                let (row, entry) = incidents::record_in(&mut tx, p).await?;
                audits.push(entry);
                let id = row.id.clone();
                incident_rows.push(row);
                (VisitIssueKind::Incident, id)
            }
            Checked::Dispute(p) => {
                let (row, entry) =
                    disputes::record(state, &mut tx, actor, p, "dispute.registered").await?;
                audits.push(entry);
                (VisitIssueKind::Dispute, row.id)
            }
            Checked::Risk(r) => {
                let rid =
                    risks::register_in(state, &mut tx, actor, &r, &id, &format!("issues[{i}]."))
                        .await?;
                (VisitIssueKind::Risk, rid)
            }
        };
        store::issue(&mut tx, &id, seq, kind.code(), &object_id);
    }
    audits.push(actor.audit_entry(
        "visit.record",
        "visit",
        Some(&id),
        AuditOutcome::Ok,
        &serde_json::json!({"grid": target.grid_code, "topics": topics, "issues": audits.len()})
            .to_string(),
    ));
    tx.commit_audited(audits).await?;
    for row in &incident_rows {
        incidents::after(state, row).await?;
    }
    detail(state, actor, &id).await
}

/// Where a visit went.
struct Target {
    grid_code: String,
    area_path: String,
    household_id: Option<String>,
    /// A household to register first: its address and point.
    new_household: Option<(String, Option<(f64, f64)>)>,
    place_id: Option<String>,
    point: Option<(f64, f64)>,
    /// The household's address or the place's.
    address: String,
}

async fn target(
    state: &AppState,
    tx: &mut pingan_store::Tx,
    actor: &Actor,
    req: &NewVisit,
    problems: &mut Problems,
) -> ApiResult<Option<Target>> {
    let given = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
    if let Some(pid) = req.place_id.as_deref().filter(|_| given(&req.place_id)) {
        return Ok(
            match pingan_store::places::get(&state.db, &actor.scope, pid).await? {
                Some(p) => Some(Target {
                    grid_code: p.grid_code,
                    area_path: p.area_path,
                    household_id: None,
                    new_household: None,
                    place_id: Some(p.id),
                    point: Some((p.lng, p.lat)),
                    address: p.address,
                }),
                None => {
                    problems.push(Problem::new(
                        "place_id",
                        "risk_place",
                        "no such place in your scope",
                    ));
                    None
                }
            },
        );
    }
    if let Some(hid) = req
        .household_id
        .as_deref()
        .filter(|_| given(&req.household_id))
    {
        let row = store::household_by_id(tx, hid).await?;
        return Ok(
            match row.filter(|r| actor.scope.covers_area_path(&r.area_path)) {
                Some(h) => Some(Target {
                    grid_code: h.grid_code,
                    area_path: h.area_path,
                    household_id: Some(h.id),
                    new_household: None,
                    place_id: None,
                    point: h.lng.zip(h.lat),
                    address: h.address,
                }),
                None => {
                    problems.push(Problem::new(
                        "household_id",
                        "visit_household",
                        "no such household in your scope",
                    ));
                    None
                }
            },
        );
    }
    let address = match crate::validate::text(
        "household_address",
        req.household_address.as_deref().unwrap_or(""),
        200,
    ) {
        Ok(a) => a,
        Err(_) => {
            problems.push(Problem::new(
                "household_address",
                "visit_where",
                "name the household (its address) or the place",
            ));
            return Ok(None);
        }
    };
    let grid = req.grid_code.clone().unwrap_or_default();
    match crate::risks::raised::grid_in_scope(tx, actor, &grid).await? {
        Some(area_path) => {
            let known: Option<(String, Option<f64>, Option<f64>)> = tx
                .fetch_optional(
                    "SELECT id, lng, lat FROM households WHERE grid_code = ? AND address = ?",
                    pingan_store::args![grid.as_str(), address.as_str()],
                )
                .await?;
            Ok(Some(match known {
                Some((id, lng, lat)) => Target {
                    grid_code: grid,
                    area_path,
                    household_id: Some(id),
                    new_household: None,
                    place_id: None,
                    point: lng.zip(lat),
                    address,
                },
                None => Target {
                    grid_code: grid,
                    area_path,
                    household_id: None,
                    new_household: Some((address.clone(), None)),
                    place_id: None,
                    point: None,
                    address,
                },
            }))
        }
        None => {
            problems.push(Problem::new(
                "grid_code",
                "risk_grid",
                "no such grid in your scope",
            ));
            Ok(None)
        }
    }
}

pub async fn detail(state: &AppState, actor: &Actor, id: &str) -> ApiResult<VisitDetail> {
    actor.require(state, Permission::GridRead).await?;
    let v = store::get(&state.db, &actor.scope, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let issues = store::issues(&state.db, &v.id)
        .await?
        .into_iter()
        .filter_map(|i| {
            Some(Issue {
                kind: i.kind.parse().ok()?,
                object_id: i.object_id,
            })
        })
        .collect();
    Ok(VisitDetail {
        visit: view(v),
        issues,
    })
}

/// Which visits to list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct VisitQuery {
    pub grid: Option<String>,
    /// Only your own visits.
    #[serde(default)]
    pub mine: bool,
}

/// Visits in scope, newest first (at most 500).
pub async fn list(state: &AppState, actor: &Actor, q: &VisitQuery) -> ApiResult<Vec<Visit>> {
    actor.require(state, Permission::GridRead).await?;
    let f = store::Filter {
        grid: q.grid.clone().filter(|g| !g.is_empty()),
        visitor: q.mine.then(|| actor.user_id.clone()),
        from: None,
        to: None,
    };
    Ok(store::list(&state.db, &actor.scope, &f, 500)
        .await?
        .into_iter()
        .map(view)
        .collect())
}

/// The period of a coverage figure.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CoverageQuery {
    /// First day, `YYYY-MM-DD` (China time).
    pub from: String,
    /// Last day, inclusive.
    pub to: String,
}

/// One grid's visit coverage in the period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GridCoverage {
    pub grid_code: String,
    pub grid_name: String,
    pub households: i64,
    pub households_visited: i64,
    /// Whole percent; absent when the grid has no registered households.
    pub household_share: Option<u8>,
    pub places: i64,
    pub places_visited: i64,
    pub place_share: Option<u8>,
    pub visits: i64,
}

/// Per grid in scope: the share of registered households and places visited in [from, to].
pub async fn coverage(
    state: &AppState,
    actor: &Actor,
    q: &CoverageQuery,
) -> ApiResult<Vec<GridCoverage>> {
    actor.require(state, Permission::GridRead).await?;
    let mut problems = Problems::default();
    let day = |f: &str, v: &str, problems: &mut Problems| {
        let d = v.trim().parse::<jiff::civil::Date>().ok();
        if d.is_none() {
            problems.push(Problem::new(f, "date", "a date like 2026-12-01"));
        }
        d
    };
    let from = day("from", &q.from, &mut problems);
    let to = day("to", &q.to, &mut problems);
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        problems.push(Problem::new(
            "to",
            "risk_campaign_dates",
            "the end is not before the start",
        ));
    }
    problems.finish()?;
    let (Some(from), Some(to)) = (from, to) else {
        return Err(ApiError::invalid("from", "required"));
    };
    let start = pingan_domain::time::day_start(from);
    let end = pingan_domain::time::day_start(to) + pingan_domain::task::DAY;
    Ok(store::coverage(&state.db, &actor.scope, start, end)
        .await?
        .into_iter()
        .map(|c| GridCoverage {
            household_share: share(c.households_visited, c.households),
            place_share: share(c.places_visited, c.places),
            grid_code: c.grid_code,
            grid_name: c.grid_name,
            households: c.households,
            households_visited: c.households_visited,
            places: c.places,
            places_visited: c.places_visited,
            visits: c.visits,
        })
        .collect())
}
