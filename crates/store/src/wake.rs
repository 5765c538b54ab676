//! Waking the other servers when a change commits. The live board's fan-out and partner delivery
//! read the database (`board_changes`, `outbox_events`); instead of every server polling several
//! times a second, a commit that wrote such rows wakes the readers: in this process directly, and on
//! PostgreSQL every server through `NOTIFY` on [`CHANNEL`] — sent inside the transaction, so
//! PostgreSQL delivers it only once the change is visible; the payload is `<topic>:<schema>`, so
//! deployments sharing one database (each in its own schema) wake only their own servers. Readers keep a slow poll as a safety net
//! (a notification lost while a listener reconnects).

use crate::db::Db;
use std::sync::OnceLock;
use std::time::Duration;
use tokio::sync::Notify;

/// The PostgreSQL notification channel.
pub const CHANNEL: &str = "pingan_changes";

/// What a commit changed, as the notification's payload names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    /// A row in `board_changes` (the live board).
    Board,
    /// Events in `outbox_events` (partner delivery).
    Outbox,
    /// Configuration servers cache (the incident types): drop the cached copy.
    Config,
}

impl Topic {
    pub fn code(self) -> &'static str {
        match self {
            Topic::Board => "board",
            Topic::Outbox => "outbox",
            Topic::Config => "config",
        }
    }
}

/// Woken after a commit (in this process, or any server's on PostgreSQL) that touched `topic`.
pub fn woken(topic: Topic) -> &'static Notify {
    static BOARD: OnceLock<Notify> = OnceLock::new();
    static OUTBOX: OnceLock<Notify> = OnceLock::new();
    static CONFIG: OnceLock<Notify> = OnceLock::new();
    match topic {
        Topic::Board => BOARD.get_or_init(Notify::new),
        Topic::Outbox => OUTBOX.get_or_init(Notify::new),
        Topic::Config => CONFIG.get_or_init(Notify::new),
    }
}

const ALL: [Topic; 3] = [Topic::Board, Topic::Outbox, Topic::Config];

fn wake_all() {
    for t in ALL {
        woken(t).notify_waiters();
    }
}

/// On PostgreSQL, listens on [`CHANNEL`] for as long as the process runs and wakes this process's
/// readers for every other server's commits; reconnects after a failure (and wakes everything then,
/// as a notification may have been missed). On SQLite there is one server, and commits wake it
/// directly: nothing to do. The answer counts the times the listener has started listening.
pub fn listen(db: &Db) -> tokio::sync::watch::Receiver<u64> {
    let (listening, started) = tokio::sync::watch::channel(0u64);
    let Db::Postgres(pool) = db else {
        return started;
    };
    let pool = pool.clone();
    tokio::spawn(async move {
        loop {
            let schema: std::result::Result<(String,), _> =
                sqlx::query_as("SELECT current_schema()")
                    .fetch_one(&pool)
                    .await;
            let listener = match schema {
                Ok(s) => sqlx::postgres::PgListener::connect_with(&pool)
                    .await
                    .map(|l| (l, s.0)),
                Err(e) => Err(e),
            };
            match listener {
                Ok((mut l, schema)) => {
                    if let Err(e) = l.listen(CHANNEL).await {
                        tracing::warn!(error = %e, "LISTEN failed");
                    } else {
                        listening.send_modify(|n| *n += 1);
                        wake_all();
                        let own = format!(":{schema}");
                        loop {
                            match l.recv().await {
                                Ok(n) if n.payload().ends_with(&own) => {
                                    let topic = &n.payload()[..n.payload().len() - own.len()];
                                    match ALL.iter().find(|t| t.code() == topic) {
                                        Some(t) => woken(*t).notify_waiters(),
                                        None => wake_all(),
                                    }
                                }
                                // Another schema's (another deployment's) change.
                                Ok(_) => {}
                                Err(e) => {
                                    tracing::warn!(error = %e, "change notifications lost; reconnecting");
                                    break;
                                }
                            }
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "change listener cannot connect"),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
    started
}
