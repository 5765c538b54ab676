//! 排班: shifts on a patrol zone — which mode, when, which unit (a car, a foot team) and which
//! people crew it — and the rules a new shift must meet: nobody (person or unit) is booked twice at
//! once, a person rests at least the configured minimum between shifts, and a person works for the
//! zone's station unless seconded (借调) to it.

use crate::incident::string_enum;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

string_enum! {
    /// How a shift patrols.
    PatrolMode {
        /// 人巡: on foot (or bicycle).
        Foot = "foot",
        /// 车巡: by car or motorbike.
        Vehicle = "vehicle",
        /// 网巡: online patrol from the station.
        Online = "online",
        /// 伏击守候: a stakeout at a hotspot.
        Stakeout = "stakeout",
    }
}

/// The roles whose people patrol, and so may crew a shift: they can see their shifts and check in.
pub const PATROL_ROLES: &[crate::Role] = &[
    crate::Role::StationChief,
    crate::Role::Officer,
    crate::Role::Auxiliary,
    crate::Role::Volunteer,
];

/// Shifts longer than this are refused outright (a typo in the end time, not a roster).
pub const MAX_SHIFT_HOURS: i64 = 24;
/// People on one shift.
pub const MAX_CREW: usize = 20;
const HOUR: i64 = 3_600_000_000;

/// Another shift somebody (or a unit) already has: its id and period (UTC µs, end exclusive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booking {
    pub shift_id: String,
    pub from: i64,
    pub to: i64,
}

/// Why a shift cannot be stored. `who` is a user id or a unit id, as the variant says.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum RosterConflict {
    #[error("{who} is already on shift {shift_id} at that time")]
    DoubleBooked { who: String, shift_id: String },
    #[error(
        "{who} would rest {rest_minutes} min after or before shift {shift_id}, under the {min_minutes} min minimum"
    )]
    RestTooShort {
        who: String,
        shift_id: String,
        rest_minutes: i64,
        min_minutes: i64,
    },
    #[error("{who} does not work for the zone's station and is not seconded to it")]
    OutsideStation { who: String },
    #[error("unit {who} is already on shift {shift_id} at that time")]
    UnitDoubleBooked { who: String, shift_id: String },
    #[error("unit {who} belongs to another station")]
    UnitOutsideStation { who: String },
}

impl RosterConflict {
    /// The coded reason pages put in words.
    pub fn code(&self) -> &'static str {
        match self {
            RosterConflict::DoubleBooked { .. } => "roster_double_booked",
            RosterConflict::RestTooShort { .. } => "roster_rest_too_short",
            RosterConflict::OutsideStation { .. } => "roster_outside_station",
            RosterConflict::UnitDoubleBooked { .. } => "roster_unit_double_booked",
            RosterConflict::UnitOutsideStation { .. } => "roster_unit_outside_station",
        }
    }
}

/// Why a shift's period is not one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("the shift must end after it starts")]
    EndsBeforeStart,
    #[error("a shift may last at most {MAX_SHIFT_HOURS} hours")]
    TooLong,
}

pub fn check_period(from: i64, to: i64) -> Result<(), PeriodError> {
    if to <= from {
        Err(PeriodError::EndsBeforeStart)
    } else if to - from > MAX_SHIFT_HOURS * HOUR {
        Err(PeriodError::TooLong)
    } else {
        Ok(())
    }
}

fn overlaps(a: (i64, i64), b: &Booking) -> bool {
    a.0 < b.to && b.from < a.1
}

/// A person's first conflict with the shifts they already have: overlap first, then a rest under
/// `min_rest` (µs) on either side. Shifts that touch end to start leave no rest, so two shifts
/// back to back are refused unless `min_rest` is zero: lengthen the shift instead.
pub fn person_conflict(
    who: &str,
    period: (i64, i64),
    booked: &[Booking],
    min_rest: i64,
) -> Option<RosterConflict> {
    if let Some(b) = booked.iter().find(|b| overlaps(period, b)) {
        return Some(RosterConflict::DoubleBooked {
            who: who.into(),
            shift_id: b.shift_id.clone(),
        });
    }
    booked.iter().find_map(|b| {
        let rest = if b.to <= period.0 {
            period.0 - b.to
        } else {
            b.from - period.1
        };
        (rest < min_rest).then(|| RosterConflict::RestTooShort {
            who: who.into(),
            shift_id: b.shift_id.clone(),
            rest_minutes: rest / 60_000_000,
            min_minutes: min_rest / 60_000_000,
        })
    })
}

/// A unit's conflict: units need no rest, only not to be in two places at once.
pub fn unit_conflict(who: &str, period: (i64, i64), booked: &[Booking]) -> Option<RosterConflict> {
    booked
        .iter()
        .find(|b| overlaps(period, b))
        .map(|b| RosterConflict::UnitDoubleBooked {
            who: who.into(),
            shift_id: b.shift_id.clone(),
        })
}

/// Whether an org (by its materialised path, which ends in `/`) is the station's or under it.
pub fn within_station(station_path: &str, org_path: &str) -> bool {
    station_path.ends_with('/') && org_path.starts_with(station_path)
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = HOUR;

    fn b(id: &str, from_h: i64, to_h: i64) -> Booking {
        Booking {
            shift_id: id.into(),
            from: from_h * H,
            to: to_h * H,
        }
    }

    #[test]
    fn overlap_is_a_double_booking_even_by_a_minute() {
        let booked = [b("s1", 8, 16)];
        let c = person_conflict("u", (16 * H - 60_000_000, 20 * H), &booked, 0).unwrap();
        assert_eq!(c.code(), "roster_double_booked");
        // Touching is not overlapping.
        assert_eq!(person_conflict("u", (16 * H, 20 * H), &booked, 0), None);
    }

    #[test]
    fn rest_is_measured_on_both_sides() {
        let booked = [b("early", 0, 8), b("late", 30, 38)];
        // 8 h rest after "early", 6 h before "late" with a minimum of 8 h.
        let c = person_conflict("u", (16 * H, 24 * H), &booked, 8 * H).unwrap();
        assert_eq!(
            c,
            RosterConflict::RestTooShort {
                who: "u".into(),
                shift_id: "late".into(),
                rest_minutes: 360,
                min_minutes: 480
            }
        );
        // Exactly the minimum is enough.
        assert_eq!(person_conflict("u", (16 * H, 22 * H), &booked, 8 * H), None);
        // Back to back leaves no rest.
        let c = person_conflict("u", (8 * H, 12 * H), &booked, 8 * H).unwrap();
        assert_eq!(c.code(), "roster_rest_too_short");
    }

    #[test]
    fn units_rest_not_but_cannot_be_in_two_places() {
        let booked = [b("s1", 8, 16)];
        assert_eq!(unit_conflict("car", (16 * H, 20 * H), &booked), None);
        assert_eq!(
            unit_conflict("car", (10 * H, 12 * H), &booked)
                .unwrap()
                .code(),
            "roster_unit_double_booked"
        );
    }

    #[test]
    fn periods_and_station_paths() {
        assert_eq!(check_period(5, 5), Err(PeriodError::EndsBeforeStart));
        assert_eq!(check_period(0, 25 * H), Err(PeriodError::TooLong));
        assert_eq!(check_period(0, 24 * H), Ok(()));
        assert!(within_station("a/b/", "a/b/"));
        assert!(within_station("a/b/", "a/b/c/"));
        assert!(!within_station("a/b/", "a/bc/"));
        assert!(!within_station("a/b/", "a/"));
    }
}
