//! 考核 (assessment scorecards): each unit — a station or police post by its area, a township, a
//! village, a grid — scored for a month or quarter on its unit type's weighted indicators. Computed
//! indicators count the dashboard's measures over the unit's area (`kpi`), so every score drills
//! down to the records behind it; manual items are entered with evidence and count once a second
//! person confirms them. A period is scored with the scheme version in force on its first day; a
//! settled score keeps its version, and recomputing it must give the same total.

pub mod api;
pub mod demo;
pub mod pages;

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::i18n::Lang;
use crate::kpi::counting::Counted;
use crate::state::AppState;
use pingan_domain::Permission;
use pingan_domain::assessment::{self as rules, Indicator, Inputs, Rule, UnitType};
use pingan_domain::audit::AuditOutcome;
use pingan_domain::period::{DaySpan, ReportPeriod};
use pingan_store::assessment as store;
use pingan_store::kpi::{self as measures, Slice};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

fn invalid(field: &str, msg: &str) -> ApiError {
    ApiError::invalid(field, msg.to_string())
}

/// One unit that is scored.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AssessedUnit {
    pub unit_type: UnitType,
    /// Area code, grid code or organisation id.
    pub key: String,
    pub name: String,
    /// The area its records are counted in.
    pub area_path: String,
    /// The grid, for a grid.
    pub grid: Option<String>,
}

/// The units of a type under `area` (default: the widest area of the viewer's scope).
pub async fn units(
    state: &AppState,
    actor: &Actor,
    unit_type: UnitType,
    area: &str,
) -> ApiResult<Vec<AssessedUnit>> {
    let db = &state.db;
    let scope = &actor.scope;
    let under = |p: &str| p.starts_with(area);
    let out = match unit_type {
        UnitType::Township | UnitType::Village => {
            let level = match unit_type {
                UnitType::Township => pingan_domain::area::AreaLevel::Township,
                _ => pingan_domain::area::AreaLevel::Village,
            };
            pingan_store::areas::list(db, scope, None, Some(level))
                .await?
                .into_iter()
                .filter(|a| under(&a.path))
                .map(|a| AssessedUnit {
                    unit_type,
                    key: a.code,
                    name: a.name,
                    area_path: a.path,
                    grid: None,
                })
                .collect()
        }
        UnitType::Grid => pingan_store::grids::under(db, scope, area)
            .await?
            .into_iter()
            .map(|g| AssessedUnit {
                unit_type,
                key: g.code.clone(),
                name: g.name,
                area_path: g.area_path,
                grid: Some(g.code),
            })
            .collect(),
        UnitType::Station | UnitType::PolicePost => {
            let kind = match unit_type {
                UnitType::Station => "station",
                _ => "community_police_post",
            };
            pingan_store::orgs::list(db, scope)
                .await?
                .into_iter()
                .filter(|o| o.kind == kind)
                .filter_map(|o| {
                    let path = o.area_path.clone()?;
                    (under(&path) && actor.scope.covers_area_path(&path)).then_some(AssessedUnit {
                        unit_type,
                        key: o.id,
                        name: o.name,
                        area_path: path,
                        grid: None,
                    })
                })
                .collect()
        }
    };
    Ok(out)
}

/// A scheme version as read.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Scheme {
    pub id: String,
    pub unit_type: UnitType,
    pub version: i64,
    /// The first day it scores (YYYY-MM-DD).
    pub effective_from: String,
    pub indicators: Vec<Indicator>,
    pub note: String,
    pub created_at: i64,
}

fn scheme_of(row: store::SchemeRow) -> ApiResult<Scheme> {
    Ok(Scheme {
        unit_type: row
            .unit_type
            .parse()
            .map_err(|e: String| anyhow::anyhow!("stored unit type: {e}"))?,
        indicators: serde_json::from_str(&row.indicators)
            .map_err(|e| anyhow::anyhow!("stored indicators: {e}"))?,
        id: row.id,
        version: row.version,
        effective_from: row.effective_from,
        note: row.note,
        created_at: row.created_at,
    })
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SchemesQuery {
    /// Only this unit type's versions.
    pub unit_type: Option<UnitType>,
}

pub async fn schemes(
    state: &AppState,
    actor: &Actor,
    unit_type: Option<UnitType>,
) -> ApiResult<Vec<Scheme>> {
    actor.require(state, Permission::KpiRead).await?;
    store::schemes(&state.db, unit_type.map(|t| t.code()))
        .await?
        .into_iter()
        .map(scheme_of)
        .collect()
}

/// A new version of a unit type's scheme.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewScheme {
    pub unit_type: UnitType,
    /// The first month it scores (2026-12): this month or later, so the scores of past periods
    /// keep the version they had.
    pub effective_from: String,
    pub indicators: Vec<Indicator>,
    #[serde(default)]
    pub note: String,
}

