//! Maximal covering location (分片布警: where to put K patrol posts): choose exactly K of the
//! candidate sites so that the demand weight within `radius` of a chosen site is largest. Demand i is
//! covered by site j iff d(i, j) ≤ radius (spopt's `aij = cost <= service_radius`).
//!
//! The model is the MILP max Σ w_i y_i, y_i ≤ Σ_j a_ij x_j, Σ_j x_j = K (spopt `MCLP`). Here:
//!
//! 1. greedy (largest uncovered weight first), then
//! 2. swap local search (one site out, one in, best improvement, gains kept incrementally), then
//! 3. Lagrangian relaxation of the coverage constraints by subgradient steps: for multipliers
//!    0 ≤ λ_i ≤ w_i, `Σ_i (w_i − λ_i) + (the K largest Σ_{i∈cov(j)} λ_i)` bounds the optimum from
//!    above (it equals the LP bound at its minimum); each relaxed solution's sites also seed the
//!    local search, which often closes the gap; then
//! 4. while a gap remains and the time limit allows, branch and bound on the site decisions
//!    ([`super::mclp_exact`]), which ends with the optimum proven.
//!
//! The result carries the covered weight, the sites, the best upper bound and whether the optimum is
//! proven, so the optimality gap is known rather than hoped for.

use std::collections::HashMap;

use serde::Serialize;

/// Why the problem cannot be solved.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MclpError {
    /// Inputs of different lengths.
    #[error("{what}: {a} against {b} values")]
    Length {
        /// Which input.
        what: &'static str,
        /// One length.
        a: usize,
        /// The other.
        b: usize,
    },
    /// K is 0 or more than the sites.
    #[error("k must be between 1 and the number of candidate sites ({sites}), got {k}")]
    K {
        /// Asked for.
        k: usize,
        /// Sites available.
        sites: usize,
    },
    /// Radius not a non-negative number.
    #[error("radius must be a non-negative number, got {0}")]
    Radius(f64),
    /// A coordinate or weight is not finite, or a weight is negative.
    #[error("{what} {index}: {message}")]
    Value {
        /// "demand" or "site".
        what: &'static str,
        /// Index.
        index: usize,
        /// What is wrong.
        message: &'static str,
    },
}

/// A solution with its certificate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mclp {
    /// Weight covered by the chosen sites.
    pub covered: f64,
    /// Chosen site indices, ascending.
    pub sites: Vec<usize>,
    /// No choice of K sites covers more than this.
    pub upper_bound: f64,
    /// (upper_bound − covered) / upper_bound, 0 when proven optimal.
    pub gap: f64,
    /// Total demand weight (covered or not).
    pub total_weight: f64,
    /// Weight no site can reach at all.
    pub unreachable_weight: f64,
    /// Subgradient iterations run.
    pub iterations: usize,
    /// The exact search finished: no choice of K sites covers more than `covered`.
    pub proven_optimal: bool,
    /// Branch-and-bound nodes explored (0 when the heuristic's bound already proved it).
    pub nodes: usize,
}

/// How long the exact search may take after the heuristic.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MclpOptions {
    /// Past this, the best found is returned with the best bound (`proven_optimal` false).
    pub time_limit: std::time::Duration,
}

impl Default for MclpOptions {
    fn default() -> Self {
        MclpOptions {
            time_limit: std::time::Duration::from_secs(5),
        }
    }
}

/// The coverage structure after merging demand points with identical site sets.
pub(crate) struct Cover {
    /// Weight per merged demand.
    pub(crate) weight: Vec<f64>,
    /// Sites covering each demand.
    pub(crate) sites_of: Vec<Vec<u32>>,
    /// Demands covered by each site.
    pub(crate) demands_of: Vec<Vec<u32>>,
}

