//! Coverage and effect of a patrol plan. Hotspot cells are the square cells (metres, in the zone's
//! projection) holding the most incidents of the plan's basis, each with its own high-risk window
//! (the busiest consecutive hours of its incidents). The effect compares incidents before and after
//! the plan started in the cells that were patrolled against the hotspot cells that were not: the
//! ratio of their rate ratios (a difference in differences on the log scale), with a 95 % interval
//! from the Poisson counts — never a bare percentage.

use crate::patrol::{HOURS, HourWindow, busiest_window, local_hour};
use serde::Serialize;
use utoipa::ToSchema;

/// A square cell by its column and row (`floor(x / size)`, `floor(y / size)`).
pub type CellKey = (i64, i64);

pub fn cell_of(x: f64, y: f64, size: f64) -> CellKey {
    ((x / size).floor() as i64, (y / size).floor() as i64)
}

/// A hotspot cell: where, how many basis incidents and when they concentrate.
#[derive(Debug, Clone, PartialEq)]
pub struct HotspotCell {
    pub key: CellKey,
    pub incidents: usize,
    pub window: HourWindow,
}

impl HotspotCell {
    /// Whether a projected point lies in the cell (west and south edges in, east and north out).
    pub fn contains(&self, x: f64, y: f64, size: f64) -> bool {
        cell_of(x, y, size) == self.key
    }

    /// The cell's centre, in projected metres.
    pub fn centre(&self, size: f64) -> (f64, f64) {
        (
            (self.key.0 as f64 + 0.5) * size,
            (self.key.1 as f64 + 0.5) * size,
        )
    }
}

/// The `top` cells with at least `min_incidents` of `points` (projected x, y, UTC µs), most
/// incidents first (ties by key, so the choice is reproducible), each with its busiest window of
/// `window_hours`.
pub fn hotspot_cells(
    points: &[(f64, f64, i64)],
    size: f64,
    min_incidents: usize,
    top: usize,
    window_hours: u8,
) -> Vec<HotspotCell> {
    let mut by_cell: std::collections::BTreeMap<CellKey, [f64; HOURS]> = Default::default();
    for &(x, y, at) in points {
        by_cell.entry(cell_of(x, y, size)).or_insert([0.0; HOURS])[local_hour(at)] += 1.0;
    }
    let mut cells: Vec<HotspotCell> = by_cell
        .into_iter()
        .map(|(key, profile)| HotspotCell {
            key,
            incidents: profile.iter().sum::<f64>() as usize,
            window: busiest_window(&profile, window_hours),
        })
        .filter(|c| c.incidents >= min_incidents.max(1))
        .collect();
    cells.sort_by(|a, b| b.incidents.cmp(&a.incidents).then(a.key.cmp(&b.key)));
    cells.truncate(top);
    cells
}

/// Incidents in a group of cells before and after.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, ToSchema)]
pub struct GroupCounts {
    pub cells: usize,
    pub before: u64,
    pub after: u64,
}

/// The comparison of patrolled with unpatrolled hotspot cells.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct EffectEstimate {
    /// after / before in the patrolled cells, and in the comparison cells (0.5 added to a zero
    /// count, the usual correction, so a ratio always exists).
    pub patrolled_ratio: f64,
    pub comparison_ratio: f64,
    /// patrolled_ratio / comparison_ratio: below 1, the patrolled cells fared better.
    pub relative: f64,
    /// 95 % interval of `relative` (Poisson counts, log scale: SE = √(Σ 1/count)).
    pub low: f64,
    pub high: f64,
    /// The interval lies wholly below or above 1.
    pub conclusive: bool,
}

