//! 轨迹压缩: raw fixes past `patrol.raw_fix_days` are folded unit-day by unit-day into a simplified
//! track whose error bound holds at every instant, with the silences and the stays kept; a day inside
//! the retention stays raw; a second run finds nothing; the track answer states the bound.

use super::*;
use helpers::*;
use serde_json::Value;

const MIN: i64 = 60_000_000;

fn rfc(t: i64) -> String {
    jiff::Timestamp::from_microsecond(t)
        .unwrap()
        .to_string()
        .replace('+', "%2B")
}

/// A unit-morning: 60 minutes walking east at 1.4 m/s, 20 standing, a 30-minute silence, 10 more
/// minutes walking; one fix every 10 s, with a metre of wobble.
fn morning(start: i64) -> Vec<(i64, f64, f64)> {
    let (lng0, lat0): (f64, f64) = (120.2405, 29.7105);
    let east = |m: f64| m / (111_320.0 * lat0.to_radians().cos());
    let mut out = Vec::new();
    let mut x = 0.0;
    for i in 0..360 {
        let wobble = ((i * 7919) % 13) as f64 / 13.0 - 0.5;
        out.push((
            start + i * 10_000_000,
            lng0 + east(x),
            lat0 + wobble / 111_000.0,
        ));
        x += 14.0;
    }
    for i in 360..480 {
        out.push((start + i * 10_000_000, lng0 + east(x), lat0));
    }
    for i in 660..720 {
        out.push((start + i * 10_000_000, lng0 + east(x), lat0));
        x += 14.0;
    }
    out
}

async fn insert(app: &TestApp, device: &str, unit: &str, fixes: &[(i64, f64, f64)]) {
    for (at, lng, lat) in fixes {
        app.db
            .execute(
                "INSERT INTO unit_positions (device_id, at, unit_id, lng, lat) VALUES (?, ?, ?, ?, ?)",
                pingan_store::args![device, *at, unit, *lng, *lat],
            )
            .await
            .unwrap();
    }
}

async fn raw_between(app: &TestApp, unit: &str, from: i64, to: i64) -> i64 {
    let (n,): (i64,) = app
        .db
        .fetch_one(
            "SELECT COUNT(*) FROM unit_positions WHERE unit_id = ? AND at >= ? AND at < ?",
            pingan_store::args![unit, from, to],
        )
        .await
        .unwrap();
    n
}

