//! 信息研判 kernels: the spatial statistics crime analysts otherwise run in desktop GIS or Python.
//! Every function here is exact against the reference implementation named in its module (PySAL
//! esda, scikit-learn, pointpats, spopt/CBC, scipy) on the committed reference files under
//! `tests/reference/analysis/`, and is pure: slices in, numbers out.
//!
//! - [`grid`]: the regular cell grid (`col = floor((x−x0)/C)`, row 0 at the south) and binning;
//! - [`gistar`]: Getis-Ord Gi* on a grid (distance band) or over a neighbour list (queen contiguity);
//! - [`kde`]: Gaussian and Epanechnikov kernel density at cell centres, exact or with a stated bound;
//! - [`knox`]: the near-repeat (Knox) space × time tables with Monte-Carlo p-values, or (beyond a
//!   work budget) p-values from the permutation distribution's exact mean and variance;
//! - [`mclp`]: maximal covering location (patrol posts): heuristic, Lagrangian bound, then branch and
//!   bound (`mclp_exact`) to a proven optimum within a time limit;
//! - [`trend`]: 同比/环比 changes with an exact conditional test, so a brief does not celebrate noise;
//! - [`points`]: the `id,x,y[,w][,t]` CSV shared by `pingan analyze`;
//! - [`stats`]: normal and binomial tail probabilities.

pub mod gistar;
pub mod grid;
pub mod kde;
pub mod knox;
mod knox_normal;
pub mod mclp;
mod mclp_exact;
pub mod points;
pub mod stats;
pub mod trend;

/// Threads a kernel may use: the machine's cores.
fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |t| t.get())
}
