//! Incidents (警情): the 110 type codes, levels, intake channels, the lifecycle state machine and the
//! response clocks derived from it.
//!
//! The lifecycle is 接警 received → 派警 dispatched → 接收 acknowledged → 到场 on scene → 处置完毕 resolved →
//! 反馈 reported back → 结案 closed, with three exits: merged (a duplicate of another incident),
//! transferred (流转 to mediation, fire, another station or agency) and cancelled. `Status::apply` is the
//! only way a status changes; anything else is an `IllegalTransition`.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The leading digits of a 6-digit type code give its category (domain.md, vendor table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Criminal,
    PublicOrder,
    Traffic,
    FireRescue,
    Assistance,
    SocialLinkage,
    PoliceAssistance,
    Group,
    Disaster,
    Tipoff,
    Complaint,
    Other,
}

impl Category {
    pub const ALL: [Category; 12] = [
        Category::Criminal,
        Category::PublicOrder,
        Category::Traffic,
        Category::FireRescue,
        Category::Assistance,
        Category::SocialLinkage,
        Category::PoliceAssistance,
        Category::Group,
        Category::Disaster,
        Category::Tipoff,
        Category::Complaint,
        Category::Other,
    ];

    /// The category of a type code; `None` when no category starts with its digits.
    pub fn of(code: &TypeCode) -> Option<Category> {
        let c = code.as_str();
        let two = &c[..2];
        Some(match two {
            "60" => Category::SocialLinkage,
            "65" => Category::PoliceAssistance,
            "90" => Category::Tipoff,
            "95" => Category::Complaint,
            "99" => Category::Other,
            _ => match &c[..1] {
                "1" => Category::Criminal,
                "2" => Category::PublicOrder,
                "3" => Category::Traffic,
                "4" => Category::FireRescue,
                "5" => Category::Assistance,
                "7" => Category::Group,
                "8" => Category::Disaster,
                _ => return None,
            },
        })
    }

    /// Stable code, as serialised.
    pub fn code(self) -> &'static str {
        match self {
            Category::Criminal => "criminal",
            Category::PublicOrder => "public_order",
            Category::Traffic => "traffic",
            Category::FireRescue => "fire_rescue",
            Category::Assistance => "assistance",
            Category::SocialLinkage => "social_linkage",
            Category::PoliceAssistance => "police_assistance",
            Category::Group => "group",
            Category::Disaster => "disaster",
            Category::Tipoff => "tipoff",
            Category::Complaint => "complaint",
            Category::Other => "other",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Category::Criminal => "刑事",
            Category::PublicOrder => "治安",
            Category::Traffic => "交通",
            Category::FireRescue => "火灾/抢险救援",
            Category::Assistance => "群众求助",
            Category::SocialLinkage => "社会联动",
            Category::PoliceAssistance => "警种协助",
            Category::Group => "群体事件",
            Category::Disaster => "灾害事故",
            Category::Tipoff => "举报线索",
            Category::Complaint => "投诉监督",
            Category::Other => "其他",
        }
    }
}

/// A 6-digit incident type code (e.g. 200200 治安纠纷) whose leading digits name a category.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TypeCode(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TypeCodeError {
    #[error("a type code has 6 digits")]
    Format,
    #[error("no incident category starts with {0}")]
    Category(String),
}

