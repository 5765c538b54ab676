//! 交办/督办: supervised tasks. A task is assigned (from a joint meeting's decision or directly) to a
//! lead organisation and a lead person, with co-organisations and a deadline day; the lead reports
//! progress, submits completion with evidence, and the assigner accepts it or returns it. Supervision
//! cards an overdue or stalled task 普通 → 黄牌 → 红牌 by [`CardRules`]; an approved extension moves the
//! deadline and the card is recomputed (cleared unless still stalled).
//!
//! Everything here is pure: the card is a function of the task's facts and the instant asked about,
//! so a test (or a replay) moves time by passing another `now`.

use crate::incident::string_enum;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// One day in microseconds.
pub const DAY: i64 = 86_400_000_000;

string_enum! {
    /// Where a supervised task is.
    Status {
        /// 办理中: assigned, being worked on (also after a return).
        Open = "open",
        /// 待验收: the lead reported completion; the assigner accepts or returns it.
        Submitted = "submitted",
        /// 已办结: accepted by the assigner.
        Accepted = "accepted",
        /// 已撤销: withdrawn by the assigner.
        Cancelled = "cancelled",
    }
}

string_enum! {
    /// The supervision card (督办牌).
    Card {
        /// 普通.
        Normal = "normal",
        /// 黄牌: overdue or stalled.
        Yellow = "yellow",
        /// 红牌: long overdue or long stalled.
        Red = "red",
    }
}

impl Card {
    /// Normal < yellow < red.
    pub fn rank(self) -> u8 {
        match self {
            Card::Normal => 0,
            Card::Yellow => 1,
            Card::Red => 2,
        }
    }
}

string_enum! {
    /// Why a task is carded.
    CardReason {
        /// 逾期: the deadline day has passed.
        Overdue = "overdue",
        /// 停滞: no progress reported for a while.
        Stalled = "stalled",
    }
}

string_enum! {
    /// What happened to a task (its timeline).
    EventKind {
        Assigned = "assigned",
        Progress = "progress",
        Submitted = "submitted",
        Accepted = "accepted",
        Returned = "returned",
        Carded = "carded",
        ExtensionRequested = "extension_requested",
        ExtensionApproved = "extension_approved",
        ExtensionRefused = "extension_refused",
        Cancelled = "cancelled",
    }
}

string_enum! {
    /// A request for more time.
    ExtensionStatus {
        Pending = "pending",
        Approved = "approved",
        Refused = "refused",
    }
}

string_enum! {
    /// What a meeting's agenda item or a task is about.
    LinkKind {
        /// 警情.
        Incident = "incident",
        /// 矛盾纠纷.
        Dispute = "dispute",
        /// 案件.
        Case = "case",
        /// 场所.
        Place = "place",
        /// 风险隐患.
        Risk = "risk",
    }
}

/// What the lead and the assigner may do to a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Progress,
    Submit,
    Accept,
    Return,
    Cancel,
    RequestExtension,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("a task that is {from} cannot be {action:?}")]
pub struct IllegalAction {
    pub from: Status,
    pub action: Action,
}

impl Status {
    /// The status after `action`, or why it is not possible now.
    pub fn apply(self, action: Action) -> Result<Status, IllegalAction> {
        use Action as A;
        use Status as S;
        match (self, action) {
            (S::Open, A::Progress | A::RequestExtension) => Ok(S::Open),
            (S::Open, A::Submit) => Ok(S::Submitted),
            (S::Submitted, A::Accept) => Ok(S::Accepted),
            (S::Submitted, A::Return) => Ok(S::Open),
            (S::Open | S::Submitted, A::Cancel) => Ok(S::Cancelled),
            (from, action) => Err(IllegalAction { from, action }),
        }
    }

    /// Still in someone's hands (not accepted or cancelled).
    pub fn is_live(self) -> bool {
        matches!(self, Status::Open | Status::Submitted)
    }
}

