//! Getis-Ord Gi* (local G with the cell itself among its neighbours), binary weights.
//!
//! z_i = (Σ_j w_ij y_j − ȳ W_i) / (S √((n W_i − W_i²)/(n−1))), W_i = Σ_j w_ij, ȳ and S the mean and
//! population standard deviation over all n units (empty cells count as 0). This is
//! `esda.G_Local(y, w, transform='B', star=True).Zs`; `p` is esda's `p_norm`, the one-sided normal
//! tail P(Z > |z|). The hot/cold classes of ArcGIS-style maps use the two-sided levels on |z|
//! ([`Confidence`]).
//!
//! On a [`Grid`] the weights are a distance band between cell centres (d ≤ band, self included):
//! the same neighbourhood shape at every cell, clipped at the edges, so the neighbour sums are
//! row-window sums read from compensated prefix sums — O(n · rows-in-band) with no weights matrix.

use std::collections::HashMap;

use serde::Serialize;

use super::grid::Grid;
use super::stats::normal_sf;

/// Why Gi* cannot be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GiStarError {
    /// Values and grid disagree.
    #[error("{values} values for a grid of {cells} cells")]
    Length {
        /// Values given.
        values: usize,
        /// Cells in the grid.
        cells: usize,
    },
    /// The distance band is not a non-negative finite number.
    #[error("distance band must be a non-negative number, got {0}")]
    Band(f64),
    /// A value is NaN or infinite.
    #[error("value {index} is not a finite number")]
    Value {
        /// Index of the unit.
        index: usize,
    },
    /// A neighbour index is out of range.
    #[error("unit {unit} lists neighbour {neighbour}, but there are only {units} units")]
    Neighbour {
        /// The unit whose list is wrong.
        unit: usize,
        /// The bad index.
        neighbour: usize,
        /// Number of units.
        units: usize,
    },
    /// Fewer than two units.
    #[error("Gi* needs at least two units")]
    TooFew,
    /// Mask and grid disagree.
    #[error("a mask of {mask} cells for a grid of {cells} cells")]
    Mask {
        /// Cells in the mask.
        mask: usize,
        /// Cells in the grid.
        cells: usize,
    },
}

/// z-scores and p-values per unit (cell id or list index).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GiStar {
    /// Standardised Gi*; NaN where undefined (all values equal, or a unit neighbouring all).
    pub z: Vec<f64>,
    /// P(Z > |z|) (esda's `p_norm`).
    pub p: Vec<f64>,
}

/// Hot/cold spot class from |z| at two-sided 90/95/99 % confidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// z ≥ 2.576.
    Hot99,
    /// 1.960 ≤ z < 2.576.
    Hot95,
    /// 1.645 ≤ z < 1.960.
    Hot90,
    /// |z| < 1.645 (or undefined).
    None,
    /// −1.960 < z ≤ −1.645.
    Cold90,
    /// −2.576 < z ≤ −1.960.
    Cold95,
    /// z ≤ −2.576.
    Cold99,
}

impl Confidence {
    /// Class of one z-score.
    pub fn of(z: f64) -> Self {
        const Z90: f64 = 1.644_853_626_951_472_2;
        const Z95: f64 = 1.959_963_984_540_054;
        const Z99: f64 = 2.575_829_303_548_900_4;
        match z {
            z if z >= Z99 => Self::Hot99,
            z if z >= Z95 => Self::Hot95,
            z if z >= Z90 => Self::Hot90,
            z if z <= -Z99 => Self::Cold99,
            z if z <= -Z95 => Self::Cold95,
            z if z <= -Z90 => Self::Cold90,
            _ => Self::None,
        }
    }

    /// −3 … 3 (cold 99 % … hot 99 %), 0 for not significant: what map layers colour by.
    pub fn level(self) -> i8 {
        match self {
            Self::Hot99 => 3,
            Self::Hot95 => 2,
            Self::Hot90 => 1,
            Self::None => 0,
            Self::Cold90 => -1,
            Self::Cold95 => -2,
            Self::Cold99 => -3,
        }
    }
}

/// Error-free sum of two floats (Knuth's TwoSum): `a + b = s + e` exactly.
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

/// Mean and population standard deviation, compensated.
fn mean_sd(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let (mut hi, mut lo) = (0.0, 0.0);
    for &v in values {
        let (s, e) = two_sum(hi, v);
        hi = s;
        lo += e;
    }
    let mean = (hi + lo) / n;
    let (mut hi, mut lo) = (0.0, 0.0);
    for &v in values {
        let d = v - mean;
        let (s, e) = two_sum(hi, d * d);
        hi = s;
        lo += e;
    }
    (mean, ((hi + lo) / n).sqrt())
}

