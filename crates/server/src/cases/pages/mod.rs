//! 执法监督's pages: cases, 网上巡查 alerts, and 案件评查 samples and reviews.

use crate::state::AppState;
use axum::Router;

mod cases;
mod review;

pub fn router() -> Router<AppState> {
    Router::new().merge(cases::router()).merge(review::router())
}