/// When a task is carded (configurable per deployment, `[tasks]`). Days are whole days of 24 h.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CardRules {
    /// Yellow on this day overdue (the day after the deadline day is the first; 0 or 1: as soon as
    /// the deadline day has passed).
    pub yellow_overdue_days: i64,
    /// Red on this day overdue.
    pub red_overdue_days: i64,
    /// Yellow after this many days with no progress report (from assignment or the last report or
    /// approved extension).
    pub yellow_stall_days: i64,
    /// Red after this many days with no progress report.
    pub red_stall_days: i64,
}

impl Default for CardRules {
    fn default() -> Self {
        CardRules {
            yellow_overdue_days: 1,
            red_overdue_days: 3,
            yellow_stall_days: 7,
            red_stall_days: 14,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("tasks: {0}")]
pub struct BadCardRules(pub String);

impl CardRules {
    /// The rules make sense: no negative days, red no sooner than yellow.
    pub fn check(&self) -> Result<(), BadCardRules> {
        let all = [
            self.yellow_overdue_days,
            self.red_overdue_days,
            self.yellow_stall_days,
            self.red_stall_days,
        ];
        if all.iter().any(|d| *d < 0 || *d > 3650) {
            return Err(BadCardRules("card days must be 0–3650".into()));
        }
        if self.red_overdue_days < self.yellow_overdue_days
            || self.red_stall_days < self.yellow_stall_days
        {
            return Err(BadCardRules(
                "a red card cannot come before the yellow one".into(),
            ));
        }
        if self.yellow_stall_days == 0 {
            return Err(BadCardRules(
                "yellow_stall_days must be at least 1 (0 would card every task at once)".into(),
            ));
        }
        Ok(())
    }
}

/// What the card depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    pub status: Status,
    /// The first microsecond after the deadline day (local midnight that ends it).
    pub deadline_end: i64,
    /// The last progress report, approved extension or the assignment, whichever is latest.
    pub last_activity: i64,
}

/// A card with why: each reason with the whole days it has lasted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Carding {
    pub card: Card,
    pub reasons: Vec<Reason>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reason {
    pub reason: CardReason,
    /// Days overdue (the day after the deadline day is the first), or whole days since the last
    /// activity.
    pub days: i64,
}

/// The card a task deserves at `now`. Only an open task is carded: one submitted waits on the
/// assigner, one accepted or cancelled is over.
pub fn card(f: &Facts, rules: &CardRules, now: i64) -> Carding {
    let mut out = Carding {
        card: Card::Normal,
        reasons: Vec::new(),
    };
    if f.status != Status::Open {
        return out;
    }
    let mut raise = |c: Card, reason: CardReason, days: i64| {
        if c.rank() > out.card.rank() {
            out.card = c;
        }
        out.reasons.push(Reason { reason, days });
    };
    if now >= f.deadline_end {
        // Days overdue as people count them: the day after the deadline day is the first.
        let overdue = (now - f.deadline_end) / DAY + 1;
        if overdue >= rules.red_overdue_days {
            raise(Card::Red, CardReason::Overdue, overdue);
        } else if overdue >= rules.yellow_overdue_days {
            raise(Card::Yellow, CardReason::Overdue, overdue);
        }
    }
    let quiet = (now - f.last_activity).max(0) / DAY;
    if quiet >= rules.red_stall_days {
        raise(Card::Red, CardReason::Stalled, quiet);
    } else if quiet >= rules.yellow_stall_days {
        raise(Card::Yellow, CardReason::Stalled, quiet);
    }
    out
}

/// Figures of a set of tasks for scorecards (考核: task timeliness).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Figures {
    /// Tasks assigned in the period.
    pub assigned: i64,
    /// Accepted (办结).
    pub accepted: i64,
    /// Accepted with completion submitted by the deadline in force.
    pub accepted_on_time: i64,
    /// Still open or submitted.
    pub live: i64,
    /// Live and carded yellow or red now.
    pub yellow: i64,
    pub red: i64,
}

