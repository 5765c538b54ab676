//! Point → polygon lookup: which grid (or village, or township) a coordinate falls in.
//!
//! [`PolygonIndex`] holds a layer of polygons (each a `MultiPolygon`, holes allowed) and answers
//! [`PolygonIndex::locate`] in roughly constant time. Three layers of acceleration sit over one
//! exact predicate. (1) An R-tree (`rstar`) over polygon bounding boxes finds candidates. (2) Each
//! polygon's edges are bucketed into horizontal bands, so the ray-casting test only looks at the
//! few edges near the point's `y`, and decides most edges by a bounding comparison before any
//! arithmetic. (3) A uniform grid over the layer marks every cell that no polygon edge touches as
//! "pure" and stores its answer, so most points are answered by one array read; the remaining
//! cells keep the short list of polygons to test exactly. The predicate is exact: orientation signs
//! come from Shewchuk's adaptive `robust::orient2d`, so points a hair from an edge are classified
//! correctly and a point *on* an edge or vertex is recognised as such.
//!
//! **Boundary rule.** By default ([`BoundaryRule::Interior`]) a point belongs to a polygon only if
//! it lies in the polygon's interior: a point exactly on an edge or vertex of a polygon (its outer
//! ring or a hole) is *not* in that polygon. A point on the edge shared by two neighbouring grids is
//! therefore in neither, and `locate` returns `None` for it. This is the OGC `within` predicate, the
//! one `geopandas.sjoin(points, polygons, predicate="within")` applies (through GEOS), so results are
//! identical to that tool point for point, boundaries included; it is also the only choice that is
//! symmetric between neighbours and needs no tie-break that depends on orientation or input order.
//! Callers that must place every point (an incident on the road between two grids still needs a
//! grid) use [`BoundaryRule::Closed`]: polygons include their boundary and a point in several
//! polygons goes to the lowest index, i.e. the polygon that came first in the input. In both rules
//! overlapping polygons (an invalid grid layer) also resolve to the lowest index. Rings are
//! combined with the even–odd rule, which equals the usual meaning for valid polygons.
//!
//! Everything is single-threaded by design: the server runs lookups inside request handlers and
//! the CLI on one core; no rayon.

use geo::MultiPolygon;
use rstar::RTree;
use rstar::primitives::{GeomWithData, Rectangle};

/// How points on polygon boundaries are assigned; see the module documentation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BoundaryRule {
    /// OGC `within`: boundary points are outside (geopandas `predicate="within"`).
    #[default]
    Interior,
    /// Boundary points are inside; ties go to the lowest polygon index.
    Closed,
}

/// Where a point lies relative to one polygon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PointLocation {
    /// Strictly inside (not on any ring).
    Inside,
    /// Exactly on an edge or vertex of one of the rings.
    Boundary,
    /// Strictly outside.
    Outside,
}

#[derive(Debug, Clone, Copy)]
struct Edge {
    ax: f64,
    ay: f64,
    bx: f64,
    by: f64,
}

/// One polygon prepared for exact point tests: its edges bucketed by horizontal bands.
#[derive(Debug, Clone)]
struct Prepared {
    /// min x, min y, max x, max y; empty polygons have min > max.
    bbox: [f64; 4],
    band_y0: f64,
    inv_band_h: f64,
    /// `band_start[b]..band_start[b + 1]` indexes `edges` for band `b`.
    band_start: Vec<u32>,
    edges: Vec<Edge>,
    vertex_count: usize,
}

const EMPTY_BBOX: [f64; 4] = [
    f64::INFINITY,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NEG_INFINITY,
];

