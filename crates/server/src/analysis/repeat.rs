//! Repeat locations (重复报警地点): places where incidents recur, found by greedy clustering of the
//! selection's incidents within a radius or at the same (normalised) address.

use super::Events;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

/// A place with repeated incidents: within `radius` of the seed incident, or at the same address.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RepeatLocation {
    /// The address most of its incidents give.
    pub address: String,
    pub lng: f64,
    pub lat: f64,
    pub count: usize,
    pub first_at: i64,
    pub last_at: i64,
    pub types: Vec<TypeCount>,
    /// Numbers of its incidents (the 20 most recent).
    pub incidents: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TypeCount {
    pub type_code: String,
    pub count: usize,
}

/// The incidents sorted by cell of side `size`, each cell's incidents contiguous, with their
/// coordinates and address groups in that order (the inner loops read memory in sequence).
struct Cells {
    size: f64,
    /// Cell → its range in the sorted order.
    ranges: HashMap<(i64, i64), (u32, u32)>,
    /// Incident at each sorted position.
    order: Vec<u32>,
    xs: Vec<f64>,
    ys: Vec<f64>,
    /// Address group at each sorted position ([`NO_ADDRESS`] for none).
    group: Vec<u32>,
}

const NO_ADDRESS: u32 = u32::MAX;

impl Cells {
    fn new(ev: &Events, size: f64, group_of: &[u32]) -> Cells {
        // Each incident's cell once (not in every comparison of the sort).
        let keys: Vec<(i64, i64)> = (0..ev.len())
            .map(|i| {
                (
                    (ev.xs[i] / size).floor() as i64,
                    (ev.ys[i] / size).floor() as i64,
                )
            })
            .collect();
        let key = |i: u32| keys[i as usize];
        let mut order: Vec<u32> = (0..ev.len() as u32).collect();
        order.sort_unstable_by_key(|&i| (key(i), i));
        let mut ranges = HashMap::new();
        let mut start = 0;
        while start < order.len() {
            let k = key(order[start]);
            let mut end = start + 1;
            while end < order.len() && key(order[end]) == k {
                end += 1;
            }
            ranges.insert(k, (start as u32, end as u32));
            start = end;
        }
        Cells {
            size,
            ranges,
            xs: order.iter().map(|&i| ev.xs[i as usize]).collect(),
            ys: order.iter().map(|&i| ev.ys[i as usize]).collect(),
            group: order.iter().map(|&i| group_of[i as usize]).collect(),
            order,
        }
    }

    fn range(&self, cell: (i64, i64)) -> std::ops::Range<usize> {
        self.ranges
            .get(&cell)
            .map_or(0..0, |&(a, b)| a as usize..b as usize)
    }

    /// For every unordered pair of incidents within `radius` (one cell's size) that does not
    /// share an address group, `count(p, q)` with their sorted positions: each pair is looked at
    /// once, from the cell of one to the same cell or four of its neighbours.
    fn near_pairs(&self, radius: f64, count: &mut impl FnMut(usize, usize)) {
        const HALF: [(i64, i64); 4] = [(1, 0), (-1, 1), (0, 1), (1, 1)];
        let r2 = radius * radius;
        let differ = |a: u32, b: u32| a != b || a == NO_ADDRESS;
        for (&(cx, cy), &(a, b)) in &self.ranges {
            let (a, b) = (a as usize, b as usize);
            for p in a..b {
                let (x, y, g) = (self.xs[p], self.ys[p], self.group[p]);
                for q in p + 1..b {
                    let (dx, dy) = (self.xs[q] - x, self.ys[q] - y);
                    if dx * dx + dy * dy <= r2 && differ(g, self.group[q]) {
                        count(p, q);
                    }
                }
            }
            for (ox, oy) in HALF {
                let other = self.range((cx + ox, cy + oy));
                if other.is_empty() {
                    continue;
                }
                for p in a..b {
                    let (x, y, g) = (self.xs[p], self.ys[p], self.group[p]);
                    for q in other.clone() {
                        let (dx, dy) = (self.xs[q] - x, self.ys[q] - y);
                        if dx * dx + dy * dy <= r2 && differ(g, self.group[q]) {
                            count(p, q);
                        }
                    }
                }
            }
        }
    }

