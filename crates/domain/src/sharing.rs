//! 警网融合 events: what a change tells partner systems. An event has a type (`incident.received`), a
//! schema version, the aggregate it belongs to (delivery keeps order per aggregate), where it happened
//! (the area path an agreement's areas are matched against) and a payload whose fields are listed
//! here with whether they are personal — an agreement allows fields by name, personal ones only with a
//! legal basis and purpose. A payload never holds a caller's or party's identity: those stay sealed in
//! their records.

use serde_json::{Map, Value};

/// What happened, as partners subscribe to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventType {
    /// 接警: an incident was received on any channel.
    IncidentReceived,
    /// An incident moved on (dispatched, arrived, resolved, closed, transferred, merged, cancelled…).
    IncidentStatusChanged,
    /// 矛盾纠纷登记: a dispute was registered.
    DisputeRegistered,
    /// A dispute moved on (accepted, escalated, agreed, closed…).
    DisputeStatusChanged,
    /// 交办: a supervised task was assigned.
    TaskAssigned,
    /// A task moved on: progress, submission, acceptance or return, a card, a new deadline.
    TaskUpdated,
    /// 风险联排: a risk was registered.
    RiskRegistered,
    /// A risk moved on (ordered to rectify, re-inspected, closed).
    RiskStatusChanged,
    /// 入户走访: a household or place visit was recorded.
    VisitRecorded,
    /// A case (执法办案) reached a procedural milestone: accepted, filed, solved, closed, not accepted,
    /// not filed, revoked. Custody measures and other per-person steps are not shared.
    CaseStatusChanged,
    /// 预警信息发布: a public alert (CAP 1.2) was approved and published.
    AlertPublished,
}

/// One field of a payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    /// JSON type as the schema states it: `string`, `integer`, `number`, `string|null`…
    pub json_type: &'static str,
    /// Names, free text that may name people: removed unless an agreement's legal basis allows it.
    pub personal: bool,
    pub description: &'static str,
}

const fn f(
    name: &'static str,
    json_type: &'static str,
    personal: bool,
    description: &'static str,
) -> Field {
    Field {
        name,
        json_type,
        personal,
        description,
    }
}

const INCIDENT_RECEIVED: &[Field] = &[
    f(
        "number",
        "string",
        false,
        "The incident's number (警情编号).",
    ),
    f(
        "channel",
        "string",
        false,
        "How it came in: call_110, grid_worker, patrol, resident, camera…",
    ),
    f(
        "type_code",
        "string",
        false,
        "Incident type code (警情类别).",
    ),
    f(
        "level",
        "integer",
        false,
        "Urgency level, 1 (most urgent) to 4.",
    ),
    f("status", "string", false, "Status after receipt."),
    f("address", "string", false, "Where, as reported."),
    f("lng", "number", false, "WGS-84 longitude."),
    f("lat", "number", false, "WGS-84 latitude."),
    f("grid_code", "string|null", false, "The grid it lies in."),
    f(
        "village_code",
        "string|null",
        false,
        "The village (community) it lies in.",
    ),
    f(
        "area_path",
        "string",
        false,
        "Area path, e.g. /330681/330681109/.",
    ),
    f(
        "reported_at",
        "string",
        false,
        "When it happened as reported (RFC 3339).",
    ),
    f(
        "received_at",
        "string",
        false,
        "When it was received (RFC 3339).",
    ),
    f(
        "description",
        "string",
        true,
        "The report's text (may name people).",
    ),
];

const INCIDENT_STATUS_CHANGED: &[Field] = &[
    f("number", "string", false, "The incident's number."),
    f("type_code", "string", false, "Incident type code."),
    f("level", "integer", false, "Urgency level, 1 to 4."),
    f(
        "action",
        "string",
        false,
        "What was done: dispatch, acknowledge, arrive, resolve, close, transfer, merge, cancel…",
    ),
    f("from_status", "string", false, "Status before."),
    f("status", "string", false, "Status after."),
    f("at", "string", false, "When (RFC 3339)."),
    f("area_path", "string", false, "Area path."),
    f("grid_code", "string|null", false, "The grid it lies in."),
    f(
        "transfer_target",
        "string|null",
        false,
        "Where a transfer sent it (station, mediation, other agency).",
    ),
    f(
        "merged_into",
        "string|null",
        false,
        "The incident it was merged into.",
    ),
    f(
        "note",
        "string|null",
        true,
        "The note recorded with the step (may name people).",
    ),
];