impl Prepared {
    fn new(mp: &MultiPolygon<f64>) -> Self {
        let finite = mp.0.iter().all(|p| {
            std::iter::once(p.exterior())
                .chain(p.interiors())
                .all(|r| r.0.iter().all(|c| c.x.is_finite() && c.y.is_finite()))
        });
        let mut raw = Vec::new();
        let mut vertex_count = 0;
        if finite {
            for poly in &mp.0 {
                for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                    let cs = &ring.0;
                    vertex_count += cs.len();
                    for w in cs.windows(2) {
                        raw.push(Edge {
                            ax: w[0].x,
                            ay: w[0].y,
                            bx: w[1].x,
                            by: w[1].y,
                        });
                    }
                    // geo closes rings on construction, but be safe with hand-built ones.
                    if let (Some(f), Some(l)) = (cs.first(), cs.last())
                        && f != l
                    {
                        raw.push(Edge {
                            ax: l.x,
                            ay: l.y,
                            bx: f.x,
                            by: f.y,
                        });
                    }
                }
            }
        }
        let mut bbox = EMPTY_BBOX;
        for e in &raw {
            bbox[0] = bbox[0].min(e.ax.min(e.bx));
            bbox[1] = bbox[1].min(e.ay.min(e.by));
            bbox[2] = bbox[2].max(e.ax.max(e.bx));
            bbox[3] = bbox[3].max(e.ay.max(e.by));
        }
        if raw.is_empty() {
            return Prepared {
                bbox,
                band_y0: 0.0,
                inv_band_h: 0.0,
                band_start: vec![0, 0],
                edges: Vec::new(),
                vertex_count,
            };
        }
        // About four edges per band keeps each scan short.
        let height = bbox[3] - bbox[1];
        let bands = if height > 0.0 {
            (raw.len() / 4).clamp(1, 1 << 16)
        } else {
            1
        };
        let inv_band_h = if height > 0.0 {
            bands as f64 / height
        } else {
            0.0
        };
        // An edge goes into every band its (slightly widened) y-range meets, so a query whose
        // band index was rounded across a band border still sees it.
        let margin = height * 1e-9 + bbox[3].abs().max(bbox[1].abs()) * 1e-15;
        let band_of = |y: f64| (((y - bbox[1]) * inv_band_h) as usize).min(bands - 1);
        let mut counts = vec![0u32; bands + 1];
        let span = |e: &Edge| {
            let lo = band_of(e.ay.min(e.by) - margin);
            let hi = band_of(e.ay.max(e.by) + margin);
            lo..=hi
        };
        for e in &raw {
            for b in span(e) {
                counts[b + 1] += 1;
            }
        }
        for b in 0..bands {
            counts[b + 1] += counts[b];
        }
        let mut fill = counts.clone();
        let mut edges = vec![
            Edge {
                ax: 0.0,
                ay: 0.0,
                bx: 0.0,
                by: 0.0
            };
            counts[bands] as usize
        ];
        for e in &raw {
            for b in span(e) {
                edges[fill[b] as usize] = *e;
                fill[b] += 1;
            }
        }
        Prepared {
            bbox,
            band_y0: bbox[1],
            inv_band_h,
            band_start: counts,
            edges,
            vertex_count,
        }
    }

    #[inline]
    fn classify(&self, x: f64, y: f64) -> PointLocation {
        let [x0, y0, x1, y1] = self.bbox;
        if !(x >= x0 && x <= x1 && y >= y0 && y <= y1) {
            return PointLocation::Outside;
        }
        let bands = self.band_start.len() - 1;
        let b = (((y - self.band_y0) * self.inv_band_h) as usize).min(bands - 1);
        let edges = &self.edges[self.band_start[b] as usize..self.band_start[b + 1] as usize];
        let mut inside = false;
        for e in edges {
            let above_a = e.ay > y;
            let above_b = e.by > y;
            if above_a != above_b {
                // The edge crosses the horizontal line through the point (half-open in y).
                if x < e.ax.min(e.bx) {
                    inside = !inside;
                    continue;
                }
                if x > e.ax.max(e.bx) {
                    continue;
                }
                let o = robust::orient2d(
                    robust::Coord { x: e.ax, y: e.ay },
                    robust::Coord { x: e.bx, y: e.by },
                    robust::Coord { x, y },
                );
                if o == 0.0 {
                    return PointLocation::Boundary;
                }
                if (o > 0.0) == above_b {
                    inside = !inside;
                }
            } else if !above_a && (e.ay == y || e.by == y) {
                // Touches the line only at an endpoint, or lies along it.
                if e.ay == e.by {
                    if x >= e.ax.min(e.bx) && x <= e.ax.max(e.bx) {
                        return PointLocation::Boundary;
                    }
                } else if (e.ay == y && e.ax == x) || (e.by == y && e.bx == x) {
                    return PointLocation::Boundary;
                }
            }
        }
        if inside {
            PointLocation::Inside
        } else {
            PointLocation::Outside
        }
    }
}

