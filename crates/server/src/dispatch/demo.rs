//! The demo's command-and-dispatch layer: units of the three stations (with crews and GPS devices),
//! a few registered cameras, a handful of open incidents for the board and two earlier disputes at one
//! address in 陈家社区, so a third report there shows the repeat-location suggestion.

use geo::InteriorPoint;
use pingan_domain::audit::{AuditEntry, AuditOutcome};
use pingan_domain::crypto::FieldCipher;
use pingan_store::incidents::{self, NewIncident};
use pingan_store::units::{self, CameraRow, NewUnit};
use pingan_store::{Db, args, now_micros, orgs, users};

/// The camera webhook secret the demo configures (derived from the seed, printed at start).
pub fn camera_secret(seed: u64) -> String {
    use sm3::Digest;
    hex::encode(&sm3::Sm3::digest(format!("pingan-demo-camera-{seed}").as_bytes())[..16])
}

/// The demo's `/metrics` bearer token (the demo serves metrics by token unless configured otherwise).
pub fn metrics_token(seed: u64) -> String {
    use sm3::Digest;
    hex::encode(&sm3::Sm3::digest(format!("pingan-demo-metrics-{seed}").as_bytes())[..16])
}

/// A point inside grid `code`.
async fn inside(db: &Db, code: &str) -> anyhow::Result<(f64, f64)> {
    let (geometry,): (String,) = db
        .fetch_one("SELECT geometry FROM grids WHERE code = ?", args![code])
        .await?;
    let g: geojson::Geometry = serde_json::from_str(&geometry)?;
    let shape: geo::Geometry<f64> = g.try_into()?;
    let p = shape
        .interior_point()
        .ok_or_else(|| anyhow::anyhow!("grid {code} has no interior"))?;
    // Six decimals (≈ 0.1 m), as people and devices write coordinates.
    let round = |v: f64| (v * 1e6).round() / 1e6;
    Ok((round(p.x()), round(p.y())))
}

/// (call sign, name, kind, org name, crew username, device, status, grid for the position)
type DemoUnit = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
    &'static str,
    &'static str,
);

const UNITS: &[DemoUnit] = &[
    (
        "枫桥1号车",
        "枫桥所巡逻一组",
        "patrol_car",
        "枫桥派出所",
        Some("officer"),
        "GPS-FQ-01",
        "available",
        "330681109002002",
    ),
    (
        "枫桥2号车",
        "枫桥所巡逻二组",
        "patrol_car",
        "枫桥派出所",
        None,
        "GPS-FQ-02",
        "patrol_available",
        "330681109219001",
    ),
    (
        "枫桥步巡1组",
        "枫桥所步巡组",
        "auxiliary",
        "枫桥派出所",
        Some("auxiliary"),
        "GPS-FQ-03",
        "patrol_available",
        "330681109004002",
    ),
    (
        "陈家警务室",
        "陈家社区警务室",
        "officer",
        "陈家社区警务室",
        None,
        "GPS-FQ-04",
        "available",
        "330681109004003",
    ),
    (
        "枫桥平安志愿队",
        "枫桥镇平安志愿者服务队",
        "volunteer_team",
        "枫桥镇平安志愿者服务队",
        Some("volunteer"),
        "GPS-FQ-05",
        "patrol_available",
        "330681109229001",
    ),
    (
        "暨阳1号车",
        "暨阳所巡逻一组",
        "patrol_car",
        "暨阳派出所",
        None,
        "GPS-JY-01",
        "available",
        "330681001001001",
    ),
    (
        "暨阳2号车",
        "暨阳所巡逻二组",
        "patrol_car",
        "暨阳派出所",
        None,
        "GPS-JY-02",
        "patrol_available",
        "330681001005002",
    ),
    (
        "浣东1号车",
        "浣东所巡逻一组",
        "patrol_car",
        "浣东派出所",
        None,
        "GPS-HD-01",
        "available",
        "330681002004001",
    ),
];

// (GB/T 28181 device id, name, kind, grid)
const CAMERAS: &[(&str, &str, &str, &str)] = &[
    (
        "33068110901320000001",
        "枫桥镇陈家社区东门",
        "community_gate",
        "330681109004001",
    ),
    (
        "33068110901320000002",
        "枫桥老街口",
        "public_square",
        "330681109002001",
    ),
    (
        "33068100101320000001",
        "暨阳街道江东路口",
        "road",
        "330681001001002",
    ),
];

