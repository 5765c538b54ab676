//! The home page (`/`).

use crate::auth::{Actor, PageActor};
use crate::shell::{Ctx, page_error, render};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use pingan_domain::Permission;
use pingan_store::disputes::{self, DisputeFilter};
use pingan_store::{StoreError, cases, home, incidents, notifications};

const DAY: i64 = 86_400_000_000;

fn when(us: i64) -> String {
    pingan_domain::time::local_datetime(pingan_domain::time::from_micros(us))
}
/// Items per section; each section links to its full list.
const SHOWN: usize = 8;

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(home_page))
}

/// One line of a section: what, where it leads, a second line and an urgency mark.
pub struct Item {
    pub title: String,
    pub href: String,
    pub detail: String,
    pub urgent: bool,
}

/// A headline figure: this period, the one before, and the change.
pub struct Figure {
    pub label: String,
    pub now: i64,
    pub before: i64,
}

impl Figure {
    /// "+12%", "−5%", "±0", or "新增" when there was nothing before.
    pub fn change(&self) -> String {
        match (self.before, self.now - self.before) {
            (_, 0) => "±0".into(),
            (0, _) => "—".into(),
            (b, d) => format!(
                "{}{:.0}%",
                if d > 0 { "+" } else { "−" },
                (d.abs() as f64) * 100.0 / b as f64
            ),
        }
    }
    pub fn up(&self) -> bool {
        self.now > self.before
    }
}

#[derive(Default)]
struct Sections {
    assignments: Option<Vec<Item>>,
    overdue: Option<Vec<Item>>,
    disputes: Option<Vec<Item>>,
    alerts: Option<Vec<Item>>,
    reports: Option<Vec<Item>>,
    /// A 群防群治 member's next duties and open tasks (any role: membership decides).
    team_work: Option<Vec<Item>>,
    /// Supervised tasks one leads that are still open, carded first.
    tasks: Option<Vec<Item>>,
    figures: Option<Vec<Figure>>,
    notices: Vec<Item>,
}

#[derive(Template)]
#[template(path = "home/home.html")]
struct HomePage {
    ctx: Ctx,
    scope: Vec<String>,
    s: Sections,
}

async fn home_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
) -> Response {
    let ctx = Ctx::new(&state, &headers, &actor, "dashboard", "/");
    let s = match sections(&state, &ctx, &actor).await {
        Ok(s) => s,
        Err(e) => return page_error(ctx, e),
    };
    let scope = crate::shell::scope_labels(&state, &actor.scope, ctx.lang).await;
    render(StatusCode::OK, &HomePage { ctx, scope, s })
}

async fn sections(state: &AppState, ctx: &Ctx, actor: &Actor) -> Result<Sections, StoreError> {
    let mut s = Sections::default();
    let now = state.now();
    if actor.can(Permission::IncidentRespond) {
        s.assignments = Some(assignments(state, ctx, actor).await?);
    }
    if actor.can(Permission::IncidentDispatch) {
        s.overdue = Some(overdue(state, ctx, actor).await?);
    }
    if actor.can(Permission::DisputeManage) || actor.can(Permission::DisputeSupervise) {
        s.disputes = Some(disputes_by_time_left(state, ctx, actor, None).await?);
    }
    if actor.can(Permission::CaseSupervise) || actor.can(Permission::CaseManage) {
        s.alerts = Some(open_alerts(state, ctx, actor).await?);
    }
    // Only people who report from the field have a report list (and the form it links to).
    if actor.can(Permission::GridWork)
        && (actor.can(Permission::IncidentReport) || actor.can(Permission::IncidentIntake))
    {
        s.reports = Some(my_reports(state, ctx, actor).await?);
        if s.disputes.is_none() {
            s.disputes = Some(disputes_by_time_left(state, ctx, actor, Some("grid")).await?);
        }
    }
    if actor.can(Permission::TaskRead) {
        s.tasks = Some(my_tasks(state, ctx, actor).await?);
    }
    if actor.can(Permission::KpiRead) {
        let week = 7 * DAY;
        let inc = |from, to| home::incidents_received(&state.db, &actor.scope, from, to);
        let dis = |from, to| home::disputes_registered(&state.db, &actor.scope, from, to);
        s.figures = Some(vec![
            Figure {
                label: ctx.t("home.fig_incidents").into(),
                now: inc(now - week, now).await?,
                before: inc(now - 2 * week, now - week).await?,
            },
            Figure {
                label: ctx.t("home.fig_disputes").into(),
                now: dis(now - week, now).await?,
                before: dis(now - 2 * week, now - week).await?,
            },
        ]);
    }
    if !pingan_store::teams::memberships(&state.db, &actor.user_id)
        .await?
        .is_empty()
    {
        s.team_work = Some(team_work(state, ctx, actor).await?);
    }
    s.notices = notifications::list(&state.db, &actor.user_id, true, 5)
        .await?
        .into_iter()
        .map(|n| Item {
            title: crate::notifications::message_in(&n, ctx.lang),
            href: crate::notifications::link(&n.object_type, &n.object_id)
                .unwrap_or_else(|| "/notifications".into()),
            detail: when(n.at),
            urgent: false,
        })
        .collect();
    Ok(s)
}