/// Cell value: no polygon.
const CELL_NONE: u32 = u32::MAX;
/// Cell value flag: index into `mixed_ranges`.
const CELL_MIXED: u32 = 1 << 31;
/// Mixed cells listing more polygons than this are answered through the R-tree.
const CROWDED_CELL: u32 = 12;
/// Mixed-cell entry flag: the polygon contains the whole cell.
const ENTRY_FULL: u32 = 1 << 31;

#[derive(Debug, Clone, Default)]
struct Grid {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
    inv_cw: f64,
    inv_ch: f64,
    nx: usize,
    ny: usize,
    cells: Vec<u32>,
    mixed_ranges: Vec<[u32; 2]>,
    mixed_entries: Vec<u32>,
}

/// Sizes of the acceleration structures, for benchmarks and diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct IndexStats {
    /// Number of polygons (features).
    pub polygons: usize,
    /// Vertices over all rings (closing vertices included).
    pub vertices: usize,
    /// Grid columns × rows.
    pub grid: (usize, usize),
    /// Cells that some polygon edge touches (answered by exact tests).
    pub mixed_cells: usize,
}

/// A spatial index answering "which polygon contains this point"; see the module docs.
#[derive(Debug, Clone)]
pub struct PolygonIndex {
    ids: Vec<String>,
    polys: Vec<Prepared>,
    tree: RTree<GeomWithData<Rectangle<[f64; 2]>, u32>>,
    grid: Grid,
    rule: BoundaryRule,
}

impl PolygonIndex {
    /// Builds the index with the default [`BoundaryRule::Interior`]. Indexes returned by
    /// [`locate`](Self::locate) are positions in `polygons`. Polygons with a non-finite
    /// coordinate are kept (so indexes stay aligned) but never contain any point.
    ///
    /// # Panics
    /// With 2³¹ or more polygons.
    pub fn new(polygons: Vec<(String, MultiPolygon<f64>)>) -> Self {
        Self::with_rule(polygons, BoundaryRule::Interior)
    }

    /// Builds the index with an explicit boundary rule.
    ///
    /// # Panics
    /// With 2³¹ or more polygons.
    pub fn with_rule(polygons: Vec<(String, MultiPolygon<f64>)>, rule: BoundaryRule) -> Self {
        assert!(
            polygons.len() < (CELL_MIXED as usize) - 1,
            "too many polygons"
        );
        let mut ids = Vec::with_capacity(polygons.len());
        let mut polys = Vec::with_capacity(polygons.len());
        for (id, mp) in polygons {
            ids.push(id);
            polys.push(Prepared::new(&mp));
        }
        let boxes = polys
            .iter()
            .enumerate()
            .filter(|(_, p)| p.bbox[0] <= p.bbox[2])
            .map(|(i, p)| {
                GeomWithData::new(
                    Rectangle::from_corners([p.bbox[0], p.bbox[1]], [p.bbox[2], p.bbox[3]]),
                    i as u32,
                )
            })
            .collect();
        let mut index = PolygonIndex {
            ids,
            polys,
            tree: RTree::bulk_load(boxes),
            grid: Grid::default(),
            rule,
        };
        index.grid = index.build_grid();
        index
    }

    /// Number of polygons.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when the index holds no polygons.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The id given for polygon `index`.
    pub fn id(&self, index: usize) -> &str {
        &self.ids[index]
    }

    /// All ids, in input order.
    pub fn ids(&self) -> &[String] {
        &self.ids
    }

    /// The boundary rule in force.
    pub fn rule(&self) -> BoundaryRule {
        self.rule
    }

    /// Sizes of the index.
    pub fn stats(&self) -> IndexStats {
        IndexStats {
            polygons: self.ids.len(),
            vertices: self.polys.iter().map(|p| p.vertex_count).sum(),
            grid: (self.grid.nx, self.grid.ny),
            mixed_cells: self.grid.mixed_ranges.len(),
        }
    }

    /// The polygon containing `(x, y)` under the index's boundary rule, or `None`.
    /// Non-finite coordinates give `None`.
    #[inline]
    pub fn locate(&self, x: f64, y: f64) -> Option<usize> {
        let g = &self.grid;
        if !(x >= g.x0 && x <= g.x1 && y >= g.y0 && y <= g.y1) {
            return None;
        }
        let ix = (((x - g.x0) * g.inv_cw) as usize).min(g.nx - 1);
        let iy = (((y - g.y0) * g.inv_ch) as usize).min(g.ny - 1);
        let v = g.cells[iy * g.nx + ix];
        if v == CELL_NONE {
            None
        } else if v & CELL_MIXED == 0 {
            Some(v as usize)
        } else {
            self.locate_mixed(g.mixed_ranges[(v & !CELL_MIXED) as usize], x, y)
        }
    }

