//! Dispute mediation (矛盾纠纷排查化解): tiers and their clocks, risk grading from explicit factors,
//! the lifecycle of a dispute, follow-up visits, the 民转刑 watch and the KPIs. Rules and defaults
//! only; storage and HTTP live elsewhere. "小事不出村、大事不出镇、矛盾不上交": a dispute starts at the
//! lowest tier that can handle it and climbs one tier each time its clock runs out.

use crate::incident::string_enum;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

pub const MICROS_PER_DAY: i64 = 86_400_000_000;

/// The common type list (25 types). Codes are two digits; the table is editable at run time.
pub const DEFAULT_TYPES: &[(&str, &str, &str)] = &[
    ("01", "婚姻家庭", "Marriage and family"),
    ("02", "邻里", "Neighbours"),
    ("03", "环境生态", "Environment"),
    ("04", "建筑工程", "Construction"),
    ("05", "物业", "Property management"),
    ("06", "企业改制", "Enterprise restructuring"),
    ("07", "司法活动", "Judicial activity"),
    ("08", "干部作风", "Conduct of officials"),
    ("09", "劳资", "Labour and wages"),
    ("10", "征地拆迁", "Land requisition and demolition"),
    ("11", "军人安置", "Veteran resettlement"),
    ("12", "房屋宅基地", "Housing and homesteads"),
    ("13", "农村三资", "Village collective assets"),
    ("14", "农民负担", "Burdens on farmers"),
    ("15", "院校", "Schools"),
    ("16", "民族宗教", "Ethnic and religious affairs"),
    ("17", "经济活动", "Economic activity"),
    ("18", "山林土地", "Forest and land"),
    ("19", "医患", "Doctor–patient"),
    ("20", "村(社区)务", "Village and community affairs"),
    ("21", "行政执法", "Administrative enforcement"),
    ("22", "海事渔事", "Maritime and fishing"),
    ("23", "交通及生产安全", "Traffic and work safety"),
    ("24", "计划生育", "Family planning"),
    ("25", "合同履行", "Contract performance"),
];

string_enum! {
    /// How the dispute came to us.
    Source {
        /// 人工 (walk-in registration).
        Manual = "manual",
        /// 呼叫中心/热线.
        Hotline = "hotline",
        Sms = "sms",
        Web = "web",
        Mobile = "mobile",
        Wechat = "wechat",
        /// 走访.
        Visit = "visit",
        /// 110 transfer (流转) from dispatch.
        IncidentTransfer = "incident_transfer",
        /// The repeat-location suggestion at intake.
        RepeatLocation = "repeat_location",
        /// 排查 campaign in a grid.
        GridScreening = "grid_screening",
        /// Sent by a partner system (网格平台, 12345 热线, 数字城管) under a sharing agreement.
        Partner = "partner",
    }
}

string_enum! {
    /// Who handles the dispute now: grid → village/community → township/street (综治中心) → district.
    Tier {
        Grid = "grid",
        Village = "village",
        Township = "township",
        District = "district",
    }
}

impl Tier {
    pub fn index(self) -> usize {
        match self {
            Tier::Grid => 0,
            Tier::Village => 1,
            Tier::Township => 2,
            Tier::District => 3,
        }
    }

    /// The tier above, if any.
    pub fn next(self) -> Option<Tier> {
        match self {
            Tier::Grid => Some(Tier::Village),
            Tier::Village => Some(Tier::Township),
            Tier::Township => Some(Tier::District),
            Tier::District => None,
        }
    }

    /// How many segments of the dispute's area path (/district/township/village/) name the area whose
    /// people handle this tier: a grid worker and the village committee serve the village.
    pub fn area_depth(self) -> usize {
        match self {
            Tier::Grid | Tier::Village => 3,
            Tier::Township => 2,
            Tier::District => 1,
        }
    }

