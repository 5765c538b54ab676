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
    let yesterday = today.yesterday().unwrap_or(today);
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
            valid_from: yesterday.to_string(),
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
            yesterdays_track(db, &station, &plan, yesterday).await?;
        }
        made += 1;
        if made == 2 {
            break;
        }
    }
    Ok(zones.len())
}

/// A unit's track for yesterday: a quarter of an hour at the first post inside its window (a
/// check-in), four minutes at the second (too short), nothing at the rest — and the silence between.
async fn yesterdays_track(
    db: &Db,
    station: &str,
    plan: &patrol::Plan,
    day: jiff::civil::Date,
) -> anyhow::Result<()> {
    use pingan_domain::patrol::window_on;
    use pingan_store::units::{self, Ping};
    let unit: Option<(String,)> = db
        .fetch_optional(
            "SELECT device_id FROM units WHERE org_id = ? AND device_id IS NOT NULL ORDER BY id LIMIT 1",
            args![station],
        )
        .await?;
    let Some((device,)) = unit else {
        return Ok(());
    };
    let start = pingan_domain::time::day_start(day);
    const MINUTE: i64 = 60_000_000;
    let mut pings = Vec::new();
    for (p, minutes) in plan.posts.iter().zip([15, 4]) {
        let (from, _) = window_on(p.window, start);
        for m in 0..=minutes {
            pings.push(Ping {
                device_id: device.clone(),
                at: from + (20 + m) * MINUTE,
                lng: p.lng,
                lat: p.lat,
                speed: Some(0.5),
                heading: None,
            });
        }
    }
    pings.sort_by_key(|p| p.at);
    let known = units::devices(db, &units::device_ids(&pings)).await?;
    let mut tx = db.begin().await?;
    units::ingest(&mut tx, &pings, &known).await?;
    tx.commit_audited(vec![]).await?;
    Ok(())
}
