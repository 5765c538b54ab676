//! 信息研判 over the incidents in the database: the geo crate's kernels (Gi*, KDE, Knox, 同比/环比) run
//! on the incidents of one area, period and set of categories inside the caller's scope. Points are
//! projected to metres (3° Gauss–Krüger zone of the area) before any distance is taken; cell rings go
//! back to WGS-84 for the map. [`brief`] composes and keeps the daily/weekly 研判简报.

pub mod api;
pub mod brief;
pub mod briefs;
pub mod demo;
pub mod pages;
mod repeat;

pub use repeat::{RepeatLocation, TypeCount, repeat_locations};

use crate::error::{ApiError, ApiResult};
use pingan_domain::Scope;
use pingan_domain::time::day_start;
use pingan_geo::Projection;
use pingan_geo::analysis::gistar::{Confidence, gistar_grid, gistar_grid_masked};
use pingan_geo::analysis::grid::Grid;
use pingan_geo::analysis::kde::{Accuracy, Kernel, kde_grid};
use pingan_geo::analysis::knox::{Budget, KnoxOptions, knox_within};
use pingan_geo::analysis::trend;
use pingan_geo::{BoundaryRule, PolygonIndex};
use pingan_store::Db;
use pingan_store::analysis::{self as store, IncidentPoint, Selection};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

/// More incidents than this in one selection is a question for `pingan analyze` on an export: the
/// columns of a million incidents take some 100 MB of a server's memory.
pub const MAX_EVENTS: i64 = 1_000_000;
/// Pair comparisons one near-repeat request may make: all its permutations together (beyond it
/// none run and the p-values come from the permutation moments: a dense district-year at 400 m
/// and 14 days would need 1.5·10¹⁰ for 99 permutations), and counting its observed table and
/// each incident's neighbours (beyond it the request is refused). About a second of two cores
/// each.
pub const KNOX_BUDGET: Budget = Budget {
    permutations: 400_000_000,
    counting: 3_000_000_000,
};
/// Longest side of the analysis grid in cells; the cell grows when an area would need more.
pub const MAX_SIDE: usize = 240;
const MICROS_PER_DAY: f64 = 86_400e6;

/// Incidents of a selection as columns (a district-year is 300,000 of them): planar coordinates in
/// metres, times in days, and the texts a repeat location shows interned.
pub struct Events {
    pub xs: Vec<f64>,
    pub ys: Vec<f64>,
    pub days: Vec<f64>,
    pub lng: Vec<f64>,
    pub lat: Vec<f64>,
    pub received_at: Vec<i64>,
    /// Index into `types`.
    pub type_of: Vec<u32>,
    pub types: Vec<String>,
    /// Index into `addresses`.
    pub address_of: Vec<u32>,
    pub addresses: Vec<String>,
    pub numbers: Vec<Box<str>>,
    pub proj: Projection,
}

impl Events {
    pub fn len(&self) -> usize {
        self.xs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.xs.is_empty()
    }

    pub fn type_code(&self, i: usize) -> &str {
        &self.types[self.type_of[i] as usize]
    }

    pub fn address(&self, i: usize) -> &str {
        &self.addresses[self.address_of[i] as usize]
    }
}

/// Collects rows into [`Events`] as they stream in.
#[derive(Default)]
struct EventsBuilder {
    lng: Vec<f64>,
    lat: Vec<f64>,
    received_at: Vec<i64>,
    type_of: Vec<u32>,
    types: Vec<String>,
    type_index: HashMap<String, u32>,
    address_of: Vec<u32>,
    addresses: Vec<String>,
    address_index: HashMap<String, u32>,
    numbers: Vec<Box<str>>,
}

fn intern(index: &mut HashMap<String, u32>, all: &mut Vec<String>, s: String) -> u32 {
    if let Some(&i) = index.get(&s) {
        return i;
    }
    let i = all.len() as u32;
    all.push(s.clone());
    index.insert(s, i);
    i
}

impl EventsBuilder {
    fn push(&mut self, p: IncidentPoint) {
        self.lng.push(p.lng);
        self.lat.push(p.lat);
        self.received_at.push(p.received_at);
        self.type_of
            .push(intern(&mut self.type_index, &mut self.types, p.type_code));
        self.address_of.push(intern(
            &mut self.address_index,
            &mut self.addresses,
            p.address,
        ));
        self.numbers.push(p.number.into_boxed_str());
    }

