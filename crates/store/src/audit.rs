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
