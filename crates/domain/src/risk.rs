//! 风险联排/安全联管: the joint risk register. A risk is found at a place or in a grid (by a grid
//! worker's screening, a household visit or a patrol), graded by category and level, and worked
//! through: a rectification order (整改) with a deadline — a supervised task, so an overdue order is
//! carded like any task — then a re-inspection (复查) that closes the risk or sends the order back.
//! A risk removed on the spot is closed without an order.
//!
//! Screening campaigns (联排) assign every grid of an area a checklist; a grid is complete when each
//! item is answered (fine, a risk found, or not applicable) and the grid is reported done.

use crate::incident::string_enum;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

string_enum! {
    /// 风险类别. Deployments add their own in `[risks] categories`; these are always there.
    Category {
        /// 消防安全.
        Fire = "fire",
        /// 治安.
        PublicSecurity = "public_security",
        /// 道路交通.
        Traffic = "traffic",
        /// 安全生产.
        ProductionSafety = "production_safety",
        /// 校园周边.
        SchoolSurroundings = "school_surroundings",
        /// 护路护线 (railways, roads, power and telecom lines).
        RoadRail = "road_rail",
        /// 其他.
        Other = "other",
    }
}

string_enum! {
    /// 风险等级 (the four-colour grading: red, orange, yellow, blue).
    RiskLevel {
        /// 重大风险 (red).
        Major = "major",
        /// 较大风险 (orange).
        High = "high",
        /// 一般风险 (yellow).
        General = "general",
        /// 低风险 (blue).
        Low = "low",
    }
}

impl RiskLevel {
    /// Major first.
    pub fn rank(self) -> u8 {
        match self {
            RiskLevel::Major => 0,
            RiskLevel::High => 1,
            RiskLevel::General => 2,
            RiskLevel::Low => 3,
        }
    }
}

string_enum! {
    /// Where a risk is.
    RiskStatus {
        /// 待整改: registered, no rectification ordered yet.
        Open = "open",
        /// 整改中: a rectification order (a supervised task) is live.
        Rectifying = "rectifying",
        /// 已销号: re-inspected and passed, or removed on the spot.
        Closed = "closed",
    }
}

string_enum! {
    /// How a risk came to the register.
    RiskSource {
        /// 联排: a screening campaign's checklist.
        Screening = "screening",
        /// 入户走访.
        Visit = "visit",
        /// 日常发现 (patrol, inspection, a report).
        Routine = "routine",
        /// Sent by a partner system (数字城管, the grid platform) under a sharing agreement.
        Partner = "partner",
    }
}

string_enum! {
    /// What happened to a risk (its timeline).
    RiskEventKind {
        Registered = "registered",
        Ordered = "ordered",
        ReinspectedPassed = "reinspected_passed",
        ReinspectedFailed = "reinspected_failed",
        Closed = "closed",
    }
}

string_enum! {
    /// One checklist item's answer in a screening campaign.
    CheckResult {
        /// 无隐患.
        Fine = "fine",
        /// 发现风险 (registered with the answer).
        Found = "found",
        /// 不适用.
        NotApplicable = "not_applicable",
    }
}

/// What may be done to a risk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Issue a rectification order. Also from `Rectifying` when the last order was withdrawn.
    Order { order_live: bool },
    /// Record a re-inspection; only once the lead has reported the rectification done.
    Reinspect { passed: bool, order_submitted: bool },
    /// Close without an order (removed on the spot, or not a risk after all).
    Close,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IllegalAction {
    #[error("a {0} risk takes no rectification order")]
    NoOrder(RiskStatus),
    #[error("the rectification order is still being worked on")]
    OrderLive,
    #[error("a {0} risk is not re-inspected")]
    NoReinspection(RiskStatus),
    #[error("the rectification has not been reported done")]
    NotSubmitted,
    #[error("a risk with a rectification order is closed by re-inspection")]
    CloseByReinspection,
    #[error("the risk is closed")]
    AlreadyClosed,
}

impl RiskStatus {
    /// The status after `action`, or why it is not possible now.
    pub fn apply(self, action: Action) -> Result<RiskStatus, IllegalAction> {
        use RiskStatus as S;
        match (self, action) {
            (S::Open, Action::Order { .. }) => Ok(S::Rectifying),
            (S::Rectifying, Action::Order { order_live: false }) => Ok(S::Rectifying),
            (S::Rectifying, Action::Order { order_live: true }) => Err(IllegalAction::OrderLive),
            (
                S::Rectifying,
                Action::Reinspect {
                    order_submitted: false,
                    ..
                },
            ) => Err(IllegalAction::NotSubmitted),
            (S::Rectifying, Action::Reinspect { passed: true, .. }) => Ok(S::Closed),
            (S::Rectifying, Action::Reinspect { passed: false, .. }) => Ok(S::Rectifying),
            (S::Open, Action::Close) => Ok(S::Closed),
            (S::Rectifying, Action::Close) => Err(IllegalAction::CloseByReinspection),
            (S::Closed, Action::Close) => Err(IllegalAction::AlreadyClosed),
            (s, Action::Order { .. }) => Err(IllegalAction::NoOrder(s)),
            (s, Action::Reinspect { .. }) => Err(IllegalAction::NoReinspection(s)),
        }
    }
}

