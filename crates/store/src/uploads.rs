//! Uploaded import files held between preview and confirmation (web UI). Only their owner can use them;
//! they are removed once imported.

use crate::db::{Db, Tx};
use crate::{Result, args, new_id, now_micros};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UploadRow {
    pub id: String,
    pub user_id: String,
    pub kind: String,
    pub file_name: String,
    pub crs: String,
    pub content: String,
}

pub async fn put(
    tx: &mut Tx,
    user_id: &str,
    kind: &str,
    file_name: &str,
    crs: &str,
    content: &str,
) -> Result<String> {
    let id = new_id();
    tx.execute(
        "INSERT INTO import_uploads (id, user_id, kind, file_name, crs, content, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        args![id.clone(), user_id, kind, file_name, crs, content, now_micros()],
    )
    .await?;
    Ok(id)
}

/// The upload, if it exists and belongs to `user_id`.
pub async fn get(db: &Db, id: &str, user_id: &str) -> Result<Option<UploadRow>> {
    db.fetch_optional(
        "SELECT id, user_id, kind, file_name, crs, content FROM import_uploads WHERE id = ? AND user_id = ?",
        args![id, user_id],
    )
    .await
}

pub async fn delete(db: &Db, id: &str) -> Result<u64> {
    db.execute("DELETE FROM import_uploads WHERE id = ?", args![id])
        .await
}

/// Drops uploads older than `max_age_micros` (abandoned previews).
pub async fn purge(db: &Db, max_age_micros: i64) -> Result<u64> {
    db.execute(
        "DELETE FROM import_uploads WHERE created_at < ?",
        args![now_micros() - max_age_micros],
    )
    .await
}
