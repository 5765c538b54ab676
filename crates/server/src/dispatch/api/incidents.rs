//! Incidents (警情) for staff: intake by the 110 operator, grid workers and patrols; the lifecycle
//! actions; unit recommendations; the live board snapshot and its SSE stream; the type table.

use crate::auth::Actor;
use crate::dispatch::actions::{self, ActionRequest};
use crate::dispatch::detail::{IncidentDetail, detail, detail_of, recommend_for};
use crate::dispatch::intake::{NewIncident, Suggestions, intake_as};
use crate::dispatch::types::IncidentType;
use crate::dispatch::{self, Incident, Recommendation, TypeNames};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiPath as Path;
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;
use crate::validate::instant;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use pingan_domain::Permission;
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
            let (name, phone) = dispatch::open_caller(&state, &row)
                .map_err(|e| ApiError::Internal(anyhow::anyhow!("incident {id} caller: {e}")))?;
            d.incident.caller_name = name;
            d.incident.caller_phone = phone;
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
    Ok(Json(
        crate::dispatch::types::put(&state, &actor, &code, t).await?,
    ))
}

#[derive(Serialize, ToSchema)]
pub struct Board {
    /// Open incidents in scope, newest first (at most 500).
    pub incidents: Vec<Incident>,
    /// Units in scope (empty without the unit-read permission).
    pub units: Vec<crate::dispatch::units::Unit>,
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
            .map(crate::dispatch::units::to_api)
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
