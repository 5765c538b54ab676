//! The audit log in the database: appending to the SM3 chain, reading, and verifying. The chain head
//! (last seq and hash) lives in `audit_head`; appenders lock it for the rest of their transaction
//! (PostgreSQL `FOR UPDATE`; SQLite's `BEGIN IMMEDIATE` already serialises writers), so concurrent
//! writers on several servers still produce one gap-free chain.

use crate::db::{Backend, Db, Tx};
use crate::{Result, StoreError, args};
use pingan_domain::audit::{
    AuditEntry, AuditOutcome, ChainBreak, ChainHash, ChainVerifier, SealedEntry,
};

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct AuditRow {
    pub seq: i64,
    pub at: i64,
    pub actor_id: Option<String>,
    pub actor_name: String,
    pub action: String,
    pub object_type: String,
    pub object_id: Option<String>,
    pub outcome: String,
    pub purpose: Option<String>,
    pub ip: Option<String>,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditRow {
    /// Rebuilds the typed record; a value that no longer parses counts as tampering.
    pub fn to_sealed(&self) -> Option<SealedEntry> {
        Some(SealedEntry {
            seq: self.seq,
            entry: AuditEntry {
                at: self.at,
                actor_id: self.actor_id.clone(),
                actor_name: self.actor_name.clone(),
                action: self.action.clone(),
                object_type: self.object_type.clone(),
                object_id: self.object_id.clone(),
                outcome: AuditOutcome::parse(&self.outcome)?,
                purpose: self.purpose.clone(),
                ip: self.ip.clone(),
                detail: self.detail.clone(),
            },
            prev_hash: ChainHash::from_hex(&self.prev_hash)?,
            hash: ChainHash::from_hex(&self.hash)?,
        })
    }
}

const COLUMNS: &str = "seq, at, actor_id, actor_name, action, object_type, object_id, outcome, purpose, ip, detail, prev_hash, hash";

pub(crate) async fn append(tx: &mut Tx, entries: Vec<AuditEntry>) -> Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let lock_sql = match tx.backend() {
        Backend::Sqlite => "SELECT seq, hash FROM audit_head WHERE id = 1",
        Backend::Postgres => "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE",
    };
    let (mut seq, head): (i64, String) = tx.fetch_one(lock_sql, args![]).await?;
    let mut prev = ChainHash::from_hex(&head)
        .ok_or_else(|| StoreError::Invalid("audit_head.hash is not a 32-byte hex hash".into()))?;
    for entry in entries {
        seq += 1;
        let sealed = entry.seal(seq, prev);
        let e = &sealed.entry;
        tx.queue(
            &format!(
                "INSERT INTO audit_log ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            ),
            args![
                seq,
                e.at,
                e.actor_id.clone(),
                e.actor_name.clone(),
                e.action.clone(),
                e.object_type.clone(),
                e.object_id.clone(),
                e.outcome.code(),
                e.purpose.clone(),
                e.ip.clone(),
                e.detail.clone(),
                sealed.prev_hash.to_hex(),
                sealed.hash.to_hex()
            ],
        );
        prev = sealed.hash;
    }
    // Sent with the commit: nothing in the transaction reads them back.
    tx.queue(
        "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1",
        args![seq, prev.to_hex()],
    );
    Ok(())
}

/// Filters for listing the audit log.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub actor_name: Option<String>,
    pub action_prefix: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub before_seq: Option<i64>,
    pub limit: i64,
}

pub async fn list(db: &Db, q: &AuditQuery) -> Result<Vec<AuditRow>> {
    let mut sql = format!("SELECT {COLUMNS} FROM audit_log WHERE 1 = 1");
    let mut a = args![];
    if let Some(v) = &q.actor_name {
        sql.push_str(" AND actor_name = ?");
        a.push(v.into());
    }
    if let Some(v) = &q.action_prefix {
        sql.push_str(" AND action LIKE ?");
        a.push(format!("{}%", v.replace(['%', '_'], "")).into());
    }
    if let Some(v) = &q.object_type {
        sql.push_str(" AND object_type = ?");
        a.push(v.into());
    }
    if let Some(v) = &q.object_id {
        sql.push_str(" AND object_id = ?");
        a.push(v.into());
    }
    if let Some(v) = q.before_seq {
        sql.push_str(" AND seq < ?");
        a.push(v.into());
    }
    sql.push_str(" ORDER BY seq DESC LIMIT ?");
    a.push(q.limit.clamp(1, 1000).into());
    db.fetch_all(&sql, a).await
}

