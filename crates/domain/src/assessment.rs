//! 考核 (assessment scorecards): weighted indicators per unit type, each computed from the platform's
//! own records (counts of a measure, as the dashboard counts them) or entered by hand with evidence
//! and confirmed by a second person. A scheme is versioned: a change is a new version taking effect
//! from a date, and a period is always scored with the version in force on its first day.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

crate::incident::string_enum! {
    /// What is scored.
    UnitType {
        /// 派出所 (by its jurisdiction area).
        Station = "station",
        /// 社区警务室 (by its area).
        PolicePost = "police_post",
        /// 乡镇(街道).
        Township = "township",
        /// 村(社区).
        Village = "village",
        /// 网格.
        Grid = "grid",
    }
}

/// How an indicator's rate (0–1) is found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Rule {
    /// `num / den` (a share: on-target arrivals of those arrived, resolved of those registered).
    Share { num: String, den: String },
    /// Fewer is better: `1 − (num / den) / ceiling`, not below 0 (alerts per case; at `ceiling`
    /// per case or more the indicator earns nothing). With `den` empty, `num` alone is the rate's
    /// numerator over 1 (a count: 民转刑 alerts).
    Fewer {
        num: String,
        #[serde(default)]
        den: String,
        ceiling: f64,
    },
    /// The mean of the values over `max` (a review score out of 100).
    Mean { measure: String, max: f64 },
    /// The sum of `measure`'s values per head counted by `heads`, over `target` (training hours
    /// per member of staff against the hours each should have a month; a quarter's sum is taken
    /// as three months').
    PerHead {
        measure: String,
        heads: String,
        target: f64,
    },
    /// Entered by hand (points out of `max`), counted once a second person confirms it.
    Manual { max: f64 },
}

impl Rule {
    /// The measures the rule reads.
    pub fn measures(&self) -> Vec<&str> {
        match self {
            Rule::Share { num, den } => vec![num, den],
            Rule::Fewer { num, den, .. } if den.is_empty() => vec![num],
            Rule::Fewer { num, den, .. } => vec![num, den],
            Rule::Mean { measure, .. } => vec![measure],
            Rule::PerHead { measure, heads, .. } => vec![measure, heads],
            Rule::Manual { .. } => vec![],
        }
    }
}

/// One weighted indicator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    /// Stable within a unit type's versions (`arrival_on_target`).
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// Points of 100.
    pub weight: f64,
    pub rule: Rule,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SchemeError {
    #[error("a scheme needs at least one indicator")]
    Empty,
    #[error("indicator {0}: the code is used twice")]
    DuplicateCode(String),
    #[error("indicator {0}: a code is 1–40 lower-case letters, digits or _")]
    BadCode(String),
    #[error("indicator {0}: a name in Chinese is needed")]
    NoName(String),
    #[error("indicator {0}: the weight must be above 0")]
    BadWeight(String),
    #[error("indicator {0}: the ceiling or maximum must be above 0")]
    BadBound(String),
    #[error("the weights add up to {0}, not 100")]
    WeightsNot100(String),
}

impl SchemeError {
    /// The index of the indicator at fault, when one is.
    pub fn indicator(&self, indicators: &[Indicator]) -> Option<usize> {
        let code = match self {
            SchemeError::DuplicateCode(c)
            | SchemeError::BadCode(c)
            | SchemeError::NoName(c)
            | SchemeError::BadWeight(c)
            | SchemeError::BadBound(c) => c,
            _ => return None,
        };
        indicators.iter().rposition(|i| &i.code == code)
    }
}

/// Checks a scheme's indicators: codes unique and well-formed, weights positive and adding to 100.
pub fn validate(indicators: &[Indicator]) -> Result<(), SchemeError> {
    if indicators.is_empty() {
        return Err(SchemeError::Empty);
    }
    let mut seen = std::collections::BTreeSet::new();
    for i in indicators {
        let ok = !i.code.is_empty()
            && i.code.len() <= 40
            && i.code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !ok {
            return Err(SchemeError::BadCode(i.code.clone()));
        }
        if !seen.insert(i.code.as_str()) {
            return Err(SchemeError::DuplicateCode(i.code.clone()));
        }
        if i.name_zh.trim().is_empty() {
            return Err(SchemeError::NoName(i.code.clone()));
        }
        if !(i.weight > 0.0 && i.weight.is_finite()) {
            return Err(SchemeError::BadWeight(i.code.clone()));
        }
        let bound = match &i.rule {
            Rule::Fewer { ceiling, .. } => Some(*ceiling),
            Rule::Mean { max, .. } | Rule::Manual { max } => Some(*max),
            Rule::PerHead { target, .. } => Some(*target),
            Rule::Share { .. } => None,
        };
        if bound.is_some_and(|b| !(b > 0.0 && b.is_finite())) {
            return Err(SchemeError::BadBound(i.code.clone()));
        }
    }
    let total: f64 = indicators.iter().map(|i| i.weight).sum();
    if (total - 100.0).abs() > 1e-6 {
        return Err(SchemeError::WeightsNot100(format!("{total}")));
    }
    Ok(())
}

