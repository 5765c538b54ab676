//! 交办/督办: supervised tasks, their co-organisations, timeline and extension requests. A task is
//! seen by everyone whose scope holds its lead organisation (path or area), and by the people it
//! concerns whatever their scope: its lead person, its assigner and the members of its
//! co-organisations.

use crate::db::{Db, Tx};
use crate::{Result, Value, args, scope};
use pingan_domain::Scope;

/// Who is reading: their scope, account and organisation.
pub struct Reader<'a> {
    pub scope: &'a Scope,
    pub user_id: &'a str,
    pub org_id: Option<&'a str>,
}

fn visible(r: &Reader<'_>) -> (String, Vec<Value>) {
    let (pred, mut a) = scope::predicate(r.scope, Some("t.area_path"), Some("t.org_path"));
    a.push(Value::from(r.user_id));
    a.push(Value::from(r.user_id));
    a.push(Value::from(r.org_id.unwrap_or("")));
    (
        format!(
            "({pred} OR t.lead_user_id = ? OR t.assigned_by = ? OR EXISTS (SELECT 1 FROM task_orgs c \
             WHERE c.task_id = t.id AND c.org_id = ?))"
        ),
        a,
    )
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TaskRow {
    pub id: String,
    pub title: String,
    pub detail: String,
    pub meeting_id: Option<String>,
    pub decision_id: Option<String>,
    pub link_kind: Option<String>,
    pub link_id: Option<String>,
    pub lead_org_id: String,
    pub lead_org_name: String,
    pub org_path: String,
    pub area_path: String,
    pub lead_user_id: String,
    pub lead_name: String,
    pub assigned_by: String,
    pub assigner_name: String,
    pub assigned_at: i64,
    pub due_on: String,
    pub deadline_end: i64,
    pub status: String,
    pub card: String,
    /// JSON list of `domain::task::Reason`.
    pub card_reasons: String,
    pub carded_at: Option<i64>,
    pub progress: i64,
    pub last_activity_at: i64,
    pub submitted_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub updated_at: i64,
}

const SELECT: &str = "SELECT t.id, t.title, t.detail, t.meeting_id, t.decision_id, t.link_kind, \
    t.link_id, t.lead_org_id, o.name AS lead_org_name, t.org_path, t.area_path, t.lead_user_id, \
    lu.display_name AS lead_name, t.assigned_by, au.display_name AS assigner_name, t.assigned_at, \
    t.due_on, t.deadline_end, t.status, t.card, t.card_reasons, t.carded_at, t.progress, \
    t.last_activity_at, t.submitted_at, t.closed_at, t.updated_at \
    FROM tasks t JOIN orgs o ON o.id = t.lead_org_id JOIN users lu ON lu.id = t.lead_user_id \
    JOIN users au ON au.id = t.assigned_by";

pub async fn insert(tx: &mut Tx, t: &TaskRow) -> Result<()> {
    tx.execute(
        "INSERT INTO tasks (id, title, detail, meeting_id, decision_id, link_kind, link_id, \
         lead_org_id, org_path, area_path, lead_user_id, assigned_by, assigned_at, due_on, \
         deadline_end, status, card, card_reasons, carded_at, progress, last_activity_at, \
         submitted_at, closed_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        args![
            t.id.as_str(),
            t.title.as_str(),
            t.detail.as_str(),
            t.meeting_id.clone(),
            t.decision_id.clone(),
            t.link_kind.clone(),
            t.link_id.clone(),
            t.lead_org_id.as_str(),
            t.org_path.as_str(),
            t.area_path.as_str(),
            t.lead_user_id.as_str(),
            t.assigned_by.as_str(),
            t.assigned_at,
            t.due_on.as_str(),
            t.deadline_end,
            t.status.as_str(),
            t.card.as_str(),
            t.card_reasons.as_str(),
            t.carded_at,
            t.progress,
            t.last_activity_at,
            t.submitted_at,
            t.closed_at,
            t.updated_at
        ],
    )
    .await?;
    let source = match (t.meeting_id.is_some(), t.link_kind.as_deref()) {
        (true, _) => "meeting",
        (false, Some(kind)) => kind,
        _ => "direct",
    };
    tx.emit(pingan_domain::sharing::Event {
        event_type: pingan_domain::sharing::EventType::TaskAssigned,
        aggregate_id: t.id.clone(),
        area_path: t.area_path.clone(),
        occurred_at: t.assigned_at,
        data: pingan_domain::sharing::object(serde_json::json!({
            "title": t.title,
            "status": t.status,
            "due_on": t.due_on,
            "area_path": t.area_path,
            "source": source,
            "assigned_at": pingan_domain::sharing::rfc3339(t.assigned_at),
        })),
    });
    Ok(())
}

