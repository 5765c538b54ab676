//! 雪亮工程 for investigators and planners: each camera's owner and sector (where it looks), its
//! status from the video platform's heartbeats, "which cameras could have seen point P at time T"
//! (the sector holds P and the camera was online then), and footage requests (调取) with the station
//! chief's decision and the export on record. No video passes through here and nothing recognises
//! faces: footage is exported by the platform under the request's record. The registry itself
//! (`POST /api/v1/cameras`) is dispatch's, which camera alerts were first built for.

pub mod api;
pub mod demo;
pub mod footage;
pub mod heartbeat;
pub mod pages;

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use pingan_domain::Permission;
use pingan_domain::audit::AuditOutcome;
use pingan_domain::camera::{CameraOwner, Sector, bearing_deg, online_at};
use pingan_store::cameras::{self as store, CameraSite as SiteRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A camera with its owner, sector and status.
#[derive(Debug, Serialize, ToSchema)]
pub struct CameraSite {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub owner: CameraOwner,
    pub lng: f64,
    pub lat: f64,
    /// Where it looks; absent until recorded.
    pub sector: Option<Sector>,
    /// In the registry (an inactive camera is not expected to send heartbeats).
    pub active: bool,
    /// Now, by its heartbeats (silent past the timeout is offline); absent when it never sent one.
    pub online: Option<bool>,
    pub last_heartbeat_at: Option<i64>,
}

fn view(c: SiteRow) -> CameraSite {
    let sector = match (c.direction_deg, c.fov_deg, c.range_m) {
        (Some(direction_deg), Some(fov_deg), Some(range_m)) => Some(Sector {
            direction_deg,
            fov_deg,
            range_m,
        }),
        _ => None,
    };
    CameraSite {
        owner: c.owner.parse().unwrap_or(CameraOwner::PublicSecurity),
        code: c.code,
        name: c.name,
        kind: c.kind,
        lng: c.lng,
        lat: c.lat,
        sector,
        active: c.active,
        online: c.online,
        last_heartbeat_at: c.last_heartbeat_at,
    }
}

pub async fn cameras(state: &AppState, actor: &Actor) -> ApiResult<Vec<CameraSite>> {
    actor.require(state, Permission::CameraRead).await?;
    let now = state.now();
    let timeout = state.config.dispatch.camera_heartbeat_timeout_seconds * 1_000_000;
    Ok(store::sites(&state.db, &actor.scope)
        .await?
        .into_iter()
        .map(|c| {
            let mut v = view(c);
            // Silent past the timeout is offline now, though no heartbeat has said so yet.
            if let (Some(true), Some(last)) = (v.online, v.last_heartbeat_at) {
                v.online = Some(now <= last + timeout);
            }
            v
        })
        .collect())
}

/// A camera's owner and sector (send `sector: null` to clear it).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetSector {
    pub owner: CameraOwner,
    pub sector: Option<Sector>,
}

pub async fn set_sector(
    state: &AppState,
    actor: &Actor,
    code: &str,
    req: SetSector,
) -> ApiResult<CameraSite> {
    actor.require(state, Permission::UnitManage).await?;
    store::site(&state.db, &actor.scope, code)
        .await?
        .ok_or(ApiError::NotFound)?;
    if let Some(s) = &req.sector
        && let Err(e) = s.check()
    {
        let field = match e {
            pingan_domain::camera::SectorError::Direction => "sector.direction_deg",
            pingan_domain::camera::SectorError::FieldOfView => "sector.fov_deg",
            pingan_domain::camera::SectorError::Range => "sector.range_m",
        };
        return Err(ApiError::problem(Problem::new(
            field,
            "camera_sector",
            e.to_string(),
        )));
    }
    let mut tx = state.db.begin().await?;
    let sector = req.sector.map(|s| (s.direction_deg, s.fov_deg, s.range_m));
    store::set_sector(&mut tx, code, req.owner.code(), sector, state.now()).await?;
    tx.commit_audited(vec![actor.audit_entry(
        "camera.sector",
        "camera",
        Some(code),
        AuditOutcome::Ok,
        &serde_json::json!({"owner": req.owner.code(), "sector": req.sector}).to_string(),
    )])
    .await?;
    store::site(&state.db, &actor.scope, code)
        .await?
        .map(view)
        .ok_or(ApiError::NotFound)
}

