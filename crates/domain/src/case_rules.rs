//! The 网上巡查 deadline engine: versioned rule sets (TOML) say which step starts a clock, which stops
//! it, the limit, what extends it, when to warn and how serious it is; `evaluate` turns a case's steps
//! into clocks and findings as of any instant (so a past date can be replayed and gives the same
//! answer every time). Pure: no clock, no I/O — the caller passes `as_of`.

use crate::calendar::{CalendarError, HolidayCalendar, LastDay, Period};
use crate::case::{CaseFacts, CaseKind, step};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

const HOUR: i64 = 3_600_000_000;
const DAY: i64 = 24 * HOUR;
/// China Standard Time, fixed UTC+8.
const CST: i64 = 8 * HOUR;

/// The first shipped rule set: limits in hours and days, a last day never moved.
pub const RULES_2013: &str = include_str!("case_rules/2013.toml");
/// The same limits as the law states them: months as months, a last day on a rest day moved to the
/// next working day except in custody.
pub const RULES_2026: &str = include_str!("case_rules/2026-12.toml");
/// Every shipped rule set, oldest first.
pub const BUILTIN_RULES: [&str; 2] = [RULES_2013, RULES_2026];

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

/// A limit: hours from the starting instant, or days or months with the starting day not counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    Hours(i64),
    Days(i64),
    Months(i64),
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
            "m" => Some(Span::Months(n)),
            _ => None,
        }
    }

    /// Where this span ends when counted from `start`: an instant for hours, else the last day.
    fn end_from(self, start: i64) -> Due {
        match self.period() {
            None => Due::At(start + self.micros()),
            Some(p) => last_day(p, china_date(start)),
        }
    }

    /// Counts on from where a limit ended (an extension adds to the limit it extends).
    fn add_to(self, due: Due) -> Due {
        match (due, self.period()) {
            (Due::At(at), _) if matches!(self, Span::Hours(_) | Span::Days(_)) => {
                Due::At(at + self.micros())
            }
            (Due::At(at), Some(p)) => last_day(p, china_date(at)),
            (Due::LastDay(day), Some(p)) => last_day(p, day),
            (_, None) => Due::At(due.instant() + self.micros()),
        }
    }

    /// Days and months count in whole days; hours do not.
    fn period(self) -> Option<Period> {
        match self {
            Span::Hours(_) => None,
            Span::Days(d) => Some(Period::Days(d)),
            Span::Months(m) => Some(Period::Months(m)),
        }
    }

    /// As a length, for warnings (a month as 30 days).
    pub fn micros(self) -> i64 {
        match self {
            Span::Hours(h) => h * HOUR,
            Span::Days(d) => d * DAY,
            Span::Months(m) => m * 30 * DAY,
        }
    }
}

/// The last day of `period` counted from `day`, not yet moved past rest days (counting itself needs
/// no calendar, so only a date past the end of time fails).
fn last_day(period: Period, day: Date) -> Due {
    Due::LastDay(
        period
            .last_day(day, &HolidayCalendar::default(), LastDay::Fixed)
            .unwrap_or(Date::MAX),
    )
}

/// Where a limit ends: an instant (limits in hours) or the whole of a last day (days and months).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Due {
    At(i64),
    LastDay(Date),
}

impl Due {
    /// The instant, before any moving past rest days.
    fn instant(self) -> i64 {
        match self {
            Due::At(at) => at,
            Due::LastDay(d) => end_of_china_day(d),
        }
    }

    fn later(self, other: Due) -> Due {
        if other.instant() > self.instant() {
            other
        } else {
            self
        }
    }
}

fn epoch() -> Date {
    jiff::civil::date(1970, 1, 1)
}

/// The China date of a UTC µs instant.
fn china_date(at: i64) -> Date {
    let days = (at + CST).div_euclid(DAY);
    epoch()
        .checked_add(jiff::Span::new().days(days))
        .unwrap_or(Date::MAX)
}

