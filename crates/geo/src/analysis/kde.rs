//! Kernel density at the centres of a [`Grid`]'s cells (scikit-learn's `KernelDensity` with
//! `atol = rtol = 0`, as a density rather than its log):
//!
//! - Gaussian, h = sigma: f(p) = 1/(W 2π h²) Σ w_i exp(−|p−x_i|²/2h²);
//! - Epanechnikov, h = support radius: f(p) = 2/(W π h²) Σ w_i max(0, 1 − |p−x_i|²/h²);
//!
//! with W = n, or Σ w_i when weights are given.
//!
//! The Gaussian factorises into an x and a y term, and cell centres lie on lines, so each point adds
//! an outer product `gy ⊗ gx` to the surface — two short vectors of exponentials instead of one
//! exponential per cell. Terms are dropped only where one factor is below ε, each dropped term is at
//! most `w_i ε / (W 2π h²)`, so the whole error at any cell is at most `ε / (2π h²)`; ε is chosen from
//! a lower bound of the peak so that this is ≤ 1e-12 × peak in [`Accuracy::Exact`] (the remaining
//! budget up to 1e-10 covers rounding) or the caller's bound in [`Accuracy::Within`]. The bound
//! actually achieved is returned with the surface. The Epanechnikov kernel has compact support and is
//! summed without truncation.

use serde::Serialize;

use super::grid::Grid;

/// Kernel shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kernel {
    /// exp(−d²/2h²), h the standard deviation.
    Gaussian,
    /// 1 − d²/h² inside d < h.
    Epanechnikov,
}

impl std::str::FromStr for Kernel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "gaussian" => Ok(Self::Gaussian),
            "epanechnikov" => Ok(Self::Epanechnikov),
            other => Err(format!(
                "unknown kernel {other:?} (gaussian or epanechnikov)"
            )),
        }
    }
}

/// How close to the exact sum the surface must be, relative to its peak.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Accuracy {
    /// Error ≤ 1e-10 × peak (truncation ≤ 1e-12 × peak, the rest for rounding).
    Exact,
    /// Error ≤ the given fraction of the peak (e.g. 1e-4), for speed.
    Within(f64),
}

/// Why a density cannot be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum KdeError {
    /// Bandwidth not positive and finite.
    #[error("bandwidth must be a positive number, got {0}")]
    Bandwidth(f64),
    /// Inputs of different lengths.
    #[error("{xs} x values, {ys} y values and {weights} weights")]
    Length {
        /// x values.
        xs: usize,
        /// y values.
        ys: usize,
        /// Weights (or xs when unweighted).
        weights: usize,
    },
    /// A coordinate or weight is not finite, or a weight is negative.
    #[error("point {index}: {what}")]
    Point {
        /// Index of the point.
        index: usize,
        /// What is wrong.
        what: &'static str,
    },
    /// No points, or weights summing to zero.
    #[error("no weight to spread: {0}")]
    NoWeight(&'static str),
    /// The accuracy asked for is not a fraction in (0, 1), or tighter than exact.
    #[error("accuracy must be between 1e-12 and 1, got {0}")]
    Accuracy(f64),
}

/// A density surface and how exact it is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Density {
    /// Density per cell, indexed by `cell_id`.
    pub density: Vec<f64>,
    /// Largest value of `density`.
    pub peak: f64,
    /// Upper bound of the truncation error at any cell (0 when nothing was dropped).
    pub truncation_bound: f64,
}

