//! 排查 campaigns: the 综治 office assigns grids to screen for disputes in a period; grid workers
//! register what they find against the campaign (source `grid_screening`) and report each grid done.

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::validate::{optional_text, text};
use pingan_domain::Permission;
use pingan_domain::audit::AuditOutcome;
use pingan_store::disputes::{self, CampaignRow};
use pingan_store::{args, new_id};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Creates a campaign over grids in the caller's scope.
pub async fn create(state: &AppState, actor: &Actor, req: NewCampaign) -> ApiResult<Campaign> {
    actor.require(state, Permission::DisputeSupervise).await?;
    let name = text("name", &req.name, 100)?;
    let (from, to) = (
        date("starts_on", &req.starts_on)?,
        date("ends_on", &req.ends_on)?,
    );
    if to < from {
        return Err(ApiError::invalid(
            "ends_on",
            "ends_on must not be before starts_on",
        ));
    }
    if !pingan_domain::scope::is_valid_path(&req.area_path)
        || !actor.scope.covers_area_path(&req.area_path)
    {
        return Err(ApiError::invalid("area_path", "no such area in your scope"));
    }
    let grids: Vec<(String, String)> = state
        .db
        .fetch_all(
            "SELECT code, area_path FROM grids WHERE area_path LIKE ? ORDER BY code",
            args![format!("{}%", req.area_path)],
        )
        .await?;
    if grids.is_empty() {
        return Err(ApiError::invalid("area_path", "the area has no grids"));
    }
    let now = state.now();
    let c = CampaignRow {
        id: new_id(),
        name,
        area_path: req.area_path.clone(),
        starts_on: from.to_string(),
        ends_on: to.to_string(),
        created_by: actor.username.clone(),
        created_at: now,
        grids: grids.len() as i64,
        done: 0,
        found: 0,
    };
    let mut tx = state.db.begin().await?;
    disputes::create_campaign(&mut tx, &c, &grids);
    let e = actor.audit_entry(
        "screening.create",
        "screening_campaign",
        Some(&c.id),
        AuditOutcome::Ok,
        &serde_json::json!({"area": c.area_path, "grids": grids.len()}).to_string(),
    );
    tx.commit_audited(vec![e]).await?;
    Ok(view(c))
}

/// Reports one grid of a campaign screened.
pub async fn report_grid(
    state: &AppState,
    actor: &Actor,
    id: &str,
    grid_code: &str,
    req: GridReport,
) -> ApiResult<()> {
    actor.require(state, Permission::DisputeManage).await?;
    let c = disputes::campaign(&state.db, &actor.scope, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let grid = disputes::campaign_grids(&state.db, &c.id)
        .await?
        .into_iter()
        .find(|g| g.grid_code == grid_code && actor.scope.covers_area_path(&g.area_path))
        .ok_or(ApiError::NotFound)?;
    let note = optional_text("note", req.note.as_deref(), 1000)?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    disputes::report_grid(
        &mut tx,
        &c.id,
        &grid.grid_code,
        note.as_deref(),
        &actor.username,
        now,
    )
    .await?;
    let e = actor.audit_entry(
        "screening.report",
        "screening_campaign",
        Some(&c.id),
        AuditOutcome::Ok,
        &serde_json::json!({"grid": grid.grid_code}).to_string(),
    );
    tx.commit_audited(vec![e]).await?;
    Ok(())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCampaign {
    pub name: String,
    /// Every grid under this area path (e.g. /330681/330681109/) is assigned.
    pub area_path: String,
    /// YYYY-MM-DD.
    pub starts_on: String,
    pub ends_on: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Campaign {
    pub id: String,
    pub name: String,
    pub area_path: String,
    pub starts_on: String,
    pub ends_on: String,
    pub created_by: String,
    pub grids: i64,
    pub done: i64,
    /// Disputes registered under the campaign.
    pub found: i64,
}

pub fn view(c: CampaignRow) -> Campaign {
    Campaign {
        id: c.id,
        name: c.name,
        area_path: c.area_path,
        starts_on: c.starts_on,
        ends_on: c.ends_on,
        created_by: c.created_by,
        grids: c.grids,
        done: c.done,
        found: c.found,
    }
}

pub fn date(field: &str, v: &str) -> ApiResult<jiff::civil::Date> {
    v.trim()
        .parse()
        .map_err(|_| ApiError::invalid(field, format!("{field} must be a date like 2026-12-01")))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GridReport {
    pub note: Option<String>,
}
