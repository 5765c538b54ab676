//! Incidents (警情) for staff: intake by the 110 operator, grid workers and patrols; the lifecycle
//! actions; unit recommendations; the live board snapshot and its SSE stream; the type table.

use crate::auth::Actor;
use crate::dispatch::actions::{self, ActionRequest};
use crate::dispatch::intake::{self, Report, Suggestions};
use crate::dispatch::{self, Incident, Recommendation, TypeNames};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiPath as Path;
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;
use crate::validate::{instant, live_instant, location, optional_text, phone, text, type_code};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use pingan_domain::Permission;
use pingan_domain::audit::AuditOutcome;
use pingan_domain::incident::{Channel, Level};
use pingan_store::incidents::{self, IncidentFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_incidents, create_incident))
        .routes(routes!(get_incident))
        .routes(routes!(act))
        .routes(routes!(recommendations))
        .routes(routes!(list_types))
        .routes(routes!(put_type))
        .routes(routes!(board))
        .routes(routes!(board_stream))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"channel": "call_110", "type_code": "500100", "level": 3,
    "description": "老人在枫桥老街走失，家属求助", "address": "枫桥镇陈家社区东门",
    "lng": 120.415083, "lat": 29.61625, "caller_name": "张先生", "caller_phone": "13800001111"}))]