    /// Like [`locate`](Self::locate), returning the polygon's id.
    pub fn locate_id(&self, x: f64, y: f64) -> Option<&str> {
        self.locate(x, y).map(|i| self.ids[i].as_str())
    }

    /// Where `(x, y)` lies relative to polygon `index` (exact).
    pub fn classify(&self, index: usize, x: f64, y: f64) -> PointLocation {
        self.polys[index].classify(x, y)
    }

    /// Indexes of polygons whose bounding box meets the rectangle, in no particular order.
    pub fn intersecting_bbox(&self, min: (f64, f64), max: (f64, f64)) -> Vec<usize> {
        let env = rstar::AABB::from_corners([min.0, min.1], [max.0, max.1]);
        self.tree
            .locate_in_envelope_intersecting(&env)
            .map(|g| g.data as usize)
            .collect()
    }

    /// The same answer as [`locate`](Self::locate) without the grid: R-tree candidates, each
    /// tested exactly. Used to build the grid and as a reference in tests.
    pub fn locate_unaccelerated(&self, x: f64, y: f64) -> Option<usize> {
        let mut best: Option<usize> = None;
        for cand in self.tree.locate_all_at_point(&[x, y]) {
            let i = cand.data as usize;
            if best.is_some_and(|b| b < i) {
                continue;
            }
            if self.accepts(self.polys[i].classify(x, y)) {
                best = Some(i);
            }
        }
        best
    }

    #[inline]
    fn accepts(&self, loc: PointLocation) -> bool {
        match loc {
            PointLocation::Inside => true,
            PointLocation::Boundary => self.rule == BoundaryRule::Closed,
            PointLocation::Outside => false,
        }
    }

    #[inline(never)]
    fn locate_mixed(&self, range: [u32; 2], x: f64, y: f64) -> Option<usize> {
        if range[1] - range[0] > CROWDED_CELL {
            // Many small polygons in one cell (a dense cluster in a sparse layer): let the
            // R-tree narrow them down instead of testing each.
            return self.locate_unaccelerated(x, y);
        }
        for &entry in &self.grid.mixed_entries[range[0] as usize..range[1] as usize] {
            let i = (entry & !ENTRY_FULL) as usize;
            if entry & ENTRY_FULL != 0 || self.accepts(self.polys[i].classify(x, y)) {
                return Some(i);
            }
        }
        None
    }