    /// Roles (codes) whose holders, scoped to the tier's area, are responsible at this tier.
    pub fn responsible_roles(self) -> &'static [&'static str] {
        match self {
            Tier::Grid => &["grid_worker"],
            Tier::Village => &["mediator", "coordinator"],
            Tier::Township => &["mediator", "coordinator", "leader"],
            Tier::District => &["coordinator", "leader"],
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Tier::Grid => "网格",
            Tier::Village => "村(社区)",
            Tier::Township => "乡镇(街道)",
            Tier::District => "县(区)",
        }
    }

    /// The area path of the tier's area: the first `area_depth` segments of `area_path`.
    pub fn area_path_of(self, area_path: &str) -> String {
        let segs: Vec<&str> = area_path.split('/').filter(|s| !s.is_empty()).collect();
        let n = self.area_depth().min(segs.len());
        format!("/{}/", segs[..n].join("/"))
    }
}

/// The dispute type an incident most likely is when the 110 desk hands it to mediation; the
/// dispatcher may choose another. Domestic violence and family quarrels → 婚姻家庭, traffic → 交通及生产安全,
/// everything else a neighbourhood matter (邻里) until a mediator says otherwise.
pub fn type_for_incident(incident_type: &str) -> &'static str {
    match incident_type {
        "200600" => "01",
        t if t.starts_with("300") => "23",
        "100300" => "17",
        _ => "02",
    }
}

string_enum! {
    /// Where a dispute stands.
    Status {
        /// Being mediated at its current tier (登记受理 → 调处).
        Mediating = "mediating",
        /// Agreement reached; performance followed up (回访).
        Agreed = "agreed",
        /// 案结事了.
        Closed = "closed",
        /// Mediation failed; handed to litigation, arbitration, petition or an administrative body.
        Transferred = "transferred",
        Withdrawn = "withdrawn",
    }
}

string_enum! {
    /// What people do to a dispute.
    Action {
        Agree = "agree",
        Fail = "fail",
        Withdraw = "withdraw",
        /// A follow-up found the agreement not performed: the dispute reopens.
        Breach = "breach",
        Close = "close",
        Escalate = "escalate",
        Extend = "extend",
    }
}

/// A step the lifecycle does not allow, with the reason in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {action} a dispute that is {from}: {reason}")]
pub struct IllegalStep {
    pub from: Status,
    pub action: Action,
    pub reason: &'static str,
}

impl Status {
    pub fn is_open(self) -> bool {
        matches!(self, Status::Mediating | Status::Agreed)
    }

    /// The one transition table.
    pub fn apply(self, action: Action) -> Result<Status, IllegalStep> {
        use Action as A;
        use Status as S;
        let illegal = |reason| {
            Err(IllegalStep {
                from: self,
                action,
                reason,
            })
        };
        match (self, action) {
            (S::Mediating, A::Agree) => Ok(S::Agreed),
            (S::Mediating, A::Fail) => Ok(S::Transferred),
            (S::Mediating, A::Withdraw) => Ok(S::Withdrawn),
            (S::Mediating, A::Escalate | A::Extend) => Ok(S::Mediating),
            (S::Mediating, A::Breach) => illegal("there is no agreement yet"),
            (S::Mediating, A::Close) => {
                illegal("record the agreement (or the failure) first; closing follows agreement")
            }
            (S::Agreed | S::Closed, A::Breach) => Ok(S::Mediating),
            (S::Agreed, A::Close) => Ok(S::Closed),
            (S::Agreed, _) => {
                illegal("the agreement is being followed up; only a breach or closure can follow")
            }
            (S::Closed, _) => illegal("the dispute is closed"),
            (S::Transferred, _) => illegal("the dispute has been handed to another body"),
            (S::Withdrawn, _) => illegal("the dispute was withdrawn"),
        }
    }
}

string_enum! {
    /// Where a failed mediation goes.
    TransferTo {
        /// 诉讼.
        Litigation = "litigation",
        /// 仲裁.
        Arbitration = "arbitration",
        /// 信访.
        Petition = "petition",
        /// 行政 (an administrative body).
        Administrative = "administrative",
    }
}

string_enum! {
    /// A party's place in the dispute.
    PartyRole {
        /// 申请人.
        Applicant = "applicant",
        /// 被申请人.
        Respondent = "respondent",
        /// 当事人 (neither side named).
        Party = "party",
    }
}

string_enum! {
    PartyKind {
        Person = "person",
        Organisation = "organisation",
    }
}

string_enum! {
    /// 人民调解法 art. 28: a written agreement, or an oral one recorded by the mediator.
    AgreementForm {
        Written = "written",
        Oral = "oral",
    }
}

