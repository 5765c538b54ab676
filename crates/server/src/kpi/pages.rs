//! 统计分析 pages: `/kpi` (the dashboard for a level and period: figure cards whose every count
//! opens its records, category and sub-area charts) and `/kpi/records` (the records behind a count,
//! a page at a time).

use super::{Counted, Dashboard, DashboardQuery, Figure, KpiChange, Records, RecordsQuery};
use crate::auth::PageActor;
use crate::shell::{Ctx, render};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use pingan_domain::Permission;
use pingan_domain::period::{PeriodKind, ReportPeriod};
use serde::Serialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/kpi", get(dashboard_page))
        .route("/kpi/records", get(records_page))
        .route("/kpi/records.xlsx", get(records_xlsx))
        .route("/kpi/report", get(report_page))
        .route("/kpi/report.pdf", get(report_pdf))
        .route("/kpi/report.xlsx", get(report_xlsx))
}

#[derive(Template)]
#[template(path = "kpi/dashboard.html")]
struct DashboardPage {
    ctx: Ctx,
    d: Dashboard,
    periods: Vec<(String, String)>,
    charts: String,
}

/// The months of the last two years and the quarters of the last three, newest first.
fn period_choices(ctx: &Ctx, today: jiff::civil::Date) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut m = ReportPeriod::containing(PeriodKind::Month, today);
    for _ in 0..24 {
        out.push((m.to_string(), ctx.period(&m)));
        m = m.previous();
    }
    let mut q = ReportPeriod::containing(PeriodKind::Quarter, today);
    for _ in 0..12 {
        out.push((q.to_string(), ctx.period(&q)));
        q = q.previous();
    }
    out
}

#[derive(Serialize)]
struct Chart {
    id: String,
    title: String,
    categories: Vec<String>,
    series: Vec<Series>,
    /// The page each bar opens, per category.
    links: Vec<String>,
}

#[derive(Serialize)]
struct Series {
    name: String,
    data: Vec<i64>,
}

fn charts(ctx: &Ctx, d: &Dashboard) -> Vec<Chart> {
    let mut out = Vec::new();
    for g in &d.groups {
        for f in &g.figures {
            if f.breakdown.is_empty() {
                continue;
            }
            let prev = |b: &super::Breakdown| b.previous_period.previous as i64;
            let ly = |b: &super::Breakdown| b.same_period_last_year.previous as i64;
            out.push(Chart {
                id: chart_id(f),
                title: f.name.clone(),
                categories: f.breakdown.iter().map(|b| b.name.clone()).collect(),
                series: vec![
                    Series {
                        name: ctx.t("kpi_role.current").to_string(),
                        data: f.breakdown.iter().map(|b| b.count.count).collect(),
                    },
                    Series {
                        name: ctx.t("kpi_role.previous").to_string(),
                        data: f.breakdown.iter().map(prev).collect(),
                    },
                    Series {
                        name: ctx.t("kpi_role.year_before").to_string(),
                        data: f.breakdown.iter().map(ly).collect(),
                    },
                ],
                links: f.breakdown.iter().map(|b| b.count.page.clone()).collect(),
            });
        }
    }
    if !d.parts.is_empty() {
        out.push(Chart {
            id: "chart-parts".into(),
            title: ctx.t("kpi.parts").to_string(),
            categories: d.parts.iter().map(|p| p.name.clone()).collect(),
            series: vec![Series {
                name: ctx.t("kpi_figure.incidents.received").to_string(),
                data: d.parts.iter().map(|p| p.incidents.count).collect(),
            }],
            links: d.parts.iter().map(|p| p.incidents.page.clone()).collect(),
        });
    }
    out
}

fn chart_id(f: &Figure) -> String {
    format!("chart-{}", f.key.replace('.', "-"))
}

impl DashboardPage {
    fn chart_id(&self, f: &Figure) -> String {
        chart_id(f)
    }
    fn value(&self, f: &Figure) -> String {
        value(&self.ctx, f)
    }
    fn p90(&self, f: &Figure) -> String {
        f.p90
            .map(|s| self.ctx.span(s.round() as i64))
            .unwrap_or_default()
    }
    fn count_label(&self, c: &Counted) -> String {
        match c.role.as_str() {
            "previous" | "year_before" => self.ctx.t(&format!("kpi_role.{}", c.role)).to_string(),
            _ => self
                .ctx
                .t(&format!("kpi_measure.{}", c.measure))
                .to_string(),
        }
    }
    fn change(&self, c: &KpiChange) -> String {
        change(&self.ctx, c)
    }
    fn narrow(&self, key: &str, kind: &str) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        if kind == "grid" {
            q.append_pair("area", &self.d.area.path)
                .append_pair("grid", key);
        } else {
            q.append_pair("area", key);
        }
        q.append_pair("period", &self.d.period);
        format!("/kpi?{}", q.finish())
    }
    /// This dashboard's area, grid and period as a query string.
    fn query(&self) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("area", &self.d.area.path);
        if let Some(g) = &self.d.grid {
            q.append_pair("grid", &g.path);
        }
        q.append_pair("period", &self.d.period);
        q.finish()
    }
    fn period_label(&self) -> String {
        ReportPeriod::parse(&self.d.period)
            .map(|p| self.ctx.period(&p))
            .unwrap_or_default()
    }
}

