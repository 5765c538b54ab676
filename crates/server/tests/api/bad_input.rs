use super::*;
use helpers::*;
use serde_json::json;

/// (content type, body, expected status, expected error code, expected field)
type BadCase = (
    &'static str,
    Vec<u8>,
    u16,
    &'static str,
    Option<&'static str>,
);

async fn post_raw(
    app: &TestApp,
    c: &reqwest::Client,
    path: &str,
    ct: &str,
    body: Vec<u8>,
) -> (u16, serde_json::Value) {
    let r = c
        .post(format!("{}{path}", app.url))
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(serde_json::Value::Null))
}

// Malformed JSON, wrong types, unknown and missing fields, oversized bodies and wrong content types
// are 4xx JSON errors naming the field where there is one, and write nothing.
both!(
    bad_bodies_are_4xx_json_and_write_nothing,
    |app: TestApp| async move {
        let c = app.client_as("admin").await;
        let before = (app.count("areas").await, app.audit_head().await);
        let cases: Vec<BadCase> = vec![
        ("application/json", b"{\"code\": \"330681109299\", ".to_vec(), 400, "invalid_json", None),
        ("application/json", b"not json".to_vec(), 400, "invalid_json", None),
        ("application/json", br#"{"code": 330681109299, "parent_code": "330681109", "name": "x"}"#.to_vec(), 400, "invalid_type", Some("code")),
        ("application/json", br#"{"code": "330681109299", "parent_code": "330681109", "name": "x", "admin": true}"#.to_vec(), 400, "unknown_field", Some("admin")),
        ("application/json", br#"{"code": "330681109299", "parent_code": "330681109"}"#.to_vec(), 400, "missing_field", Some("name")),
        ("application/json", br#"[1, 2]"#.to_vec(), 400, "invalid_type", Some("[0]")),
        ("text/plain", br#"{"code": "330681109299", "parent_code": "330681109", "name": "x"}"#.to_vec(), 415, "unsupported_media_type", None),
        ("application/json", vec![b' '; 70 * 1024], 413, "payload_too_large", None),
        ("application/json", br#"{"code": "33068110929", "parent_code": "330681109", "name": "x"}"#.to_vec(), 422, "invalid_value", Some("code")),
        ("application/json", br#"{"code": "330681001299", "parent_code": "330681109", "name": "x"}"#.to_vec(), 422, "invalid_value", Some("parent_code")),
        ("application/json", br#"{"code": "330681109299", "parent_code": "330681109", "name": "x", "valid_from": "2026-13-01"}"#.to_vec(), 422, "invalid_value", Some("valid_from")),
    ];
        for (ct, body, status, code, field) in cases {
            let (s, b) = post_raw(&app, &c, "/api/v1/areas", ct, body).await;
            assert_eq!(s, status, "{code}: {b}");
            assert_eq!(error_code(&b), code, "{b}");
            assert_eq!(b["error"]["field"].as_str(), field, "{b}");
        }
        assert_eq!((app.count("areas").await, app.audit_head().await), before);
        // A good body still works afterwards, and is audited.
        let (s, b) = post_raw(
            &app,
            &c,
            "/api/v1/areas",
            "application/json",
            r#"{"code": "330681109299", "parent_code": "330681109", "name": "测试村"}"#
                .as_bytes()
                .to_vec(),
        )
        .await;
        assert_eq!(s, 201, "{b}");
        assert_eq!(app.count("areas").await, before.0 + 1);
        assert_eq!(app.audit_head().await, before.1 + 1);
        let (s, b) = post_raw(
            &app,
            &c,
            "/api/v1/areas",
            "application/json",
            r#"{"code": "330681109299", "parent_code": "330681109", "name": "测试村"}"#
                .as_bytes()
                .to_vec(),
        )
        .await;
        assert_eq!((s, error_code(&b).as_str()), (409, "conflict"));
    }
);

both!(bad_query_strings_are_4xx_json, |app: TestApp| async move {
    let c = app.client_as("auditor").await;
    let (s, b) = app.get_json(&c, "/api/v1/audit?limit=abc").await;
    assert_eq!((s, error_code(&b).as_str()), (400, "invalid_query"));
    let (s, b) = app.get_json(&c, "/api/v1/audit?bogus=1").await;
    assert_eq!((s, error_code(&b).as_str()), (400, "invalid_query"));
    let c = app.client_as("officer").await;
    let (s, b) = app.get_json(&c, "/api/v1/areas?level=planet").await;
    assert_eq!((s, b["error"]["field"].as_str()), (422, Some("level")));
});

both!(
    cross_site_form_posts_are_refused,
    |app: TestApp| async move {
        let c = app.client_as("dispatcher").await;
        let r = c
            .post(format!("{}/api/v1/tokens", app.url))
            .header("origin", "http://evil.example")
            .json(&serde_json::json!({"name": "x"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        assert_eq!(app.count("api_tokens").await, 0);
    }
);

// PostgreSQL text cannot hold NUL: a NUL in a body, a query or a path parameter answered 500 there
// (found by schemathesis on PostgreSQL). Now it is a 400 naming the field on both databases, and
// nothing is written.
both!(
    nul_characters_are_refused_by_name,
    |app: TestApp| async move {
        let c = app.client_as("admin").await;
        let before = (app.count("areas").await, app.audit_head().await);
        let (s, b) = post(
            &app,
            &c,
            "/api/v1/areas",
            json!({"code": "330681109299", "parent_code": "330681109", "name": "测试\u{0}村"}),
        )
        .await;
        assert_eq!(
            (s, error_code(&b).as_str()),
            (400, "invalid_character"),
            "{b}"
        );
        assert_eq!(b["error"]["field"], "name");
        assert_eq!((app.count("areas").await, app.audit_head().await), before);

        let c = app.client_as("chief").await;
        let (s, b) = app.get_json(&c, "/api/v1/places?kind=a%00").await;
        assert_eq!(
            (s, error_code(&b).as_str()),
            (400, "invalid_character"),
            "{b}"
        );
        assert_eq!(b["error"]["field"], "kind");
        let (s, b) = app.get_json(&c, "/api/v1/areas/3306%00").await;
        assert_eq!(
            (s, error_code(&b).as_str()),
            (400, "invalid_character"),
            "{b}"
        );
        // Login refuses it before looking anything up.
        let (s, b) = post(
            &app,
            &client(),
            "/api/v1/session",
            json!({"username": "chief\u{0}", "password": "x"}),
        )
        .await;
        assert_eq!(
            (s, b["error"]["field"].as_str()),
            (400, Some("username")),
            "{b}"
        );

        // Open311 and the pages reach the database through their own parsing.
        let anon = client();
        for path in [
            "/open311/v2/requests.json?service_request_id=%00",
            "/open311/v2/requests.json?service_code=a%00",
            "/open311/v2/requests/%00.json",
            "/open311/v2/tokens/%00.json",
        ] {
            let r = anon.get(format!("{}{path}", app.url)).send().await.unwrap();
            assert_eq!(r.status(), 400, "{path}");
        }
        let incidents = app.count("incidents").await;
        let r = anon
            .post(format!("{}/open311/v2/requests.json", app.url))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("service_code=500100&lat=29.6165&long=120.3655&description=a%00b")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        assert_eq!(app.count("incidents").await, incidents);
        let r = anon
            .get(format!("{}/track?code=%00", app.url))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_client_error(), "{}", r.status());
    }
);

// A query error names the parameter: `unread=null` named `true`, a word quoted in serde's message.
both!(query_errors_name_the_parameter, |app: TestApp| async move {
    let c = app.client_as("chief").await;
    let (s, b) = app.get_json(&c, "/api/v1/notifications?unread=null").await;
    assert_eq!((s, error_code(&b).as_str()), (400, "invalid_query"), "{b}");
    assert_eq!(b["error"]["field"], "unread", "{b}");
    let c = app.client_as("auditor").await;
    let (s, b) = app.get_json(&c, "/api/v1/audit?bogus=1").await;
    assert_eq!(
        (s, b["error"]["field"].as_str()),
        (400, Some("bogus")),
        "{b}"
    );
    let (s, b) = app.get_json(&c, "/api/v1/audit?limit=abc").await;
    assert_eq!(
        (s, b["error"]["field"].as_str()),
        (400, Some("limit")),
        "{b}"
    );
});

// The camera webhook reads its body itself (the signature covers the bytes): over the limit it
// answered axum's plain-text 413; now the JSON error it documents.
both!(
    camera_webhook_over_limit_is_json,
    |app: TestApp| async move {
        let r = client()
            .post(format!("{}/api/v1/hooks/camera", app.url))
            .header("content-type", "application/json")
            .header("x-pingan-timestamp", "1")
            .header("x-pingan-signature", "hmac-sm3=00")
            .body(vec![b' '; 70 * 1024])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 413);
        let b: serde_json::Value = r.json().await.unwrap();
        assert_eq!(error_code(&b), "payload_too_large");
        let doc = openapi(&app).await;
        assert_documented(&doc, "post", "/api/v1/hooks/camera", 413, &b);
    }
);

// The grade suggestion ignored unknown fields: a misspelt factor (`violence_threats`) silently gave a
// lower grade. Its body is strict like every other now.
both!(misspelt_risk_factor_is_refused, |app: TestApp| async move {
    let c = app.client_as("mediator").await;
    let (s, b) = post(
        &app,
        &c,
        "/api/v1/disputes/grade-suggestion",
        json!({"violence_threats": true}),
    )
    .await;
    assert_eq!((s, error_code(&b).as_str()), (400, "unknown_field"), "{b}");
    assert_eq!(b["error"]["field"], "violence_threats");
    let (s, b) = post(
        &app,
        &c,
        "/api/v1/disputes/grade-suggestion",
        json!({"violence_threat": true}),
    )
    .await;
    assert_eq!((s, b["grade"].as_str()), (200, Some("red")), "{b}");
});
