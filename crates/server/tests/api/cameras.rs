//! 雪亮工程: cameras around a point P of 陈家 with sectors that hold P or not — across north, exactly
//! at the range and a centimetre short of it, looking away — and heartbeats that leave one camera
//! offline at T; "which cameras could have seen P at T" names exactly the right ones. Footage
//! requests: filed for an incident in reach (404 for one out of reach, incident or case), decided by
//! the chief and never by the requester, refused only with a reason, exported once; each step
//! audited with the purpose.

use super::*;
use helpers::*;
use serde_json::{Value, json};

const CHENJIA_GRID: &str = "330681109004002";
const FAR_GRID: &str = "330681001001003";
const MIN: i64 = 60_000_000;

fn heartbeat(app: &TestApp, body: &str) -> reqwest::RequestBuilder {
    let ts = (app.state.now() / 1_000_000).to_string();
    let sig = pingan_server::signed::signature(CAMERA_SECRET, &ts, body.as_bytes());
    client()
        .post(format!("{}/api/v1/hooks/camera-heartbeat", app.url))
        .header("content-type", "application/json")
        .header("x-pingan-timestamp", ts)
        .header("x-pingan-signature", sig)
        .body(body.to_string())
}

fn rfc(t: i64) -> String {
    jiff::Timestamp::from_microsecond(t).unwrap().to_string()
}

