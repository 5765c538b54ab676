//! 法治宣传: legal-publicity campaigns carried into every setting (进机关、进乡村、进社区、进学校、进企业、
//! 进单位): targets of events per setting, events held with their place, attendance and materials,
//! and the comparison the campaign page shows — incidents and disputes in the grids the events
//! reached, before and after the first event, in windows of equal length, beside the same counts in
//! the campaign's grids no event reached. A comparison of counts, not a measured effect.

use crate::incident::string_enum;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

string_enum! {
    /// Where a publicity event is held (the six 进).
    Setting {
        /// 进机关.
        Organ = "organ",
        /// 进乡村.
        Village = "village",
        /// 进社区.
        Community = "community",
        /// 进学校.
        School = "school",
        /// 进企业.
        Enterprise = "enterprise",
        /// 进单位.
        Unit = "unit",
    }
}

/// Counts before and after, in windows of `days` each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct BeforeAfter {
    pub before: i64,
    pub after: i64,
}

impl BeforeAfter {
    /// The change in whole percent, or `None` when there was nothing before.
    pub fn change_percent(&self) -> Option<i64> {
        (self.before > 0).then(|| ((self.after - self.before) * 100) / self.before)
    }
}

/// Two windows of equal length, `[start, end)` in µs, meeting at the first event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Windows {
    pub before: (i64, i64),
    pub after: (i64, i64),
    /// Their length in whole days.
    pub days: i64,
}

/// The comparison windows around the first event at `first` (µs): the after-window runs from the
/// first event for `days` days but never past `now`, and the before-window has the same length,
/// ending at the first event. `None` while no whole day has passed since the first event.
pub fn windows(first: i64, now: i64, days: i64) -> Option<Windows> {
    const DAY: i64 = 86_400_000_000;
    let elapsed = ((now - first) / DAY).min(days);
    if elapsed < 1 {
        return None;
    }
    let len = elapsed * DAY;
    Some(Windows {
        before: (first - len, first),
        after: (first, first + len),
        days: elapsed,
    })
}

/// A campaign's targets: each setting at most once, 0–1000 events.
pub fn check_targets(targets: &[(Setting, i64)]) -> Result<(), BadTargets> {
    if targets.is_empty() {
        return Err(BadTargets::None);
    }
    for (i, (s, n)) in targets.iter().enumerate() {
        if !(0..=1000).contains(n) {
            return Err(BadTargets::Count(i));
        }
        if targets[..i].iter().any(|(o, _)| o == s) {
            return Err(BadTargets::Repeated(i));
        }
    }
    Ok(())
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BadTargets {
    #[error("name at least one setting with its target")]
    None,
    #[error("target {0} must be 0 to 1000 events")]
    Count(usize),
    #[error("target {0} names a setting already named")]
    Repeated(usize),
}

#[cfg(test)]
mod tests {
    use super::*;
    const DAY: i64 = 86_400_000_000;

    #[test]
    fn windows_are_equal_and_never_reach_past_now() {
        let first = 100 * DAY;
        assert_eq!(windows(first, first + DAY / 2, 90), None);
        let Windows {
            before: (b0, b1),
            after: (a0, a1),
            days: d,
        } = windows(first, first + 10 * DAY + 5, 90).unwrap();
        assert_eq!(d, 10);
        assert_eq!((b1 - b0, a1 - a0), (10 * DAY, 10 * DAY));
        assert_eq!((b1, a0), (first, first));
        let Windows {
            after: (_, a1),
            days: d,
            ..
        } = windows(first, first + 400 * DAY, 90).unwrap();
        assert_eq!((d, a1), (90, first + 90 * DAY));
    }

    #[test]
    fn change() {
        assert_eq!(
            BeforeAfter {
                before: 0,
                after: 3
            }
            .change_percent(),
            None
        );
        assert_eq!(
            BeforeAfter {
                before: 10,
                after: 7
            }
            .change_percent(),
            Some(-30)
        );
    }

    #[test]
    fn targets() {
        assert_eq!(check_targets(&[]), Err(BadTargets::None));
        assert_eq!(
            check_targets(&[(Setting::School, 4), (Setting::Village, 2)]),
            Ok(())
        );
        assert_eq!(
            check_targets(&[(Setting::School, 4), (Setting::School, 2)]),
            Err(BadTargets::Repeated(1))
        );
        assert_eq!(
            check_targets(&[(Setting::Unit, -1)]),
            Err(BadTargets::Count(0))
        );
    }
}
