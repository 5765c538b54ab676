//! Geometry checks run when a grid or area layer is imported.
//!
//! An import must say precisely what is wrong and where, before anything is written: a ring that
//! is not closed or has too few points, a non-finite coordinate, a ring that crosses itself, a hole
//! that crosses its shell or lies outside it, parts of a multipolygon that overlap
//! ([`validate_polygon`], [`validate_multipolygon`], [`validate_ring_coords`] for raw GeoJSON rings,
//! which geo would silently close); sibling grids that overlap ([`overlaps`]); area of a village
//! that no grid covers ([`gaps_within`]) and grid area spilling outside its village
//! ([`outside_parent`]). Every problem carries a coordinate so the UI can point at it. Areas are
//! planar, in the square of the input unit: project lon/lat layers first with
//! [`Projection::forward_geometry`](crate::proj::Projection::forward_geometry) to get m². The
//! area computations use geo's boolean operations (i_overlay); intersection tests use geo's
//! robust segment intersection; candidate pairs come from R-trees, so layers with tens of
//! thousands of vertices are checked in well under a second.

use std::fmt;

use geo::algorithm::coordinate_position::CoordPos;
use geo::algorithm::line_intersection::line_intersection;
use geo::{
    Area, BooleanOps, BoundingRect, Coord, CoordinatePosition, InteriorPoint, Line,
    LineIntersection, MultiPolygon, Orient, Polygon, orient::Direction,
};
use rstar::RTree;
use rstar::primitives::{GeomWithData, Rectangle};
use serde::Serialize;

/// Which ring of a polygon a problem concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ring {
    /// The outer ring.
    Exterior,
    /// Hole number `n` (0-based, in input order).
    Hole(usize),
}

impl fmt::Display for Ring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ring::Exterior => f.write_str("exterior ring"),
            Ring::Hole(n) => write!(f, "hole {n}"),
        }
    }
}

/// One thing wrong with a geometry. `part` is the polygon's index within a multipolygon (0 for
/// a plain polygon); `at` and friends are coordinates in the input's units.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum GeometryProblem {
    /// The feature has no geometry.
    MissingGeometry,
    /// The geometry is not a Polygon or MultiPolygon.
    NotAPolygon { found: String },
    /// A coordinate is NaN or infinite (or a position has fewer than two numbers).
    NonFiniteCoordinate {
        part: usize,
        ring: Ring,
        vertex: usize,
    },
    /// The last position differs from the first.
    UnclosedRing {
        part: usize,
        ring: Ring,
        first: [f64; 2],
        last: [f64; 2],
    },
    /// Fewer than 3 distinct points (4 positions with the closing one).
    TooFewPoints {
        part: usize,
        ring: Ring,
        points: usize,
    },
    /// Two non-adjacent segments of a ring meet, or adjacent ones fold back on each other.
    SelfIntersection {
        part: usize,
        ring: Ring,
        at: [f64; 2],
    },
    /// Two rings of one polygon cross or share a stretch of boundary.
    RingsIntersect {
        part: usize,
        ring: Ring,
        other: Ring,
        at: [f64; 2],
    },
    /// A hole has a vertex outside its shell.
    HoleOutsideShell {
        part: usize,
        hole: usize,
        at: [f64; 2],
    },
    /// Two parts of a multipolygon overlap with positive area.
    PartsOverlap {
        part: usize,
        other_part: usize,
        area: f64,
        at: [f64; 2],
    },
}

impl GeometryProblem {
    /// A coordinate to show the problem at, when it has one.
    pub fn location(&self) -> Option<[f64; 2]> {
        use GeometryProblem::*;
        match self {
            MissingGeometry | NotAPolygon { .. } | NonFiniteCoordinate { .. } => None,
            UnclosedRing { last, .. } => Some(*last),
            TooFewPoints { .. } => None,
            SelfIntersection { at, .. }
            | RingsIntersect { at, .. }
            | HoleOutsideShell { at, .. }
            | PartsOverlap { at, .. } => Some(*at),
        }
    }
}

