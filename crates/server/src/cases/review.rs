//! 实地抽查 (reproducible stratified samples with the seed recorded, on-site findings), 案件评查
//! (rubrics, several reviewers per case, combined scores, disagreements) and the statistics per station
//! (破案率, median days per stage, alerts per 100 cases, overdue rate, review scores), also as XLSX.

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::validate::text;
use pingan_domain::Permission;
use pingan_domain::case::{CaseKind, median, solve_rate};
use pingan_domain::case_review::{Rubric, SampleCase, draw_sample};
use pingan_domain::case_rules::FindingKind;
use pingan_store::cases::{self as store, ReviewRow, RubricRow, SampleRow};
use pingan_store::new_id;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

const DAY: f64 = 86_400e6;

/// A sample to draw.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSample {
    /// Cases drawn from each station × kind (1–100).
    pub per_stratum: i64,
    /// The seed (default: a fresh random one, recorded either way).
    #[serde(default)]
    pub seed: Option<i64>,
    /// `closed` (default), `open` or `all`.
    #[serde(default)]
    pub status: Option<String>,
    /// Closed (or, for open cases, registered) on or after this local date.
    #[serde(default)]
    pub from: Option<String>,
    /// … and before the day after this one.
    #[serde(default)]
    pub to: Option<String>,
}

/// A drawn sample.
#[derive(Debug, Serialize, ToSchema)]
pub struct Sample {
    pub id: String,
    pub seed: i64,
    pub per_stratum: i64,
    pub status: String,
    pub from: Option<String>,
    pub to: Option<String>,
    /// Cases it was drawn from.
    pub population: i64,
    pub created_by: String,
    pub created_at: i64,
    pub items: Vec<SampleItem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SampleItem {
    pub case_id: String,
    pub station_org_id: String,
    pub kind: String,
    pub finding: Option<String>,
    pub recorded_by: Option<String>,
    pub recorded_at: Option<i64>,
}

fn local_day(field: &str, v: &Option<String>) -> ApiResult<Option<jiff::civil::Date>> {
    v.as_deref()
        .map(|s| {
            s.trim().parse::<jiff::civil::Date>().map_err(|_| {
                ApiError::invalid(field, format!("{field} must be a date like 2026-11-30"))
            })
        })
        .transpose()
}

/// Draws a sample from the cases in the caller's scope and keeps it with its seed.
pub async fn draw(state: &AppState, actor: &Actor, req: NewSample) -> ApiResult<Sample> {
    actor.require(state, Permission::CaseSupervise).await?;
    if !(1..=100).contains(&req.per_stratum) {
        return Err(ApiError::invalid(
            "per_stratum",
            "per_stratum must be 1–100",
        ));
    }
    let status = req.status.clone().unwrap_or_else(|| "closed".into());
    let status_filter = match status.as_str() {
        "closed" | "open" => Some(status.as_str()),
        "all" => None,
        _ => return Err(ApiError::invalid("status", "status is closed, open or all")),
    };
    let from = local_day("from", &req.from)?;
    let to = local_day("to", &req.to)?;
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        return Err(ApiError::invalid("to", "to must not be before from"));
    }
    let seed = match req.seed {
        Some(s) if s >= 0 => s,
        Some(_) => {
            return Err(ApiError::invalid(
                "seed",
                "seed must be a non-negative integer",
            ));
        }
        None => (rand::random::<u64>() >> 12) as i64,
    };
    let population = store::sample_population(
        &state.db,
        &actor.scope,
        status_filter,
        from.map(pingan_domain::time::day_start),
        to.map(|t| pingan_domain::time::day_start(t.tomorrow().unwrap_or(t))),
    )
    .await?;
    let cases: Vec<SampleCase> = population
        .iter()
        .map(|(id, station, kind)| SampleCase {
            id: id.clone(),
            station: station.clone(),
            kind: CaseKind::parse(kind).unwrap_or(CaseKind::Administrative),
        })
        .collect();
    let picked: Vec<(String, String, String)> =
        draw_sample(&cases, req.per_stratum as usize, seed as u64)
            .into_iter()
            .map(|(station, kind, id)| (station, kind.code().to_string(), id))
            .collect();
    let row = SampleRow {
        id: new_id(),
        seed,
        per_stratum: req.per_stratum,
        status: status.clone(),
        org_path: actor
            .scope
            .area_paths()
            .chain(actor.scope.org_paths())
            .next()
            .unwrap_or("/")
            .to_string(),
        closed_from: from.map(|d| d.to_string()),
        closed_to: to.map(|d| d.to_string()),
        population: population.len() as i64,
        created_by: actor.username.clone(),
        created_at: state.now(),
    };
    let mut tx = state.db.begin().await?;
    store::insert_sample(&mut tx, &row, &picked);
    tx.commit_audited(vec![super::audit(
        actor,
        row.created_at,
        "case_sample.draw",
        &row.id,
        serde_json::json!({"seed": seed, "per_stratum": req.per_stratum, "status": status, "picked": picked.len()}),
    )])
    .await?;
    get_sample(state, actor, &row.id).await
}

