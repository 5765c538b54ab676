//! 交办/督办: supervised tasks. A task is assigned — from a joint meeting's decision (`meetings`) or
//! directly — to a lead organisation and a lead person, with co-organisations and a deadline day.
//! The people it concerns (the lead, members of the lead and co-organisations) report progress and
//! submit completion with evidence; whoever manages tasks in scope accepts it or returns it, and
//! decides extension requests (never their own). `supervision` cards overdue or stalled tasks
//! 普通 → 黄牌 → 红牌 (`domain::task::card`), telling the lead and the lead's superiors. Every change:
//! one transaction with the row (a conditional update), the timeline event, the notifications and
//! the audit record.

pub mod api;
pub mod decided;
pub mod demo;
pub mod figures;
pub mod forms;
pub mod ordered;
pub mod pages;
pub mod supervision;

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, Problem, Problems};
use crate::notifications::{self, Notice};
use crate::state::AppState;
use pingan_domain::Permission;
use pingan_domain::audit::AuditOutcome;
use pingan_domain::task::{
    self as rules, Action, Card, Carding, EventKind, ExtensionStatus, Facts, LinkKind, Status,
};
use pingan_store::tasks::{self as store, EventRow, ExtensionRow, Reader, TaskRow};
use pingan_store::{Tx, new_id};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A task's subject, when it is about one object.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Link {
    pub kind: LinkKind,
    /// The object's id (in your scope).
    pub id: String,
}

/// A new task.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSupervisedTask {
    /// 1–100 characters.
    pub title: String,
    /// What is to be done, at most 2000 characters.
    #[serde(default)]
    pub detail: Option<String>,
    /// The lead organisation (牵头单位), in your scope.
    pub lead_org_id: String,
    /// The lead person (责任人): an enabled account of the lead organisation.
    pub lead_user_id: String,
    /// Co-organisations (配合单位), in your scope; at most 20.
    #[serde(default)]
    pub co_org_ids: Vec<String>,
    /// The deadline day (办结时限), `YYYY-MM-DD`, China time; the task is due by its end.
    pub due_on: String,
    #[serde(default)]
    pub link: Option<Link>,
}

/// Where a task came from when a meeting decided it: the meeting, the decision and when it was held
/// (the task counts as assigned then).
pub struct FromDecision<'a> {
    pub meeting_id: &'a str,
    pub decision_id: &'a str,
    pub held_at: i64,
}

/// A task as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Task {
    pub id: String,
    pub title: String,
    pub detail: String,
    pub meeting_id: Option<String>,
    pub decision_id: Option<String>,
    pub link: Option<Link>,
    pub lead_org_id: String,
    pub lead_org_name: String,
    pub lead_user_id: String,
    pub lead_name: String,
    pub assigned_by: String,
    pub assigner_name: String,
    /// UTC µs.
    pub assigned_at: i64,
    pub due_on: String,
    pub status: Status,
    pub card: Card,
    pub card_reasons: Vec<rules::Reason>,
    pub carded_at: Option<i64>,
    /// The last reported share done, 0–100.
    pub progress: i64,
    pub last_activity_at: i64,
    pub submitted_at: Option<i64>,
    pub closed_at: Option<i64>,
    /// Changes are made against this (a stale one answers 409).
    pub updated_at: i64,
}

pub(crate) fn view(t: TaskRow) -> Task {
    let link = match (t.link_kind.as_deref(), t.link_id) {
        (Some(k), Some(id)) => k.parse().ok().map(|kind| Link { kind, id }),
        _ => None,
    };
    Task {
        status: t.status.parse().unwrap_or(Status::Open),
        card: t.card.parse().unwrap_or(Card::Normal),
        card_reasons: serde_json::from_str(&t.card_reasons).unwrap_or_default(),
        id: t.id,
        title: t.title,
        detail: t.detail,
        meeting_id: t.meeting_id,
        decision_id: t.decision_id,
        link,
        lead_org_id: t.lead_org_id,
        lead_org_name: t.lead_org_name,
        lead_user_id: t.lead_user_id,
        lead_name: t.lead_name,
        assigned_by: t.assigned_by,
        assigner_name: t.assigner_name,
        assigned_at: t.assigned_at,
        due_on: t.due_on,
        carded_at: t.carded_at,
        progress: t.progress,
        last_activity_at: t.last_activity_at,
        submitted_at: t.submitted_at,
        closed_at: t.closed_at,
        updated_at: t.updated_at,
    }
}

