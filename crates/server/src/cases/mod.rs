//! 执法监督: cases registered by their station, procedural steps recorded by the handling officers,
//! and 网上巡查 — the deadline engine (`pingan_domain::case_rules`) run over every open case after each
//! step and on a timer, opening alerts that the handling officers explain and the legal supervisor (法制)
//! accepts or escalates, each with its history.

pub mod api;
pub mod demo;
pub mod figures;
pub mod inspect;
pub mod pages;
pub mod parties;
pub mod review;

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::validate::text;
use pingan_domain::Permission;
use pingan_domain::audit::{AuditEntry, AuditOutcome};
use pingan_domain::case::{CaseKind, FLAGS, step};
use pingan_domain::case_rules::{Clock, RuleBook, evaluate};
use pingan_store::cases::{self as store, CaseEventRow, CaseRow, NewCase};
use pingan_store::{args, new_id, orgs, users};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A case as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Case {
    pub id: String,
    pub number: String,
    /// `administrative` or `criminal`.
    pub kind: String,
    pub title: String,
    pub summary: String,
    pub incident_id: Option<String>,
    pub station_org_id: String,
    pub status: String,
    pub flags: Vec<String>,
    pub accepted_at: Option<i64>,
    pub filed_at: Option<i64>,
    pub solved_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub created_at: i64,
    pub officers: Vec<Officer>,
    /// Suspects, victims, witnesses: masked (the full identity needs `…/parties/{id}/reveal`).
    pub parties: Vec<parties::Party>,
    /// 涉案财物: each item's state, where it is and who last handled it.
    pub properties: Vec<Property>,
    /// Documents attached by reference (metadata and SM3 hash).
    pub documents: Vec<Document>,
    pub steps: Vec<Step>,
    /// The engine's clocks as of now.
    pub clocks: Vec<ClockView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Property {
    pub item: String,
    pub description: String,
    /// registered, stored, lent, disposed.
    pub status: String,
    pub location: Option<String>,
    /// Who recorded the last step.
    pub custodian: Option<String>,
    pub updated_at: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Document {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub size_bytes: i64,
    /// SM3 of the file, hex.
    pub sm3: String,
    pub uploaded_by: String,
    pub uploaded_at: i64,
}

fn document_view(d: store::DocumentRow) -> Document {
    Document {
        id: d.id,
        name: d.name,
        kind: d.kind,
        size_bytes: d.size_bytes,
        sm3: d.sm3,
        uploaded_by: d.uploaded_by,
        uploaded_at: d.uploaded_at,
    }
}

/// A document to attach by reference: its metadata and hash (the file itself goes to the document
/// store; the hash proves later that it is the same file).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDocument {
    pub name: String,
    /// e.g. 询问笔录, 立案决定书, 扣押清单.
    pub kind: String,
    pub size_bytes: i64,
    /// SM3 of the file, 64 hex digits.
    pub sm3: String,
}

pub async fn attach_document(
    state: &AppState,
    actor: &Actor,
    case_id: &str,
    req: NewDocument,
) -> ApiResult<Document> {
    actor.require(state, Permission::CaseManage).await?;
    let case = store::get(&state.db, &actor.scope, case_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let name = text("name", &req.name, 200)?;
    let kind = text("kind", &req.kind, 50)?;
    if !(0..=(1i64 << 40)).contains(&req.size_bytes) {
        return Err(ApiError::invalid(
            "size_bytes",
            "size_bytes must be 0 to 1 TiB",
        ));
    }
    let sm3 = req.sm3.trim().to_ascii_lowercase();
    if sm3.len() != 64 || !sm3.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::invalid("sm3", "sm3 must be 64 hex digits"));
    }
    let now = state.now();
    let row = store::DocumentRow {
        id: new_id(),
        case_id: case.id.clone(),
        storage_ref: format!("sm3:{sm3}"),
        name,
        kind,
        size_bytes: req.size_bytes,
        sm3,
        uploaded_by: actor.username.clone(),
        uploaded_at: now,
    };
    let mut tx = state.db.begin().await?;
    store::insert_document(&mut tx, &row);
    tx.commit_audited(vec![audit(
        actor,
        now,
        "case.document",
        &case.id,
        serde_json::json!({"document": row.id, "sm3": row.sm3}),
    )])
    .await?;
    Ok(document_view(row))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Officer {
    pub user_id: String,
    pub display_name: String,
    pub lead: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Step {
    pub id: String,
    pub step: String,
    pub name: String,
    pub at: i64,
    pub item: Option<String>,
    pub days: Option<i64>,
    pub note: Option<String>,
    pub recorded_by: String,
    pub recorded_at: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClockView {
    pub rule_id: String,
    pub rule_name: String,
    /// Rule set version the clock started under.
    pub version: String,
    pub item: Option<String>,
    pub started_at: i64,
    pub due_at: i64,
    pub stopped_at: Option<i64>,
    /// running, warning, overdue, met, met_late.
    pub state: String,
    /// A year whose holidays the calendar lacks: `due_at` is the last day as counted, not moved past
    /// rest days (add that year's notice to `cases.calendar_file`).
    pub calendar_missing: Option<i16>,
}

fn step_name(code: &str) -> String {
    step(code).map_or_else(|| code.to_string(), |s| s.1.to_string())
}

pub fn rule_name(book: &RuleBook, rule_id: &str, version: &str) -> String {
    rule_name_in(book, rule_id, version, crate::i18n::Lang::ZhCn)
}

/// A rule's name in the reader's language (its id when the rule book no longer has it).
pub fn rule_name_in(
    book: &RuleBook,
    rule_id: &str,
    version: &str,
    lang: crate::i18n::Lang,
) -> String {
    book.sets()
        .iter()
        .find(|s| s.version == version)
        .and_then(|s| s.rule(rule_id))
        .map_or_else(
            || rule_id.to_string(),
            |r| lang.pick(&r.name_zh, &r.name_en).clone(),
        )
}

fn clock_view(book: &RuleBook, c: Clock) -> ClockView {
    ClockView {
        rule_name: rule_name(book, &c.rule_id, &c.version),
        rule_id: c.rule_id,
        version: c.version,
        item: c.item,
        started_at: c.started_at,
        due_at: c.due_at,
        stopped_at: c.stopped_at,
        state: serde_json::to_value(c.state)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        calendar_missing: c.calendar_missing,
    }
}

/// The full view of a case.
pub async fn view(state: &AppState, row: CaseRow) -> ApiResult<Case> {
    let steps = store::events(&state.db, &row.id).await?;
    let facts = pingan_domain::case::CaseFacts {
        kind: row.kind(),
        flags: row.flag_list(),
        events: steps.iter().map(CaseEventRow::to_event).collect(),
    };
    let eval = evaluate(&facts, &state.rules, state.now());
    let mut officers = Vec::new();
    for (user_id, lead) in store::officers(&state.db, &row.id).await? {
        let (display_name,): (String,) = state
            .db
            .fetch_one(
                "SELECT display_name FROM users WHERE id = ?",
                args![user_id.as_str()],
            )
            .await?;
        officers.push(Officer {
            user_id,
            display_name,
            lead,
        });
    }
    let people = store::parties(&state.db, &row.id)
        .await?
        .iter()
        .map(parties::masked)
        .collect();
    let properties = store::properties(&state.db, &row.id)
        .await?
        .into_iter()
        .map(|p| Property {
            item: p.item,
            description: p.description,
            status: p.status,
            location: p.location,
            custodian: p.custodian,
            updated_at: p.updated_at,
        })
        .collect();
    let documents = store::documents(&state.db, &row.id)
        .await?
        .into_iter()
        .map(document_view)
        .collect();
    Ok(Case {
        parties: people,
        properties,
        documents,
        flags: row.flag_list(),
        id: row.id,
        number: row.number,
        kind: row.kind,
        title: row.title,
        summary: row.summary,
        incident_id: row.incident_id,
        station_org_id: row.station_org_id,
        status: row.status,
        accepted_at: row.accepted_at,
        filed_at: row.filed_at,
        solved_at: row.solved_at,
        closed_at: row.closed_at,
        created_at: row.created_at,
        officers,
        steps: steps
            .into_iter()
            .map(|s| Step {
                name: step_name(&s.step),
                id: s.id,
                step: s.step,
                at: s.at,
                item: s.item,
                days: s.days,
                note: s.note,
                recorded_by: s.recorded_by,
                recorded_at: s.recorded_at,
            })
            .collect(),
        clocks: eval
            .clocks
            .into_iter()
            .map(|c| clock_view(&state.rules, c))
            .collect(),
    })
}

/// A case to register.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "administrative", "title": "夜间噪声扰民案",
    "summary": "陈家社区居民反映夜间 KTV 噪声扰民"}))]
