//! 法治宣传: legal-publicity campaigns carried into 机关、乡村、社区、学校、企业、单位. A campaign names its
//! area, period, theme and a target number of events per setting; community police, grid workers
//! and mediators record the events they hold (where, in which grid, how many attended, what was
//! handed out). The campaign shows each setting's events against its target, the grids reached, and
//! — presented as what it is, a comparison of counts — incidents and disputes in the reached grids
//! before and after each grid's first event (windows of equal length, cut at today) beside the same
//! counts in the campaign's grids no event reached, around the campaign's first event.

pub mod api;
pub mod demo;
pub mod pages;

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, Problem, Problems};
use crate::state::AppState;
use pingan_domain::Permission;
use pingan_domain::audit::AuditOutcome;
use pingan_domain::publicity::{BeforeAfter, Setting, check_targets, windows};
use pingan_store::new_id;
use pingan_store::publicity::{self as store, CampaignRow, NewEvent};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub setting: Setting,
    /// Events planned in that setting, 0–1000.
    pub events: i64,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPublicityCampaign {
    /// 1–100 characters.
    pub name: String,
    /// The theme (e.g. 反诈、民法典、禁毒), at most 200 characters.
    #[serde(default)]
    pub theme: Option<String>,
    /// The area it covers (in your scope).
    pub area_path: String,
    /// `YYYY-MM-DD`.
    pub starts_on: String,
    pub ends_on: String,
    pub targets: Vec<Target>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicityCampaign {
    pub id: String,
    pub name: String,
    pub theme: String,
    pub area_path: String,
    pub starts_on: String,
    pub ends_on: String,
    pub events: i64,
    pub attendance: i64,
}

fn view(c: CampaignRow) -> PublicityCampaign {
    PublicityCampaign {
        id: c.id,
        name: c.name,
        theme: c.theme,
        area_path: c.area_path,
        starts_on: c.starts_on,
        ends_on: c.ends_on,
        events: c.events,
        attendance: c.attendance,
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
    req: NewPublicityCampaign,
) -> ApiResult<PublicityCampaign> {
    actor.require(state, Permission::PublicityManage).await?;
    let mut problems = Problems::default();
    let name = problems.check(crate::validate::text("name", &req.name, 100))?;
    let theme = problems
        .check(crate::validate::optional_text(
            "theme",
            req.theme.as_deref(),
            200,
        ))?
        .flatten()
        .unwrap_or_default();
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
    let targets: Vec<(Setting, i64)> = req.targets.iter().map(|t| (t.setting, t.events)).collect();
    if let Err(e) = check_targets(&targets) {
        let field = match e {
            pingan_domain::publicity::BadTargets::None => "targets".to_string(),
            pingan_domain::publicity::BadTargets::Count(i)
            | pingan_domain::publicity::BadTargets::Repeated(i) => format!("targets[{i}].events"),
        };
        problems.push(Problem::new(&field, "publicity_targets", e.to_string()));
    }
    if !(pingan_domain::scope::is_valid_path(&req.area_path)
        && actor.scope.covers_area_path(&req.area_path))
    {
        problems.push(Problem::new(
            "area_path",
            "risk_area",
            "no such area in your scope",
        ));
    }
    problems.finish()?;
    let (Some(name), Some(from), Some(to)) = (name, from, to) else {
        return Err(ApiError::invalid("name", "required"));
    };
    let c = CampaignRow {
        id: new_id(),
        name,
        theme,
        area_path: req.area_path.clone(),
        starts_on: from.to_string(),
        ends_on: to.to_string(),
        created_at: state.now(),
        events: 0,
        attendance: 0,
    };
    let targets: Vec<(String, i64)> = targets
        .into_iter()
        .map(|(s, n)| (s.code().to_string(), n))
        .collect();
    let mut tx = state.db.begin().await?;
    store::create(&mut tx, &c, &actor.user_id, &targets);
    tx.commit_audited(vec![actor.audit_entry(
        "publicity.create",
        "publicity_campaign",
        Some(&c.id),
        AuditOutcome::Ok,
        &serde_json::json!({"area": c.area_path, "targets": targets.len()}).to_string(),
    )])
    .await?;
    Ok(view(c))
}

pub async fn list(state: &AppState, actor: &Actor) -> ApiResult<Vec<PublicityCampaign>> {
    actor.require(state, Permission::AreaRead).await?;
    Ok(store::list(&state.db, &actor.scope)
        .await?
        .into_iter()
        .map(view)
        .collect())
}

/// An event held.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPublicityEvent {
    pub setting: Setting,
    /// When (RFC 3339), if not now.
    #[serde(default)]
    pub held_at: Option<String>,
    /// Where (e.g. 枫桥小学报告厅), 1–100 characters.
    pub place: String,
    /// The grid it was held in (in your scope and the campaign's area).
    pub grid_code: String,
    /// People who attended, 0–100000.
    pub attendance: i64,
    /// Materials handed out, at most 200 characters.
    #[serde(default)]
    pub materials: Option<String>,
    /// At most 1000 characters.
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicityEvent {
    pub id: String,
    pub setting: Setting,
    pub held_at: i64,
    pub place: String,
    pub grid_code: String,
    pub grid_name: String,
    pub attendance: i64,
    pub materials: String,
    pub note: String,
    pub recorded_by: String,
}

pub async fn record_event(
    state: &AppState,
    actor: &Actor,
    id: &str,
    req: NewPublicityEvent,
) -> ApiResult<PublicityEvent> {
    actor.require(state, Permission::PublicityRecord).await?;
    let c = store::get(&state.db, &actor.scope, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut problems = Problems::default();
    let place = problems.check(crate::validate::text("place", &req.place, 100))?;
    let materials = problems
        .check(crate::validate::optional_text(
            "materials",
            req.materials.as_deref(),
            200,
        ))?
        .flatten()
        .unwrap_or_default();
    let note = problems
        .check(crate::validate::optional_text(
            "note",
            req.note.as_deref(),
            1000,
        ))?
        .flatten()
        .unwrap_or_default();
    let held_at = problems
        .check(crate::validate::recorded_instant(
            state,
            "held_at",
            req.held_at.as_deref(),
        ))?
        .flatten()
        .unwrap_or_else(|| state.now());
    if !(0..=100_000).contains(&req.attendance) {
        problems.push(Problem::new(
            "attendance",
            "publicity_attendance",
            "attendance is 0 to 100000",
        ));
    }
    let grid: Option<(String,)> = state
        .db
        .fetch_optional(
            "SELECT area_path FROM grids WHERE code = ?",
            pingan_store::args![req.grid_code.as_str()],
        )
        .await?;
    let area_path = grid
        .map(|g| g.0)
        .filter(|p| actor.scope.covers_area_path(p) && p.starts_with(&c.area_path));
    if area_path.is_none() {
        problems.push(Problem::new(
            "grid_code",
            "publicity_grid",
            "no such grid in your scope and the campaign's area",
        ));
    }
    problems.finish()?;
    let e = NewEvent {
        id: new_id(),
        campaign_id: c.id.clone(),
        setting: req.setting.code().into(),
        held_at,
        place: place.unwrap_or_default(),
        grid_code: req.grid_code.clone(),
        area_path: area_path.unwrap_or_default(),
        attendance: req.attendance,
        materials,
        note,
        recorded_by: actor.user_id.clone(),
        created_at: state.now(),
    };
    let mut tx = state.db.begin().await?;
    store::add_event(&mut tx, &e);
    tx.commit_audited(vec![actor.audit_entry(
        "publicity.event",
        "publicity_campaign",
        Some(&c.id),
        AuditOutcome::Ok,
        &serde_json::json!({"event": e.id, "setting": e.setting, "grid": e.grid_code}).to_string(),
    )])
    .await?;
    Ok(PublicityEvent {
        id: e.id,
        setting: req.setting,
        held_at: e.held_at,
        place: e.place,
        grid_code: e.grid_code,
        grid_name: String::new(),
        attendance: e.attendance,
        materials: e.materials,
        note: e.note,
        recorded_by: actor.display_name.clone(),
    })
}

/// One setting's events against its target.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SettingProgress {
    pub setting: Setting,
    pub target: i64,
    pub held: i64,
    pub attendance: i64,
}

/// Incidents and disputes before and after, in reached and unreached grids.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Comparison {
    /// The longest window asked for, in days (each grid's is cut at today).
    pub window_days: i64,
    /// Grids reached by an event, around each grid's first event.
    pub reached_grids: usize,
    pub reached_incidents: BeforeAfter,
    pub reached_disputes: BeforeAfter,
    /// The campaign's grids no event reached, around the campaign's first event.
    pub other_grids: usize,
    pub other_incidents: BeforeAfter,
    pub other_disputes: BeforeAfter,
    /// How the numbers were made, in English (the page says it in the reader's language).
    pub method: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicityDetail {
    pub campaign: PublicityCampaign,
    pub settings: Vec<SettingProgress>,
    pub events: Vec<PublicityEvent>,
    /// Grids under the campaign's area, and those an event reached.
    pub grids: usize,
    pub grids_reached: usize,
    /// Absent until a whole day has passed since the first event.
    pub comparison: Option<Comparison>,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DetailQuery {
    /// Comparison window in days (7–365, default 90).
    pub window_days: Option<i64>,
}

pub async fn detail(
    state: &AppState,
    actor: &Actor,
    id: &str,
    q: &DetailQuery,
) -> ApiResult<PublicityDetail> {
    actor.require(state, Permission::AreaRead).await?;
    let days = q.window_days.unwrap_or(90);
    if !(7..=365).contains(&days) {
        return Err(ApiError::problem(Problem::new(
            "window_days",
            "publicity_window",
            "the window is 7 to 365 days",
        )));
    }
    let c = store::get(&state.db, &actor.scope, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let settings = store::targets(&state.db, &c.id)
        .await?
        .into_iter()
        .filter_map(|t| {
            Some(SettingProgress {
                setting: t.setting.parse().ok()?,
                target: t.target,
                held: t.held,
                attendance: t.attendance,
            })
        })
        .collect();
    let events = store::events(&state.db, &c.id)
        .await?
        .into_iter()
        .filter_map(|e| {
            Some(PublicityEvent {
                setting: e.setting.parse().ok()?,
                id: e.id,
                held_at: e.held_at,
                place: e.place,
                grid_code: e.grid_code,
                grid_name: e.grid_name,
                attendance: e.attendance,
                materials: e.materials,
                note: e.note,
                recorded_by: e.recorder_name,
            })
        })
        .collect();
    let firsts = store::grid_firsts(&state.db, &c.id, &c.area_path).await?;
    let comparison = compare(state, &firsts, days).await?;
    let grids_reached = firsts.iter().filter(|(_, f)| f.is_some()).count();
    Ok(PublicityDetail {
        campaign: view(c),
        settings,
        events,
        grids: firsts.len(),
        grids_reached,
        comparison,
    })
}

async fn compare(
    state: &AppState,
    firsts: &[(String, Option<i64>)],
    days: i64,
) -> ApiResult<Option<Comparison>> {
    let now = state.now();
    let Some(first) = firsts.iter().filter_map(|(_, f)| *f).min() else {
        return Ok(None);
    };
    if windows(first, now, days).is_none() {
        return Ok(None);
    }
    let zero = BeforeAfter {
        before: 0,
        after: 0,
    };
    let (mut ri, mut rd, mut reached) = (zero, zero, 0);
    for (grid, f) in firsts {
        let Some(f) = f else { continue };
        let Some(w) = windows(*f, now, days) else {
            continue;
        };
        let ((b0, b1), (a0, a1)) = (w.before, w.after);
        reached += 1;
        let g = std::slice::from_ref(grid);
        let (bi, bd) = store::counts(&state.db, g, b0, b1).await?;
        let (ai, ad) = store::counts(&state.db, g, a0, a1).await?;
        ri.before += bi;
        ri.after += ai;
        rd.before += bd;
        rd.after += ad;
    }
    let others: Vec<String> = firsts
        .iter()
        .filter(|(_, f)| f.is_none())
        .map(|(g, _)| g.clone())
        .collect();
    let Some(w) = windows(first, now, days) else {
        return Ok(None);
    };
    let ((b0, b1), (a0, a1)) = (w.before, w.after);
    let (bi, bd) = store::counts(&state.db, &others, b0, b1).await?;
    let (ai, ad) = store::counts(&state.db, &others, a0, a1).await?;
    Ok(Some(Comparison {
        window_days: days,
        reached_grids: reached,
        reached_incidents: ri,
        reached_disputes: rd,
        other_grids: others.len(),
        other_incidents: BeforeAfter {
            before: bi,
            after: ai,
        },
        other_disputes: BeforeAfter {
            before: bd,
            after: ad,
        },
        method:
            "Counts of incidents received and disputes registered. Reached grids: in each grid, \
                 the days before its first event against as many days from it (at most the window, \
                 cut at today). Other grids: the same around the campaign's first event. A \
                 comparison of counts, not a measured effect of the campaign."
                .into(),
    }))
}