pub struct NewIncident {
    /// call_110 (default; 110 operator), grid_report (网格员) or patrol (巡逻发现).
    pub channel: Option<String>,
    /// 6-digit type code (see /api/v1/incident-types).
    pub type_code: String,
    /// 1 (most urgent) – 4; default 2 for 110 calls, 3 for reports.
    pub level: Option<i64>,
    pub description: String,
    pub address: String,
    pub lng: f64,
    pub lat: f64,
    /// Coordinate system of lng/lat: wgs84 (default, = CGCS2000), gcj02 or bd09.
    pub crs: Option<String>,
    pub caller_name: Option<String>,
    pub caller_phone: Option<String>,
    /// When it happened (RFC 3339), if not now.
    pub reported_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct IntakeResult {
    #[serde(flatten)]
    pub incident: Incident,
    pub suggestions: Suggestions,
}

/// Record an incident. The grid, village and responsible station are derived from the location; the
/// answer carries duplicate and repeat-location suggestions.
#[utoipa::path(post, path = "/api/v1/incidents", tag = "dispatch", request_body = NewIncident,
    responses((status = 201, description = "Received", body = IntakeResult),
        (status = 400, description = "Malformed request", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn create_incident(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(req): ApiJson<NewIncident>,
) -> ApiResult<(StatusCode, Json<IntakeResult>)> {
    let (row, suggestions) = intake_as(&state, &actor, req).await?;
    let types = TypeNames::load(&state).await?;
    Ok((
        StatusCode::CREATED,
        Json(IntakeResult {
            incident: dispatch::view(&state, &types, row),
            suggestions,
        }),
    ))
}

/// Staff intake, shared by the API and the operator/grid-worker forms.
pub async fn intake_as(
    state: &AppState,
    actor: &Actor,
    req: NewIncident,
) -> ApiResult<(pingan_store::incidents::IncidentRow, Suggestions)> {
    let channel: Channel = req
        .channel
        .as_deref()
        .unwrap_or("call_110")
        .parse()
        .map_err(|m: String| ApiError::invalid("channel", format!("channel {m}")))?;
    match channel {
        Channel::Call110 => actor.require(state, Permission::IncidentIntake).await?,
        Channel::GridReport | Channel::Patrol => {
            if !(actor.can(Permission::IncidentIntake)
                || actor.can(Permission::IncidentReport)
                || actor.can(Permission::IncidentRespond))
            {
                actor.require(state, Permission::IncidentReport).await?;
            }
        }
        _ => {
            return Err(ApiError::invalid(
                "channel",
                "staff record call_110, grid_report or patrol; the public channels have their own endpoints",
            ));
        }
    }
    let code = type_code("type_code", &req.type_code)?;
    let default_level = if channel == Channel::Call110 { 2 } else { 3 };
    let level = Level::new(req.level.unwrap_or(default_level))
        .map_err(|e| ApiError::invalid("level", e.to_string()))?;
    let description = text("description", &req.description, 2000)?;
    let address = text("address", &req.address, 200)?;
    let (lng, lat) = location(req.lng, req.lat, req.crs.as_deref())?;
    let caller_name = optional_text("caller_name", req.caller_name.as_deref(), 50)?;
    let caller_phone = phone("caller_phone", req.caller_phone.as_deref())?;
    let reported_at = live_instant(state, "reported_at", req.reported_at.as_deref())?;
    intake::receive(
        state,
        Report {
            channel,
            type_code: code,
            level,
            description,
            address,
            lng,
            lat,
            caller_name,
            caller_phone,
            reporter_user_id: Some(actor.user_id.clone()),
            camera_code: None,
            snapshot_ref: None,
            event_type: None,
            reported_at,
        },
        Some(actor),
        actor.ip.clone(),
    )
    .await
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct IncidentQuery {
    /// open (default: still on the board), all, or one status.
    pub status: Option<String>,
    /// Received at or after (RFC 3339).
    pub since: Option<String>,
    /// Received at or before (RFC 3339).
    pub until: Option<String>,
    /// At most this many (1–1000, default 200).
    pub limit: Option<i64>,
}

/// Incidents in the caller's scope, newest first.
#[utoipa::path(get, path = "/api/v1/incidents", tag = "dispatch", params(IncidentQuery),
    responses((status = 200, description = "OK", body = Vec<Incident>),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn list_incidents(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<IncidentQuery>,
) -> ApiResult<Json<Vec<Incident>>> {
    actor.require(&state, Permission::IncidentRead).await?;
    let limit = q.limit.unwrap_or(200);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid("limit", "limit must be 1–1000"));
    }
    let mut f = IncidentFilter {
        limit,
        since: instant("since", q.since.as_deref())?,
        until: instant("until", q.until.as_deref())?,
        ..Default::default()
    };
    match q.status.as_deref().unwrap_or("open") {
        "open" => f.statuses = incidents::open_statuses(),
        "all" => {}
        s => {
            let st: pingan_domain::incident::Status = s.parse().map_err(|m: String| {
                ApiError::invalid("status", format!("status must be open, all, or {m}"))
            })?;
            f.statuses = vec![st.code().into()];
        }
    }
    let rows = incidents::list(&state.db, &actor.scope, &f).await?;
    let types = TypeNames::load(&state).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| dispatch::view(&state, &types, r))
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct TimelineEvent {
    /// UTC microseconds.
    pub at: i64,
    /// receive, dispatch, acknowledge, arrive, resolve, report_back, close, merge, transfer, cancel, callback.
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub unit_id: Option<String>,
    pub actor_name: String,
    pub note: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Assignment {
    pub unit_id: String,
    pub call_sign: String,
    pub unit_name: String,
    /// assigned, acknowledged, on_scene or released.
    pub state: String,
    pub assigned_at: i64,
    pub acknowledged_at: Option<i64>,
    pub arrived_at: Option<i64>,
    pub released_at: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct IncidentDetail {
    #[serde(flatten)]
    pub incident: Incident,
    pub units: Vec<Assignment>,
    pub events: Vec<TimelineEvent>,
}

pub async fn detail(state: &AppState, actor: &Actor, id: &str) -> ApiResult<IncidentDetail> {
    let row = incidents::get(&state.db, &actor.scope, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    detail_of(state, row).await
}

/// The detail of a row the caller has already loaded within their scope.
pub async fn detail_of(
    state: &AppState,
    row: pingan_store::incidents::IncidentRow,
) -> ApiResult<IncidentDetail> {
    let units = incidents::assignments(&state.db, &row.id)
        .await?
        .into_iter()
        .map(|a| Assignment {
            unit_id: a.unit_id,
            call_sign: a.call_sign,
            unit_name: a.unit_name,
            state: a.state,
            assigned_at: a.assigned_at,
            acknowledged_at: a.acknowledged_at,
            arrived_at: a.arrived_at,
            released_at: a.released_at,
        })
        .collect();
    let events = incidents::events(&state.db, &row.id)
        .await?
        .into_iter()
        .map(|e| TimelineEvent {
            at: e.at,
            action: e.action,
            from_status: e.from_status,
            to_status: e.to_status,
            unit_id: e.unit_id,
            actor_name: e.actor_name,
            note: e.note,
        })
        .collect();
    let types = TypeNames::load(state).await?;
    Ok(IncidentDetail {
        incident: dispatch::view(state, &types, row),
        units,
        events,
    })
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RevealCaller {
    /// `caller` to see the caller's name and number unmasked (for the call back; needs a purpose).
    pub reveal: Option<String>,
    pub purpose: Option<String>,
}

/// One incident with its units and timeline; `?reveal=caller&purpose=…` unmasks the caller (audited).
#[utoipa::path(get, path = "/api/v1/incidents/{id}", tag = "dispatch", params(("id" = String, Path, description = "Incident id"), RevealCaller),
    responses((status = 200, description = "OK", body = IncidentDetail),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "Not found, or outside your data scope", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn get_incident(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<RevealCaller>,
) -> ApiResult<Json<IncidentDetail>> {
    actor.require(&state, Permission::IncidentRead).await?;
    let mut d = detail(&state, &actor, &id).await?;
    match q.reveal.as_deref() {
        None => {}
        Some("caller") => {
            actor
                .reveal_personal(
                    &state,
                    "incident",
                    &d.incident.id,
                    &["caller_name", "caller_phone"],
                    q.purpose.as_deref(),
                )
                .await?;
            let row = incidents::get(&state.db, &actor.scope, &id)
                .await?
                .ok_or(ApiError::NotFound)?;
            d.incident.caller_name = row.caller_name;
            d.incident.caller_phone = row.caller_phone;
        }
        Some(_) => return Err(ApiError::invalid("reveal", "reveal must be `caller`")),
    }
    Ok(Json(d))
}

/// Take a step in the incident's lifecycle. A step the state machine forbids is 409 with the reason.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/actions", tag = "dispatch", params(("id" = String, Path, description = "Incident id")),
    request_body = ActionRequest,
    responses((status = 200, description = "Done; the incident afterwards", body = IncidentDetail),
        (status = 400, description = "Malformed request", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "Not found, or outside your data scope", body = ErrorBody),
        (status = 409, description = "Not allowed in the incident's current status", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn act(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ActionRequest>,
) -> ApiResult<Json<IncidentDetail>> {
    if !(actor.can(Permission::IncidentDispatch) || actor.can(Permission::IncidentRespond)) {
        actor.require(&state, Permission::IncidentDispatch).await?;
    }
    let row = actions::apply(&state, &actor, &id, &req).await?;
    Ok(Json(detail_of(&state, row).await?))
}

/// Units ranked for the incident: available units of the responsible station first, then nearest.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/recommendations", tag = "dispatch", params(("id" = String, Path, description = "Incident id")),
    responses((status = 200, description = "Best first", body = Vec<Recommendation>),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "Not found, or outside your data scope", body = ErrorBody)))]
async fn recommendations(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<Recommendation>>> {
    actor.require(&state, Permission::IncidentDispatch).await?;
    let row = incidents::get(&state.db, &actor.scope, &id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(recommend_for(&state, &actor, &row).await?))
}

pub async fn recommend_for(
    state: &AppState,
    actor: &Actor,
    row: &pingan_store::incidents::IncidentRow,
) -> ApiResult<Vec<Recommendation>> {
    let station_path = match &row.station_org_id {
        Some(s) => pingan_store::orgs::get_unscoped(&state.db, s)
            .await?
            .map(|o| o.path),
        None => None,
    };
    let units = pingan_store::units::list(&state.db, &actor.scope).await?;
    let assigned: Vec<String> = incidents::assignments(&state.db, &row.id)
        .await?
        .into_iter()
        .filter(|a| a.released_at.is_none())
        .map(|a| a.unit_id)
        .collect();
    let free: Vec<_> = units
        .into_iter()
        .filter(|u| !assigned.contains(&u.id))
        .collect();
    Ok(dispatch::recommend(row, station_path.as_deref(), &free))
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentType {
    /// 6-digit code; the leading digits give the category.
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// Offered at intake.
    pub active: bool,
}

/// The incident type table (configurable).
#[utoipa::path(get, path = "/api/v1/incident-types", tag = "dispatch",
    responses((status = 200, description = "OK", body = Vec<IncidentType>), (status = 401, description = "Not authenticated", body = ErrorBody)))]
async fn list_types(
    State(state): State<AppState>,
    _actor: Actor,
) -> ApiResult<Json<Vec<IncidentType>>> {
    Ok(Json(
        incidents::types(&state.db)
            .await?
            .into_iter()
            .map(|t| IncidentType {
                code: t.code,
                name_zh: t.name_zh,
                name_en: t.name_en,
                active: t.active,
            })
            .collect(),
    ))
}

/// Add or change an incident type (system administrator).
#[utoipa::path(put, path = "/api/v1/incident-types/{code}", tag = "dispatch", params(("code" = String, Path, description = "6-digit type code")),
    request_body = IncidentType,
    responses((status = 200, description = "Saved", body = IncidentType),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn put_type(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    ApiJson(t): ApiJson<IncidentType>,
) -> ApiResult<Json<IncidentType>> {
    actor.require(&state, Permission::SystemConfigure).await?;
    let parsed = type_code("code", &code)?;
    if t.code != parsed.as_str() {
        return Err(ApiError::invalid(
            "code",
            "the body's code differs from the path's",
        ));
    }
    let row = incidents::TypeRow {
        code: t.code.clone(),
        name_zh: text("name_zh", &t.name_zh, 50)?,
        name_en: text("name_en", &t.name_en, 100)?,
        active: t.active,
    };
    let mut tx = state.db.begin().await?;
    incidents::upsert_type(&mut tx, &row, state.now()).await?;
    let e = actor.audit_entry(
        "incident_type.put",
        "incident_type",
        Some(&row.code),
        AuditOutcome::Ok,
        &serde_json::json!({"active": row.active}).to_string(),
    );
    tx.commit_audited(vec![e]).await?;
    state.types.invalidate();
    Ok(Json(IncidentType {
        code: row.code,
        name_zh: row.name_zh,
        name_en: row.name_en,
        active: row.active,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct Board {
    /// Open incidents in scope, newest first (at most 500).
    pub incidents: Vec<Incident>,
    /// Units in scope (empty without the unit-read permission).
    pub units: Vec<super::units::Unit>,
    /// The feed position this snapshot reflects.
    pub generated_at: i64,
}

/// The live board's snapshot: open incidents and units in scope.
#[utoipa::path(get, path = "/api/v1/board", tag = "dispatch",
    responses((status = 200, description = "OK", body = Board),
        (status = 403, description = "Your role may not do this", body = ErrorBody)))]
async fn board(State(state): State<AppState>, actor: Actor) -> ApiResult<Json<Board>> {
    actor.require(&state, Permission::IncidentRead).await?;
    let rows = incidents::list(
        &state.db,
        &actor.scope,
        &IncidentFilter {
            statuses: incidents::open_statuses(),
            limit: 500,
            ..Default::default()
        },
    )
    .await?;
    let types = TypeNames::load(&state).await?;
    let units = if actor.can(Permission::UnitRead) {
        pingan_store::units::list(&state.db, &actor.scope)
            .await?
            .into_iter()
            .map(super::units::to_api)
            .collect()
    } else {
        Vec::new()
    };
    Ok(Json(Board {
        incidents: rows
            .into_iter()
            .map(|r| dispatch::view(&state, &types, r))
            .collect(),
        units,
        generated_at: state.now(),
    }))
}

/// Server-sent events: `change` with `{"seq","kind":"incident"|"unit","id"}` for every change in the
/// caller's scope, within a second of its commit on any server; `resync` when the client fell behind
/// and should reload the snapshot. A comment line every 15 s keeps proxies from closing a quiet stream.
/// One account may hold `server.streams_per_account` streams on one server; more get 429.
#[utoipa::path(get, path = "/api/v1/board/stream", tag = "dispatch",
    responses((status = 200, description = "text/event-stream", content_type = "text/event-stream", body = String),
        (status = 429, description = "This account has too many live streams open", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody)))]
async fn board_stream(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, std::convert::Infallible>>>> {
    actor.require(&state, Permission::IncidentRead).await?;
    let cap = state.config.server.streams_per_account;
    let Some(ticket) = state.live.open_stream(&actor.user_id, cap) else {
        return Err(ApiError::Other {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: "too_many_streams",
            message: format!(
                "this account already has {cap} live streams open; close one (another tab or device) first"
            ),
        });
    };
    let rx = state.live.subscribe();
    let scope = actor.scope.clone();
    let stream =
        futures::stream::unfold((rx, scope, ticket), |(mut rx, scope, ticket)| async move {
            loop {
                match rx.recv().await {
                    Ok(c) if scope.covers_area_path(&c.area_path) => {
                        let ev = Event::default()
                            .event("change")
                            .data(serde_json::to_string(&c).unwrap_or_default());
                        return Some((Ok(ev), (rx, scope, ticket)));
                    }
                    Ok(_) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        let ev = Event::default().event("resync").data("{}");
                        return Some((Ok(ev), (rx, scope, ticket)));
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                }
            }
        });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
