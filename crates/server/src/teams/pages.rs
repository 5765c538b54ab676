//! 群防群治 pages: `/teams` (the teams in scope; forming one) and `/teams/{id}` (members with their
//! hours and points, duties with attendance, tasks, the ledger), each form's problems beside its
//! fields. A member's own duties and tasks are on `/duty` (dispatch's page, through `work::mine`).

use crate::auth::{Actor, PageActor};
use crate::error::{ApiError, Problem, Problems};
use crate::shell::{Ctx, FieldErrors, Typed, render};
use crate::state::AppState;
use crate::teams::work::{
    self, DutyAttendance, DutyQuery, LedgerAdjustment, NewDuty, NewTask, TaskDone, TeamDuty,
    TeamLedgerEntry, TeamTask,
};
use crate::teams::{self, NewMember, NewTeam, Team, TeamMember};
use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use pingan_domain::Permission;
use pingan_domain::team::{MemberRole, TaskKind, TaskStatus, TeamKind};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/teams", get(list).post(form_team))
        .route("/teams/{id}", get(detail))
        .route("/teams/{id}/members", post(add_member))
        .route("/teams/{id}/members/{member_id}/leave", post(leave))
        .route("/teams/{id}/duties", post(new_duty))
        .route("/teams/{id}/duties/{duty_id}/attendance", post(attendance))
        .route("/teams/{id}/duties/{duty_id}/cancel", post(duty_cancel))
        .route("/teams/{id}/tasks", post(new_task))
        .route("/teams/{id}/tasks/{task_id}/done", post(task_done))
        .route("/teams/{id}/tasks/{task_id}/cancel", post(task_cancel))
        .route("/teams/{id}/ledger", post(adjust))
}

/// A local date and time (China Standard Time) as RFC 3339, or a problem beside `field`.
fn local_instant(
    date: &str,
    time: &str,
    field: &str,
    problems: &mut Problems,
) -> Option<(jiff::civil::Date, jiff::civil::Time)> {
    let d = date.parse::<jiff::civil::Date>().ok();
    let t = time.parse::<jiff::civil::Time>().ok();
    match (d, t) {
        (Some(d), Some(t)) => Some((d, t)),
        _ => {
            problems.push(Problem::new(field, "team_when", "a date and a time"));
            None
        }
    }
}

fn rfc((d, t): (jiff::civil::Date, jiff::civil::Time)) -> String {
    let us = pingan_domain::time::day_start(d)
        + i64::from(t.hour()) * 3_600_000_000
        + i64::from(t.minute()) * 60_000_000;
    jiff::Timestamp::from_microsecond(us)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// API field paths → the form's fields.
fn form_field(path: &str) -> Option<String> {
    let base = path.split('[').next().unwrap_or(path);
    Some(
        match base {
            "starts_at" => "start",
            "ends_at" => "end",
            "due_at" => "due",
            "work_minutes" => "hours",
            other => other,
        }
        .to_string(),
    )
}

#[derive(Template)]
#[template(path = "teams/list.html")]
struct ListPage {
    ctx: Ctx,
    teams: Vec<Team>,
    orgs: Vec<(String, String)>,
    can_manage: bool,
    typed: Typed,
    errors: FieldErrors,
}

impl ListPage {
    fn kind(&self, k: &TeamKind) -> String {
        self.ctx.label("team_kind", k.code())
    }
}

async fn list_view(
    state: &AppState,
    headers: &HeaderMap,
    actor: &Actor,
    typed: Typed,
    errors: FieldErrors,
) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(
            state,
            headers,
            actor,
            "teams",
            "/teams",
            Permission::TeamRead
        )
        .await
    );
    let teams = match teams::teams(state, actor).await {
        Ok(t) => t,
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let can_manage = actor.can(Permission::TeamManage);
    let orgs = if can_manage {
        match pingan_store::orgs::list(&state.db, &actor.scope).await {
            Ok(o) => o.into_iter().map(|o| (o.id, o.name)).collect(),
            Err(e) => return crate::shell::page_error(ctx, e),
        }
    } else {
        Vec::new()
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(
        status,
        &ListPage {
            ctx,
            teams,
            orgs,
            can_manage,
            typed,
            errors,
        },
    )
}

async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
) -> Response {
    list_view(
        &state,
        &headers,
        &actor,
        Typed::default(),
        FieldErrors::default(),
    )
    .await
}

