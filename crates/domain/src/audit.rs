//! The audit record and its hash chain. Every write, every login/logout/failed login and every read of
//! personal data becomes an `AuditEntry`. Entries are chained with SM3 (GB/T 32905): each entry's hash is
//! SM3(previous hash ‖ canonical bytes of the entry). The canonical bytes are built here, in Rust, from the
//! typed values — never from values as a database renders them — so SQLite and PostgreSQL give the same
//! chain, and `verify_chain` can name the first record whose content or link no longer matches.

use serde::{Deserialize, Serialize};
use sm3::{Digest, Sm3};

/// Hash of the chain's first predecessor: 32 zero bytes.
pub const GENESIS: ChainHash = ChainHash([0u8; 32]);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChainHash(pub [u8; 32]);

impl ChainHash {
    pub fn to_hex(self) -> String {
        hex::encode(self.0)
    }

    pub fn from_hex(s: &str) -> Option<Self> {
        let bytes = hex::decode(s).ok()?;
        Some(ChainHash(bytes.try_into().ok()?))
    }
}

/// What happened to the action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuditOutcome {
    Ok,
    /// Refused by a permission or scope check.
    Denied,
    /// Attempted and failed (wrong password, validation error …).
    Failed,
}

impl AuditOutcome {
    pub fn code(self) -> &'static str {
        match self {
            AuditOutcome::Ok => "ok",
            AuditOutcome::Denied => "denied",
            AuditOutcome::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ok" => Some(AuditOutcome::Ok),
            "denied" => Some(AuditOutcome::Denied),
            "failed" => Some(AuditOutcome::Failed),
            _ => None,
        }
    }
}

/// One audit record before it is sequenced and chained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// UTC microseconds.
    pub at: i64,
    pub actor_id: Option<String>,
    /// Username as typed for failed logins, otherwise the account's username.
    pub actor_name: String,
    /// Dotted verb, e.g. `session.login`, `user.create`, `area.read_personal`.
    pub action: String,
    pub object_type: String,
    pub object_id: Option<String>,
    pub outcome: AuditOutcome,
    /// Stated purpose, required for reads of personal data.
    pub purpose: Option<String>,
    /// Client address as seen by the server.
    pub ip: Option<String>,
    /// Small JSON object with the details worth keeping (never secrets).
    pub detail: String,
}

/// A stored record: an entry plus its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedEntry {
    pub seq: i64,
    pub entry: AuditEntry,
    pub prev_hash: ChainHash,
    pub hash: ChainHash,
}

impl AuditEntry {
    /// Length-prefixed fields in a fixed order, with the sequence number first so records cannot be
    /// reordered without breaking the chain. A version byte leads so the format can evolve.
    pub fn canonical_bytes(&self, seq: i64) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        out.push(1u8);
        out.extend_from_slice(&seq.to_be_bytes());
        out.extend_from_slice(&self.at.to_be_bytes());
        put_opt(&mut out, self.actor_id.as_deref());
        put(&mut out, &self.actor_name);
        put(&mut out, &self.action);
        put(&mut out, &self.object_type);
        put_opt(&mut out, self.object_id.as_deref());
        put(&mut out, self.outcome.code());
        put_opt(&mut out, self.purpose.as_deref());
        put_opt(&mut out, self.ip.as_deref());
        put(&mut out, &self.detail);
        out
    }

    pub fn seal(self, seq: i64, prev_hash: ChainHash) -> SealedEntry {
        let hash = link_hash(prev_hash, &self.canonical_bytes(seq));
        SealedEntry {
            seq,
            entry: self,
            prev_hash,
            hash,
        }
    }
}

fn put(out: &mut Vec<u8>, s: &str) {
    out.push(1);
    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn put_opt(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => put(out, s),
        None => out.push(0),
    }
}

pub fn link_hash(prev: ChainHash, canonical: &[u8]) -> ChainHash {
    let mut h = Sm3::new();
    h.update(prev.0);
    h.update(canonical);
    ChainHash(h.finalize().into())
}

/// Why a chain does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("record {seq}: sequence gap (expected {expected})")]
    Gap { seq: i64, expected: i64 },
    #[error("record {seq}: prev_hash does not match the hash of record {prev_seq}")]
    BrokenLink { seq: i64, prev_seq: i64 },
    #[error("record {seq}: content does not match its hash (edited after it was written)")]
    ContentChanged { seq: i64 },
}

