use super::*;
use helpers::*;

both!(health_ready_and_openapi, |app: TestApp| async move {
    let c = client();
    let (s, body) = app.get_json(&c, "/healthz").await;
    assert_eq!((s, body["status"].as_str()), (200, Some("ok")));
    let (s, body) = app.get_json(&c, "/readyz").await;
    assert_eq!((s, body["status"].as_str()), (200, Some("ready")));
    assert!(body.get("nats").is_none(), "no NATS configured: {body}");
    let (s, doc) = app.get_json(&c, "/api/openapi.json").await;
    assert_eq!(s, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    for p in [
        "/api/v1/session",
        "/api/v1/areas/{code}",
        "/api/v1/users",
        "/api/v1/audit/verify",
        "/healthz",
        "/metrics",
    ] {
        assert!(doc["paths"][p].is_object(), "openapi lacks {p}");
    }
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
});

/// Every line of the exposition is a comment, blank, or `name{labels} value`.
fn assert_prometheus_text(text: &str) {
    for line in text.lines() {
        if line.is_empty() || line.starts_with("# HELP ") || line.starts_with("# TYPE ") {
            continue;
        }
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("bad metrics line: {line}"));
        assert!(
            value.parse::<f64>().is_ok() || ["+Inf", "-Inf", "NaN"].contains(&value),
            "bad value in: {line}"
        );
        let name_end = series.find('{').unwrap_or(series.len());
        let name = &series[..name_end];
        assert!(
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "bad name in: {line}"
        );
        if name_end < series.len() {
            assert!(series.ends_with('}'), "unterminated labels in: {line}");
        }
    }
}

const SCRAPE_TOKEN: &str = "scrape-token-for-the-tests-0123456789";

both_tuned!(
    metrics_are_prometheus_text_per_route,
    |c: &mut pingan_server::Config| {
        c.server.metrics_listen = "token".into();
        c.server.metrics_token = SCRAPE_TOKEN.into();
    },
    |app: TestApp| async move {
        let c = app.client_as("officer").await;
        app.get_json(&c, "/api/v1/areas/330681109").await;
        // A signed-in officer without the scrape token sees no metrics, nor does a wrong token.
        let r = c.get(format!("{}/metrics", app.url)).send().await.unwrap();
        assert_eq!(r.status(), 404);
        let r = client()
            .get(format!("{}/metrics", app.url))
            .bearer_auth("scrape-token-for-the-tests-0123456788")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        let r = client()
            .get(format!("{}/metrics", app.url))
            .bearer_auth(SCRAPE_TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain")
        );
        let text = r.text().await.unwrap();
        assert_prometheus_text(&text);
        assert!(
            text.contains("# TYPE http_requests_total counter"),
            "{text}"
        );
        assert!(
            text.contains("# TYPE http_request_duration_seconds histogram"),
            "{text}"
        );
        assert!(text.contains(r#"route="/api/v1/areas/{code}""#), "{text}");
        assert!(text.contains("db_pool_connections"), "{text}");
    }
);

both!(unknown_api_route_is_json_404, |app: TestApp| async move {
    let (s, body) = app.get_json(&client(), "/api/v1/nothing-here").await;
    assert_eq!(s, 404);
    assert_eq!(error_code(&body), "not_found");
});

both!(
    pages_reference_no_outside_address,
    |app: TestApp| async move {
        let c = app.client_as("coordinator").await;
        let mut pages = vec![
            "/login".to_string(),
            "/".into(),
            "/areas".into(),
            "/areas/330681109".into(),
            "/orgs".into(),
            "/users".into(),
            "/kpi".into(),
        ];
        pages.extend(
            pingan_server::assets::names()
                .into_iter()
                .filter(|n| n.ends_with(".css") || n == "app.js")
                .map(|n| format!("/assets/{n}")),
        );
        for p in pages {
            let r = c.get(format!("{}{p}", app.url)).send().await.unwrap();
            assert!(r.status().is_success(), "{p}: {}", r.status());
            let text = r.text().await.unwrap();
            for needle in [
                "src=\"http",
                "href=\"http",
                "url(http",
                "@import \"http",
                "src='http",
                "href='http",
            ] {
                assert!(
                    !text.contains(needle),
                    "{p} references an outside address ({needle})"
                );
            }
        }
    }
);

both!(
    metrics_are_not_public_by_default,
    |app: TestApp| async move {
        let r = client()
            .get(format!("{}/metrics", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(error_code(&body), "not_found");
    }
);

/// NATS down is reported, and does not take the server out of the balancer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_reports_an_unreachable_nats_and_stays_ready() {
    let Some(app) = TestApp::spawn(
        pingan_store::Backend::Sqlite,
        "ready_reports_an_unreachable_nats_and_stays_ready",
        |c| c.sharing.nats_url = "nats://127.0.0.1:9".into(),
    )
    .await
    else {
        return;
    };
    let (s, body) = app.get_json(&client(), "/readyz").await;
    assert_eq!(
        (s, body["status"].as_str(), body["nats"].as_str()),
        (200, Some("ready"), Some("unreachable")),
        "{body}"
    );
}
