//! Monthly and quarterly reports (统计月报/季报) for a level: the dashboard's figures with their
//! definitions (口径), charts drawn on the server as SVG (so the printed PDF needs no script), the
//! tables behind them, and the same tables as an XLSX workbook.

use super::svg::{self, Bars};
use super::{Dashboard, DashboardQuery, Figure, KpiChange, Namer};
use crate::auth::Actor;
use crate::error::ApiResult;
use crate::i18n::Lang;
use crate::state::AppState;
use crate::xlsx::{Cell, Sheet};

/// A report: the dashboard, its charts and when it was made.
pub struct Report {
    pub d: Dashboard,
    /// "枫桥镇 2026年11月 平安建设统计报告".
    pub title: String,
    pub period_label: String,
    /// Local date and time it was made.
    pub made: String,
    /// Inline SVG charts.
    pub charts: Vec<String>,
    /// (figure name, definition) of every figure shown.
    pub definitions: Vec<(String, String)>,
}

pub async fn report(
    state: &AppState,
    actor: &Actor,
    q: &DashboardQuery,
    lang: Lang,
) -> ApiResult<Report> {
    let d = super::dashboard(state, actor, q, lang).await?;
    let names = Namer::new(state, lang).await?;
    let period = pingan_domain::period::ReportPeriod::parse(&d.period)
        .map_err(|_| crate::error::ApiError::invalid("period", "a month or a quarter"))?;
    let period_label = crate::shell::period_label(&names.i18n, names.lang, &period);
    let place = match &d.grid {
        Some(g) => format!("{} {}", d.area.name, g.name),
        None => d.area.name.clone(),
    };
    let title = names
        .t("kpi_report.title")
        .replace("{place}", &place)
        .replace("{period}", &period_label);
    let series_names = [
        names.t("kpi_role.current"),
        names.t("kpi_role.previous"),
        names.t("kpi_role.year_before"),
    ];
    let mut charts = Vec::new();
    for f in d.groups.iter().flat_map(|g| &g.figures) {
        if f.breakdown.is_empty() {
            continue;
        }
        let cats: Vec<String> = f.breakdown.iter().map(|b| b.name.clone()).collect();
        let series = vec![
            (
                series_names[0].clone(),
                f.breakdown.iter().map(|b| b.count.count).collect(),
            ),
            (
                series_names[1].clone(),
                f.breakdown
                    .iter()
                    .map(|b| b.previous_period.previous as i64)
                    .collect(),
            ),
            (
                series_names[2].clone(),
                f.breakdown
                    .iter()
                    .map(|b| b.same_period_last_year.previous as i64)
                    .collect(),
            ),
        ];
        charts.push(svg::bars(&Bars {
            title: &format!("{} · {}", f.name, names.t("kpi.by_category")),
            categories: &cats,
            series: &series,
        }));
    }
    if !d.parts.is_empty() {
        let cats: Vec<String> = d.parts.iter().map(|p| p.name.clone()).collect();
        let series = vec![(
            names.t("kpi_figure.incidents.received"),
            d.parts.iter().map(|p| p.incidents.count).collect(),
        )];
        charts.push(svg::bars(&Bars {
            title: &names.t("kpi.parts"),
            categories: &cats,
            series: &series,
        }));
    }
    let definitions = d
        .groups
        .iter()
        .flat_map(|g| &g.figures)
        .map(|f| (f.name.clone(), names.t(&format!("kpi_def.{}", f.key))))
        .collect();
    Ok(Report {
        title,
        period_label,
        made: pingan_domain::time::local_datetime(pingan_domain::time::from_micros(state.now()))
            [..16]
            .to_string(),
        charts,
        definitions,
        d,
    })
}

/// The unit a figure's value is given in, and the value in that unit as a typed cell.
fn value_cell(names: &Namer, f: &Figure) -> (Cell, String) {
    let unit = |k: &str| names.t(&format!("kpi_unit.{k}"));
    match (f.shape.as_str(), f.value) {
        (_, None) => (Cell::Empty, String::new()),
        ("count", Some(v)) => (Cell::Number(v), unit("count")),
        ("ratio", Some(v)) => (Cell::Percent(v), unit("ratio")),
        ("per_hundred", Some(v)) => (Cell::Number(v), unit("per_hundred")),
        ("clock", Some(v)) => (Cell::Number(v / 60.0), unit("minutes")),
        (_, Some(v)) => (Cell::Number(v), unit("points")),
    }
}

fn relative(c: &Option<KpiChange>) -> Cell {
    crate::xlsx::percent(c.as_ref().and_then(|c| c.relative))
}

fn date(s: &str) -> Cell {
    s.parse::<jiff::civil::Date>()
        .map(Cell::Date)
        .unwrap_or(Cell::Empty)
}