impl Figures {
    /// Accepted on time over accepted, when any were accepted.
    pub fn on_time_share(&self) -> Option<f64> {
        (self.accepted > 0).then(|| self.accepted_on_time as f64 / self.accepted as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_800_000_000_000_000;

    fn facts(deadline_days: i64) -> Facts {
        Facts {
            status: Status::Open,
            deadline_end: T0 + deadline_days * DAY,
            last_activity: T0,
        }
    }

    #[test]
    fn an_open_task_moves_normal_yellow_red_as_days_pass() {
        let r = CardRules::default();
        let f = facts(2);
        assert_eq!(card(&f, &r, T0 + 2 * DAY - 1).card, Card::Normal);
        // The deadline day is over: the first day overdue, yellow.
        let c = card(&f, &r, T0 + 2 * DAY);
        assert_eq!(c.card, Card::Yellow);
        assert_eq!(
            c.reasons,
            vec![Reason {
                reason: CardReason::Overdue,
                days: 1
            }]
        );
        // The third day overdue: red.
        assert_eq!(card(&f, &r, T0 + 4 * DAY - 1).card, Card::Yellow);
        let c = card(&f, &r, T0 + 4 * DAY);
        assert_eq!((c.card, c.reasons[0].days), (Card::Red, 3));
    }

    #[test]
    fn stalling_cards_a_task_before_its_deadline() {
        let r = CardRules::default();
        let f = facts(30);
        assert_eq!(card(&f, &r, T0 + 7 * DAY - 1).card, Card::Normal);
        let c = card(&f, &r, T0 + 7 * DAY);
        assert_eq!(
            (c.card, c.reasons[0].reason),
            (Card::Yellow, CardReason::Stalled)
        );
        assert_eq!(card(&f, &r, T0 + 14 * DAY).card, Card::Red);
        // A report resets the stall clock.
        let f = Facts {
            last_activity: T0 + 13 * DAY,
            ..f
        };
        assert_eq!(card(&f, &r, T0 + 14 * DAY).card, Card::Normal);
    }

    #[test]
    fn both_reasons_are_given_and_the_worse_card_wins() {
        let r = CardRules::default();
        let c = card(&facts(1), &r, T0 + 8 * DAY);
        assert_eq!(c.card, Card::Red);
        assert_eq!(c.reasons.len(), 2);
    }

    #[test]
    fn only_open_tasks_are_carded() {
        let r = CardRules::default();
        for s in [Status::Submitted, Status::Accepted, Status::Cancelled] {
            let f = Facts {
                status: s,
                ..facts(0)
            };
            assert_eq!(card(&f, &r, T0 + 100 * DAY).card, Card::Normal, "{s}");
        }
    }

    #[test]
    fn the_lifecycle_allows_what_the_workflow_allows() {
        use Action::*;
        assert_eq!(Status::Open.apply(Submit), Ok(Status::Submitted));
        assert_eq!(Status::Submitted.apply(Return), Ok(Status::Open));
        assert_eq!(Status::Submitted.apply(Accept), Ok(Status::Accepted));
        assert!(Status::Open.apply(Accept).is_err());
        assert!(Status::Submitted.apply(Progress).is_err());
        assert!(Status::Accepted.apply(Cancel).is_err());
        assert!(Status::Submitted.apply(RequestExtension).is_err());
    }

    #[test]
    fn rules_are_checked() {
        assert!(CardRules::default().check().is_ok());
        let bad = CardRules {
            red_overdue_days: 0,
            yellow_overdue_days: 1,
            ..CardRules::default()
        };
        assert!(bad.check().is_err());
        let zero = CardRules {
            yellow_stall_days: 0,
            ..CardRules::default()
        };
        assert!(zero.check().is_err());
    }
}
