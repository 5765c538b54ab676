//! The 网上巡查 deadline engine: versioned rule sets (TOML) say which step starts a clock, which stops
//! it, the limit, what extends it, when to warn and how serious it is; `evaluate` turns a case's steps
//! into clocks and findings as of any instant (so a past date can be replayed and gives the same
//! answer every time). Pure: no clock, no I/O — the caller passes `as_of`.

use crate::case::{CaseFacts, CaseKind, step};
use serde::{Deserialize, Serialize};

const HOUR: i64 = 3_600_000_000;
const DAY: i64 = 24 * HOUR;
/// China Standard Time, fixed UTC+8.
const CST: i64 = 8 * HOUR;

/// The rule set shipped with the product.
pub const DEFAULT_RULES: &str = include_str!("case_rules/default.toml");

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum RuleError {
    #[error("rule set: {0}")]
    Toml(String),
    #[error("rule {rule}: {message}")]
    Rule { rule: String, message: String },
    #[error("two rule sets take effect on {0}")]
    SameDate(String),
    #[error("no rule set")]
    Empty,
}

/// A limit: hours from the starting instant, or days with the starting day not counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    Hours(i64),
    Days(i64),
}

impl Span {
    pub fn parse(s: &str) -> Option<Span> {
        let s = s.trim();
        let (n, unit) = s.split_at(s.len().checked_sub(1)?);
        let n: i64 = n.trim().parse().ok()?;
        if n < 0 {
            return None;
        }
        match unit {
            "h" => Some(Span::Hours(n)),
            "d" => Some(Span::Days(n)),
            _ => None,
        }
    }

    /// The instant this span ends when counted from `start`.
    pub fn end_from(self, start: i64) -> i64 {
        match self {
            Span::Hours(h) => start + h * HOUR,
            // 24:00 China time of the n-th day after the starting day.
            Span::Days(d) => ((start + CST).div_euclid(DAY) + d + 1) * DAY - CST,
        }
    }

    /// As a length (days as whole days), for warnings and additions.
    pub fn micros(self) -> i64 {
        match self {
            Span::Hours(h) => h * HOUR,
            Span::Days(d) => d * DAY,
        }
    }
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Span::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!("{s:?} is not a duration like \"72h\" or \"30d\""))
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
}

/// What an overdue clock means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// A time limit of the law.
    #[default]
    Deadline,
    /// A step that should have been recorded by now.
    MissingStep,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Extension {
    #[serde(default)]
    pub event: Option<String>,
    #[serde(default)]
    pub flag: Option<String>,
    #[serde(default)]
    pub add: Option<Span>,
    #[serde(default)]
    pub add_event_days_max: Option<i64>,
    #[serde(default)]
    pub total: Option<Span>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "check", rename_all = "snake_case", deny_unknown_fields)]
pub enum Check {
    Deadline {
        start: String,
        stop: Vec<String>,
        limit: Span,
        #[serde(default)]
        warn_before: Option<Span>,
        #[serde(default)]
        extensions: Vec<Extension>,
        #[serde(default)]
        category: Category,
        #[serde(default)]
        per_item: bool,
        id: String,
        name_zh: String,
        name_en: String,
        #[serde(default)]
        case_kind: Option<CaseKind>,
        severity: Severity,
    },
    Order {
        first: String,
        then: String,
        #[serde(default)]
        per_item: bool,
        id: String,
        name_zh: String,
        name_en: String,
        #[serde(default)]
        case_kind: Option<CaseKind>,
        severity: Severity,
    },
}

/// One rule, with what every rule has pulled out of its check.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    pub case_kind: Option<CaseKind>,
    pub severity: Severity,
    pub per_item: bool,
    pub check: Check,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSetFile {
    version: String,
    name: String,
    effective_from: String,
    #[serde(rename = "rule")]
    rules: Vec<Check>,
}

/// A versioned rule set, in force from a local date.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSet {
    pub version: String,
    pub name: String,
    pub effective_from: jiff::civil::Date,
    pub rules: Vec<Rule>,
}

