//! 队伍建设: training sessions and attendance, certificates, mentoring pairs. Each row about a person
//! keeps the unit (area and organisation paths) they belonged to when it was recorded, so a unit's
//! training hours for a past period stay what they were when a person moves on.

use crate::db::{Db, Tx};
use crate::{Result, Value, args, scope};
use pingan_domain::Scope;

/// A member of staff as training lists them (accounts of partner agencies are not staff).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StaffRow {
    pub id: String,
    pub display_name: String,
    pub role: String,
    pub org_name: String,
    pub area_path: String,
    pub org_path: String,
}

const STAFF: &str = "SELECT u.id, u.display_name, u.role, o.name AS org_name, \
    COALESCE(o.area_path, '') AS area_path, o.path AS org_path FROM users u JOIN orgs o ON o.id = u.org_id";

/// Active staff whose organisation lies in the scope (as the user list finds them).
pub async fn staff(db: &Db, s: &Scope) -> Result<Vec<StaffRow>> {
    let (pred, a) = scope::predicate(s, Some("o.area_path"), Some("o.path"));
    db.fetch_all(
        &format!(
            "{STAFF} WHERE u.disabled = FALSE AND u.role <> 'partner' AND {pred} \
             ORDER BY o.path, u.display_name, u.id"
        ),
        a,
    )
    .await
}

pub async fn staff_member(db: &Db, s: &Scope, user_id: &str) -> Result<Option<StaffRow>> {
    let (pred, a) = scope::predicate(s, Some("o.area_path"), Some("o.path"));
    let mut all = args![user_id];
    all.extend(a);
    db.fetch_optional(
        &format!("{STAFF} WHERE u.id = ? AND u.role <> 'partner' AND {pred}"),
        all,
    )
    .await
}

/// The member of staff themselves (whatever the scope: a person may always read their own record).
pub async fn myself(db: &Db, user_id: &str) -> Result<Option<StaffRow>> {
    // An account without an organisation still has a record of its own.
    db.fetch_optional(
        "SELECT u.id, u.display_name, u.role, COALESCE(o.name, '') AS org_name, \
         COALESCE(o.area_path, '') AS area_path, COALESCE(o.path, '') AS org_path \
         FROM users u LEFT JOIN orgs o ON o.id = u.org_id WHERE u.id = ?",
        args![user_id],
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub topic: String,
    pub trainer: String,
    pub place: String,
    pub starts_at: i64,
    pub hours: f64,
    pub max_score: Option<f64>,
    pub pass_score: Option<f64>,
    pub area_path: String,
    pub org_path: String,
    pub created_at: i64,
    pub attendees: i64,
}

const SESSION: &str = "SELECT s.id, s.kind, s.title, s.topic, s.trainer, s.place, s.starts_at, s.hours, \
    s.max_score, s.pass_score, s.area_path, s.org_path, s.created_at, \
    (SELECT COUNT(*) FROM training_attendance a WHERE a.session_id = s.id) AS attendees \
    FROM training_sessions s";

/// A session is seen by those whose scope holds its organiser, by those under the area it was
/// held for (a district course is seen at every station), and by its attendees.
fn visible(s: &Scope, user_id: &str) -> (String, Vec<Value>) {
    let (pred, mut a) = scope::predicate(s, Some("s.area_path"), Some("s.org_path"));
    let mut parts = vec![pred];
    for p in s.area_paths() {
        parts.push("? LIKE s.area_path || '%'".into());
        a.push(Value::Text(p.to_string()));
    }
    parts.push(
        "EXISTS (SELECT 1 FROM training_attendance m WHERE m.session_id = s.id AND m.user_id = ?)"
            .into(),
    );
    a.push(Value::from(user_id));
    (format!("({})", parts.join(" OR ")), a)
}

pub fn create_session(tx: &mut Tx, r: &SessionRow, created_by: &str) {
    tx.queue(
        "INSERT INTO training_sessions (id, kind, title, topic, trainer, place, starts_at, hours, \
         max_score, pass_score, area_path, org_path, created_by, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        args![
            r.id.as_str(),
            r.kind.as_str(),
            r.title.as_str(),
            r.topic.as_str(),
            r.trainer.as_str(),
            r.place.as_str(),
            r.starts_at,
            r.hours,
            r.max_score,
            r.pass_score,
            r.area_path.as_str(),
            r.org_path.as_str(),
            created_by,
            r.created_at
        ],
    );
}