pub(crate) fn build_cover(
    dx: &[f64],
    dy: &[f64],
    dw: &[f64],
    sx: &[f64],
    sy: &[f64],
    radius: f64,
) -> (Cover, f64) {
    let r2 = radius * radius;
    let cell = if radius > 0.0 { radius } else { 1.0 };
    let key = |x: f64, y: f64| ((x / cell).floor() as i64, (y / cell).floor() as i64);
    let mut buckets: HashMap<(i64, i64), Vec<u32>> = HashMap::new();
    for j in 0..sx.len() {
        buckets.entry(key(sx[j], sy[j])).or_default().push(j as u32);
    }
    let mut merged: HashMap<Vec<u32>, usize> = HashMap::new();
    let mut weight = Vec::new();
    let mut sites_of: Vec<Vec<u32>> = Vec::new();
    let mut unreachable = 0.0;
    for i in 0..dx.len() {
        if dw[i] == 0.0 {
            continue;
        }
        let (cx, cy) = key(dx[i], dy[i]);
        let mut sites = Vec::new();
        for ox in -1..=1 {
            for oy in -1..=1 {
                for &j in buckets.get(&(cx + ox, cy + oy)).into_iter().flatten() {
                    let d2 = (dx[i] - sx[j as usize]).powi(2) + (dy[i] - sy[j as usize]).powi(2);
                    if d2 <= r2 {
                        sites.push(j);
                    }
                }
            }
        }
        if sites.is_empty() {
            unreachable += dw[i];
            continue;
        }
        sites.sort_unstable();
        match merged.get(&sites) {
            Some(&m) => weight[m] += dw[i],
            None => {
                merged.insert(sites.clone(), weight.len());
                weight.push(dw[i]);
                sites_of.push(sites);
            }
        }
    }
    let mut demands_of = vec![Vec::new(); sx.len()];
    for (i, sites) in sites_of.iter().enumerate() {
        for &j in sites {
            demands_of[j as usize].push(i as u32);
        }
    }
    (
        Cover {
            weight,
            sites_of,
            demands_of,
        },
        unreachable,
    )
}

/// A relaxed solution further than this share below the best is not worth a local search.
const PROMISING: f64 = 0.05;

/// Subgradient steps of the heuristic's Lagrangian bound alone, and when the exact search follows
/// (warm-started from the heuristic's multipliers, it repeats that work with better steps).
const HEURISTIC_STEPS: usize = 1000;
const HEURISTIC_STEPS_BEFORE_SEARCH: usize = 100;

/// A set of chosen sites with per-demand cover counts and per-site gains kept up to date.
#[derive(Clone)]
pub(crate) struct Solution<'a> {
    cover: &'a Cover,
    chosen: Vec<bool>,
    count: Vec<u32>,
    /// For an unchosen site: weight it would newly cover. For a chosen one: weight only it covers.
    gain: Vec<f64>,
    pub(crate) covered: f64,
}

impl<'a> Solution<'a> {
    pub(crate) fn empty(cover: &'a Cover) -> Self {
        let gain = cover
            .demands_of
            .iter()
            .map(|ds| ds.iter().map(|&i| cover.weight[i as usize]).sum())
            .collect();
        Self {
            cover,
            chosen: vec![false; cover.demands_of.len()],
            count: vec![0; cover.weight.len()],
            gain,
            covered: 0.0,
        }
    }