/// One entry of a task's timeline.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TaskEvent {
    pub at: i64,
    pub actor_name: Option<String>,
    pub kind: EventKind,
    pub note: String,
    /// What the step carries: `percent`, `evidence`, `card` and `reasons`, `due_on` …
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

/// A request for more time.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TaskExtension {
    pub id: String,
    pub requested_by: String,
    pub requested_at: i64,
    pub due_on: String,
    pub reason: String,
    pub status: ExtensionStatus,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub decision_note: String,
}

fn extension_view(e: ExtensionRow) -> TaskExtension {
    TaskExtension {
        status: e.status.parse().unwrap_or(ExtensionStatus::Pending),
        id: e.id,
        requested_by: e.requested_by,
        requested_at: e.requested_at,
        due_on: e.due_on,
        reason: e.reason,
        decided_by: e.decided_by,
        decided_at: e.decided_at,
        decision_note: e.decision_note,
    }
}

/// A task with its co-organisations, timeline and extension requests.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TaskDetail {
    #[serde(flatten)]
    pub task: Task,
    /// (id, name) of the co-organisations.
    pub co_orgs: Vec<CoOrg>,
    pub timeline: Vec<TaskEvent>,
    pub extensions: Vec<TaskExtension>,
    /// The deciding meeting's title, when the reader may open that meeting.
    pub meeting_title: Option<String>,
    /// What the reader may do now.
    pub can: Abilities,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CoOrg {
    pub id: String,
    pub name: String,
}

/// What the reader may do to the task as it stands.
#[derive(Debug, Clone, Copy, Default, Serialize, ToSchema)]
pub struct Abilities {
    pub report: bool,
    pub submit: bool,
    pub request_extension: bool,
    pub accept: bool,
    pub cancel: bool,
    /// Decide the pending extension request (not one's own).
    pub decide_extension: bool,
}

pub(crate) fn reader(actor: &Actor) -> Reader<'_> {
    Reader {
        scope: &actor.scope,
        user_id: &actor.user_id,
        org_id: actor.org_id.as_deref(),
    }
}

/// What a list asks for.
#[derive(Debug, Clone, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TaskQuery {
    /// Only tasks whose lead person is you.
    #[serde(default)]
    pub mine: Option<bool>,
    #[serde(default)]
    pub status: Option<Status>,
    /// Only tasks carded yellow or red.
    #[serde(default)]
    pub carded: Option<bool>,
    /// Only the tasks a meeting decided.
    #[serde(default)]
    pub meeting_id: Option<String>,
}

/// The tasks you may see: red first, then yellow, then by deadline (at most 500).
pub async fn list(state: &AppState, actor: &Actor, q: &TaskQuery) -> ApiResult<Vec<Task>> {
    actor.require(state, Permission::TaskRead).await?;
    let f = store::Filter {
        lead_user_id: q.mine.unwrap_or(false).then(|| actor.user_id.clone()),
        status: q.status.map(|s| s.code().to_string()),
        carded: q.carded.unwrap_or(false),
        meeting_id: q.meeting_id.clone(),
        limit: 500,
        ..Default::default()
    };
    Ok(store::list(&state.db, &reader(actor), &f)
        .await?
        .into_iter()
        .map(view)
        .collect())
}

