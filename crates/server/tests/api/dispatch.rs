//! Command and dispatch end to end: every intake channel lands in the right grid and station; the
//! lifecycle yields the four response clocks (time injected through the app's clock, not slept);
//! illegal steps are 409; the camera webhook refuses bad input without storing anything; GPS ingest is
//! idempotent; the live stream announces changes within the viewer's scope.

use super::*;
use helpers::*;
use serde_json::{Value, json};

async fn station_id(app: &TestApp, c: &reqwest::Client, name: &str) -> String {
    let (s, orgs) = app.get_json(c, "/api/v1/orgs").await;
    assert_eq!(s, 200, "{orgs}");
    orgs.as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == name)
        .unwrap_or_else(|| panic!("no org {name}"))["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn act(app: &TestApp, c: &reqwest::Client, id: &str, body: Value) -> (u16, Value) {
    post(app, c, &format!("/api/v1/incidents/{id}/actions"), body).await
}

/// The incident a public channel created, found by its tracking code.
async fn by_tracking(app: &TestApp, c: &reqwest::Client, code: &str) -> Value {
    let (s, all) = app.get_json(c, "/api/v1/incidents?status=all").await;
    assert_eq!(s, 200, "{all}");
    all.as_array()
        .unwrap()
        .iter()
        .find(|i| i["tracking_code"] == code)
        .unwrap_or_else(|| panic!("no incident with tracking code {code}"))
        .clone()
}

fn signed(app: &TestApp, body: &str, ts: i64) -> reqwest::RequestBuilder {
    signed_with(app, CAMERA_SECRET, body, ts)
}

fn signed_with(app: &TestApp, secret: &str, body: &str, ts: i64) -> reqwest::RequestBuilder {
    let sig =
        pingan_server::public::api::camera_signature(secret, &ts.to_string(), body.as_bytes());
    client()
        .post(format!("{}/api/v1/hooks/camera", app.url))
        .header("content-type", "application/json")
        .header("x-pingan-timestamp", ts.to_string())
        .header("x-pingan-signature", sig)
        .body(body.to_string())
}

fn now_secs(app: &TestApp) -> i64 {
    app.state.now() / 1_000_000
}

const CHENJIA: &str = "330681109004002";
const CAMERA: &str = "33068110901320000001"; // demo camera in grid 330681109004001

