//! Pingan's geography crate: coordinate systems, a local metric projection, the point → polygon
//! index used to place incidents, disputes and places in their grid, and geometry checks run on
//! imported grid layers. Everything here is pure computation over in-memory data (parsing helpers
//! take `&str` or readers); no async, no files, no database, single-threaded.
//!
//! Modules: [`crs`] (WGS-84 / GCJ-02 / BD-09), [`proj`] (transverse Mercator in metres), [`pip`]
//! (the polygon index), [`layer`] (GeoJSON polygon layers), [`validate`] (geometry problems,
//! overlaps, gaps), [`pip_batch`] (CSV batch lookup for `pingan analyze pip`), [`synth`]
//! (synthetic layers for tests and benchmarks), [`tiles`] (XYZ tiles, PMTiles, a synthetic base map), [`analysis`] (信息研判: Gi*, KDE, Knox, MCLP, trends),
//! [`gazetteer`] (the map search box: names by Chinese text, pinyin or pinyin initials), [`track`]
//! (time-aware simplification of GPS tracks for long-term storage).

pub mod analysis;
pub mod crs;
pub mod gazetteer;
pub mod layer;
pub mod pip;
pub mod pip_batch;
pub mod proj;
pub mod synth;
pub mod tiles;
pub mod track;
pub mod validate;

pub use crs::{Crs, CrsError, distance_m, from_wgs84, to_wgs84};
pub use gazetteer::{Entry, EntryKind, Gazetteer, Hit, MatchKind};
pub use layer::{LayerError, PolygonFeature, parse_polygon_layer, parse_polygons};
pub use pip::{BoundaryRule, PointLocation, PolygonIndex};
pub use pip_batch::{PipError, PipStats, pip_csv};
pub use proj::Projection;
pub use validate::{
    GeometryProblem, Overlap, Piece, Ring, gaps_within, outside_parent, overlaps,
    validate_multipolygon, validate_polygon, validate_ring_coords,
};
