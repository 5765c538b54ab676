//! Law-enforcement cases (执法监督): administrative (行政, 治安) and criminal (刑事) cases, the procedural
//! steps that happen to them, and the facts the deadline engine ([`crate::case_rules`]) reads. People
//! appear only as the parties of one case (`item` names a suspect or a property item within it).

use serde::{Deserialize, Serialize};

/// 行政 (incl. 治安) or 刑事.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseKind {
    Administrative,
    Criminal,
}

impl CaseKind {
    pub fn code(self) -> &'static str {
        match self {
            CaseKind::Administrative => "administrative",
            CaseKind::Criminal => "criminal",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "administrative" => Some(CaseKind::Administrative),
            "criminal" => Some(CaseKind::Criminal),
            _ => None,
        }
    }
}

/// The procedural steps a case records: (code, 中文, English, per-item). A per-item step names the
/// suspect or property item it concerns; the engine keeps one clock per item.
pub const STEPS: &[(&str, &str, &str, bool)] = &[
    ("reported", "接报案", "Report received", false),
    ("accept", "受案", "Case accepted", false),
    ("not_accept", "不予受案", "Not accepted", false),
    (
        "acceptance_extension_difficult",
        "受案审查延长（情况复杂）",
        "Acceptance review extended (difficult)",
        false,
    ),
    ("receipt", "受案回执", "Acceptance receipt issued", false),
    ("file", "立案", "Case filed", false),
    ("not_file", "不立案", "Decided not to file", false),
    (
        "filing_extension_lead",
        "立案审查延长（线索核查）",
        "Filing review extended (lead to check)",
        false,
    ),
    (
        "filing_extension_major",
        "立案审查延长（重大复杂，县级批准）",
        "Filing review extended (major, county approval)",
        false,
    ),
    ("file_notice", "立案告知", "Filing notice sent", false),
    ("summon_start", "传唤/拘传开始", "Summons started", true),
    (
        "summon_extension_serious",
        "传唤/拘传延长（案情特别重大）",
        "Summons extended (especially serious)",
        true,
    ),
    ("summon_end", "传唤/拘传结束", "Summons ended", true),
    ("detain", "刑事拘留", "Detained", true),
    (
        "detention_extension",
        "提请逮捕期限延长（1–4 日）",
        "Arrest-request period extended (1–4 days)",
        true,
    ),
    ("arrest_request", "提请逮捕", "Arrest requested", true),
    ("release", "释放", "Released", true),
    ("bail", "取保候审", "Released on bail", true),
    ("bail_end", "解除取保候审", "Bail ended", true),
    ("surveillance", "监视居住", "Residential surveillance", true),
    (
        "surveillance_end",
        "解除监视居住",
        "Surveillance ended",
        true,
    ),
    (
        "transfer_prosecution",
        "移送起诉",
        "Transferred for prosecution",
        false,
    ),
    (
        "decision_extension",
        "办案期限延长（上一级批准）",
        "Decision period extended (approved)",
        false,
    ),
    (
        "penalty_decision",
        "行政处罚决定",
        "Administrative penalty decided",
        false,
    ),
    ("solve", "破案", "Solved", false),
    ("dossier_built", "电子卷宗建立", "E-dossier built", false),
    ("close", "结案", "Closed", false),
    ("revoke", "撤案", "Revoked", false),
    (
        "property_seized",
        "涉案财物登记",
        "Property seized and registered",
        true,
    ),
    (
        "property_stored",
        "移交保管",
        "Property handed to the custodian",
        true,
    ),
    ("property_lent", "调用出库", "Property taken out", true),
    ("property_returned", "归还入库", "Property returned", true),
    (
        "property_disposed",
        "涉案财物处置",
        "Property disposed of",
        true,
    ),
];

/// Whether `code` is a known step; and whether it concerns one item.
pub fn step(code: &str) -> Option<&'static (&'static str, &'static str, &'static str, bool)> {
    STEPS.iter().find(|s| s.0 == code)
}

/// Case flags the rules may read. 流窜/多次/结伙 lets the arrest-request period run to 30 days.
pub const FLAGS: &[(&str, &str, &str)] = &[
    (
        "roving_repeat_gang",
        "流窜作案、多次作案、结伙作案",
        "Roving, repeated or gang crime",
    ),
    ("major_complex", "重大复杂", "Major and complex"),
];

/// One recorded step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseEvent {
    /// A [`STEPS`] code.
    pub step: String,
    /// When it happened, UTC µs.
    pub at: i64,
    /// The suspect or property item a per-item step concerns.
    #[serde(default)]
    pub item: Option<String>,
    /// Days an extension grants, when the step carries them (e.g. 1–4 for `detention_extension`).
    #[serde(default)]
    pub days: Option<i64>,
}

/// What the deadline engine knows of a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseFacts {
    pub kind: CaseKind,
    #[serde(default)]
    pub flags: Vec<String>,
    /// In any order; the engine sorts by time.
    pub events: Vec<CaseEvent>,
}

