//! Notifications through the kernel's one channel: the people concerned get them with a link to the
//! object's page, only the recipient can mark one read, and "all read" clears the rest.

use super::*;
use helpers::*;
use serde_json::{Value, json};

both!(
    notifications_reach_their_recipient_only,
    |app: TestApp| async move {
        let grid = app.client_as("gridworker").await;
        let d = super::mediation::register(&app, &grid, json!({})).await;
        let id = d["id"].as_str().unwrap();

        let (s, list) = app
            .get_json(&grid, "/api/v1/notifications?unread=true")
            .await;
        assert_eq!(s, 200, "{list}");
        let mine: Vec<&Value> = list
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["object_id"] == id)
            .collect();
        assert_eq!(mine.len(), 1, "{list}");
        let n = mine[0];
        assert_eq!(n["kind"], "dispute.registered");
        assert_eq!(n["link"], format!("/disputes/{id}"));
        // In both languages: the grade by its name, never its code.
        let zh = n["message"].as_str().unwrap();
        let en = n["message_en"].as_str().unwrap();
        assert!(
            zh.starts_with("新登记矛盾纠纷") && zh.contains("黄"),
            "{zh}"
        );
        assert!(
            en.starts_with("New dispute") && en.contains("Yellow"),
            "{en}"
        );
        assert!(!zh.contains("yellow"), "{zh}");
        let nid = n["id"].as_str().unwrap();

        // Someone else's notification is not there for them.
        let other = app.client_as("officer").await;
        let (s, _) = post(
            &app,
            &other,
            &format!("/api/v1/notifications/{nid}/read"),
            json!({}),
        )
        .await;
        assert_eq!(s, 404);

        let (s, _) = post(
            &app,
            &grid,
            &format!("/api/v1/notifications/{nid}/read"),
            json!({}),
        )
        .await;
        assert_eq!(s, 204);
        let (s, _) = post(
            &app,
            &grid,
            &format!("/api/v1/notifications/{nid}/read"),
            json!({}),
        )
        .await;
        assert_eq!(s, 404, "read already");

        super::mediation::register(&app, &grid, json!({"title": "第二起纠纷"})).await;
        let (s, r) = post(&app, &grid, "/api/v1/notifications/read", json!({})).await;
        assert_eq!(s, 200, "{r}");
        assert!(r["marked"].as_u64().unwrap() >= 1, "{r}");
        let (_, left) = app
            .get_json(&grid, "/api/v1/notifications?unread=true")
            .await;
        assert_eq!(left, json!([]));
        let (_, all) = app.get_json(&grid, "/api/v1/notifications").await;
        assert!(all.as_array().unwrap().len() >= 2, "{all}");
    }
);

both!(
    the_header_count_does_not_keep_a_session_alive,
    |app: TestApp| async move {
        let c = app.client_as("officer").await;
        // The officer was last active ten minutes ago.
        let ten_minutes_ago = pingan_store::now_micros() - 10 * 60_000_000;
        let last_seen = || async {
            let (at,): (i64,) = app
                .db
                .fetch_one(
                    "SELECT MAX(s.last_seen_at) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.username = 'officer'",
                    pingan_store::args![],
                )
                .await
                .unwrap();
            at
        };
        app.db
            .execute(
                "UPDATE sessions SET last_seen_at = ? WHERE user_id = (SELECT id FROM users WHERE username = 'officer')",
                pingan_store::args![ten_minutes_ago],
            )
            .await
            .unwrap();
        // The page's own background poll answers, but the idle clock stands still.
        let r = c
            .get(format!("{}/notifications/count", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(last_seen().await, ten_minutes_ago);
        // Anything the person does moves it.
        let r = c
            .get(format!("{}/notifications", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(last_seen().await > ten_minutes_ago);
    }
);