    /// Each incident within `radius` of (x, y), `f` called with its index in the events.
    fn around(&self, x: f64, y: f64, radius: f64, f: &mut impl FnMut(usize)) {
        let (cx, cy) = (
            (x / self.size).floor() as i64,
            (y / self.size).floor() as i64,
        );
        let r2 = radius * radius;
        for dx in -1..=1 {
            for dy in -1..=1 {
                for q in self.range((cx + dx, cy + dy)) {
                    let (ddx, ddy) = (self.xs[q] - x, self.ys[q] - y);
                    if ddx * ddx + ddy * ddy <= r2 {
                        f(self.order[q] as usize);
                    }
                }
            }
        }
    }
}

/// Greedy clustering: the incident with most neighbours (≤ `radius_m` or same address) seeds a
/// place with its unclaimed ones; places of at least `min_count` incidents, most incidents first.
/// Neighbour lists are never stored (a night market's thousands of incidents would make them
/// quadratic): degrees are counted, each near pair once, and a seed's members gathered when it is
/// reached.
pub fn repeat_locations(ev: &Events, radius_m: f64, min_count: usize) -> Vec<RepeatLocation> {
    let n = ev.len();
    // Addresses are normalised once per distinct text, then grouped by the normalised form.
    let mut normal_index: HashMap<String, u32> = HashMap::new();
    let normal_of: Vec<u32> = ev
        .addresses
        .iter()
        .map(|a| {
            let a = pingan_domain::incident::normalise_address(a);
            let next = normal_index.len() as u32;
            if a.is_empty() {
                NO_ADDRESS
            } else {
                *normal_index.entry(a).or_insert(next)
            }
        })
        .collect();
    let group_of: Vec<u32> = (0..n)
        .map(|i| normal_of[ev.address_of[i] as usize])
        .collect();
    let mut by_address: Vec<Vec<u32>> = vec![Vec::new(); normal_index.len()];
    for (i, &g) in group_of.iter().enumerate() {
        if g != NO_ADDRESS {
            by_address[g as usize].push(i as u32);
        }
    }
    let cells = Cells::new(ev, radius_m, &group_of);
    // |within radius ∪ same address|: the address group (or the incident itself), plus the near
    // ones of another address or none.
    let mut degree: Vec<usize> = group_of
        .iter()
        .map(|&g| {
            if g == NO_ADDRESS {
                1
            } else {
                by_address[g as usize].len()
            }
        })
        .collect();
    let mut near_by_position = vec![0usize; n];
    cells.near_pairs(radius_m, &mut |p, q| {
        near_by_position[p] += 1;
        near_by_position[q] += 1;
    });
    for (p, &i) in cells.order.iter().enumerate() {
        degree[i as usize] += near_by_position[p];
    }
    let mut order: Vec<usize> = (0..n).filter(|&i| degree[i] >= min_count).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(degree[i]), i));
    let mut taken = vec![false; n];
    let mut out = Vec::new();
    for seed in order {
        if taken[seed] {
            continue;
        }
        let mut members = Vec::new();
        cells.around(ev.xs[seed], ev.ys[seed], radius_m, &mut |j| {
            if !taken[j] {
                members.push(j);
            }
        });
        if group_of[seed] != NO_ADDRESS {
            members.extend(
                by_address[group_of[seed] as usize]
                    .iter()
                    .map(|&j| j as usize)
                    .filter(|&j| !taken[j]),
            );
        }
        members.sort_unstable();
        members.dedup();
        if members.len() < min_count {
            continue;
        }
        for &j in &members {
            taken[j] = true;
        }
        out.push(place_of(ev, seed, &members));
    }
    out.sort_by(|a, b| b.count.cmp(&a.count).then(b.last_at.cmp(&a.last_at)));
    out
}