/// One task with its timeline (404 when you may not see it).
pub async fn detail(state: &AppState, actor: &Actor, id: &str) -> ApiResult<TaskDetail> {
    actor.require(state, Permission::TaskRead).await?;
    let row = store::get(&state.db, &reader(actor), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let co_orgs: Vec<CoOrg> = store::orgs(&state.db, &row.id)
        .await?
        .into_iter()
        .map(|(id, name)| CoOrg { id, name })
        .collect();
    let timeline = store::events(&state.db, &row.id)
        .await?
        .into_iter()
        .map(|e| TaskEvent {
            at: e.at,
            actor_name: e.actor_name,
            kind: e.kind.parse().unwrap_or(EventKind::Progress),
            note: e.note,
            data: serde_json::from_str(&e.data).unwrap_or(serde_json::Value::Null),
        })
        .collect();
    let extensions: Vec<TaskExtension> = store::extensions(&state.db, &row.id)
        .await?
        .into_iter()
        .map(extension_view)
        .collect();
    let meeting_title = match &row.meeting_id {
        Some(m) => pingan_store::meetings::get(&state.db, &actor.scope, m)
            .await?
            .map(|m| m.title),
        None => None,
    };
    let (org_path, area_path) = (row.org_path.clone(), row.area_path.clone());
    let task = view(row);
    let participant = is_participant(actor, &task, &co_orgs);
    let manage = actor.can(Permission::TaskManage)
        && actor.user_id != task.lead_user_id
        && holds_in_scope(actor, &org_path, &area_path);
    let pending = extensions
        .iter()
        .find(|e| e.status == ExtensionStatus::Pending);
    let open = task.status == Status::Open;
    let can = Abilities {
        report: participant && open,
        submit: participant && open,
        request_extension: participant && open && pending.is_none(),
        accept: manage && task.status == Status::Submitted,
        cancel: manage && task.status.is_live(),
        decide_extension: manage
            && open
            && pending.is_some_and(|e| e.requested_by != actor.user_id),
    };
    Ok(TaskDetail {
        task,
        co_orgs,
        timeline,
        extensions,
        meeting_title,
        can,
    })
}

fn is_participant(actor: &Actor, task: &Task, co_orgs: &[CoOrg]) -> bool {
    actor.user_id == task.lead_user_id
        || actor
            .org_id
            .as_deref()
            .is_some_and(|o| o == task.lead_org_id || co_orgs.iter().any(|c| c.id == o))
}

/// A local date `YYYY-MM-DD`, or a problem beside `field`.
pub(crate) fn day(field: &str, v: &str, problems: &mut Problems) -> Option<jiff::civil::Date> {
    match v.trim().parse::<jiff::civil::Date>() {
        Ok(d) => Some(d),
        Err(_) => {
            problems.push(Problem::new(
                field,
                "task_day",
                format!("{field} must be a date YYYY-MM-DD"),
            ));
            None
        }
    }
}

/// The first microsecond after `d` (China time).
fn end_of(d: jiff::civil::Date) -> i64 {
    pingan_domain::time::day_start(d) + rules::DAY
}

/// Whether the actor may read the kind of object `l` names and it exists in their scope.
pub(crate) async fn linkable(tx: &mut Tx, actor: &Actor, l: &Link) -> ApiResult<bool> {
    let read = match l.kind {
        LinkKind::Incident => Permission::IncidentRead,
        LinkKind::Dispute => Permission::DisputeRead,
        LinkKind::Case => Permission::CaseRead,
        LinkKind::Place => Permission::PlaceRead,
        LinkKind::Risk => Permission::RiskRead,
    };
    Ok(actor.can(read)
        && pingan_store::meetings::linkable(tx, &actor.scope, l.kind.code(), &l.id).await?)
}

/// Assigns a task (TaskManage): directly, or from a meeting's decision (`from`, checked by the
/// caller). A task recorded already overdue is carded at once.
pub async fn assign(
    state: &AppState,
    actor: &Actor,
    req: NewSupervisedTask,
    from: Option<FromDecision<'_>>,
) -> ApiResult<Task> {
    actor.require(state, Permission::TaskManage).await?;
    let mut tx = state.db.begin().await?;
    let row = assign_in(state, &mut tx, actor, req, from).await?;
    tx.commit_audited(vec![
        actor.audit_entry(
            "task.assign",
            "task",
            Some(&row.id),
            AuditOutcome::Ok,
            &serde_json::json!({"lead_org": row.lead_org_id, "lead": row.lead_user_id,
            "due_on": row.due_on, "meeting": row.meeting_id, "card": row.card})
            .to_string(),
        ),
    ])
    .await?;
    Ok(view(row))
}

/// The checks and writes of [`assign`] inside the caller's transaction (a meeting's decision and
/// its tasks commit together).
pub async fn assign_in(
    state: &AppState,
    tx: &mut Tx,
    actor: &Actor,
    req: NewSupervisedTask,
    from: Option<FromDecision<'_>>,
) -> ApiResult<TaskRow> {
    let mut problems = Problems::default();
    let title = problems.check(crate::validate::text("title", &req.title, 100))?;
    let detail = problems
        .check(crate::validate::optional_text(
            "detail",
            req.detail.as_deref(),
            2000,
        ))?
        .flatten()
        .unwrap_or_default();
    let due = day("due_on", &req.due_on, &mut problems);
    let now = state.now();
    // A meeting recorded ahead of time assigns nothing in the future.
    let assigned_at = from.as_ref().map_or(now, |f| f.held_at.min(now));
    let assigned_day: jiff::civil::Date =
        pingan_domain::time::local_date(pingan_domain::time::from_micros(assigned_at))
            .parse()
            .unwrap_or(state.today());
    if let Some(d) = due {
        if d < assigned_day {
            problems.push(
                Problem::new(
                    "due_on",
                    "task_due_before_assigned",
                    "the deadline cannot be before the day the task is assigned",
                )
                .with("day", assigned_day),
            );
        } else if d > assigned_day.saturating_add(jiff::Span::new().years(2)) {
            problems.push(Problem::new(
                "due_on",
                "task_due_too_far",
                "the deadline is at most two years after assignment",
            ));
        }
    }
    let lead_org = pingan_store::orgs::get(&state.db, &actor.scope, &req.lead_org_id).await?;
    if lead_org.is_none() {
        problems.push(Problem::new(
            "lead_org_id",
            "task_org",
            "no organisation with this id in your scope",
        ));
    }
    if req.co_org_ids.len() > 20 {
        problems.push(Problem::new(
            "co_org_ids",
            "task_too_many_orgs",
            "at most 20 co-organisations",
        ));
    }
    let mut co_orgs: Vec<String> = Vec::new();
    let co_org_ids = if req.co_org_ids.len() > 20 {
        &[][..]
    } else {
        &req.co_org_ids[..]
    };
    for (i, o) in co_org_ids.iter().enumerate() {
        let field = format!("co_org_ids[{i}]");
        if o == &req.lead_org_id || co_orgs.contains(o) {
            problems.push(Problem::new(
                &field,
                "task_org_twice",
                "an organisation is named twice",
            ));
        } else if pingan_store::orgs::get(&state.db, &actor.scope, o)
            .await?
            .is_none()
        {
            problems.push(Problem::new(
                &field,
                "task_org",
                "no organisation with this id in your scope",
            ));
        } else {
            co_orgs.push(o.clone());
        }
    }
    let link = req.link.clone();
    if let Some(l) = &link
        && !linkable(tx, actor, l).await?
    {
        problems.push(Problem::new(
            "link.id",
            "task_link",
            "no such object in your scope",
        ));
    }
    let lead_name = match &lead_org {
        Some(o) => {
            let n = store::lead_in_org(tx, &req.lead_user_id, &o.id).await?;
            if n.is_none() {
                problems.push(Problem::new(
                    "lead_user_id",
                    "task_lead",
                    "the lead person must be an enabled account of the lead organisation",
                ));
            }
            n
        }
        None => None,
    };
    problems.finish()?;
    let (Some(title), Some(due), Some(org), Some(lead_name)) = (title, due, lead_org, lead_name)
    else {
        return Err(ApiError::Internal(anyhow::anyhow!(
            "a task value is missing without a problem noted"
        )));
    };
    // The stall clock starts when the lead is told (now), even for a task a past meeting decided.
    let facts = Facts {
        status: Status::Open,
        deadline_end: end_of(due),
        last_activity: now,
    };
    let carding = rules::card(&facts, &state.config.tasks.cards, now);
    let mut row = TaskRow {
        id: new_id(),
        title,
        detail,
        meeting_id: from.as_ref().map(|f| f.meeting_id.to_string()),
        decision_id: from.as_ref().map(|f| f.decision_id.to_string()),
        link_kind: link.as_ref().map(|l| l.kind.code().to_string()),
        link_id: link.as_ref().map(|l| l.id.clone()),
        lead_org_id: org.id.clone(),
        lead_org_name: org.name.clone(),
        org_path: org.path.clone(),
        area_path: org.area_path.clone().unwrap_or_default(),
        lead_user_id: req.lead_user_id.clone(),
        lead_name,
        assigned_by: actor.user_id.clone(),
        assigner_name: actor.display_name.clone(),
        assigned_at,
        due_on: due.to_string(),
        deadline_end: facts.deadline_end,
        status: Status::Open.code().into(),
        card: Card::Normal.code().into(),
        card_reasons: "[]".into(),
        carded_at: None,
        progress: 0,
        last_activity_at: now,
        submitted_at: None,
        closed_at: None,
        updated_at: now,
    };
    if carding.card != Card::Normal {
        row.card = carding.card.code().into();
        row.card_reasons = serde_json::to_string(&carding.reasons).unwrap_or_default();
        row.carded_at = Some(now);
    }
    store::insert(tx, &row).await?;
    for o in &co_orgs {
        store::add_org(tx, &row.id, o).await?;
    }
    event(
        tx,
        &row.id,
        now,
        Some(&actor.user_id),
        EventKind::Assigned,
        "",
        serde_json::json!({"due_on": row.due_on, "lead": row.lead_name}),
    );
    notifications::send(
        tx,
        std::slice::from_ref(&row.lead_user_id),
        now,
        &Notice {
            kind: "task.assigned",
            object: ("task", &row.id),
            message: &format!("交办任务：{}（{} 前办结）", row.title, row.due_on),
            message_en: &format!("Task assigned to you: {} (due {})", row.title, row.due_on),
        },
    );
    if carding.card != Card::Normal {
        announce_card(tx, &row, &carding, now).await?;
    }
    Ok(row)
}

pub(crate) fn event(
    tx: &mut Tx,
    task_id: &str,
    at: i64,
    actor_id: Option<&str>,
    kind: EventKind,
    note: &str,
    data: serde_json::Value,
) {
    store::add_event(
        tx,
        &EventRow {
            id: new_id(),
            task_id: task_id.into(),
            at,
            actor_id: actor_id.map(str::to_string),
            actor_name: None,
            kind: kind.code().into(),
            note: note.into(),
            data: data.to_string(),
        },
    );
}

/// The card's timeline event and the notices to the lead and the lead's superiors.
pub(crate) async fn announce_card(
    tx: &mut Tx,
    row: &TaskRow,
    carding: &Carding,
    now: i64,
) -> ApiResult<()> {
    event(
        tx,
        &row.id,
        now,
        None,
        EventKind::Carded,
        "",
        serde_json::json!({"card": carding.card, "reasons": carding.reasons}),
    );
    let mut to = vec![row.lead_user_id.clone()];
    for s in store::superiors(tx, &row.lead_org_id, &row.lead_user_id).await? {
        if !to.contains(&s) {
            to.push(s);
        }
    }
    let (zh, en) = match carding.card {
        Card::Red => ("红牌", "red card"),
        _ => ("黄牌", "yellow card"),
    };
    let why_zh: Vec<String> = carding
        .reasons
        .iter()
        .map(|r| match r.reason {
            rules::CardReason::Overdue => format!("逾期 {} 天", r.days),
            rules::CardReason::Stalled => format!("{} 天未报进展", r.days),
        })
        .collect();
    let why_en: Vec<String> = carding
        .reasons
        .iter()
        .map(|r| match r.reason {
            rules::CardReason::Overdue => format!("{} days overdue", r.days),
            rules::CardReason::Stalled => format!("no progress for {} days", r.days),
        })
        .collect();
    notifications::send(
        tx,
        &to,
        now,
        &Notice {
            kind: "task.carded",
            object: ("task", &row.id),
            message: &format!(
                "督办{zh}：{}（{}，{}）",
                row.title,
                row.lead_name,
                why_zh.join("，")
            ),
            message_en: &format!(
                "Task {en}: {} ({}; {})",
                row.title,
                row.lead_name,
                why_en.join(", ")
            ),
        },
    );
    Ok(())
}

/// A progress report.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgressReport {
    /// What was done, 1–500 characters.
    pub note: String,
    /// The share done now, 0–100.
    pub percent: i64,
    /// Changes are made against the task as read (`updated_at`); a stale one answers 409.
    pub updated_at: i64,
}