/// The open supervised tasks one leads: red and yellow cards first, then by deadline.
async fn my_tasks(state: &AppState, ctx: &Ctx, actor: &Actor) -> Result<Vec<Item>, StoreError> {
    let reader = pingan_store::tasks::Reader {
        scope: &actor.scope,
        user_id: &actor.user_id,
        org_id: actor.org_id.as_deref(),
    };
    let filter = pingan_store::tasks::Filter {
        lead_user_id: Some(actor.user_id.clone()),
        status: Some("open".into()),
        limit: SHOWN as i64,
        ..Default::default()
    };
    Ok(pingan_store::tasks::list(&state.db, &reader, &filter)
        .await?
        .into_iter()
        .map(|t| {
            let carded = t.card != "normal";
            let card = if carded {
                format!("{} · ", ctx.label("task_card", &t.card))
            } else {
                String::new()
            };
            Item {
                href: format!("/tasks/{}", t.id),
                detail: format!("{card}{} {}", ctx.t("tasks.due_on"), t.due_on),
                urgent: carded,
                title: t.title,
            }
        })
        .collect())
}

/// A team member's duties from today (a week) and open tasks, soonest first.
async fn team_work(state: &AppState, ctx: &Ctx, actor: &Actor) -> Result<Vec<Item>, StoreError> {
    let today = pingan_domain::time::day_start(state.today());
    let clock = |us: i64| when(us)[5..16].to_string();
    let mut out: Vec<(i64, Item)> =
        pingan_store::teams::duties_of(&state.db, &actor.user_id, today, today + 7 * DAY)
            .await?
            .into_iter()
            .map(|d| {
                (
                    d.starts_at,
                    Item {
                        title: format!("{} · {}", d.place, d.team_name),
                        href: "/duty".into(),
                        detail: format!("{}–{}", clock(d.starts_at), &when(d.ends_at)[11..16]),
                        urgent: false,
                    },
                )
            })
            .collect();
    for k in pingan_store::teams::open_tasks_of(&state.db, &actor.user_id).await? {
        out.push((
            k.due_at,
            Item {
                title: format!("{} · {}", k.title, k.team_name),
                href: "/duty".into(),
                detail: format!(
                    "{} · {} {}",
                    ctx.label("team_task", &k.kind),
                    ctx.t("teams.due"),
                    clock(k.due_at)
                ),
                urgent: k.due_at < state.now(),
            },
        ));
    }
    out.sort_by_key(|(at, _)| *at);
    Ok(out.into_iter().take(SHOWN).map(|(_, i)| i).collect())
}

