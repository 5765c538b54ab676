//! 交办/督办 pages: `/tasks` (the tasks one may see, red and yellow cards first; "mine" and
//! "carded" filters; assigning one directly) and `/tasks/{id}` (the task, its card with reasons, the
//! timeline, and the forms the reader may use: progress, completion, an extension request for the
//! lead on a phone; accept, return, cancel and the extension decision for the assigner).

use crate::auth::{Actor, PageActor};
use crate::error::{ApiError, Problem};
use crate::shell::{Ctx, FieldErrors, Forms, Typed, render};
use crate::state::AppState;
use crate::tasks::forms::{Words, choices, form_field, new_task};
use crate::tasks::supervision::{self, TaskExtensionDecision, TaskExtensionRequest};
use crate::tasks::{
    self, Completion, Evidence, ProgressReport, Task, TaskDetail, TaskEvent, TaskQuery, Verdict,
};
use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use pingan_domain::Permission;
use pingan_domain::task::{Action, Card, Reason};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tasks", get(list).post(assign))
        .route("/tasks/{id}", get(detail))
        .route("/tasks/{id}/progress", post(progress))
        .route("/tasks/{id}/submit", post(submit))
        .route("/tasks/{id}/accept", post(accept))
        .route("/tasks/{id}/return", post(return_task))
        .route("/tasks/{id}/cancel", post(cancel))
        .route("/tasks/{id}/extensions", post(extension))
        .route("/tasks/{id}/extensions/{ext}/approve", post(approve))
        .route("/tasks/{id}/extensions/{ext}/refuse", post(refuse))
}

#[derive(Debug, Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    mine: Option<String>,
    #[serde(default)]
    carded: Option<String>,
}

#[derive(Template)]
#[template(path = "tasks/list.html")]
struct ListPage {
    ctx: Ctx,
    tasks: Vec<Task>,
    mine: bool,
    carded: bool,
    can_assign: bool,
    /// (id, name) of organisations in scope, for a new task.
    orgs: Vec<(String, String)>,
    /// (id, "name · organisation") of accounts in scope, for a new task's lead.
    people: Vec<(String, String)>,
    today: String,
    forms: Forms,
}

impl ListPage {
    fn w(&self) -> Words<'_> {
        Words(&self.ctx)
    }
}

async fn list_view(
    state: &AppState,
    headers: &HeaderMap,
    actor: &Actor,
    q: ListQuery,
    forms: Forms,
) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(
            state,
            headers,
            actor,
            "tasks",
            "/tasks",
            Permission::TaskRead
        )
        .await
    );
    let mine = q.mine.as_deref() == Some("1");
    let carded = q.carded.as_deref() == Some("1");
    let can_assign = actor.can(Permission::TaskManage);
    let loaded = async {
        let tasks = tasks::list(
            state,
            actor,
            &TaskQuery {
                mine: Some(mine),
                carded: Some(carded),
                ..Default::default()
            },
        )
        .await?;
        let (orgs, people) = if can_assign {
            choices(state, actor).await?
        } else {
            (Vec::new(), Vec::new())
        };
        Ok::<_, ApiError>((tasks, orgs, people))
    };
    let (tasks, orgs, people) = match loaded.await {
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
            tasks,
            mine,
            carded,
            can_assign,
            orgs,
            people,
            today: state.today().to_string(),
            forms,
        },
    )
}

async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Query(q): Query<ListQuery>,
) -> Response {
    list_view(&state, &headers, &actor, q, Forms::default()).await
}

async fn assign(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    body: Bytes,
) -> Response {
    let typed = Typed::parse("task", &body);
    match tasks::assign(&state, &actor, new_task(&typed), None).await {
        Ok(t) => Redirect::to(&format!("/tasks/{}", t.id)).into_response(),
        Err(e) => {
            let lang = crate::shell::lang_of(&headers);
            match FieldErrors::of(&state.i18n, lang, &e, form_field) {
                Some(errors) => {
                    list_view(
                        &state,
                        &headers,
                        &actor,
                        ListQuery::default(),
                        Forms { typed, errors },
                    )
                    .await
                }
                None => crate::shell::fail(&state, &headers, &actor, e),
            }
        }
    }
}

#[derive(Template)]
#[template(path = "tasks/task.html")]
struct TaskPage {
    ctx: Ctx,
    d: TaskDetail,
    forms: Forms,
}