/// An attachment by reference (the file itself stays in the document system): its name, its SM3
/// digest (64 hex digits) and where it is kept.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    pub name: String,
    pub sm3: String,
    pub reference: String,
}

/// Completion reported by the lead, with evidence.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Completion {
    /// What was done, 1–1000 characters.
    pub note: String,
    /// At most 20 references.
    #[serde(default)]
    pub evidence: Vec<Evidence>,
    pub updated_at: i64,
}

/// The assigner's verdict on a completion, or a cancellation.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Verdict {
    /// Why (required to return or cancel), at most 500 characters.
    #[serde(default)]
    pub note: Option<String>,
    pub updated_at: i64,
}

pub(crate) fn check_evidence(ev: &[Evidence], problems: &mut Problems) {
    if ev.len() > 20 {
        problems.push(Problem::new(
            "evidence",
            "task_too_much_evidence",
            "at most 20 references",
        ));
    }
    for (i, e) in ev.iter().enumerate() {
        check_reference(&format!("evidence[{i}]."), e, problems);
    }
}

/// A reference's name, SM3 digest and location, its fields named after `prefix`.
pub(crate) fn check_reference(prefix: &str, e: &Evidence, problems: &mut Problems) {
    let n = e.name.trim().chars().count();
    if n == 0 || n > 100 {
        problems.push(Problem::new(
            &format!("{prefix}name"),
            "required",
            "a name of 1–100 characters",
        ));
    }
    if e.sm3.len() != 64 || !e.sm3.bytes().all(|b| b.is_ascii_hexdigit()) {
        problems.push(Problem::new(
            &format!("{prefix}sm3"),
            "task_sm3",
            "an SM3 digest: 64 hexadecimal digits",
        ));
    }
    let r = e.reference.trim().chars().count();
    if r == 0 || r > 200 {
        problems.push(Problem::new(
            &format!("{prefix}reference"),
            "required",
            "a reference of 1–200 characters",
        ));
    }
}

