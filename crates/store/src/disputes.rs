//! Disputes (矛盾纠纷) and everything recorded against them. Status and tier changes are conditional
//! updates on the row as it was read (`status`, `tier`, `updated_at`), so two mediators — or two
//! servers' clock sweeps — cannot both move the same dispute. Party identity arrives already sealed
//! and masked: this module never sees a plain ID number.

use crate::db::{Db, Tx};
use crate::incidents::{cell_of, cells_covering};
use crate::{Result, StoreError, Value, args, new_id, scope};
use pingan_domain::Scope;
use pingan_domain::dispute::{DisputeFacts, Status};
use pingan_domain::sharing::{Event as Shared, EventType, object, rfc3339};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DisputeRow {
    pub id: String,
    pub number: String,
    pub type_code: String,
    pub source: String,
    pub incident_id: Option<String>,
    pub title: String,
    pub description: String,
    pub address: String,
    pub lng: f64,
    pub lat: f64,
    pub grid_code: Option<String>,
    pub village_code: Option<String>,
    pub area_path: String,
    pub people_involved: i64,
    pub amount_yuan: Option<i64>,
    pub factors: String,
    pub suggested_grade: String,
    pub grade: String,
    pub grade_reason: Option<String>,
    pub status: String,
    pub tier: String,
    pub tier_since: i64,
    pub tier_due: i64,
    pub extension_days: i64,
    pub transfer_to: Option<String>,
    pub outcome_note: Option<String>,
    pub registered_at: i64,
    pub registered_by: String,
    pub agreed_at: Option<i64>,
    pub failed_at: Option<i64>,
    pub withdrawn_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub reopened: i64,
    pub updated_at: i64,
}

impl DisputeRow {
    pub fn status(&self) -> Status {
        self.status.parse().unwrap_or(Status::Mediating)
    }

    pub fn tier(&self) -> pingan_domain::dispute::Tier {
        self.tier
            .parse()
            .unwrap_or(pingan_domain::dispute::Tier::Grid)
    }

    /// When the dispute stopped being watched for 民转刑 from: its last ending, if it has ended.
    pub fn ended_at(&self) -> Option<i64> {
        if self.status().is_open() {
            return None;
        }
        [self.closed_at, self.failed_at, self.withdrawn_at]
            .into_iter()
            .flatten()
            .max()
    }
}

const COLS: &str = "id, number, type_code, source, incident_id, title, description, address, lng, lat, \
    grid_code, village_code, area_path, people_involved, amount_yuan, factors, suggested_grade, grade, \
    grade_reason, status, tier, tier_since, tier_due, extension_days, transfer_to, outcome_note, \
    registered_at, registered_by, agreed_at, failed_at, withdrawn_at, closed_at, reopened, updated_at";

/// A dispute as registered, location already resolved and grade decided.
#[derive(Debug, Clone)]
pub struct NewDispute {
    pub type_code: String,
    pub source: String,
    pub incident_id: Option<String>,
    /// The 排查 campaign that found it.
    pub campaign_id: Option<String>,
    pub title: String,
    pub description: String,
    pub address: String,
    pub lng: f64,
    pub lat: f64,
    pub grid_code: Option<String>,
    pub village_code: Option<String>,
    pub area_path: String,
    pub people_involved: i64,
    pub amount_yuan: Option<i64>,
    /// JSON of the risk factors as answered.
    pub factors: String,
    pub suggested_grade: String,
    pub grade: String,
    pub grade_reason: Option<String>,
    pub tier: String,
    pub tier_due: i64,
    pub registered_at: i64,
    pub registered_by: String,
    pub local_date: String,
}