/// What a list asks for.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only tasks whose lead person is this account.
    pub lead_user_id: Option<String>,
    pub status: Option<String>,
    /// Only carded (yellow or red).
    pub carded: bool,
    pub meeting_id: Option<String>,
    /// Tasks assigned in [from, to) (UTC µs).
    pub assigned_from: Option<i64>,
    pub assigned_to: Option<i64>,
    pub limit: i64,
}

/// The tasks the reader may see: red first, then yellow, then by deadline.
pub async fn list(db: &Db, r: &Reader<'_>, f: &Filter) -> Result<Vec<TaskRow>> {
    let (pred, mut a) = visible(r);
    let mut sql = format!("{SELECT} WHERE {pred}");
    if let Some(u) = &f.lead_user_id {
        sql.push_str(" AND t.lead_user_id = ?");
        a.push(Value::from(u.as_str()));
    }
    if let Some(s) = &f.status {
        sql.push_str(" AND t.status = ?");
        a.push(Value::from(s.as_str()));
    }
    if f.carded {
        sql.push_str(" AND t.card <> 'normal'");
    }
    if let Some(m) = &f.meeting_id {
        sql.push_str(" AND t.meeting_id = ?");
        a.push(Value::from(m.as_str()));
    }
    if let Some(from) = f.assigned_from {
        sql.push_str(" AND t.assigned_at >= ?");
        a.push(Value::from(from));
    }
    if let Some(to) = f.assigned_to {
        sql.push_str(" AND t.assigned_at < ?");
        a.push(Value::from(to));
    }
    sql.push_str(
        " ORDER BY CASE t.status WHEN 'open' THEN 0 WHEN 'submitted' THEN 1 ELSE 2 END, \
         CASE t.card WHEN 'red' THEN 0 WHEN 'yellow' THEN 1 ELSE 2 END, t.deadline_end, t.id LIMIT ?",
    );
    a.push(Value::from(f.limit));
    db.fetch_all(&sql, a).await
}

/// One task the reader may see (None also when they may not).
pub async fn get(db: &Db, r: &Reader<'_>, id: &str) -> Result<Option<TaskRow>> {
    let (pred, a) = visible(r);
    let mut all = args![id];
    all.extend(a);
    db.fetch_optional(&format!("{SELECT} WHERE t.id = ? AND {pred}"), all)
        .await
}

/// The same inside a write.
pub async fn get_tx(tx: &mut Tx, r: &Reader<'_>, id: &str) -> Result<Option<TaskRow>> {
    let (pred, a) = visible(r);
    let mut all = args![id];
    all.extend(a);
    tx.fetch_optional(&format!("{SELECT} WHERE t.id = ? AND {pred}"), all)
        .await
}

/// A task by id whatever the scope (the supervision sweep, run by the system).
pub async fn get_any_tx(tx: &mut Tx, id: &str) -> Result<Option<TaskRow>> {
    tx.fetch_optional(&format!("{SELECT} WHERE t.id = ?"), args![id])
        .await
}

/// What the sweep needs of an open task to decide its card without a transaction.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SweepRow {
    pub id: String,
    pub deadline_end: i64,
    pub last_activity_at: i64,
    pub card: String,
    pub card_reasons: String,
}

/// Open tasks the sweep should look at: past their deadline day or quiet since `quiet_before`, in
/// id order after `after_id`.
pub async fn sweep_candidates(
    db: &Db,
    now: i64,
    quiet_before: i64,
    after_id: &str,
    limit: i64,
) -> Result<Vec<SweepRow>> {
    db.fetch_all(
        "SELECT id, deadline_end, last_activity_at, card, card_reasons FROM tasks \
         WHERE status = 'open' AND (deadline_end <= ? OR last_activity_at <= ?) AND id > ? \
         ORDER BY id LIMIT ?",
        args![now, quiet_before, after_id, limit],
    )
    .await
}

/// Brings a card's reasons up to date (the days counted) while the card itself stays: derived text,
/// so the task's version (`updated_at`) does not move and no open form goes stale.
pub async fn refresh_reasons(db: &Db, id: &str, card: &str, reasons: &str) -> Result<()> {
    db.execute(
        "UPDATE tasks SET card_reasons = ? WHERE id = ? AND card = ? AND status = 'open'",
        args![reasons, id, card],
    )
    .await?;
    Ok(())
}