both!(
    which_cameras_could_have_seen_a_point,
    |app: TestApp| async move {
        let d = app.client_as("dispatcher").await;
        let doc = openapi(&app).await;
        let (plng, plat) = inside_point(&app, &d, CHENJIA_GRID).await;
        // The server projects around the point: so do we, to place cameras at exact offsets.
        let proj = pingan_geo::Projection::gauss_kruger_3deg(plng);
        let (px, py) = proj.forward(plng, plat);
        let at_offset = |east: f64, north: f64| proj.inverse(px + east, py + north);
        let cams: [(&str, (f64, f64), Value); 6] = [
            // 50 m south looking 350° ± 20°: P is due north (0°), inside across north.
            (
                "CAM-N1",
                (0.0, -50.0),
                json!({"direction_deg": 350.0, "fov_deg": 40.0, "range_m": 60.0}),
            ),
            // 80 m west looking east; its range exactly the distance, and one a centimetre short.
            (
                "CAM-R1",
                (-80.0, 0.0),
                json!({"direction_deg": 90.0, "fov_deg": 30.0, "range_m": 80.0}),
            ),
            (
                "CAM-R2",
                (-80.0, 0.0),
                json!({"direction_deg": 90.0, "fov_deg": 30.0, "range_m": 79.99}),
            ),
            // 30 m east looking west at P, but offline at T.
            (
                "CAM-OFF",
                (30.0, 0.0),
                json!({"direction_deg": 270.0, "fov_deg": 90.0, "range_m": 100.0}),
            ),
            // 30 m north looking north: away from P.
            (
                "CAM-AWAY",
                (0.0, 30.0),
                json!({"direction_deg": 0.0, "fov_deg": 120.0, "range_m": 100.0}),
            ),
            // 20 m south looking 10° ± 5°: P (0°) is just outside.
            (
                "CAM-NARROW",
                (0.0, -20.0),
                json!({"direction_deg": 10.0, "fov_deg": 10.0, "range_m": 100.0}),
            ),
        ];
        for (code, (e, n), sector) in &cams {
            let (lng, lat) = at_offset(*e, *n);
            let (s, c) = post(&app, &d, "/api/v1/cameras", json!({"code": code, "name": format!("测试{code}"), "kind": "road", "lng": lng, "lat": lat})).await;
            assert_eq!(s, 201, "{c}");
            let r = d
                .put(format!("{}/api/v1/camera-sites/{code}/sector", app.url))
                .json(&json!({"owner": "community", "sector": sector}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 200);
            let v: Value = r.json().await.unwrap();
            assert_documented(&doc, "put", "/api/v1/camera-sites/{code}/sector", 200, &v);
            assert_eq!(v["owner"], "community");
        }
        // A bad sector is refused beside its field.
        let r = d
            .put(format!("{}/api/v1/camera-sites/CAM-N1/sector", app.url))
            .json(&json!({"owner": "community", "sector": {"direction_deg": 360.0, "fov_deg": 40.0, "range_m": 60.0}}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 422);
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["error"]["field"], "sector.direction_deg", "{e}");

        // T an hour ago. N1 beats a minute before T; OFF beat twenty minutes before T and again ten
        // after: silent for 30 minutes, offline from five minutes after its first beat.
        let t = app.state.now() - 60 * MIN;
        let beats = json!({"heartbeats": [
            {"camera_id": "CAM-OFF", "online": true, "at": rfc(t - 20 * MIN)},
            {"camera_id": "CAM-N1", "online": true, "at": rfc(t - MIN)},
            {"camera_id": "CAM-OFF", "online": true, "at": rfc(t + 10 * MIN)},
            {"camera_id": "NO-SUCH-CAMERA", "online": true, "at": rfc(t)},
        ]})
        .to_string();
        // Unsigned: refused, nothing recorded.
        let r = client()
            .post(format!("{}/api/v1/hooks/camera-heartbeat", app.url))
            .header("content-type", "application/json")
            .body(beats.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 401);
        assert_eq!(app.count("camera_status_changes").await, 0);
        let r = heartbeat(&app, &beats).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let hb: Value = r.json().await.unwrap();
        assert_documented(&doc, "post", "/api/v1/hooks/camera-heartbeat", 200, &hb);
        // OFF: online at T-20, offline at T-15, online at T+10; N1: online at T-1.
        assert_eq!(
            hb,
            json!({"recorded": 3, "changes": 4, "unknown_cameras": 1})
        );

        let (s, w) = app
            .get_json(
                &d,
                &format!(
                    "/api/v1/camera-sites/witnesses?lng={plng}&lat={plat}&at={}",
                    rfc(t).replace('+', "%2B")
                ),
            )
            .await;
        assert_eq!(s, 200, "{w}");
        assert_documented(&doc, "get", "/api/v1/camera-sites/witnesses", 200, &w);
        let codes = |list: &Value| -> Vec<String> {
            list.as_array()
                .unwrap()
                .iter()
                .map(|c| c["code"].as_str().unwrap().to_string())
                .collect()
        };
        // Nearest first: N1 at 50 m (by heartbeat), R1 at 80 m (by the registry).
        assert_eq!(codes(&w["could_have_seen"]), ["CAM-N1", "CAM-R1"], "{w}");
        assert_eq!(w["could_have_seen"][0]["status_from"], "heartbeat");
        assert_eq!(w["could_have_seen"][1]["status_from"], "registry");
        assert!((w["could_have_seen"][1]["distance_m"].as_f64().unwrap() - 80.0).abs() < 1e-6);
        assert!(
            (w["could_have_seen"][0]["bearing_deg"].as_f64().unwrap())
                .min(360.0 - w["could_have_seen"][0]["bearing_deg"].as_f64().unwrap())
                < 1e-6
        );
        assert_eq!(codes(&w["offline"]), ["CAM-OFF"], "{w}");
        // Twelve minutes later OFF is back online (its beat at T+10) and N1 has been silent past
        // the timeout.
        let (_, w2) = app
            .get_json(
                &d,
                &format!(
                    "/api/v1/camera-sites/witnesses?lng={plng}&lat={plat}&at={}",
                    rfc(t + 12 * MIN).replace('+', "%2B")
                ),
            )
            .await;
        assert_eq!(codes(&w2["could_have_seen"]), ["CAM-OFF", "CAM-R1"], "{w2}");
        assert_eq!(codes(&w2["offline"]), ["CAM-N1"], "{w2}");
        let (s, sites) = app.get_json(&d, "/api/v1/camera-sites").await;
        assert_eq!(s, 200);
        assert_documented(&doc, "get", "/api/v1/camera-sites", 200, &sites);
        let off = sites
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["code"] == "CAM-OFF")
            .unwrap();
        // Its latest beat was 50 minutes ago: offline now, past the five-minute timeout.
        assert_eq!(off["online"], false);
        assert_eq!(off["last_heartbeat_at"].as_i64(), Some(t + 10 * MIN));
    }
);

