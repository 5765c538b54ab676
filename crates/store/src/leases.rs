//! Job leases (`job_leases`): which server runs a periodic job this period. One statement per claim,
//! so two servers never both hold one; a lease that is not renewed lapses on its own.

use crate::{Db, Result, args};

/// Takes the lease on job `name` for one period, only if it is free or has lapsed — also for its own
/// holder, so a server that ticks twice within a period runs the period once. One statement, so two
/// servers never both take it.
pub async fn claim_period(db: &Db, name: &str, holder: &str, now: i64, until: i64) -> Result<bool> {
    let mut tx = db.begin().await?;
    let row: Option<(String,)> = tx
        .fetch_optional(
            "INSERT INTO job_leases (name, holder, lease_until) VALUES (?, ?, ?) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, lease_until = excluded.lease_until \
             WHERE job_leases.lease_until <= ? RETURNING name",
            args![name, holder, until, now],
        )
        .await?;
    tx.commit_audited(Vec::new()).await?;
    Ok(row.is_some())
}

/// Extends `holder`'s lease on `name` (a run that outlasts its period); false if it is no longer held.
pub async fn renew_lease(db: &Db, name: &str, holder: &str, until: i64) -> Result<bool> {
    let n = db
        .execute(
            "UPDATE job_leases SET lease_until = ? WHERE name = ? AND holder = ?",
            args![until, name, holder],
        )
        .await?;
    Ok(n == 1)
}
