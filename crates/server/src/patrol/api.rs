//! 分片布警 API: patrol zones, plans proposed by the MCLP kernel, the chief's edits and publication,
//! check-ins and tracks, and the roster (排班) of shifts on the zones.

use crate::auth::Actor;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiPath as Path;
use crate::extract::{ApiJson, ApiQuery};
use crate::patrol::checkins::{self, CheckInQuery, CheckIns, ManualCheckInView, NewManualCheckIn};
use crate::patrol::coverage::{self, Coverage, CoverageQuery};
use crate::patrol::roster::{self, CopiedWeek, CopyWeek, NewShift, Shift, ShiftQuery};
use crate::patrol::tracks::{self, Track, TrackQuery};
use crate::patrol::zone_import::{ZoneImport, ZoneImportReport};
use crate::patrol::{self, EditPosts, NewPlan, NewZone, Plan, PlanQuery, PlanSummary, Zone};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_patrol_zones, create_patrol_zone))
        .routes(routes!(get_patrol_zone))
        .routes(routes!(import_patrol_zones))
        .routes(routes!(list_patrol_plans, propose_patrol_plan))
        .routes(routes!(get_patrol_plan))
        .routes(routes!(edit_patrol_plan_posts))
        .routes(routes!(publish_patrol_plan))
        .routes(routes!(patrol_plan_check_ins, manual_check_in))
        .routes(routes!(patrol_plan_coverage))
        .routes(routes!(unit_track))
        .routes(routes!(list_patrol_shifts, create_patrol_shift))
        .routes(routes!(get_patrol_shift))
        .routes(routes!(cancel_patrol_shift))
        .routes(routes!(copy_patrol_week))
}