/// A figure's value for people: a count, a percentage, "per 100", a time span or a score.
fn value(ctx: &Ctx, f: &Figure) -> String {
    let Some(v) = f.value else {
        return "—".into();
    };
    match f.shape.as_str() {
        "count" => format!("{v:.0}"),
        "ratio" => format!("{:.1}%", v * 100.0),
        "clock" => ctx.span(v.round() as i64),
        _ => format!("{v:.1}"),
    }
}

/// "↑ 12.0%（显著）" — the change of the daily rate and whether it is more than chance.
fn change(ctx: &Ctx, c: &KpiChange) -> String {
    let verdict = if c.significant {
        ctx.t("kpi.significant")
    } else {
        ctx.t("kpi.not_significant")
    };
    match c.relative {
        None => format!("{} {}", ctx.t("kpi.no_base"), verdict),
        Some(r) if r >= 0.0 => format!("↑ {:.1}% {verdict}", r * 100.0),
        Some(r) => format!("↓ {:.1}% {verdict}", -r * 100.0),
    }
}

async fn dashboard_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Query(q): Query<DashboardQuery>,
) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(&state, &headers, &actor, "kpi", "/kpi", Permission::KpiRead).await
    );
    let d = match super::dashboard(&state, &actor, &q, ctx.lang).await {
        Ok(d) => d,
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let charts = crate::shell::script_json(&charts(&ctx, &d));
    let periods = period_choices(&ctx, state.today());
    render(
        StatusCode::OK,
        &DashboardPage {
            ctx,
            d,
            periods,
            charts,
        },
    )
}

#[derive(Template)]
#[template(path = "kpi/records.html")]
struct RecordsPage {
    ctx: Ctx,
    r: Records,
    /// The query without `after`, for the next page's link.
    base: String,
    clock: bool,
    has_values: bool,
}

impl RecordsPage {
    fn value(&self, v: &Option<f64>) -> String {
        match v {
            None => String::new(),
            Some(s) if self.clock => self.ctx.span(s.round() as i64),
            Some(s) => format!("{s:.1}"),
        }
    }
    fn next_href(&self, next: &str) -> String {
        let mut q = form_urlencoded::Serializer::new(self.base.clone());
        q.append_pair("after", next);
        format!("/kpi/records?{}", q.finish())
    }
    fn back(&self) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("area", &self.r.area.path);
        if let Some(g) = &self.r.grid {
            q.append_pair("grid", &g.path);
        }
        format!("/kpi?{}", q.finish())
    }
}

async fn records_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Query(q): Query<RecordsQuery>,
) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(&state, &headers, &actor, "kpi", "/kpi", Permission::KpiRead).await
    );
    let r = match super::records(&state, &actor, &q, ctx.lang).await {
        Ok(r) => r,
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let mut base = form_urlencoded::Serializer::new(String::new());
    base.append_pair("measure", &q.measure);
    if let Some(a) = &q.area {
        base.append_pair("area", a);
    }
    if let Some(g) = &q.grid {
        base.append_pair("grid", g);
    }
    base.append_pair("from", &q.from).append_pair("to", &q.to);
    if let Some(k) = &q.key {
        base.append_pair("key", k);
    }
    if let Some(l) = q.limit {
        base.append_pair("limit", &l.to_string());
    }
    let clock = r.measure.ends_with("_clock") || r.measure.ends_with("_on_target");
    let has_values = r.rows.iter().any(|x| x.value.is_some());
    render(
        StatusCode::OK,
        &RecordsPage {
            ctx,
            has_values,
            r,
            base: base.finish(),
            clock,
        },
    )
}

#[derive(Template)]
#[template(path = "kpi/report.html")]
struct ReportPage {
    ctx: Ctx,
    r: super::report::Report,
    /// The query of this report (area, grid, period), for the PDF and XLSX links.
    query: String,
    /// Printing to PDF: no links, no toolbar.
    print: bool,
}