/// The ratio of rate ratios of two groups, equal periods before and after; `None` without
/// comparison cells (every hotspot was patrolled, or none was).
pub fn compare(patrolled: GroupCounts, comparison: GroupCounts) -> Option<EffectEstimate> {
    if patrolled.cells == 0 || comparison.cells == 0 {
        return None;
    }
    let c = |n: u64| if n == 0 { 0.5 } else { n as f64 };
    let (pb, pa, cb, ca) = (
        c(patrolled.before),
        c(patrolled.after),
        c(comparison.before),
        c(comparison.after),
    );
    let patrolled_ratio = pa / pb;
    let comparison_ratio = ca / cb;
    let relative = patrolled_ratio / comparison_ratio;
    let se = (1.0 / pb + 1.0 / pa + 1.0 / cb + 1.0 / ca).sqrt();
    let low = (relative.ln() - 1.96 * se).exp();
    let high = (relative.ln() + 1.96 * se).exp();
    Some(EffectEstimate {
        patrolled_ratio,
        comparison_ratio,
        relative,
        low,
        high,
        conclusive: high < 1.0 || low > 1.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000_000;

    /// UTC µs of local hour `h` on 2026-01-0d (UTC+8).
    fn at(d: i64, h: i64) -> i64 {
        // 2026-01-01T00:00+08:00
        1_767_196_800_000_000 + (d - 1) * 24 * HOUR + h * HOUR
    }

    #[test]
    fn cells_are_half_open_squares() {
        assert_eq!(cell_of(0.0, 0.0, 100.0), (0, 0));
        assert_eq!(cell_of(99.999, 0.0, 100.0), (0, 0));
        assert_eq!(cell_of(100.0, -0.001, 100.0), (1, -1));
        let c = HotspotCell {
            key: (2, 3),
            incidents: 1,
            window: HourWindow::new(0, 1).unwrap(),
        };
        assert!(c.contains(200.0, 300.0, 100.0));
        assert!(!c.contains(300.0, 350.0, 100.0));
        assert_eq!(c.centre(100.0), (250.0, 350.0));
    }

    #[test]
    fn the_busiest_cells_with_their_own_hours() {
        let mut pts = Vec::new();
        // Cell (0,0): three at 21 h, one at 9 h; cell (5,0): two at 8 h; cell (9,9): one.
        for h in [21, 21, 21, 9] {
            pts.push((50.0, 50.0, at(1, h)));
        }
        pts.push((550.0, 10.0, at(2, 8)));
        pts.push((560.0, 20.0, at(3, 8)));
        pts.push((950.0, 950.0, at(3, 8)));
        let cells = hotspot_cells(&pts, 100.0, 2, 10, 2);
        assert_eq!(cells.len(), 2);
        assert_eq!((cells[0].key, cells[0].incidents), ((0, 0), 4));
        assert_eq!(cells[0].window.start_hour, 20);
        assert!(cells[0].window.contains(21));
        assert_eq!((cells[1].key, cells[1].incidents), ((5, 0), 2));
        assert!(cells[1].window.contains(8));
        assert_eq!(hotspot_cells(&pts, 100.0, 2, 1, 2).len(), 1);
    }

    #[test]
    fn the_ratio_of_rate_ratios_with_its_interval() {
        let p = GroupCounts {
            cells: 2,
            before: 20,
            after: 10,
        };
        let c = GroupCounts {
            cells: 3,
            before: 20,
            after: 20,
        };
        let e = compare(p, c).unwrap();
        assert!((e.patrolled_ratio - 0.5).abs() < 1e-12);
        assert!((e.comparison_ratio - 1.0).abs() < 1e-12);
        assert!((e.relative - 0.5).abs() < 1e-12);
        // SE = √(1/20 + 1/10 + 1/20 + 1/20) = 0.5; 0.5 · e^(±0.98).
        assert!((e.low - 0.5 * (-0.98f64).exp()).abs() < 1e-9);
        assert!((e.high - 0.5 * 0.98f64.exp()).abs() < 1e-9);
        assert!(!e.conclusive, "1.33 > 1: these counts cannot tell");
        // Ten times the counts: the same ratio, now conclusive.
        let p10 = GroupCounts {
            cells: 2,
            before: 200,
            after: 100,
        };
        let c10 = GroupCounts {
            cells: 3,
            before: 200,
            after: 200,
        };
        assert!(compare(p10, c10).unwrap().conclusive);
        // A zero count gets 0.5; no comparison cells, no estimate.
        let z = compare(
            GroupCounts {
                cells: 1,
                before: 4,
                after: 0,
            },
            c,
        )
        .unwrap();
        assert!((z.patrolled_ratio - 0.125).abs() < 1e-12);
        assert_eq!(compare(p, GroupCounts { cells: 0, ..c }), None);
    }
}