/// A party, sealed and masked by the caller.
#[derive(Debug, Clone, Default)]
pub struct NewParty {
    pub kind: String,
    pub role: String,
    pub name_masked: String,
    pub name_sealed: String,
    pub id_masked: Option<String>,
    pub id_sealed: Option<String>,
    pub id_index: Option<String>,
    pub phone_masked: Option<String>,
    pub phone_sealed: Option<String>,
    pub phone_index: Option<String>,
    pub address_sealed: Option<String>,
    pub vulnerable: bool,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PartyRow {
    pub id: String,
    pub dispute_id: String,
    pub seq: i64,
    pub kind: String,
    pub role: String,
    pub name_masked: String,
    pub name_sealed: String,
    pub id_masked: Option<String>,
    pub id_sealed: Option<String>,
    pub phone_masked: Option<String>,
    pub phone_sealed: Option<String>,
    pub address_sealed: Option<String>,
    pub vulnerable: bool,
}

const PARTY_COLS: &str = "id, dispute_id, seq, kind, role, name_masked, name_sealed, id_masked, id_sealed, \
    phone_masked, phone_sealed, address_sealed, vulnerable";

async fn next_number(tx: &mut Tx, district: &str, local_date: &str) -> Result<String> {
    let day = local_date.replace('-', "");
    let (n,): (i64,) = tx
        .fetch_one(
            "INSERT INTO counters (key, n) VALUES (?, 1) ON CONFLICT (key) DO UPDATE SET n = counters.n + 1 RETURNING n",
            args![format!("dispute:{day}")],
        )
        .await?;
    Ok(format!("MD{district}{day}{n:04}"))
}

/// Registers the dispute with its parties and the `register` event; returns its id and number.
pub async fn insert(
    tx: &mut Tx,
    district: &str,
    d: &NewDispute,
    parties: &[NewParty],
    actor: (Option<&str>, &str),
) -> Result<(String, String)> {
    let number = next_number(tx, district, &d.local_date).await?;
    let id = new_id();
    tx.queue(
        &format!(
            "INSERT INTO disputes ({COLS}, cell, local_date, campaign_id) VALUES \
             (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ),
        args![
            id.as_str(),
            number.as_str(),
            d.type_code.as_str(),
            d.source.as_str(),
            d.incident_id.clone(),
            d.title.as_str(),
            d.description.as_str(),
            d.address.as_str(),
            d.lng,
            d.lat,
            d.grid_code.clone(),
            d.village_code.clone(),
            d.area_path.as_str(),
            d.people_involved,
            d.amount_yuan,
            d.factors.as_str(),
            d.suggested_grade.as_str(),
            d.grade.as_str(),
            d.grade_reason.clone(),
            Status::Mediating.code(),
            d.tier.as_str(),
            d.registered_at,
            d.tier_due,
            0i64,
            None::<String>,
            None::<String>,
            d.registered_at,
            d.registered_by.as_str(),
            None::<i64>,
            None::<i64>,
            None::<i64>,
            None::<i64>,
            0i64,
            d.registered_at,
            cell_of(d.lng, d.lat),
            d.local_date.as_str(),
            d.campaign_id.clone()
        ],
    );
    for (i, p) in parties.iter().enumerate() {
        tx.queue(
            "INSERT INTO dispute_parties (id, dispute_id, seq, kind, role, name_masked, name_sealed, id_masked, \
             id_sealed, id_index, phone_masked, phone_sealed, phone_index, address_sealed, vulnerable) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            args![
                new_id(),
                id.as_str(),
                i as i64 + 1,
                p.kind.as_str(),
                p.role.as_str(),
                p.name_masked.as_str(),
                p.name_sealed.as_str(),
                p.id_masked.clone(),
                p.id_sealed.clone(),
                p.id_index.clone(),
                p.phone_masked.clone(),
                p.phone_sealed.clone(),
                p.phone_index.clone(),
                p.address_sealed.clone(),
                p.vulnerable
            ],
        );
    }
    add_event(
        tx,
        &Event {
            dispute_id: &id,
            at: d.registered_at,
            action: "register",
            from_status: None,
            to_status: Status::Mediating.code(),
            tier: &d.tier,
            actor,
            note: Some(&d.source),
        },
    );
    tx.emit(Shared {
        event_type: EventType::DisputeRegistered,
        aggregate_id: id.clone(),
        area_path: d.area_path.clone(),
        occurred_at: d.registered_at,
        data: object(serde_json::json!({
            "number": number,
            "type_code": d.type_code,
            "source": d.source,
            "tier": d.tier,
            "status": Status::Mediating.code(),
            "area_path": d.area_path,
            "grid_code": d.grid_code,
            "registered_at": rfc3339(d.registered_at),
            "tier_due": rfc3339(d.tier_due),
            "summary": d.title,
        })),
    });
    Ok((id, number))
}

pub struct Event<'a> {
    pub dispute_id: &'a str,
    pub at: i64,
    pub action: &'a str,
    pub from_status: Option<&'a str>,
    pub to_status: &'a str,
    pub tier: &'a str,
    pub actor: (Option<&'a str>, &'a str),
    pub note: Option<&'a str>,
}

/// Queued: goes with the transaction's next statement.
pub fn add_event(tx: &mut Tx, e: &Event<'_>) {
    tx.queue(
        "INSERT INTO dispute_events (id, dispute_id, at, action, from_status, to_status, tier, actor_id, actor_name, note) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        args![
            new_id(),
            e.dispute_id,
            e.at,
            e.action,
            e.from_status,
            e.to_status,
            e.tier,
            e.actor.0,
            e.actor.1,
            e.note
        ],
    );
}

pub async fn get(db: &Db, scope: &Scope, id: &str) -> Result<Option<DisputeRow>> {
    let (pred, a) = scope::predicate(scope, Some("area_path"), None);
    let mut all = args![id];
    all.extend(a);
    db.fetch_optional(
        &format!("SELECT {COLS} FROM disputes WHERE id = ? AND {pred}"),
        all,
    )
    .await
}

