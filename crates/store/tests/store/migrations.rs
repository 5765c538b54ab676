use super::*;
use pingan_store::migrate;

both!(migrate_is_idempotent, |t: TestDb| async move {
    assert_eq!(
        migrate::current_version(&t.db).await.unwrap(),
        migrate::latest_version()
    );
    // A second run (a second server starting) applies nothing.
    assert!(migrate::migrate(&t.db).await.unwrap().is_empty());
    let other = t.reconnect().await.unwrap();
    assert!(migrate::migrate(&other).await.unwrap().is_empty());
});
