//! What household visits (`visits`) use of registration: a dispute heard of on a visit is checked
//! and sealed (`prepare`) before anything is written, then written in the visit's own transaction
//! (`record`).

pub use super::register::{NewDisputeRequest, Prepared, prepare, record};