pub struct NewCaseRequest {
    /// `administrative` or `criminal`.
    pub kind: String,
    pub title: String,
    #[serde(default)]
    pub summary: Option<String>,
    /// The incident the case came from.
    #[serde(default)]
    pub incident_id: Option<String>,
    /// The handling station (default: your own organisation).
    #[serde(default)]
    pub station_org_id: Option<String>,
    /// Usernames of the handling officers; the first leads (default: you).
    #[serde(default)]
    pub officers: Vec<String>,
    /// e.g. `roving_repeat_gang` (流窜/多次/结伙).
    #[serde(default)]
    pub flags: Vec<String>,
}

/// Registers a case for a station in the caller's scope.
pub async fn register(state: &AppState, actor: &Actor, req: NewCaseRequest) -> ApiResult<Case> {
    actor.require(state, Permission::CaseManage).await?;
    let kind = CaseKind::parse(&req.kind)
        .ok_or_else(|| ApiError::invalid("kind", "kind is administrative or criminal"))?;
    let title = text("title", &req.title, 100)?;
    let summary = req.summary.as_deref().unwrap_or("").trim().to_string();
    if summary.chars().count() > 2000 {
        return Err(ApiError::invalid(
            "summary",
            "summary must be at most 2000 characters",
        ));
    }
    for f in &req.flags {
        if !FLAGS.iter().any(|x| x.0 == f) {
            return Err(ApiError::invalid("flags", format!("unknown flag {f:?}")));
        }
    }
    let station_id = req
        .station_org_id
        .clone()
        .or_else(|| actor.org_id.clone())
        .ok_or_else(|| ApiError::invalid("station_org_id", "name the handling station"))?;
    let station = orgs::get(&state.db, &actor.scope, &station_id)
        .await?
        .filter(|o| o.kind == pingan_domain::OrgKind::Station.code())
        .ok_or_else(|| {
            ApiError::invalid("station_org_id", "no such police station in your scope")
        })?;
    let area_path = station
        .area_path
        .clone()
        .ok_or_else(|| ApiError::invalid("station_org_id", "the station has no area"))?;
    if let Some(i) = &req.incident_id
        && pingan_store::incidents::get(&state.db, &actor.scope, i)
            .await?
            .is_none()
    {
        return Err(ApiError::invalid(
            "incident_id",
            "no such incident in your scope",
        ));
    }
    let names = if req.officers.is_empty() {
        vec![actor.username.clone()]
    } else {
        req.officers.clone()
    };
    let mut officers = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let u = users::by_username(&state.db, name)
            .await?
            .filter(|u| !u.disabled)
            .ok_or_else(|| ApiError::invalid("officers", format!("no such user {name:?}")))?;
        let in_station = match &u.org_id {
            Some(o) => {
                let (path,): (String,) = state
                    .db
                    .fetch_one("SELECT path FROM orgs WHERE id = ?", args![o.as_str()])
                    .await?;
                path.starts_with(&station.path)
            }
            None => false,
        };
        if !in_station {
            return Err(ApiError::invalid(
                "officers",
                format!("{name} is not an officer of {}", station.name),
            ));
        }
        if !officers.iter().any(|(id, _): &(String, bool)| *id == u.id) {
            officers.push((u.id, i == 0));
        }
    }
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let row = store::insert(
        &mut tx,
        &NewCase {
            kind,
            title: &title,
            summary: &summary,
            incident_id: req.incident_id.as_deref(),
            station_org_id: &station.id,
            org_path: &station.path,
            area_path: &area_path,
            flags: &req.flags,
            officers: &officers,
            created_by: &actor.username,
            at: now,
            // The case number's district is the station's: the first segment of its area path.
            district: area_path
                .trim_matches('/')
                .split('/')
                .next()
                .unwrap_or_default(),
            local_date: &pingan_domain::time::local_date(pingan_domain::time::from_micros(now)),
        },
    )
    .await?;
    tx.commit_audited(vec![audit(
        actor,
        now,
        "case.register",
        &row.id,
        serde_json::json!({"number": row.number, "kind": row.kind}),
    )])
    .await?;
    view(state, row).await
}