/// A grid's progress through a campaign checklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GridProgress {
    pub items: usize,
    pub answered: usize,
    pub found: usize,
    pub reported: bool,
}

impl GridProgress {
    /// The share of items answered, 0–100.
    pub fn percent(&self) -> u8 {
        if self.items == 0 {
            return 100;
        }
        ((self.answered.min(self.items) * 100) / self.items) as u8
    }

    /// A grid may be reported done once every item is answered.
    pub fn may_report(&self) -> bool {
        self.answered >= self.items && !self.reported
    }
}

/// A checklist: 1–30 items of at most 100 characters each, none repeated.
pub fn check_checklist(items: &[String]) -> Result<(), BadChecklist> {
    if items.is_empty() || items.len() > 30 {
        return Err(BadChecklist::Count(items.len()));
    }
    for (i, item) in items.iter().enumerate() {
        let n = item.trim().chars().count();
        if n == 0 || n > 100 {
            return Err(BadChecklist::Item(i));
        }
        if items[..i].iter().any(|o| o.trim() == item.trim()) {
            return Err(BadChecklist::Repeated(i));
        }
    }
    Ok(())
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BadChecklist {
    #[error("a checklist has 1 to 30 items, not {0}")]
    Count(usize),
    #[error("item {0} must be 1 to 100 characters")]
    Item(usize),
    #[error("item {0} repeats an earlier item")]
    Repeated(usize),
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::Order { .. } => "order",
            Action::Reinspect { .. } => "reinspect",
            Action::Close => "close",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_is_reinspected_before_closing() {
        let s = RiskStatus::Open.apply(Action::Order { order_live: false });
        assert_eq!(s, Ok(RiskStatus::Rectifying));
        assert_eq!(
            RiskStatus::Rectifying.apply(Action::Close),
            Err(IllegalAction::CloseByReinspection)
        );
        assert_eq!(
            RiskStatus::Rectifying.apply(Action::Reinspect {
                passed: true,
                order_submitted: false
            }),
            Err(IllegalAction::NotSubmitted)
        );
        assert_eq!(
            RiskStatus::Rectifying.apply(Action::Reinspect {
                passed: false,
                order_submitted: true
            }),
            Ok(RiskStatus::Rectifying)
        );
        assert_eq!(
            RiskStatus::Rectifying.apply(Action::Reinspect {
                passed: true,
                order_submitted: true
            }),
            Ok(RiskStatus::Closed)
        );
    }

    #[test]
    fn a_second_order_only_replaces_a_withdrawn_one() {
        assert_eq!(
            RiskStatus::Rectifying.apply(Action::Order { order_live: true }),
            Err(IllegalAction::OrderLive)
        );
        assert_eq!(
            RiskStatus::Rectifying.apply(Action::Order { order_live: false }),
            Ok(RiskStatus::Rectifying)
        );
        assert_eq!(
            RiskStatus::Closed.apply(Action::Order { order_live: false }),
            Err(IllegalAction::NoOrder(RiskStatus::Closed))
        );
    }

    #[test]
    fn closing_on_the_spot() {
        assert_eq!(
            RiskStatus::Open.apply(Action::Close),
            Ok(RiskStatus::Closed)
        );
        assert_eq!(
            RiskStatus::Closed.apply(Action::Close),
            Err(IllegalAction::AlreadyClosed)
        );
        assert_eq!(
            RiskStatus::Open.apply(Action::Reinspect {
                passed: true,
                order_submitted: true
            }),
            Err(IllegalAction::NoReinspection(RiskStatus::Open))
        );
    }

    #[test]
    fn grid_progress() {
        let mut p = GridProgress {
            items: 3,
            answered: 2,
            found: 1,
            reported: false,
        };
        assert_eq!(p.percent(), 66);
        assert!(!p.may_report());
        p.answered = 3;
        assert_eq!(p.percent(), 100);
        assert!(p.may_report());
        p.reported = true;
        assert!(!p.may_report());
    }

    #[test]
    fn checklists() {
        let ok = vec!["消防通道畅通".to_string(), "灭火器在有效期内".to_string()];
        assert_eq!(check_checklist(&ok), Ok(()));
        assert_eq!(check_checklist(&[]), Err(BadChecklist::Count(0)));
        let rep = vec!["a".to_string(), " a ".to_string()];
        assert_eq!(check_checklist(&rep), Err(BadChecklist::Repeated(1)));
        let long = vec!["长".repeat(101)];
        assert_eq!(check_checklist(&long), Err(BadChecklist::Item(0)));
    }

    #[test]
    fn levels_rank_major_first() {
        let mut v = RiskLevel::ALL.to_vec();
        v.sort_by_key(|l| l.rank());
        assert_eq!(v[0], RiskLevel::Major);
        assert_eq!(v[3], RiskLevel::Low);
    }
}
