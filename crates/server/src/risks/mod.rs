//! 风险联排/安全联管: the joint risk register. A risk is registered at a place or in a grid (by a
//! screening campaign's checklist, a household visit, or found day to day), then worked through:
//! a rectification order (整改) that is a supervised task linked to the risk — so an overdue order
//! is carded 普通 → 黄牌 → 红牌 by the task supervision like any task — then a re-inspection (复查)
//! that closes the risk and accepts the order, or returns the order to be done again. A risk
//! removed on the spot is closed without an order. `campaigns` runs the screening campaigns.

pub mod api;
pub mod campaigns;
pub mod demo;
pub mod pages;
pub mod raised;

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, Problem, Problems};
use crate::state::AppState;
use crate::tasks::ordered::{self, Link, NewSupervisedTask};
use pingan_domain::Permission;
use pingan_domain::audit::AuditOutcome;
use pingan_domain::risk::{
    Action, Category, RiskEventKind as EventKind, RiskLevel as Level, RiskSource as Source,
    RiskStatus as Status,
};
use pingan_domain::task::{Card, LinkKind};
use pingan_store::risks::{self as store, NewRisk, RiskRow};
use pingan_store::{Tx, args, new_id};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A risk as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Risk {
    pub id: String,
    pub title: String,
    /// A built-in category code or one added in `[risks] categories`.
    pub category: String,
    pub level: Level,
    pub status: Status,
    pub source: Source,
    pub detail: String,
    pub place_id: Option<String>,
    pub place_name: Option<String>,
    pub grid_code: String,
    pub grid_name: String,
    pub lng: Option<f64>,
    pub lat: Option<f64>,
    /// The screening campaign that found it.
    pub campaign_id: Option<String>,
    /// The household visit that raised it.
    pub visit_id: Option<String>,
    /// The current rectification order, when one was issued.
    pub order: Option<Order>,
    pub found_by_name: String,
    /// UTC µs.
    pub found_at: i64,
    pub closed_at: Option<i64>,
    /// Changes are made against this (a stale one answers 409).
    pub updated_at: i64,
}

/// A risk's rectification order: a supervised task.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Order {
    pub task_id: String,
    pub status: pingan_domain::task::Status,
    pub card: Card,
    pub due_on: String,
}

pub fn view(r: RiskRow) -> Risk {
    let order = match (r.task_id, r.task_status, r.task_card, r.task_due_on) {
        (Some(task_id), Some(s), Some(c), Some(due_on)) => Some(Order {
            task_id,
            status: s.parse().unwrap_or(pingan_domain::task::Status::Open),
            card: c.parse().unwrap_or(Card::Normal),
            due_on,
        }),
        _ => None,
    };
    Risk {
        id: r.id,
        title: r.title,
        category: r.category,
        level: r.level.parse().unwrap_or(Level::General),
        status: r.status.parse().unwrap_or(Status::Open),
        source: r.source.parse().unwrap_or(Source::Routine),
        detail: r.detail,
        place_id: r.place_id,
        place_name: r.place_name,
        grid_code: r.grid_code,
        grid_name: r.grid_name,
        lng: r.lng,
        lat: r.lat,
        campaign_id: r.campaign_id,
        visit_id: r.visit_id,
        order,
        found_by_name: r.finder_name,
        found_at: r.found_at,
        closed_at: r.closed_at,
        updated_at: r.updated_at,
    }
}

/// A risk found.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRiskReport {
    /// 1–100 characters.
    pub title: String,
    pub category: String,
    pub level: Level,
    /// At most 2000 characters.
    #[serde(default)]
    pub detail: Option<String>,
    /// The place it is at (in your scope); its grid is the place's grid.
    #[serde(default)]
    pub place_id: Option<String>,
    /// The grid it is in, when it is not at a registered place.
    #[serde(default)]
    pub grid_code: Option<String>,
    /// Where exactly (WGS-84), optional.
    #[serde(default)]
    pub lng: Option<f64>,
    #[serde(default)]
    pub lat: Option<f64>,
}

/// Whether `code` is a risk category here (built in or configured).
pub fn known_category(state: &AppState, code: &str) -> bool {
    code.parse::<Category>().is_ok() || state.config.risks.categories.iter().any(|t| t.code == code)
}

/// The category's name in `lang`.
pub fn category_name(state: &AppState, ctx: &crate::shell::Ctx, code: &str) -> String {
    match state
        .config
        .risks
        .categories
        .iter()
        .find(|t| t.code == code)
    {
        Some(t) => t.name(ctx.lang).to_string(),
        None => ctx.label("risk_category", code),
    }
}