/// Computes the density of the points at every cell centre of `grid`.
pub fn kde_grid(
    grid: &Grid,
    xs: &[f64],
    ys: &[f64],
    weights: Option<&[f64]>,
    kernel: Kernel,
    bandwidth: f64,
    accuracy: Accuracy,
) -> Result<Density, KdeError> {
    if !(bandwidth.is_finite() && bandwidth > 0.0) {
        return Err(KdeError::Bandwidth(bandwidth));
    }
    let budget = match accuracy {
        Accuracy::Exact => 1e-12,
        Accuracy::Within(f) if (1e-12..1.0).contains(&f) => f,
        Accuracy::Within(f) => return Err(KdeError::Accuracy(f)),
    };
    let n = xs.len();
    let w_len = weights.map_or(n, <[f64]>::len);
    if ys.len() != n || w_len != n {
        return Err(KdeError::Length {
            xs: n,
            ys: ys.len(),
            weights: w_len,
        });
    }
    if n == 0 {
        return Err(KdeError::NoWeight("no points"));
    }
    for i in 0..n {
        if !(xs[i].is_finite() && ys[i].is_finite()) {
            return Err(KdeError::Point {
                index: i,
                what: "coordinate is not a finite number",
            });
        }
        if let Some(w) = weights
            && !(w[i].is_finite() && w[i] >= 0.0)
        {
            return Err(KdeError::Point {
                index: i,
                what: "weight must be a non-negative number",
            });
        }
    }
    let total: f64 = weights.map_or(n as f64, |w| w.iter().sum());
    if total <= 0.0 {
        return Err(KdeError::NoWeight("weights sum to zero"));
    }
    let weight = |i: usize| weights.map_or(1.0, |w| w[i]);
    let mut density = vec![0.0; grid.len()];
    let truncation_bound = match kernel {
        Kernel::Gaussian => gaussian(
            grid,
            xs,
            ys,
            &weight,
            total,
            bandwidth,
            budget,
            &mut density,
        ),
        Kernel::Epanechnikov => {
            epanechnikov(grid, xs, ys, &weight, total, bandwidth, &mut density);
            0.0
        }
    };
    let peak = density.iter().copied().fold(0.0, f64::max);
    Ok(Density {
        density,
        peak,
        truncation_bound,
    })
}

/// Inclusive index range of the cell centres within `[lo, hi]` along one axis (`origin + (k+½)C`),
/// clipped to `0..count`; `None` when empty.
fn centres_between(
    lo: f64,
    hi: f64,
    origin: f64,
    cell: f64,
    count: usize,
) -> Option<(usize, usize)> {
    let first = ((lo - origin) / cell - 0.5).ceil().max(0.0);
    let last = ((hi - origin) / cell - 0.5).floor().min(count as f64 - 1.0);
    (first <= last).then_some((first as usize, last as usize))
}

/// Index of the cell centre nearest to `v` along one axis, clipped to the grid.
fn nearest_centre(v: f64, origin: f64, cell: f64, count: usize) -> usize {
    ((v - origin) / cell - 0.5)
        .round()
        .clamp(0.0, count as f64 - 1.0) as usize
}

#[allow(clippy::too_many_arguments)]
fn gaussian(
    grid: &Grid,
    xs: &[f64],
    ys: &[f64],
    weight: &dyn Fn(usize) -> f64,
    total: f64,
    h: f64,
    budget: f64,
    density: &mut [f64],
) -> f64 {
    let norm = 1.0 / (total * 2.0 * std::f64::consts::PI * h * h);
    let inv2h2 = 1.0 / (2.0 * h * h);
    // Lower bound of the peak: each point's own term at its nearest cell centre.
    let mut floor = 0.0f64;
    for i in 0..xs.len() {
        let (cx, cy) = grid.centre(
            nearest_centre(ys[i], grid.y0, grid.cell, grid.rows),
            nearest_centre(xs[i], grid.x0, grid.cell, grid.cols),
        );
        let d2 = (cx - xs[i]).powi(2) + (cy - ys[i]).powi(2);
        floor = floor.max(norm * weight(i) * (-d2 * inv2h2).exp());
    }
    // Whole error ≤ norm · ε · total = ε / (2πh²); make that ≤ budget · floor.
    let eps = budget * floor / (norm * total);
    let cut = if eps > 0.0 && eps < 1.0 {
        h * (2.0 * (1.0 / eps).ln()).sqrt()
    } else {
        f64::INFINITY
    };
    let truncation_bound = if cut.is_finite() {
        norm * eps * total
    } else {
        0.0
    };

    // Points in order of y, so that consecutive points touch neighbouring rows of the surface.
    let mut order: Vec<usize> = (0..xs.len()).collect();
    order.sort_unstable_by(|&a, &b| ys[a].total_cmp(&ys[b]));
    let mut gx = Vec::new();
    let mut gy = Vec::new();
    for i in order {
        let (x, y, w) = (xs[i], ys[i], weight(i));
        if w == 0.0 {
            continue;
        }
        let Some((c0, c1)) = centres_between(x - cut, x + cut, grid.x0, grid.cell, grid.cols)
        else {
            continue;
        };
        let Some((r0, r1)) = centres_between(y - cut, y + cut, grid.y0, grid.cell, grid.rows)
        else {
            continue;
        };
        gx.clear();
        gx.extend((c0..=c1).map(|c| {
            let dx = grid.x0 + (c as f64 + 0.5) * grid.cell - x;
            (-dx * dx * inv2h2).exp()
        }));
        gy.clear();
        gy.extend((r0..=r1).map(|r| {
            let dy = grid.y0 + (r as f64 + 0.5) * grid.cell - y;
            norm * w * (-dy * dy * inv2h2).exp()
        }));
        for (k, &a) in gy.iter().enumerate() {
            let row = (r0 + k) * grid.cols;
            simd::axpy(a, &gx, &mut density[row + c0..=row + c1]);
        }
    }
    truncation_bound
}

