//! The live feed behind the board: every incident or unit change appends a row to `board_changes` in
//! its own transaction; the commit wakes each server's reader (`pingan_store::wake`: in-process, and
//! PostgreSQL `NOTIFY` to every server), which reads the new rows and broadcasts them to its SSE
//! clients, which filter them by the viewer's scope. A slow poll (`server.live_poll_ms`) is the
//! safety net. Any server sees every server's changes, and a change is announced only after it
//! committed.
//!
//! PostgreSQL hands out sequence numbers at insert time, not commit time, so a row with a smaller
//! `seq` can appear after a larger one was read. The poller therefore keeps gaps open for a while and
//! re-reads them; a gap that stays empty (a rolled-back insert) is given up after `GAP_PATIENCE`.

use pingan_store::incidents::{self, ChangeRow};
use pingan_store::{Db, now_micros};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast;

/// The most changes read at once.
const BATCH: i64 = 2000;
/// How soon an open gap is read again.
const GAP_POLL: Duration = Duration::from_millis(200);
const GAP_PATIENCE: Duration = Duration::from_secs(5);
const KEEP_CHANGES_MICROS: i64 = 3_600_000_000;

/// One change as clients see it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Change {
    pub seq: i64,
    /// `incident` or `unit`.
    pub kind: String,
    pub id: String,
    #[serde(skip)]
    pub area_path: String,
}

#[derive(Clone)]
pub struct LiveFeed {
    tx: broadcast::Sender<Change>,
    /// Streams open per account on this server (the per-account cap).
    open: Arc<Mutex<HashMap<String, usize>>>,
}

/// One open stream of one account; closing the stream (dropping this) frees its place.
pub struct StreamTicket {
    open: Arc<Mutex<HashMap<String, usize>>>,
    user_id: String,
}

impl Drop for StreamTicket {
    fn drop(&mut self) {
        metrics::gauge!("live_streams_open").decrement(1.0);
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = open.get_mut(&self.user_id) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.user_id);
            }
        }
    }
}

impl LiveFeed {
    /// Starts the reader: woken by commits, and every `fallback` regardless.
    pub fn start(db: Db, fallback: Duration) -> LiveFeed {
        let (tx, _) = broadcast::channel(4096);
        let feed = LiveFeed {
            tx: tx.clone(),
            open: Arc::default(),
        };
        tokio::spawn(poll(db, tx, fallback));
        feed
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.tx.subscribe()
    }

    /// A place for one more stream of `user_id`, unless the account already holds `cap` of them.
    pub fn open_stream(&self, user_id: &str, cap: usize) -> Option<StreamTicket> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let n = open.entry(user_id.to_string()).or_default();
        if *n >= cap {
            return None;
        }
        *n += 1;
        metrics::gauge!("live_streams_open").increment(1.0);
        Some(StreamTicket {
            open: self.open.clone(),
            user_id: user_id.to_string(),
        })
    }
}

async fn poll(db: Db, tx: broadcast::Sender<Change>, fallback: Duration) {
    let woken = pingan_store::wake::woken(pingan_store::wake::Topic::Board);
    // Start from the present: clients load a snapshot first, then follow changes.
    let mut watermark = loop {
        match incidents::last_change(&db).await {
            Ok(n) => break n,
            Err(_) => tokio::time::sleep(Duration::from_secs(1)).await,
        }
    };
    let mut gaps: BTreeMap<i64, std::time::Instant> = BTreeMap::new();
    let mut last_prune = std::time::Instant::now();
    loop {
        // Registered before the read, so a commit during the read wakes the next one.
        let next = woken.notified();
        let from = gaps
            .keys()
            .next()
            .map_or(watermark, |g| (*g - 1).min(watermark));
        let rows: Vec<ChangeRow> = match incidents::changes_after(&db, from, BATCH).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "live feed poll failed");
                Vec::new()
            }
        };
        // A full batch leaves more to read: read on without waiting.
        let more = rows.len() as i64 == BATCH;
        for r in rows {
            if r.seq <= watermark && gaps.remove(&r.seq).is_none() {
                continue; // already announced
            }
            if r.seq > watermark {
                let now = std::time::Instant::now();
                for missing in watermark + 1..r.seq {
                    gaps.insert(missing, now);
                }
                watermark = r.seq;
            }
            let _ = tx.send(Change {
                seq: r.seq,
                kind: r.kind,
                id: r.object_id,
                area_path: r.area_path,
            });
        }
        gaps.retain(|_, since| since.elapsed() < GAP_PATIENCE);
        if last_prune.elapsed() > Duration::from_secs(300) {
            last_prune = std::time::Instant::now();
            let _ = incidents::prune_changes(&db, now_micros() - KEEP_CHANGES_MICROS).await;
        }
        // An open gap (a transaction that took its number but has not committed yet) is read again
        // soon; otherwise the next commit wakes the read, or the safety-net poll.
        let wait = if more {
            Duration::ZERO
        } else if gaps.is_empty() {
            fallback
        } else {
            GAP_POLL.min(fallback)
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = next => {}
        }
    }
}
