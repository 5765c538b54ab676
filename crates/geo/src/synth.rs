//! Deterministic synthetic polygon layers, point sets and GPS tracks for tests, benchmarks and
//! demos.
//!
//! Real village and grid polygons are not public, so tests and the point-in-polygon benchmark use
//! a layer that looks like one: a jittered lattice of cells whose shared edges are finely
//! subdivided, noisy polylines (the same coordinates, reversed, on both sides, so neighbours share
//! their boundary exactly), plus an "enclave" feature — two rectangles that fill holes cut into two
//! cells, like a market or campus grid inside a village. Noise is a smooth function of the position
//! along each edge, tapered to zero at the corners, so rings never self-intersect. A small
//! SplitMix64 generator keeps everything reproducible from a seed without a dependency.

use geo::{Coord, LineString, MultiPolygon, Polygon};

use crate::track::Fix;

/// SplitMix64: a tiny, fast, deterministic generator (not for cryptography).
#[derive(Debug, Clone)]
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [lo, hi).
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next_f64()
    }
}

/// Shape of a synthetic tiling.
#[derive(Debug, Clone, PartialEq)]
pub struct TilingParams {
    /// Cells west → east.
    pub cols: usize,
    /// Cells south → north.
    pub rows: usize,
    /// South-west corner of the lattice.
    pub origin: (f64, f64),
    /// Cell width and height.
    pub cell: (f64, f64),
    /// Segments per shared edge (vertices per cell ≈ 4 × this).
    pub segments_per_edge: usize,
    /// Corner jitter as a fraction of the cell size (keep ≤ 0.25).
    pub jitter: f64,
    /// Largest sideways displacement of an edge as a fraction of its length (keep ≤ 0.05).
    pub amplitude: f64,
    /// Cut two rectangular holes and add the feature filling them.
    pub enclave: bool,
    /// Random seed.
    pub seed: u64,
}

impl Default for TilingParams {
    /// 10 × 8 cells of 4 km around Zhuji (UTM zone 51 metres), 150 segments per edge: 81
    /// features, about 48,000 vertices.
    fn default() -> Self {
        TilingParams {
            cols: 10,
            rows: 8,
            origin: (212_000.0, 3_274_000.0),
            cell: (4_000.0, 4_000.0),
            segments_per_edge: 150,
            jitter: 0.2,
            amplitude: 0.03,
            enclave: true,
            seed: 20_260_101,
        }
    }
}

/// A noisy polyline from `a` to `b` with `segments` segments, both ends included.
fn edge_path(
    a: Coord,
    b: Coord,
    segments: usize,
    amplitude: f64,
    rng: &mut SplitMix64,
) -> Vec<Coord> {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let len = dx.hypot(dy);
    let (nx, ny) = (-dy / len, dx / len);
    let harmonics: Vec<(f64, f64, f64)> = (1..=4)
        .map(|h| {
            (
                rng.range(-1.0, 1.0) / h as f64,
                h as f64,
                rng.range(0.0, std::f64::consts::TAU),
            )
        })
        .collect();
    let norm: f64 = harmonics
        .iter()
        .map(|(w, _, _)| w.abs())
        .sum::<f64>()
        .max(1e-9);
    let mut out = Vec::with_capacity(segments + 1);
    out.push(a);
    for k in 1..segments {
        let t = (k as f64 + rng.range(-0.3, 0.3)) / segments as f64;
        let smooth: f64 = harmonics
            .iter()
            .map(|(w, h, p)| w * (std::f64::consts::PI * h * 2.0 * t + p).sin())
            .sum::<f64>()
            / norm;
        let noise = 0.8 * smooth + rng.range(-0.2, 0.2);
        let off = amplitude * len * 4.0 * t * (1.0 - t) * noise;
        out.push(Coord {
            x: a.x + dx * t + nx * off,
            y: a.y + dy * t + ny * off,
        });
    }
    out.push(b);
    out
}