async fn assignments(state: &AppState, ctx: &Ctx, actor: &Actor) -> Result<Vec<Item>, StoreError> {
    let mut out = Vec::new();
    let rows =
        incidents::assignments_for_user(&state.db, &actor.user_id, state.now() - DAY).await?;
    for a in rows
        .into_iter()
        .filter(|a| a.released_at.is_none())
        .take(SHOWN)
    {
        let Some(i) = incidents::get(&state.db, &actor.scope, &a.incident_id).await? else {
            continue;
        };
        out.push(Item {
            title: format!("{} · {}", i.number, i.address),
            href: format!("/incidents/{}", i.id),
            detail: format!(
                "{} · {}",
                a.call_sign,
                ctx.t(&format!("dispatch.status.{}", i.status))
            ),
            urgent: a.state == "assigned",
        });
    }
    Ok(out)
}

/// Open incidents whose running clock has passed its target, most overdue first.
async fn overdue(state: &AppState, ctx: &Ctx, actor: &Actor) -> Result<Vec<Item>, StoreError> {
    let open = incidents::list(
        &state.db,
        &actor.scope,
        &incidents::IncidentFilter {
            statuses: incidents::open_statuses(),
            limit: 500,
            ..Default::default()
        },
    )
    .await?;
    let mut late: Vec<(i64, Item)> = open
        .iter()
        .filter_map(|i| {
            let c = crate::dispatch::clocks(state, i)
                .into_iter()
                .find(|c| c.running && c.overdue)?;
            let stage = serde_json::to_value(c.stage)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default();
            Some((
                c.seconds - c.target_seconds,
                Item {
                    title: format!("{} · {}", i.number, i.address),
                    href: format!("/incidents/{}", i.id),
                    detail: format!(
                        "{} · {}",
                        ctx.t(&format!("dispatch.stage.{stage}")),
                        ctx.span(c.target_seconds - c.seconds)
                    ),
                    urgent: true,
                },
            ))
        })
        .collect();
    late.sort_by_key(|(over, _)| -over);
    Ok(late.into_iter().take(SHOWN).map(|(_, i)| i).collect())
}

async fn disputes_by_time_left(
    state: &AppState,
    ctx: &Ctx,
    actor: &Actor,
    tier: Option<&str>,
) -> Result<Vec<Item>, StoreError> {
    let mut rows = disputes::list(
        &state.db,
        &actor.scope,
        &DisputeFilter {
            statuses: vec!["mediating".into()],
            tier: tier.map(String::from),
            limit: 500,
            ..Default::default()
        },
    )
    .await?;
    rows.sort_by_key(|d| d.tier_due);
    let now = state.now();
    Ok(rows
        .into_iter()
        .take(SHOWN)
        .map(|d| {
            let left = (d.tier_due - now) / 1_000_000;
            Item {
                title: format!("{} · {}", d.number, d.title),
                href: format!("/disputes/{}", d.id),
                detail: format!(
                    "{} · {}",
                    ctx.t(&format!("mediation.tier_{}", d.tier)),
                    ctx.span(left)
                ),
                urgent: left < 0,
            }
        })
        .collect())
}

async fn open_alerts(state: &AppState, ctx: &Ctx, actor: &Actor) -> Result<Vec<Item>, StoreError> {
    let rows = cases::list_alerts(
        &state.db,
        &actor.scope,
        &cases::AlertFilter {
            status: Some("open".into()),
            limit: SHOWN as i64,
            ..Default::default()
        },
    )
    .await?;
    let now = state.now();
    Ok(rows
        .into_iter()
        .map(|a| Item {
            title: ctx.t(&format!("cases.alert_{}", a.kind)).to_string(),
            href: format!("/case-alerts/{}", a.id),
            detail: ctx.span((a.due_at - now) / 1_000_000),
            urgent: a.kind == "overdue",
        })
        .collect())
}

async fn my_reports(state: &AppState, ctx: &Ctx, actor: &Actor) -> Result<Vec<Item>, StoreError> {
    Ok(home::reported_by(&state.db, &actor.user_id, SHOWN as i64)
        .await?
        .into_iter()
        .map(|i| Item {
            title: format!("{} · {}", i.number, i.address),
            href: format!("/incidents/{}", i.id),
            detail: format!(
                "{} · {}",
                when(i.received_at),
                ctx.t(&format!("dispatch.status.{}", i.status))
            ),
            urgent: false,
        })
        .collect())
}
