//! Charts drawn on the server as SVG, for the printed report: the PDF needs no script, and the
//! chart is the same in the browser, on paper and in the archive.

use std::fmt::Write;

/// Horizontal grouped bars: one group per category, one bar per series.
pub struct Bars<'a> {
    pub title: &'a str,
    pub categories: &'a [String],
    /// (name, values per category); drawn in the order given.
    pub series: &'a [(String, Vec<i64>)],
}

const COLOURS: [&str; 3] = ["#1d4ed8", "#94a3b8", "#f59e0b"];
const WIDTH: f64 = 680.0;
const LABEL: f64 = 150.0;
const RIGHT: f64 = 48.0;
const BAR: f64 = 11.0;
const GAP: f64 = 10.0;
const FONT: &str =
    "Noto Sans CJK SC, Source Han Sans SC, WenQuanYi Zen Hei, Microsoft YaHei, sans-serif";

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A round step for the value axis (1, 2 or 5 × 10ⁿ) giving about five ticks.
fn step(max: i64) -> i64 {
    let raw = (max.max(1) as f64 / 5.0).max(1.0);
    let mag = 10f64.powf(raw.log10().floor());
    let s = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * mag)
        .find(|v| *v >= raw)
        .unwrap_or(10.0 * mag);
    s as i64
}

pub fn bars(b: &Bars) -> String {
    let n = b.series.len().max(1) as f64;
    let group = n * BAR + GAP;
    let top = 44.0;
    let height = top + group * b.categories.len() as f64 + 24.0;
    let max = b
        .series
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .max()
        .unwrap_or(0);
    let step = step(max);
    let axis_max = ((max + step - 1) / step).max(1) * step;
    let plot = WIDTH - LABEL - RIGHT;
    let x = |v: i64| LABEL + plot * v as f64 / axis_max as f64;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="report-chart" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" aria-label="{t}" font-family="{FONT}" font-size="12"><title>{t}</title><text x="0" y="14" font-size="14" font-weight="bold">{t}</text>"#,
        t = esc(b.title)
    );
    // Legend.
    let mut lx = LABEL;
    for (i, (name, _)) in b.series.iter().enumerate() {
        let _ = write!(
            s,
            r#"<rect x="{lx}" y="24" width="10" height="10" fill="{c}"/><text x="{tx}" y="33">{name}</text>"#,
            c = COLOURS[i % COLOURS.len()],
            tx = lx + 14.0,
            name = esc(name)
        );
        lx += 24.0 + 13.0 * name.chars().count() as f64;
    }
    // Grid lines and ticks.
    let bottom = height - 20.0;
    let mut v = 0;
    while v <= axis_max {
        let gx = x(v);
        let _ = write!(
            s,
            r##"<line x1="{gx:.1}" y1="{top}" x2="{gx:.1}" y2="{bottom}" stroke="#dde3ea"/><text x="{gx:.1}" y="{ty}" text-anchor="middle" fill="#5b6778">{v}</text>"##,
            ty = bottom + 14.0
        );
        v += step;
    }
    for (ci, cat) in b.categories.iter().enumerate() {
        let gy = top + group * ci as f64;
        let _ = write!(
            s,
            r#"<text x="{lx}" y="{ty:.1}" text-anchor="end">{name}</text>"#,
            lx = LABEL - 6.0,
            ty = gy + n * BAR / 2.0 + 4.0,
            name = esc(cat)
        );
        for (si, (_, values)) in b.series.iter().enumerate() {
            let val = values.get(ci).copied().unwrap_or(0);
            let y = gy + si as f64 * BAR;
            let w = x(val) - LABEL;
            let _ = write!(
                s,
                r#"<rect x="{LABEL}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="{c}"><title>{val}</title></rect>"#,
                h = BAR - 1.0,
                c = COLOURS[si % COLOURS.len()]
            );
            if si == 0 {
                let _ = write!(
                    s,
                    r#"<text x="{tx:.1}" y="{ty:.1}" font-size="11">{val}</text>"#,
                    tx = x(val) + 4.0,
                    ty = y + BAR - 2.0
                );
            }
        }
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_a_round_axis_and_escape_their_text() {
        assert_eq!(step(0), 1);
        assert_eq!(step(7), 2);
        assert_eq!(step(38), 10);
        assert_eq!(step(260), 100);
        let cats = vec!["盗窃".to_string(), "<治安>".to_string()];
        let series = vec![
            ("本期".to_string(), vec![12, 3]),
            ("上期".to_string(), vec![26, 0]),
        ];
        let svg = bars(&Bars {
            title: "警情 & 分类",
            categories: &cats,
            series: &series,
        });
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("警情 &amp; 分类") && svg.contains("&lt;治安&gt;"));
        assert_eq!(
            svg.matches("<rect").count(),
            2 + 4,
            "two legend keys and four bars"
        );
        // 26 on an axis to 30: the longest bar is 26/30 of the plot.
        let plot = WIDTH - LABEL - RIGHT;
        assert!(svg.contains(&format!("width=\"{:.1}\"", plot * 26.0 / 30.0)));
    }
}
