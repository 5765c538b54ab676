//! 分片布警: a zone around 陈家, planted incidents in three clusters (evening, morning, night) and
//! one outside; the proposal's covered weight equals the hand-computed optimum and each post's
//! window its cluster's hours; the chief's edits are recorded as changes with the coverage
//! recomputed; publication freezes the plan; crews see it for today; scope and roles hold.

use super::*;
use helpers::*;
use serde_json::{Value, json};

const CHENJIA_GRID: &str = "330681109004002";
const FAR_GRID: &str = "330681001001003";
const HOUR: i64 = 3_600_000_000;

async fn plant(app: &TestApp, lng: f64, lat: f64, at: i64) {
    plant_incident(app, lng, lat, at, "100100", "枫桥镇陈家村").await;
}

/// The instant at local hour `h` (UTC+8), `days` days before now.
fn local_hour_days_ago(now: i64, days: i64, h: i64) -> i64 {
    let day = 24 * HOUR;
    let local_midnight = (now + 8 * HOUR).div_euclid(day) * day - 8 * HOUR;
    local_midnight - days * day + h * HOUR + 10 * 60_000_000
}

async fn put(app: &TestApp, c: &reqwest::Client, path: &str, body: Value) -> (u16, Value) {
    let r = c
        .put(format!("{}{path}", app.url))
        .json(&body)
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

fn close(a: &Value, b: f64) -> bool {
    (a.as_f64().unwrap() - b).abs() < 1e-6
}

both!(
    a_plan_from_hotspots_is_proposed_edited_and_published,
    |app: TestApp| async move {
        let chief = app.client_as("chief").await;
        let (clng, clat) = inside_point(&app, &chief, CHENJIA_GRID).await;
        // Metres to degrees near the centre.
        let m_lng = 1.0 / (111_320.0 * clat.to_radians().cos());
        let m_lat = 1.0 / 110_574.0;
        let at = |dx: f64, dy: f64| (clng + dx * m_lng, clat + dy * m_lat);
        let (station,): (String,) = app
            .db
            .fetch_one(
                "SELECT org_id FROM users WHERE username = 'chief'",
                pingan_store::args![],
            )
            .await
            .unwrap();
        let half = 400.0;
        // The closed ring of the rectangle (x0, y0)–(x1, y1), in metres from the centre.
        let rect = |x0: f64, y0: f64, x1: f64, y1: f64| -> Vec<[f64; 2]> {
            [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
                .iter()
                .map(|&(x, y)| {
                    let (lng, lat) = at(x, y);
                    [lng, lat]
                })
                .collect()
        };
        let ring = rect(-half, -half, half, half);
        let geometry = json!({"type": "Polygon", "coordinates": [ring]});
        let (s, z) = post(
            &app,
            &chief,
            "/api/v1/patrol-zones",
            json!({"station_org_id": station, "name": "陈家夜巡区", "geometry": geometry}),
        )
        .await;
        assert_eq!(s, 201, "{z}");
        let zone_id = z["id"].as_str().unwrap().to_string();
        assert!(
            (z["area_m2"].as_f64().unwrap() - 640_000.0).abs() < 3_000.0,
            "{}",
            z["area_m2"]
        );
        // A second zone over half of it is kept, with the overlap reported.
        let ring2 = rect(0.0, -half, 2.0 * half, half);
        let (s, z2) = post(&app, &chief, "/api/v1/patrol-zones", json!({"station_org_id": station, "name": "陈家车巡区", "geometry": {"type": "Polygon", "coordinates": [ring2]}})).await;
        assert_eq!(s, 201, "{z2}");
        assert_eq!(z2["overlaps"][0]["zone_id"], zone_id.as_str());
        assert!((z2["overlaps"][0]["area_m2"].as_f64().unwrap() - 320_000.0).abs() < 2_000.0);
        // Bad zones: each refusal names its field, and nothing is stored.
        let before = app.count("patrol_zones").await;
        let bow_tie = json!({"type": "Polygon", "coordinates": [[ring[0], ring[2], ring[1], ring[3], ring[0]]]});
        for (body, field) in [
            (
                json!({"station_org_id": station, "name": "坏", "geometry": bow_tie}),
                "geometry",
            ),
            (
                json!({"station_org_id": station, "name": "点", "geometry": {"type": "Point", "coordinates": [clng, clat]}}),
                "geometry",
            ),
            (
                json!({"station_org_id": station, "name": "陈家夜巡区", "geometry": geometry}),
                "name",
            ),
            (
                json!({"station_org_id": "nope", "name": "x", "geometry": geometry}),
                "station_org_id",
            ),
            (
                json!({"station_org_id": station, "name": " ", "geometry": geometry}),
                "name",
            ),
        ] {
            let (s, e) = post(&app, &chief, "/api/v1/patrol-zones", body).await;
            assert_eq!((s, e["error"]["field"].as_str()), (422, Some(field)), "{e}");
        }
        assert_eq!(app.count("patrol_zones").await, before);

        // Evening cluster A (6 at 21:xx), morning cluster B (3 at 09:xx), one night incident C (03:xx),
        // and one far away that is not the zone's.
        let now = app.state.now();
        let a = at(-200.0, 0.0);
        let b = at(200.0, 150.0);
        let c = at(0.0, -200.0);
        for d in 0..6 {
            plant(&app, a.0, a.1, local_hour_days_ago(now, d + 1, 21)).await;
        }
        for d in 0..3 {
            plant(&app, b.0, b.1, local_hour_days_ago(now, d + 2, 9)).await;
        }
        plant(&app, c.0, c.1, local_hour_days_ago(now, 3, 3)).await;
        let dispatcher = app.client_as("dispatcher").await;
        let far = inside_point(&app, &dispatcher, FAR_GRID).await;
        plant(&app, far.0, far.1, local_hour_days_ago(now, 2, 21)).await;

        // By hand: hours 21, 9, 3 hold 6, 3, 1 of 10 incidents, so their risks are 14.4, 7.2 and 2.4;
        // the total weight is 110.4 and two posts of 100 m at best cover A and B: 86.4 + 21.6 = 108.
        let today = pingan_domain::time::local_date(pingan_domain::time::from_micros(now));
        let req = json!({"zone_id": zone_id, "k": 2, "radius_m": 100.0, "basis_days": 30, "window_hours": 2,
                     "valid_from": today, "valid_to": today});
        let (s, plan) = post(&app, &chief, "/api/v1/patrol-plans", req.clone()).await;
        assert_eq!(s, 201, "{plan}");
        // Every answer is what the OpenAPI document says (schemathesis checks the same in CI).
        let doc = openapi(&app).await;
        assert_documented(&doc, "post", "/api/v1/patrol-plans", 201, &plan);
        assert_documented(&doc, "post", "/api/v1/patrol-zones", 201, &z2);
        let p = &plan["proposal"];
        assert_eq!(p["incidents"], 10);
        assert!(close(&p["total_weight"], 110.4), "{p}");
        assert!(close(&p["covered"], 108.0), "{p}");
        assert_eq!(p["proven_optimal"], true);
        assert!(close(&plan["covered"], 108.0));
        assert!(close(&p["hourly_risk"][21], 14.4));
        assert_eq!(plan["status"], "draft");
        assert_eq!(plan["changes"].as_array().unwrap().len(), 0);
        let posts = plan["posts"].as_array().unwrap().clone();
        assert_eq!(posts.len(), 2);
        // Each post's window is its cluster's hours: 20:00–22:00 (the earliest two hours holding 21:xx)
        // and 08:00–10:00.
        let mut starts: Vec<(i64, i64)> = posts
            .iter()
            .map(|q| {
                (
                    q["window"]["start_hour"].as_i64().unwrap(),
                    q["incidents"].as_i64().unwrap(),
                )
            })
            .collect();
        starts.sort();
        assert_eq!(starts, vec![(8, 3), (20, 6)]);
        assert_eq!(
            posts
                .iter()
                .find(|q| q["window"]["start_hour"] == 20)
                .unwrap()["window_label"],
            "20:00–22:00"
        );

        // The chief moves the evening post to C, keeps the morning post and adds one at A: all ten covered.
        let plan_id = plan["id"].as_str().unwrap().to_string();
        let evening = posts
            .iter()
            .position(|q| q["window"]["start_hour"] == 20)
            .unwrap();
        let mut edited: Vec<Value> = posts
        .iter()
        .map(|q| json!({"lng": q["lng"], "lat": q["lat"], "window": q["window"], "proposed": q["proposed"]}))
        .collect();
        edited[evening]["lng"] = json!(c.0);
        edited[evening]["lat"] = json!(c.1);
        edited.push(json!({"lng": a.0, "lat": a.1, "window": {"start_hour": 20, "hours": 2}}));
        let updated_at = plan["updated_at"].clone();
        let path = format!("/api/v1/patrol-plans/{plan_id}/posts");
        let (s, e) = put(
            &app,
            &chief,
            &path,
            json!({"posts": edited, "updated_at": updated_at}),
        )
        .await;
        assert_eq!(s, 200, "{e}");
        assert_documented(&doc, "put", "/api/v1/patrol-plans/{id}/posts", 200, &e);
        assert!(close(&e["covered"], 110.4), "{}", e["covered"]);
        assert!(
            close(&e["proposal"]["covered"], 108.0),
            "the proposal is kept as it was"
        );
        let kinds: Vec<&str> = e["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["change"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, vec!["moved", "added"]);
        // A stale edit, a post outside the zone, a proposed post twice: refused, the plan unchanged.
        let (s, _) = put(
            &app,
            &chief,
            &path,
            json!({"posts": edited, "updated_at": updated_at}),
        )
        .await;
        assert_eq!(s, 409);
        let fresh = e["updated_at"].clone();
        let mut outside = edited.clone();
        outside[1]["lng"] = json!(far.0);
        outside[1]["lat"] = json!(far.1);
        let (s, err) = put(
            &app,
            &chief,
            &path,
            json!({"posts": outside, "updated_at": fresh}),
        )
        .await;
        assert_eq!(
            (s, err["error"]["field"].as_str()),
            (422, Some("posts[1]")),
            "{err}"
        );
        let mut twice = edited.clone();
        twice[2]["proposed"] = json!(0);
        let (s, err) = put(
            &app,
            &chief,
            &path,
            json!({"posts": twice, "updated_at": fresh}),
        )
        .await;
        assert_eq!(
            (s, err["error"]["field"].as_str()),
            (422, Some("posts[2]")),
            "{err}"
        );
        let (_, again) = app
            .get_json(&chief, &format!("/api/v1/patrol-plans/{plan_id}"))
            .await;
        assert!(close(&again["covered"], 110.4));
        assert_eq!(again["posts"].as_array().unwrap().len(), 3);

        // Published: crews of the station see it for today; it is no longer edited.
        let (s, pb) = post(
            &app,
            &chief,
            &format!("/api/v1/patrol-plans/{plan_id}/publish"),
            json!({}),
        )
        .await;
        assert_eq!(s, 200, "{pb}");
        assert_eq!(pb["status"], "published");
        let (s, _) = post(
            &app,
            &chief,
            &format!("/api/v1/patrol-plans/{plan_id}/publish"),
            json!({}),
        )
        .await;
        assert_eq!(s, 409);
        let (s, _) = put(
            &app,
            &chief,
            &path,
            json!({"posts": edited, "updated_at": pb["updated_at"]}),
        )
        .await;
        assert_eq!(s, 409);
        // Check-ins yesterday by GPS: a unit of the station stays 15 minutes at the morning post in its
        // window, 6 minutes at the evening post added at A (short of 10), and is silent in between.
        let (unit_id, device): (String, String) = app
        .db
        .fetch_one(
            "SELECT id, device_id FROM units WHERE org_id = ? AND device_id IS NOT NULL ORDER BY id LIMIT 1",
            pingan_store::args![station.as_str()],
        )
        .await
        .unwrap();
        let yesterday_at =
            |h: i64, m: i64| local_hour_days_ago(now, 1, h) - 10 * 60_000_000 + m * 60_000_000;
        let rfc = |t: i64| jiff::Timestamp::from_microsecond(t).unwrap().to_string();
        let mut pings = Vec::new();
        for m in 30..=45 {
            pings.push(
                json!({"device_id": device, "at": rfc(yesterday_at(8, m)), "lng": b.0, "lat": b.1}),
            );
        }
        for m in 10..=16 {
            pings.push(json!({"device_id": device, "at": rfc(yesterday_at(20, m)), "lng": a.0, "lat": a.1}));
        }
        let (s, r) = post(
            &app,
            &chief,
            "/api/v1/units/positions",
            json!({"pings": pings}),
        )
        .await;
        assert_eq!((s, r["accepted"].as_u64()), (200, Some(23)), "{r}");
        let yesterday =
            pingan_domain::time::local_date(pingan_domain::time::from_micros(now - 24 * HOUR));
        let (s, ci) = app
            .get_json(
                &chief,
                &format!("/api/v1/patrol-plans/{plan_id}/check-ins?date={yesterday}"),
            )
            .await;
        assert_eq!(s, 200, "{ci}");
        assert_eq!(ci["checked"], 1, "{ci}");
        assert_documented(&doc, "get", "/api/v1/patrol-plans/{id}/check-ins", 200, &ci);
        let by_window = |start: i64| -> &Value {
            ci["posts"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| {
                    p["window_label"]
                        .as_str()
                        .unwrap()
                        .starts_with(&format!("{start:02}:00"))
                        && !p["stays"].as_array().unwrap().is_empty()
                })
                .unwrap_or_else(|| panic!("a post at {start}:00 with a stay: {ci}"))
        };
        let morning = by_window(8);
        assert_eq!(morning["checked_in"], true);
        assert_eq!(morning["stays"][0]["unit_id"], unit_id.as_str());
        assert!(close(&morning["stays"][0]["minutes"], 15.0), "{morning}");
        let evening = by_window(20);
        assert_eq!(evening["checked_in"], false);
        assert!(close(&evening["stays"][0]["minutes"], 6.0), "{evening}");
        let gaps = ci["gaps"].as_array().unwrap();
        assert_eq!(gaps.len(), 1, "{ci}");
        assert_eq!(gaps[0]["from"].as_i64().unwrap(), yesterday_at(8, 45));
        assert_eq!(gaps[0]["to"].as_i64().unwrap(), yesterday_at(20, 10));
        let (s, e) = app
            .get_json(
                &chief,
                &format!("/api/v1/patrol-plans/{plan_id}/check-ins?date=yesterday"),
            )
            .await;
        assert_eq!((s, e["error"]["field"].as_str()), (422, Some("date")));

        // The unit's track for yesterday: the 23 fixes in order, one silence, and the distance from B to
        // A (the fixes at each post are at one spot).
        let day0 = local_hour_days_ago(now, 1, 0) - 10 * 60_000_000;
        let track_url = |from: i64, to: i64| {
            format!(
                "/api/v1/units/{unit_id}/track?from={}&to={}",
                rfc(from).replace('+', "%2B"),
                rfc(to).replace('+', "%2B")
            )
        };
        let (s, t) = app
            .get_json(&chief, &track_url(day0, day0 + 24 * HOUR))
            .await;
        assert_eq!(s, 200, "{t}");
        assert_eq!(t["fixes"].as_array().unwrap().len(), 23);
        assert_documented(&doc, "get", "/api/v1/units/{id}/track", 200, &t);
        assert_eq!(t["gaps"].as_array().unwrap().len(), 1);
        let b_to_a = pingan_domain::patrol::metres_between([b.0, b.1], [a.0, a.1]);
        assert!(
            (t["length_m"].as_f64().unwrap() - b_to_a).abs() < 1e-6,
            "{} vs {b_to_a}",
            t["length_m"]
        );
        let (s, e) = app.get_json(&chief, &track_url(day0, day0 - HOUR)).await;
        assert_eq!((s, e["error"]["field"].as_str()), (422, Some("to")), "{e}");
        let (s, e) = app
            .get_json(&chief, &format!("/api/v1/units/{unit_id}/track"))
            .await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (422, Some("from")),
            "{e}"
        );

        for crew in ["officer", "auxiliary", "volunteer"] {
            let c = app.client_as(crew).await;
            let (s, list) = app
                .get_json(&c, "/api/v1/patrol-plans?status=published&valid_on=today")
                .await;
            assert_eq!(s, 200, "{crew}: {list}");
            assert!(
                list.as_array()
                    .unwrap()
                    .iter()
                    .any(|p| p["id"] == plan_id.as_str()),
                "{crew}: {list}"
            );
            let (s, _) = post(&app, &c, "/api/v1/patrol-plans", req.clone()).await;
            assert_eq!(s, 403, "{crew} may not plan");
        }
        let gw = app.client_as("gridworker").await;
        let (s, _) = app
            .get_json(&gw, &format!("/api/v1/patrol-plans/{plan_id}"))
            .await;
        assert_eq!(s, 403);
        // A chief of another township does not see 枫桥's plan at all.
        let (other,): (String,) = app
            .db
            .fetch_one(
                "SELECT id FROM orgs WHERE name = '暨阳派出所'",
                pingan_store::args![],
            )
            .await
            .unwrap();
        let secadmin = app.client_as("secadmin").await;
        let (s, u) = post(&app, &secadmin, "/api/v1/users", json!({"username": "chief2", "display_name": "暨阳所长", "role": "station_chief", "org_id": other, "password": "Pingan-Patrol-2026", "scope": [{"kind": "area", "path": "/330681/330681001/"}]})).await;
        assert_eq!(s, 201, "{u}");
        let chief2 = client();
        let r = chief2
            .post(format!("{}/api/v1/session", app.url))
            .json(&json!({"username": "chief2", "password": "Pingan-Patrol-2026"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let (s, _) = app
            .get_json(&chief2, &format!("/api/v1/patrol-plans/{plan_id}"))
            .await;
        assert_eq!(s, 404);
        let (s, _) = app
            .get_json(&chief2, &format!("/api/v1/patrol-zones/{zone_id}"))
            .await;
        assert_eq!(s, 404);
        let (_, list) = app.get_json(&chief2, "/api/v1/patrol-plans").await;
        assert_eq!(list.as_array().unwrap().len(), 0);
        // Every step is in the audit log.
        let (n,): (i64,) = app
        .db
        .fetch_one(
            "SELECT COUNT(*) FROM audit_log WHERE object_id = ? AND action LIKE 'patrol_plan.%'",
            pingan_store::args![plan_id.as_str()],
        )
        .await
        .unwrap();
        assert_eq!(n, 3, "propose, edit, publish");
    }
);

both!(
    a_zone_without_incidents_gets_no_plan,
    |app: TestApp| async move {
        let chief = app.client_as("chief").await;
        let (clng, clat) = inside_point(&app, &chief, CHENJIA_GRID).await;
        let (station,): (String,) = app
            .db
            .fetch_one(
                "SELECT org_id FROM users WHERE username = 'chief'",
                pingan_store::args![],
            )
            .await
            .unwrap();
        let d = 0.001;
        let ring = json!([[
            [clng - d, clat - d],
            [clng + d, clat - d],
            [clng + d, clat + d],
            [clng - d, clat + d],
            [clng - d, clat - d]
        ]]);
        let (s, z) = post(&app, &chief, "/api/v1/patrol-zones", json!({"station_org_id": station, "name": "小区", "geometry": {"type": "Polygon", "coordinates": ring}})).await;
        assert_eq!(s, 201, "{z}");
        let zid = z["id"].as_str().unwrap();
        let day = "2026-12-10";
        for (body, field) in [
            (
                json!({"zone_id": zid, "k": 2, "valid_from": day, "valid_to": day}),
                "basis_days",
            ),
            (
                json!({"zone_id": zid, "k": 0, "valid_from": day, "valid_to": day}),
                "k",
            ),
            (
                json!({"zone_id": zid, "k": 2, "radius_m": 10.0, "valid_from": day, "valid_to": day}),
                "radius_m",
            ),
            (
                json!({"zone_id": zid, "k": 2, "valid_from": day, "valid_to": "2026-12-01"}),
                "valid_to",
            ),
            (
                json!({"zone_id": zid, "k": 2, "valid_from": "12/10", "valid_to": day}),
                "valid_from",
            ),
            (
                json!({"zone_id": "nope", "k": 2, "valid_from": day, "valid_to": day}),
                "zone_id",
            ),
        ] {
            let (s, e) = post(&app, &chief, "/api/v1/patrol-plans", body).await;
            assert_eq!((s, e["error"]["field"].as_str()), (422, Some(field)), "{e}");
        }
        assert_eq!(app.count("patrol_plans").await, 0);
    }
);

// Coverage and effect over three days of a plan that started three days ago. Hotspot cells of
// 100 m: A (8 incidents at 21 h), B (6 at 09 h), C (4 at 14 h) and a cell of one incident that is
// no hotspot. GPS: the post (moved to an empty cell, window 06–09) is manned 12 minutes on the first
// two days and 4 on the third; A is visited in its window on two days (patrolled), B on one (not),
// C only outside its window. Before/after: A 4 → 1, B 2 → 3, C 1 → 1.
both!(
    coverage_and_effect_equal_hand_computed_values,
    |app: TestApp| async move {
        let chief = app.client_as("chief").await;
        let doc = openapi(&app).await;
        let now = app.state.now();
        let (clng, clat) = inside_point(&app, &chief, CHENJIA_GRID).await;
        let m_lng = 1.0 / (111_320.0 * clat.to_radians().cos());
        let m_lat = 1.0 / 110_574.0;
        let (station,): (String,) = app
            .db
            .fetch_one(
                "SELECT org_id FROM users WHERE username = 'chief'",
                pingan_store::args![],
            )
            .await
            .unwrap();
        let half = 400.0;
        let ring: Vec<[f64; 2]> = [
            (-half, -half),
            (half, -half),
            (half, half),
            (-half, half),
            (-half, -half),
        ]
        .iter()
        .map(|&(x, y)| [clng + x * m_lng, clat + y * m_lat])
        .collect();
        let (s, z) = post(
            &app,
            &chief,
            "/api/v1/patrol-zones",
            json!({"station_org_id": station, "name": "成效测试巡区",
            "geometry": {"type": "Polygon", "coordinates": [ring]}}),
        )
        .await;
        assert_eq!(s, 201, "{z}");
        let zone_id = z["id"].as_str().unwrap().to_string();
        // The zone's projection (the 3° zone of its box's middle) and 100 m cells in it.
        let proj = pingan_geo::Projection::gauss_kruger_3deg((ring[0][0] + ring[1][0]) / 2.0);
        let size = 100.0;
        let (x0, y0) = proj.forward(clng, clat);
        let (cx, cy) = ((x0 / size).floor() as i64, (y0 / size).floor() as i64);
        // A point in cell (cx + dx, cy + dy), `k` metres in from its south-west corner.
        let in_cell = |dx: i64, dy: i64, k: f64| {
            proj.inverse((cx + dx) as f64 * size + k, (cy + dy) as f64 * size + k)
        };
        let (a, b, c, d, e) = (
            in_cell(-1, 1, 50.0),
            in_cell(1, -1, 50.0),
            in_cell(2, 2, 50.0),
            in_cell(-2, -2, 50.0),
            in_cell(-2, 0, 50.0),
        );
        let day = |n: i64, h: i64| local_hour_days_ago(now, n, h);
        // D0 = 3 days ago; "before" is D0-3 … D0-1, "after" D0 … D0+2.
        for (p, when) in [
            // A: 3 old, 4 before, 1 after (at 21:10).
            (a, day(13, 21)),
            (a, day(13, 21)),
            (a, day(13, 21)),
            (a, day(5, 21)),
            (a, day(5, 21)),
            (a, day(5, 21)),
            (a, day(5, 21)),
            (a, day(2, 21)),
            // B: 1 old, 2 before, 3 after (at 09:10).
            (b, day(13, 9)),
            (b, day(4, 9)),
            (b, day(4, 9)),
            (b, day(2, 9)),
            (b, day(2, 9)),
            (b, day(2, 9)),
            // C: 2 old, 1 before, 1 after (at 14:10).
            (c, day(13, 14)),
            (c, day(13, 14)),
            (c, day(5, 14)),
            (c, day(3, 14)),
            // One incident alone: no hotspot.
            (d, day(13, 3)),
        ] {
            plant(&app, p.0, p.1, when).await;
        }
        let d0 = pingan_domain::time::local_date(pingan_domain::time::from_micros(day(3, 12)));
        let d2 = pingan_domain::time::local_date(pingan_domain::time::from_micros(day(1, 12)));
        let (s, plan) = post(
            &app,
            &chief,
            "/api/v1/patrol-plans",
            json!({"zone_id": zone_id, "k": 1, "basis_days": 30,
            "valid_from": d0, "valid_to": d2}),
        )
        .await;
        assert_eq!(s, 201, "{plan}");
        let plan_id = plan["id"].as_str().unwrap().to_string();
        // The chief moves the post to the empty cell E and mans it 06:00–09:00, then publishes.
        let (s, edited) = put(&app, &chief, &format!("/api/v1/patrol-plans/{plan_id}/posts"),
            json!({"posts": [{"lng": e.0, "lat": e.1, "window": {"start_hour": 6, "hours": 3}}], "updated_at": plan["updated_at"]})).await;
        assert_eq!(s, 200, "{edited}");
        let (s, _) = post(
            &app,
            &chief,
            &format!("/api/v1/patrol-plans/{plan_id}/publish"),
            json!({}),
        )
        .await;
        assert_eq!(s, 200);

        let (device,): (String,) = app
            .db
            .fetch_one(
                "SELECT device_id FROM units WHERE org_id = ? AND device_id IS NOT NULL ORDER BY id LIMIT 1",
                pingan_store::args![station.as_str()],
            )
            .await
            .unwrap();
        let rfc = |t: i64| jiff::Timestamp::from_microsecond(t).unwrap().to_string();
        // `day` adds ten minutes; `at(n, h, m)` is local h:m, n days ago.
        let at = |n: i64, h: i64, m: i64| day(n, h) - 10 * 60_000_000 + m * 60_000_000;
        let mut pings = Vec::new();
        let mut ping = |t: i64, p: (f64, f64)| {
            pings.push(json!({"device_id": device, "at": rfc(t), "lng": p.0, "lat": p.1}))
        };
        for (n, minutes) in [(3, 12), (2, 12), (1, 4)] {
            for m in 0..=minutes {
                ping(at(n, 6, 20 + m), e);
            }
        }
        ping(at(3, 8, 0), b); // B in its window (07–10) on D0
        ping(at(3, 20, 30), a); // A in its window (19–22) on D0 …
        ping(at(2, 20, 30), a); // … and D0+1
        ping(at(2, 12, 0), b); // B outside its window
        ping(at(1, 16, 0), c); // C outside its window (12–15)
        let n = pings.len() as u64;
        let (s, r) = post(
            &app,
            &chief,
            "/api/v1/units/positions",
            json!({"pings": pings}),
        )
        .await;
        assert_eq!((s, r["accepted"].as_u64()), (200, Some(n)), "{r}");

        // A camera 30 m south of A's centre looking north at it (online by the registry).
        let cam = proj.inverse((cx - 1) as f64 * size + 50.0, (cy + 1) as f64 * size + 20.0);
        let (s, c) = post(&app, &chief, "/api/v1/cameras", json!({"code": "COV-CAM", "name": "成效测试探头", "kind": "road", "lng": cam.0, "lat": cam.1})).await;
        assert_eq!(s, 201, "{c}");
        let r = chief
            .put(format!("{}/api/v1/camera-sites/COV-CAM/sector", app.url))
            .json(&json!({"owner": "public_security", "sector": {"direction_deg": 0.0, "fov_deg": 60.0, "range_m": 50.0}}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let (s, cov) = app
            .get_json(
                &chief,
                &format!("/api/v1/patrol-plans/{plan_id}/coverage?from={d0}&to={d2}&cell_m=100"),
            )
            .await;
        assert_eq!(s, 200, "{cov}");
        assert_documented(&doc, "get", "/api/v1/patrol-plans/{id}/coverage", 200, &cov);
        assert_eq!(cov["days"], 3);
        assert_eq!(
            (cov["post_checks"].as_u64(), cov["post_days"].as_u64()),
            (Some(2), Some(3)),
            "{cov}"
        );
        let cells = cov["cells"].as_array().unwrap();
        assert_eq!(cells.len(), 3, "{cov}");
        let summary: Vec<(u64, u64, u64, bool, u64, u64)> = cells
            .iter()
            .map(|c| {
                (
                    c["incidents"].as_u64().unwrap(),
                    c["window"]["start_hour"].as_u64().unwrap(),
                    c["visited_days"].as_u64().unwrap(),
                    c["patrolled"].as_bool().unwrap(),
                    c["before"].as_u64().unwrap(),
                    c["after"].as_u64().unwrap(),
                )
            })
            .collect();
        // Windows of three hours: the earliest start holding all of a cell's incidents.
        assert_eq!(
            summary,
            vec![
                (8, 19, 2, true, 4, 1),
                (6, 7, 1, false, 2, 3),
                (4, 12, 0, false, 1, 1)
            ]
        );
        assert_eq!(
            (cov["cell_visits"].as_u64(), cov["cell_days"].as_u64()),
            (Some(3), Some(9))
        );
        // The camera watches A only; the post (in E) has none.
        let watched: Vec<bool> = cells
            .iter()
            .map(|c| c["camera"].as_bool().unwrap())
            .collect();
        assert_eq!(watched, [true, false, false]);
        assert_eq!(cov["posts_without_camera"], json!([1]));
        let by_day: Vec<(u64, u64)> = cov["by_day"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["posts_checked"].as_u64().unwrap(),
                    d["cells_visited"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(by_day, vec![(1, 2), (1, 1), (0, 0)]);
        let eff = &cov["effect"];
        assert_eq!(
            eff["patrolled"],
            json!({"cells": 1, "before": 4, "after": 1})
        );
        assert_eq!(
            eff["comparison"],
            json!({"cells": 2, "before": 3, "after": 4})
        );
        assert_eq!(
            eff["after_to"].as_i64().unwrap() - eff["after_from"].as_i64().unwrap(),
            3 * 24 * HOUR
        );
        assert_eq!(eff["before_to"], eff["after_from"]);
        // (1/4) / (4/3) = 0.1875; SE = √(1/4 + 1/1 + 1/3 + 1/4).
        let est = &eff["estimate"];
        assert!(close(&est["relative"], 0.1875), "{est}");
        let se = (0.25f64 + 1.0 + 1.0 / 3.0 + 0.25).sqrt();
        assert!(close(&est["low"], 0.1875 * (-1.96 * se).exp()), "{est}");
        assert!(close(&est["high"], 0.1875 * (1.96 * se).exp()), "{est}");
        assert_eq!(est["conclusive"], false);

        // The station's day at once (what `pingan patrol day` runs) agrees, day by day.
        for (n, checked) in [(3, 1), (2, 1), (1, 0)] {
            let date =
                pingan_domain::time::local_date(pingan_domain::time::from_micros(day(n, 12)))
                    .parse()
                    .unwrap();
            let r = pingan_server::patrol::day::station_day(
                &app.db,
                &app.state.config.patrol,
                &station,
                date,
            )
            .await
            .unwrap();
            assert_eq!((r.plans, r.posts, r.checked), (1, 1, checked), "{r:?}");
        }

        // The days kept for the coverage KPI say the same, once each, whichever server runs the
        // job and however often: two runs at once record the three days between them, a third
        // finds nothing left (the plan's last day, yesterday, closed at 09:00).
        let (a, b) = tokio::join!(
            pingan_server::patrol::tally::record_due(&app.state),
            pingan_server::patrol::tally::record_due(&app.state)
        );
        assert_eq!(
            a.unwrap() + b.unwrap(),
            3,
            "the test's one plan, three days"
        );
        assert_eq!(
            pingan_server::patrol::tally::record_due(&app.state)
                .await
                .unwrap(),
            0
        );
        let kept = pingan_store::patrol::post_days(&app.db, &plan_id, &d0, &d2)
            .await
            .unwrap();
        let got: Vec<(String, i64, &str, bool)> = kept
            .iter()
            .map(|r| (r.day.clone(), r.post, r.method.as_str(), r.checked_in))
            .collect();
        let date =
            |n: i64| pingan_domain::time::local_date(pingan_domain::time::from_micros(day(n, 12)));
        assert_eq!(
            got,
            vec![
                (date(3), 1, "gps", true),
                (date(2), 1, "gps", true),
                (date(1), 1, "missed", false)
            ]
        );
        let plan_row = pingan_store::patrol::plan_unscoped(&app.db, &plan_id)
            .await
            .unwrap()
            .unwrap();
        for r in &kept {
            assert_eq!(
                (&r.area_path, &r.org_path),
                (&plan_row.area_path, &plan_row.org_path)
            );
            assert_eq!(r.zone_name, "成效测试巡区");
            assert_eq!(
                r.window_from,
                local_hour_days_ago(
                    now,
                    3 - (kept.iter().position(|k| k == r).unwrap() as i64),
                    6
                ) - 10 * 60_000_000
            );
        }

        // A period before the plan, and a bad cell size, are refused beside their fields.
        let (s, e1) = app
            .get_json(
                &chief,
                &format!("/api/v1/patrol-plans/{plan_id}/coverage?from={d2}&to={d0}"),
            )
            .await;
        assert_eq!(
            (s, e1["error"]["field"].as_str()),
            (422, Some("to")),
            "{e1}"
        );
        let (s, e2) = app
            .get_json(
                &chief,
                &format!("/api/v1/patrol-plans/{plan_id}/coverage?cell_m=5"),
            )
            .await;
        assert_eq!(
            (s, e2["error"]["field"].as_str()),
            (422, Some("cell_m")),
            "{e2}"
        );
    }
);

// 手动打卡: on a plan in force now, an officer checks in by hand at the post whose window is now —
// refused when too far, too vague, at a post of another hour or a post the plan lacks — and the day's
// check-ins show the post checked in by hand, not by GPS.
both!(
    manual_check_ins_are_kept_apart_from_gps,
    |app: TestApp| async move {
        let chief = app.client_as("chief").await;
        let officer = app.client_as("officer").await;
        let doc = openapi(&app).await;
        let now = app.state.now();
        let (clng, clat) = inside_point(&app, &chief, CHENJIA_GRID).await;
        let m_lng = 1.0 / (111_320.0 * clat.to_radians().cos());
        let m_lat = 1.0 / 110_574.0;
        let (station,): (String,) = app
            .db
            .fetch_one(
                "SELECT org_id FROM users WHERE username = 'chief'",
                pingan_store::args![],
            )
            .await
            .unwrap();
        let d = 300.0;
        let ring: Vec<[f64; 2]> = [(-d, -d), (d, -d), (d, d), (-d, d), (-d, -d)]
            .iter()
            .map(|&(x, y)| [clng + x * m_lng, clat + y * m_lat])
            .collect();
        let (s, z) = post(
            &app,
            &chief,
            "/api/v1/patrol-zones",
            json!({"station_org_id": station, "name": "打卡测试巡区",
            "geometry": {"type": "Polygon", "coordinates": [ring]}}),
        )
        .await;
        assert_eq!(s, 201, "{z}");
        for k in 0..3 {
            plant(&app, clng, clat, now - (k + 2) * 24 * HOUR).await;
        }
        let today = pingan_domain::time::local_date(pingan_domain::time::from_micros(now));
        let (s, plan) = post(
            &app,
            &chief,
            "/api/v1/patrol-plans",
            json!({"zone_id": z["id"], "k": 1, "valid_from": today, "valid_to": today}),
        )
        .await;
        assert_eq!(s, 201, "{plan}");
        let id = plan["id"].as_str().unwrap().to_string();
        let hour = pingan_domain::patrol::local_hour(now) as i64;
        let (s, p) = put(
            &app,
            &chief,
            &format!("/api/v1/patrol-plans/{id}/posts"),
            json!({"posts": [
            {"lng": clng, "lat": clat, "window": {"start_hour": hour, "hours": 2}},
            {"lng": clng, "lat": clat, "window": {"start_hour": (hour + 12) % 24, "hours": 1}}],
            "updated_at": plan["updated_at"]}),
        )
        .await;
        assert_eq!(s, 200, "{p}");
        let path = format!("/api/v1/patrol-plans/{id}/check-ins");
        // A draft takes no check-in.
        let (s, _) = post(
            &app,
            &officer,
            &path,
            json!({"post": 1, "lng": clng, "lat": clat}),
        )
        .await;
        assert_eq!(s, 409);
        let (s, _) = post(
            &app,
            &chief,
            &format!("/api/v1/patrol-plans/{id}/publish"),
            json!({}),
        )
        .await;
        assert_eq!(s, 200);
        let before = app.count("patrol_manual_checkins").await;
        for (body, field, code) in [
            (
                json!({"post": 1, "lng": clng + 150.0 * m_lng, "lat": clat}),
                "lng",
                "patrol_checkin_far",
            ),
            (
                json!({"post": 1, "lng": clng, "lat": clat, "accuracy_m": 500.0}),
                "accuracy_m",
                "patrol_checkin_accuracy",
            ),
            (
                json!({"post": 2, "lng": clng, "lat": clat}),
                "post",
                "patrol_checkin_window",
            ),
            (
                json!({"post": 3, "lng": clng, "lat": clat}),
                "post",
                "patrol_checkin_post",
            ),
        ] {
            let (s, e) = post(&app, &officer, &path, body).await;
            assert_eq!(
                (
                    s,
                    e["error"]["field"].as_str(),
                    e["error"]["problems"][0]["code"].as_str()
                ),
                (422, Some(field), Some(code)),
                "{e}"
            );
        }
        assert_eq!(app.count("patrol_manual_checkins").await, before);
        // A reader of plans who neither responds nor is rostered on the zone may not.
        let (s, _) = post(
            &app,
            &app.client_as("townleader").await,
            &path,
            json!({"post": 1, "lng": clng, "lat": clat}),
        )
        .await;
        assert_eq!(s, 403);
        let (s, m) = post(
            &app,
            &officer,
            &path,
            json!({"post": 1, "lng": clng + 40.0 * m_lng, "lat": clat, "accuracy_m": 12.0}),
        )
        .await;
        assert_eq!(s, 201, "{m}");
        assert_documented(&doc, "post", "/api/v1/patrol-plans/{id}/check-ins", 201, &m);
        assert!(
            (m["distance_m"].as_f64().unwrap() - 40.0).abs() < 0.5,
            "{m}"
        );
        let (s, ci) = app.get_json(&chief, &format!("{path}?date={today}")).await;
        assert_eq!(s, 200, "{ci}");
        assert_documented(&doc, "get", "/api/v1/patrol-plans/{id}/check-ins", 200, &ci);
        let first = &ci["posts"][0];
        assert_eq!(
            (first["checked_in"].as_bool(), first["gps"].as_bool()),
            (Some(true), Some(false)),
            "{ci}"
        );
        assert_eq!(first["manual"][0]["user_name"], m["user_name"]);
        assert_eq!(ci["posts"][1]["checked_in"], false);
        assert_eq!(ci["checked"], 1);
        assert_eq!(ci["deviations"], json!([]));

        // 排班: the station's car on this zone from two hours ago for three hours; its fixes: three
        // inside, three a kilometre east (a deviation), two inside, one east (a wobble, not one).
        let (car, device): (String, String) = app
            .db
            .fetch_one(
                "SELECT id, device_id FROM units WHERE org_id = ? AND device_id IS NOT NULL ORDER BY id LIMIT 1",
                pingan_store::args![station.as_str()],
            )
            .await
            .unwrap();
        let (officer_id,): (String,) = app
            .db
            .fetch_one(
                "SELECT id FROM users WHERE username = 'officer'",
                pingan_store::args![],
            )
            .await
            .unwrap();
        let rfc = |t: i64| jiff::Timestamp::from_microsecond(t).unwrap().to_string();
        let minute = 60_000_000;
        let (s, shift) = post(
            &app,
            &chief,
            "/api/v1/patrol-shifts",
            json!({"zone_id": z["id"], "mode": "vehicle",
            "unit_id": car, "starts_at": rfc(now - 120 * minute), "ends_at": rfc(now + 60 * minute),
            "crew": [{"user_id": officer_id}]}),
        )
        .await;
        assert_eq!(s, 201, "{shift}");
        let east = (clng + 1000.0 * m_lng, clat);
        let inside = (clng, clat);
        let track = [
            inside, inside, inside, east, east, east, inside, inside, east,
        ];
        // A fix a minute from ten minutes ago, all on one local day (just before midnight if the
        // last ten minutes cross it).
        let date_of = |t: i64| pingan_domain::time::local_date(pingan_domain::time::from_micros(t));
        let mut t0 = now - 10 * minute;
        if date_of(t0) != date_of(t0 + 8 * minute) {
            t0 = pingan_domain::time::day_start(today.parse().unwrap()) - 9 * minute;
        }
        let pings: Vec<Value> = track
            .iter()
            .enumerate()
            .map(|(i, p)| json!({"device_id": device, "at": rfc(t0 + i as i64 * minute), "lng": p.0, "lat": p.1}))
            .collect();
        let (s, r) = post(
            &app,
            &chief,
            "/api/v1/units/positions",
            json!({"pings": pings}),
        )
        .await;
        assert_eq!(s, 200, "{r}");
        let (_, ci) = app
            .get_json(&chief, &format!("{path}?date={}", date_of(t0)))
            .await;
        let dev = ci["deviations"].as_array().unwrap();
        assert_eq!(dev.len(), 1, "{ci}");
        assert_eq!(dev[0]["fixes"], 3);
        assert_eq!(dev[0]["unit_id"], car.as_str());
        assert_eq!(dev[0]["shift_id"], shift["id"]);
        assert_eq!(dev[0]["from"].as_i64().unwrap(), t0 + 3 * minute);
        assert_eq!(dev[0]["to"].as_i64().unwrap(), t0 + 5 * minute);
    }
);

// 考核: from this month the demo's station scheme (version 2) scores the patrol posts checked in
// from the recorded post-days: its two counts are the town's post-days of the month counted here by
// hand, its rate their ratio, and each count opens a list of that length.
both!(
    patrol_posts_checked_in_score_a_station,
    |app: TestApp| async move {
        use pingan_domain::period::{PeriodKind, ReportPeriod};
        const TOWN: &str = "/330681/330681109/";
        pingan_server::patrol::demo::ensure(&app.db, &app.state.config)
            .await
            .unwrap();
        pingan_server::assessment::demo::ensure(&app.db, &app.state.config)
            .await
            .unwrap();
        // As the job will have run once yesterday's last window (maybe past midnight) is over.
        record_patrol_days_as_later(&app).await;
        let chief = app.client_as("chief").await;
        let today = app.state.today();
        let station = station_key(&app, &chief, TOWN).await;
        let month = ReportPeriod::containing(PeriodKind::Month, today);
        let (s, d) = app
            .get_json(
                &chief,
                &format!("/api/v1/assessment/units/station/{station}?period={month}"),
            )
            .await;
        assert_eq!(s, 200, "{d}");
        assert_eq!(d["scheme_version"], 2, "{d}");
        let ind = d["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["code"] == "patrol_checkins")
            .unwrap_or_else(|| panic!("{d}"))
            .clone();
        let rows: Vec<(String, bool, String)> = app
            .db
            .fetch_all(
                "SELECT d.day, d.checked_in, p.area_path FROM patrol_post_days d \
                 JOIN patrol_plans p ON p.id = d.plan_id",
                pingan_store::args![],
            )
            .await
            .unwrap();
        let (first, last) = (month.first_day().to_string(), month.last_day().to_string());
        let in_month: Vec<bool> = rows
            .iter()
            .filter(|(day, _, area)| first <= *day && *day <= last && area.starts_with(TOWN))
            .map(|r| r.1)
            .collect();
        let den = in_month.len() as f64;
        let num = in_month.iter().filter(|c| **c).count() as f64;
        assert_eq!(
            (ind["inputs"]["num"].as_f64(), ind["inputs"]["den"].as_f64()),
            (Some(num), Some(den)),
            "{ind}"
        );
        if today.yesterday().unwrap() >= month.first_day() {
            assert!(den >= 3.0 && num >= 1.0, "yesterday's posts: {ind}");
            assert!(
                (ind["rate"].as_f64().unwrap() - num / den).abs() < 1e-12,
                "{ind}"
            );
        }
        for c in ind["counts"].as_array().unwrap() {
            let (s, list) = app
                .get_json(
                    &chief,
                    &format!("{}&limit=1000", c["records"].as_str().unwrap()),
                )
                .await;
            assert_eq!(s, 200, "{list}");
            assert_eq!(list["total"], c["count"], "{c}");
            assert_eq!(
                list["rows"].as_array().unwrap().len() as i64,
                c["count"].as_i64().unwrap()
            );
            for row in list["rows"].as_array().unwrap() {
                let href = row["href"].as_str().unwrap();
                assert!(
                    href.starts_with("/patrol/plans/") && href.contains("?date="),
                    "{row}"
                );
                let page = chief
                    .get(format!("{}{href}", app.url))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(page.status().as_u16(), 200, "{href}");
            }
        }
    }
);
