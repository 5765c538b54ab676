//! 群防群治: teams (scoped by the supervising organisation's path and its area path), members,
//! duties, tasks and the append-only hours-and-points ledger. A member's own duties and tasks are read
//! by their account, whatever the caller's scope (their own work).

use crate::db::{Db, Tx};
use crate::{Result, Value, args, scope};
use pingan_domain::Scope;

fn in_scope(s: &Scope, alias: &str) -> (String, Vec<Value>) {
    scope::predicate(
        s,
        Some(&format!("{alias}area_path")),
        Some(&format!("{alias}org_path")),
    )
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TeamRow {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub org_id: String,
    pub org_name: String,
    pub org_path: String,
    pub area_path: String,
    pub note: String,
    pub created_by: String,
    pub created_at: i64,
    /// Members who have not left.
    pub members: i64,
}

const TEAM_SELECT: &str = "SELECT t.id, t.name, t.kind, t.org_id, o.name AS org_name, t.org_path, \
    t.area_path, t.note, t.created_by, t.created_at, \
    (SELECT COUNT(*) FROM team_members m WHERE m.team_id = t.id AND m.left_at IS NULL) AS members \
    FROM teams t JOIN orgs o ON o.id = t.org_id";

pub async fn insert_team(tx: &mut Tx, t: &TeamRow) -> Result<()> {
    tx.execute(
        "INSERT INTO teams (id, name, kind, org_id, org_path, area_path, note, created_by, \
         created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        args![
            t.id.as_str(),
            t.name.as_str(),
            t.kind.as_str(),
            t.org_id.as_str(),
            t.org_path.as_str(),
            t.area_path.as_str(),
            t.note.as_str(),
            t.created_by.as_str(),
            t.created_at
        ],
    )
    .await?;
    Ok(())
}

/// The teams in scope, by name.
pub async fn list_teams(db: &Db, s: &Scope) -> Result<Vec<TeamRow>> {
    let (pred, a) = in_scope(s, "t.");
    db.fetch_all(
        &format!("{TEAM_SELECT} WHERE {pred} ORDER BY t.name, t.id"),
        a,
    )
    .await
}

/// One team in scope (None also when out of scope).
pub async fn get_team(db: &Db, s: &Scope, id: &str) -> Result<Option<TeamRow>> {
    let (pred, mut a) = in_scope(s, "t.");
    let mut all = args![id];
    all.append(&mut a);
    db.fetch_optional(&format!("{TEAM_SELECT} WHERE t.id = ? AND {pred}"), all)
        .await
}

/// Whether a team of this name already exists under the organisation.
pub async fn team_name_taken(tx: &mut Tx, org_id: &str, name: &str) -> Result<bool> {
    let n: (i64,) = tx
        .fetch_one(
            "SELECT COUNT(*) FROM teams WHERE org_id = ? AND name = ?",
            args![org_id, name],
        )
        .await?;
    Ok(n.0 > 0)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MemberRow {
    pub id: String,
    pub team_id: String,
    /// The member's account, if they have one (named members need none).
    pub user_id: Option<String>,
    pub name: String,
    /// leader or member.
    pub role: String,
    pub joined_at: i64,
    pub left_at: Option<i64>,
}

const MEMBER_COLS: &str = "id, team_id, user_id, name, role, joined_at, left_at";

pub async fn insert_member(tx: &mut Tx, m: &MemberRow) -> Result<()> {
    tx.execute(
        &format!("INSERT INTO team_members ({MEMBER_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?)"),
        args![
            m.id.as_str(),
            m.team_id.as_str(),
            m.user_id.clone(),
            m.name.as_str(),
            m.role.as_str(),
            m.joined_at,
            m.left_at
        ],
    )
    .await?;
    Ok(())
}

/// A team's members, those still on it first, then by name.
pub async fn members(db: &Db, team_id: &str) -> Result<Vec<MemberRow>> {
    db.fetch_all(
        &format!(
            "SELECT {MEMBER_COLS} FROM team_members WHERE team_id = ? \
             ORDER BY (left_at IS NOT NULL), name, id"
        ),
        args![team_id],
    )
    .await
}

/// The team's current members among `ids` (the others are absent from the answer).
pub async fn current_members(tx: &mut Tx, team_id: &str, ids: &[String]) -> Result<Vec<MemberRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks = vec!["?"; ids.len()].join(", ");
    let mut a = args![team_id];
    a.extend(ids.iter().map(|i| Value::from(i.as_str())));
    tx.fetch_all(
        &format!(
            "SELECT {MEMBER_COLS} FROM team_members WHERE team_id = ? AND id IN ({marks}) \
             AND left_at IS NULL"
        ),
        a,
    )
    .await
}