async fn form_team(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    body: Bytes,
) -> Response {
    let typed = Typed::parse("team", &body);
    let kind = typed.get("kind").parse::<TeamKind>();
    let result = match kind {
        Ok(kind) => {
            teams::create_team(
                &state,
                &actor,
                NewTeam {
                    name: typed.get("name"),
                    kind,
                    org_id: typed.get("org_id"),
                    note: typed.optional("note"),
                },
            )
            .await
        }
        Err(_) => Err(ApiError::problem(Problem::new(
            "kind",
            "required",
            "kind is required",
        ))),
    };
    match result {
        Ok(t) => Redirect::to(&format!("/teams/{}", t.id)).into_response(),
        Err(e) => {
            let lang = crate::shell::lang_of(&headers);
            match FieldErrors::of(&state.i18n, lang, &e, form_field) {
                Some(errors) => list_view(&state, &headers, &actor, typed, errors).await,
                None => crate::shell::fail(&state, &headers, &actor, e),
            }
        }
    }
}

#[derive(Template)]
#[template(path = "teams/team.html")]
struct TeamPage {
    ctx: Ctx,
    team: Team,
    members: Vec<TeamMember>,
    duties: Vec<TeamDuty>,
    tasks: Vec<TeamTask>,
    ledger: Vec<TeamLedgerEntry>,
    /// Accounts in scope not on the team yet `(id, name)`.
    accounts: Vec<(String, String)>,
    can_manage: bool,
    now: i64,
    today: String,
    typed: Typed,
    errors: FieldErrors,
}

impl TeamPage {
    fn kind(&self) -> String {
        self.ctx.label("team_kind", self.team.kind.code())
    }

    fn role(&self, r: &MemberRole) -> String {
        self.ctx.label("team_role", r.code())
    }

    fn task_kind(&self, k: &TaskKind) -> String {
        self.ctx.label("team_task", k.code())
    }

    fn task_status(&self, s: &TaskStatus) -> String {
        self.ctx.label("team_task_status", s.code())
    }

    fn ledger_kind(&self, e: &TeamLedgerEntry) -> String {
        self.ctx.label("team_ledger", e.kind.code())
    }

    fn period(&self, d: &TeamDuty) -> String {
        let f = pingan_domain::time::local_datetime(pingan_domain::time::from_micros(d.starts_at));
        let t = pingan_domain::time::local_datetime(pingan_domain::time::from_micros(d.ends_at));
        format!("{}–{}", &f[5..16], &t[11..16])
    }

    fn at(&self, us: &i64) -> String {
        pingan_domain::time::local_datetime(pingan_domain::time::from_micros(*us))[5..16]
            .to_string()
    }

    fn hours(&self, minutes: &i64) -> String {
        format!("{:.1}", *minutes as f64 / 60.0)
    }

    fn current(&self) -> Vec<&TeamMember> {
        self.members
            .iter()
            .filter(|m| m.left_at.is_none())
            .collect()
    }

    /// A duty whose attendance can be confirmed now (it is over).
    fn confirmable(&self, d: &TeamDuty) -> bool {
        self.can_manage
            && d.confirmed_at.is_none()
            && d.cancelled_at.is_none()
            && d.ends_at <= self.now
    }

    /// A duty that can still be cancelled.
    fn cancellable(&self, d: &TeamDuty) -> bool {
        self.can_manage && d.confirmed_at.is_none() && d.cancelled_at.is_none()
    }

    fn names(&self, who: &[work::Assigned]) -> String {
        who.iter()
            .map(|a| a.name.as_str())
            .collect::<Vec<_>>()
            .join(self.ctx.t("shell.list_sep"))
    }

    fn came(&self, who: &[work::Assigned]) -> String {
        who.iter()
            .filter(|a| a.present == Some(true))
            .map(|a| a.name.as_str())
            .collect::<Vec<_>>()
            .join(self.ctx.t("shell.list_sep"))
    }

    /// The typed value of `key` when `form` came back, else `default`.
    fn v(&self, form: &str, key: &str, default: &str) -> String {
        if self.typed.form == form {
            self.typed.get(key)
        } else {
            default.to_string()
        }
    }

    fn ticked(&self, form: &str, key: &str, id: &str) -> bool {
        self.typed.form == form && self.typed.all(key).iter().any(|v| v == id)
    }