string_enum! {
    /// What a follow-up visit (回访) found.
    FollowUpResult {
        Performed = "performed",
        /// Partly performed and still within its deadlines: keep following up.
        Partial = "partial",
        /// Not performed: the dispute reopens.
        Breached = "breached",
    }
}

/// One risk grade (红/橙/黄/绿 by default). Grades are listed most severe first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Grade {
    pub code: String,
    /// 红, 橙 …
    pub name_zh: String,
    /// 重大, 较大 …
    pub label_zh: String,
    pub name_en: String,
    /// Days allowed at the grid, village, township and district tiers.
    pub tier_days: [i64; 4],
}

/// The factors the person registering answers; the suggestion is computed from them alone. Unknown
/// fields are refused like everywhere else: a misspelt factor would silently lower the grade.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RiskFactors {
    /// Someone threatens violence.
    #[serde(default)]
    pub violence_threat: bool,
    /// Someone threatens self-harm or suicide.
    #[serde(default)]
    pub self_harm_threat: bool,
    /// People involved in all.
    #[serde(default)]
    pub people_involved: i64,
    /// Earlier incidents at the same place or with the same parties (filled in by the server).
    #[serde(default)]
    pub prior_incidents: i64,
    /// A minor, an elderly or disabled person, or someone otherwise vulnerable among the parties.
    #[serde(default)]
    pub vulnerable_party: bool,
    /// Money at stake, in yuan.
    #[serde(default)]
    pub amount_yuan: Option<i64>,
}

/// Which grade each factor calls for, and the thresholds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GradingRules {
    pub grades: Vec<Grade>,
    /// Grade for a threat of violence or self-harm.
    pub threat: String,
    /// 群体性: at least this many people.
    pub group_min_people: i64,
    pub group: String,
    /// At least this many earlier incidents at the place or with the parties.
    pub prior_min: i64,
    pub prior: String,
    pub vulnerable: String,
    pub money_major_yuan: i64,
    pub money_major: String,
    pub money_yuan: i64,
    pub money: String,
}

impl Default for GradingRules {
    fn default() -> Self {
        let g = |code: &str, zh: &str, label: &str, en: &str, days: [i64; 4]| Grade {
            code: code.into(),
            name_zh: zh.into(),
            label_zh: label.into(),
            name_en: en.into(),
            tier_days: days,
        };
        GradingRules {
            // Ordinary (yellow) disputes get about a month through the township, red ones a week.
            grades: vec![
                g("red", "红", "重大", "Red (major)", [1, 2, 4, 7]),
                g("orange", "橙", "较大", "Orange (serious)", [3, 5, 10, 15]),
                g("yellow", "黄", "一般", "Yellow (ordinary)", [5, 10, 15, 30]),
                g("green", "绿", "轻微", "Green (minor)", [7, 10, 15, 30]),
            ],
            threat: "red".into(),
            group_min_people: 5,
            group: "orange".into(),
            prior_min: 1,
            prior: "yellow".into(),
            vulnerable: "yellow".into(),
            money_major_yuan: 100_000,
            money_major: "orange".into(),
            money_yuan: 10_000,
            money: "yellow".into(),
        }
    }
}

