//! The demo's incident history for 信息研判: some 1,400 closed incidents over the last 400 days (so
//! 同比 has a year to compare with) — a background spread over every grid, three places where
//! incidents concentrate, a surge at one of them in the last ten days (a change the trend test calls
//! beyond chance) and burglaries followed by more next door within days (near repeats). Seeded, so
//! every demo shows the same picture relative to its start date.

use geo::{BoundingRect, Contains};
use pingan_domain::audit::{AuditEntry, AuditOutcome};
use pingan_store::incidents::{self, NewIncident};
use pingan_store::{Db, args, now_micros};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const DONE_KEY: &str = "demo.incident_history";
const DAY: i64 = 86_400_000_000;
/// Metres per degree of latitude; longitude degrees shrink by cos(lat).
const M_PER_DEG: f64 = 111_320.0;

struct GridShape {
    shape: geo::Geometry<f64>,
    rect: geo::Rect<f64>,
}

/// A uniformly random point inside the grid.
fn point_in(g: &GridShape, rng: &mut ChaCha8Rng) -> (f64, f64) {
    for _ in 0..1000 {
        let x = rng.gen_range(g.rect.min().x..g.rect.max().x);
        let y = rng.gen_range(g.rect.min().y..g.rect.max().y);
        if g.shape.contains(&geo::Point::new(x, y)) {
            return (x, y);
        }
    }
    g.rect.center().x_y()
}

/// A point about `sigma_m` metres (normal) around `c`.
fn near(c: (f64, f64), sigma_m: f64, rng: &mut ChaCha8Rng) -> (f64, f64) {
    // Box–Muller: two independent standard normals.
    let (u1, u2): (f64, f64) = (rng.gen_range(1e-12..1.0), rng.gen_range(0.0..1.0));
    let r = (-2.0 * u1.ln()).sqrt() * sigma_m;
    let a = std::f64::consts::TAU * u2;
    let dlat = r * a.sin() / M_PER_DEG;
    let dlng = r * a.cos() / (M_PER_DEG * c.1.to_radians().cos());
    (c.0 + dlng, c.1 + dlat)
}

fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

const BACKGROUND_TYPES: &[(&str, &str, u32)] = &[
    ("100100", "报称财物被盗", 30),
    ("200200", "邻里因琐事发生纠纷", 20),
    ("300100", "两车剐蹭，无人受伤", 20),
    ("200400", "夜间噪声扰民", 10),
    ("500100", "群众求助", 15),
    ("100300", "报称遭电信诈骗", 5),
];

fn background_type(rng: &mut ChaCha8Rng) -> (&'static str, &'static str) {
    let total: u32 = BACKGROUND_TYPES.iter().map(|t| t.2).sum();
    let mut k = rng.gen_range(0..total);
    for t in BACKGROUND_TYPES {
        if k < t.2 {
            return (t.0, t.1);
        }
        k -= t.2;
    }
    (BACKGROUND_TYPES[0].0, BACKGROUND_TYPES[0].1)
}

/// One planned incident.
struct Planned {
    at: i64,
    lng: f64,
    lat: f64,
    type_code: &'static str,
    description: &'static str,
    address: String,
}

/// Every grid: code, stored GeoJSON and its shape for drawing points in it.
async fn grid_shapes(db: &Db) -> anyhow::Result<Vec<(String, String, GridShape)>> {
    let rows: Vec<(String, String)> = db
        .fetch_all("SELECT code, geometry FROM grids ORDER BY code", args![])
        .await?;
    let mut grids = Vec::new();
    for (code, geometry) in rows {
        let g: geojson::Geometry = serde_json::from_str(&geometry)?;
        let shape: geo::Geometry<f64> = g.try_into()?;
        let rect = shape
            .bounding_rect()
            .ok_or_else(|| anyhow::anyhow!("grid {code} is empty"))?;
        grids.push((code, geometry, GridShape { shape, rect }));
    }
    Ok(grids)
}

