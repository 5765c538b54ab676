//! 联席会议: joint meetings, scoped by the organiser's organisation path and area path; their
//! participating organisations and people, agenda items, decisions and attachments by reference.

use crate::db::{Db, Tx};
use crate::{Result, Value, args, scope};
use pingan_domain::Scope;

fn in_scope(s: &Scope) -> (String, Vec<Value>) {
    scope::predicate(s, Some("m.area_path"), Some("m.org_path"))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MeetingRow {
    pub id: String,
    pub title: String,
    pub org_id: String,
    pub org_name: String,
    pub org_path: String,
    pub area_path: String,
    pub held_at: i64,
    pub place: String,
    pub minutes: String,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// Decisions recorded.
    pub decisions: i64,
}

const SELECT: &str = "SELECT m.id, m.title, m.org_id, o.name AS org_name, m.org_path, m.area_path, \
    m.held_at, m.place, m.minutes, m.created_by, m.created_at, m.updated_at, \
    (SELECT COUNT(*) FROM meeting_decisions d WHERE d.meeting_id = m.id) AS decisions \
    FROM meetings m JOIN orgs o ON o.id = m.org_id";

pub async fn insert(tx: &mut Tx, m: &MeetingRow) -> Result<()> {
    tx.execute(
        "INSERT INTO meetings (id, title, org_id, org_path, area_path, held_at, place, minutes, \
         created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        args![
            m.id.as_str(),
            m.title.as_str(),
            m.org_id.as_str(),
            m.org_path.as_str(),
            m.area_path.as_str(),
            m.held_at,
            m.place.as_str(),
            m.minutes.as_str(),
            m.created_by.as_str(),
            m.created_at,
            m.updated_at
        ],
    )
    .await?;
    Ok(())
}

/// The meetings in scope, newest first (at most `limit`).
pub async fn list(db: &Db, s: &Scope, limit: i64) -> Result<Vec<MeetingRow>> {
    let (pred, mut a) = in_scope(s);
    a.push(Value::from(limit));
    db.fetch_all(
        &format!("{SELECT} WHERE {pred} ORDER BY m.held_at DESC, m.id LIMIT ?"),
        a,
    )
    .await
}

/// One meeting in scope (None also when out of scope).
pub async fn get(db: &Db, s: &Scope, id: &str) -> Result<Option<MeetingRow>> {
    let (pred, a) = in_scope(s);
    let mut all = args![id];
    all.extend(a);
    db.fetch_optional(&format!("{SELECT} WHERE m.id = ? AND {pred}"), all)
        .await
}

/// The same inside a write, so what is checked is what is written against.
pub async fn get_tx(tx: &mut Tx, s: &Scope, id: &str) -> Result<Option<MeetingRow>> {
    let (pred, a) = in_scope(s);
    let mut all = args![id];
    all.extend(a);
    tx.fetch_optional(&format!("{SELECT} WHERE m.id = ? AND {pred}"), all)
        .await
}

/// Replaces the minutes when the meeting is as the writer read it (`updated_at`); false otherwise.
pub async fn set_minutes(
    tx: &mut Tx,
    id: &str,
    minutes: &str,
    read_at: i64,
    now: i64,
) -> Result<bool> {
    Ok(tx
        .execute(
            "UPDATE meetings SET minutes = ?, updated_at = ? WHERE id = ? AND updated_at = ?",
            args![minutes, now.max(read_at.saturating_add(1)), id, read_at],
        )
        .await?
        == 1)
}

pub async fn touch(tx: &mut Tx, id: &str, now: i64) -> Result<()> {
    tx.execute(
        "UPDATE meetings SET updated_at = CASE WHEN updated_at < ? THEN ? ELSE updated_at + 1 END \
         WHERE id = ?",
        args![now, now, id],
    )
    .await?;
    Ok(())
}

pub async fn add_org(tx: &mut Tx, meeting_id: &str, org_id: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO meeting_orgs (meeting_id, org_id) VALUES (?, ?)",
        args![meeting_id, org_id],
    )
    .await?;
    Ok(())
}

