use super::*;
use pingan_domain::{Role, ScopeGrant, ScopeKind};
use pingan_store::{StoreError, now_micros, sessions, users};

fn new_user(name: &str) -> users::NewUser {
    users::NewUser {
        username: name.into(),
        display_name: "测试".into(),
        role: Role::Officer,
        org_id: None,
        mobile: Some("13800000000".into()),
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

both!(lockout_counter, |t: TestDb| async move {
    let mut tx = t.db.begin().await.unwrap();
    let id = users::insert(&mut tx, &new_user("x")).await.unwrap();
    tx.commit_audited(vec![]).await.unwrap();
    for n in 1..=3 {
        let mut tx = t.db.begin().await.unwrap();
        let (count, locked) = users::record_failed_login(&mut tx, &id, 3, 60_000_000)
            .await
            .unwrap();
        tx.commit_audited(vec![]).await.unwrap();
        assert_eq!(count, n);
        assert_eq!(locked.is_some(), n == 3);
    }
    let u = users::by_id(&t.db, &id).await.unwrap().unwrap();
    assert!(u.locked_until.unwrap() > now_micros());
    let mut tx = t.db.begin().await.unwrap();
    users::clear_failed_logins(&mut tx, &id).await.unwrap();
    tx.commit_audited(vec![]).await.unwrap();
    let u = users::by_id(&t.db, &id).await.unwrap().unwrap();
    assert_eq!((u.failed_logins, u.locked_until), (0, None));
});

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