both!(
    every_channel_lands_in_its_grid_and_station,
    |app: TestApp| async move {
        let d = app.client_as("dispatcher").await;
        let fengqiao = station_id(&app, &d, "枫桥派出所").await;
        let jiyang = station_id(&app, &d, "暨阳派出所").await;
        let (lng, lat) = inside_point(&app, &d, CHENJIA).await;
        let base = json!({"type_code": "200200", "description": "两户争吵", "address": "陈家社区 3 号", "lng": lng, "lat": lat});
        let check = |i: &Value, grid: &str, station: &str, channel: &str| {
            assert_eq!(i["grid_code"], grid, "{i}");
            assert_eq!(i["station_org_id"], station, "{i}");
            assert_eq!(i["channel"], channel, "{i}");
            assert_eq!(i["status"], "received", "{i}");
        };

        // 110 operator.
        let mut b = base.clone();
        b["caller_phone"] = json!("13957512345");
        let (s, i) = post(&app, &d, "/api/v1/incidents", b).await;
        assert_eq!(s, 201, "{i}");
        check(&i, CHENJIA, &fengqiao, "call_110");
        assert_eq!(i["caller_phone"], "139****2345", "caller is masked");
        // The full number, for the call back, needs a purpose and leaves an audit record.
        let path = format!("/api/v1/incidents/{}", i["id"].as_str().unwrap());
        let (s, e) = app.get_json(&d, &format!("{path}?reveal=caller")).await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (422, Some("purpose")),
            "{e}"
        );
        let (s, full) = app
            .get_json(
                &d,
                &format!("{path}?reveal=caller&purpose=%E5%9B%9E%E8%AE%BF"),
            )
            .await;
        assert_eq!(
            (s, full["caller_phone"].as_str()),
            (200, Some("13957512345")),
            "{full}"
        );
        let (n,): (i64,) = app
            .db
            .fetch_one("SELECT COUNT(*) FROM audit_log WHERE action = 'incident.read_personal' AND purpose = '回访'", vec![])
            .await
            .unwrap();
        assert_eq!(n, 1);
        assert_eq!(i["area_type"], "rural");
        assert!(i["number"].as_str().unwrap().starts_with("330681"), "{i}");

        // Grid worker (mobile UI) and patrol.
        let gw = app.client_as("gridworker").await;
        let mut b = base.clone();
        b["channel"] = json!("grid_report");
        let (s, i) = post(&app, &gw, "/api/v1/incidents", b).await;
        assert_eq!(s, 201, "{i}");
        check(&i, CHENJIA, &fengqiao, "grid_report");
        let officer = app.client_as("officer").await;
        let mut b = base.clone();
        b["channel"] = json!("patrol");
        let (s, i) = post(&app, &officer, "/api/v1/incidents", b).await;
        assert_eq!(s, 201, "{i}");
        check(&i, CHENJIA, &fengqiao, "patrol");
        // A grid worker may not pose as the 110 desk.
        let (s, _) = post(&app, &gw, "/api/v1/incidents", base.clone()).await;
        assert_eq!(s, 403);

        // Resident web form: no login, a tracking code back.
        let anon = client();
        let (s, t) = post(&app, &anon, "/api/v1/public/reports", json!({"description": "路灯坏了，夜里有人摔倒", "address": "陈家社区路口", "lng": lng, "lat": lat, "contact_phone": "13800001111"})).await;
        assert_eq!(s, 201, "{t}");
        let code = t["tracking_code"].as_str().unwrap().to_string();
        assert_eq!(code.len(), 10);
        check(
            &by_tracking(&app, &d, &code).await,
            CHENJIA,
            &fengqiao,
            "web",
        );
        let (s, tr) = app
            .get_json(&anon, &format!("/api/v1/public/reports/{code}"))
            .await;
        assert_eq!((s, tr["status"].as_str()), (200, Some("received")));
        assert!(
            tr.get("contact_phone").is_none() && !tr.to_string().contains("13800001111"),
            "{tr}"
        );

        // Open311 (form-encoded POST, JSON answer).
        let r = anon
            .post(format!("{}/open311/v2/requests.json", app.url))
            .form(&[
                ("service_code", "500100"),
                ("lat", &lat.to_string()),
                ("long", &lng.to_string()),
                ("description", "有人求助"),
                ("address_string", "陈家社区"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let o: Value = r.json().await.unwrap();
        let sr = o[0]["service_request_id"].as_str().unwrap().to_string();
        check(
            &by_tracking(&app, &d, &sr).await,
            CHENJIA,
            &fengqiao,
            "open311",
        );

        // Camera alert.
        let body = json!({"camera_id": CAMERA, "event_type": "fight", "occurred_at": "2026-11-28T08:00:00+08:00", "snapshot_ref": "snap/0001.jpg"}).to_string();
        let r = signed(&app, &body, now_secs(&app)).send().await.unwrap();
        assert_eq!(r.status(), 201);
        let c: Value = r.json().await.unwrap();
        let (_, ci) = app
            .get_json(
                &d,
                &format!("/api/v1/incidents/{}", c["incident_id"].as_str().unwrap()),
            )
            .await;
        check(&ci, "330681109004001", &fengqiao, "camera");
        assert_eq!(ci["type_code"], "200100");
        assert_eq!(ci["level"], 2);

        // Another township's station.
        let (jlng, jlat) = inside_point(&app, &d, "330681001001002").await;
        let (s, i) = post(&app, &d, "/api/v1/incidents", json!({"type_code": "100100", "description": "店铺被盗", "address": "江东路", "lng": jlng, "lat": jlat})).await;
        assert_eq!(s, 201, "{i}");
        check(&i, "330681001001002", &jiyang, "call_110");
        assert_eq!(i["area_type"], "urban");

        // Outside every grid: refused, field named, nothing stored.
        let before = app.count("incidents").await;
        let (s, e) = post(&app, &d, "/api/v1/incidents", json!({"type_code": "100100", "description": "x", "address": "y", "lng": 121.5, "lat": 30.5})).await;
        assert_eq!((s, e["error"]["field"].as_str()), (422, Some("lng")), "{e}");
        let (s, e) = post(
            &app,
            &d,
            "/api/v1/incidents",
            json!({"type_code": "123", "description": "x", "address": "y", "lng": lng, "lat": lat}),
        )
        .await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (422, Some("type_code")),
            "{e}"
        );
        assert_eq!(app.count("incidents").await, before);
    }
);

both!(
    the_lifecycle_yields_the_four_clocks,
    |app: TestApp| async move {
        let d = app.client_as("dispatcher").await;
        let (lng, lat) = inside_point(&app, &d, "330681001001002").await; // 暨阳: urban
        let (s, i) = post(&app, &d, "/api/v1/incidents", json!({"type_code": "100400", "level": 1, "description": "打架致伤", "address": "江东路 5 号", "lng": lng, "lat": lat})).await;
        assert_eq!(s, 201, "{i}");
        let id = i["id"].as_str().unwrap().to_string();

        // Steps out of order are 409 with the reason.
        let (s, e) = act(&app, &d, &id, json!({"action": "resolve"})).await;
        assert_eq!(s, 409, "{e}");
        assert_eq!(error_code(&e), "conflict");
        assert!(
            e["error"]["message"]
                .as_str()
                .unwrap()
                .contains("cannot be resolve: a unit must be on scene first"),
            "{e}"
        );
        let (s, e) = act(&app, &d, &id, json!({"action": "fly"})).await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (422, Some("action")),
            "{e}"
        );

        // The recommendation puts the responsible station's available units first, nearest first.
        let (s, recs) = app
            .get_json(&d, &format!("/api/v1/incidents/{id}/recommendations"))
            .await;
        assert_eq!(s, 200, "{recs}");
        let recs = recs.as_array().unwrap();
        assert!(
            recs[0]["same_station"].as_bool().unwrap() && recs[0]["available"].as_bool().unwrap(),
            "{recs:?}"
        );
        assert!(
            recs[0]["call_sign"].as_str().unwrap().starts_with("暨阳"),
            "{recs:?}"
        );
        let own: Vec<f64> = recs
            .iter()
            .take_while(|r| r["same_station"] == true && r["available"] == true)
            .map(|r| r["distance_m"].as_f64().unwrap())
            .collect();
        assert!(
            own.windows(2).all(|w| w[0] <= w[1]),
            "nearest first: {own:?}"
        );
        let unit = recs[0]["unit_id"].as_str().unwrap().to_string();

        let clock = &app.state.clock;
        clock.advance_seconds(90);
        let (s, r) = act(
            &app,
            &d,
            &id,
            json!({"action": "dispatch", "unit_ids": [unit]}),
        )
        .await;
        assert_eq!((s, r["status"].as_str()), (200, Some("dispatched")), "{r}");
        clock.advance_seconds(30);
        let (s, r) = act(
            &app,
            &d,
            &id,
            json!({"action": "acknowledge", "unit_id": unit}),
        )
        .await;
        assert_eq!(
            (s, r["status"].as_str()),
            (200, Some("acknowledged")),
            "{r}"
        );
        clock.advance_seconds(270);
        let (s, r) = act(&app, &d, &id, json!({"action": "arrive", "unit_id": unit})).await;
        assert_eq!((s, r["status"].as_str()), (200, Some("on_scene")), "{r}");
        let (_, units) = app.get_json(&d, "/api/v1/units").await;
        let u = units
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["id"] == unit.as_str())
            .unwrap()
            .clone();
        assert_eq!(u["status"], "on_scene");
        clock.advance_seconds(1200);
        let (s, r) = act(
            &app,
            &d,
            &id,
            json!({"action": "resolve", "note": "双方已分开，伤者送医"}),
        )
        .await;
        assert_eq!((s, r["status"].as_str()), (200, Some("resolved")), "{r}");
        clock.advance_seconds(600);
        let (s, e) = act(&app, &d, &id, json!({"action": "report_back"})).await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (422, Some("feedback")),
            "{e}"
        );
        let (s, r) = act(
            &app,
            &d,
            &id,
            json!({"action": "report_back", "feedback": "已处置，伤者无大碍"}),
        )
        .await;
        assert_eq!(
            (s, r["status"].as_str()),
            (200, Some("reported_back")),
            "{r}"
        );
        let (s, r) = act(&app, &d, &id, json!({"action": "close"})).await;
        assert_eq!((s, r["status"].as_str()), (200, Some("closed")), "{r}");

        // receipt→dispatch 90 s (target 60: overdue), dispatch→arrival 300 s (urban level 1: 300, on time),
        // arrival→resolution 1200 s, resolution→feedback 600 s.
        let clocks: Vec<(String, i64, bool, bool)> = r["clocks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["stage"].as_str().unwrap().to_string(),
                    c["seconds"].as_i64().unwrap(),
                    c["overdue"].as_bool().unwrap(),
                    c["running"].as_bool().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            clocks,
            vec![
                ("receipt_to_dispatch".into(), 90, true, false),
                ("dispatch_to_arrival".into(), 300, false, false),
                ("arrival_to_resolution".into(), 1200, false, false),
                ("resolution_to_feedback".into(), 600, false, false),
            ]
        );
        let actions: Vec<&str> = r["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            [
                "receive",
                "dispatch",
                "acknowledge",
                "arrive",
                "resolve",
                "report_back",
                "close"
            ]
        );
        // The unit was released when the incident was resolved.
        let (_, units) = app.get_json(&d, "/api/v1/units").await;
        let u = units
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["id"] == unit.as_str())
            .unwrap()
            .clone();
        assert_eq!(u["status"], "available");

        // Closed is final; the satisfaction call is recorded afterwards.
        let (s, e) = act(
            &app,
            &d,
            &id,
            json!({"action": "dispatch", "unit_ids": [unit]}),
        )
        .await;
        assert_eq!(s, 409, "{e}");
        let (s, r) = act(&app, &d, &id, json!({"action": "callback", "satisfaction": "basically_satisfied", "note": "希望更快"})).await;
        assert_eq!(
            (s, r["satisfaction"].as_str()),
            (200, Some("basically_satisfied")),
            "{r}"
        );

        // Every step is in the audit log.
        let (n,): (i64,) = app
            .db
            .fetch_one(
                "SELECT COUNT(*) FROM audit_log WHERE object_id = ? AND action LIKE 'incident.%'",
                vec![id.as_str().into()],
            )
            .await
            .unwrap();
        assert_eq!(n, 8, "receive + 6 steps + callback");
    }
);

