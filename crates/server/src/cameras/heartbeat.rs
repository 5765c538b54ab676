//! Heartbeats from the video platform: each camera's status at an instant, signed like camera
//! alerts (`signed`). A status that differs from the camera's current one is recorded as a change;
//! a silence longer than `dispatch.camera_heartbeat_timeout_seconds` while online is recorded as going
//! offline when the next heartbeat shows it (until then "online at T" reads the silence itself).

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use pingan_domain::audit::{AuditEntry, AuditOutcome};
use pingan_domain::camera::heartbeat_changes;
use pingan_store::cameras as store;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Most heartbeats one request carries.
pub const MAX_BEATS: usize = 5_000;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CameraHeartbeat {
    /// The camera's code in the registry.
    pub camera_id: String,
    pub online: bool,
    /// RFC 3339; within the live plausibility window.
    pub at: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CameraHeartbeats {
    pub heartbeats: Vec<CameraHeartbeat>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CameraHeartbeatResult {
    /// Heartbeats of registered cameras taken.
    pub recorded: usize,
    /// Status changes they made.
    pub changes: usize,
    /// Heartbeats of cameras not in the registry (not stored).
    pub unknown_cameras: usize,
}

pub async fn record(state: &AppState, batch: CameraHeartbeats) -> ApiResult<CameraHeartbeatResult> {
    if batch.heartbeats.len() > MAX_BEATS {
        return Err(ApiError::invalid(
            "heartbeats",
            format!("at most {MAX_BEATS} heartbeats per request"),
        ));
    }
    // Every value checked before anything is written.
    let mut beats = Vec::with_capacity(batch.heartbeats.len());
    for (i, h) in batch.heartbeats.iter().enumerate() {
        let at = crate::validate::live_instant(state, &format!("heartbeats[{i}].at"), Some(&h.at))?
            .ok_or_else(|| ApiError::invalid(&format!("heartbeats[{i}].at"), "at is required"))?;
        beats.push((h.camera_id.trim().to_string(), h.online, at));
    }
    // Oldest first, so each camera's changes are recorded in order.
    beats.sort_by_key(|b| b.2);
    let timeout = state.config.dispatch.camera_heartbeat_timeout_seconds * 1_000_000;
    let mut result = CameraHeartbeatResult {
        recorded: 0,
        changes: 0,
        unknown_cameras: 0,
    };
    let mut tx = state.db.begin().await?;
    // Lock every camera of the batch in code order first: two servers taking batches that name
    // the same cameras in another order would otherwise wait on each other (PostgreSQL deadlock).
    let mut codes: Vec<&str> = beats.iter().map(|b| b.0.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    let mut status = std::collections::HashMap::new();
    for code in codes {
        if let Some(s) = store::lock_status(&mut tx, code).await? {
            status.insert(code.to_string(), s);
        }
    }
    for (code, online, at) in &beats {
        let Some((current, last)) = status.get_mut(code) else {
            result.unknown_cameras += 1;
            continue;
        };
        let changes = heartbeat_changes(*current, *last, timeout, *at, *online);
        store::record_heartbeat(&mut tx, code, &changes, *at).await?;
        if let Some(c) = changes.last() {
            *current = Some(c.1);
        }
        *last = Some(last.map_or(*at, |l| l.max(*at)));
        result.recorded += 1;
        result.changes += changes.len();
    }
    // Status changes and strangers are worth a record; a steady beat is not.
    if result.changes == 0 && result.unknown_cameras == 0 {
        tx.commit_audited(Vec::new()).await?;
        return Ok(result);
    }
    let entry = AuditEntry {
        at: state.now(),
        actor_id: None,
        actor_name: "channel:camera".into(),
        action: "camera.heartbeat".into(),
        object_type: "camera".into(),
        object_id: None,
        outcome: AuditOutcome::Ok,
        purpose: None,
        ip: None,
        detail: serde_json::json!({"recorded": result.recorded, "changes": result.changes, "unknown": result.unknown_cameras}).to_string(),
    };
    tx.commit_audited(vec![entry]).await?;
    Ok(result)
}
