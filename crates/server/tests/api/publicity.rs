//! 法治宣传: a campaign's targets per setting, events recorded in grids of its area (not outside it),
//! events against target, and the before/after comparison checked against the incidents stored,
//! counted independently here.

use super::*;
use helpers::*;
use serde_json::{Value, json};

const DAY_US: i64 = 86_400_000_000;

async fn incidents_in(app: &TestApp, grid: &str, from: i64, to: i64) -> i64 {
    let (n,): (i64,) = app
        .db
        .fetch_one(
            "SELECT COUNT(*) FROM incidents WHERE grid_code = ? AND received_at >= ? AND received_at < ?",
            pingan_store::args![grid, from, to],
        )
        .await
        .unwrap();
    n
}

fn fields(e: &Value) -> String {
    e["error"].to_string()
}

both!(
    a_publicity_campaign_counts_events_against_targets_and_compares_honestly,
    |app: TestApp| async move {
        let doc = openapi(&app).await;
        let coordinator = app.client_as("coordinator").await;
        let officer = app.client_as("officer").await;
        let today = app.state.today().to_string();

        let bad = json!({"name": "民法典进社区", "area_path": "/330681/330681109/", "starts_on": today,
            "ends_on": today, "targets": [{"setting": "community", "events": 3}, {"setting": "community", "events": 1}]});
        let (s, e) = post(&app, &coordinator, "/api/v1/publicity-campaigns", bad).await;
        assert_eq!(s, 422, "{e}");
        assert_documented(&doc, "post", "/api/v1/publicity-campaigns", s, &e);
        assert!(fields(&e).contains("targets[1].events"), "{e}");
        let (s, _) = post(
            &app,
            &officer,
            "/api/v1/publicity-campaigns",
            json!({"name": "x",
            "area_path": "/330681/330681109/", "starts_on": today, "ends_on": today,
            "targets": [{"setting": "school", "events": 1}]}),
        )
        .await;
        assert_eq!(s, 403);
        let (s, c) = post(&app, &coordinator, "/api/v1/publicity-campaigns", json!({"name": "民法典进社区（测试）",
            "area_path": "/330681/330681109/", "starts_on": today, "ends_on": today,
            "targets": [{"setting": "community", "events": 3}, {"setting": "school", "events": 1}]})).await;
        assert_eq!(s, 201, "{c}");
        assert_documented(&doc, "post", "/api/v1/publicity-campaigns", s, &c);
        let id = c["id"].as_str().unwrap().to_string();

        // An incident before the event, at a point in 枫桥镇; its grid is where the event is held.
        let (_, types) = app.get_json(&officer, "/api/v1/incident-types").await;
        let itype = types
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["active"] == true && !t["code"].as_str().unwrap().ends_with("0000"))
            .map(|t| t["code"].as_str().unwrap().to_string())
            .unwrap();
        let incident = json!({"type_code": itype, "description": "测试警情", "address": "枫桥镇陈家社区",
            "lng": 120.415, "lat": 29.6162});
        let (s, i) = post(&app, &officer, "/api/v1/incidents", incident.clone()).await;
        assert_eq!(s, 201, "{i}");
        let grid = i["incident"]["grid_code"]
            .as_str()
            .or(i["grid_code"].as_str())
            .expect("a grid")
            .to_string();
        app.state.clock.advance_seconds(3_600);

        // Outside the campaign's area the grid is refused by name.
        let (outside,): (String,) = app.db.fetch_one(
            "SELECT code FROM grids WHERE area_path NOT LIKE '/330681/330681109/%' ORDER BY code LIMIT 1",
            pingan_store::args![]).await.unwrap();
        let event = |g: &str| json!({"setting": "community", "place": "陈家社区文化礼堂", "grid_code": g, "attendance": 80});
        let (s, e) = post(
            &app,
            &officer,
            &format!("/api/v1/publicity-campaigns/{id}/events"),
            event(&outside),
        )
        .await;
        assert_eq!(s, 422, "{e}");
        assert!(fields(&e).contains("grid_code"), "{e}");
        let (s, ev) = post(
            &app,
            &officer,
            &format!("/api/v1/publicity-campaigns/{id}/events"),
            event(&grid),
        )
        .await;
        assert_eq!(s, 201, "{ev}");
        assert_documented(
            &doc,
            "post",
            "/api/v1/publicity-campaigns/{id}/events",
            s,
            &ev,
        );
        let first = ev["held_at"].as_i64().unwrap();

        // Same day: no comparison yet.
        let (s, d) = app
            .get_json(&coordinator, &format!("/api/v1/publicity-campaigns/{id}"))
            .await;
        assert_eq!(s, 200, "{d}");
        assert!(d["comparison"].is_null(), "{d}");
        let community = d["settings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["setting"] == "community")
            .unwrap();
        assert_eq!(
            (
                community["held"].as_i64(),
                community["target"].as_i64(),
                community["attendance"].as_i64()
            ),
            (Some(1), Some(3), Some(80))
        );
        assert_eq!(d["grids_reached"], 1);

        // An incident after the event; two days on the comparison counts both sides.
        app.state.clock.advance_seconds(3_600);
        let (s, _) = post(&app, &officer, "/api/v1/incidents", incident).await;
        assert_eq!(s, 201);
        app.state.clock.advance_seconds(2 * 86_400);
        let (s, d) = app
            .get_json(
                &coordinator,
                &format!("/api/v1/publicity-campaigns/{id}?window_days=30"),
            )
            .await;
        assert_eq!(s, 200, "{d}");
        assert_documented(&doc, "get", "/api/v1/publicity-campaigns/{id}", s, &d);
        let before = incidents_in(&app, &grid, first - 2 * DAY_US, first).await;
        let after = incidents_in(&app, &grid, first, first + 2 * DAY_US).await;
        assert!(before >= 1 && after >= 1, "{before} {after}");
        let c = &d["comparison"];
        assert_eq!(
            (
                c["reached_incidents"]["before"].as_i64(),
                c["reached_incidents"]["after"].as_i64()
            ),
            (Some(before), Some(after)),
            "{c}"
        );
        assert_eq!(c["reached_grids"], 1);
        assert_eq!(c["window_days"], 30);
        let (s, _) = app
            .get_json(
                &coordinator,
                &format!("/api/v1/publicity-campaigns/{id}?window_days=3"),
            )
            .await;
        assert_eq!(s, 422);
    }
);
