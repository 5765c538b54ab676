//! 交办/督办 API: tasks, their timeline, progress, completion and acceptance, extension requests and
//! the figures for scorecards.

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, ErrorBody, Problem, Problems};
use crate::extract::ApiPath as Path;
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;
use crate::tasks::supervision::{self, TaskExtensionDecision, TaskExtensionRequest};
use crate::tasks::{
    self, Completion, NewSupervisedTask, ProgressReport, Task, TaskDetail, TaskQuery, Verdict,
};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pingan_domain::task::{Action, Figures};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_supervised_tasks, assign_task))
        .routes(routes!(get_supervised_task))
        .routes(routes!(report_progress))
        .routes(routes!(submit_task))
        .routes(routes!(accept_task))
        .routes(routes!(return_task))
        .routes(routes!(cancel_supervised_task))
        .routes(routes!(request_task_extension))
        .routes(routes!(approve_task_extension))
        .routes(routes!(refuse_task_extension))
        .routes(routes!(task_figures))
}

/// Supervised tasks you may see (in your scope, or yours as lead, assigner or co-organisation):
/// red cards first, then yellow, then by deadline.
#[utoipa::path(get, path = "/api/v1/tasks", tag = "tasks", params(TaskQuery),
    responses((status = 200, description = "OK", body = Vec<Task>),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody)))]
async fn list_supervised_tasks(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<TaskQuery>,
) -> ApiResult<Json<Vec<Task>>> {
    Ok(Json(tasks::list(&state, &actor, &q).await?))
}