/// Sessions the viewer may see that started in `[from, to)`, newest first (at most 500).
pub async fn sessions(
    db: &Db,
    s: &Scope,
    user_id: &str,
    from: i64,
    to: i64,
) -> Result<Vec<SessionRow>> {
    let (pred, a) = visible(s, user_id);
    let mut all = args![from, to];
    all.extend(a);
    db.fetch_all(
        &format!(
            "{SESSION} WHERE s.starts_at >= ? AND s.starts_at < ? AND {pred} \
             ORDER BY s.starts_at DESC, s.id LIMIT 500"
        ),
        all,
    )
    .await
}

pub async fn session(db: &Db, s: &Scope, user_id: &str, id: &str) -> Result<Option<SessionRow>> {
    let (pred, a) = visible(s, user_id);
    let mut all = args![id];
    all.extend(a);
    db.fetch_optional(&format!("{SESSION} WHERE s.id = ? AND {pred}"), all)
        .await
}

#[derive(Debug, Clone)]
pub struct Attendance {
    pub session_id: String,
    pub user_id: String,
    pub area_path: String,
    pub org_path: String,
    pub starts_at: i64,
    pub hours: f64,
    pub score: Option<f64>,
    pub note: String,
    pub recorded_by: String,
    pub recorded_at: i64,
}

/// Records (or corrects) one person's attendance: the hours credited, the score, a note. A
/// correction that leaves the score or note out keeps the one recorded.
pub fn attend(tx: &mut Tx, r: &Attendance) {
    tx.queue(
        "INSERT INTO training_attendance (session_id, user_id, area_path, org_path, starts_at, hours, \
         score, note, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (session_id, user_id) DO UPDATE SET hours = excluded.hours, \
         score = COALESCE(excluded.score, training_attendance.score), \
         note = CASE WHEN excluded.note = '' THEN training_attendance.note ELSE excluded.note END, \
         recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at",
        args![
            r.session_id.as_str(),
            r.user_id.as_str(),
            r.area_path.as_str(),
            r.org_path.as_str(),
            r.starts_at,
            r.hours,
            r.score,
            r.note.as_str(),
            r.recorded_by.as_str(),
            r.recorded_at
        ],
    );
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttendeeRow {
    pub user_id: String,
    pub display_name: String,
    pub org_name: String,
    /// The unit they attended from.
    pub area_path: String,
    pub org_path: String,
    pub hours: f64,
    pub score: Option<f64>,
    pub note: String,
}

/// A session's attendees: best score first when `ranked` (a competition), else by name (so the
/// order tells nothing of scores not shown).
pub async fn attendees(db: &Db, session_id: &str, ranked: bool) -> Result<Vec<AttendeeRow>> {
    let order = if ranked {
        "a.score DESC NULLS LAST, u.display_name, a.user_id"
    } else {
        "u.display_name, a.user_id"
    };
    db.fetch_all(
        &format!(
            "SELECT a.user_id, u.display_name, COALESCE(o.name, '') AS org_name, a.area_path, a.org_path, \
             a.hours, a.score, a.note FROM training_attendance a JOIN users u ON u.id = a.user_id \
             LEFT JOIN orgs o ON o.id = u.org_id WHERE a.session_id = ? ORDER BY {order}"
        ),
        args![session_id],
    )
    .await
}

/// One session in a person's record.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RecordRow {
    pub session_id: String,
    pub kind: String,
    pub title: String,
    pub starts_at: i64,
    pub hours: f64,
    pub score: Option<f64>,
    pub max_score: Option<f64>,
    pub pass_score: Option<f64>,
}