    fn build_grid(&self) -> Grid {
        let mut ext = EMPTY_BBOX;
        let mut edge_count = 0usize;
        for p in &self.polys {
            if p.bbox[0] <= p.bbox[2] {
                ext[0] = ext[0].min(p.bbox[0]);
                ext[1] = ext[1].min(p.bbox[1]);
                ext[2] = ext[2].max(p.bbox[2]);
                ext[3] = ext[3].max(p.bbox[3]);
                edge_count += p.vertex_count;
            }
        }
        if ext[0] > ext[2] {
            // No usable polygon: an empty grid that rejects every point.
            return Grid {
                x0: f64::INFINITY,
                y0: f64::INFINITY,
                x1: f64::NEG_INFINITY,
                y1: f64::NEG_INFINITY,
                ..Grid::default()
            };
        }
        let (w, h) = (ext[2] - ext[0], ext[3] - ext[1]);
        // Enough cells that boundaries cover a small fraction of them; capped at 4M cells (16 MB).
        let target = (edge_count * 16).clamp(1024, 1 << 22) as f64;
        let (nx, ny) = if w > 0.0 && h > 0.0 {
            let nx = (target * w / h).sqrt().ceil().clamp(1.0, 16384.0) as usize;
            let ny = (target / nx as f64).ceil().clamp(1.0, 16384.0) as usize;
            (nx, ny)
        } else if w > 0.0 {
            ((target as usize).min(1 << 14), 1)
        } else if h > 0.0 {
            (1, (target as usize).min(1 << 14))
        } else {
            (1, 1)
        };
        let (cw, ch) = (w / nx as f64, h / ny as f64);
        let inv_cw = if w > 0.0 { nx as f64 / w } else { 0.0 };
        let inv_ch = if h > 0.0 { ny as f64 / h } else { 0.0 };
        // Cells are widened by this much when deciding whether an edge touches them, which
        // absorbs rounding both here and in `locate`'s cell computation.
        let magnitude = ext.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let eps = cw.max(ch) * 1e-6 + magnitude * 1e-12;
        let col = |x: f64| ((((x - ext[0]) * inv_cw).floor()).max(0.0) as usize).min(nx - 1);
        let row = |y: f64| ((((y - ext[1]) * inv_ch).floor()).max(0.0) as usize).min(ny - 1);

        // (cell, polygon) pairs for every cell an edge touches.
        let mut touch: Vec<(u32, u32)> = Vec::new();
        for (pi, p) in self.polys.iter().enumerate() {
            let mut seen_edges = std::collections::HashSet::new();
            for e in &p.edges {
                // Edges are duplicated across bands; rasterise each once.
                if !seen_edges.insert((
                    e.ax.to_bits(),
                    e.ay.to_bits(),
                    e.bx.to_bits(),
                    e.by.to_bits(),
                )) {
                    continue;
                }
                let (ylo, yhi) = (e.ay.min(e.by), e.ay.max(e.by));
                for r in row(ylo - eps)..=row(yhi + eps) {
                    // The part of the segment inside this row's (widened) band.
                    let band_lo = ext[1] + r as f64 * ch - eps;
                    let band_hi = ext[1] + (r + 1) as f64 * ch + eps;
                    let (xa, xb) = if e.ay == e.by {
                        (e.ax.min(e.bx), e.ax.max(e.bx))
                    } else {
                        let t = |yy: f64| ((yy - e.ay) / (e.by - e.ay)).clamp(0.0, 1.0);
                        let (t0, t1) = (t(band_lo), t(band_hi));
                        let xa = e.ax + (e.bx - e.ax) * t0;
                        let xb = e.ax + (e.bx - e.ax) * t1;
                        (xa.min(xb), xa.max(xb))
                    };
                    for c in col(xa - eps)..=col(xb + eps) {
                        touch.push(((r * nx + c) as u32, pi as u32));
                    }
                }
            }
        }
        touch.sort_unstable();
        touch.dedup();

        let mut cells = vec![CELL_NONE; nx * ny];
        let mut mixed_ranges = Vec::new();
        let mut mixed_entries = Vec::new();
        let mut t = 0;
        for r in 0..ny {
            // Pure cells in one run between mixed cells share their answer: compute it once.
            let mut run_answer: Option<u32> = None;
            for c in 0..nx {
                let cell = r * nx + c;
                let cx = ext[0] + (c as f64 + 0.5) * cw;
                let cy = ext[1] + (r as f64 + 0.5) * ch;
                let start = t;
                while t < touch.len() && touch[t].0 as usize == cell {
                    t += 1;
                }
                if start == t {
                    let v = *run_answer.get_or_insert_with(|| {
                        self.locate_unaccelerated(cx, cy)
                            .map_or(CELL_NONE, |i| i as u32)
                    });
                    cells[cell] = v;
                    continue;
                }
                run_answer = None;
                let mut entries: Vec<u32> = touch[start..t].iter().map(|p| p.1).collect();
                // Polygons whose edges stay out of the cell but which contain its centre contain
                // all of it.
                for cand in self.tree.locate_all_at_point(&[cx, cy]) {
                    let i = cand.data;
                    if !entries.contains(&i)
                        && self.polys[i as usize].classify(cx, cy) == PointLocation::Inside
                    {
                        entries.push(i | ENTRY_FULL);
                    }
                }
                entries.sort_unstable_by_key(|e| e & !ENTRY_FULL);
                if let Some(k) = entries.iter().position(|e| e & ENTRY_FULL != 0) {
                    entries.truncate(k + 1);
                }
                if entries.len() == 1 && entries[0] & ENTRY_FULL != 0 {
                    cells[cell] = entries[0] & !ENTRY_FULL;
                    continue;
                }
                cells[cell] = CELL_MIXED | mixed_ranges.len() as u32;
                let s = mixed_entries.len() as u32;
                mixed_entries.extend_from_slice(&entries);
                mixed_ranges.push([s, mixed_entries.len() as u32]);
            }
        }
        Grid {
            x0: ext[0],
            y0: ext[1],
            x1: ext[2],
            y1: ext[3],
            inv_cw,
            inv_ch,
            nx,
            ny,
            cells,
            mixed_ranges,
            mixed_entries,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{LineString, Polygon};

    fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Polygon<f64> {
        Polygon::new(
            LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]),
            vec![],
        )
    }