fn epanechnikov(
    grid: &Grid,
    xs: &[f64],
    ys: &[f64],
    weight: &dyn Fn(usize) -> f64,
    total: f64,
    h: f64,
    density: &mut [f64],
) {
    let norm = 2.0 / (total * std::f64::consts::PI * h * h);
    let inv_h2 = 1.0 / (h * h);
    let mut q = Vec::new();
    for i in 0..xs.len() {
        let (x, y, w) = (xs[i], ys[i], weight(i));
        if w == 0.0 {
            continue;
        }
        let Some((c0, c1)) = centres_between(x - h, x + h, grid.x0, grid.cell, grid.cols) else {
            continue;
        };
        let Some((r0, r1)) = centres_between(y - h, y + h, grid.y0, grid.cell, grid.rows) else {
            continue;
        };
        q.clear();
        q.extend((c0..=c1).map(|c| {
            let dx = grid.x0 + (c as f64 + 0.5) * grid.cell - x;
            dx * dx * inv_h2
        }));
        let cw = norm * w;
        for r in r0..=r1 {
            let dy = grid.y0 + (r as f64 + 0.5) * grid.cell - y;
            let a = 1.0 - dy * dy * inv_h2;
            if a <= 0.0 {
                continue;
            }
            let row = r * grid.cols;
            simd::add_clipped(cw, a, &q, &mut density[row + c0..=row + c1]);
        }
    }
}

/// The two inner loops, compiled twice on x86-64: for the baseline and for AVX2+FMA, chosen at run
/// time (the binary must run on any x86-64 server of the network).
mod simd {
    #[inline(always)]
    fn axpy_plain(a: f64, x: &[f64], y: &mut [f64]) {
        for (y, x) in y.iter_mut().zip(x) {
            *y += a * x;
        }
    }

