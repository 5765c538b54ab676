//! Logins under attack (issue 17): parallel guesses cannot outrun the lockout, password hashing is
//! bounded (503 + Retry-After beyond the queue), and refusals an attacker repeats at will add O(1)
//! records to the append-only audit log.

use super::*;
use futures::StreamExt;
use helpers::*;
use pingan_server::Config;

fn burst_config(c: &mut Config) {
    // As in the probe: the per-address limit off, so only the per-account rule stands.
    c.auth.login_per_ip_per_minute = 0;
    // Enough queue and patience that no attempt is turned away for load in this test.
    c.auth.password_checks_queued = 128;
    c.auth.password_check_wait_ms = 120_000;
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let (n,): (i64,) = app.db.fetch_one(sql, vec![]).await.unwrap();
    n
}

async fn login(c: &reqwest::Client, url: &str, user: &str, pw: &str) -> reqwest::Response {
    c.post(format!("{url}/api/v1/session"))
        .json(&serde_json::json!({"username": user, "password": pw}))
        .send()
        .await
        .unwrap()
}

/// Sends all the passwords at once; returns the statuses in the same order.
async fn burst(app: &TestApp, user: &str, passwords: Vec<String>) -> Vec<u16> {
    let c = client();
    let calls = passwords.into_iter().map(|pw| {
        let c = c.clone();
        let url = app.url.clone();
        let user = user.to_string();
        tokio::spawn(async move { login(&c, &url, &user, &pw).await.status().as_u16() })
    });
    let mut out = vec![];
    for h in futures::future::join_all(calls).await {
        out.push(h.unwrap());
    }
    out
}

// 40 wrong passwords at once: exactly the limit (10) is checked, one lock, audited once; afterwards
// the right password is refused. (Before the fix: 36×401, 3×423 and all 39 guesses checked.)
both_tuned!(
    parallel_guesses_are_checked_only_up_to_the_limit,
    burst_config,
    |app: TestApp| async move {
        let limit = app.state.config.auth.max_failed_logins;
        let before = app.state.hashing.checks_done();
        let statuses = burst(
            &app,
            "mediator",
            (0..40).map(|i| format!("wrong-Pass-{i}")).collect(),
        )
        .await;
        let checked = app.state.hashing.checks_done() - before;
        assert_eq!(
            checked as i64, limit,
            "password checks; answers {statuses:?}"
        );
        assert!(
            statuses.iter().all(|s| *s == 401 || *s == 423),
            "{statuses:?}"
        );
        assert_eq!(
            statuses.iter().filter(|s| **s == 401).count() as i64,
            limit - 1
        );
        let locks = count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'user.lock' AND actor_name = 'mediator'",
        )
        .await;
        assert_eq!(locks, 1);
        let failed = count(&app, "SELECT COUNT(*) FROM audit_log WHERE action = 'session.login' AND actor_name = 'mediator' AND outcome = 'failed'").await;
        assert_eq!(failed, limit, "each checked guess is in the log");
        let r = login(&client(), &app.url, "mediator", &app.password("mediator")).await;
        assert_eq!(r.status(), 423, "the right password once locked");
    }
);

