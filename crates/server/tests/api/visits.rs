//! 入户走访: a visit raising an incident, a dispute and a risk creates each in the same step, with a
//! link back from the visit (and from the risk to the visit); a bad issue stores nothing — not the
//! visit, not the other issues; a household is an address and registering the same one twice gives
//! the same household; coverage per grid counts households and places visited in the period once.

use super::*;
use helpers::*;
use serde_json::json;

async fn count(app: &TestApp, sql: &str) -> i64 {
    let (n,): (i64,) = app.db.fetch_one(sql, pingan_store::args![]).await.unwrap();
    n
}

both!(
    a_visit_raises_an_incident_a_dispute_and_a_risk_with_links_back,
    |app: TestApp| async move {
        let doc = openapi(&app).await;
        let worker = app.client_as("gridworker").await;
        let (grid,): (String,) = app
            .db
            .fetch_one(
                "SELECT code FROM grids WHERE area_path LIKE ? ORDER BY code LIMIT 1",
                pingan_store::args!["/330681/330681109/330681109004/%"],
            )
            .await
            .unwrap();
        let (lng, lat) = (120.415, 29.6162);
        let (_, itypes) = app.get_json(&worker, "/api/v1/incident-types").await;
        let itype = itypes
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["active"] == true && !t["code"].as_str().unwrap().ends_with("0000"))
            .map(|t| t["code"].as_str().unwrap().to_string())
            .expect("an incident type");

        // The household is registered once, whatever the number of times it is named.
        let h = json!({"grid_code": grid, "address": "陈家社区测试弄1号", "lng": lng, "lat": lat});
        let (s, first) = post(&app, &worker, "/api/v1/households", h.clone()).await;
        assert_eq!(s, 201, "{first}");
        assert_documented(&doc, "post", "/api/v1/households", s, &first);
        let (_, again) = post(&app, &worker, "/api/v1/households", h).await;
        assert_eq!(first["id"], again["id"]);
        let hid = first["id"].as_str().unwrap().to_string();

        let before = (
            count(&app, "SELECT COUNT(*) FROM visits").await,
            count(&app, "SELECT COUNT(*) FROM incidents").await,
            count(&app, "SELECT COUNT(*) FROM disputes").await,
            count(&app, "SELECT COUNT(*) FROM risks").await,
        );
        let incident = json!({"kind": "incident", "type_code": itype,
            "description": "住户反映夜间有人撬电动车锁", "address": "陈家社区测试弄1号", "lng": lng, "lat": lat});
        let dispute = json!({"kind": "dispute", "type_code": "01", "title": "邻里漏水纠纷",
            "description": "楼上漏水，双方协商未果", "lng": lng, "lat": lat});
        // A bad risk (unknown category) stores nothing at all.
        let bad = json!({"household_id": hid, "topics": ["anti_fraud"], "issues": [incident, dispute,
            {"kind": "risk", "title": "楼道堆物", "category": "no_such", "level": "general"}]});
        let (s, e) = post(&app, &worker, "/api/v1/visits", bad).await;
        assert_eq!(s, 422, "{e}");
        assert_documented(&doc, "post", "/api/v1/visits", s, &e);
        assert!(e.to_string().contains("issues[2].category"), "{e}");
        let after = (
            count(&app, "SELECT COUNT(*) FROM visits").await,
            count(&app, "SELECT COUNT(*) FROM incidents").await,
            count(&app, "SELECT COUNT(*) FROM disputes").await,
            count(&app, "SELECT COUNT(*) FROM risks").await,
        );
        assert_eq!(before, after, "nothing stored");
        // A topic outside the list is refused by name (no profiling topics).
        let (s, e) = post(
            &app,
            &worker,
            "/api/v1/visits",
            json!({"household_id": hid, "topics": ["religion"]}),
        )
        .await;
        assert_eq!(s, 422, "{e}");
        assert!(e.to_string().contains("topics"), "{e}");

        let good = json!({"household_id": hid, "topics": ["anti_fraud", "fire"],
            "materials": "反诈宣传册 1 份", "issues": [incident, dispute,
            {"kind": "risk", "title": "楼道堆物", "category": "fire", "level": "general"}]});
        let (s, v) = post(&app, &worker, "/api/v1/visits", good).await;
        assert_eq!(s, 201, "{v}");
        assert_documented(&doc, "post", "/api/v1/visits", s, &v);
        let kinds: Vec<&str> = v["issues"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["incident", "dispute", "risk"]);
        let vid = v["visit"]["id"].as_str().unwrap();
        let id_of = |k: usize| v["issues"][k]["object_id"].as_str().unwrap().to_string();
        let (s, i) = app
            .get_json(&worker, &format!("/api/v1/incidents/{}", id_of(0)))
            .await;
        assert!(s == 200 || s == 403, "{i}");
        let (channel,): (String,) = app
            .db
            .fetch_one(
                "SELECT channel FROM incidents WHERE id = ?",
                pingan_store::args![id_of(0)],
            )
            .await
            .unwrap();
        assert_eq!(channel, "grid_report");
        let (source,): (String,) = app
            .db
            .fetch_one(
                "SELECT source FROM disputes WHERE id = ?",
                pingan_store::args![id_of(1)],
            )
            .await
            .unwrap();
        assert_eq!(source, "visit");
        let (s, r) = app
            .get_json(&worker, &format!("/api/v1/risks/{}", id_of(2)))
            .await;
        assert_eq!(s, 200, "{r}");
        assert_eq!(
            (r["risk"]["visit_id"].as_str(), r["risk"]["source"].as_str()),
            (Some(vid), Some("visit"))
        );
        assert_eq!(r["risk"]["grid_code"].as_str(), Some(grid.as_str()));

        // Coverage: one of the grid's households visited today, counted once after a second visit.
        let (s, _) = post(
            &app,
            &worker,
            "/api/v1/visits",
            json!({"household_id": hid, "topics": ["civil_code"]}),
        )
        .await;
        assert_eq!(s, 201);
        let today = app.state.today().to_string();
        let (s, cov) = app
            .get_json(
                &worker,
                &format!("/api/v1/visit-coverage?from={today}&to={today}"),
            )
            .await;
        assert_eq!(s, 200, "{cov}");
        let row = cov
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["grid_code"] == grid.as_str())
            .unwrap();
        let households = row["households"].as_i64().unwrap();
        assert_eq!(row["households_visited"], 1, "{row}");
        assert_eq!(row["visits"], 2, "{row}");
        assert_eq!(
            row["household_share"].as_i64(),
            Some(100 / households),
            "{row}"
        );
        let (s, e) = app
            .get_json(
                &worker,
                "/api/v1/visit-coverage?from=2026-12-31&to=2026-01-01",
            )
            .await;
        assert_eq!(s, 422, "{e}");
    }
);
