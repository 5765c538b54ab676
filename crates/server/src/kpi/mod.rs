//! 统计分析 (KPI dashboards): the figures every capability declares (`crate::figures`), computed for
//! one level — the district, a township (or station area), a village or a grid — and one month or
//! quarter, each count linked to the list of the records it counts (read through the same measure,
//! so the list's length is the figure).

pub mod api;
pub mod counting;
pub mod pages;
pub mod report;
mod svg;

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::figures::{FigureDef, KeyNames, Shape};
use crate::i18n::Lang;
use crate::state::AppState;
use pingan_domain::Permission;
use pingan_domain::period::{DaySpan, PeriodKind, ReportPeriod};
use pingan_geo::analysis::trend;
use pingan_store::kpi::{self as store, Measure, Slice};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

/// Every capability's figures, in the order the dashboard shows them. A new capability adds its
/// `figures()` here (and only here).
pub fn catalogue(state: &AppState) -> Vec<FigureDef> {
    let mut all = crate::dispatch::figures::figures(&state.config);
    all.extend(crate::cases::figures::figures());
    all.extend(crate::mediation::figures::figures());
    all.extend(crate::tasks::figures::figures());
    all.extend(crate::visits::figures::figures());
    all.extend(crate::patrol::figures::figures());
    all.extend(crate::training::figures::figures());
    all
}

/// The measure of that name as the dashboard counts it (clock targets from the configuration),
/// with the figure it belongs to (whose permission guards its records).
pub fn measure_named(state: &AppState, name: &str) -> Option<(Measure, FigureDef)> {
    catalogue(state).into_iter().find_map(|d| {
        d.shape
            .measures()
            .into_iter()
            .find(|m| m.name() == name)
            .map(|m| (m, d))
    })
}

/// A count of `m` over an area (or grid) and days, linked to the list of its records.
pub fn count_link(
    role: &str,
    m: Measure,
    n: i64,
    area_path: &str,
    grid: Option<&str>,
    span: DaySpan,
) -> Counted {
    let place = Place {
        area: AreaRef {
            path: area_path.to_string(),
            name: String::new(),
        },
        grid: grid.map(|g| AreaRef {
            path: g.to_string(),
            name: String::new(),
        }),
        trail: Vec::new(),
    };
    counted(role, m, n, &place, span, None)
}

/// Significance level of the 同比/环比 test (as in 信息研判).
const ALPHA: f64 = 0.05;

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DashboardQuery {
    /// Area path, e.g. /330681/330681109/ (default: the widest area in your scope).
    pub area: Option<String>,
    /// A grid code inside the area, to narrow to one grid.
    pub grid: Option<String>,
    /// A month (2026-11) or a quarter (2026-Q4); default: this month.
    pub period: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AreaRef {
    pub path: String,
    pub name: String,
}

/// One count and where its records are listed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Counted {
    /// `current`, `previous`, `year_before`, `num`, `den`, `measured`, `on_target`.
    pub role: String,
    pub measure: String,
    pub count: i64,
    /// First and last local day counted (inclusive).
    pub from: String,
    pub to: String,
    pub key: Option<String>,
    /// The records, as JSON (`/api/v1/kpi/records?…`).
    pub records: String,
    /// The records, as a page (`/kpi/records?…`).
    pub page: String,
}

/// 环比 or 同比 with its exact Poisson test.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KpiChange {
    pub current: u64,
    pub previous: u64,
    /// Relative change of the daily rate; absent when the earlier period had none.
    pub relative: Option<f64>,
    pub p_value: f64,
    pub significant: bool,
}