/// Shifts in your scope for a period (default: this week), or only yours (`mine=true`).
#[utoipa::path(get, path = "/api/v1/patrol-shifts", tag = "patrol", params(ShiftQuery),
    responses((status = 200, description = "OK, by start", body = Vec<Shift>),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn list_patrol_shifts(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<ShiftQuery>,
) -> ApiResult<Json<Vec<Shift>>> {
    Ok(Json(roster::shifts(&state, &actor, &q).await?))
}

/// Book a shift on a zone. Refused with every reason, and nothing stored, when a person or the unit
/// is already booked then (`roster_double_booked`, `roster_unit_double_booked`), a person would rest
/// less than `patrol.min_rest_hours` (`roster_rest_too_short`), or a person is not of the zone's
/// station and not seconded (`roster_outside_station`; a unit: `roster_unit_outside_station`).
#[utoipa::path(post, path = "/api/v1/patrol-shifts", tag = "patrol", request_body = NewShift,
    responses((status = 201, description = "Booked", body = Shift),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A value is invalid or the shift conflicts (each problem names its field)", body = ErrorBody)))]
async fn create_patrol_shift(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(req): ApiJson<NewShift>,
) -> ApiResult<(StatusCode, Json<Shift>)> {
    Ok((
        StatusCode::CREATED,
        Json(roster::create_shift(&state, &actor, req).await?),
    ))
}

/// One shift with its crew.
#[utoipa::path(get, path = "/api/v1/patrol-shifts/{id}", tag = "patrol",
    params(("id" = String, Path, description = "Shift id")),
    responses((status = 200, description = "OK", body = Shift),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such shift in your scope", body = ErrorBody)))]
async fn get_patrol_shift(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<Shift>> {
    Ok(Json(roster::shift(&state, &actor, &id).await?))
}

/// Cancel a shift: it books nobody from now on and stays on record.
#[utoipa::path(post, path = "/api/v1/patrol-shifts/{id}/cancel", tag = "patrol",
    params(("id" = String, Path, description = "Shift id")),
    responses((status = 200, description = "Cancelled", body = Shift),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such shift in your scope", body = ErrorBody),
        (status = 409, description = "Cancelled already", body = ErrorBody)))]
async fn cancel_patrol_shift(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<Shift>> {
    Ok(Json(roster::cancel_shift(&state, &actor, &id).await?))
}

/// Copy a station's week of shifts seven days forward: what fits is booked, what now conflicts is
/// listed with its reasons.
#[utoipa::path(post, path = "/api/v1/patrol-shifts/copy-week", tag = "patrol", request_body = CopyWeek,
    responses((status = 200, description = "What was booked and what was skipped", body = CopiedWeek),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn copy_patrol_week(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(req): ApiJson<CopyWeek>,
) -> ApiResult<Json<CopiedWeek>> {
    Ok(Json(roster::copy_week(&state, &actor, req).await?))
}

/// A unit's GPS track for a period (at most 7 days): the fixes in order, the silences longer than
/// `patrol.max_gap_minutes`, the distance covered.
#[utoipa::path(get, path = "/api/v1/units/{id}/track", tag = "patrol",
    params(("id" = String, Path, description = "Unit id"), TrackQuery),
    responses((status = 200, description = "OK", body = Track),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such unit in your scope", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn unit_track(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<TrackQuery>,
) -> ApiResult<Json<Track>> {
    Ok(Json(tracks::track(&state, &actor, &id, &q).await?))
}

/// Which posts were checked in on a day: a unit of the station within the check-in radius for the
/// configured minutes inside the post's window, by GPS; gaps in the station's tracks.
#[utoipa::path(get, path = "/api/v1/patrol-plans/{id}/check-ins", tag = "patrol",
    params(("id" = String, Path, description = "Plan id"), CheckInQuery),
    responses((status = 200, description = "OK", body = CheckIns),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such plan in your scope", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn patrol_plan_check_ins(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<CheckInQuery>,
) -> ApiResult<Json<CheckIns>> {
    Ok(Json(checkins::check_ins(&state, &actor, &id, &q).await?))
}

/// What a plan's crews covered over a period (posts checked in, hotspot cells visited in their
/// high-risk windows) and the effect since it started: incidents before and after in the patrolled
/// hotspot cells against the others, with the ratio of their rate ratios and its 95 % interval.
#[utoipa::path(get, path = "/api/v1/patrol-plans/{id}/coverage", tag = "patrol",
    params(("id" = String, Path, description = "Plan id"), CoverageQuery),
    responses((status = 200, description = "OK", body = Coverage),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such plan in your scope", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn patrol_plan_coverage(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<CoverageQuery>,
) -> ApiResult<Json<Coverage>> {
    Ok(Json(coverage::coverage(&state, &actor, &id, &q).await?))
}

/// Check in by hand at a post with the phone's position (手动打卡): now inside the post's window,
/// within `patrol.checkin_radius_m` of it. Shown apart from GPS check-ins.
#[utoipa::path(post, path = "/api/v1/patrol-plans/{id}/check-ins", tag = "patrol", request_body = NewManualCheckIn,
    params(("id" = String, Path, description = "Plan id")),
    responses((status = 201, description = "Checked in (manual)", body = ManualCheckInView),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Neither a responder nor on a shift of this zone now", body = ErrorBody),
        (status = 404, description = "No such plan in your scope", body = ErrorBody),
        (status = 409, description = "The plan is not published", body = ErrorBody),
        (status = 422, description = "Not in the window, too far or too vague (the field is named)", body = ErrorBody)))]
async fn manual_check_in(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<NewManualCheckIn>,
) -> ApiResult<(StatusCode, Json<ManualCheckInView>)> {
    Ok((
        StatusCode::CREATED,
        Json(checkins::manual_check_in(&state, &actor, &id, req).await?),
    ))
}

/// Patrol zones in your scope.
#[utoipa::path(get, path = "/api/v1/patrol-zones", tag = "patrol",
    responses((status = 200, description = "OK", body = Vec<Zone>),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody)))]