const DISPUTE_REGISTERED: &[Field] = &[
    f("number", "string", false, "The dispute's number."),
    f("type_code", "string", false, "Dispute type code."),
    f(
        "source",
        "string",
        false,
        "Where it came from (walk-in, grid worker, incident transfer, hotline…).",
    ),
    f(
        "tier",
        "string",
        false,
        "The tier handling it: grid, village, township, district.",
    ),
    f("status", "string", false, "Status after registration."),
    f("area_path", "string", false, "Area path."),
    f("grid_code", "string|null", false, "The grid it lies in."),
    f(
        "registered_at",
        "string",
        false,
        "When it was registered (RFC 3339).",
    ),
    f(
        "tier_due",
        "string",
        false,
        "When the tier's time is up (RFC 3339).",
    ),
    f(
        "summary",
        "string",
        true,
        "What the dispute is about (may name people).",
    ),
];

const DISPUTE_STATUS_CHANGED: &[Field] = &[
    f("number", "string", false, "The dispute's number."),
    f(
        "action",
        "string",
        false,
        "What was done: accept, escalate, agree, close, reopen…",
    ),
    f("from_status", "string", false, "Status before."),
    f("status", "string", false, "Status after."),
    f(
        "tier",
        "string",
        false,
        "The tier handling it after the step.",
    ),
    f("at", "string", false, "When (RFC 3339)."),
    f("area_path", "string", false, "Area path."),
    f("grid_code", "string|null", false, "The grid it lies in."),
];

const TASK_ASSIGNED: &[Field] = &[
    f(
        "title",
        "string",
        true,
        "What is to be done (may name people).",
    ),
    f("status", "string", false, "Status after assignment."),
    f("due_on", "string", false, "The deadline day (YYYY-MM-DD)."),
    f(
        "area_path",
        "string",
        false,
        "Area path of the lead organisation.",
    ),
    f(
        "source",
        "string",
        false,
        "Where it came from: direct, meeting decision or risk order.",
    ),
    f(
        "assigned_at",
        "string",
        false,
        "When it was assigned (RFC 3339).",
    ),
];

const TASK_UPDATED: &[Field] = &[
    f("from_status", "string", false, "Status before."),
    f("status", "string", false, "Status after."),
    f(
        "card",
        "string",
        false,
        "Supervision card: normal, yellow or red.",
    ),
    f("progress", "integer", false, "Progress in percent."),
    f("due_on", "string", false, "The deadline day (YYYY-MM-DD)."),
    f(
        "area_path",
        "string",
        false,
        "Area path of the lead organisation.",
    ),
    f("at", "string", false, "When (RFC 3339)."),
];

const RISK_REGISTERED: &[Field] = &[
    f(
        "title",
        "string",
        true,
        "What the risk is (may name people or households).",
    ),
    f("category", "string", false, "Risk category code."),
    f(
        "level",
        "string",
        false,
        "Risk level: low, medium, high, major.",
    ),
    f("status", "string", false, "Status after registration."),
    f(
        "source",
        "string",
        false,
        "How it was found (patrol, visit, screening…).",
    ),
    f("grid_code", "string", false, "The grid it lies in."),
    f("area_path", "string", false, "Area path."),
    f(
        "lng",
        "number|null",
        false,
        "WGS-84 longitude, when located.",
    ),
    f(
        "lat",
        "number|null",
        false,
        "WGS-84 latitude, when located.",
    ),
    f("found_at", "string", false, "When it was found (RFC 3339)."),
];

const RISK_STATUS_CHANGED: &[Field] = &[
    f("from_status", "string", false, "Status before."),
    f("status", "string", false, "Status after."),
    f("category", "string", false, "Risk category code."),
    f("level", "string", false, "Risk level."),
    f("grid_code", "string", false, "The grid it lies in."),
    f("area_path", "string", false, "Area path."),
    f("at", "string", false, "When (RFC 3339)."),
];