/// Whether the account is a current member of the team.
pub async fn account_on_team(tx: &mut Tx, team_id: &str, user_id: &str) -> Result<bool> {
    let n: (i64,) = tx
        .fetch_one(
            "SELECT COUNT(*) FROM team_members WHERE team_id = ? AND user_id = ? \
             AND left_at IS NULL",
            args![team_id, user_id],
        )
        .await?;
    Ok(n.0 > 0)
}

/// Marks a current member as having left; false when they were not on the team.
pub async fn leave(tx: &mut Tx, team_id: &str, member_id: &str, at: i64) -> Result<bool> {
    let n = tx
        .execute(
            "UPDATE team_members SET left_at = ? WHERE id = ? AND team_id = ? AND left_at IS NULL",
            args![at, member_id, team_id],
        )
        .await?;
    Ok(n == 1)
}

/// An account in scope that may join a team: its display name, role and whether it is disabled.
pub async fn account_in_scope(
    tx: &mut Tx,
    s: &Scope,
    user_id: &str,
) -> Result<Option<(String, String, bool)>> {
    let (pred, mut a) = scope::predicate(s, Some("o.area_path"), Some("o.path"));
    let mut all = args![user_id];
    all.append(&mut a);
    tx.fetch_optional(
        &format!(
            "SELECT u.display_name, u.role, u.disabled FROM users u JOIN orgs o ON o.id = u.org_id \
             WHERE u.id = ? AND {pred}"
        ),
        all,
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DutyRow {
    pub id: String,
    pub team_id: String,
    pub team_name: String,
    pub place: String,
    /// UTC µs, end exclusive.
    pub starts_at: i64,
    pub ends_at: i64,
    pub note: String,
    pub created_by: String,
    pub created_at: i64,
    pub confirmed_at: Option<i64>,
    pub cancelled_at: Option<i64>,
}

const DUTY_SELECT: &str = "SELECT d.id, d.team_id, t.name AS team_name, d.place, d.starts_at, \
    d.ends_at, d.note, d.created_by, d.created_at, d.confirmed_at, d.cancelled_at \
    FROM team_duties d JOIN teams t ON t.id = d.team_id";

/// One person on a duty (or a task): the member, their name and, for a confirmed duty, whether they
/// came.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AssignedRow {
    pub object_id: String,
    pub member_id: String,
    pub name: String,
    pub user_id: Option<String>,
    pub present: Option<bool>,
}

pub async fn insert_duty(tx: &mut Tx, d: &DutyRow, member_ids: &[String]) -> Result<()> {
    tx.execute(
        "INSERT INTO team_duties (id, team_id, place, starts_at, ends_at, note, created_by, \
         created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        args![
            d.id.as_str(),
            d.team_id.as_str(),
            d.place.as_str(),
            d.starts_at,
            d.ends_at,
            d.note.as_str(),
            d.created_by.as_str(),
            d.created_at
        ],
    )
    .await?;
    for m in member_ids {
        tx.execute(
            "INSERT INTO team_duty_members (duty_id, member_id) VALUES (?, ?)",
            args![d.id.as_str(), m.as_str()],
        )
        .await?;
    }
    Ok(())
}

/// A team's duties starting in `[from, to)`, by start.
pub async fn duties(db: &Db, team_id: &str, from: i64, to: i64) -> Result<Vec<DutyRow>> {
    db.fetch_all(
        &format!(
            "{DUTY_SELECT} WHERE d.team_id = ? AND d.starts_at >= ? AND d.starts_at < ? \
             ORDER BY d.starts_at, d.id"
        ),
        args![team_id, from, to],
    )
    .await
}

