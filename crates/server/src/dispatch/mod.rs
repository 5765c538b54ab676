//! Command and dispatch (指挥调度) as a workflow shared by the API, the pages and the public channels:
//! `intake` receives from every channel, `actions` moves incidents through their lifecycle, and this
//! module turns stored rows into what people see (clocks, masked caller, unit ranking).

pub mod actions;
pub mod api;
pub mod demo;
pub mod detail;
pub mod figures;
pub mod intake;
pub mod pages;
pub mod raised;
pub mod types;
pub mod units;

use crate::state::AppState;
use pingan_domain::incident::{Clock, Level, Milestones, TypeCode};
use pingan_domain::mask;
use pingan_domain::unit::{Candidate, UnitStatus, rank};
use pingan_store::incidents::IncidentRow;
use pingan_store::units::UnitRow;
use serde::Serialize;
use utoipa::ToSchema;

/// An incident as the API and pages show it. Caller details are masked.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Incident {
    pub id: String,
    /// 警情编号: district code, date, daily sequence.
    pub number: String,
    /// Public reports only: the reporter's tracking code (also the Open311 service_request_id).
    pub tracking_code: Option<String>,
    /// call_110, web, open311, grid_report, camera or patrol.
    pub channel: String,
    /// 6-digit type code.
    pub type_code: String,
    /// The type's Chinese name.
    pub type_name: String,
    /// The type's English name.
    pub type_name_en: String,
    pub category: String,
    /// 1 (most urgent) – 4.
    pub level: i64,
    /// received, dispatched, acknowledged, on_scene, resolved, reported_back, closed, merged, transferred, cancelled.
    pub status: String,
    pub description: String,
    pub address: String,
    /// WGS-84.
    pub lng: f64,
    pub lat: f64,
    pub grid_code: Option<String>,
    pub village_code: Option<String>,
    /// urban, suburban or rural: selects the arrival target.
    pub area_type: String,
    /// The responsible police station.
    pub station_org_id: Option<String>,
    /// Masked.
    pub caller_name: Option<String>,
    /// Masked.
    pub caller_phone: Option<String>,
    pub camera_code: Option<String>,
    pub snapshot_ref: Option<String>,
    pub event_type: Option<String>,
    pub merged_into: Option<String>,
    pub transfer_target: Option<String>,
    pub transfer_org_id: Option<String>,
    /// What the reporter was told (反馈).
    pub feedback_text: Option<String>,
    /// 回访 result.
    pub satisfaction: Option<String>,
    /// UTC microseconds.
    pub reported_at: i64,
    pub received_at: i64,
    pub dispatched_at: Option<i64>,
    pub acknowledged_at: Option<i64>,
    pub arrived_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub reported_back_at: Option<i64>,
    pub closed_at: Option<i64>,
    /// The response clocks that have started (receipt→dispatch, dispatch→arrival, arrival→resolution,
    /// resolution→feedback), each against its target for this level and area type.
    pub clocks: Vec<Clock>,
    /// Some clock is over its target.
    pub overdue: bool,
}

/// Names of incident types (the table is small and editable; cached a few seconds per process).
pub struct TypeNames(pub std::sync::Arc<Vec<pingan_store::incidents::TypeRow>>);

impl TypeNames {
    pub async fn load(state: &AppState) -> pingan_store::Result<TypeNames> {
        Ok(TypeNames(state.types.get(&state.db).await?))
    }

    pub fn name(&self, code: &str, zh: bool) -> String {
        self.0
            .iter()
            .find(|t| t.code == code)
            .map(|t| {
                if zh {
                    t.name_zh.clone()
                } else {
                    t.name_en.clone()
                }
            })
            .unwrap_or_else(|| code.to_string())
    }
}

pub fn clocks(state: &AppState, r: &IncidentRow) -> Vec<Clock> {
    let level = Level::new(r.level).unwrap_or_else(|_| Level::new(4).expect("4 is a level"));
    Milestones {
        received_at: r.received_at,
        dispatched_at: r.dispatched_at,
        arrived_at: r.arrived_at,
        resolved_at: r.resolved_at,
        reported_back_at: r.reported_back_at,
    }
    .clocks(
        level,
        &r.area_type,
        &state.config.dispatch.targets,
        state.now(),
        r.status().is_open(),
    )
}