/// Outcome of a full chain walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub verified: u64,
    pub head_seq: i64,
    pub broken: Option<ChainBreak>,
}

/// Walks the whole chain in pages, in sequence order, and checks the head row against the last record.
pub async fn verify(db: &Db) -> Result<VerifyReport> {
    let mut v = ChainVerifier::default();
    let mut after = 0i64;
    let mut last_seq = 0i64;
    loop {
        let page: Vec<AuditRow> = db
            .fetch_all(
                &format!("SELECT {COLUMNS} FROM audit_log WHERE seq > ? ORDER BY seq LIMIT 5000"),
                args![after],
            )
            .await?;
        if page.is_empty() {
            break;
        }
        for row in &page {
            let Some(sealed) = row.to_sealed() else {
                return Ok(report(
                    &v,
                    last_seq,
                    Some(ChainBreak::ContentChanged { seq: row.seq }),
                ));
            };
            if let Err(b) = v.push(&sealed) {
                return Ok(report(&v, last_seq, Some(b)));
            }
            last_seq = row.seq;
        }
        after = last_seq;
    }
    // A deleted tail shows as a head that runs ahead of the last record.
    let (head_seq, head_hash): (i64, String) = db
        .fetch_one("SELECT seq, hash FROM audit_head WHERE id = 1", args![])
        .await?;
    let tail_ok = head_seq == last_seq && ChainHash::from_hex(&head_hash) == Some(v.last_hash());
    let broken = (!tail_ok).then_some(ChainBreak::Gap {
        seq: last_seq + 1,
        expected: last_seq + 1,
    });
    Ok(VerifyReport {
        verified: v.verified,
        head_seq,
        broken,
    })
}

fn report(v: &ChainVerifier, head_seq: i64, broken: Option<ChainBreak>) -> VerifyReport {
    VerifyReport {
        verified: v.verified,
        head_seq,
        broken,
    }
}

/// Records with `from ≤ at < to` and `seq > after_seq`, oldest first, at most `limit` — for exports
/// that page through a period.
pub async fn range(
    db: &Db,
    from: i64,
    to: i64,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<AuditRow>> {
    db.fetch_all(
        &format!(
            "SELECT {COLUMNS} FROM audit_log WHERE at >= ? AND at < ? AND seq > ? ORDER BY seq LIMIT ?"
        ),
        args![from, to, after_seq, limit],
    )
    .await
}

/// How a repeated failure was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeated {
    /// The first of its kind in the window: written as an audit record.
    Recorded,
    /// Counted in the window's tally; the summary record will carry it.
    Counted(i64),
}

#[derive(sqlx::FromRow)]
struct TallyRow {
    action: String,
    object_type: String,
    object_id: Option<String>,
    actor_id: Option<String>,
    actor_name: String,
    outcome: String,
    detail: String,
    first_at: i64,
    last_at: i64,
    last_ip: Option<String>,
    n: i64,
}

impl TallyRow {
    /// The record that closes a window: the count, the first and last time, the first's detail.
    fn summary(self, at: i64) -> Option<AuditEntry> {
        if self.n < 2 {
            return None;
        }
        let first = serde_json::from_str::<serde_json::Value>(&self.detail)
            .unwrap_or(serde_json::Value::String(self.detail));
        let detail = serde_json::json!({
            "repeated": {
                "count": self.n,
                "first_at": self.first_at,
                "last_at": self.last_at,
                "first_recorded": true,
            },
            "first": first,
        });
        Some(AuditEntry {
            at,
            actor_id: self.actor_id,
            actor_name: self.actor_name,
            action: self.action,
            object_type: self.object_type,
            object_id: self.object_id,
            outcome: AuditOutcome::parse(&self.outcome).unwrap_or(AuditOutcome::Failed),
            purpose: None,
            ip: self.last_ip,
            detail: detail.to_string(),
        })
    }
}

