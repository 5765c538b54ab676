//! The outbox: an event lands exactly when its transaction commits, in commit order without gaps, and a
//! payload that does not match its schema fails the commit, taking the change with it.

use super::*;
use pingan_domain::sharing::{Event, EventType, object, rfc3339};
use pingan_store::{args, outbox};

fn status_changed(id: &str, n: usize) -> Event {
    Event {
        event_type: EventType::DisputeStatusChanged,
        aggregate_id: id.into(),
        area_path: "/330681/".into(),
        occurred_at: 1_780_000_000_000_000 + n as i64,
        data: object(serde_json::json!({
            "number": format!("MD{n}"), "action": "accept", "from_status": "mediating",
            "status": "mediating", "tier": "village", "at": rfc3339(1_780_000_000_000_000),
            "area_path": "/330681/", "grid_code": null,
        })),
    }
}

both!(
    events_land_with_their_commit_in_order,
    |t: TestDb| async move {
        let db = &t.db;
        db.execute("CREATE TABLE things (id TEXT PRIMARY KEY)", vec![])
            .await
            .unwrap();
        // Rolled back: neither the change nor its event.
        let mut tx = db.begin().await.unwrap();
        tx.execute("INSERT INTO things (id) VALUES ('a')", args![])
            .await
            .unwrap();
        tx.emit(status_changed("a", 0));
        tx.rollback().await.unwrap();
        assert_eq!(outbox::head(db).await.unwrap(), 0);
        // A payload outside its schema: the commit fails and the change goes too.
        let mut tx = db.begin().await.unwrap();
        tx.execute("INSERT INTO things (id) VALUES ('b')", args![])
            .await
            .unwrap();
        let mut bad = status_changed("b", 1);
        bad.data.insert("caller_phone".into(), "13800000000".into());
        tx.emit(bad);
        assert!(tx.commit_audited(vec![]).await.is_err());
        let (n,): (i64,) = db
            .fetch_one("SELECT COUNT(*) FROM things", args![])
            .await
            .unwrap();
        assert_eq!(n, 0);
        // Committed from several tasks at once: positions 1..=N, no gap, each with its change.
        let mut handles = Vec::new();
        for i in 0..20 {
            let db = db.clone();
            handles.push(tokio::spawn(async move {
                let mut tx = db.begin().await.unwrap();
                let id = format!("t{i}");
                tx.execute("INSERT INTO things (id) VALUES (?)", args![id.as_str()])
                    .await
                    .unwrap();
                tx.emit(status_changed(&id, i));
                tx.emit(status_changed(&id, i + 100));
                tx.commit_audited(vec![]).await.unwrap();
            }));
        }
        for h in handles {
            h.await.unwrap();
        }
        assert_eq!(outbox::head(db).await.unwrap(), 40);
        let all = outbox::after(db, 0, 1000).await.unwrap();
        let positions: Vec<i64> = all.iter().map(|e| e.position).collect();
        assert_eq!(positions, (1..=40).collect::<Vec<_>>());
        // A transaction's two events are adjacent and in the order emitted.
        for pair in all.chunks(2) {
            assert_eq!(pair[0].aggregate_id, pair[1].aggregate_id);
            assert!(pair[0].occurred_at < pair[1].occurred_at);
        }
        let ids: std::collections::BTreeSet<&str> = all.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids.len(), 40, "unique idempotency keys");
        let one = outbox::of_aggregate(db, "dispute", "t3").await.unwrap();
        assert_eq!(one.len(), 2);
        assert_eq!(one[0].event_type(), Some(EventType::DisputeStatusChanged));
        assert_eq!(one[0].version, 1);
        let payload: serde_json::Value = serde_json::from_str(&one[0].payload).unwrap();
        assert_eq!(payload["number"], "MD3");
        assert_eq!(outbox::after(db, 38, 10).await.unwrap().len(), 2);
    }
);

both!(
    a_commit_wakes_the_readers_of_what_it_changed,
    |t: TestDb| async move {
        use pingan_store::wake::{CHANNEL, Topic, woken};
        // Other servers hear it through PostgreSQL: listen as one of them would.
        let mut other = match &t.db {
            pingan_store::Db::Postgres(pool) => {
                let mut l = sqlx::postgres::PgListener::connect_with(pool)
                    .await
                    .unwrap();
                l.listen(CHANNEL).await.unwrap();
                Some(l)
            }
            pingan_store::Db::Sqlite(_) => None,
        };
        // This process's readers are woken directly.
        let board = woken(Topic::Board).notified();
        let outbox_woken = woken(Topic::Outbox).notified();
        let mut tx = t.db.begin().await.unwrap();
        pingan_store::incidents::record_change(&mut tx, "incident", "i-1", "/330681/", 1)
            .await
            .unwrap();
        tx.emit(status_changed("d-1", 1));
        tx.commit_audited(vec![]).await.unwrap();
        let within = std::time::Duration::from_secs(10);
        tokio::time::timeout(within, board)
            .await
            .expect("board woken");
        tokio::time::timeout(within, outbox_woken)
            .await
            .expect("delivery woken");
        if let Some(l) = other.as_mut() {
            let (schema,): (String,) =
                t.db.fetch_one("SELECT current_schema()", args![])
                    .await
                    .unwrap();
            let mut heard = Vec::new();
            while heard.len() < 2 {
                let n = tokio::time::timeout(within, l.recv())
                    .await
                    .expect("notified")
                    .unwrap();
                // Other tests share the database in their own schemas: keep only ours.
                if n.payload().ends_with(&format!(":{schema}")) {
                    heard.push(n.payload().to_string());
                }
            }
            heard.sort();
            assert_eq!(
                heard,
                [format!("board:{schema}"), format!("outbox:{schema}")]
            );
        }
    }
);
