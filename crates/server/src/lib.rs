//! Pingan's HTTP server: the JSON API under `/api/v1`, the server-rendered pages, authentication,
//! the permission/scope wrapper every request goes through, OpenAPI, health and metrics.
//!
//! Layout: `config` (TOML + `PINGAN_*`), `state` (what handlers share), `error` (one error type mapped
//! to HTTP once), `extract` (strict JSON bodies), `auth` (sessions, tokens, password hashing, the `Actor`
//! every handler receives), `api/` one module per resource, `pages/` the UI, `demo` the generated demo
//! district.

pub mod account;
pub mod analysis;
pub mod api;
pub mod app;
pub mod assets;
pub mod auth;
pub mod cases;
pub mod config;
pub mod conn;
pub mod demo;
pub mod demo_analysis;
pub mod demo_cases;
pub mod demo_dispatch;
pub mod demo_mediation;
pub mod dispatch;
pub mod error;
pub mod extract;
pub mod gate;
pub mod hashing;
pub mod i18n;
pub mod import;
pub mod jobs;
pub mod live;
pub mod locate;
pub mod mediation;
pub mod metrics;
pub mod open311;
pub mod pages;
pub mod rate;
pub mod rekey;
pub mod state;
pub mod validate;

pub use app::{build_app, serve};
pub use config::Config;
pub use state::AppState;