    /// Projects into the Gauss–Krüger zone of the mean longitude.
    fn finish(self) -> Events {
        let n = self.lng.len();
        let mean_lng = if n == 0 {
            120.0
        } else {
            self.lng.iter().sum::<f64>() / n as f64
        };
        let proj = Projection::gauss_kruger_3deg(mean_lng);
        let (mut xs, mut ys) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for (&lng, &lat) in self.lng.iter().zip(&self.lat) {
            let (x, y) = proj.forward(lng, lat);
            xs.push(x);
            ys.push(y);
        }
        let days = self
            .received_at
            .iter()
            .map(|&t| t as f64 / MICROS_PER_DAY)
            .collect();
        Events {
            xs,
            ys,
            days,
            lng: self.lng,
            lat: self.lat,
            received_at: self.received_at,
            type_of: self.type_of,
            types: self.types,
            address_of: self.address_of,
            addresses: self.addresses,
            numbers: self.numbers,
            proj,
        }
    }
}

/// Streams the selection's incidents into columns; a selection over [`MAX_EVENTS`] is refused with
/// a 422.
pub async fn load(db: &Db, scope: &Scope, sel: &Selection) -> ApiResult<Events> {
    let mut b = EventsBuilder::default();
    let read = store::for_each_incident_point(db, scope, sel, MAX_EVENTS, |p| {
        b.push(p);
        (b.lng.len() as i64) <= MAX_EVENTS
    })
    .await?;
    if read as i64 > MAX_EVENTS {
        return Err(ApiError::invalid(
            "from",
            format!(
                "more than {MAX_EVENTS} incidents in the selection; choose a shorter period, a smaller area or fewer categories"
            ),
        ));
    }
    Ok(b.finish())
}

/// The events of these points (projected into the Gauss–Krüger zone of their mean longitude).
pub fn project(points: Vec<IncidentPoint>) -> Events {
    let mut b = EventsBuilder::default();
    for p in points {
        b.push(p);
    }
    b.finish()
}

/// The analysis grid over the events' extent (padded), cells aligned to multiples of the cell size.
pub struct Frame {
    pub grid: Grid,
    proj: Projection,
}

impl Frame {
    /// Around the events and, when given, a box `[x_lo, y_lo, x_hi, y_hi]` in the events' metres.
    fn around(ev: &Events, extra: Option<[f64; 4]>, cell_m: f64, pad_m: f64) -> Option<Frame> {
        if ev.is_empty() && extra.is_none() {
            return None;
        }
        let min = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min) - pad_m;
        let max = |v: &[f64]| v.iter().copied().fold(f64::NEG_INFINITY, f64::max) + pad_m;
        let (mut x_lo, mut x_hi, mut y_lo, mut y_hi) =
            (min(&ev.xs), max(&ev.xs), min(&ev.ys), max(&ev.ys));
        if let Some([a, b, c, d]) = extra {
            (x_lo, y_lo, x_hi, y_hi) = (x_lo.min(a), y_lo.min(b), x_hi.max(c), y_hi.max(d));
        }
        let side = (x_hi - x_lo).max(y_hi - y_lo);
        let cell = cell_m.max(side / (MAX_SIDE - 1) as f64);
        let x0 = (x_lo / cell).floor() * cell;
        let y0 = (y_lo / cell).floor() * cell;
        let cols = (((x_hi - x0) / cell).ceil() as usize).max(1);
        let rows = (((y_hi - y0) / cell).ceil() as usize).max(1);
        let grid = Grid::new(x0, y0, cell, cols, rows).ok()?;
        Some(Frame {
            grid,
            proj: ev.proj,
        })
    }

    /// The cell's outline in WGS-84 (lng, lat), closed, 6 decimals.
    pub fn ring(&self, row: usize, col: usize) -> Vec<[f64; 2]> {
        let g = &self.grid;
        let (x, y) = (g.x0 + col as f64 * g.cell, g.y0 + row as f64 * g.cell);
        [
            (x, y),
            (x + g.cell, y),
            (x + g.cell, y + g.cell),
            (x, y + g.cell),
            (x, y),
        ]
        .iter()
        .map(|&(x, y)| {
            let (lng, lat) = self.proj.inverse(x, y);
            [round6(lng), round6(lat)]
        })
        .collect()
    }
}

fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