/// A duty of a team in scope.
pub async fn get_duty(db: &Db, s: &Scope, id: &str) -> Result<Option<DutyRow>> {
    let (pred, mut a) = in_scope(s, "t.");
    let mut all = args![id];
    all.append(&mut a);
    db.fetch_optional(&format!("{DUTY_SELECT} WHERE d.id = ? AND {pred}"), all)
        .await
}

async fn assigned(db: &Db, table: &str, key: &str, ids: &[String]) -> Result<Vec<AssignedRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks = vec!["?"; ids.len()].join(", ");
    let present = if table == "team_duty_members" {
        "a.present"
    } else {
        "NULL"
    };
    db.fetch_all(
        &format!(
            "SELECT a.{key} AS object_id, a.member_id, m.name, m.user_id, {present} AS present \
             FROM {table} a JOIN team_members m ON m.id = a.member_id \
             WHERE a.{key} IN ({marks}) ORDER BY m.name, m.id"
        ),
        ids.iter().map(|i| Value::from(i.as_str())).collect(),
    )
    .await
}

/// The people on each of these duties.
pub async fn duty_members(db: &Db, duty_ids: &[String]) -> Result<Vec<AssignedRow>> {
    assigned(db, "team_duty_members", "duty_id", duty_ids).await
}

/// The people on each of these tasks.
pub async fn task_members(db: &Db, task_ids: &[String]) -> Result<Vec<AssignedRow>> {
    assigned(db, "team_task_members", "task_id", task_ids).await
}

/// Cancels a duty not yet confirmed: false when it was confirmed or cancelled already.
pub async fn cancel_duty(tx: &mut Tx, id: &str, at: i64) -> Result<bool> {
    let n = tx
        .execute(
            "UPDATE team_duties SET cancelled_at = ? \
             WHERE id = ? AND confirmed_at IS NULL AND cancelled_at IS NULL",
            args![at, id],
        )
        .await?;
    Ok(n == 1)
}

/// Confirms a duty's attendance once: false when it was confirmed or cancelled already.
pub async fn confirm_duty(
    tx: &mut Tx,
    id: &str,
    by: &str,
    at: i64,
    present: &[String],
) -> Result<bool> {
    let n = tx
        .execute(
            "UPDATE team_duties SET confirmed_by = ?, confirmed_at = ? \
             WHERE id = ? AND confirmed_at IS NULL AND cancelled_at IS NULL",
            args![by, at, id],
        )
        .await?;
    if n != 1 {
        return Ok(false);
    }
    tx.execute(
        "UPDATE team_duty_members SET present = FALSE WHERE duty_id = ?",
        args![id],
    )
    .await?;
    for m in present {
        tx.execute(
            "UPDATE team_duty_members SET present = TRUE WHERE duty_id = ? AND member_id = ?",
            args![id, m.as_str()],
        )
        .await?;
    }
    Ok(true)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TaskRow {
    pub id: String,
    pub team_id: String,
    pub team_name: String,
    pub kind: String,
    pub title: String,
    pub place: String,
    pub due_at: i64,
    /// open, done or cancelled.
    pub status: String,
    pub note: String,
    pub created_by: String,
    pub created_at: i64,
    pub done_at: Option<i64>,
    pub work_minutes: Option<i64>,
}

const TASK_SELECT: &str = "SELECT k.id, k.team_id, t.name AS team_name, k.kind, k.title, k.place, \
    k.due_at, k.status, k.note, k.created_by, k.created_at, k.done_at, k.work_minutes \
    FROM team_tasks k JOIN teams t ON t.id = k.team_id";

pub async fn insert_task(tx: &mut Tx, k: &TaskRow, member_ids: &[String]) -> Result<()> {
    tx.execute(
        "INSERT INTO team_tasks (id, team_id, kind, title, place, due_at, status, note, \
         created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        args![
            k.id.as_str(),
            k.team_id.as_str(),
            k.kind.as_str(),
            k.title.as_str(),
            k.place.as_str(),
            k.due_at,
            k.status.as_str(),
            k.note.as_str(),
            k.created_by.as_str(),
            k.created_at
        ],
    )
    .await?;
    for m in member_ids {
        tx.execute(
            "INSERT INTO team_task_members (task_id, member_id) VALUES (?, ?)",
            args![k.id.as_str(), m.as_str()],
        )
        .await?;
    }
    Ok(())
}

