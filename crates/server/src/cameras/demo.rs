//! Demo 雪亮工程: the demo cameras get an owner and a sector, one of them heartbeats that leave it
//! offline since an hour ago, and the demo officer's footage request for a demo incident of 枫桥,
//! awaiting the chief.

use crate::cameras::footage::{self, NewFootageRequest};
use crate::cameras::{self, SetSector};
use crate::config::Config;
use crate::state::AppState;
use pingan_domain::camera::{CameraOwner, Sector, heartbeat_changes};
use pingan_store::{Db, args};

/// Once: returns whether anything was made.
pub async fn ensure(db: &Db, config: &Config) -> anyhow::Result<bool> {
    let (n,): (i64,) = db
        .fetch_one(
            "SELECT COUNT(*) FROM cameras WHERE direction_deg IS NOT NULL",
            args![],
        )
        .await?;
    if n > 0 {
        return Ok(false);
    }
    let state = AppState::new(config.clone(), db.clone())?;
    let err = |e: crate::error::ApiError| anyhow::anyhow!("demo cameras: {e:?}");
    let dispatcher = crate::accounts::demo::actor(db, "dispatcher").await?;
    let codes: Vec<(String, String)> = db
        .fetch_all("SELECT code, kind FROM cameras ORDER BY code", args![])
        .await?;
    for (i, (code, kind)) in codes.iter().enumerate() {
        let (owner, sector) = match kind.as_str() {
            "community_gate" => (
                CameraOwner::Community,
                Sector {
                    direction_deg: 200.0,
                    fov_deg: 70.0,
                    range_m: 60.0,
                },
            ),
            "public_square" => (
                CameraOwner::PublicSecurity,
                Sector {
                    direction_deg: 360.0 - 30.0,
                    fov_deg: 360.0,
                    range_m: 120.0,
                },
            ),
            _ => (
                CameraOwner::PublicSecurity,
                Sector {
                    direction_deg: (90.0 * i as f64) % 360.0,
                    fov_deg: 60.0,
                    range_m: 150.0,
                },
            ),
        };
        cameras::set_sector(
            &state,
            &dispatcher,
            code,
            SetSector {
                owner,
                sector: Some(sector),
            },
        )
        .await
        .map_err(err)?;
    }
    // Heartbeats from the last camera only: online two hours ago, silent for the last hour (offline
    // now). The others send none, so the registry's status stands for them however long the demo
    // runs.
    let now = state.now();
    let timeout = config.dispatch.camera_heartbeat_timeout_seconds * 1_000_000;
    let mut tx = db.begin().await?;
    for (code, _) in codes.iter().rev().take(1) {
        let last_beat = now - 60 * 60_000_000;
        let mut status = None;
        let mut last = None;
        // A beat every four minutes (steady beats record no change, only the latest time).
        let mut at = now - 2 * 3_600_000_000;
        while at <= last_beat {
            let changes = heartbeat_changes(status, last, timeout, at, true);
            pingan_store::cameras::record_heartbeat(&mut tx, code, &changes, at).await?;
            if let Some(c) = changes.last() {
                status = Some(c.1);
            }
            last = Some(at);
            at += 4 * 60_000_000;
        }
    }
    tx.commit_audited(Vec::new()).await?;
    // The officer asks for footage of a 枫桥 incident near the first 枫桥 camera.
    let officer = crate::accounts::demo::actor(db, "officer").await?;
    let incident: Option<(String,)> = db
        .fetch_optional(
            "SELECT id FROM incidents WHERE area_path LIKE ? ORDER BY received_at DESC LIMIT 1",
            args!["/330681/330681109/%"],
        )
        .await?;
    let camera = codes.iter().find(|(c, _)| c.starts_with("330681109"));
    if let (Some((incident,)), Some((camera, _))) = (incident, camera) {
        let rfc = |us: i64| {
            jiff::Timestamp::from_microsecond(us)
                .map(|t| t.to_string())
                .unwrap_or_default()
        };
        footage::request(
            &state,
            &officer,
            NewFootageRequest {
                camera_code: camera.clone(),
                incident_id: Some(incident),
                case_id: None,
                purpose: "查看警情发生前后现场情况，固定证据".into(),
                from: rfc(now - 3 * 3_600_000_000),
                to: rfc(now - 2 * 3_600_000_000),
            },
        )
        .await
        .map_err(err)?;
    }
    Ok(true)
}