pub async fn add_scheme(state: &AppState, actor: &Actor, req: &NewScheme) -> ApiResult<Scheme> {
    actor.require(state, Permission::AssessmentDefine).await?;
    let month = ReportPeriod::parse(&req.effective_from)
        .ok()
        .filter(|p| p.kind == pingan_domain::period::PeriodKind::Month)
        .ok_or_else(|| invalid("effective_from", "a month like 2026-12"))?;
    let this_month =
        ReportPeriod::containing(pingan_domain::period::PeriodKind::Month, state.today());
    if month.first_day() < this_month.first_day() {
        return Err(invalid(
            "effective_from",
            "a new version takes effect this month or later: past periods keep their version",
        ));
    }
    if let Err(e) = rules::validate(&req.indicators) {
        let field = match e.indicator(&req.indicators) {
            Some(i) => format!("indicators[{i}]"),
            None => "indicators".to_string(),
        };
        return Err(ApiError::invalid(&field, e.to_string()));
    }
    for (i, ind) in req.indicators.iter().enumerate() {
        for name in ind.rule.measures() {
            let Some((m, _)) = crate::kpi::counting::measure_named(state, name) else {
                return Err(ApiError::invalid(
                    &format!("indicators[{i}].rule"),
                    format!("no measure {name}"),
                ));
            };
            if req.unit_type == UnitType::Grid && !m.has_grid() {
                return Err(ApiError::invalid(
                    &format!("indicators[{i}].rule"),
                    format!("{name} is not kept per grid"),
                ));
            }
        }
    }
    let json = serde_json::to_string(&req.indicators).map_err(anyhow::Error::from)?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let row = store::add_scheme(
        &mut tx,
        req.unit_type.code(),
        &month.first_day().to_string(),
        &json,
        req.note.trim(),
        Some(&actor.user_id),
        now,
    )
    .await?;
    let weights: serde_json::Map<String, serde_json::Value> = req
        .indicators
        .iter()
        .map(|i| (i.code.clone(), serde_json::json!(i.weight)))
        .collect();
    let entry = actor.audit_entry(
        "assessment.scheme",
        "assessment_scheme",
        Some(&row.id),
        AuditOutcome::Ok,
        &serde_json::json!({"unit_type": row.unit_type, "version": row.version,
            "effective_from": row.effective_from, "weights": weights})
        .to_string(),
    );
    tx.commit_audited(vec![entry]).await?;
    scheme_of(row)
}

/// One indicator as scored.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IndicatorScore {
    pub code: String,
    pub name: String,
    pub weight: f64,
    pub rule: Rule,
    pub inputs: Inputs,
    /// 0–1; absent when there was nothing to score it on (its weight is left out).
    pub rate: Option<f64>,
    pub points: Option<f64>,
    /// The counts behind it, each linked to its records (none for a manual item).
    pub counts: Vec<Counted>,
}

/// A unit's score for a period.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UnitScore {
    pub unit: AssessedUnit,
    pub period: String,
    pub from: String,
    pub to: String,
    pub scheme_id: String,
    pub scheme_version: i64,
    /// 0–100 over the indicators that could be scored.
    pub total: Option<f64>,
    pub indicators: Vec<IndicatorScore>,
    /// The settled score, when the period was settled for this unit.
    pub settled: Option<Settled>,
    /// 1 for the best of the ranking (absent outside a ranking).
    pub rank: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Settled {
    pub total: Option<f64>,
    pub scheme_version: i64,
    pub settled_at: i64,
    /// Recomputing now, with the same version, gives the same total.
    pub reproduced: bool,
}

/// The days a period is scored over (up to today while it runs).
fn span_of(state: &AppState, period: &ReportPeriod) -> ApiResult<DaySpan> {
    period
        .counted(state.today())
        .ok_or_else(|| invalid("period", "this period has not begun"))
}