const VISIT_RECORDED: &[Field] = &[
    f("grid_code", "string", false, "The grid visited."),
    f("area_path", "string", false, "Area path."),
    f("kind", "string", false, "household or place."),
    f(
        "topics",
        "string",
        false,
        "Topics covered: codes, comma-separated (anti_fraud,safety).",
    ),
    f("visited_at", "string", false, "When (RFC 3339)."),
    f(
        "note",
        "string",
        true,
        "The visitor's note (may name people).",
    ),
];

const CASE_STATUS_CHANGED: &[Field] = &[
    f("number", "string", false, "The case's number (案件编号)."),
    f(
        "case_kind",
        "string",
        false,
        "criminal (刑事) or administrative (行政).",
    ),
    f(
        "step",
        "string",
        false,
        "The milestone: accept, not_accept, file, not_file, solve, close, revoke.",
    ),
    f("status", "string", false, "open or closed, after the step."),
    f(
        "incident_id",
        "string|null",
        false,
        "The incident it came from (the aggregate id of its incident events).",
    ),
    f("area_path", "string", false, "Area path."),
    f(
        "at",
        "string",
        false,
        "When the step took effect (RFC 3339).",
    ),
    f(
        "title",
        "string",
        true,
        "The case's title (may name people).",
    ),
];

const ALERT_PUBLISHED: &[Field] = &[
    f("identifier", "string", false, "The CAP identifier."),
    f(
        "msg_type",
        "string",
        false,
        "CAP msgType: Alert, Update or Cancel.",
    ),
    f("event", "string", false, "What the alert is about."),
    f("urgency", "string", false, "CAP urgency."),
    f("severity", "string", false, "CAP severity."),
    f("certainty", "string", false, "CAP certainty."),
    f("headline", "string", false, "Headline as published."),
    f("area_desc", "string", false, "The areas, as published."),
    f("area_path", "string", false, "Area path of the first area."),
    f("sent", "string", false, "When it was sent (RFC 3339)."),
    f(
        "expires",
        "string|null",
        false,
        "When it expires (RFC 3339).",
    ),
];

impl EventType {
    pub const ALL: &'static [EventType] = &[
        EventType::IncidentReceived,
        EventType::IncidentStatusChanged,
        EventType::DisputeRegistered,
        EventType::DisputeStatusChanged,
        EventType::TaskAssigned,
        EventType::TaskUpdated,
        EventType::RiskRegistered,
        EventType::RiskStatusChanged,
        EventType::VisitRecorded,
        EventType::CaseStatusChanged,
        EventType::AlertPublished,
    ];

    pub fn code(self) -> &'static str {
        match self {
            EventType::IncidentReceived => "incident.received",
            EventType::IncidentStatusChanged => "incident.status_changed",
            EventType::DisputeRegistered => "dispute.registered",
            EventType::DisputeStatusChanged => "dispute.status_changed",
            EventType::TaskAssigned => "task.assigned",
            EventType::TaskUpdated => "task.updated",
            EventType::RiskRegistered => "risk.registered",
            EventType::RiskStatusChanged => "risk.status_changed",
            EventType::VisitRecorded => "visit.recorded",
            EventType::CaseStatusChanged => "case.status_changed",
            EventType::AlertPublished => "alert.published",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|t| t.code() == s)
    }

    /// The payload's schema version: raised when a field changes meaning or goes (a new field is
    /// added within a version, and consumers ignore fields they do not know).
    pub fn version(self) -> u32 {
        1
    }

    /// The kind of record the event belongs to (its order is kept per record).
    pub fn aggregate(self) -> &'static str {
        match self {
            EventType::IncidentReceived | EventType::IncidentStatusChanged => "incident",
            EventType::DisputeRegistered | EventType::DisputeStatusChanged => "dispute",
            EventType::TaskAssigned | EventType::TaskUpdated => "task",
            EventType::RiskRegistered | EventType::RiskStatusChanged => "risk",
            EventType::VisitRecorded => "visit",
            EventType::CaseStatusChanged => "case",
            EventType::AlertPublished => "public_alert",
        }
    }

    pub fn fields(self) -> &'static [Field] {
        match self {
            EventType::IncidentReceived => INCIDENT_RECEIVED,
            EventType::IncidentStatusChanged => INCIDENT_STATUS_CHANGED,
            EventType::DisputeRegistered => DISPUTE_REGISTERED,
            EventType::DisputeStatusChanged => DISPUTE_STATUS_CHANGED,
            EventType::TaskAssigned => TASK_ASSIGNED,
            EventType::TaskUpdated => TASK_UPDATED,
            EventType::RiskRegistered => RISK_REGISTERED,
            EventType::RiskStatusChanged => RISK_STATUS_CHANGED,
            EventType::VisitRecorded => VISIT_RECORDED,
            EventType::CaseStatusChanged => CASE_STATUS_CHANGED,
            EventType::AlertPublished => ALERT_PUBLISHED,
        }
    }

    pub fn field(self, name: &str) -> Option<&'static Field> {
        self.fields().iter().find(|f| f.name == name)
    }
}

