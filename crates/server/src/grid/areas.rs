//! Areas (district, townships, villages) and grids: adding an area under one in the caller's scope and
//! putting grid workers in charge of a grid.

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use pingan_domain::audit::AuditOutcome;
use pingan_domain::{AreaCode, AreaLevel, Permission};
use pingan_store::{areas, grids};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Adds an area under one in the caller's scope.
pub async fn create(state: &AppState, actor: &Actor, req: NewArea) -> ApiResult<Area> {
    actor.require(state, Permission::AreaManage).await?;
    let code = AreaCode::parse(&req.code).map_err(|e| ApiError::invalid("code", e.to_string()))?;
    let parent = match &req.parent_code {
        None => None,
        Some(p) => {
            Some(AreaCode::parse(p).map_err(|e| ApiError::invalid("parent_code", e.to_string()))?)
        }
    };
    code.check_parent(parent.as_ref())
        .map_err(|e| ApiError::invalid("parent_code", e.to_string()))?;
    let area_type = req.area_type.unwrap_or_else(|| "urban".into());
    if !["urban", "suburban", "rural"].contains(&area_type.as_str()) {
        return Err(ApiError::invalid(
            "area_type",
            "area_type must be urban, suburban or rural",
        ));
    }
    let valid_from = match req.valid_from {
        Some(d) => {
            d.parse::<jiff::civil::Date>()
                .map_err(|_| ApiError::invalid("valid_from", "valid_from must be YYYY-MM-DD"))?;
            d
        }
        None => pingan_domain::time::local_date(jiff::Timestamp::now()),
    };
    if req.name.trim().is_empty() || req.name.chars().count() > 100 {
        return Err(ApiError::invalid("name", "name must be 1–100 characters"));
    }
    // The parent must be visible to the caller; a new root needs a root grant.
    match &parent {
        Some(p) => {
            areas::get(&state.db, &actor.scope, p.as_str())
                .await?
                .ok_or(ApiError::NotFound)?;
        }
        None if !actor.scope.covers_area_path("/") => {
            return Err(ApiError::Forbidden(
                "creating a district needs a whole-system scope".into(),
            ));
        }
        None => {}
    }
    let mut tx = state.db.begin().await?;
    let row = areas::insert(
        &mut tx,
        &areas::NewArea {
            code,
            parent,
            name: req.name.trim().to_string(),
            area_type,
            valid_from,
        },
    )
    .await?;
    let e = actor.audit_entry(
        "area.create",
        "area",
        Some(&row.code),
        AuditOutcome::Ok,
        &serde_json::json!({"name": row.name}).to_string(),
    );
    tx.commit_audited(vec![e]).await?;
    Ok(row.into())
}

/// Puts grid workers (and a lead) in charge of a grid.
pub async fn set_workers(
    state: &AppState,
    actor: &Actor,
    code: &str,
    req: GridWorkers,
) -> ApiResult<()> {
    actor.require(state, Permission::GridManage).await?;
    let g = grids::get(&state.db, &actor.scope, code)
        .await?
        .ok_or(ApiError::NotFound)?;
    let ids: Vec<(String, String)> = std::iter::once(("lead".to_string(), req.lead.clone()))
        .chain(
            req.members
                .iter()
                .enumerate()
                .map(|(i, m)| (format!("members[{i}]"), m.clone())),
        )
        .collect();
    for (field, id) in &ids {
        let u = pingan_store::users::get(&state.db, &actor.scope, id).await?;
        match u.and_then(|u| u.role()) {
            Some(pingan_domain::Role::GridWorker) => {}
            Some(_) => {
                return Err(ApiError::invalid(
                    field,
                    "only grid workers (网格员) can be assigned to a grid",
                ));
            }
            None => return Err(ApiError::invalid(field, "no such user in your scope")),
        }
    }
    let mut tx = state.db.begin().await?;
    grids::set_workers(&mut tx, &g.code, &req.lead, &req.members).await?;
    let e = actor.audit_entry(
        "grid.assign_workers",
        "grid",
        Some(&g.code),
        AuditOutcome::Ok,
        &serde_json::json!({"lead": req.lead, "members": req.members}).to_string(),
    );
    tx.commit_audited(vec![e]).await?;
    Ok(())
}

#[derive(Serialize, ToSchema)]
pub struct Area {
    /// 6-, 9- or 12-digit official code.
    pub code: String,
    pub parent_code: Option<String>,
    pub level: AreaLevel,
    pub name: String,
    /// urban / suburban / rural.
    pub area_type: String,
    /// Date from which the code is valid (codes change yearly).
    pub valid_from: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewArea {
    #[schema(example = "330681109201")]
    pub code: String,
    pub parent_code: Option<String>,
    pub name: String,
    /// urban (default), suburban or rural.
    pub area_type: Option<String>,
    /// YYYY-MM-DD (default today).
    pub valid_from: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GridWorkers {
    /// User id of the lead grid worker (网格长/专职网格员).
    pub lead: String,
    /// Other grid workers.
    #[serde(default)]
    pub members: Vec<String>,
}