/// The task in a write, as the actor may see it, checked against the version they read.
async fn task_for_change(tx: &mut Tx, actor: &Actor, id: &str, read_at: i64) -> ApiResult<TaskRow> {
    let row = store::get_tx(tx, &reader(actor), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if row.updated_at != read_at {
        return Err(ApiError::Conflict(
            "the task changed since you read it; reload it".into(),
        ));
    }
    Ok(row)
}

/// Whether the task's lead organisation lies in the actor's own scope (path or area), not merely
/// visible to them as its lead, assigner or a co-organisation's member.
pub(crate) fn holds_in_scope(actor: &Actor, org_path: &str, area_path: &str) -> bool {
    actor.scope.org_paths().any(|p| org_path.starts_with(p))
        || actor.scope.area_paths().any(|p| area_path.starts_with(p))
}

/// Who decides on a task (accepts, returns, cancels, grants time): a task manager who holds it in
/// their own scope and is not its lead person.
pub(crate) fn require_decider(actor: &Actor, row: &TaskRow) -> ApiResult<()> {
    if actor.user_id == row.lead_user_id {
        return Err(ApiError::Forbidden(
            "the lead person does not decide on their own task".into(),
        ));
    }
    if !holds_in_scope(actor, &row.org_path, &row.area_path) {
        return Err(ApiError::Forbidden(
            "only a task manager whose scope holds the lead organisation decides on a task".into(),
        ));
    }
    Ok(())
}

async fn require_participant(tx: &mut Tx, actor: &Actor, row: &TaskRow) -> ApiResult<()> {
    let member = match actor.org_id.as_deref() {
        Some(o) => o == row.lead_org_id || store::in_co_org(tx, &row.id, o).await?,
        None => false,
    };
    if actor.user_id == row.lead_user_id || member {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only the lead person and members of the lead or co-organisations report on a task"
                .into(),
        ))
    }
}