    /// The problem beside `field` of `form`, when that form came back.
    fn e(&self, form: &str, field: &str) -> String {
        if self.typed.form == form {
            self.errors.get(field)
        } else {
            String::new()
        }
    }

    fn elsewhere(&self, form: &str, shown: &[&str]) -> Vec<String> {
        if self.typed.form == form {
            self.errors.elsewhere(shown)
        } else {
            Vec::new()
        }
    }
}

async fn team_view(
    state: &AppState,
    headers: &HeaderMap,
    actor: &Actor,
    id: &str,
    typed: Typed,
    errors: FieldErrors,
) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(
            state,
            headers,
            actor,
            "teams",
            "/teams",
            Permission::TeamRead
        )
        .await
    );
    let loaded = async {
        let team = teams::team(state, actor, id).await?;
        let members = teams::members(state, actor, id).await?;
        let duties = work::duties(state, actor, id, &DutyQuery::default()).await?;
        let tasks = work::tasks(state, actor, id).await?;
        let ledger = work::ledger(state, actor, id).await?;
        // Whoever may read accounts chooses among all the working ones in scope; a manager who may
        // not (a community officer) among the volunteers' accounts only.
        let any_account = actor.can(Permission::UserRead);
        let accounts = if actor.can(Permission::TeamManage) {
            pingan_store::users::list(&state.db, &actor.scope)
                .await?
                .into_iter()
                .filter(|u| {
                    !u.disabled
                        && u.role().is_some_and(|r| {
                            !r.is_administrative()
                                && (any_account || r == pingan_domain::Role::Volunteer)
                        })
                        && !members
                            .iter()
                            .any(|m| m.left_at.is_none() && m.user_id.as_ref() == Some(&u.id))
                })
                .map(|u| (u.id, u.display_name))
                .collect()
        } else {
            Vec::new()
        };
        Ok::<_, ApiError>((team, members, duties, tasks, ledger, accounts))
    };
    let (team, members, duties, tasks, ledger, accounts) = match loaded.await {
        Ok(v) => v,
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(
        status,
        &TeamPage {
            ctx,
            team,
            members,
            duties,
            tasks,
            ledger,
            accounts,
            can_manage: actor.can(Permission::TeamManage),
            now: state.now(),
            today: state.today().to_string(),
            typed,
            errors,
        },
    )
}

async fn detail(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
) -> Response {
    team_view(
        &state,
        &headers,
        &actor,
        &id,
        Typed::default(),
        FieldErrors::default(),
    )
    .await
}

/// Back to the team page at `anchor`, or the page again with the form's problems beside its fields.
async fn answer<T>(
    state: &AppState,
    headers: &HeaderMap,
    actor: &Actor,
    id: &str,
    typed: Typed,
    anchor: &str,
    result: Result<T, ApiError>,
) -> Response {
    match result {
        Ok(_) => Redirect::to(&format!("/teams/{id}#{anchor}")).into_response(),
        Err(e) => {
            let lang = crate::shell::lang_of(headers);
            match FieldErrors::of(&state.i18n, lang, &e, form_field) {
                Some(errors) => team_view(state, headers, actor, id, typed, errors).await,
                None => crate::shell::fail(state, headers, actor, e),
            }
        }
    }
}

async fn add_member(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let typed = Typed::parse("member", &body);
    let req = NewMember {
        user_id: typed.optional("user_id"),
        name: typed.optional("name"),
        role: typed.get("role").parse().ok(),
    };
    let result = teams::add_member(&state, &actor, &id, req).await;
    answer(&state, &headers, &actor, &id, typed, "members", result).await
}

async fn leave(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path((id, member_id)): Path<(String, String)>,
) -> Response {
    match teams::remove_member(&state, &actor, &id, &member_id).await {
        Ok(()) => Redirect::to(&format!("/teams/{id}#members")).into_response(),
        Err(e) => crate::shell::fail(&state, &headers, &actor, e),
    }
}