both!(
    footage_requests_are_decided_by_the_chief_and_audited,
    |app: TestApp| async move {
        let officer = app.client_as("officer").await;
        let chief = app.client_as("chief").await;
        let doc = openapi(&app).await;
        let (lng, lat) = inside_point(&app, &officer, CHENJIA_GRID).await;
        let now = app.state.now();
        plant_incident(&app, lng, lat, now - 60 * MIN, "100100", "陈家调取测试").await;
        let (flng, flat) = inside_point(&app, &app.client_as("dispatcher").await, FAR_GRID).await;
        plant_incident(&app, flng, flat, now - 60 * MIN, "100100", "暨阳调取测试").await;
        let id_of = |addr: &'static str| {
            let app = &app;
            async move {
                let (id,): (String,) = app
                    .db
                    .fetch_one(
                        "SELECT id FROM incidents WHERE address = ?",
                        pingan_store::args![addr],
                    )
                    .await
                    .unwrap();
                id
            }
        };
        let (near, far) = (id_of("陈家调取测试").await, id_of("暨阳调取测试").await);
        let camera = "33068110901320000001";
        let body = |link: Value| {
            let mut b = json!({"camera_code": camera, "purpose": "查看斗殴经过，固定证据",
                "from": rfc(now - 90 * MIN), "to": rfc(now - 30 * MIN)});
            for (k, v) in link.as_object().unwrap() {
                b[k] = v.clone();
            }
            b
        };
        // Out of reach: an incident of another station, and a case of another station, are 404.
        let before = app.count("footage_requests").await;
        let (s, e) = post(
            &app,
            &officer,
            "/api/v1/footage-requests",
            body(json!({"incident_id": far})),
        )
        .await;
        assert_eq!(s, 404, "{e}");
        assert_documented(&doc, "post", "/api/v1/footage-requests", 404, &e);
        pingan_server::cases::demo::ensure(&app.db, &app.state.config)
            .await
            .unwrap();
        let (station_path,): (String,) = app
            .db
            .fetch_one(
                "SELECT o.path FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.username = 'officer'",
                vec![],
            )
            .await
            .unwrap();
        // A demo case moved to another station (暨阳) for the test.
        let (case_id,): (String,) = app
            .db
            .fetch_one("SELECT id FROM cases ORDER BY id LIMIT 1", vec![])
            .await
            .unwrap();
        let (jy_path,): (String,) = app
            .db
            .fetch_one("SELECT path FROM orgs WHERE name = '暨阳派出所'", vec![])
            .await
            .unwrap();
        assert!(!jy_path.starts_with(&station_path));
        app.db
            .execute(
                "UPDATE cases SET org_path = ?, area_path = '/330681/330681001/' WHERE id = ?",
                pingan_store::args![jy_path.as_str(), case_id.as_str()],
            )
            .await
            .unwrap();
        let other_cases = [(case_id,)];
        let (s, e) = post(
            &app,
            &officer,
            "/api/v1/footage-requests",
            body(json!({"case_id": other_cases[0].0})),
        )
        .await;
        assert_eq!(s, 404, "{e}");
        // Values: no link, both links, a week-long period, a one-word purpose.
        for (b, field) in [
            (body(json!({})), "incident_id"),
            (
                body(json!({"incident_id": near, "case_id": other_cases[0].0})),
                "incident_id",
            ),
            (
                body(json!({"incident_id": near, "to": rfc(now + 7 * 24 * 60 * MIN)})),
                "to",
            ),
            (
                body(json!({"incident_id": near, "purpose": "看"})),
                "purpose",
            ),
        ] {
            let (s, e) = post(&app, &officer, "/api/v1/footage-requests", b).await;
            assert_eq!((s, e["error"]["field"].as_str()), (422, Some(field)), "{e}");
        }
        assert_eq!(app.count("footage_requests").await, before);

        // Filed, then decided by the chief; the officer may not decide.
        let (s, r) = post(
            &app,
            &officer,
            "/api/v1/footage-requests",
            body(json!({"incident_id": near})),
        )
        .await;
        assert_eq!(s, 201, "{r}");
        assert_documented(&doc, "post", "/api/v1/footage-requests", 201, &r);
        assert_eq!(r["status"], "requested");
        let id = r["id"].as_str().unwrap().to_string();
        let path = |step: &str| format!("/api/v1/footage-requests/{id}/{step}");
        let (s, _) = post(&app, &officer, &path("approve"), json!({})).await;
        assert_eq!(s, 403);
        let (s, e) = post(&app, &chief, &path("refuse"), json!({})).await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (422, Some("note")),
            "{e}"
        );
        let (s, e) = post(
            &app,
            &officer,
            &path("export"),
            json!({"export_ref": "早了"}),
        )
        .await;
        assert_eq!(s, 409, "{e}");
        let (s, a) = post(&app, &chief, &path("approve"), json!({"note": "同意"})).await;
        assert_eq!(s, 200, "{a}");
        assert_documented(
            &doc,
            "post",
            "/api/v1/footage-requests/{id}/approve",
            200,
            &a,
        );
        assert_eq!(a["status"], "approved");
        let (s, _) = post(&app, &chief, &path("refuse"), json!({"note": "改主意"})).await;
        assert_eq!(s, 409);
        let (s, x) = post(
            &app,
            &officer,
            &path("export"),
            json!({"export_ref": "平台导出 EX-2026-0001"}),
        )
        .await;
        assert_eq!(s, 200, "{x}");
        assert_eq!(
            (x["status"].as_str(), x["export_ref"].as_str()),
            (Some("exported"), Some("平台导出 EX-2026-0001"))
        );
        let (s, _) = post(
            &app,
            &officer,
            &path("export"),
            json!({"export_ref": "again"}),
        )
        .await;
        assert_eq!(s, 409);

        // The chief's own request is decided by someone else.
        let (s, own) = post(
            &app,
            &chief,
            "/api/v1/footage-requests",
            body(json!({"incident_id": near})),
        )
        .await;
        assert_eq!(s, 201, "{own}");
        let (s, e) = post(
            &app,
            &chief,
            &format!(
                "/api/v1/footage-requests/{}/approve",
                own["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
        assert_eq!(s, 403, "{e}");
        let (s, refused) = post(
            &app,
            &chief,
            &format!(
                "/api/v1/footage-requests/{}/refuse",
                own["id"].as_str().unwrap()
            ),
            json!({"note": "自己不能批"}),
        )
        .await;
        assert_eq!(s, 403, "{refused}");

        // Listed for whoever reaches the incident; out of reach, missing.
        let (s, l) = app.get_json(&officer, "/api/v1/footage-requests").await;
        assert_eq!(s, 200);
        assert_documented(&doc, "get", "/api/v1/footage-requests", 200, &l);
        assert_eq!(l.as_array().unwrap().len(), 2);
        let (s, _) = app
            .get_json(
                &app.client_as("partner").await,
                &format!("/api/v1/footage-requests/{id}"),
            )
            .await;
        assert!(s == 403 || s == 404, "{s}");

        // Every step on record, with the purpose.
        let rows: Vec<(String, Option<String>)> = app
            .db
            .fetch_all(
                "SELECT action, purpose FROM audit_log WHERE object_type = 'footage_request' AND object_id = ? ORDER BY seq",
                pingan_store::args![id.as_str()],
            )
            .await
            .unwrap();
        let actions: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
        assert_eq!(
            actions,
            ["footage.request", "footage.approve", "footage.export"]
        );
        assert!(
            rows.iter()
                .all(|r| r.1.as_deref() == Some("查看斗殴经过，固定证据"))
        );
    }
);
