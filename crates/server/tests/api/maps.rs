//! Map search and labels over the demo district: residents find townships, villages and grids by
//! Chinese, full pinyin or pinyin initials; staff also find places within their scope; labels list
//! the areas and grids with their points.

use super::*;
use helpers::*;
use serde_json::Value;

async fn search(app: &TestApp, c: &reqwest::Client, path: &str, q: &str) -> Vec<Value> {
    let (s, v) = app.get_json(c, &format!("{path}?q={}", urlencode(q))).await;
    assert_eq!(s, 200, "{v}");
    v.as_array().unwrap().clone()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

both!(
    residents_find_the_township_by_name_and_by_initials,
    |app: TestApp| async move {
        let anon = client();
        for q in ["枫桥", "fqz", "fengqiao"] {
            let hits = search(&app, &anon, "/api/v1/public/search", q).await;
            assert_eq!(
                hits.first().map(|h| h["name"].clone()),
                Some("枫桥镇".into()),
                "{q}: {hits:?}"
            );
            assert_eq!(hits[0]["kind"], "township");
            assert_eq!(hits[0]["kind_label"], "镇街");
            let (lng, lat) = (
                hits[0]["lng"].as_f64().unwrap(),
                hits[0]["lat"].as_f64().unwrap(),
            );
            assert!(
                (119.0..122.0).contains(&lng) && (28.0..31.0).contains(&lat),
                "{lng},{lat}"
            );
        }
        let hits = search(&app, &anon, "/api/v1/public/search", "cjsq").await;
        assert!(hits.iter().any(|h| h["name"] == "陈家社区"), "{hits:?}");
        assert!(
            search(&app, &anon, "/api/v1/public/search", "")
                .await
                .is_empty()
        );

        // A place is found by staff in scope, never by residents.
        let admin = app.client_as("gridworker").await;
        let (lng, lat) = inside_point(&app, &admin, "330681109004002").await;
        let (s, p) = post(
            &app,
            &admin,
            "/api/v1/places",
            serde_json::json!({
        "name": "枫源小学", "kind": "school", "address": "陈家村 1 号", "lng": lng, "lat": lat}),
        )
        .await;
        assert_eq!(s, 201, "{p}");
        app.state.gazetteer.invalidate();
        let staff = search(&app, &admin, "/api/v1/geo/search", "fyxx").await;
        assert_eq!(
            staff.first().map(|h| h["name"].clone()),
            Some("枫源小学".into()),
            "{staff:?}"
        );
        assert_eq!(staff[0]["kind"], "place");
        assert!(
            search(&app, &anon, "/api/v1/public/search", "fyxx")
                .await
                .is_empty()
        );
        let (s, _) = app.get_json(&anon, "/api/v1/geo/search?q=fyxx").await;
        assert_eq!(s, 401);

        let (s, labels) = app.get_json(&anon, "/api/v1/public/labels").await;
        assert_eq!(s, 200);
        let labels = labels.as_array().unwrap();
        assert!(
            labels
                .iter()
                .any(|l| l["name"] == "枫桥镇" && l["kind"] == "township")
        );
        assert!(labels.iter().any(|l| l["kind"] == "grid"));
        assert!(
            labels.iter().all(|l| l["kind"] != "place"),
            "labels are areas and grids only"
        );
    }
);
