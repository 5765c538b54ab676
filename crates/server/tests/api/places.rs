use super::*;
use helpers::*;
use serde_json::{Value, json};

both!(
    places_get_their_grid_from_the_location,
    |app: TestApp| async move {
        let gw = app.client_as("gridworker").await;
        let (lng, lat) = inside_point(&app, &gw, "330681109004002").await;
        let place = json!({"name": "陈家便利店", "kind": "shop", "address": "陈家社区 8 号", "lng": lng, "lat": lat,
        "credit_code": "91350100M000100Y43", "contact_name": "张三丰", "contact_phone": "13812345678"});
        let (s, p) = post(&app, &gw, "/api/v1/places", place.clone()).await;
        assert_eq!(s, 201, "{p}");
        assert_eq!(p["grid_code"], "330681109004002");
        assert_eq!(p["contact_phone"], "138****5678");
        assert_eq!(p["contact_name"], "张**");
        // The same spot given in GCJ-02 (as a phone map app reports it) lands in the same grid, stored in WGS-84.
        let (gx, gy) = pingan_geo::from_wgs84(pingan_geo::Crs::Gcj02, lng, lat);
        let (s, q) = post(&app, &gw, "/api/v1/places", json!({"name": "出租屋", "kind": "rental_housing", "address": "陈家社区 9 号", "lng": gx, "lat": gy, "crs": "gcj02"})).await;
        assert_eq!(s, 201, "{q}");
        assert_eq!(q["grid_code"], "330681109004002");
        assert!(
            pingan_geo::distance_m(
                lng,
                lat,
                q["lng"].as_f64().unwrap(),
                q["lat"].as_f64().unwrap()
            ) < 0.5
        );
        // Bad values name their field; nothing is written.
        for (patch, field) in [
            (json!({"credit_code": "91350100M000100Y44"}), "credit_code"),
            (json!({"contact_phone": "12345"}), "contact_phone"),
            (json!({"kind": "castle"}), "kind"),
            (json!({"crs": "mars"}), "crs"),
            (json!({"lng": 200.0}), "lng"),
        ] {
            let mut body = place.clone();
            for (k, v) in patch.as_object().unwrap() {
                body[k] = v.clone();
            }
            let (s, e) = post(&app, &gw, "/api/v1/places", body).await;
            assert_eq!((s, e["error"]["field"].as_str()), (422, Some(field)), "{e}");
        }
        // A spot in 暨阳街道 is outside the grid worker's scope.
        let admin = app.client_as("coordinator").await;
        let (olng, olat) = inside_point(&app, &admin, "330681001001002").await;
        let mut body = place.clone();
        body["lng"] = json!(olng);
        body["lat"] = json!(olat);
        let (s, e) = post(&app, &gw, "/api/v1/places", body).await;
        assert_eq!((s, e["error"]["field"].as_str()), (422, Some("lng")), "{e}");
        assert_eq!(app.count("places").await, 2);
        // The officer of 枫桥镇 sees it; the full contact needs a purpose and is audited.
        let officer = app.client_as("officer").await;
        let id = p["id"].as_str().unwrap();
        let (s, _) = app
            .get_json(&officer, &format!("/api/v1/places/{id}?reveal=contact"))
            .await;
        assert_eq!(s, 422);
        let (s, full) = app.get_json(&officer, &format!("/api/v1/places/{id}?reveal=contact&purpose=%E6%B6%88%E9%98%B2%E6%A3%80%E6%9F%A5")).await;
        assert_eq!(
            (s, full["contact_phone"].as_str()),
            (200, Some("13812345678"))
        );
        let (purpose,): (Option<String>,) = app
            .db
            .fetch_one(
                "SELECT purpose FROM audit_log WHERE action = 'place.read_personal'",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(purpose.as_deref(), Some("消防检查"));
        // Another township's officer would get 404; the grid filter works.
        let (_, list) = app
            .get_json(&officer, "/api/v1/places?grid=330681109004002")
            .await;
        assert_eq!(list.as_array().unwrap().len(), 2);
        let jy = app.client_as("dispatcher").await;
        assert_eq!(
            app.get_json(&jy, &format!("/api/v1/places/{id}")).await.0,
            403,
            "dispatcher has no place permission"
        );
    }
);

both!(
    inspections_with_rectification_and_reinspection,
    |app: TestApp| async move {
        let gw = app.client_as("gridworker").await;
        let (lng, lat) = inside_point(&app, &gw, "330681109004001").await;
        let (_, p) = post(&app, &gw, "/api/v1/places", json!({"name": "某网吧", "kind": "internet_cafe", "address": "陈家社区 1 号", "lng": lng, "lat": lat})).await;
        let id = p["id"].as_str().unwrap();
        let path = format!("/api/v1/places/{id}/inspections");
        let (s, e) = post(
            &app,
            &gw,
            &path,
            json!({"kind": "fire", "findings": "灭火器过期", "result": "rectify"}),
        )
        .await;
        assert_eq!((s, e["error"]["field"].as_str()), (422, Some("rectify_by")));
        let (s, e) = post(&app, &gw, &path, json!({"kind": "fire", "findings": "灭火器过期", "result": "rectify", "rectify_by": "2020-01-01"})).await;
        assert_eq!((s, e["error"]["field"].as_str()), (422, Some("rectify_by")));
        let (s, first) = post(&app, &gw, &path, json!({"kind": "fire", "findings": "灭火器过期", "result": "rectify", "rectify_by": "2099-12-31"})).await;
        assert_eq!(s, 201, "{first}");
        let (s, e) = post(&app, &gw, &path, json!({"kind": "fire", "findings": "已更换", "result": "pass", "follows_up": "no-such-id"})).await;
        assert_eq!((s, e["error"]["field"].as_str()), (422, Some("follows_up")));
        let (s, second) = post(&app, &gw, &path, json!({"kind": "fire", "findings": "已更换", "result": "pass", "follows_up": first["id"]})).await;
        assert_eq!(s, 201, "{second}");
        let (_, list) = app.get_json(&gw, &path).await;
        let results: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["result"].as_str().unwrap())
            .collect();
        assert_eq!(results, ["rectify", "pass"]);
        assert_eq!(list[1]["follows_up"], first["id"]);
    }
);