/// The sessions a person attended, newest first.
pub async fn record(db: &Db, user_id: &str) -> Result<Vec<RecordRow>> {
    db.fetch_all(
        "SELECT s.id AS session_id, s.kind, s.title, a.starts_at, a.hours, a.score, s.max_score, s.pass_score \
         FROM training_attendance a JOIN training_sessions s ON s.id = a.session_id \
         WHERE a.user_id = ? ORDER BY a.starts_at DESC, s.id",
        args![user_id],
    )
    .await
}

/// Hours per person in `[from, to)` for the staff in the scope (by the unit they were in then).
pub async fn hours_by_person(
    db: &Db,
    s: &Scope,
    from: i64,
    to: i64,
) -> Result<Vec<(String, f64, i64)>> {
    let (pred, a) = scope::predicate(s, Some("a.area_path"), Some("a.org_path"));
    let mut all = args![from, to];
    all.extend(a);
    db.fetch_all(
        &format!(
            "SELECT a.user_id, CAST(SUM(a.hours) AS DOUBLE PRECISION), COUNT(*) FROM training_attendance a \
             WHERE a.starts_at >= ? AND a.starts_at < ? AND {pred} GROUP BY a.user_id"
        ),
        all,
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CertificateRow {
    pub id: String,
    pub user_id: String,
    pub holder_name: String,
    pub name: String,
    pub issuer: String,
    pub number: String,
    pub issued_on: String,
    pub expires_on: Option<String>,
    pub reminded: i64,
}

const CERT: &str = "SELECT c.id, c.user_id, u.display_name AS holder_name, c.name, c.issuer, c.number, \
    c.issued_on, c.expires_on, c.reminded FROM training_certificates c JOIN users u ON u.id = c.user_id";

#[derive(Debug, Clone)]
pub struct NewCertificate {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub issuer: String,
    pub number: String,
    pub issued_on: String,
    pub expires_on: Option<String>,
    pub area_path: String,
    pub org_path: String,
    /// The reminder stage already passed (4 for one recorded after it expired: no late notice).
    pub reminded: i64,
    pub recorded_by: String,
    pub created_at: i64,
}

pub fn add_certificate(tx: &mut Tx, c: &NewCertificate) {
    tx.queue(
        "INSERT INTO training_certificates (id, user_id, name, issuer, number, issued_on, expires_on, \
         area_path, org_path, reminded, recorded_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        args![
            c.id.as_str(),
            c.user_id.as_str(),
            c.name.as_str(),
            c.issuer.as_str(),
            c.number.as_str(),
            c.issued_on.as_str(),
            c.expires_on.clone(),
            c.area_path.as_str(),
            c.org_path.as_str(),
            c.reminded,
            c.recorded_by.as_str(),
            c.created_at
        ],
    );
}

pub async fn certificates_of(db: &Db, user_id: &str) -> Result<Vec<CertificateRow>> {
    db.fetch_all(
        &format!("{CERT} WHERE c.user_id = ? ORDER BY c.expires_on IS NULL, c.expires_on, c.id"),
        args![user_id],
    )
    .await
}

/// Certificates in the scope whose last valid day is on or before `by` (`YYYY-MM-DD`), soonest first.
pub async fn expiring(db: &Db, s: &Scope, by: &str) -> Result<Vec<CertificateRow>> {
    let (pred, a) = scope::predicate(s, Some("c.area_path"), Some("c.org_path"));
    let mut all = args![by];
    all.extend(a);
    db.fetch_all(
        &format!(
            "{CERT} WHERE c.expires_on IS NOT NULL AND c.expires_on <= ? AND {pred} \
             ORDER BY c.expires_on, c.id LIMIT 500"
        ),
        all,
    )
    .await
}

/// Certificates, anywhere, that have entered a reminder stage beyond the one last sent: `days` are
/// the last valid days that open stages 1–3 (`today` + 60, + 30, + 7) and `today` itself (before
/// it, expired: stage 4). At most `limit`, after the id `after`.
pub async fn reminders_due(
    db: &Db,
    days: [&str; 3],
    today: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<CertificateRow>> {
    db.fetch_all(
        &format!(
            "{CERT} WHERE c.expires_on IS NOT NULL AND c.id > ? AND ( \
             (c.reminded < 1 AND c.expires_on <= ?) OR (c.reminded < 2 AND c.expires_on <= ?) OR \
             (c.reminded < 3 AND c.expires_on <= ?) OR (c.reminded < 4 AND c.expires_on < ?)) \
             ORDER BY c.id LIMIT ?"
        ),
        args![after, days[0], days[1], days[2], today, limit],
    )
    .await
}

/// Moves a certificate's reminder stage forward, only from the stage read (so two servers never
/// send the same reminder): whether this call did it.
pub async fn mark_reminded(tx: &mut Tx, id: &str, from: i64, to: i64) -> Result<bool> {
    let n = tx
        .execute(
            "UPDATE training_certificates SET reminded = ? WHERE id = ? AND reminded = ?",
            args![to, id, from],
        )
        .await?;
    Ok(n == 1)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MentorshipRow {
    pub id: String,
    pub mentor_id: String,
    pub mentor_name: String,
    pub mentee_id: String,
    pub mentee_name: String,
    pub area_path: String,
    pub org_path: String,
    pub started_on: String,
    pub ends_on: String,
    pub status: String,
    pub outcome: String,
    pub goals: i64,
    pub goals_met: i64,
    pub checkins: i64,
    pub last_checkin: Option<String>,
}

const PAIR: &str = "SELECT p.id, p.mentor_id, r.display_name AS mentor_name, p.mentee_id, \
    e.display_name AS mentee_name, p.area_path, p.org_path, p.started_on, p.ends_on, p.status, p.outcome, \
    (SELECT COUNT(*) FROM mentorship_goals g WHERE g.mentorship_id = p.id) AS goals, \
    (SELECT COUNT(*) FROM mentorship_goals g WHERE g.mentorship_id = p.id AND g.met_on IS NOT NULL) AS goals_met, \
    (SELECT COUNT(*) FROM mentorship_checkins k WHERE k.mentorship_id = p.id) AS checkins, \
    (SELECT MAX(k.held_on) FROM mentorship_checkins k WHERE k.mentorship_id = p.id) AS last_checkin \
    FROM mentorships p JOIN users r ON r.id = p.mentor_id JOIN users e ON e.id = p.mentee_id";

/// Pairs in the scope (by the mentee's unit) and the viewer's own, as mentor or mentee.
fn pair_visible(s: &Scope, user_id: &str) -> (String, Vec<Value>) {
    let (pred, mut a) = scope::predicate(s, Some("p.area_path"), Some("p.org_path"));
    a.push(Value::from(user_id));
    a.push(Value::from(user_id));
    (format!("({pred} OR p.mentor_id = ? OR p.mentee_id = ?)"), a)
}

#[derive(Debug, Clone)]
pub struct NewMentorship {
    pub id: String,
    pub mentor_id: String,
    pub mentee_id: String,
    pub area_path: String,
    pub org_path: String,
    pub started_on: String,
    pub ends_on: String,
    pub goals: Vec<String>,
    pub created_by: String,
    pub created_at: i64,
}

pub fn create_mentorship(tx: &mut Tx, m: &NewMentorship) {
    tx.queue(
        "INSERT INTO mentorships (id, mentor_id, mentee_id, area_path, org_path, started_on, ends_on, \
         status, outcome, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'active', '', ?, ?)",
        args![
            m.id.as_str(),
            m.mentor_id.as_str(),
            m.mentee_id.as_str(),
            m.area_path.as_str(),
            m.org_path.as_str(),
            m.started_on.as_str(),
            m.ends_on.as_str(),
            m.created_by.as_str(),
            m.created_at
        ],
    );
    for (i, g) in m.goals.iter().enumerate() {
        tx.queue(
            "INSERT INTO mentorship_goals (mentorship_id, seq, goal, met_on) VALUES (?, ?, ?, NULL)",
            args![m.id.as_str(), i as i64 + 1, g.as_str()],
        );
    }
}

pub async fn mentorships(db: &Db, s: &Scope, user_id: &str) -> Result<Vec<MentorshipRow>> {
    let (pred, a) = pair_visible(s, user_id);
    db.fetch_all(
        &format!(
            "{PAIR} WHERE {pred} ORDER BY p.status = 'active' DESC, p.started_on DESC, p.id LIMIT 500"
        ),
        a,
    )
    .await
}

pub async fn mentorship(
    db: &Db,
    s: &Scope,
    user_id: &str,
    id: &str,
) -> Result<Option<MentorshipRow>> {
    let (pred, a) = pair_visible(s, user_id);
    let mut all = args![id];
    all.extend(a);
    db.fetch_optional(&format!("{PAIR} WHERE p.id = ? AND {pred}"), all)
        .await
}

/// A person's pairs, as mentor or mentee.
pub async fn mentorships_of(db: &Db, user_id: &str) -> Result<Vec<MentorshipRow>> {
    db.fetch_all(
        &format!(
            "{PAIR} WHERE p.mentor_id = ? OR p.mentee_id = ? ORDER BY p.started_on DESC, p.id"
        ),
        args![user_id, user_id],
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GoalRow {
    pub seq: i64,
    pub goal: String,
    pub met_on: Option<String>,
}

pub async fn goals(db: &Db, mentorship_id: &str) -> Result<Vec<GoalRow>> {
    db.fetch_all(
        "SELECT seq, goal, met_on FROM mentorship_goals WHERE mentorship_id = ? ORDER BY seq",
        args![mentorship_id],
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CheckinRow {
    pub id: String,
    pub held_on: String,
    pub note: String,
    pub goals_met: String,
    pub recorder_name: String,
}

pub async fn checkins(db: &Db, mentorship_id: &str) -> Result<Vec<CheckinRow>> {
    db.fetch_all(
        "SELECT k.id, k.held_on, k.note, k.goals_met, u.display_name AS recorder_name \
         FROM mentorship_checkins k JOIN users u ON u.id = k.recorded_by \
         WHERE k.mentorship_id = ? ORDER BY k.held_on DESC, k.recorded_at DESC, k.id",
        args![mentorship_id],
    )
    .await
}

#[derive(Debug, Clone)]
pub struct NewCheckin {
    pub id: String,
    pub mentorship_id: String,
    pub held_on: String,
    pub note: String,
    /// Goals (by number) met at this check-in.
    pub goals_met: Vec<i64>,
    pub recorded_by: String,
    pub recorded_at: i64,
}

/// Records a check-in and marks the goals it met (a goal met earlier keeps its first day).
pub fn add_checkin(tx: &mut Tx, k: &NewCheckin) {
    let met: Vec<String> = k.goals_met.iter().map(i64::to_string).collect();
    tx.queue(
        "INSERT INTO mentorship_checkins (id, mentorship_id, held_on, note, goals_met, recorded_by, recorded_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
        args![
            k.id.as_str(),
            k.mentorship_id.as_str(),
            k.held_on.as_str(),
            k.note.as_str(),
            met.join(","),
            k.recorded_by.as_str(),
            k.recorded_at
        ],
    );
    for g in &k.goals_met {
        tx.queue(
            "UPDATE mentorship_goals SET met_on = ? WHERE mentorship_id = ? AND seq = ? AND met_on IS NULL",
            args![k.held_on.as_str(), k.mentorship_id.as_str(), *g],
        );
    }
}

/// Closes an active pair: whether it was active.
pub async fn close_mentorship(
    tx: &mut Tx,
    id: &str,
    status: &str,
    outcome: &str,
    at: i64,
) -> Result<bool> {
    let n = tx
        .execute(
            "UPDATE mentorships SET status = ?, outcome = ?, closed_at = ? WHERE id = ? AND status = 'active'",
            args![status, outcome, at, id],
        )
        .await?;
    Ok(n == 1)
}