impl RuleSet {
    /// Parses and checks a rule set: known steps, unique ids, sane extensions.
    pub fn from_toml(text: &str) -> Result<RuleSet, RuleError> {
        let f: RuleSetFile = toml::from_str(text).map_err(|e| RuleError::Toml(e.to_string()))?;
        let effective_from: jiff::civil::Date = f.effective_from.parse().map_err(|_| {
            RuleError::Toml(format!(
                "effective_from {:?} is not a date",
                f.effective_from
            ))
        })?;
        let mut rules = Vec::new();
        for check in f.rules {
            let rule = rule_of(check)?;
            if rules.iter().any(|r: &Rule| r.id == rule.id) {
                return Err(RuleError::Rule {
                    rule: rule.id,
                    message: "id used twice".into(),
                });
            }
            rules.push(rule);
        }
        Ok(RuleSet {
            version: f.version,
            name: f.name,
            effective_from,
            rules,
        })
    }

    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }
}

fn rule_of(check: Check) -> Result<Rule, RuleError> {
    let bad = |id: &str, message: String| RuleError::Rule {
        rule: id.to_string(),
        message,
    };
    let known = |id: &str, s: &str| {
        step(s)
            .map(|_| ())
            .ok_or_else(|| bad(id, format!("unknown step {s:?}")))
    };
    let (id, name_zh, name_en, case_kind, severity, per_item) = match &check {
        Check::Deadline {
            start,
            stop,
            extensions,
            id,
            name_zh,
            name_en,
            case_kind,
            severity,
            per_item,
            ..
        } => {
            known(id, start)?;
            if stop.is_empty() {
                return Err(bad(
                    id,
                    "a deadline needs at least one stopping step".into(),
                ));
            }
            for s in stop {
                known(id, s)?;
            }
            for e in extensions {
                match (&e.event, &e.flag) {
                    (Some(ev), None) => known(id, ev)?,
                    (None, Some(_)) => {}
                    _ => return Err(bad(id, "an extension names one event or one flag".into())),
                }
                let ways = [
                    e.add.is_some(),
                    e.add_event_days_max.is_some(),
                    e.total.is_some(),
                ];
                if ways.iter().filter(|w| **w).count() != 1 {
                    return Err(bad(
                        id,
                        "an extension has exactly one of add, add_event_days_max, total".into(),
                    ));
                }
                if e.flag.is_some() && e.total.is_none() {
                    return Err(bad(id, "a flag extension sets a total".into()));
                }
            }
            (id, name_zh, name_en, *case_kind, *severity, *per_item)
        }
        Check::Order {
            first,
            then,
            id,
            name_zh,
            name_en,
            case_kind,
            severity,
            per_item,
        } => {
            known(id, first)?;
            known(id, then)?;
            (id, name_zh, name_en, *case_kind, *severity, *per_item)
        }
    };
    Ok(Rule {
        id: id.clone(),
        name_zh: name_zh.clone(),
        name_en: name_en.clone(),
        case_kind,
        severity,
        per_item,
        check,
    })
}

/// Every rule set, oldest first. The set in force at an instant is the newest whose
/// `effective_from` (China date) is not after it.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleBook {
    sets: Vec<RuleSet>,
    /// effective_from of each set as the UTC µs of its local midnight.
    starts: Vec<i64>,
}

impl RuleBook {
    pub fn new(mut sets: Vec<RuleSet>) -> Result<RuleBook, RuleError> {
        if sets.is_empty() {
            return Err(RuleError::Empty);
        }
        sets.sort_by_key(|s| s.effective_from);
        for w in sets.windows(2) {
            if w[0].effective_from == w[1].effective_from {
                return Err(RuleError::SameDate(w[0].effective_from.to_string()));
            }
        }
        let starts = sets
            .iter()
            .map(|s| {
                let days = (s.effective_from - jiff::civil::date(1970, 1, 1)).get_days() as i64;
                days * DAY - CST
            })
            .collect();
        Ok(RuleBook { sets, starts })
    }

    /// The shipped default set alone.
    pub fn default_book() -> RuleBook {
        RuleBook::new(vec![
            RuleSet::from_toml(DEFAULT_RULES).expect("the default rule set parses"),
        ])
        .expect("one set")
    }

    pub fn sets(&self) -> &[RuleSet] {
        &self.sets
    }

