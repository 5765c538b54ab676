//! 共享协议: sharing agreements as stored. A status change is a conditional update on the status it
//! was read in, so two administrators cannot both approve (or one approve what another revoked).

use crate::{Db, Result, StoreError, Tx, args};
use pingan_domain::sharing::{Agreement, AgreementStatus, EventType};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AgreementRow {
    pub id: String,
    pub partner_org_id: String,
    /// JSON: event type code → the payload fields allowed.
    pub fields: String,
    /// Space-separated area paths.
    pub area_paths: String,
    pub purpose: String,
    pub legal_basis: Option<String>,
    /// Local dates (YYYY-MM-DD), inclusive.
    pub valid_from: String,
    pub valid_to: String,
    pub status: String,
    pub drafted_by: String,
    pub drafted_at: i64,
    pub approved_by: Option<String>,
    pub approved_at: Option<i64>,
    pub revoked_by: Option<String>,
    pub revoked_at: Option<i64>,
    pub revoke_reason: Option<String>,
    pub updated_at: i64,
}

impl AgreementRow {
    /// The agreement the domain reasons about; `Invalid` when a stored value does not read back.
    pub fn agreement(&self) -> Result<Agreement> {
        let bad = |what: &str| StoreError::Invalid(format!("agreement {}: {what}", self.id));
        let raw: BTreeMap<String, Vec<String>> =
            serde_json::from_str(&self.fields).map_err(|_| bad("fields are not JSON"))?;
        let mut fields = BTreeMap::new();
        for (k, v) in raw {
            let t = EventType::parse(&k).ok_or_else(|| bad("an unknown event type"))?;
            fields.insert(t, v);
        }
        Ok(Agreement {
            id: self.id.clone(),
            partner_org_id: self.partner_org_id.clone(),
            fields,
            area_paths: self
                .area_paths
                .split_whitespace()
                .map(String::from)
                .collect(),
            purpose: self.purpose.clone(),
            legal_basis: self.legal_basis.clone(),
            valid_from: self.valid_from.parse().map_err(|_| bad("valid_from"))?,
            valid_to: self.valid_to.parse().map_err(|_| bad("valid_to"))?,
            status: AgreementStatus::parse(&self.status).ok_or_else(|| bad("status"))?,
        })
    }
}

const COLS: &str = "id, partner_org_id, fields, area_paths, purpose, legal_basis, valid_from, \
                    valid_to, status, drafted_by, drafted_at, approved_by, approved_at, revoked_by, \
                    revoked_at, revoke_reason, updated_at";

