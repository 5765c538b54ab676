//! 信息研判 over the incidents in the caller's scope: hotspot layers (Gi*, KDE), repeat locations,
//! near-repeat tables and 同比/环比 trends for an area, a period of local dates and categories; and the
//! kept 研判简报.

use crate::analysis::brief::{self, BriefContent, PeriodKind};
use crate::analysis::briefs::{BriefSummary, parse_content, summary};
use crate::analysis::{self, Hotspots, NearRepeat, Period, RepeatLocation, Trends};
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiPath as Path;
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pingan_domain::Permission;
use pingan_store::analysis::{self as store, Selection};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(analysis_hotspots))
        .routes(routes!(analysis_repeat_locations))
        .routes(routes!(analysis_near_repeat))
        .routes(routes!(analysis_trends))
        .routes(routes!(list_briefs, generate_brief))
        .routes(routes!(get_brief))
}

/// The longest period one request may analyse.
const MAX_DAYS: i64 = 400;

/// Which incidents to analyse.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AnalysisQuery {
    /// Area path, e.g. `/330681/330681001/` (default: the first area of your scope).
    pub area: Option<String>,
    /// First local date, YYYY-MM-DD (default: 27 days before `to`).
    pub from: Option<String>,
    /// Last local date, inclusive (default: today).
    pub to: Option<String>,
    /// Incident type codes, comma-separated (default: all).
    pub types: Option<String>,
    /// Hotspots: cell side in metres (50–2000, default 250).
    pub cell_m: Option<f64>,
    /// Hotspots: Gi* distance band in metres (cell_m–5000, default 400).
    pub band_m: Option<f64>,
    /// Hotspots: Gaussian kernel bandwidth σ in metres (25–5000, default 250).
    pub bandwidth_m: Option<f64>,
    /// Repeat locations: radius in metres (5–500, default 50).
    pub radius_m: Option<f64>,
    /// Repeat locations: fewest incidents that make a place (2–100, default 3).
    pub min_count: Option<usize>,
    /// Near repeat: distance thresholds in metres, increasing, comma-separated (default 100,200,400).
    pub space_bands: Option<String>,
    /// Near repeat: time thresholds in days, increasing, comma-separated (default 3,7,14).
    pub time_bands: Option<String>,
    /// Near repeat: Monte-Carlo permutations (0–999, default 99).
    pub permutations: Option<usize>,
    /// Near repeat: permutation seed (default 1).
    pub seed: Option<u64>,
}

fn date(field: &str, v: &str) -> ApiResult<jiff::civil::Date> {
    v.trim()
        .parse()
        .map_err(|_| ApiError::invalid(field, format!("{field} must be a date like 2026-11-30")))
}

fn number(field: &str, v: Option<f64>, default: f64, lo: f64, hi: f64) -> ApiResult<f64> {
    let v = v.unwrap_or(default);
    if !(v.is_finite() && (lo..=hi).contains(&v)) {
        return Err(ApiError::invalid(
            field,
            format!("{field} must be between {lo} and {hi}"),
        ));
    }
    Ok(v)
}

fn bands(field: &str, v: Option<&str>, default: &[f64], max: f64) -> ApiResult<Vec<f64>> {
    let Some(v) = v.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(default.to_vec());
    };
    let bad = || {
        ApiError::invalid(
            field,
            format!("{field} must be 1–10 increasing numbers in (0, {max}], comma-separated"),
        )
    };
    let out: Vec<f64> = v
        .split(',')
        .map(|s| s.trim().parse::<f64>().map_err(|_| bad()))
        .collect::<ApiResult<_>>()?;
    if out.is_empty()
        || out.len() > 10
        || out
            .iter()
            .any(|b| !(b.is_finite() && *b > 0.0 && *b <= max))
        || out.windows(2).any(|w| w[1] <= w[0])
    {
        return Err(bad());
    }
    Ok(out)
}

impl AnalysisQuery {
    /// Area (in scope), period and types.
    fn selection(&self, state: &AppState, actor: &Actor) -> ApiResult<(Selection, Period)> {
        let area = match self
            .area
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(a) => a.to_string(),
            None => actor
                .scope
                .area_paths()
                .next()
                .map(str::to_string)
                .ok_or_else(|| ApiError::invalid("area", "your scope holds no area; name one"))?,
        };
        if !pingan_domain::scope::is_valid_path(&area) || !actor.scope.covers_area_path(&area) {
            return Err(ApiError::invalid("area", "no such area in your scope"));
        }
        let to = match &self.to {
            Some(v) => date("to", v)?,
            None => state.today(),
        };
        let from = match &self.from {
            Some(v) => date("from", v)?,
            None => to
                .checked_sub(jiff::Span::new().days(27))
                .map_err(|_| ApiError::invalid("to", "to is out of range"))?,
        };
        let period = Period { from, to };
        if to < from {
            return Err(ApiError::invalid("to", "to must not be before from"));
        }
        if period.days() > MAX_DAYS {
            return Err(ApiError::invalid(
                "from",
                format!("the period may be at most {MAX_DAYS} days"),
            ));
        }
        let types: Vec<String> = self
            .types
            .as_deref()
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        if types.len() > 100
            || types
                .iter()
                .any(|t| t.len() != 6 || !t.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(ApiError::invalid(
                "types",
                "types must be 6-digit incident type codes, comma-separated",
            ));
        }
        Ok((
            Selection {
                area_path: area,
                from: period.start_micros(),
                to: period.end_micros(),
                types,
            },
            period,
        ))
    }
}