/// The report's tables as a workbook: the figures, the counts they are made of, the categories and
/// the parts one level down.
pub fn workbook(r: &Report, names: &Namer) -> anyhow::Result<Vec<u8>> {
    let d = &r.d;
    let t = |k: &str| names.t(k);
    let title = Some(format!("{} · {} – {}", r.title, d.from, d.to));
    let figures: Vec<&Figure> = d.groups.iter().flat_map(|g| &g.figures).collect();
    let group_of = |f: &Figure| {
        d.groups
            .iter()
            .find(|g| g.figures.iter().any(|x| x.key == f.key))
            .map(|g| g.name.clone())
            .unwrap_or_default()
    };
    let h_fig = [
        t("kpi_xlsx.group"),
        t("kpi_xlsx.figure"),
        t("kpi_xlsx.value"),
        t("kpi_xlsx.unit"),
        t("kpi_xlsx.p90_minutes"),
        t("kpi_role.previous"),
        t("kpi.mom"),
        t("kpi_role.year_before"),
        t("kpi.yoy"),
        t("kpi_xlsx.from"),
        t("kpi_xlsx.to"),
    ];
    let h_fig: Vec<&str> = h_fig.iter().map(String::as_str).collect();
    let fig_rows: Vec<Vec<Cell>> = figures
        .iter()
        .map(|f| {
            let (value, unit) = value_cell(names, f);
            let prev = |c: &Option<KpiChange>| {
                c.as_ref()
                    .map_or(Cell::Empty, |c| Cell::Number(c.previous as f64))
            };
            vec![
                group_of(f).into(),
                f.name.clone().into(),
                value,
                unit.into(),
                f.p90.map(|s| s / 60.0).into(),
                prev(&f.previous_period),
                relative(&f.previous_period),
                prev(&f.same_period_last_year),
                relative(&f.same_period_last_year),
                date(&d.from),
                date(&d.to),
            ]
        })
        .collect();
    let h_counts = [
        t("kpi_xlsx.figure"),
        t("kpi_xlsx.item"),
        t("kpi_xlsx.count"),
        t("kpi_xlsx.from"),
        t("kpi_xlsx.to"),
    ];
    let h_counts: Vec<&str> = h_counts.iter().map(String::as_str).collect();
    let count_rows: Vec<Vec<Cell>> = figures
        .iter()
        .flat_map(|f| {
            f.counts.iter().map(move |c| {
                let item = match c.role.as_str() {
                    "previous" | "year_before" => t(&format!("kpi_role.{}", c.role)),
                    _ => t(&format!("kpi_measure.{}", c.measure)),
                };
                vec![
                    f.name.clone().into(),
                    item.into(),
                    c.count.into(),
                    date(&c.from),
                    date(&c.to),
                ]
            })
        })
        .collect();
    let h_cat = [
        t("kpi_xlsx.figure"),
        t("kpi.category"),
        t("kpi_role.current"),
        t("kpi_role.previous"),
        t("kpi.mom"),
        t("kpi_role.year_before"),
        t("kpi.yoy"),
    ];
    let h_cat: Vec<&str> = h_cat.iter().map(String::as_str).collect();
    let cat_rows: Vec<Vec<Cell>> = figures
        .iter()
        .flat_map(|f| {
            f.breakdown.iter().map(move |b| {
                vec![
                    f.name.clone().into(),
                    b.name.clone().into(),
                    b.count.count.into(),
                    (b.previous_period.previous as f64).into(),
                    crate::xlsx::percent(b.previous_period.relative),
                    (b.same_period_last_year.previous as f64).into(),
                    crate::xlsx::percent(b.same_period_last_year.relative),
                ]
            })
        })
        .collect();
    let h_parts = [t("kpi.part"), t("kpi_figure.incidents.received")];
    let h_parts: Vec<&str> = h_parts.iter().map(String::as_str).collect();
    let part_rows: Vec<Vec<Cell>> = d
        .parts
        .iter()
        .map(|p| vec![p.name.clone().into(), p.incidents.count.into()])
        .collect();
    let sheets = [
        (t("kpi_xlsx.sheet_figures"), &h_fig, fig_rows),
        (t("kpi_xlsx.sheet_counts"), &h_counts, count_rows),
        (t("kpi_xlsx.sheet_categories"), &h_cat, cat_rows),
        (t("kpi_xlsx.sheet_parts"), &h_parts, part_rows),
    ];
    let sheets: Vec<Sheet> = sheets
        .iter()
        .map(|(name, header, rows)| Sheet {
            name,
            title: title.clone(),
            header: header.as_slice(),
            rows: rows.clone(),
        })
        .collect();
    Ok(crate::xlsx::workbook(&sheets)?)
}

/// Every record of a count as a one-sheet workbook (at most `MAX_ROWS`).
pub async fn records_workbook(
    state: &AppState,
    actor: &Actor,
    q: &super::RecordsQuery,
    lang: Lang,
) -> ApiResult<Vec<u8>> {
    const MAX_ROWS: usize = 200_000;
    let names = Namer::new(state, lang).await?;
    let mut q = q.clone();
    q.limit = Some(1000);
    q.after = None;
    let mut rows = Vec::new();
    let mut head: Option<super::Records> = None;
    loop {
        let page = super::records(state, actor, &q, lang).await?;
        for r in &page.rows {
            rows.push(r.clone());
        }
        q.after = page.next.clone();
        let done = page.next.is_none() || rows.len() >= MAX_ROWS;
        head.get_or_insert(page);
        if done {
            break;
        }
    }
    let head = head.expect("one page at least");
    let clock = head.measure.ends_with("_clock") || head.measure.ends_with("_on_target");
    let value_header = if clock {
        names.t("kpi_xlsx.seconds")
    } else {
        names.t("kpi.score")
    };
    let header = [
        names.t("kpi.number"),
        names.t("kpi.at"),
        names.t("kpi.category"),
        names.t("kpi.area"),
        names.t("kpi_xlsx.grid"),
        value_header,
    ];
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let sheet = Sheet {
        name: &names.t("kpi_xlsx.sheet_records"),
        title: Some(format!(
            "{} · {} · {} – {}",
            head.figure, head.name, head.from, head.to
        )),
        header: &header,
        rows: rows
            .into_iter()
            .map(|r| {
                vec![
                    r.number.into(),
                    crate::xlsx::local_datetime(r.at_micros),
                    r.key_name.into(),
                    r.area_name.into(),
                    r.grid_code.map_or(Cell::Empty, Cell::Text),
                    r.value.into(),
                ]
            })
            .collect(),
    };
    Ok(sheet.to_bytes().map_err(anyhow::Error::from)?)
}
