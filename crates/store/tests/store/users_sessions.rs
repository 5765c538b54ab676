use super::*;
use pingan_domain::{Role, ScopeGrant, ScopeKind};
use pingan_store::{StoreError, now_micros, sessions, users};

fn new_user(name: &str) -> users::NewUser {
    users::NewUser {
        username: name.into(),
        display_name: "测试".into(),
        role: Role::Officer,
        org_id: None,
        mobile_sealed: Some("k1:sealed-by-the-server".into()),
        password_hash: "$argon2id$fake".into(),
        grants: vec![ScopeGrant {
            kind: ScopeKind::Area,
            path: "/330681/330681109/".into(),
        }],
    }
}

both!(
    usernames_are_case_insensitive_and_unique,
    |t: TestDb| async move {
        let mut tx = t.db.begin().await.unwrap();
        let id = users::insert(&mut tx, &new_user("Officer.Li"))
            .await
            .unwrap();
        tx.commit_audited(vec![]).await.unwrap();
        let u = users::by_username(&t.db, "OFFICER.li")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(u.id, id);
        assert_eq!(u.role(), Some(Role::Officer));
        let scope = users::scope_of(&t.db, &id).await.unwrap();
        assert!(scope.covers_area_path("/330681/330681109/330681109201/"));
        let mut tx = t.db.begin().await.unwrap();
        let err = users::insert(&mut tx, &new_user("officer.li"))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err}");
        tx.rollback().await.unwrap();
        let mut tx = t.db.begin().await.unwrap();
        let err = users::insert(&mut tx, &new_user("bad name!"))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err}");
        tx.rollback().await.unwrap();
    }
);

async fn reserve(t: &TestDb, id: &str, max: i64, now: i64) -> users::Reservation {
    let mut tx = t.db.begin().await.unwrap();
    let r = users::reserve_login(&mut tx, id, max, now).await.unwrap();
    tx.commit_audited(vec![]).await.unwrap();
    r
}

async fn fail(t: &TestDb, id: &str, max: i64, now: i64) -> (i64, Option<i64>) {
    let mut tx = t.db.begin().await.unwrap();
    let r = users::finish_failed_login(&mut tx, id, max, 60_000_000, now)
        .await
        .unwrap();
    tx.commit_audited(vec![]).await.unwrap();
    r
}

async fn succeed(t: &TestDb, id: &str, now: i64) -> Option<i64> {
    let mut tx = t.db.begin().await.unwrap();
    let r = users::finish_good_login(&mut tx, id, now).await.unwrap();
    tx.commit_audited(vec![]).await.unwrap();
    r
}

both!(lockout_counter, |t: TestDb| async move {
    use users::Reservation::*;
    let mut tx = t.db.begin().await.unwrap();
    let id = users::insert(&mut tx, &new_user("x")).await.unwrap();
    tx.commit_audited(vec![]).await.unwrap();
    let now = now_micros();
    for n in 1..=3 {
        assert_eq!(reserve(&t, &id, 3, now).await, Granted);
        let (count, locked) = fail(&t, &id, 3, now).await;
        assert_eq!(count, n);
        assert_eq!(locked.is_some(), n == 3);
    }
    let u = users::by_id(&t.db, &id).await.unwrap().unwrap();
    let until = u.locked_until.unwrap();
    assert!(until > now);
    assert_eq!(reserve(&t, &id, 3, now).await, Locked(until));
    // After the lock the count starts afresh.
    assert_eq!(reserve(&t, &id, 3, until).await, Granted);
    let mut tx = t.db.begin().await.unwrap();
    users::clear_failed_logins(&mut tx, &id).await.unwrap();
    tx.commit_audited(vec![]).await.unwrap();
    let u = users::by_id(&t.db, &id).await.unwrap().unwrap();
    assert_eq!((u.failed_logins, u.locked_until), (0, None));
});

both!(
    parallel_attempts_never_outrun_the_lockout,
    |t: TestDb| async move {
        use users::Reservation::*;
        let mut tx = t.db.begin().await.unwrap();
        let id = users::insert(&mut tx, &new_user("p")).await.unwrap();
        tx.commit_audited(vec![]).await.unwrap();
        let now = now_micros();
        // Three places, all taken before any check ends: a fourth attempt is not checked at all.
        for _ in 0..3 {
            assert_eq!(reserve(&t, &id, 3, now).await, Granted);
        }
        assert_eq!(reserve(&t, &id, 3, now).await, Busy);
        // Two end as failures, the third's failure locks…
        assert_eq!(fail(&t, &id, 3, now).await.1, None);
        assert_eq!(fail(&t, &id, 3, now).await.1, None);
        let (_, lock) = fail(&t, &id, 3, now).await;
        let until = lock.expect("the third failure locks");
        assert_eq!(reserve(&t, &id, 3, now).await, Locked(until));
        // …and a right password whose check began before the lock is still refused.
        let mut tx = t.db.begin().await.unwrap();
        users::release_login(&mut tx, &id).await.unwrap();
        tx.commit_audited(vec![]).await.unwrap();
        assert_eq!(succeed(&t, &id, now).await, Some(until));
        let u = users::by_id(&t.db, &id).await.unwrap().unwrap();
        assert_eq!(u.locked_until, Some(until), "a success never clears a lock");

        // A success while others are still being checked keeps their places counted.
        let later = until + 1;
        assert_eq!(reserve(&t, &id, 3, later).await, Granted);
        assert_eq!(reserve(&t, &id, 3, later).await, Granted);
        assert_eq!(succeed(&t, &id, later).await, None);
        assert_eq!(reserve(&t, &id, 3, later).await, Granted);
        assert_eq!(reserve(&t, &id, 3, later).await, Granted);
        assert_eq!(reserve(&t, &id, 3, later).await, Busy);
    }
);