impl TypeCode {
    pub fn parse(s: &str) -> Result<TypeCode, TypeCodeError> {
        let s = s.trim();
        if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(TypeCodeError::Format);
        }
        let code = TypeCode(s.to_string());
        match Category::of(&code) {
            Some(_) => Ok(code),
            None => Err(TypeCodeError::Category(s[..1].to_string())),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn category(&self) -> Category {
        Category::of(self).unwrap_or(Category::Other)
    }
}

/// The default type table (vendor codes, configurable in the database): code, 中文, English.
pub const DEFAULT_TYPES: &[(&str, &str, &str)] = &[
    ("100100", "盗窃", "Theft"),
    ("100200", "抢劫", "Robbery"),
    ("100300", "诈骗", "Fraud"),
    ("100400", "故意伤害", "Assault causing injury"),
    ("100999", "其他刑事", "Other criminal"),
    ("200100", "打架斗殴", "Fight"),
    ("200200", "治安纠纷", "Public-order dispute"),
    ("200300", "扰乱秩序", "Disturbing public order"),
    ("200400", "噪声扰民", "Noise nuisance"),
    ("200600", "家庭暴力", "Domestic violence"),
    ("200999", "其他治安", "Other public order"),
    ("300100", "交通事故", "Traffic accident"),
    ("300200", "交通堵塞", "Traffic jam"),
    ("400100", "火灾", "Fire"),
    ("400200", "抢险救援", "Rescue"),
    ("500100", "求助", "Request for help"),
    ("500200", "走失人员查找", "Missing person"),
    ("600100", "社会联动", "Referral to another agency"),
    ("650100", "警种协助", "Assistance to another police branch"),
    ("700100", "群体事件", "Group incident"),
    ("800100", "灾害事故", "Disaster or accident"),
    ("900100", "举报线索", "Tip-off"),
    ("950100", "投诉监督", "Complaint about police"),
    ("990000", "其他", "Other"),
];

/// 警情级别: 1 is the most urgent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Level(u8);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("level must be 1 (most urgent) to 4")]
pub struct LevelError;

impl Level {
    pub fn new(n: i64) -> Result<Level, LevelError> {
        if (1..=4).contains(&n) {
            Ok(Level(n as u8))
        } else {
            Err(LevelError)
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }

    /// Index into per-level arrays.
    pub fn index(self) -> usize {
        usize::from(self.0 - 1)
    }
}

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $code:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $v),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),+];
            pub fn code(self) -> &'static str {
                match self { $($name::$v => $code),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.code())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.code() == s)
                    .ok_or_else(|| format!(
                        "must be one of {}",
                        $name::ALL.iter().map(|v| v.code()).collect::<Vec<_>>().join(", ")
                    ))
            }
        }
    };
}
pub(crate) use string_enum;

string_enum! {
    /// How an incident reached us.
    Channel {
        /// 110 operator.
        Call110 = "call_110",
        /// Resident web form (no login).
        Web = "web",
        /// Open311 GeoReport v2 client.
        Open311 = "open311",
        /// 网格员 report from the mobile UI.
        GridReport = "grid_report",
        /// Camera alert webhook (雪亮工程).
        Camera = "camera",
        /// Found by a patrol (巡逻发现).
        Patrol = "patrol",
        /// A 群防群治 team member's report from the phone (群防队员上报).
        Volunteer = "volunteer",
        /// A partner system's inbound event (网格平台, 12345 热线, 数字城管) under 警网融合.
        Partner = "partner",
    }
}

impl Channel {
    /// Channels the public reaches without an account; their incidents carry a tracking code.
    pub fn is_public(self) -> bool {
        matches!(self, Channel::Web | Channel::Open311)
    }
}

string_enum! {
    /// Where an incident is in its lifecycle.
    Status {
        Received = "received",
        Dispatched = "dispatched",
        Acknowledged = "acknowledged",
        OnScene = "on_scene",
        Resolved = "resolved",
        ReportedBack = "reported_back",
        Closed = "closed",
        Merged = "merged",
        Transferred = "transferred",
        Cancelled = "cancelled",
    }
}

string_enum! {
    /// What someone does to an incident.
    Action {
        Dispatch = "dispatch",
        Acknowledge = "acknowledge",
        Arrive = "arrive",
        Resolve = "resolve",
        ReportBack = "report_back",
        Close = "close",
        Merge = "merge",
        Transfer = "transfer",
        Cancel = "cancel",
    }
}

string_enum! {
    /// Where a transferred incident went (流转).
    TransferTarget {
        /// 矛盾纠纷调解.
        Mediation = "mediation",
        Fire = "fire",
        /// Another police station.
        Station = "station",
        /// Another agency (社会联动).
        Agency = "agency",
    }
}