impl CaseFacts {
    pub fn has_flag(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }
}

/// 破案率: solved over filed, `None` when nothing was filed.
pub fn solve_rate(filed: u64, solved: u64) -> Option<f64> {
    (filed > 0).then(|| solved as f64 / filed as f64)
}

/// The median of `values` (the mean of the middle two for an even count); `None` when empty.
pub fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    Some(if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    })
}

/// A seeded synthetic case history for benchmarks, replay tests and the demo: `n` cases accepted over
/// `span_days` before `end` (UTC µs), about ten steps each, most on time and some late or missing.
pub fn synthetic_history(n: usize, seed: u64, end: i64, span_days: i64) -> Vec<CaseFacts> {
    use rand::{Rng, SeedableRng};
    const H: i64 = 3_600_000_000;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let criminal = rng.gen_bool(0.4);
        let t0 = end - rng.gen_range(0..span_days.max(1) * 24 * H);
        let mut events = Vec::with_capacity(12);
        let mut push = |step: &str, at: i64, item: Option<&str>| {
            events.push(CaseEvent {
                step: step.to_string(),
                at,
                item: item.map(str::to_string),
                days: None,
            })
        };
        // Late by design in about one case in ten.
        let late = |rng: &mut rand_chacha::ChaCha8Rng, on_time: i64| {
            if rng.gen_bool(0.1) {
                on_time * 3
            } else {
                rng.gen_range(on_time / 4..on_time.max(2))
            }
        };
        if criminal {
            push("accept", t0, None);
            push("receipt", t0 + late(&mut rng, 2 * H), None);
            let filed = t0 + late(&mut rng, 48 * H);
            push("file", filed, None);
            push("file_notice", filed + late(&mut rng, 24 * H), None);
            let detained = filed + rng.gen_range(0..72 * H);
            push("detain", detained, Some("s1"));
            push(
                "arrest_request",
                detained + late(&mut rng, 60 * H),
                Some("s1"),
            );
            push("property_seized", detained + H, Some("p1"));
            push(
                "property_stored",
                detained + H + late(&mut rng, 12 * H),
                Some("p1"),
            );
            if rng.gen_bool(0.6) {
                push("solve", filed + rng.gen_range(24 * H..40 * 24 * H), None);
            } else {
                push("dossier_built", t0 + late(&mut rng, 50 * 24 * H), None);
            }
            push(
                "transfer_prosecution",
                filed + rng.gen_range(30 * 24 * H..60 * 24 * H),
                None,
            );
        } else {
            push("reported", t0, None);
            let accepted = t0 + late(&mut rng, 12 * H);
            push("accept", accepted, None);
            push("receipt", accepted + late(&mut rng, 2 * H), None);
            push("summon_start", accepted + 24 * H, Some("s1"));
            push(
                "summon_end",
                accepted + 24 * H + late(&mut rng, 8 * H),
                Some("s1"),
            );
            push("property_seized", accepted + 2 * H, Some("p1"));
            push(
                "property_stored",
                accepted + 2 * H + late(&mut rng, 12 * H),
                Some("p1"),
            );
            push("property_lent", accepted + 72 * H, Some("p1"));
            push(
                "property_returned",
                accepted + 72 * H + late(&mut rng, 96 * H),
                Some("p1"),
            );
            push(
                "penalty_decision",
                accepted + late(&mut rng, 20 * 24 * H),
                None,
            );
        }
        out.push(CaseFacts {
            kind: if criminal {
                CaseKind::Criminal
            } else {
                CaseKind::Administrative
            },
            flags: Vec::new(),
            events,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_codes_are_unique_and_known() {
        let mut codes: Vec<&str> = STEPS.iter().map(|s| s.0).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), STEPS.len());
        assert!(step("detain").unwrap().3, "detention is per suspect");
        assert!(!step("accept").unwrap().3);
        assert!(step("interrogate").is_none());
        assert_eq!(CaseKind::parse("criminal"), Some(CaseKind::Criminal));
        assert_eq!(
            CaseKind::parse(CaseKind::Administrative.code()),
            Some(CaseKind::Administrative)
        );
    }

    #[test]
    fn synthetic_history_is_seeded_with_ten_known_steps_a_case() {
        let a = synthetic_history(200, 3, 1_796_256_000_000_000, 90);
        assert_eq!(a, synthetic_history(200, 3, 1_796_256_000_000_000, 90));
        assert_ne!(a, synthetic_history(200, 4, 1_796_256_000_000_000, 90));
        assert!(a.iter().all(|c| c.events.len() == 10));
        assert!(
            a.iter()
                .flat_map(|c| &c.events)
                .all(|e| step(&e.step).is_some())
        );
        assert!(a.iter().any(|c| c.kind == CaseKind::Criminal));
        assert!(a.iter().any(|c| c.kind == CaseKind::Administrative));
    }

    #[test]
    fn rates_and_medians() {
        assert_eq!(solve_rate(0, 0), None);
        assert_eq!(solve_rate(8, 2), Some(0.25));
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.5));
    }
}
