//! Near-repeat analysis (Knox test), as the Ratcliffe near-repeat calculator reports it.
//!
//! Over all unordered pairs of events, a pair is close in space at band δ iff d ≤ δ and close in
//! time at band τ iff |Δt| ≤ τ (both inclusive). Results:
//!
//! - `observed[s][t]`: pairs whose distance falls in space band s — (δ_{s−1}, δ_s], the first from 0
//!   inclusive, the last row "beyond the last δ" — and whose time gap falls in time band t (likewise);
//! - `expected[s][t]` = row total × column total / pairs, the exact mean of `observed` when times are
//!   permuted among events, and `ratio` = observed / expected (the Knox ratio);
//! - cumulative counts `c[δ][τ]` (pairs with d ≤ δ and |Δt| ≤ τ), `ns[δ]`, `nt[τ]` — pointpats'
//!   `NST`, `NS`, `NT` for each pair of thresholds;
//! - Monte-Carlo p-values: times shuffled among events `permutations` times with a seeded ChaCha8
//!   generator (the same seed gives the same p-values); p = (1 + #{permuted ≥ observed}) / (N + 1).
//!   When the permutations would exceed the caller's work budget ([`knox_within`]), the p-values
//!   come from the permutation distribution's exact mean and variance instead (`knox_normal`):
//!   [`PMethod::Normal`].
//!
//! Only pairs within the largest space band are ever listed (found through a hash grid of that
//! size); the counts beyond it follow from the time-band totals, which permutations do not change.

use std::collections::HashMap;

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::{cores, knox_normal};

/// Why the test cannot run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum KnoxError {
    /// Inputs of different lengths.
    #[error("{xs} x values, {ys} y values and {ts} times")]
    Length {
        /// x values.
        xs: usize,
        /// y values.
        ys: usize,
        /// Times.
        ts: usize,
    },
    /// Fewer than two events.
    #[error("the Knox test needs at least two events")]
    TooFew,
    /// A coordinate or time is not finite.
    #[error("event {0}: coordinate or time is not a finite number")]
    NotFinite(usize),
    /// Bands empty, negative, not finite or not increasing.
    #[error("{which} bands must be non-negative numbers in increasing order, got {bands:?}")]
    Bands {
        /// "space" or "time".
        which: &'static str,
        /// The bands given.
        bands: Vec<f64>,
    },
    /// The permutations would compare more pairs than the caller allows.
    #[error(
        "the permutations would compare {checks} pairs close in space and time (at most {budget}); choose smaller bands or fewer events"
    )]
    TooMuchWork {
        /// Pair comparisons the permutations need.
        checks: u64,
        /// What the caller allows.
        budget: u64,
    },
    /// Too many events for 32-bit pair indices.
    #[error("at most {max} events, got {got}")]
    TooMany {
        /// The limit.
        max: usize,
        /// Events given.
        got: usize,
    },
}

/// Bounds on one test's work, in pair checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// All permutations together; beyond it none run and the p-values come from the permutation
    /// moments ([`PMethod::Normal`]).
    pub permutations: u64,
    /// Counting the observed table, and each event's neighbours for the moments; beyond it the
    /// test is refused ([`KnoxError::TooMuchWork`]).
    pub counting: u64,
}

impl Budget {
    /// No bound: every permutation runs.
    pub const UNLIMITED: Budget = Budget {
        permutations: u64::MAX,
        counting: u64::MAX,
    };

    /// The same bound for both.
    pub fn checks(checks: u64) -> Budget {
        Budget {
            permutations: checks,
            counting: checks,
        }
    }
}

/// Parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct KnoxOptions {
    /// Space thresholds δ, increasing (same unit as the coordinates).
    pub space_bands: Vec<f64>,
    /// Time thresholds τ, increasing (same unit as the times, e.g. days).
    pub time_bands: Vec<f64>,
    /// Monte-Carlo permutations (0 for none).
    pub permutations: usize,
    /// Seed of the permutation generator.
    pub seed: u64,
}

/// How the p-values were found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PMethod {
    /// Monte-Carlo: times permuted among events `permutations` times.
    Permutation,
    /// The normal upper tail with the exact permutation mean and variance (Mantel 1967), with a
    /// continuity correction: no permutation run.
    Normal,
}