/// The dispute an incident was handed to mediation as (at most one).
pub async fn for_incident(db: &Db, incident_id: &str) -> Result<Option<DisputeRow>> {
    db.fetch_optional(
        &format!(
            "SELECT {COLS} FROM disputes WHERE incident_id = ? ORDER BY registered_at LIMIT 1"
        ),
        args![incident_id],
    )
    .await
}

pub async fn get_unscoped(db: &Db, id: &str) -> Result<Option<DisputeRow>> {
    db.fetch_optional(
        &format!("SELECT {COLS} FROM disputes WHERE id = ?"),
        args![id],
    )
    .await
}

/// The dispute as it is now, held until the transaction ends (PostgreSQL `FOR UPDATE`; SQLite's
/// `BEGIN IMMEDIATE` already holds the writer): for writes that record the dispute's state without
/// moving it, so they cannot record a state read before a concurrent step.
pub async fn get_locked(tx: &mut Tx, id: &str) -> Result<Option<DisputeRow>> {
    let lock = match tx.backend() {
        crate::Backend::Sqlite => "",
        crate::Backend::Postgres => " FOR UPDATE",
    };
    tx.fetch_optional(
        &format!("SELECT {COLS} FROM disputes WHERE id = ?{lock}"),
        args![id],
    )
    .await
}

#[derive(Debug, Clone, Default)]
pub struct DisputeFilter {
    pub statuses: Vec<String>,
    pub tier: Option<String>,
    pub grade: Option<String>,
    /// Within this area (path prefix, e.g. a village's `/330681/330681109/330681109004/`).
    pub area_path: Option<String>,
    /// Registered at or after (UTC micros).
    pub since: Option<i64>,
    /// Mediating disputes whose tier time has run out at this instant.
    pub overdue_at: Option<i64>,
    pub limit: i64,
}

pub async fn list(db: &Db, scope: &Scope, f: &DisputeFilter) -> Result<Vec<DisputeRow>> {
    let (pred, mut a) = scope::predicate(scope, Some("area_path"), None);
    let mut sql = format!("SELECT {COLS} FROM disputes WHERE {pred}");
    if !f.statuses.is_empty() {
        sql.push_str(&format!(
            " AND status IN ({})",
            vec!["?"; f.statuses.len()].join(", ")
        ));
        a.extend(f.statuses.iter().map(Value::from));
    }
    if let Some(t) = &f.tier {
        sql.push_str(" AND tier = ?");
        a.push(t.into());
    }
    if let Some(g) = &f.grade {
        sql.push_str(" AND grade = ?");
        a.push(g.into());
    }
    if let Some(p) = &f.area_path {
        sql.push_str(" AND area_path LIKE ?");
        a.push(format!("{p}%").into());
    }
    if let Some(t) = f.since {
        sql.push_str(" AND registered_at >= ?");
        a.push(t.into());
    }
    if let Some(now) = f.overdue_at {
        sql.push_str(" AND status = 'mediating' AND tier_due <= ?");
        a.push(now.into());
    }
    sql.push_str(" ORDER BY registered_at DESC LIMIT ?");
    a.push(f.limit.clamp(1, 1000).into());
    db.fetch_all(&sql, a).await
}

/// What a status step writes besides the status.
#[derive(Debug, Clone, Default)]
pub struct StepChange {
    pub agreed_at: Option<i64>,
    pub failed_at: Option<i64>,
    pub withdrawn_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub transfer_to: Option<String>,
    pub outcome_note: Option<String>,
    /// Reopening: a new clock at the current tier.
    pub reopen_due: Option<i64>,
    /// Escalation: the new tier and its clock.
    pub tier: Option<(String, i64)>,
    /// Extension approved: days added and the new due time.
    pub extend: Option<(i64, i64)>,
}