/// 24:00 China time of `day`, in UTC µs.
fn end_of_china_day(day: Date) -> i64 {
    let days = (day - epoch()).get_days() as i64;
    (days + 1) * DAY - CST
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
        /// A period of custody (在押期间): it ends when it ends, holiday or not (art. 105).
        #[serde(default)]
        custody: bool,
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
    #[serde(default)]
    rest_days_move_last_day: bool,
    #[serde(rename = "rule")]
    rules: Vec<Check>,
}

/// A versioned rule set, in force from a local date.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSet {
    pub version: String,
    pub name: String,
    pub effective_from: jiff::civil::Date,
    /// A last day (of a limit in days or months) that is a rest day moves to the next working day,
    /// except for custody — 刑事诉讼法 art. 105. Sets before this was counted keep `false`, so their
    /// past answers stay as they were.
    pub rest_days_move_last_day: bool,
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
            rest_days_move_last_day: f.rest_days_move_last_day,
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
    /// The rest days a moved last day skips.
    calendar: HolidayCalendar,
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
        Ok(RuleBook {
            sets,
            starts,
            calendar: HolidayCalendar::default_cn(),
        })
    }

    /// Counts rest days by `calendar` instead of the shipped one.
    pub fn with_calendar(mut self, calendar: HolidayCalendar) -> RuleBook {
        self.calendar = calendar;
        self
    }

    pub fn calendar(&self) -> &HolidayCalendar {
        &self.calendar
    }

    /// The shipped sets with the shipped calendar.
    pub fn default_book() -> RuleBook {
        RuleBook::new(
            BUILTIN_RULES
                .iter()
                .map(|t| RuleSet::from_toml(t).expect("a shipped rule set parses"))
                .collect(),
        )
        .expect("the shipped sets take effect on different dates")
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

impl RuleBook {
    /// When a limit of `span` counted from `start` ends, a last day on a rest day moved as the law
    /// moves it (the unmoved end for a year the calendar lacks).
    pub fn limit_end(&self, start: i64, span: Span) -> i64 {
        self.settle(span.end_from(start), true).0
    }

    /// The due instant of a limit: a last day on a rest day moved to the next working day when
    /// `moves`; a year the calendar lacks is returned beside the unmoved instant.
    fn settle(&self, end: Due, moves: bool) -> (i64, Option<i16>) {
        match end {
            Due::LastDay(day) if moves => match self.calendar.working_day_from(day) {
                Ok(d) => (end_of_china_day(d), None),
                Err(CalendarError::NoYear(y)) => (end.instant(), Some(y)),
                Err(CalendarError::Invalid(_)) => (end.instant(), Some(day.year())),
            },
            _ => (end.instant(), None),
        }
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
    /// The year whose holidays the calendar lacks, when the last day should have been checked
    /// against it: the due instant is then the day as counted, not moved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar_missing: Option<i16>,
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
                    custody,
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
                    let mut limit_end = limit.end_from(start_ev.at);
                    for x in extensions {
                        if let Some(f) = &x.flag {
                            if case.has_flag(f)
                                && let Some(t) = x.total
                            {
                                limit_end = limit_end.later(t.end_from(start_ev.at));
                            }
                            continue;
                        }
                        let Some(ev) = &x.event else { continue };
                        for e in later().filter(|e| e.step == *ev && before_stop(e.at)) {
                            if let Some(add) = x.add {
                                limit_end = add.add_to(limit_end);
                            } else if let Some(max) = x.add_event_days_max {
                                let days = e.days.unwrap_or(max).clamp(0, max);
                                limit_end = Span::Days(days).add_to(limit_end);
                            } else if let Some(t) = x.total {
                                limit_end = limit_end.later(t.end_from(start_ev.at));
                            }
                        }
                    }
                    let moves = set.rest_days_move_last_day && !custody;
                    let (due, calendar_missing) = book.settle(limit_end, moves);
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
                        calendar_missing,
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
        let revised = RULES_2013
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
            RuleSet::from_toml(RULES_2013).unwrap(),
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

    /// `hour` o'clock China time on a date, in UTC µs.
    fn china(date: &str, hour: i64) -> i64 {
        end_of_china_day(date.parse().unwrap()) - DAY + hour * HOUR
    }

    fn accepted(kind: CaseKind, steps: &[(&str, i64)]) -> CaseFacts {
        CaseFacts {
            kind,
            flags: Vec::new(),
            events: steps
                .iter()
                .map(|(step, at)| CaseEvent {
                    step: step.to_string(),
                    at: *at,
                    item: None,
                    days: None,
                })
                .collect(),
        }
    }

    /// The calendar-counting set in force from 2026-01-01 (the shipped one starts on 2026-12-01,
    /// after the 2026 holidays the tests need).
    fn counting_book() -> RuleBook {
        let set = RULES_2026.replace(
            "effective_from = \"2026-12-01\"",
            "effective_from = \"2026-01-01\"",
        );
        RuleBook::new(vec![
            RuleSet::from_toml(RULES_2013).unwrap(),
            RuleSet::from_toml(&set).unwrap(),
        ])
        .unwrap()
    }

    fn due(book: &RuleBook, facts: &CaseFacts, rule: &str) -> (i64, Option<i16>) {
        let e = evaluate(facts, book, facts.events[0].at + HOUR);
        let c = clock(&e, rule);
        (c.due_at, c.calendar_missing)
    }

    #[test]
    fn a_three_day_limit_ending_on_a_rest_day_moves_to_the_next_working_day() {
        let book = counting_book();
        let review = |accepted_on: &str| {
            due(
                &book,
                &accepted(CaseKind::Criminal, &[("accept", china(accepted_on, 10))]),
                "criminal_filing_review",
            )
        };
        // Accepted Wednesday 2 Dec 2026: the third day is Saturday 5 Dec → Monday 7 Dec, 24:00.
        assert_eq!(review("2026-12-02"), (china("2026-12-08", 0), None));
        // The third day is 1 October 2026 (holidays through the 7th): Thursday 8 October.
        assert_eq!(review("2026-09-28"), (china("2026-10-09", 0), None));
        // The third day is Sunday 20 September 2026, a 调休 working day: it stays.
        assert_eq!(review("2026-09-17"), (china("2026-09-21", 0), None));
        // A working third day: as counted.
        assert_eq!(review("2026-12-01"), (china("2026-12-05", 0), None));
    }

    #[test]
    fn custody_ends_when_it_ends_over_a_holiday() {
        let book = counting_book();
        // Detained 28 Sep 2026: the arrest request is due by 1 October, holiday or not, while the
        // filing review accepted the same day moves to 8 October.
        let facts = accepted(
            CaseKind::Criminal,
            &[
                ("accept", china("2026-09-28", 9)),
                ("detain", china("2026-09-28", 10)),
            ],
        );
        assert_eq!(
            due(&book, &facts, "arrest_request"),
            (china("2026-10-02", 0), None)
        );
        assert_eq!(
            due(&book, &facts, "criminal_filing_review"),
            (china("2026-10-09", 0), None)
        );
    }

    #[test]
    fn month_limits_count_to_the_corresponding_day() {
        let book = counting_book();
        // Bail from 31 January 2025: twelve months end on Saturday 31 January 2026, moved to
        // Monday 2 February.
        let bail = accepted(CaseKind::Criminal, &[("bail", china("2025-01-31", 15))]);
        let book_2025 = {
            let set = RULES_2026.replace(
                "effective_from = \"2026-12-01\"",
                "effective_from = \"2025-01-01\"",
            );
            RuleBook::new(vec![RuleSet::from_toml(&set).unwrap()]).unwrap()
        };
        assert_eq!(
            due(&book_2025, &bail, "bail_term"),
            (china("2026-02-03", 0), None)
        );
        // Surveillance from 31 August 2025 (under the 2013 set in this book: 183 days, not moved)…
        let surveillance = accepted(
            CaseKind::Criminal,
            &[("surveillance", china("2025-08-31", 15))],
        );
        assert_eq!(
            due(&book, &surveillance, "surveillance_term"),
            (china("2026-03-03", 0), None)
        );
        // …and from 31 August 2026 under the counting set: six months end on the last day of
        // February 2027, a year the shipped calendar does not know — said, not guessed.
        let surveillance = accepted(
            CaseKind::Criminal,
            &[("surveillance", china("2026-08-31", 15))],
        );
        assert_eq!(
            due(&book, &surveillance, "surveillance_term"),
            (china("2027-03-01", 0), Some(2027))
        );
        // With that year's notice added (here: a year with no holidays), Sunday 28 February 2027
        // moves to Monday 1 March.
        let mut calendar = HolidayCalendar::default_cn();
        calendar.replace_years(
            HolidayCalendar::parse(
                "[[year]]\nyear = 2027\nnotice = \"test\"\nholidays = []\nworking_weekends = []\n",
            )
            .unwrap(),
        );
        let book = counting_book().with_calendar(calendar);
        assert_eq!(
            due(&book, &surveillance, "surveillance_term"),
            (china("2027-03-02", 0), None)
        );
    }

    #[test]
    fn a_replay_across_the_calendar_set_gives_the_old_answer_for_the_old_instant() {
        let book = RuleBook::default_book();
        assert_eq!(
            book.sets()
                .iter()
                .map(|s| s.version.as_str())
                .collect::<Vec<_>>(),
            ["2013", "2026-12"]
        );
        // Accepted Wednesday 25 November 2026: the third day, Saturday 28 November, was the limit
        // then and stays the limit in every replay — overdue at 29 Nov 09:00 with no filing.
        let before = accepted(CaseKind::Criminal, &[("accept", china("2026-11-25", 10))]);
        let replay = evaluate(&before, &book, china("2026-11-29", 9));
        let c = clock(&replay, "criminal_filing_review");
        assert_eq!(
            (c.version.as_str(), c.due_at, c.state),
            ("2013", china("2026-11-29", 0), ClockState::Overdue)
        );
        assert!(
            evaluate(&before, &book, china("2026-12-30", 9))
                .findings
                .iter()
                .any(|f| f.rule_id == "criminal_filing_review"
                    && f.kind == FindingKind::Overdue
                    && f.due_at == china("2026-11-29", 0)),
            "a later replay keeps the old limit"
        );
        // The same steps a week later count by the new set: Saturday 5 December moves to Monday.
        let after = accepted(CaseKind::Criminal, &[("accept", china("2026-12-02", 10))]);
        let c = clock(
            &evaluate(&after, &book, china("2026-12-07", 9)),
            "criminal_filing_review",
        )
        .clone();
        assert_eq!(
            (c.version.as_str(), c.due_at, c.state),
            ("2026-12", china("2026-12-08", 0), ClockState::Warning)
        );
        // The limits the law states in months are months there, and only there.
        let months = |v: &str, id: &str| match &book
            .sets()
            .iter()
            .find(|s| s.version == v)
            .unwrap()
            .rule(id)
            .unwrap()
            .check
        {
            Check::Deadline { limit, .. } => *limit,
            Check::Order { .. } => unreachable!(),
        };
        assert_eq!(months("2026-12", "bail_term"), Span::Months(12));
        assert_eq!(months("2026-12", "surveillance_term"), Span::Months(6));
        assert_eq!(months("2013", "bail_term"), Span::Days(365));
    }

    #[test]
    fn bad_rule_sets_are_refused_with_the_rule_named() {
        let bad = RULES_2013.replacen("start = \"accept\"", "start = \"acept\"", 1);
        assert_eq!(
            RuleSet::from_toml(&bad),
            Err(RuleError::Rule {
                rule: "criminal_filing_review".into(),
                message: "unknown step \"acept\"".into()
            })
        );
        let bad = RULES_2013.replacen("limit = \"3d\"", "limit = \"3 weeks\"", 1);
        assert!(
            matches!(RuleSet::from_toml(&bad), Err(RuleError::Toml(m)) if m.contains("3 weeks"))
        );
        assert!(matches!(
            RuleBook::new(vec![
                RuleSet::from_toml(RULES_2013).unwrap(),
                RuleSet::from_toml(RULES_2013).unwrap()
            ]),
            Err(RuleError::SameDate(_))
        ));
        assert_eq!(Span::parse("72h"), Some(Span::Hours(72)));
        assert_eq!(Span::parse("12m"), Some(Span::Months(12)));
        assert_eq!(Span::parse("-1d"), None);
        assert_eq!(Span::parse("d"), None);
    }
}