/// Adds the history once (recorded in `settings`).
pub async fn ensure(db: &Db) -> anyhow::Result<usize> {
    if pingan_store::settings::get(db, DONE_KEY).await?.is_some() {
        return Ok(0);
    }
    let grids: Vec<(String, GridShape)> = grid_shapes(db)
        .await?
        .into_iter()
        .map(|(code, _, shape)| (code, shape))
        .collect();
    if grids.len() < 3 {
        return Ok(0);
    }
    let now = now_micros();
    let mut rng = ChaCha8Rng::seed_from_u64(20_261_130);
    let mut plan: Vec<Planned> = Vec::new();
    let ago = |rng: &mut ChaCha8Rng, lo: i64, hi: i64| now - rng.gen_range(lo * DAY..hi * DAY);
    for i in 0..900 {
        let (code, g) = &grids[rng.gen_range(0..grids.len())];
        let (lng, lat) = point_in(g, &mut rng);
        let (type_code, description) = background_type(&mut rng);
        plan.push(Planned {
            at: ago(&mut rng, 1, 400),
            lng,
            lat,
            type_code,
            description,
            address: format!("网格{code}附近{}号", 1 + i % 97),
        });
    }
    // Three places incidents concentrate at: a night-market street, a station square, a bar street.
    let spots = [
        (grids.len() / 6, "江东路夜市", "100100", "夜市摊位手机被盗"),
        (grids.len() / 2, "汽车站广场", "200100", "广场上多人打架"),
        (
            grids.len() - 3,
            "枫桥老街酒吧",
            "200200",
            "酒后发生口角纠纷",
        ),
    ];
    let mut centres = Vec::new();
    for &(gi, name, type_code, description) in &spots {
        let c = point_in(&grids[gi].1, &mut rng);
        centres.push(c);
        for k in 0..120 {
            let (lng, lat) = near(c, 60.0, &mut rng);
            plan.push(Planned {
                at: ago(&mut rng, 1, 400),
                lng,
                lat,
                type_code,
                description,
                address: format!("{name}{}号", 1 + k % 12),
            });
        }
    }
    // The surge: 40 more thefts at the night market in the last ten days.
    for k in 0..40 {
        let (lng, lat) = near(centres[0], 50.0, &mut rng);
        plan.push(Planned {
            at: ago(&mut rng, 1, 10),
            lng,
            lat,
            type_code: "100100",
            description: "夜市摊位手机被盗",
            address: format!("江东路夜市{}号", 1 + k % 12),
        });
    }
    // Near repeats: a burglary, then two more within 150 m in the next five days.
    for k in 0..30 {
        let (code, g) = &grids[rng.gen_range(0..grids.len())];
        let c = point_in(g, &mut rng);
        let t0 = ago(&mut rng, 10, 120);
        for j in 0..3 {
            let (lng, lat) = if j == 0 { c } else { near(c, 60.0, &mut rng) };
            plan.push(Planned {
                at: t0
                    + if j == 0 {
                        0
                    } else {
                        rng.gen_range(DAY / 4..5 * DAY)
                    },
                lng,
                lat,
                type_code: "100100",
                description: "入室盗窃，门锁被撬",
                address: format!("网格{code}住宅{}幢", 1 + (k * 3 + j) % 40),
            });
        }
    }
    plan.sort_by_key(|p| p.at);
    let mut located = Vec::with_capacity(plan.len());
    for p in &mut plan {
        p.lng = round6(p.lng);
        p.lat = round6(p.lat);
        // A point the spread pushed outside every grid is left out: no grid, no station.
        located.push(crate::locate::locate(db, p.lng, p.lat).await.ok());
    }
    let mut tx = db.begin().await?;
    let mut n = 0;
    for (p, loc) in plan.iter().zip(located) {
        let Some(loc) = loc else { continue };
        let row = incidents::insert(
            &mut tx,
            crate::grid::demo::DISTRICT.0,
            &NewIncident {
                tracking_code: None,
                channel: "call_110".into(),
                type_code: p.type_code.into(),
                level: 3,
                description: p.description.into(),
                address: p.address.clone(),
                lng: p.lng,
                lat: p.lat,
                grid_code: loc.grid_code,
                village_code: loc.village_code,
                area_path: loc.area_path,
                area_type: loc.area_type,
                station_org_id: loc.station_org_id,
                caller_name_sealed: None,
                caller_phone_sealed: None,
                caller_phone_index: None,
                reporter_user_id: None,
                camera_code: None,
                snapshot_ref: None,
                event_type: None,
                reported_at: p.at,
                received_at: p.at,
                local_date: pingan_domain::time::local_date(pingan_domain::time::from_micros(p.at)),
                actor_id: None,
                actor_name: "demo".into(),
            },
        )
        .await?;
        // Response times vary as they do on a real shift (dispatch 0.5–7 min, on scene 4–40 min), so
        // the dashboard's clocks and targets have something to tell; about two in three are called
        // back, mostly satisfied.
        const S: i64 = 1_000_000;
        let dispatched = p.at + rng.gen_range(30..420) * S;
        let arrived = dispatched + rng.gen_range(240..2400) * S;
        let closed = arrived + rng.gen_range(1800..7200) * S;
        let satisfaction = match rng.gen_range(0..100) {
            0..=52 => Some("satisfied"),
            53..=60 => Some("basically_satisfied"),
            61..=65 => Some("dissatisfied"),
            _ => None,
        };
        tx.queue(
            "UPDATE incidents SET status = 'closed', dispatched_at = ?, arrived_at = ?, resolved_at = ?, \
             reported_back_at = ?, closed_at = ?, satisfaction = ?, updated_at = ? WHERE id = ?",
            args![
                dispatched,
                arrived,
                closed - 1800 * S,
                closed,
                closed,
                satisfaction,
                closed,
                row.id.as_str()
            ],
        );
        n += 1;
    }
    tx.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?)",
        args![DONE_KEY, n.to_string()],
    )
    .await?;
    let entry = AuditEntry {
        at: now,
        actor_id: None,
        actor_name: "system".into(),
        action: "demo.incident_history".into(),
        object_type: "district".into(),
        object_id: Some(crate::grid::demo::DISTRICT.0.into()),
        outcome: AuditOutcome::Ok,
        purpose: None,
        ip: None,
        detail: serde_json::json!({ "incidents": n }).to_string(),
    };
    tx.commit_audited(vec![entry]).await?;
    Ok(n)
}

