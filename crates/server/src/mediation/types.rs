//! The dispute-type table (矛盾纠纷类别): configuring a type's name and whether it is in use.

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use pingan_domain::Permission;
use pingan_store::disputes::{self};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Sets a dispute type's name and whether it is in use.
pub async fn put(
    state: &AppState,
    actor: &Actor,
    code: &str,
    t: DisputeType,
) -> ApiResult<DisputeType> {
    actor.require(state, Permission::SystemConfigure).await?;
    if code.is_empty() || code.len() > 8 || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(ApiError::invalid(
            "code",
            "code must be 1–8 letters or digits",
        ));
    }
    if t.code != code {
        return Err(ApiError::invalid(
            "code",
            "the body's code differs from the path's",
        ));
    }
    let row = disputes::TypeRow {
        code: t.code.clone(),
        name_zh: crate::validate::text("name_zh", &t.name_zh, 50)?,
        name_en: crate::validate::text("name_en", &t.name_en, 100)?,
        active: t.active,
    };
    let mut tx = state.db.begin().await?;
    disputes::upsert_type(&mut tx, &row, state.now()).await?;
    let e = actor.audit_entry(
        "dispute_type.put",
        "dispute_type",
        Some(&row.code),
        pingan_domain::audit::AuditOutcome::Ok,
        &serde_json::json!({"active": row.active}).to_string(),
    );
    tx.commit_audited(vec![e]).await?;
    Ok(DisputeType {
        code: row.code,
        name_zh: row.name_zh,
        name_en: row.name_en,
        active: row.active,
    })
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisputeType {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub active: bool,
}