/// The Knox tables.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Knox {
    /// Events.
    pub events: usize,
    /// Unordered pairs, n(n−1)/2.
    pub pairs: u64,
    /// The space thresholds.
    pub space_bands: Vec<f64>,
    /// The time thresholds.
    pub time_bands: Vec<f64>,
    /// Pairs per (space band, time band), each with a last "beyond" band: (S+1) × (T+1).
    pub observed: Vec<Vec<u64>>,
    /// Expected pairs per band cell under no space-time interaction.
    pub expected: Vec<Vec<f64>>,
    /// observed / expected (null where expected is 0).
    pub ratio: Vec<Vec<Option<f64>>>,
    /// Monte-Carlo p-value per band cell (empty without permutations).
    pub p_observed: Vec<Vec<f64>>,
    /// `c[s][t]`: pairs with d ≤ δ_s and |Δt| ≤ τ_t (S × T).
    pub c: Vec<Vec<u64>>,
    /// `ns[s]`: pairs with d ≤ δ_s.
    pub ns: Vec<u64>,
    /// `nt[t]`: pairs with |Δt| ≤ τ_t.
    pub nt: Vec<u64>,
    /// ns·nt/pairs per (s, t).
    pub c_expected: Vec<Vec<f64>>,
    /// Monte-Carlo p-value per cumulative cell (empty without permutations).
    pub p_c: Vec<Vec<f64>>,
    /// Permutations run (0 with [`PMethod::Normal`]).
    pub permutations: usize,
    /// Their seed.
    pub seed: u64,
    /// How the p-values were found.
    pub p_method: PMethod,
}

fn check_bands(which: &'static str, bands: &[f64]) -> Result<(), KnoxError> {
    let ok = !bands.is_empty()
        && bands.iter().all(|b| b.is_finite() && *b >= 0.0)
        && bands.windows(2).all(|w| w[0] < w[1]);
    if ok {
        Ok(())
    } else {
        Err(KnoxError::Bands {
            which,
            bands: bands.to_vec(),
        })
    }
}

/// Index of the first band ≥ v (inclusive upper edges), or `bands.len()` beyond the last.
fn band_of(bands: &[f64], v: f64) -> usize {
    bands.partition_point(|&b| b < v)
}

/// Pairs (i < j) with squared distance ≤ δ², each with its space band; `None` as soon as there are
/// more than `limit` of them.
fn close_pairs(xs: &[f64], ys: &[f64], bands: &[f64], limit: u64) -> Option<Vec<(u32, u32, u8)>> {
    let reach = *bands.last().expect("bands checked non-empty");
    let squares: Vec<f64> = bands.iter().map(|b| b * b).collect();
    let cell = if reach > 0.0 { reach } else { 1.0 };
    let key = |i: usize| ((xs[i] / cell).floor() as i64, (ys[i] / cell).floor() as i64);
    let mut buckets: HashMap<(i64, i64), Vec<u32>> = HashMap::new();
    for i in 0..xs.len() {
        buckets.entry(key(i)).or_default().push(i as u32);
    }
    let mut pairs = Vec::new();
    for i in 0..xs.len() {
        let (cx, cy) = key(i);
        for dx in -1..=1 {
            for dy in -1..=1 {
                let Some(bucket) = buckets.get(&(cx + dx, cy + dy)) else {
                    continue;
                };
                for &j in bucket {
                    let j = j as usize;
                    if j <= i {
                        continue;
                    }
                    let d2 = (xs[i] - xs[j]).powi(2) + (ys[i] - ys[j]).powi(2);
                    let band = squares.partition_point(|&b| b < d2);
                    if band < squares.len() {
                        pairs.push((i as u32, j as u32, band as u8));
                    }
                }
            }
        }
        if pairs.len() as u64 > limit {
            return None;
        }
    }
    Some(pairs)
}

/// Pairs per time band (last = beyond), from the sorted times.
fn time_band_totals(ts: &[f64], bands: &[f64]) -> Vec<u64> {
    let mut sorted = ts.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    let n = sorted.len() as u64;
    let mut cumulative = Vec::with_capacity(bands.len());
    for &tau in bands {
        // For each i, the j > i with t_j − t_i ≤ τ, by a moving pointer.
        let mut count = 0u64;
        let mut j = 0usize;
        for i in 0..sorted.len() {
            j = j.max(i + 1);
            while j < sorted.len() && sorted[j] - sorted[i] <= tau {
                j += 1;
            }
            count += (j - i - 1) as u64;
        }
        cumulative.push(count);
    }
    let mut totals = Vec::with_capacity(bands.len() + 1);
    let mut previous = 0;
    for c in &cumulative {
        totals.push(c - previous);
        previous = *c;
    }
    totals.push(n * (n - 1) / 2 - previous);
    totals
}

/// Band table of the listed pairs under the time assignment `ts`; the last row is filled from the
/// column totals.
fn band_table(
    pairs: &[(u32, u32, u8)],
    ts: &[f64],
    space: usize,
    time_bands: &[f64],
    column_totals: &[u64],
) -> Vec<Vec<u64>> {
    let mut table = vec![vec![0u64; time_bands.len() + 1]; space + 1];
    for &(i, j, s) in pairs {
        let dt = (ts[i as usize] - ts[j as usize]).abs();
        table[s as usize][band_of(time_bands, dt)] += 1;
    }
    for t in 0..=time_bands.len() {
        let near: u64 = (0..space).map(|s| table[s][t]).sum();
        table[space][t] = column_totals[t] - near;
    }
    table
}

