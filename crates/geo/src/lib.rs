//! Pingan's geography crate: coordinate systems, a local metric projection, the point → polygon
//! index used to place incidents, disputes and places in their grid, and geometry checks run on
//! imported grid layers. Everything here is pure computation over in-memory data (parsing helpers
//! take `&str` or readers); no async, no files, no database.

pub mod crs;
pub mod proj;

pub use crs::{Crs, CrsError, distance_m, from_wgs84, to_wgs84};
pub use proj::Projection;
