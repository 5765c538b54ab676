//! The grid capability's pages: areas, the map, places and inspections, imports.

use crate::state::AppState;
use axum::Router;

mod areas;
pub mod imports;
mod places;

pub fn router() -> Router<AppState> {
    Router::new().merge(areas::router()).merge(places::router())
}
