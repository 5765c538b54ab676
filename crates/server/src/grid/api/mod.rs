//! The grid capability's JSON API: areas and grids, places and inspections, map layers.

pub mod areas;
pub mod geo;
pub mod places;