/// Above this many pairs within the largest space band the pairs are not listed (12 bytes each);
/// every table is counted by a sweep over the events in time order instead, in O(n) memory.
const LIST_LIMIT: u64 = 4_000_000;
/// Cells of the sweep's grid beyond which it is not used.
const SWEEP_CELLS: usize = 1 << 24;

/// Counts the pairs close in space and time by sweeping the events in time order: a grid of cells
/// of the largest space band holds the events of the last τ_T (the largest time band), each cell a
/// list in time order, so a pair is only ever looked at when it is close in time. Permuting times
/// among events is assigning the sorted times to a shuffled order of events.
struct Sweep {
    /// The times, ascending.
    times: Vec<f64>,
    /// Cell of each event.
    cell: Vec<u32>,
    cols: i64,
    rows: i64,
    col_of: Vec<i64>,
    row_of: Vec<i64>,
    /// Pairs per space band at any time gap (s < S): the table's row totals. Counted (every pair
    /// within the largest band, at any time gap: the costliest step) only once the work is known
    /// to be within the budget.
    near_rows: Vec<u64>,
}

impl Sweep {
    fn new(xs: &[f64], ys: &[f64], ts: &[f64], squares: &[f64]) -> Option<Sweep> {
        let reach = squares.last().copied().unwrap_or(0.0).sqrt();
        let size = if reach > 0.0 { reach } else { 1.0 };
        let min = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
        let (x0, y0) = (min(xs), min(ys));
        let col_of: Vec<i64> = xs.iter().map(|x| ((x - x0) / size) as i64).collect();
        let row_of: Vec<i64> = ys.iter().map(|y| ((y - y0) / size) as i64).collect();
        let cols = col_of.iter().copied().max().unwrap_or(0) + 1;
        let rows = row_of.iter().copied().max().unwrap_or(0) + 1;
        if (cols as u128) * (rows as u128) > SWEEP_CELLS as u128 {
            return None;
        }
        let cell: Vec<u32> = (0..xs.len())
            .map(|i| (row_of[i] * cols + col_of[i]) as u32)
            .collect();
        let mut times = ts.to_vec();
        times.sort_unstable_by(f64::total_cmp);
        Some(Sweep {
            times,
            cell,
            cols,
            rows,
            col_of,
            row_of,
            near_rows: Vec::new(),
        })
    }

    /// Pairs per space band regardless of time, by cell lists (nothing per pair kept).
    fn count_near_rows(&self, xs: &[f64], ys: &[f64], squares: &[f64]) -> Vec<u64> {
        let cells = (self.cols * self.rows) as usize;
        let mut start = vec![0u32; cells + 1];
        for &c in &self.cell {
            start[c as usize + 1] += 1;
        }
        for c in 0..cells {
            start[c + 1] += start[c];
        }
        let mut fill = start.clone();
        let mut members = vec![0u32; self.cell.len()];
        for (i, &c) in self.cell.iter().enumerate() {
            members[fill[c as usize] as usize] = i as u32;
            fill[c as usize] += 1;
        }
        let mut rows = vec![0u64; squares.len()];
        for i in 0..xs.len() {
            self.around(i, &mut |c| {
                for &j in &members[start[c] as usize..start[c + 1] as usize] {
                    let j = j as usize;
                    if j > i {
                        let d2 = (xs[i] - xs[j]).powi(2) + (ys[i] - ys[j]).powi(2);
                        let band = squares.partition_point(|&b| b < d2);
                        if band < squares.len() {
                            rows[band] += 1;
                        }
                    }
                }
            });
        }
        rows
    }

    /// Calls `f` with each cell of the 3 × 3 block around event `i`'s cell.
    fn around(&self, i: usize, f: &mut dyn FnMut(usize)) {
        let (c, r) = (self.col_of[i], self.row_of[i]);
        for dr in -1..=1 {
            let rr = r + dr;
            if rr < 0 || rr >= self.rows {
                continue;
            }
            for dc in -1..=1 {
                let cc = c + dc;
                if cc < 0 || cc >= self.cols {
                    continue;
                }
                f((rr * self.cols + cc) as usize);
            }
        }
    }

