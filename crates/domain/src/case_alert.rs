//! 网上巡查 alerts: their states and the steps people take on them, as types. The engine opens an
//! alert (`Open`) and resolves it when the case no longer supports it (`Resolved`); a handling officer
//! explains it; a supervisor accepts the explanation or escalates it; anyone concerned comments.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlertStatus {
    Open,
    Explained,
    Escalated,
    Accepted,
    Resolved,
}

impl AlertStatus {
    pub const ALL: [AlertStatus; 5] = [
        AlertStatus::Open,
        AlertStatus::Explained,
        AlertStatus::Accepted,
        AlertStatus::Escalated,
        AlertStatus::Resolved,
    ];

    pub fn code(self) -> &'static str {
        match self {
            AlertStatus::Open => "open",
            AlertStatus::Explained => "explained",
            AlertStatus::Escalated => "escalated",
            AlertStatus::Accepted => "accepted",
            AlertStatus::Resolved => "resolved",
        }
    }

    /// Still needs someone: the engine may settle it, people act on it.
    pub fn is_live(self) -> bool {
        matches!(
            self,
            AlertStatus::Open | AlertStatus::Explained | AlertStatus::Escalated
        )
    }
}

impl fmt::Display for AlertStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown alert status {0:?} (open, explained, accepted, escalated or resolved)")]
pub struct UnknownAlertStatus(pub String);

impl FromStr for AlertStatus {
    type Err = UnknownAlertStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AlertStatus::ALL
            .into_iter()
            .find(|a| a.code() == s)
            .ok_or_else(|| UnknownAlertStatus(s.to_string()))
    }
}

/// A step a person takes on an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertAction {
    Comment,
    Explain,
    Accept,
    Escalate,
}

impl AlertAction {
    pub fn code(self) -> &'static str {
        match self {
            AlertAction::Comment => "comment",
            AlertAction::Explain => "explain",
            AlertAction::Accept => "accept",
            AlertAction::Escalate => "escalate",
        }
    }

    pub fn parse(s: &str) -> Option<AlertAction> {
        [
            AlertAction::Comment,
            AlertAction::Explain,
            AlertAction::Accept,
            AlertAction::Escalate,
        ]
        .into_iter()
        .find(|a| a.code() == s)
    }

    /// The status after this step from `from` (`None`: a comment leaves it as it is), or `Err` when
    /// the step is not possible from there.
    pub fn apply(self, from: AlertStatus) -> Result<Option<AlertStatus>, IllegalAlertStep> {
        use AlertStatus::*;
        let (allowed, to): (&[AlertStatus], Option<AlertStatus>) = match self {
            AlertAction::Comment => (&[Open, Explained, Escalated, Accepted, Resolved], None),
            AlertAction::Explain => (&[Open, Escalated], Some(Explained)),
            AlertAction::Accept => (&[Open, Explained, Escalated], Some(Accepted)),
            AlertAction::Escalate => (&[Open, Explained], Some(Escalated)),
        };
        if allowed.contains(&from) {
            Ok(to)
        } else {
            Err(IllegalAlertStep { from, action: self })
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the alert is {from}; {} is not possible now", action.code())]
pub struct IllegalAlertStep {
    pub from: AlertStatus,
    pub action: AlertAction,
}

#[cfg(test)]
mod tests {
    use super::*;
    use AlertStatus::*;

    #[test]
    fn codes_round_trip_and_unknown_ones_are_refused() {
        for s in AlertStatus::ALL {
            assert_eq!(s.code().parse::<AlertStatus>(), Ok(s));
        }
        assert!("closed".parse::<AlertStatus>().is_err());
        assert_eq!(AlertAction::parse("explain"), Some(AlertAction::Explain));
        assert_eq!(AlertAction::parse("delete"), None);
    }

    #[test]
    fn steps_follow_the_table() {
        assert_eq!(AlertAction::Explain.apply(Open), Ok(Some(Explained)));
        assert_eq!(AlertAction::Explain.apply(Escalated), Ok(Some(Explained)));
        assert!(AlertAction::Explain.apply(Accepted).is_err());
        assert_eq!(AlertAction::Escalate.apply(Explained), Ok(Some(Escalated)));
        assert!(AlertAction::Escalate.apply(Escalated).is_err());
        assert_eq!(AlertAction::Accept.apply(Escalated), Ok(Some(Accepted)));
        assert!(AlertAction::Accept.apply(Resolved).is_err());
        for s in AlertStatus::ALL {
            assert_eq!(
                AlertAction::Comment.apply(s),
                Ok(None),
                "a comment never moves it"
            );
        }
    }

    #[test]
    fn live_means_someone_still_has_to_act() {
        let live: Vec<_> = AlertStatus::ALL
            .into_iter()
            .filter(|s| s.is_live())
            .collect();
        assert_eq!(live, vec![Open, Explained, Escalated]);
    }
}