/// A point and an instant.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct WitnessQuery {
    /// WGS-84.
    pub lng: f64,
    pub lat: f64,
    /// RFC 3339.
    pub at: String,
}

/// A camera whose sector holds the point.
#[derive(Debug, Serialize, ToSchema)]
pub struct CameraWitness {
    pub code: String,
    pub name: String,
    pub owner: CameraOwner,
    pub distance_m: f64,
    /// From the camera to the point, clockwise from north.
    pub bearing_deg: f64,
    /// Online at the instant: by heartbeats, else the registry's active flag.
    pub online: bool,
    /// `heartbeat` or `registry`: where `online` comes from.
    pub status_from: String,
}

/// Cameras that could have seen a point at an instant, and those that look at it but were offline.
#[derive(Debug, Serialize, ToSchema)]
pub struct CameraWitnesses {
    pub at: i64,
    /// Sector holds the point and the camera was online: nearest first.
    pub could_have_seen: Vec<CameraWitness>,
    /// Sector holds the point but the camera was offline then.
    pub offline: Vec<CameraWitness>,
    /// Cameras near the point without a recorded sector (they may or may not look at it).
    pub without_sector: usize,
}

pub async fn witnesses(
    state: &AppState,
    actor: &Actor,
    q: &WitnessQuery,
) -> ApiResult<CameraWitnesses> {
    actor.require(state, Permission::CameraRead).await?;
    let (lng, lat) = crate::validate::location(q.lng, q.lat, None)?;
    let at = crate::validate::instant("at", Some(&q.at))?
        .ok_or_else(|| ApiError::invalid("at", "at is required"))?;
    // Every camera whose range could reach the point: a box of the longest range around it.
    let reach = pingan_domain::camera::MAX_RANGE_M;
    let dlat = reach / 110_574.0;
    let dlng = reach / (111_320.0 * lat.to_radians().cos().max(0.01));
    let near = store::sites_in_box(
        &state.db,
        &actor.scope,
        [lng - dlng, lat - dlat, lng + dlng, lat + dlat],
    )
    .await?;
    let proj = pingan_geo::Projection::gauss_kruger_3deg(lng);
    let (px, py) = proj.forward(lng, lat);
    let codes: Vec<String> = near.iter().map(|c| c.code.clone()).collect();
    let changes = store::status_changes(&state.db, &codes, at).await?;
    let timeout = state.config.dispatch.camera_heartbeat_timeout_seconds * 1_000_000;
    let mut out = CameraWitnesses {
        at,
        could_have_seen: Vec::new(),
        offline: Vec::new(),
        without_sector: 0,
    };
    for c in near {
        let (cx, cy) = proj.forward(c.lng, c.lat);
        let (east, north) = (px - cx, py - cy);
        let Some(sector) = view(c.clone()).sector else {
            if east.hypot(north) <= 300.0 {
                out.without_sector += 1;
            }
            continue;
        };
        if !sector.contains(east, north) {
            continue;
        }
        let own: Vec<(i64, bool)> = changes
            .iter()
            .filter(|(code, ..)| *code == c.code)
            .map(|(_, t, o)| (*t, *o))
            .collect();
        let (online, status_from) = match online_at(&own, c.last_heartbeat_at, timeout, at) {
            Some(o) => (o, "heartbeat"),
            // Before its first heartbeat (or without any) the registry is all that is known.
            None => (c.active, "registry"),
        };
        let w = CameraWitness {
            owner: c.owner.parse().unwrap_or(CameraOwner::PublicSecurity),
            code: c.code,
            name: c.name,
            distance_m: east.hypot(north),
            bearing_deg: bearing_deg(east, north),
            online,
            status_from: status_from.into(),
        };
        if online {
            out.could_have_seen.push(w);
        } else {
            out.offline.push(w);
        }
    }
    for list in [&mut out.could_have_seen, &mut out.offline] {
        list.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m));
    }
    Ok(out)
}
