//! The organisation tree (bureau, stations, the 综治 centre, township offices, mediation committees,
//! volunteer teams, partner agencies): adding an organisation under one the caller can see.

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use pingan_domain::audit::AuditOutcome;
use pingan_domain::{OrgKind, Permission};
use pingan_store::orgs;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Adds an organisation under a parent in the caller's scope.
pub async fn create(state: &AppState, actor: &Actor, req: NewOrg) -> ApiResult<Org> {
    actor.require(state, Permission::OrgManage).await?;
    if req.name.trim().is_empty() || req.name.chars().count() > 100 {
        return Err(ApiError::invalid("name", "name must be 1–100 characters"));
    }
    match &req.parent_id {
        Some(p) => {
            orgs::get(&state.db, &actor.scope, p)
                .await?
                .ok_or_else(|| {
                    ApiError::invalid("parent_id", "no such organisation in your scope")
                })?;
        }
        None if !actor.scope.covers_org_path("/") => {
            return Err(ApiError::Forbidden(
                "creating a root organisation needs a whole-system scope".into(),
            ));
        }
        None => {}
    }
    if let Some(code) = &req.area_code {
        pingan_store::areas::get(&state.db, &actor.scope, code)
            .await?
            .ok_or_else(|| ApiError::invalid("area_code", "no such area in your scope"))?;
    }
    let mut tx = state.db.begin().await?;
    let row = orgs::insert(
        &mut tx,
        &orgs::NewOrg {
            parent_id: req.parent_id,
            name: req.name.trim().into(),
            kind: req.kind,
            area_code: req.area_code,
        },
    )
    .await?;
    let e = actor.audit_entry(
        "org.create",
        "org",
        Some(&row.id),
        AuditOutcome::Ok,
        &serde_json::json!({"name": row.name, "kind": row.kind}).to_string(),
    );
    tx.commit_audited(vec![e]).await?;
    Ok(row.into())
}

#[derive(Serialize, ToSchema)]
pub struct Org {
    pub id: String,
    pub parent_id: Option<String>,
    pub name: String,
    pub kind: OrgKind,
    pub kind_label: String,
    /// The area the organisation serves.
    pub area_code: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrg {
    pub parent_id: Option<String>,
    pub name: String,
    pub kind: OrgKind,
    pub area_code: Option<String>,
}