impl ReportPage {
    fn value(&self, f: &Figure) -> String {
        value(&self.ctx, f)
    }
    fn p90(&self, f: &Figure) -> String {
        f.p90
            .map(|s| self.ctx.span(s.round() as i64))
            .unwrap_or_default()
    }
    fn change(&self, c: &Option<KpiChange>) -> String {
        c.as_ref().map(|c| change(&self.ctx, c)).unwrap_or_default()
    }
    fn significant(&self, c: &Option<KpiChange>) -> bool {
        c.as_ref().is_some_and(|c| c.significant)
    }
    fn counts(&self, f: &Figure) -> String {
        f.counts
            .iter()
            .filter(|c| !matches!(c.role.as_str(), "previous" | "year_before"))
            .map(|c| {
                format!(
                    "{} {}",
                    self.ctx.t(&format!("kpi_measure.{}", c.measure)),
                    c.count
                )
            })
            .collect::<Vec<_>>()
            .join(self.ctx.lang.pick("；", "; "))
    }
}

fn report_query(q: &DashboardQuery, period: &str) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    if let Some(a) = &q.area {
        s.append_pair("area", a);
    }
    if let Some(g) = &q.grid {
        s.append_pair("grid", g);
    }
    s.append_pair("period", period);
    s.finish()
}

async fn report_view(
    state: &AppState,
    headers: &HeaderMap,
    actor: &crate::auth::Actor,
    q: &DashboardQuery,
    print: bool,
) -> Result<String, Response> {
    let ctx =
        crate::shell::ctx_with(state, headers, actor, "kpi", "/kpi", Permission::KpiRead).await?;
    let r = match super::report::report(state, actor, q, ctx.lang).await {
        Ok(r) => r,
        Err(e) => return Err(crate::shell::page_error(ctx, e)),
    };
    let query = report_query(q, &r.d.period);
    let page = ReportPage {
        ctx,
        r,
        query,
        print,
    };
    page.render().map_err(|e| {
        let ctx = Ctx::new(state, headers, actor, "kpi", "/kpi");
        crate::shell::page_error(ctx, crate::error::ApiError::from(anyhow::Error::from(e)))
    })
}

async fn report_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Query(q): Query<DashboardQuery>,
) -> Response {
    match report_view(&state, &headers, &actor, &q, false).await {
        Ok(html) => axum::response::Html(html).into_response(),
        Err(r) => r,
    }
}

/// The report printed to PDF by the server's Chromium.
async fn report_pdf(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Query(q): Query<DashboardQuery>,
) -> Response {
    let html = match report_view(&state, &headers, &actor, &q, true).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let printed = async {
        let chromium = crate::pdf::chromium(&state.config.reports.chromium)
            .ok_or(crate::pdf::PdfError::NoChromium)?;
        let _slot = state.pdf.slot().await?;
        Ok::<_, crate::error::ApiError>(
            crate::pdf::print(&chromium, &html, std::time::Duration::from_secs(60)).await?,
        )
    }
    .await;
    match printed {
        Ok(bytes) => (
            [
                (
                    axum::http::header::CONTENT_TYPE,
                    "application/pdf".to_string(),
                ),
                (
                    axum::http::header::CONTENT_DISPOSITION,
                    format!("inline; filename=\"report-{}.pdf\"", period_file(&q)),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => crate::shell::page_error(Ctx::new(&state, &headers, &actor, "kpi", "/kpi"), e),
    }
}

fn period_file(q: &DashboardQuery) -> String {
    q.period
        .as_deref()
        .unwrap_or("")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}

fn xlsx_response(bytes: Vec<u8>, ascii: &str, name: &str) -> Response {
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                crate::xlsx::CONTENT_TYPE.to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                crate::xlsx::attachment(ascii, name),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// The report's tables as an XLSX workbook.
async fn report_xlsx(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Query(q): Query<DashboardQuery>,
) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(&state, &headers, &actor, "kpi", "/kpi", Permission::KpiRead).await
    );
    let made = async {
        let r = super::report::report(&state, &actor, &q, ctx.lang).await?;
        let names = super::Namer::new(&state, ctx.lang).await?;
        let bytes = super::report::workbook(&r, &names)?;
        Ok::<_, crate::error::ApiError>((bytes, r.title))
    }
    .await;
    match made {
        Ok((bytes, title)) => xlsx_response(
            bytes,
            &format!("report-{}.xlsx", period_file(&q)),
            &format!("{title}.xlsx"),
        ),
        Err(e) => crate::shell::page_error(ctx, e),
    }
}

/// Every record behind a count as an XLSX workbook.
async fn records_xlsx(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Query(q): Query<RecordsQuery>,
) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(&state, &headers, &actor, "kpi", "/kpi", Permission::KpiRead).await
    );
    match super::report::records_workbook(&state, &actor, &q, ctx.lang).await {
        Ok(bytes) => xlsx_response(bytes, "records.xlsx", &format!("{}.xlsx", q.measure)),
        Err(e) => crate::shell::page_error(ctx, e),
    }
}
