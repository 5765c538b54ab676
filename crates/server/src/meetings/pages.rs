//! 联席会议 pages: `/meetings` (the meetings in scope; recording one) and `/meetings/{id}` (agenda,
//! minutes, decisions with the tasks each assigned and a form to assign more, attachments).

use crate::auth::{Actor, PageActor};
use crate::error::{ApiError, Problem, Problems};
use crate::meetings::{self, AgendaItem, Meeting, MeetingDetail, Minutes, NewDecision, NewMeeting};
use crate::shell::{Ctx, FieldErrors, Forms, Typed, render};
use crate::state::AppState;
use crate::tasks::decided::Evidence;
use crate::tasks::forms::{Words, choices, form_field, new_task};
use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use pingan_domain::Permission;
use pingan_domain::task::Card;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/meetings", get(list).post(create))
        .route("/meetings/{id}", get(detail))
        .route("/meetings/{id}/minutes", post(minutes))
        .route("/meetings/{id}/decisions", post(decide))
        .route("/meetings/{id}/decisions/{decision}/tasks", post(spawn))
        .route("/meetings/{id}/attachments", post(attach))
}

fn at(us: i64) -> String {
    pingan_domain::time::local_datetime(pingan_domain::time::from_micros(us))[..16].to_string()
}

#[derive(Template)]
#[template(path = "meetings/list.html")]
struct ListPage {
    ctx: Ctx,
    meetings: Vec<Meeting>,
    can_manage: bool,
    orgs: Vec<(String, String)>,
    today: String,
    forms: Forms,
}

impl ListPage {
    fn at(&self, us: &i64) -> String {
        at(*us)
    }
}

async fn list_view(state: &AppState, headers: &HeaderMap, actor: &Actor, forms: Forms) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(
            state,
            headers,
            actor,
            "meetings",
            "/meetings",
            Permission::TaskRead
        )
        .await
    );
    let can_manage = actor.can(Permission::TaskManage);
    let loaded = async {
        let meetings = meetings::list(state, actor).await?;
        let orgs = if can_manage {
            choices(state, actor).await?.0
        } else {
            Vec::new()
        };
        Ok::<_, ApiError>((meetings, orgs))
    };
    let (meetings, orgs) = match loaded.await {
        Ok(v) => v,
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let status = if forms.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(
        status,
        &ListPage {
            ctx,
            meetings,
            can_manage,
            orgs,
            today: state.today().to_string(),
            forms,
        },
    )
}

async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
) -> Response {
    list_view(&state, &headers, &actor, Forms::default()).await
}

/// A local date and time (China time) as RFC 3339, or a problem beside `held`.
fn held_at(date: &str, time: &str, problems: &mut Problems) -> String {
    let d = date.parse::<jiff::civil::Date>().ok();
    let t = time.parse::<jiff::civil::Time>().ok();
    match (d, t) {
        (Some(d), Some(t)) => {
            let us = pingan_domain::time::day_start(d)
                + i64::from(t.hour()) * 3_600_000_000
                + i64::from(t.minute()) * 60_000_000;
            jiff::Timestamp::from_microsecond(us)
                .map(|t| t.to_string())
                .unwrap_or_default()
        }
        _ => {
            problems.push(Problem::new("held", "team_when", "a date and a time"));
            String::new()
        }
    }
}

fn meeting_field(path: &str) -> Option<String> {
    let base = path.split('[').next().unwrap_or(path);
    Some(
        match base {
            "held_at" => "held",
            "org_ids" => "org_ids",
            "attendees" => "attendees",
            other => other,
        }
        .to_string(),
    )
}

async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    body: Bytes,
) -> Response {
    let typed = Typed::parse("meeting", &body);
    let mut problems = Problems::default();
    let held = held_at(&typed.get("date"), &typed.get("time"), &mut problems);
    let result = match problems.finish() {
        Ok(()) => {
            let agenda = typed
                .get("agenda")
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|l| AgendaItem {
                    title: l.to_string(),
                    link: None,
                })
                .collect();
            meetings::create(
                &state,
                &actor,
                NewMeeting {
                    title: typed.get("title"),
                    org_id: typed.get("org_id"),
                    held_at: held,
                    place: typed.optional("place"),
                    org_ids: typed
                        .all("org_ids")
                        .into_iter()
                        .filter(|o| !o.is_empty())
                        .collect(),
                    attendees: typed
                        .get("attendees")
                        .split(['\n', '、', ','])
                        .map(str::trim)
                        .filter(|n| !n.is_empty())
                        .map(|n| meetings::Attendee {
                            user_id: None,
                            name: Some(n.to_string()),
                        })
                        .collect(),
                    agenda,
                    minutes: typed.optional("minutes"),
                },
            )
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(m) => Redirect::to(&format!("/meetings/{}", m.id)).into_response(),
        Err(e) => {
            let lang = crate::shell::lang_of(&headers);
            match FieldErrors::of(&state.i18n, lang, &e, meeting_field) {
                Some(errors) => list_view(&state, &headers, &actor, Forms { typed, errors }).await,
                None => crate::shell::fail(&state, &headers, &actor, e),
            }
        }
    }
}

