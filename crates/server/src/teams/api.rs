//! 群防群治 API: teams, members, duties (值守) with attendance, tasks, the points ledger and a
//! member's own work.

use crate::auth::Actor;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiPath as Path;
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;
use crate::teams::work::{
    self, DutyAttendance, DutyQuery, LedgerAdjustment, MyTeamWork, NewDuty, NewTask, TaskDone,
    TeamDuty, TeamLedgerEntry, TeamTask,
};
use crate::teams::{self, NewMember, NewTeam, Team, TeamMember};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_teams, create_team))
        .routes(routes!(get_team))
        .routes(routes!(list_members, add_member))
        .routes(routes!(member_leaves))
        .routes(routes!(list_duties, create_duty))
        .routes(routes!(get_duty))
        .routes(routes!(confirm_attendance))
        .routes(routes!(cancel_duty))
        .routes(routes!(list_tasks, create_task))
        .routes(routes!(get_task))
        .routes(routes!(task_done))
        .routes(routes!(cancel_task))
        .routes(routes!(list_ledger, adjust_ledger))
        .routes(routes!(my_team_work))
}

/// 群防群治 teams in your scope.
#[utoipa::path(get, path = "/api/v1/teams", tag = "teams",
    responses((status = 200, description = "OK", body = Vec<Team>),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody)))]
async fn list_teams(State(state): State<AppState>, actor: Actor) -> ApiResult<Json<Vec<Team>>> {
    Ok(Json(teams::teams(&state, &actor).await?))
}