both!(
    responders_act_only_for_their_own_unit,
    |app: TestApp| async move {
        let d = app.client_as("dispatcher").await;
        let (lng, lat) = inside_point(&app, &d, CHENJIA).await;
        let (_, i) = post(&app, &d, "/api/v1/incidents", json!({"type_code": "200100", "description": "斗殴", "address": "陈家社区", "lng": lng, "lat": lat})).await;
        let id = i["id"].as_str().unwrap().to_string();
        let (_, units) = app.get_json(&d, "/api/v1/units").await;
        let car = units
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["call_sign"] == "枫桥1号车")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let (s, r) = act(
            &app,
            &d,
            &id,
            json!({"action": "dispatch", "unit_ids": [car]}),
        )
        .await;
        assert_eq!(s, 200, "{r}");
        // The auxiliary does not crew 枫桥1号车.
        let aux = app.client_as("auxiliary").await;
        let (s, e) = act(&app, &aux, &id, json!({"action": "arrive", "unit_id": car})).await;
        assert_eq!(s, 403, "{e}");
        // The officer who crews it acknowledges without naming the unit, as the phone view does.
        let officer = app.client_as("officer").await;
        let (s, r) = act(&app, &officer, &id, json!({"action": "acknowledge"})).await;
        assert_eq!(
            (s, r["status"].as_str()),
            (200, Some("acknowledged")),
            "{r}"
        );
        assert_eq!(r["units"][0]["state"], "acknowledged");
        // Responders cannot dispatch or close.
        let (s, _) = act(
            &app,
            &officer,
            &id,
            json!({"action": "cancel", "note": "x"}),
        )
        .await;
        assert_eq!(s, 403);
    }
);

