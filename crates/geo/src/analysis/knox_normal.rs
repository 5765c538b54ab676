//! Knox p-values without permutations, for selections whose permutations would cost too much (a
//! dense district-year at 400 m and 14 days: 99 × 155 million pair checks).
//!
//! Each Knox count is a Mantel statistic Γ = Σ_{i<j} a_ij b_ij of two 0/1 matrices (close in space
//! in band s, close in time in band t), and permuting times among events permutes b. The exact
//! mean and variance of Γ over all permutations follow from four numbers per matrix — its ordered
//! pair count P = Σ_{i≠j} a_ij and its squared-degree sum Q = Σ_i (Σ_j a_ij)² (Mantel 1967; Hubert,
//! *Assignment Methods in Combinatorial Data Analysis*, 1987) — and the p-value is the normal upper
//! tail at the observed count with a continuity correction. Unlike Knox's Poisson approximation
//! this keeps the extra variance of clustered events (a hot place's incidents are near each other
//! in space whatever their times).
//!
//! Each event's count of others within each space band comes from a fine grid (a 16th of the
//! largest band): the cells wholly inside an event's circle are counted from the cells' start
//! offsets, a row at a time, and only the events in the cells the circle's edge crosses are
//! measured — a dense district-year has 860 million pairs within 400 m, which are never listed.
//! Time degrees come from the sorted times. The observed table itself is counted as for the
//! permutations (`knox`), once.

use super::stats::normal_sf;

/// Cells of the degree grid beyond which its cells grow.
const MAX_CELLS: usize = 1 << 23;

/// The events sorted row by row into square cells: the events of cells `a..b` of one row are
/// `start[a]..start[b]` (the start offsets are the row's running counts).
struct Cells {
    x0: f64,
    y0: f64,
    size: f64,
    cols: usize,
    rows: usize,
    start: Vec<u32>,
    xs: Vec<f64>,
    ys: Vec<f64>,
}

impl Cells {
    fn new(xs: &[f64], ys: &[f64], reach: f64) -> Cells {
        let min = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
        let max = |v: &[f64]| v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let (x0, y0) = (min(xs), min(ys));
        let (w, h) = (max(xs) - x0, max(ys) - y0);

        let mut size = if reach > 0.0 { reach / 16.0 } else { 1.0 };
        while (w / size + 1.0) * (h / size + 1.0) > MAX_CELLS as f64 {
            size *= 2.0;
        }
        let cols = (w / size) as usize + 1;
        let rows = (h / size) as usize + 1;
        let col = |x: f64| (((x - x0) / size) as usize).min(cols - 1);
        let row = |y: f64| (((y - y0) / size) as usize).min(rows - 1);
        let cell_of = |i: usize| row(ys[i]) * cols + col(xs[i]);
        let mut start = vec![0u32; cols * rows + 1];
        for i in 0..xs.len() {
            start[cell_of(i) + 1] += 1;
        }
        for c in 0..cols * rows {
            start[c + 1] += start[c];
        }
        let mut fill = start.clone();
        let (mut sx, mut sy) = (vec![0.0; xs.len()], vec![0.0; xs.len()]);
        for i in 0..xs.len() {
            let c = cell_of(i);
            sx[fill[c] as usize] = xs[i];
            sy[fill[c] as usize] = ys[i];
            fill[c] += 1;
        }
        Cells {
            x0,
            y0,
            size,
            cols,
            rows,
            start,
            xs: sx,
            ys: sy,
        }
    }