string_enum! {
    /// 回访 result.
    Satisfaction {
        Satisfied = "satisfied",
        BasicallySatisfied = "basically_satisfied",
        Dissatisfied = "dissatisfied",
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("an incident that is {from} cannot be {action}: {hint}")]
pub struct IllegalTransition {
    pub from: Status,
    pub action: Action,
    pub hint: &'static str,
}

impl Status {
    /// Closed, merged, transferred and cancelled incidents take no further action.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Status::Closed | Status::Merged | Status::Transferred | Status::Cancelled
        )
    }

    /// Open = still on the board.
    pub fn is_open(self) -> bool {
        !self.is_terminal()
    }

    /// The one transition table. Dispatching more units, or a second unit acknowledging or arriving,
    /// leaves the status where it is.
    pub fn apply(self, action: Action) -> Result<Status, IllegalTransition> {
        use Action as A;
        use Status as S;
        let next = match (self, action) {
            (S::Received, A::Dispatch) => S::Dispatched,
            (S::Dispatched | S::Acknowledged | S::OnScene, A::Dispatch) => self,
            (S::Dispatched, A::Acknowledge) => S::Acknowledged,
            (S::Acknowledged | S::OnScene, A::Acknowledge) => self,
            (S::Dispatched | S::Acknowledged, A::Arrive) => S::OnScene,
            (S::OnScene, A::Arrive) => S::OnScene,
            (S::OnScene, A::Resolve) => S::Resolved,
            (S::Resolved, A::ReportBack) => S::ReportedBack,
            (S::ReportedBack, A::Close) => S::Closed,
            (S::Received | S::Dispatched | S::Acknowledged, A::Merge) => S::Merged,
            (
                S::Received | S::Dispatched | S::Acknowledged | S::OnScene | S::Resolved,
                A::Transfer,
            ) => S::Transferred,
            (S::Received | S::Dispatched | S::Acknowledged, A::Cancel) => S::Cancelled,
            _ => {
                return Err(IllegalTransition {
                    from: self,
                    action,
                    hint: hint(self, action),
                });
            }
        };
        Ok(next)
    }
}

fn hint(from: Status, action: Action) -> &'static str {
    if from.is_terminal() {
        return "it is finished";
    }
    match action {
        Action::Acknowledge | Action::Arrive => "dispatch a unit first",
        Action::Resolve => "a unit must be on scene first",
        Action::ReportBack => "resolve it first",
        Action::Close => "report back to the reporter first",
        Action::Merge | Action::Cancel => "units are already on scene",
        Action::Transfer => "it has already been reported back",
        Action::Dispatch => "it is finished",
    }
}

/// Timestamps (UTC microseconds) of the lifecycle's milestones; the first occurrence counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Milestones {
    pub received_at: i64,
    pub dispatched_at: Option<i64>,
    pub arrived_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub reported_back_at: Option<i64>,
}

/// The four response clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// 接警 → 派警.
    ReceiptToDispatch,
    /// 派警 → 到场.
    DispatchToArrival,
    /// 到场 → 处置完毕.
    ArrivalToResolution,
    /// 处置完毕 → 反馈.
    ResolutionToFeedback,
}

impl Stage {
    pub const ALL: [Stage; 4] = [
        Stage::ReceiptToDispatch,
        Stage::DispatchToArrival,
        Stage::ArrivalToResolution,
        Stage::ResolutionToFeedback,
    ];
}

/// Area types the arrival targets depend on (城区/城郊/农村).
pub const AREA_TYPES: [&str; 3] = ["urban", "suburban", "rural"];

/// Targets in seconds, per stage and level (index 0 = level 1); arrival also per area type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClockTargets {
    pub dispatch_seconds: [i64; 4],
    pub arrival_seconds_urban: [i64; 4],
    pub arrival_seconds_suburban: [i64; 4],
    pub arrival_seconds_rural: [i64; 4],
    pub resolution_seconds: [i64; 4],
    pub feedback_seconds: [i64; 4],
}

impl Default for ClockTargets {
    /// Local rules: urgent calls on scene in 5 min in town, 10 min in the suburbs; rural "as fast as
    /// possible" is given 20 min so it can be watched at all.
    fn default() -> Self {
        ClockTargets {
            dispatch_seconds: [60, 120, 300, 600],
            arrival_seconds_urban: [300, 300, 600, 1800],
            arrival_seconds_suburban: [600, 600, 900, 2400],
            arrival_seconds_rural: [1200, 1200, 1800, 3600],
            resolution_seconds: [3600, 7200, 14400, 86400],
            feedback_seconds: [3600, 14400, 86400, 86400],
        }
    }
}

impl ClockTargets {
    pub fn target(&self, stage: Stage, level: Level, area_type: &str) -> i64 {
        let i = level.index();
        match stage {
            Stage::ReceiptToDispatch => self.dispatch_seconds[i],
            Stage::DispatchToArrival => match area_type {
                "suburban" => self.arrival_seconds_suburban[i],
                "rural" => self.arrival_seconds_rural[i],
                _ => self.arrival_seconds_urban[i],
            },
            Stage::ArrivalToResolution => self.resolution_seconds[i],
            Stage::ResolutionToFeedback => self.feedback_seconds[i],
        }
    }

