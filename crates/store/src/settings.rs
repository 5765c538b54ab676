//! Settings kept in the database (`settings`: key → value) — what every server of a deployment must
//! agree on, like the field key's check value, and one-time markers such as a demo step done.

use crate::db::Db;
use crate::{Result, args};

/// A setting's value.
pub async fn get(db: &Db, key: &str) -> Result<Option<String>> {
    let r: Option<(String,)> = db
        .fetch_optional("SELECT value FROM settings WHERE key = ?", args![key])
        .await?;
    Ok(r.map(|(v,)| v))
}

/// Stores `value` under `key` unless a value is there already; returns the value that holds.
pub async fn get_or_insert(db: &Db, key: &str, value: &str) -> Result<String> {
    db.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
        args![key, value],
    )
    .await?;
    Ok(get(db, key).await?.unwrap_or_else(|| value.to_string()))
}

/// Replaces a setting only if it still holds `old` (the field-key check value during a rotation).
pub async fn swap(db: &Db, key: &str, old: &str, new: &str) -> Result<bool> {
    let n = db
        .execute(
            "UPDATE settings SET value = ? WHERE key = ? AND value = ?",
            args![new, key, old],
        )
        .await?;
    Ok(n == 1)
}