    /// Events within `r` of (x, y), the event itself included, and the events measured one by one.
    fn within(&self, x: f64, y: f64, r: f64) -> (u64, u64) {
        let (r2, c) = (r * r, self.size);
        // A cell counts whole only when it is inside the circle with a margin: an event's cell
        // is found by floating division, which may put it a hair into its neighbour.
        let margin = c * 1e-6;
        if y + r < self.y0 || x + r < self.x0 {
            return (0, 0);
        }
        let lo = |v: f64, v0: f64| ((v - v0) / c).floor().max(0.0) as usize;
        let (row_lo, row_hi) = (lo(y - r, self.y0), lo(y + r, self.y0).min(self.rows - 1));
        let (mut count, mut measured) = (0u64, 0u64);
        for row in row_lo..=row_hi {
            let bottom = self.y0 + row as f64 * c - margin;
            let top = bottom + c + 2.0 * margin;
            let dy_near = (bottom - y).max(y - top).max(0.0);
            if dy_near * dy_near > r2 {
                continue;
            }
            let dy_far = (y - bottom).abs().max((top - y).abs());
            let reach_x = (r2 - dy_near * dy_near).sqrt();
            let (col_lo, col_hi) = (
                lo(x - reach_x, self.x0),
                lo(x + reach_x, self.x0).min(self.cols - 1),
            );
            if x + reach_x < self.x0 || col_lo > col_hi {
                continue;
            }
            // Cells whose every corner (with the margin) is within r: [in_lo, in_hi).
            let (mut in_lo, mut in_hi) = (col_hi + 1, col_hi + 1);
            if dy_far * dy_far < r2 {
                let half = (r2 - dy_far * dy_far).sqrt();
                let first = ((x - half - self.x0 + margin) / c).ceil().max(0.0) as usize;
                let end =
                    (((x + half - self.x0 - margin) / c).floor().max(0.0) as usize).min(col_hi + 1);
                if first < end {
                    (in_lo, in_hi) = (first.max(col_lo), end);
                }
            }
            let base = row * self.cols;
            if in_lo < in_hi {
                count += u64::from(self.start[base + in_hi] - self.start[base + in_lo]);
            }
            let mut measure = |cells: std::ops::Range<usize>| {
                if cells.is_empty() {
                    return;
                }
                let (a, b) = (
                    self.start[base + cells.start] as usize,
                    self.start[base + cells.end] as usize,
                );
                measured += (b - a) as u64;
                for k in a..b {
                    let (dx, dy) = (self.xs[k] - x, self.ys[k] - y);
                    count += u64::from(dx * dx + dy * dy <= r2);
                }
            };
            if in_lo < in_hi {
                measure(col_lo..in_lo);
                measure(in_hi..col_hi + 1);
            } else {
                measure(col_lo..col_hi + 1);
            }
        }
        (count, measured)
    }
}

