//! The demo district: real division codes of 诸暨市 (330681) — three townships/streets including 枫桥镇,
//! where the 枫桥经验 began — twelve villages/communities, forty grids with generated polygons,
//! the organisations that work there and one account per role. Deterministic for a given seed.
//!
//! Polygons are drawn on a jittered lattice per township: neighbouring grids share lattice points and
//! each shared edge is subdivided with the same seeded noise from both sides, so grids tile their village
//! and villages tile their township without gaps or overlaps (village outlines are not public data).

use pingan_domain::audit::{AuditEntry, AuditOutcome};
use pingan_domain::{AreaCode, GridCode, ScopeGrant, ScopeKind};
use pingan_store::{Db, areas, grids, now_micros};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub const DISTRICT: (&str, &str) = ("330681", "诸暨市");

struct Township {
    code: &'static str,
    name: &'static str,
    area_type: &'static str,
    /// South-west corner (lng, lat) and cell size in degrees.
    origin: (f64, f64),
    cell: (f64, f64),
    cols: usize,
    villages: [(&'static str, &'static str); 4],
}

const TOWNSHIPS: [Township; 3] = [
    Township {
        code: "330681001",
        name: "暨阳街道",
        area_type: "urban",
        origin: (120.215, 29.700),
        cell: (0.0055, 0.0050),
        cols: 6,
        villages: [
            ("330681001001", "江东社区"),
            ("330681001004", "金鸡山社区"),
            ("330681001005", "浣纱社区"),
            ("330681001006", "茅渚埠社区"),
        ],
    },
    Township {
        code: "330681002",
        name: "浣东街道",
        area_type: "suburban",
        origin: (120.255, 29.700),
        cell: (0.0080, 0.0070),
        cols: 6,
        villages: [
            ("330681002001", "东盛社区居委会"),
            ("330681002004", "东福社区"),
            ("330681002005", "和济社区"),
            ("330681002282", "白鱼潭古村"),
        ],
    },
    Township {
        code: "330681109",
        name: "枫桥镇",
        area_type: "rural",
        origin: (120.360, 29.600),
        cell: (0.0120, 0.0110),
        cols: 8,
        villages: [
            ("330681109002", "天竺社区居委会"),
            ("330681109004", "陈家社区"),
            ("330681109219", "先进村委会"),
            ("330681109229", "霞朗桥村委会"),
        ],
    },
];

const ROWS: usize = 2;
const EDGE_SEGMENTS: usize = 8;

/// What the demo district holds.
pub struct District {
    /// Whether this call created it (false: it was there already).
    pub created: bool,
    pub areas: usize,
    pub grids: usize,
}

/// The lattice of one township: jittered points shared by all cells.
struct Lattice {
    seed: u64,
    index: usize,
    points: Vec<Vec<(f64, f64)>>,
}