    /// Every target must be positive.
    pub fn validate(&self) -> Result<(), String> {
        let all = [
            ("dispatch_seconds", &self.dispatch_seconds),
            ("arrival_seconds_urban", &self.arrival_seconds_urban),
            ("arrival_seconds_suburban", &self.arrival_seconds_suburban),
            ("arrival_seconds_rural", &self.arrival_seconds_rural),
            ("resolution_seconds", &self.resolution_seconds),
            ("feedback_seconds", &self.feedback_seconds),
        ];
        for (name, v) in all {
            if v.iter().any(|s| *s <= 0) {
                return Err(format!("{name}: every target must be > 0 seconds"));
            }
        }
        Ok(())
    }
}

/// One clock: how long the stage took (or has been running), against its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Clock {
    pub stage: Stage,
    /// Seconds from the stage's start to its end, or to now while it runs.
    pub seconds: i64,
    pub target_seconds: i64,
    /// Still running (the stage has not ended).
    pub running: bool,
    pub overdue: bool,
}

impl Milestones {
    fn bounds(&self, stage: Stage) -> (Option<i64>, Option<i64>) {
        match stage {
            Stage::ReceiptToDispatch => (Some(self.received_at), self.dispatched_at),
            Stage::DispatchToArrival => (self.dispatched_at, self.arrived_at),
            Stage::ArrivalToResolution => (self.arrived_at, self.resolved_at),
            Stage::ResolutionToFeedback => (self.resolved_at, self.reported_back_at),
        }
    }

    /// The clocks that have started. A stage that has not ended runs until `now` — unless the incident
    /// left the lifecycle (`open == false`), when an unfinished clock stops counting and is dropped.
    pub fn clocks(
        &self,
        level: Level,
        area_type: &str,
        targets: &ClockTargets,
        now: i64,
        open: bool,
    ) -> Vec<Clock> {
        Stage::ALL
            .into_iter()
            .filter_map(|stage| {
                let (start, end) = self.bounds(stage);
                let start = start?;
                let (end, running) = match end {
                    Some(e) => (e, false),
                    None if open => (now, true),
                    None => return None,
                };
                let seconds = (end - start).max(0) / 1_000_000;
                let target_seconds = targets.target(stage, level, area_type);
                Some(Clock {
                    stage,
                    seconds,
                    target_seconds,
                    running,
                    overdue: seconds > target_seconds,
                })
            })
            .collect()
    }
}

/// Thresholds for duplicate and repeat-location detection (configurable).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RepeatRules {
    /// An open incident of the same category this close …
    pub duplicate_radius_m: f64,
    /// … and this recent is a likely duplicate.
    pub duplicate_window_minutes: i64,
    /// Incidents at the same address or this close count as the same location.
    pub repeat_radius_m: f64,
    pub repeat_window_days: i64,
    /// This many incidents (the new one included) make a repeat location.
    pub repeat_min_count: usize,
    /// Type-code prefixes that count as dispute/domestic incidents.
    pub repeat_type_prefixes: Vec<String>,
}

impl Default for RepeatRules {
    fn default() -> Self {
        RepeatRules {
            duplicate_radius_m: 200.0,
            duplicate_window_minutes: 10,
            repeat_radius_m: 50.0,
            repeat_window_days: 30,
            repeat_min_count: 3,
            repeat_type_prefixes: vec!["2002".into(), "2006".into()],
        }
    }
}

/// What the detectors need to know about an incident.
#[derive(Debug, Clone)]
pub struct Sighting<'a> {
    pub id: &'a str,
    pub type_code: &'a str,
    pub address: &'a str,
    pub lng: f64,
    pub lat: f64,
    pub received_at: i64,
    pub open: bool,
}

impl RepeatRules {
    pub fn counts_for_repeat(&self, type_code: &str) -> bool {
        self.repeat_type_prefixes
            .iter()
            .any(|p| type_code.starts_with(p.as_str()))
    }

