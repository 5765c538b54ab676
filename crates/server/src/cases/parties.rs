//! The people of a case: suspects, victims, witnesses — only as parties of this case. Name and ID
//! number are sealed (SM4-GCM) with masked copies beside them; the full identity is shown only to the
//! case's handling officers, the chief of its station and legal supervisors, for a stated purpose,
//! and every such read — allowed or refused — is in the audit log.

use super::audit;
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use pingan_domain::audit::AuditOutcome;
use pingan_domain::mask::{mask_id_number, mask_name};
use pingan_domain::{Permission, Role};
use pingan_store::cases::{self as store, PartyRow};
use pingan_store::new_id;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

const ROLES: [&str; 4] = ["suspect", "victim", "witness", "reporter"];

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewParty {
    /// suspect, victim, witness or reporter.
    pub role: String,
    /// How the case's steps name this person (e.g. `嫌疑人甲`), for per-suspect steps.
    #[serde(default)]
    pub item: Option<String>,
    pub name: String,
    /// 公民身份号码 (checked with its GB 11643 check digit).
    #[serde(default)]
    pub id_number: Option<String>,
}

/// A party as everyone with access to the case sees it: masked.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CaseParty)]
pub struct Party {
    pub id: String,
    pub role: String,
    pub item: Option<String>,
    pub name: String,
    pub id_number: Option<String>,
}

pub fn masked(p: &PartyRow) -> Party {
    Party {
        id: p.id.clone(),
        role: p.role.clone(),
        item: p.item.clone(),
        name: p.name_masked.clone(),
        id_number: p.id_masked.clone(),
    }
}

/// Whether `actor` may see this case's people in full: a handling officer, the chief of the case's
/// station, or a legal supervisor.
async fn entitled(state: &AppState, actor: &Actor, case: &store::CaseRow) -> ApiResult<bool> {
    if actor.can(Permission::CaseSupervise) {
        return Ok(true);
    }
    if store::officers(&state.db, &case.id)
        .await?
        .iter()
        .any(|(u, _)| *u == actor.user_id)
    {
        return Ok(true);
    }
    if actor.role == Role::StationChief
        && let Some(org) = &actor.org_id
    {
        let (path,): (String,) = state
            .db
            .fetch_one(
                "SELECT path FROM orgs WHERE id = ?",
                pingan_store::args![org.as_str()],
            )
            .await?;
        return Ok(case.org_path.starts_with(&path));
    }
    Ok(false)
}

pub async fn add(
    state: &AppState,
    actor: &Actor,
    case_id: &str,
    req: NewParty,
) -> ApiResult<Party> {
    actor.require(state, Permission::CaseManage).await?;
    let case = store::get(&state.db, &actor.scope, case_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !entitled(state, actor, &case).await? {
        return Err(ApiError::Forbidden(
            "only the case's handling officers add its people".into(),
        ));
    }
    if !ROLES.contains(&req.role.as_str()) {
        return Err(ApiError::invalid(
            "role",
            "role is suspect, victim, witness or reporter",
        ));
    }
    let name = crate::validate::text("name", &req.name, 50)?;
    let item = crate::validate::optional_text("item", req.item.as_deref(), 50)?;
    let id_number = match req
        .id_number
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(v) => Some(
            pingan_domain::CitizenId::parse(v)
                .map_err(|e| ApiError::invalid("id_number", e.to_string()))?
                .as_str()
                .to_string(),
        ),
        None => None,
    };
    let now = state.now();
    let row = PartyRow {
        id: new_id(),
        case_id: case.id.clone(),
        role: req.role.clone(),
        item,
        name_sealed: state.cipher.seal("case_parties.name", &name),
        name_masked: mask_name(&name),
        id_sealed: id_number
            .as_deref()
            .map(|v| state.cipher.seal("case_parties.id_number", v)),
        id_masked: id_number.as_deref().map(mask_id_number),
        created_at: now,
    };
    let mut tx = state.db.begin().await?;
    store::insert_party(&mut tx, &row);
    tx.commit_audited(vec![audit(
        actor,
        now,
        "case_party.add",
        &case.id,
        serde_json::json!({"party": row.id, "role": row.role}),
    )])
    .await?;
    Ok(masked(&row))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CaseRevealRequest)]
pub struct RevealRequest {
    /// Why the full identity is needed (kept in the audit log).
    pub purpose: String,
}

/// The full identity of one party, for a stated purpose, to those entitled; audited either way.
pub async fn reveal(
    state: &AppState,
    actor: &Actor,
    case_id: &str,
    party_id: &str,
    req: RevealRequest,
) -> ApiResult<Party> {
    actor.require(state, Permission::CaseRead).await?;
    // The reveal permission itself, as for every other unmasking; the case rule below narrows it.
    actor.require(state, Permission::PersonalDataReveal).await?;
    let case = store::get(&state.db, &actor.scope, case_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let party = store::parties(&state.db, &case.id)
        .await?
        .into_iter()
        .find(|p| p.id == party_id)
        .ok_or(ApiError::NotFound)?;
    let purpose = crate::validate::text("purpose", &req.purpose, 200)?;
    let now = state.now();
    let mut entry = audit(
        actor,
        now,
        "case_party.reveal",
        &case.id,
        serde_json::json!({"party": party.id, "role": party.role}),
    );
    entry.purpose = Some(purpose);
    if !entitled(state, actor, &case).await? {
        entry.outcome = AuditOutcome::Denied;
        state.db.audit(vec![entry]).await?;
        return Err(ApiError::Forbidden(
            "only the case's handling officers, their station chief and legal supervisors see its people in full".into(),
        ));
    }
    let open = |col: &str, v: &str| {
        state
            .cipher
            .open(col, v)
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("{col}: {e}")))
    };
    let full = Party {
        id: party.id.clone(),
        role: party.role.clone(),
        item: party.item.clone(),
        name: open("case_parties.name", &party.name_sealed)?,
        id_number: party
            .id_sealed
            .as_deref()
            .map(|v| open("case_parties.id_number", v))
            .transpose()?,
    };
    state.db.audit(vec![entry]).await?;
    Ok(full)
}
