//! Accounts' pages: one's own account, and the administrators' users, organisations and audit log.

use crate::state::AppState;
use axum::Router;

pub mod account;
mod admin;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(account::router())
        .merge(admin::router())
}