pub async fn insert(tx: &mut Tx, a: &AgreementRow) -> Result<()> {
    tx.execute(
        &format!(
            "INSERT INTO sharing_agreements ({COLS}) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ),
        args![
            a.id.as_str(),
            a.partner_org_id.as_str(),
            a.fields.as_str(),
            a.area_paths.as_str(),
            a.purpose.as_str(),
            a.legal_basis.clone(),
            a.valid_from.as_str(),
            a.valid_to.as_str(),
            a.status.as_str(),
            a.drafted_by.as_str(),
            a.drafted_at,
            a.approved_by.clone(),
            a.approved_at,
            a.revoked_by.clone(),
            a.revoked_at,
            a.revoke_reason.clone(),
            a.updated_at
        ],
    )
    .await?;
    Ok(())
}

pub async fn get(db: &Db, id: &str) -> Result<Option<AgreementRow>> {
    db.fetch_optional(
        &format!("SELECT {COLS} FROM sharing_agreements WHERE id = ?"),
        args![id],
    )
    .await
}

/// A partner's agreements, newest first.
pub async fn of_partner(db: &Db, partner_org_id: &str) -> Result<Vec<AgreementRow>> {
    db.fetch_all(
        &format!(
            "SELECT {COLS} FROM sharing_agreements WHERE partner_org_id = ? \
             ORDER BY drafted_at DESC, id DESC"
        ),
        args![partner_org_id],
    )
    .await
}

/// The approved agreements whose days include `day` (YYYY-MM-DD), by partner.
pub async fn in_force(db: &Db, day: &str) -> Result<Vec<AgreementRow>> {
    db.fetch_all(
        &format!(
            "SELECT {COLS} FROM sharing_agreements WHERE status = 'approved' \
             AND valid_from <= ? AND valid_to >= ? ORDER BY partner_org_id, id"
        ),
        args![day, day],
    )
    .await
}

/// Approves a pending agreement; false when it is no longer pending.
pub async fn approve(tx: &mut Tx, id: &str, by: &str, at: i64) -> Result<bool> {
    let n = tx
        .execute(
            "UPDATE sharing_agreements SET status = 'approved', approved_by = ?, approved_at = ?, \
             updated_at = ? WHERE id = ? AND status = 'pending'",
            args![by, at, at, id],
        )
        .await?;
    Ok(n == 1)
}

/// Revokes a pending or approved agreement; false when it is already revoked.
pub async fn revoke(tx: &mut Tx, id: &str, by: &str, at: i64, reason: &str) -> Result<bool> {
    let n = tx
        .execute(
            "UPDATE sharing_agreements SET status = 'revoked', revoked_by = ?, revoked_at = ?, \
             revoke_reason = ?, updated_at = ? WHERE id = ? AND status <> 'revoked'",
            args![by, at, reason, at, id],
        )
        .await?;
    Ok(n == 1)
}

/// A partner's endpoint (where and how its events go) and its delivery cursor.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct EndpointRow {
    pub id: String,
    pub partner_org_id: String,
    /// `webhook` or `jetstream`.
    pub transport: String,
    /// The webhook's URL (empty for JetStream).
    pub url: String,
    /// `hmac-sm3` or `hmac-sha256`.
    pub signing: String,
    /// The key deliveries are signed with, sealed (SM4-GCM).
    pub secret_sealed: String,
    /// The key the partner signs its inbound events with, sealed.
    pub inbound_secret_sealed: String,
    /// The partner's token in JetStream subjects (`pingan.<token>.<type>.<area>`).
    pub subject_token: String,
    pub batch_size: i64,
    /// Attempts on one event before it becomes a dead letter.
    pub max_attempts: i64,
    pub enabled: bool,
    /// The last outbox position handled (delivered, skipped or given up).
    pub position: i64,
    /// Failed attempts on the events after `position`.
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub last_success_at: Option<i64>,
    pub lease_holder: Option<String>,
    pub lease_until: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const ENDPOINT_COLS: &str = "id, partner_org_id, transport, url, signing, secret_sealed, \
    inbound_secret_sealed, subject_token, batch_size, max_attempts, enabled, position, attempts, \
    next_attempt_at, last_error, last_success_at, lease_holder, lease_until, created_at, updated_at";

pub async fn insert_endpoint(tx: &mut Tx, e: &EndpointRow) -> Result<()> {
    tx.execute(
        &format!(
            "INSERT INTO sharing_endpoints ({ENDPOINT_COLS}) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ),
        args![
            e.id.as_str(),
            e.partner_org_id.as_str(),
            e.transport.as_str(),
            e.url.as_str(),
            e.signing.as_str(),
            e.secret_sealed.as_str(),
            e.inbound_secret_sealed.as_str(),
            e.subject_token.as_str(),
            e.batch_size,
            e.max_attempts,
            e.enabled,
            e.position,
            e.attempts,
            e.next_attempt_at,
            e.last_error.clone(),
            e.last_success_at,
            e.lease_holder.clone(),
            e.lease_until,
            e.created_at,
            e.updated_at
        ],
    )
    .await?;
    Ok(())
}

/// Changes where and how a partner's events go (not its cursor or keys).
pub async fn update_endpoint(tx: &mut Tx, e: &EndpointRow) -> Result<bool> {
    let n = tx
        .execute(
            "UPDATE sharing_endpoints SET transport = ?, url = ?, signing = ?, batch_size = ?, \
             max_attempts = ?, enabled = ?, updated_at = ? WHERE partner_org_id = ?",
            args![
                e.transport.as_str(),
                e.url.as_str(),
                e.signing.as_str(),
                e.batch_size,
                e.max_attempts,
                e.enabled,
                e.updated_at,
                e.partner_org_id.as_str()
            ],
        )
        .await?;
    Ok(n == 1)
}

/// Replaces both keys (already sealed).
pub async fn set_secrets(
    tx: &mut Tx,
    partner: &str,
    secret_sealed: &str,
    inbound_secret_sealed: &str,
    at: i64,
) -> Result<bool> {
    let n = tx
        .execute(
            "UPDATE sharing_endpoints SET secret_sealed = ?, inbound_secret_sealed = ?, \
             updated_at = ? WHERE partner_org_id = ?",
            args![secret_sealed, inbound_secret_sealed, at, partner],
        )
        .await?;
    Ok(n == 1)
}

pub async fn endpoint_of(db: &Db, partner: &str) -> Result<Option<EndpointRow>> {
    db.fetch_optional(
        &format!("SELECT {ENDPOINT_COLS} FROM sharing_endpoints WHERE partner_org_id = ?"),
        args![partner],
    )
    .await
}

/// Every endpoint, by partner.
pub async fn endpoints(db: &Db) -> Result<Vec<EndpointRow>> {
    db.fetch_all(
        &format!("SELECT {ENDPOINT_COLS} FROM sharing_endpoints ORDER BY partner_org_id"),
        args![],
    )
    .await
}

/// Enabled endpoints whose next attempt is due and whose lease is free, lapsed or `holder`'s.
pub async fn due(db: &Db, holder: &str, now: i64) -> Result<Vec<EndpointRow>> {
    db.fetch_all(
        &format!(
            "SELECT {ENDPOINT_COLS} FROM sharing_endpoints WHERE enabled AND next_attempt_at <= ? \
             AND (lease_until <= ? OR lease_holder = ?) ORDER BY partner_org_id"
        ),
        args![now, now, holder],
    )
    .await
}

/// Takes (or extends) the lease on a partner's delivery: one statement, so two servers never both
/// hold it. Returns the endpoint as claimed, or None when another server holds it.
pub async fn claim(
    db: &Db,
    partner: &str,
    holder: &str,
    now: i64,
    until: i64,
) -> Result<Option<EndpointRow>> {
    let n = db
        .execute(
            "UPDATE sharing_endpoints SET lease_holder = ?, lease_until = ? \
             WHERE partner_org_id = ? AND enabled AND (lease_until <= ? OR lease_holder = ?)",
            args![holder, until, partner, now, holder],
        )
        .await?;
    if n == 0 {
        return Ok(None);
    }
    endpoint_of(db, partner).await
}

/// Gives the lease back (graceful stop), so another server takes over at once.
pub async fn release(db: &Db, partner: &str, holder: &str) -> Result<()> {
    db.execute(
        "UPDATE sharing_endpoints SET lease_until = 0 WHERE partner_org_id = ? AND lease_holder = ?",
        args![partner, holder],
    )
    .await?;
    Ok(())
}

/// Hands back every partner `holder` holds (a server shutting down); answers how many.
pub async fn release_all(db: &Db, holder: &str) -> Result<u64> {
    db.execute(
        "UPDATE sharing_endpoints SET lease_until = 0, lease_holder = NULL WHERE lease_holder = ? AND lease_until > 0",
        args![holder],
    )
    .await
}

/// One event's outcome at a partner.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DeliveryRow {
    pub partner_org_id: String,
    pub position: i64,
    pub event_id: String,
    pub event_type: String,
    pub agreement_id: String,
    /// `delivered` or `dead`.
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub at: i64,
}

/// Moves the cursor from `from` to `to` and records what happened to each event sent — only while
/// `holder` holds the lease and the cursor is still at `from` (a server that lost its lease, or a
/// replay in between, changes nothing). A replayed event's record is replaced by its latest outcome.
pub async fn advance(
    tx: &mut Tx,
    partner: &str,
    holder: &str,
    from: i64,
    to: i64,
    outcomes: &[DeliveryRow],
    at: i64,
) -> Result<bool> {
    let delivered = outcomes.iter().any(|d| d.status == "delivered");
    let n = tx
        .execute(
            "UPDATE sharing_endpoints SET position = ?, attempts = 0, next_attempt_at = 0, \
             last_error = CASE WHEN ? THEN NULL ELSE last_error END, \
             last_success_at = CASE WHEN ? THEN ? ELSE last_success_at END \
             WHERE partner_org_id = ? AND lease_holder = ? AND position = ?",
            args![to, delivered, delivered, at, partner, holder, from],
        )
        .await?;
    if n != 1 {
        return Ok(false);
    }
    for d in outcomes {
        tx.queue(
            "INSERT INTO sharing_deliveries (partner_org_id, position, event_id, event_type, \
             agreement_id, status, attempts, last_error, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (partner_org_id, position) DO UPDATE SET agreement_id = excluded.agreement_id, \
             status = excluded.status, attempts = excluded.attempts, last_error = excluded.last_error, \
             at = excluded.at",
            args![
                d.partner_org_id.as_str(),
                d.position,
                d.event_id.as_str(),
                d.event_type.as_str(),
                d.agreement_id.as_str(),
                d.status.as_str(),
                d.attempts,
                d.last_error.clone(),
                d.at
            ],
        );
    }
    Ok(true)
}

/// Records a failed attempt on the events after `position`, and when to try again.
pub async fn failed(
    db: &Db,
    partner: &str,
    holder: &str,
    position: i64,
    attempts: i64,
    next_attempt_at: i64,
    error: &str,
) -> Result<bool> {
    let n = db
        .execute(
            "UPDATE sharing_endpoints SET attempts = ?, next_attempt_at = ?, last_error = ? \
             WHERE partner_org_id = ? AND lease_holder = ? AND position = ?",
            args![attempts, next_attempt_at, error, partner, holder, position],
        )
        .await?;
    Ok(n == 1)
}

/// Sets a partner's cursor back (or forward) so delivery resumes after `position`; the attempt
/// count starts again. Sent events are sent again with the same ids.
pub async fn rewind(tx: &mut Tx, partner: &str, position: i64, at: i64) -> Result<bool> {
    let n = tx
        .execute(
            "UPDATE sharing_endpoints SET position = ?, attempts = 0, next_attempt_at = 0, \
             updated_at = ? WHERE partner_org_id = ?",
            args![position, at, partner],
        )
        .await?;
    Ok(n == 1)
}

/// A partner's latest outcomes of one status (`delivered`, `dead`), newest first.
pub async fn deliveries(
    db: &Db,
    partner: &str,
    status: &str,
    limit: i64,
) -> Result<Vec<DeliveryRow>> {
    db.fetch_all(
        "SELECT partner_org_id, position, event_id, event_type, agreement_id, status, attempts, \
         last_error, at FROM sharing_deliveries WHERE partner_org_id = ? AND status = ? \
         ORDER BY at DESC, position DESC LIMIT ?",
        args![partner, status, limit],
    )
    .await
}

/// How many outcomes of each status a partner has.
pub async fn delivery_counts(db: &Db, partner: &str) -> Result<(i64, i64)> {
    let (d, x): (i64, i64) = db
        .fetch_one(
            "SELECT CAST(COALESCE(SUM(CASE WHEN status = 'delivered' THEN 1 ELSE 0 END), 0) AS BIGINT), \
             CAST(COALESCE(SUM(CASE WHEN status = 'dead' THEN 1 ELSE 0 END), 0) AS BIGINT) \
             FROM sharing_deliveries WHERE partner_org_id = ?",
            args![partner],
        )
        .await?;
    Ok((d, x))
}

/// An event a partner sent in, accepted or refused.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct InboundRow {
    pub id: String,
    pub partner_org_id: String,
    /// The partner's event id (absent when the request could not be read).
    pub event_id: Option<String>,
    pub event_type: Option<String>,
    /// `accepted` or `refused`.
    pub outcome: String,
    /// What it became (`incident`, `dispute`…), when accepted.
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub error: Option<String>,
    pub received_at: i64,
}