async fn new_duty(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let typed = Typed::parse("duty", &body);
    let mut problems = Problems::default();
    let date = typed.get("date");
    let start = local_instant(&date, &typed.get("start"), "start", &mut problems);
    let end = local_instant(&date, &typed.get("end"), "end", &mut problems);
    let result = match (start, end) {
        (Some(s), Some(e)) if s.1 == e.1 => Err(ApiError::problem(
            Problem::new("end", "team_period", "the end must come after the start")
                .with("hours", pingan_domain::team::MAX_DUTY_HOURS),
        )),
        (Some(s), Some(e)) if problems.is_empty() => {
            // An end at or before the start is on the next day: a night duty.
            let end = if e.1 <= s.1 {
                (e.0.tomorrow().unwrap_or(e.0), e.1)
            } else {
                e
            };
            work::create_duty(
                &state,
                &actor,
                &id,
                NewDuty {
                    place: typed.get("place"),
                    starts_at: rfc(s),
                    ends_at: rfc(end),
                    member_ids: typed.all("member_ids"),
                    note: typed.optional("note"),
                },
            )
            .await
        }
        _ => Err(problems.into_error()),
    };
    answer(&state, &headers, &actor, &id, typed, "duties", result).await
}

async fn attendance(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path((id, duty_id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let typed = Typed::parse(&format!("attendance-{duty_id}"), &body);
    let req = DutyAttendance {
        present: typed.all("present"),
    };
    let result = work::confirm_duty(&state, &actor, &duty_id, req).await;
    answer(&state, &headers, &actor, &id, typed, "duties", result).await
}

async fn duty_cancel(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path((id, duty_id)): Path<(String, String)>,
) -> Response {
    match work::cancel_duty(&state, &actor, &duty_id).await {
        Ok(_) => Redirect::to(&format!("/teams/{id}#duties")).into_response(),
        Err(e) => crate::shell::fail(&state, &headers, &actor, e),
    }
}

async fn new_task(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let typed = Typed::parse("task", &body);
    let mut problems = Problems::default();
    let due = local_instant(
        &typed.get("due_date"),
        &typed.get("due_time"),
        "due",
        &mut problems,
    );
    let kind = typed.get("kind").parse::<TaskKind>().ok();
    if kind.is_none() {
        problems.push(Problem::new("kind", "required", "kind is required"));
    }
    let result = match (due, kind) {
        (Some(due), Some(kind)) => {
            work::create_task(
                &state,
                &actor,
                &id,
                NewTask {
                    kind,
                    title: typed.get("title"),
                    place: typed.optional("place"),
                    due_at: rfc(due),
                    member_ids: typed.all("member_ids"),
                    note: typed.optional("note"),
                },
            )
            .await
        }
        _ => Err(problems.into_error()),
    };
    answer(&state, &headers, &actor, &id, typed, "tasks", result).await
}

async fn task_done(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path((id, task_id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let typed = Typed::parse(&format!("done-{task_id}"), &body);
    let result = match typed.get("hours").parse::<f64>() {
        Ok(h) if h.is_finite() => {
            let req = TaskDone {
                work_minutes: (h * 60.0).round() as i64,
            };
            work::complete_task(&state, &actor, &task_id, req).await
        }
        _ => Err(ApiError::problem(work::work_problem("hours"))),
    };
    answer(&state, &headers, &actor, &id, typed, "tasks", result).await
}

async fn task_cancel(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path((id, task_id)): Path<(String, String)>,
) -> Response {
    match work::cancel_task(&state, &actor, &task_id).await {
        Ok(_) => Redirect::to(&format!("/teams/{id}#tasks")).into_response(),
        Err(e) => crate::shell::fail(&state, &headers, &actor, e),
    }
}

async fn adjust(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let typed = Typed::parse("ledger", &body);
    let hours = typed.get("hours");
    let minutes = if hours.is_empty() {
        Some(0)
    } else {
        hours
            .parse::<f64>()
            .ok()
            .filter(|h| h.is_finite())
            .map(|h| (h * 60.0).round() as i64)
    };
    let points = typed.get("points");
    let points = if points.is_empty() && minutes.is_some_and(|m| m != 0) {
        Ok(0)
    } else {
        points.parse::<i64>()
    };
    let result = match (points, minutes) {
        (Ok(points), Some(minutes)) => {
            let req = LedgerAdjustment {
                member_id: typed.get("member_id"),
                points,
                minutes,
                note: typed.get("note"),
            };
            work::adjust(&state, &actor, &id, req).await
        }
        (_, None) => Err(ApiError::problem(work::work_problem("hours"))),
        (Err(_), _) => Err(ApiError::problem(
            Problem::new("points", "team_adjustment", "a whole number of points")
                .with("max", pingan_domain::team::MAX_ADJUSTMENT_POINTS),
        )),
    };
    answer(&state, &headers, &actor, &id, typed, "ledger", result).await
}