fn place_of(ev: &Events, seed: usize, members: &[usize]) -> RepeatLocation {
    let mut addresses: HashMap<&str, usize> = HashMap::new();
    let mut types: HashMap<&str, usize> = HashMap::new();
    for &j in members {
        *addresses.entry(ev.address(j)).or_default() += 1;
        *types.entry(ev.type_code(j)).or_default() += 1;
    }
    let address = addresses
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
        .map(|(a, _)| a.to_string())
        .unwrap_or_default();
    let mut types: Vec<TypeCount> = types
        .into_iter()
        .map(|(t, c)| TypeCount {
            type_code: t.to_string(),
            count: c,
        })
        .collect();
    types.sort_by(|a, b| b.count.cmp(&a.count).then(a.type_code.cmp(&b.type_code)));
    let mut recent: Vec<usize> = members.to_vec();
    recent.sort_by_key(|&j| std::cmp::Reverse(ev.received_at[j]));
    RepeatLocation {
        address,
        lng: ev.lng[seed],
        lat: ev.lat[seed],
        count: members.len(),
        first_at: members
            .iter()
            .map(|&j| ev.received_at[j])
            .min()
            .unwrap_or(0),
        last_at: members
            .iter()
            .map(|&j| ev.received_at[j])
            .max()
            .unwrap_or(0),
        types,
        incidents: recent
            .iter()
            .take(20)
            .map(|&j| ev.numbers[j].to_string())
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pingan_store::analysis::IncidentPoint;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// The clustering as first written: every neighbour of every incident found from its own cell
    /// (no shared pair pass), to check the faster degree count against.
    fn reference(ev: &Events, radius: f64, min_count: usize) -> Vec<(usize, String, i64, i64)> {
        let n = ev.len();
        let group: Vec<Option<String>> = (0..n)
            .map(|i| {
                let a = pingan_domain::incident::normalise_address(ev.address(i));
                (!a.is_empty()).then_some(a)
            })
            .collect();
        let near = |i: usize, j: usize| {
            (ev.xs[i] - ev.xs[j]).powi(2) + (ev.ys[i] - ev.ys[j]).powi(2) <= radius * radius
        };
        let linked =
            |i: usize, j: usize| near(i, j) || (group[i].is_some() && group[i] == group[j]);
        let degree: Vec<usize> = (0..n)
            .map(|i| (0..n).filter(|&j| linked(i, j)).count())
            .collect();
        let mut order: Vec<usize> = (0..n).filter(|&i| degree[i] >= min_count).collect();
        order.sort_by_key(|&i| (std::cmp::Reverse(degree[i]), i));
        let mut taken = vec![false; n];
        let mut out = Vec::new();
        for seed in order {
            if taken[seed] {
                continue;
            }
            let members: Vec<usize> = (0..n).filter(|&j| !taken[j] && linked(seed, j)).collect();
            if members.len() < min_count {
                continue;
            }
            for &j in &members {
                taken[j] = true;
            }
            let p = place_of(ev, seed, &members);
            out.push((p.count, p.address, p.first_at, p.last_at));
        }
        out.sort_by(|a, b| b.0.cmp(&a.0).then(b.3.cmp(&a.3)));
        out
    }

    #[test]
    fn repeat_locations_equal_the_pairwise_reference_on_clustered_points() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let addresses = [
            "江东路18号",
            "江东路18号 ",
            "浣纱路1号",
            "",
            "",
            "人民路3号",
        ];
        let mut pts = Vec::new();
        for i in 0..1500 {
            // A third around five tight places, the rest spread over ~2 km.
            let (lng, lat) = if i % 3 == 0 {
                let k = (i / 3) % 5;
                (
                    120.24 + 0.002 * k as f64 + rng.gen_range(-0.0004..0.0004),
                    29.71 + rng.gen_range(-0.0004..0.0004),
                )
            } else {
                (
                    120.23 + rng.gen_range(0.0..0.02),
                    29.70 + rng.gen_range(0.0..0.02),
                )
            };
            pts.push(IncidentPoint {
                number: format!("N{i:04}"),
                type_code: if i % 2 == 0 { "100100" } else { "200100" }.into(),
                address: addresses[rng.gen_range(0..addresses.len())].into(),
                lng,
                lat,
                received_at: i as i64 * 3_600_000_000,
            });
        }
        let ev = super::super::project(pts);
        for (radius, min) in [(50.0, 3), (120.0, 5), (20.0, 2)] {
            let got: Vec<(usize, String, i64, i64)> = repeat_locations(&ev, radius, min)
                .into_iter()
                .map(|p| (p.count, p.address, p.first_at, p.last_at))
                .collect();
            let want = reference(&ev, radius, min);
            assert!(got.len() > 3, "radius {radius}: {got:?}");
            assert_eq!(got, want, "radius {radius}, at least {min}");
        }
    }
}
