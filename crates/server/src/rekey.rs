//! Field-key rotation (GB/T 39786 key management). The operator makes a new key current and lists the
//! old one under `crypto.old_field_keys`; every key listed can open values, only the current one seals.
//! This sweep then re-seals every value still under an older key — and recomputes the blind indexes,
//! which derive from the current key — in batches, on one server at a time (a lease), each row by
//! compare-and-swap so concurrent edits are never overwritten. Once `pingan crypto status` shows no
//! stale values, the old key can be dropped from the configuration.

use crate::state::AppState;
use pingan_domain::audit::{AuditEntry, AuditOutcome};
use pingan_domain::crypto::FieldCipher;
use pingan_store::sealed::{self, Resealed, SealedColumn};
use pingan_store::{Db, now_micros};

/// A sealed column: where it lives, the associated data it is sealed under, and its blind index.
struct Sealed {
    at: SealedColumn,
    /// The column name the value is bound to (SM4-GCM associated data).
    aad: &'static str,
    /// How the blind index is computed from the plaintext, when the column has one.
    index: Option<fn(&FieldCipher, &str) -> String>,
}

fn id_index(c: &FieldCipher, plain: &str) -> String {
    c.blind_index("dispute_parties.id", plain)
}

fn phone_index(c: &FieldCipher, plain: &str) -> String {
    c.phone_index(plain)
}

const fn col(
    table: &'static str,
    column: &'static str,
    index_column: Option<&'static str>,
) -> SealedColumn {
    SealedColumn {
        table,
        column,
        index_column,
    }
}

/// Every sealed column of the schema. A new sealed column must be added here, or a rotation would
/// leave it under a key the operator is about to drop (the test `every_sealed_column_is_listed`
/// compares this list with the schema).
const COLUMNS: &[Sealed] = &[
    Sealed {
        at: col("dispute_parties", "name_sealed", None),
        aad: "dispute_parties.name",
        index: None,
    },
    Sealed {
        at: col("dispute_parties", "id_sealed", Some("id_index")),
        aad: "dispute_parties.id",
        index: Some(id_index),
    },
    Sealed {
        at: col("dispute_parties", "phone_sealed", Some("phone_index")),
        aad: "dispute_parties.phone",
        index: Some(phone_index),
    },
    Sealed {
        at: col("dispute_parties", "address_sealed", None),
        aad: "dispute_parties.address",
        index: None,
    },
    Sealed {
        at: col("case_parties", "name_sealed", None),
        aad: "case_parties.name",
        index: None,
    },
    Sealed {
        at: col("case_parties", "id_sealed", None),
        aad: "case_parties.id_number",
        index: None,
    },
    Sealed {
        at: col("users", "totp_sealed", None),
        aad: crate::auth::TOTP_COLUMN,
        index: None,
    },
    Sealed {
        at: col("users", "mobile_sealed", None),
        aad: MOBILE,
        index: None,
    },
    Sealed {
        at: col("incidents", "caller_name_sealed", None),
        aad: CALLER_NAME,
        index: None,
    },
    Sealed {
        at: col(
            "incidents",
            "caller_phone_sealed",
            Some("caller_phone_index"),
        ),
        aad: CALLER_PHONE,
        index: Some(phone_index),
    },
    Sealed {
        at: col("places", "contact_name_sealed", None),
        aad: CONTACT_NAME,
        index: None,
    },
    Sealed {
        at: col("places", "contact_phone_sealed", None),
        aad: CONTACT_PHONE,
        index: None,
    },
    Sealed {
        at: col("sharing_endpoints", "secret_sealed", None),
        aad: SHARING_SECRET,
        index: None,
    },
    Sealed {
        at: col("sharing_endpoints", "inbound_secret_sealed", None),
        aad: SHARING_INBOUND_SECRET,
        index: None,
    },
];

/// Opens an optional sealed value.
pub fn open_sealed(
    cipher: &FieldCipher,
    aad: &str,
    v: Option<&str>,
) -> Result<Option<String>, pingan_domain::crypto::CryptoError> {
    v.map(|s| cipher.open(aad, s)).transpose()
}

/// The associated data (column names) personal values are sealed under.
pub const CALLER_NAME: &str = "incidents.caller_name";
pub const CALLER_PHONE: &str = "incidents.caller_phone";
pub const CONTACT_NAME: &str = "places.contact_name";
pub const CONTACT_PHONE: &str = "places.contact_phone";
pub const MOBILE: &str = "users.mobile";
/// A partner's key deliveries are signed with, and the key it signs inbound events with.
pub const SHARING_SECRET: &str = "sharing_endpoints.secret";
pub const SHARING_INBOUND_SECRET: &str = "sharing_endpoints.inbound_secret";

/// Columns that held plain personal data before it was sealed (migration 13), and where each value
/// goes: `seal_plain` moves what is left when the server opens the database.
const PLAIN: &[(&str, &str, &str)] = &[
    ("incidents", "caller_name", "caller_name_sealed"),
    ("incidents", "caller_phone", "caller_phone_sealed"),
    ("places", "contact_name", "contact_name_sealed"),
    ("places", "contact_phone", "contact_phone_sealed"),
    ("users", "mobile", "mobile_sealed"),
];

