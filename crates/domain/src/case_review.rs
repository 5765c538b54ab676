//! 实地抽查 and 案件评查: a reproducible stratified random sample of cases (the seed is recorded, so
//! anyone can redraw the same sample from the same cases), and scoring against a configurable rubric
//! with several reviewers per case, their scores combined and disagreements flagged.

use crate::case::CaseKind;
use rand::SeedableRng;
use rand::seq::index::sample;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What the sampler needs of a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleCase {
    pub id: String,
    /// The handling station's org id.
    pub station: String,
    pub kind: CaseKind,
}

/// FNV-1a: a stable hash (std's is randomised per process) to give each stratum its own stream.
fn stable_hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Draws up to `per_stratum` cases from every (station, kind) stratum. The result depends only on
/// the set of cases (not their order), `per_stratum` and `seed`; each stratum draws from its own
/// ChaCha8 stream, so adding a case to one station leaves the other stations' draws unchanged.
/// Returned as (station, kind, id), sorted.
pub fn draw_sample(
    cases: &[SampleCase],
    per_stratum: usize,
    seed: u64,
) -> Vec<(String, CaseKind, String)> {
    let mut strata: BTreeMap<(&str, CaseKind), Vec<&str>> = BTreeMap::new();
    for c in cases {
        strata
            .entry((c.station.as_str(), c.kind))
            .or_default()
            .push(c.id.as_str());
    }
    let mut out = Vec::new();
    for ((station, kind), mut ids) in strata {
        ids.sort_unstable();
        ids.dedup();
        let key = format!("{station}|{}", kind.code());
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ stable_hash(&key));
        let k = per_stratum.min(ids.len());
        let mut picked: Vec<&str> = sample(&mut rng, ids.len(), k)
            .into_iter()
            .map(|i| ids[i])
            .collect();
        picked.sort_unstable();
        out.extend(
            picked
                .into_iter()
                .map(|id| (station.to_string(), kind, id.to_string())),
        );
    }
    out
}

/// A 评查 rubric: items with points and the deductions reviewers may apply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rubric {
    pub name: String,
    pub items: Vec<RubricItem>,
    /// Reviewers whose totals differ by more than this disagree (default 10).
    #[serde(default = "default_spread")]
    pub max_spread: f64,
}

