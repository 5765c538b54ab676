//! 指挥调度's JSON API: incidents (intake, dispatch, the live board) and units.

pub mod incidents;
pub mod units;
