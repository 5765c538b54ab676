//! An incident as the people handling it read it: its timeline, the units assigned, what the
//! recommender suggests. The API and the incident page both answer with this.

use crate::auth::Actor;
use crate::dispatch::{self, Incident, Recommendation, TypeNames};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use pingan_store::incidents::{self};
use serde::Serialize;
use utoipa::ToSchema;

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
