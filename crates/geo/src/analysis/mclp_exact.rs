//! The exact part of the MCLP: depth-first branch and bound on the site decisions, each node bounded
//! by the Lagrangian relaxation of its coverage constraints (warm-started from its parent's
//! multipliers), with reduced-cost fixing.
//!
//! A node fixes some sites in (F) and some out. It is solved as a problem of its own, *reduced*: the
//! demands F covers are counted once (`base`) and dropped, the fixed-out sites are dropped, demands no
//! remaining site covers are dropped, and demands left with the same set of remaining sites are
//! merged. Its relaxation, for multipliers 0 ≤ λ_i ≤ w_i on the reduced demands, is
//!
//!   base + Σ_i (w_i − λ_i) + (the r = K − |F| largest Σ_{i∈cov(j)} λ_i over the remaining sites j)
//!
//! which bounds every choice of K sites containing F and avoiding the fixed-out ones, whatever λ is.
//! The multipliers are moved by Polyak steps toward the *target* (the best found, plus one when all
//! weights are integers: every cover is then an integer, and a node whose bound is below best + 1
//! holds nothing better); the node is closed as soon as its bound reaches the target. Otherwise its
//! reduced costs fix sites in or out for its whole subtree, sites another remaining site dominates
//! (covers a subset of its remaining demands) are set aside, and it is split on a site.
//!
//! Every relaxed solution (F plus its top sites) is a solution and may improve the best. When the
//! search ends the best is proven optimal; when the time runs out, the largest bound of the nodes
//! left open bounds the optimum.

use std::collections::HashMap;
use std::time::Instant;

use super::mclp::{Cover, Solution};

/// Subgradient steps in the first round at the root of the search (on the whole problem), and in
/// every later round (on reduced problems, warm-started). Short rounds: a round that stalls above the
/// target is better followed by fixing, dominance and branching (each a smaller problem) than by
/// more steps — on the benchmark instances (`bench/analysis`) 50-step rounds need about half the
/// work of 300-step ones.
const ROOT_ITERATIONS: usize = 300;
const NODE_ITERATIONS: usize = 50;
/// Steps without a better bound before the step size is halved.
const STALL: usize = 20;

/// What the search found.
pub(crate) struct Exact {
    pub covered: f64,
    pub sites: Vec<usize>,
    /// No choice of K sites covers more (equals `covered` when `proven`).
    pub upper_bound: f64,
    pub proven: bool,
    pub nodes: usize,
}

/// A node's reduced problem.
#[derive(Clone)]
struct Sub {
    /// Original site index of each remaining site.
    site_id: Vec<u32>,
    /// Weight of each remaining (merged) demand.
    weight: Vec<f64>,
    /// Demands of each site (CSR).
    d_start: Vec<u32>,
    d_flat: Vec<u32>,
    /// Sites of each demand (CSR).
    s_start: Vec<u32>,
    s_flat: Vec<u32>,
    /// Sites fixed in (original indices) and the weight they cover.
    fixed_in: Vec<u32>,
    base: f64,
}

impl Sub {
    fn sites(&self) -> usize {
        self.site_id.len()
    }

    fn demands_of(&self, j: usize) -> &[u32] {
        &self.d_flat[self.d_start[j] as usize..self.d_start[j + 1] as usize]
    }

    fn sites_of(&self, i: usize) -> &[u32] {
        &self.s_flat[self.s_start[i] as usize..self.s_start[i + 1] as usize]
    }

    /// The whole problem.
    fn root(cover: &Cover) -> Sub {
        let mut s_start = vec![0u32];
        let mut s_flat = Vec::new();
        for sites in &cover.sites_of {
            s_flat.extend_from_slice(sites);
            s_start.push(s_flat.len() as u32);
        }
        let mut d_start = vec![0u32];
        let mut d_flat = Vec::new();
        for demands in &cover.demands_of {
            d_flat.extend_from_slice(demands);
            d_start.push(d_flat.len() as u32);
        }
        Sub {
            site_id: (0..cover.demands_of.len() as u32).collect(),
            weight: cover.weight.clone(),
            d_start,
            d_flat,
            s_start,
            s_flat,
            fixed_in: Vec::new(),
            base: 0.0,
        }
    }