/// Whether any plain personal-data column still holds a value.
pub async fn plain_left(db: &Db) -> Result<bool, RekeyError> {
    for (table, plain, _) in PLAIN {
        if !sealed::plain_values(db, table, plain, 1).await?.is_empty() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Seals every value still in a plain personal-data column (rows written before migration 13) into
/// its sealed column, with its blind index, and empties the plain one — row by row, compare-and-swap.
/// Returns how many values were sealed. Runs whenever the server opens the database; a no-op after the
/// first time.
pub async fn seal_plain(db: &Db, cipher: &FieldCipher) -> Result<u64, RekeyError> {
    let mut total = 0;
    for (table, plain, sealed_column) in PLAIN {
        let target = COLUMNS
            .iter()
            .find(|c| c.at.table == *table && c.at.column == *sealed_column)
            .expect("every plain column has a sealed column in COLUMNS");
        loop {
            let rows = sealed::plain_values(db, table, plain, BATCH).await?;
            if rows.is_empty() {
                break;
            }
            let batch: Vec<sealed::Sealing> = rows
                .into_iter()
                .map(|(id, value)| sealed::Sealing {
                    sealed: cipher.seal(target.aad, &value),
                    index: target.index.map(|f| f(cipher, &value)),
                    id,
                    plain: value,
                })
                .collect();
            total += sealed::seal_plain(db, target.at, plain, &batch).await?;
        }
    }
    if total > 0 {
        db.audit(vec![AuditEntry {
            at: now_micros(),
            actor_id: None,
            actor_name: "system".into(),
            action: "crypto.seal_plain".into(),
            object_type: "schema".into(),
            object_id: None,
            outcome: AuditOutcome::Ok,
            purpose: None,
            ip: None,
            detail: serde_json::json!({"values": total}).to_string(),
        }])
        .await?;
    }
    Ok(total)
}

/// `table.column` of every sealed column, for the schema check.
pub fn sealed_columns() -> Vec<String> {
    COLUMNS
        .iter()
        .map(|c| format!("{}.{}", c.at.table, c.at.column))
        .collect()
}

const BATCH: i64 = 500;

#[derive(Debug, thiserror::Error)]
pub enum RekeyError {
    #[error(transparent)]
    Store(#[from] pingan_store::StoreError),
    /// A value no configured key opens: the sweep stops rather than skip it silently.
    #[error("{column} of row {id}: {source}")]
    Unreadable {
        column: String,
        id: String,
        source: pingan_domain::crypto::CryptoError,
    },
}

/// Values still sealed under an older key, per `table.column`.
pub async fn status(db: &Db, cipher: &FieldCipher) -> Result<Vec<(String, i64)>, RekeyError> {
    let mut out = Vec::new();
    for c in COLUMNS {
        let n = sealed::count_stale(db, c.at, cipher.current_id()).await?;
        out.push((format!("{}.{}", c.at.table, c.at.column), n));
    }
    Ok(out)
}

/// One batch of one column; returns how many values were re-sealed.
async fn reseal_batch(db: &Db, cipher: &FieldCipher, c: &Sealed) -> Result<u64, RekeyError> {
    let rows = sealed::stale(db, c.at, cipher.current_id(), BATCH).await?;
    let mut batch = Vec::with_capacity(rows.len());
    for (id, old) in rows {
        let plain = cipher
            .open(c.aad, &old)
            .map_err(|source| RekeyError::Unreadable {
                column: format!("{}.{}", c.at.table, c.at.column),
                id: id.clone(),
                source,
            })?;
        batch.push(Resealed {
            index: c.index.map(|f| f(cipher, &plain)),
            new: cipher.seal(c.aad, &plain),
            id,
            old,
        });
    }
    if batch.is_empty() {
        return Ok(0);
    }
    Ok(sealed::replace(db, c.at, &batch).await?)
}

/// Re-seals everything stale; `progress` hears each batch. Audits one record per column touched.
/// Returns the number of values re-sealed.
pub async fn run(
    db: &Db,
    cipher: &FieldCipher,
    actor: &str,
    mut progress: impl FnMut(&str, u64),
) -> Result<u64, RekeyError> {
    let mut total = 0;
    for c in COLUMNS {
        let mut n_col = 0;
        loop {
            let n = reseal_batch(db, cipher, c).await?;
            if n == 0 {
                break;
            }
            n_col += n;
            progress(c.at.column, n_col);
        }
        if n_col > 0 {
            db.audit(vec![AuditEntry {
                at: now_micros(),
                actor_id: None,
                actor_name: actor.to_string(),
                action: "crypto.rekey".into(),
                object_type: "column".into(),
                object_id: Some(format!("{}.{}", c.at.table, c.at.column)),
                outcome: AuditOutcome::Ok,
                purpose: None,
                ip: None,
                detail: serde_json::json!({"rows": n_col, "key": cipher.current_id()}).to_string(),
            }])
            .await?;
        }
        total += n_col;
    }
    Ok(total)
}

/// While older keys are configured, re-seals every `crypto.rekey_seconds` (ten minutes by default) on
/// one server a period (the runner's lease, renewed while a long rotation runs).
pub fn job(state: &AppState) -> crate::jobs::Job {
    let period = if state.cipher.has_older_keys() {
        std::time::Duration::from_secs(state.config.crypto.rekey_seconds.max(1))
    } else {
        std::time::Duration::ZERO
    };
    crate::jobs::Job::new("field_key_rotation", period, |state| {
        Box::pin(async move {
            let n = run(&state.db, &state.cipher, "system", |_, _| {}).await?;
            Ok(usize::try_from(n).unwrap_or(usize::MAX))
        })
    })
}