impl fmt::Display for GeometryProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use GeometryProblem::*;
        let p = |v: &[f64; 2]| format!("({}, {})", v[0], v[1]);
        match self {
            MissingGeometry => f.write_str("feature has no geometry"),
            NotAPolygon { found } => {
                write!(f, "geometry is {found}, expected Polygon or MultiPolygon")
            }
            NonFiniteCoordinate { part, ring, vertex } => {
                write!(
                    f,
                    "part {part}, {ring}: position {vertex} is not two finite numbers"
                )
            }
            UnclosedRing {
                part,
                ring,
                first,
                last,
            } => write!(
                f,
                "part {part}, {ring}: not closed (starts at {}, ends at {})",
                p(first),
                p(last)
            ),
            TooFewPoints { part, ring, points } => write!(
                f,
                "part {part}, {ring}: {points} distinct points, a ring needs at least 3"
            ),
            SelfIntersection { part, ring, at } => {
                write!(f, "part {part}, {ring}: self-intersection at {}", p(at))
            }
            RingsIntersect {
                part,
                ring,
                other,
                at,
            } => {
                write!(f, "part {part}: {ring} and {other} intersect at {}", p(at))
            }
            HoleOutsideShell { part, hole, at } => {
                write!(
                    f,
                    "part {part}: hole {hole} lies outside the exterior ring at {}",
                    p(at)
                )
            }
            PartsOverlap {
                part,
                other_part,
                area,
                at,
            } => write!(
                f,
                "parts {part} and {other_part} overlap (area {area}) around {}",
                p(at)
            ),
        }
    }
}

/// Checks raw ring positions as they come from a file (before geo closes rings):
/// non-finite values, missing closure, fewer than three distinct points.
pub fn validate_ring_coords(part: usize, ring: Ring, coords: &[[f64; 2]]) -> Vec<GeometryProblem> {
    let mut out = Vec::new();
    if let Some(vertex) = coords
        .iter()
        .position(|c| !c[0].is_finite() || !c[1].is_finite())
    {
        out.push(GeometryProblem::NonFiniteCoordinate { part, ring, vertex });
        return out;
    }
    if let (Some(first), Some(last)) = (coords.first(), coords.last())
        && first != last
    {
        out.push(GeometryProblem::UnclosedRing {
            part,
            ring,
            first: *first,
            last: *last,
        });
    }
    let distinct = distinct_points(coords.iter().map(|c| Coord { x: c[0], y: c[1] }));
    if distinct < 3 {
        out.push(GeometryProblem::TooFewPoints {
            part,
            ring,
            points: distinct,
        });
    }
    out
}

fn distinct_points(coords: impl Iterator<Item = Coord>) -> usize {
    let mut v: Vec<(u64, u64)> = coords.map(|c| (c.x.to_bits(), c.y.to_bits())).collect();
    v.sort_unstable();
    v.dedup();
    v.len()
}

/// Checks one polygon (reported as part 0).
pub fn validate_polygon(polygon: &Polygon<f64>) -> Vec<GeometryProblem> {
    validate_part(0, polygon)
}

/// Checks each part of a multipolygon, then whether parts overlap each other.
pub fn validate_multipolygon(mp: &MultiPolygon<f64>) -> Vec<GeometryProblem> {
    let mut out: Vec<GeometryProblem> =
        mp.0.iter()
            .enumerate()
            .flat_map(|(i, p)| validate_part(i, p))
            .collect();
    if out.is_empty() {
        let parts: Vec<(String, MultiPolygon<f64>)> =
            mp.0.iter()
                .enumerate()
                .map(|(i, p)| (i.to_string(), MultiPolygon(vec![p.clone()])))
                .collect();
        for o in overlaps(&parts, 0.0) {
            out.push(GeometryProblem::PartsOverlap {
                part: o.a.parse().unwrap_or_default(),
                other_part: o.b.parse().unwrap_or_default(),
                area: o.area,
                at: o.at,
            });
        }
    }
    out
}