/// What a change writes on the task row.
pub struct Change<'a> {
    pub status: &'a str,
    pub card: &'a str,
    pub card_reasons: &'a str,
    pub carded_at: Option<i64>,
    pub progress: i64,
    pub last_activity_at: i64,
    pub due_on: &'a str,
    pub deadline_end: i64,
    pub submitted_at: Option<i64>,
    pub closed_at: Option<i64>,
}

/// Writes `c` when the task is as it was read (`row.updated_at`); false when someone changed it
/// first. A change tells partners (`task.updated`).
pub async fn update(tx: &mut Tx, row: &TaskRow, now: i64, c: &Change<'_>) -> Result<bool> {
    let (id, read_at) = (row.id.as_str(), row.updated_at);
    let written = tx
        .execute(
            "UPDATE tasks SET status = ?, card = ?, card_reasons = ?, carded_at = ?, progress = ?, \
             last_activity_at = ?, due_on = ?, deadline_end = ?, submitted_at = ?, closed_at = ?, \
             updated_at = ? WHERE id = ? AND updated_at = ?",
            args![
                c.status,
                c.card,
                c.card_reasons,
                c.carded_at,
                c.progress,
                c.last_activity_at,
                c.due_on,
                c.deadline_end,
                c.submitted_at,
                c.closed_at,
                now.max(read_at.saturating_add(1)),
                id,
                read_at
            ],
        )
        .await?
        == 1;
    if written {
        tx.emit(pingan_domain::sharing::Event {
            event_type: pingan_domain::sharing::EventType::TaskUpdated,
            aggregate_id: row.id.clone(),
            area_path: row.area_path.clone(),
            occurred_at: now,
            data: pingan_domain::sharing::object(serde_json::json!({
                "from_status": row.status,
                "status": c.status,
                "card": c.card,
                "progress": c.progress,
                "due_on": c.due_on,
                "area_path": row.area_path,
                "at": pingan_domain::sharing::rfc3339(now),
            })),
        });
    }
    Ok(written)
}

pub async fn add_org(tx: &mut Tx, task_id: &str, org_id: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO task_orgs (task_id, org_id) VALUES (?, ?)",
        args![task_id, org_id],
    )
    .await?;
    Ok(())
}

/// (org id, name) of a task's co-organisations.
pub async fn orgs(db: &Db, task_id: &str) -> Result<Vec<(String, String)>> {
    db.fetch_all(
        "SELECT o.id, o.name FROM task_orgs c JOIN orgs o ON o.id = c.org_id WHERE c.task_id = ? \
         ORDER BY o.path",
        args![task_id],
    )
    .await
}

/// Whether the account belongs to one of the task's co-organisations.
pub async fn in_co_org(tx: &mut Tx, task_id: &str, org_id: &str) -> Result<bool> {
    let n: (i64,) = tx
        .fetch_one(
            "SELECT COUNT(*) FROM task_orgs WHERE task_id = ? AND org_id = ?",
            args![task_id, org_id],
        )
        .await?;
    Ok(n.0 > 0)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub id: String,
    pub task_id: String,
    pub at: i64,
    pub actor_id: Option<String>,
    pub actor_name: Option<String>,
    pub kind: String,
    pub note: String,
    /// JSON: what the event carries (progress %, evidence, card reasons, dates).
    pub data: String,
}

/// Queues a timeline event with the next write.
pub fn add_event(tx: &mut Tx, e: &EventRow) {
    tx.queue(
        "INSERT INTO task_events (id, task_id, at, actor_id, kind, note, data) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
        args![
            e.id.as_str(),
            e.task_id.as_str(),
            e.at,
            e.actor_id.clone(),
            e.kind.as_str(),
            e.note.as_str(),
            e.data.as_str()
        ],
    );
}

