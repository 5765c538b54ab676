//! 网格化社会管理: areas (townships, villages), grids, places and their 消防/治安检查, the map layers,
//! and imports of all three. The district the demo runs in is generated here too.

pub mod api;
pub mod areas;
pub mod demo;
pub mod import;
pub mod pages;
pub mod places;