/// Map layers: Gi* hot/cold cells and the kernel density surface.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Hotspots {
    /// Incidents analysed.
    pub events: usize,
    /// Cell side actually used, metres (grows for large areas so a side has ≤ 240 cells).
    pub cell_m: f64,
    /// Gi* distance band, metres.
    pub band_m: f64,
    /// Gaussian kernel bandwidth (σ), metres.
    pub bandwidth_m: f64,
    pub cols: usize,
    pub rows: usize,
    /// South-west corner of the grid in metres of the 3° Gauss–Krüger zone around
    /// `central_meridian` (with `cell_m`, `cols`, `rows`: the frame, to reproduce with
    /// `pingan analyze gistar`).
    #[serde(default)]
    pub x0: f64,
    #[serde(default)]
    pub y0: f64,
    #[serde(default)]
    pub central_meridian: f64,
    /// Cells significant at 90 % or more (hot or cold).
    pub cells: Vec<HotCell>,
    /// Cells whose density is at least 5 % of the peak.
    pub density: Vec<DensityCell>,
    /// Peak density, incidents per km².
    pub density_peak: f64,
    /// Which cells Gi* compares: `grids` (the cells whose centre or a corner lies in the selected
    /// area's 网格 — the study area) or `extent` (every cell of the incidents' bounding box: the area has no grids, or a
    /// brief kept before the study area was used).
    #[serde(default = "extent")]
    pub frame: String,
    /// Cells Gi* ran over.
    #[serde(default)]
    pub frame_cells: usize,
    /// Incidents outside the study area's grids (not in any cell Gi* compares).
    #[serde(default)]
    pub events_outside: usize,
}

fn extent() -> String {
    "extent".into()
}

/// The 网格 of the selected area, as the study area Gi* runs over.
pub struct StudyArea {
    index: PolygonIndex,
    /// WGS-84 bounding box [min lng, min lat, max lng, max lat].
    bbox: [f64; 4],
}

impl StudyArea {
    /// The study area of the grids at or under `area_path` in the scope; `None` when there are none.
    pub async fn of(db: &Db, scope: &Scope, area_path: &str) -> ApiResult<Option<StudyArea>> {
        let rows = pingan_store::grids::under(db, scope, area_path).await?;
        let shapes: Vec<(String, geo::MultiPolygon<f64>)> = rows
            .iter()
            .filter_map(|g| crate::locate::shape(&g.geometry).map(|s| (g.code.clone(), s)))
            .collect();
        if shapes.is_empty() {
            return Ok(None);
        }
        let mut bbox = [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ];
        for (_, s) in &shapes {
            if let Some(r) = geo::BoundingRect::bounding_rect(s) {
                bbox = [
                    bbox[0].min(r.min().x),
                    bbox[1].min(r.min().y),
                    bbox[2].max(r.max().x),
                    bbox[3].max(r.max().y),
                ];
            }
        }
        Ok(Some(StudyArea {
            index: PolygonIndex::with_rule(shapes, BoundaryRule::Closed),
            bbox,
        }))
    }

    /// The bounding box in the projection's metres.
    fn projected_box(&self, proj: &Projection) -> [f64; 4] {
        let [a, b, c, d] = self.bbox;
        let corners = [
            (a, b),
            (a, d),
            (c, b),
            (c, d),
            ((a + c) / 2.0, b),
            ((a + c) / 2.0, d),
        ];
        let mut out = [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ];
        for (lng, lat) in corners {
            let (x, y) = proj.forward(lng, lat);
            out = [out[0].min(x), out[1].min(y), out[2].max(x), out[3].max(y)];
        }
        out
    }

    /// The cells of `grid` (in `proj`'s metres) in the study area: those whose centre or a corner
    /// lies in a grid, so the cells along the district's edge keep the incidents they hold.
    pub fn mask(&self, grid: &Grid, proj: &Projection) -> Vec<bool> {
        let half = grid.cell / 2.0;
        grid.mask_of(|x, y| {
            [
                (0.0, 0.0),
                (-1.0, -1.0),
                (1.0, -1.0),
                (-1.0, 1.0),
                (1.0, 1.0),
            ]
            .iter()
            .any(|(dx, dy)| {
                let (lng, lat) = proj.inverse(x + dx * half, y + dy * half);
                self.index.locate(lng, lat).is_some()
            })
        })
    }
}

