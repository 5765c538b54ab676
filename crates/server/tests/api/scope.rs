use super::*;
use helpers::*;

// The officer is scoped to 枫桥镇 (330681109); 暨阳街道 (330681001) is another township.
both!(
    out_of_scope_objects_are_404_in_api_and_ui,
    |app: TestApp| async move {
        let c = app.client_as("officer").await;
        assert_eq!(app.get_json(&c, "/api/v1/areas/330681109").await.0, 200);
        assert_eq!(app.get_json(&c, "/api/v1/areas/330681109004").await.0, 200);
        let (s, body) = app.get_json(&c, "/api/v1/areas/330681001").await;
        assert_eq!(s, 404);
        assert_eq!(error_code(&body), "not_found");
        // Same answer as for a code that does not exist at all.
        let (s2, body2) = app.get_json(&c, "/api/v1/areas/330681999").await;
        assert_eq!((s2, &body2), (404, &body));
        assert_eq!(
            app.get_json(&c, "/api/v1/grids/330681001001001").await.0,
            404
        );
        assert_eq!(
            app.get_json(&c, "/api/v1/grids/330681109004001").await.0,
            200
        );
        let (_, areas) = app.get_json(&c, "/api/v1/areas").await;
        let codes: Vec<&str> = areas
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes.len(), 5);
        assert!(
            codes.iter().all(|c| c.starts_with("330681109")),
            "{codes:?}"
        );
        let (_, grids) = app.get_json(&c, "/api/v1/grids").await;
        assert_eq!(grids.as_array().unwrap().len(), 16);
        // UI: the same rule.
        let r = c
            .get(format!("{}/areas/330681001", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        let html = r.text().await.unwrap();
        assert!(!html.contains("暨阳街道"), "404 page leaks the name");
        let r = c
            .get(format!("{}/areas/330681109", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.text().await.unwrap().contains("枫桥镇"));
    }
);

both!(
    grid_worker_sees_only_their_community,
    |app: TestApp| async move {
        let c = app.client_as("gridworker").await;
        let (_, grids) = app.get_json(&c, "/api/v1/grids").await;
        let codes: Vec<&str> = grids
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["code"].as_str().unwrap())
            .collect();
        assert_eq!(
            codes,
            [
                "330681109004001",
                "330681109004002",
                "330681109004003",
                "330681109004004"
            ]
        );
        assert_eq!(app.get_json(&c, "/api/v1/areas/330681109").await.0, 404);
    }
);

both!(
    unauthenticated_requests_are_401_and_pages_redirect,
    |app: TestApp| async move {
        let c = client();
        let (s, body) = app.get_json(&c, "/api/v1/areas").await;
        assert_eq!(s, 401);
        assert_eq!(error_code(&body), "unauthenticated");
        let r = c
            .get(format!("{}/areas/330681109", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"], "/login?next=/areas/330681109");
    }
);