/// Each event's count of others within δ_s for every space band (cumulative: d ≤ δ_s), or
/// `Err(measured)` once the events measured one by one pass `budget`.
pub(super) fn space_degrees(
    xs: &[f64],
    ys: &[f64],
    squares: &[f64],
    budget: u64,
) -> Result<Vec<Vec<u32>>, u64> {
    let radii: Vec<f64> = squares.iter().map(|s| s.sqrt()).collect();
    let cells = Cells::new(xs, ys, *radii.last().expect("bands checked non-empty"));
    let n = xs.len();
    let threads = super::cores().clamp(1, n.max(1));
    let chunk = n.div_ceil(threads);
    let parts: Vec<Result<Vec<Vec<u32>>, u64>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|w| {
                let (cells, radii) = (&cells, &radii);
                scope.spawn(move || {
                    let events = (w * chunk).min(n)..((w + 1) * chunk).min(n);
                    let mut out = vec![Vec::with_capacity(events.len()); radii.len()];
                    let mut measured = 0u64;
                    let share = budget / threads as u64;
                    for i in events {
                        for (s, &r) in radii.iter().enumerate() {
                            let (count, m) = cells.within(xs[i], ys[i], r);
                            measured += m;
                            out[s].push(count.saturating_sub(1) as u32);
                        }
                        if measured > share {
                            return Err(measured * threads as u64);
                        }
                    }
                    Ok(out)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a degree thread"))
            .collect()
    });
    let mut all = vec![Vec::with_capacity(n); radii.len()];
    for part in parts {
        for (a, b) in all.iter_mut().zip(part?) {
            a.extend(b);
        }
    }
    Ok(all)
}

/// Each event's pairs with |Δt| ≤ τ_t for every time band, from the sorted times.
fn time_degrees(ts: &[f64], time_bands: &[f64]) -> Vec<Vec<u32>> {
    let mut sorted = ts.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    time_bands
        .iter()
        .map(|&tau| {
            ts.iter()
                .map(|&t| {
                    let lo = sorted.partition_point(|&u| u < t - tau);
                    let hi = sorted.partition_point(|&u| u <= t + tau);
                    (hi - lo - 1) as u32
                })
                .collect()
        })
        .collect()
}

/// A matrix as the moments need it: ordered pairs P and squared-degree sum Q.
#[derive(Clone, Copy, Debug, PartialEq)]
struct PairSums {
    p: u128,
    q: u128,
}

impl PairSums {
    fn of(degrees: impl Iterator<Item = u64>) -> PairSums {
        let (mut p, mut q) = (0u128, 0u128);
        for d in degrees {
            p += u128::from(d);
            q += u128::from(d) * u128::from(d);
        }
        PairSums { p, q }
    }
}

/// Mean and variance of Σ_{i<j} a_ij b_{π(i)π(j)} over the uniformly random permutations π of
/// `n` ≥ 4 events. With ordered quantities (Γ_o = 2Γ): E Γ_o = P_a P_b / n₂ and
/// E Γ_o² = 2 P_a P_b / n₂ + 4 (Q_a − P_a)(Q_b − P_b) / n₃ + (P_a² + 2P_a − 4Q_a)(P_b² + 2P_b − 4Q_b) / n₄
/// (pairs sharing both, one or no event), n_k the falling factorials. The P_a²P_b² parts of E Γ_o²
/// and (E Γ_o)² are taken together exactly, P_a²P_b² (4n − 6) / (n₂ n₄), so no large number is
/// subtracted from another.
fn permutation_moments(n: u64, a: PairSums, b: PairSums) -> (f64, f64) {
    let nf = n as f64;
    let n2 = nf * (nf - 1.0);
    let n3 = n2 * (nf - 2.0);
    let n4 = n3 * (nf - 3.0);
    let (pa, pb) = (a.p as f64, b.p as f64);
    let (qa, qb) = (a.q as f64, b.q as f64);
    // 2P − 4Q and Q − P exactly, before rounding.
    let xa = 2.0 * pa - 4.0 * qa;
    let xb = 2.0 * pb - 4.0 * qb;
    let (ra, rb) = ((a.q - a.p) as f64, (b.q - b.p) as f64);
    let mean = pa * pb / n2;
    let var = 2.0 * pa * pb / n2
        + 4.0 * ra * rb / n3
        + (pa * pa * xb + xa * pb * pb + xa * xb) / n4
        + pa * pa * pb * pb * (4.0 * nf - 6.0) / (n2 * n4);
    (mean / 2.0, (var / 4.0).max(0.0))
}

/// P(count ≥ observed) under the normal law of the permutation moments, with a continuity
/// correction; 1 when the count cannot vary.
fn upper_p(observed: u64, (mean, var): (f64, f64)) -> f64 {
    if var <= 0.0 {
        return if observed as f64 > mean + 0.5 {
            0.0
        } else {
            1.0
        };
    }
    normal_sf((observed as f64 - 0.5 - mean) / var.sqrt())
}

/// The p-values of the band table (S+1 × T+1) and of the cumulative table (S × T).
pub(super) fn p_values(
    ts: &[f64],
    time_bands: &[f64],
    space_cum: &[Vec<u32>],
    observed: &[Vec<u64>],
    cumulative: &[Vec<u64>],
) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
    let (space, time, n) = (space_cum.len(), time_bands.len(), ts.len());
    let rest = (n - 1) as u64;
    // Degrees per band (the last band: every other pair), space then time.
    let band_of = |cum: &[Vec<u32>], b: usize, i: usize| {
        let below = if b > 0 { cum[b - 1][i] } else { 0 };
        u64::from(cum[b][i] - below)
    };
    let time_cum = time_degrees(ts, time_bands);
    let mut space_band: Vec<PairSums> = (0..space)
        .map(|s| PairSums::of((0..n).map(|i| band_of(space_cum, s, i))))
        .collect();
    space_band.push(PairSums::of(
        space_cum[space - 1].iter().map(|&d| rest - u64::from(d)),
    ));
    let mut time_band: Vec<PairSums> = (0..time)
        .map(|t| PairSums::of((0..n).map(|i| band_of(&time_cum, t, i))))
        .collect();
    time_band.push(PairSums::of(
        time_cum[time - 1].iter().map(|&d| rest - u64::from(d)),
    ));
    let band = (0..=space)
        .map(|s| {
            (0..=time)
                .map(|t| {
                    let m = permutation_moments(n as u64, space_band[s], time_band[t]);
                    upper_p(observed[s][t], m)
                })
                .collect()
        })
        .collect();
    let space_c: Vec<PairSums> = (0..space)
        .map(|s| PairSums::of(space_cum[s].iter().map(|&d| u64::from(d))))
        .collect();
    let time_c: Vec<PairSums> = (0..time)
        .map(|t| PairSums::of(time_cum[t].iter().map(|&d| u64::from(d))))
        .collect();
    let cum = (0..space)
        .map(|s| {
            (0..time)
                .map(|t| {
                    let m = permutation_moments(n as u64, space_c[s], time_c[t]);
                    upper_p(cumulative[s][t], m)
                })
                .collect()
        })
        .collect();
    (band, cum)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every permutation of `items` (Heap's algorithm).
    fn permutations(items: &mut [f64], k: usize, out: &mut Vec<Vec<f64>>) {
        if k <= 1 {
            out.push(items.to_vec());
            return;
        }
        for i in 0..k {
            permutations(items, k - 1, out);
            let j = if k.is_multiple_of(2) { i } else { 0 };
            items.swap(j, k - 1);
        }
    }

    #[test]
    fn moments_equal_the_mean_and_variance_over_every_permutation() {
        // Seven events, some close in space and time, some repeated times (ties).
        let xs: [f64; 7] = [0.0, 30.0, 60.0, 200.0, 210.0, 400.0, 35.0];
        let ys: [f64; 7] = [0.0, 10.0, 0.0, 50.0, 40.0, 300.0, 5.0];
        let ts = [0.0, 1.0, 1.0, 5.0, 9.0, 2.0, 20.0];
        let (space, time) = ([50.0f64, 250.0], [1.0, 5.0]);
        let squares: Vec<f64> = space.iter().map(|b| b * b).collect();
        let table = |t: &[f64]| {
            let mut table = vec![vec![0u64; 3]; 3];
            for i in 0..7 {
                for j in i + 1..7 {
                    let d2 = (xs[i] - xs[j]).powi(2) + (ys[i] - ys[j]).powi(2);
                    let s = squares.partition_point(|&b| b < d2);
                    let dt = (t[i] - t[j]).abs();
                    table[s][time.partition_point(|&b| b < dt)] += 1;
                }
            }
            table
        };
        let mut all = Vec::new();
        permutations(&mut ts.clone(), 7, &mut all);
        assert_eq!(all.len(), 5040);
        let tables: Vec<Vec<Vec<u64>>> = all.iter().map(|t| table(t)).collect();
        let cum = space_degrees(&xs, &ys, &squares, u64::MAX).unwrap();
        let time_cum = time_degrees(&ts, &time);
        let rest = 6u64;
        let space_sums = |s: usize| -> PairSums {
            PairSums::of((0..7).map(|k| match s {
                0 => u64::from(cum[0][k]),
                1 => u64::from(cum[1][k] - cum[0][k]),
                _ => rest - u64::from(cum[1][k]),
            }))
        };
        let time_sums = |t: usize| -> PairSums {
            PairSums::of((0..7).map(|i| match t {
                0 => u64::from(time_cum[0][i]),
                1 => u64::from(time_cum[1][i] - time_cum[0][i]),
                _ => rest - u64::from(time_cum[1][i]),
            }))
        };
        for s in 0..3 {
            for t in 0..3 {
                let counts: Vec<f64> = tables.iter().map(|tb| tb[s][t] as f64).collect();
                let mean = counts.iter().sum::<f64>() / counts.len() as f64;
                let var =
                    counts.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / counts.len() as f64;
                let (m, v) = permutation_moments(7, space_sums(s), time_sums(t));
                assert!((m - mean).abs() < 1e-9, "cell {s},{t}: mean {m} vs {mean}");
                assert!(
                    (v - var).abs() < 1e-9,
                    "cell {s},{t}: variance {v} vs {var}"
                );
            }
        }
    }

    #[test]
    fn space_degrees_count_every_neighbour_within_each_band() {
        // A clustered cloud across many cells, and points on the grid's lines.
        let mut seed = 7u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        let (mut xs, mut ys) = (Vec::new(), Vec::new());
        for i in 0..1500 {
            let spread = if i % 3 == 0 { 80.0 } else { 3000.0 };
            xs.push(1000.0 + next() * spread);
            ys.push(2000.0 + next() * spread);
        }
        for i in 0..300 {
            // Multiples of the cell (400 / 16 = 25 m, and half of it) and pairs exactly a band apart.
            xs.push(1000.0 + (i % 20) as f64 * 12.5);
            ys.push(2000.0 + (i / 20) as f64 * 25.0);
        }
        xs.extend([5000.0, 5100.0, 5000.0]);
        ys.extend([5000.0, 5000.0, 5400.0]);
        let space = [100.0f64, 250.0, 400.0];
        let squares: Vec<f64> = space.iter().map(|b| b * b).collect();
        let got = space_degrees(&xs, &ys, &squares, u64::MAX).unwrap();
        for i in 0..xs.len() {
            for (s, sq) in squares.iter().enumerate() {
                let want = (0..xs.len())
                    .filter(|&j| j != i && (xs[i] - xs[j]).powi(2) + (ys[i] - ys[j]).powi(2) <= *sq)
                    .count() as u32;
                assert_eq!(
                    got[s][i], want,
                    "event {i} at ({}, {}), band {s}",
                    xs[i], ys[i]
                );
            }
        }
        let n = xs.len();
        assert_eq!(got[0][n - 3], 1, "100 m exactly is within the first band");
        assert_eq!(
            got[2][n - 1],
            1,
            "400 m exactly is within the last band (412 m is not)"
        );
        // A budget below the events measured one by one stops the count.
        assert!(space_degrees(&xs, &ys, &squares, 10).is_err());
    }
}