/// One factor that raised the suggestion.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct GradeReason {
    /// threat, group, prior, vulnerable, money_major, money.
    pub factor: String,
    pub grade: String,
    pub text_zh: String,
    pub text_en: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct GradeSuggestion {
    pub grade: String,
    /// Every factor that applied, most severe first; empty means the mildest grade.
    pub reasons: Vec<GradeReason>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    #[error("mediation.grading.grades must list at least one grade")]
    NoGrades,
    #[error("mediation.grading: grade code `{0}` appears twice")]
    DuplicateGrade(String),
    #[error("mediation.grading.{field} names grade `{code}`, which is not in grades")]
    UnknownGrade { field: &'static str, code: String },
    #[error("mediation.grading: grade `{0}` has a tier limit below one day")]
    BadDays(String),
}

impl GradingRules {
    pub fn validate(&self) -> Result<(), RulesError> {
        if self.grades.is_empty() {
            return Err(RulesError::NoGrades);
        }
        for (i, g) in self.grades.iter().enumerate() {
            if self.grades[..i].iter().any(|o| o.code == g.code) {
                return Err(RulesError::DuplicateGrade(g.code.clone()));
            }
            if g.tier_days.iter().any(|d| *d < 1) {
                return Err(RulesError::BadDays(g.code.clone()));
            }
        }
        for (field, code) in [
            ("threat", &self.threat),
            ("group", &self.group),
            ("prior", &self.prior),
            ("vulnerable", &self.vulnerable),
            ("money_major", &self.money_major),
            ("money", &self.money),
        ] {
            if self.grade(code).is_none() {
                return Err(RulesError::UnknownGrade {
                    field,
                    code: code.clone(),
                });
            }
        }
        Ok(())
    }

    pub fn grade(&self, code: &str) -> Option<&Grade> {
        self.grades.iter().find(|g| g.code == code)
    }

    /// 0 is the most severe.
    pub fn rank(&self, code: &str) -> Option<usize> {
        self.grades.iter().position(|g| g.code == code)
    }

    pub fn mildest(&self) -> &Grade {
        self.grades.last().expect("validated: at least one grade")
    }

    pub fn most_severe(&self) -> &Grade {
        &self.grades[0]
    }

    /// The suggested grade: the most severe grade any factor calls for, with every reason.
    pub fn suggest(&self, f: &RiskFactors) -> GradeSuggestion {
        let mut reasons = Vec::new();
        let mut add = |factor: &str, grade: &str, (text_zh, text_en): (String, String)| {
            reasons.push(GradeReason {
                factor: factor.into(),
                grade: grade.into(),
                text_zh,
                text_en,
            })
        };
        if f.violence_threat || f.self_harm_threat {
            let (zh, en) = match (f.violence_threat, f.self_harm_threat) {
                (true, true) => ("有暴力和自伤倾向", "threats of violence and of self-harm"),
                (true, false) => ("有暴力倾向", "a threat of violence"),
                _ => ("有自伤、自杀倾向", "a threat of self-harm or suicide"),
            };
            add("threat", &self.threat, (zh.into(), en.into()));
        }
        if f.people_involved >= self.group_min_people {
            add(
                "group",
                &self.group,
                (
                    format!("涉及 {} 人，属群体性纠纷", f.people_involved),
                    format!("{} people involved: a group dispute", f.people_involved),
                ),
            );
        }
        if f.prior_incidents >= self.prior_min {
            add(
                "prior",
                &self.prior,
                (
                    format!("同一地点或当事人已有 {} 起警情", f.prior_incidents),
                    format!(
                        "{} earlier incidents at the place or with the parties",
                        f.prior_incidents
                    ),
                ),
            );
        }
        if f.vulnerable_party {
            add(
                "vulnerable",
                &self.vulnerable,
                (
                    "当事人中有未成年人、老年人、残疾人等弱势群体".into(),
                    "a minor, an elderly or a disabled person among the parties".into(),
                ),
            );
        }
        match f.amount_yuan {
            Some(a) if a >= self.money_major_yuan => add(
                "money_major",
                &self.money_major,
                (
                    format!("涉及金额 {a} 元（≥ {} 元）", self.money_major_yuan),
                    format!("{a} yuan at stake (≥ {} yuan)", self.money_major_yuan),
                ),
            ),
            Some(a) if a >= self.money_yuan => add(
                "money",
                &self.money,
                (
                    format!("涉及金额 {a} 元（≥ {} 元）", self.money_yuan),
                    format!("{a} yuan at stake (≥ {} yuan)", self.money_yuan),
                ),
            ),
            _ => {}
        }
        let rank = |code: &str| self.rank(code).unwrap_or(usize::MAX);
        reasons.sort_by_key(|r| rank(&r.grade));
        let grade = reasons
            .first()
            .map(|r| r.grade.clone())
            .unwrap_or_else(|| self.mildest().code.clone());
        GradeSuggestion { grade, reasons }
    }

    /// When the dispute's time at `tier` runs out: `since` plus the grade's days there plus approved
    /// extensions. `None` for an unknown grade.
    pub fn tier_due(
        &self,
        grade: &str,
        tier: Tier,
        since: i64,
        extension_days: i64,
    ) -> Option<i64> {
        let g = self.grade(grade)?;
        Some(since + (g.tier_days[tier.index()] + extension_days) * MICROS_PER_DAY)
    }
}

/// What the clock says about a dispute now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockVerdict {
    /// Time left (microseconds).
    Running(i64),
    /// The tier's time is up: move it to this tier.
    Escalate(Tier),
    /// Time is up at the top tier: nowhere to escalate; flagged as overdue.
    Overdue,
}