pub fn audit(
    actor: &Actor,
    at: i64,
    action: &str,
    id: &str,
    detail: serde_json::Value,
) -> AuditEntry {
    AuditEntry {
        at,
        actor_id: Some(actor.user_id.clone()),
        actor_name: actor.username.clone(),
        action: action.into(),
        object_type: "case".into(),
        object_id: Some(id.into()),
        outcome: AuditOutcome::Ok,
        purpose: None,
        ip: actor.ip.clone(),
        detail: detail.to_string(),
    }
}

/// A procedural step to record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CaseStepRequest)]
pub struct StepRequest {
    /// A step code (see `GET /api/v1/case-steps`).
    pub step: String,
    /// When it happened, RFC 3339 (default: now). Not in the future.
    #[serde(default)]
    pub at: Option<String>,
    /// The suspect or property item a per-item step concerns (e.g. `嫌疑人1`, `手机-1`).
    #[serde(default)]
    pub item: Option<String>,
    /// Days an extension grants (`detention_extension`: 1–4).
    #[serde(default)]
    pub days: Option<i64>,
    #[serde(default)]
    pub note: Option<String>,
}

/// Records a step, then lets the engine look at the case at once.
pub async fn record_step(
    state: &AppState,
    actor: &Actor,
    case_id: &str,
    req: StepRequest,
) -> ApiResult<Case> {
    actor.require(state, Permission::CaseManage).await?;
    let row = store::get(&state.db, &actor.scope, case_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let s = step(&req.step)
        .ok_or_else(|| ApiError::invalid("step", format!("unknown step {:?}", req.step)))?;
    let now = state.now();
    // Steps are often written up from the file days or months later; never ahead of time.
    let at = crate::validate::recorded_instant(state, "at", req.at.as_deref())?.unwrap_or(now);
    let item = req.item.as_deref().map(str::trim).filter(|s| !s.is_empty());
    match (s.3, item) {
        (true, None) => {
            return Err(ApiError::invalid(
                "item",
                format!("{} concerns one suspect or item: name it", s.1),
            ));
        }
        (false, Some(_)) => {
            return Err(ApiError::invalid(
                "item",
                format!("{} concerns the whole case", s.1),
            ));
        }
        (_, Some(i)) if i.chars().count() > 50 => {
            return Err(ApiError::invalid(
                "item",
                "item must be at most 50 characters",
            ));
        }
        _ => {}
    }
    let days = match (req.step.as_str(), req.days) {
        ("detention_extension", Some(d)) if (1..=4).contains(&d) => Some(d),
        ("detention_extension", _) => {
            return Err(ApiError::invalid(
                "days",
                "an extension of the arrest-request period is 1–4 days",
            ));
        }
        (_, Some(_)) => return Err(ApiError::invalid("days", "only an extension carries days")),
        _ => None,
    };
    let note = req.note.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if note.is_some_and(|n| n.chars().count() > 500) {
        return Err(ApiError::invalid(
            "note",
            "note must be at most 500 characters",
        ));
    }
    let e = CaseEventRow {
        id: new_id(),
        case_id: row.id.clone(),
        step: req.step.clone(),
        at,
        item: item.map(str::to_string),
        days,
        note: note.map(str::to_string),
        recorded_by: actor.username.clone(),
        recorded_at: now,
    };
    let mut tx = state.db.begin().await?;
    store::add_event(&mut tx, &row, &e);
    if let Some(item) = &e.item {
        store::track_property(
            &mut tx,
            &row.id,
            &e.step,
            item,
            e.note.as_deref(),
            &actor.username,
            e.at,
        );
    }
    tx.commit_audited(vec![audit(
        actor,
        now,
        "case.step",
        &row.id,
        serde_json::json!({"step": e.step, "at": e.at, "item": e.item}),
    )])
    .await?;
    inspect::inspect_case(state, &row.id).await?;
    let row = store::get(&state.db, &actor.scope, case_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    view(state, row).await
}