impl Lattice {
    fn new(t: &Township, index: usize, seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ ((index as u64 + 1) * 0x9E37_79B9));
        let points = (0..=t.cols)
            .map(|i| {
                (0..=ROWS)
                    .map(|j| {
                        let interior = i > 0 && i < t.cols && j > 0 && j < ROWS;
                        let (jx, jy) = if interior {
                            (rng.gen_range(-0.18..0.18), rng.gen_range(-0.18..0.18))
                        } else {
                            (0.0, 0.0)
                        };
                        (
                            t.origin.0 + (i as f64 + jx) * t.cell.0,
                            t.origin.1 + (j as f64 + jy) * t.cell.1,
                        )
                    })
                    .collect()
            })
            .collect();
        Lattice {
            seed,
            index,
            points,
        }
    }

    /// Points from lattice node `a` to `b` (exclusive of `b`), with noise shared by both directions.
    fn edge(&self, a: (usize, usize), b: (usize, usize)) -> Vec<(f64, f64)> {
        let (lo, hi, reversed) = if a <= b { (a, b, false) } else { (b, a, true) };
        let key = (self.seed, self.index, lo, hi);
        let mut rng = ChaCha8Rng::seed_from_u64(hash_key(key));
        let p = self.points[lo.0][lo.1];
        let q = self.points[hi.0][hi.1];
        let (dx, dy) = (q.0 - p.0, q.1 - p.1);
        let amp = 0.06;
        let mut pts: Vec<(f64, f64)> = (0..=EDGE_SEGMENTS)
            .map(|k| {
                let t = k as f64 / EDGE_SEGMENTS as f64;
                let off = if k == 0 || k == EDGE_SEGMENTS {
                    0.0
                } else {
                    rng.gen_range(-amp..amp) * (t * (1.0 - t) * 4.0)
                };
                // Perpendicular offset (−dy, dx) scaled.
                (p.0 + dx * t - dy * off, p.1 + dy * t + dx * off)
            })
            .collect();
        if reversed {
            pts.reverse();
        }
        pts.pop();
        pts
    }

    /// Counter-clockwise ring around the block of cells [c0, c1) × [r0, r1).
    fn ring(&self, c0: usize, c1: usize, r0: usize, r1: usize) -> Vec<(f64, f64)> {
        let mut nodes = Vec::new();
        for i in c0..c1 {
            nodes.push(((i, r0), (i + 1, r0)));
        }
        for j in r0..r1 {
            nodes.push(((c1, j), (c1, j + 1)));
        }
        for i in (c0..c1).rev() {
            nodes.push(((i + 1, r1), (i, r1)));
        }
        for j in (r0..r1).rev() {
            nodes.push(((c0, j + 1), (c0, j)));
        }
        let mut ring: Vec<(f64, f64)> = nodes
            .into_iter()
            .flat_map(|(a, b)| self.edge(a, b))
            .collect();
        ring.push(ring[0]);
        ring
    }
}