/// The clock of a dispute being mediated at `tier` whose time there ends at `due`.
pub fn clock(tier: Tier, due: i64, now: i64) -> ClockVerdict {
    if now < due {
        return ClockVerdict::Running(due - now);
    }
    match tier.next() {
        Some(t) => ClockVerdict::Escalate(t),
        None => ClockVerdict::Overdue,
    }
}

/// Follow-up visits and the reminder for 司法确认.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FollowUpRules {
    /// Days after the agreement at which to visit (回访).
    pub days: Vec<i64>,
    /// 人民调解法 art. 33: parties may apply for judicial confirmation within 30 days.
    pub judicial_confirmation_days: i64,
}

impl Default for FollowUpRules {
    fn default() -> Self {
        FollowUpRules {
            days: vec![7, 30],
            judicial_confirmation_days: 30,
        }
    }
}

/// 民转刑 watch: a violent incident at the dispute's place or with its parties.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CriminalWatch {
    /// Incident type-code prefixes that count as violent.
    pub violent_type_prefixes: Vec<String>,
    /// How long after closing (or while open) a dispute stays watched.
    pub window_days: i64,
    /// Same place: within this distance, or the same address.
    pub radius_m: f64,
}

impl Default for CriminalWatch {
    fn default() -> Self {
        CriminalWatch {
            // 抢劫, 故意伤害, 打架斗殴, 家庭暴力.
            violent_type_prefixes: vec!["1002".into(), "1004".into(), "2001".into(), "2006".into()],
            window_days: 90,
            radius_m: 100.0,
        }
    }
}

impl CriminalWatch {
    pub fn is_violent(&self, type_code: &str) -> bool {
        self.violent_type_prefixes
            .iter()
            .any(|p| type_code.starts_with(p.as_str()))
    }

    /// Whether a dispute registered at `registered_at` and ended at `ended_at` (None while open) is
    /// still watched at `at`.
    pub fn watches(&self, registered_at: i64, ended_at: Option<i64>, at: i64) -> bool {
        at >= registered_at && ended_at.is_none_or(|e| at <= e + self.window_days * MICROS_PER_DAY)
    }
}

/// What the KPIs need of one dispute.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DisputeFacts {
    pub registered_at: i64,
    /// First agreement.
    pub agreed_at: Option<i64>,
    /// Mediation failed (transferred).
    pub failed_at: Option<i64>,
    /// Follow-ups complete: Some(true) all performed, Some(false) a breach was found; None still open.
    pub performed: Option<bool>,
    pub escalations: Vec<i64>,
    pub criminal_turns: Vec<i64>,
}

/// KPIs for one area and period `[from, to)`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Kpi {
    /// Disputes registered in the period.
    pub registered: i64,
    /// Of those, reached an agreement before the period ended.
    pub resolved: i64,
    /// resolved / registered.
    pub resolution_rate: Option<f64>,
    /// Of those registered in the period whose mediation ended before the period ended:
    /// agreements / (agreements + failures).
    pub success_rate: Option<f64>,
    /// Agreements whose follow-ups are complete …
    pub agreements_followed_up: i64,
    /// … and found performed.
    pub agreements_performed: i64,
    /// Median days from registration to agreement of the resolved ones.
    pub median_days_to_resolve: Option<f64>,
    /// Escalations that happened in the period (disputes registered at any time).
    pub escalations: i64,
    /// 民转刑 alerts raised in the period.
    pub criminal_turns: i64,
}

fn ratio(n: i64, d: i64) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64)
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    })
}