fn check_values(values: &[f64]) -> Result<(), GiStarError> {
    if values.len() < 2 {
        return Err(GiStarError::TooFew);
    }
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(GiStarError::Value { index }),
        None => Ok(()),
    }
}

/// z and p from the neighbour sums `lag` and the neighbour counts `card`.
fn standardise(values: &[f64], lag: &[f64], card: &[f64]) -> GiStar {
    let n = values.len() as f64;
    let (mean, sd) = mean_sd(values);
    let z: Vec<f64> = lag
        .iter()
        .zip(card)
        .map(|(&l, &w)| {
            let den = sd * ((n * w - w * w) / (n - 1.0)).sqrt();
            if den > 0.0 {
                (l - mean * w) / den
            } else {
                f64::NAN
            }
        })
        .collect();
    let p = z
        .iter()
        .map(|&z| {
            if z.is_nan() {
                f64::NAN
            } else {
                normal_sf(z.abs())
            }
        })
        .collect();
    GiStar { z, p }
}

/// Half-widths (in columns) of the band's neighbourhood for each row offset 0, 1, …: offset
/// `(dr, dc)` is a neighbour iff `(dr·C)² + (dc·C)² ≤ band²`.
fn band_half_widths(cell: f64, band: f64) -> Vec<usize> {
    let b2 = band * band;
    let mut widths = Vec::new();
    for dr in 0usize.. {
        let dy = dr as f64 * cell;
        if dy * dy > b2 {
            break;
        }
        let within = |dc: usize| {
            let dx = dc as f64 * cell;
            dx * dx + dy * dy <= b2
        };
        let mut dc = ((b2 - dy * dy).max(0.0).sqrt() / cell).floor() as usize;
        while within(dc + 1) {
            dc += 1;
        }
        while dc > 0 && !within(dc) {
            dc -= 1;
        }
        widths.push(dc);
    }
    widths
}

/// Gi* on a grid with distance-band weights between cell centres (`d ≤ band`, self included).
/// `values[cell_id]` is the count or weight sum of each cell.
pub fn gistar_grid(grid: &Grid, values: &[f64], band: f64) -> Result<GiStar, GiStarError> {
    gistar_grid_in(grid, values, band, None)
}

/// Gi* over the cells of a study area: only the cells where `mask[cell_id]` is true are units (the
/// mean, the deviation and n are theirs, and a neighbour outside the mask is absent), as esda run on
/// the masked cells alone. Cells outside the mask get NaN. Empty land in the bounding box then no
/// longer dilutes the mean and makes every inhabited cell look hot.
pub fn gistar_grid_masked(
    grid: &Grid,
    values: &[f64],
    band: f64,
    mask: &[bool],
) -> Result<GiStar, GiStarError> {
    if mask.len() != grid.len() {
        return Err(GiStarError::Mask {
            mask: mask.len(),
            cells: grid.len(),
        });
    }
    gistar_grid_in(grid, values, band, Some(mask))
}

/// Per-row compensated prefix sums: `hi + lo` at `r * (cols + 1) + c` holds Σ_{c' < c} of row r
/// exactly enough that window differences lose nothing to the size of the row's total.
struct RowPrefix {
    hi: Vec<f64>,
    lo: Vec<f64>,
    stride: usize,
}

impl RowPrefix {
    fn new(rows: usize, cols: usize, value: impl Fn(usize) -> f64) -> RowPrefix {
        let stride = cols + 1;
        let mut hi = vec![0.0; rows * stride];
        let mut lo = vec![0.0; rows * stride];
        for r in 0..rows {
            let (mut h, mut l) = (0.0, 0.0);
            for c in 0..cols {
                let (s, e) = two_sum(h, value(r * cols + c));
                h = s;
                l += e;
                hi[r * stride + c + 1] = h;
                lo[r * stride + c + 1] = l;
            }
        }
        RowPrefix { hi, lo, stride }
    }

    /// Σ over columns a..b of row r.
    fn window(&self, r: usize, a: usize, b: usize) -> f64 {
        let o = r * self.stride;
        (self.hi[o + b] - self.hi[o + a]) + (self.lo[o + b] - self.lo[o + a])
    }
}