/// Moves `row` to `to` at `at` if nobody changed it since it was read; `Conflict` otherwise. Emits
/// `dispute.status_changed` for partners with the change (`action`: what was done).
pub async fn step(
    tx: &mut Tx,
    row: &DisputeRow,
    action: &str,
    to: Status,
    at: i64,
    c: &StepChange,
) -> Result<()> {
    let mut sql = String::from("UPDATE disputes SET status = ?, updated_at = ?");
    let mut a = args![to.code(), at];
    for (col, v) in [
        ("agreed_at", c.agreed_at),
        ("failed_at", c.failed_at),
        ("withdrawn_at", c.withdrawn_at),
        ("closed_at", c.closed_at),
    ] {
        if let Some(v) = v {
            // The first agreement counts for the KPIs.
            if col == "agreed_at" {
                // The tier it was agreed at and whether within that tier's time, as they were when
                // first agreed (a reopened dispute gets a new deadline; the KPI keeps this one).
                sql.push_str(
                    ", agreed_tier = COALESCE(agreed_tier, tier), agreed_on_time = COALESCE(agreed_on_time, \
                     CASE WHEN agreed_at IS NULL AND ? < tier_due THEN TRUE WHEN agreed_at IS NULL THEN FALSE END)",
                );
                a.push(v.into());
                sql.push_str(", agreed_at = COALESCE(agreed_at, ?)");
            } else {
                sql.push_str(&format!(", {col} = ?"));
            }
            a.push(v.into());
        }
    }
    for (col, v) in [
        ("transfer_to", &c.transfer_to),
        ("outcome_note", &c.outcome_note),
    ] {
        if let Some(v) = v {
            sql.push_str(&format!(", {col} = ?"));
            a.push(v.into());
        }
    }
    if let Some(due) = c.reopen_due {
        sql.push_str(", reopened = reopened + 1, tier_since = ?, tier_due = ?, extension_days = 0");
        a.extend(args![at, due]);
    }
    if let Some((tier, due)) = &c.tier {
        sql.push_str(", tier = ?, tier_since = ?, tier_due = ?, extension_days = 0");
        a.extend(args![tier.as_str(), at, *due]);
    }
    if let Some((days, due)) = c.extend {
        sql.push_str(", extension_days = extension_days + ?, tier_due = ?");
        a.extend(args![days, due]);
    }
    sql.push_str(" WHERE id = ? AND status = ? AND tier = ? AND updated_at = ? RETURNING id");
    a.extend(args![
        row.id.as_str(),
        row.status.as_str(),
        row.tier.as_str(),
        row.updated_at
    ]);
    let moved: Option<(String,)> = tx.fetch_optional(&sql, a).await?;
    if moved.is_none() {
        return Err(StoreError::Conflict(format!(
            "dispute {} changed while you were acting on it; reload and try again",
            row.number
        )));
    }
    let tier = c.tier.as_ref().map_or(row.tier.as_str(), |t| t.0.as_str());
    tx.emit(Shared {
        event_type: EventType::DisputeStatusChanged,
        aggregate_id: row.id.clone(),
        area_path: row.area_path.clone(),
        occurred_at: at,
        data: object(serde_json::json!({
            "number": row.number,
            "action": action,
            "from_status": row.status,
            "status": to.code(),
            "tier": tier,
            "at": rfc3339(at),
            "area_path": row.area_path,
            "grid_code": row.grid_code,
        })),
    });
    Ok(())
}

/// Mediating disputes whose tier time has run out and that have a tier above, oldest due first.
pub async fn due_for_escalation(db: &Db, now: i64, limit: i64) -> Result<Vec<DisputeRow>> {
    db.fetch_all(
        &format!(
            "SELECT {COLS} FROM disputes WHERE status = 'mediating' AND tier_due <= ? AND tier <> 'district' \
             ORDER BY tier_due LIMIT ?"
        ),
        args![now, limit],
    )
    .await
}

