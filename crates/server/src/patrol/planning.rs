//! Where posts go: the zone's recent incidents, weighted by the risk of their hour of day, are the
//! demand; a lattice of points inside the zone are the candidate sites; the MCLP kernel
//! (`pingan_geo::analysis::mclp`, exact within its time limit) chooses K of them; each post's window
//! is the busiest stretch of the hourly profile of the incidents it covers. Pure computation on
//! projected metres — the service reads and stores.

use geo::MultiPolygon;
use pingan_domain::patrol::{HOURS, HourWindow, Post, busiest_window, hourly_risk, local_hour};
use pingan_geo::analysis::mclp::{Mclp, MclpError, MclpOptions, mclp_with};
use pingan_geo::{PolygonIndex, Projection};
use serde::Serialize;
use utoipa::ToSchema;

/// At most this many candidate sites: the lattice spacing grows for a large zone.
pub const MAX_SITES: usize = 600;

/// The zone's incidents as the kernel weighs them.
pub struct Demand {
    pub xs: Vec<f64>,
    pub ys: Vec<f64>,
    /// Risk of the incident's hour (an average hour is 1.0).
    pub weights: Vec<f64>,
    pub hours: Vec<usize>,
    pub risk: [f64; HOURS],
}

/// Weighs incidents (`(x, y, received_at µs)`, projected) by the hour-of-day risk of the zone's own
/// hourly profile.
pub fn demand(points: &[(f64, f64, i64)]) -> Demand {
    let hours: Vec<usize> = points.iter().map(|p| local_hour(p.2)).collect();
    let mut counts = [0.0; HOURS];
    for &h in &hours {
        counts[h] += 1.0;
    }
    let risk = hourly_risk(&counts);
    Demand {
        xs: points.iter().map(|p| p.0).collect(),
        ys: points.iter().map(|p| p.1).collect(),
        weights: hours.iter().map(|&h| risk[h]).collect(),
        hours,
        risk,
    }
}

/// Candidate sites: the centres of a square lattice over the zone (projected) that lie inside it,
/// `spacing` metres apart, the spacing grown until at most [`MAX_SITES`] remain. Returns the sites
/// and the spacing used.
pub fn candidate_sites(zone: &MultiPolygon<f64>, spacing: f64) -> (Vec<(f64, f64)>, f64) {
    use geo::BoundingRect;
    let Some(rect) = zone.bounding_rect() else {
        return (Vec::new(), spacing);
    };
    let index = PolygonIndex::new(vec![("zone".into(), zone.clone())]);
    let mut s = spacing.max(1.0);
    loop {
        let cols = ((rect.width() / s).ceil() as usize).max(1);
        let rows = ((rect.height() / s).ceil() as usize).max(1);
        if cols.saturating_mul(rows) <= MAX_SITES * 4 {
            let mut out = Vec::new();
            for r in 0..rows {
                for c in 0..cols {
                    let x = rect.min().x + (c as f64 + 0.5) * s;
                    let y = rect.min().y + (r as f64 + 0.5) * s;
                    if index.locate(x, y).is_some() {
                        out.push((x, y));
                    }
                }
            }
            if out.len() <= MAX_SITES {
                return (out, s);
            }
        }
        s *= 1.25;
    }
}

/// What the kernel proposed, kept with the plan as it was made.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
pub struct Proposal {
    pub posts: Vec<Post>,
    pub k: usize,
    pub radius_m: f64,
    pub window_hours: u8,
    /// Incidents weighed (received in the basis period inside the zone).
    pub incidents: usize,
    /// Their total risk weight.
    pub total_weight: f64,
    /// Risk weight within `radius_m` of a proposed post.
    pub covered: f64,
    /// No choice of K sites covers more.
    pub upper_bound: f64,
    /// The kernel proved that no choice of K candidate sites covers more.
    pub proven_optimal: bool,
    pub gap: f64,
    pub candidate_sites: usize,
    pub site_spacing_m: f64,
    /// Risk of each local hour 0–23 (1.0 = an average hour).
    pub hourly_risk: Vec<f64>,
}