// 39 wrong and 1 right at once, the right one in the middle: no more than the limit of guesses is
// checked, at most one login succeeds, and only before any lock; every lock is audited; once locked,
// the right password is refused.
both_tuned!(
    a_right_password_inside_a_burst_never_passes_a_lock,
    burst_config,
    |app: TestApp| async move {
        let limit = app.state.config.auth.max_failed_logins;
        let right = app.password("mediator");
        let mut pws: Vec<String> = (0..39).map(|i| format!("wrong-Pass-{i}")).collect();
        pws.insert(20, right.clone());
        let before = app.state.hashing.checks_done();
        let statuses = burst(&app, "mediator", pws).await;
        let checked = (app.state.hashing.checks_done() - before) as i64;
        let ok = statuses.iter().filter(|s| **s == 200).count() as i64;
        assert!(ok <= 1, "{statuses:?}");
        assert!(
            statuses.iter().all(|s| [200, 401, 423].contains(s)),
            "{statuses:?}"
        );
        let guesses = count(&app, "SELECT COUNT(*) FROM audit_log WHERE action = 'session.login' AND actor_name = 'mediator' AND outcome = 'failed'").await;
        assert!(guesses <= limit, "{guesses} guesses checked; limit {limit}");
        assert_eq!(
            checked,
            guesses + ok,
            "every check is a logged guess or the one success"
        );
        let lock_seq = app
            .db
            .fetch_optional::<(i64,)>(
                "SELECT seq FROM audit_log WHERE action = 'user.lock' AND actor_name = 'mediator'",
                vec![],
            )
            .await
            .unwrap();
        let ok_seq = app
            .db
            .fetch_optional::<(i64,)>("SELECT seq FROM audit_log WHERE action = 'session.login' AND actor_name = 'mediator' AND outcome = 'ok'", vec![])
            .await
            .unwrap();
        if let (Some((lock,)), Some((ok,))) = (lock_seq, ok_seq) {
            assert!(
                ok < lock,
                "a login succeeded after the lock (ok {ok}, lock {lock})"
            );
        }
        let (locked_until,): (Option<i64>,) = app
            .db
            .fetch_one(
                "SELECT locked_until FROM users WHERE username = 'mediator'",
                vec![],
            )
            .await
            .unwrap();
        let locked = locked_until.is_some_and(|t| t > pingan_store::now_micros());
        assert_eq!(
            lock_seq.is_some(),
            locked,
            "a lock exactly when it is audited"
        );
        let after = login(&client(), &app.url, "mediator", &right)
            .await
            .status();
        assert_eq!(after, if locked { 423 } else { 200 });
    }
);