/// The KPIs over `facts` (the disputes of one area) for `[from, to)`.
pub fn kpi(facts: &[DisputeFacts], from: i64, to: i64) -> Kpi {
    let within = |t: i64| t >= from && t < to;
    let cohort: Vec<&DisputeFacts> = facts.iter().filter(|f| within(f.registered_at)).collect();
    let agreed: Vec<&&DisputeFacts> = cohort
        .iter()
        .filter(|f| f.agreed_at.is_some_and(|a| a < to))
        .collect();
    let failed = cohort
        .iter()
        .filter(|f| f.agreed_at.is_none_or(|a| a >= to) && f.failed_at.is_some_and(|a| a < to))
        .count() as i64;
    let resolved = agreed.len() as i64;
    let followed: Vec<bool> = agreed.iter().filter_map(|f| f.performed).collect();
    Kpi {
        registered: cohort.len() as i64,
        resolved,
        resolution_rate: ratio(resolved, cohort.len() as i64),
        success_rate: ratio(resolved, resolved + failed),
        agreements_followed_up: followed.len() as i64,
        agreements_performed: followed.iter().filter(|p| **p).count() as i64,
        median_days_to_resolve: median(
            agreed
                .iter()
                .filter_map(|f| {
                    f.agreed_at
                        .map(|a| (a - f.registered_at) as f64 / MICROS_PER_DAY as f64)
                })
                .collect(),
        ),
        escalations: facts
            .iter()
            .flat_map(|f| &f.escalations)
            .filter(|t| within(**t))
            .count() as i64,
        criminal_turns: facts
            .iter()
            .flat_map(|f| &f.criminal_turns)
            .filter(|t| within(**t))
            .count() as i64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = MICROS_PER_DAY;

    #[test]
    fn twenty_five_types() {
        assert_eq!(DEFAULT_TYPES.len(), 25);
    }

    #[test]
    fn lifecycle_table() {
        let s = Status::Mediating;
        assert_eq!(s.apply(Action::Escalate), Ok(Status::Mediating));
        let agreed = s.apply(Action::Agree).unwrap();
        assert_eq!(agreed, Status::Agreed);
        assert_eq!(agreed.apply(Action::Breach), Ok(Status::Mediating));
        assert_eq!(agreed.apply(Action::Close), Ok(Status::Closed));
        assert!(agreed.apply(Action::Escalate).is_err());
        assert!(Status::Mediating.apply(Action::Close).is_err());
        assert_eq!(Status::Closed.apply(Action::Breach), Ok(Status::Mediating));
        for a in Action::ALL {
            assert!(Status::Transferred.apply(*a).is_err());
            assert!(Status::Withdrawn.apply(*a).is_err());
        }
        let e = Status::Mediating.apply(Action::Breach).unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot breach a dispute that is mediating: there is no agreement yet"
        );
    }

    #[test]
    fn default_rules_are_valid_and_red_is_shorter() {
        let r = GradingRules::default();
        r.validate().unwrap();
        let total = |c: &str| r.grade(c).unwrap().tier_days[..3].iter().sum::<i64>();
        assert_eq!(total("yellow"), 30);
        assert!(total("red") < total("yellow"));
    }

    #[test]
    fn bad_rules_are_named() {
        let r = GradingRules {
            group: "purple".into(),
            ..Default::default()
        };
        assert_eq!(
            r.validate().unwrap_err().to_string(),
            "mediation.grading.group names grade `purple`, which is not in grades"
        );
        let mut r = GradingRules::default();
        r.grades.clear();
        assert_eq!(r.validate(), Err(RulesError::NoGrades));
    }

    #[test]
    fn suggestion_takes_the_most_severe_factor_and_lists_all() {
        let r = GradingRules::default();
        assert_eq!(r.suggest(&RiskFactors::default()).grade, "green");
        assert!(r.suggest(&RiskFactors::default()).reasons.is_empty());
        let s = r.suggest(&RiskFactors {
            people_involved: 6,
            vulnerable_party: true,
            amount_yuan: Some(20_000),
            ..Default::default()
        });
        assert_eq!(s.grade, "orange");
        let factors: Vec<&str> = s.reasons.iter().map(|r| r.factor.as_str()).collect();
        assert_eq!(factors, ["group", "vulnerable", "money"]);
        let s = r.suggest(&RiskFactors {
            self_harm_threat: true,
            amount_yuan: Some(500_000),
            ..Default::default()
        });
        assert_eq!(s.grade, "red");
        assert_eq!(s.reasons[0].text_zh, "有自伤、自杀倾向");
        assert_eq!(s.reasons[1].factor, "money_major");
        // Thresholds are inclusive.
        let s = r.suggest(&RiskFactors {
            people_involved: 4,
            prior_incidents: 1,
            ..Default::default()
        });
        assert_eq!(s.grade, "yellow");
    }

    #[test]
    fn configurable_grade_count() {
        let r = GradingRules {
            grades: GradingRules::default().grades[..3].to_vec(),
            threat: "red".into(),
            group: "orange".into(),
            prior: "yellow".into(),
            vulnerable: "yellow".into(),
            money_major: "orange".into(),
            money: "yellow".into(),
            ..Default::default()
        };
        r.validate().unwrap();
        assert_eq!(r.suggest(&RiskFactors::default()).grade, "yellow");
    }

    #[test]
    fn clocks_escalate_one_tier_at_a_time() {
        let r = GradingRules::default();
        let due = r.tier_due("yellow", Tier::Grid, 0, 0).unwrap();
        assert_eq!(due, 5 * DAY);
        assert_eq!(r.tier_due("yellow", Tier::Grid, 0, 3), Some(8 * DAY));
        assert_eq!(clock(Tier::Grid, due, due - 1), ClockVerdict::Running(1));
        assert_eq!(
            clock(Tier::Grid, due, due),
            ClockVerdict::Escalate(Tier::Village)
        );
        assert_eq!(
            clock(Tier::Township, 0, 1),
            ClockVerdict::Escalate(Tier::District)
        );
        assert_eq!(clock(Tier::District, 0, 1), ClockVerdict::Overdue);
        assert_eq!(r.tier_due("purple", Tier::Grid, 0, 0), None);
    }

    #[test]
    fn tier_areas() {
        let p = "/330681/330681109/330681109004/";
        assert_eq!(Tier::Grid.area_path_of(p), p);
        assert_eq!(Tier::Village.area_path_of(p), p);
        assert_eq!(Tier::Township.area_path_of(p), "/330681/330681109/");
        assert_eq!(Tier::District.area_path_of(p), "/330681/");
    }

    #[test]
    fn criminal_watch_window() {
        let w = CriminalWatch::default();
        assert!(w.is_violent("200100"));
        assert!(w.is_violent("100400"));
        assert!(!w.is_violent("200200"));
        assert!(w.watches(10, None, 1000 * DAY));
        assert!(!w.watches(10, None, 5));
        assert!(w.watches(0, Some(DAY), 91 * DAY));
        assert!(!w.watches(0, Some(DAY), 91 * DAY + 1));
    }

    #[test]
    fn kpi_by_hand() {
        // Period: days 0..30. Three registered inside, one before, one after.
        let f = |reg: i64| DisputeFacts {
            registered_at: reg * DAY,
            ..Default::default()
        };
        let facts = vec![
            DisputeFacts {
                agreed_at: Some(4 * DAY),
                performed: Some(true),
                escalations: vec![3 * DAY],
                ..f(1)
            },
            DisputeFacts {
                agreed_at: Some(12 * DAY),
                performed: Some(false),
                criminal_turns: vec![20 * DAY],
                ..f(2)
            },
            DisputeFacts {
                failed_at: Some(9 * DAY),
                escalations: vec![6 * DAY, 8 * DAY],
                ..f(3)
            },
            DisputeFacts {
                agreed_at: Some(2 * DAY),
                escalations: vec![DAY],
                ..f(-5)
            },
            DisputeFacts {
                agreed_at: Some(31 * DAY),
                ..f(29)
            },
        ];
        let k = kpi(&facts, 0, 30 * DAY);
        assert_eq!(k.registered, 4);
        assert_eq!(k.resolved, 2);
        assert_eq!(k.resolution_rate, Some(0.5));
        assert_eq!(k.success_rate, Some(2.0 / 3.0));
        assert_eq!(k.agreements_followed_up, 2);
        assert_eq!(k.agreements_performed, 1);
        assert_eq!(k.median_days_to_resolve, Some(6.5));
        assert_eq!(k.escalations, 4);
        assert_eq!(k.criminal_turns, 1);
    }
}
