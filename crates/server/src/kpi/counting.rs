//! What other capabilities use of the dashboard's counting: a measure by name, a count linked to its
//! records, and the dashboard's rules for periods and places. (`assessment` scores with these, so a
//! score drills down to the same record lists the dashboard shows.)

pub use super::{AreaRef, Counted, count_link, measure_named, parse_period, place};
