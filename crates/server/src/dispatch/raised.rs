//! What household visits (`visits`) use of intake: an incident heard of on a visit is checked like
//! any staff report (`report_as`, `prepare`) before anything is written, then written in the visit's
//! own transaction (`record_in`) — all or none — and the intake's hints and watch run after the
//! commit (`after`).

pub use super::intake::{NewIncident, Prepared, after, prepare, record_in, report_as};