    fn mp(p: Polygon<f64>) -> MultiPolygon<f64> {
        MultiPolygon(vec![p])
    }

    /// Two unit squares side by side, the left one with a hole filled by a third polygon.
    fn layer() -> Vec<(String, MultiPolygon<f64>)> {
        let hole = LineString::from(vec![(0.25, 0.25), (0.75, 0.25), (0.75, 0.75), (0.25, 0.75)]);
        let left = Polygon::new(rect(0.0, 0.0, 1.0, 1.0).exterior().clone(), vec![hole]);
        vec![
            ("left".into(), mp(left)),
            ("right".into(), mp(rect(1.0, 0.0, 2.0, 1.0))),
            ("enclave".into(), mp(rect(0.25, 0.25, 0.75, 0.75))),
        ]
    }

    #[test]
    fn interiors_holes_and_outside() {
        let idx = PolygonIndex::new(layer());
        assert_eq!(idx.locate_id(0.1, 0.1), Some("left"));
        assert_eq!(idx.locate_id(1.5, 0.5), Some("right"));
        assert_eq!(idx.locate_id(0.5, 0.5), Some("enclave"));
        assert_eq!(idx.locate(-0.1, 0.5), None);
        assert_eq!(idx.locate(2.5, 0.5), None);
        assert_eq!(idx.locate(f64::NAN, 0.5), None);
        assert_eq!(idx.locate(0.5, f64::INFINITY), None);
    }

    #[test]
    fn boundary_points_follow_the_rule() {
        let pts = [
            (1.0, 0.5),   // shared edge left|right
            (1.0, 1.0),   // shared vertex on the top
            (0.0, 0.5),   // outer edge of left
            (0.25, 0.5),  // hole edge = enclave edge
            (0.75, 0.75), // hole vertex
            (2.0, 0.0),   // corner of the layer's extent
        ];
        let interior = PolygonIndex::new(layer());
        for (x, y) in pts {
            assert_eq!(interior.locate(x, y), None, "({x}, {y})");
            assert_eq!(interior.locate_unaccelerated(x, y), None, "({x}, {y})");
        }
        assert_eq!(interior.classify(0, 1.0, 0.5), PointLocation::Boundary);
        assert_eq!(interior.classify(2, 0.5, 0.75), PointLocation::Boundary);
        let closed = PolygonIndex::with_rule(layer(), BoundaryRule::Closed);
        let want = [Some(0), Some(0), Some(0), Some(0), Some(0), Some(1)];
        for ((x, y), w) in pts.into_iter().zip(want) {
            assert_eq!(closed.locate(x, y), w, "({x}, {y})");
            assert_eq!(closed.locate_unaccelerated(x, y), w, "({x}, {y})");
        }
    }

    #[test]
    fn overlaps_go_to_the_lowest_index() {
        let idx = PolygonIndex::new(vec![
            ("big".into(), mp(rect(0.0, 0.0, 10.0, 10.0))),
            ("small".into(), mp(rect(2.0, 2.0, 3.0, 3.0))),
        ]);
        assert_eq!(idx.locate_id(2.5, 2.5), Some("big"));
        let idx = PolygonIndex::new(vec![
            ("small".into(), mp(rect(2.0, 2.0, 3.0, 3.0))),
            ("big".into(), mp(rect(0.0, 0.0, 10.0, 10.0))),
        ]);
        assert_eq!(idx.locate_id(2.5, 2.5), Some("small"));
        assert_eq!(
            idx.locate_id(3.0, 2.5),
            Some("big"),
            "small's boundary, big's interior"
        );
        assert_eq!(idx.locate_id(9.0, 9.0), Some("big"));
    }

    #[test]
    fn empty_and_degenerate_inputs() {
        let idx = PolygonIndex::new(vec![]);
        assert!(idx.is_empty());
        assert_eq!(idx.locate(0.0, 0.0), None);
        let nan = Polygon::new(
            LineString::from(vec![(0.0, 0.0), (f64::NAN, 0.0), (1.0, 1.0), (0.0, 0.0)]),
            vec![],
        );
        let idx = PolygonIndex::new(vec![
            ("nan".into(), mp(nan)),
            ("empty".into(), MultiPolygon(vec![])),
            ("flat".into(), mp(rect(0.0, 0.0, 1.0, 0.0))),
            ("ok".into(), mp(rect(5.0, 5.0, 6.0, 6.0))),
        ]);
        assert_eq!(idx.len(), 4);
        assert_eq!(idx.locate(0.5, 0.0), None);
        assert_eq!(idx.locate(0.5, 0.2), None);
        assert_eq!(idx.locate_id(5.5, 5.5), Some("ok"));
    }

