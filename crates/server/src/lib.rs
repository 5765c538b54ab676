//! Pingan's HTTP server: the JSON API under `/api/v1`, the server-rendered pages, authentication,
//! the permission/scope wrapper every request goes through, OpenAPI, health and metrics.
//!
//! Layout (docs/ARCHITECTURE.md): one folder per capability as users name it — `dispatch` 指挥调度,
//! `mediation` 矛盾纠纷化解, `cases` 执法监督, `analysis` 信息研判, `grid` 网格化社会管理, `accounts`
//! 账号与管理, `public` 群众报警与开放接口 — each with its services, `api`, `pages` and `demo`; the modules
//! at the root are the shared kernel they stand on. `app`, `api` and `demo` assemble the capabilities.

// Capabilities.
pub mod accounts;
pub mod analysis;
pub mod assessment;
pub mod cameras;
pub mod cases;
pub mod dispatch;
pub mod grid;
pub mod home;
pub mod kpi;
pub mod mediation;
pub mod meetings;
pub mod patrol;
pub mod public;
pub mod public_alerts;
pub mod publicity;
pub mod tasks;

// Shared kernel.
pub mod api;
pub mod app;
pub mod assets;
pub mod auth;
pub mod basemap;
pub mod config;
pub mod conn;
pub mod demo;
pub mod error;
pub mod extract;
pub mod figures;
pub mod gate;
pub mod gazetteer;
pub mod hashing;
pub mod i18n;
pub mod jobs;
pub mod live;
pub mod locate;
pub mod metrics;
pub mod names;
pub mod notifications;
pub mod pdf;
pub mod rate;
pub mod rekey;
pub mod risks;
pub mod sharing;
pub mod shell;
pub mod signed;
pub mod state;
pub mod system;
pub mod teams;
pub mod training;
pub mod validate;
pub mod visits;
pub mod xlsx;

pub use app::{build_app, serve};
pub use config::Config;
pub use state::AppState;