async fn get_sample(state: &AppState, actor: &Actor, id: &str) -> ApiResult<Sample> {
    let (row, items) = store::get_sample(&state.db, &actor.scope, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Sample {
        id: row.id,
        seed: row.seed,
        per_stratum: row.per_stratum,
        status: row.status,
        from: row.closed_from,
        to: row.closed_to,
        population: row.population,
        created_by: row.created_by,
        created_at: row.created_at,
        items: items
            .into_iter()
            .map(|i| SampleItem {
                case_id: i.case_id,
                station_org_id: i.station_org_id,
                kind: i.kind,
                finding: i.finding,
                recorded_by: i.recorded_by,
                recorded_at: i.recorded_at,
            })
            .collect(),
    })
}

/// A kept sample with its findings so far.
pub async fn sample(state: &AppState, actor: &Actor, id: &str) -> ApiResult<Sample> {
    actor.require(state, Permission::CaseRead).await?;
    get_sample(state, actor, id).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFinding {
    pub case_id: String,
    /// What the on-site check found (1–1000 characters).
    pub finding: String,
}

pub async fn record_finding(
    state: &AppState,
    actor: &Actor,
    sample_id: &str,
    req: NewFinding,
) -> ApiResult<Sample> {
    actor.require(state, Permission::CaseSupervise).await?;
    store::get_sample(&state.db, &actor.scope, sample_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let finding = text("finding", &req.finding, 1000)?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    if !store::record_finding(
        &mut tx,
        sample_id,
        &req.case_id,
        &finding,
        &actor.username,
        now,
    )
    .await?
    {
        tx.rollback().await?;
        return Err(ApiError::invalid(
            "case_id",
            "that case is not in the sample",
        ));
    }
    tx.commit_audited(vec![super::audit(
        actor,
        now,
        "case_sample.finding",
        &req.case_id,
        serde_json::json!({"sample": sample_id}),
    )])
    .await?;
    get_sample(state, actor, sample_id).await
}

/// A rubric to keep.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRubric {
    /// `{name, items: [{code, name, points, deductions: [{code, name, points}]}], max_spread?}`.
    #[schema(value_type = Object)]
    pub rubric: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RubricView {
    pub id: String,
    pub name: String,
    pub total: f64,
    #[schema(value_type = Object)]
    pub rubric: serde_json::Value,
}

fn rubric_of(r: &RubricRow) -> ApiResult<Rubric> {
    serde_json::from_str(&r.body)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("rubric {}: {e}", r.id)))
}