    /// The set in force at `at` (the oldest set for instants before every set).
    pub fn at(&self, at: i64) -> &RuleSet {
        let i = self.starts.partition_point(|&s| s <= at);
        &self.sets[i.saturating_sub(1)]
    }
}

/// Where a clock stands at the evaluation instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    Running,
    /// Inside the warning lead time.
    Warning,
    Overdue,
    /// Stopped in time.
    Met,
    /// Stopped after the limit.
    MetLate,
}

/// One running or finished time limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Clock {
    pub rule_id: String,
    /// The rule set version it was started under.
    pub version: String,
    pub item: Option<String>,
    pub started_at: i64,
    pub due_at: i64,
    pub warn_at: i64,
    pub stopped_at: Option<i64>,
    pub state: ClockState,
}

/// Kinds of 网上巡查 alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// A limit is near.
    Approaching,
    /// A limit passed with the clock still running (or stopped late).
    Overdue,
    /// A step that should be there by now is not.
    MissingStep,
    /// A step recorded before the step it presupposes.
    OutOfOrder,
}

impl FindingKind {
    pub fn code(self) -> &'static str {
        match self {
            FindingKind::Approaching => "approaching",
            FindingKind::Overdue => "overdue",
            FindingKind::MissingStep => "missing_step",
            FindingKind::OutOfOrder => "out_of_order",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            FindingKind::Approaching,
            FindingKind::Overdue,
            FindingKind::MissingStep,
            FindingKind::OutOfOrder,
        ]
        .into_iter()
        .find(|k| k.code() == s)
    }
}

/// Something the engine found: the key (rule, item, clock start, kind) identifies it across runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub rule_id: String,
    pub version: String,
    pub kind: FindingKind,
    pub severity: Severity,
    pub item: Option<String>,
    /// The clock's start (or the offending step's time for order findings).
    pub started_at: i64,
    /// The limit (equal to `at` for order findings).
    pub due_at: i64,
    /// When the finding became true.
    pub at: i64,
}

/// Clocks and findings of one case.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Evaluation {
    pub clocks: Vec<Clock>,
    pub findings: Vec<Finding>,
}

fn applies(rule: &Rule, kind: CaseKind) -> bool {
    rule.case_kind.is_none_or(|k| k == kind)
}