both!(
    duplicates_and_repeat_locations_are_suggested,
    |app: TestApp| async move {
        let d = app.client_as("dispatcher").await;
        let (lng, lat) = inside_point(&app, &d, "330681109219001").await;
        let (_, a) = post(&app, &d, "/api/v1/incidents", json!({"type_code": "200100", "description": "打架", "address": "先进村口", "lng": lng, "lat": lat})).await;
        // 60 m away, same category (治安), a minute later: a likely duplicate.
        let (s, b) = post(&app, &d, "/api/v1/incidents", json!({"type_code": "200200", "description": "有人吵架", "address": "先进村口小店", "lng": lng + 0.0006, "lat": lat})).await;
        assert_eq!(s, 201, "{b}");
        let dups = b["suggestions"]["duplicates"].as_array().unwrap();
        assert_eq!(dups.len(), 1, "{b}");
        assert_eq!(dups[0]["id"], a["id"]);
        let dist = dups[0]["distance_m"].as_f64().unwrap();
        assert!((55.0..65.0).contains(&dist), "{dist}");
        // Traffic is another category: no suggestion.
        let (_, c) = post(&app, &d, "/api/v1/incidents", json!({"type_code": "300100", "description": "追尾", "address": "先进村口", "lng": lng, "lat": lat})).await;
        assert!(
            c["suggestions"]["duplicates"]
                .as_array()
                .unwrap()
                .is_empty(),
            "{c}"
        );
        // Merge the duplicate into the first.
        let (s, m) = act(
            &app,
            &d,
            b["id"].as_str().unwrap(),
            json!({"action": "merge", "into": a["id"]}),
        )
        .await;
        assert_eq!(
            (s, m["status"].as_str(), m["merged_into"].as_str()),
            (200, Some("merged"), a["id"].as_str()),
            "{m}"
        );

        // The demo holds two earlier disputes at 枫桥镇陈家村12号: a third one there is a repeat location.
        let (s, r) = post(&app, &d, "/api/v1/incidents", json!({"type_code": "200600", "description": "又在吵", "address": "枫桥镇陈家村12号", "lng": lng, "lat": lat})).await;
        assert_eq!(s, 201, "{r}");
        assert_eq!(r["suggestions"]["repeat_location"]["count"], 3, "{r}");
        // Not for a traffic accident at the same address.
        let (_, t) = post(&app, &d, "/api/v1/incidents", json!({"type_code": "300100", "description": "刮擦", "address": "枫桥镇陈家村12号", "lng": lng, "lat": lat})).await;
        assert!(t["suggestions"]["repeat_location"].is_null(), "{t}");
    }
);

