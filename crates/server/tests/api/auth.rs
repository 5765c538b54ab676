use super::*;
use helpers::*;
use pingan_server::Config;

both!(
    every_demo_role_logs_in_and_sees_its_role,
    |app: TestApp| async move {
        for l in app.logins.clone() {
            let c = app.client_as(&l.username).await;
            let (s, me) = app.get_json(&c, "/api/v1/me").await;
            assert_eq!(s, 200);
            assert_eq!(me["username"], l.username.as_str());
            assert_eq!(me["role"], l.role.code());
            let r = c.get(format!("{}/", app.url)).send().await.unwrap();
            assert_eq!(r.status(), 200, "dashboard for {}", l.username);
            let html = r.text().await.unwrap();
            assert!(html.contains("id=\"main-nav\"") && html.contains(&l.username));
        }
    }
);

both!(
    wrong_password_is_401_and_audited,
    |app: TestApp| async move {
        let c = client();
        let r = c
            .post(format!("{}/api/v1/session", app.url))
            .json(&serde_json::json!({"username": "officer", "password": "nope-Nope-1"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        assert_eq!(error_code(&r.json().await.unwrap()), "invalid_credentials");
        let r = c
            .post(format!("{}/api/v1/session", app.url))
            .json(&serde_json::json!({"username": "ghost", "password": "nope-Nope-1"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        let rows: Vec<(String, String, String)> = app
        .db
        .fetch_all("SELECT actor_name, action, outcome FROM audit_log WHERE action = 'session.login' ORDER BY seq", vec![])
        .await
        .unwrap();
        assert_eq!(
            rows,
            vec![
                ("officer".into(), "session.login".into(), "failed".into()),
                ("ghost".into(), "session.login".into(), "failed".into()),
            ]
        );
        let (s, _) = app.get_json(&c, "/api/v1/me").await;
        assert_eq!(s, 401);
    }
);

// Ten failures lock the account (the default); the lock and each failure are in the audit log, the
// right password is refused while locked, and the security administrator can lift it.
both!(ten_failures_lock_the_account, |app: TestApp| async move {
    let c = client();
    let login = |pw: String| {
        let c = c.clone();
        let url = app.url.clone();
        async move {
            c.post(format!("{url}/api/v1/session"))
                .json(&serde_json::json!({"username": "mediator", "password": pw}))
                .send()
                .await
                .unwrap()
        }
    };
    for i in 1..=10 {
        let r = login(format!("wrong-Pass-{i}")).await;
        assert_eq!(r.status(), if i < 10 { 401 } else { 423 }, "attempt {i}");
    }
    let r = login(app.password("mediator")).await;
    assert_eq!(r.status(), 423);
    assert_eq!(error_code(&r.json().await.unwrap()), "account_locked");
    let (failed,): (i64,) = app
        .db
        .fetch_one("SELECT COUNT(*) FROM audit_log WHERE action = 'session.login' AND actor_name = 'mediator' AND outcome = 'failed'", vec![])
        .await
        .unwrap();
    assert_eq!(failed, 10);
    let (locks,): (i64,) = app
        .db
        .fetch_one(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'user.lock' AND actor_name = 'mediator'",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(locks, 1);
    let (denied,): (i64,) = app
        .db
        .fetch_one("SELECT COUNT(*) FROM audit_log WHERE action = 'session.login' AND actor_name = 'mediator' AND outcome = 'denied'", vec![])
        .await
        .unwrap();
    assert_eq!(denied, 1);
    // The security administrator unlocks; the right password then works.
    let admin = app.client_as("secadmin").await;
    let (_, me) = app.get_json(&admin, "/api/v1/users").await;
    let id = me
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "mediator")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = admin
        .post(format!("{}/api/v1/users/{id}/unlock", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(login(app.password("mediator")).await.status(), 200);
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lockout_threshold_and_duration_are_configurable() {
    let app = helpers::TestApp::spawn(
        pingan_store::Backend::Sqlite,
        "lockout_config",
        |c: &mut Config| {
            c.auth.max_failed_logins = 3;
            c.auth.lockout_minutes = 1;
        },
    )
    .await
    .unwrap();
    let c = client();
    let mut statuses = vec![];
    for _ in 0..3 {
        let r = c
            .post(format!("{}/api/v1/session", app.url))
            .json(&serde_json::json!({"username": "leader", "password": "x-Wrong-123"}))
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, [401, 401, 423]);
    let (until,): (Option<i64>,) = app
        .db
        .fetch_one(
            "SELECT locked_until FROM users WHERE username = 'leader'",
            vec![],
        )
        .await
        .unwrap();
    let minutes = (until.unwrap() - pingan_store::now_micros()) as f64 / 60e6;
    assert!(
        (0.9..=1.0).contains(&minutes),
        "locked for {minutes} minutes"
    );
}

// Fail closed (issue 18): a session whose stage this server does not know is refused, not taken for
// an unrestricted one. (Before: any unknown stage parsed as `full`.)
both!(
    a_session_with_an_unknown_stage_is_refused,
    |app: TestApp| async move {
        let c = app.client_as("dispatcher").await;
        assert_eq!(app.get_json(&c, "/api/v1/me").await.0, 200);
        app.db
            .execute("UPDATE sessions SET stage = 'superuser'", vec![])
            .await
            .unwrap();
        assert_eq!(app.get_json(&c, "/api/v1/me").await.0, 401);
        assert_eq!(app.get_json(&c, "/api/v1/incidents").await.0, 401);
    }
);

both!(
    idle_sessions_expire_and_logout_ends_them,
    |app: TestApp| async move {
        let c = app.client_as("dispatcher").await;
        assert_eq!(app.get_json(&c, "/api/v1/me").await.0, 200);
        // 31 minutes of silence (default idle timeout 30).
        app.db
            .execute(
                "UPDATE sessions SET last_seen_at = last_seen_at - ?",
                vec![(31i64 * 60_000_000).into()],
            )
            .await
            .unwrap();
        assert_eq!(app.get_json(&c, "/api/v1/me").await.0, 401);
        let c = app.client_as("dispatcher").await;
        let r = c
            .delete(format!("{}/api/v1/session", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
        assert_eq!(app.get_json(&c, "/api/v1/me").await.0, 401);
        let (n,): (i64,) = app
            .db
            .fetch_one(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'session.logout'",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(n, 1);
    }
);

both!(
    api_tokens_authenticate_machine_clients,
    |app: TestApp| async move {
        let c = app.client_as("dispatcher").await;
        let r = c
            .post(format!("{}/api/v1/tokens", app.url))
            .json(&serde_json::json!({"name": "camera-gateway", "days": 30}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let token = r.json::<serde_json::Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_string();
        let bare = reqwest::Client::new();
        let r = bare
            .get(format!("{}/api/v1/me", app.url))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(
            r.json::<serde_json::Value>().await.unwrap()["username"],
            "dispatcher"
        );
        let r = bare
            .get(format!("{}/api/v1/me", app.url))
            .bearer_auth("pat_forged")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        let (stored,): (String,) = app
            .db
            .fetch_one("SELECT token_hash FROM api_tokens", vec![])
            .await
            .unwrap();
        assert!(!token.contains(&stored) && !stored.contains(&token[4..]));
    }
);

both!(
    permission_denials_are_403_and_audited,
    |app: TestApp| async move {
        let c = app.client_as("officer").await;
        let r = c
        .post(format!("{}/api/v1/areas", app.url))
        .json(&serde_json::json!({"code": "330681109299", "parent_code": "330681109", "name": "新村"}))
        .send()
        .await
        .unwrap();
        assert_eq!(r.status(), 403);
        assert_eq!(error_code(&r.json().await.unwrap()), "forbidden");
        let (n,): (i64,) = app.db.fetch_one("SELECT COUNT(*) FROM audit_log WHERE action = 'permission.denied' AND actor_name = 'officer'", vec![]).await.unwrap();
        assert_eq!(n, 1);
        // The auditor reads the audit log; the officer may not.
        assert_eq!(app.get_json(&c, "/api/v1/audit").await.0, 403);
        let a = app.client_as("auditor").await;
        let (s, rows) = app.get_json(&a, "/api/v1/audit?action=permission.").await;
        assert_eq!(s, 200);
        assert!(
            rows.as_array()
                .unwrap()
                .iter()
                .any(|r| r["actor_name"] == "officer")
        );
        let (s, v) = app.get_json(&a, "/api/v1/audit/verify").await;
        assert_eq!((s, v["ok"].as_bool()), (200, Some(true)));
    }
);

both!(
    personal_data_is_masked_and_reveal_needs_a_purpose,
    |app: TestApp| async move {
        let chief = app.client_as("chief").await;
        let (s, list) = app.get_json(&chief, "/api/v1/users").await;
        assert_eq!(s, 200);
        let officer = list
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["username"] == "officer")
            .unwrap()
            .clone();
        let masked = officer["mobile"].as_str().unwrap();
        assert!(masked.contains("****"), "{masked}");
        let id = officer["id"].as_str().unwrap();
        let (s, body) = app
            .get_json(&chief, &format!("/api/v1/users/{id}?reveal=mobile"))
            .await;
        assert_eq!((s, body["error"]["field"].as_str()), (422, Some("purpose")));
        let (s, body) = app
            .get_json(
                &chief,
                &format!(
                    "/api/v1/users/{id}?reveal=mobile&purpose=%E6%8E%92%E7%8F%AD%E8%81%94%E7%B3%BB"
                ),
            )
            .await;
        assert_eq!(s, 200);
        let full = body["mobile"].as_str().unwrap();
        assert_eq!(full.len(), 11);
        assert!(!full.contains('*'));
        let (purpose,): (Option<String>,) = app
        .db
        .fetch_one("SELECT purpose FROM audit_log WHERE action = 'user.read_personal' AND object_id = ?", vec![id.into()])
        .await
        .unwrap();
        assert_eq!(purpose.as_deref(), Some("排班联系"));
        // A role without the reveal permission is refused even with a purpose.
        let sec = app.client_as("secadmin").await;
        let (s, _) = app
            .get_json(
                &sec,
                &format!("/api/v1/users/{id}?reveal=mobile&purpose=check"),
            )
            .await;
        assert_eq!(s, 403);
    }
);
