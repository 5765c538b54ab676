//! The exact part of the MCLP: depth-first branch and bound on the site decisions, each node bounded
//! by the Lagrangian relaxation of its coverage constraints (warm-started from its parent's
//! multipliers), with reduced-cost fixing. A node fixes some sites in (F) and some out; its
//! relaxation, for multipliers 0 ≤ λ_i ≤ w_i on the demands F leaves uncovered, is
//!
//!   cov(F) + Σ_i max(0, w_i − λ_i) + (the K − |F| largest Σ_{i∈cov(j)} λ_i over the free sites j)
//!
//! which bounds every choice of K sites containing F and avoiding the fixed-out ones. A node is
//! closed when its bound cannot beat the best solution found; every relaxed solution (F plus its top
//! sites) is a solution and may improve the best. When the search ends the best is proven optimal;
//! when the time runs out, the largest bound of the nodes left open bounds the optimum.

use std::time::Instant;

use super::mclp::{Cover, Solution};

/// Subgradient steps at a node (the root's multipliers come from the heuristic's long run).
const NODE_ITERATIONS: usize = 120;

/// What the search found.
pub(crate) struct Exact {
    pub covered: f64,
    pub sites: Vec<usize>,
    /// No choice of K sites covers more (equals `covered` when `proven`).
    pub upper_bound: f64,
    pub proven: bool,
    pub nodes: usize,
}

struct Node {
    fixed_in: Vec<u32>,
    fixed_out: Vec<bool>,
    lambda: Vec<f64>,
    /// The parent's bound: valid for the whole subtree.
    bound: f64,
}

/// One node's relaxation at its best multipliers.
struct Relaxed {
    bound: f64,
    /// Free sites by score, best first; the first `r` are the relaxed choice.
    ranked: Vec<usize>,
    scores: Vec<f64>,
    lambda: Vec<f64>,
}

pub(crate) struct Search<'a> {
    cover: &'a Cover,
    k: usize,
    tolerance: f64,
    best: f64,
    best_sites: Vec<usize>,
    nodes: usize,
    deadline: Instant,
    /// Per demand: covered by the node's fixed-in sites.
    fixed_cover: Vec<bool>,
}

impl<'a> Search<'a> {
    pub fn new(
        cover: &'a Cover,
        k: usize,
        best: f64,
        best_sites: Vec<usize>,
        deadline: Instant,
    ) -> Self {
        let reachable: f64 = cover.weight.iter().sum();
        Search {
            cover,
            k,
            tolerance: 1e-9 * reachable.max(1.0),
            best,
            best_sites,
            nodes: 0,
            deadline,
            fixed_cover: vec![false; cover.weight.len()],
        }
    }

    /// Runs from the root with multipliers `lambda` and root bound `bound`.
    pub fn run(mut self, lambda: Vec<f64>, bound: f64) -> Exact {
        let mut stack = vec![Node {
            fixed_in: Vec::new(),
            fixed_out: self.dominated(),
            lambda,
            bound,
        }];
        let mut open_bound: Option<f64> = None;
        while let Some(node) = stack.pop() {
            if node.bound <= self.best + self.tolerance {
                continue;
            }
            if Instant::now() >= self.deadline {
                let rest = stack.iter().map(|n| n.bound).fold(node.bound, f64::max);
                open_bound = Some(rest);
                break;
            }
            self.nodes += 1;
            if let Some((include, exclude)) = self.branch(node) {
                // Depth first, the branch that takes the wanted site on top.
                stack.push(exclude);
                stack.push(include);
            }
        }
        let proven = open_bound.is_none();
        Exact {
            covered: self.best,
            sites: self.best_sites,
            upper_bound: open_bound.map_or(self.best, |b| b.max(self.best)),
            proven,
            nodes: self.nodes,
        }
    }

    /// Sites some other site covers at least as well (its demands a subset of the other's; of equal
    /// sites the first stays). Some optimal choice avoids them all — a dominated site swapped for its
    /// dominator, or for any other site when that one is chosen too, covers no less — provided at
    /// least K sites are left; otherwise none is set aside.
    fn dominated(&self) -> Vec<bool> {
        let sets = &self.cover.demands_of;
        let m = sets.len();
        let subset = |a: &[u32], b: &[u32]| {
            // Both ascending: a merge walk.
            let mut it = b.iter();
            a.iter().all(|x| it.by_ref().any(|y| y == x))
        };
        let mut out = vec![false; m];
        for a in 0..m {
            for b in 0..m {
                if a == b || out[b] || sets[a].len() > sets[b].len() {
                    continue;
                }
                let equal = sets[a].len() == sets[b].len();
                if (!equal || b < a) && subset(&sets[a], &sets[b]) {
                    out[a] = true;
                    break;
                }
            }
        }
        if out.iter().filter(|d| !**d).count() < self.k {
            return vec![false; m];
        }
        out
    }