pub async fn create_rubric(
    state: &AppState,
    actor: &Actor,
    req: NewRubric,
) -> ApiResult<RubricView> {
    actor.require(state, Permission::CaseSupervise).await?;
    let rubric: Rubric = serde_json::from_value(req.rubric.clone())
        .map_err(|e| ApiError::invalid("rubric", format!("rubric: {e}")))?;
    rubric
        .check()
        .map_err(|e| ApiError::invalid("rubric", e.to_string()))?;
    let row = RubricRow {
        id: new_id(),
        name: rubric.name.clone(),
        body: serde_json::to_string(&rubric).map_err(anyhow::Error::from)?,
        created_by: actor.username.clone(),
        created_at: state.now(),
    };
    let mut tx = state.db.begin().await?;
    store::insert_rubric(&mut tx, &row);
    tx.commit_audited(vec![super::audit(
        actor,
        row.created_at,
        "case_rubric.create",
        &row.id,
        serde_json::json!({"name": row.name}),
    )])
    .await?;
    Ok(RubricView {
        id: row.id,
        name: row.name,
        total: rubric.total(),
        rubric: serde_json::to_value(&rubric).map_err(anyhow::Error::from)?,
    })
}

pub async fn list_rubrics(state: &AppState, actor: &Actor) -> ApiResult<Vec<RubricView>> {
    actor.require(state, Permission::CaseRead).await?;
    let mut out = Vec::new();
    for r in store::rubrics(&state.db).await? {
        let rubric = rubric_of(&r)?;
        out.push(RubricView {
            id: r.id,
            name: r.name,
            total: rubric.total(),
            rubric: serde_json::to_value(&rubric).map_err(anyhow::Error::from)?,
        });
    }
    Ok(out)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReview {
    pub rubric_id: String,
    /// Deduction codes of the rubric that apply.
    #[serde(default)]
    pub deductions: Vec<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// The reviews of a case, per rubric, with the combined score.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseReviews {
    pub case_id: String,
    pub rubrics: Vec<RubricReviews>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RubricReviews {
    pub rubric_id: String,
    pub rubric_name: String,
    pub reviews: Vec<ReviewView>,
    pub mean: Option<f64>,
    /// Highest total minus lowest.
    pub spread: f64,
    /// The spread exceeds the rubric's limit: a third reviewer or a panel should look.
    pub disagreement: bool,
    /// Items the reviewers scored differently.
    pub items_in_dispute: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewView {
    pub reviewer: String,
    pub deductions: Vec<String>,
    pub total: f64,
    pub note: Option<String>,
    pub at: i64,
}

pub async fn submit_review(
    state: &AppState,
    actor: &Actor,
    case_id: &str,
    req: NewReview,
) -> ApiResult<CaseReviews> {
    actor.require(state, Permission::CaseSupervise).await?;
    store::get(&state.db, &actor.scope, case_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let r = store::rubric(&state.db, &req.rubric_id)
        .await?
        .ok_or_else(|| ApiError::invalid("rubric_id", "no such rubric"))?;
    let rubric = rubric_of(&r)?;
    let scores = rubric
        .score(&req.deductions)
        .map_err(|e| ApiError::invalid("deductions", e.to_string()))?;
    let note = req.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > 1000) {
        return Err(ApiError::invalid(
            "note",
            "note must be at most 1000 characters",
        ));
    }
    let now = state.now();
    let row = ReviewRow {
        id: new_id(),
        case_id: case_id.into(),
        rubric_id: r.id.clone(),
        reviewer_id: actor.user_id.clone(),
        deductions: serde_json::to_string(&req.deductions).map_err(anyhow::Error::from)?,
        total: scores.iter().sum(),
        note: note.map(str::to_string),
        created_at: now,
    };
    let mut tx = state.db.begin().await?;
    store::upsert_review(&mut tx, &row).await?;
    tx.commit_audited(vec![super::audit(
        actor,
        now,
        "case_review.submit",
        case_id,
        serde_json::json!({"rubric": r.id, "total": row.total}),
    )])
    .await?;
    reviews(state, actor, case_id).await
}

pub async fn reviews(state: &AppState, actor: &Actor, case_id: &str) -> ApiResult<CaseReviews> {
    actor.require(state, Permission::CaseRead).await?;
    store::get(&state.db, &actor.scope, case_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut by_rubric: BTreeMap<String, Vec<ReviewRow>> = BTreeMap::new();
    for r in store::reviews(&state.db, case_id).await? {
        by_rubric.entry(r.rubric_id.clone()).or_default().push(r);
    }
    let mut rubrics = Vec::new();
    for (rubric_id, rows) in by_rubric {
        let Some(r) = store::rubric(&state.db, &rubric_id).await? else {
            continue;
        };
        let rubric = rubric_of(&r)?;
        let deductions: Vec<Vec<String>> = rows
            .iter()
            .map(|x| serde_json::from_str(&x.deductions).unwrap_or_default())
            .collect();
        let combined = rubric
            .combine(&deductions)
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("{e}")))?;
        let mut reviews = Vec::new();
        for (x, d) in rows.iter().zip(deductions) {
            let (name,): (String,) = state
                .db
                .fetch_one(
                    "SELECT display_name FROM users WHERE id = ?",
                    pingan_store::args![x.reviewer_id.as_str()],
                )
                .await?;
            reviews.push(ReviewView {
                reviewer: name,
                deductions: d,
                total: x.total,
                note: x.note.clone(),
                at: x.created_at,
            });
        }
        rubrics.push(RubricReviews {
            rubric_id,
            rubric_name: r.name,
            reviews,
            mean: combined.mean,
            spread: combined.spread,
            disagreement: combined.disagreement,
            items_in_dispute: combined.items_in_dispute,
        });
    }
    Ok(CaseReviews {
        case_id: case_id.into(),
        rubrics,
    })
}

/// Statistics of one station over a period.
#[derive(Debug, Serialize, ToSchema)]
pub struct StationStats {
    pub station_org_id: String,
    pub station_name: String,
    /// Criminal cases filed (立案) in the period.
    pub filed: u64,
    /// Criminal cases solved (破案) in the period.
    pub solved: u64,
    /// 破案率 = solved / filed (null when none filed).
    pub solve_rate: Option<f64>,
    /// Cases registered in the period.
    pub cases: u64,
    /// Median days 受案 → 立案, 立案 → 破案, 受案 → 结案 over cases reaching the later step in the period.
    pub median_days_accept_to_file: Option<f64>,
    pub median_days_file_to_solve: Option<f64>,
    pub median_days_accept_to_close: Option<f64>,
    /// Alerts found in the period per 100 cases registered in it.
    pub alerts_per_100_cases: Option<f64>,
    /// Share of those alerts that are overdue or missing-step (not merely approaching).
    pub overdue_rate: Option<f64>,
    /// Mean total of the reviews of the station's cases made in the period.
    pub review_mean: Option<f64>,
}

fn within(t: Option<i64>, from: i64, to: i64) -> bool {
    t.is_some_and(|t| t >= from && t < to)
}

/// Statistics per station for `[from, to)` (UTC µs).
pub async fn stats(
    state: &AppState,
    actor: &Actor,
    from: i64,
    to: i64,
) -> ApiResult<Vec<StationStats>> {
    actor.require(state, Permission::CaseRead).await?;
    let cases = store::stat_cases(&state.db, &actor.scope).await?;
    let alerts = store::stat_alerts(&state.db, &actor.scope).await?;
    let reviews = store::stat_reviews(&state.db, &actor.scope).await?;
    let station_of: BTreeMap<&str, &str> =
        cases.iter().map(|c| (c.0.as_str(), c.1.as_str())).collect();
    let mut stations: Vec<&str> = cases.iter().map(|c| c.1.as_str()).collect();
    stations.sort_unstable();
    stations.dedup();
    let mut out = Vec::new();
    for st in stations {
        let mine: Vec<&store::StatCase> = cases.iter().filter(|c| c.1 == st).collect();
        let criminal = |c: &&&store::StatCase| CaseKind::parse(&c.2) == Some(CaseKind::Criminal);
        let filed = mine
            .iter()
            .filter(criminal)
            .filter(|c| within(c.4, from, to))
            .count() as u64;
        let solved = mine
            .iter()
            .filter(criminal)
            .filter(|c| within(c.5, from, to))
            .count() as u64;
        let registered = mine.iter().filter(|c| c.7 >= from && c.7 < to).count() as u64;
        // In handling at some time in the period: the denominator of alerts per 100 cases (as on
        // the dashboard, `kpi`), so old cases' alerts are not divided by this month's new cases.
        let open = mine
            .iter()
            .filter(|c| c.3.unwrap_or(c.7) < to && c.6.is_none_or(|closed| closed >= from))
            .count() as u64;
        let span = |a: Option<i64>, b: Option<i64>| match (a, b) {
            (Some(a), Some(b)) if within(Some(b), from, to) => Some((b - a) as f64 / DAY),
            _ => None,
        };
        let mut a_f: Vec<f64> = mine.iter().filter_map(|c| span(c.3, c.4)).collect();
        let mut f_s: Vec<f64> = mine.iter().filter_map(|c| span(c.4, c.5)).collect();
        let mut a_c: Vec<f64> = mine.iter().filter_map(|c| span(c.3, c.6)).collect();
        let found: Vec<&(String, String, i64)> = alerts
            .iter()
            .filter(|a| station_of.get(a.0.as_str()) == Some(&st) && a.2 >= from && a.2 < to)
            .collect();
        let serious = found
            .iter()
            .filter(|a| {
                matches!(
                    FindingKind::parse(&a.1),
                    Some(FindingKind::Overdue | FindingKind::MissingStep)
                )
            })
            .count();
        let scores: Vec<f64> = reviews
            .iter()
            .filter(|r| station_of.get(r.0.as_str()) == Some(&st) && r.2 >= from && r.2 < to)
            .map(|r| r.1)
            .collect();
        let (station_name,): (String,) = state
            .db
            .fetch_one(
                "SELECT name FROM orgs WHERE id = ?",
                pingan_store::args![st],
            )
            .await?;
        out.push(StationStats {
            station_org_id: st.to_string(),
            station_name,
            filed,
            solved,
            solve_rate: solve_rate(filed, solved),
            cases: registered,
            median_days_accept_to_file: median(&mut a_f),
            median_days_file_to_solve: median(&mut f_s),
            median_days_accept_to_close: median(&mut a_c),
            alerts_per_100_cases: (open > 0).then(|| found.len() as f64 * 100.0 / open as f64),
            overdue_rate: (!found.is_empty()).then(|| serious as f64 / found.len() as f64),
            review_mean: (!scores.is_empty())
                .then(|| scores.iter().sum::<f64>() / scores.len() as f64),
        });
    }
    Ok(out)
}

/// The statistics as an XLSX workbook (one sheet, a row per station).
pub fn stats_xlsx(rows: &[StationStats], from: &str, to: &str) -> anyhow::Result<Vec<u8>> {
    let sheet = crate::xlsx::Sheet {
        name: "执法监督统计",
        title: Some(format!("统计期间 {from} 至 {to}")),
        header: &[
            "派出所",
            "立案数",
            "破案数",
            "破案率",
            "案件数",
            "受案→立案中位天数",
            "立案→破案中位天数",
            "受案→结案中位天数",
            "每百案预警数",
            "超期率",
            "评查平均分",
        ],
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    r.station_name.as_str().into(),
                    (r.filed as f64).into(),
                    (r.solved as f64).into(),
                    crate::xlsx::percent(r.solve_rate),
                    (r.cases as f64).into(),
                    r.median_days_accept_to_file.into(),
                    r.median_days_file_to_solve.into(),
                    r.median_days_accept_to_close.into(),
                    r.alerts_per_100_cases.into(),
                    crate::xlsx::percent(r.overdue_rate),
                    r.review_mean.into(),
                ]
            })
            .collect(),
    };
    Ok(sheet.to_bytes()?)
}