both!(
    camera_webhook_refuses_bad_input_and_audits_it,
    |app: TestApp| async move {
        let body = json!({"camera_id": CAMERA, "event_type": "crowd", "occurred_at": "2026-11-28T08:00:00+08:00"}).to_string();
        let incidents = app.count("incidents").await;
        let cases: Vec<(&str, reqwest::RequestBuilder, u16)> = vec![
            (
                "wrong key",
                signed_with(&app, "not-the-secret", &body, now_secs(&app)),
                401,
            ),
            (
                "no signature",
                client()
                    .post(format!("{}/api/v1/hooks/camera", app.url))
                    .header("content-type", "application/json")
                    .header("x-pingan-timestamp", now_secs(&app).to_string())
                    .body(body.clone()),
                401,
            ),
            (
                "replayed an hour later",
                signed(&app, &body, now_secs(&app) - 3600),
                401,
            ),
            (
                "unknown camera",
                signed(
                    &app,
                    &body.replace(CAMERA, "99999999999999999999"),
                    now_secs(&app),
                ),
                422,
            ),
            (
                "malformed body",
                signed(&app, "{\"camera_id\": ", now_secs(&app)),
                400,
            ),
            (
                "unknown event",
                signed(&app, &body.replace("crowd", "ufo"), now_secs(&app)),
                422,
            ),
        ];
        for (what, req, want) in cases {
            let head = app.audit_head().await;
            let r = req.send().await.unwrap();
            let status = r.status().as_u16();
            let e: Value = r.json().await.unwrap();
            assert_eq!(status, want, "{what}: {e}");
            error_code(&e);
            assert_eq!(
                app.count("incidents").await,
                incidents,
                "{what} stored nothing"
            );
            assert_eq!(app.audit_head().await, head + 1, "{what} is audited");
        }
        let (n,): (i64,) = app
            .db
            .fetch_one("SELECT COUNT(*) FROM audit_log WHERE action = 'incident.camera_alert' AND outcome <> 'ok'", vec![])
            .await
            .unwrap();
        assert_eq!(n, 6);
        // The same body, signed right, goes through.
        let r = signed(&app, &body, now_secs(&app)).send().await.unwrap();
        assert_eq!(r.status(), 201);
        assert_eq!(app.count("incidents").await, incidents + 1);
    }
);