const TALLY_COLUMNS: &str = "action, object_type, object_id, actor_id, actor_name, outcome, detail, first_at, last_at, last_ip, n";

/// Records a failure that an attacker can repeat at will (a login on a locked account, a refused
/// permission): the first with a given `key` in a window of `window_micros` becomes an audit record
/// at once; identical ones after it in the window are only counted, and one summary record (count,
/// first and last time) closes the window — written by [`flush_tallies`] or by the next failure after
/// the window. Evidence is kept, and the append-only log grows by O(1) per key and window.
pub async fn append_repeated(
    db: &Db,
    key: &str,
    entry: AuditEntry,
    window_micros: i64,
) -> Result<Repeated> {
    let mut tx = db.begin().await?;
    let counted: Option<(i64,)> = tx
        .fetch_optional(
            "INSERT INTO audit_tallies (key, action, object_type, object_id, actor_id, actor_name, outcome, detail, first_at, last_at, last_ip, n, window_until)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)
             ON CONFLICT (key) DO UPDATE SET n = audit_tallies.n + 1, last_at = excluded.last_at, last_ip = excluded.last_ip
             WHERE audit_tallies.window_until > excluded.first_at
             RETURNING n",
            args![
                key,
                entry.action.clone(),
                entry.object_type.clone(),
                entry.object_id.clone(),
                entry.actor_id.clone(),
                entry.actor_name.clone(),
                entry.outcome.code(),
                entry.detail.clone(),
                entry.at,
                entry.at,
                entry.ip.clone(),
                entry.at + window_micros
            ],
        )
        .await?;
    match counted {
        Some((1,)) => {
            tx.commit_audited(vec![entry]).await?;
            Ok(Repeated::Recorded)
        }
        Some((n,)) => {
            tx.commit_audited(vec![]).await?;
            Ok(Repeated::Counted(n))
        }
        None => {
            // The key's window has ended: close it with its summary and open a new one.
            let old: Option<TallyRow> = tx
                .fetch_optional(
                    &format!("DELETE FROM audit_tallies WHERE key = ? RETURNING {TALLY_COLUMNS}"),
                    args![key],
                )
                .await?;
            tx.execute(
                "INSERT INTO audit_tallies (key, action, object_type, object_id, actor_id, actor_name, outcome, detail, first_at, last_at, last_ip, n, window_until)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)",
                args![
                    key,
                    entry.action.clone(),
                    entry.object_type.clone(),
                    entry.object_id.clone(),
                    entry.actor_id.clone(),
                    entry.actor_name.clone(),
                    entry.outcome.code(),
                    entry.detail.clone(),
                    entry.at,
                    entry.at,
                    entry.ip.clone(),
                    entry.at + window_micros
                ],
            )
            .await?;
            let at = entry.at;
            let mut entries: Vec<AuditEntry> =
                old.and_then(|o| o.summary(at)).into_iter().collect();
            entries.push(entry);
            tx.commit_audited(entries).await?;
            Ok(Repeated::Recorded)
        }
    }
}

/// Closes every window that ended by `now`: a summary record for each that counted repeats. Safe on
/// several servers at once: each window is claimed by its `DELETE … RETURNING`, so it is summarised
/// once. Returns the summaries written.
pub async fn flush_tallies(db: &Db, now: i64) -> Result<usize> {
    let mut written = 0;
    loop {
        let keys: Vec<(String,)> = db
            .fetch_all(
                "SELECT key FROM audit_tallies WHERE window_until <= ? ORDER BY window_until LIMIT 100",
                args![now],
            )
            .await?;
        if keys.is_empty() {
            return Ok(written);
        }
        for (key,) in keys {
            let mut tx = db.begin().await?;
            let old: Option<TallyRow> = tx
                .fetch_optional(
                    &format!(
                        "DELETE FROM audit_tallies WHERE key = ? AND window_until <= ? RETURNING {TALLY_COLUMNS}"
                    ),
                    args![key, now],
                )
                .await?;
            let entries: Vec<AuditEntry> = old.and_then(|o| o.summary(now)).into_iter().collect();
            written += entries.len();
            tx.commit_audited(entries).await?;
        }
    }
}
