//! 等保 level-3 account items: the TOTP second factor (mandatory for the administrator roles, never
//! accepted twice), password expiry and history, 三员 separation, and field-key rotation.

use super::*;
use helpers::*;
use pingan_domain::crypto::{FieldCipher, FieldKey};
use pingan_domain::totp::TotpSecret;
use serde_json::{Value, json};

async fn login(
    app: &TestApp,
    c: &reqwest::Client,
    user: &str,
    password: &str,
    totp: Option<&str>,
) -> (u16, Value) {
    let r = c
        .post(format!("{}/api/v1/session", app.url))
        .json(&json!({"username": user, "password": password, "totp": totp}))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn send(
    app: &TestApp,
    c: &reqwest::Client,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> (u16, Value) {
    let r = c
        .request(method, format!("{}{path}", app.url))
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

fn code_now(app: &TestApp, secret: &str) -> String {
    TotpSecret::from_base32(secret)
        .unwrap()
        .code_at(app.state.now() / 1_000_000)
}

async fn user_id(app: &TestApp, username: &str) -> String {
    pingan_store::users::by_username(&app.db, username)
        .await
        .unwrap()
        .unwrap()
        .id
}

both!(
    administrators_log_in_with_a_second_factor,
    |app: TestApp| async move {
        let pw = app.password("auditor");
        let secret = app
            .logins
            .iter()
            .find(|l| l.username == "auditor")
            .unwrap()
            .totp_secret
            .clone()
            .unwrap();
        let c = client();
        // The password alone is not enough, and a missing code is not counted as a failure.
        let (s, b) = login(&app, &c, "auditor", &pw, None).await;
        assert_eq!((s, error_code(&b).as_str()), (401, "totp_required"));
        let (s, b) = login(&app, &c, "auditor", &pw, Some("000000")).await;
        assert_eq!((s, error_code(&b).as_str()), (401, "totp_invalid"));
        let code = code_now(&app, &secret);
        let (s, me) = login(&app, &c, "auditor", &pw, Some(&code)).await;
        assert_eq!(s, 200, "{me}");
        assert_eq!(me["stage"], "full");
        assert_eq!(app.get_json(&c, "/api/v1/audit").await.0, 200);
        // The same code never works twice (shoulder-surfing, replay).
        let (s, b) = login(&app, &client(), "auditor", &pw, Some(&code)).await;
        assert_eq!((s, error_code(&b).as_str()), (401, "totp_invalid"));
        let reasons: Vec<(String,)> = app
        .db
        .fetch_all("SELECT detail FROM audit_log WHERE action = 'session.login' AND outcome = 'failed' ORDER BY seq", vec![])
        .await
        .unwrap();
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert!(
            reasons.iter().all(|(d,)| d.contains("wrong_totp")),
            "{reasons:?}"
        );
    }
);

both!(
    an_administrator_without_a_second_factor_must_enrol_first,
    |app: TestApp| async move {
        let id = user_id(&app, "admin").await;
        let mut tx = app.db.begin().await.unwrap();
        pingan_store::users::clear_totp(&mut tx, &id).await.unwrap();
        tx.commit_audited(vec![]).await.unwrap();
        let c = client();
        let (s, me) = login(&app, &c, "admin", &app.password("admin"), None).await;
        assert_eq!((s, me["stage"].as_str()), (200, Some("totp_enrol")));
        // Held: the API refuses everything but the enrolment; pages lead to the account page.
        let (s, b) = app.get_json(&c, "/api/v1/areas").await;
        assert_eq!(
            (s, error_code(&b).as_str()),
            (403, "totp_enrolment_required")
        );
        let r = c.get(format!("{}/areas", app.url)).send().await.unwrap();
        assert_eq!(
            (
                r.status().as_u16(),
                r.headers()["location"].to_str().unwrap()
            ),
            (303, "/account")
        );
        assert_eq!(
            c.get(format!("{}/account", app.url))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
        let (s, e) = send(
            &app,
            &c,
            reqwest::Method::POST,
            "/api/v1/session/totp",
            Value::Null,
        )
        .await;
        assert_eq!(s, 201, "{e}");
        let secret = e["secret"].as_str().unwrap().to_string();
        assert!(
            e["otpauth_uri"]
                .as_str()
                .unwrap()
                .starts_with("otpauth://totp/")
        );
        // Stored sealed, not in the clear.
        let (sealed,): (String,) = app
            .db
            .fetch_one(
                "SELECT totp_sealed FROM users WHERE id = ?",
                vec![id.clone().into()],
            )
            .await
            .unwrap();
        assert!(!sealed.contains(&secret));
        let (s, b) = send(
            &app,
            &c,
            reqwest::Method::PUT,
            "/api/v1/session/totp",
            json!({"code": "123"}),
        )
        .await;
        assert_eq!((s, b["error"]["field"].as_str()), (422, Some("code")));
        let (s, me) = send(
            &app,
            &c,
            reqwest::Method::PUT,
            "/api/v1/session/totp",
            json!({"code": code_now(&app, &secret)}),
        )
        .await;
        assert_eq!((s, me["stage"].as_str()), (200, Some("full")), "{me}");
        assert_eq!(app.get_json(&c, "/api/v1/areas").await.0, 200);
        // From now on the code is asked for at login, and enrolment cannot be restarted by the owner.
        let (s, b) = login(&app, &client(), "admin", &app.password("admin"), None).await;
        assert_eq!((s, error_code(&b).as_str()), (401, "totp_required"));
        let (s, _) = send(
            &app,
            &c,
            reqwest::Method::POST,
            "/api/v1/session/totp",
            Value::Null,
        )
        .await;
        assert_eq!(s, 409);
    }
);

both!(
    passwords_expire_and_earlier_ones_are_refused,
    |app: TestApp| async move {
        let old = app.password("officer");
        // 91 days on: the 90-day password has expired.
        app.state.clock.advance_seconds(91 * 86_400);
        let c = client();
        let (s, me) = login(&app, &c, "officer", &old, None).await;
        assert_eq!((s, me["stage"].as_str()), (200, Some("password_change")));
        let (s, b) = app.get_json(&c, "/api/v1/incidents").await;
        assert_eq!(
            (s, error_code(&b).as_str()),
            (403, "password_change_required")
        );
        let put = |body: Value| {
            send(
                &app,
                &c,
                reqwest::Method::PUT,
                "/api/v1/session/password",
                body,
            )
        };
        let (s, b) =
            put(json!({"current_password": "wrong-Wrong-1", "new_password": "Another-pass-2026"}))
                .await;
        assert_eq!(
            (s, b["error"]["field"].as_str()),
            (422, Some("current_password"))
        );
        let (s, b) = put(json!({"current_password": old, "new_password": old})).await;
        assert_eq!(
            (s, b["error"]["field"].as_str()),
            (422, Some("new_password"))
        );
        assert!(
            b["error"]["message"].as_str().unwrap().contains("last 5"),
            "{b}"
        );
        let (s, b) = put(json!({"current_password": old, "new_password": "short"})).await;
        assert_eq!(
            (s, b["error"]["field"].as_str()),
            (422, Some("new_password"))
        );
        let (s, me) =
            put(json!({"current_password": old, "new_password": "Second-pass-2026"})).await;
        assert_eq!((s, me["stage"].as_str()), (200, Some("full")), "{me}");
        assert_eq!(app.get_json(&c, "/api/v1/incidents").await.0, 200);
        // Going back to the first password is refused: it is in the history.
        let (s, me) =
            put(json!({"current_password": "Second-pass-2026", "new_password": "Third-pass-2026"}))
                .await;
        assert_eq!(s, 200, "{me}");
        let (s, b) = put(json!({"current_password": "Third-pass-2026", "new_password": old})).await;
        assert_eq!(
            (s, b["error"]["field"].as_str()),
            (422, Some("new_password"))
        );
        // The old password no longer logs in; the new one does.
        assert_eq!(login(&app, &client(), "officer", &old, None).await.0, 401);
        assert_eq!(
            login(&app, &client(), "officer", "Third-pass-2026", None)
                .await
                .0,
            200
        );
        let changes: Vec<(String,)> = app
            .db
            .fetch_all(
                "SELECT outcome FROM audit_log WHERE action = 'user.password_change' ORDER BY seq",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(changes.iter().filter(|(o,)| o == "ok").count(), 2);
        assert_eq!(changes.iter().filter(|(o,)| o == "failed").count(), 1);
    }
);

both!(
    administrators_cannot_grant_themselves_the_others,
    |app: TestApp| async move {
        let sec = app.client_as("secadmin").await;
        let me = user_id(&app, "secadmin").await;
        let officer = user_id(&app, "officer").await;
        let auditor = user_id(&app, "auditor").await;
        let (_, orgs) = app.get_json(&sec, "/api/v1/orgs").await;
        let org = orgs[0]["id"].as_str().unwrap().to_string();
        // No administrator account is made or given through the API.
        for role in ["auditor", "admin", "security_admin"] {
            let (s, b) = send(
                &app,
                &sec,
                reqwest::Method::POST,
                "/api/v1/users",
                json!({
            "username": format!("new-{role}"), "display_name": "x", "role": role, "org_id": org,
            "password": "Fresh-pass-2026", "scope": [{"kind": "area", "path": "/330681/"}]}),
            )
            .await;
            assert_eq!(
                (s, b["error"]["field"].as_str()),
                (422, Some("role")),
                "{role}: {b}"
            );
        }
        let (s, b) = send(
            &app,
            &sec,
            reqwest::Method::PATCH,
            &format!("/api/v1/users/{officer}"),
            json!({"role": "auditor"}),
        )
        .await;
        assert_eq!((s, b["error"]["field"].as_str()), (422, Some("role")));
        // Not on one's own account, and not on another administrator's.
        for path in [
            format!("/api/v1/users/{me}"),
            format!("/api/v1/users/{me}/password"),
        ] {
            let method = if path.ends_with("password") {
                reqwest::Method::POST
            } else {
                reqwest::Method::PATCH
            };
            let body = if path.ends_with("password") {
                json!({"password": "Fresh-pass-2026"})
            } else {
                json!({"disabled": false})
            };
            assert_eq!(send(&app, &sec, method, &path, body).await.0, 403, "{path}");
        }
        assert_eq!(
            send(
                &app,
                &sec,
                reqwest::Method::DELETE,
                &format!("/api/v1/users/{me}/totp"),
                Value::Null
            )
            .await
            .0,
            403
        );
        assert_eq!(
            send(
                &app,
                &sec,
                reqwest::Method::PATCH,
                &format!("/api/v1/users/{auditor}"),
                json!({"disabled": true})
            )
            .await
            .0,
            403
        );
        // The other two administrators cannot manage accounts at all.
        for other in ["admin", "auditor"] {
            let c = app.client_as(other).await;
            let (s, _) = send(
                &app,
                &c,
                reqwest::Method::PATCH,
                &format!("/api/v1/users/{officer}"),
                json!({"role": "leader"}),
            )
            .await;
            assert_eq!(s, 403, "{other}");
        }
        // What the security administrator may do: a temporary password its owner must change first.
        let (s, b) = send(
            &app,
            &sec,
            reqwest::Method::POST,
            &format!("/api/v1/users/{officer}/password"),
            json!({"password": "Temporary-2026x"}),
        )
        .await;
        assert_eq!(s, 204, "{b}");
        let (s, me) = login(&app, &client(), "officer", "Temporary-2026x", None).await;
        assert_eq!((s, me["stage"].as_str()), (200, Some("password_change")));
        let (s, u) = send(
            &app,
            &sec,
            reqwest::Method::PATCH,
            &format!("/api/v1/users/{officer}"),
            json!({"role": "auxiliary"}),
        )
        .await;
        assert_eq!((s, u["role"].as_str()), (200, Some("auxiliary")), "{u}");
    }
);

both!(
    a_rotated_field_key_reseals_every_value,
    |app: TestApp| async move {
        pingan_server::mediation::demo::ensure(&app.db, &app.state.config)
            .await
            .unwrap();
        pingan_server::cases::demo::ensure(&app.db, &app.state.config)
            .await
            .unwrap();
        let old = app.state.cipher.clone();
        let k1 = FieldKey::new("k1", FIELD_KEY).unwrap();
        let new = FieldCipher::new(
            FieldKey::new("k2", &FieldKey::generate_hex()).unwrap(),
            vec![k1],
        );
        let before = pingan_server::rekey::status(&app.db, &new).await.unwrap();
        let stale: i64 = before.iter().map(|(_, n)| n).sum();
        assert!(stale > 20, "the demo should seal some values: {before:?}");
        let phones: Vec<(String, String)> = app.db.fetch_all("SELECT id, phone_sealed FROM dispute_parties WHERE phone_sealed IS NOT NULL ORDER BY id", vec![]).await.unwrap();
        assert!(!phones.is_empty());
        // Two sweepers at once (two servers): each row is swapped once, nothing is lost.
        let (a, b) = tokio::join!(
            pingan_server::rekey::run(&app.db, &new, "test", |_, _| {}),
            pingan_server::rekey::run(&app.db, &new, "test", |_, _| {})
        );
        assert_eq!(a.unwrap() + b.unwrap(), stale as u64);
        let after = pingan_server::rekey::status(&app.db, &new).await.unwrap();
        assert!(after.iter().all(|(_, n)| *n == 0), "{after:?}");
        for (id, was) in phones {
            let (now_sealed, index): (String, String) = app
                .db
                .fetch_one(
                    "SELECT phone_sealed, phone_index FROM dispute_parties WHERE id = ?",
                    vec![id.into()],
                )
                .await
                .unwrap();
            assert!(now_sealed.starts_with("k2:"));
            let plain = old.open("dispute_parties.phone", &was).unwrap();
            assert_eq!(
                new.open("dispute_parties.phone", &now_sealed).unwrap(),
                plain
            );
            // The blind index follows the new key, so repeat-dispute matching keeps working.
            let digits: String = plain.chars().filter(char::is_ascii_digit).collect();
            assert_eq!(index, new.blind_index("dispute_parties.phone", &digits));
            // The old key alone no longer opens it: it really was re-sealed.
            assert!(old.open("dispute_parties.phone", &now_sealed).is_err());
        }
        let (n,): (i64,) = app
            .db
            .fetch_one(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'crypto.rekey'",
                vec![],
            )
            .await
            .unwrap();
        assert!(n >= 4, "one audit record per column re-sealed, got {n}");
    }
);

#[test]
fn every_sealed_column_is_listed_for_rotation() {
    // Every `*_sealed` column the migrations create must be in the rotation's list.
    let sql = pingan_store::migrate::MIGRATIONS
        .iter()
        .flat_map(|m| (m.up)(pingan_store::Backend::Sqlite))
        .collect::<Vec<_>>()
        .join("\n");
    let mut in_schema = std::collections::BTreeSet::new();
    let mut table = String::new();
    for line in sql.lines() {
        let l = line.trim();
        if let Some(rest) = l.strip_prefix("CREATE TABLE ") {
            table = rest.split_whitespace().next().unwrap_or("").to_string();
        }
        if let Some(rest) = l.strip_prefix("ALTER TABLE ") {
            let mut w = rest.split_whitespace();
            let t = w.next().unwrap_or("");
            if let Some(col) = w.nth(2).filter(|c| c.ends_with("_sealed")) {
                in_schema.insert(format!("{t}.{col}"));
            }
            continue;
        }
        if let Some(col) = l
            .split_whitespace()
            .next()
            .filter(|c| c.ends_with("_sealed"))
        {
            in_schema.insert(format!("{table}.{col}"));
        }
    }
    let listed: std::collections::BTreeSet<String> =
        pingan_server::rekey::sealed_columns().into_iter().collect();
    assert_eq!(in_schema, listed);
}

both!(
    security_headers_on_pages_and_the_api,
    |app: TestApp| async move {
        let c = app.client_as("officer").await;
        for path in ["/", "/api/v1/me", "/login", "/api/v1/areas/999999"] {
            let r = c.get(format!("{}{path}", app.url)).send().await.unwrap();
            let h = r.headers();
            let csp = h["content-security-policy"].to_str().unwrap();
            for directive in [
                "default-src 'self'",
                "script-src 'self'",
                "frame-ancestors 'none'",
                "form-action 'self'",
            ] {
                assert!(
                    csp.contains(directive),
                    "{path}: CSP lacks {directive}: {csp}"
                );
            }
            assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
            assert_eq!(h["x-frame-options"], "DENY", "{path}");
            assert_eq!(h["cache-control"], "no-store", "{path}");
        }
        // The session cookie cannot be read by scripts or sent cross-site.
        let r = client()
            .post(format!("{}/api/v1/session", app.url))
            .json(&json!({"username": "officer", "password": app.password("officer")}))
            .send()
            .await
            .unwrap();
        let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
            "{cookie}"
        );
    }
);

/// A bearer request with an explicit client (no cookie jar involved).
async fn bearer(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut r = client()
        .request(method, format!("{}{path}", app.url))
        .bearer_auth(token);
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn new_token(app: &TestApp, c: &reqwest::Client, name: &str) -> (String, String) {
    let (s, b) = send(
        app,
        c,
        reqwest::Method::POST,
        "/api/v1/tokens",
        json!({"name": name, "days": 30}),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    (
        b["id"].as_str().unwrap().to_string(),
        b["token"].as_str().unwrap().to_string(),
    )
}

both!(
    api_tokens_are_listed_and_revocable,
    |app: TestApp| async move {
        use reqwest::Method;
        let c = app.client_as("dispatcher").await;
        let (gateway_id, gateway) = new_token(&app, &c, "camera-gateway").await;
        let (script_id, script) = new_token(&app, &c, "nightly-export").await;

        // The owner's list: both live, neither the cookie session's; no secret in it.
        let (s, list) = app.get_json(&c, "/api/v1/tokens").await;
        assert_eq!(s, 200);
        let names: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(names.len(), 2, "{list}");
        assert!(names.contains(&"camera-gateway") && names.contains(&"nightly-export"));
        assert!(
            list.as_array().unwrap().iter().all(|t| t["active"] == true
                && t["current"] == false
                && t["last_used_at"].is_null())
        );
        assert!(!list.to_string().contains(&gateway[4..]));

        // Used by bearer: its use is recorded and it knows itself.
        let (s, list) = bearer(&app, Method::GET, "/api/v1/tokens", &gateway, None).await;
        assert_eq!(s, 200);
        let me = list
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == gateway_id.as_str())
            .unwrap();
        assert_eq!(me["current"], true);
        assert!(me["last_used_at"].as_i64().is_some(), "{me}");

        // A token cannot mint tokens: revoking it must end all it could do.
        let (s, b) = bearer(
            &app,
            Method::POST,
            "/api/v1/tokens",
            &gateway,
            Some(json!({"name": "child"})),
        )
        .await;
        assert_eq!((s, error_code(&b).as_str()), (403, "session_required"));

        // Logging out with a token revokes that token, and only that one.
        let (s, _) = bearer(&app, Method::DELETE, "/api/v1/session", &gateway, None).await;
        assert_eq!(s, 204);
        assert_eq!(
            bearer(&app, Method::GET, "/api/v1/me", &gateway, None)
                .await
                .0,
            401
        );
        assert_eq!(
            bearer(&app, Method::GET, "/api/v1/me", &script, None)
                .await
                .0,
            200
        );
        assert_eq!(app.get_json(&c, "/api/v1/me").await.0, 200);

        // Someone else cannot revoke it (404: not theirs), the owner can, once.
        let other = app.client_as("officer").await;
        let path = format!("/api/v1/tokens/{script_id}");
        assert_eq!(
            send(&app, &other, Method::DELETE, &path, json!({})).await.0,
            404
        );
        assert_eq!(
            bearer(&app, Method::GET, "/api/v1/me", &script, None)
                .await
                .0,
            200
        );
        assert_eq!(
            send(&app, &c, Method::DELETE, &path, json!({})).await.0,
            204
        );
        assert_eq!(
            bearer(&app, Method::GET, "/api/v1/me", &script, None)
                .await
                .0,
            401
        );
        assert_eq!(
            send(&app, &c, Method::DELETE, &path, json!({})).await.0,
            404
        );

        let (_, list) = app.get_json(&c, "/api/v1/tokens").await;
        assert!(
            list.as_array()
                .unwrap()
                .iter()
                .all(|t| t["active"] == false && t["revoked_at"].as_i64().is_some())
        );
        let (n,): (i64,) = app
            .db
            .fetch_one(
                "SELECT COUNT(*) FROM audit_log WHERE action IN ('token.revoke', 'session.logout') AND actor_name = 'dispatcher'",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(n, 2);
    }
);

both!(
    a_password_reset_or_disabling_revokes_the_accounts_tokens,
    |app: TestApp| async move {
        use reqwest::Method;
        let sec = app.client_as("secadmin").await;
        for (username, change) in [
            ("officer", None),
            ("dispatcher", Some(json!({"disabled": true}))),
        ] {
            let c = app.client_as(username).await;
            let (_, token) = new_token(&app, &c, "integration").await;
            assert_eq!(
                bearer(&app, Method::GET, "/api/v1/me", &token, None)
                    .await
                    .0,
                200
            );
            let id = user_id(&app, username).await;
            let (s, b) = match &change {
                None => {
                    send(
                        &app,
                        &sec,
                        Method::POST,
                        &format!("/api/v1/users/{id}/password"),
                        json!({"password": "Temporary-2026x"}),
                    )
                    .await
                }
                Some(body) => {
                    send(
                        &app,
                        &sec,
                        Method::PATCH,
                        &format!("/api/v1/users/{id}"),
                        body.clone(),
                    )
                    .await
                }
            };
            assert!(s == 200 || s == 204, "{username}: {s} {b}");
            assert_eq!(
                bearer(&app, Method::GET, "/api/v1/me", &token, None)
                    .await
                    .0,
                401,
                "{username}'s token after {change:?}"
            );
            if change.is_some() {
                // Re-enabled, the account does not get its old tokens back.
                let (s, _) = send(
                    &app,
                    &sec,
                    Method::PATCH,
                    &format!("/api/v1/users/{id}"),
                    json!({"disabled": false}),
                )
                .await;
                assert_eq!(s, 200);
                assert_eq!(
                    bearer(&app, Method::GET, "/api/v1/me", &token, None)
                        .await
                        .0,
                    401
                );
            }
        }
    }
);

both!(
    wrong_current_passwords_lock_the_account_like_failed_logins,
    |app: TestApp| async move {
        // A borrowed session cannot be used to guess the password: each wrong current password counts.
        let c = app.client_as("dispatcher").await;
        let max = app.state.config.auth.max_failed_logins;
        for attempt in 1..=max {
            let (s, b) = send(
                &app,
                &c,
                reqwest::Method::PUT,
                "/api/v1/session/password",
                json!({"current_password": "Guess-number-1", "new_password": "Another-pass-2026"}),
            )
            .await;
            let expected = if attempt < max { 422 } else { 423 };
            assert_eq!(s, expected, "attempt {attempt}: {b}");
        }
        // Locked: the session has ended and the right password does not log in for now.
        assert_eq!(app.get_json(&c, "/api/v1/me").await.0, 401);
        let password = app.password("dispatcher");
        assert_eq!(
            login(&app, &client(), "dispatcher", &password, None)
                .await
                .0,
            423
        );
        let locks: Vec<(String, String)> = app
            .db
            .fetch_all(
                "SELECT actor_name, detail FROM audit_log WHERE action = 'user.lock' ORDER BY seq",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(locks.len(), 1, "{locks:?}");
        assert_eq!(locks[0].0, "dispatcher");
        assert!(
            locks[0].1.contains(&format!("\"after_failures\":{max}")),
            "{locks:?}"
        );
    }
);
