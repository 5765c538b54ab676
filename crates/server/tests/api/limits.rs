//! Rate limits (等保): login attempts and public reports per client address per minute, counted in the
//! database; over the limit is a 429 `rate_limited` that stores nothing; the next minute is open again.

use super::*;
use helpers::*;
use serde_json::json;

both_tuned!(
    login_and_public_reports_are_rate_limited,
    |c: &mut pingan_server::Config| {
        c.auth.login_per_ip_per_minute = 3;
        c.dispatch.public_reports_per_ip_per_minute = 2;
    },
    |app: TestApp| async move {
        // Windows are whole minutes: start at the beginning of one, so the four attempts share it
        // however slowly a loaded machine answers (a minute turning between them opened a new one).
        let into_minute = (app.state.now() / 1_000_000).rem_euclid(60);
        app.state.clock.advance_seconds(60 - into_minute);
        // Wrong passwords and right ones count alike: the limit is on attempts from the address.
        let anon = client();
        let attempt = |password: String| {
            let anon = anon.clone();
            let url = app.url.clone();
            async move {
                let r = anon
                    .post(format!("{url}/api/v1/session"))
                    .json(&json!({"username": "officer", "password": password}))
                    .send()
                    .await
                    .unwrap();
                let s = r.status().as_u16();
                (s, r.json::<serde_json::Value>().await.unwrap_or_default())
            }
        };
        let (s, _) = attempt("wrong-1".into()).await;
        assert_eq!(s, 401);
        let (s, _) = attempt("wrong-2".into()).await;
        assert_eq!(s, 401);
        let (s, _) = attempt(app.password("officer")).await;
        assert_eq!(s, 200);
        let (s, e) = attempt(app.password("officer")).await;
        assert_eq!(s, 429, "{e}");
        assert_eq!(e["error"]["code"], "rate_limited");
        // Another minute, another window.
        app.state.clock.advance_seconds(61);
        let (s, _) = attempt(app.password("officer")).await;
        assert_eq!(s, 200);

        // Public reports: two pass, the third is refused and nothing is stored for it.
        let (lng, lat) = inside_point(&app, &app.client_as("admin").await, "330681109004002").await;
        let before = app.count("incidents").await;
        let report = json!({"description": "路灯坏了，夜里有人摔倒", "address": "陈家社区路口", "lng": lng, "lat": lat, "contact_phone": "13800001111"});
        for _ in 0..2 {
            let (s, t) = post(&app, &anon, "/api/v1/public/reports", report.clone()).await;
            assert_eq!(s, 201, "{t}");
        }
        let (s, e) = post(&app, &anon, "/api/v1/public/reports", report.clone()).await;
        assert_eq!(
            (s, e["error"]["code"].as_str()),
            (429, Some("rate_limited")),
            "{e}"
        );
        assert_eq!(app.count("incidents").await, before + 2);
        // …and documented (schemathesis found the 429 missing from the OpenAPI document).
        assert_documented(
            &openapi(&app).await,
            "post",
            "/api/v1/public/reports",
            429,
            &e,
        );
        app.state.clock.advance_seconds(61);
        let (s, _) = post(&app, &anon, "/api/v1/public/reports", report).await;
        assert_eq!(s, 201);
    }
);

both_tuned!(
    behind_a_trusted_proxy_each_client_has_its_own_limit,
    |c: &mut pingan_server::Config| {
        c.auth.login_per_ip_per_minute = 2;
        c.server.trusted_proxies = vec!["127.0.0.1".into()];
    },
    |app: TestApp| async move {
        let login = |xff: &'static str| {
            let url = app.url.clone();
            async move {
                client()
                    .post(format!("{url}/api/v1/session"))
                    .header("x-forwarded-for", xff)
                    .json(&json!({"username": "officer", "password": "wrong"}))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }
        };
        // The limit counts per calendar minute: start well inside one, or a slow run crosses into the
        // next and the count starts over.
        let into_minute = app.state.now().rem_euclid(60_000_000) / 1_000_000;
        if into_minute > 40 {
            app.state.clock.advance_seconds(62 - into_minute);
        }
        // Two clients behind the same proxy: each has two attempts, the third of one is refused.
        assert_eq!(login("10.1.1.1").await, 401);
        assert_eq!(login("10.1.1.1").await, 401);
        assert_eq!(login("10.2.2.2").await, 401);
        assert_eq!(login("10.1.1.1").await, 429);
        assert_eq!(login("10.2.2.2").await, 401);
        // A client cannot escape by naming the proxy itself: the rightmost non-proxy address counts.
        assert_eq!(login("10.1.1.1, 127.0.0.1").await, 429);
    }
);

#[test]
fn the_client_is_the_rightmost_address_that_is_not_a_proxy() {
    let proxies: Vec<std::net::IpAddr> =
        vec!["10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap()];
    let f = |s: &str| pingan_server::app::forwarded_client(s, &proxies).map(|ip| ip.to_string());
    assert_eq!(f("203.0.113.7"), Some("203.0.113.7".into()));
    assert_eq!(
        f("198.51.100.1, 203.0.113.7, 10.0.0.2"),
        Some("203.0.113.7".into()),
        "a forged left entry is ignored"
    );
    assert_eq!(f("10.0.0.1, 10.0.0.2"), None);
    assert_eq!(f("garbage, 2001:db8::1"), Some("2001:db8::1".into()));
}