/// A team's tasks: open ones first (by due time), then the rest, newest first; at most `limit`.
pub async fn tasks(db: &Db, team_id: &str, limit: i64) -> Result<Vec<TaskRow>> {
    db.fetch_all(
        &format!(
            "{TASK_SELECT} WHERE k.team_id = ? \
             ORDER BY (k.status <> 'open'), CASE WHEN k.status = 'open' THEN k.due_at ELSE -k.due_at END, k.id \
             LIMIT ?"
        ),
        args![team_id, limit],
    )
    .await
}

/// A task of a team in scope.
pub async fn get_task(db: &Db, s: &Scope, id: &str) -> Result<Option<TaskRow>> {
    let (pred, mut a) = in_scope(s, "t.");
    let mut all = args![id];
    all.append(&mut a);
    db.fetch_optional(&format!("{TASK_SELECT} WHERE k.id = ? AND {pred}"), all)
        .await
}

/// Closes an open task as done (with the work each member put in) or cancelled; false when it was
/// not open.
pub async fn close_task(
    tx: &mut Tx,
    id: &str,
    status: &str,
    by: &str,
    at: i64,
    work_minutes: Option<i64>,
) -> Result<bool> {
    let n = tx
        .execute(
            "UPDATE team_tasks SET status = ?, done_by = ?, done_at = ?, work_minutes = ? \
             WHERE id = ? AND status = 'open'",
            args![status, by, at, work_minutes, id],
        )
        .await?;
    Ok(n == 1)
}

/// The members assigned to a task who are still on the team, inside a transaction.
pub async fn task_member_ids(tx: &mut Tx, task_id: &str) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = tx
        .fetch_all(
            "SELECT a.member_id FROM team_task_members a JOIN team_members m ON m.id = a.member_id \
             WHERE a.task_id = ? AND m.left_at IS NULL ORDER BY a.member_id",
            args![task_id],
        )
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LedgerRow {
    pub id: String,
    pub team_id: String,
    pub member_id: String,
    pub member_name: String,
    pub at: i64,
    /// duty, task, report or adjustment.
    pub kind: String,
    pub object_id: Option<String>,
    pub minutes: i64,
    pub points: i64,
    pub note: String,
    pub recorded_by: String,
}

/// Appends one credit; false when this member was credited for this object already.
pub async fn credit(tx: &mut Tx, e: &LedgerRow) -> Result<bool> {
    let n = tx
        .execute(
            "INSERT INTO team_ledger (id, team_id, member_id, at, kind, object_id, minutes, points, \
             note, recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            args![
                e.id.as_str(),
                e.team_id.as_str(),
                e.member_id.as_str(),
                e.at,
                e.kind.as_str(),
                e.object_id.clone(),
                e.minutes,
                e.points,
                e.note.as_str(),
                e.recorded_by.as_str()
            ],
        )
        .await?;
    Ok(n == 1)
}

/// A team's ledger, newest first; at most `limit` entries.
pub async fn ledger(db: &Db, team_id: &str, limit: i64) -> Result<Vec<LedgerRow>> {
    db.fetch_all(
        "SELECT l.id, l.team_id, l.member_id, m.name AS member_name, l.at, l.kind, l.object_id, \
         l.minutes, l.points, l.note, l.recorded_by FROM team_ledger l \
         JOIN team_members m ON m.id = l.member_id WHERE l.team_id = ? \
         ORDER BY l.at DESC, l.id DESC LIMIT ?",
        args![team_id, limit],
    )
    .await
}

/// Each member's totals `(member_id, minutes, points)` over the whole ledger.
pub async fn totals(db: &Db, team_id: &str) -> Result<Vec<(String, i64, i64)>> {
    db.fetch_all(
        "SELECT member_id, CAST(COALESCE(SUM(minutes), 0) AS BIGINT), \
         CAST(COALESCE(SUM(points), 0) AS BIGINT) FROM team_ledger WHERE team_id = ? \
         GROUP BY member_id ORDER BY member_id",
        args![team_id],
    )
    .await
}

