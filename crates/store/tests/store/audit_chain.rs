use super::*;
use pingan_domain::audit::{AuditEntry, AuditOutcome, ChainBreak};
use pingan_store::{Db, audit};

fn entry(i: usize) -> AuditEntry {
    AuditEntry {
        at: 1_780_000_000_000_000 + i as i64,
        actor_id: Some("u1".into()),
        actor_name: "dispatcher".into(),
        action: "test.write".into(),
        object_type: "thing".into(),
        object_id: Some(format!("obj-{i}")),
        outcome: AuditOutcome::Ok,
        purpose: None,
        ip: Some("127.0.0.1".into()),
        detail: format!("{{\"i\":{i}}}"),
    }
}

/// Edits a row as a database administrator would, bypassing the append-only trigger.
async fn tamper(t: &TestDb, seq: i64) {
    match &t.db {
        Db::Sqlite(..) => {
            t.db.execute("DROP TRIGGER audit_log_no_update", vec![])
                .await
                .unwrap();
            t.db.execute(
                "UPDATE audit_log SET outcome = 'denied' WHERE seq = ?",
                vec![seq.into()],
            )
            .await
            .unwrap();
        }
        Db::Postgres(_) => {
            t.db.execute(
                "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
                vec![],
            )
            .await
            .unwrap();
            t.db.execute(
                "UPDATE audit_log SET outcome = 'denied' WHERE seq = ?",
                vec![seq.into()],
            )
            .await
            .unwrap();
        }
    }
}

both!(
    chain_verifies_and_locates_tampering,
    |t: TestDb| async move {
        for i in 0..5 {
            t.db.audit(vec![entry(i * 2), entry(i * 2 + 1)])
                .await
                .unwrap();
        }
        let r = audit::verify(&t.db).await.unwrap();
        assert_eq!((r.verified, r.head_seq, r.broken.clone()), (10, 10, None));
        tamper(&t, 7).await;
        let r = audit::verify(&t.db).await.unwrap();
        assert_eq!(r.broken, Some(ChainBreak::ContentChanged { seq: 7 }));
        assert_eq!(r.verified, 6);
    }
);

both!(
    audit_log_is_append_only_for_the_app,
    |t: TestDb| async move {
        t.db.audit(vec![entry(1)]).await.unwrap();
        assert!(
            t.db.execute("UPDATE audit_log SET action = 'x'", vec![])
                .await
                .is_err()
        );
        assert!(t.db.execute("DELETE FROM audit_log", vec![]).await.is_err());
        let rows = audit::list(
            &t.db,
            &audit::AuditQuery {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].action, "test.write");
    }
);

both!(concurrent_writers_make_one_chain, |t: TestDb| async move {
    // Two pools = two servers sharing one database.
    let other = t.reconnect().await.unwrap();
    let mut tasks = Vec::new();
    for w in 0..8 {
        let db = if w % 2 == 0 {
            t.db.clone()
        } else {
            other.clone()
        };
        tasks.push(tokio::spawn(async move {
            for i in 0..10 {
                db.audit(vec![entry(w * 100 + i)]).await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let r = audit::verify(&t.db).await.unwrap();
    assert_eq!((r.verified, r.broken), (80, None));
});

both!(rolled_back_write_leaves_no_audit, |t: TestDb| async move {
    let mut tx = t.db.begin().await.unwrap();
    tx.execute("UPDATE audit_head SET seq = seq WHERE id = 1", vec![])
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    let r = audit::verify(&t.db).await.unwrap();
    assert_eq!((r.verified, r.head_seq), (0, 0));
});
