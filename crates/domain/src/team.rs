//! 群防群治: mass-prevention teams — 治保会, property and enterprise security, 平安志愿者 and
//! auxiliary-police groups — their members (with or without an account), duty schedules (值守), tasks
//! (patrol a zone, legal publicity, information gathering) and the hours-and-points ledger (积分).
//!
//! The ledger is append-only: hours and points are credited for a confirmed duty, a completed task or
//! a report that dispatch acted on, and corrected by a further entry, never by an edit. One member is
//! credited at most once for one duty, task or report.

use crate::incident::string_enum;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

string_enum! {
    /// What kind of team it is.
    TeamKind {
        /// 治保会: a village's or community's security committee.
        SecurityCommittee = "security_committee",
        /// 物业保安: a residential compound's property security.
        PropertySecurity = "property_security",
        /// 企业内保: an enterprise's own security.
        EnterpriseSecurity = "enterprise_security",
        /// 平安志愿者: volunteers.
        PeaceVolunteers = "peace_volunteers",
        /// 辅警队: a group of auxiliary police.
        AuxiliaryGroup = "auxiliary_group",
    }
}

string_enum! {
    /// A member's place in the team.
    MemberRole {
        /// 队长.
        Leader = "leader",
        /// 队员.
        Member = "member",
    }
}

string_enum! {
    /// What a task asks of its members.
    TaskKind {
        /// 巡逻: patrol a zone or a place.
        Patrol = "patrol",
        /// 宣传: legal publicity (法治宣传), anti-fraud leaflets.
        Publicity = "publicity",
        /// 信息报送: gather and report information.
        Information = "information",
    }
}

string_enum! {
    /// Where a task is.
    TaskStatus {
        Open = "open",
        Done = "done",
        Cancelled = "cancelled",
    }
}

string_enum! {
    /// Why hours or points were credited.
    LedgerKind {
        /// A duty whose attendance was confirmed.
        Duty = "duty",
        /// A completed task.
        Task = "task",
        /// A report through the volunteer channel that dispatch acted on (有效线索).
        Report = "report",
        /// A correction or award by the team's manager, with its reason.
        Adjustment = "adjustment",
    }
}

/// Points for each full hour of confirmed duty or task work.
pub const POINTS_PER_HOUR: i64 = 1;
/// Points for a report dispatch acted on.
pub const POINTS_PER_REPORT: i64 = 2;
/// A manual adjustment moves at most this many points either way.
pub const MAX_ADJUSTMENT_POINTS: i64 = 100;
/// A duty or a task's work is at most this long (a typo in an end time, not a duty).
pub const MAX_DUTY_HOURS: i64 = 24;
/// People on one duty or task.
pub const MAX_ASSIGNED: usize = 50;

const MINUTE: i64 = 60_000_000;

/// The credit for `minutes` of confirmed work: the minutes themselves and a point per full hour.
pub fn work_credit(minutes: i64) -> (i64, i64) {
    let minutes = minutes.max(0);
    (minutes, minutes / 60 * POINTS_PER_HOUR)
}

/// A duty's length in whole minutes (UTC µs, end exclusive).
pub fn duty_minutes(from: i64, to: i64) -> i64 {
    ((to - from) / MINUTE).max(0)
}

/// Why a duty period or a task's work cannot be recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("the end must come after the start")]
    EndNotAfterStart,
    #[error("at most {MAX_DUTY_HOURS} hours")]
    TooLong,
}

/// A duty's period: the end after the start and at most [`MAX_DUTY_HOURS`] later.
pub fn check_period(from: i64, to: i64) -> Result<(), PeriodError> {
    if to <= from {
        Err(PeriodError::EndNotAfterStart)
    } else if to - from > MAX_DUTY_HOURS * 60 * MINUTE {
        Err(PeriodError::TooLong)
    } else {
        Ok(())
    }
}

/// A task's work as the manager records it: 1 minute to [`MAX_DUTY_HOURS`] hours.
pub fn check_work_minutes(minutes: i64) -> Result<(), PeriodError> {
    if minutes <= 0 {
        Err(PeriodError::EndNotAfterStart)
    } else if minutes > MAX_DUTY_HOURS * 60 {
        Err(PeriodError::TooLong)
    } else {
        Ok(())
    }
}

/// Whether a report's incident counts as acted on: dispatch sent someone or took it further. A report
/// still waiting earns nothing yet; one cancelled (false, or a prank) or merged (a duplicate) never
/// does.
pub fn report_counts(status: crate::incident::Status) -> bool {
    use crate::incident::Status::*;
    matches!(
        status,
        Dispatched | Acknowledged | OnScene | Resolved | ReportedBack | Closed | Transferred
    )
}

/// A member's totals from their ledger entries `(minutes, points)`.
pub fn totals<'a>(entries: impl IntoIterator<Item = &'a (i64, i64)>) -> (i64, i64) {
    entries
        .into_iter()
        .fold((0, 0), |(m, p), (dm, dp)| (m + dm, p + dp))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::Status;

    #[test]
    fn codes_match_serde() {
        for k in TeamKind::ALL {
            assert_eq!(
                serde_json::to_value(k).unwrap(),
                serde_json::json!(k.code())
            );
        }
        for k in LedgerKind::ALL {
            assert_eq!(
                serde_json::to_value(k).unwrap(),
                serde_json::json!(k.code())
            );
        }
        for k in TaskKind::ALL {
            assert_eq!(k.code().parse::<TaskKind>().unwrap(), *k);
        }
    }

    #[test]
    fn work_earns_a_point_per_full_hour() {
        assert_eq!(work_credit(0), (0, 0));
        assert_eq!(work_credit(59), (59, 0));
        assert_eq!(work_credit(60), (60, 1));
        assert_eq!(work_credit(150), (150, 2));
        assert_eq!(work_credit(-5), (0, 0));
        assert_eq!(duty_minutes(0, 90 * MINUTE + 59_000_000), 90);
    }

    #[test]
    fn periods_are_checked() {
        assert_eq!(check_period(10, 10), Err(PeriodError::EndNotAfterStart));
        assert_eq!(check_period(10, 5), Err(PeriodError::EndNotAfterStart));
        assert_eq!(check_period(0, 24 * 60 * MINUTE), Ok(()));
        assert_eq!(
            check_period(0, 24 * 60 * MINUTE + 1),
            Err(PeriodError::TooLong)
        );
        assert_eq!(check_work_minutes(0), Err(PeriodError::EndNotAfterStart));
        assert_eq!(check_work_minutes(1440), Ok(()));
        assert_eq!(check_work_minutes(1441), Err(PeriodError::TooLong));
    }

    #[test]
    fn only_reports_acted_on_count() {
        for s in Status::ALL {
            let expect = !matches!(s, Status::Received | Status::Cancelled | Status::Merged);
            assert_eq!(report_counts(*s), expect, "{s}");
        }
    }

    #[test]
    fn totals_add_corrections() {
        assert_eq!(totals(&[(120, 2), (0, 2), (0, -1)]), (120, 3));
        assert_eq!(totals(&[]), (0, 0));
    }
}