/// Scores one unit with one scheme over one span.
async fn compute(
    state: &AppState,
    actor: &Actor,
    unit: &AssessedUnit,
    period: &ReportPeriod,
    scheme: &Scheme,
    span: DaySpan,
    lang: Lang,
) -> ApiResult<UnitScore> {
    let slice = Slice {
        area_path: unit.area_path.clone(),
        grid: unit.grid.clone(),
        from: span.start_micros(),
        to: span.end_micros(),
        key: None,
    };
    let items = store::items(
        &state.db,
        unit.unit_type.code(),
        &unit.key,
        &period.to_string(),
    )
    .await?;
    let mut scored = Vec::new();
    let mut out = Vec::new();
    for ind in &scheme.indicators {
        let mut counts = Vec::new();
        let count = |name: &str, role: &str| {
            let name = name.to_string();
            let role = role.to_string();
            let slice = slice.clone();
            async move {
                let (m, def) = crate::kpi::counting::measure_named(state, &name)
                    .ok_or_else(|| anyhow::anyhow!("scheme names an unknown measure {name}"))?;
                let n = measures::count(&state.db, &actor.scope, m, &slice).await?;
                // The number counts for everyone alike; the records behind it are linked only
                // for those who may read them.
                let link = actor.can(def.permission).then(|| {
                    crate::kpi::counting::count_link(
                        &role,
                        m,
                        n,
                        &unit.area_path,
                        unit.grid.as_deref(),
                        span,
                    )
                });
                Ok::<_, ApiError>((n, link))
            }
        };
        let inputs = match &ind.rule {
            Rule::Share { num, den } => {
                let (a, ca) = count(num, "num").await?;
                let (b, cb) = count(den, "den").await?;
                counts.extend(ca.into_iter().chain(cb));
                Inputs {
                    num: a as f64,
                    den: b as f64,
                }
            }
            Rule::Fewer { num, den, .. } => {
                let (a, ca) = count(num, "num").await?;
                counts.extend(ca);
                let b = if den.is_empty() {
                    1
                } else {
                    let (b, cb) = count(den, "den").await?;
                    counts.extend(cb);
                    b
                };
                Inputs {
                    num: a as f64,
                    den: b as f64,
                }
            }
            Rule::Mean { measure, .. } => {
                let (m, def) = crate::kpi::counting::measure_named(state, measure)
                    .ok_or_else(|| anyhow::anyhow!("scheme names an unknown measure {measure}"))?;
                let v = measures::values(&state.db, &actor.scope, m, &slice).await?;
                if actor.can(def.permission) {
                    counts.push(crate::kpi::counting::count_link(
                        "measured",
                        m,
                        v.len() as i64,
                        &unit.area_path,
                        unit.grid.as_deref(),
                        span,
                    ));
                }
                Inputs {
                    num: plus(&v),
                    den: v.len() as f64,
                }
            }
            Rule::PerHead { measure, heads, .. } => {
                let (m, def) = crate::kpi::counting::measure_named(state, measure)
                    .ok_or_else(|| anyhow::anyhow!("scheme names an unknown measure {measure}"))?;
                let v = measures::values(&state.db, &actor.scope, m, &slice).await?;
                if actor.can(def.permission) {
                    counts.push(crate::kpi::counting::count_link(
                        "measured",
                        m,
                        v.len() as i64,
                        &unit.area_path,
                        unit.grid.as_deref(),
                        span,
                    ));
                }
                let (h, ch) = count(heads, "den").await?;
                counts.extend(ch);
                // The target is per month: a quarter's sum counts a third.
                let months = match period.kind {
                    pingan_domain::period::PeriodKind::Month => 1.0,
                    pingan_domain::period::PeriodKind::Quarter => 3.0,
                };
                Inputs {
                    num: plus(&v) / months,
                    den: h as f64,
                }
            }
            Rule::Manual { .. } => {
                let confirmed: Vec<f64> = items
                    .iter()
                    .filter(|i| i.indicator == ind.code && i.confirmed_at.is_some())
                    .map(|i| i.points)
                    .collect();
                Inputs {
                    num: plus(&confirmed),
                    den: if confirmed.is_empty() { 0.0 } else { 1.0 },
                }
            }
        };
        let rate = rules::rate(&ind.rule, inputs);
        scored.push((ind.weight, rate));
        out.push(IndicatorScore {
            code: ind.code.clone(),
            name: lang.pick(&ind.name_zh, &ind.name_en).clone(),
            weight: ind.weight,
            rule: ind.rule.clone(),
            inputs,
            rate,
            points: rate.map(|r| ind.weight * r),
            counts,
        });
    }
    Ok(UnitScore {
        unit: unit.clone(),
        period: period.to_string(),
        from: span.from.to_string(),
        to: span.last().to_string(),
        scheme_id: scheme.id.clone(),
        scheme_version: scheme.version,
        total: rules::total(&scored),
        indicators: out,
        settled: None,
        rank: None,
    })
}