#[derive(Template)]
#[template(path = "meetings/meeting.html")]
struct MeetingPage {
    ctx: Ctx,
    d: MeetingDetail,
    can_manage: bool,
    orgs: Vec<(String, String)>,
    people: Vec<(String, String)>,
    today: String,
    forms: Forms,
}

impl MeetingPage {
    fn w(&self) -> Words<'_> {
        Words(&self.ctx)
    }

    fn at(&self, us: &i64) -> String {
        at(*us)
    }

    fn names(&self, orgs: &[meetings::OrgName]) -> String {
        orgs.iter()
            .map(|o| o.name.as_str())
            .collect::<Vec<_>>()
            .join(self.ctx.t("shell.list_sep"))
    }

    fn attendees(&self) -> String {
        self.d
            .attendees
            .iter()
            .filter_map(|a| a.name.as_deref())
            .collect::<Vec<_>>()
            .join(self.ctx.t("shell.list_sep"))
    }

    /// The meeting's organisations: the organiser and the participants (who may agree).
    fn members(&self) -> Vec<(String, String)> {
        let mut v = vec![(
            self.d.meeting.org_id.clone(),
            self.d.meeting.org_name.clone(),
        )];
        v.extend(self.d.orgs.iter().map(|o| (o.id.clone(), o.name.clone())));
        v
    }

    fn link_href(&self, a: &AgendaItem) -> Option<String> {
        a.link
            .as_ref()
            .and_then(|l| crate::notifications::link(l.kind.code(), &l.id))
    }
}

async fn meeting_view(
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
            "meetings",
            "/meetings",
            Permission::TaskRead
        )
        .await
    );
    let can_manage = actor.can(Permission::TaskManage);
    let loaded = async {
        let d = meetings::detail(state, actor, id).await?;
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
    let status = if forms.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(
        status,
        &MeetingPage {
            ctx,
            d,
            can_manage,
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
    meeting_view(&state, &headers, &actor, &id, Forms::default()).await
}

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
        Ok(_) => Redirect::to(&format!("/meetings/{id}#{anchor}")).into_response(),
        Err(e) => {
            let lang = crate::shell::lang_of(headers);
            match FieldErrors::of(&state.i18n, lang, &e, form_field) {
                Some(errors) => {
                    meeting_view(state, headers, actor, id, Forms { typed, errors }).await
                }
                None => crate::shell::fail(state, headers, actor, e),
            }
        }
    }
}

async fn minutes(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let typed = Typed::parse("minutes", &body);
    let result = meetings::set_minutes(
        &state,
        &actor,
        &id,
        Minutes {
            minutes: typed.get("minutes"),
            updated_at: typed.get("updated_at").parse().unwrap_or(0),
        },
    )
    .await;
    answer(&state, &headers, &actor, &id, typed, "minutes", result).await
}

async fn decide(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let typed = Typed::parse("decision", &body);
    let result = meetings::decide(
        &state,
        &actor,
        &id,
        NewDecision {
            text: typed.get("text"),
            agreed_by: typed.all("agreed_by"),
            tasks: Vec::new(),
        },
    )
    .await;
    answer(&state, &headers, &actor, &id, typed, "decisions", result).await
}

async fn spawn(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path((id, decision)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let typed = Typed::parse(&format!("spawn-{decision}"), &body);
    let result = meetings::spawn_task(&state, &actor, &id, &decision, new_task(&typed)).await;
    answer(
        &state,
        &headers,
        &actor,
        &id,
        typed,
        &format!("decision-{decision}"),
        result,
    )
    .await
}

async fn attach(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let typed = Typed::parse("attachment", &body);
    let result = meetings::attach(
        &state,
        &actor,
        &id,
        Evidence {
            name: typed.get("name"),
            sm3: typed.get("sm3"),
            reference: typed.get("reference"),
        },
    )
    .await;
    answer(&state, &headers, &actor, &id, typed, "attachments", result).await
}