/// Most self-intersections reported per ring; a badly broken ring can have thousands.
const MAX_REPORTS_PER_RING: usize = 20;
/// Intersections collected per polygon before the scan stops.
const MAX_HITS_SCANNED: usize = 1000;

fn validate_part(part: usize, polygon: &Polygon<f64>) -> Vec<GeometryProblem> {
    let rings: Vec<(Ring, &[Coord])> = std::iter::once((Ring::Exterior, &polygon.exterior().0[..]))
        .chain(
            polygon
                .interiors()
                .iter()
                .enumerate()
                .map(|(i, r)| (Ring::Hole(i), &r.0[..])),
        )
        .collect();
    let mut out = Vec::new();
    for (ring, coords) in &rings {
        let raw: Vec<[f64; 2]> = coords.iter().map(|c| [c.x, c.y]).collect();
        out.extend(validate_ring_coords(part, *ring, &raw));
    }
    if !out.is_empty() {
        // Intersection tests need finite, closed rings with some length.
        return out;
    }

    // Segments of every ring, with zero-length ones (repeated points) dropped.
    let mut segs: Vec<(usize, usize, Line<f64>)> = Vec::new(); // (ring, index in ring, line)
    let mut ring_len = Vec::new();
    for (ri, (_, coords)) in rings.iter().enumerate() {
        let mut k = 0;
        for w in coords.windows(2) {
            if w[0] != w[1] {
                segs.push((ri, k, Line::new(w[0], w[1])));
                k += 1;
            }
        }
        ring_len.push(k);
    }
    let tree = RTree::bulk_load(
        segs.iter()
            .enumerate()
            .map(|(i, (_, _, l))| {
                GeomWithData::new(
                    Rectangle::from_corners(
                        [l.start.x.min(l.end.x), l.start.y.min(l.end.y)],
                        [l.start.x.max(l.end.x), l.start.y.max(l.end.y)],
                    ),
                    i,
                )
            })
            .collect(),
    );
    let mut self_hits: Vec<(usize, usize, usize, Coord)> = Vec::new();
    let mut ring_hits: Vec<(usize, usize, usize, usize, Coord)> = Vec::new();
    for (ga, gb) in tree.intersection_candidates_with_other_tree(&tree) {
        if self_hits.len() + ring_hits.len() >= MAX_HITS_SCANNED {
            // A ring this broken needs redrawing, not a complete list; stop early so a garbage
            // geometry cannot stall an import.
            break;
        }
        let (i, j) = (ga.data, gb.data);
        if i >= j {
            continue;
        }
        let (ra, ka, la) = segs[i];
        let (rb, kb, lb) = segs[j];
        let Some(hit) = line_intersection(la, lb) else {
            continue;
        };
        if ra == rb {
            let n = ring_len[ra];
            let adjacent = kb == ka + 1 || (ka == 0 && kb + 1 == n);
            match hit {
                LineIntersection::Collinear { intersection } => {
                    self_hits.push((ra, ka, kb, intersection.start));
                }
                LineIntersection::SinglePoint { intersection, .. } if !adjacent => {
                    self_hits.push((ra, ka, kb, intersection));
                }
                LineIntersection::SinglePoint { .. } => {}
            }
        } else {
            match hit {
                LineIntersection::Collinear { intersection }
                    if intersection.start != intersection.end =>
                {
                    ring_hits.push((ra, rb, ka, kb, intersection.start));
                }
                LineIntersection::SinglePoint {
                    intersection,
                    is_proper: true,
                } => ring_hits.push((ra, rb, ka, kb, intersection)),
                _ => {}
            }
        }
    }
    self_hits.sort_by_key(|h| (h.0, h.1, h.2));
    let mut per_ring = vec![0usize; rings.len()];
    for (r, _, _, at) in self_hits {
        per_ring[r] += 1;
        if per_ring[r] <= MAX_REPORTS_PER_RING {
            out.push(GeometryProblem::SelfIntersection {
                part,
                ring: rings[r].0,
                at: [at.x, at.y],
            });
        }
    }
    ring_hits.sort_by_key(|h| (h.0, h.1, h.2, h.3));
    ring_hits.dedup_by_key(|h| (h.0, h.1));
    for (ra, rb, _, _, at) in ring_hits {
        out.push(GeometryProblem::RingsIntersect {
            part,
            ring: rings[ra].0,
            other: rings[rb].0,
            at: [at.x, at.y],
        });
    }
    let shell = Polygon::new(polygon.exterior().clone(), vec![]);
    for (h, hole) in polygon.interiors().iter().enumerate() {
        if let Some(c) = hole
            .0
            .iter()
            .find(|c| shell.coordinate_position(c) == CoordPos::Outside)
        {
            out.push(GeometryProblem::HoleOutsideShell {
                part,
                hole: h,
                at: [c.x, c.y],
            });
        }
    }
    out
}