    /// Open incidents of the same category within the radius and window of `new`, nearest first, with
    /// their distance in metres.
    pub fn duplicates<'a>(
        &self,
        new: &Sighting<'_>,
        others: &'a [Sighting<'a>],
        distance_m: impl Fn((f64, f64), (f64, f64)) -> f64,
    ) -> Vec<(&'a Sighting<'a>, f64)> {
        let window = self.duplicate_window_minutes * 60_000_000;
        let category = TypeCode::parse(new.type_code).map(|c| c.category()).ok();
        let mut hits: Vec<(&Sighting, f64)> = others
            .iter()
            .filter(|o| o.id != new.id && o.open)
            .filter(|o| (new.received_at - o.received_at).abs() <= window)
            .filter(|o| TypeCode::parse(o.type_code).map(|c| c.category()).ok() == category)
            .map(|o| (o, distance_m((new.lng, new.lat), (o.lng, o.lat))))
            .filter(|(_, d)| *d <= self.duplicate_radius_m)
            .collect();
        hits.sort_by(|a, b| a.1.total_cmp(&b.1));
        hits
    }

    /// Dispute/domestic incidents at the same address or within the repeat radius during the window
    /// before `new`, when they reach the threshold together with `new`; otherwise empty.
    pub fn repeat_location<'a>(
        &self,
        new: &Sighting<'_>,
        others: &'a [Sighting<'a>],
        distance_m: impl Fn((f64, f64), (f64, f64)) -> f64,
    ) -> Vec<&'a Sighting<'a>> {
        if !self.counts_for_repeat(new.type_code) {
            return Vec::new();
        }
        let window = self.repeat_window_days * 86_400_000_000;
        let address = normalise_address(new.address);
        let hits: Vec<&Sighting> = others
            .iter()
            .filter(|o| o.id != new.id && self.counts_for_repeat(o.type_code))
            .filter(|o| {
                o.received_at <= new.received_at && new.received_at - o.received_at <= window
            })
            .filter(|o| {
                (!address.is_empty() && normalise_address(o.address) == address)
                    || distance_m((new.lng, new.lat), (o.lng, o.lat)) <= self.repeat_radius_m
            })
            .collect();
        if hits.len() + 1 >= self.repeat_min_count {
            hits
        } else {
            Vec::new()
        }
    }
}

