//! Accounts' JSON API: sessions and tokens, users, organisations, the audit log.

pub mod audit;
pub mod orgs;
pub mod session;
pub mod users;
