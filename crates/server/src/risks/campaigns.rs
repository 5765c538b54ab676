//! 联排 campaigns: whoever manages risks assigns every grid under an area a checklist for a period;
//! in each grid someone answers every item (fine, a risk found — registered with the answer — or not
//! applicable) and reports the grid done. Completion is shown per grid with the rectifications
//! still open.

use super::{NewRiskReport, register_in};
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, Problem, Problems};
use crate::state::AppState;
use pingan_domain::Permission;
use pingan_domain::audit::AuditOutcome;
use pingan_domain::risk::{CheckResult, GridProgress, RiskSource as Source};
use pingan_store::risks::{self as store, CampaignRow};
use pingan_store::{args, new_id};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChecklistItem {
    /// What to check, 1–100 characters.
    pub text: String,
    /// The risk category a finding falls under.
    pub category: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRiskCampaign {
    /// 1–100 characters.
    pub name: String,
    /// Every grid under this area path is assigned.
    pub area_path: String,
    /// `YYYY-MM-DD`.
    pub starts_on: String,
    pub ends_on: String,
    /// 1–30 items.
    pub checklist: Vec<ChecklistItem>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RiskCampaign {
    pub id: String,
    pub name: String,
    pub area_path: String,
    pub starts_on: String,
    pub ends_on: String,
    pub grids: i64,
    /// Grids reported done.
    pub done: i64,
    /// Risks registered under the campaign, and those not yet closed.
    pub found: i64,
    pub open_found: i64,
}

fn view(c: CampaignRow) -> RiskCampaign {
    RiskCampaign {
        id: c.id,
        name: c.name,
        area_path: c.area_path,
        starts_on: c.starts_on,
        ends_on: c.ends_on,
        grids: c.grids,
        done: c.done,
        found: c.found,
        open_found: c.open_found,
    }
}

fn date(field: &str, v: &str, problems: &mut Problems) -> Option<jiff::civil::Date> {
    let d = v.trim().parse().ok();
    if d.is_none() {
        problems.push(Problem::new(field, "date", "a date like 2026-12-01"));
    }
    d
}

pub async fn create(
    state: &AppState,
    actor: &Actor,
    req: NewRiskCampaign,
) -> ApiResult<RiskCampaign> {
    actor.require(state, Permission::RiskManage).await?;
    let mut problems = Problems::default();
    let name = problems.check(crate::validate::text("name", &req.name, 100))?;
    let from = date("starts_on", &req.starts_on, &mut problems);
    let to = date("ends_on", &req.ends_on, &mut problems);
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        problems.push(Problem::new(
            "ends_on",
            "risk_campaign_dates",
            "the end is not before the start",
        ));
    }
    let texts: Vec<String> = req
        .checklist
        .iter()
        .map(|i| i.text.trim().to_string())
        .collect();
    if let Err(e) = pingan_domain::risk::check_checklist(&texts) {
        let field = match e {
            pingan_domain::risk::BadChecklist::Count(_) => "checklist".to_string(),
            pingan_domain::risk::BadChecklist::Item(i)
            | pingan_domain::risk::BadChecklist::Repeated(i) => format!("checklist[{i}].text"),
        };
        problems.push(Problem::new(&field, "risk_checklist", e.to_string()));
    }
    for (i, item) in req.checklist.iter().enumerate() {
        if !super::known_category(state, &item.category) {
            problems.push(Problem::new(
                &format!("checklist[{i}].category"),
                "risk_category",
                "not a risk category",
            ));
        }
    }
    let covered = pingan_domain::scope::is_valid_path(&req.area_path)
        && actor.scope.covers_area_path(&req.area_path);
    if !covered {
        problems.push(Problem::new(
            "area_path",
            "risk_area",
            "no such area in your scope",
        ));
    }
    let grids: Vec<(String, String)> = if covered {
        state
            .db
            .fetch_all(
                "SELECT code, area_path FROM grids WHERE area_path LIKE ? ORDER BY code",
                args![format!("{}%", req.area_path)],
            )
            .await?
    } else {
        Vec::new()
    };
    if covered && grids.is_empty() {
        problems.push(Problem::new(
            "area_path",
            "risk_area_empty",
            "the area has no grids",
        ));
    }
    problems.finish()?;
    let (Some(name), Some(from), Some(to)) = (name, from, to) else {
        return Err(ApiError::invalid("name", "required"));
    };
    let c = CampaignRow {
        id: new_id(),
        name,
        area_path: req.area_path.clone(),
        starts_on: from.to_string(),
        ends_on: to.to_string(),
        created_by: actor.user_id.clone(),
        created_at: state.now(),
        grids: grids.len() as i64,
        done: 0,
        found: 0,
        open_found: 0,
    };
    let items: Vec<(String, String)> = texts
        .into_iter()
        .zip(req.checklist.iter().map(|i| i.category.clone()))
        .collect();
    let mut tx = state.db.begin().await?;
    store::create_campaign(&mut tx, &c, &items, &grids);
    tx.commit_audited(vec![
        actor.audit_entry(
            "risk_campaign.create",
            "risk_campaign",
            Some(&c.id),
            AuditOutcome::Ok,
            &serde_json::json!({"area": c.area_path, "grids": grids.len(), "items": items.len()})
                .to_string(),
        ),
    ])
    .await?;
    Ok(view(c))
}

pub async fn list(state: &AppState, actor: &Actor) -> ApiResult<Vec<RiskCampaign>> {
    actor.require(state, Permission::RiskRead).await?;
    Ok(store::campaigns(&state.db, &actor.scope)
        .await?
        .into_iter()
        .map(view)
        .collect())
}

/// One grid's place in a campaign.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GridCompletion {
    pub grid_code: String,
    pub grid_name: String,
    pub items: usize,
    pub answered: usize,
    /// Items answered, 0–100.
    pub percent: u8,
    pub reported_at: Option<i64>,
    pub reported_by: Option<String>,
    pub note: Option<String>,
    pub found: i64,
    /// Risks found here not yet closed (rectifications open).
    pub open_found: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RiskCampaignDetail {
    pub campaign: RiskCampaign,
    pub checklist: Vec<ChecklistItem>,
    /// The grids in your scope.
    pub grids: Vec<GridCompletion>,
}

pub async fn detail(state: &AppState, actor: &Actor, id: &str) -> ApiResult<RiskCampaignDetail> {
    actor.require(state, Permission::RiskRead).await?;
    let c = store::campaign(&state.db, &actor.scope, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let checklist: Vec<ChecklistItem> = store::items(&state.db, &c.id)
        .await?
        .into_iter()
        .map(|i| ChecklistItem {
            text: i.text,
            category: i.category,
        })
        .collect();
    let n = checklist.len();
    let grids = store::campaign_grids(&state.db, &actor.scope, &c.id)
        .await?
        .into_iter()
        .map(|g| {
            let p = GridProgress {
                items: n,
                answered: g.answered as usize,
                found: g.found as usize,
                reported: g.done_at.is_some(),
            };
            GridCompletion {
                percent: p.percent(),
                grid_code: g.grid_code,
                grid_name: g.grid_name,
                items: n,
                answered: p.answered,
                reported_at: g.done_at,
                reported_by: g.done_by_name,
                note: g.note,
                found: g.found,
                open_found: g.open_found,
            }
        })
        .collect();
    Ok(RiskCampaignDetail {
        campaign: view(c),
        checklist,
        grids,
    })
}

/// One grid's checklist with the answers so far.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GridSheet {
    pub campaign: RiskCampaign,
    pub grid: GridCompletion,
    pub items: Vec<SheetItem>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SheetItem {
    /// 1-based.
    pub seq: i64,
    pub text: String,
    pub category: String,
    pub answer: Option<CheckAnswer>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckAnswer {
    pub result: CheckResult,
    pub risk_id: Option<String>,
    pub note: String,
    pub checked_by: String,
    pub checked_at: i64,
}

pub async fn sheet(
    state: &AppState,
    actor: &Actor,
    id: &str,
    grid_code: &str,
) -> ApiResult<GridSheet> {
    let d = detail(state, actor, id).await?;
    let grid = d
        .grids
        .iter()
        .find(|g| g.grid_code == grid_code)
        .cloned()
        .ok_or(ApiError::NotFound)?;
    let mut answers = store::checks(&state.db, &d.campaign.id, grid_code).await?;
    let items = store::items(&state.db, &d.campaign.id)
        .await?
        .into_iter()
        .map(|i| {
            let answer = answers
                .iter()
                .position(|a| a.seq == i.seq)
                .map(|k| answers.swap_remove(k))
                .map(|a| CheckAnswer {
                    result: a.result.parse().unwrap_or(CheckResult::Fine),
                    risk_id: a.risk_id,
                    note: a.note,
                    checked_by: a.checked_by_name,
                    checked_at: a.checked_at,
                });
            SheetItem {
                seq: i.seq,
                text: i.text,
                category: i.category,
                answer,
            }
        })
        .collect();
    Ok(GridSheet {
        campaign: d.campaign,
        grid,
        items,
    })
}

/// The answer to one checklist item in one grid.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCheckAnswer {
    /// The item's number (1-based).
    pub seq: i64,
    pub result: CheckResult,
    /// At most 500 characters.
    #[serde(default)]
    pub note: Option<String>,
    /// The risk found, required when `result` is `found` (its grid is this grid; its category
    /// defaults to the item's).
    #[serde(default)]
    pub risk: Option<NewRiskReport>,
}

/// Answers one item, once (RiskReport); a risk found is registered in the same transaction.
pub async fn answer(
    state: &AppState,
    actor: &Actor,
    id: &str,
    grid_code: &str,
    req: NewCheckAnswer,
) -> ApiResult<GridSheet> {
    actor.require(state, Permission::RiskReport).await?;
    let sheet_now = sheet(state, actor, id, grid_code).await?;
    let item = sheet_now
        .items
        .iter()
        .find(|i| i.seq == req.seq)
        .ok_or_else(|| {
            ApiError::problem(Problem::new(
                "seq",
                "risk_item",
                "no such item in the checklist",
            ))
        })?;
    let note =
        crate::validate::optional_text("note", req.note.as_deref(), 500)?.unwrap_or_default();
    let mut tx = state.db.begin().await?;
    let risk_id = match (req.result, &req.risk) {
        (CheckResult::Found, Some(r)) => {
            let mut r = r.clone();
            if r.category.is_empty() {
                r.category = item.category.clone();
            }
            if r.place_id.as_deref().is_none_or(str::is_empty) {
                r.grid_code = Some(grid_code.to_string());
            }
            let rid = register_in(
                state,
                &mut tx,
                actor,
                &r,
                Source::Screening,
                (Some(&sheet_now.campaign.id), None),
                "risk.",
            )
            .await?;
            let (g,): (String,) = tx
                .fetch_one(
                    "SELECT grid_code FROM risks WHERE id = ?",
                    args![rid.as_str()],
                )
                .await?;
            if g != grid_code {
                return Err(ApiError::problem(Problem::new(
                    "risk.place_id",
                    "risk_place_grid",
                    "the place is not in this grid",
                )));
            }
            Some(rid)
        }
        (CheckResult::Found, None) => {
            return Err(ApiError::problem(Problem::new(
                "risk.title",
                "risk_found_required",
                "describe the risk found",
            )));
        }
        (_, Some(_)) => {
            return Err(ApiError::problem(Problem::new(
                "risk",
                "risk_only_when_found",
                "a risk goes with the answer `found` only",
            )));
        }
        (_, None) => None,
    };
    let now = state.now();
    store::answer(
        &mut tx,
        &sheet_now.campaign.id,
        grid_code,
        req.seq,
        req.result.code(),
        risk_id.as_deref(),
        &note,
        &actor.user_id,
        now,
    )
    .await?;
    tx.commit_audited(vec![actor.audit_entry(
        "risk_campaign.answer",
        "risk_campaign",
        Some(&sheet_now.campaign.id),
        AuditOutcome::Ok,
        &serde_json::json!({"grid": grid_code, "seq": req.seq, "result": req.result, "risk": risk_id})
            .to_string(),
    )])
    .await?;
    sheet(state, actor, id, grid_code).await
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GridDone {
    /// At most 1000 characters.
    #[serde(default)]
    pub note: Option<String>,
}

/// Reports the grid done, once every item is answered (RiskReport).
pub async fn report(
    state: &AppState,
    actor: &Actor,
    id: &str,
    grid_code: &str,
    req: GridDone,
) -> ApiResult<GridSheet> {
    actor.require(state, Permission::RiskReport).await?;
    let s = sheet(state, actor, id, grid_code).await?;
    let note = crate::validate::optional_text("note", req.note.as_deref(), 1000)?;
    if s.grid.reported_at.is_some() {
        return Err(ApiError::Conflict(
            "the grid was already reported done".into(),
        ));
    }
    if s.grid.answered < s.grid.items {
        return Err(ApiError::problem(Problem::new(
            "checklist",
            "risk_unanswered",
            "answer every item before reporting the grid done",
        )));
    }
    let mut tx = state.db.begin().await?;
    store::report_grid(
        &mut tx,
        &s.campaign.id,
        grid_code,
        note.as_deref(),
        &actor.user_id,
        state.now(),
    )
    .await?;
    tx.commit_audited(vec![actor.audit_entry(
        "risk_campaign.report",
        "risk_campaign",
        Some(&s.campaign.id),
        AuditOutcome::Ok,
        &serde_json::json!({"grid": grid_code}).to_string(),
    )])
    .await?;
    sheet(state, actor, id, grid_code).await
}