/// One significant Gi* cell.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HotCell {
    pub row: usize,
    pub col: usize,
    /// Incidents in the cell.
    pub count: f64,
    pub z: f64,
    /// One-sided normal p (esda's `p_norm`).
    pub p: f64,
    /// 3 … 1 hot at 99/95/90 %, −1 … −3 cold.
    pub level: i8,
    /// Outline, WGS-84 [lng, lat] pairs.
    pub ring: Vec<[f64; 2]>,
}

/// One cell of the density surface.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DensityCell {
    pub row: usize,
    pub col: usize,
    /// Expected incidents per km² (kernel density × incidents).
    pub per_km2: f64,
    /// Share of the peak (0–1), for colouring.
    pub share: f64,
    pub ring: Vec<[f64; 2]>,
}

/// Gi* (binary distance band, self included) over the study area's cells — or every cell of the
/// frame when there is no study area — and a Gaussian KDE over the frame.
pub fn hotspots(
    ev: &Events,
    area: Option<&StudyArea>,
    cell_m: f64,
    band_m: f64,
    bandwidth_m: f64,
) -> Hotspots {
    let mut out = Hotspots {
        events: ev.len(),
        cell_m,
        band_m,
        bandwidth_m,
        cols: 0,
        rows: 0,
        x0: 0.0,
        y0: 0.0,
        central_meridian: ev.proj.central_meridian,
        cells: Vec::new(),
        density: Vec::new(),
        density_peak: 0.0,
        frame: extent(),
        frame_cells: 0,
        events_outside: 0,
    };
    let pad = band_m.max(2.0 * bandwidth_m);
    let extra = area.map(|a| a.projected_box(&ev.proj));
    let Some(frame) = Frame::around(ev, extra, cell_m, pad) else {
        return out;
    };
    let g = &frame.grid;
    out.cell_m = g.cell;
    out.cols = g.cols;
    out.rows = g.rows;
    (out.x0, out.y0) = (g.x0, g.y0);
    let binned = g.bin(&ev.xs, &ev.ys, None);
    let mask = area
        .map(|a| a.mask(g, &ev.proj))
        .filter(|m| m.iter().filter(|&&c| c).count() >= 2);
    // The band never shrinks below one cell: a band that reaches no neighbour makes Gi* a count test.
    let band = band_m.max(g.cell);
    let gi = match &mask {
        Some(m) => {
            out.frame = "grids".into();
            out.frame_cells = m.iter().filter(|&&c| c).count();
            out.events_outside = ev
                .xs
                .iter()
                .zip(&ev.ys)
                .filter(|&(&x, &y)| g.cell_of(x, y).is_none_or(|(r, c)| !m[r * g.cols + c]))
                .count();
            gistar_grid_masked(g, &binned.values, band, m)
        }
        None => {
            out.frame_cells = g.len();
            gistar_grid(g, &binned.values, band)
        }
    };
    if let Ok(gi) = gi {
        for (i, (&z, &p)) in gi.z.iter().zip(&gi.p).enumerate() {
            let level = Confidence::of(z).level();
            if level != 0 {
                let (row, col) = (i / g.cols, i % g.cols);
                out.cells.push(HotCell {
                    row,
                    col,
                    count: binned.values[i],
                    z,
                    p,
                    level,
                    ring: frame.ring(row, col),
                });
            }
        }
    }
    if let Ok(d) = kde_grid(
        g,
        &ev.xs,
        &ev.ys,
        None,
        Kernel::Gaussian,
        bandwidth_m,
        Accuracy::Exact,
    ) {
        let scale = ev.len() as f64 * 1e6;
        out.density_peak = d.peak * scale;
        if d.peak > 0.0 {
            for (i, &v) in d.density.iter().enumerate() {
                if v >= 0.05 * d.peak {
                    let (row, col) = (i / g.cols, i % g.cols);
                    out.density.push(DensityCell {
                        row,
                        col,
                        per_km2: v * scale,
                        share: v / d.peak,
                        ring: frame.ring(row, col),
                    });
                }
            }
        }
    }
    out
}