both!(gps_ingest_is_idempotent, |app: TestApp| async move {
    let d = app.client_as("dispatcher").await;
    // Fixes a minute and a few seconds after the demo units' last known positions.
    let at = |s: i64| {
        jiff::Timestamp::from_microsecond(app.state.now() + s * 1_000_000)
            .unwrap()
            .to_string()
    };
    let pings = json!({"pings": [
        {"device_id": "GPS-FQ-01", "at": at(60), "lng": 120.40, "lat": 29.61},
        {"device_id": "GPS-FQ-01", "at": at(65), "lng": 120.401, "lat": 29.611, "speed": 8.5, "heading": 90},
        {"device_id": "GPS-FQ-02", "at": at(60), "lng": 120.38, "lat": 29.60},
        {"device_id": "GPS-NOBODY", "at": at(60), "lng": 120.38, "lat": 29.60}
    ]});
    let (s, r) = post(&app, &d, "/api/v1/units/positions", pings.clone()).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        (
            r["accepted"].as_u64(),
            r["duplicates"].as_u64(),
            r["unknown_devices"].as_u64()
        ),
        (Some(3), Some(0), Some(1))
    );
    let (s, r) = post(&app, &d, "/api/v1/units/positions", pings).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        (r["accepted"].as_u64(), r["duplicates"].as_u64()),
        (Some(0), Some(3))
    );
    assert_eq!(app.count("unit_positions").await, 3);
    let position = |units: &Value| {
        let u = units
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["device_id"] == "GPS-FQ-01")
            .unwrap()
            .clone();
        (u["lng"].as_f64(), u["lat"].as_f64())
    };
    let (_, units) = app.get_json(&d, "/api/v1/units").await;
    assert_eq!(
        position(&units),
        (Some(120.401), Some(29.611)),
        "the newest fix wins"
    );
    // A late, older fix is stored but does not move the unit back.
    let (_, r) = post(
        &app,
        &d,
        "/api/v1/units/positions",
        json!({"pings": [{"device_id": "GPS-FQ-01", "at": at(62), "lng": 120.5, "lat": 29.5}]}),
    )
    .await;
    assert_eq!(r["accepted"].as_u64(), Some(1));
    let (_, units) = app.get_json(&d, "/api/v1/units").await;
    assert_eq!(position(&units), (Some(120.401), Some(29.611)));
    // One bad ping refuses the batch and names it.
    let (s, e) = post(
        &app,
        &d,
        "/api/v1/units/positions",
        json!({"pings": [
        {"device_id": "GPS-FQ-01", "at": at(70), "lng": 120.40, "lat": 29.61},
        {"device_id": "GPS-FQ-01", "at": at(71), "lng": 120.40, "lat": 95.0}]}),
    )
    .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (422, Some("pings[1].lat")),
        "{e}"
    );
    let (s, e) = post(&app, &d, "/api/v1/units/positions", json!({"pings": [{"device_id": "GPS-FQ-01", "at": "yesterday", "lng": 120.40, "lat": 29.61}]})).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (422, Some("pings[0].at")),
        "{e}"
    );
    assert_eq!(app.count("unit_positions").await, 4);
});

/// Reads SSE `change` events until `want` arrives or the deadline passes; returns the ids seen.
async fn ids_until(resp: &mut reqwest::Response, want: &str, secs: u64) -> Vec<String> {
    let mut seen = Vec::new();
    let mut buf = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
    while !seen.iter().any(|s| s == want) {
        let chunk = match tokio::time::timeout_at(deadline, resp.chunk()).await {
            Ok(Ok(Some(c))) => c,
            _ => break,
        };
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let event: String = buf[..end].to_string();
            buf.drain(..end + 2);
            if let Some(data) = event.lines().find_map(|l| l.strip_prefix("data: "))
                && let Ok(v) = serde_json::from_str::<Value>(data)
                && let Some(id) = v["id"].as_str()
            {
                seen.push(id.to_string());
            }
        }
    }
    seen
}

