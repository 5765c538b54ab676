//! 入户走访: a grid worker or community police officer visits a household (an address in a grid —
//! never a profile of the people living there) or a place, talks through topics, hands out
//! materials, and raises what they hear as an incident, a dispute or a risk in the same step.
//! Coverage: the share of a grid's registered households and places visited in a period.

use crate::incident::string_enum;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

string_enum! {
    /// 走访主题. Deployments add their own in `[visits] topics`.
    Topic {
        /// 反诈宣传.
        AntiFraud = "anti_fraud",
        /// 消防安全.
        Fire = "fire",
        /// 民法典.
        CivilCode = "civil_code",
        /// 禁毒.
        AntiDrug = "anti_drug",
        /// 交通安全.
        Traffic = "traffic",
        /// 矛盾纠纷排查.
        Disputes = "disputes",
    }
}

string_enum! {
    /// What a visit raised.
    VisitIssueKind {
        Incident = "incident",
        Dispute = "dispute",
        Risk = "risk",
    }
}

/// A share as a whole percentage, or `None` when there is nothing to cover.
pub fn share(visited: i64, registered: i64) -> Option<u8> {
    if registered <= 0 {
        return None;
    }
    Some(((visited.clamp(0, registered) * 100) / registered) as u8)
}

/// Topics chosen on a form: 1–8 distinct codes, each known.
pub fn check_topics(topics: &[String], known: impl Fn(&str) -> bool) -> Result<(), BadTopics> {
    if topics.is_empty() || topics.len() > 8 {
        return Err(BadTopics::Count(topics.len()));
    }
    for (i, t) in topics.iter().enumerate() {
        if !known(t) {
            return Err(BadTopics::Unknown(t.clone()));
        }
        if topics[..i].contains(t) {
            return Err(BadTopics::Repeated(t.clone()));
        }
    }
    Ok(())
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BadTopics {
    #[error("choose 1 to 8 topics, not {0}")]
    Count(usize),
    #[error("`{0}` is not a visit topic")]
    Unknown(String),
    #[error("`{0}` is chosen twice")]
    Repeated(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares() {
        assert_eq!(share(0, 0), None);
        assert_eq!(share(1, 3), Some(33));
        assert_eq!(share(3, 3), Some(100));
        assert_eq!(share(5, 3), Some(100));
    }

    #[test]
    fn topics() {
        let known = |t: &str| t.parse::<Topic>().is_ok() || t == "flood";
        let ok = vec!["anti_fraud".to_string(), "flood".to_string()];
        assert_eq!(check_topics(&ok, known), Ok(()));
        assert_eq!(check_topics(&[], known), Err(BadTopics::Count(0)));
        let bad = vec!["religion".to_string()];
        assert_eq!(
            check_topics(&bad, known),
            Err(BadTopics::Unknown("religion".into()))
        );
        let rep = vec!["fire".to_string(), "fire".to_string()];
        assert_eq!(
            check_topics(&rep, known),
            Err(BadTopics::Repeated("fire".into()))
        );
    }
}