/// The Knox near-repeat tables (Ratcliffe's calculator), distances in metres, times in days.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NearRepeat {
    pub events: usize,
    pub pairs: u64,
    pub space_bands_m: Vec<f64>,
    pub time_bands_days: Vec<f64>,
    /// Pairs per (space band, time band); the last row/column is "beyond the last band".
    pub observed: Vec<Vec<u64>>,
    pub expected: Vec<Vec<f64>>,
    /// observed / expected (null when nothing is expected).
    pub ratio: Vec<Vec<Option<f64>>>,
    /// p of a count at least this large when times are permuted among the incidents: by
    /// Monte-Carlo permutations, or (`p_method` = `normal`) from the permutation distribution's
    /// exact mean and variance when the permutations would cost too much.
    pub p_value: Vec<Vec<f64>>,
    /// Permutations run (0 when `p_method` is `normal`).
    pub permutations: usize,
    pub seed: u64,
    /// Absent from briefs kept before it was recorded: those were all by permutation.
    #[serde(default)]
    pub p_method: PMethod,
}

/// How a near-repeat table's p-values were found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PMethod {
    /// Monte-Carlo: times permuted among the incidents `permutations` times.
    #[default]
    Permutation,
    /// Normal approximation with the exact permutation mean and variance (Mantel 1967).
    Normal,
}

/// Knox test over the events within [`KNOX_BUDGET`]: p-values by permutations, or by the
/// permutation moments when those would cost too much; refused when counting would.
pub fn near_repeat(
    ev: &Events,
    space_bands_m: Vec<f64>,
    time_bands_days: Vec<f64>,
    permutations: usize,
    seed: u64,
) -> ApiResult<NearRepeat> {
    let opts = KnoxOptions {
        space_bands: space_bands_m,
        time_bands: time_bands_days,
        permutations,
        seed,
    };
    let k = knox_within(&ev.xs, &ev.ys, &ev.days, &opts, KNOX_BUDGET, &mut |_| {})
        .map_err(|e| ApiError::invalid("space_bands", e.to_string()))?;
    Ok(NearRepeat {
        events: k.events,
        pairs: k.pairs,
        space_bands_m: k.space_bands,
        time_bands_days: k.time_bands,
        observed: k.observed,
        expected: k.expected,
        ratio: k.ratio,
        p_value: k.p_observed,
        permutations: k.permutations,
        seed: k.seed,
        p_method: match k.p_method {
            pingan_geo::analysis::knox::PMethod::Permutation => PMethod::Permutation,
            pingan_geo::analysis::knox::PMethod::Normal => PMethod::Normal,
        },
    })
}

/// A change between two periods, with the exact conditional test of "same rate".
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Change {
    pub current: u64,
    pub previous: u64,
    /// Relative change of the daily rate (null when the earlier period had none).
    pub relative: Option<f64>,
    pub p_value: f64,
    /// p < 0.05: the change is beyond chance.
    pub significant: bool,
}

impl From<trend::Change> for Change {
    fn from(c: trend::Change) -> Self {
        Change {
            current: c.current,
            previous: c.previous,
            relative: c.relative,
            p_value: c.p_value,
            significant: c.significant,
        }
    }
}

/// Counts for the period with 环比 (the period just before, same length) and 同比 (the same dates a
/// year before).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Trends {
    pub area_path: String,
    /// First and last local date of the period (inclusive).
    pub from: String,
    pub to: String,
    pub days: i64,
    /// The whole selection first, then each sub-area, then each category.
    pub rows: Vec<TrendRow>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TrendRow {
    /// `total`, `area` or `type`.
    pub kind: String,
    /// Area path or type code ("" for the total).
    pub key: String,
    pub name: String,
    /// 环比: against the period just before.
    pub previous_period: Change,
    /// 同比: against the same dates a year before.
    pub same_period_last_year: Change,
}

/// A period of whole local days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: jiff::civil::Date,
    /// Inclusive.
    pub to: jiff::civil::Date,
}

impl Period {
    pub fn days(&self) -> i64 {
        (self.to - self.from).get_days() as i64 + 1
    }

    pub fn start_micros(&self) -> i64 {
        day_start(self.from)
    }

    pub fn end_micros(&self) -> i64 {
        day_start(self.to.tomorrow().unwrap_or(self.to))
    }

    fn shifted_days(&self, days: i64) -> Period {
        let span = jiff::Span::new().days(days);
        Period {
            from: self.from.checked_sub(span).unwrap_or(self.from),
            to: self.to.checked_sub(span).unwrap_or(self.to),
        }
    }

    fn year_before(&self) -> Period {
        let span = jiff::Span::new().years(1);
        Period {
            from: self.from.checked_sub(span).unwrap_or(self.from),
            to: self.to.checked_sub(span).unwrap_or(self.to),
        }
    }
}