fn default_spread() -> f64 {
    10.0
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RubricItem {
    pub code: String,
    pub name: String,
    pub points: f64,
    pub deductions: Vec<Deduction>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deduction {
    pub code: String,
    pub name: String,
    pub points: f64,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum RubricError {
    #[error("rubric: {0}")]
    Invalid(String),
    #[error("unknown deduction {0:?}")]
    UnknownDeduction(String),
}

impl Rubric {
    /// Checks codes are unique and points are positive and finite.
    pub fn check(&self) -> Result<(), RubricError> {
        let mut codes = std::collections::HashSet::new();
        if self.items.is_empty() {
            return Err(RubricError::Invalid("no items".into()));
        }
        for item in &self.items {
            if !(item.points.is_finite() && item.points > 0.0) {
                return Err(RubricError::Invalid(format!(
                    "item {} has no points",
                    item.code
                )));
            }
            if !codes.insert(item.code.as_str()) {
                return Err(RubricError::Invalid(format!(
                    "code {} used twice",
                    item.code
                )));
            }
            for d in &item.deductions {
                if !(d.points.is_finite() && d.points > 0.0) {
                    return Err(RubricError::Invalid(format!(
                        "deduction {} has no points",
                        d.code
                    )));
                }
                if !codes.insert(d.code.as_str()) {
                    return Err(RubricError::Invalid(format!("code {} used twice", d.code)));
                }
            }
        }
        Ok(())
    }

    pub fn total(&self) -> f64 {
        self.items.iter().map(|i| i.points).sum()
    }

    /// Per-item scores of one review: the item's points less its deductions, never below zero.
    /// A deduction applied twice counts once.
    pub fn score(&self, deductions: &[String]) -> Result<Vec<f64>, RubricError> {
        for d in deductions {
            if !self
                .items
                .iter()
                .any(|i| i.deductions.iter().any(|x| x.code == *d))
            {
                return Err(RubricError::UnknownDeduction(d.clone()));
            }
        }
        Ok(self
            .items
            .iter()
            .map(|item| {
                let taken: f64 = item
                    .deductions
                    .iter()
                    .filter(|x| deductions.contains(&x.code))
                    .map(|x| x.points)
                    .sum();
                (item.points - taken).max(0.0)
            })
            .collect())
    }

    /// Combines several reviews of one case: each reviewer's total, the mean, and where they disagree.
    pub fn combine(&self, reviews: &[Vec<String>]) -> Result<Combined, RubricError> {
        let scored: Vec<Vec<f64>> = reviews
            .iter()
            .map(|r| self.score(r))
            .collect::<Result<_, _>>()?;
        let totals: Vec<f64> = scored.iter().map(|s| s.iter().sum()).collect();
        let mean = (!totals.is_empty()).then(|| totals.iter().sum::<f64>() / totals.len() as f64);
        let spread = totals.iter().copied().fold(f64::NEG_INFINITY, f64::max)
            - totals.iter().copied().fold(f64::INFINITY, f64::min);
        let items_in_dispute = self
            .items
            .iter()
            .enumerate()
            .filter(|(i, _)| scored.iter().any(|s| s[*i] != scored[0][*i]))
            .map(|(_, item)| item.code.clone())
            .collect();
        Ok(Combined {
            totals,
            mean,
            spread: if reviews.len() > 1 { spread } else { 0.0 },
            disagreement: reviews.len() > 1 && spread > self.max_spread,
            items_in_dispute,
        })
    }
}

/// Several reviewers' scores of one case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Combined {
    pub totals: Vec<f64>,
    pub mean: Option<f64>,
    /// Highest total minus lowest.
    pub spread: f64,
    /// `spread` exceeds the rubric's `max_spread`: the case goes to a third reviewer or a panel.
    pub disagreement: bool,
    /// Items the reviewers scored differently.
    pub items_in_dispute: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cases() -> Vec<SampleCase> {
        let mut v = Vec::new();
        for (station, n) in [("jy", 40), ("hd", 25), ("fq", 3)] {
            for i in 0..n {
                v.push(SampleCase {
                    id: format!("{station}-{i:03}"),
                    station: station.into(),
                    kind: if i % 3 == 0 {
                        CaseKind::Criminal
                    } else {
                        CaseKind::Administrative
                    },
                });
            }
        }
        v
    }

    #[test]
    fn the_same_seed_draws_the_same_sample_in_any_order() {
        let c = cases();
        let a = draw_sample(&c, 4, 20261130);
        let mut shuffled = c.clone();
        shuffled.reverse();
        assert_eq!(draw_sample(&shuffled, 4, 20261130), a);
        // Six strata; 枫桥 has 1 criminal and 2 administrative cases: all of them.
        assert_eq!(a.len(), 4 + 4 + 4 + 4 + 1 + 2);
        assert!(a.iter().filter(|s| s.0 == "fq").count() == 3);
        // Another seed, another sample.
        assert_ne!(draw_sample(&c, 4, 7), a);
        // No case twice, every case from its own stratum.
        let mut ids: Vec<&str> = a.iter().map(|s| s.2.as_str()).collect();
        ids.dedup();
        assert_eq!(ids.len(), a.len());
        assert!(a.iter().all(|s| s.2.starts_with(&s.0)));
    }

    #[test]
    fn a_new_case_at_one_station_leaves_the_others_alone() {
        let c = cases();
        let before = draw_sample(&c, 3, 99);
        let mut more = c.clone();
        more.push(SampleCase {
            id: "jy-999".into(),
            station: "jy".into(),
            kind: CaseKind::Criminal,
        });
        let after = draw_sample(&more, 3, 99);
        let others = |s: &[(String, CaseKind, String)]| -> Vec<(String, CaseKind, String)> {
            s.iter().filter(|x| x.0 != "jy").cloned().collect()
        };
        assert_eq!(others(&after), others(&before));
    }

    fn rubric() -> Rubric {
        let r: Rubric = toml::from_str(
            r#"
            name = "刑事案件评查"
            max_spread = 10
            [[items]]
            code = "facts"
            name = "事实认定"
            points = 40
            deductions = [
              { code = "facts_unclear", name = "主要事实不清", points = 20 },
              { code = "evidence_gap", name = "证据不足", points = 30 },
            ]
            [[items]]
            code = "procedure"
            name = "程序规范"
            points = 40
            deductions = [
              { code = "late_notice", name = "未按时告知", points = 5 },
              { code = "no_receipt", name = "未开具回执", points = 5 },
            ]
            [[items]]
            code = "dossier"
            name = "卷宗归档"
            points = 20
            deductions = [{ code = "dossier_missing", name = "卷宗不全", points = 10 }]
            "#,
        )
        .unwrap();
        r.check().unwrap();
        r
    }

    #[test]
    fn scores_combine_and_disagreements_are_flagged() {
        let r = rubric();
        assert_eq!(r.total(), 100.0);
        // Deductions within an item never take it below zero.
        assert_eq!(
            r.score(&["facts_unclear".into(), "evidence_gap".into()])
                .unwrap(),
            vec![0.0, 40.0, 20.0]
        );
        let c = r
            .combine(&[
                vec!["late_notice".into()],
                vec!["late_notice".into(), "no_receipt".into()],
            ])
            .unwrap();
        assert_eq!(c.totals, vec![95.0, 90.0]);
        assert_eq!(c.mean, Some(92.5));
        assert!(!c.disagreement, "5 points apart");
        assert_eq!(c.items_in_dispute, vec!["procedure".to_string()]);
        let c = r
            .combine(&[
                vec![],
                vec!["facts_unclear".into()],
                vec!["late_notice".into()],
            ])
            .unwrap();
        assert_eq!(c.spread, 20.0);
        assert!(c.disagreement);
        assert_eq!(
            c.items_in_dispute,
            vec!["facts".to_string(), "procedure".to_string()]
        );
        assert_eq!(
            r.score(&["made_up".into()]),
            Err(RubricError::UnknownDeduction("made_up".into()))
        );
        let single = r.combine(&[vec![]]).unwrap();
        assert_eq!((single.spread, single.disagreement), (0.0, false));
    }

    #[test]
    fn bad_rubrics_are_refused() {
        let mut r = rubric();
        r.items[1].deductions[0].code = "facts_unclear".into();
        assert!(matches!(r.check(), Err(RubricError::Invalid(m)) if m.contains("facts_unclear")));
        let mut r = rubric();
        r.items[0].points = 0.0;
        assert!(r.check().is_err());
    }
}