pub async fn parties(db: &Db, dispute_id: &str) -> Result<Vec<PartyRow>> {
    db.fetch_all(
        &format!("SELECT {PARTY_COLS} FROM dispute_parties WHERE dispute_id = ? ORDER BY seq"),
        args![dispute_id],
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub at: i64,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub tier: String,
    pub actor_name: String,
    pub note: Option<String>,
}

pub async fn events(db: &Db, dispute_id: &str) -> Result<Vec<EventRow>> {
    db.fetch_all(
        "SELECT at, action, from_status, to_status, tier, actor_name, note FROM dispute_events \
         WHERE dispute_id = ? ORDER BY at, id",
        args![dispute_id],
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrgRow {
    pub org_name: String,
    pub org_kind: String,
    pub lead: bool,
    pub added_at: i64,
}

pub async fn add_org(tx: &mut Tx, dispute_id: &str, o: &OrgRow) -> Result<()> {
    tx.fetch_one::<(String,)>(
        "INSERT INTO dispute_orgs (dispute_id, org_name, org_kind, lead, added_at) VALUES (?, ?, ?, ?, ?) RETURNING org_name",
        args![dispute_id, o.org_name.as_str(), o.org_kind.as_str(), o.lead, o.added_at],
    )
    .await
    .map_err(|e| match e {
        StoreError::Conflict(_) => {
            StoreError::Conflict(format!("{} already takes part in this mediation", o.org_name))
        }
        other => other,
    })?;
    Ok(())
}

pub async fn orgs(db: &Db, dispute_id: &str) -> Result<Vec<OrgRow>> {
    db.fetch_all(
        "SELECT org_name, org_kind, lead, added_at FROM dispute_orgs WHERE dispute_id = ? ORDER BY lead DESC, added_at",
        args![dispute_id],
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id: String,
    pub held_at: i64,
    pub place: String,
    pub attendees: String,
    pub notes: String,
    pub recorded_by: String,
    pub recorded_at: i64,
}

pub fn add_session(tx: &mut Tx, dispute_id: &str, s: &SessionRow) {
    tx.queue(
        "INSERT INTO dispute_sessions (id, dispute_id, held_at, place, attendees, notes, recorded_by, recorded_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        args![
            s.id.as_str(),
            dispute_id,
            s.held_at,
            s.place.as_str(),
            s.attendees.as_str(),
            s.notes.as_str(),
            s.recorded_by.as_str(),
            s.recorded_at
        ],
    );
}

pub async fn sessions(db: &Db, dispute_id: &str) -> Result<Vec<SessionRow>> {
    db.fetch_all(
        "SELECT id, held_at, place, attendees, notes, recorded_by, recorded_at FROM dispute_sessions \
         WHERE dispute_id = ? ORDER BY held_at, id",
        args![dispute_id],
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AgreementRow {
    pub id: String,
    pub dispute_id: String,
    pub made_at: i64,
    pub form: String,
    pub facts: String,
    pub issues: String,
    pub responsibilities: String,
    pub mediator: String,
    pub committee: String,
    pub judicial_confirmation: bool,
    pub confirm_by: Option<i64>,
    pub superseded_at: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TermRow {
    pub agreement_id: String,
    pub seq: i64,
    pub content: String,
    pub performer: String,
    pub due_date: String,
}

/// Records the agreement (an earlier one of a reopened dispute is marked superseded), its terms and
/// the follow-up visits at `followup_due`.
pub fn add_agreement(tx: &mut Tx, a: &AgreementRow, terms: &[TermRow], followup_due: &[i64]) {
    tx.queue(
        "UPDATE dispute_agreements SET superseded_at = ? WHERE dispute_id = ? AND superseded_at IS NULL",
        args![a.made_at, a.dispute_id.as_str()],
    );
    tx.queue(
        "INSERT INTO dispute_agreements (id, dispute_id, made_at, form, facts, issues, responsibilities, mediator, \
         committee, judicial_confirmation, confirm_by, superseded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        args![
            a.id.as_str(),
            a.dispute_id.as_str(),
            a.made_at,
            a.form.as_str(),
            a.facts.as_str(),
            a.issues.as_str(),
            a.responsibilities.as_str(),
            a.mediator.as_str(),
            a.committee.as_str(),
            a.judicial_confirmation,
            a.confirm_by,
            None::<i64>
        ],
    );
    for t in terms {
        tx.queue(
            "INSERT INTO agreement_terms (agreement_id, seq, content, performer, due_date) VALUES (?, ?, ?, ?, ?)",
            args![
                a.id.as_str(),
                t.seq,
                t.content.as_str(),
                t.performer.as_str(),
                t.due_date.as_str()
            ],
        );
    }
    // Visits still pending for an earlier agreement are void.
    tx.queue(
        "DELETE FROM dispute_followups WHERE dispute_id = ? AND done_at IS NULL",
        args![a.dispute_id.as_str()],
    );
    for due in followup_due {
        tx.queue(
            "INSERT INTO dispute_followups (id, dispute_id, agreement_id, due_at) VALUES (?, ?, ?, ?)",
            args![new_id(), a.dispute_id.as_str(), a.id.as_str(), *due],
        );
    }
}

pub async fn agreements(db: &Db, dispute_id: &str) -> Result<Vec<AgreementRow>> {
    db.fetch_all(
        "SELECT id, dispute_id, made_at, form, facts, issues, responsibilities, mediator, committee, \
         judicial_confirmation, confirm_by, superseded_at FROM dispute_agreements WHERE dispute_id = ? ORDER BY made_at, id",
        args![dispute_id],
    )
    .await
}

pub async fn terms(db: &Db, agreement_id: &str) -> Result<Vec<TermRow>> {
    db.fetch_all(
        "SELECT agreement_id, seq, content, performer, due_date FROM agreement_terms WHERE agreement_id = ? ORDER BY seq",
        args![agreement_id],
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FollowUpRow {
    pub id: String,
    pub agreement_id: String,
    pub due_at: i64,
    pub done_at: Option<i64>,
    pub result: Option<String>,
    pub note: Option<String>,
    pub done_by: Option<String>,
}

pub async fn followups(db: &Db, dispute_id: &str) -> Result<Vec<FollowUpRow>> {
    db.fetch_all(
        "SELECT id, agreement_id, due_at, done_at, result, note, done_by FROM dispute_followups \
         WHERE dispute_id = ? ORDER BY due_at, id",
        args![dispute_id],
    )
    .await
}

/// Records a visit once; `Conflict` if it was already recorded.
pub async fn record_followup(
    tx: &mut Tx,
    dispute_id: &str,
    id: &str,
    at: i64,
    result: &str,
    note: Option<&str>,
    by: &str,
) -> Result<()> {
    let done: Option<(String,)> = tx
        .fetch_optional(
            "UPDATE dispute_followups SET done_at = ?, result = ?, note = ?, done_by = ? \
             WHERE id = ? AND dispute_id = ? AND done_at IS NULL RETURNING id",
            args![at, result, note, by, id, dispute_id],
        )
        .await?;
    done.map(|_| ()).ok_or_else(|| {
        StoreError::Conflict("that follow-up visit is already recorded or no longer due".into())
    })
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExtensionRow {
    pub id: String,
    pub tier: String,
    pub days: i64,
    pub reason: String,
    pub requested_by: String,
    pub requested_at: i64,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub approved: Option<bool>,
    pub decision_note: Option<String>,
}

pub fn request_extension(tx: &mut Tx, dispute_id: &str, e: &ExtensionRow) {
    tx.queue(
        "INSERT INTO dispute_extensions (id, dispute_id, tier, days, reason, requested_by, requested_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
        args![
            e.id.as_str(),
            dispute_id,
            e.tier.as_str(),
            e.days,
            e.reason.as_str(),
            e.requested_by.as_str(),
            e.requested_at
        ],
    );
}

pub async fn extensions(db: &Db, dispute_id: &str) -> Result<Vec<ExtensionRow>> {
    db.fetch_all(
        "SELECT id, tier, days, reason, requested_by, requested_at, decided_by, decided_at, approved, decision_note \
         FROM dispute_extensions WHERE dispute_id = ? ORDER BY requested_at, id",
        args![dispute_id],
    )
    .await
}

/// Decides a pending request once; returns it as it was.
pub async fn decide_extension(
    tx: &mut Tx,
    dispute_id: &str,
    id: &str,
    approved: bool,
    by: &str,
    at: i64,
    note: Option<&str>,
) -> Result<ExtensionRow> {
    tx.fetch_optional(
        "UPDATE dispute_extensions SET approved = ?, decided_by = ?, decided_at = ?, decision_note = ? \
         WHERE id = ? AND dispute_id = ? AND approved IS NULL \
         RETURNING id, tier, days, reason, requested_by, requested_at, decided_by, decided_at, approved, decision_note",
        args![approved, by, at, note, id, dispute_id],
    )
    .await?
    .ok_or_else(|| StoreError::Conflict("that extension request is already decided".into()))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AlertRow {
    pub id: String,
    pub dispute_id: String,
    pub incident_id: String,
    pub at: i64,
    pub reason: String,
}

/// Records a 民转刑 alert once per dispute and incident; false if it was already there.
pub async fn add_alert(tx: &mut Tx, a: &AlertRow) -> Result<bool> {
    let added: Option<(String,)> = tx
        .fetch_optional(
            "INSERT INTO dispute_alerts (id, dispute_id, incident_id, at, reason) VALUES (?, ?, ?, ?, ?) \
             ON CONFLICT (dispute_id, incident_id) DO NOTHING RETURNING id",
            args![
                a.id.as_str(),
                a.dispute_id.as_str(),
                a.incident_id.as_str(),
                a.at,
                a.reason.as_str()
            ],
        )
        .await?;
    Ok(added.is_some())
}

pub async fn alerts(db: &Db, dispute_id: &str) -> Result<Vec<AlertRow>> {
    db.fetch_all(
        "SELECT id, dispute_id, incident_id, at, reason FROM dispute_alerts WHERE dispute_id = ? ORDER BY at, id",
        args![dispute_id],
    )
    .await
}

/// Disputes watched for 民转刑 at a violent incident: at the same address, inside `bbox` around it,
/// or with a party whose phone's blind index is `phone_index`. The caller applies the exact rules.
pub async fn watch_candidates(
    db: &Db,
    bbox: [f64; 4],
    address: &str,
    phone_index: Option<&str>,
) -> Result<Vec<DisputeRow>> {
    let cells = cells_covering(bbox);
    let marks = vec!["?"; cells.len()].join(", ");
    let mut a: Vec<Value> = cells.into_iter().map(Value::from).collect();
    a.extend(args![bbox[0], bbox[2], bbox[1], bbox[3], address]);
    let mut sql = format!(
        "SELECT {COLS} FROM disputes WHERE status <> 'withdrawn' AND ((cell IN ({marks}) AND lng >= ? AND lng <= ? \
         AND lat >= ? AND lat <= ?) OR address = ?"
    );
    if let Some(p) = phone_index {
        sql.push_str(" OR id IN (SELECT dispute_id FROM dispute_parties WHERE phone_index = ?)");
        a.push(p.into());
    }
    sql.push_str(") ORDER BY registered_at LIMIT 200");
    db.fetch_all(&sql, a).await
}

/// Whether any party of the dispute has this phone blind index.
pub async fn has_party_phone(db: &Db, dispute_id: &str, phone_index: &str) -> Result<bool> {
    let r: Option<(String,)> = db
        .fetch_optional(
            "SELECT id FROM dispute_parties WHERE dispute_id = ? AND phone_index = ? LIMIT 1",
            args![dispute_id, phone_index],
        )
        .await?;
    Ok(r.is_some())
}

/// Users holding one of `roles` with an area grant of exactly `area_path`: the people responsible at a
/// tier. (id, username).
pub async fn responsible_users(
    db: &Db,
    area_path: &str,
    roles: &[&str],
) -> Result<Vec<(String, String)>> {
    if roles.is_empty() {
        return Ok(Vec::new());
    }
    let mut a = args![area_path];
    a.extend(roles.iter().map(|r| Value::from(*r)));
    db.fetch_all(
        &format!(
            "SELECT u.id, u.username FROM users u JOIN user_scopes s ON s.user_id = u.id \
             WHERE s.kind = 'area' AND s.path = ? AND u.disabled = FALSE AND u.role IN ({}) ORDER BY u.username",
            vec!["?"; roles.len()].join(", ")
        ),
        a,
    )
    .await
}

#[derive(sqlx::FromRow)]
struct FactsRow {
    id: String,
    registered_at: i64,
    agreed_at: Option<i64>,
    failed_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct TimedRow {
    dispute_id: String,
    at: i64,
}

#[derive(sqlx::FromRow)]
struct FollowRow {
    dispute_id: String,
    done_at: Option<i64>,
    result: Option<String>,
}

/// What the KPIs need of every dispute under `area_path`.
pub async fn facts(db: &Db, area_path: &str) -> Result<Vec<DisputeFacts>> {
    let like = format!("{area_path}%");
    let rows: Vec<FactsRow> = db
        .fetch_all(
            "SELECT id, registered_at, agreed_at, failed_at FROM disputes WHERE area_path LIKE ?",
            args![like.as_str()],
        )
        .await?;
    let escalations: Vec<TimedRow> = db
        .fetch_all(
            "SELECT e.dispute_id, e.at FROM dispute_events e JOIN disputes d ON d.id = e.dispute_id \
             WHERE e.action = 'escalate' AND d.area_path LIKE ?",
            args![like.as_str()],
        )
        .await?;
    let alerts: Vec<TimedRow> = db
        .fetch_all(
            "SELECT a.dispute_id, a.at FROM dispute_alerts a JOIN disputes d ON d.id = a.dispute_id WHERE d.area_path LIKE ?",
            args![like.as_str()],
        )
        .await?;
    // Follow-ups of the first agreement: did the dispute's agreement hold?
    let follows: Vec<FollowRow> = db
        .fetch_all(
            "SELECT f.dispute_id, f.done_at, f.result FROM dispute_followups f JOIN disputes d ON d.id = f.dispute_id \
             WHERE d.area_path LIKE ? ORDER BY f.due_at",
            args![like.as_str()],
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let mine: Vec<&FollowRow> = follows.iter().filter(|f| f.dispute_id == r.id).collect();
            let breached = mine.iter().any(|f| f.result.as_deref() == Some("breached"));
            let all_done = !mine.is_empty() && mine.iter().all(|f| f.done_at.is_some());
            let performed = if breached {
                Some(false)
            } else if all_done {
                Some(
                    mine.iter()
                        .all(|f| f.result.as_deref() == Some("performed")),
                )
            } else {
                None
            };
            DisputeFacts {
                registered_at: r.registered_at,
                agreed_at: r.agreed_at,
                failed_at: r.failed_at,
                performed,
                escalations: escalations
                    .iter()
                    .filter(|e| e.dispute_id == r.id)
                    .map(|e| e.at)
                    .collect(),
                criminal_turns: alerts
                    .iter()
                    .filter(|e| e.dispute_id == r.id)
                    .map(|e| e.at)
                    .collect(),
            }
        })
        .collect())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TypeRow {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub active: bool,
}

pub async fn types(db: &Db) -> Result<Vec<TypeRow>> {
    db.fetch_all(
        "SELECT code, name_zh, name_en, active FROM dispute_types ORDER BY code",
        args![],
    )
    .await
}

pub async fn upsert_type(tx: &mut Tx, t: &TypeRow, at: i64) -> Result<()> {
    tx.execute(
        "INSERT INTO dispute_types (code, name_zh, name_en, active, updated_at) VALUES (?, ?, ?, ?, ?) \
         ON CONFLICT (code) DO UPDATE SET name_zh = excluded.name_zh, name_en = excluded.name_en, \
         active = excluded.active, updated_at = excluded.updated_at",
        args![
            t.code.as_str(),
            t.name_zh.as_str(),
            t.name_en.as_str(),
            t.active,
            at
        ],
    )
    .await?;
    Ok(())
}

/// A 排查 campaign: grids to screen for disputes between two dates.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CampaignRow {
    pub id: String,
    pub name: String,
    pub area_path: String,
    pub starts_on: String,
    pub ends_on: String,
    pub created_by: String,
    pub created_at: i64,
    /// Grids assigned.
    pub grids: i64,
    /// Grids reported done.
    pub done: i64,
    /// Disputes registered under the campaign.
    pub found: i64,
}

const CAMPAIGN_SELECT: &str = "SELECT c.id, c.name, c.area_path, c.starts_on, c.ends_on, c.created_by, c.created_at, \
    (SELECT COUNT(*) FROM campaign_grids g WHERE g.campaign_id = c.id) AS grids, \
    (SELECT COUNT(*) FROM campaign_grids g WHERE g.campaign_id = c.id AND g.done_at IS NOT NULL) AS done, \
    (SELECT COUNT(*) FROM disputes d WHERE d.campaign_id = c.id) AS found FROM screening_campaigns c";

/// Creates a campaign over `grids` (code, area path).
pub fn create_campaign(tx: &mut Tx, c: &CampaignRow, grids: &[(String, String)]) {
    tx.queue(
        "INSERT INTO screening_campaigns (id, name, area_path, starts_on, ends_on, created_by, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
        args![
            c.id.as_str(),
            c.name.as_str(),
            c.area_path.as_str(),
            c.starts_on.as_str(),
            c.ends_on.as_str(),
            c.created_by.as_str(),
            c.created_at
        ],
    );
    for (code, path) in grids {
        tx.queue(
            "INSERT INTO campaign_grids (campaign_id, grid_code, area_path) VALUES (?, ?, ?)",
            args![c.id.as_str(), code.as_str(), path.as_str()],
        );
    }
}

/// Campaigns whose area lies in the caller's scope or covers part of it, newest first.
pub async fn campaigns(db: &Db, scope: &Scope) -> Result<Vec<CampaignRow>> {
    let (pred, a) = scope::predicate(scope, Some("g.area_path"), None);
    db.fetch_all(
        &format!(
            "{CAMPAIGN_SELECT} WHERE EXISTS (SELECT 1 FROM campaign_grids g WHERE g.campaign_id = c.id AND {pred}) \
             ORDER BY c.created_at DESC LIMIT 200"
        ),
        a,
    )
    .await
}

pub async fn campaign(db: &Db, scope: &Scope, id: &str) -> Result<Option<CampaignRow>> {
    let (pred, a) = scope::predicate(scope, Some("g.area_path"), None);
    let mut all = args![id];
    all.extend(a);
    db.fetch_optional(
        &format!(
            "{CAMPAIGN_SELECT} WHERE c.id = ? AND EXISTS (SELECT 1 FROM campaign_grids g WHERE g.campaign_id = c.id AND {pred})"
        ),
        all,
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CampaignGridRow {
    pub grid_code: String,
    pub area_path: String,
    pub done_at: Option<i64>,
    pub done_by: Option<String>,
    pub note: Option<String>,
    pub found: i64,
}

pub async fn campaign_grids(db: &Db, campaign_id: &str) -> Result<Vec<CampaignGridRow>> {
    db.fetch_all(
        "SELECT g.grid_code, g.area_path, g.done_at, g.done_by, g.note, \
         (SELECT COUNT(*) FROM disputes d WHERE d.campaign_id = g.campaign_id AND d.grid_code = g.grid_code) AS found \
         FROM campaign_grids g WHERE g.campaign_id = ? ORDER BY g.grid_code",
        args![campaign_id],
    )
    .await
}

/// Marks a grid screened, once; `Conflict` if it already was or is not in the campaign.
pub async fn report_grid(
    tx: &mut Tx,
    campaign_id: &str,
    grid_code: &str,
    note: Option<&str>,
    by: &str,
    at: i64,
) -> Result<()> {
    let done: Option<(String,)> = tx
        .fetch_optional(
            "UPDATE campaign_grids SET done_at = ?, done_by = ?, note = ? \
             WHERE campaign_id = ? AND grid_code = ? AND done_at IS NULL RETURNING grid_code",
            args![at, by, note, campaign_id, grid_code],
        )
        .await?;
    done.map(|_| ()).ok_or_else(|| {
        StoreError::Conflict(format!(
            "grid {grid_code} is already reported for this campaign"
        ))
    })
}

/// Whether `grid_code` belongs to the campaign.
pub async fn campaign_has_grid(db: &Db, campaign_id: &str, grid_code: &str) -> Result<bool> {
    let r: Option<(String,)> = db
        .fetch_optional(
            "SELECT grid_code FROM campaign_grids WHERE campaign_id = ? AND grid_code = ?",
            args![campaign_id, grid_code],
        )
        .await?;
    Ok(r.is_some())
}

/// Agreements in force whose parties chose 司法确认 and whose deadline is within `lead` of `now`, not yet
/// reminded: marks each reminded (once, even with several servers sweeping) and returns
/// (dispute id, confirm_by).
pub async fn due_confirmation_reminders(
    tx: &mut Tx,
    now: i64,
    lead: i64,
) -> Result<Vec<(String, i64)>> {
    tx.fetch_all(
        "UPDATE dispute_agreements SET confirm_reminded_at = ? \
         WHERE judicial_confirmation = TRUE AND superseded_at IS NULL AND confirm_reminded_at IS NULL \
         AND confirm_by IS NOT NULL AND confirm_by - ? <= ? AND confirm_by > ? \
         RETURNING dispute_id, confirm_by",
        args![now, lead, now, now],
    )
    .await
}