async fn scheme_for(
    state: &AppState,
    unit_type: UnitType,
    period: &ReportPeriod,
) -> ApiResult<Scheme> {
    let row = store::scheme_on(&state.db, unit_type.code(), &period.first_day().to_string())
        .await?
        .ok_or_else(|| invalid("period", "no scheme is in force for this period"))?;
    scheme_of(row)
}

/// A unit's score: with the settled version when the period was settled (and whether recomputing
/// reproduces it), else with the version in force on the period's first day.
async fn score(
    state: &AppState,
    actor: &Actor,
    unit: &AssessedUnit,
    period: &ReportPeriod,
    lang: Lang,
) -> ApiResult<UnitScore> {
    let span = span_of(state, period)?;
    let settled = store::settled(
        &state.db,
        unit.unit_type.code(),
        &unit.key,
        &period.to_string(),
    )
    .await?;
    let scheme = match &settled {
        Some(s) => scheme_of(
            store::scheme(&state.db, &s.scheme_id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("settled score without its scheme"))?,
        )?,
        None => scheme_for(state, unit.unit_type, period).await?,
    };
    let mut s = compute(state, actor, unit, period, &scheme, span, lang).await?;
    if let Some(row) = settled {
        s.settled = Some(Settled {
            reproduced: row.total == s.total,
            total: row.total,
            scheme_version: scheme.version,
            settled_at: row.settled_at,
        });
    }
    Ok(s)
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RankingQuery {
    /// station, police_post, township, village or grid.
    pub unit_type: UnitType,
    /// A month (2026-11) or a quarter (2026-Q3); default: this month.
    pub period: Option<String>,
    /// Only units under this area path (default: your widest area).
    pub area: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Ranking {
    pub unit_type: UnitType,
    pub period: String,
    pub area: crate::kpi::counting::AreaRef,
    pub from: String,
    pub to: String,
    pub complete: bool,
    /// Best first; units that could not be scored last.
    pub scores: Vec<UnitScore>,
}

pub async fn ranking(
    state: &AppState,
    actor: &Actor,
    q: &RankingQuery,
    lang: Lang,
) -> ApiResult<Ranking> {
    actor.require(state, Permission::KpiRead).await?;
    let period = crate::kpi::counting::parse_period(state, q.period.as_deref())?;
    let place = crate::kpi::counting::place(state, actor, q.area.as_deref(), None).await?;
    let span = span_of(state, &period)?;
    let mut scores = Vec::new();
    for unit in units(state, actor, q.unit_type, &place.area.path).await? {
        scores.push(score(state, actor, &unit, &period, lang).await?);
    }
    let key = |s: &UnitScore| s.settled.as_ref().map_or(s.total, |x| x.total);
    scores.sort_by(|a, b| {
        key(b)
            .unwrap_or(-1.0)
            .total_cmp(&key(a).unwrap_or(-1.0))
            .then_with(|| a.unit.name.cmp(&b.unit.name))
    });
    for (i, s) in scores.iter_mut().enumerate() {
        s.rank = key(s).map(|_| i as i64 + 1);
    }
    Ok(Ranking {
        unit_type: q.unit_type,
        period: period.to_string(),
        area: place.area,
        from: span.from.to_string(),
        to: span.last().to_string(),
        complete: span == period.whole(),
        scores,
    })
}

/// The unit of a type and key, inside the viewer's scope.
pub async fn unit(
    state: &AppState,
    actor: &Actor,
    unit_type: UnitType,
    key: &str,
) -> ApiResult<AssessedUnit> {
    let areas: Vec<String> = actor.scope.area_paths().map(str::to_string).collect();
    for area in areas {
        if let Some(u) = units(state, actor, unit_type, &area)
            .await?
            .into_iter()
            .find(|u| u.key == key)
        {
            return Ok(u);
        }
    }
    Err(ApiError::NotFound)
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PeriodQuery {
    /// A month (2026-11) or a quarter (2026-Q3); default: this month.
    pub period: Option<String>,
}

/// A unit's score with every indicator's counts and its manual items.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UnitDetail {
    #[serde(flatten)]
    pub score: UnitScore,
    pub items: Vec<ManualItem>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ManualItem {
    pub id: String,
    pub indicator: String,
    pub points: f64,
    pub evidence: String,
    pub entered_by: String,
    pub entered_at: i64,
    pub confirmed_by: Option<String>,
    pub confirmed_at: Option<i64>,
    /// You may confirm it (someone else entered it, and it is not confirmed yet).
    pub can_confirm: bool,
}

pub async fn detail(
    state: &AppState,
    actor: &Actor,
    unit_type: UnitType,
    key: &str,
    period: Option<&str>,
    lang: Lang,
) -> ApiResult<UnitDetail> {
    actor.require(state, Permission::KpiRead).await?;
    let period = crate::kpi::counting::parse_period(state, period)?;
    let unit = unit(state, actor, unit_type, key).await?;
    let score = score(state, actor, &unit, &period, lang).await?;
    let manage = actor.can(Permission::AssessmentManage);
    let items = store::items(&state.db, unit_type.code(), key, &period.to_string())
        .await?
        .into_iter()
        .map(|i| ManualItem {
            can_confirm: manage && i.confirmed_at.is_none() && i.entered_by != actor.user_id,
            id: i.id,
            indicator: i.indicator,
            points: i.points,
            evidence: i.evidence,
            entered_by: i.entered_by_name,
            entered_at: i.entered_at,
            confirmed_by: i.confirmed_by_name,
            confirmed_at: i.confirmed_at,
        })
        .collect();
    Ok(UnitDetail { score, items })
}

/// A manual item for a unit and period.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewManualItem {
    pub unit_type: UnitType,
    pub unit_key: String,
    /// A month (2026-11) or a quarter (2026-Q3).
    pub period: String,
    /// The code of a manual indicator of the scheme in force.
    pub indicator: String,
    pub points: f64,
    /// What the points rest on (a document, an inspection, a meeting decision).
    pub evidence: String,
}

pub async fn add_item(state: &AppState, actor: &Actor, req: &NewManualItem) -> ApiResult<String> {
    actor.require(state, Permission::AssessmentManage).await?;
    let period = ReportPeriod::parse(&req.period)
        .map_err(|_| invalid("period", "a month like 2026-11 or a quarter like 2026-Q4"))?;
    let unit = unit(state, actor, req.unit_type, &req.unit_key)
        .await
        .map_err(|_| invalid("unit_key", "no such unit in your scope"))?;
    if store::settled(
        &state.db,
        unit.unit_type.code(),
        &unit.key,
        &period.to_string(),
    )
    .await?
    .is_some()
    {
        return Err(invalid("period", "this period is settled for the unit"));
    }
    let scheme = scheme_for(state, req.unit_type, &period).await?;
    let max = scheme
        .indicators
        .iter()
        .find_map(|i| match i.rule {
            Rule::Manual { max } if i.code == req.indicator => Some(max),
            _ => None,
        })
        .ok_or_else(|| {
            invalid(
                "indicator",
                "not a manual indicator of this unit type's scheme",
            )
        })?;
    // The items of an indicator add up; together they stay within its maximum.
    let entered: f64 = store::items(
        &state.db,
        unit.unit_type.code(),
        &unit.key,
        &period.to_string(),
    )
    .await?
    .iter()
    .filter(|i| i.indicator == req.indicator)
    .map(|i| i.points)
    .sum();
    let room = (max - entered).max(0.0);
    if !(req.points.is_finite() && req.points >= 0.0 && req.points <= room) {
        return Err(ApiError::invalid(
            "points",
            format!("between 0 and {room} (the indicator's items add up to at most {max})"),
        ));
    }
    let evidence = req.evidence.trim();
    if evidence.chars().count() < 4 || evidence.chars().count() > 1000 {
        return Err(invalid(
            "evidence",
            "say what the points rest on (4–1000 characters)",
        ));
    }
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let id = store::add_item(
        &mut tx,
        &store::NewItem {
            unit_type: unit.unit_type.code(),
            unit_key: &unit.key,
            period: &period.to_string(),
            indicator: &req.indicator,
            points: req.points,
            evidence,
            area_path: &unit.area_path,
            by: &actor.user_id,
            at: now,
        },
    )
    .await?;
    tx.commit_audited(vec![
        actor.audit_entry(
            "assessment.item",
            "assessment_item",
            Some(&id),
            AuditOutcome::Ok,
            &serde_json::json!({"unit_type": unit.unit_type, "unit": unit.key,
            "period": period.to_string(), "indicator": req.indicator, "points": req.points})
            .to_string(),
        ),
    ])
    .await?;
    Ok(id)
}

/// Confirms someone else's manual item (the second person).
pub async fn confirm_item(state: &AppState, actor: &Actor, id: &str) -> ApiResult<()> {
    actor.require(state, Permission::AssessmentManage).await?;
    let item = store::item(&state.db, &actor.scope, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if item.entered_by == actor.user_id {
        return Err(ApiError::Conflict(
            "a second person confirms an item, not the one who entered it".into(),
        ));
    }
    // A settled score must stay reproducible: nothing changes its inputs afterwards.
    if store::settled(&state.db, &item.unit_type, &item.unit_key, &item.period)
        .await?
        .is_some()
    {
        return Err(ApiError::Conflict(
            "the period is settled for this unit: its items are closed".into(),
        ));
    }
    let now = state.now();
    let mut tx = state.db.begin().await?;
    if !store::confirm_item(&mut tx, id, &actor.user_id, now).await? {
        return Err(ApiError::Conflict("the item is confirmed already".into()));
    }
    tx.commit_audited(vec![actor.audit_entry(
        "assessment.item_confirm",
        "assessment_item",
        Some(id),
        AuditOutcome::Ok,
        &serde_json::json!({"unit": item.unit_key, "period": item.period, "points": item.points})
            .to_string(),
    )])
    .await?;
    Ok(())
}

/// Settle a completed period's scores for the units of a type under an area.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Settlement {
    pub unit_type: UnitType,
    pub period: String,
    /// Area path (default: your widest area).
    pub area: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SettlementDone {
    /// Units settled now.
    pub settled: i64,
    /// Units settled before (kept as they were).
    pub kept: i64,
}

pub async fn settle(
    state: &AppState,
    actor: &Actor,
    req: &Settlement,
) -> ApiResult<SettlementDone> {
    actor.require(state, Permission::AssessmentManage).await?;
    let period = ReportPeriod::parse(&req.period)
        .map_err(|_| invalid("period", "a month like 2026-11 or a quarter like 2026-Q4"))?;
    if period.end_day() > state.today() {
        return Err(invalid("period", "a period is settled after it has ended"));
    }
    let place = crate::kpi::counting::place(state, actor, req.area.as_deref(), None).await?;
    let scheme = scheme_for(state, req.unit_type, &period).await?;
    let span = period.whole();
    let mut rows = Vec::new();
    let mut kept = 0;
    for unit in units(state, actor, req.unit_type, &place.area.path).await? {
        if store::settled(
            &state.db,
            unit.unit_type.code(),
            &unit.key,
            &period.to_string(),
        )
        .await?
        .is_some()
        {
            kept += 1;
            continue;
        }
        let s = compute(state, actor, &unit, &period, &scheme, span, Lang::ZhCn).await?;
        rows.push(store::ScoreRow {
            id: pingan_store::new_id(),
            unit_type: unit.unit_type.code().into(),
            unit_key: unit.key.clone(),
            unit_name: unit.name.clone(),
            area_path: unit.area_path.clone(),
            period: period.to_string(),
            scheme_id: scheme.id.clone(),
            total: s.total,
            detail: serde_json::to_string(&s.indicators).map_err(anyhow::Error::from)?,
            settled_by: actor.user_id.clone(),
            settled_at: state.now(),
        });
    }
    let mut tx = state.db.begin().await?;
    let mut settled = 0;
    for r in &rows {
        if store::settle(&mut tx, r).await? {
            settled += 1;
        } else {
            kept += 1;
        }
    }
    tx.commit_audited(vec![
        actor.audit_entry(
            "assessment.settle",
            "assessment_scheme",
            Some(&scheme.id),
            AuditOutcome::Ok,
            &serde_json::json!({"unit_type": req.unit_type, "period": period.to_string(),
            "area": place.area.path, "settled": settled, "version": scheme.version})
            .to_string(),
        ),
    ])
    .await?;
    Ok(SettlementDone { settled, kept })
}

/// The sum of the values, 0 (not −0, as `Iterator::sum` gives for none) when there are none.
fn plus(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |a, b| a + b)
}