/// A payload written as a JSON object literal (`json!({...})`); anything else is an empty payload,
/// which `Event::check` refuses.
pub fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// An instant (UTC µs) as payloads write it: RFC 3339 in UTC.
pub fn rfc3339(us: i64) -> String {
    crate::time::from_micros(us).to_string()
}

/// A change as partners will be told of it, before delivery wraps it.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub event_type: EventType,
    pub aggregate_id: String,
    pub area_path: String,
    /// UTC µs.
    pub occurred_at: i64,
    pub data: Map<String, Value>,
}

/// A payload that does not match its type's field list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error("{event}: field {field} is not in the schema")]
    Unknown { event: &'static str, field: String },
    #[error("{event}: field {field} is missing")]
    Missing {
        event: &'static str,
        field: &'static str,
    },
    #[error("{event}: field {field} should be {expected}")]
    Type {
        event: &'static str,
        field: &'static str,
        expected: &'static str,
    },
}

fn type_matches(json_type: &str, v: &Value) -> bool {
    json_type.split('|').any(|t| match t {
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        _ => false,
    })
}

impl Event {
    /// Checks the payload against the field list: every field present, of its type, and no other.
    pub fn check(&self) -> Result<(), PayloadError> {
        let event = self.event_type.code();
        for k in self.data.keys() {
            if self.event_type.field(k).is_none() {
                return Err(PayloadError::Unknown {
                    event,
                    field: k.clone(),
                });
            }
        }
        for f in self.event_type.fields() {
            let v = self.data.get(f.name).ok_or(PayloadError::Missing {
                event,
                field: f.name,
            })?;
            if !type_matches(f.json_type, v) {
                return Err(PayloadError::Type {
                    event,
                    field: f.name,
                    expected: f.json_type,
                });
            }
        }
        Ok(())
    }
}

/// What an agreement lets through of a payload: the fields it names, and of those the personal ones
/// only when `personal_allowed` (a legal basis and purpose that allow them). Everything else is
/// removed, names the schema does not know included.
pub fn redact(
    event_type: EventType,
    data: &Map<String, Value>,
    allowed: &[String],
    personal_allowed: bool,
) -> Map<String, Value> {
    data.iter()
        .filter(|(k, _)| {
            allowed.iter().any(|a| a == *k)
                && event_type
                    .field(k)
                    .is_some_and(|f| personal_allowed || !f.personal)
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// 共享协议: what one partner organisation may receive, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Agreement {
    pub id: String,
    /// The partner organisation (an `orgs` row of kind partner).
    pub partner_org_id: String,
    /// Per event type, the payload fields allowed (anything else is removed).
    pub fields: std::collections::BTreeMap<EventType, Vec<String>>,
    /// Area paths whose events it covers (an event's area path starts with one of them).
    pub area_paths: Vec<String>,
    /// 用途: what the partner uses the data for.
    pub purpose: String,
    /// 法律依据: the law or regulation that allows personal fields; without it none is sent.
    pub legal_basis: Option<String>,
    /// Local dates, inclusive.
    pub valid_from: jiff::civil::Date,
    pub valid_to: jiff::civil::Date,
    pub status: AgreementStatus,
}

/// Where an agreement stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgreementStatus {
    /// Drafted; nothing is delivered until the security administrator approves it.
    Pending,
    Approved,
    /// Ended by revocation (the end is final: a new agreement is drafted instead).
    Revoked,
}

impl AgreementStatus {
    pub const ALL: &'static [AgreementStatus] = &[
        AgreementStatus::Pending,
        AgreementStatus::Approved,
        AgreementStatus::Revoked,
    ];

    pub fn code(self) -> &'static str {
        match self {
            AgreementStatus::Pending => "pending",
            AgreementStatus::Approved => "approved",
            AgreementStatus::Revoked => "revoked",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|x| x.code() == s)
    }
}

