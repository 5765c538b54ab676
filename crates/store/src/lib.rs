//! Pingan storage: one schema and one code path over SQLite (embedded default) and PostgreSQL.
//!
//! SQL is written once with `?` placeholders; `Db` rewrites them to `$n` for PostgreSQL and binds typed
//! `Value`s, and rows decode through `sqlx::FromRow` structs that work for both backends. The few places
//! where the dialects differ (row locks, append-only triggers, binary columns) are confined to this crate
//! and marked. Every write transaction commits through `Tx::commit_audited`, which appends the audit
//! records to the SM3 chain inside the same transaction: no write without its audit record.

pub mod analysis;
pub mod areas;
pub mod assessment;
pub mod audit;
pub mod basemap;
pub mod cameras;
pub mod cases;
pub mod db;
pub mod disputes;
pub mod error;
pub mod gazetteer;
pub mod grids;
pub mod home;
pub mod incidents;
pub mod kpi;
pub mod leases;
pub mod meetings;
pub mod migrate;
pub mod notifications;
pub mod orgs;
pub mod outbox;
pub mod patrol;
pub mod places;
pub mod public_alerts;
pub mod publicity;
pub mod rate;
mod raw_sqlite;
pub mod risks;
pub mod roster;
pub mod scope;
pub mod sealed;
pub mod sessions;
pub mod settings;
pub mod sharing;
pub mod tasks;
pub mod teams;
pub mod testing;
pub mod training;
pub mod units;
pub mod uploads;
pub mod users;
pub mod visits;
pub mod wake;

pub use db::{Backend, Db, Tx, Value};
pub use error::StoreError;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// New app-generated id (UUIDv7: time-ordered, identical on both backends).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Current time in UTC microseconds.
pub fn now_micros() -> i64 {
    jiff::Timestamp::now().as_microsecond()
}