impl ChainBreak {
    pub fn seq(&self) -> i64 {
        match self {
            ChainBreak::Gap { seq, .. }
            | ChainBreak::BrokenLink { seq, .. }
            | ChainBreak::ContentChanged { seq } => *seq,
        }
    }
}

/// Streaming verifier: feed records in sequence order; the first break is returned.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    expected_seq: i64,
    last_hash: ChainHash,
    pub verified: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        ChainVerifier {
            expected_seq: 1,
            last_hash: GENESIS,
            verified: 0,
        }
    }
}

impl ChainVerifier {
    pub fn push(&mut self, rec: &SealedEntry) -> Result<(), ChainBreak> {
        if rec.seq != self.expected_seq {
            return Err(ChainBreak::Gap {
                seq: rec.seq,
                expected: self.expected_seq,
            });
        }
        if rec.prev_hash != self.last_hash {
            return Err(ChainBreak::BrokenLink {
                seq: rec.seq,
                prev_seq: rec.seq - 1,
            });
        }
        if link_hash(rec.prev_hash, &rec.entry.canonical_bytes(rec.seq)) != rec.hash {
            return Err(ChainBreak::ContentChanged { seq: rec.seq });
        }
        self.expected_seq += 1;
        self.last_hash = rec.hash;
        self.verified += 1;
        Ok(())
    }

    pub fn last_hash(&self) -> ChainHash {
        self.last_hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(action: &str) -> AuditEntry {
        AuditEntry {
            at: 1_700_000_000_000_000,
            actor_id: Some("u1".into()),
            actor_name: "officer".into(),
            action: action.into(),
            object_type: "area".into(),
            object_id: Some("330681109".into()),
            outcome: AuditOutcome::Ok,
            purpose: None,
            ip: Some("127.0.0.1".into()),
            detail: "{}".into(),
        }
    }

    fn chain(n: i64) -> Vec<SealedEntry> {
        let mut prev = GENESIS;
        (1..=n)
            .map(|seq| {
                let s = entry(&format!("a{seq}")).seal(seq, prev);
                prev = s.hash;
                s
            })
            .collect()
    }

    #[test]
    fn sm3_standard_vector() {
        // GB/T 32905-2016 appendix A example 1: SM3("abc").
        let d: [u8; 32] = Sm3::digest(b"abc").into();
        assert_eq!(
            hex::encode(d),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
    }

    #[test]
    fn intact_chain_verifies() {
        let mut v = ChainVerifier::default();
        for r in chain(5) {
            v.push(&r).unwrap();
        }
        assert_eq!(v.verified, 5);
    }

    #[test]
    fn edited_content_is_located() {
        let mut recs = chain(5);
        recs[2].entry.outcome = AuditOutcome::Denied;
        let mut v = ChainVerifier::default();
        let err = recs.iter().try_for_each(|r| v.push(r)).unwrap_err();
        assert_eq!(err, ChainBreak::ContentChanged { seq: 3 });
    }

    #[test]
    fn rehashed_record_breaks_next_link() {
        // A forger who edits record 3 and recomputes its hash still breaks record 4's link.
        let mut recs = chain(5);
        recs[2].entry.detail = "{\"x\":1}".into();
        recs[2].hash = link_hash(recs[2].prev_hash, &recs[2].entry.canonical_bytes(3));
        let mut v = ChainVerifier::default();
        let err = recs.iter().try_for_each(|r| v.push(r)).unwrap_err();
        assert_eq!(
            err,
            ChainBreak::BrokenLink {
                seq: 4,
                prev_seq: 3
            }
        );
    }

    #[test]
    fn deleted_record_is_a_gap() {
        let mut recs = chain(5);
        recs.remove(1);
        let mut v = ChainVerifier::default();
        let err = recs.iter().try_for_each(|r| v.push(r)).unwrap_err();
        assert_eq!(err.seq(), 3);
    }

    #[test]
    fn none_and_empty_differ() {
        let mut a = entry("x");
        let mut b = entry("x");
        a.purpose = None;
        b.purpose = Some(String::new());
        assert_ne!(a.canonical_bytes(1), b.canonical_bytes(1));
    }
}
