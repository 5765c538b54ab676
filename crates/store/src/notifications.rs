//! Notifications for people: one row per recipient, queued in the transaction that made the news,
//! read and marked read by the recipient only.

use crate::db::{Db, Tx};
use crate::{Result, args, new_id};

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct NotificationRow {
    pub id: String,
    pub at: i64,
    pub kind: String,
    pub object_type: String,
    pub object_id: String,
    pub message: String,
    pub message_en: String,
    pub read_at: Option<i64>,
}

/// Queued in `tx`: one notification per user.
pub fn queue(
    tx: &mut Tx,
    user_ids: &[String],
    at: i64,
    kind: &str,
    object: (&str, &str),
    (message, message_en): (&str, &str),
) {
    for u in user_ids {
        tx.queue(
            "INSERT INTO notifications (id, user_id, at, kind, object_type, object_id, message, message_en) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            args![new_id(), u.as_str(), at, kind, object.0, object.1, message, message_en],
        );
    }
}

/// A user's notifications, newest first, at most `limit`.
pub async fn list(
    db: &Db,
    user_id: &str,
    unread_only: bool,
    limit: i64,
) -> Result<Vec<NotificationRow>> {
    let filter = if unread_only {
        " AND read_at IS NULL"
    } else {
        ""
    };
    db.fetch_all(
        &format!(
            "SELECT id, at, kind, object_type, object_id, message, message_en, read_at FROM notifications \
             WHERE user_id = ?{filter} ORDER BY at DESC, id DESC LIMIT ?"
        ),
        args![user_id, limit],
    )
    .await
}

/// One of the user's notifications (none for someone else's).
pub async fn get(db: &Db, user_id: &str, id: &str) -> Result<Option<NotificationRow>> {
    db.fetch_optional(
        "SELECT id, at, kind, object_type, object_id, message, message_en, read_at FROM notifications \
         WHERE id = ? AND user_id = ?",
        args![id, user_id],
    )
    .await
}

pub async fn unread_count(db: &Db, user_id: &str) -> Result<i64> {
    let (n,): (i64,) = db
        .fetch_one(
            "SELECT COUNT(*) FROM notifications WHERE user_id = ? AND read_at IS NULL",
            args![user_id],
        )
        .await?;
    Ok(n)
}

/// Marks one read; false when it is not the user's or was read already.
pub async fn mark_read(db: &Db, user_id: &str, id: &str, at: i64) -> Result<bool> {
    let n = db
        .execute(
            "UPDATE notifications SET read_at = ? WHERE id = ? AND user_id = ? AND read_at IS NULL",
            args![at, id, user_id],
        )
        .await?;
    Ok(n > 0)
}

/// Marks every unread one of the user's read; returns how many.
pub async fn mark_all_read(db: &Db, user_id: &str, at: i64) -> Result<u64> {
    db.execute(
        "UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL",
        args![at, user_id],
    )
    .await
}