fn illegal(e: rules::IllegalAction) -> ApiError {
    ApiError::Conflict(format!(
        "the task is {} and cannot take this step",
        e.from.code()
    ))
}

/// What a step writes, starting from the row as it is.
fn change_of(row: &TaskRow) -> OwnedChange {
    OwnedChange {
        status: row.status.clone(),
        card: row.card.clone(),
        card_reasons: row.card_reasons.clone(),
        carded_at: row.carded_at,
        progress: row.progress,
        last_activity_at: row.last_activity_at,
        due_on: row.due_on.clone(),
        deadline_end: row.deadline_end,
        submitted_at: row.submitted_at,
        closed_at: row.closed_at,
    }
}

pub(crate) struct OwnedChange {
    pub status: String,
    pub card: String,
    pub card_reasons: String,
    pub carded_at: Option<i64>,
    pub progress: i64,
    pub last_activity_at: i64,
    pub due_on: String,
    pub deadline_end: i64,
    pub submitted_at: Option<i64>,
    pub closed_at: Option<i64>,
}

impl OwnedChange {
    /// The card as the rules give it now for the changed task (activity clears a stall; an
    /// extension an overdue; a submitted or closed task is not carded) — never higher than it was.
    fn recard(&mut self, state: &AppState, now: i64) {
        let facts = Facts {
            status: self.status.parse().unwrap_or(Status::Open),
            deadline_end: self.deadline_end,
            last_activity: self.last_activity_at,
        };
        let c = rules::card(&facts, &state.config.tasks.cards, now);
        let stored: Card = self.card.parse().unwrap_or(Card::Normal);
        // A step may lower a card (or keep it); raising one is the sweep's, which announces it.
        if c.card.rank() > stored.rank() {
            return;
        }
        if c.card != stored {
            self.carded_at = (c.card != Card::Normal).then_some(now);
        }
        self.card = c.card.code().into();
        self.card_reasons = serde_json::to_string(&c.reasons).unwrap_or_else(|_| "[]".into());
    }

