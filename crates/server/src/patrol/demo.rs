//! Demo 分片布警: a patrol zone over each village of 枫桥 drawn by the demo chief, a plan proposed
//! by the kernel for the first zone with incidents (published, in force this week) and one for the
//! next (left a draft for the chief to edit), and this week's roster: day foot patrols by the
//! station's officer and auxiliary with its car, evening stakeouts by a seconded volunteer, an
//! online patrol on Saturday. Yesterday's posts of the published plan are recorded for the
//! coverage figure (one checked in by its track).

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
            // Yesterday's posts kept for the coverage figure, as the hourly job would.
            patrol::tally::record_due(&state).await.map_err(err)?;
        }
        made += 1;
        if made == 2 {
            break;
        }
    }
    this_weeks_roster(db, &state, &chief, &station, &zones).await?;
    Ok(zones.len())
}

/// A week of shifts, booked through the roster rules like any other.
async fn this_weeks_roster(
    db: &Db,
    state: &AppState,
    chief: &crate::auth::Actor,
    station: &str,
    zones: &[String],
) -> anyhow::Result<()> {
    use crate::patrol::roster::{NewCrewMember, NewShift, create_shift, week_start};
    use pingan_domain::roster::PatrolMode;
    if zones.is_empty() {
        return Ok(());
    }
    let person = |name: &'static str| async move {
        db.fetch_optional::<(String,)>("SELECT id FROM users WHERE username = ?", args![name])
            .await
            .map(|r| r.map(|(id,)| id))
    };
    let (Some(officer), Some(auxiliary), Some(volunteer)) = (
        person("officer").await?,
        person("auxiliary").await?,
        person("volunteer").await?,
    ) else {
        return Ok(());
    };
    let car: Option<(String,)> = db
        .fetch_optional(
            "SELECT id FROM units WHERE org_id = ? AND kind = 'patrol_car' ORDER BY call_sign LIMIT 1",
            args![station],
        )
        .await?;
    let monday = week_start(state.today());
    const HOUR: i64 = 3_600_000_000;
    let at = |day: i64, hour: i64| {
        pingan_domain::time::local_datetime(pingan_domain::time::from_micros(
            monday + day * 24 * HOUR + hour * HOUR,
        ))
        .replace(' ', "T")
            + "+08:00"
    };
    let crew = |ids: &[(&String, bool)]| {
        ids.iter()
            .map(|(id, seconded)| NewCrewMember {
                user_id: (*id).clone(),
                seconded: *seconded,
            })
            .collect::<Vec<_>>()
    };
    let mut shifts = Vec::new();
    for day in 0..5 {
        shifts.push(NewShift {
            zone_id: zones[day as usize % zones.len()].clone(),
            mode: PatrolMode::Foot,
            unit_id: car.as_ref().map(|c| c.0.clone()),
            starts_at: at(day, 8),
            ends_at: at(day, 16),
            crew: crew(&[(&officer, false), (&auxiliary, false)]),
            note: Some("白天徒步巡逻，重点必到点".into()),
        });
        shifts.push(NewShift {
            zone_id: zones[0].clone(),
            mode: PatrolMode::Stakeout,
            unit_id: None,
            starts_at: at(day, 19),
            ends_at: at(day, 23),
            crew: crew(&[(&volunteer, true)]),
            note: Some("平安志愿者协勤，夜间蹲守".into()),
        });
    }
    shifts.push(NewShift {
        zone_id: zones[zones.len() - 1].clone(),
        mode: PatrolMode::Online,
        unit_id: None,
        starts_at: at(5, 9),
        ends_at: at(5, 17),
        crew: crew(&[(&officer, false)]),
        note: Some("网上巡查辖区群聊与二手交易平台".into()),
    });
    for s in shifts {
        create_shift(state, chief, s)
            .await
            .map_err(|e| anyhow::anyhow!("demo roster: {e:?}"))?;
    }
    Ok(())
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