// With every hashing slot busy and the queue full, a login is answered 503 with Retry-After at once
// (it neither waits nor counts as a failure); once the slot frees, the queued login is served.
both_tuned!(
    logins_beyond_the_hashing_queue_get_503,
    |c: &mut Config| {
        c.auth.login_per_ip_per_minute = 0;
        c.auth.password_checks_at_once = 1;
        c.auth.password_checks_queued = 1;
        c.auth.password_check_wait_ms = 120_000;
    },
    |app: TestApp| async move {
        let gate = app.state.hashing.clone();
        let held = gate.slot().await.unwrap();
        let c = client();
        let queued = {
            let (c, url, pw) = (c.clone(), app.url.clone(), app.password("leader"));
            tokio::spawn(async move { login(&c, &url, "leader", &pw).await.status().as_u16() })
        };
        while gate.waiting() == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        for user in ["mediator", "nobody-at-all"] {
            let r = login(&c, &app.url, user, "whatever-Pass-1").await;
            assert_eq!(r.status(), 503, "{user}");
            assert!(
                r.headers().get("retry-after").is_some(),
                "Retry-After for {user}"
            );
            assert_eq!(error_code(&r.json().await.unwrap()), "busy");
        }
        let (failed,): (i64,) = app
            .db
            .fetch_one(
                "SELECT failed_logins FROM users WHERE username = 'mediator'",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(failed, 0, "a refusal for load is no failed login");
        drop(held);
        assert_eq!(
            queued.await.unwrap(),
            200,
            "the queued login is served once a slot frees"
        );
    }
);

// 2,000 attempts on a locked account: the first refusal is a record, the rest one summary with the
// count once the window closes; the chain verifies. (Before the fix: 2,000 records.)
both_tuned!(
    a_flood_on_a_locked_account_adds_constant_audit_records,
    burst_config,
    |app: TestApp| async move {
        let c = client();
        for i in 0..10 {
            login(&c, &app.url, "mediator", &format!("wrong-Pass-{i}")).await;
        }
        let head = app.audit_head().await;
        let attempts = 2_000;
        let stream = futures::stream::iter(0..attempts).map(|i| {
            let c = c.clone();
            let url = app.url.clone();
            async move {
                login(&c, &url, "mediator", &format!("flood-Pass-{i}"))
                    .await
                    .status()
                    .as_u16()
            }
        });
        let statuses: Vec<u16> = stream.buffer_unordered(16).collect().await;
        assert!(statuses.iter().all(|s| *s == 423), "all refused as locked");
        let added = app.audit_head().await - head;
        assert!(added <= 2, "{added} audit records for {attempts} refusals");
        // The window closes (any server's housekeeping does this each minute): one summary.
        let far = pingan_store::now_micros() + 86_400_000_000;
        let written = pingan_store::audit::flush_tallies(&app.db, far)
            .await
            .unwrap();
        assert!(written >= 1);
        let (detail,): (String,) = app
            .db
            .fetch_one(
                "SELECT detail FROM audit_log WHERE action = 'session.login' AND actor_name = 'mediator' AND outcome = 'denied' ORDER BY seq DESC LIMIT 1",
                vec![],
            )
            .await
            .unwrap();
        let v: serde_json::Value = serde_json::from_str(&detail).unwrap();
        assert_eq!(v["repeated"]["count"], attempts, "{detail}");
        assert!(v["repeated"]["first_at"].as_i64() <= v["repeated"]["last_at"].as_i64());
        assert!(app.audit_head().await - head <= 3);
        let report = pingan_store::audit::verify(&app.db).await.unwrap();
        assert!(report.broken.is_none(), "{report:?}");
    }
);

// A role refused the same permission again and again: one record, then one summary.
both!(
    repeated_permission_denials_are_summarised,
    |app: TestApp| async move {
        let c = app.client_as("officer").await;
        for _ in 0..50 {
            assert_eq!(app.get_json(&c, "/api/v1/audit").await.0, 403);
        }
        let n = count(&app, "SELECT COUNT(*) FROM audit_log WHERE action = 'permission.denied' AND actor_name = 'officer'").await;
        assert_eq!(n, 1);
        pingan_store::audit::flush_tallies(&app.db, pingan_store::now_micros() + 86_400_000_000)
            .await
            .unwrap();
        let n = count(&app, "SELECT COUNT(*) FROM audit_log WHERE action = 'permission.denied' AND actor_name = 'officer'").await;
        assert_eq!(n, 2, "the first and the summary");
    }
);

fn grids_upload(boundary: &str) -> Vec<u8> {
    let file = r#"{"type": "FeatureCollection", "features": []}"#;
    format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"crs\"\r\n\r\nwgs84\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"grids.geojson\"\r\n\
         Content-Type: application/geo+json\r\n\r\n{file}\r\n--{boundary}--\r\n"
    )
    .into_bytes()
}

// Import uploads hold their file several times over: with every place taken and the queue full, one
// more upload is refused at once with 503 + Retry-After (nothing read, nothing stored); once a place
// frees, the same upload goes through to the check.
both_tuned!(
    uploads_beyond_the_gate_get_503,
    |c: &mut Config| {
        c.server.uploads_at_once = 1;
        c.server.uploads_queued = 0;
    },
    |app: TestApp| async move {
        let c = app.client_as("coordinator").await;
        let send = || {
            let boundary = "pingan-test-boundary";
            c.post(format!("{}/import/grids", app.url))
                .header(
                    "content-type",
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .body(grids_upload(boundary))
                .send()
        };
        let uploads_before = app.count("import_uploads").await;
        let held = app.state.uploads.slot().await.unwrap();
        let r = send().await.unwrap();
        assert_eq!(r.status(), 503);
        assert!(r.headers().get("retry-after").is_some());
        // A page: the refusal is HTML in the layout, as every page error (page_errors.rs).
        assert!(r.text().await.unwrap().contains("503"));
        assert_eq!(app.count("import_uploads").await, uploads_before);
        drop(held);
        let r = send().await.unwrap();
        assert_ne!(r.status(), 503, "a free place lets the upload through");
        assert!(
            r.status().is_success() || r.status() == 422,
            "the upload reached the check: {}",
            r.status()
        );
    }
);