async fn list_patrol_zones(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<Json<Vec<Zone>>> {
    Ok(Json(patrol::zones(&state, &actor).await?))
}

/// Create a patrol zone (巡区) of a station. Overlaps with the station's other zones are reported
/// in the answer, not refused.
#[utoipa::path(post, path = "/api/v1/patrol-zones", tag = "patrol", request_body = NewZone,
    responses((status = 201, description = "Created", body = Zone),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn create_patrol_zone(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(req): ApiJson<NewZone>,
) -> ApiResult<(StatusCode, Json<Zone>)> {
    Ok((
        StatusCode::CREATED,
        Json(patrol::create_zone(&state, &actor, req).await?),
    ))
}

/// Import a station's patrol zones from a GeoJSON layer (features with a `name`): every feature's
/// geometry and name checked, overlaps with each other and the station's zones refused, the parts of
/// the station's jurisdiction left uncovered reported. `dry_run: true` reports and writes nothing;
/// otherwise all zones are written, or none.
#[utoipa::path(post, path = "/api/v1/patrol-zones/import", tag = "patrol", request_body = ZoneImport,
    responses((status = 200, description = "Checked (and written unless a dry run)", body = ZoneImportReport),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 409, description = "The station's zones changed while the layer was checked", body = ErrorBody),
        (status = 422, description = "A feature is bad (each named by its position and property)", body = ErrorBody)))]
async fn import_patrol_zones(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(req): ApiJson<ZoneImport>,
) -> ApiResult<Json<ZoneImportReport>> {
    Ok(Json(
        crate::patrol::zone_import::import_zones(&state, &actor, req).await?,
    ))
}

/// One patrol zone.
#[utoipa::path(get, path = "/api/v1/patrol-zones/{id}", tag = "patrol",
    params(("id" = String, Path, description = "Zone id")),
    responses((status = 200, description = "OK", body = Zone),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such zone in your scope", body = ErrorBody)))]
async fn get_patrol_zone(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<Zone>> {
    Ok(Json(patrol::zone(&state, &actor, &id).await?))
}

/// Patrol plans in your scope, newest first (`valid_on=today`: the plans crews work to today).
#[utoipa::path(get, path = "/api/v1/patrol-plans", tag = "patrol", params(PlanQuery),
    responses((status = 200, description = "OK", body = Vec<PlanSummary>),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn list_patrol_plans(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<PlanQuery>,
) -> ApiResult<Json<Vec<PlanSummary>>> {
    Ok(Json(patrol::plans(&state, &actor, &q).await?))
}

/// Propose a plan: K posts over the zone's recent incidents weighted by hour-of-day risk (the MCLP
/// kernel, proven optimal within its time limit), each with its busiest window. Kept as a draft.
#[utoipa::path(post, path = "/api/v1/patrol-plans", tag = "patrol", request_body = NewPlan,
    responses((status = 201, description = "Proposed (a draft)", body = Plan),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn propose_patrol_plan(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(req): ApiJson<NewPlan>,
) -> ApiResult<(StatusCode, Json<Plan>)> {
    Ok((
        StatusCode::CREATED,
        Json(patrol::propose(&state, &actor, req).await?),
    ))
}

/// One plan with its posts, the kernel's proposal and what was changed.
#[utoipa::path(get, path = "/api/v1/patrol-plans/{id}", tag = "patrol",
    params(("id" = String, Path, description = "Plan id")),
    responses((status = 200, description = "OK", body = Plan),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such plan in your scope", body = ErrorBody)))]
async fn get_patrol_plan(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<Plan>> {
    Ok(Json(patrol::plan(&state, &actor, &id).await?))
}

/// Replace a draft's posts (moved, added, removed, rescheduled); each must lie inside the zone.
#[utoipa::path(put, path = "/api/v1/patrol-plans/{id}/posts", tag = "patrol", request_body = EditPosts,
    params(("id" = String, Path, description = "Plan id")),
    responses((status = 200, description = "The plan as it now stands", body = Plan),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such plan in your scope", body = ErrorBody),
        (status = 409, description = "Published, or changed since you read it", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn edit_patrol_plan_posts(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<EditPosts>,
) -> ApiResult<Json<Plan>> {
    Ok(Json(patrol::edit_posts(&state, &actor, &id, req).await?))
}

/// Publish a draft plan to the crews.
#[utoipa::path(post, path = "/api/v1/patrol-plans/{id}/publish", tag = "patrol",
    params(("id" = String, Path, description = "Plan id")),
    responses((status = 200, description = "Published", body = Plan),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such plan in your scope", body = ErrorBody),
        (status = 409, description = "Already published", body = ErrorBody)))]
async fn publish_patrol_plan(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<Plan>> {
    Ok(Json(patrol::publish(&state, &actor, &id).await?))
}