    async fn write(&self, tx: &mut Tx, row: &TaskRow, now: i64) -> ApiResult<()> {
        let ok = store::update(
            tx,
            row,
            now,
            &store::Change {
                status: &self.status,
                card: &self.card,
                card_reasons: &self.card_reasons,
                carded_at: self.carded_at,
                progress: self.progress,
                last_activity_at: self.last_activity_at,
                due_on: &self.due_on,
                deadline_end: self.deadline_end,
                submitted_at: self.submitted_at,
                closed_at: self.closed_at,
            },
        )
        .await?;
        if ok {
            Ok(())
        } else {
            Err(ApiError::Conflict(
                "the task changed since you read it; reload it".into(),
            ))
        }
    }
}

async fn finish(
    state: &AppState,
    tx: Tx,
    actor: &Actor,
    action: &str,
    id: &str,
    detail: serde_json::Value,
) -> ApiResult<Task> {
    tx.commit_audited(vec![actor.audit_entry(
        action,
        "task",
        Some(id),
        AuditOutcome::Ok,
        &detail.to_string(),
    )])
    .await?;
    let row = store::get(&state.db, &reader(actor), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(view(row))
}

/// The lead (or a member of the lead or a co-organisation) reports progress.
pub async fn report(
    state: &AppState,
    actor: &Actor,
    id: &str,
    req: ProgressReport,
) -> ApiResult<Task> {
    actor.require(state, Permission::TaskRead).await?;
    let mut problems = Problems::default();
    let note = problems.check(crate::validate::text("note", &req.note, 500))?;
    if !(0..=100).contains(&req.percent) {
        problems.push(Problem::new(
            "percent",
            "task_percent",
            "percent must be 0–100",
        ));
    }
    problems.finish()?;
    let note = note.unwrap_or_default();
    let mut tx = state.db.begin().await?;
    let row = task_for_change(&mut tx, actor, id, req.updated_at).await?;
    require_participant(&mut tx, actor, &row).await?;
    let status: Status = row.status.parse().unwrap_or(Status::Open);
    status.apply(Action::Progress).map_err(illegal)?;
    let now = state.now();
    let mut c = change_of(&row);
    c.progress = req.percent;
    c.last_activity_at = now;
    c.recard(state, now);
    c.write(&mut tx, &row, now).await?;
    event(
        &mut tx,
        &row.id,
        now,
        Some(&actor.user_id),
        EventKind::Progress,
        &note,
        serde_json::json!({"percent": req.percent}),
    );
    finish(
        state,
        tx,
        actor,
        "task.progress",
        id,
        serde_json::json!({"percent": req.percent}),
    )
    .await
}

/// The lead submits completion with evidence; the assigner is told.
pub async fn submit(state: &AppState, actor: &Actor, id: &str, req: Completion) -> ApiResult<Task> {
    actor.require(state, Permission::TaskRead).await?;
    let mut problems = Problems::default();
    let note = problems.check(crate::validate::text("note", &req.note, 1000))?;
    check_evidence(&req.evidence, &mut problems);
    problems.finish()?;
    let note = note.unwrap_or_default();
    let evidence: Vec<Evidence> = req
        .evidence
        .iter()
        .map(|e| Evidence {
            name: e.name.trim().to_string(),
            sm3: e.sm3.to_ascii_lowercase(),
            reference: e.reference.trim().to_string(),
        })
        .collect();
    let mut tx = state.db.begin().await?;
    let row = task_for_change(&mut tx, actor, id, req.updated_at).await?;
    require_participant(&mut tx, actor, &row).await?;
    let status: Status = row.status.parse().unwrap_or(Status::Open);
    let next = status.apply(Action::Submit).map_err(illegal)?;
    let now = state.now();
    let mut c = change_of(&row);
    c.status = next.code().into();
    c.progress = 100;
    c.last_activity_at = now;
    c.submitted_at = Some(now);
    c.recard(state, now);
    c.write(&mut tx, &row, now).await?;
    event(
        &mut tx,
        &row.id,
        now,
        Some(&actor.user_id),
        EventKind::Submitted,
        &note,
        serde_json::json!({"evidence": evidence, "on_time": now < row.deadline_end}),
    );
    notifications::send(
        &mut tx,
        std::slice::from_ref(&row.assigned_by),
        now,
        &Notice {
            kind: "task.submitted",
            object: ("task", &row.id),
            message: &format!("任务待验收：{}（{}）", row.title, row.lead_name),
            message_en: &format!("Task to accept: {} ({})", row.title, row.lead_name),
        },
    );
    finish(
        state,
        tx,
        actor,
        "task.submit",
        id,
        serde_json::json!({"evidence": evidence.len()}),
    )
    .await
}

/// The assigner's side (TaskManage): accept a completion, return it, or cancel the task.
pub async fn decide(
    state: &AppState,
    actor: &Actor,
    id: &str,
    action: Action,
    req: Verdict,
) -> ApiResult<Task> {
    actor.require(state, Permission::TaskManage).await?;
    let mut problems = Problems::default();
    let note = problems
        .check(crate::validate::optional_text(
            "note",
            req.note.as_deref(),
            500,
        ))?
        .flatten()
        .unwrap_or_default();
    if matches!(action, Action::Return | Action::Cancel) && note.is_empty() {
        problems.push(Problem::new(
            "note",
            "required",
            "say why the task is returned or cancelled",
        ));
    }
    problems.finish()?;
    let mut tx = state.db.begin().await?;
    let row = task_for_change(&mut tx, actor, id, req.updated_at).await?;
    require_decider(actor, &row)?;
    if row.link_kind.as_deref() == Some(LinkKind::Risk.code())
        && matches!(action, Action::Accept | Action::Return)
    {
        return Err(ApiError::Conflict(
            "a rectification order is accepted or returned by re-inspecting its risk".into(),
        ));
    }
    let audit = settle_in(state, &mut tx, actor, &row, action, &note).await?;
    finish(
        state,
        tx,
        actor,
        audit,
        id,
        serde_json::json!({"note": note}),
    )
    .await
}

/// Accepts, returns or cancels `row` inside the caller's transaction (the decider checked by the
/// caller); answers the audit action. A risk's re-inspection settles its rectification order so.
pub(crate) async fn settle_in(
    state: &AppState,
    tx: &mut Tx,
    actor: &Actor,
    row: &TaskRow,
    action: Action,
    note: &str,
) -> ApiResult<&'static str> {
    let status: Status = row.status.parse().unwrap_or(Status::Open);
    let next = status.apply(action).map_err(illegal)?;
    let now = state.now();
    let mut c = change_of(row);
    c.status = next.code().into();
    let (kind, audit, zh, en) = match action {
        Action::Accept => {
            c.closed_at = Some(now);
            (
                EventKind::Accepted,
                "task.accept",
                "任务已验收办结",
                "Task accepted",
            )
        }
        Action::Return => {
            c.submitted_at = None;
            c.last_activity_at = now;
            (
                EventKind::Returned,
                "task.return",
                "任务被退回",
                "Task returned",
            )
        }
        _ => {
            c.closed_at = Some(now);
            (
                EventKind::Cancelled,
                "task.cancel",
                "任务已撤销",
                "Task cancelled",
            )
        }
    };
    c.recard(state, now);
    c.write(tx, row, now).await?;
    event(
        tx,
        &row.id,
        now,
        Some(&actor.user_id),
        kind,
        note,
        serde_json::json!({}),
    );
    notifications::send(
        tx,
        std::slice::from_ref(&row.lead_user_id),
        now,
        &Notice {
            kind: &format!("task.{}", kind.code()),
            object: ("task", &row.id),
            message: &format!("{zh}：{}", row.title),
            message_en: &format!("{en}: {}", row.title),
        },
    );
    Ok(audit)
}

/// Figures of the tasks assigned in [from, to) whose lead organisation is in scope (for the
/// scorecards: timeliness, cards now).
pub async fn figures(
    state: &AppState,
    actor: &Actor,
    from: i64,
    to: i64,
) -> ApiResult<rules::Figures> {
    actor.require(state, Permission::TaskRead).await?;
    let mut f = rules::Figures::default();
    for (status, card, deadline_end, submitted_at) in
        store::figure_rows(&state.db, &actor.scope, from, to).await?
    {
        f.assigned += 1;
        let status: Status = status.parse().unwrap_or(Status::Open);
        if status == Status::Accepted {
            f.accepted += 1;
            if submitted_at.is_some_and(|s| s < deadline_end) {
                f.accepted_on_time += 1;
            }
        }
        if status.is_live() {
            f.live += 1;
            match card.parse().unwrap_or(Card::Normal) {
                Card::Yellow => f.yellow += 1,
                Card::Red => f.red += 1,
                Card::Normal => {}
            }
        }
    }
    Ok(f)
}