/// The caller's name and phone, opened from their sealed columns (to be masked, or revealed for an
/// audited purpose). A value no configured key opens is an error.
pub fn open_caller(
    state: &AppState,
    r: &IncidentRow,
) -> Result<(Option<String>, Option<String>), pingan_domain::crypto::CryptoError> {
    let open =
        |aad: &str, v: &Option<String>| v.as_deref().map(|s| state.cipher.open(aad, s)).transpose();
    Ok((
        open(crate::rekey::CALLER_NAME, &r.caller_name_sealed)?,
        open(crate::rekey::CALLER_PHONE, &r.caller_phone_sealed)?,
    ))
}

pub fn view(state: &AppState, types: &TypeNames, r: IncidentRow) -> Incident {
    let (caller_name, caller_phone) = open_caller(state, &r).unwrap_or_else(|e| {
        tracing::error!(incident = %r.id, error = %e, "caller cannot be opened");
        (None, None)
    });
    let clocks = clocks(state, &r);
    let category = TypeCode::parse(&r.type_code)
        .map(|c| c.category().code().to_string())
        .unwrap_or_default();
    Incident {
        type_name: types.name(&r.type_code, true),
        type_name_en: types.name(&r.type_code, false),
        category,
        overdue: clocks.iter().any(|c| c.overdue),
        clocks,
        caller_name: caller_name.as_deref().map(mask::mask_name),
        caller_phone: caller_phone.as_deref().map(mask::mask_phone),
        id: r.id,
        number: r.number,
        tracking_code: r.tracking_code,
        channel: r.channel,
        type_code: r.type_code,
        level: r.level,
        status: r.status,
        description: r.description,
        address: r.address,
        lng: r.lng,
        lat: r.lat,
        grid_code: r.grid_code,
        village_code: r.village_code,
        area_type: r.area_type,
        station_org_id: r.station_org_id,
        camera_code: r.camera_code,
        snapshot_ref: r.snapshot_ref,
        event_type: r.event_type,
        merged_into: r.merged_into,
        transfer_target: r.transfer_target,
        transfer_org_id: r.transfer_org_id,
        feedback_text: r.feedback_text,
        satisfaction: r.satisfaction,
        reported_at: r.reported_at,
        received_at: r.received_at,
        dispatched_at: r.dispatched_at,
        acknowledged_at: r.acknowledged_at,
        arrived_at: r.arrived_at,
        resolved_at: r.resolved_at,
        reported_back_at: r.reported_back_at,
        closed_at: r.closed_at,
    }
}

/// A unit ranked for an incident.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Recommendation {
    pub unit_id: String,
    pub call_sign: String,
    pub name: String,
    pub kind: String,
    pub status: String,
    pub org_name: String,
    /// The unit belongs to the incident's responsible station.
    pub same_station: bool,
    /// Straight-line distance in metres, when the unit's position is known.
    pub distance_m: Option<f64>,
    /// Free to go now (available or 动中备勤).
    pub available: bool,
}

/// Ranks `units` for the incident: own station's available units first, then nearest.
pub fn recommend(
    incident: &IncidentRow,
    station_path: Option<&str>,
    units: &[UnitRow],
) -> Vec<Recommendation> {
    let candidates: Vec<Candidate> = units
        .iter()
        .map(|u| Candidate {
            id: &u.id,
            status: u.status.parse().unwrap_or(UnitStatus::OffDuty),
            same_station: station_path.is_some_and(|p| u.org_path.starts_with(p)),
            distance_m: match (u.lng, u.lat) {
                (Some(x), Some(y)) => {
                    Some(pingan_geo::distance_m(incident.lng, incident.lat, x, y))
                }
                _ => None,
            },
        })
        .collect();
    rank(&candidates)
        .into_iter()
        .filter_map(|c| {
            let u = units.iter().find(|u| u.id == c.id)?;
            Some(Recommendation {
                unit_id: u.id.clone(),
                call_sign: u.call_sign.clone(),
                name: u.name.clone(),
                kind: u.kind.clone(),
                status: u.status.clone(),
                org_name: u.org_name.clone(),
                same_station: c.same_station,
                distance_m: c.distance_m.map(|d| d.round()),
                available: c.status.is_available(),
            })
        })
        .collect()
}
