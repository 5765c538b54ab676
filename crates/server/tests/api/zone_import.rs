//! 巡区导入: a station's zones from a GeoJSON layer with the grid import's checks — bad geometry, a
//! name twice, zones overlapping each other or a stored zone are named by feature and property and
//! nothing is written; a good layer is written whole, the jurisdiction it leaves uncovered reported;
//! GCJ-02 input is stored in WGS-84.

use super::*;
use helpers::*;
use serde_json::{Value, json};

fn square(lng: f64, lat: f64, d: f64) -> Value {
    json!({"type": "Polygon", "coordinates": [[[lng - d, lat - d], [lng + d, lat - d], [lng + d, lat + d], [lng - d, lat + d], [lng - d, lat - d]]]})
}

fn feature(name: &str, geometry: Value) -> Value {
    json!({"type": "Feature", "properties": {"name": name}, "geometry": geometry})
}

fn layer(features: Vec<Value>) -> Value {
    json!({"type": "FeatureCollection", "features": features})
}

both!(
    zone_layers_are_checked_like_grids,
    |app: TestApp| async move {
        let chief = app.client_as("chief").await;
        let doc = openapi(&app).await;
        let (station,): (String,) = app
            .db
            .fetch_one("SELECT org_id FROM users WHERE username = 'chief'", vec![])
            .await
            .unwrap();
        let (lng, lat) = inside_point(&app, &chief, "330681109004001").await;
        let bowtie = json!({"type": "Polygon", "coordinates": [[[lng, lat], [lng + 0.002, lat + 0.002],
        [lng + 0.002, lat], [lng, lat + 0.002], [lng, lat]]]});
        let bad = layer(vec![
            feature("东片", square(lng, lat, 0.001)),
            feature("东片南", square(lng + 0.0015, lat, 0.001)),
            feature("西片", bowtie),
            feature("东片", square(lng - 0.01, lat, 0.001)),
        ]);
        let url = "/api/v1/patrol-zones/import";
        let (s, report) = post(
            &app,
            &chief,
            url,
            json!({"station_org_id": station, "layer": bad, "dry_run": true}),
        )
        .await;
        assert_eq!(s, 200, "{report}");
        assert_documented(&doc, "post", url, s, &report);
        let problems: Vec<(i64, String)> = report["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["feature"].as_i64().unwrap(),
                    p["property"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(
            problems,
            vec![
                (1, "geometry".to_string()),
                (2, "geometry".to_string()),
                (3, "geometry".to_string()),
                (4, "name".to_string()),
            ],
            "{report}"
        );
        assert!(
            report["problems"][0]["message"]
                .as_str()
                .unwrap()
                .contains("overlaps 东片南"),
            "{report}"
        );
        assert_eq!(report["problems"][0]["code"], "patrol_zone_overlap");
        assert_eq!(report["problems"][0]["params"]["other"], "东片南");
        assert!(report["zones"].as_array().unwrap().is_empty(), "{report}");
        let before = app.count("patrol_zones").await;
        let head = app.audit_head().await;
        let (s, e) = post(
            &app,
            &chief,
            url,
            json!({"station_org_id": station, "layer": bad}),
        )
        .await;
        assert_eq!(s, 422, "{e}");
        assert_documented(&doc, "post", url, s, &e);
        assert_eq!(
            e["error"]["problems"][2]["field"], "layer.features[2].geometry",
            "{e}"
        );
        assert_eq!(app.count("patrol_zones").await, before, "nothing written");
        assert_eq!(app.audit_head().await, head);

        // A good layer (in GCJ-02): both zones written, the rest of the jurisdiction reported as gaps.
        let good = layer(vec![
            feature("老街片", square(lng, lat, 0.001)),
            feature("新区片", square(lng + 0.003, lat, 0.001)),
        ]);
        let (s, r) = post(
            &app,
            &chief,
            url,
            json!({"station_org_id": station, "layer": good, "crs": "gcj02"}),
        )
        .await;
        assert_eq!(s, 200, "{r}");
        assert_documented(&doc, "post", url, s, &r);
        assert_eq!(r["created"].as_array().unwrap().len(), 2, "{r}");
        assert_eq!(app.count("patrol_zones").await, before + 2);
        assert!(
            !r["gaps"].as_array().unwrap().is_empty(),
            "the station's land is not all zoned: {r}"
        );
        let stored_lng = r["created"][0]["geometry"]["coordinates"][0][0][0]
            .as_f64()
            .or(r["created"][0]["geometry"]["coordinates"][0][0][0][0].as_f64())
            .unwrap();
        let d = (stored_lng - (lng - 0.001)).abs();
        assert!(
            d > 0.003 && d < 0.007,
            "GCJ-02 → WGS-84 moves a few hundred metres: {d}"
        );

        // The same names again: taken.
        let (s, e) = post(
            &app,
            &chief,
            url,
            json!({"station_org_id": station, "layer": good, "crs": "gcj02"}),
        )
        .await;
        assert_eq!(s, 422, "{e}");
        assert_eq!(app.count("patrol_zones").await, before + 2);
        // A station out of the chief's scope (another township's) is refused like a missing one.
        let other: Option<(String,)> = app
            .db
            .fetch_optional(
                "SELECT id FROM orgs WHERE kind = 'station' AND id <> ? ORDER BY id LIMIT 1",
                pingan_store::args![station.as_str()],
            )
            .await
            .unwrap();
        let (other,) = other.expect("the demo has another station");
        let (s, e) = post(
            &app,
            &chief,
            url,
            json!({"station_org_id": other, "layer": good, "dry_run": true}),
        )
        .await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (422, Some("station_org_id")),
            "{e}"
        );
        // Not a station: refused before any feature is read.
        let (org,): (String,) = app
            .db
            .fetch_one(
                "SELECT org_id FROM users WHERE username = 'gridworker'",
                vec![],
            )
            .await
            .unwrap();
        let (s, e) = post(
            &app,
            &chief,
            url,
            json!({"station_org_id": org, "layer": good, "dry_run": true}),
        )
        .await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (422, Some("station_org_id")),
            "{e}"
        );
    }
);