/// Two features whose interiors overlap.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Overlap {
    /// Id of the earlier feature.
    pub a: String,
    /// Id of the later feature.
    pub b: String,
    /// Overlapping area (square input units).
    pub area: f64,
    /// A point inside the largest overlapping piece.
    pub at: [f64; 2],
    /// The overlap itself, for drawing.
    pub geometry: MultiPolygon<f64>,
}

/// Every pair of features whose intersection has area greater than `min_area`, in input order
/// of `(a, b)`. Neighbours that only share edges have zero-area intersections and are not
/// reported. Use a small positive `min_area` to ignore digitising slivers.
pub fn overlaps(features: &[(String, MultiPolygon<f64>)], min_area: f64) -> Vec<Overlap> {
    let boxes: Vec<_> = features
        .iter()
        .enumerate()
        .filter_map(|(i, (_, g))| {
            g.bounding_rect().map(|r| {
                GeomWithData::new(
                    Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                    i,
                )
            })
        })
        .collect();
    let tree = RTree::bulk_load(boxes);
    let mut pairs: Vec<(usize, usize)> = tree
        .intersection_candidates_with_other_tree(&tree)
        .map(|(a, b)| (a.data, b.data))
        .filter(|(a, b)| a < b)
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    let mut out = Vec::new();
    for (i, j) in pairs {
        let inter = features[i].1.intersection(&features[j].1);
        let area = inter.unsigned_area();
        if area > min_area
            && let Some(at) = largest_piece_point(&inter)
        {
            out.push(Overlap {
                a: features[i].0.clone(),
                b: features[j].0.clone(),
                area,
                at,
                geometry: inter,
            });
        }
    }
    out
}

/// A piece of a parent area that none of its children cover, or a piece of a child outside its
/// parent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Piece {
    /// The child concerned ([`outside_parent`]); empty for gaps.
    pub id: String,
    /// Area of the piece (square input units).
    pub area: f64,
    /// A point inside the piece.
    pub at: [f64; 2],
    /// The piece, for drawing.
    pub geometry: Polygon<f64>,
}

/// The parts of `parent` covered by no child, larger than `min_area`, biggest first.
pub fn gaps_within(
    parent: &MultiPolygon<f64>,
    children: &[(String, MultiPolygon<f64>)],
    min_area: f64,
) -> Vec<Piece> {
    let oriented: Vec<MultiPolygon<f64>> = children
        .iter()
        .map(|(_, g)| g.orient(Direction::Default))
        .collect();
    let covered = geo::unary_union(oriented.iter());
    let uncovered = parent.orient(Direction::Default).difference(&covered);
    pieces(String::new(), uncovered, min_area)
}