    #[inline(always)]
    fn add_clipped_plain(scale: f64, a: f64, q: &[f64], y: &mut [f64]) {
        for (y, q) in y.iter_mut().zip(q) {
            *y += scale * (a - q).max(0.0);
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn axpy_avx2(a: f64, x: &[f64], y: &mut [f64]) {
        axpy_plain(a, x, y)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn add_clipped_avx2(scale: f64, a: f64, q: &[f64], y: &mut [f64]) {
        add_clipped_plain(scale, a, q, y)
    }

    #[cfg(target_arch = "x86_64")]
    fn has_avx2() -> bool {
        std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
    }

    /// y += a·x
    pub(super) fn axpy(a: f64, x: &[f64], y: &mut [f64]) {
        #[cfg(target_arch = "x86_64")]
        if has_avx2() {
            // SAFETY: the CPU has just been checked for AVX2 and FMA.
            return unsafe { axpy_avx2(a, x, y) };
        }
        axpy_plain(a, x, y)
    }

    /// y += scale·max(0, a − q)
    pub(super) fn add_clipped(scale: f64, a: f64, q: &[f64], y: &mut [f64]) {
        #[cfg(target_arch = "x86_64")]
        if has_avx2() {
            // SAFETY: the CPU has just been checked for AVX2 and FMA.
            return unsafe { add_clipped_avx2(scale, a, q, y) };
        }
        add_clipped_plain(scale, a, q, y)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute(
        grid: &Grid,
        xs: &[f64],
        ys: &[f64],
        w: Option<&[f64]>,
        kernel: Kernel,
        h: f64,
    ) -> Vec<f64> {
        let total: f64 = w.map_or(xs.len() as f64, |w| w.iter().sum());
        (0..grid.len())
            .map(|cell| {
                let (px, py) = grid.centre(cell / grid.cols, cell % grid.cols);
                let mut s = 0.0;
                for i in 0..xs.len() {
                    let d2 = (px - xs[i]).powi(2) + (py - ys[i]).powi(2);
                    let wi = w.map_or(1.0, |w| w[i]);
                    s += wi
                        * match kernel {
                            Kernel::Gaussian => {
                                (-d2 / (2.0 * h * h)).exp() / (2.0 * std::f64::consts::PI * h * h)
                            }
                            Kernel::Epanechnikov => {
                                2.0 * (1.0 - d2 / (h * h)).max(0.0) / (std::f64::consts::PI * h * h)
                            }
                        };
                }
                s / total
            })
            .collect()
    }

    fn points(n: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let mut s = 12345u64;
        let mut next = || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        let xs = (0..n)
            .map(|_| 500_000.0 + next() * 1200.0 - 100.0)
            .collect();
        let ys = (0..n)
            .map(|_| 3_000_000.0 + next() * 900.0 - 100.0)
            .collect();
        let ws = (0..n).map(|_| next() * 3.0).collect();
        (xs, ys, ws)
    }

    #[test]
    fn both_kernels_equal_the_direct_sum_within_the_bound() {
        let grid = Grid::new(500_000.0, 3_000_000.0, 25.0, 40, 28).unwrap();
        let (xs, ys, ws) = points(300);
        for kernel in [Kernel::Gaussian, Kernel::Epanechnikov] {
            for h in [12.0, 60.0, 400.0] {
                for w in [None, Some(&ws[..])] {
                    let got = kde_grid(&grid, &xs, &ys, w, kernel, h, Accuracy::Exact).unwrap();
                    let want = brute(&grid, &xs, &ys, w, kernel, h);
                    let peak = want.iter().copied().fold(0.0, f64::max);
                    assert!(got.truncation_bound <= 1e-12 * got.peak);
                    for (g, e) in got.density.iter().zip(&want) {
                        assert!(
                            (g - e).abs() <= 1e-10 * peak,
                            "{kernel:?} h={h}: {g} vs {e}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn fast_mode_keeps_its_stated_bound() {
        let grid = Grid::new(500_000.0, 3_000_000.0, 25.0, 40, 28).unwrap();
        let (xs, ys, _) = points(300);
        let got = kde_grid(
            &grid,
            &xs,
            &ys,
            None,
            Kernel::Gaussian,
            60.0,
            Accuracy::Within(1e-4),
        )
        .unwrap();
        let want = brute(&grid, &xs, &ys, None, Kernel::Gaussian, 60.0);
        let peak = want.iter().copied().fold(0.0, f64::max);
        assert!(got.truncation_bound > 0.0 && got.truncation_bound <= 1e-4 * got.peak);
        let worst = got
            .density
            .iter()
            .zip(&want)
            .map(|(g, e)| (g - e).abs())
            .fold(0.0, f64::max);
        assert!(
            worst <= got.truncation_bound + 1e-12 * peak,
            "{worst} > {}",
            got.truncation_bound
        );
    }

    #[test]
    fn bad_input_is_refused() {
        let grid = Grid::new(0.0, 0.0, 1.0, 2, 2).unwrap();
        let k = Kernel::Gaussian;
        assert_eq!(
            kde_grid(&grid, &[0.5], &[0.5], None, k, 0.0, Accuracy::Exact),
            Err(KdeError::Bandwidth(0.0))
        );
        assert!(matches!(
            kde_grid(
                &grid,
                &[0.5],
                &[0.5],
                Some(&[-1.0]),
                k,
                1.0,
                Accuracy::Exact
            ),
            Err(KdeError::Point { index: 0, .. })
        ));
        assert!(matches!(
            kde_grid(&grid, &[], &[], None, k, 1.0, Accuracy::Exact),
            Err(KdeError::NoWeight(_))
        ));
        assert!(matches!(
            kde_grid(&grid, &[0.5], &[0.5], Some(&[0.0]), k, 1.0, Accuracy::Exact),
            Err(KdeError::NoWeight(_))
        ));
    }
}
