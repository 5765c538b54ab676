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
//!
//! Only pairs within the largest space band are ever listed (found through a hash grid of that
//! size); the counts beyond it follow from the time-band totals, which permutations do not change.

use std::collections::HashMap;

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

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
    /// Too many events for 32-bit pair indices.
    #[error("at most {max} events, got {got}")]
    TooMany {
        /// The limit.
        max: usize,
        /// Events given.
        got: usize,
    },
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
    /// Permutations run.
    pub permutations: usize,
    /// Their seed.
    pub seed: u64,
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

/// Pairs (i < j) with squared distance ≤ δ², each with its space band.
fn close_pairs(xs: &[f64], ys: &[f64], bands: &[f64]) -> Vec<(u32, u32, u8)> {
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
    }
    pairs
}

/// Counts the pairs (i < j) within distance `reach`, stopping once the count passes `limit`: what
/// a caller checks before [`knox`] lists them (each costs memory and work in every permutation).
pub fn close_pair_count(xs: &[f64], ys: &[f64], reach: f64, limit: u64) -> u64 {
    let n = xs.len().min(ys.len());
    let cell = if reach > 0.0 { reach } else { 1.0 };
    let key = |i: usize| ((xs[i] / cell).floor() as i64, (ys[i] / cell).floor() as i64);
    let mut buckets: HashMap<(i64, i64), Vec<u32>> = HashMap::new();
    for i in 0..n {
        buckets.entry(key(i)).or_default().push(i as u32);
    }
    let r2 = reach * reach;
    let mut count = 0u64;
    for i in 0..n {
        let (cx, cy) = key(i);
        for dx in -1..=1 {
            for dy in -1..=1 {
                for &j in buckets.get(&(cx + dx, cy + dy)).into_iter().flatten() {
                    let j = j as usize;
                    if j > i && (xs[i] - xs[j]).powi(2) + (ys[i] - ys[j]).powi(2) <= r2 {
                        count += 1;
                    }
                }
            }
        }
        if count > limit {
            return count;
        }
    }
    count
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
    let pairs = close_pairs(xs, ys, &options.space_bands);
    let column_totals = time_band_totals(ts, &options.time_bands);
    let observed = band_table(&pairs, ts, space, &options.time_bands, &column_totals);
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
    if options.permutations > 0 {
        let mut exceed_band = vec![vec![0usize; time + 1]; space + 1];
        let mut exceed_c = vec![vec![0usize; time]; space];
        let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
        let mut shuffled = ts.to_vec();
        for done in 0..options.permutations {
            if done % 16 == 0 {
                progress(done);
            }
            shuffled.shuffle(&mut rng);
            let table = band_table(
                &pairs,
                &shuffled,
                space,
                &options.time_bands,
                &column_totals,
            );
            let cp = cumulate(&table, space, time);
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
        permutations: options.permutations,
        seed: options.seed,
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