    /// The problem with the sites `state` marks `IN` fixed in and those marked `OUT` dropped;
    /// `lambda` (per demand of `self`) is carried over (summed over merged demands).
    fn reduce(&self, state: &[u8], lambda: &[f64]) -> (Sub, Vec<f64>) {
        let n = self.weight.len();
        let mut covered = vec![false; n];
        let mut fixed_in = self.fixed_in.clone();
        let mut base = self.base;
        for (j, &st) in state.iter().enumerate() {
            if st == IN {
                fixed_in.push(self.site_id[j]);
                for &i in self.demands_of(j) {
                    let i = i as usize;
                    if !covered[i] {
                        covered[i] = true;
                        base += self.weight[i];
                    }
                }
            }
        }
        let mut local = vec![u32::MAX; self.sites()];
        let mut site_id = Vec::new();
        for (j, &st) in state.iter().enumerate() {
            if st == FREE {
                local[j] = site_id.len() as u32;
                site_id.push(self.site_id[j]);
            }
        }
        let mut merged: HashMap<Vec<u32>, usize> = HashMap::new();
        let mut weight = Vec::new();
        let mut lam = Vec::new();
        let mut s_start = vec![0u32];
        let mut s_flat = Vec::new();
        let mut key = Vec::new();
        for i in 0..n {
            if covered[i] {
                continue;
            }
            key.clear();
            key.extend(
                self.sites_of(i)
                    .iter()
                    .map(|&j| local[j as usize])
                    .filter(|&l| l != u32::MAX),
            );
            if key.is_empty() {
                continue;
            }
            match merged.get(&key) {
                Some(&m) => {
                    weight[m] += self.weight[i];
                    lam[m] += lambda[i];
                }
                None => {
                    merged.insert(key.clone(), weight.len());
                    weight.push(self.weight[i]);
                    lam.push(lambda[i]);
                    s_flat.extend_from_slice(&key);
                    s_start.push(s_flat.len() as u32);
                }
            }
        }
        let m = site_id.len();
        let mut count = vec![0u32; m + 1];
        for &j in &s_flat {
            count[j as usize + 1] += 1;
        }
        for j in 0..m {
            count[j + 1] += count[j];
        }
        let d_start = count.clone();
        let mut d_flat = vec![0u32; s_flat.len()];
        for i in 0..weight.len() {
            for &j in &s_flat[s_start[i] as usize..s_start[i + 1] as usize] {
                d_flat[count[j as usize] as usize] = i as u32;
                count[j as usize] += 1;
            }
        }
        (
            Sub {
                site_id,
                weight,
                d_start,
                d_flat,
                s_start,
                s_flat,
                fixed_in,
                base,
            },
            lam,
        )
    }

    /// Sites another remaining site covers at least as well (their demands a subset of the other's;
    /// of equal sites the first stays) are marked `OUT`: some best completion avoids them all — a
    /// dominated site swapped for its dominator, or for any other unchosen site when that one is
    /// chosen too, covers no less — provided at least `r` sites are left; otherwise none is.
    fn dominated(&self, r: usize, state: &mut [u8]) -> bool {
        let m = self.sites();
        let subset = |a: &[u32], b: &[u32]| {
            let mut it = b.iter();
            a.iter().all(|x| it.by_ref().any(|y| y == x))
        };
        let mut out = vec![false; m];
        for a in 0..m {
            if state[a] != FREE {
                continue;
            }
            let da = self.demands_of(a);
            for b in 0..m {
                if a == b || out[b] || state[b] != FREE {
                    continue;
                }
                let db = self.demands_of(b);
                if da.len() > db.len() {
                    continue;
                }
                let equal = da.len() == db.len();
                if (!equal || b < a) && subset(da, db) {
                    out[a] = true;
                    break;
                }
            }
        }
        let left = (0..m).filter(|&j| state[j] == FREE && !out[j]).count();
        if left < r || !out.contains(&true) {
            return false;
        }
        for j in 0..m {
            if out[j] {
                state[j] = OUT;
            }
        }
        true
    }
}

const FREE: u8 = 0;
const IN: u8 = 1;
const OUT: u8 = 2;

struct Node {
    sub: Sub,
    lambda: Vec<f64>,
    /// The parent's bound: valid for the whole subtree.
    bound: f64,
}

/// One node's relaxation at its best multipliers.
struct Relaxed {
    bound: f64,
    lambda: Vec<f64>,
    scores: Vec<f64>,
    /// The relaxed choice (the r best sites).
    top: Vec<usize>,
    /// The r-th best score and the next one.
    s_last: f64,
    s_next: f64,
    /// Per site: share of the steps it was in the relaxed choice (a primal estimate).
    share: Vec<f64>,
}

