//! 警网融合 outbox: the events a transaction's changes emit (`Tx::emit`), written at its commit in the
//! same transaction, so an event exists exactly when its change does. Each event takes the next
//! position from `outbox_head`, locked until the commit on PostgreSQL (SQLite has one writer), so
//! positions become visible in order: a reader that has seen position n never later finds a row
//! below n appear. Delivery reads forward by position.

use crate::{Backend, Db, Result, StoreError, Tx, args};
use pingan_domain::sharing::{Event, EventType};

/// One stored event.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct OutboxEvent {
    /// Commit order, from 1 without gaps.
    pub position: i64,
    /// UUID v7: the idempotency key consumers dedupe on.
    pub id: String,
    pub event_type: String,
    pub version: i64,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub area_path: String,
    /// UTC µs.
    pub occurred_at: i64,
    /// JSON object: the payload as its schema lists it.
    pub payload: String,
}

impl OutboxEvent {
    pub fn event_type(&self) -> Option<EventType> {
        EventType::parse(&self.event_type)
    }
}

const COLS: &str = "position, id, event_type, version, aggregate_type, aggregate_id, area_path, \
                    occurred_at, payload";

/// Writes `events` in the caller's transaction (called by `Tx::commit_audited`). A payload that
/// does not match its schema is refused: nothing of the transaction is committed.
pub(crate) async fn append(tx: &mut Tx, events: Vec<Event>) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    for e in &events {
        e.check()
            .map_err(|err| StoreError::Invalid(format!("outbox: {err}")))?;
    }
    let lock_sql = match tx.backend() {
        Backend::Sqlite => "SELECT position FROM outbox_head WHERE id = 1",
        Backend::Postgres => "SELECT position FROM outbox_head WHERE id = 1 FOR UPDATE",
    };
    let (mut position,): (i64,) = tx.fetch_one(lock_sql, args![]).await?;
    for e in events {
        position += 1;
        tx.queue(
            &format!("INSERT INTO outbox_events ({COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
            args![
                position,
                crate::new_id(),
                e.event_type.code(),
                e.event_type.version() as i64,
                e.event_type.aggregate(),
                e.aggregate_id,
                e.area_path,
                e.occurred_at,
                serde_json::Value::Object(e.data).to_string()
            ],
        );
    }
    tx.queue(
        "UPDATE outbox_head SET position = ? WHERE id = 1",
        args![position],
    );
    Ok(())
}

/// Woken after every commit that wrote events — in this process, and on PostgreSQL in any server
/// (`wake::listen`) — so delivery need not wait for its next poll.
pub fn committed() -> &'static tokio::sync::Notify {
    crate::wake::woken(crate::wake::Topic::Outbox)
}

/// Events after `position`, in order, at most `limit`.
pub async fn after(db: &Db, position: i64, limit: i64) -> Result<Vec<OutboxEvent>> {
    db.fetch_all(
        &format!("SELECT {COLS} FROM outbox_events WHERE position > ? ORDER BY position LIMIT ?"),
        args![position, limit],
    )
    .await
}

/// A record's events, in order.
pub async fn of_aggregate(
    db: &Db,
    aggregate_type: &str,
    aggregate_id: &str,
) -> Result<Vec<OutboxEvent>> {
    db.fetch_all(
        &format!(
            "SELECT {COLS} FROM outbox_events WHERE aggregate_type = ? AND aggregate_id = ? \
             ORDER BY position"
        ),
        args![aggregate_type, aggregate_id],
    )
    .await
}

/// The last position written (0 when none).
pub async fn head(db: &Db) -> Result<i64> {
    let (p,): (i64,) = db
        .fetch_one("SELECT position FROM outbox_head WHERE id = 1", args![])
        .await?;
    Ok(p)
}

/// The position just before the first event that happened at or after `at` (UTC µs): replaying
/// from there sends every event since `at`.
pub async fn position_before(db: &Db, at: i64) -> Result<i64> {
    let (p,): (Option<i64>,) = db
        .fetch_one(
            "SELECT MIN(position) FROM outbox_events WHERE occurred_at >= ?",
            args![at],
        )
        .await?;
    match p {
        Some(p) => Ok(p - 1),
        None => head(db).await,
    }
}
