//! What household visits (`visits`) and partners' inbound events (`sharing`) use of intake: an
//! incident heard of on a visit is checked like any staff report (`report_as`, `prepare`), one a
//! partner sends by the same field checks (`checked`), before anything is written, then written in
//! the caller's own transaction (`record_in`) — all or none — and the intake's hints and watch run
//! after the commit (`after`).

pub use super::intake::{NewIncident, Prepared, after, checked, prepare, record_in, report_as};