both!(
    old_fixes_fold_within_their_bound,
    |app: TestApp| async move {
        let chief = app.client_as("chief").await;
        let doc = openapi(&app).await;
        let station: (String,) = app
            .db
            .fetch_one("SELECT org_id FROM users WHERE username = 'chief'", vec![])
            .await
            .unwrap();
        let (unit, device): (String, String) = app
        .db
        .fetch_one(
            "SELECT id, device_id FROM units WHERE org_id = ? AND device_id IS NOT NULL ORDER BY id LIMIT 1",
            pingan_store::args![station.0.as_str()],
        )
        .await
        .unwrap();
        let today = pingan_domain::time::day_start(app.state.today());
        let old_day = today - 40 * 24 * 60 * MIN;
        let recent_day = today - 24 * 60 * MIN;
        let old = morning(old_day + 8 * 60 * MIN);
        let recent = morning(recent_day + 8 * 60 * MIN);
        // Late in the evening the unit walks on across local midnight (16:00 UTC): two local days.
        let night: Vec<(i64, f64, f64)> = (0..360)
            .map(|i| {
                (
                    old_day + 23 * 60 * MIN + 30 * MIN + i * 10_000_000,
                    120.2405 + i as f64 * 0.0001,
                    29.7205,
                )
            })
            .collect();
        insert(&app, &device, &unit, &night).await;
        insert(&app, &device, &unit, &old).await;
        insert(&app, &device, &unit, &recent).await;
        let url = |day: i64| {
            format!(
                "/api/v1/units/{unit}/track?from={}&to={}",
                rfc(day),
                rfc(day + 24 * 60 * MIN)
            )
        };
        let (s, before) = app.get_json(&chief, &url(old_day)).await;
        assert_eq!(s, 200, "{before}");
        let evening = night
            .iter()
            .filter(|f| f.0 < old_day + 24 * 60 * MIN)
            .count();
        assert_eq!(
            before["fixes"].as_array().unwrap().len(),
            old.len() + evening
        );
        assert!(before["folded"].as_array().unwrap().is_empty());

        let folded = pingan_server::patrol::fold::fold_old_fixes(&app.state)
            .await
            .unwrap();
        assert_eq!(
            folded.unit_days, 2,
            "the two local days past the retention, not the recent one"
        );
        assert_eq!(folded.raw_fixes, old.len() + night.len());
        let (s, across) = app
            .get_json(
                &chief,
                &format!(
                    "/api/v1/units/{unit}/track?from={}&to={}",
                    rfc(old_day + 23 * 60 * MIN),
                    rfc(old_day + 25 * 60 * MIN)
                ),
            )
            .await;
        assert_eq!(s, 200, "{across}");
        assert!(
            across["gaps"].as_array().unwrap().is_empty(),
            "no silence at midnight: {across}"
        );
        assert_eq!(across["folded"].as_array().unwrap().len(), 2, "{across}");
        assert_eq!(
            raw_between(&app, &unit, old_day, old_day + 24 * 60 * MIN).await,
            0
        );
        assert_eq!(
            raw_between(&app, &unit, recent_day, recent_day + 24 * 60 * MIN).await,
            recent.len() as i64,
            "a day inside the retention stays raw"
        );

        let (s, after) = app.get_json(&chief, &url(old_day)).await;
        assert_eq!(s, 200, "{after}");
        assert_documented(&doc, "get", "/api/v1/units/{id}/track", 200, &after);
        let kept = after["fixes"].as_array().unwrap();
        assert_eq!(
            Some(kept.len() as i64),
            after["folded"][0]["kept_fixes"].as_i64()
        );
        assert!(
            kept.len() * 5 < old.len(),
            "{} of {} fixes kept",
            kept.len(),
            old.len()
        );
        let day = &after["folded"][0];
        assert_eq!(
            day["raw_fixes"].as_i64(),
            Some(
                (old.len()
                    + night
                        .iter()
                        .filter(|f| f.0 < old_day + 24 * 60 * MIN)
                        .count()) as i64
            )
        );
        assert_eq!(day["tolerance_m"].as_f64(), Some(5.0));
        assert!(day["max_error_m"].as_f64().unwrap() <= 5.0 + 1e-6, "{day}");
        // Every raw fix lies within the bound of the folded track at its own instant.
        let track: Vec<pingan_geo::track::Fix> = kept
            .iter()
            .map(|f| pingan_geo::track::Fix {
                at: f["at"].as_i64().unwrap(),
                lng: f["lng"].as_f64().unwrap(),
                lat: f["lat"].as_f64().unwrap(),
            })
            .collect();
        let mut day_raw: Vec<(i64, f64, f64)> = old.clone();
        day_raw.extend(night.iter().filter(|f| f.0 < old_day + 24 * 60 * MIN));
        let raw: Vec<pingan_geo::track::Fix> = day_raw
            .iter()
            .map(|&(at, lng, lat)| pingan_geo::track::Fix { at, lng, lat })
            .collect();
        let idx: Vec<usize> = track
            .iter()
            .map(|k| {
                raw.iter()
                    .position(|r| r.at == k.at)
                    .expect("a kept fix is a raw fix")
            })
            .collect();
        assert!(pingan_geo::track::max_sed_error(&raw, &idx) <= 5.0 + 1e-6);
        // The silences (the morning's half hour, then until the evening walk) are still the same;
        // the distance is within the bound's reach.
        let gaps = |t: &Value| t["gaps"].clone();
        assert_eq!(gaps(&after), gaps(&before), "{after}");
        assert_eq!(after["gaps"].as_array().unwrap().len(), 2);
        let (l0, l1) = (
            before["length_m"].as_f64().unwrap(),
            after["length_m"].as_f64().unwrap(),
        );
        assert!(l1 <= l0 + 1e-6 && l0 - l1 < 0.02 * l0 + 20.0, "{l0} → {l1}");

        // A stay at the standing spot lasts as long on the folded track as on the raw one (the track
        // is read as steady movement between fixes, so the fold changes it by the tolerance at most).
        let stay = |t: &Value| {
            let proj = pingan_geo::Projection::gauss_kruger_3deg(120.0);
            let fixes: Vec<pingan_domain::patrol::Fix> = t["fixes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    let (x, y) =
                        proj.forward(f["lng"].as_f64().unwrap(), f["lat"].as_f64().unwrap());
                    pingan_domain::patrol::Fix {
                        at: f["at"].as_i64().unwrap(),
                        x,
                        y,
                    }
                })
                .collect();
            let stand = old[400];
            let post = proj.forward(stand.1, stand.2);
            pingan_domain::patrol::stays_near(
                &fixes,
                post,
                30.0,
                (old_day, old_day + 24 * 60 * MIN),
                5 * MIN,
            )
            .iter()
            .map(|s| s.minutes())
            .fold(0.0, f64::max)
        };
        let (m0, m1) = (stay(&before), stay(&after));
        assert!(m0 >= 20.0 && (m0 - m1).abs() < 0.1, "{m0} → {m1} minutes");

        // Nothing is left to fold; the fold is on the audit record.
        let again = pingan_server::patrol::fold::fold_old_fixes(&app.state)
            .await
            .unwrap();
        assert_eq!(again.unit_days, 0);
        let (n,): (i64,) = app
        .db
        .fetch_one(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'patrol.fold_track' AND object_id = ?",
            pingan_store::args![unit.as_str()],
        )
        .await
        .unwrap();
        assert_eq!(n, 2);

        // A fix arriving late for a folded day (possible only after the retention was shortened): the
        // day is folded again from its kept fixes and the late one, and its record says so.
        insert(
            &app,
            &device,
            &unit,
            &[(old_day + 9 * 60 * MIN + 5, 120.2406, 29.7106)],
        )
        .await;
        let late = pingan_server::patrol::fold::fold_old_fixes(&app.state)
            .await
            .unwrap();
        assert_eq!((late.unit_days, late.raw_fixes), (1, 1));
        assert_eq!(
            raw_between(&app, &unit, old_day, old_day + 24 * 60 * MIN).await,
            0
        );
        let (_, again) = app.get_json(&chief, &url(old_day)).await;
        let folds = again["folded"].as_array().unwrap();
        assert_eq!(folds.len(), 1, "{again}");
        assert_eq!(
            folds[0]["raw_fixes"].as_i64(),
            day["raw_fixes"].as_i64().map(|n| n + 1)
        );
    }
);
