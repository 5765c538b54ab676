//! Sealed (SM4-GCM) columns during a field-key rotation: find values sealed under an older key, swap
//! in the re-sealed value (the sweep runs as a job under a lease, `leases`). The server does the
//! cryptography; this module only moves strings. Table and column names come from the server's fixed
//! list of sealed columns, never from a request.

use crate::db::Db;
use crate::{Result, args};

/// A sealed column and, when it has one, the blind-index column computed from the same plaintext.
#[derive(Debug, Clone, Copy)]
pub struct SealedColumn {
    pub table: &'static str,
    pub column: &'static str,
    pub index_column: Option<&'static str>,
}

/// Rows whose value in `c` is not sealed under `current_key_id` (at most `limit`).
pub async fn stale(
    db: &Db,
    c: SealedColumn,
    current_key_id: &str,
    limit: i64,
) -> Result<Vec<(String, String)>> {
    db.fetch_all(
        &format!(
            "SELECT id, {col} FROM {t} WHERE {col} IS NOT NULL AND {col} NOT LIKE ? ORDER BY id LIMIT ?",
            col = c.column,
            t = c.table
        ),
        args![format!("{current_key_id}:%"), limit],
    )
    .await
}

/// How many values of `c` are still sealed under an older key.
pub async fn count_stale(db: &Db, c: SealedColumn, current_key_id: &str) -> Result<i64> {
    let (n,): (i64,) = db
        .fetch_one(
            &format!(
                "SELECT COUNT(*) FROM {t} WHERE {col} IS NOT NULL AND {col} NOT LIKE ?",
                col = c.column,
                t = c.table
            ),
            args![format!("{current_key_id}:%")],
        )
        .await?;
    Ok(n)
}

/// One re-sealed value: replaces `old` only if it is still there (compare-and-swap), so a party edited
/// meanwhile, or a second sweeper, loses nothing.
pub struct Resealed {
    pub id: String,
    pub old: String,
    pub new: String,
    pub index: Option<String>,
}

/// Writes a batch in one transaction; returns how many rows took the new value.
pub async fn replace(db: &Db, c: SealedColumn, batch: &[Resealed]) -> Result<u64> {
    let mut tx = db.begin().await?;
    let mut n = 0;
    for r in batch {
        n += match (c.index_column, &r.index) {
            (Some(ix), Some(v)) => {
                tx.execute(
                    &format!(
                        "UPDATE {t} SET {col} = ?, {ix} = ? WHERE id = ? AND {col} = ?",
                        t = c.table,
                        col = c.column
                    ),
                    args![r.new.clone(), v.clone(), r.id.clone(), r.old.clone()],
                )
                .await?
            }
            _ => {
                tx.execute(
                    &format!(
                        "UPDATE {t} SET {col} = ? WHERE id = ? AND {col} = ?",
                        t = c.table,
                        col = c.column
                    ),
                    args![r.new.clone(), r.id.clone(), r.old.clone()],
                )
                .await?
            }
        };
    }
    tx.commit_audited(Vec::new()).await?;
    Ok(n)
}

/// Rows of `table` whose plain `column` still holds a value (at most `limit`): personal data written
/// before it was sealed. Table and column names come from the server's fixed list.
pub async fn plain_values(
    db: &Db,
    table: &str,
    column: &str,
    limit: i64,
) -> Result<Vec<(String, String)>> {
    db.fetch_all(
        &format!("SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL ORDER BY id LIMIT ?"),
        args![limit],
    )
    .await
}

/// A plain value and what replaces it.
pub struct Sealing {
    pub id: String,
    pub plain: String,
    pub sealed: String,
    pub index: Option<String>,
}

/// Moves a batch of plain values into the sealed column `c` (and its index) and empties `plain`, each
/// row only if it still holds the value read; returns how many rows changed.
pub async fn seal_plain(db: &Db, c: SealedColumn, plain: &str, batch: &[Sealing]) -> Result<u64> {
    let mut tx = db.begin().await?;
    let mut n = 0;
    for s in batch {
        n += match (c.index_column, &s.index) {
            (Some(ix), Some(v)) => {
                tx.execute(
                    &format!(
                        "UPDATE {t} SET {col} = ?, {ix} = ?, {plain} = NULL WHERE id = ? AND {plain} = ?",
                        t = c.table,
                        col = c.column
                    ),
                    args![s.sealed.clone(), v.clone(), s.id.clone(), s.plain.clone()],
                )
                .await?
            }
            _ => {
                tx.execute(
                    &format!(
                        "UPDATE {t} SET {col} = ?, {plain} = NULL WHERE id = ? AND {plain} = ?",
                        t = c.table,
                        col = c.column
                    ),
                    args![s.sealed.clone(), s.id.clone(), s.plain.clone()],
                )
                .await?
            }
        };
    }
    tx.commit_audited(Vec::new()).await?;
    Ok(n)
}