const INBOUND_COLS: &str =
    "id, partner_org_id, event_id, event_type, outcome, object_type, object_id, error, received_at";

pub fn record_inbound(tx: &mut Tx, r: &InboundRow) {
    tx.queue(
        &format!("INSERT INTO sharing_inbound ({INBOUND_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
        args![
            r.id.as_str(),
            r.partner_org_id.as_str(),
            r.event_id.clone(),
            r.event_type.clone(),
            r.outcome.as_str(),
            r.object_type.clone(),
            r.object_id.clone(),
            r.error.clone(),
            r.received_at
        ],
    );
}

/// The accepted event with the partner's id, if any (a replay answers with it).
pub async fn accepted_inbound(
    db: &Db,
    partner: &str,
    event_id: &str,
) -> Result<Option<InboundRow>> {
    db.fetch_optional(
        &format!(
            "SELECT {INBOUND_COLS} FROM sharing_inbound WHERE partner_org_id = ? AND event_id = ? \
             AND outcome = 'accepted'"
        ),
        args![partner, event_id],
    )
    .await
}

/// A partner's latest inbound events, newest first.
pub async fn inbound(db: &Db, partner: &str, limit: i64) -> Result<Vec<InboundRow>> {
    db.fetch_all(
        &format!(
            "SELECT {INBOUND_COLS} FROM sharing_inbound WHERE partner_org_id = ? \
             ORDER BY received_at DESC, id DESC LIMIT ?"
        ),
        args![partner, limit],
    )
    .await
}

/// Every agreement, newest first (the administrators' list).
pub async fn all(db: &Db) -> Result<Vec<AgreementRow>> {
    db.fetch_all(
        &format!("SELECT {COLS} FROM sharing_agreements ORDER BY drafted_at DESC, id DESC"),
        args![],
    )
    .await
}

/// Partner organisations (协作单位): id and name, by name.
pub async fn partner_orgs(db: &Db) -> Result<Vec<(String, String)>> {
    db.fetch_all(
        "SELECT id, name FROM orgs WHERE kind = 'partner_agency' ORDER BY name, id",
        args![],
    )
    .await
}

/// Whether an area with this path exists.
pub async fn area_exists(db: &Db, path: &str) -> Result<bool> {
    let r: Option<(String,)> = db
        .fetch_optional("SELECT code FROM areas WHERE path = ?", args![path])
        .await?;
    Ok(r.is_some())
}