/// Form a team (治保会, property or enterprise security, 平安志愿者, 辅警 group) under an
/// organisation in your scope.
#[utoipa::path(post, path = "/api/v1/teams", tag = "teams", request_body = NewTeam,
    responses((status = 201, description = "Formed", body = Team),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn create_team(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(req): ApiJson<NewTeam>,
) -> ApiResult<(StatusCode, Json<Team>)> {
    Ok((
        StatusCode::CREATED,
        Json(teams::create_team(&state, &actor, req).await?),
    ))
}

/// One team.
#[utoipa::path(get, path = "/api/v1/teams/{id}", tag = "teams",
    params(("id" = String, Path, description = "Team id")),
    responses((status = 200, description = "OK", body = Team),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such team in your scope", body = ErrorBody)))]
async fn get_team(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<Team>> {
    Ok(Json(teams::team(&state, &actor, &id).await?))
}

/// A team's members (those who left too) with their hours and points.
#[utoipa::path(get, path = "/api/v1/teams/{id}/members", tag = "teams",
    params(("id" = String, Path, description = "Team id")),
    responses((status = 200, description = "OK", body = Vec<TeamMember>),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such team in your scope", body = ErrorBody)))]
async fn list_members(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<TeamMember>>> {
    Ok(Json(teams::members(&state, &actor, &id).await?))
}

/// Add a member: an account in your scope, or a named person without one.
#[utoipa::path(post, path = "/api/v1/teams/{id}/members", tag = "teams", request_body = NewMember,
    params(("id" = String, Path, description = "Team id")),
    responses((status = 201, description = "Added", body = TeamMember),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such team in your scope", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn add_member(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<NewMember>,
) -> ApiResult<(StatusCode, Json<TeamMember>)> {
    Ok((
        StatusCode::CREATED,
        Json(teams::add_member(&state, &actor, &id, req).await?),
    ))
}

/// A member leaves the team (they stay on its record and in its ledger).
#[utoipa::path(post, path = "/api/v1/teams/{id}/members/{member_id}/leave", tag = "teams",
    params(("id" = String, Path, description = "Team id"),
        ("member_id" = String, Path, description = "Member id")),
    responses((status = 204, description = "Left"),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such team or member in your scope", body = ErrorBody),
        (status = 409, description = "The member has left already", body = ErrorBody)))]
async fn member_leaves(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, member_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    teams::remove_member(&state, &actor, &id, &member_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A team's duties (值守) starting in a period (default: from a week ago, two weeks).
#[utoipa::path(get, path = "/api/v1/teams/{id}/duties", tag = "teams", params(("id" = String, Path, description = "Team id"), DutyQuery),
    responses((status = 200, description = "OK", body = Vec<TeamDuty>),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such team in your scope", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn list_duties(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<DutyQuery>,
) -> ApiResult<Json<Vec<TeamDuty>>> {
    Ok(Json(work::duties(&state, &actor, &id, &q).await?))
}

/// Schedule a duty: a place, a period (at most 24 hours) and the members on it.
#[utoipa::path(post, path = "/api/v1/teams/{id}/duties", tag = "teams", request_body = NewDuty,
    params(("id" = String, Path, description = "Team id")),
    responses((status = 201, description = "Scheduled", body = TeamDuty),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such team in your scope", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn create_duty(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<NewDuty>,
) -> ApiResult<(StatusCode, Json<TeamDuty>)> {
    Ok((
        StatusCode::CREATED,
        Json(work::create_duty(&state, &actor, &id, req).await?),
    ))
}

/// One duty.
#[utoipa::path(get, path = "/api/v1/team-duties/{id}", tag = "teams",
    params(("id" = String, Path, description = "Duty id")),
    responses((status = 200, description = "OK", body = TeamDuty),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such duty in your scope", body = ErrorBody)))]
async fn get_duty(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<TeamDuty>> {
    Ok(Json(work::duty(&state, &actor, &id).await?))
}

/// Confirm who came to a duty once it is over: each is credited its length (a point per full
/// hour). Once per duty; members who left the team since are not credited.
#[utoipa::path(post, path = "/api/v1/team-duties/{id}/attendance", tag = "teams", request_body = DutyAttendance,
    params(("id" = String, Path, description = "Duty id")),
    responses((status = 200, description = "Confirmed and credited", body = TeamDuty),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such duty in your scope", body = ErrorBody),
        (status = 409, description = "Confirmed already", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn confirm_attendance(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<DutyAttendance>,
) -> ApiResult<Json<TeamDuty>> {
    Ok(Json(work::confirm_duty(&state, &actor, &id, req).await?))
}

/// Cancel a duty not yet confirmed (nobody is credited; it leaves the members' lists).
#[utoipa::path(post, path = "/api/v1/team-duties/{id}/cancel", tag = "teams",
    params(("id" = String, Path, description = "Duty id")),
    responses((status = 200, description = "Cancelled", body = TeamDuty),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such duty in your scope", body = ErrorBody),
        (status = 409, description = "Confirmed or cancelled already", body = ErrorBody)))]
async fn cancel_duty(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<TeamDuty>> {
    Ok(Json(work::cancel_duty(&state, &actor, &id).await?))
}

/// A team's tasks: open ones by due time, then closed ones, newest first.
#[utoipa::path(get, path = "/api/v1/teams/{id}/tasks", tag = "teams",
    params(("id" = String, Path, description = "Team id")),
    responses((status = 200, description = "OK", body = Vec<TeamTask>),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such team in your scope", body = ErrorBody)))]
async fn list_tasks(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<TeamTask>>> {
    Ok(Json(work::tasks(&state, &actor, &id).await?))
}

/// Give members a task: patrol, publicity or information gathering.
#[utoipa::path(post, path = "/api/v1/teams/{id}/tasks", tag = "teams", request_body = NewTask,
    params(("id" = String, Path, description = "Team id")),
    responses((status = 201, description = "Given", body = TeamTask),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such team in your scope", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn create_task(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<NewTask>,
) -> ApiResult<(StatusCode, Json<TeamTask>)> {
    Ok((
        StatusCode::CREATED,
        Json(work::create_task(&state, &actor, &id, req).await?),
    ))
}

/// One task.
#[utoipa::path(get, path = "/api/v1/team-tasks/{id}", tag = "teams",
    params(("id" = String, Path, description = "Task id")),
    responses((status = 200, description = "OK", body = TeamTask),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such task in your scope", body = ErrorBody)))]
async fn get_task(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<TeamTask>> {
    Ok(Json(work::task(&state, &actor, &id).await?))
}

/// Close an open task as done: every member on it is credited the work (a point per full hour).
#[utoipa::path(post, path = "/api/v1/team-tasks/{id}/done", tag = "teams", request_body = TaskDone,
    params(("id" = String, Path, description = "Task id")),
    responses((status = 200, description = "Done and credited", body = TeamTask),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such task in your scope", body = ErrorBody),
        (status = 409, description = "Closed already", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn task_done(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<TaskDone>,
) -> ApiResult<Json<TeamTask>> {
    Ok(Json(work::complete_task(&state, &actor, &id, req).await?))
}

/// Cancel an open task (nobody is credited).
#[utoipa::path(post, path = "/api/v1/team-tasks/{id}/cancel", tag = "teams",
    params(("id" = String, Path, description = "Task id")),
    responses((status = 200, description = "Cancelled", body = TeamTask),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such task in your scope", body = ErrorBody),
        (status = 409, description = "Closed already", body = ErrorBody)))]
async fn cancel_task(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<TeamTask>> {
    Ok(Json(work::cancel_task(&state, &actor, &id).await?))
}

/// A team's hours-and-points ledger, newest first (the latest 200 entries).
#[utoipa::path(get, path = "/api/v1/teams/{id}/ledger", tag = "teams",
    params(("id" = String, Path, description = "Team id")),
    responses((status = 200, description = "OK", body = Vec<TeamLedgerEntry>),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such team in your scope", body = ErrorBody)))]
async fn list_ledger(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<TeamLedgerEntry>>> {
    Ok(Json(work::ledger(&state, &actor, &id).await?))
}

/// Correct or award a member's points, with the reason (a further entry; nothing is edited).
#[utoipa::path(post, path = "/api/v1/teams/{id}/ledger", tag = "teams", request_body = LedgerAdjustment,
    params(("id" = String, Path, description = "Team id")),
    responses((status = 201, description = "Entered", body = TeamLedgerEntry),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such team in your scope", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn adjust_ledger(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<LedgerAdjustment>,
) -> ApiResult<(StatusCode, Json<TeamLedgerEntry>)> {
    Ok((
        StatusCode::CREATED,
        Json(work::adjust(&state, &actor, &id, req).await?),
    ))
}

/// Your own teams, duties (from today, two weeks), open tasks and points.
#[utoipa::path(get, path = "/api/v1/me/team-work", tag = "teams",
    responses((status = 200, description = "OK", body = MyTeamWork),
        (status = 401, description = "Not authenticated", body = ErrorBody)))]
async fn my_team_work(State(state): State<AppState>, actor: Actor) -> ApiResult<Json<MyTeamWork>> {
    Ok(Json(work::mine(&state, &actor).await?))
}