pub async fn events(db: &Db, task_id: &str) -> Result<Vec<EventRow>> {
    db.fetch_all(
        "SELECT e.id, e.task_id, e.at, e.actor_id, u.display_name AS actor_name, e.kind, e.note, \
         e.data FROM task_events e LEFT JOIN users u ON u.id = e.actor_id WHERE e.task_id = ? \
         ORDER BY e.at, e.id",
        args![task_id],
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExtensionRow {
    pub id: String,
    pub task_id: String,
    pub requested_by: String,
    pub requested_at: i64,
    pub due_on: String,
    pub reason: String,
    pub status: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub decision_note: String,
}

const EXT_COLS: &str = "id, task_id, requested_by, requested_at, due_on, reason, status, \
    decided_by, decided_at, decision_note";

pub async fn insert_extension(tx: &mut Tx, e: &ExtensionRow) -> Result<()> {
    tx.execute(
        &format!("INSERT INTO task_extensions ({EXT_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
        args![
            e.id.as_str(),
            e.task_id.as_str(),
            e.requested_by.as_str(),
            e.requested_at,
            e.due_on.as_str(),
            e.reason.as_str(),
            e.status.as_str(),
            e.decided_by.clone(),
            e.decided_at,
            e.decision_note.as_str()
        ],
    )
    .await?;
    Ok(())
}

pub async fn extensions(db: &Db, task_id: &str) -> Result<Vec<ExtensionRow>> {
    db.fetch_all(
        &format!(
            "SELECT {EXT_COLS} FROM task_extensions WHERE task_id = ? ORDER BY requested_at, id"
        ),
        args![task_id],
    )
    .await
}

pub async fn pending_extension(tx: &mut Tx, task_id: &str) -> Result<Option<ExtensionRow>> {
    tx.fetch_optional(
        &format!("SELECT {EXT_COLS} FROM task_extensions WHERE task_id = ? AND status = 'pending'"),
        args![task_id],
    )
    .await
}

/// Decides a pending request; false when it was decided meanwhile.
pub async fn decide_extension(
    tx: &mut Tx,
    id: &str,
    status: &str,
    by: &str,
    at: i64,
    note: &str,
) -> Result<bool> {
    Ok(tx
        .execute(
            "UPDATE task_extensions SET status = ?, decided_by = ?, decided_at = ?, \
             decision_note = ? WHERE id = ? AND status = 'pending'",
            args![status, by, at, note, id],
        )
        .await?
        == 1)
}

/// The lead's superiors: enabled accounts of the lead organisation (or, when it has none, its
/// parent) whose role leads there — station chief, coordinator, leader — other than the lead.
pub async fn superiors(tx: &mut Tx, org_id: &str, lead_user_id: &str) -> Result<Vec<String>> {
    const ROLES: &str = "('station_chief', 'coordinator', 'leader')";
    let own: Vec<(String,)> = tx
        .fetch_all(
            &format!(
                "SELECT id FROM users WHERE org_id = ? AND role IN {ROLES} AND disabled = FALSE \
                 AND id <> ? ORDER BY id"
            ),
            args![org_id, lead_user_id],
        )
        .await?;
    if !own.is_empty() {
        return Ok(own.into_iter().map(|r| r.0).collect());
    }
    let parent: Vec<(String,)> = tx
        .fetch_all(
            &format!(
                "SELECT u.id FROM users u JOIN orgs o ON o.parent_id = u.org_id WHERE o.id = ? \
                 AND u.role IN {ROLES} AND u.disabled = FALSE AND u.id <> ? ORDER BY u.id"
            ),
            args![org_id, lead_user_id],
        )
        .await?;
    Ok(parent.into_iter().map(|r| r.0).collect())
}

/// The lead must be an enabled account of the lead organisation: (display name) when so.
pub async fn lead_in_org(tx: &mut Tx, user_id: &str, org_id: &str) -> Result<Option<String>> {
    let r: Option<(String,)> = tx
        .fetch_optional(
            "SELECT display_name FROM users WHERE id = ? AND org_id = ? AND disabled = FALSE",
            args![user_id, org_id],
        )
        .await?;
    Ok(r.map(|r| r.0))
}

/// Rows for figures: (status, card, deadline_end, submitted_at) of tasks assigned in [from, to)
/// whose lead organisation is in scope.
pub async fn figure_rows(
    db: &Db,
    s: &Scope,
    from: i64,
    to: i64,
) -> Result<Vec<(String, String, i64, Option<i64>)>> {
    let (pred, mut a) = scope::predicate(s, Some("t.area_path"), Some("t.org_path"));
    let mut all = args![from, to];
    all.append(&mut a);
    db.fetch_all(
        &format!(
            "SELECT t.status, t.card, t.deadline_end, t.submitted_at FROM tasks t \
             WHERE t.assigned_at >= ? AND t.assigned_at < ? AND {pred}"
        ),
        all,
    )
    .await
}
