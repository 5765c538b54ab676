//! 队伍建设 API: sessions and attendance, certificates, mentoring pairs, each person's record and
//! the staff's hours.

use super::{
    AttendanceEntry, ExpiringQuery, Mentorship, MentorshipClosure, MentorshipDetail, NewMentorship,
    NewMentorshipCheckin, NewTrainingCertificate, NewTrainingSession, SessionsQuery, StaffHours,
    StaffHoursQuery, TrainingAttendee, TrainingCertificate, TrainingRecord, TrainingSession,
    TrainingSessionDetail,
};
use crate::auth::Actor;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiPath as Path;
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_training_sessions, create_training_session))
        .routes(routes!(get_training_session))
        .routes(routes!(record_training_attendance))
        .routes(routes!(add_training_certificate))
        .routes(routes!(list_expiring_certificates))
        .routes(routes!(list_mentorships, create_mentorship_pair))
        .routes(routes!(get_mentorship))
        .routes(routes!(record_mentorship_checkin))
        .routes(routes!(close_mentorship_pair))
        .routes(routes!(list_staff_training_hours))
        .routes(routes!(get_training_record))
}

/// Training sessions you may see (held for your area, organised in your scope, or attended),
/// starting within the days asked.
#[utoipa::path(get, path = "/api/v1/training/sessions", tag = "training", params(SessionsQuery),
    responses((status = 200, description = "OK", body = Vec<TrainingSession>),
        (status = 400, description = "A query parameter is invalid", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A date is invalid (the field is named)", body = ErrorBody)))]
async fn list_training_sessions(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<SessionsQuery>,
) -> ApiResult<Json<Vec<TrainingSession>>> {
    Ok(Json(super::sessions(&state, &actor, &q).await?))
}

/// Plan a course, drill (实战演练), skill test or competition (比武竞赛).
#[utoipa::path(post, path = "/api/v1/training/sessions", tag = "training", request_body = NewTrainingSession,
    responses((status = 201, description = "Created", body = TrainingSession),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn create_training_session(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(req): ApiJson<NewTrainingSession>,
) -> ApiResult<(StatusCode, Json<TrainingSession>)> {
    Ok((
        StatusCode::CREATED,
        Json(super::create_session(&state, &actor, req).await?),
    ))
}

/// A session with its attendees, hours, scores, places and pass results.
#[utoipa::path(get, path = "/api/v1/training/sessions/{id}", tag = "training",
    params(("id" = String, Path, description = "Session id")),
    responses((status = 200, description = "OK", body = TrainingSessionDetail),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such session you may see", body = ErrorBody)))]
async fn get_training_session(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<TrainingSessionDetail>> {
    Ok(Json(super::session_detail(&state, &actor, &id).await?))
}

/// Record (or correct) one person's attendance: hours credited and, for scored sessions, the score.
#[utoipa::path(put, path = "/api/v1/training/sessions/{id}/attendees/{user_id}", tag = "training",
    request_body = AttendanceEntry,
    params(("id" = String, Path, description = "Session id"),
        ("user_id" = String, Path, description = "The attendee (staff in your scope)")),
    responses((status = 200, description = "Recorded", body = TrainingAttendee),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such session you may see", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn record_training_attendance(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, user_id)): Path<(String, String)>,
    ApiJson(req): ApiJson<AttendanceEntry>,
) -> ApiResult<Json<TrainingAttendee>> {
    Ok(Json(
        super::record_attendance(&state, &actor, &id, &user_id, req).await?,
    ))
}

/// Record a certificate held by a member of staff in your scope.
#[utoipa::path(post, path = "/api/v1/training/certificates", tag = "training",
    request_body = NewTrainingCertificate,
    responses((status = 201, description = "Recorded", body = TrainingCertificate),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn add_training_certificate(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(req): ApiJson<NewTrainingCertificate>,
) -> ApiResult<(StatusCode, Json<TrainingCertificate>)> {
    Ok((
        StatusCode::CREATED,
        Json(super::add_certificate(&state, &actor, req).await?),
    ))
}

/// Certificates in your scope that have expired or expire within the days asked, soonest first.
#[utoipa::path(get, path = "/api/v1/training/certificates/expiring", tag = "training",
    params(ExpiringQuery),
    responses((status = 200, description = "OK", body = Vec<TrainingCertificate>),
        (status = 400, description = "A query parameter is invalid", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "The days are out of range", body = ErrorBody)))]
async fn list_expiring_certificates(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<ExpiringQuery>,
) -> ApiResult<Json<Vec<TrainingCertificate>>> {
    Ok(Json(super::expiring(&state, &actor, &q).await?))
}

/// Mentoring pairs (传帮带): yours, and those in your scope when you read training records.
#[utoipa::path(get, path = "/api/v1/training/mentorships", tag = "training",
    responses((status = 200, description = "OK", body = Vec<Mentorship>),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody)))]
async fn list_mentorships(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<Json<Vec<Mentorship>>> {
    Ok(Json(super::mentorships(&state, &actor).await?))
}

/// Pair a mentor with a mentee, with goals; both are told.
#[utoipa::path(post, path = "/api/v1/training/mentorships", tag = "training", request_body = NewMentorship,
    responses((status = 201, description = "Created", body = Mentorship),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn create_mentorship_pair(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(req): ApiJson<NewMentorship>,
) -> ApiResult<(StatusCode, Json<Mentorship>)> {
    Ok((
        StatusCode::CREATED,
        Json(super::create_mentorship(&state, &actor, req).await?),
    ))
}

/// A pair with its goals and check-ins.
#[utoipa::path(get, path = "/api/v1/training/mentorships/{id}", tag = "training",
    params(("id" = String, Path, description = "Pair id")),
    responses((status = 200, description = "OK", body = MentorshipDetail),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such pair you may see", body = ErrorBody)))]
async fn get_mentorship(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<MentorshipDetail>> {
    Ok(Json(super::mentorship_detail(&state, &actor, &id).await?))
}

/// Record a check-in (the mentor, the mentee or a training manager), marking the goals it met.
#[utoipa::path(post, path = "/api/v1/training/mentorships/{id}/checkins", tag = "training",
    request_body = NewMentorshipCheckin,
    params(("id" = String, Path, description = "Pair id")),
    responses((status = 201, description = "Recorded", body = MentorshipDetail),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such pair you may see", body = ErrorBody),
        (status = 409, description = "The pair has ended", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn record_mentorship_checkin(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<NewMentorshipCheckin>,
) -> ApiResult<(StatusCode, Json<MentorshipDetail>)> {
    Ok((
        StatusCode::CREATED,
        Json(super::record_checkin(&state, &actor, &id, req).await?),
    ))
}

/// End a pair: completed (goals reached) or ended early, with what came of it.
#[utoipa::path(post, path = "/api/v1/training/mentorships/{id}/closure", tag = "training",
    request_body = MentorshipClosure,
    params(("id" = String, Path, description = "Pair id")),
    responses((status = 200, description = "Closed", body = MentorshipDetail),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such pair you may see", body = ErrorBody),
        (status = 409, description = "The pair has ended", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn close_mentorship_pair(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<MentorshipClosure>,
) -> ApiResult<Json<MentorshipDetail>> {
    Ok(Json(
        super::close_mentorship(&state, &actor, &id, req).await?,
    ))
}

/// The staff in your scope with their training hours in a year, fewest first.
#[utoipa::path(get, path = "/api/v1/training/people", tag = "training", params(StaffHoursQuery),
    responses((status = 200, description = "OK", body = Vec<StaffHours>),
        (status = 400, description = "A query parameter is invalid", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "The year is out of range", body = ErrorBody)))]
async fn list_staff_training_hours(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<StaffHoursQuery>,
) -> ApiResult<Json<Vec<StaffHours>>> {
    Ok(Json(super::staff_hours(&state, &actor, &q).await?))
}

/// A person's training record: sessions, hours, certificates, pairs. Your own, or (training
/// managers and statistics readers) one of the staff in your scope; that read is audited.
#[utoipa::path(get, path = "/api/v1/training/people/{user_id}", tag = "training",
    params(("user_id" = String, Path, description = "The person")),
    responses((status = 200, description = "OK", body = TrainingRecord),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such person whose record you may read", body = ErrorBody)))]
async fn get_training_record(
    State(state): State<AppState>,
    actor: Actor,
    Path(user_id): Path<String>,
) -> ApiResult<Json<TrainingRecord>> {
    Ok(Json(super::record(&state, &actor, &user_id).await?))
}