/// An axis-aligned rectangle ring (counter-clockwise, closed) with `per_side` segments a side,
/// on whole-unit coordinates so points on its edges are exactly representable.
fn rect_ring(cx: f64, cy: f64, hw: f64, hh: f64, per_side: usize) -> Vec<Coord> {
    let (x0, x1, y0, y1) = (
        (cx - hw).round(),
        (cx + hw).round(),
        (cy - hh).round(),
        (cy + hh).round(),
    );
    let step = |lo: f64, hi: f64, k: usize| (lo + (hi - lo) * k as f64 / per_side as f64).round();
    let mut r = Vec::new();
    for k in 0..per_side {
        r.push(Coord {
            x: step(x0, x1, k),
            y: y0,
        });
    }
    for k in 0..per_side {
        r.push(Coord {
            x: x1,
            y: step(y0, y1, k),
        });
    }
    for k in 0..per_side {
        r.push(Coord {
            x: step(x1, x0, k),
            y: y1,
        });
    }
    for k in 0..per_side {
        r.push(Coord {
            x: x0,
            y: step(y1, y0, k),
        });
    }
    r.push(r[0]);
    r
}

/// Builds the layer: `(id, geometry)` per feature, cells first (row by row from the south-west),
/// then the enclave. Ids are 15-digit grid-style codes.
pub fn tiling(p: &TilingParams) -> Vec<(String, MultiPolygon<f64>)> {
    let mut rng = SplitMix64(p.seed);
    let (cols, rows) = (p.cols, p.rows);
    let corner_at = |i: usize, j: usize, rng: &mut SplitMix64| Coord {
        x: p.origin.0 + (i as f64 + rng.range(-p.jitter, p.jitter)) * p.cell.0,
        y: p.origin.1 + (j as f64 + rng.range(-p.jitter, p.jitter)) * p.cell.1,
    };
    let corners: Vec<Vec<Coord>> = (0..=cols)
        .map(|i| (0..=rows).map(|j| corner_at(i, j, &mut rng)).collect())
        .collect();
    let seg = |rng: &mut SplitMix64| {
        let s = p.segments_per_edge.max(1);
        // Vary the density a little between edges, as digitised boundaries do.
        (s as f64 * rng.range(0.8, 1.2)).round().max(1.0) as usize
    };
    // horizontal[i][j]: corner (i, j) → (i + 1, j); vertical[i][j]: (i, j) → (i, j + 1).
    let horizontal: Vec<Vec<Vec<Coord>>> = (0..cols)
        .map(|i| {
            (0..=rows)
                .map(|j| {
                    let n = seg(&mut rng);
                    edge_path(corners[i][j], corners[i + 1][j], n, p.amplitude, &mut rng)
                })
                .collect()
        })
        .collect();
    let vertical: Vec<Vec<Vec<Coord>>> = (0..=cols)
        .map(|i| {
            (0..rows)
                .map(|j| {
                    let n = seg(&mut rng);
                    edge_path(corners[i][j], corners[i][j + 1], n, p.amplitude, &mut rng)
                })
                .collect()
        })
        .collect();
    let holes_at = if p.enclave && cols >= 3 && rows >= 3 {
        vec![(cols / 3, rows / 3), ((2 * cols) / 3, (2 * rows) / 3)]
    } else {
        vec![]
    };
    let hole_ring = |i: usize, j: usize| {
        let cx =
            (corners[i][j].x + corners[i + 1][j].x + corners[i][j + 1].x + corners[i + 1][j + 1].x)
                / 4.0;
        let cy =
            (corners[i][j].y + corners[i + 1][j].y + corners[i][j + 1].y + corners[i + 1][j + 1].y)
                / 4.0;
        rect_ring(cx, cy, 0.15 * p.cell.0, 0.12 * p.cell.1, 20)
    };
    let mut out = Vec::with_capacity(cols * rows + 1);
    for j in 0..rows {
        for i in 0..cols {
            let mut ring: Vec<Coord> = Vec::new();
            ring.extend(&horizontal[i][j][..horizontal[i][j].len() - 1]);
            ring.extend(&vertical[i + 1][j][..vertical[i + 1][j].len() - 1]);
            ring.extend(
                horizontal[i][j + 1]
                    .iter()
                    .rev()
                    .take(horizontal[i][j + 1].len() - 1),
            );
            ring.extend(vertical[i][j].iter().rev().take(vertical[i][j].len() - 1));
            ring.push(ring[0]);
            let holes = if holes_at.contains(&(i, j)) {
                let mut h = hole_ring(i, j);
                h.reverse();
                vec![LineString(h)]
            } else {
                vec![]
            };
            let id = format!("3306811{:02}2{:02}001", j + 1, i + 1);
            out.push((
                id,
                MultiPolygon(vec![Polygon::new(LineString(ring), holes)]),
            ));
        }
    }
    if !holes_at.is_empty() {
        let parts = holes_at
            .iter()
            .map(|&(i, j)| Polygon::new(LineString(hole_ring(i, j)), vec![]))
            .collect();
        out.push(("330681199201001".to_string(), MultiPolygon(parts)));
    }
    out
}

