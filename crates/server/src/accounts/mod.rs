//! Accounts and administration: one's own account (password, second factor, tokens), sessions,
//! users and their scopes, the organisation tree and the audit log.

pub mod account;
pub mod api;
pub mod demo;
pub mod orgs;
pub mod pages;
pub mod users;