/// [`district_year`] once per database (recorded in `settings`); 0 when it is there already.
pub async fn ensure_district_year(
    db: &Db,
    count: usize,
    days: i64,
    seed: u64,
) -> anyhow::Result<usize> {
    const KEY: &str = "demo.district_year";
    if pingan_store::settings::get(db, KEY).await?.is_some() {
        return Ok(0);
    }
    let n = district_year(db, count, days, seed).await?;
    db.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?)",
        args![KEY, n.to_string()],
    )
    .await?;
    Ok(n)
}

/// A district-year of 110 incidents, for trying the analysis at its real size (`pingan demo
/// --district-year N`) and for the district-year benchmark: `count` closed incidents over the `days`
/// (365 for a year; the dashboard benchmark asks for three years) before now — 55 % background spread over the grids (busier in the evening), 35 % around 300
/// hot places of very different pull (∝ 1/√rank: the busiest draws some 3,000 a year, the quietest a
/// few dozen), 10 % near-repeat chains (a burglary, then up to four more within 200 m and ten days).
/// Seeded: the same `seed` gives the same year relative to now. Points the spread pushes outside
/// every grid are drawn again (5 % spare, then a seeded sample of exactly `count`).
pub async fn district_year(db: &Db, count: usize, days: i64, seed: u64) -> anyhow::Result<usize> {
    let days = days.max(30);
    let mut grids = Vec::new();
    let mut shapes = Vec::new();
    for (code, geometry, shape) in grid_shapes(db).await? {
        if let Some(mp) = crate::locate::shape(&geometry) {
            shapes.push((code.clone(), mp));
        }
        grids.push((code, shape));
    }
    anyhow::ensure!(
        !grids.is_empty(),
        "the district has no grids to place incidents in"
    );
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // Where each grid is: one lookup per grid, then the index answers for every point.
    let mut located = std::collections::HashMap::new();
    for (code, g) in &grids {
        let (lng, lat) = point_in(g, &mut rng);
        if let Ok(loc) = crate::locate::locate(db, lng, lat).await {
            located.insert(code.clone(), loc);
        }
    }
    let index = pingan_geo::PolygonIndex::with_rule(shapes, pingan_geo::BoundaryRule::Closed);
    let now = now_micros();
    let year_start = now - days * DAY;
    // Evening-heavy time of day: a day offset, then an hour drawn from a triangular shape around 20:00.
    let when = |rng: &mut ChaCha8Rng, from: i64, days: f64| {
        let day = (rng.gen_range(0.0..days) as i64) * DAY;
        let hour = 20.0 + (rng.gen_range(0.0..1.0f64) - rng.gen_range(0.0..1.0f64)) * 12.0;
        (from + day + (hour.rem_euclid(24.0) * 3_600e6) as i64 - 8 * 3_600_000_000).min(now - 1)
    };
    let mut plan: Vec<Planned> = Vec::with_capacity(count + count / 20);
    let hot: Vec<((f64, f64), f64, usize)> = (0..300)
        .map(|k| {
            let g = &grids[rng.gen_range(0..grids.len())].1;
            (
                point_in(g, &mut rng),
                40.0 + 80.0 * rng.gen_range(0.0..1.0),
                k,
            )
        })
        .collect();
    let pull: Vec<f64> = (1..=hot.len()).map(|r| 1.0 / (r as f64).sqrt()).collect();
    let pull_total: f64 = pull.iter().sum();
    let planned = count + count / 20;
    let background = planned * 55 / 100;
    let concentrated = planned * 35 / 100;
    for i in 0..background {
        let (code, g) = &grids[rng.gen_range(0..grids.len())];
        let (lng, lat) = point_in(g, &mut rng);
        let (type_code, description) = background_type(&mut rng);
        plan.push(Planned {
            at: when(&mut rng, year_start, days as f64),
            lng,
            lat,
            type_code,
            description,
            address: format!("网格{code}附近{}号", 1 + i % 997),
        });
    }
    for i in 0..concentrated {
        let mut pick = rng.gen_range(0.0..pull_total);
        let mut h = 0;
        while h + 1 < hot.len() && pick >= pull[h] {
            pick -= pull[h];
            h += 1;
        }
        let (centre, sigma, k) = hot[h];
        let (type_code, description) = background_type(&mut rng);
        let (lng, lat) = near(centre, sigma, &mut rng);
        plan.push(Planned {
            at: when(&mut rng, year_start, days as f64),
            lng,
            lat,
            type_code,
            description,
            address: format!("热点{k}街{}号", 1 + i % 50),
        });
    }
    while plan.len() < planned {
        let (code, g) = &grids[rng.gen_range(0..grids.len())];
        let c = point_in(g, &mut rng);
        let t0 = when(&mut rng, year_start, (days - 10) as f64);
        let chain = rng.gen_range(1..=5);
        for j in 0..chain {
            if plan.len() >= planned {
                break;
            }
            let (lng, lat) = if j == 0 { c } else { near(c, 100.0, &mut rng) };
            plan.push(Planned {
                at: (t0 + rng.gen_range(0..10 * DAY) * i64::from(j > 0)).min(now - 1),
                lng,
                lat,
                type_code: "100100",
                description: "入室盗窃，门锁被撬",
                address: format!("网格{code}住宅{}幢", 1 + (plan.len() % 40)),
            });
        }
    }
    let mut rows = Vec::with_capacity(plan.len());
    for p in &plan {
        let (lng, lat) = (round6(p.lng), round6(p.lat));
        let Some(i) = index.locate(lng, lat) else {
            continue;
        };
        let Some(loc) = located.get(index.id(i)) else {
            continue;
        };
        rows.push(incidents::HistoricIncident {
            type_code: p.type_code.into(),
            description: p.description.into(),
            address: p.address.clone(),
            lng,
            lat,
            grid_code: loc.grid_code.clone(),
            village_code: loc.village_code.clone(),
            area_path: loc.area_path.clone(),
            area_type: loc.area_type.clone(),
            station_org_id: loc.station_org_id.clone(),
            received_at: p.at,
            closed_at: p.at + 5_400_000_000,
        });
    }
    // Exactly `count` (or all there are), a seeded sample so the mix stays as planned.
    rand::seq::SliceRandom::shuffle(rows.as_mut_slice(), &mut rng);
    rows.truncate(count);
    rows.sort_by_key(|r| r.received_at);
    let mut tx = db.begin().await?;
    let n = incidents::insert_history(&mut tx, crate::grid::demo::DISTRICT.0, &rows).await?;
    let entry = AuditEntry {
        at: now,
        actor_id: None,
        actor_name: "system".into(),
        action: "demo.district_year".into(),
        object_type: "district".into(),
        object_id: Some(crate::grid::demo::DISTRICT.0.into()),
        outcome: AuditOutcome::Ok,
        purpose: None,
        ip: None,
        detail: serde_json::json!({ "incidents": n, "seed": seed }).to_string(),
    };
    tx.commit_audited(vec![entry]).await?;
    Ok(n)
}