pub(crate) struct Search<'a> {
    cover: &'a Cover,
    empty: Solution<'a>,
    k: usize,
    tolerance: f64,
    /// Every cover is a multiple of this (1 for integer weights), or 0.
    unit: f64,
    best: f64,
    best_sites: Vec<usize>,
    nodes: usize,
    deadline: Instant,
}

impl<'a> Search<'a> {
    pub fn new(
        cover: &'a Cover,
        k: usize,
        best: f64,
        best_sites: Vec<usize>,
        deadline: Instant,
        unit: f64,
    ) -> Self {
        let reachable: f64 = cover.weight.iter().sum();
        Search {
            cover,
            empty: Solution::empty(cover),
            k,
            tolerance: 1e-9 * reachable.max(1.0),
            unit,
            best,
            best_sites,
            nodes: 0,
            deadline,
        }
    }

    /// A bound below this closes a node.
    fn target(&self) -> f64 {
        if self.unit > 0.0 {
            self.best + self.unit - self.tolerance
        } else {
            self.best + self.tolerance
        }
    }

    /// Runs from the root with multipliers `lambda` and root bound `bound`.
    pub fn run(mut self, lambda: Vec<f64>, bound: f64) -> Exact {
        let mut stack = vec![Node {
            sub: Sub::root(self.cover),
            lambda,
            bound,
        }];
        let mut open_bound: Option<f64> = None;
        while let Some(node) = stack.pop() {
            if node.bound < self.target() {
                continue;
            }
            if Instant::now() >= self.deadline {
                let rest = stack.iter().map(|n| n.bound).fold(node.bound, f64::max);
                open_bound = Some(rest);
                break;
            }
            let root = self.nodes == 0;
            self.nodes += 1;
            if let Some((include, exclude)) = self.branch(node, root) {
                // Depth first, the branch that takes the wanted site on top.
                stack.push(exclude);
                stack.push(include);
            }
        }
        let proven = open_bound.is_none();
        let upper_bound = open_bound.map_or(self.best, |b| {
            // With integer covers nothing between the largest multiple below the bound and it.
            let b = if self.unit > 0.0 {
                ((b + self.tolerance) / self.unit).floor() * self.unit
            } else {
                b
            };
            b.max(self.best)
        });
        Exact {
            covered: self.best,
            sites: self.best_sites,
            upper_bound,
            proven: proven || upper_bound <= self.best,
            nodes: self.nodes,
        }
    }

    /// Bounds a node, fixes what its reduced costs and dominance decide, and splits it (None:
    /// closed).
    fn branch(&mut self, mut node: Node, root: bool) -> Option<(Node, Node)> {
        let mut first = root;
        loop {
            let sub = &node.sub;
            let r = self.k.checked_sub(sub.fixed_in.len())?;
            let m = sub.sites();
            if m < r {
                return None;
            }
            if r == 0 || m == r {
                let mut sites: Vec<usize> = sub.fixed_in.iter().map(|&j| j as usize).collect();
                sites.extend(sub.site_id.iter().map(|&j| j as usize));
                self.offer(&sites, false);
                return None;
            }
            let iterations = if first {
                ROOT_ITERATIONS
            } else {
                NODE_ITERATIONS
            };
            first = false;
            let relaxed = self.relax(sub, &node.lambda, r, iterations);
            node.bound = node.bound.min(relaxed.bound);
            node.lambda = relaxed.lambda.clone();
            if relaxed.bound < self.target() {
                return None;
            }
            // Reduced-cost fixing: a site whose forced entry (or exit) would bring the bound below
            // the target is decided for the whole subtree.
            let target = self.target();
            let mut state = vec![FREE; m];
            let mut changed = false;
            let mut in_top = vec![false; m];
            relaxed.top.iter().for_each(|&j| in_top[j] = true);
            for j in 0..m {
                if in_top[j] {
                    if relaxed.bound - relaxed.scores[j] + relaxed.s_next < target {
                        state[j] = IN;
                        changed = true;
                    }
                } else if relaxed.bound - relaxed.s_last + relaxed.scores[j] < target {
                    state[j] = OUT;
                    changed = true;
                }
            }
            let fixed_in = state.iter().filter(|&&s| s == IN).count();
            changed |= sub.dominated(r - fixed_in, &mut state);
            if changed {
                let (sub, lambda) = node.sub.reduce(&state, &node.lambda);
                node.sub = sub;
                node.lambda = lambda;
                continue;
            }
            // Branch on the site the relaxation wants most often but not always.
            let j = (0..m)
                .max_by(|&a, &b| {
                    let fa = relaxed.share[a].min(1.0 - relaxed.share[a]);
                    let fb = relaxed.share[b].min(1.0 - relaxed.share[b]);
                    fa.total_cmp(&fb)
                        .then(relaxed.scores[a].total_cmp(&relaxed.scores[b]))
                })
                .expect("sites left");
            let j = if relaxed.share[j].min(1.0 - relaxed.share[j]) > 0.0 {
                j
            } else {
                relaxed.top[0]
            };
            let mut state = vec![FREE; m];
            state[j] = IN;
            let (sub_in, lambda_in) = node.sub.reduce(&state, &node.lambda);
            state[j] = OUT;
            let (sub_out, lambda_out) = node.sub.reduce(&state, &node.lambda);
            return Some((
                Node {
                    sub: sub_in,
                    lambda: lambda_in,
                    bound: node.bound,
                },
                Node {
                    sub: sub_out,
                    lambda: lambda_out,
                    bound: node.bound,
                },
            ));
        }
    }

