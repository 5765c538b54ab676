//! What a person's home page (工作台) counts: incidents reported by them, and the headline figures of
//! their scope for two periods. Read-only.

use crate::db::Db;
use crate::incidents::IncidentRow;
use crate::scope;
use crate::{Result, args};
use pingan_domain::scope::Scope;

/// Incidents this person reported (grid worker, patrol), newest first.
pub async fn reported_by(db: &Db, user_id: &str, limit: i64) -> Result<Vec<IncidentRow>> {
    db.fetch_all(
        &format!(
            "SELECT {} FROM incidents WHERE reporter_user_id = ? ORDER BY received_at DESC LIMIT ?",
            crate::incidents::COLS
        ),
        args![user_id, limit],
    )
    .await
}

/// Incidents received in [from, to) within the scope (merged duplicates and cancelled reports not counted).
pub async fn incidents_received(db: &Db, s: &Scope, from: i64, to: i64) -> Result<i64> {
    count_in_period(
        db,
        s,
        "incidents",
        "received_at",
        "status NOT IN ('merged', 'cancelled')",
        (from, to),
    )
    .await
}

/// Disputes registered in [from, to) within the scope.
pub async fn disputes_registered(db: &Db, s: &Scope, from: i64, to: i64) -> Result<i64> {
    count_in_period(db, s, "disputes", "registered_at", "TRUE", (from, to)).await
}

/// Rows of `table` whose `at` column lies in [from, to), meeting `condition`, within the scope.
async fn count_in_period(
    db: &Db,
    s: &Scope,
    table: &str,
    at: &str,
    condition: &str,
    (from, to): (i64, i64),
) -> Result<i64> {
    let (pred, a) = scope::predicate(s, Some("area_path"), None);
    let mut all = args![from, to];
    all.extend(a);
    let (n,): (i64,) = db
        .fetch_one(
            &format!(
                "SELECT COUNT(*) FROM {table} WHERE {at} >= ? AND {at} < ? AND {condition} AND {pred}"
            ),
            all,
        )
        .await?;
    Ok(n)
}
