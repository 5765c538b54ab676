//! A station's patrol day at once: every published plan in force, every post checked against the
//! tracks of all the station's units, read once for the day (the per-plan API reads them per plan).
//! What `pingan patrol day` prints and what bench/patrol measures, with a seeded synthetic day to
//! measure it on (`pingan patrol synth`): units that walk from post to post, pinging every 10 s.

use crate::config::PatrolConfig;
use crate::patrol::checkins::{post_check_ins, read_tracks};
use pingan_domain::patrol::{HourWindow, Post, window_on};
use pingan_store::patrol as store;
use pingan_store::{Db, args};
use rand::{Rng, SeedableRng};
use serde::Serialize;

/// A plan's posts and their windows on the day (UTC µs).
type PlanDay = (Vec<Post>, Vec<(i64, i64)>);
/// A zone: id, station, its box (min lng, min lat, max lng, max lat), org and area paths.
type ZoneBox = (String, String, f64, f64, f64, f64, String, String);

/// What a station's day came to, and how long reading and checking took.
#[derive(Debug, Serialize)]
pub struct DayReport {
    pub date: String,
    pub plans: usize,
    pub posts: usize,
    pub checked: usize,
    pub units: usize,
    pub fixes: usize,
    pub read_seconds: f64,
    pub check_seconds: f64,
}

pub async fn station_day(
    db: &Db,
    cfg: &PatrolConfig,
    station_org_id: &str,
    date: jiff::civil::Date,
) -> anyhow::Result<DayReport> {
    let started = std::time::Instant::now();
    let plans = store::station_plans_on(db, station_org_id, &date.to_string()).await?;
    let start = pingan_domain::time::day_start(date);
    let mut all: Vec<PlanDay> = Vec::with_capacity(plans.len());
    for p in &plans {
        let posts: Vec<Post> = serde_json::from_str(&p.posts)?;
        let windows = posts.iter().map(|q| window_on(q.window, start)).collect();
        all.push((posts, windows));
    }
    let span = (
        all.iter()
            .flat_map(|a| a.1.iter().map(|w| w.0))
            .min()
            .unwrap_or(start),
        all.iter()
            .flat_map(|a| a.1.iter().map(|w| w.1))
            .max()
            .unwrap_or(start),
    );
    // One projection for the station's day: its first zone's (a station's zones share a 3° zone).
    let zone = match plans.first() {
        Some(p) => store::zone_unscoped(db, &p.zone_id).await?,
        None => None,
    };
    let proj = match &zone {
        Some(z) => crate::patrol::zone_projection(z),
        None => pingan_geo::Projection::gauss_kruger_3deg(120.0),
    };
    let tracks = read_tracks(db, station_org_id, &proj, span)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let read_seconds = started.elapsed().as_secs_f64();
    let checking = std::time::Instant::now();
    let min_stay = (cfg.checkin_minutes * 60e6) as i64;
    let max_gap = (cfg.max_gap_minutes * 60e6) as i64;
    let mut checked = 0;
    let mut posts = 0;
    for (p, w) in &all {
        posts += p.len();
        checked += post_check_ins(
            &proj,
            p,
            w,
            &tracks,
            cfg.checkin_radius_m,
            min_stay,
            max_gap,
        )
        .iter()
        .filter(|c| c.checked_in)
        .count();
    }
    Ok(DayReport {
        date: date.to_string(),
        plans: plans.len(),
        posts,
        checked,
        units: tracks.len(),
        fixes: tracks.values().map(|t| t.1.len()).sum(),
        read_seconds,
        check_seconds: checking.elapsed().as_secs_f64(),
    })
}

/// What writing a synthetic day took.
#[derive(Debug, Serialize)]
pub struct SynthReport {
    pub station_org_id: String,
    pub units: usize,
    pub posts: usize,
    pub pings: usize,
    /// Through the GPS ingest (`units::ingest`: device lookup, idempotent insert, latest position).
    pub ingest_seconds: f64,
    /// The same rows as plain multi-row INSERTs into a table of the same shape, for comparison.
    pub raw_seconds: f64,
}

const STEP: i64 = 10_000_000;