    /// A choice of K sites (original indices); kept when it is the best (after a local search when
    /// `improve` and it is within 1 % of the best).
    fn offer(&mut self, sites: &[usize], improve: bool) {
        let mut s = self.empty.clone();
        for &j in sites {
            s.add(j);
        }
        if improve && s.covered >= self.best * 0.99 {
            s.improve();
        }
        let covered = s.exact_covered();
        if covered > self.best + self.tolerance {
            self.best = covered;
            self.best_sites = s.sites();
        }
    }

    /// Polyak steps on the node's Lagrangian bound toward the target from `lambda`.
    fn relax(&mut self, sub: &Sub, lambda: &[f64], r: usize, iterations: usize) -> Relaxed {
        let n = sub.weight.len();
        let m = sub.sites();
        let mut lambda: Vec<f64> = lambda
            .iter()
            .zip(&sub.weight)
            .map(|(l, w)| l.clamp(0.0, *w))
            .collect();
        let mut scores = vec![0.0; m];
        let mut order: Vec<usize> = (0..m).collect();
        let mut g = vec![0.0; n];
        let mut best: Option<Relaxed> = None;
        let mut theta = 1.5;
        let mut stale = 0;
        let mut share = vec![0.0; m];
        let mut steps = 0.0;
        let mut tried: Vec<Vec<usize>> = Vec::new();
        let mut count = vec![0u32; n];
        for _ in 0..iterations {
            for (j, score) in scores.iter_mut().enumerate() {
                *score = sub.demands_of(j).iter().map(|&i| lambda[i as usize]).sum();
            }
            let by_score = |a: &usize, b: &usize| scores[*b].total_cmp(&scores[*a]).then(a.cmp(b));
            order.select_nth_unstable_by(r, by_score);
            let s_next = scores[order[r]];
            let s_last = order[..r]
                .iter()
                .map(|&j| scores[j])
                .fold(f64::INFINITY, f64::min);
            let top_sum: f64 = order[..r].iter().map(|&j| scores[j]).sum();
            let bound = sub.base
                + sub
                    .weight
                    .iter()
                    .zip(&lambda)
                    .map(|(w, l)| w - l)
                    .sum::<f64>()
                + top_sum;
            order[..r].iter().for_each(|&j| share[j] += 1.0);
            steps += 1.0;
            // The relaxed choice as a solution, counted on the reduced problem first.
            // `count[i]`: relaxed sites covering demand i (also the subgradient's first term,
            // counted from the r chosen sites' side rather than from every demand's).
            let value = sub.base + {
                count.iter_mut().for_each(|c| *c = 0);
                let mut v = 0.0;
                for &j in &order[..r] {
                    for &i in sub.demands_of(j) {
                        let c = &mut count[i as usize];
                        if *c == 0 {
                            v += sub.weight[i as usize];
                        }
                        *c += 1;
                    }
                }
                v
            };
            if value > self.best + self.tolerance {
                let mut top: Vec<usize> = order[..r].to_vec();
                top.sort_unstable();
                if !tried.contains(&top) {
                    let mut sites: Vec<usize> = sub.fixed_in.iter().map(|&j| j as usize).collect();
                    sites.extend(top.iter().map(|&j| sub.site_id[j] as usize));
                    self.offer(&sites, true);
                    tried.push(top);
                }
            }
            if best
                .as_ref()
                .is_none_or(|b| bound < b.bound - self.tolerance)
            {
                best = Some(Relaxed {
                    bound,
                    lambda: lambda.clone(),
                    scores: scores.clone(),
                    top: order[..r].to_vec(),
                    s_last,
                    s_next,
                    share: Vec::new(),
                });
                stale = 0;
            } else {
                stale += 1;
                if stale >= STALL {
                    theta /= 2.0;
                    stale = 0;
                }
            }
            let target = self.target();
            if best.as_ref().is_some_and(|b| b.bound < target) || theta < 1e-4 {
                break;
            }
            // Subgradient: (relaxed sites covering i) − 1 (y_i = 1 while λ_i < w_i). The step is a
            // Polyak step toward the target in the metric diag(w): a merged demand of large weight
            // has a wide range for its multiplier.
            let mut norm2 = 0.0;
            for i in 0..n {
                let v = count[i] as f64 - 1.0;
                // No step out of the box: at λ_i = w_i with i uncovered, y_i = 0 is as good.
                let blocked =
                    (v < 0.0 && lambda[i] >= sub.weight[i]) || (v > 0.0 && lambda[i] <= 0.0);
                let v = if blocked { 0.0 } else { v };
                g[i] = v;
                norm2 += v * v * sub.weight[i];
            }
            if norm2 == 0.0 {
                break;
            }
            let step = theta * (bound - target).max(self.tolerance) / norm2;
            for i in 0..n {
                lambda[i] = (lambda[i] - step * sub.weight[i] * g[i]).clamp(0.0, sub.weight[i]);
            }
        }
        let mut best = best.expect("at least one iteration");
        best.share = share.iter().map(|s| s / steps).collect();
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::mclp::build_cover;

    /// The best cover of any `k` sites, by enumeration.
    fn exhaustive(cover: &Cover, k: usize) -> f64 {
        fn walk(cover: &Cover, k: usize, next: usize, chosen: &mut Vec<usize>, best: &mut f64) {
            if chosen.len() == k {
                let covered: f64 = (0..cover.weight.len())
                    .filter(|&i| {
                        cover.sites_of[i]
                            .iter()
                            .any(|j| chosen.contains(&(*j as usize)))
                    })
                    .map(|i| cover.weight[i])
                    .sum();
                *best = best.max(covered);
                return;
            }
            for j in next..cover.demands_of.len() {
                chosen.push(j);
                walk(cover, k, j + 1, chosen, best);
                chosen.pop();
            }
        }
        let mut best = 0.0;
        walk(cover, k, 0, &mut Vec::new(), &mut best);
        best
    }

    /// From a poor incumbent and a trivial bound the search alone must find and prove the optimum,
    /// with integer weights (closing nodes below best + 1) and with fractional ones.
    #[test]
    fn the_search_alone_finds_and_proves_the_optimum() {
        let mut s = 11u64;
        let mut next = |m: f64| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64 * m
        };
        for case in 0..60 {
            let n = 40 + case * 2;
            let m = 10 + case % 7;
            let k = 1 + case % 6;
            let integer = case % 2 == 0;
            let dx: Vec<f64> = (0..n).map(|_| next(100.0)).collect();
            let dy: Vec<f64> = (0..n).map(|_| next(100.0)).collect();
            let dw: Vec<f64> = (0..n)
                .map(|_| {
                    if integer {
                        next(9.0).floor() + 1.0
                    } else {
                        next(3.0) + 0.01
                    }
                })
                .collect();
            let sx: Vec<f64> = (0..m).map(|_| next(100.0)).collect();
            let sy: Vec<f64> = (0..m).map(|_| next(100.0)).collect();
            let radius = 15.0 + next(15.0);
            let (cover, _) = build_cover(&dx, &dy, &dw, &sx, &sy, radius);
            let opt = exhaustive(&cover, k);
            let start: Vec<usize> = (0..k).collect();
            let mut first = Solution::empty(&cover);
            start.iter().for_each(|&j| first.add(j));
            let lambda: Vec<f64> = cover.weight.iter().map(|w| w * 0.5).collect();
            let bound: f64 = cover.weight.iter().sum();
            let far = Instant::now() + std::time::Duration::from_secs(3600);
            let unit = if integer { 1.0 } else { 0.0 };
            let got =
                Search::new(&cover, k, first.exact_covered(), start, far, unit).run(lambda, bound);
            assert!(got.proven, "case {case}: not proven");
            assert!(
                (got.covered - opt).abs() <= 1e-9,
                "case {case}: {} against the optimum {opt}",
                got.covered
            );
            assert_eq!(got.upper_bound, got.covered);
            let mut check = Solution::empty(&cover);
            got.sites.iter().for_each(|&j| check.add(j));
            assert_eq!(got.sites.len(), k);
            assert!((check.exact_covered() - got.covered).abs() <= 1e-9);
        }
    }
}