/// Why an agreement step is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgreementError {
    #[error("only a pending agreement can be approved")]
    NotPending,
    #[error("the person who drafted an agreement does not approve it")]
    SelfApproval,
    #[error("the agreement is already revoked")]
    AlreadyRevoked,
    #[error("the agreement has ended")]
    Ended,
}

impl Agreement {
    /// Whether it delivers at `day` (a local date): approved, and the day within its validity.
    pub fn in_force(&self, day: jiff::civil::Date) -> bool {
        self.status == AgreementStatus::Approved && self.valid_from <= day && day <= self.valid_to
    }

    /// The payload this agreement lets through for `event` on `day`, or `None` when it does not
    /// cover it (not in force, another type, another area). Personal fields only with a legal basis.
    pub fn allows(&self, event: &Event, day: jiff::civil::Date) -> Option<Map<String, Value>> {
        if !self.in_force(day) {
            return None;
        }
        let allowed = self.fields.get(&event.event_type)?;
        if !self
            .area_paths
            .iter()
            .any(|p| event.area_path.starts_with(p.as_str()))
        {
            return None;
        }
        Some(redact(
            event.event_type,
            &event.data,
            allowed,
            self.legal_basis
                .as_deref()
                .is_some_and(|b| !b.trim().is_empty()),
        ))
    }

    /// Approval by the security administrator `by`, who did not draft it (`drafted_by`), on `day`.
    pub fn approve(
        &self,
        by: &str,
        drafted_by: &str,
        day: jiff::civil::Date,
    ) -> Result<AgreementStatus, AgreementError> {
        if self.status != AgreementStatus::Pending {
            return Err(AgreementError::NotPending);
        }
        if by == drafted_by {
            return Err(AgreementError::SelfApproval);
        }
        if day > self.valid_to {
            return Err(AgreementError::Ended);
        }
        Ok(AgreementStatus::Approved)
    }

    /// Revocation: final, from pending or approved.
    pub fn revoke(&self) -> Result<AgreementStatus, AgreementError> {
        match self.status {
            AgreementStatus::Revoked => Err(AgreementError::AlreadyRevoked),
            _ => Ok(AgreementStatus::Revoked),
        }
    }
}