/// Writes, under the first zone's station: `units` units with GPS devices, published plans over
/// the station's zones holding `posts` posts in all (25 a plan) for `date`, and a day of pings
/// every 10 s per unit — each unit walks to a post of its own, stays a while, walks on. Then the
/// same pings once more as plain INSERTs into a scratch table, timed, and the table dropped.
pub async fn write_synthetic(
    db: &Db,
    units: usize,
    posts: usize,
    date: jiff::civil::Date,
    seed: u64,
) -> anyhow::Result<SynthReport> {
    let zones: Vec<ZoneBox> = db
        .fetch_all(
            "SELECT id, station_org_id, min_x, min_y, max_x, max_y, org_path, area_path \
             FROM patrol_zones ORDER BY name",
            args![],
        )
        .await?;
    let Some(first) = zones.first() else {
        anyhow::bail!("no patrol zone: run `pingan demo` once first");
    };
    let station = first.1.clone();
    let zones: Vec<_> = zones.into_iter().filter(|z| z.1 == station).collect();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let now = pingan_store::now_micros();
    let start = pingan_domain::time::day_start(date);
    // Plans of 25 posts over the zones' boxes, windows spread over the day.
    let mut all_posts: Vec<(f64, f64, HourWindow)> = Vec::with_capacity(posts);
    let mut tx = db.begin().await?;
    let mut made = 0;
    let mut n = 0;
    while made < posts {
        let z = &zones[n % zones.len()];
        n += 1;
        let k = (posts - made).min(25);
        let list: Vec<Post> = (0..k)
            .map(|_| {
                let lng = rng.gen_range(z.2..z.4);
                let lat = rng.gen_range(z.3..z.5);
                let window = HourWindow::new(rng.gen_range(0..22), 2).expect("a valid window");
                all_posts.push((lng, lat, window));
                Post {
                    lng,
                    lat,
                    window,
                    proposed: None,
                }
            })
            .collect();
        let json = serde_json::to_string(&list)?;
        let row = store::PlanRow {
            id: pingan_store::new_id(),
            zone_id: z.0.clone(),
            org_path: z.6.clone(),
            area_path: z.7.clone(),
            status: "published".into(),
            valid_from: date.to_string(),
            valid_to: date.to_string(),
            basis_from: now,
            basis_to: now,
            proposal: serde_json::json!({"synthetic": true}).to_string(),
            posts: json,
            covered: 0.0,
            created_by: "synthetic".into(),
            created_at: now,
            updated_at: now,
            published_by: Some("synthetic".into()),
            published_at: Some(now),
        };
        store::insert_plan(&mut tx, &row).await?;
        made += k;
    }
    let mut devices = Vec::with_capacity(units);
    for i in 0..units {
        let device = format!("SYN-{seed}-{i:05}");
        pingan_store::units::insert(
            &mut tx,
            &pingan_store::units::NewUnit {
                call_sign: format!("合成{seed}-{i:05}"),
                name: format!("合成巡逻组 {i}"),
                kind: "officer".into(),
                org_id: station.clone(),
                user_id: None,
                device_id: Some(device.clone()),
                status: "patrol_available".into(),
                lng: None,
                lat: None,
            },
            now,
        )
        .await?;
        devices.push(device);
    }
    // On record like any write: what was added, and that it is synthetic.
    let entry = pingan_domain::AuditEntry {
        at: now,
        actor_id: None,
        actor_name: "cli:patrol synth".into(),
        action: "patrol.synthetic".into(),
        object_type: "patrol_plan".into(),
        object_id: None,
        outcome: pingan_domain::audit::AuditOutcome::Ok,
        purpose: Some("benchmark".into()),
        ip: None,
        detail: serde_json::json!({"station": station, "units": units, "posts": posts, "date": date.to_string(), "seed": seed}).to_string(),
    };
    tx.commit_audited(vec![entry]).await?;

    // A day of pings per unit: to a post (walking ~1.2 m/s), 15–25 minutes there, on to the next.
    let m_lat = 1.0 / 110_574.0;
    let mut pings = Vec::with_capacity(units * 8640);
    for device in &devices {
        let post = |rng: &mut rand_chacha::ChaCha8Rng| all_posts[rng.gen_range(0..all_posts.len())];
        let mut here = post(&mut rng);
        let mut at = start;
        let end = start + 86_400_000_000;
        while at < end {
            let stay = rng.gen_range(90..150); // fixes: 15–25 minutes
            for _ in 0..stay {
                if at >= end {
                    break;
                }
                let jitter = |rng: &mut rand_chacha::ChaCha8Rng| rng.gen_range(-10.0..10.0) * m_lat;
                pings.push(pingan_store::units::Ping {
                    device_id: device.clone(),
                    at,
                    lng: here.0 + jitter(&mut rng),
                    lat: here.1 + jitter(&mut rng),
                    speed: Some(0.3),
                    heading: None,
                });
                at += STEP;
            }
            let next = post(&mut rng);
            let m_lng = 1.0 / (111_320.0 * here.1.to_radians().cos());
            let dist =
                (((next.0 - here.0) / m_lng).powi(2) + ((next.1 - here.1) / m_lat).powi(2)).sqrt();
            let steps = ((dist / 12.0).ceil() as usize).clamp(1, 720);
            for s in 1..=steps {
                if at >= end {
                    break;
                }
                let f = s as f64 / steps as f64;
                pings.push(pingan_store::units::Ping {
                    device_id: device.clone(),
                    at,
                    lng: here.0 + (next.0 - here.0) * f,
                    lat: here.1 + (next.1 - here.1) * f,
                    speed: Some(1.2),
                    heading: None,
                });
                at += STEP;
            }
            here = next;
        }
    }
    // Through the ingest, 5,000 a request as the API takes them, in device order as they arrive.
    let ingest_started = std::time::Instant::now();
    let ids: Vec<&str> = devices.iter().map(String::as_str).collect();
    let known = pingan_store::units::devices(db, &ids).await?;
    for batch in pings.chunks(5_000) {
        let mut tx = db.begin().await?;
        pingan_store::units::ingest(&mut tx, batch, &known).await?;
        tx.commit_audited(Vec::new()).await?;
    }
    let ingest_seconds = ingest_started.elapsed().as_secs_f64();
    let raw_seconds = raw_insert(db, &pings, &known).await?;
    Ok(SynthReport {
        station_org_id: station,
        units,
        posts,
        pings: pings.len(),
        ingest_seconds,
        raw_seconds,
    })
}