/// Every category: (code, name in `ctx`'s language).
pub fn categories(state: &AppState, ctx: &crate::shell::Ctx) -> Vec<(String, String)> {
    Category::ALL
        .iter()
        .map(|c| (c.code().to_string(), ctx.label("risk_category", c.code())))
        .chain(
            state
                .config
                .risks
                .categories
                .iter()
                .map(|t| (t.code.clone(), t.name(ctx.lang).to_string())),
        )
        .collect()
}

/// The grid's area path when the grid exists and lies in the actor's scope.
pub async fn grid_in_scope(tx: &mut Tx, actor: &Actor, code: &str) -> ApiResult<Option<String>> {
    let row: Option<(String,)> = tx
        .fetch_optional("SELECT area_path FROM grids WHERE code = ?", args![code])
        .await?;
    Ok(row.map(|r| r.0).filter(|p| actor.scope.covers_area_path(p)))
}

/// Checks a report and writes the risk in the caller's transaction; answers its id. Problems are
/// named `{prefix}field`.
pub(crate) async fn register_in(
    state: &AppState,
    tx: &mut Tx,
    actor: &Actor,
    req: &NewRiskReport,
    source: Source,
    from: (Option<&str>, Option<&str>),
    prefix: &str,
) -> ApiResult<String> {
    let f = |name: &str| format!("{prefix}{name}");
    let mut problems = Problems::default();
    let title = problems.check(crate::validate::text(&f("title"), &req.title, 100))?;
    let detail = problems
        .check(crate::validate::optional_text(
            &f("detail"),
            req.detail.as_deref(),
            2000,
        ))?
        .flatten()
        .unwrap_or_default();
    if !known_category(state, &req.category) {
        problems.push(Problem::new(
            &f("category"),
            "risk_category",
            "not a risk category",
        ));
    }
    let point = match (req.lng, req.lat) {
        (Some(lng), Some(lat)) if (73.0..=136.0).contains(&lng) && (3.0..=54.0).contains(&lat) => {
            Some((lng, lat))
        }
        (None, None) => None,
        _ => {
            problems.push(Problem::new(
                &f("lng"),
                "risk_point",
                "give both lng and lat, inside China (WGS-84)",
            ));
            None
        }
    };
    let (place_id, grid, point) = match (&req.place_id, &req.grid_code) {
        (Some(p), _) if !p.is_empty() => {
            match pingan_store::places::get(&state.db, &actor.scope, p).await? {
                Some(place) if actor.can(Permission::PlaceRead) => (
                    Some(place.id),
                    Some((place.grid_code, place.area_path)),
                    point.or(Some((place.lng, place.lat))),
                ),
                _ => {
                    problems.push(Problem::new(
                        &f("place_id"),
                        "risk_place",
                        "no such place in your scope",
                    ));
                    (None, None, point)
                }
            }
        }
        (_, Some(g)) if !g.is_empty() => match grid_in_scope(tx, actor, g).await? {
            Some(path) => (None, Some((g.clone(), path)), point),
            None => {
                problems.push(Problem::new(
                    &f("grid_code"),
                    "risk_grid",
                    "no such grid in your scope",
                ));
                (None, None, point)
            }
        },
        _ => {
            problems.push(Problem::new(
                &f("grid_code"),
                "risk_where",
                "name the place or the grid",
            ));
            (None, None, point)
        }
    };
    problems.finish()?;
    let (Some(title), Some((grid_code, area_path))) = (title, grid) else {
        return Err(ApiError::invalid(&f("title"), "required"));
    };
    let now = state.now();
    let r = NewRisk {
        id: new_id(),
        title,
        category: req.category.clone(),
        level: req.level.code().into(),
        source: source.code().into(),
        detail,
        place_id,
        grid_code,
        area_path,
        lng: point.map(|p| p.0),
        lat: point.map(|p| p.1),
        campaign_id: from.0.map(String::from),
        visit_id: from.1.map(String::from),
        found_by: actor.user_id.clone(),
        found_at: now,
    };
    store::insert(tx, &r);
    store::event(
        tx,
        &r.id,
        now,
        Some(&actor.user_id),
        EventKind::Registered.code(),
        "",
        None,
    );
    Ok(r.id)
}

/// Registers a risk found day to day (RiskReport).
pub async fn register(state: &AppState, actor: &Actor, req: NewRiskReport) -> ApiResult<Risk> {
    actor.require(state, Permission::RiskReport).await?;
    let mut tx = state.db.begin().await?;
    let id = register_in(
        state,
        &mut tx,
        actor,
        &req,
        Source::Routine,
        (None, None),
        "",
    )
    .await?;
    tx.commit_audited(vec![actor.audit_entry(
        "risk.register",
        "risk",
        Some(&id),
        AuditOutcome::Ok,
        &serde_json::json!({"category": req.category, "level": req.level}).to_string(),
    )])
    .await?;
    get(state, actor, &id).await
}