/// Assign a task (交办) to a lead organisation and person in your scope.
#[utoipa::path(post, path = "/api/v1/tasks", tag = "tasks", request_body = NewSupervisedTask,
    responses((status = 201, description = "Assigned", body = Task),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn assign_task(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(req): ApiJson<NewSupervisedTask>,
) -> ApiResult<(StatusCode, Json<Task>)> {
    Ok((
        StatusCode::CREATED,
        Json(tasks::assign(&state, &actor, req, None).await?),
    ))
}

/// One task with its co-organisations, timeline, extension requests and what you may do.
#[utoipa::path(get, path = "/api/v1/tasks/{id}", tag = "tasks",
    params(("id" = String, Path, description = "Task id")),
    responses((status = 200, description = "OK", body = TaskDetail),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such task for you", body = ErrorBody)))]
async fn get_supervised_task(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<TaskDetail>> {
    Ok(Json(tasks::detail(&state, &actor, &id).await?))
}

/// Report progress (the lead, or a member of the lead or a co-organisation).
#[utoipa::path(post, path = "/api/v1/tasks/{id}/progress", tag = "tasks", request_body = ProgressReport,
    params(("id" = String, Path, description = "Task id")),
    responses((status = 200, description = "Recorded", body = Task),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not your task to report on", body = ErrorBody),
        (status = 404, description = "No such task for you", body = ErrorBody),
        (status = 409, description = "The task changed since you read it, or is not open", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn report_progress(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ProgressReport>,
) -> ApiResult<Json<Task>> {
    Ok(Json(tasks::report(&state, &actor, &id, req).await?))
}

/// Report completion with evidence (by reference); the assigner accepts or returns it.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/submit", tag = "tasks", request_body = Completion,
    params(("id" = String, Path, description = "Task id")),
    responses((status = 200, description = "Submitted", body = Task),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not your task to report on", body = ErrorBody),
        (status = 404, description = "No such task for you", body = ErrorBody),
        (status = 409, description = "The task changed since you read it, or is not open", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn submit_task(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<Completion>,
) -> ApiResult<Json<Task>> {
    Ok(Json(tasks::submit(&state, &actor, &id, req).await?))
}

/// Accept a submitted completion (办结).
#[utoipa::path(post, path = "/api/v1/tasks/{id}/accept", tag = "tasks", request_body = Verdict,
    params(("id" = String, Path, description = "Task id")),
    responses((status = 200, description = "Accepted", body = Task),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such task for you", body = ErrorBody),
        (status = 409, description = "The task changed since you read it, or is not submitted", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn accept_task(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<Verdict>,
) -> ApiResult<Json<Task>> {
    Ok(Json(
        tasks::decide(&state, &actor, &id, Action::Accept, req).await?,
    ))
}

/// Return a submitted completion to the lead, with the reason.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/return", tag = "tasks", request_body = Verdict,
    params(("id" = String, Path, description = "Task id")),
    responses((status = 200, description = "Returned", body = Task),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such task for you", body = ErrorBody),
        (status = 409, description = "The task changed since you read it, or is not submitted", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn return_task(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<Verdict>,
) -> ApiResult<Json<Task>> {
    Ok(Json(
        tasks::decide(&state, &actor, &id, Action::Return, req).await?,
    ))
}

/// Cancel an open or submitted task, with the reason.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/cancel", tag = "tasks", request_body = Verdict,
    params(("id" = String, Path, description = "Task id")),
    responses((status = 200, description = "Cancelled", body = Task),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such task for you", body = ErrorBody),
        (status = 409, description = "The task changed since you read it, or is over", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn cancel_supervised_task(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<Verdict>,
) -> ApiResult<Json<Task>> {
    Ok(Json(
        tasks::decide(&state, &actor, &id, Action::Cancel, req).await?,
    ))
}

/// Ask for a later deadline day (one pending request at a time).
#[utoipa::path(post, path = "/api/v1/tasks/{id}/extensions", tag = "tasks", request_body = TaskExtensionRequest,
    params(("id" = String, Path, description = "Task id")),
    responses((status = 201, description = "Requested", body = Task),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not your task to report on", body = ErrorBody),
        (status = 404, description = "No such task for you", body = ErrorBody),
        (status = 409, description = "The task changed, is not open, or a request is pending", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn request_task_extension(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<TaskExtensionRequest>,
) -> ApiResult<(StatusCode, Json<Task>)> {
    Ok((
        StatusCode::CREATED,
        Json(supervision::request_extension(&state, &actor, &id, req).await?),
    ))
}

/// Approve the pending extension: the deadline moves and the card is recomputed.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/extensions/{ext_id}/approve", tag = "tasks",
    request_body = TaskExtensionDecision,
    params(("id" = String, Path, description = "Task id"), ("ext_id" = String, Path, description = "TaskExtension request id")),
    responses((status = 200, description = "Approved", body = Task),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this, or it is your own request", body = ErrorBody),
        (status = 404, description = "No such task or request for you", body = ErrorBody),
        (status = 409, description = "Decided already, or the task changed", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn approve_task_extension(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, ext_id)): Path<(String, String)>,
    ApiJson(req): ApiJson<TaskExtensionDecision>,
) -> ApiResult<Json<Task>> {
    Ok(Json(
        supervision::decide_extension(&state, &actor, &id, &ext_id, true, req).await?,
    ))
}

/// Refuse the pending extension, with the reason; the deadline and card stay.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/extensions/{ext_id}/refuse", tag = "tasks",
    request_body = TaskExtensionDecision,
    params(("id" = String, Path, description = "Task id"), ("ext_id" = String, Path, description = "TaskExtension request id")),
    responses((status = 200, description = "Refused", body = Task),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this, or it is your own request", body = ErrorBody),
        (status = 404, description = "No such task or request for you", body = ErrorBody),
        (status = 409, description = "Decided already", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn refuse_task_extension(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, ext_id)): Path<(String, String)>,
    ApiJson(req): ApiJson<TaskExtensionDecision>,
) -> ApiResult<Json<Task>> {
    Ok(Json(
        supervision::decide_extension(&state, &actor, &id, &ext_id, false, req).await?,
    ))
}

/// A period of local days, both included.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct Period {
    /// First day, `YYYY-MM-DD`.
    from: String,
    /// Last day, `YYYY-MM-DD` (at most 366 days after `from`).
    to: String,
}

/// Figures of the tasks assigned in a period whose lead organisation is in your scope (for the
/// scorecards: assigned, accepted, accepted on time, live, carded now).
#[utoipa::path(get, path = "/api/v1/task-figures", tag = "tasks", params(Period),
    responses((status = 200, description = "OK", body = Figures),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn task_figures(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(p): ApiQuery<Period>,
) -> ApiResult<Json<Figures>> {
    let mut problems = Problems::default();
    let from = tasks::day("from", &p.from, &mut problems);
    let to = tasks::day("to", &p.to, &mut problems);
    if let (Some(f), Some(t)) = (from, to)
        && (t < f || (t - f).get_days() > 366)
    {
        problems.push(Problem::new(
            "to",
            "task_period",
            "to must be on or after from, at most 366 days later",
        ));
    }
    problems.finish()?;
    let (Some(from), Some(to)) = (from, to) else {
        return Err(ApiError::Internal(anyhow::anyhow!(
            "a period value is missing"
        )));
    };
    let start = pingan_domain::time::day_start(from);
    let end = pingan_domain::time::day_start(to) + pingan_domain::task::DAY;
    Ok(Json(tasks::figures(&state, &actor, start, end).await?))
}