/// Level below `path` (one more segment) that `area_path` falls in, if any.
fn child_of(path: &str, area_path: &str) -> Option<String> {
    let rest = area_path.strip_prefix(path)?;
    let seg = rest.split('/').next().filter(|s| !s.is_empty())?;
    Some(format!("{path}{seg}/"))
}

/// Trend table for `area_path` over `period`.
pub async fn trends(
    db: &Db,
    scope: &Scope,
    area_path: &str,
    period: Period,
    types: &[String],
    type_name: impl Fn(&str) -> String,
) -> ApiResult<Trends> {
    let sel = |p: Period| Selection {
        area_path: area_path.to_string(),
        from: p.start_micros(),
        to: p.end_micros(),
        types: types.to_vec(),
    };
    let previous = period.shifted_days(period.days());
    let last_year = period.year_before();
    let mut tallies: Vec<HashMap<(String, String), u64>> = Vec::new();
    for p in [period, previous, last_year] {
        let mut t: HashMap<(String, String), u64> = HashMap::new();
        for (path, code, n) in store::counts(db, scope, &sel(p)).await? {
            let n = n as u64;
            *t.entry(("total".into(), String::new())).or_default() += n;
            if let Some(child) = child_of(area_path, &path) {
                *t.entry(("area".into(), child)).or_default() += n;
            }
            *t.entry(("type".into(), code)).or_default() += n;
        }
        tallies.push(t);
    }
    let names: HashMap<String, String> = store::areas_under(db, area_path)
        .await?
        .into_iter()
        .map(|(path, _, name)| (path, name))
        .collect();
    let mut keys: Vec<(String, String)> = tallies
        .iter()
        .flat_map(|t| t.keys().cloned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    // Every sub-area is listed, also one without incidents: a quiet village is an answer too.
    for path in names.keys() {
        if child_of(area_path, path).as_deref() == Some(path.as_str()) {
            let k = ("area".to_string(), path.clone());
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
    }
    let rank = |kind: &str| match kind {
        "total" => 0,
        "area" => 1,
        _ => 2,
    };
    keys.sort_by(|a, b| rank(&a.0).cmp(&rank(&b.0)).then(a.1.cmp(&b.1)));
    let days = period.days() as f64;
    let year_days = last_year.days() as f64;
    let get = |i: usize, k: &(String, String)| tallies[i].get(k).copied().unwrap_or(0);
    let rows = keys
        .iter()
        .map(|k| {
            let cur = get(0, k);
            TrendRow {
                kind: k.0.clone(),
                key: k.1.clone(),
                name: match k.0.as_str() {
                    "total" => names.get(area_path).cloned().unwrap_or_default(),
                    "area" => names.get(&k.1).cloned().unwrap_or_else(|| k.1.clone()),
                    _ => type_name(&k.1),
                },
                previous_period: trend::compare(cur, get(1, k), days, days, 0.05).into(),
                same_period_last_year: trend::compare(cur, get(2, k), days, year_days, 0.05).into(),
            }
        })
        .collect();
    Ok(Trends {
        area_path: area_path.to_string(),
        from: period.from.to_string(),
        to: period.to.to_string(),
        days: period.days(),
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(i: usize, lng: f64, lat: f64, address: &str, day: i64) -> IncidentPoint {
        IncidentPoint {
            number: format!("N{i:03}"),
            type_code: if i.is_multiple_of(2) {
                "100100"
            } else {
                "200100"
            }
            .into(),
            address: address.into(),
            lng,
            lat,
            received_at: day * 86_400_000_000,
        }
    }

    #[test]
    fn repeat_locations_group_near_points_and_same_addresses() {
        let mut pts = Vec::new();
        // Four incidents within ~20 m of each other.
        for i in 0..4 {
            pts.push(point(
                i,
                120.2400 + i as f64 * 0.00005,
                29.7100,
                "江东路18号",
                i as i64,
            ));
        }
        // Three at one address geocoded 300 m apart (the same address makes them one place).
        for i in 4..7 {
            pts.push(point(
                i,
                120.2500 + (i - 4) as f64 * 0.0015,
                29.7200,
                "浣纱路1号",
                i as i64,
            ));
        }
        // Two isolated incidents: no place.
        pts.push(point(7, 120.2700, 29.7300, "甲", 1));
        pts.push(point(8, 120.2800, 29.7400, "乙", 2));
        let ev = project(pts);
        let places = repeat_locations(&ev, 50.0, 3);
        assert_eq!(places.len(), 2, "{places:?}");
        assert_eq!(places[0].count, 4);
        assert_eq!(places[0].address, "江东路18号");
        assert_eq!(places[0].incidents[0], "N003", "most recent first");
        assert_eq!(places[1].count, 3);
        assert_eq!(places[1].address, "浣纱路1号");
        assert_eq!(places[0].types.iter().map(|t| t.count).sum::<usize>(), 4);
    }

    #[test]
    fn hotspots_find_a_planted_cluster() {
        let mut pts = Vec::new();
        let mut i = 0;
        // Background: one incident every ~550 m over a 5 km square.
        for r in 0..10 {
            for c in 0..10 {
                pts.push(point(
                    i,
                    120.20 + c as f64 * 0.0055,
                    29.70 + r as f64 * 0.005,
                    "",
                    1,
                ));
                i += 1;
            }
        }
        // A cluster of 40 within 100 m.
        for k in 0..40 {
            let a = k as f64 * 0.7;
            pts.push(point(
                i,
                120.225 + 0.0008 * a.cos(),
                29.725 + 0.0007 * a.sin(),
                "",
                2,
            ));
            i += 1;
        }
        let ev = project(pts);
        let h = hotspots(&ev, None, 250.0, 400.0, 300.0);
        assert_eq!(h.events, 140);
        let hot: Vec<&HotCell> = h.cells.iter().filter(|c| c.level == 3).collect();
        assert!(!hot.is_empty(), "{:?}", h.cells);
        // Every 99 % hot cell's centre is within band + cell diagonal of the cluster (Gi* marks the
        // cluster's neighbourhood, not only the cells holding it); the background is never hot.
        let centre = |ring: &[[f64; 2]]| {
            let n = (ring.len() - 1) as f64;
            let lng = ring[..ring.len() - 1].iter().map(|p| p[0]).sum::<f64>() / n;
            let lat = ring[..ring.len() - 1].iter().map(|p| p[1]).sum::<f64>() / n;
            (lng, lat)
        };
        for c in &hot {
            assert_eq!(c.ring.len(), 5);
            let (lng, lat) = centre(&c.ring);
            assert!(
                pingan_geo::distance_m(lng, lat, 120.225, 29.725) < 400.0 + 180.0 + 100.0,
                "{c:?}"
            );
        }
        assert!(hot.iter().any(|c| c.count >= 10.0));
        let peak = h
            .density
            .iter()
            .max_by(|a, b| a.share.total_cmp(&b.share))
            .unwrap();
        assert!((peak.share - 1.0).abs() < 1e-12);
        let (lng, lat) = centre(&peak.ring);
        assert!(pingan_geo::distance_m(lng, lat, 120.225, 29.725) < 200.0);
        assert!(h.density_peak > 0.0);
    }

    #[test]
    fn empty_selection_has_no_layers() {
        let h = hotspots(&project(Vec::new()), None, 250.0, 400.0, 300.0);
        assert_eq!((h.events, h.cells.len(), h.density.len()), (0, 0, 0));
    }

    #[test]
    fn periods_shift_by_days_and_years() {
        let p = Period {
            from: jiff::civil::date(2026, 11, 23),
            to: jiff::civil::date(2026, 11, 29),
        };
        assert_eq!(p.days(), 7);
        assert_eq!(
            p.shifted_days(7),
            Period {
                from: jiff::civil::date(2026, 11, 16),
                to: jiff::civil::date(2026, 11, 22)
            }
        );
        assert_eq!(p.year_before().from, jiff::civil::date(2025, 11, 23));
        // 2026-11-23 00:00 +08:00 is 2026-11-22 16:00 UTC.
        assert_eq!(
            day_start(p.from),
            jiff::Timestamp::from_second(1_795_392_000 - 8 * 3600)
                .unwrap()
                .as_microsecond()
        );
        assert_eq!(p.end_micros() - p.start_micros(), 7 * 86_400_000_000);
        assert_eq!(
            child_of("/33/", "/33/3301/330101/"),
            Some("/33/3301/".into())
        );
        assert_eq!(child_of("/33/", "/33/"), None);
    }
}