/// Why no proposal.
#[derive(Debug, thiserror::Error)]
pub enum PlanningError {
    #[error("the zone has no incidents in the basis period to place posts by")]
    NoIncidents,
    #[error("the zone is too small for {k} posts: {sites} candidate sites")]
    TooFewSites { k: usize, sites: usize },
    #[error(transparent)]
    Kernel(#[from] MclpError),
}

/// Proposes `k` posts: the kernel on `demand` over `sites`, then each post's busiest window.
#[allow(clippy::too_many_arguments)]
pub fn propose(
    demand: &Demand,
    sites: &[(f64, f64)],
    spacing: f64,
    proj: &Projection,
    k: usize,
    radius: f64,
    window_hours: u8,
    options: MclpOptions,
) -> Result<Proposal, PlanningError> {
    if demand.xs.is_empty() {
        return Err(PlanningError::NoIncidents);
    }
    if sites.len() < k {
        return Err(PlanningError::TooFewSites {
            k,
            sites: sites.len(),
        });
    }
    let sx: Vec<f64> = sites.iter().map(|s| s.0).collect();
    let sy: Vec<f64> = sites.iter().map(|s| s.1).collect();
    let m: Mclp = mclp_with(
        &demand.xs,
        &demand.ys,
        &demand.weights,
        &sx,
        &sy,
        radius,
        k,
        &options,
    )?;
    let posts = m
        .sites
        .iter()
        .enumerate()
        .map(|(n, &j)| {
            let (lng, lat) = proj.inverse(sx[j], sy[j]);
            Post {
                lng,
                lat,
                window: window_at(demand, (sx[j], sy[j]), radius, window_hours),
                proposed: Some(n),
            }
        })
        .collect();
    Ok(Proposal {
        posts,
        k,
        radius_m: radius,
        window_hours,
        incidents: demand.xs.len(),
        total_weight: demand.weights.iter().sum(),
        covered: m.covered,
        upper_bound: m.upper_bound,
        proven_optimal: m.proven_optimal,
        gap: m.gap,
        candidate_sites: sites.len(),
        site_spacing_m: spacing,
        hourly_risk: demand.risk.to_vec(),
    })
}

/// The busiest `hours` of the day for the incidents within `radius` of `at`.
pub fn window_at(demand: &Demand, at: (f64, f64), radius: f64, hours: u8) -> HourWindow {
    let r2 = radius * radius;
    let mut profile = [0.0; HOURS];
    for i in 0..demand.xs.len() {
        if (demand.xs[i] - at.0).powi(2) + (demand.ys[i] - at.1).powi(2) <= r2 {
            profile[demand.hours[i]] += 1.0;
        }
    }
    busiest_window(&profile, hours)
}

/// Risk weight within `radius` of at least one of `posts` (projected), and per post the number of
/// incidents within its radius.
pub fn coverage(demand: &Demand, posts: &[(f64, f64)], radius: f64) -> (f64, Vec<usize>) {
    let r2 = radius * radius;
    let mut per_post = vec![0; posts.len()];
    let mut covered = 0.0;
    for i in 0..demand.xs.len() {
        let mut hit = false;
        for (n, p) in posts.iter().enumerate() {
            if (demand.xs[i] - p.0).powi(2) + (demand.ys[i] - p.1).powi(2) <= r2 {
                per_post[n] += 1;
                hit = true;
            }
        }
        if hit {
            covered += demand.weights[i];
        }
    }
    (covered, per_post)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{LineString, Polygon};

    fn square(side: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![Polygon::new(
            LineString::from(vec![
                (0.0, 0.0),
                (side, 0.0),
                (side, side),
                (0.0, side),
                (0.0, 0.0),
            ]),
            vec![],
        )])
    }

    #[test]
    fn the_lattice_fills_the_zone_within_the_site_limit() {
        let (sites, s) = candidate_sites(&square(1000.0), 100.0);
        assert_eq!((sites.len(), s), (100, 100.0));
        assert!(sites.contains(&(50.0, 50.0)) && sites.contains(&(950.0, 950.0)));
        let (sites, s) = candidate_sites(&square(10_000.0), 100.0);
        assert!(
            sites.len() <= MAX_SITES && sites.len() > MAX_SITES / 2,
            "{}",
            sites.len()
        );
        assert!(s > 100.0);
    }

    #[test]
    fn two_posts_cover_what_brute_force_finds_best() {
        // Incidents: a cluster at (200, 200) in the evening, one at (800, 800) at night, a pair at
        // (800, 200) at noon.
        let hour = |h: i64| (h - 8) * 3_600_000_000; // local hour h on 1970-01-01
        let mut pts = vec![];
        for k in 0..5 {
            pts.push((200.0 + k as f64, 200.0, hour(20)));
        }
        pts.push((800.0, 800.0, hour(2)));
        pts.push((800.0, 200.0, hour(12)));
        pts.push((801.0, 200.0, hour(12)));
        let d = demand(&pts);
        let (sites, s) = candidate_sites(&square(1000.0), 100.0);
        let proj = Projection::gauss_kruger_3deg(120.0);
        let p = propose(&d, &sites, s, &proj, 2, 120.0, 3, MclpOptions::default()).unwrap();
        // Brute force over every pair of sites.
        let mut best = 0.0_f64;
        for a in 0..sites.len() {
            for b in a + 1..sites.len() {
                best = best.max(coverage(&d, &[sites[a], sites[b]], 120.0).0);
            }
        }
        assert!(p.proven_optimal);
        assert!((p.covered - best).abs() < 1e-9, "{} vs {best}", p.covered);
        // The evening cluster's post is manned in the evening.
        let evening = p
            .posts
            .iter()
            .find(|q| q.window.contains(20))
            .expect("a post for the evening cluster");
        assert_eq!(evening.window.hours, 3);
        assert!(
            (d.risk[20] - 15.0).abs() < 1e-12,
            "5 of 8 at 20:00 → 5/8 × 24"
        );
    }
}