    /// Bounds a node, fixes what its reduced costs decide, and splits it (None: closed).
    fn branch(&mut self, mut node: Node) -> Option<(Node, Node)> {
        loop {
            let r = self.k.checked_sub(node.fixed_in.len())?;
            let fixed_weight = self.mark_fixed(&node.fixed_in);
            let free: Vec<usize> = (0..self.cover.demands_of.len())
                .filter(|&j| !node.fixed_out[j] && !node.fixed_in.contains(&(j as u32)))
                .collect();
            if free.len() < r {
                return None;
            }
            if r == 0 {
                self.offer(&node.fixed_in, &[]);
                return None;
            }
            let relaxed = self.relax(&node, &free, r, fixed_weight);
            if relaxed.bound <= self.best + self.tolerance {
                return None;
            }
            // Reduced-cost fixing: a site whose forced entry (or exit) would bring the bound down to
            // the best found is decided for the whole subtree.
            let s_last = relaxed.scores[relaxed.ranked[r - 1]];
            let s_next = relaxed.ranked.get(r).map(|&j| relaxed.scores[j]);
            let mut changed = false;
            for &j in &relaxed.ranked[r..] {
                if relaxed.bound - s_last + relaxed.scores[j] <= self.best + self.tolerance {
                    node.fixed_out[j] = true;
                    changed = true;
                }
            }
            for &j in &relaxed.ranked[..r] {
                let without = match s_next {
                    Some(s) => relaxed.bound - relaxed.scores[j] + s,
                    None => f64::NEG_INFINITY,
                };
                if without <= self.best + self.tolerance {
                    node.fixed_in.push(j as u32);
                    changed = true;
                }
            }
            node.lambda = relaxed.lambda;
            node.bound = relaxed.bound;
            if changed {
                continue;
            }
            // Branch on the relaxation's most wanted site.
            let j = relaxed.ranked[0];
            let mut include = Node {
                fixed_in: node.fixed_in.clone(),
                fixed_out: node.fixed_out.clone(),
                lambda: node.lambda.clone(),
                bound: node.bound,
            };
            include.fixed_in.push(j as u32);
            let mut exclude = node;
            exclude.fixed_out[j] = true;
            return Some((include, exclude));
        }
    }

    /// Marks the demands the fixed-in sites cover; returns their weight.
    fn mark_fixed(&mut self, fixed_in: &[u32]) -> f64 {
        self.fixed_cover.iter_mut().for_each(|c| *c = false);
        let mut w = 0.0;
        for &j in fixed_in {
            for &i in &self.cover.demands_of[j as usize] {
                let i = i as usize;
                if !self.fixed_cover[i] {
                    self.fixed_cover[i] = true;
                    w += self.cover.weight[i];
                }
            }
        }
        w
    }

    /// The fixed-in sites plus `more` as a solution; kept (after a local search) when it is the best.
    fn offer(&mut self, fixed_in: &[u32], more: &[usize]) {
        let mut s = Solution::empty(self.cover);
        for &j in fixed_in {
            s.add(j as usize);
        }
        for &j in more {
            s.add(j);
        }
        // The local search is the costly part: only from choices already within 1 % of the best.
        if s.covered < self.best * 0.99 {
            return;
        }
        s.improve();
        let covered = s.exact_covered();
        if covered > self.best + self.tolerance {
            self.best = covered;
            self.best_sites = s.sites();
        }
    }

    /// Subgradient descent on the node's Lagrangian bound from its parent's multipliers.
    fn relax(&mut self, node: &Node, free: &[usize], r: usize, fixed_weight: f64) -> Relaxed {
        let cover = self.cover;
        let n = cover.weight.len();
        let mut lambda = node.lambda.clone();
        let mut scores = vec![0.0; cover.demands_of.len()];
        let mut best: Option<Relaxed> = None;
        let mut theta = 1.0;
        let mut stale = 0;
        let mut in_top = vec![false; cover.demands_of.len()];
        let mut tried: Vec<Vec<usize>> = Vec::new();
        for _ in 0..NODE_ITERATIONS {
            for &j in free {
                scores[j] = cover.demands_of[j]
                    .iter()
                    .filter(|&&i| !self.fixed_cover[i as usize])
                    .map(|&i| lambda[i as usize])
                    .sum();
            }
            let mut ranked = free.to_vec();
            ranked.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
            let bound = fixed_weight
                + (0..n)
                    .filter(|&i| !self.fixed_cover[i])
                    .map(|i| (cover.weight[i] - lambda[i]).max(0.0))
                    .sum::<f64>()
                + ranked[..r].iter().map(|&j| scores[j]).sum::<f64>();
            let improved = best
                .as_ref()
                .is_none_or(|b| bound < b.bound - self.tolerance);
            if improved {
                best = Some(Relaxed {
                    bound,
                    ranked: ranked.clone(),
                    scores: scores.clone(),
                    lambda: lambda.clone(),
                });
                stale = 0;
            } else {
                stale += 1;
                if stale >= 10 {
                    theta /= 2.0;
                    stale = 0;
                }
            }
            let mut top = ranked[..r].to_vec();
            top.sort_unstable();
            if !tried.contains(&top) {
                self.offer(&node.fixed_in, &top);
                tried.push(top);
            }
            let b = best.as_ref().map_or(bound, |b| b.bound);
            if b <= self.best + self.tolerance || theta < 1e-3 {
                break;
            }
            // Subgradient: (relaxed sites covering i) − (y_i = 1 when w_i > λ_i), on the open demands.
            in_top.iter_mut().for_each(|v| *v = false);
            ranked[..r].iter().for_each(|&j| in_top[j] = true);
            let mut norm2 = 0.0;
            let g: Vec<f64> = (0..n)
                .map(|i| {
                    if self.fixed_cover[i] {
                        return 0.0;
                    }
                    let chosen = cover.sites_of[i]
                        .iter()
                        .filter(|&&j| in_top[j as usize])
                        .count() as f64;
                    let v = chosen
                        - if cover.weight[i] > lambda[i] {
                            1.0
                        } else {
                            0.0
                        };
                    norm2 += v * v;
                    v
                })
                .collect();
            if norm2 == 0.0 {
                break;
            }
            let step = theta * (b - self.best).max(self.tolerance) / norm2;
            for i in 0..n {
                lambda[i] = (lambda[i] - step * g[i]).clamp(0.0, cover.weight[i]);
            }
        }
        best.expect("at least one iteration")
    }
}