/// What an indicator was scored from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Inputs {
    /// `num` count, or the sum of values for a mean, or the monthly sum for per head, or the
    /// confirmed points for a manual item.
    pub num: f64,
    /// `den` count, or the number of values for a mean, or the heads; 1 for a count or a manual
    /// item.
    pub den: f64,
}

/// The rate (0–1) an indicator earns, or `None` when there is nothing to score it on (no records,
/// or a manual item not entered and confirmed): then its weight is left out of the total.
pub fn rate(rule: &Rule, x: Inputs) -> Option<f64> {
    let r = match rule {
        Rule::Share { .. } => (x.den > 0.0).then(|| x.num / x.den)?,
        Rule::Fewer { den, ceiling, .. } => {
            let per = if den.is_empty() {
                x.num
            } else {
                (x.den > 0.0).then(|| x.num / x.den)?
            };
            1.0 - per / ceiling
        }
        Rule::Mean { max, .. } => (x.den > 0.0).then(|| x.num / x.den / max)?,
        Rule::PerHead { target, .. } => (x.den > 0.0).then(|| x.num / x.den / target)?,
        Rule::Manual { max } => (x.den > 0.0).then(|| x.num / max)?,
    };
    Some(r.clamp(0.0, 1.0))
}

/// A unit's total (0–100): the weighted rates over the weights of the indicators that could be
/// scored; `None` when none could.
pub fn total(scored: &[(f64, Option<f64>)]) -> Option<f64> {
    let weights: f64 = scored
        .iter()
        .filter(|(_, r)| r.is_some())
        .map(|(w, _)| w)
        .sum();
    (weights > 0.0).then(|| {
        let points: f64 = scored.iter().filter_map(|(w, r)| r.map(|r| w * r)).sum();
        // Two decimals, so a recomputation compares equal to the stored score.
        (points / weights * 100.0 * 100.0).round() / 100.0
    })
}

fn share(code: &str, zh: &str, en: &str, weight: f64, num: &str, den: &str) -> Indicator {
    Indicator {
        code: code.into(),
        name_zh: zh.into(),
        name_en: en.into(),
        weight,
        rule: Rule::Share {
            num: num.into(),
            den: den.into(),
        },
    }
}

fn fewer(
    code: &str,
    zh: &str,
    en: &str,
    weight: f64,
    num: &str,
    den: &str,
    ceiling: f64,
) -> Indicator {
    Indicator {
        code: code.into(),
        name_zh: zh.into(),
        name_en: en.into(),
        weight,
        rule: Rule::Fewer {
            num: num.into(),
            den: den.into(),
            ceiling,
        },
    }
}

fn manual(weight: f64) -> Indicator {
    Indicator {
        code: "key_work".into(),
        name_zh: "重点工作（人工评分，需第二人确认）".into(),
        name_en: "Key work (entered by hand, confirmed by a second person)".into(),
        weight,
        rule: Rule::Manual { max: 10.0 },
    }
}