both!(
    a_reservation_left_by_a_killed_server_expires,
    |t: TestDb| async move {
        use users::Reservation::*;
        let mut tx = t.db.begin().await.unwrap();
        let id = users::insert(&mut tx, &new_user("k")).await.unwrap();
        tx.commit_audited(vec![]).await.unwrap();
        let now = now_micros();
        for _ in 0..2 {
            assert_eq!(reserve(&t, &id, 2, now).await, Granted);
        }
        assert_eq!(reserve(&t, &id, 2, now).await, Busy);
        let after = now + users::LOGIN_HOLD_MICROS + 1;
        assert_eq!(reserve(&t, &id, 2, after).await, Granted);
    }
);

both!(
    sessions_and_tokens_store_only_hashes,
    |t: TestDb| async move {
        let mut tx = t.db.begin().await.unwrap();
        let id = users::insert(&mut tx, &new_user("y")).await.unwrap();
        sessions::create(
            &mut tx,
            "secret-session",
            &id,
            now_micros() + 1_000_000,
            Some("127.0.0.1"),
            None,
            "full",
        )
        .await
        .unwrap();
        sessions::create_token(&mut tx, &id, "ci", "pat_secret", None)
            .await
            .unwrap();
        tx.commit_audited(vec![]).await.unwrap();
        let s = sessions::get(&t.db, "secret-session")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(s.user_id, id);
        assert_ne!(s.id_hash, "secret-session");
        let raw: Vec<(String,)> =
            t.db.fetch_all("SELECT token_hash FROM api_tokens", vec![])
                .await
                .unwrap();
        assert!(
            raw.iter()
                .all(|(h,)| !h.contains("pat_secret") && h.len() == 64)
        );
        assert!(
            sessions::token(&t.db, "pat_secret")
                .await
                .unwrap()
                .is_some()
        );
        assert!(sessions::token(&t.db, "pat_other").await.unwrap().is_none());
        // Absolute expiry purges the session.
        let n = sessions::purge_expired(&t.db, now_micros() + 2_000_000, 3_600_000_000)
            .await
            .unwrap();
        assert_eq!(n, 1);
        assert!(
            sessions::get(&t.db, "secret-session")
                .await
                .unwrap()
                .is_none()
        );
    }
);

both!(password_history_keeps_the_newest, |t: TestDb| async move {
    let mut tx = t.db.begin().await.unwrap();
    let id = users::insert(&mut tx, &new_user("h")).await.unwrap();
    tx.commit_audited(vec![]).await.unwrap();
    for n in 1..=4 {
        let mut tx = t.db.begin().await.unwrap();
        users::set_password_hash(&mut tx, &id, &format!("hash-{n}"), now_micros(), 2)
            .await
            .unwrap();
        tx.commit_audited(vec![]).await.unwrap();
    }
    // The original and hash-1..3 were replaced; only the newest two are kept.
    let h = users::password_history(&t.db, &id, 10).await.unwrap();
    assert_eq!(h, vec!["hash-3".to_string(), "hash-2".to_string()]);
    let u = users::by_id(&t.db, &id).await.unwrap().unwrap();
    assert_eq!(u.password_hash, "hash-4");
    let mut tx = t.db.begin().await.unwrap();
    let err = users::set_password_hash(&mut tx, "nobody", "x", 1, 2)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err}");
});

both!(a_totp_step_is_used_once, |t: TestDb| async move {
    let mut tx = t.db.begin().await.unwrap();
    let id = users::insert(&mut tx, &new_user("z")).await.unwrap();
    // No secret yet: nothing to use.
    assert!(!users::use_totp_step(&mut tx, &id, 5, 1).await.unwrap());
    users::set_totp_pending(&mut tx, &id, "k1:sealed")
        .await
        .unwrap();
    assert!(users::use_totp_step(&mut tx, &id, 5, 1).await.unwrap());
    assert!(
        !users::use_totp_step(&mut tx, &id, 5, 2).await.unwrap(),
        "replay"
    );
    assert!(
        !users::use_totp_step(&mut tx, &id, 4, 2).await.unwrap(),
        "older step"
    );
    assert!(users::use_totp_step(&mut tx, &id, 6, 3).await.unwrap());
    tx.commit_audited(vec![]).await.unwrap();
    let u = users::by_id(&t.db, &id).await.unwrap().unwrap();
    assert_eq!((u.totp_enabled_at, u.totp_last_step), (Some(1), Some(6)));
    let mut tx = t.db.begin().await.unwrap();
    users::clear_totp(&mut tx, &id).await.unwrap();
    tx.commit_audited(vec![]).await.unwrap();
    let u = users::by_id(&t.db, &id).await.unwrap().unwrap();
    assert_eq!(u.totp_sealed, None);
});