/// Creates units, cameras and sample incidents once (when no unit exists yet).
pub async fn ensure(db: &Db, cipher: &FieldCipher) -> anyhow::Result<()> {
    let (n,): (i64,) = db.fetch_one("SELECT COUNT(*) FROM units", args![]).await?;
    if n > 0 {
        return Ok(());
    }
    let orgs = orgs::list(
        db,
        &pingan_domain::Scope::new(vec![pingan_domain::ScopeGrant {
            kind: pingan_domain::ScopeKind::Org,
            path: "/".into(),
        }]),
    )
    .await?;
    let now = now_micros();
    let mut positions = Vec::new();
    for u in UNITS {
        positions.push(inside(db, u.7).await?);
    }
    let mut places = Vec::new();
    for c in CAMERAS {
        let p = inside(db, c.3).await?;
        places.push((
            p,
            crate::locate::locate(db, p.0, p.1)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?,
        ));
    }
    let mut crews = Vec::new();
    for u in UNITS {
        crews.push(match u.4 {
            Some(name) => users::by_username(db, name).await?.map(|u| u.id),
            None => None,
        });
    }
    let chenjia = inside(db, "330681109004001").await?;
    let samples = [
        (
            "100100",
            2,
            "江东路一店铺报称收银台现金被盗",
            "暨阳街道江东路18号",
            inside(db, "330681001001003").await?,
            9,
            "call_110",
        ),
        (
            "300100",
            2,
            "两车追尾，无人受伤，占用车道",
            "浣东街道东盛路与东二路口",
            inside(db, "330681002001002").await?,
            4,
            "call_110",
        ),
        (
            "500100",
            3,
            "老人在枫桥老街走失，家属求助",
            "枫桥镇老街",
            inside(db, "330681109002001").await?,
            2,
            "web",
        ),
        (
            "200600",
            2,
            "邻居反映该户夫妻争吵，有摔砸声",
            "枫桥镇陈家村12号",
            chenjia,
            12 * 24 * 60,
            "call_110",
        ),
        (
            "200200",
            3,
            "两户因宅基地边界发生争执",
            "枫桥镇陈家村12号",
            chenjia,
            5 * 24 * 60,
            "grid_report",
        ),
    ];
    let mut located = Vec::new();
    for s in &samples {
        located.push(
            crate::locate::locate(db, s.4.0, s.4.1)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?,
        );
    }
    let mut tx = db.begin().await?;
    for ((u, pos), crew) in UNITS.iter().zip(&positions).zip(crews) {
        let org = orgs
            .iter()
            .find(|o| o.name == u.3)
            .ok_or_else(|| anyhow::anyhow!("demo org {} missing", u.3))?;
        units::insert(
            &mut tx,
            &NewUnit {
                call_sign: u.0.into(),
                name: u.1.into(),
                kind: u.2.into(),
                org_id: org.id.clone(),
                user_id: crew,
                device_id: Some(u.5.into()),
                status: u.6.into(),
                lng: Some(pos.0),
                lat: Some(pos.1),
            },
            now,
        )
        .await?;
    }
    for (c, (p, loc)) in CAMERAS.iter().zip(&places) {
        units::insert_camera(
            &mut tx,
            &CameraRow {
                code: c.0.into(),
                name: c.1.into(),
                kind: c.2.into(),
                lng: p.0,
                lat: p.1,
                grid_code: loc.grid_code.clone(),
                area_path: loc.area_path.clone(),
                active: true,
            },
            now,
        )
        .await?;
    }
    for (s, loc) in samples.iter().zip(located) {
        let at = now - s.5 * 60_000_000;
        let row = incidents::insert(
            &mut tx,
            "330681",
            &NewIncident {
                tracking_code: (s.6 == "web").then(|| "DEMO000001".to_string()),
                channel: s.6.into(),
                type_code: s.0.into(),
                level: s.1,
                description: s.2.into(),
                address: s.3.into(),
                lng: s.4.0,
                lat: s.4.1,
                grid_code: loc.grid_code,
                village_code: loc.village_code,
                area_path: loc.area_path,
                area_type: loc.area_type,
                station_org_id: loc.station_org_id,
                caller_name_sealed: (s.6 == "call_110")
                    .then(|| cipher.seal(crate::rekey::CALLER_NAME, "张先生")),
                caller_phone_sealed: (s.6 == "call_110")
                    .then(|| cipher.seal(crate::rekey::CALLER_PHONE, "13957500000")),
                caller_phone_index: (s.6 == "call_110").then(|| cipher.phone_index("13957500000")),
                reporter_user_id: None,
                camera_code: None,
                snapshot_ref: None,
                event_type: None,
                reported_at: at,
                received_at: at,
                local_date: pingan_domain::time::local_date(pingan_domain::time::from_micros(at)),
                actor_id: None,
                actor_name: "demo".into(),
            },
        )
        .await?;
        if s.5 > 24 * 60 {
            // Earlier incidents: handled and closed (the demo's history, not a live case).
            tx.execute(
                "UPDATE incidents SET status = 'closed', dispatched_at = ?, arrived_at = ?, resolved_at = ?, \
                 reported_back_at = ?, closed_at = ?, feedback_text = ? WHERE id = ?",
                args![at + 90_000_000, at + 900_000_000, at + 3_600_000_000, at + 7_200_000_000, at + 7_200_000_000, "已调解，双方暂无争执", row.id.as_str()],
            )
            .await?;
        }
    }
    let entry = AuditEntry {
        at: now,
        actor_id: None,
        actor_name: "system".into(),
        action: "demo.dispatch".into(),
        object_type: "district".into(),
        object_id: Some(crate::grid::demo::DISTRICT.0.into()),
        outcome: AuditOutcome::Ok,
        purpose: None,
        ip: None,
        detail: serde_json::json!({"units": UNITS.len(), "cameras": CAMERAS.len(), "incidents": samples.len()}).to_string(),
    };
    tx.commit_audited(vec![entry]).await?;
    Ok(())
}
