//! Implausible values — well-formed but impossible — get a 422 naming their field and store nothing:
//! the values an independent probe sent (issue 17).

use super::*;
use helpers::*;
use serde_json::json;

fn field(body: &serde_json::Value) -> String {
    body["error"]["field"].as_str().unwrap_or("").to_string()
}

both!(
    implausible_report_times_are_refused,
    |app: TestApp| async move {
        let d = app.client_as("dispatcher").await;
        let (lng, lat) = inside_point(&app, &d, "330681001001002").await;
        let before = app.count("incidents").await;
        let audit = app.audit_head().await;
        for reported_at in [
            "0001-01-01T00:00:00Z",
            "-000001-01-01T00:00:00Z",
            "1900-01-01T08:00:00+08:00",
            "2099-01-01T08:00:00+08:00",
            "2026-11-28T08:30:00+25:00",
        ] {
            let (s, b) = post(
                &app,
                &d,
                "/api/v1/incidents",
                json!({"type_code": "100100", "description": "被盗",
            "address": "陈家", "lng": lng, "lat": lat, "reported_at": reported_at}),
            )
            .await;
            assert_eq!(
                (s, field(&b)),
                (422, "reported_at".into()),
                "{reported_at}: {b}"
            );
        }
        assert_eq!(app.count("incidents").await, before);
        assert_eq!(app.audit_head().await, audit, "nothing was written");
        // A report from a minute ago is fine.
        let recent = jiff::Timestamp::from_microsecond(app.state.now() - 60_000_000).unwrap();
        let (s, b) = post(
            &app,
            &d,
            "/api/v1/incidents",
            json!({"type_code": "100100", "description": "被盗",
        "address": "陈家", "lng": lng, "lat": lat, "reported_at": recent.to_string()}),
        )
        .await;
        assert_eq!(s, 201, "{b}");
    }
);

both!(
    implausible_gps_pings_are_refused,
    |app: TestApp| async move {
        let d = app.client_as("dispatcher").await;
        let now = jiff::Timestamp::from_microsecond(app.state.now())
            .unwrap()
            .to_string();
        let before = app.count("unit_positions").await;
        for (ping, named) in [
            (
                json!({"device_id": "GPS-FQ-01", "at": "0001-01-01T00:00:00Z", "lng": 120.40, "lat": 29.61}),
                "pings[0].at",
            ),
            (
                json!({"device_id": "GPS-FQ-01", "at": now, "lng": 120.40, "lat": 29.61, "speed": -1e300}),
                "pings[0].speed",
            ),
            (
                json!({"device_id": "GPS-FQ-01", "at": now, "lng": 120.40, "lat": 29.61, "heading": 1e300}),
                "pings[0].heading",
            ),
            (
                json!({"device_id": "GPS-FQ-01", "at": now, "lng": 120.40, "lat": 29.61, "speed": 400.0}),
                "pings[0].speed",
            ),
            (
                json!({"device_id": "GPS-FQ-01", "at": now, "lng": 120.40, "lat": 29.61, "heading": -5}),
                "pings[0].heading",
            ),
        ] {
            let (s, b) = post(
                &app,
                &d,
                "/api/v1/units/positions",
                json!({"pings": [ping]}),
            )
            .await;
            assert_eq!((s, field(&b)), (422, named.into()), "{ping}: {b}");
        }
        assert_eq!(app.count("unit_positions").await, before);
        let (s, b) = post(&app, &d, "/api/v1/units/positions", json!({"pings": [
        {"device_id": "GPS-FQ-01", "at": now, "lng": 120.40, "lat": 29.61, "speed": 12.5, "heading": 360}]})).await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(app.count("unit_positions").await, before + 1);
    }
);

both!(
    implausible_dispute_amounts_and_due_dates_are_refused,
    |app: TestApp| async move {
        let town = app.client_as("mediator").await;
        let (lng, lat) = inside_point(&app, &town, super::mediation::CHENJIA_GRID).await;
        let before = app.count("disputes").await;
        for amount in [
            json!(9223372036854775807i64),
            json!(-1),
            json!(10_000_000_001i64),
        ] {
            let (s, b) = post(
                &app,
                &town,
                "/api/v1/disputes",
                json!({
            "type_code": "02", "title": "邻里纠纷", "description": "围墙界址争执",
            "address": "枫桥镇陈家村 8 号", "lng": lng, "lat": lat, "amount_yuan": amount,
            "parties": []}),
            )
            .await;
            assert_eq!((s, field(&b)), (422, "amount_yuan".into()), "{amount}: {b}");
        }
        assert_eq!(app.count("disputes").await, before);

        let d = super::mediation::register(&app, &town, json!({})).await;
        let id = d["id"].as_str().unwrap();
        let agreements = app.count("dispute_agreements").await;
        for due in ["0001-01-01", "9999-12-31"] {
            let mut a = super::mediation::agreement("孙调解");
            a["terms"][1]["due_date"] = json!(due);
            let (s, b) = post(&app, &town, &format!("/api/v1/disputes/{id}/agreement"), a).await;
            assert_eq!(
                (s, field(&b)),
                (422, "terms[1].due_date".into()),
                "{due}: {b}"
            );
        }
        assert_eq!(app.count("dispute_agreements").await, agreements);
    }
);