/// (org id, name) of the participating organisations.
pub async fn orgs(db: &Db, meeting_id: &str) -> Result<Vec<(String, String)>> {
    db.fetch_all(
        "SELECT o.id, o.name FROM meeting_orgs mo JOIN orgs o ON o.id = mo.org_id \
         WHERE mo.meeting_id = ? ORDER BY o.path",
        args![meeting_id],
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttendeeRow {
    pub id: String,
    pub meeting_id: String,
    pub user_id: Option<String>,
    pub name: String,
}

pub async fn add_attendee(tx: &mut Tx, a: &AttendeeRow) -> Result<()> {
    tx.execute(
        "INSERT INTO meeting_attendees (id, meeting_id, user_id, name) VALUES (?, ?, ?, ?)",
        args![
            a.id.as_str(),
            a.meeting_id.as_str(),
            a.user_id.clone(),
            a.name.as_str()
        ],
    )
    .await?;
    Ok(())
}

pub async fn attendees(db: &Db, meeting_id: &str) -> Result<Vec<AttendeeRow>> {
    db.fetch_all(
        "SELECT id, meeting_id, user_id, name FROM meeting_attendees WHERE meeting_id = ? \
         ORDER BY name, id",
        args![meeting_id],
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AgendaRow {
    pub id: String,
    pub meeting_id: String,
    pub seq: i64,
    pub title: String,
    pub link_kind: Option<String>,
    pub link_id: Option<String>,
}

pub async fn add_agenda(tx: &mut Tx, a: &AgendaRow) -> Result<()> {
    tx.execute(
        "INSERT INTO meeting_agenda (id, meeting_id, seq, title, link_kind, link_id) \
         VALUES (?, ?, ?, ?, ?, ?)",
        args![
            a.id.as_str(),
            a.meeting_id.as_str(),
            a.seq,
            a.title.as_str(),
            a.link_kind.clone(),
            a.link_id.clone()
        ],
    )
    .await?;
    Ok(())
}

pub async fn agenda(db: &Db, meeting_id: &str) -> Result<Vec<AgendaRow>> {
    db.fetch_all(
        "SELECT id, meeting_id, seq, title, link_kind, link_id FROM meeting_agenda \
         WHERE meeting_id = ? ORDER BY seq",
        args![meeting_id],
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DecisionRow {
    pub id: String,
    pub meeting_id: String,
    pub seq: i64,
    pub text: String,
    /// JSON list of the organisations' ids that agreed, where the decision needs it.
    pub agreed_by: String,
    pub created_by: String,
    pub created_at: i64,
}

pub async fn add_decision(tx: &mut Tx, d: &DecisionRow) -> Result<()> {
    tx.execute(
        "INSERT INTO meeting_decisions (id, meeting_id, seq, text, agreed_by, created_by, \
         created_at) VALUES (?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM meeting_decisions \
         WHERE meeting_id = ?), ?, ?, ?, ?)",
        args![
            d.id.as_str(),
            d.meeting_id.as_str(),
            d.meeting_id.as_str(),
            d.text.as_str(),
            d.agreed_by.as_str(),
            d.created_by.as_str(),
            d.created_at
        ],
    )
    .await?;
    Ok(())
}

const DECISION_COLS: &str = "id, meeting_id, seq, text, agreed_by, created_by, created_at";

pub async fn decisions(db: &Db, meeting_id: &str) -> Result<Vec<DecisionRow>> {
    db.fetch_all(
        &format!("SELECT {DECISION_COLS} FROM meeting_decisions WHERE meeting_id = ? ORDER BY seq"),
        args![meeting_id],
    )
    .await
}

pub async fn decision_tx(
    tx: &mut Tx,
    meeting_id: &str,
    decision_id: &str,
) -> Result<Option<DecisionRow>> {
    tx.fetch_optional(
        &format!("SELECT {DECISION_COLS} FROM meeting_decisions WHERE meeting_id = ? AND id = ?"),
        args![meeting_id, decision_id],
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttachmentRow {
    pub id: String,
    pub meeting_id: String,
    pub name: String,
    pub sm3: String,
    pub reference: String,
    pub added_by: String,
    pub added_at: i64,
}

pub async fn add_attachment(tx: &mut Tx, a: &AttachmentRow) -> Result<()> {
    tx.execute(
        "INSERT INTO meeting_attachments (id, meeting_id, name, sm3, reference, added_by, \
         added_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        args![
            a.id.as_str(),
            a.meeting_id.as_str(),
            a.name.as_str(),
            a.sm3.as_str(),
            a.reference.as_str(),
            a.added_by.as_str(),
            a.added_at
        ],
    )
    .await?;
    Ok(())
}

pub async fn attachments(db: &Db, meeting_id: &str) -> Result<Vec<AttachmentRow>> {
    db.fetch_all(
        "SELECT id, meeting_id, name, sm3, reference, added_by, added_at FROM meeting_attachments \
         WHERE meeting_id = ? ORDER BY added_at, id",
        args![meeting_id],
    )
    .await
}

/// Whether the object an agenda item or a task links to exists in the reader's scope, by the scope
/// columns of its own table (an object out of scope is as good as missing).
pub async fn linkable(tx: &mut Tx, s: &Scope, kind: &str, id: &str) -> Result<bool> {
    let (table, key, area, org) = match kind {
        "incident" => ("incidents", "id", Some("area_path"), None),
        "dispute" => ("disputes", "id", Some("area_path"), None),
        "case" => ("cases", "id", Some("area_path"), Some("org_path")),
        "place" => ("places", "id", Some("area_path"), None),
        "risk" => ("risks", "id", Some("area_path"), None),
        _ => return Ok(false),
    };
    let (pred, a) = scope::predicate(s, area, org);
    let mut all = args![id];
    all.extend(a);
    let n: (i64,) = tx
        .fetch_one(
            &format!("SELECT COUNT(*) FROM {table} WHERE {key} = ? AND {pred}"),
            all,
        )
        .await?;
    Ok(n.0 > 0)
}