fn gistar_grid_in(
    grid: &Grid,
    values: &[f64],
    band: f64,
    mask: Option<&[bool]>,
) -> Result<GiStar, GiStarError> {
    if values.len() != grid.len() {
        return Err(GiStarError::Length {
            values: values.len(),
            cells: grid.len(),
        });
    }
    if !(band.is_finite() && band >= 0.0) {
        return Err(GiStarError::Band(band));
    }
    let inside = |id: usize| mask.is_none_or(|m| m[id]);
    let units: Vec<f64> = match mask {
        None => values.to_vec(),
        Some(m) => values
            .iter()
            .zip(m)
            .filter(|(_, m)| **m)
            .map(|(v, _)| *v)
            .collect(),
    };
    if let Some(index) = values.iter().position(|v| !v.is_finite()) {
        return Err(GiStarError::Value { index });
    }
    if units.len() < 2 {
        return Err(GiStarError::TooFew);
    }
    let (rows, cols) = (grid.rows, grid.cols);
    let sums = RowPrefix::new(rows, cols, |id| if inside(id) { values[id] } else { 0.0 });
    let counts = mask.map(|_| RowPrefix::new(rows, cols, |id| if inside(id) { 1.0 } else { 0.0 }));
    let widths = band_half_widths(grid.cell, band);
    let reach = widths.len() - 1;
    let mut lag = vec![0.0; rows * cols];
    let mut card = vec![0.0; rows * cols];
    for r in 0..rows {
        let out_lag = &mut lag[r * cols..(r + 1) * cols];
        let out_card = &mut card[r * cols..(r + 1) * cols];
        for nr in r.saturating_sub(reach)..(r + reach + 1).min(rows) {
            let half = widths[nr.abs_diff(r)];
            for c in 0..cols {
                let a = c.saturating_sub(half);
                let b = (c + half + 1).min(cols);
                out_lag[c] += sums.window(nr, a, b);
                out_card[c] += match &counts {
                    None => (b - a) as f64,
                    Some(k) => k.window(nr, a, b),
                };
            }
        }
    }
    let Some(mask) = mask else {
        return Ok(standardise(values, &lag, &card));
    };
    // Standardise over the units alone, then spread back to cell ids.
    let pick = |all: &[f64]| -> Vec<f64> {
        all.iter()
            .zip(mask)
            .filter(|(_, m)| **m)
            .map(|(v, _)| *v)
            .collect()
    };
    let within = standardise(&units, &pick(&lag), &pick(&card));
    let mut z = vec![f64::NAN; grid.len()];
    let mut p = vec![f64::NAN; grid.len()];
    let ids = (0..grid.len()).filter(|&id| mask[id]);
    for (k, id) in ids.enumerate() {
        z[id] = within.z[k];
        p[id] = within.p[k];
    }
    Ok(GiStar { z, p })
}

/// Gi* over arbitrary units (grids, villages) with binary weights from neighbour lists; each unit
/// is its own neighbour whether or not its list says so, and repeated entries count once.
pub fn gistar_neighbours(values: &[f64], neighbours: &[Vec<usize>]) -> Result<GiStar, GiStarError> {
    if values.len() != neighbours.len() {
        return Err(GiStarError::Length {
            values: values.len(),
            cells: neighbours.len(),
        });
    }
    check_values(values)?;
    let n = values.len();
    let mut lag = Vec::with_capacity(n);
    let mut card = Vec::with_capacity(n);
    let mut seen = vec![usize::MAX; n];
    for (i, list) in neighbours.iter().enumerate() {
        seen[i] = i;
        let (mut sum, mut count) = (values[i], 1.0);
        for &j in list {
            if j >= n {
                return Err(GiStarError::Neighbour {
                    unit: i,
                    neighbour: j,
                    units: n,
                });
            }
            if seen[j] != i {
                seen[j] = i;
                sum += values[j];
                count += 1.0;
            }
        }
        lag.push(sum);
        card.push(count);
    }
    Ok(standardise(values, &lag, &card))
}