/// The pings as plain multi-row INSERTs (same columns, same primary key, same batches) into a
/// scratch table: the floor the ingest is compared with.
async fn raw_insert(
    db: &Db,
    pings: &[pingan_store::units::Ping],
    known: &[(String, String, String)],
) -> anyhow::Result<f64> {
    db.execute("DROP TABLE IF EXISTS bench_raw_positions", args![])
        .await?;
    db.execute(
        "CREATE TABLE bench_raw_positions (device_id TEXT NOT NULL, at BIGINT NOT NULL, \
         unit_id TEXT NOT NULL, lng DOUBLE PRECISION NOT NULL, lat DOUBLE PRECISION NOT NULL, \
         speed DOUBLE PRECISION, heading DOUBLE PRECISION, PRIMARY KEY (device_id, at))",
        args![],
    )
    .await?;
    // Each ping's unit, looked up before the clock starts (the ingest's own lookup is part of what
    // it is timed for; the floor has none).
    let units: std::collections::HashMap<&str, &str> =
        known.iter().map(|k| (k.0.as_str(), k.1.as_str())).collect();
    let started = std::time::Instant::now();
    for batch in pings.chunks(5_000) {
        let mut tx = db.begin().await?;
        for chunk in batch.chunks(1000) {
            let mut sql = String::from(
                "INSERT INTO bench_raw_positions (device_id, at, unit_id, lng, lat, speed, heading) VALUES ",
            );
            let mut a = Vec::with_capacity(chunk.len() * 7);
            for (i, p) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push_str("(?, ?, ?, ?, ?, ?, ?)");
                let unit = units.get(p.device_id.as_str()).copied().unwrap_or("");
                a.extend(args![
                    p.device_id.as_str(),
                    p.at,
                    unit,
                    p.lng,
                    p.lat,
                    p.speed,
                    p.heading
                ]);
            }
            tx.execute(&sql, a).await?;
        }
        tx.commit_audited(Vec::new()).await?;
    }
    let took = started.elapsed().as_secs_f64();
    db.execute("DROP TABLE bench_raw_positions", args![])
        .await?;
    Ok(took)
}