impl From<trend::Change> for KpiChange {
    fn from(c: trend::Change) -> Self {
        KpiChange {
            current: c.current,
            previous: c.previous,
            relative: c.relative,
            p_value: c.p_value,
            significant: c.significant,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Breakdown {
    pub key: String,
    pub name: String,
    pub count: Counted,
    pub previous_period: KpiChange,
    pub same_period_last_year: KpiChange,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Figure {
    pub key: String,
    pub name: String,
    /// `count`, `ratio`, `per_hundred`, `clock` or `mean`.
    pub shape: String,
    /// The count; the ratio (0–1, or per 100); the clock's median in seconds; the mean. Absent when
    /// there is nothing to divide by or measure.
    pub value: Option<f64>,
    /// A clock's 90th percentile in seconds.
    pub p90: Option<f64>,
    /// The counts the value is made of, each linked to its records.
    pub counts: Vec<Counted>,
    pub previous_period: Option<KpiChange>,
    pub same_period_last_year: Option<KpiChange>,
    pub breakdown: Vec<Breakdown>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FigureGroup {
    pub group: String,
    pub name: String,
    pub figures: Vec<Figure>,
}

/// The incidents of each part one level down (sub-areas, or a village's grids).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Part {
    /// `area` or `grid`.
    pub kind: String,
    /// Area path or grid code.
    pub key: String,
    pub name: String,
    pub incidents: Counted,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Dashboard {
    pub area: AreaRef,
    pub grid: Option<AreaRef>,
    /// From the widest area of your scope down to this one.
    pub trail: Vec<AreaRef>,
    pub period: String,
    pub previous_period: String,
    /// First and last local day counted (a running period is counted up to today).
    pub from: String,
    pub to: String,
    pub days: i64,
    pub complete: bool,
    pub parts: Vec<Part>,
    pub groups: Vec<FigureGroup>,
}

/// Where the figures are counted.
#[derive(Debug, Clone)]
pub struct Place {
    pub area: AreaRef,
    pub grid: Option<AreaRef>,
    pub trail: Vec<AreaRef>,
}

fn invalid(field: &str, msg: &str) -> ApiError {
    ApiError::invalid(field, msg.to_string())
}

async fn area_name(state: &AppState, actor: &Actor, path: &str) -> ApiResult<Option<String>> {
    let code = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    Ok(pingan_store::areas::get(&state.db, &actor.scope, code)
        .await?
        .filter(|a| a.path == path)
        .map(|a| a.name))
}

/// The area (and grid) asked for, checked against the viewer's scope.
pub async fn place(
    state: &AppState,
    actor: &Actor,
    area: Option<&str>,
    grid: Option<&str>,
) -> ApiResult<Place> {
    let widest = actor
        .scope
        .area_paths()
        .min_by_key(|p| p.len())
        .map(str::to_string);
    let path = match area.map(str::trim).filter(|a| !a.is_empty()) {
        Some(a) => a.to_string(),
        None => widest.ok_or_else(|| invalid("area", "your scope holds no area"))?,
    };
    if !pingan_domain::scope::is_valid_path(&path) || !actor.scope.covers_area_path(&path) {
        return Err(invalid("area", "no such area in your scope"));
    }
    let name = area_name(state, actor, &path)
        .await?
        .ok_or_else(|| invalid("area", "no such area in your scope"))?;
    let root = actor
        .scope
        .area_paths()
        .filter(|p| path.starts_with(p))
        .min_by_key(|p| p.len())
        .unwrap_or(&path)
        .to_string();
    let mut trail = Vec::new();
    let mut at = root.len();
    while at <= path.len() {
        let prefix = &path[..at];
        if let Some(n) = area_name(state, actor, prefix).await? {
            trail.push(AreaRef {
                path: prefix.to_string(),
                name: n,
            });
        }
        match path[at..].find('/') {
            Some(i) => at += i + 1,
            None => break,
        }
    }
    let grid = match grid.map(str::trim).filter(|g| !g.is_empty()) {
        None => None,
        Some(code) => {
            let g = pingan_store::grids::get(&state.db, &actor.scope, code)
                .await?
                .filter(|g| g.area_path.starts_with(&path))
                .ok_or_else(|| invalid("grid", "no such grid in this area"))?;
            Some(AreaRef {
                path: g.code,
                name: g.name,
            })
        }
    };
    Ok(Place {
        area: AreaRef { path, name },
        grid,
        trail,
    })
}

pub fn parse_period(state: &AppState, period: Option<&str>) -> ApiResult<ReportPeriod> {
    match period.map(str::trim).filter(|p| !p.is_empty()) {
        None => Ok(ReportPeriod::containing(PeriodKind::Month, state.today())),
        Some(p) => ReportPeriod::parse(p)
            .map_err(|_| invalid("period", "a month like 2026-11 or a quarter like 2026-Q4")),
    }
}

fn slice(place: &Place, span: DaySpan, key: Option<&str>) -> Slice {
    Slice {
        area_path: place.area.path.clone(),
        grid: place.grid.as_ref().map(|g| g.path.clone()),
        from: span.start_micros(),
        to: span.end_micros(),
        key: key.map(str::to_string),
    }
}

/// The query string that lists a count's records.
fn records_query(m: Measure, place: &Place, span: DaySpan, key: Option<&str>) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("measure", m.name())
        .append_pair("area", &place.area.path);
    if let Some(g) = &place.grid {
        q.append_pair("grid", &g.path);
    }
    q.append_pair("from", &span.from.to_string())
        .append_pair("to", &span.last().to_string());
    if let Some(k) = key {
        q.append_pair("key", k);
    }
    q.finish()
}

fn counted(
    role: &str,
    m: Measure,
    n: i64,
    place: &Place,
    span: DaySpan,
    key: Option<&str>,
) -> Counted {
    let q = records_query(m, place, span, key);
    Counted {
        role: role.to_string(),
        measure: m.name().to_string(),
        count: n,
        from: span.from.to_string(),
        to: span.last().to_string(),
        key: key.map(str::to_string),
        records: format!("/api/v1/kpi/records?{q}"),
        page: format!("/kpi/records?{q}"),
    }
}

/// The value at rank ⌈p·n⌉ of the sorted values (nearest rank): always one of the listed records.
pub fn nearest_rank(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

/// Names keys (categories) in `lang`.
pub struct Namer {
    lang: Lang,
    i18n: std::sync::Arc<crate::i18n::I18n>,
    types: BTreeMap<String, (String, String)>,
    grids: BTreeMap<String, String>,
}

impl Namer {
    pub async fn new(state: &AppState, lang: Lang) -> ApiResult<Namer> {
        let types = pingan_store::incidents::types(&state.db)
            .await?
            .into_iter()
            .map(|t| (t.code, (t.name_zh, t.name_en)))
            .collect();
        let grids = pingan_store::grids::all_names(&state.db)
            .await?
            .into_iter()
            .collect();
        Ok(Namer {
            lang,
            i18n: state.i18n.clone(),
            types,
            grids,
        })
    }

    pub fn t(&self, key: &str) -> String {
        self.i18n.t(self.lang, key).to_string()
    }

    pub fn key(&self, names: KeyNames, key: &str) -> String {
        match names {
            KeyNames::IncidentType => self
                .types
                .get(key)
                .map(|(zh, en)| self.lang.pick(zh, en).clone())
                .unwrap_or_else(|| key.to_string()),
            KeyNames::Grid => self
                .grids
                .get(key)
                .cloned()
                .unwrap_or_else(|| key.to_string()),
            KeyNames::Role => key
                .parse::<pingan_domain::Role>()
                .map(|r| self.lang.pick(r.label_zh(), r.label_en()).to_string())
                .unwrap_or_else(|_| key.to_string()),
            KeyNames::Locale(prefix) => {
                let k = format!("{prefix}{key}");
                match self.i18n.t(self.lang, &k) {
                    t if t == k => key.to_string(),
                    t => t.to_string(),
                }
            }
        }
    }
}

/// The spans a period is compared over: the days counted, the whole period before (环比) and the
/// same days a year before (同比).
#[derive(Debug, Clone, Copy)]
struct Spans {
    current: DaySpan,
    previous: DaySpan,
    year_before: DaySpan,
}

/// A count figure's value, its three counts (this period, the one before, a year before) and the
/// two comparisons.
fn set_counts(f: &mut Figure, m: Measure, (c, p, y): (i64, i64, i64), place: &Place, spans: Spans) {
    let days = |s: DaySpan| s.days() as f64;
    let cur = spans.current;
    f.value = Some(c as f64);
    f.counts = vec![
        counted("current", m, c, place, cur, None),
        counted("previous", m, p, place, spans.previous, None),
        counted("year_before", m, y, place, spans.year_before, None),
    ];
    f.previous_period =
        Some(trend::compare(c as u64, p as u64, days(cur), days(spans.previous), ALPHA).into());
    f.same_period_last_year = Some(
        trend::compare(
            c as u64,
            y as u64,
            days(cur),
            days(spans.year_before),
            ALPHA,
        )
        .into(),
    );
}

async fn figure(
    state: &AppState,
    actor: &Actor,
    def: &FigureDef,
    place: &Place,
    spans: Spans,
    names: &Namer,
) -> ApiResult<Figure> {
    let db = &state.db;
    let scope = &actor.scope;
    let cur = spans.current;
    let n = |m: Measure, span: DaySpan, key: Option<String>| {
        let s = slice(place, span, key.as_deref());
        async move { store::count(db, scope, m, &s).await }
    };
    let mut f = Figure {
        key: def.key.to_string(),
        name: names.t(&format!("kpi_figure.{}", def.key)),
        shape: String::new(),
        value: None,
        p90: None,
        counts: Vec::new(),
        previous_period: None,
        same_period_last_year: None,
        breakdown: Vec::new(),
    };
    let days = |s: DaySpan| s.days() as f64;
    match def.shape {
        Shape::Count {
            measure,
            breakdown: false,
        } => {
            f.shape = "count".into();
            let (c, p, y) = futures::try_join!(
                n(measure, cur, None),
                n(measure, spans.previous, None),
                n(measure, spans.year_before, None),
            )?;
            set_counts(&mut f, measure, (c, p, y), place, spans);
        }
        Shape::Count {
            measure,
            breakdown: true,
        } => {
            // Every record has a key: the totals are the sums of the three breakdowns.
            f.shape = "count".into();
            let by = |span: DaySpan| {
                let s = slice(place, span, None);
                async move { store::count_by_key(db, scope, measure, &s).await }
            };
            let (bc, bp, by_) =
                futures::try_join!(by(cur), by(spans.previous), by(spans.year_before))?;
            let sum = |v: &[(String, i64)]| v.iter().map(|(_, n)| n).sum::<i64>();
            let (c, p, y) = (sum(&bc), sum(&bp), sum(&by_));
            set_counts(&mut f, measure, (c, p, y), place, spans);
            {
                let get = |v: &[(String, i64)], k: &str| {
                    v.iter().find(|(x, _)| x == k).map_or(0, |(_, n)| *n)
                };
                let mut keys: Vec<String> = bc.iter().map(|(k, _)| k.clone()).collect();
                for (k, _) in bp.iter().chain(&by_) {
                    if !keys.contains(k) {
                        keys.push(k.clone());
                    }
                }
                f.breakdown = keys
                    .into_iter()
                    .map(|k| {
                        let (c, p, y) = (get(&bc, &k), get(&bp, &k), get(&by_, &k));
                        Breakdown {
                            name: names.key(def.keys, &k),
                            count: counted("current", measure, c, place, cur, Some(&k)),
                            previous_period: trend::compare(
                                c as u64,
                                p as u64,
                                days(cur),
                                days(spans.previous),
                                ALPHA,
                            )
                            .into(),
                            same_period_last_year: trend::compare(
                                c as u64,
                                y as u64,
                                days(cur),
                                days(spans.year_before),
                                ALPHA,
                            )
                            .into(),
                            key: k,
                        }
                    })
                    .collect();
            }
        }
        Shape::Ratio {
            num,
            den,
            per_hundred,
        } => {
            f.shape = if per_hundred { "per_hundred" } else { "ratio" }.into();
            let (a, b) = store::count_two(db, scope, num, den, &slice(place, cur, None)).await?;
            let scale = if per_hundred { 100.0 } else { 1.0 };
            f.value = (b > 0).then(|| a as f64 / b as f64 * scale);
            f.counts = vec![
                counted("num", num, a, place, cur, None),
                counted("den", den, b, place, cur, None),
            ];
        }
        Shape::Clock {
            measured,
            on_target,
        } => {
            f.shape = "clock".into();
            let s = slice(place, cur, None);
            let (mut v, ok) = store::values_flagged(db, scope, measured, on_target, &s).await?;
            v.sort_by(f64::total_cmp);
            f.value = nearest_rank(&v, 0.5);
            f.p90 = nearest_rank(&v, 0.9);
            f.counts = vec![
                counted("measured", measured, v.len() as i64, place, cur, None),
                counted("on_target", on_target, ok, place, cur, None),
            ];
        }
        Shape::Mean { measure } => {
            f.shape = "mean".into();
            let v = store::values(db, scope, measure, &slice(place, cur, None)).await?;
            f.value = (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
            f.counts = vec![counted(
                "measured",
                measure,
                v.len() as i64,
                place,
                cur,
                None,
            )];
        }
    }
    Ok(f)
}

/// Incidents of each sub-area one level down, or of each grid of a village.
async fn parts(
    state: &AppState,
    actor: &Actor,
    place: &Place,
    cur: DaySpan,
) -> ApiResult<Vec<Part>> {
    if place.grid.is_some() || !actor.can(Permission::IncidentRead) {
        return Ok(Vec::new());
    }
    let m = Measure::IncidentsReceived;
    let s = slice(place, cur, None);
    let path = &place.area.path;
    let children: Vec<(String, String)> = pingan_store::analysis::areas_under(&state.db, path)
        .await?
        .into_iter()
        .filter(|(p, _, _)| {
            p.strip_prefix(path.as_str())
                .is_some_and(|rest| !rest.is_empty() && rest.matches('/').count() == 1)
        })
        .map(|(p, _, name)| (p, name))
        .collect();
    if !children.is_empty() {
        let counts = store::count_by_area(&state.db, &actor.scope, m, &s).await?;
        return Ok(children
            .into_iter()
            .map(|(p, name)| {
                let c: i64 = counts
                    .iter()
                    .filter(|(a, _)| a.starts_with(&p))
                    .map(|(_, n)| n)
                    .sum();
                let narrowed = Place {
                    area: AreaRef {
                        path: p.clone(),
                        name: name.clone(),
                    },
                    grid: None,
                    trail: Vec::new(),
                };
                Part {
                    kind: "area".into(),
                    incidents: counted("current", m, c, &narrowed, cur, None),
                    key: p,
                    name,
                }
            })
            .collect());
    }
    let counts = store::count_by_grid(&state.db, &actor.scope, m, &s).await?;
    let grids = pingan_store::grids::under(&state.db, &actor.scope, path).await?;
    Ok(grids
        .into_iter()
        .map(|g| {
            let c = counts
                .iter()
                .find(|(k, _)| *k == g.code)
                .map_or(0, |(_, n)| *n);
            let narrowed = Place {
                area: place.area.clone(),
                grid: Some(AreaRef {
                    path: g.code.clone(),
                    name: g.name.clone(),
                }),
                trail: Vec::new(),
            };
            Part {
                kind: "grid".into(),
                incidents: counted("current", m, c, &narrowed, cur, None),
                key: g.code,
                name: g.name,
            }
        })
        .collect())
}

/// The dashboard for a place and period, in `lang`.
pub async fn dashboard(
    state: &AppState,
    actor: &Actor,
    q: &DashboardQuery,
    lang: Lang,
) -> ApiResult<Dashboard> {
    actor.require(state, Permission::KpiRead).await?;
    let period = parse_period(state, q.period.as_deref())?;
    let place = place(state, actor, q.area.as_deref(), q.grid.as_deref()).await?;
    let today = state.today();
    let current = period
        .counted(today)
        .ok_or_else(|| invalid("period", "this period has not begun"))?;
    let spans = Spans {
        current,
        previous: period.previous().whole(),
        year_before: current.year_before(),
    };
    let names = Namer::new(state, lang).await?;
    let defs: Vec<FigureDef> = catalogue(state)
        .into_iter()
        .filter(|d| actor.can(d.permission))
        .filter(|d| place.grid.is_none() || d.shape.measures().iter().all(|m| m.has_grid()))
        .collect();
    // The figures' queries run at once (each on its own pooled connection).
    let (figures, parts) = futures::try_join!(
        futures::future::try_join_all(
            defs.iter()
                .map(|def| figure(state, actor, def, &place, spans, &names))
        ),
        parts(state, actor, &place, current)
    )?;
    let mut groups: Vec<FigureGroup> = Vec::new();
    for (def, f) in defs.iter().zip(figures) {
        match groups.iter_mut().find(|g| g.group == def.group) {
            Some(g) => g.figures.push(f),
            None => groups.push(FigureGroup {
                group: def.group.to_string(),
                name: names.t(&format!("kpi_group.{}", def.group)),
                figures: vec![f],
            }),
        }
    }
    Ok(Dashboard {
        parts,
        area: place.area,
        grid: place.grid,
        trail: place.trail,
        period: period.to_string(),
        previous_period: period.previous().to_string(),
        from: current.from.to_string(),
        to: current.last().to_string(),
        days: current.days(),
        complete: current == period.whole(),
        groups,
    })
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RecordsQuery {
    /// The measure, as a dashboard figure links it (e.g. incidents.received).
    pub measure: String,
    /// Area path (default: the widest area in your scope).
    pub area: Option<String>,
    pub grid: Option<String>,
    /// First local day (YYYY-MM-DD).
    pub from: String,
    /// Last local day, inclusive (YYYY-MM-DD).
    pub to: String,
    /// One key (category, kind, answer) only.
    pub key: Option<String>,
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    /// Rows per page (1–1000, default 200).
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RecordRow {
    pub id: String,
    /// `incident`, `case`, `case_alert`, `dispute`, `task` or `household`.
    pub object: String,
    /// The record's page.
    pub href: String,
    pub number: String,
    /// Local date and time.
    pub at: String,
    /// The same instant in UTC microseconds.
    pub at_micros: i64,
    pub key: String,
    pub key_name: String,
    pub area_path: String,
    pub area_name: String,
    pub grid_code: Option<String>,
    /// Seconds (a clock) or a score, when the measure has one.
    pub value: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Records {
    pub measure: String,
    pub name: String,
    /// The figure the measure belongs to.
    pub figure: String,
    pub area: AreaRef,
    pub grid: Option<AreaRef>,
    pub from: String,
    pub to: String,
    pub key: Option<String>,
    pub key_name: Option<String>,
    /// How many records there are in all (every page).
    pub total: i64,
    pub rows: Vec<RecordRow>,
    /// Pass as `after` for the next page; absent on the last.
    pub next: Option<String>,
}

fn date(field: &str, v: &str) -> ApiResult<jiff::civil::Date> {
    v.trim()
        .parse()
        .map_err(|_| invalid(field, "a date like 2026-11-01"))
}

/// One page of the records a figure counts.
pub async fn records(
    state: &AppState,
    actor: &Actor,
    q: &RecordsQuery,
    lang: Lang,
) -> ApiResult<Records> {
    actor.require(state, Permission::KpiRead).await?;
    let (m, def) =
        measure_named(state, &q.measure).ok_or_else(|| invalid("measure", "no such measure"))?;
    actor.require(state, def.permission).await?;
    let from = date("from", &q.from)?;
    let last = date("to", &q.to)?;
    let end = last
        .tomorrow()
        .map_err(|_| invalid("to", "a date like 2026-11-30"))?;
    if end <= from {
        return Err(invalid("to", "the last day is before the first"));
    }
    if (end - from).get_days() > 3 * 366 {
        return Err(invalid("to", "at most three years at a time"));
    }
    let limit = q.limit.unwrap_or(200);
    if !(1..=1000).contains(&limit) {
        return Err(invalid("limit", "between 1 and 1000"));
    }
    let after = match q.after.as_deref().filter(|a| !a.is_empty()) {
        None => None,
        Some(a) => {
            let (at, id) = a
                .split_once('.')
                .and_then(|(at, id)| Some((at.parse::<i64>().ok()?, id.to_string())))
                .ok_or_else(|| invalid("after", "the next cursor of a page"))?;
            Some((at, id))
        }
    };
    let place = place(state, actor, q.area.as_deref(), q.grid.as_deref()).await?;
    if place.grid.is_some() && !m.has_grid() {
        return Err(invalid("grid", "these records are not kept per grid"));
    }
    let span = DaySpan { from, end };
    let s = slice(&place, span, q.key.as_deref());
    let total = store::count(&state.db, &actor.scope, m, &s).await?;
    let rows = store::list(&state.db, &actor.scope, m, &s, after, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    let rows: Vec<store::Record> = rows.into_iter().take(limit as usize).collect();
    let next = if more {
        rows.last().map(|r| format!("{}.{}", r.at, r.id))
    } else {
        None
    };
    let names = Namer::new(state, lang).await?;
    let areas: BTreeMap<String, String> =
        pingan_store::analysis::areas_under(&state.db, &place.area.path)
            .await?
            .into_iter()
            .map(|(p, _, n)| (p, n))
            .collect();
    let object = m.object();
    let href = |id: &str, at: i64| match object {
        "case" => format!("/cases/{id}"),
        "case_alert" => format!("/case-alerts/{id}"),
        "dispute" => format!("/disputes/{id}"),
        "task" => format!("/tasks/{id}"),
        "household" => "/visits/coverage".to_string(),
        "training_session" => format!("/training/sessions/{id}"),
        "staff" => format!("/training/people/{id}"),
        // The plan's page on the post's day (its window opens that day).
        "patrol_post_day" => format!(
            "/patrol/plans/{id}?date={}",
            pingan_domain::time::local_date(pingan_domain::time::from_micros(at))
        ),
        _ => format!("/incidents/{id}"),
    };
    Ok(Records {
        measure: m.name().to_string(),
        name: names.t(&format!("kpi_measure.{}", m.name())),
        figure: names.t(&format!("kpi_figure.{}", def.key)),
        key_name: q.key.as_deref().map(|k| names.key(def.keys, k)),
        key: q.key.clone(),
        area: place.area,
        grid: place.grid,
        from: from.to_string(),
        to: last.to_string(),
        total,
        rows: rows
            .into_iter()
            .map(|r| RecordRow {
                object: object.to_string(),
                href: href(&r.link_id, r.at),
                at: pingan_domain::time::local_datetime(pingan_domain::time::from_micros(r.at))
                    [..16]
                    .to_string(),
                at_micros: r.at,
                key_name: names.key(def.keys, &r.category),
                area_name: areas.get(&r.area_path).cloned().unwrap_or_default(),
                id: r.id,
                number: r.number,
                key: r.category,
                area_path: r.area_path,
                grid_code: r.grid_code,
                value: r.value,
            })
            .collect(),
        next,
    })
}