pub async fn get(state: &AppState, actor: &Actor, id: &str) -> ApiResult<Risk> {
    actor.require(state, Permission::RiskRead).await?;
    let row = store::get(&state.db, &actor.scope, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(view(row))
}

/// Which risks to list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RiskQuery {
    pub status: Option<Status>,
    pub category: Option<String>,
    pub level: Option<Level>,
    pub grid: Option<String>,
    pub campaign: Option<String>,
    /// Only risks whose rectification order is carded (黄牌/红牌).
    #[serde(default)]
    pub carded: bool,
}

/// Risks in scope: live ones first, major first, newest first (at most 500).
pub async fn list(state: &AppState, actor: &Actor, q: &RiskQuery) -> ApiResult<Vec<Risk>> {
    actor.require(state, Permission::RiskRead).await?;
    let f = store::Filter {
        status: q.status.map(|s| s.code().to_string()),
        category: q.category.clone().filter(|c| !c.is_empty()),
        level: q.level.map(|l| l.code().to_string()),
        grid: q.grid.clone().filter(|g| !g.is_empty()),
        campaign: q.campaign.clone().filter(|c| !c.is_empty()),
        carded: q.carded,
    };
    Ok(store::list(&state.db, &actor.scope, &f, 500)
        .await?
        .into_iter()
        .map(view)
        .collect())
}

/// A risk, its timeline and what it came from.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RiskDetail {
    pub risk: Risk,
    pub events: Vec<RiskEvent>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RiskEvent {
    pub at: i64,
    pub actor_name: Option<String>,
    pub kind: EventKind,
    pub note: String,
    pub task_id: Option<String>,
}

pub async fn detail(state: &AppState, actor: &Actor, id: &str) -> ApiResult<RiskDetail> {
    let risk = get(state, actor, id).await?;
    let events = store::events(&state.db, &risk.id)
        .await?
        .into_iter()
        .map(|e| RiskEvent {
            at: e.at,
            actor_name: e.actor_name,
            kind: e.kind.parse().unwrap_or(EventKind::Registered),
            note: e.note,
            task_id: e.task_id,
        })
        .collect();
    Ok(RiskDetail { risk, events })
}

/// A rectification order (整改通知): who rectifies, by when, what is required.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RectificationOrder {
    /// What must be done, 1–2000 characters.
    pub requirement: String,
    /// The organisation responsible (in your scope).
    pub lead_org_id: String,
    /// The person responsible: an enabled account of that organisation.
    pub lead_user_id: String,
    #[serde(default)]
    pub co_org_ids: Vec<String>,
    /// The rectification deadline day, `YYYY-MM-DD`.
    pub due_on: String,
    /// The risk's `updated_at` as read.
    pub updated_at: i64,
}

async fn risk_for_change(tx: &mut Tx, actor: &Actor, id: &str, read_at: i64) -> ApiResult<RiskRow> {
    let row = store::get_tx(tx, &actor.scope, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if row.updated_at != read_at {
        return Err(ApiError::Conflict(
            "the risk changed since you read it; reload it".into(),
        ));
    }
    Ok(row)
}

fn illegal(e: pingan_domain::risk::IllegalAction) -> ApiError {
    ApiError::Conflict(e.to_string())
}

/// Issues a rectification order: a supervised task linked to the risk, in the same transaction.
pub async fn order(
    state: &AppState,
    actor: &Actor,
    id: &str,
    req: RectificationOrder,
) -> ApiResult<Risk> {
    actor.require(state, Permission::RiskManage).await?;
    let requirement = crate::validate::text("requirement", &req.requirement, 2000)?;
    let mut tx = state.db.begin().await?;
    let row = risk_for_change(&mut tx, actor, id, req.updated_at).await?;
    let status: Status = row.status.parse().unwrap_or(Status::Closed);
    let order_live = match &row.task_id {
        Some(t) => ordered::status(&mut tx, t).await?.is_live(),
        None => false,
    };
    status
        .apply(Action::Order { order_live })
        .map_err(illegal)?;
    let task = ordered::assign_in(
        state,
        &mut tx,
        actor,
        NewSupervisedTask {
            title: format!("整改：{}", row.title.chars().take(96).collect::<String>()),
            detail: Some(requirement.clone()),
            lead_org_id: req.lead_org_id,
            lead_user_id: req.lead_user_id,
            co_org_ids: req.co_org_ids,
            due_on: req.due_on,
            link: Some(Link {
                kind: LinkKind::Risk,
                id: row.id.clone(),
            }),
        },
        None,
    )
    .await?;
    let now = state.now();
    store::update(
        &mut tx,
        &row,
        Status::Rectifying.code(),
        Some(&task.id),
        None,
        now,
    )
    .await?;
    store::event(
        &mut tx,
        &row.id,
        now,
        Some(&actor.user_id),
        EventKind::Ordered.code(),
        &requirement,
        Some(&task.id),
    );
    tx.commit_audited(vec![actor.audit_entry(
        "risk.order",
        "risk",
        Some(&row.id),
        AuditOutcome::Ok,
        &serde_json::json!({"task": task.id, "lead_org": task.lead_org_id, "due_on": task.due_on})
            .to_string(),
    )])
    .await?;
    get(state, actor, id).await
}

/// A re-inspection (复查) after the rectification was reported done.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reinspection {
    /// Whether the risk is removed.
    pub passed: bool,
    /// What was found; required when it did not pass. At most 1000 characters.
    #[serde(default)]
    pub note: Option<String>,
    pub updated_at: i64,
}