both!(
    the_live_stream_announces_changes_in_scope,
    |app: TestApp| async move {
        let d = app.client_as("dispatcher").await;
        let officer = app.client_as("officer").await;
        let mut d_stream = d
            .get(format!("{}/api/v1/board/stream", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(d_stream.status(), 200);
        assert!(
            d_stream.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/event-stream")
        );
        let mut o_stream = officer
            .get(format!("{}/api/v1/board/stream", app.url))
            .send()
            .await
            .unwrap();
        // Let both subscriptions register before anything changes.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let (jlng, jlat) = inside_point(&app, &d, "330681001001002").await;
        let (_, far) = post(&app, &d, "/api/v1/incidents", json!({"type_code": "100100", "description": "被盗", "address": "暨阳", "lng": jlng, "lat": jlat})).await;
        let (lng, lat) = inside_point(&app, &d, CHENJIA).await;
        let (_, near) = post(&app, &d, "/api/v1/incidents", json!({"type_code": "100100", "description": "被盗", "address": "陈家", "lng": lng, "lat": lat})).await;
        let far = far["id"].as_str().unwrap();
        let near = near["id"].as_str().unwrap();
        let seen = ids_until(&mut d_stream, near, 5).await;
        assert!(
            seen.iter().any(|s| s == far) && seen.iter().any(|s| s == near),
            "dispatcher sees both: {seen:?}"
        );
        // The 枫桥 officer's stream carries the 枫桥 incident and never the 暨阳 one.
        let seen = ids_until(&mut o_stream, near, 5).await;
        assert!(seen.iter().any(|s| s == near), "{seen:?}");
        assert!(
            !seen.iter().any(|s| s == far),
            "out-of-scope change leaked: {seen:?}"
        );
        // No incident-read permission, no stream.
        let gw = app.client_as("gridworker").await;
        let r = gw
            .get(format!("{}/api/v1/board/stream", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
    }
);

both!(
    open311_speaks_xml_and_reports_errors_the_spec_way,
    |app: TestApp| async move {
        let anon = client();
        let r = anon
            .get(format!("{}/open311/v2/services.xml", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/xml")
        );
        let x = r.text().await.unwrap();
        assert!(
            x.contains("<services><service><service_code>100100</service_code>"),
            "{x}"
        );
        let r = anon
            .post(format!("{}/open311/v2/requests.xml", app.url))
            .form(&[
                ("service_code", "777777"),
                ("lat", "29.6"),
                ("long", "120.4"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let x = r.text().await.unwrap();
        assert!(
            x.contains("<errors><error><code>400</code><description>service_code:"),
            "{x}"
        );
        // Parameters in the query string with an empty body are accepted; a JSON body is refused the Open311 way.
        let d = app.client_as("dispatcher").await;
        let (lng, lat) = inside_point(&app, &d, CHENJIA).await;
        let r = anon
            .post(format!("{}/open311/v2/requests.json?service_code=500100&lat={lat}&long={lng}&description=help", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let r = anon
            .post(format!("{}/open311/v2/requests.json", app.url))
            .json(&json!({"service_code": "500100"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 415);
        let e: Value = r.json().await.unwrap();
        assert_eq!(e[0]["code"], 415);
        let r = anon
            .get(format!("{}/open311/v2/discovery.json", app.url))
            .send()
            .await
            .unwrap();
        let disc: Value = r.json().await.unwrap();
        assert!(
            disc["endpoints"][0]["url"]
                .as_str()
                .unwrap()
                .ends_with("/open311/v2"),
            "{disc}"
        );
        assert_eq!(disc["endpoints"][0]["formats"][0], "text/xml");
        let r = anon
            .get(format!("{}/open311/v2/requests/NOSUCHCODE.json", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        let e: Value = r.json().await.unwrap();
        assert_eq!(e[0]["code"], 404);
        // Incidents from the 110 desk are not public.
        post(&app, &d, "/api/v1/incidents", json!({"type_code": "100100", "description": "内部警情", "address": "陈家", "lng": lng, "lat": lat})).await;
        let r = anon
            .get(format!("{}/open311/v2/requests.json", app.url))
            .send()
            .await
            .unwrap();
        let list: Value = r.json().await.unwrap();
        assert!(!list.to_string().contains("内部警情"), "{list}");
        assert!(
            list.as_array()
                .unwrap()
                .iter()
                .all(|q| q["service_request_id"].is_string())
        );
    }
);

both!(
    the_intake_form_answers_every_problem_at_once_beside_its_field,
    |app: TestApp| async move {
        let d = app.client_as("dispatcher").await;
        let before = app.count("incidents").await;
        let r = d
            .post(format!("{}/incidents/new", app.url))
            .form(&[
                ("channel", "call_110"),
                ("type_code", "500100"),
                ("level", "2"),
                ("description", ""),
                ("address", ""),
                ("lng", ""),
                ("lat", ""),
                ("caller_name", "王女士"),
                ("caller_phone", "12345"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let html = r.text().await.unwrap();
        let beside = |field: &str| message_beside(&html, field);
        assert_eq!(beside("description"), "此项必填");
        assert_eq!(beside("address"), "此项必填");
        assert_eq!(beside("location"), "请在地图上点选位置");
        assert!(beside("caller_phone").starts_with("电话号码不正确"));
        assert!(
            html.contains("value=\"12345\"") && html.contains("value=\"王女士\""),
            "typed values are kept"
        );
        assert!(
            !html.contains("must be"),
            "no developer English on a Chinese page"
        );
        assert_eq!(app.count("incidents").await, before, "nothing stored");

        // The API names the same problems, each with its path and code.
        let (s, b) = post(
            &app,
            &d,
            "/api/v1/incidents",
            json!({"type_code": "500100", "description": "", "address": "", "lng": 120.3, "lat": 29.7,
                   "caller_phone": "12345"}),
        )
        .await;
        assert_eq!(s, 422, "{b}");
        let fields: Vec<&str> = b["error"]["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["field"].as_str().unwrap())
            .collect();
        for f in ["description", "address", "caller_phone"] {
            assert!(fields.contains(&f), "{f} in {fields:?}");
        }
    }
);

/// The change `id` as this server's board feed announces it, if within 20 s.
async fn heard(
    feed: &mut tokio::sync::broadcast::Receiver<pingan_server::live::Change>,
    id: &str,
) -> Result<pingan_server::live::Change, tokio::time::error::Elapsed> {
    tokio::time::timeout(std::time::Duration::from_secs(20), async {
        loop {
            let c = feed.recv().await.unwrap();
            if c.id == id {
                break c;
            }
        }
    })
    .await
}

/// Another server's commit reaches this server's board through PostgreSQL `NOTIFY`, not its poll:
/// the poll is set to a minute, and the change is written and announced as another process would
/// (no wake in this process).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_servers_change_reaches_this_board_by_notify() {
    let name = "another_servers_change_reaches_this_board_by_notify";
    let Some(app) = TestApp::spawn(pingan_store::Backend::Postgres, name, |c| {
        c.server.live_poll_ms = 60_000;
    })
    .await
    else {
        return;
    };
    let mut listening = pingan_store::wake::listen(&app.db);
    let mut feed = app.state.live.subscribe();
    listening.wait_for(|n| *n > 0).await.unwrap();
    // Written and announced as another server's commit would be: no wake in this process.
    let announce = |id: &'static str| {
        let db = app.db.clone();
        async move {
            db.execute(
                "INSERT INTO board_changes (at, kind, object_id, area_path) VALUES (?, 'incident', ?, '/330681/')",
                pingan_store::args![pingan_store::now_micros(), id],
            )
            .await
            .unwrap();
            db.execute(
                "SELECT pg_notify(?, 'board:' || current_schema())",
                pingan_store::args![pingan_store::wake::CHANNEL],
            )
            .await
            .unwrap();
        }
    };
    // A first change: once it is through, the listener's start-up wake is spent; the pause lets a
    // read that the first notification itself started end, so only the next one can announce.
    announce("first").await;
    heard(&mut feed, "first")
        .await
        .expect("the first change announced");
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    announce("from-b").await;
    let change = heard(&mut feed, "from-b")
        .await
        .expect("announced long before the minute's poll");
    assert_eq!(change.kind, "incident");
}

/// A change of the incident types on another server drops this server's cached copy at once (the
/// copy would otherwise serve for the configured hour).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_servers_type_change_drops_this_servers_copy() {
    let name = "another_servers_type_change_drops_this_servers_copy";
    let Some(app) = TestApp::spawn(pingan_store::Backend::Postgres, name, |c| {
        c.server.config_cache_seconds = 3600;
    })
    .await
    else {
        return;
    };
    let mut listening = pingan_store::wake::listen(&app.db);
    app.state.follow_changes();
    listening.wait_for(|n| *n > 0).await.unwrap();
    let name_of = |rows: &[pingan_store::incidents::TypeRow]| {
        rows.iter()
            .find(|t| t.code == "200200")
            .map(|t| t.name_zh.clone())
    };
    let before = name_of(&app.state.types.get(&app.db).await.unwrap()).unwrap();
    // Changed and announced as another server's commit would be (nothing invalidated here).
    app.db
        .execute(
            "UPDATE incident_types SET name_zh = '改名后的类别' WHERE code = '200200'",
            pingan_store::args![],
        )
        .await
        .unwrap();
    assert_eq!(
        name_of(&app.state.types.get(&app.db).await.unwrap()).as_deref(),
        Some(before.as_str()),
        "the cached copy serves until told"
    );
    app.db
        .execute(
            "SELECT pg_notify(?, 'config:' || current_schema())",
            pingan_store::args![pingan_store::wake::CHANNEL],
        )
        .await
        .unwrap();
    let mut now = before;
    for _ in 0..400 {
        now = name_of(&app.state.types.get(&app.db).await.unwrap()).unwrap();
        if now != "改名后的类别" {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        } else {
            break;
        }
    }
    assert_eq!(now, "改名后的类别");
}