/// Evaluates `case` as of `as_of`: steps recorded after `as_of` do not exist yet.
pub fn evaluate(case: &CaseFacts, book: &RuleBook, as_of: i64) -> Evaluation {
    let mut events: Vec<&crate::case::CaseEvent> =
        case.events.iter().filter(|e| e.at <= as_of).collect();
    events.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.step.cmp(&b.step)));
    let mut out = Evaluation::default();
    let same_item = |rule: &Rule, a: &Option<String>, b: &Option<String>| !rule.per_item || a == b;
    for (si, start_ev) in events.iter().enumerate() {
        let set = book.at(start_ev.at);
        for rule in &set.rules {
            if !applies(rule, case.kind) {
                continue;
            }
            match &rule.check {
                Check::Deadline {
                    start,
                    stop,
                    limit,
                    warn_before,
                    extensions,
                    category,
                    ..
                } if *start == start_ev.step => {
                    // A case-level clock starts at the first such step only; per-item clocks once per item.
                    if events[..si]
                        .iter()
                        .any(|e| e.step == *start && same_item(rule, &e.item, &start_ev.item))
                    {
                        continue;
                    }
                    let later = || {
                        events[si + 1..]
                            .iter()
                            .filter(|e| same_item(rule, &e.item, &start_ev.item))
                    };
                    let stopped_at = later().find(|e| stop.contains(&e.step)).map(|e| e.at);
                    let before_stop = |at: i64| stopped_at.is_none_or(|s| at <= s);
                    let mut due = limit.end_from(start_ev.at);
                    for x in extensions {
                        if let Some(f) = &x.flag {
                            if case.has_flag(f)
                                && let Some(t) = x.total
                            {
                                due = due.max(t.end_from(start_ev.at));
                            }
                            continue;
                        }
                        let Some(ev) = &x.event else { continue };
                        for e in later().filter(|e| e.step == *ev && before_stop(e.at)) {
                            if let Some(add) = x.add {
                                due += add.micros();
                            } else if let Some(max) = x.add_event_days_max {
                                due += e.days.unwrap_or(max).clamp(0, max) * DAY;
                            } else if let Some(t) = x.total {
                                due = due.max(t.end_from(start_ev.at));
                            }
                        }
                    }
                    let warn_at = warn_before.map_or(due, |w| due - w.micros());
                    let state = match stopped_at {
                        Some(s) if s <= due => ClockState::Met,
                        Some(_) => ClockState::MetLate,
                        None if as_of > due => ClockState::Overdue,
                        None if as_of >= warn_at => ClockState::Warning,
                        None => ClockState::Running,
                    };
                    let finding = |kind: FindingKind, at: i64| Finding {
                        rule_id: rule.id.clone(),
                        version: set.version.clone(),
                        kind,
                        severity: rule.severity,
                        item: start_ev.item.clone(),
                        started_at: start_ev.at,
                        due_at: due,
                        at,
                    };
                    if warn_at < due && warn_at <= as_of && stopped_at.is_none_or(|s| s >= warn_at)
                    {
                        out.findings
                            .push(finding(FindingKind::Approaching, warn_at));
                    }
                    if matches!(state, ClockState::Overdue | ClockState::MetLate) {
                        let kind = match category {
                            Category::Deadline => FindingKind::Overdue,
                            Category::MissingStep => FindingKind::MissingStep,
                        };
                        out.findings.push(finding(kind, due));
                    }
                    out.clocks.push(Clock {
                        rule_id: rule.id.clone(),
                        version: set.version.clone(),
                        item: start_ev.item.clone(),
                        started_at: start_ev.at,
                        due_at: due,
                        warn_at,
                        stopped_at,
                        state,
                    });
                }
                Check::Order { first, then, .. } if *then == start_ev.step => {
                    let preceded = events[..si]
                        .iter()
                        .any(|e| e.step == *first && same_item(rule, &e.item, &start_ev.item));
                    if !preceded {
                        out.findings.push(Finding {
                            rule_id: rule.id.clone(),
                            version: set.version.clone(),
                            kind: FindingKind::OutOfOrder,
                            severity: rule.severity,
                            item: start_ev.item.clone(),
                            started_at: start_ev.at,
                            due_at: start_ev.at,
                            at: start_ev.at,
                        });
                    }
                }
                _ => {}
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::CaseEvent;

    /// 2026-03-02 09:00 China time (a Monday), in UTC µs.
    const T0: i64 = 1_772_413_200_000_000;

    fn ev(step: &str, hours: f64) -> CaseEvent {
        CaseEvent {
            step: step.into(),
            at: T0 + (hours * HOUR as f64) as i64,
            item: None,
            days: None,
        }
    }

    fn item(mut e: CaseEvent, who: &str) -> CaseEvent {
        e.item = Some(who.into());
        e
    }

    fn case(kind: CaseKind, events: Vec<CaseEvent>) -> CaseFacts {
        CaseFacts {
            kind,
            flags: Vec::new(),
            events,
        }
    }

    /// Hours after T0 of 24:00 China time `days` days after T0's day.
    fn end_of_day(days: i64) -> f64 {
        // T0 is 09:00: the day ends 15 h later.
        (15 + 24 * days) as f64
    }

    fn clock<'a>(e: &'a Evaluation, rule: &str) -> &'a Clock {
        e.clocks
            .iter()
            .find(|c| c.rule_id == rule)
            .unwrap_or_else(|| panic!("no clock {rule}: {e:?}"))
    }

    fn kinds(e: &Evaluation, rule: &str) -> Vec<FindingKind> {
        e.findings
            .iter()
            .filter(|f| f.rule_id == rule)
            .map(|f| f.kind)
            .collect()
    }

    fn at(hours: f64) -> i64 {
        T0 + (hours * HOUR as f64) as i64
    }

    #[test]
    fn t0_is_nine_in_the_morning_china_time() {
        let t = crate::time::local_datetime(crate::time::from_micros(T0));
        assert_eq!(t, "2026-03-02 09:00:00");
    }

    #[test]
    fn the_default_set_parses_and_covers_the_issue() {
        let book = RuleBook::default_book();
        let set = &book.sets()[0];
        assert_eq!(set.version, "2013");
        for id in [
            "criminal_filing_review",
            "acceptance_receipt",
            "arrest_request",
            "admin_decision",
            "property_to_custodian",
            "property_loan",
            "dossier_day_59",
        ] {
            assert!(set.rule(id).is_some(), "{id}");
        }
    }

    /// One row per default deadline rule: the case kind, the steps before the clock, the hour the
    /// clock's limit falls at (relative to T0), the warning lead in hours, the stopping step.
    struct Row {
        rule: &'static str,
        kind: CaseKind,
        start: &'static str,
        per_item: bool,
        due_h: f64,
        warn_h: f64,
        stop: &'static str,
    }

    const ROWS: &[Row] = &[
        Row {
            rule: "criminal_filing_review",
            kind: CaseKind::Criminal,
            start: "accept",
            per_item: false,
            due_h: 15.0 + 72.0,
            warn_h: 24.0,
            stop: "file",
        },
        Row {
            rule: "acceptance_receipt",
            kind: CaseKind::Criminal,
            start: "accept",
            per_item: false,
            due_h: 24.0,
            warn_h: 4.0,
            stop: "receipt",
        },
        Row {
            rule: "acceptance_receipt",
            kind: CaseKind::Administrative,
            start: "accept",
            per_item: false,
            due_h: 24.0,
            warn_h: 4.0,
            stop: "receipt",
        },
        Row {
            rule: "filing_notice",
            kind: CaseKind::Criminal,
            start: "file",
            per_item: false,
            due_h: 15.0 + 72.0,
            warn_h: 24.0,
            stop: "file_notice",
        },
        Row {
            rule: "arrest_request",
            kind: CaseKind::Criminal,
            start: "detain",
            per_item: true,
            due_h: 15.0 + 72.0,
            warn_h: 24.0,
            stop: "arrest_request",
        },
        Row {
            rule: "summons_duration",
            kind: CaseKind::Administrative,
            start: "summon_start",
            per_item: true,
            due_h: 12.0,
            warn_h: 2.0,
            stop: "summon_end",
        },
        Row {
            rule: "bail_term",
            kind: CaseKind::Criminal,
            start: "bail",
            per_item: true,
            due_h: 15.0 + 365.0 * 24.0,
            warn_h: 15.0 * 24.0,
            stop: "bail_end",
        },
        Row {
            rule: "surveillance_term",
            kind: CaseKind::Criminal,
            start: "surveillance",
            per_item: true,
            due_h: 15.0 + 183.0 * 24.0,
            warn_h: 15.0 * 24.0,
            stop: "surveillance_end",
        },
        Row {
            rule: "dossier_day_59",
            kind: CaseKind::Criminal,
            start: "accept",
            per_item: false,
            due_h: 15.0 + 59.0 * 24.0,
            warn_h: 9.0 * 24.0,
            stop: "dossier_built",
        },
        Row {
            rule: "admin_acceptance",
            kind: CaseKind::Administrative,
            start: "reported",
            per_item: false,
            due_h: 24.0,
            warn_h: 4.0,
            stop: "accept",
        },
        Row {
            rule: "admin_decision",
            kind: CaseKind::Administrative,
            start: "accept",
            per_item: false,
            due_h: 15.0 + 30.0 * 24.0,
            warn_h: 5.0 * 24.0,
            stop: "penalty_decision",
        },
        Row {
            rule: "property_to_custodian",
            kind: CaseKind::Criminal,
            start: "property_seized",
            per_item: true,
            due_h: 24.0,
            warn_h: 4.0,
            stop: "property_stored",
        },
        Row {
            rule: "property_loan",
            kind: CaseKind::Administrative,
            start: "property_lent",
            per_item: true,
            due_h: 15.0 + 7.0 * 24.0,
            warn_h: 24.0,
            stop: "property_returned",
        },
    ];

    fn start_events(r: &Row) -> Vec<CaseEvent> {
        let mut e = ev(r.start, 0.0);
        if r.per_item {
            e = item(e, "A");
        }
        vec![e]
    }

    #[test]
    fn every_default_deadline_starts_warns_expires_and_is_met() {
        let book = RuleBook::default_book();
        let deadline_rules = book.sets()[0]
            .rules
            .iter()
            .filter(|r| matches!(r.check, Check::Deadline { .. }))
            .count();
        let covered: std::collections::BTreeSet<&str> = ROWS.iter().map(|r| r.rule).collect();
        assert_eq!(
            covered.len(),
            deadline_rules,
            "a row for every deadline rule"
        );
        for r in ROWS {
            let events = start_events(r);
            // Just started: running.
            let e = evaluate(&case(r.kind, events.clone()), &book, at(0.5));
            let c = clock(&e, r.rule);
            assert_eq!(c.due_at, at(r.due_h), "{}", r.rule);
            assert_eq!(c.state, ClockState::Running, "{}", r.rule);
            assert!(kinds(&e, r.rule).is_empty(), "{}", r.rule);
            // Inside the lead time: warning, one `approaching` finding dated at the warning instant.
            let e = evaluate(
                &case(r.kind, events.clone()),
                &book,
                at(r.due_h - r.warn_h + 0.5),
            );
            assert_eq!(clock(&e, r.rule).state, ClockState::Warning, "{}", r.rule);
            assert_eq!(
                kinds(&e, r.rule),
                vec![FindingKind::Approaching],
                "{}",
                r.rule
            );
            assert_eq!(
                e.findings.iter().find(|f| f.rule_id == r.rule).unwrap().at,
                at(r.due_h - r.warn_h)
            );
            // Past the limit: overdue (or missing step), dated at the limit.
            let e = evaluate(&case(r.kind, events.clone()), &book, at(r.due_h + 0.5));
            assert_eq!(clock(&e, r.rule).state, ClockState::Overdue, "{}", r.rule);
            let k = kinds(&e, r.rule);
            assert_eq!(k.len(), 2, "{}: {k:?}", r.rule);
            assert!(
                matches!(k[1], FindingKind::Overdue | FindingKind::MissingStep),
                "{}",
                r.rule
            );
            // Stopped in time: met, nothing found.
            let mut stopped = events.clone();
            let mut s = ev(r.stop, r.due_h - r.warn_h - 0.5);
            if r.per_item {
                s = item(s, "A");
            }
            stopped.push(s);
            let e = evaluate(&case(r.kind, stopped.clone()), &book, at(r.due_h + 100.0));
            assert_eq!(clock(&e, r.rule).state, ClockState::Met, "{}", r.rule);
            assert!(kinds(&e, r.rule).is_empty(), "{}", r.rule);
            // Stopped late: met late, and the overdue finding stays.
            let mut late = events.clone();
            let mut s = ev(r.stop, r.due_h + 1.0);
            if r.per_item {
                s = item(s, "A");
            }
            late.push(s);
            let e = evaluate(&case(r.kind, late), &book, at(r.due_h + 100.0));
            assert_eq!(clock(&e, r.rule).state, ClockState::MetLate, "{}", r.rule);
            assert_eq!(kinds(&e, r.rule).len(), 2, "{}", r.rule);
            // The other kind of case has no such clock unless the rule is for both.
            let other = match r.kind {
                CaseKind::Criminal => CaseKind::Administrative,
                CaseKind::Administrative => CaseKind::Criminal,
            };
            let rule = book.sets()[0].rule(r.rule).unwrap();
            let e = evaluate(&case(other, events.clone()), &book, at(r.due_h + 0.5));
            assert_eq!(
                e.clocks.iter().any(|c| c.rule_id == r.rule),
                rule.case_kind.is_none(),
                "{}",
                r.rule
            );
        }
    }

    #[test]
    fn extensions_move_the_deadline() {
        let book = RuleBook::default_book();
        // 立案审查: 3 days, 7 with a lead to check, 30 for a major case.
        let base = vec![ev("accept", 0.0)];
        let due = |events: Vec<CaseEvent>| {
            clock(
                &evaluate(&case(CaseKind::Criminal, events), &book, at(1.0)),
                "criminal_filing_review",
            )
            .due_at
        };
        assert_eq!(due(base.clone()), at(end_of_day(3)));
        let mut lead = base.clone();
        lead.push(ev("filing_extension_lead", 0.5));
        assert_eq!(due(lead.clone()), at(end_of_day(7)));
        lead.push(ev("filing_extension_major", 0.6));
        assert_eq!(due(lead), at(end_of_day(30)));
        // 提请逮捕: 3 days, + the 1–4 days an extension says (capped at 4), 30 days for 流窜/多次/结伙.
        let detained = vec![item(ev("detain", 0.0), "A")];
        let arrest_due = |events: Vec<CaseEvent>, flags: Vec<String>| {
            let c = CaseFacts {
                kind: CaseKind::Criminal,
                flags,
                events,
            };
            clock(&evaluate(&c, &book, at(1.0)), "arrest_request").due_at
        };
        assert_eq!(arrest_due(detained.clone(), vec![]), at(end_of_day(3)));
        let mut ext = detained.clone();
        let mut e = item(ev("detention_extension", 0.5), "A");
        e.days = Some(2);
        ext.push(e.clone());
        assert_eq!(arrest_due(ext.clone(), vec![]), at(end_of_day(5)));
        e.days = Some(9);
        let mut capped = detained.clone();
        capped.push(e);
        assert_eq!(arrest_due(capped, vec![]), at(end_of_day(7)));
        assert_eq!(
            arrest_due(detained.clone(), vec!["roving_repeat_gang".into()]),
            at(end_of_day(30))
        );
        // Another suspect's extension does not move A's clock.
        let mut other = detained.clone();
        let mut e = item(ev("detention_extension", 0.5), "B");
        e.days = Some(4);
        other.push(e);
        assert_eq!(arrest_due(other, vec![]), at(end_of_day(3)));
        // 治安案件: 30 days, +30 with approval.
        let admin = |events: Vec<CaseEvent>| {
            clock(
                &evaluate(&case(CaseKind::Administrative, events), &book, at(500.0)),
                "admin_decision",
            )
            .due_at
        };
        assert_eq!(admin(vec![ev("accept", 0.0)]), at(end_of_day(30)));
        assert_eq!(
            admin(vec![ev("accept", 0.0), ev("decision_extension", 200.0)]),
            at(end_of_day(30) + 30.0 * 24.0)
        );
        // An extension recorded after the clock stopped changes nothing.
        let e = evaluate(
            &case(
                CaseKind::Criminal,
                vec![
                    ev("accept", 0.0),
                    ev("file", 1.0),
                    ev("filing_extension_major", 2.0),
                ],
            ),
            &book,
            at(3.0),
        );
        assert_eq!(
            clock(&e, "criminal_filing_review").due_at,
            at(end_of_day(3))
        );
        // An extension granted after the warning silences nothing already found, but moves the limit.
        let e = evaluate(
            &case(
                CaseKind::Criminal,
                vec![
                    ev("accept", 0.0),
                    ev("filing_extension_lead", end_of_day(2) + 1.0),
                ],
            ),
            &book,
            at(end_of_day(3) + 1.0),
        );
        assert_eq!(
            clock(&e, "criminal_filing_review").state,
            ClockState::Running
        );
    }

    #[test]
    fn per_item_clocks_are_separate() {
        let book = RuleBook::default_book();
        let c = case(
            CaseKind::Criminal,
            vec![
                item(ev("property_seized", 0.0), "手机-1"),
                item(ev("property_seized", 1.0), "现金-2"),
                item(ev("property_stored", 2.0), "手机-1"),
            ],
        );
        let e = evaluate(&c, &book, at(30.0));
        let states: Vec<(Option<String>, ClockState)> = e
            .clocks
            .iter()
            .filter(|c| c.rule_id == "property_to_custodian")
            .map(|c| (c.item.clone(), c.state))
            .collect();
        assert_eq!(
            states,
            vec![
                (Some("手机-1".into()), ClockState::Met),
                (Some("现金-2".into()), ClockState::Overdue)
            ]
        );
    }

    #[test]
    fn order_findings() {
        let book = RuleBook::default_book();
        let e = evaluate(
            &case(
                CaseKind::Criminal,
                vec![
                    ev("accept", 0.0),
                    ev("file_notice", 1.0),
                    ev("file", 2.0),
                    item(ev("arrest_request", 3.0), "A"),
                    item(ev("detain", 4.0), "B"),
                    item(ev("arrest_request", 5.0), "B"),
                ],
            ),
            &book,
            at(6.0),
        );
        assert_eq!(
            kinds(&e, "notice_before_filing"),
            vec![FindingKind::OutOfOrder]
        );
        let arrests: Vec<&Finding> = e
            .findings
            .iter()
            .filter(|f| f.rule_id == "arrest_request_without_detention")
            .collect();
        assert_eq!(arrests.len(), 1, "B was detained first, A was not");
        assert_eq!(arrests[0].item.as_deref(), Some("A"));
        assert!(kinds(&e, "prosecution_before_filing").is_empty());
    }

    #[test]
    fn replay_ignores_later_steps_and_repeats_itself() {
        let book = RuleBook::default_book();
        let c = case(
            CaseKind::Criminal,
            vec![ev("accept", 0.0), ev("file", 100.0)],
        );
        // As of hour 90 the filing (hour 100) has not happened: overdue then.
        let then = evaluate(&c, &book, at(90.0));
        assert_eq!(
            clock(&then, "criminal_filing_review").state,
            ClockState::Overdue
        );
        assert_eq!(evaluate(&c, &book, at(90.0)), then);
        // Today it is met late.
        let now = evaluate(&c, &book, at(200.0));
        assert_eq!(
            clock(&now, "criminal_filing_review").state,
            ClockState::MetLate
        );
    }

    #[test]
    fn a_new_rule_set_applies_to_clocks_started_from_its_date() {
        // A revised 治安管理处罚法 set (figures for the test): decision in 20 days, no extension.
        let revised = DEFAULT_RULES
            .replace("version = \"2013\"", "version = \"2026\"")
            .replace(
                "effective_from = \"2013-01-01\"",
                "effective_from = \"2026-03-03\"",
            )
            .replace(
                "stop = [\"penalty_decision\", \"close\", \"revoke\"]\nlimit = \"30d\"",
                "stop = [\"penalty_decision\", \"close\", \"revoke\"]\nlimit = \"20d\"",
            );
        assert!(revised.contains("limit = \"20d\""));
        let book = RuleBook::new(vec![
            RuleSet::from_toml(&revised).unwrap(),
            RuleSet::from_toml(DEFAULT_RULES).unwrap(),
        ])
        .unwrap();
        // Accepted 2026-03-02 09:00: the old set; 2026-03-03 00:00 China time: the new one.
        let before = evaluate(
            &case(CaseKind::Administrative, vec![ev("accept", 0.0)]),
            &book,
            at(1.0),
        );
        let c = clock(&before, "admin_decision");
        assert_eq!((c.version.as_str(), c.due_at), ("2013", at(end_of_day(30))));
        let midnight = end_of_day(0);
        let after = evaluate(
            &case(CaseKind::Administrative, vec![ev("accept", midnight)]),
            &book,
            at(midnight + 1.0),
        );
        let c = clock(&after, "admin_decision");
        assert_eq!((c.version.as_str(), c.due_at), ("2026", at(end_of_day(21))));
        let just_before = evaluate(
            &case(
                CaseKind::Administrative,
                vec![ev("accept", midnight - 0.01)],
            ),
            &book,
            at(midnight + 1.0),
        );
        assert_eq!(clock(&just_before, "admin_decision").version, "2013");
    }

    #[test]
    fn bad_rule_sets_are_refused_with_the_rule_named() {
        let bad = DEFAULT_RULES.replacen("start = \"accept\"", "start = \"acept\"", 1);
        assert_eq!(
            RuleSet::from_toml(&bad),
            Err(RuleError::Rule {
                rule: "criminal_filing_review".into(),
                message: "unknown step \"acept\"".into()
            })
        );
        let bad = DEFAULT_RULES.replacen("limit = \"3d\"", "limit = \"3 weeks\"", 1);
        assert!(
            matches!(RuleSet::from_toml(&bad), Err(RuleError::Toml(m)) if m.contains("3 weeks"))
        );
        assert!(matches!(
            RuleBook::new(vec![
                RuleSet::from_toml(DEFAULT_RULES).unwrap(),
                RuleSet::from_toml(DEFAULT_RULES).unwrap()
            ]),
            Err(RuleError::SameDate(_))
        ));
        assert_eq!(Span::parse("72h"), Some(Span::Hours(72)));
        assert_eq!(Span::parse("-1d"), None);
        assert_eq!(Span::parse("d"), None);
    }
}