    /// The band table (last row and column from the totals) when the k-th smallest time belongs
    /// to event `owner[k]`, and the pairs looked at; counted in `parts` ranges of ranks on as
    /// many threads (the observed table: the permutations run one table per thread).
    fn table(
        &self,
        xs: &[f64],
        ys: &[f64],
        owner: &[u32],
        (squares, time_bands): (&[f64], &[f64]),
        column_totals: &[u64],
        parts: usize,
    ) -> (Vec<Vec<u64>>, u64) {
        let (space, time) = (squares.len(), time_bands.len());
        let reach_t = *time_bands.last().expect("bands checked non-empty");
        let cells = (self.cols * self.rows) as usize;
        const NONE: u32 = u32::MAX;
        // Everything by rank (time order): the window's events sit close together in memory.
        let n = owner.len();
        let (mut px, mut py) = (Vec::with_capacity(n), Vec::with_capacity(n));
        let (mut pc, mut pr) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for &e in owner {
            let e = e as usize;
            px.push(xs[e]);
            py.push(ys[e]);
            pc.push(self.col_of[e]);
            pr.push(self.row_of[e]);
        }
        // Ranks `range`, each against the earlier ranks of its window: per cell a list of ranks
        // in the window, oldest first (head, tail and each rank's next); a range not starting at
        // 0 first fills the window it starts with, uncounted.
        let cell_of = |k: usize| (pr[k] * self.cols + pc[k]) as usize;
        let count_range = |range: std::ops::Range<usize>| -> (Vec<u64>, u64) {
            let mut head = vec![NONE; cells];
            let mut tail = vec![NONE; cells];
            let mut next = vec![NONE; n];
            let mut counts = vec![0u64; space * time];
            let mut looked = 0u64;
            let append = |k: usize, head: &mut [u32], tail: &mut [u32], next: &mut [u32]| {
                let c = cell_of(k);
                if tail[c] == NONE {
                    head[c] = k as u32;
                } else {
                    next[tail[c] as usize] = k as u32;
                }
                tail[c] = k as u32;
            };
            let mut oldest = match range.start {
                0 => 0,
                k0 => self.times[..k0].partition_point(|&u| self.times[k0] - u > reach_t),
            };
            for k in oldest..range.start {
                append(k, &mut head, &mut tail, &mut next);
            }
            for k in range {
                let t = self.times[k];
                // Ranks more than τ_T earlier leave the window; each is the head of its cell's
                // list.
                while t - self.times[oldest] > reach_t {
                    let c = cell_of(oldest);
                    head[c] = next[oldest];
                    if head[c] == NONE {
                        tail[c] = NONE;
                    }
                    oldest += 1;
                }
                let (x, y) = (px[k], py[k]);
                for rr in (pr[k] - 1).max(0)..=(pr[k] + 1).min(self.rows - 1) {
                    for cc in (pc[k] - 1).max(0)..=(pc[k] + 1).min(self.cols - 1) {
                        let mut r = head[(rr * self.cols + cc) as usize];
                        while r != NONE {
                            let j = r as usize;
                            looked += 1;
                            let d2 = (x - px[j]).powi(2) + (y - py[j]).powi(2);
                            let band = squares.partition_point(|&b| b < d2);
                            if band < space {
                                let tb = band_of(time_bands, t - self.times[j]);
                                if tb < time {
                                    counts[band * time + tb] += 1;
                                }
                            }
                            r = next[j];
                        }
                    }
                }
                append(k, &mut head, &mut tail, &mut next);
            }
            (counts, looked)
        };
        let parts = parts.clamp(1, n.max(1));
        let (counts, looked) = if parts == 1 {
            count_range(0..n)
        } else {
            let count_range = &count_range;
            std::thread::scope(|scope| {
                let handles: Vec<_> = (0..parts)
                    .map(|w| scope.spawn(move || count_range(n * w / parts..n * (w + 1) / parts)))
                    .collect();
                let mut total = (vec![0u64; space * time], 0u64);
                for h in handles {
                    let (c, l) = h.join().expect("a sweep thread");
                    for (a, b) in total.0.iter_mut().zip(c) {
                        *a += b;
                    }
                    total.1 += l;
                }
                total
            })
        };
        let mut table = vec![vec![0u64; time + 1]; space + 1];
        for s in 0..space {
            table[s][..time].copy_from_slice(&counts[s * time..(s + 1) * time]);
        }
        if !self.near_rows.is_empty() {
            self.complete(&mut table, column_totals);
        }
        (table, looked)
    }

    /// Fills the "beyond the last band" column and row from the totals.
    fn complete(&self, table: &mut [Vec<u64>], column_totals: &[u64]) {
        let space = table.len() - 1;
        let time = table[0].len() - 1;
        for (row, &total) in table.iter_mut().zip(&self.near_rows) {
            let within: u64 = row[..time].iter().sum();
            row[time] = total - within;
        }
        for t in 0..=time {
            let near: u64 = (0..space).map(|s| table[s][t]).sum();
            table[space][t] = column_totals[t] - near;
        }
    }
}