    #[test]
    fn multipolygon_parts() {
        let two = MultiPolygon(vec![rect(0.0, 0.0, 1.0, 1.0), rect(3.0, 0.0, 4.0, 1.0)]);
        let idx = PolygonIndex::new(vec![("two".into(), two)]);
        assert_eq!(idx.locate(0.5, 0.5), Some(0));
        assert_eq!(idx.locate(3.5, 0.5), Some(0));
        assert_eq!(idx.locate(2.0, 0.5), None);
    }

    /// The accelerated lookup agrees with the plain R-tree + exact test on a synthetic city
    /// layer, for random points and for points placed exactly on vertices.
    #[test]
    fn grid_agrees_with_reference_on_synthetic_layer() {
        let params = crate::synth::TilingParams {
            cols: 6,
            rows: 5,
            segments_per_edge: 40,
            ..Default::default()
        };
        let layer = crate::synth::tiling(&params);
        let vertices: Vec<(f64, f64)> = layer
            .iter()
            .flat_map(|(_, m)| m.0.iter().flat_map(|p| p.exterior().0.clone()))
            .map(|c| (c.x, c.y))
            .step_by(7)
            .collect();
        let bbox = crate::synth::layer_bbox(&layer);
        let points = crate::synth::random_points(20_000, bbox, 0.05, 7);
        for rule in [BoundaryRule::Interior, BoundaryRule::Closed] {
            let idx = PolygonIndex::with_rule(layer.clone(), rule);
            let stats = idx.stats();
            assert!(stats.mixed_cells > 0 && stats.mixed_cells < stats.grid.0 * stats.grid.1);
            let mut found = 0;
            for &(x, y) in points.iter().chain(&vertices) {
                let got = idx.locate(x, y);
                assert_eq!(got, idx.locate_unaccelerated(x, y), "({x}, {y}) {rule:?}");
                found += usize::from(got.is_some());
            }
            assert!(found > points.len() / 2);
            for &(x, y) in &vertices {
                let got = idx.locate(x, y);
                match rule {
                    BoundaryRule::Interior => assert_eq!(got, None),
                    BoundaryRule::Closed => assert!(got.is_some()),
                }
            }
        }
    }

    #[test]
    fn crowded_cells_fall_back_to_the_rtree() {
        // One far-away polygon stretches the grid so that a cluster of 60 small squares shares
        // a single cell.
        let mut layer = vec![("far".to_string(), mp(rect(1e6, 1e6, 1e6 + 1.0, 1e6 + 1.0)))];
        for i in 0..60 {
            let (x, y) = ((i % 10) as f64, (i / 10) as f64);
            layer.push((format!("c{i}"), mp(rect(x, y, x + 1.0, y + 1.0))));
        }
        let idx = PolygonIndex::new(layer);
        assert!(idx.stats().mixed_cells <= 4, "{:?}", idx.stats());
        let mut rng = crate::synth::SplitMix64(3);
        for _ in 0..5_000 {
            let (x, y) = (rng.range(-0.5, 10.5), rng.range(-0.5, 6.5));
            assert_eq!(
                idx.locate(x, y),
                idx.locate_unaccelerated(x, y),
                "({x}, {y})"
            );
        }
        assert_eq!(idx.locate_id(3.5, 2.5), Some("c23"));
        assert_eq!(idx.locate(3.0, 2.5), None);
    }

    proptest::proptest! {
        /// Against geo's own `Contains` (interior semantics) on a small holed layer.
        #[test]
        fn agrees_with_geo_contains(x in -0.5f64..2.5, y in -0.5f64..1.5) {
            use geo::Contains;
            let layer = layer();
            let idx = PolygonIndex::new(layer.clone());
            let want = layer.iter().position(|(_, m)| m.contains(&geo::Point::new(x, y)));
            proptest::prop_assert_eq!(idx.locate(x, y), want);
        }
    }
}