/// A person's current memberships `(member row, team name, team kind)`.
pub async fn memberships(db: &Db, user_id: &str) -> Result<Vec<(String, String, String, String)>> {
    db.fetch_all(
        "SELECT m.id, m.team_id, t.name, t.kind FROM team_members m JOIN teams t ON t.id = m.team_id \
         WHERE m.user_id = ? AND m.left_at IS NULL ORDER BY t.name, m.id",
        args![user_id],
    )
    .await
}

/// A person's duties (on any team they belong to) ending after `from` and starting before `to`,
/// not cancelled.
pub async fn duties_of(db: &Db, user_id: &str, from: i64, to: i64) -> Result<Vec<DutyRow>> {
    db.fetch_all(
        &format!(
            "{DUTY_SELECT} JOIN team_duty_members a ON a.duty_id = d.id \
             JOIN team_members m ON m.id = a.member_id \
             WHERE m.user_id = ? AND m.left_at IS NULL AND d.ends_at > ? AND d.starts_at < ? \
             AND d.cancelled_at IS NULL \
             ORDER BY d.starts_at, d.id"
        ),
        args![user_id, from, to],
    )
    .await
}

/// A person's open tasks (on any team they belong to), by due time.
pub async fn open_tasks_of(db: &Db, user_id: &str) -> Result<Vec<TaskRow>> {
    db.fetch_all(
        &format!(
            "{TASK_SELECT} JOIN team_task_members a ON a.task_id = k.id \
             JOIN team_members m ON m.id = a.member_id \
             WHERE m.user_id = ? AND m.left_at IS NULL AND k.status = 'open' \
             ORDER BY k.due_at, k.id LIMIT 100"
        ),
        args![user_id],
    )
    .await
}

/// A person's totals `(minutes, points)` over all their memberships.
pub async fn totals_of(db: &Db, user_id: &str) -> Result<(i64, i64)> {
    db.fetch_one(
        "SELECT CAST(COALESCE(SUM(l.minutes), 0) AS BIGINT), \
         CAST(COALESCE(SUM(l.points), 0) AS BIGINT) FROM team_ledger l \
         JOIN team_members m ON m.id = l.member_id WHERE m.user_id = ?",
        args![user_id],
    )
    .await
}

/// A report through the volunteer channel not yet credited: the incident, its status and the
/// reporter's membership that takes the credit (the earliest joined current one).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UncreditedReport {
    pub incident_id: String,
    pub number: String,
    pub status: String,
    pub member_id: String,
    pub team_id: String,
}

/// Up to `limit` volunteer-channel incidents received since `since` that dispatch acted on
/// ([`pingan_domain::team::report_counts`]), whose reporter is a current team member and that have no
/// report credit yet, oldest first.
pub async fn uncredited_reports(db: &Db, since: i64, limit: i64) -> Result<Vec<UncreditedReport>> {
    let counting: Vec<&str> = pingan_domain::incident::Status::ALL
        .iter()
        .filter(|s| pingan_domain::team::report_counts(**s))
        .map(|s| s.code())
        .collect();
    let marks = vec!["?"; counting.len()].join(", ");
    let mut a = args![since];
    a.extend(counting.iter().map(|c| Value::from(*c)));
    a.push(Value::from(limit));
    db.fetch_all(
        &format!(
            "SELECT i.id AS incident_id, i.number, i.status, m.id AS member_id, m.team_id \
         FROM incidents i JOIN team_members m ON m.user_id = i.reporter_user_id \
         AND m.left_at IS NULL \
         AND m.id = (SELECT m2.id FROM team_members m2 WHERE m2.user_id = i.reporter_user_id \
                     AND m2.left_at IS NULL AND m2.joined_at <= i.received_at \
                     ORDER BY m2.joined_at, m2.id LIMIT 1) \
         WHERE i.channel = 'volunteer' AND i.received_at >= ? AND i.status IN ({marks}) \
         AND NOT EXISTS (SELECT 1 FROM team_ledger l WHERE l.kind = 'report' \
                         AND l.object_id = i.id) \
         ORDER BY i.received_at, i.id LIMIT ?"
        ),
        a,
    )
    .await
}
