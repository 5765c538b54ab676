//! 联席会议 API: meetings, minutes, decisions (with the tasks they assign) and attachments.

use crate::auth::Actor;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiJson;
use crate::extract::ApiPath as Path;
use crate::meetings::{
    self, Attachment, Decision, Meeting, MeetingDetail, Minutes, NewDecision, NewMeeting,
};
use crate::state::AppState;
use crate::tasks::decided::{Evidence, NewSupervisedTask, Task};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_meetings, create_meeting))
        .routes(routes!(get_meeting))
        .routes(routes!(put_minutes))
        .routes(routes!(record_decision))
        .routes(routes!(assign_decision_task))
        .routes(routes!(add_meeting_attachment))
}

/// Joint meetings in your scope, newest first.
#[utoipa::path(get, path = "/api/v1/meetings", tag = "meetings",
    responses((status = 200, description = "OK", body = Vec<Meeting>),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody)))]
async fn list_meetings(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<Json<Vec<Meeting>>> {
    Ok(Json(meetings::list(&state, &actor).await?))
}

/// Record a joint meeting (联席会议): organiser, participating organisations and people, agenda.
#[utoipa::path(post, path = "/api/v1/meetings", tag = "meetings", request_body = NewMeeting,
    responses((status = 201, description = "Recorded", body = Meeting),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn create_meeting(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(req): ApiJson<NewMeeting>,
) -> ApiResult<(StatusCode, Json<Meeting>)> {
    Ok((
        StatusCode::CREATED,
        Json(meetings::create(&state, &actor, req).await?),
    ))
}

/// One meeting with its agenda, minutes, decisions and their tasks, and attachments.
#[utoipa::path(get, path = "/api/v1/meetings/{id}", tag = "meetings",
    params(("id" = String, Path, description = "Meeting id")),
    responses((status = 200, description = "OK", body = MeetingDetail),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such meeting in your scope", body = ErrorBody)))]
async fn get_meeting(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<MeetingDetail>> {
    Ok(Json(meetings::detail(&state, &actor, &id).await?))
}

/// Replace the minutes (会议纪要).
#[utoipa::path(put, path = "/api/v1/meetings/{id}/minutes", tag = "meetings", request_body = Minutes,
    params(("id" = String, Path, description = "Meeting id")),
    responses((status = 200, description = "Saved", body = Meeting),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such meeting in your scope", body = ErrorBody),
        (status = 409, description = "The meeting changed since you read it", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn put_minutes(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<Minutes>,
) -> ApiResult<Json<Meeting>> {
    Ok(Json(meetings::set_minutes(&state, &actor, &id, req).await?))
}

/// Record a decision (决议) and the tasks it assigns, all or none.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/decisions", tag = "meetings", request_body = NewDecision,
    params(("id" = String, Path, description = "Meeting id")),
    responses((status = 201, description = "Recorded", body = Decision),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such meeting in your scope", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn record_decision(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<NewDecision>,
) -> ApiResult<(StatusCode, Json<Decision>)> {
    Ok((
        StatusCode::CREATED,
        Json(meetings::decide(&state, &actor, &id, req).await?),
    ))
}

/// Assign one more task from a recorded decision.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/decisions/{decision_id}/tasks", tag = "meetings",
    request_body = NewSupervisedTask,
    params(("id" = String, Path, description = "Meeting id"),
        ("decision_id" = String, Path, description = "Decision id")),
    responses((status = 201, description = "Assigned", body = Task),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such meeting or decision in your scope", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn assign_decision_task(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, decision_id)): Path<(String, String)>,
    ApiJson(req): ApiJson<NewSupervisedTask>,
) -> ApiResult<(StatusCode, Json<Task>)> {
    Ok((
        StatusCode::CREATED,
        Json(meetings::spawn_task(&state, &actor, &id, &decision_id, req).await?),
    ))
}

/// Add an attachment by reference (name, SM3 digest, where the file is kept).
#[utoipa::path(post, path = "/api/v1/meetings/{id}/attachments", tag = "meetings", request_body = Evidence,
    params(("id" = String, Path, description = "Meeting id")),
    responses((status = 201, description = "Added", body = Attachment),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such meeting in your scope", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn add_meeting_attachment(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<Evidence>,
) -> ApiResult<(StatusCode, Json<Attachment>)> {
    Ok((
        StatusCode::CREATED,
        Json(meetings::attach(&state, &actor, &id, req).await?),
    ))
}