fn hash_key(k: (u64, usize, (usize, usize), (usize, usize))) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for v in [
        k.0,
        k.1 as u64,
        k.2.0 as u64,
        k.2.1 as u64,
        k.3.0 as u64,
        k.3.1 as u64,
    ] {
        h ^= v;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn polygon_json(ring: &[(f64, f64)]) -> (String, [f64; 4]) {
    let coords: Vec<[f64; 2]> = ring.iter().map(|&(x, y)| [round7(x), round7(y)]).collect();
    let bbox = coords
        .iter()
        .fold([f64::MAX, f64::MAX, f64::MIN, f64::MIN], |b, c| {
            [
                b[0].min(c[0]),
                b[1].min(c[1]),
                b[2].max(c[0]),
                b[3].max(c[1]),
            ]
        });
    (
        serde_json::json!({"type": "Polygon", "coordinates": [coords]}).to_string(),
        bbox,
    )
}

fn round7(v: f64) -> f64 {
    (v * 1e7).round() / 1e7
}

/// Village `v` (0..4) of a township covers this block of lattice cells: two villages per row.
fn village_block(t: &Township, v: usize) -> (usize, usize, usize, usize) {
    let half = t.cols / 2;
    let (c0, c1) = if v.is_multiple_of(2) {
        (0, half)
    } else {
        (half, t.cols)
    };
    let r = if v < 2 { 1 } else { 0 };
    (c0, c1, r, r + 1)
}

/// Creates the demo district's areas and grids once (when the database has no areas yet).
pub async fn ensure(db: &Db, seed: u64) -> anyhow::Result<District> {
    let existing = areas::list(db, &root_scope(), None, None).await?.len();
    if existing > 0 {
        let grids = grids::count(db, &root_scope()).await? as usize;
        return Ok(District {
            created: false,
            areas: existing,
            grids,
        });
    }
    let mut tx = db.begin().await?;
    let valid_from = "2023-01-01".to_string();
    let district = AreaCode::parse(DISTRICT.0)?;
    areas::insert(
        &mut tx,
        &areas::NewArea {
            code: district.clone(),
            parent: None,
            name: DISTRICT.1.into(),
            area_type: "urban".into(),
            valid_from: valid_from.clone(),
        },
    )
    .await?;
    let mut n_areas = 1;
    let mut n_grids = 0;
    for (ti, t) in TOWNSHIPS.iter().enumerate() {
        let tcode = AreaCode::parse(t.code)?;
        areas::insert(
            &mut tx,
            &areas::NewArea {
                code: tcode.clone(),
                parent: Some(district.clone()),
                name: t.name.into(),
                area_type: t.area_type.into(),
                valid_from: valid_from.clone(),
            },
        )
        .await?;
        n_areas += 1;
        let lattice = Lattice::new(t, ti, seed);
        let (g, bbox) = polygon_json(&lattice.ring(0, t.cols, 0, ROWS));
        areas::put_shape(&mut tx, t.code, &g, bbox).await?;
        for (vi, (vcode, vname)) in t.villages.iter().enumerate() {
            let vc = AreaCode::parse(vcode)?;
            areas::insert(
                &mut tx,
                &areas::NewArea {
                    code: vc.clone(),
                    parent: Some(tcode.clone()),
                    name: (*vname).into(),
                    area_type: t.area_type.into(),
                    valid_from: valid_from.clone(),
                },
            )
            .await?;
            n_areas += 1;
            let (c0, c1, r0, r1) = village_block(t, vi);
            let (g, bbox) = polygon_json(&lattice.ring(c0, c1, r0, r1));
            areas::put_shape(&mut tx, vcode, &g, bbox).await?;
            // Numbered west → east within the village's row.
            for (k, c) in (c0..c1).enumerate() {
                let code = GridCode::parse(&format!("{vcode}{:03}", k + 1))?;
                let dedicated = ti == 0 && vi == 0 && k == 0;
                let (geometry_json, bbox) = polygon_json(&lattice.ring(c, c + 1, r0, r1));
                grids::insert(
                    &mut tx,
                    &grids::NewGrid {
                        code,
                        name: if dedicated {
                            format!("{vname}江东农贸市场专属网格")
                        } else {
                            format!("{vname}第{}网格", k + 1)
                        },
                        kind: if dedicated {
                            "dedicated".into()
                        } else {
                            "basic".into()
                        },
                        geometry_json,
                        bbox,
                    },
                )
                .await?;
                n_grids += 1;
            }
        }
    }
    let entry = AuditEntry {
        at: now_micros(),
        actor_id: None,
        actor_name: "system".into(),
        action: "demo.create".into(),
        object_type: "district".into(),
        object_id: Some(DISTRICT.0.into()),
        outcome: AuditOutcome::Ok,
        purpose: None,
        ip: None,
        detail: serde_json::json!({"areas": n_areas, "grids": n_grids}).to_string(),
    };
    tx.commit_audited(vec![entry]).await?;
    Ok(District {
        created: true,
        areas: n_areas,
        grids: n_grids,
    })
}

fn root_scope() -> pingan_domain::Scope {
    pingan_domain::Scope::new(vec![ScopeGrant {
        kind: ScopeKind::Area,
        path: "/".into(),
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neighbouring_grids_share_their_edge_exactly() {
        let t = &TOWNSHIPS[2];
        let l = Lattice::new(t, 2, 7);
        let left = l.ring(0, 1, 0, 1);
        let right = l.ring(1, 2, 0, 1);
        // The right edge of the left cell, walked upwards, is the left edge of the right cell walked down.
        let up = l.edge((1, 0), (1, 1));
        let mut down = l.edge((1, 1), (1, 0));
        down.push(l.points[1][0]);
        down.remove(0);
        down.insert(0, l.points[1][1]);
        let mut up_full = up.clone();
        up_full.push(l.points[1][1]);
        let mut rev = up_full.clone();
        rev.reverse();
        assert_eq!(rev, down);
        assert!(up.iter().all(|p| left.contains(p)));
        assert!(up.iter().skip(1).all(|p| right.contains(p)));
    }

    #[test]
    fn forty_grids() {
        let n: usize = TOWNSHIPS.iter().map(|t| t.cols * ROWS).sum();
        assert_eq!(n, 40);
        for t in &TOWNSHIPS {
            let covered: usize = (0..4)
                .map(|v| {
                    let b = village_block(t, v);
                    (b.1 - b.0) * (b.3 - b.2)
                })
                .sum();
            assert_eq!(covered, t.cols * ROWS);
        }
    }
}