/// `[min x, min y, max x, max y]` over a layer.
pub fn layer_bbox(layer: &[(String, MultiPolygon<f64>)]) -> [f64; 4] {
    let mut b = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for (_, mp) in layer {
        for poly in &mp.0 {
            for c in &poly.exterior().0 {
                b[0] = b[0].min(c.x);
                b[1] = b[1].min(c.y);
                b[2] = b[2].max(c.x);
                b[3] = b[3].max(c.y);
            }
        }
    }
    b
}

/// `n` uniform random points over `bbox` widened by `margin` × its size on each side.
pub fn random_points(n: usize, bbox: [f64; 4], margin: f64, seed: u64) -> Vec<(f64, f64)> {
    let mut rng = SplitMix64(seed);
    let (mx, my) = ((bbox[2] - bbox[0]) * margin, (bbox[3] - bbox[1]) * margin);
    (0..n)
        .map(|_| {
            (
                rng.range(bbox[0] - mx, bbox[2] + mx),
                rng.range(bbox[1] - my, bbox[3] + my),
            )
        })
        .collect()
}

/// A patrol-like GPS track for tests and benchmarks: `n` fixes 10 s apart from 2024-01-01 UTC,
/// starting in Zhuji and walking at `speed_mps` on a heading that turns by up to ±0.35 rad per
/// fix, each fix displaced by up to ±`jitter_m` east and north (GPS noise). Metres become degrees
/// by a local equirectangular approximation, plenty for synthetic data.
pub fn random_walk(n: usize, speed_mps: f64, jitter_m: f64, seed: u64) -> Vec<Fix> {
    const START_US: i64 = 1_704_067_200_000_000;
    const STEP_US: i64 = 10_000_000;
    const M_PER_DEG_LAT: f64 = 110_850.0;
    let (lng0, lat0) = (120.2363_f64, 29.7136_f64);
    let m_per_deg_lng = M_PER_DEG_LAT * lat0.to_radians().cos();
    let mut rng = SplitMix64(seed);
    let (mut x, mut y, mut heading) = (0.0, 0.0, rng.range(0.0, std::f64::consts::TAU));
    let mut at = START_US;
    (0..n)
        .map(|_| {
            let jx = rng.range(-jitter_m, jitter_m);
            let jy = rng.range(-jitter_m, jitter_m);
            let fix = Fix {
                at,
                lng: lng0 + (x + jx) / m_per_deg_lng,
                lat: lat0 + (y + jy) / M_PER_DEG_LAT,
            };
            heading += rng.range(-0.35, 0.35);
            x += speed_mps * 10.0 * heading.cos();
            y += speed_mps * 10.0 * heading.sin();
            at += STEP_US;
            fix
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_layer_is_big_enough_and_reproducible() {
        let layer = tiling(&TilingParams::default());
        assert_eq!(layer.len(), 81);
        let vertices: usize = layer
            .iter()
            .flat_map(|(_, m)| &m.0)
            .map(|p| p.exterior().0.len() + p.interiors().iter().map(|r| r.0.len()).sum::<usize>())
            .sum();
        assert!(vertices >= 40_000, "{vertices}");
        assert_eq!(layer, tiling(&TilingParams::default()));
        let ids: std::collections::HashSet<_> = layer.iter().map(|(id, _)| id).collect();
        assert_eq!(ids.len(), layer.len());
    }

    #[test]
    fn cells_are_valid_and_tile_without_gaps_or_overlaps() {
        let params = TilingParams {
            cols: 4,
            rows: 3,
            segments_per_edge: 30,
            ..Default::default()
        };
        let layer = tiling(&params);
        for (id, mp) in &layer {
            for poly in &mp.0 {
                let problems = crate::validate::validate_polygon(poly);
                assert!(problems.is_empty(), "{id}: {problems:?}");
            }
        }
        assert!(crate::validate::overlaps(&layer, 1e-6).is_empty());
    }
}