/// Which of a partner's agreements a delivery goes under, and the payload it lets through: among
/// those in force on `day` that allow the event, the one allowing the most fields (the first by id
/// on a tie). `None`: nothing is sent.
pub fn choose<'a>(
    agreements: &'a [Agreement],
    event: &Event,
    day: jiff::civil::Date,
) -> Option<(&'a Agreement, Map<String, Value>)> {
    let mut best: Option<(&Agreement, Map<String, Value>)> = None;
    for a in agreements {
        let Some(data) = a.allows(event, day) else {
            continue;
        };
        let better = match &best {
            None => true,
            Some((b, d)) => data.len() > d.len() || (data.len() == d.len() && a.id < b.id),
        };
        if better {
            best = Some((a, data));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn codes_are_unique_and_parse_back() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.code()), Some(*t));
            let mut names: Vec<&str> = t.fields().iter().map(|f| f.name).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), t.fields().len(), "{}", t.code());
        }
    }

    fn sample(t: EventType) -> Map<String, Value> {
        t.fields()
            .iter()
            .map(|f| {
                let v = match f.json_type.split('|').next().unwrap() {
                    "integer" => Value::from(1),
                    "number" => Value::from(1.5),
                    _ => Value::from(format!("{}-value", f.name)),
                };
                (f.name.to_string(), v)
            })
            .collect()
    }

    #[test]
    fn a_payload_is_checked_against_its_fields() {
        let t = EventType::IncidentReceived;
        let mut e = Event {
            event_type: t,
            aggregate_id: "i1".into(),
            area_path: "/330681/".into(),
            occurred_at: 0,
            data: sample(t),
        };
        assert_eq!(e.check(), Ok(()));
        e.data
            .insert("caller_phone".into(), Value::from("13800000000"));
        assert!(matches!(e.check(), Err(PayloadError::Unknown { .. })));
        e.data.remove("caller_phone");
        e.data.insert("level".into(), Value::from("high"));
        assert!(matches!(e.check(), Err(PayloadError::Type { .. })));
        e.data.remove("level");
        assert!(matches!(e.check(), Err(PayloadError::Missing { .. })));
    }

    proptest! {
        /// Whatever an agreement names and whatever a payload carries, nothing outside the agreement
        /// — and nothing personal without a legal basis — comes through.
        #[test]
        fn redaction_lets_through_only_what_the_agreement_allows(
            t in prop::sample::select(EventType::ALL.to_vec()),
            picks in prop::collection::vec(any::<prop::sample::Index>(), 0..20),
            extra in prop::collection::vec("[a-z_]{1,12}", 0..5),
            personal in any::<bool>(),
        ) {
            let mut data = sample(t);
            for x in &extra {
                data.insert(x.clone(), Value::from("stray"));
            }
            let names: Vec<&str> = t.fields().iter().map(|f| f.name).collect();
            let mut allowed: Vec<String> = picks.iter().map(|i| i.get(&names).to_string()).collect();
            allowed.extend(extra.iter().take(2).cloned());
            let out = redact(t, &data, &allowed, personal);
            for k in out.keys() {
                prop_assert!(allowed.contains(k));
                let field = t.field(k);
                prop_assert!(field.is_some(), "unknown field {} let through", k);
                prop_assert!(personal || !field.unwrap().personal, "personal field {} let through", k);
            }
            // And everything allowed that the payload has and the schema knows does come through.
            for a in &allowed {
                if let Some(f) = t.field(a)
                    && (personal || !f.personal)
                {
                    prop_assert!(out.contains_key(a));
                }
            }
        }
    }

    fn date(offset: i64) -> jiff::civil::Date {
        jiff::civil::date(2026, 12, 1)
            .checked_add(jiff::Span::new().days(offset))
            .unwrap()
    }

    fn agreement_strategy() -> impl Strategy<Value = Agreement> {
        (
            prop::collection::btree_map(
                prop::sample::select(EventType::ALL.to_vec()),
                prop::collection::vec("[a-z_]{1,14}", 0..8),
                0..4,
            ),
            prop::collection::vec(
                prop::sample::select(vec!["/330681/", "/330681/330681109/", "/330682/"]),
                1..3,
            ),
            prop::option::of("[a-z ]{0,12}"),
            0i64..40,
            0i64..40,
            prop::sample::select(AgreementStatus::ALL.to_vec()),
        )
            .prop_map(|(mut fields, areas, basis, a, b, status)| {
                // Half of each list from the schema's own names, so fields do come through.
                for (t, names) in fields.iter_mut() {
                    for (i, f) in t.fields().iter().enumerate() {
                        if i % 2 == 0 {
                            names.push(f.name.to_string());
                        }
                    }
                }
                Agreement {
                    id: "a".into(),
                    partner_org_id: "p".into(),
                    fields,
                    area_paths: areas.into_iter().map(String::from).collect(),
                    purpose: "网格化服务管理".into(),
                    legal_basis: basis,
                    valid_from: date(a.min(b)),
                    valid_to: date(a.max(b)),
                    status,
                }
            })
    }

    proptest! {
        /// Over random agreements, events and days: nothing is delivered outside an approved
        /// agreement's days, types or areas; what is delivered holds only the agreement's fields, and
        /// personal ones only under a legal basis.
        #[test]
        fn an_agreement_delivers_only_what_it_allows_while_in_force(
            ag in agreement_strategy(),
            t in prop::sample::select(EventType::ALL.to_vec()),
            area in prop::sample::select(vec!["/330681/330681109/330681109004/", "/330682/330682100/", "/330681/330681001/"]),
            day in -5i64..50,
        ) {
            let event = Event {
                event_type: t,
                aggregate_id: "x".into(),
                area_path: area.into(),
                occurred_at: 0,
                data: sample(t),
            };
            let d = date(day);
            match ag.allows(&event, d) {
                None => {}
                Some(out) => {
                    prop_assert_eq!(ag.status, AgreementStatus::Approved);
                    prop_assert!(ag.valid_from <= d && d <= ag.valid_to, "delivered outside its days");
                    prop_assert!(ag.area_paths.iter().any(|p| area.starts_with(p.as_str())));
                    let allowed = &ag.fields[&t];
                    let basis = ag.legal_basis.as_deref().is_some_and(|b| !b.trim().is_empty());
                    for k in out.keys() {
                        prop_assert!(allowed.contains(k), "{} not in the agreement", k);
                        prop_assert!(basis || !t.field(k).unwrap().personal, "personal {} without a basis", k);
                    }
                }
            }
            let revoked = Agreement { status: AgreementStatus::Revoked, ..ag.clone() };
            prop_assert!(revoked.allows(&event, d).is_none());
            prop_assert!(ag.allows(&event, ag.valid_to.tomorrow().unwrap()).is_none(), "an expired agreement delivers nothing");
        }
    }

    proptest! {
        /// A partner with several agreements: the delivery names one of them, carries only that
        /// agreement's fields, and nothing goes when none is in force for the event.
        #[test]
        fn a_delivery_goes_under_one_agreement_that_allows_all_it_carries(
            ags in prop::collection::vec(agreement_strategy(), 0..4),
            t in prop::sample::select(EventType::ALL.to_vec()),
            area in prop::sample::select(vec!["/330681/330681109/330681109004/", "/330682/330682100/"]),
            day in -5i64..50,
        ) {
            let ags: Vec<Agreement> = ags
                .into_iter()
                .enumerate()
                .map(|(i, a)| Agreement { id: format!("a{i}"), ..a })
                .collect();
            let event = Event {
                event_type: t,
                aggregate_id: "x".into(),
                area_path: area.into(),
                occurred_at: 0,
                data: sample(t),
            };
            let d = date(day);
            match choose(&ags, &event, d) {
                None => prop_assert!(ags.iter().all(|a| a.allows(&event, d).is_none())),
                Some((a, out)) => {
                    prop_assert!(a.in_force(d));
                    let again = a.allows(&event, d);
                    prop_assert_eq!(Some(&out), again.as_ref());
                    for other in &ags {
                        if let Some(o) = other.allows(&event, d) {
                            prop_assert!(o.len() <= out.len());
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn approval_needs_a_second_person_and_a_pending_agreement() {
        let ag = Agreement {
            id: "a".into(),
            partner_org_id: "p".into(),
            fields: Default::default(),
            area_paths: vec!["/330681/".into()],
            purpose: "x".into(),
            legal_basis: None,
            valid_from: date(0),
            valid_to: date(30),
            status: AgreementStatus::Pending,
        };
        assert_eq!(
            ag.approve("u1", "u1", date(1)),
            Err(AgreementError::SelfApproval)
        );
        assert_eq!(ag.approve("u2", "u1", date(31)), Err(AgreementError::Ended));
        assert_eq!(
            ag.approve("u2", "u1", date(1)),
            Ok(AgreementStatus::Approved)
        );
        let approved = Agreement {
            status: AgreementStatus::Approved,
            ..ag.clone()
        };
        assert_eq!(
            approved.approve("u2", "u1", date(1)),
            Err(AgreementError::NotPending)
        );
        assert_eq!(approved.revoke(), Ok(AgreementStatus::Revoked));
        let revoked = Agreement {
            status: AgreementStatus::Revoked,
            ..ag
        };
        assert_eq!(revoked.revoke(), Err(AgreementError::AlreadyRevoked));
    }
}