/// The first version of each unit type's scheme (what the migration installs): indicators over the
/// dashboard's measures (names as `store::kpi::Measure::name` gives them), weights adding to 100.
pub fn default_scheme(t: UnitType) -> Vec<Indicator> {
    let arrival = |w| {
        share(
            "arrival_on_target",
            "按时到场率",
            "Arrivals on target",
            w,
            "incidents.arrival_on_target",
            "incidents.arrival_clock",
        )
    };
    let dispatch = |w| {
        share(
            "dispatch_on_target",
            "按时派警率",
            "Dispatches on target",
            w,
            "incidents.dispatch_on_target",
            "incidents.dispatch_clock",
        )
    };
    let satisfaction = |w| {
        share(
            "satisfaction",
            "回访满意率",
            "Callback satisfaction",
            w,
            "incidents.satisfied",
            "incidents.called_back",
        )
    };
    let resolution = |w| {
        share(
            "dispute_resolution",
            "矛盾纠纷调解成功率",
            "Dispute resolution rate",
            w,
            "disputes.resolved",
            "disputes.registered",
        )
    };
    let turns = |w, ceiling| {
        fewer(
            "criminal_turns",
            "民转刑预警（越少越好）",
            "Criminal-turn alerts (fewer is better)",
            w,
            "disputes.criminal_turns",
            "",
            ceiling,
        )
    };
    match t {
        UnitType::Station => vec![
            arrival(25.0),
            dispatch(15.0),
            satisfaction(15.0),
            fewer(
                "case_alerts",
                "网上巡查预警（每案，越少越好）",
                "Case alerts per case (fewer is better)",
                20.0,
                "cases.alerts",
                "cases.open",
                3.0,
            ),
            Indicator {
                code: "review_score".into(),
                name_zh: "案件评查平均分".into(),
                name_en: "Mean case review score".into(),
                weight: 10.0,
                rule: Rule::Mean {
                    measure: "cases.reviews".into(),
                    max: 100.0,
                },
            },
            manual(15.0),
        ],
        UnitType::PolicePost => vec![
            arrival(30.0),
            satisfaction(30.0),
            resolution(20.0),
            manual(20.0),
        ],
        UnitType::Township => vec![
            arrival(20.0),
            satisfaction(20.0),
            resolution(25.0),
            turns(15.0, 5.0),
            manual(20.0),
        ],
        UnitType::Village => vec![
            satisfaction(20.0),
            resolution(35.0),
            turns(20.0, 3.0),
            manual(25.0),
        ],
        UnitType::Grid => vec![resolution(40.0), turns(25.0, 2.0), manual(35.0)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ind(code: &str, weight: f64, rule: Rule) -> Indicator {
        Indicator {
            code: code.into(),
            name_zh: "指标".into(),
            name_en: "x".into(),
            weight,
            rule,
        }
    }

    #[test]
    fn schemes_are_checked() {
        let share = Rule::Share {
            num: "a".into(),
            den: "b".into(),
        };
        assert_eq!(validate(&[]), Err(SchemeError::Empty));
        assert_eq!(
            validate(&[ind("a", 60.0, share.clone()), ind("b", 30.0, share.clone())]),
            Err(SchemeError::WeightsNot100("90".into()))
        );
        assert_eq!(
            validate(&[ind("a", 50.0, share.clone()), ind("a", 50.0, share.clone())]),
            Err(SchemeError::DuplicateCode("a".into()))
        );
        assert_eq!(
            validate(&[ind("A b", 100.0, share.clone())]),
            Err(SchemeError::BadCode("A b".into()))
        );
        assert_eq!(
            validate(&[ind("m", 100.0, Rule::Manual { max: 0.0 })]),
            Err(SchemeError::BadBound("m".into()))
        );
        let bad = [
            ind("a", 50.0, share.clone()),
            ind("b", -50.0, share.clone()),
        ];
        let e = validate(&bad).unwrap_err();
        assert_eq!(e.indicator(&bad), Some(1));
        validate(&[
            ind("a", 70.0, share),
            ind("m", 30.0, Rule::Manual { max: 10.0 }),
        ])
        .unwrap();
    }

    #[test]
    fn default_schemes_are_valid() {
        for t in UnitType::ALL {
            validate(&default_scheme(*t)).unwrap();
        }
    }

    #[test]
    fn rates_and_totals() {
        let share = Rule::Share {
            num: "a".into(),
            den: "b".into(),
        };
        assert_eq!(rate(&share, Inputs { num: 3.0, den: 4.0 }), Some(0.75));
        assert_eq!(rate(&share, Inputs { num: 0.0, den: 0.0 }), None);
        let per_case = Rule::Fewer {
            num: "alerts".into(),
            den: "cases".into(),
            ceiling: 2.0,
        };
        assert_eq!(rate(&per_case, Inputs { num: 1.0, den: 2.0 }), Some(0.75));
        assert_eq!(rate(&per_case, Inputs { num: 9.0, den: 2.0 }), Some(0.0));
        let count = Rule::Fewer {
            num: "turns".into(),
            den: String::new(),
            ceiling: 4.0,
        };
        assert_eq!(rate(&count, Inputs { num: 1.0, den: 1.0 }), Some(0.75));
        assert_eq!(rate(&count, Inputs { num: 0.0, den: 1.0 }), Some(1.0));
        let mean = Rule::Mean {
            measure: "reviews".into(),
            max: 100.0,
        };
        assert_eq!(
            rate(
                &mean,
                Inputs {
                    num: 170.0,
                    den: 2.0
                }
            ),
            Some(0.85)
        );
        assert_eq!(
            rate(&Rule::Manual { max: 10.0 }, Inputs { num: 8.0, den: 1.0 }),
            Some(0.8)
        );
        assert_eq!(
            rate(&Rule::Manual { max: 10.0 }, Inputs { num: 0.0, den: 0.0 }),
            None
        );
        // 40 × 0.5 + 60 × 1.0 of 100; an unscorable indicator's weight is left out.
        assert_eq!(total(&[(40.0, Some(0.5)), (60.0, Some(1.0))]), Some(80.0));
        assert_eq!(total(&[(40.0, Some(0.5)), (60.0, None)]), Some(50.0));
        assert_eq!(total(&[(40.0, None)]), None);
        assert_eq!(
            total(&[(30.0, Some(1.0 / 3.0)), (70.0, Some(1.0))]),
            Some(80.0)
        );
    }
}