impl TaskPage {
    fn w(&self) -> Words<'_> {
        Words(&self.ctx)
    }

    fn co_orgs(&self) -> String {
        self.d
            .co_orgs
            .iter()
            .map(|o| o.name.as_str())
            .collect::<Vec<_>>()
            .join(self.ctx.t("shell.list_sep"))
    }

    fn event(&self, e: &TaskEvent) -> String {
        self.ctx.label("task_event", e.kind.code())
    }

    /// What an event carries, in words: the share done, the new deadline, the card and reasons.
    fn event_detail(&self, e: &TaskEvent) -> String {
        let d = &e.data;
        if let Some(p) = d.get("percent").and_then(|p| p.as_i64()) {
            return format!("{p}%");
        }
        if let Some(c) = d.get("card").and_then(|c| c.as_str()) {
            let reasons: Vec<Reason> = d
                .get("reasons")
                .and_then(|r| serde_json::from_value(r.clone()).ok())
                .unwrap_or_default();
            return format!(
                "{}（{}）",
                self.ctx.label("task_card", c),
                self.w().reasons(&reasons)
            );
        }
        if let Some(due) = d.get("due_on").and_then(|x| x.as_str()) {
            return format!("{} {due}", self.ctx.t("tasks.due_on"));
        }
        if let Some(ev) = d.get("evidence").and_then(|x| x.as_array()) {
            return ev
                .iter()
                .filter_map(|x| x.get("name").and_then(|n| n.as_str()))
                .collect::<Vec<_>>()
                .join(self.ctx.t("shell.list_sep"));
        }
        String::new()
    }

    fn pending(&self) -> Option<&tasks::TaskExtension> {
        self.d
            .extensions
            .iter()
            .find(|e| e.status == pingan_domain::task::ExtensionStatus::Pending)
    }

    fn link_href(&self) -> Option<String> {
        self.d
            .task
            .link
            .as_ref()
            .and_then(|l| crate::notifications::link(l.kind.code(), &l.id))
    }

    fn link_label(&self) -> String {
        self.d.task.link.as_ref().map_or(String::new(), |l| {
            self.ctx.label("link_kind", l.kind.code())
        })
    }
}

async fn task_view(
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
            "tasks",
            "/tasks",
            Permission::TaskRead
        )
        .await
    );
    let d = match tasks::detail(state, actor, id).await {
        Ok(d) => d,
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let status = if forms.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(status, &TaskPage { ctx, d, forms })
}

async fn detail(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
) -> Response {
    task_view(&state, &headers, &actor, &id, Forms::default()).await
}

async fn answer<T>(
    state: &AppState,
    headers: &HeaderMap,
    actor: &Actor,
    id: &str,
    typed: Typed,
    result: Result<T, ApiError>,
) -> Response {
    match result {
        Ok(_) => Redirect::to(&format!("/tasks/{id}")).into_response(),
        Err(e) => {
            let lang = crate::shell::lang_of(headers);
            match FieldErrors::of(&state.i18n, lang, &e, form_field) {
                Some(errors) => task_view(state, headers, actor, id, Forms { typed, errors }).await,
                None => crate::shell::fail(state, headers, actor, e),
            }
        }
    }
}

fn version(typed: &Typed) -> i64 {
    typed.get("updated_at").parse().unwrap_or(0)
}

async fn progress(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let typed = Typed::parse("progress", &body);
    let result = match typed.get("percent").parse::<i64>() {
        Ok(percent) => {
            tasks::report(
                &state,
                &actor,
                &id,
                ProgressReport {
                    note: typed.get("note"),
                    percent,
                    updated_at: version(&typed),
                },
            )
            .await
        }
        Err(_) => Err(ApiError::problem(Problem::new(
            "percent",
            "task_percent",
            "percent must be 0–100",
        ))),
    };
    answer(&state, &headers, &actor, &id, typed, result).await
}

async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let typed = Typed::parse("submit", &body);
    let evidence = match typed.optional("evidence_name") {
        Some(name) => vec![Evidence {
            name,
            sm3: typed.get("evidence_sm3"),
            reference: typed.get("evidence_reference"),
        }],
        None => Vec::new(),
    };
    let result = tasks::submit(
        &state,
        &actor,
        &id,
        Completion {
            note: typed.get("note"),
            evidence,
            updated_at: version(&typed),
        },
    )
    .await;
    answer(&state, &headers, &actor, &id, typed, result).await
}

async fn verdict(
    state: AppState,
    headers: HeaderMap,
    actor: Actor,
    id: String,
    body: Bytes,
    action: Action,
    form: &str,
) -> Response {
    let typed = Typed::parse(form, &body);
    let result = tasks::decide(
        &state,
        &actor,
        &id,
        action,
        Verdict {
            note: typed.optional("note"),
            updated_at: version(&typed),
        },
    )
    .await;
    answer(&state, &headers, &actor, &id, typed, result).await
}

async fn accept(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    verdict(state, headers, actor, id, body, Action::Accept, "verdict").await
}

async fn return_task(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    verdict(state, headers, actor, id, body, Action::Return, "verdict").await
}

async fn cancel(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    verdict(state, headers, actor, id, body, Action::Cancel, "cancel").await
}

async fn extension(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let typed = Typed::parse("extension", &body);
    let result = supervision::request_extension(
        &state,
        &actor,
        &id,
        TaskExtensionRequest {
            due_on: typed.get("due_on"),
            reason: typed.get("reason"),
            updated_at: version(&typed),
        },
    )
    .await;
    answer(&state, &headers, &actor, &id, typed, result).await
}

async fn decide_extension(
    state: AppState,
    headers: HeaderMap,
    actor: Actor,
    (id, ext): (String, String),
    body: Bytes,
    approve: bool,
) -> Response {
    let typed = Typed::parse("decide", &body);
    let result = supervision::decide_extension(
        &state,
        &actor,
        &id,
        &ext,
        approve,
        TaskExtensionDecision {
            note: typed.optional("note"),
        },
    )
    .await;
    answer(&state, &headers, &actor, &id, typed, result).await
}

async fn approve(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(ids): Path<(String, String)>,
    body: Bytes,
) -> Response {
    decide_extension(state, headers, actor, ids, body, true).await
}

async fn refuse(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(ids): Path<(String, String)>,
    body: Bytes,
) -> Response {
    decide_extension(state, headers, actor, ids, body, false).await
}