/// Records a re-inspection: passed closes the risk (销号) and accepts the order; not passed returns
/// the order to be done again (its deadline stands; the lead may ask for more time).
pub async fn reinspect(
    state: &AppState,
    actor: &Actor,
    id: &str,
    req: Reinspection,
) -> ApiResult<Risk> {
    actor.require(state, Permission::RiskManage).await?;
    let note =
        crate::validate::optional_text("note", req.note.as_deref(), 1000)?.unwrap_or_default();
    if !req.passed && note.is_empty() {
        return Err(ApiError::problem(Problem::new(
            "note",
            "risk_findings",
            "say what is still wrong",
        )));
    }
    let mut tx = state.db.begin().await?;
    let row = risk_for_change(&mut tx, actor, id, req.updated_at).await?;
    let status: Status = row.status.parse().unwrap_or(Status::Closed);
    let order_submitted = match &row.task_id {
        Some(t) => ordered::status(&mut tx, t).await? == pingan_domain::task::Status::Submitted,
        None => false,
    };
    let next = status
        .apply(Action::Reinspect {
            passed: req.passed,
            order_submitted,
        })
        .map_err(illegal)?;
    let task_id = row.task_id.clone().unwrap_or_default();
    ordered::settle(state, &mut tx, actor, &task_id, req.passed, &note).await?;
    let now = state.now();
    store::update(
        &mut tx,
        &row,
        next.code(),
        Some(&task_id),
        req.passed.then_some(now),
        now,
    )
    .await?;
    let kind = if req.passed {
        EventKind::ReinspectedPassed
    } else {
        EventKind::ReinspectedFailed
    };
    store::event(
        &mut tx,
        &row.id,
        now,
        Some(&actor.user_id),
        kind.code(),
        &note,
        Some(&task_id),
    );
    tx.commit_audited(vec![actor.audit_entry(
        "risk.reinspect",
        "risk",
        Some(&row.id),
        AuditOutcome::Ok,
        &serde_json::json!({"passed": req.passed, "task": task_id}).to_string(),
    )])
    .await?;
    get(state, actor, id).await
}

/// Closing a risk without an order.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RiskClosure {
    /// Why (removed on the spot, not a risk after all), 1–1000 characters.
    pub note: String,
    pub updated_at: i64,
}

pub async fn close(state: &AppState, actor: &Actor, id: &str, req: RiskClosure) -> ApiResult<Risk> {
    actor.require(state, Permission::RiskManage).await?;
    let note = crate::validate::text("note", &req.note, 1000)?;
    let mut tx = state.db.begin().await?;
    let row = risk_for_change(&mut tx, actor, id, req.updated_at).await?;
    let status: Status = row.status.parse().unwrap_or(Status::Closed);
    status.apply(Action::Close).map_err(illegal)?;
    let now = state.now();
    store::update(
        &mut tx,
        &row,
        Status::Closed.code(),
        row.task_id.as_deref(),
        Some(now),
        now,
    )
    .await?;
    store::event(
        &mut tx,
        &row.id,
        now,
        Some(&actor.user_id),
        EventKind::Closed.code(),
        &note,
        None,
    );
    tx.commit_audited(vec![actor.audit_entry(
        "risk.close",
        "risk",
        Some(&row.id),
        AuditOutcome::Ok,
        "{}",
    )])
    .await?;
    get(state, actor, id).await
}
