//! Public channels: residents' reports and tracking (pages and API), camera alerts from devices, and
//! the Open311 GeoReport v2 endpoint for published clients.

pub mod api;
pub mod open311;
pub mod pages;
pub mod reports;