/// Gi* hot and cold cells (90/95/99 %) and the kernel density surface.
#[utoipa::path(get, path = "/api/v1/analysis/hotspots", tag = "analysis", params(AnalysisQuery),
    responses((status = 200, description = "OK", body = Hotspots),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn analysis_hotspots(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<AnalysisQuery>,
) -> ApiResult<Json<Hotspots>> {
    actor.require(&state, Permission::AnalysisRead).await?;
    let (sel, _) = q.selection(&state, &actor)?;
    let cell = number("cell_m", q.cell_m, 250.0, 50.0, 2000.0)?;
    let band = number("band_m", q.band_m, 400.0, cell, 5000.0)?;
    let bandwidth = number("bandwidth_m", q.bandwidth_m, 250.0, 25.0, 5000.0)?;
    let ev = analysis::load(&state.db, &actor.scope, &sel).await?;
    let area = analysis::StudyArea::of(&state.db, &actor.scope, &sel.area_path).await?;
    // A district-year is a second of CPU work: off the async threads.
    let out = tokio::task::spawn_blocking(move || {
        analysis::hotspots(&ev, area.as_ref(), cell, band, bandwidth)
    })
    .await
    .map_err(anyhow::Error::from)?;
    Ok(Json(out))
}

/// Places with repeated incidents (within a radius or at one address), most incidents first.
#[utoipa::path(get, path = "/api/v1/analysis/repeat-locations", tag = "analysis", params(AnalysisQuery),
    responses((status = 200, description = "OK", body = Vec<RepeatLocation>),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn analysis_repeat_locations(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<AnalysisQuery>,
) -> ApiResult<Json<Vec<RepeatLocation>>> {
    actor.require(&state, Permission::AnalysisRead).await?;
    let (sel, _) = q.selection(&state, &actor)?;
    let radius = number("radius_m", q.radius_m, 50.0, 5.0, 500.0)?;
    let min = q.min_count.unwrap_or(3);
    if !(2..=100).contains(&min) {
        return Err(ApiError::invalid("min_count", "min_count must be 2–100"));
    }
    let ev = analysis::load(&state.db, &actor.scope, &sel).await?;
    let mut places =
        tokio::task::spawn_blocking(move || analysis::repeat_locations(&ev, radius, min))
            .await
            .map_err(anyhow::Error::from)?;
    places.truncate(200);
    Ok(Json(places))
}

/// Knox near-repeat table: are incidents close in space also close in time, beyond chance?
#[utoipa::path(get, path = "/api/v1/analysis/near-repeat", tag = "analysis", params(AnalysisQuery),
    responses((status = 200, description = "OK", body = NearRepeat),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn analysis_near_repeat(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<AnalysisQuery>,
) -> ApiResult<Json<NearRepeat>> {
    actor.require(&state, Permission::AnalysisRead).await?;
    let (sel, _) = q.selection(&state, &actor)?;
    let space = bands(
        "space_bands",
        q.space_bands.as_deref(),
        &[100.0, 200.0, 400.0],
        10_000.0,
    )?;
    let time = bands(
        "time_bands",
        q.time_bands.as_deref(),
        &[3.0, 7.0, 14.0],
        365.0,
    )?;
    let permutations = q.permutations.unwrap_or(99);
    if permutations > 999 {
        return Err(ApiError::invalid(
            "permutations",
            "permutations must be 0–999",
        ));
    }
    let ev = analysis::load(&state.db, &actor.scope, &sel).await?;
    let seed = q.seed.unwrap_or(1);
    // The permutations are CPU work: off the async threads.
    let out = tokio::task::spawn_blocking(move || {
        analysis::near_repeat(&ev, space, time, permutations, seed)
    })
    .await
    .map_err(anyhow::Error::from)??;
    Ok(Json(out))
}

/// Counts for the period with 环比 (the period before) and 同比 (a year before), per sub-area and
/// category, each with an exact test of whether the change is beyond chance.
#[utoipa::path(get, path = "/api/v1/analysis/trends", tag = "analysis", params(AnalysisQuery),
    responses((status = 200, description = "OK", body = Trends),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn analysis_trends(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<AnalysisQuery>,
) -> ApiResult<Json<Trends>> {
    actor.require(&state, Permission::AnalysisRead).await?;
    let (sel, period) = q.selection(&state, &actor)?;
    let types = state.types.get(&state.db).await?;
    let name = |code: &str| {
        types
            .iter()
            .find(|t| t.code == code)
            .map_or_else(|| code.to_string(), |t| t.name_zh.clone())
    };
    Ok(Json(
        analysis::trends(
            &state.db,
            &actor.scope,
            &sel.area_path,
            period,
            &sel.types,
            name,
        )
        .await?,
    ))
}

/// A kept brief with its content.
#[derive(Debug, Serialize, ToSchema)]
pub struct Brief {
    #[serde(flatten)]
    pub summary: BriefSummary,
    pub content: BriefContent,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct BriefQuery {
    /// `daily` or `weekly` (default: both).
    pub period_kind: Option<String>,
    /// At most this many (1–500, default 100).
    pub limit: Option<i64>,
}

/// Kept briefs whose subject is in your scope, newest period first.
#[utoipa::path(get, path = "/api/v1/briefs", tag = "analysis", params(BriefQuery),
    responses((status = 200, description = "OK", body = Vec<BriefSummary>),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn list_briefs(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<BriefQuery>,
) -> ApiResult<Json<Vec<BriefSummary>>> {
    actor.require(&state, Permission::AnalysisRead).await?;
    let kind = match q.period_kind.as_deref() {
        None => None,
        Some(k) => Some(
            PeriodKind::parse(k)
                .ok_or_else(|| ApiError::invalid("period_kind", "period_kind is daily or weekly"))?
                .code(),
        ),
    };
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::invalid("limit", "limit must be 1–500"));
    }
    let rows = store::list_briefs(&state.db, &actor.scope, kind, limit).await?;
    Ok(Json(rows.iter().map(summary).collect()))
}

/// Which brief to compose now.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBrief {
    /// `district` (subject_id is the area code) or `station` (subject_id is the org id).
    pub subject_kind: String,
    pub subject_id: String,
    /// `daily` or `weekly`.
    pub period_kind: String,
    /// A local date inside the period, YYYY-MM-DD (a week runs Monday to Sunday).
    pub date: String,
}

/// Compose a brief now (e.g. for an earlier period); answers the kept one if it exists.
#[utoipa::path(post, path = "/api/v1/briefs", tag = "analysis", request_body = NewBrief,
    responses((status = 201, description = "Composed", body = BriefSummary),
        (status = 200, description = "Kept already", body = BriefSummary),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 409, description = "Another server is composing it; ask again shortly", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn generate_brief(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(req): ApiJson<NewBrief>,
) -> ApiResult<(StatusCode, Json<BriefSummary>)> {
    actor.require(&state, Permission::AnalysisRead).await?;
    let kind = PeriodKind::parse(&req.period_kind)
        .ok_or_else(|| ApiError::invalid("period_kind", "period_kind is daily or weekly"))?;
    let day = date("date", &req.date)?;
    if day >= state.today() {
        return Err(ApiError::invalid(
            "date",
            "a brief covers a period that has ended: give a date before today",
        ));
    }
    let subject = brief::subjects(&state.db)
        .await?
        .into_iter()
        .find(|s| s.kind == req.subject_kind && s.id == req.subject_id)
        .filter(|s| actor.scope.covers_area_path(&s.area_path))
        .ok_or_else(|| {
            ApiError::invalid("subject_id", "no such district or station in your scope")
        })?;
    let period = kind.containing(day);
    if period.to >= state.today() {
        return Err(ApiError::invalid("date", "that week has not ended yet"));
    }
    let composed = brief::ensure(&state, &subject, kind, period).await?;
    let (from, to) = (period.from.to_string(), period.to.to_string());
    let row = store::list_briefs(&state.db, &actor.scope, Some(kind.code()), 500)
        .await?
        .into_iter()
        .find(|b| {
            b.subject_kind == subject.kind
                && b.subject_id == subject.id
                && b.period_start == from
                && b.period_end == to
        });
    match (row, composed) {
        (Some(b), Some(_)) => Ok((StatusCode::CREATED, Json(summary(&b)))),
        (Some(b), None) => Ok((StatusCode::OK, Json(summary(&b)))),
        (None, _) => Err(ApiError::Conflict(
            "another server is composing this brief; ask again in a minute".into(),
        )),
    }
}

/// One kept brief with its trend table, hotspot map and repeat locations.
#[utoipa::path(get, path = "/api/v1/briefs/{id}", tag = "analysis",
    params(("id" = String, Path, description = "Brief id")),
    responses((status = 200, description = "OK", body = Brief),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "No such brief in your scope", body = ErrorBody)))]
async fn get_brief(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<Brief>> {
    actor.require(&state, Permission::AnalysisRead).await?;
    let b = store::get_brief(&state.db, &actor.scope, &id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(Brief {
        summary: summary(&b),
        content: parse_content(&b)?,
    }))
}
