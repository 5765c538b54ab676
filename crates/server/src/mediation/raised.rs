//! What household visits (`visits`) and partners' inbound events (`sharing`) use of registration:
//! a dispute heard of on a visit or sent by a partner is checked and sealed (`prepare`) before
//! anything is written, then written in the caller's own transaction (`record`).

pub use super::register::{NewDisputeRequest, PartyRequest, Prepared, prepare, record};
