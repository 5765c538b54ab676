//! The incident-type table (警情类别, GA/T 6-digit codes): configuring a type's name and defaults.

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::validate::{text, type_code};
use pingan_domain::Permission;
use pingan_domain::audit::AuditOutcome;
use pingan_store::incidents::{self};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Sets an incident type's name and defaults.
pub async fn put(
    state: &AppState,
    actor: &Actor,
    code: &str,
    t: IncidentType,
) -> ApiResult<IncidentType> {
    actor.require(state, Permission::SystemConfigure).await?;
    let parsed = type_code("code", code)?;
    if t.code != parsed.as_str() {
        return Err(ApiError::invalid(
            "code",
            "the body's code differs from the path's",
        ));
    }
    let row = incidents::TypeRow {
        code: t.code.clone(),
        name_zh: text("name_zh", &t.name_zh, 50)?,
        name_en: text("name_en", &t.name_en, 100)?,
        active: t.active,
    };
    let mut tx = state.db.begin().await?;
    incidents::upsert_type(&mut tx, &row, state.now()).await?;
    let e = actor.audit_entry(
        "incident_type.put",
        "incident_type",
        Some(&row.code),
        AuditOutcome::Ok,
        &serde_json::json!({"active": row.active}).to_string(),
    );
    tx.commit_audited(vec![e]).await?;
    state.types.invalidate();
    Ok(IncidentType {
        code: row.code,
        name_zh: row.name_zh,
        name_en: row.name_en,
        active: row.active,
    })
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentType {
    /// 6-digit code; the leading digits give the category.
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// Offered at intake.
    pub active: bool,
}