/// Addresses compared without spaces and punctuation (people type them differently).
pub fn normalise_address(a: &str) -> String {
    a.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn planar(a: (f64, f64), b: (f64, f64)) -> f64 {
        ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
    }

    #[test]
    fn type_codes_and_categories() {
        let c = TypeCode::parse("200600").unwrap();
        assert_eq!(c.category(), Category::PublicOrder);
        assert_eq!(
            TypeCode::parse("650100").unwrap().category(),
            Category::PoliceAssistance
        );
        assert_eq!(
            TypeCode::parse("600100").unwrap().category(),
            Category::SocialLinkage
        );
        assert_eq!(
            TypeCode::parse("950100").unwrap().category(),
            Category::Complaint
        );
        assert_eq!(
            TypeCode::parse("990000").unwrap().category(),
            Category::Other
        );
        assert_eq!(TypeCode::parse("20060"), Err(TypeCodeError::Format));
        assert_eq!(TypeCode::parse("2006a0"), Err(TypeCodeError::Format));
        assert_eq!(
            TypeCode::parse("000100"),
            Err(TypeCodeError::Category("0".into()))
        );
        assert_eq!(
            TypeCode::parse("610000"),
            Err(TypeCodeError::Category("6".into()))
        );
        for (code, _, _) in DEFAULT_TYPES {
            TypeCode::parse(code).unwrap();
        }
    }

    #[test]
    fn levels() {
        assert!(Level::new(0).is_err());
        assert!(Level::new(5).is_err());
        assert_eq!(Level::new(1).unwrap().index(), 0);
    }

    #[test]
    fn the_happy_path() {
        let mut s = Status::Received;
        for (a, want) in [
            (Action::Dispatch, Status::Dispatched),
            (Action::Dispatch, Status::Dispatched),
            (Action::Acknowledge, Status::Acknowledged),
            (Action::Arrive, Status::OnScene),
            (Action::Arrive, Status::OnScene),
            (Action::Resolve, Status::Resolved),
            (Action::ReportBack, Status::ReportedBack),
            (Action::Close, Status::Closed),
        ] {
            s = s.apply(a).unwrap();
            assert_eq!(s, want);
        }
        assert!(s.is_terminal());
    }

    #[test]
    fn illegal_transitions_are_errors_with_a_reason() {
        let e = Status::Received.apply(Action::Resolve).unwrap_err();
        assert_eq!(e.from, Status::Received);
        assert_eq!(
            e.to_string(),
            "an incident that is received cannot be resolve: a unit must be on scene first"
        );
        assert!(Status::OnScene.apply(Action::Cancel).is_err());
        assert!(Status::ReportedBack.apply(Action::Transfer).is_err());
        // Nothing leaves a terminal state.
        for s in [
            Status::Closed,
            Status::Merged,
            Status::Transferred,
            Status::Cancelled,
        ] {
            for a in Action::ALL {
                assert!(s.apply(*a).is_err(), "{s} {a}");
            }
        }
    }

    #[test]
    fn every_state_is_reachable_from_received() {
        let mut seen = vec![Status::Received];
        let mut frontier = vec![Status::Received];
        while let Some(s) = frontier.pop() {
            for a in Action::ALL {
                if let Ok(n) = s.apply(*a)
                    && !seen.contains(&n)
                {
                    seen.push(n);
                    frontier.push(n);
                }
            }
        }
        assert_eq!(seen.len(), Status::ALL.len());
    }

    #[test]
    fn clocks_measure_each_stage_against_its_target() {
        let m = Milestones {
            received_at: 0,
            dispatched_at: Some(90_000_000),
            arrived_at: Some(90_000_000 + 400_000_000),
            resolved_at: None,
            reported_back_at: None,
        };
        let t = ClockTargets::default();
        let level = Level::new(1).unwrap();
        let now = 490_000_000 + 30 * 60_000_000;
        let c = m.clocks(level, "urban", &t, now, true);
        assert_eq!(c.len(), 3);
        assert_eq!((c[0].seconds, c[0].overdue), (90, true)); // target 60 s
        assert_eq!(
            (c[1].seconds, c[1].target_seconds, c[1].overdue),
            (400, 300, true)
        );
        assert_eq!(
            (c[2].seconds, c[2].running, c[2].overdue),
            (1800, true, false)
        );
        // Suburban arrival target is 10 min: 400 s is in time.
        let c = m.clocks(level, "suburban", &t, now, true);
        assert!(!c[1].overdue);
        // A cancelled incident's running clock stops.
        assert_eq!(m.clocks(level, "urban", &t, now, false).len(), 2);
    }

    #[test]
    fn duplicates_need_same_category_near_and_recent() {
        let r = RepeatRules {
            duplicate_radius_m: 200.0,
            ..RepeatRules::default()
        };
        let min = 60_000_000;
        let new = Sighting {
            id: "n",
            type_code: "200100",
            address: "",
            lng: 0.0,
            lat: 0.0,
            received_at: 20 * min,
            open: true,
        };
        let mk = |id, code, x, t, open| Sighting {
            id,
            type_code: code,
            address: "",
            lng: x,
            lat: 0.0,
            received_at: t,
            open,
        };
        let others = vec![
            mk("near", "200200", 150.0, 15 * min, true),
            mk("edge", "200999", 200.0, 10 * min, true),
            mk("far", "200200", 201.0, 15 * min, true),
            mk("old", "200200", 10.0, 9 * min, true),
            mk("closed", "200200", 10.0, 15 * min, false),
            mk("other_category", "300100", 10.0, 15 * min, true),
        ];
        let hits: Vec<&str> = r
            .duplicates(&new, &others, planar)
            .into_iter()
            .map(|(s, _)| s.id)
            .collect();
        assert_eq!(hits, vec!["near", "edge"]);
    }

    #[test]
    fn repeat_location_needs_the_threshold() {
        let r = RepeatRules::default();
        let day = 86_400_000_000;
        let at = |id, addr, x, t| Sighting {
            id,
            type_code: "200600",
            address: addr,
            lng: x,
            lat: 0.0,
            received_at: t,
            open: false,
        };
        let new = at("n", "枫桥镇 陈家村 12号", 0.0, 40 * day);
        let one = vec![at("a", "枫桥镇陈家村12号", 500.0, 35 * day)];
        assert!(r.repeat_location(&new, &one, planar).is_empty());
        let two = vec![
            at("a", "枫桥镇陈家村12号", 500.0, 35 * day),
            at("b", "别处", 49.0, 11 * day),
            at("c", "别处", 30.0, 9 * day), // older than 30 days
        ];
        let ids: Vec<&str> = r
            .repeat_location(&new, &two, planar)
            .into_iter()
            .map(|s| s.id)
            .collect();
        assert_eq!(ids, vec!["a", "b"]);
        // Traffic accidents are not disputes.
        let traffic = Sighting {
            type_code: "300100",
            ..new.clone()
        };
        assert!(r.repeat_location(&traffic, &two, planar).is_empty());
    }
}
