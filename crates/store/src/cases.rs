//! Cases (执法监督) and what is recorded against them: handling officers, procedural steps, parties
//! (identity arrives sealed and masked), documents, property in custody; the 网上巡查 alerts and their
//! history; samples and reviews. Alerts are keyed by (case, rule, item, clock start, kind): the engine
//! may run on every server, and an alert found twice is stored once.

use crate::db::{Db, Tx};
use crate::{Result, Value, args, new_id, scope};
use pingan_domain::Scope;
use pingan_domain::case::{CaseEvent, CaseFacts, CaseKind};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CaseRow {
    pub id: String,
    pub number: String,
    pub kind: String,
    pub title: String,
    pub summary: String,
    pub incident_id: Option<String>,
    pub station_org_id: String,
    pub org_path: String,
    pub area_path: String,
    pub flags: String,
    pub status: String,
    pub accepted_at: Option<i64>,
    pub filed_at: Option<i64>,
    pub solved_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl CaseRow {
    pub fn kind(&self) -> CaseKind {
        CaseKind::parse(&self.kind).unwrap_or(CaseKind::Administrative)
    }

    pub fn flag_list(&self) -> Vec<String> {
        self.flags
            .split(',')
            .filter(|f| !f.is_empty())
            .map(str::to_string)
            .collect()
    }
}

const COLS: &str = "id, number, kind, title, summary, incident_id, station_org_id, org_path, area_path, flags, \
    status, accepted_at, filed_at, solved_at, closed_at, created_by, created_at, updated_at";

/// A case's own scope test: its station's org subtree or its area.
fn in_scope(s: &Scope, prefix: &str) -> (String, Vec<Value>) {
    scope::predicate(
        s,
        Some(&format!("{prefix}area_path")),
        Some(&format!("{prefix}org_path")),
    )
}

pub struct NewCase<'a> {
    pub kind: CaseKind,
    pub title: &'a str,
    pub summary: &'a str,
    pub incident_id: Option<&'a str>,
    pub station_org_id: &'a str,
    pub org_path: &'a str,
    pub area_path: &'a str,
    pub flags: &'a [String],
    pub officers: &'a [(String, bool)],
    pub created_by: &'a str,
    pub at: i64,
    /// For the number: district code and local date.
    pub district: &'a str,
    pub local_date: &'a str,
}