    pub(crate) fn add(&mut self, j: usize) {
        debug_assert!(!self.chosen[j]);
        self.chosen[j] = true;
        self.gain[j] = 0.0;
        for &i in &self.cover.demands_of[j] {
            let i = i as usize;
            let w = self.cover.weight[i];
            self.count[i] += 1;
            match self.count[i] {
                1 => {
                    self.covered += w;
                    self.gain[j] += w;
                    for &k in &self.cover.sites_of[i] {
                        if k as usize != j {
                            self.gain[k as usize] -= w;
                        }
                    }
                }
                2 => {
                    // The one other chosen site no longer covers i alone.
                    for &k in &self.cover.sites_of[i] {
                        if k as usize != j && self.chosen[k as usize] {
                            self.gain[k as usize] -= w;
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn remove(&mut self, j: usize) {
        debug_assert!(self.chosen[j]);
        self.chosen[j] = false;
        self.gain[j] = 0.0;
        for &i in &self.cover.demands_of[j] {
            let i = i as usize;
            let w = self.cover.weight[i];
            self.count[i] -= 1;
            match self.count[i] {
                0 => {
                    self.covered -= w;
                    for &k in &self.cover.sites_of[i] {
                        self.gain[k as usize] += w;
                    }
                }
                1 => {
                    for &k in &self.cover.sites_of[i] {
                        if self.chosen[k as usize] {
                            self.gain[k as usize] += w;
                        }
                    }
                }
                _ => {}
            }
        }
        // Gain of j as an unchosen site: the weight of its demands now uncovered.
        self.gain[j] = self.cover.demands_of[j]
            .iter()
            .filter(|&&i| self.count[i as usize] == 0)
            .map(|&i| self.cover.weight[i as usize])
            .sum();
    }

    fn best_unchosen(&self, except: Option<usize>) -> Option<usize> {
        (0..self.chosen.len())
            .filter(|&j| !self.chosen[j] && Some(j) != except)
            .max_by(|&a, &b| self.gain[a].total_cmp(&self.gain[b]).then(b.cmp(&a)))
    }

    /// Covered weight summed afresh (the running total may carry rounding from many updates).
    pub(crate) fn exact_covered(&self) -> f64 {
        self.count
            .iter()
            .zip(&self.cover.weight)
            .filter(|(c, _)| **c > 0)
            .map(|(_, w)| w)
            .sum()
    }

    pub(crate) fn sites(&self) -> Vec<usize> {
        (0..self.chosen.len()).filter(|&j| self.chosen[j]).collect()
    }

    /// Best-improvement swaps until none gains more than a rounding error.
    pub(crate) fn improve(&mut self) {
        let eps = 1e-12 * self.cover.weight.iter().sum::<f64>().max(1.0);
        loop {
            let mut best: Option<(f64, usize, usize)> = None;
            for a in self.sites() {
                let before = self.covered;
                self.remove(a);
                if let Some(b) = self.best_unchosen(Some(a)) {
                    let delta = self.covered + self.gain[b] - before;
                    if delta > eps && best.is_none_or(|(d, _, _)| delta > d) {
                        best = Some((delta, a, b));
                    }
                }
                self.add(a);
            }
            match best {
                Some((_, a, b)) => {
                    self.remove(a);
                    self.add(b);
                }
                None => return,
            }
        }
    }
}

fn check(what: &'static str, xs: &[f64], ys: &[f64], ws: Option<&[f64]>) -> Result<(), MclpError> {
    if xs.len() != ys.len() {
        return Err(MclpError::Length {
            what,
            a: xs.len(),
            b: ys.len(),
        });
    }
    for i in 0..xs.len() {
        if !(xs[i].is_finite() && ys[i].is_finite()) {
            return Err(MclpError::Value {
                what,
                index: i,
                message: "coordinate is not a finite number",
            });
        }
        if let Some(w) = ws
            && !(w[i].is_finite() && w[i] >= 0.0)
        {
            return Err(MclpError::Value {
                what,
                index: i,
                message: "weight must be a non-negative number",
            });
        }
    }
    Ok(())
}

/// Chooses `k` of the sites `(sx, sy)` to cover the most demand weight `dw` at `(dx, dy)`, proving the
/// optimum within the default time limit (see [`mclp_with`]).
pub fn mclp(
    dx: &[f64],
    dy: &[f64],
    dw: &[f64],
    sx: &[f64],
    sy: &[f64],
    radius: f64,
    k: usize,
) -> Result<Mclp, MclpError> {
    mclp_with(dx, dy, dw, sx, sy, radius, k, &MclpOptions::default())
}

/// [`mclp`] with options: the heuristic and its Lagrangian bound, then, while a gap remains and time
/// allows, the exact branch and bound ([`super::mclp_exact`]).
#[allow(clippy::too_many_arguments)]
pub fn mclp_with(
    dx: &[f64],
    dy: &[f64],
    dw: &[f64],
    sx: &[f64],
    sy: &[f64],
    radius: f64,
    k: usize,
    options: &MclpOptions,
) -> Result<Mclp, MclpError> {
    let deadline = std::time::Instant::now() + options.time_limit;
    if dw.len() != dx.len() {
        return Err(MclpError::Length {
            what: "demand weights",
            a: dw.len(),
            b: dx.len(),
        });
    }
    check("demand", dx, dy, Some(dw))?;
    check("site", sx, sy, None)?;
    if !(radius.is_finite() && radius >= 0.0) {
        return Err(MclpError::Radius(radius));
    }
    if k == 0 || k > sx.len() {
        return Err(MclpError::K { k, sites: sx.len() });
    }
    let total_weight: f64 = dw.iter().sum();
    let (cover, unreachable_weight) = build_cover(dx, dy, dw, sx, sy, radius);
    let reachable: f64 = cover.weight.iter().sum();
    // With integer weights every cover is an integer: a bound below best + 1 proves the best.
    let unit = if dw.iter().all(|w| w.fract() == 0.0) && total_weight < 1e15 {
        1.0
    } else {
        0.0
    };

    let empty = Solution::empty(&cover);
    let mut best = empty.clone();
    for _ in 0..k {
        let j = best.best_unchosen(None).expect("k ≤ sites");
        best.add(j);
    }
    best.improve();
    let mut best_sites = best.sites();
    let mut best_covered = best.exact_covered();

    let start = best_covered;
    // When the exact search follows, its root continues from these multipliers with its own
    // (Polyak) steps: the heuristic's subgradient only needs to find good relaxed solutions.
    let steps = if options.time_limit.is_zero() {
        HEURISTIC_STEPS
    } else {
        HEURISTIC_STEPS_BEFORE_SEARCH
    };
    let (upper_bound, iterations, lambda) = lagrangian_bound(
        &cover,
        k,
        steps,
        reachable,
        &mut |sites: &[usize]| {
            let mut s = empty.clone();
            for &j in sites {
                s.add(j);
            }
            // Local search is the costly part: only from relaxed solutions already near the best.
            if s.covered < best_covered * (1.0 - PROMISING) {
                return best_covered;
            }
            s.improve();
            let covered = s.exact_covered();
            if covered > best_covered + 1e-12 * reachable.max(1.0) {
                best_covered = covered;
                best_sites = s.sites();
            }
            best_covered
        },
        start,
        unit,
    );
    let upper_bound = upper_bound.max(best_covered);
    let tolerance = 1e-9 * reachable.max(1.0);
    let (best_covered, best_sites, upper_bound, proven_optimal, nodes) = if upper_bound
        - best_covered
        <= tolerance
        || (unit > 0.0 && upper_bound < best_covered + unit - tolerance)
    {
        (best_covered, best_sites, best_covered, true, 0)
    } else {
        let e = super::mclp_exact::Search::new(&cover, k, best_covered, best_sites, deadline, unit)
            .run(lambda, upper_bound);
        (
            e.covered,
            e.sites,
            e.upper_bound.min(upper_bound),
            e.proven,
            e.nodes,
        )
    };
    let mut best_sites = best_sites;
    best_sites.sort_unstable();
    let gap = if upper_bound > 0.0 {
        ((upper_bound - best_covered) / upper_bound).max(0.0)
    } else {
        0.0
    };
    Ok(Mclp {
        covered: best_covered,
        sites: best_sites,
        upper_bound,
        gap,
        total_weight,
        unreachable_weight,
        iterations,
        proven_optimal,
        nodes,
    })
}

/// Subgradient minimisation of the Lagrangian bound. `try_sites` turns a relaxed solution's sites
/// into a feasible one and returns the best covered weight so far.
fn lagrangian_bound(
    cover: &Cover,
    k: usize,
    max_steps: usize,
    reachable: f64,
    try_sites: &mut dyn FnMut(&[usize]) -> f64,
    mut lower: f64,
    unit: f64,
) -> (f64, usize, Vec<f64>) {
    let m = cover.demands_of.len();
    let n = cover.weight.len();
    // A flat (CSR) copy of the site → demands lists: the passes below run hundreds of times.
    let csr = |lists: &[Vec<u32>]| {
        let mut start = Vec::with_capacity(lists.len() + 1);
        let mut flat = Vec::with_capacity(lists.iter().map(Vec::len).sum());
        start.push(0usize);
        for l in lists {
            flat.extend_from_slice(l);
            start.push(flat.len());
        }
        (start, flat)
    };
    let (d_start, d_flat) = csr(&cover.demands_of);
    let mut lambda: Vec<f64> = cover.weight.iter().map(|w| w * 0.5).collect();
    let mut best_lambda = lambda.clone();
    let mut upper = reachable;
    let mut theta = 2.0;
    let mut stale = 0;
    let mut scores = vec![0.0; m];
    let mut order: Vec<usize> = (0..m).collect();
    let mut count = vec![0u32; n];
    let mut g = vec![0.0; n];
    let mut iterations = 0;
    let tolerance = 1e-9 * reachable.max(1.0);
    let mut tried: std::collections::HashSet<Vec<usize>> = std::collections::HashSet::new();
    for iter in 0..max_steps {
        iterations = iter + 1;
        for j in 0..m {
            scores[j] = d_flat[d_start[j]..d_start[j + 1]]
                .iter()
                .map(|&i| lambda[i as usize])
                .sum();
        }
        // The k best sites (ties to the lower index), then in index order.
        let by_score = |a: &usize, b: &usize| scores[*b].total_cmp(&scores[*a]).then(a.cmp(b));
        if k < m {
            order.select_nth_unstable_by(k - 1, by_score);
        }
        let top = &order[..k];
        let bound: f64 = cover
            .weight
            .iter()
            .zip(&lambda)
            .map(|(w, l)| (w - l).max(0.0))
            .sum::<f64>()
            + top.iter().map(|&j| scores[j]).sum::<f64>();
        if bound < upper - tolerance {
            upper = bound;
            best_lambda.clone_from(&lambda);
            stale = 0;
        } else {
            stale += 1;
            if stale >= 20 {
                theta /= 2.0;
                stale = 0;
            }
        }
        let mut sites = top.to_vec();
        sites.sort_unstable();
        if tried.insert(sites.clone()) {
            lower = try_sites(&sites);
        }
        if upper - lower <= tolerance
            || (unit > 0.0 && upper < lower + unit - tolerance)
            || theta < 1e-3
        {
            break;
        }
        // Subgradient of the bound: (chosen sites covering i) − (y_i = 1 when w_i > λ_i).
        // The chosen sites covering each demand, counted from the chosen sites' side.
        count.iter_mut().for_each(|c| *c = 0);
        for &j in top {
            for &i in &d_flat[d_start[j]..d_start[j + 1]] {
                count[i as usize] += 1;
            }
        }
        for i in 0..n {
            g[i] = count[i] as f64
                - if cover.weight[i] > lambda[i] {
                    1.0
                } else {
                    0.0
                };
        }
        let norm2: f64 = g.iter().map(|v| v * v).sum();
        if norm2 == 0.0 {
            break;
        }
        let step = theta * (upper - lower).max(tolerance) / norm2;
        for i in 0..lambda.len() {
            lambda[i] = (lambda[i] - step * g[i]).clamp(0.0, cover.weight[i]);
        }
    }
    (upper, iterations, best_lambda)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exhaustive(
        dx: &[f64],
        dy: &[f64],
        dw: &[f64],
        sx: &[f64],
        sy: &[f64],
        r: f64,
        k: usize,
    ) -> f64 {
        let m = sx.len();
        let mut best = 0.0f64;
        for mask in 0u32..(1 << m) {
            if mask.count_ones() as usize != k {
                continue;
            }
            let covered: f64 = (0..dx.len())
                .filter(|&i| {
                    (0..m).any(|j| {
                        mask & (1 << j) != 0
                            && (dx[i] - sx[j]).powi(2) + (dy[i] - sy[j]).powi(2) <= r * r
                    })
                })
                .map(|i| dw[i])
                .sum();
            best = best.max(covered);
        }
        best
    }

    #[test]
    fn matches_exhaustive_search_and_bounds_it() {
        let mut s = 5u64;
        let mut next = |m: f64| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64 * m
        };
        for case in 0..20 {
            let n = 60 + case * 3;
            let dx: Vec<f64> = (0..n).map(|_| next(100.0)).collect();
            let dy: Vec<f64> = (0..n).map(|_| next(100.0)).collect();
            let dw: Vec<f64> = (0..n).map(|_| (next(5.0)).floor() + 1.0).collect();
            let sx: Vec<f64> = (0..14).map(|_| next(100.0)).collect();
            let sy: Vec<f64> = (0..14).map(|_| next(100.0)).collect();
            let k = 2 + case % 4;
            let opt = exhaustive(&dx, &dy, &dw, &sx, &sy, 22.0, k);
            let got = mclp(&dx, &dy, &dw, &sx, &sy, 22.0, k).unwrap();
            assert_eq!(got.sites.len(), k);
            assert!(got.proven_optimal, "case {case}: not proven");
            assert!(
                (got.covered - opt).abs() <= 1e-9,
                "case {case}: {} against the optimum {opt}",
                got.covered
            );
            assert!((got.upper_bound - opt).abs() <= 1e-9 && got.gap == 0.0);
            assert!(
                got.upper_bound >= opt - 1e-9,
                "case {case}: bound {} below the optimum {opt}",
                got.upper_bound
            );
            assert!(got.covered <= opt + 1e-9);
        }
    }

    #[test]
    fn unreachable_demand_is_reported() {
        let got = mclp(
            &[0.0, 100.0],
            &[0.0, 0.0],
            &[2.0, 3.0],
            &[1.0],
            &[0.0],
            5.0,
            1,
        )
        .unwrap();
        assert_eq!(
            (got.covered, got.unreachable_weight, got.total_weight),
            (2.0, 3.0, 5.0)
        );
        assert_eq!(got.gap, 0.0);
        assert_eq!(
            mclp(&[0.0], &[0.0], &[1.0], &[1.0], &[0.0], 5.0, 2),
            Err(MclpError::K { k: 2, sites: 1 })
        );
    }
}
