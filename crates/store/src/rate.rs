//! Fixed-window request counters in the database, so a limit holds across several servers.

use crate::{Db, Result, args};

/// Counts one request for `key` in the window starting at `window_start`; returns the count so far.
pub async fn hit(db: &Db, key: &str, window_start: i64) -> Result<i64> {
    // A write: in a write transaction (on SQLite the writer connection; a reader connection would
    // fail with SQLITE_BUSY when another writer committed since its snapshot).
    let mut tx = db.begin().await?;
    let (n,): (i64,) = tx
        .fetch_one(
            "INSERT INTO rate_counters (key, window_start, n) VALUES (?, ?, 1) \
             ON CONFLICT (key, window_start) DO UPDATE SET n = rate_counters.n + 1 RETURNING n",
            args![key, window_start],
        )
        .await?;
    tx.commit_audited(Vec::new()).await?;
    Ok(n)
}

/// Drops windows that started before `before`.
pub async fn prune(db: &Db, before: i64) -> Result<u64> {
    db.execute(
        "DELETE FROM rate_counters WHERE window_start < ?",
        args![before],
    )
    .await
}