/// Inserts a case with its officers. Numbers: XS (刑事) / XZ (行政) + district + date + daily sequence.
pub async fn insert(tx: &mut Tx, c: &NewCase<'_>) -> Result<CaseRow> {
    let prefix = match c.kind {
        CaseKind::Criminal => "XS",
        CaseKind::Administrative => "XZ",
    };
    let day = c.local_date.replace('-', "");
    let n = crate::incidents::next_counter(tx, &format!("case:{prefix}:{day}")).await?;
    let row = CaseRow {
        id: new_id(),
        number: format!("{prefix}{}{day}{n:04}", c.district),
        kind: c.kind.code().into(),
        title: c.title.into(),
        summary: c.summary.into(),
        incident_id: c.incident_id.map(str::to_string),
        station_org_id: c.station_org_id.into(),
        org_path: c.org_path.into(),
        area_path: c.area_path.into(),
        flags: c.flags.join(","),
        status: "open".into(),
        accepted_at: None,
        filed_at: None,
        solved_at: None,
        closed_at: None,
        created_by: c.created_by.into(),
        created_at: c.at,
        updated_at: c.at,
    };
    tx.queue(
        &format!("INSERT INTO cases ({COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
        args![
            row.id.as_str(),
            row.number.as_str(),
            row.kind.as_str(),
            row.title.as_str(),
            row.summary.as_str(),
            row.incident_id.clone(),
            row.station_org_id.as_str(),
            row.org_path.as_str(),
            row.area_path.as_str(),
            row.flags.as_str(),
            row.status.as_str(),
            None::<i64>,
            None::<i64>,
            None::<i64>,
            None::<i64>,
            row.created_by.as_str(),
            row.created_at,
            row.updated_at
        ],
    );
    for (user_id, lead) in c.officers {
        tx.queue(
            "INSERT INTO case_officers (case_id, user_id, lead) VALUES (?, ?, ?)",
            args![row.id.as_str(), user_id.as_str(), *lead],
        );
    }
    Ok(row)
}

pub async fn get(db: &Db, s: &Scope, id: &str) -> Result<Option<CaseRow>> {
    let (pred, mut a) = in_scope(s, "");
    let mut args = args![id];
    args.append(&mut a);
    db.fetch_optional(
        &format!("SELECT {COLS} FROM cases WHERE id = ? AND {pred}"),
        args,
    )
    .await
}

#[derive(Debug, Default, Clone)]
pub struct CaseFilter {
    pub status: Option<String>,
    pub kind: Option<String>,
    pub officer_user_id: Option<String>,
    pub limit: i64,
}

pub async fn list(db: &Db, s: &Scope, f: &CaseFilter) -> Result<Vec<CaseRow>> {
    let (pred, mut a) = in_scope(s, "");
    let mut sql = format!("SELECT {COLS} FROM cases WHERE {pred}");
    if let Some(v) = &f.status {
        sql.push_str(" AND status = ?");
        a.push(v.into());
    }
    if let Some(v) = &f.kind {
        sql.push_str(" AND kind = ?");
        a.push(v.into());
    }
    if let Some(v) = &f.officer_user_id {
        sql.push_str(" AND id IN (SELECT case_id FROM case_officers WHERE user_id = ?)");
        a.push(v.into());
    }
    sql.push_str(" ORDER BY created_at DESC, id DESC LIMIT ?");
    a.push(f.limit.into());
    db.fetch_all(&sql, a).await
}

/// (user id, lead) of the handling officers.
pub async fn officers(db: &Db, case_id: &str) -> Result<Vec<(String, bool)>> {
    db.fetch_all(
        "SELECT user_id, lead FROM case_officers WHERE case_id = ? ORDER BY lead DESC, user_id",
        args![case_id],
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CaseEventRow {
    pub id: String,
    pub case_id: String,
    pub step: String,
    pub at: i64,
    pub item: Option<String>,
    pub days: Option<i64>,
    pub note: Option<String>,
    pub recorded_by: String,
    pub recorded_at: i64,
}

impl CaseEventRow {
    pub fn to_event(&self) -> CaseEvent {
        CaseEvent {
            step: self.step.clone(),
            at: self.at,
            item: self.item.clone(),
            days: self.days,
        }
    }
}

const EVENT_COLS: &str = "id, case_id, step, at, item, days, note, recorded_by, recorded_at";

/// Queues a step and stamps the case's milestone columns it sets (first time only). A milestone
/// also tells sharing partners (`case.status_changed`), in the same transaction.
pub fn add_event(tx: &mut Tx, case: &CaseRow, e: &CaseEventRow) {
    tx.queue(
        &format!("INSERT INTO case_events ({EVENT_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
        args![
            e.id.as_str(),
            e.case_id.as_str(),
            e.step.as_str(),
            e.at,
            e.item.clone(),
            e.days,
            e.note.clone(),
            e.recorded_by.as_str(),
            e.recorded_at
        ],
    );
    let milestone = match e.step.as_str() {
        "accept" => Some("accepted_at"),
        "file" => Some("filed_at"),
        "solve" => Some("solved_at"),
        "close" | "revoke" | "not_file" | "not_accept" => Some("closed_at"),
        _ => None,
    };
    if let Some(col) = milestone {
        let status = if col == "closed_at" {
            "status = 'closed', "
        } else {
            ""
        };
        tx.queue(
            &format!(
                "UPDATE cases SET {status}{col} = COALESCE({col}, ?), updated_at = ? WHERE id = ?"
            ),
            args![e.at, e.recorded_at, e.case_id.as_str()],
        );
        let status_after = if col == "closed_at" {
            "closed"
        } else {
            case.status.as_str()
        };
        tx.emit(pingan_domain::sharing::Event {
            event_type: pingan_domain::sharing::EventType::CaseStatusChanged,
            aggregate_id: case.id.clone(),
            area_path: case.area_path.clone(),
            occurred_at: e.recorded_at,
            data: pingan_domain::sharing::object(serde_json::json!({
                "number": case.number,
                "case_kind": case.kind,
                "step": e.step,
                "status": status_after,
                "incident_id": case.incident_id,
                "area_path": case.area_path,
                "at": pingan_domain::sharing::rfc3339(e.at),
                "title": case.title,
            })),
        });
    } else {
        tx.queue(
            "UPDATE cases SET updated_at = ? WHERE id = ?",
            args![e.recorded_at, e.case_id.as_str()],
        );
    }
}

pub async fn events(db: &Db, case_id: &str) -> Result<Vec<CaseEventRow>> {
    db.fetch_all(
        &format!(
            "SELECT {EVENT_COLS} FROM case_events WHERE case_id = ? ORDER BY at, recorded_at, id"
        ),
        args![case_id],
    )
    .await
}

/// A case as the engine sees it.
pub struct EngineCase {
    pub id: String,
    pub number: String,
    pub org_path: String,
    pub area_path: String,
    pub facts: CaseFacts,
}

type EngineRow = (String, String, String, String, String, String);
/// (case id, step, at, item, days)
type EngineStep = (String, String, i64, Option<String>, Option<i64>);

/// One case for the engine (any status).
pub async fn engine_one(db: &Db, id: &str) -> Result<Option<EngineCase>> {
    let mut v = engine_batch_from(db, id, 1, false).await?;
    Ok(v.pop().filter(|c| c.id == id))
}

/// Up to `limit` cases with id > `after`, with their steps — for the engine, in id order. `open_only`
/// leaves closed cases out (the continuous sweep); a replay reads them all.
pub async fn engine_batch(
    db: &Db,
    after: &str,
    limit: i64,
    open_only: bool,
) -> Result<Vec<EngineCase>> {
    engine_batch_where(db, "id > ?", after, limit, open_only).await
}

async fn engine_batch_from(
    db: &Db,
    from: &str,
    limit: i64,
    open_only: bool,
) -> Result<Vec<EngineCase>> {
    engine_batch_where(db, "id >= ?", from, limit, open_only).await
}

async fn engine_batch_where(
    db: &Db,
    bound: &str,
    after: &str,
    limit: i64,
    open_only: bool,
) -> Result<Vec<EngineCase>> {
    let status = if open_only {
        " AND status = 'open'"
    } else {
        ""
    };
    let rows: Vec<EngineRow> = db
        .fetch_all(
            &format!(
                "SELECT id, number, kind, flags, org_path, area_path FROM cases WHERE {bound}{status} ORDER BY id LIMIT ?"
            ),
            args![after, limit],
        )
        .await?;
    let Some(last) = rows.last().map(|r| r.0.clone()) else {
        return Ok(Vec::new());
    };
    let first = rows[0].0.clone();
    let events: Vec<EngineStep> = db
        .fetch_all(
            &format!(
                "SELECT e.case_id, e.step, e.at, e.item, e.days FROM case_events e JOIN cases c ON c.id = e.case_id \
                 WHERE c.id >= ? AND c.id <= ?{} ORDER BY e.case_id, e.at",
                status.replace("status", "c.status")
            ),
            args![first.as_str(), last.as_str()],
        )
        .await?;
    let mut out: Vec<EngineCase> = rows
        .into_iter()
        .map(
            |(id, number, kind, flags, org_path, area_path)| EngineCase {
                id,
                number,
                org_path,
                area_path,
                facts: CaseFacts {
                    kind: CaseKind::parse(&kind).unwrap_or(CaseKind::Administrative),
                    flags: flags
                        .split(',')
                        .filter(|f| !f.is_empty())
                        .map(str::to_string)
                        .collect(),
                    events: Vec::new(),
                },
            },
        )
        .collect();
    let mut i = 0;
    for (case_id, step, at, item, days) in events {
        while i < out.len() && out[i].id < case_id {
            i += 1;
        }
        if i < out.len() && out[i].id == case_id {
            out[i].facts.events.push(CaseEvent {
                step,
                at,
                item,
                days,
            });
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AlertRow {
    pub id: String,
    pub case_id: String,
    pub rule_id: String,
    pub version: String,
    pub kind: String,
    pub severity: String,
    /// "" for case-level clocks.
    pub item: String,
    pub started_at: i64,
    pub due_at: i64,
    pub found_at: i64,
    pub status: String,
    pub updated_at: i64,
    pub org_path: String,
}

impl AlertRow {
    /// The status as a type; `None` for a value this version does not know (fails closed: such an
    /// alert is not live and no step applies to it).
    pub fn status(&self) -> Option<pingan_domain::case_alert::AlertStatus> {
        self.status.parse().ok()
    }
}

const ALERT_COLS: &str = "id, case_id, rule_id, version, kind, severity, item, started_at, due_at, found_at, status, \
    updated_at, org_path";

/// Stores the alert unless it is stored already; returns whether this call stored it.
pub async fn insert_alert(tx: &mut Tx, a: &AlertRow) -> Result<bool> {
    let r: Option<(String,)> = tx
        .fetch_optional(
            &format!(
                "INSERT INTO case_alerts ({ALERT_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
                 ON CONFLICT (case_id, rule_id, item, started_at, kind) DO NOTHING RETURNING id"
            ),
            args![
                a.id.as_str(),
                a.case_id.as_str(),
                a.rule_id.as_str(),
                a.version.as_str(),
                a.kind.as_str(),
                a.severity.as_str(),
                a.item.as_str(),
                a.started_at,
                a.due_at,
                a.found_at,
                a.status.as_str(),
                a.updated_at,
                a.org_path.as_str()
            ],
        )
        .await?;
    Ok(r.is_some())
}

/// Alerts of a case still waiting for someone (open, explained, escalated): the engine settles those
/// its current findings no longer support.
/// `'open', 'explained', 'escalated'`: the live statuses, from the one list in the domain.
fn live_statuses_sql() -> String {
    pingan_domain::case_alert::AlertStatus::ALL
        .into_iter()
        .filter(|s| s.is_live())
        .map(|s| format!("'{}'", s.code()))
        .collect::<Vec<_>>()
        .join(", ")
}

pub async fn live_alerts_of(tx: &mut Tx, case_id: &str) -> Result<Vec<AlertRow>> {
    tx.fetch_all(
        &format!(
            "SELECT {ALERT_COLS} FROM case_alerts WHERE case_id = ? AND status IN ({live})",
            live = live_statuses_sql()
        ),
        args![case_id],
    )
    .await
}

pub async fn get_alert(db: &Db, s: &Scope, id: &str) -> Result<Option<AlertRow>> {
    let (pred, mut a) = scope::predicate(s, None, Some("org_path"));
    let (apred, mut aa) = scope::predicate(
        s,
        Some("(SELECT c.area_path FROM cases c WHERE c.id = case_alerts.case_id)"),
        None,
    );
    let mut args = args![id];
    args.append(&mut a);
    args.append(&mut aa);
    db.fetch_optional(
        &format!("SELECT {ALERT_COLS} FROM case_alerts WHERE id = ? AND ({pred} OR {apred})"),
        args,
    )
    .await
}

#[derive(Debug, Default, Clone)]
pub struct AlertFilter {
    pub status: Option<String>,
    pub case_id: Option<String>,
    /// approaching, overdue, missing_step or out_of_order.
    pub kind: Option<String>,
    /// Found at or after (UTC micros).
    pub found_since: Option<i64>,
    pub limit: i64,
}

pub async fn list_alerts(db: &Db, s: &Scope, f: &AlertFilter) -> Result<Vec<AlertRow>> {
    let (pred, mut a) = scope::predicate(s, None, Some("org_path"));
    let (apred, mut aa) = scope::predicate(
        s,
        Some("(SELECT c.area_path FROM cases c WHERE c.id = case_alerts.case_id)"),
        None,
    );
    a.append(&mut aa);
    let mut sql = format!("SELECT {ALERT_COLS} FROM case_alerts WHERE ({pred} OR {apred})");
    if let Some(v) = &f.status {
        sql.push_str(" AND status = ?");
        a.push(v.into());
    }
    if let Some(v) = &f.case_id {
        sql.push_str(" AND case_id = ?");
        a.push(v.into());
    }
    if let Some(v) = &f.kind {
        sql.push_str(" AND kind = ?");
        a.push(v.into());
    }
    if let Some(t) = f.found_since {
        sql.push_str(" AND found_at >= ?");
        a.push(t.into());
    }
    sql.push_str(" ORDER BY found_at DESC, id DESC LIMIT ?");
    a.push(f.limit.into());
    db.fetch_all(&sql, a).await
}

/// Moves an alert from `from` to `to` if it is still in `from`; false when someone else moved it.
pub async fn set_alert_status(
    tx: &mut Tx,
    id: &str,
    from: &str,
    to: &str,
    at: i64,
) -> Result<bool> {
    let n = tx
        .execute(
            "UPDATE case_alerts SET status = ?, updated_at = ? WHERE id = ? AND status = ?",
            args![to, at, id, from],
        )
        .await?;
    Ok(n == 1)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AlertEventRow {
    pub id: String,
    pub alert_id: String,
    pub at: i64,
    pub action: String,
    pub actor_id: Option<String>,
    pub actor_name: String,
    pub note: Option<String>,
}

pub fn add_alert_event(tx: &mut Tx, e: &AlertEventRow) {
    tx.queue(
        "INSERT INTO case_alert_events (id, alert_id, at, action, actor_id, actor_name, note) VALUES (?, ?, ?, ?, ?, ?, ?)",
        args![
            e.id.as_str(),
            e.alert_id.as_str(),
            e.at,
            e.action.as_str(),
            e.actor_id.clone(),
            e.actor_name.as_str(),
            e.note.clone()
        ],
    );
}

pub async fn alert_events(db: &Db, alert_id: &str) -> Result<Vec<AlertEventRow>> {
    db.fetch_all(
        "SELECT id, alert_id, at, action, actor_id, actor_name, note FROM case_alert_events \
         WHERE alert_id = ? ORDER BY at, id",
        args![alert_id],
    )
    .await
}

/// Users who supervise cases of `org_path` (legal supervisors whose scope covers it).
pub async fn supervisors(db: &Db, org_path: &str, area_path: &str) -> Result<Vec<String>> {
    let rows: Vec<(String, String, String)> = db
        .fetch_all(
            "SELECT u.id, s.kind, s.path FROM users u JOIN user_scopes s ON s.user_id = u.id \
             WHERE u.role = 'legal_supervisor' AND NOT u.disabled",
            args![],
        )
        .await?;
    let mut out: Vec<String> = rows
        .into_iter()
        .filter(|(_, kind, path)| match kind.as_str() {
            "org" => org_path.starts_with(path.as_str()),
            _ => area_path.starts_with(path.as_str()),
        })
        .map(|(id, _, _)| id)
        .collect();
    out.sort();
    out.dedup();
    Ok(out)
}

/// Cases a sample may be drawn from: in scope, by status (`None`: all), closed (or created, for open
/// cases) within `[from, to)` when given. (id, station org id, kind)
pub async fn sample_population(
    db: &Db,
    s: &Scope,
    status: Option<&str>,
    from: Option<i64>,
    to: Option<i64>,
) -> Result<Vec<(String, String, String)>> {
    let (pred, mut a) = in_scope(s, "");
    let mut sql = format!("SELECT id, station_org_id, kind FROM cases WHERE {pred}");
    if let Some(st) = status {
        sql.push_str(" AND status = ?");
        a.push(st.into());
    }
    let at = "COALESCE(closed_at, created_at)";
    if let Some(f) = from {
        sql.push_str(&format!(" AND {at} >= ?"));
        a.push(f.into());
    }
    if let Some(t) = to {
        sql.push_str(&format!(" AND {at} < ?"));
        a.push(t.into());
    }
    sql.push_str(" ORDER BY id");
    db.fetch_all(&sql, a).await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SampleRow {
    pub id: String,
    pub seed: i64,
    pub per_stratum: i64,
    /// closed, open or all.
    pub status: String,
    pub org_path: String,
    pub closed_from: Option<String>,
    pub closed_to: Option<String>,
    pub population: i64,
    pub created_by: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SampleItemRow {
    pub sample_id: String,
    pub case_id: String,
    pub station_org_id: String,
    pub kind: String,
    pub finding: Option<String>,
    pub recorded_by: Option<String>,
    pub recorded_at: Option<i64>,
}

pub fn insert_sample(tx: &mut Tx, s: &SampleRow, items: &[(String, String, String)]) {
    tx.queue(
        "INSERT INTO case_samples (id, seed, per_stratum, status, org_path, closed_from, closed_to, population, created_by, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        args![
            s.id.as_str(),
            s.seed,
            s.per_stratum,
            s.status.as_str(),
            s.org_path.as_str(),
            s.closed_from.clone(),
            s.closed_to.clone(),
            s.population,
            s.created_by.as_str(),
            s.created_at
        ],
    );
    for (station, kind, case_id) in items {
        tx.queue(
            "INSERT INTO case_sample_items (sample_id, case_id, station_org_id, kind) VALUES (?, ?, ?, ?)",
            args![s.id.as_str(), case_id.as_str(), station.as_str(), kind.as_str()],
        );
    }
}

pub async fn get_sample(
    db: &Db,
    s: &Scope,
    id: &str,
) -> Result<Option<(SampleRow, Vec<SampleItemRow>)>> {
    // `org_path` holds the scope path (area or organisation) the sample was drawn under.
    let (pred, mut a) = scope::predicate(s, Some("org_path"), Some("org_path"));
    let mut args = args![id];
    args.append(&mut a);
    let row: Option<SampleRow> = db
        .fetch_optional(
            &format!(
                "SELECT id, seed, per_stratum, status, org_path, closed_from, closed_to, population, created_by, created_at \
                 FROM case_samples WHERE id = ? AND {pred}"
            ),
            args,
        )
        .await?;
    let Some(row) = row else { return Ok(None) };
    let items = db
        .fetch_all(
            "SELECT sample_id, case_id, station_org_id, kind, finding, recorded_by, recorded_at FROM case_sample_items \
             WHERE sample_id = ? ORDER BY station_org_id, kind, case_id",
            args![id],
        )
        .await?;
    Ok(Some((row, items)))
}

/// Records the on-site finding for one sampled case; false when the case is not in the sample.
pub async fn record_finding(
    tx: &mut Tx,
    sample_id: &str,
    case_id: &str,
    finding: &str,
    by: &str,
    at: i64,
) -> Result<bool> {
    let n = tx
        .execute(
            "UPDATE case_sample_items SET finding = ?, recorded_by = ?, recorded_at = ? WHERE sample_id = ? AND case_id = ?",
            args![finding, by, at, sample_id, case_id],
        )
        .await?;
    Ok(n == 1)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RubricRow {
    pub id: String,
    pub name: String,
    pub body: String,
    pub created_by: String,
    pub created_at: i64,
}

pub fn insert_rubric(tx: &mut Tx, r: &RubricRow) {
    tx.queue(
        "INSERT INTO case_rubrics (id, name, body, created_by, created_at) VALUES (?, ?, ?, ?, ?)",
        args![
            r.id.as_str(),
            r.name.as_str(),
            r.body.as_str(),
            r.created_by.as_str(),
            r.created_at
        ],
    );
}

pub async fn rubrics(db: &Db) -> Result<Vec<RubricRow>> {
    db.fetch_all(
        "SELECT id, name, body, created_by, created_at FROM case_rubrics ORDER BY created_at, id",
        args![],
    )
    .await
}

pub async fn rubric(db: &Db, id: &str) -> Result<Option<RubricRow>> {
    db.fetch_optional(
        "SELECT id, name, body, created_by, created_at FROM case_rubrics WHERE id = ?",
        args![id],
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReviewRow {
    pub id: String,
    pub case_id: String,
    pub rubric_id: String,
    pub reviewer_id: String,
    pub deductions: String,
    pub total: f64,
    pub note: Option<String>,
    pub created_at: i64,
}

/// One reviewer's review of a case under a rubric (a second submission replaces the first).
pub async fn upsert_review(tx: &mut Tx, r: &ReviewRow) -> Result<()> {
    tx.execute(
        "INSERT INTO case_reviews (id, case_id, rubric_id, reviewer_id, deductions, total, note, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (case_id, rubric_id, reviewer_id) DO UPDATE SET \
         deductions = excluded.deductions, total = excluded.total, note = excluded.note, created_at = excluded.created_at",
        args![
            r.id.as_str(),
            r.case_id.as_str(),
            r.rubric_id.as_str(),
            r.reviewer_id.as_str(),
            r.deductions.as_str(),
            r.total,
            r.note.clone(),
            r.created_at
        ],
    )
    .await?;
    Ok(())
}

pub async fn reviews(db: &Db, case_id: &str) -> Result<Vec<ReviewRow>> {
    db.fetch_all(
        "SELECT id, case_id, rubric_id, reviewer_id, deductions, total, note, created_at FROM case_reviews \
         WHERE case_id = ? ORDER BY rubric_id, created_at, reviewer_id",
        args![case_id],
    )
    .await
}

/// What the statistics need of each case in scope: (id, station org id, kind, accepted, filed, solved,
/// closed, created).
pub type StatCase = (
    String,
    String,
    String,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    i64,
);

pub async fn stat_cases(db: &Db, s: &Scope) -> Result<Vec<StatCase>> {
    let (pred, a) = in_scope(s, "");
    db.fetch_all(
        &format!(
            "SELECT id, station_org_id, kind, accepted_at, filed_at, solved_at, closed_at, created_at FROM cases \
             WHERE {pred} ORDER BY id"
        ),
        a,
    )
    .await
}

/// (case id, kind, found_at) of every alert on cases in scope.
pub async fn stat_alerts(db: &Db, s: &Scope) -> Result<Vec<(String, String, i64)>> {
    let (pred, a) = in_scope(s, "c.");
    db.fetch_all(
        &format!(
            "SELECT a.case_id, a.kind, a.found_at FROM case_alerts a JOIN cases c ON c.id = a.case_id WHERE {pred}"
        ),
        a,
    )
    .await
}

/// (case id, total, reviewed at) of every review on cases in scope.
pub async fn stat_reviews(db: &Db, s: &Scope) -> Result<Vec<(String, f64, i64)>> {
    let (pred, a) = in_scope(s, "c.");
    db.fetch_all(
        &format!(
            "SELECT r.case_id, r.total, r.created_at FROM case_reviews r JOIN cases c ON c.id = r.case_id WHERE {pred}"
        ),
        a,
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PartyRow {
    pub id: String,
    pub case_id: String,
    pub role: String,
    pub item: Option<String>,
    pub name_sealed: String,
    pub name_masked: String,
    pub id_sealed: Option<String>,
    pub id_masked: Option<String>,
    pub created_at: i64,
}

const PARTY_COLS: &str =
    "id, case_id, role, item, name_sealed, name_masked, id_sealed, id_masked, created_at";

pub fn insert_party(tx: &mut Tx, p: &PartyRow) {
    tx.queue(
        &format!("INSERT INTO case_parties ({PARTY_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
        args![
            p.id.as_str(),
            p.case_id.as_str(),
            p.role.as_str(),
            p.item.clone(),
            p.name_sealed.as_str(),
            p.name_masked.as_str(),
            p.id_sealed.clone(),
            p.id_masked.clone(),
            p.created_at
        ],
    );
}

pub async fn parties(db: &Db, case_id: &str) -> Result<Vec<PartyRow>> {
    db.fetch_all(
        &format!("SELECT {PARTY_COLS} FROM case_parties WHERE case_id = ? ORDER BY created_at, id"),
        args![case_id],
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PropertyRow {
    pub id: String,
    pub case_id: String,
    pub item: String,
    pub description: String,
    pub status: String,
    pub location: Option<String>,
    pub custodian: Option<String>,
    pub updated_at: i64,
}

/// Keeps the 涉案财物 register in step with a property step: seized → registered (the note describes
/// it), stored → stored (the note says where), lent → lent (the note says to whom), returned → stored,
/// disposed → disposed. `who` is the officer who recorded the step.
pub fn track_property(
    tx: &mut Tx,
    case_id: &str,
    step: &str,
    item: &str,
    note: Option<&str>,
    who: &str,
    at: i64,
) {
    let status = match step {
        "property_seized" => "registered",
        "property_stored" | "property_returned" => "stored",
        "property_lent" => "lent",
        "property_disposed" => "disposed",
        _ => return,
    };
    let description = if step == "property_seized" {
        note.unwrap_or(item)
    } else {
        item
    };
    let location = matches!(step, "property_stored" | "property_lent")
        .then_some(note)
        .flatten();
    tx.queue(
        "INSERT INTO case_properties (id, case_id, item, description, status, location, custodian, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (case_id, item) DO UPDATE SET status = excluded.status, \
         location = COALESCE(excluded.location, case_properties.location), custodian = excluded.custodian, \
         updated_at = excluded.updated_at",
        args![new_id(), case_id, item, description, status, location, who, at],
    );
}

pub async fn properties(db: &Db, case_id: &str) -> Result<Vec<PropertyRow>> {
    db.fetch_all(
        "SELECT id, case_id, item, description, status, location, custodian, updated_at FROM case_properties \
         WHERE case_id = ? ORDER BY item",
        args![case_id],
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DocumentRow {
    pub id: String,
    pub case_id: String,
    pub name: String,
    pub kind: String,
    pub size_bytes: i64,
    pub sm3: String,
    pub storage_ref: String,
    pub uploaded_by: String,
    pub uploaded_at: i64,
}

pub fn insert_document(tx: &mut Tx, d: &DocumentRow) {
    tx.queue(
        "INSERT INTO case_documents (id, case_id, name, kind, size_bytes, sm3, storage_ref, uploaded_by, uploaded_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        args![
            d.id.as_str(),
            d.case_id.as_str(),
            d.name.as_str(),
            d.kind.as_str(),
            d.size_bytes,
            d.sm3.as_str(),
            d.storage_ref.as_str(),
            d.uploaded_by.as_str(),
            d.uploaded_at
        ],
    );
}

pub async fn documents(db: &Db, case_id: &str) -> Result<Vec<DocumentRow>> {
    db.fetch_all(
        "SELECT id, case_id, name, kind, size_bytes, sm3, storage_ref, uploaded_by, uploaded_at FROM case_documents \
         WHERE case_id = ? ORDER BY uploaded_at, id",
        args![case_id],
    )
    .await
}

/// The key and status of every alert of these cases: (case id, rule id, item, clock start, kind, status).
pub async fn alert_keys(
    db: &Db,
    case_ids: &[String],
) -> Result<Vec<(String, String, String, i64, String, String)>> {
    if case_ids.is_empty() {
        return Ok(Vec::new());
    }
    db.fetch_all(
        &format!(
            "SELECT case_id, rule_id, item, started_at, kind, status FROM case_alerts WHERE case_id IN ({})",
            vec!["?"; case_ids.len()].join(", ")
        ),
        case_ids.iter().map(Value::from).collect(),
    )
    .await
}

/// Samples visible to the scope, newest first, with how many cases each holds and how many have a
/// finding: (sample, items, findings).
pub async fn list_samples(db: &Db, s: &Scope, limit: i64) -> Result<Vec<(SampleRow, i64, i64)>> {
    let (pred, mut a) = scope::predicate(s, Some("org_path"), Some("org_path"));
    a.push(limit.into());
    let rows: Vec<SampleRow> = db
        .fetch_all(
            &format!(
                "SELECT id, seed, per_stratum, status, org_path, closed_from, closed_to, population, created_by, created_at \
                 FROM case_samples WHERE {pred} ORDER BY created_at DESC, id DESC LIMIT ?"
            ),
            a,
        )
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let (items, found): (i64, i64) = db
            .fetch_one(
                "SELECT COUNT(*), COUNT(finding) FROM case_sample_items WHERE sample_id = ?",
                args![r.id.as_str()],
            )
            .await?;
        out.push((r, items, found));
    }
    Ok(out)
}
