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