both!(
    grid_workers_are_assigned_and_shown_on_the_card,
    |app: TestApp| async move {
        let coord = app.client_as("coordinator").await;
        let (s, card) = app
            .get_json(&coord, "/api/v1/grids/330681109004003/card")
            .await;
        assert_eq!(s, 200, "{card}");
        assert_eq!(card["workers"][0]["display_name"], "周网格");
        assert_eq!(card["workers"][0]["is_lead"], true);
        assert_eq!(card["village_name"], "陈家社区");
        let (_, users) = app.get_json(&coord, "/api/v1/users").await;
        let id_of = |name: &str| {
            users
                .as_array()
                .unwrap()
                .iter()
                .find(|u| u["username"] == name)
                .unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        };
        let r = coord
            .put(format!("{}/api/v1/grids/330681109002001/workers", app.url))
            .json(&json!({"lead": id_of("gridworker"), "members": []}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
        let r = coord
            .put(format!("{}/api/v1/grids/330681109002001/workers", app.url))
            .json(&json!({"lead": id_of("gridworker"), "members": [id_of("mediator")]}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["error"]["field"], "members[0]");
        let (_, card) = app
            .get_json(&coord, "/api/v1/grids/330681109002001/card")
            .await;
        assert_eq!(card["workers"].as_array().unwrap().len(), 1);
        // The grid worker may not assign; an out-of-scope grid is 404.
        let gw = app.client_as("gridworker").await;
        let r = gw
            .put(format!("{}/api/v1/grids/330681109004001/workers", app.url))
            .json(&json!({"lead": "x"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        assert_eq!(
            app.get_json(&gw, "/api/v1/grids/330681109002001/card")
                .await
                .0,
            404
        );
    }
);
