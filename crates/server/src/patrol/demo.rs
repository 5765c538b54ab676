//! Demo 分片布警: a patrol zone over each village of 枫桥 drawn by the demo chief, a plan proposed
//! by the kernel for the first zone with incidents (published, in force this week) and one for the
//! next (left a draft for the chief to edit).

use crate::config::Config;
use crate::patrol::{self, NewPlan, NewZone};
use crate::state::AppState;
use pingan_store::{Db, args};

/// Creates the demo zones and plans once; returns the number of zones made.
pub async fn ensure(db: &Db, config: &Config) -> anyhow::Result<usize> {
    let (n,): (i64,) = db
        .fetch_one("SELECT COUNT(*) FROM patrol_zones", args![])
        .await?;
    if n > 0 {
        return Ok(0);
    }
    let state = AppState::new(config.clone(), db.clone())?;
    let chief = crate::accounts::demo::actor(db, "chief").await?;
    let err = |e: crate::error::ApiError| anyhow::anyhow!("demo patrol: {e:?}");
    let Some(station) = chief.org_id.clone() else {
        return Ok(0);
    };
    let villages: Vec<(String, String)> = db
        .fetch_all(
            "SELECT a.name, s.geometry FROM areas a JOIN area_shapes s ON s.code = a.code \
             WHERE a.level = 'village' AND a.path LIKE ? ORDER BY a.code LIMIT 4",
            args!["/330681/330681109/%"],
        )
        .await?;
    let mut zones = Vec::new();
    for (name, geometry) in villages {
        let z = patrol::create_zone(
            &state,
            &chief,
            NewZone {
                station_org_id: station.clone(),
                name: format!("{name}巡区"),
                geometry: serde_json::from_str(&geometry)?,
            },
        )
        .await
        .map_err(err)?;
        zones.push(z.id);
    }
    let today = state.today();
    let week = today
        .checked_add(jiff::Span::new().days(6))
        .unwrap_or(today);
    let mut made = 0;
    for zone_id in &zones {
        let req = NewPlan {
            zone_id: zone_id.clone(),
            k: 3,
            radius_m: Some(300.0),
            basis_days: Some(90),
            window_hours: Some(3),
            valid_from: today.to_string(),
            valid_to: week.to_string(),
        };
        // A zone without incidents in the basis gets no plan.
        let Ok(plan) = patrol::propose(&state, &chief, req).await else {
            continue;
        };
        if made == 0 {
            patrol::publish(&state, &chief, &plan.id)
                .await
                .map_err(err)?;
        }
        made += 1;
        if made == 2 {
            break;
        }
    }
    Ok(zones.len())
}