/// Queen contiguity: units sharing at least one vertex (exact coordinates) are neighbours — the rule
/// of libpysal's `Queen`. `rings[i]` holds every ring (outer and holes, all parts) of unit `i`.
pub fn queen_neighbours(rings: &[Vec<Vec<(f64, f64)>>]) -> Vec<Vec<usize>> {
    let mut by_vertex: HashMap<(u64, u64), Vec<usize>> = HashMap::new();
    for (unit, unit_rings) in rings.iter().enumerate() {
        for ring in unit_rings {
            for &(x, y) in ring {
                // +0.0 so that −0.0 and 0.0 are one vertex.
                let key = ((x + 0.0).to_bits(), (y + 0.0).to_bits());
                let units = by_vertex.entry(key).or_default();
                if units.last() != Some(&unit) {
                    units.push(unit);
                }
            }
        }
    }
    let mut neighbours: Vec<Vec<usize>> = vec![Vec::new(); rings.len()];
    for units in by_vertex.values() {
        for &a in units {
            for &b in units {
                if a != b {
                    neighbours[a].push(b);
                }
            }
        }
    }
    for list in &mut neighbours {
        list.sort_unstable();
        list.dedup();
    }
    neighbours
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Straight from the formula with an explicit weights matrix.
    fn brute(grid: &Grid, y: &[f64], band: f64) -> Vec<f64> {
        let n = y.len();
        let mean = y.iter().sum::<f64>() / n as f64;
        let sd = (y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
        (0..n)
            .map(|i| {
                let (xi, yi) = grid.centre(i / grid.cols, i % grid.cols);
                let (mut s, mut w) = (0.0, 0.0);
                for (j, yv) in y.iter().enumerate() {
                    let (xj, yj) = grid.centre(j / grid.cols, j % grid.cols);
                    if ((xi - xj).powi(2) + (yi - yj).powi(2)).sqrt() <= band {
                        s += yv;
                        w += 1.0;
                    }
                }
                let nf = n as f64;
                (s - mean * w) / (sd * ((nf * w - w * w) / (nf - 1.0)).sqrt())
            })
            .collect()
    }

    #[test]
    fn grid_matches_the_formula_with_an_explicit_matrix() {
        let grid = Grid::new(1000.0, 2000.0, 10.0, 13, 9).unwrap();
        let y: Vec<f64> = (0..grid.len())
            .map(|i| ((i * 7919) % 11) as f64 * 0.37)
            .collect();
        for band in [0.0, 10.0, 14.5, 25.0, 31.0, 1000.0] {
            let got = gistar_grid(&grid, &y, band).unwrap();
            let want = brute(&grid, &y, band);
            for (i, (g, w)) in got.z.iter().zip(&want).enumerate() {
                if w.is_nan() {
                    assert!(g.is_nan(), "band {band} cell {i}");
                } else {
                    assert!((g - w).abs() < 1e-12, "band {band} cell {i}: {g} vs {w}");
                }
            }
        }
    }

    #[test]
    fn band_neighbourhood_is_inclusive() {
        assert_eq!(band_half_widths(10.0, 9.9), vec![0]);
        assert_eq!(band_half_widths(10.0, 10.0), vec![1, 0]);
        // √2·10 = 14.14…: the diagonal joins.
        assert_eq!(band_half_widths(10.0, 14.2), vec![1, 1]);
        assert_eq!(band_half_widths(10.0, 50.0), vec![5, 4, 4, 4, 3, 0]);
    }

    #[test]
    fn neighbour_lists_include_self_once() {
        let y = [1.0, 5.0, 2.0, 0.0];
        let a = gistar_neighbours(&y, &[vec![1], vec![0, 2, 2], vec![1, 3], vec![2]]).unwrap();
        let b =
            gistar_neighbours(&y, &[vec![0, 1], vec![1, 0, 2], vec![1, 3, 2], vec![2, 3]]).unwrap();
        assert_eq!(a, b);
        assert!(matches!(
            gistar_neighbours(&y, &[vec![9], vec![], vec![], vec![]]),
            Err(GiStarError::Neighbour { neighbour: 9, .. })
        ));
    }

    #[test]
    fn constant_values_give_undefined_z() {
        let grid = Grid::new(0.0, 0.0, 1.0, 3, 3).unwrap();
        let r = gistar_grid(&grid, &[2.0; 9], 1.0).unwrap();
        assert!(r.z.iter().all(|z| z.is_nan()));
    }

    #[test]
    fn queen_joins_units_touching_at_a_corner() {
        let square = |x: f64, y: f64| {
            vec![vec![
                (x, y),
                (x + 1.0, y),
                (x + 1.0, y + 1.0),
                (x, y + 1.0),
                (x, y),
            ]]
        };
        let units = vec![square(0.0, 0.0), square(1.0, 1.0), square(5.0, 5.0)];
        assert_eq!(queen_neighbours(&units), vec![vec![1], vec![0], vec![]]);
    }

    #[test]
    fn confidence_levels() {
        assert_eq!(Confidence::of(2.6).level(), 3);
        assert_eq!(Confidence::of(1.7), Confidence::Hot90);
        assert_eq!(Confidence::of(-2.0), Confidence::Cold95);
        assert_eq!(Confidence::of(f64::NAN), Confidence::None);
    }
}