/// For each child, the parts lying outside `parent`, larger than `min_area`.
pub fn outside_parent(
    parent: &MultiPolygon<f64>,
    children: &[(String, MultiPolygon<f64>)],
    min_area: f64,
) -> Vec<Piece> {
    let parent = parent.orient(Direction::Default);
    children
        .iter()
        .flat_map(|(id, g)| pieces(id.clone(), g.difference(&parent), min_area))
        .collect()
}

fn pieces(id: String, mp: MultiPolygon<f64>, min_area: f64) -> Vec<Piece> {
    let mut out: Vec<Piece> =
        mp.0.into_iter()
            .filter_map(|p| {
                let area = p.unsigned_area();
                if area <= min_area {
                    return None;
                }
                let at = p.interior_point()?;
                Some(Piece {
                    id: id.clone(),
                    area,
                    at: [at.x(), at.y()],
                    geometry: p,
                })
            })
            .collect();
    out.sort_by(|a, b| b.area.total_cmp(&a.area));
    out
}

fn largest_piece_point(mp: &MultiPolygon<f64>) -> Option<[f64; 2]> {
    let biggest =
        mp.0.iter()
            .max_by(|a, b| a.unsigned_area().total_cmp(&b.unsigned_area()))?;
    let p = biggest.interior_point()?;
    Some([p.x(), p.y()])
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::LineString;

    fn poly(ring: &[(f64, f64)], holes: &[&[(f64, f64)]]) -> Polygon<f64> {
        Polygon::new(
            LineString::from(ring.to_vec()),
            holes.iter().map(|h| LineString::from(h.to_vec())).collect(),
        )
    }

    fn square(x0: f64, y0: f64, s: f64) -> Polygon<f64> {
        poly(
            &[
                (x0, y0),
                (x0 + s, y0),
                (x0 + s, y0 + s),
                (x0, y0 + s),
                (x0, y0),
            ],
            &[],
        )
    }

    #[test]
    fn valid_polygon_with_hole_has_no_problems() {
        let p = poly(
            &[
                (0.0, 0.0),
                (10.0, 0.0),
                (10.0, 10.0),
                (0.0, 10.0),
                (0.0, 0.0),
            ],
            &[&[(2.0, 2.0), (2.0, 4.0), (4.0, 4.0), (4.0, 2.0), (2.0, 2.0)]],
        );
        assert_eq!(validate_polygon(&p), vec![]);
    }

    #[test]
    fn bow_tie_is_located() {
        let p = poly(
            &[(0.0, 0.0), (2.0, 2.0), (2.0, 0.0), (0.0, 2.0), (0.0, 0.0)],
            &[],
        );
        let problems = validate_polygon(&p);
        assert_eq!(
            problems,
            vec![GeometryProblem::SelfIntersection {
                part: 0,
                ring: Ring::Exterior,
                at: [1.0, 1.0]
            }]
        );
        assert_eq!(
            problems[0].to_string(),
            "part 0, exterior ring: self-intersection at (1, 1)"
        );
    }

    #[test]
    fn spike_and_self_touch_are_self_intersections() {
        // Goes out to (3, 1) and straight back along the same segment.
        let spike = poly(
            &[
                (0.0, 0.0),
                (2.0, 0.0),
                (2.0, 1.0),
                (3.0, 1.0),
                (2.0, 1.0),
                (2.0, 2.0),
                (0.0, 2.0),
                (0.0, 0.0),
            ],
            &[],
        );
        assert!(matches!(
            validate_polygon(&spike)[..],
            [GeometryProblem::SelfIntersection { .. }, ..]
        ));
        // A ring that touches itself at the vertex (2, 1).
        let touch = poly(
            &[
                (0.0, 0.0),
                (4.0, 0.0),
                (2.0, 1.0),
                (4.0, 2.0),
                (0.0, 2.0),
                (2.0, 1.0),
                (0.0, 0.0),
            ],
            &[],
        );
        let problems = validate_polygon(&touch);
        assert!(!problems.is_empty());
        assert_eq!(problems[0].location(), Some([2.0, 1.0]));
    }

    #[test]
    fn repeated_points_are_tolerated() {
        let p = poly(
            &[
                (0.0, 0.0),
                (1.0, 0.0),
                (1.0, 0.0),
                (1.0, 1.0),
                (0.0, 1.0),
                (0.0, 0.0),
            ],
            &[],
        );
        assert_eq!(validate_polygon(&p), vec![]);
    }

    #[test]
    fn raw_rings() {
        let open = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]];
        assert_eq!(
            validate_ring_coords(0, Ring::Exterior, &open),
            vec![GeometryProblem::UnclosedRing {
                part: 0,
                ring: Ring::Exterior,
                first: [0.0, 0.0],
                last: [1.0, 1.0]
            }]
        );
        let short = [[0.0, 0.0], [1.0, 0.0], [0.0, 0.0]];
        assert_eq!(
            validate_ring_coords(1, Ring::Hole(2), &short),
            vec![GeometryProblem::TooFewPoints {
                part: 1,
                ring: Ring::Hole(2),
                points: 2
            }]
        );
        let nan = [[0.0, 0.0], [f64::NAN, 0.0], [1.0, 1.0], [0.0, 0.0]];
        assert!(matches!(
            validate_ring_coords(0, Ring::Exterior, &nan)[..],
            [GeometryProblem::NonFiniteCoordinate { vertex: 1, .. }]
        ));
        // geo closes rings itself, so a two-point polygon shows up as too few points.
        let p = poly(&[(0.0, 0.0), (1.0, 1.0)], &[]);
        assert!(matches!(
            validate_polygon(&p)[..],
            [GeometryProblem::TooFewPoints { points: 2, .. }]
        ));
    }

    #[test]
    fn holes_outside_or_crossing_the_shell() {
        let outside = poly(
            &[
                (0.0, 0.0),
                (10.0, 0.0),
                (10.0, 10.0),
                (0.0, 10.0),
                (0.0, 0.0),
            ],
            &[&[
                (20.0, 20.0),
                (20.0, 22.0),
                (22.0, 22.0),
                (22.0, 20.0),
                (20.0, 20.0),
            ]],
        );
        assert_eq!(
            validate_polygon(&outside),
            vec![GeometryProblem::HoleOutsideShell {
                part: 0,
                hole: 0,
                at: [20.0, 20.0]
            }]
        );
        let crossing = poly(
            &[
                (0.0, 0.0),
                (10.0, 0.0),
                (10.0, 10.0),
                (0.0, 10.0),
                (0.0, 0.0),
            ],
            &[&[(8.0, 4.0), (12.0, 4.0), (12.0, 6.0), (8.0, 6.0), (8.0, 4.0)]],
        );
        let problems = validate_polygon(&crossing);
        assert!(
            problems.contains(&GeometryProblem::RingsIntersect {
                part: 0,
                ring: Ring::Exterior,
                other: Ring::Hole(0),
                at: [10.0, 4.0]
            }),
            "{problems:?}"
        );
        assert!(
            problems
                .iter()
                .any(|p| matches!(p, GeometryProblem::HoleOutsideShell { .. }))
        );
    }

    #[test]
    fn overlapping_parts_of_a_multipolygon() {
        let mp = MultiPolygon(vec![square(0.0, 0.0, 2.0), square(1.0, 1.0, 2.0)]);
        let problems = validate_multipolygon(&mp);
        assert_eq!(problems.len(), 1, "{problems:?}");
        match &problems[0] {
            GeometryProblem::PartsOverlap {
                part: 0,
                other_part: 1,
                area,
                at,
            } => {
                assert!((area - 1.0).abs() < 1e-9);
                assert!(at[0] > 1.0 && at[0] < 2.0 && at[1] > 1.0 && at[1] < 2.0);
            }
            other => panic!("{other:?}"),
        }
        let touching = MultiPolygon(vec![square(0.0, 0.0, 1.0), square(1.0, 0.0, 1.0)]);
        assert_eq!(validate_multipolygon(&touching), vec![]);
    }

    #[test]
    fn overlaps_between_features() {
        let f = |id: &str, p: Polygon<f64>| (id.to_string(), MultiPolygon(vec![p]));
        let layer = vec![
            f("a", square(0.0, 0.0, 10.0)),
            f("b", square(10.0, 0.0, 10.0)), // shares an edge with a
            f("c", square(8.0, 8.0, 4.0)),   // overlaps a and b by 2×2 each
        ];
        let found = overlaps(&layer, 0.0);
        let summary: Vec<(&str, &str, f64)> = found
            .iter()
            .map(|o| (o.a.as_str(), o.b.as_str(), o.area))
            .collect();
        assert_eq!(summary, vec![("a", "c", 4.0), ("b", "c", 4.0)]);
        let at = found[0].at;
        assert!(at[0] > 8.0 && at[0] < 10.0 && at[1] > 8.0 && at[1] < 10.0);
        assert!(overlaps(&layer, 5.0).is_empty());
    }

    #[test]
    fn gaps_and_spills() {
        let parent = MultiPolygon(vec![square(0.0, 0.0, 10.0)]);
        let children = vec![
            (
                "left".to_string(),
                MultiPolygon(vec![poly(
                    &[(0.0, 0.0), (5.0, 0.0), (5.0, 10.0), (0.0, 10.0), (0.0, 0.0)],
                    &[],
                )]),
            ),
            // Leaves x 9..10 uncovered and a 1×1 square uncovered in the middle.
            (
                "right".to_string(),
                MultiPolygon(vec![poly(
                    &[(5.0, 0.0), (9.0, 0.0), (9.0, 10.0), (5.0, 10.0), (5.0, 0.0)],
                    &[&[(6.0, 6.0), (6.0, 7.0), (7.0, 7.0), (7.0, 6.0), (6.0, 6.0)]],
                )]),
            ),
        ];
        let gaps = gaps_within(&parent, &children, 0.0);
        let areas: Vec<f64> = gaps.iter().map(|g| g.area).collect();
        assert_eq!(areas, vec![10.0, 1.0]);
        assert!(gaps[1].at[0] > 6.0 && gaps[1].at[0] < 7.0);
        assert_eq!(gaps_within(&parent, &children, 1.5).len(), 1);

        let spill = vec![(
            "wide".to_string(),
            MultiPolygon(vec![square(8.0, 0.0, 4.0)]),
        )];
        let out = outside_parent(&parent, &spill, 0.0);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].id, "wide");
        assert!((out[0].area - 8.0).abs() < 1e-9);
        assert!(out[0].at[0] > 10.0);
    }

    #[test]
    fn synthetic_layer_fills_its_outline() {
        let params = crate::synth::TilingParams {
            cols: 4,
            rows: 3,
            segments_per_edge: 25,
            ..Default::default()
        };
        let layer = crate::synth::tiling(&params);
        let oriented: Vec<MultiPolygon<f64>> = layer
            .iter()
            .map(|(_, g)| g.orient(Direction::Default))
            .collect();
        let outline = geo::unary_union(oriented.iter());
        assert!(gaps_within(&outline, &layer, 1e-6).is_empty());
        // Removing one cell opens a gap of exactly its area.
        let mut fewer = layer.clone();
        let (_, removed) = fewer.remove(5);
        let gaps = gaps_within(&outline, &fewer, 1e-6);
        assert_eq!(gaps.len(), 1);
        let want = removed.unsigned_area();
        // i_overlay computes on a fixed-point grid (~1e-5 m at this extent): areas agree to
        // about 1e-9 relative, not to the last bit.
        assert!(
            (gaps[0].area - want).abs() / want < 1e-7,
            "{} vs {want}",
            gaps[0].area
        );
    }
}