/// What a table is counted from: shuffled times (pair list) or shuffled owners of the sorted
/// times (sweep).
enum Either<'a> {
    Times(&'a [f64]),
    Owner(&'a [u32]),
}

/// Cumulative counts C[s][t] (d ≤ δ_s, |Δt| ≤ τ_t) from a band table.
fn cumulate(table: &[Vec<u64>], space: usize, time: usize) -> Vec<Vec<u64>> {
    let mut c = vec![vec![0u64; time]; space];
    for s in 0..space {
        for t in 0..time {
            let cell = table[s][t];
            let up = if s > 0 { c[s - 1][t] } else { 0 };
            let left = if t > 0 { c[s][t - 1] } else { 0 };
            let diag = if s > 0 && t > 0 { c[s - 1][t - 1] } else { 0 };
            c[s][t] = cell + up + left - diag;
        }
    }
    c
}

/// Runs the Knox analysis on events at `(xs[i], ys[i])` at time `ts[i]`.
pub fn knox(xs: &[f64], ys: &[f64], ts: &[f64], options: &KnoxOptions) -> Result<Knox, KnoxError> {
    knox_with_progress(xs, ys, ts, options, &mut |_| {})
}

/// [`knox`], calling `progress` with the permutations done (every 16 and at the end).
pub fn knox_with_progress(
    xs: &[f64],
    ys: &[f64],
    ts: &[f64],
    options: &KnoxOptions,
    progress: &mut dyn FnMut(usize),
) -> Result<Knox, KnoxError> {
    knox_within(xs, ys, ts, options, Budget::UNLIMITED, progress)
}

/// [`knox_with_progress`] within a [`Budget`] (a server's bound on one request's work): when the
/// permutations would compare more pairs than it allows, none run and the p-values come from the
/// permutation moments; when counting the observed table or the neighbours would, the test is
/// refused before the work.
///
/// Up to 4 million pairs within the largest space band are listed once and re-counted in every
/// permutation; beyond that each table is counted by sweeping the events in time order, which
/// looks only at pairs close in time as well (a district-year's 400 m pairs are tens of
/// millions, those also within 14 days a few million). Both count exactly.
pub fn knox_within(
    xs: &[f64],
    ys: &[f64],
    ts: &[f64],
    options: &KnoxOptions,
    budget: Budget,
    progress: &mut dyn FnMut(usize),
) -> Result<Knox, KnoxError> {
    knox_listing_up_to(xs, ys, ts, options, budget, LIST_LIMIT, progress)
}

fn knox_listing_up_to(
    xs: &[f64],
    ys: &[f64],
    ts: &[f64],
    options: &KnoxOptions,
    budget: Budget,
    list_limit: u64,
    progress: &mut dyn FnMut(usize),
) -> Result<Knox, KnoxError> {
    let n = xs.len();
    if ys.len() != n || ts.len() != n {
        return Err(KnoxError::Length {
            xs: n,
            ys: ys.len(),
            ts: ts.len(),
        });
    }
    if n < 2 {
        return Err(KnoxError::TooFew);
    }
    if n > u32::MAX as usize {
        return Err(KnoxError::TooMany {
            max: u32::MAX as usize,
            got: n,
        });
    }
    if let Some(i) =
        (0..n).find(|&i| !(xs[i].is_finite() && ys[i].is_finite() && ts[i].is_finite()))
    {
        return Err(KnoxError::NotFinite(i));
    }
    check_bands("space", &options.space_bands)?;
    check_bands("time", &options.time_bands)?;
    if options.space_bands.len() > 255 {
        return Err(KnoxError::Bands {
            which: "space",
            bands: options.space_bands.clone(),
        });
    }
    let (space, time) = (options.space_bands.len(), options.time_bands.len());
    let pairs_total = (n as u64) * (n as u64 - 1) / 2;
    let column_totals = time_band_totals(ts, &options.time_bands);
    let squares: Vec<f64> = options.space_bands.iter().map(|b| b * b).collect();
    // Listed when few enough; else swept (unless the sweep's grid would be too large, when they
    // are listed after all).
    let listed = close_pairs(xs, ys, &options.space_bands, list_limit);
    let mut sweep = match listed {
        Some(_) => None,
        None => Sweep::new(xs, ys, ts, &squares),
    };
    let pairs = match (listed, &sweep) {
        (Some(pairs), _) => pairs,
        (None, Some(_)) => Vec::new(),
        (None, None) => close_pairs(xs, ys, &options.space_bands, u64::MAX).unwrap_or_default(),
    };
    // The event holding each sorted time, as observed (ties in input order).
    let mut by_time: Vec<u32> = (0..n as u32).collect();
    by_time.sort_by(|&a, &b| ts[a as usize].total_cmp(&ts[b as usize]));
    let count = |sweep: &Option<Sweep>, owner_or_times: Either<'_>, parts: usize| match (
        sweep,
        owner_or_times,
    ) {
        (Some(sw), Either::Owner(owner)) => sw.table(
            xs,
            ys,
            owner,
            (&squares, &options.time_bands),
            &column_totals,
            parts,
        ),
        (None, Either::Times(times)) => (
            band_table(&pairs, times, space, &options.time_bands, &column_totals),
            pairs.len() as u64,
        ),
        _ => unreachable!("the sweep takes owners, the pair list times"),
    };
    let (mut observed, looked) = match &sweep {
        Some(_) => count(&sweep, Either::Owner(&by_time), cores()),
        None => count(&sweep, Either::Times(ts), 1),
    };
    // Permutations beyond the budget are not run: the p-values come from the permutation
    // moments, which need each event's neighbours per space band (counted within the budget).
    let mut moments = None;
    let permutation_checks = looked.saturating_mul(options.permutations as u64);
    if permutation_checks > budget.permutations {
        if n < 4 || looked > budget.counting {
            return Err(KnoxError::TooMuchWork {
                checks: looked,
                budget: budget.counting,
            });
        }
        let degrees =
            knox_normal::space_degrees(xs, ys, &squares, budget.counting).map_err(|checks| {
                KnoxError::TooMuchWork {
                    checks,
                    budget: budget.counting,
                }
            })?;
        if let Some(sw) = &mut sweep {
            sw.near_rows = (0..space)
                .map(|s| {
                    let below = |i: usize| if s > 0 { degrees[s - 1][i] } else { 0 };
                    (0..n)
                        .map(|i| u64::from(degrees[s][i] - below(i)))
                        .sum::<u64>()
                        / 2
                })
                .collect();
            sw.complete(&mut observed, &column_totals);
        }
        moments = Some(degrees);
    } else if let Some(sw) = &mut sweep {
        sw.near_rows = sw.count_near_rows(xs, ys, &squares);
        sw.complete(&mut observed, &column_totals);
    }
    let row_totals: Vec<u64> = observed.iter().map(|row| row.iter().sum()).collect();
    let expected: Vec<Vec<f64>> = row_totals
        .iter()
        .map(|&r| {
            column_totals
                .iter()
                .map(|&c| r as f64 * c as f64 / pairs_total as f64)
                .collect()
        })
        .collect();
    let ratio = observed
        .iter()
        .zip(&expected)
        .map(|(o, e)| {
            o.iter()
                .zip(e)
                .map(|(&o, &e)| (e > 0.0).then(|| o as f64 / e))
                .collect()
        })
        .collect();
    let c = cumulate(&observed, space, time);
    let ns: Vec<u64> = (0..space).map(|s| row_totals[..=s].iter().sum()).collect();
    let nt: Vec<u64> = (0..time)
        .map(|t| column_totals[..=t].iter().sum())
        .collect();
    let c_expected = ns
        .iter()
        .map(|&a| {
            nt.iter()
                .map(|&b| a as f64 * b as f64 / pairs_total as f64)
                .collect()
        })
        .collect();

    let (mut p_observed, mut p_c) = (Vec::new(), Vec::new());
    if let Some(degrees) = &moments {
        (p_observed, p_c) = knox_normal::p_values(ts, &options.time_bands, degrees, &observed, &c);
    } else if options.permutations > 0 {
        let mut exceed_band = vec![vec![0usize; time + 1]; space + 1];
        let mut exceed_c = vec![vec![0usize; time]; space];
        let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
        // The pair list shuffles the times among events, one permutation after another; the
        // sweep, equivalently, the events among the sorted times, each permutation from its own
        // seed drawn in order from the one generator, on every core.
        let tables: Vec<Vec<Vec<u64>>> = match &sweep {
            None => {
                let mut shuffled = ts.to_vec();
                (0..options.permutations)
                    .map(|done| {
                        if done % 16 == 0 {
                            progress(done);
                        }
                        shuffled.shuffle(&mut rng);
                        count(&sweep, Either::Times(&shuffled), 1).0
                    })
                    .collect()
            }
            Some(_) => {
                progress(0);
                let seeds: Vec<u64> = (0..options.permutations)
                    .map(|_| rand::RngCore::next_u64(&mut rng))
                    .collect();
                let threads = cores().min(seeds.len().max(1));
                let by_time = &by_time;
                let sweep = &sweep;
                let count = &count;
                let mut tables = vec![Vec::new(); seeds.len()];
                std::thread::scope(|scope| {
                    let handles: Vec<_> = (0..threads)
                        .map(|w| {
                            let seeds = &seeds;
                            scope.spawn(move || {
                                (w..seeds.len())
                                    .step_by(threads)
                                    .map(|k| {
                                        let mut owners = by_time.clone();
                                        owners.shuffle(&mut ChaCha8Rng::seed_from_u64(seeds[k]));
                                        (k, count(sweep, Either::Owner(&owners), 1).0)
                                    })
                                    .collect::<Vec<_>>()
                            })
                        })
                        .collect();
                    for h in handles {
                        for (k, table) in h.join().expect("a permutation thread") {
                            tables[k] = table;
                        }
                    }
                });
                tables
            }
        };
        for table in &tables {
            let cp = cumulate(table, space, time);
            for s in 0..=space {
                for t in 0..=time {
                    exceed_band[s][t] += usize::from(table[s][t] >= observed[s][t]);
                    if s < space && t < time {
                        exceed_c[s][t] += usize::from(cp[s][t] >= c[s][t]);
                    }
                }
            }
        }
        progress(options.permutations);
        let p = |k: usize| (k as f64 + 1.0) / (options.permutations as f64 + 1.0);
        p_observed = exceed_band
            .iter()
            .map(|row| row.iter().map(|&k| p(k)).collect())
            .collect();
        p_c = exceed_c
            .iter()
            .map(|row| row.iter().map(|&k| p(k)).collect())
            .collect();
    }
    Ok(Knox {
        events: n,
        pairs: pairs_total,
        space_bands: options.space_bands.clone(),
        time_bands: options.time_bands.clone(),
        observed,
        expected,
        ratio,
        p_observed,
        c,
        ns,
        nt,
        c_expected,
        p_c,
        permutations: if moments.is_some() {
            0
        } else {
            options.permutations
        },
        seed: options.seed,
        p_method: if moments.is_some() {
            PMethod::Normal
        } else {
            PMethod::Permutation
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(n: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let mut s = 99u64;
        let mut next = |m: u64| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 33) % m) as f64
        };
        let xs = (0..n).map(|_| next(60)).collect();
        let ys = (0..n).map(|_| next(60)).collect();
        let ts = (0..n).map(|_| next(400)).collect();
        (xs, ys, ts)
    }

    #[test]
    fn beyond_the_budget_p_values_come_from_the_permutation_moments() {
        // Clustered in space and time: 600 events around 12 places, a quarter of each place's
        // events within a week (a near-repeat pattern), the rest spread over a year.
        let mut seed = 3u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        let (mut xs, mut ys, mut ts) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..600 {
            let place = (i % 12) as f64;
            xs.push(place * 700.0 + next() * 300.0);
            ys.push((place * 37.0) % 500.0 + next() * 300.0);
            ts.push(
                if i % 4 == 0 {
                    place * 20.0 + next() * 7.0
                } else {
                    next() * 365.0
                }
                .floor(),
            );
        }
        let options = KnoxOptions {
            space_bands: vec![100.0, 200.0, 400.0],
            time_bands: vec![3.0, 7.0, 14.0],
            permutations: 999,
            seed: 5,
        };
        let mc = knox(&xs, &ys, &ts, &options).unwrap();
        assert_eq!(mc.p_method, PMethod::Permutation);
        let by_moments = knox_within(
            &xs,
            &ys,
            &ts,
            &options,
            Budget::checks(100_000),
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(by_moments.p_method, PMethod::Normal);
        assert_eq!(by_moments.permutations, 0);
        assert_eq!(by_moments.observed, mc.observed);
        assert_eq!(by_moments.c, mc.c);
        assert_eq!(by_moments.expected, mc.expected);
        // Where counts are large enough for a normal law, the two p-values tell the same story.
        let mut compared = 0;
        for s in 0..=3 {
            for t in 0..=3 {
                if mc.expected[s][t] >= 30.0 {
                    let (a, b) = (by_moments.p_observed[s][t], mc.p_observed[s][t]);
                    assert!((a - b).abs() < 0.05, "cell {s},{t}: {a} vs {b}");
                    compared += 1;
                }
            }
        }
        assert!(compared >= 8, "{compared} cells compared");
        assert!(
            by_moments.p_observed[0][0] < 0.01,
            "the planted near repeats"
        );
        // A pass over the pairs beyond the budget too is refused as before.
        let err =
            knox_within(&xs, &ys, &ts, &options, Budget::checks(10), &mut |_| {}).unwrap_err();
        assert!(matches!(err, KnoxError::TooMuchWork { .. }), "{err:?}");
    }

    #[test]
    fn the_time_sweep_counts_what_the_pair_list_counts() {
        let (xs, ys, mut ts) = events(2_000);
        // Ties in time and place, and gaps exactly on a band edge.
        ts[10] = ts[11];
        ts[12] = ts[13] + 7.0;
        let options = KnoxOptions {
            space_bands: vec![3.0, 6.0, 10.0],
            time_bands: vec![7.0, 30.0],
            permutations: 19,
            seed: 5,
        };
        let run = |list_limit| {
            knox_listing_up_to(
                &xs,
                &ys,
                &ts,
                &options,
                Budget::UNLIMITED,
                list_limit,
                &mut |_| {},
            )
            .unwrap()
        };
        let listed = run(u64::MAX);
        let swept = run(0);
        assert!(
            close_pairs(&xs, &ys, &options.space_bands, 1_000).is_none(),
            "the bands reach many pairs"
        );
        assert_eq!(swept.observed, listed.observed);
        assert_eq!(swept.c, listed.c);
        assert_eq!(
            (swept.ns.clone(), swept.nt.clone()),
            (listed.ns.clone(), listed.nt.clone())
        );
        assert_eq!(swept.expected, listed.expected);
        assert_eq!(swept.p_observed.len(), 4);
        assert_eq!(
            run(0).p_observed,
            swept.p_observed,
            "the same seed, the same p-values"
        );
        // The observed table counted in ranges of ranks on several threads is the same table.
        let squares: Vec<f64> = options.space_bands.iter().map(|b| b * b).collect();
        let sweep = Sweep::new(&xs, &ys, &ts, &squares).unwrap();
        let mut by_time: Vec<u32> = (0..xs.len() as u32).collect();
        by_time.sort_by(|&a, &b| ts[a as usize].total_cmp(&ts[b as usize]));
        let totals = time_band_totals(&ts, &options.time_bands);
        let table = |parts| {
            sweep.table(
                &xs,
                &ys,
                &by_time,
                (&squares, &options.time_bands),
                &totals,
                parts,
            )
        };
        let one = table(1);
        assert!(one.1 > 0);
        for parts in [2, 5, 64] {
            assert_eq!(table(parts), one, "{parts} parts");
        }
        // A budget below the permutations' work is refused before they run.
        assert!(matches!(
            knox_listing_up_to(&xs, &ys, &ts, &options, Budget::checks(10), 0, &mut |_| {}),
            Err(KnoxError::TooMuchWork { budget: 10, .. })
        ));
    }

    #[test]
    fn counts_equal_brute_force_with_inclusive_edges() {
        let (xs, ys, ts) = events(300);
        let opts = KnoxOptions {
            space_bands: vec![0.0, 5.0, 10.0, 20.0],
            time_bands: vec![7.0, 30.0, 90.0],
            permutations: 0,
            seed: 1,
        };
        let k = knox(&xs, &ys, &ts, &opts).unwrap();
        for (s, &delta) in opts.space_bands.iter().enumerate() {
            for (t, &tau) in opts.time_bands.iter().enumerate() {
                let (mut c, mut ns, mut nt) = (0, 0, 0);
                for i in 0..xs.len() {
                    for j in i + 1..xs.len() {
                        let close_s =
                            ((xs[i] - xs[j]).powi(2) + (ys[i] - ys[j]).powi(2)).sqrt() <= delta;
                        let close_t = (ts[i] - ts[j]).abs() <= tau;
                        c += u64::from(close_s && close_t);
                        ns += u64::from(close_s);
                        nt += u64::from(close_t);
                    }
                }
                assert_eq!(
                    (k.c[s][t], k.ns[s], k.nt[t]),
                    (c, ns, nt),
                    "δ={delta} τ={tau}"
                );
            }
        }
        let total: u64 = k.observed.iter().flatten().sum();
        assert_eq!(total, k.pairs);
        assert_eq!(k.pairs, 300 * 299 / 2);
    }

    #[test]
    fn permutations_are_reproducible_and_find_planted_repeats() {
        let (mut xs, mut ys, mut ts) = events(200);
        // A burst: 15 events within 2 units and 3 days.
        for k in 0..15 {
            xs.push(30.0 + (k % 3) as f64);
            ys.push(30.0 + (k / 5) as f64);
            ts.push(200.0 + (k % 4) as f64);
        }
        let opts = KnoxOptions {
            space_bands: vec![3.0, 10.0],
            time_bands: vec![5.0, 60.0],
            permutations: 199,
            seed: 7,
        };
        let a = knox(&xs, &ys, &ts, &opts).unwrap();
        let b = knox(&xs, &ys, &ts, &opts).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.p_c[0][0], 1.0 / 200.0, "the burst is beyond chance");
        assert!(a.ratio[0][0].unwrap() > 3.0);
        let other = knox(
            &xs,
            &ys,
            &ts,
            &KnoxOptions {
                seed: 8,
                ..opts.clone()
            },
        )
        .unwrap();
        assert_eq!(other.c, a.c, "counts do not depend on the seed");
    }

    #[test]
    fn bad_bands_are_refused() {
        let opts = KnoxOptions {
            space_bands: vec![10.0, 5.0],
            time_bands: vec![1.0],
            permutations: 0,
            seed: 0,
        };
        assert!(matches!(
            knox(&[0.0, 1.0], &[0.0, 1.0], &[0.0, 1.0], &opts),
            Err(KnoxError::Bands { which: "space", .. })
        ));
        let opts = KnoxOptions {
            space_bands: vec![1.0],
            time_bands: vec![],
            permutations: 0,
            seed: 0,
        };
        assert!(matches!(
            knox(&[0.0, 1.0], &[0.0, 1.0], &[0.0, 1.0], &opts),
            Err(KnoxError::Bands { which: "time", .. })
        ));
        assert_eq!(
            knox(
                &[0.0],
                &[0.0],
                &[0.0],
                &KnoxOptions {
                    space_bands: vec![1.0],
                    time_bands: vec![1.0],
                    permutations: 0,
                    seed: 0
                }
            ),
            Err(KnoxError::TooFew)
        );
    }
}
