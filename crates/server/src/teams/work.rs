//! A team's work and what it earns: duties (值守: a place, a period, the members on it; attendance
//! confirmed once it has begun), tasks (patrol, publicity, information; closed as done with the work
//! each member put in, or cancelled), the hours-and-points ledger (credits for confirmed duties,
//! completed tasks and reports dispatch acted on; corrections as further entries) and a member's own
//! view of all of it.

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, Problem, Problems};
use crate::state::AppState;
use crate::teams::team_row;
use pingan_domain::Permission;
use pingan_domain::audit::{AuditEntry, AuditOutcome};
use pingan_domain::team::{
    LedgerKind, MAX_ADJUSTMENT_POINTS, MAX_ASSIGNED, POINTS_PER_REPORT, TaskKind, TaskStatus,
    check_period, check_work_minutes, duty_minutes, work_credit,
};
use pingan_store::teams::{self as store, AssignedRow, DutyRow, LedgerRow, TaskRow};
use pingan_store::{Tx, new_id};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

const DAY: i64 = 86_400_000_000;
/// Entries a team's page and answer show (the newest).
pub const LEDGER_SHOWN: i64 = 200;
/// How far back the report credit looks for reports dispatch may since have acted on.
const REPORT_LOOKBACK_DAYS: i64 = 30;

/// A new duty (值守).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDuty {
    /// Where: a gate, a street, a market (1–100 characters).
    pub place: String,
    /// RFC 3339; the duty ends before `ends_at`, at most 24 hours after it starts.
    pub starts_at: String,
    pub ends_at: String,
    /// 1–50 current members of the team.
    pub member_ids: Vec<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// Someone on a duty or a task.
#[derive(Debug, Serialize, ToSchema)]
pub struct Assigned {
    pub member_id: String,
    pub name: String,
    /// For a confirmed duty: whether they came.
    pub present: Option<bool>,
}

/// A duty with the members on it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamDuty {
    pub id: String,
    pub team_id: String,
    pub team_name: String,
    pub place: String,
    /// UTC µs; the duty ends before `ends_at`.
    pub starts_at: i64,
    pub ends_at: i64,
    pub note: String,
    pub members: Vec<Assigned>,
    /// When attendance was confirmed (and the hours credited).
    pub confirmed_at: Option<i64>,
    /// When the duty was cancelled (nobody is credited for it).
    pub cancelled_at: Option<i64>,
}

/// Attendance at a duty: the members who came (the others on it did not).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DutyAttendance {
    pub present: Vec<String>,
}

/// A new task.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTask {
    pub kind: TaskKind,
    /// 1–100 characters.
    pub title: String,
    /// Where, if anywhere (at most 100 characters).
    #[serde(default)]
    pub place: Option<String>,
    /// RFC 3339.
    pub due_at: String,
    /// 1–50 current members of the team.
    pub member_ids: Vec<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// A task with the members on it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamTask {
    pub id: String,
    pub team_id: String,
    pub team_name: String,
    pub kind: TaskKind,
    pub title: String,
    pub place: String,
    /// UTC µs.
    pub due_at: i64,
    pub status: TaskStatus,
    pub note: String,
    pub members: Vec<Assigned>,
    pub done_at: Option<i64>,
    /// The work each member put in, as recorded when it was done.
    pub work_minutes: Option<i64>,
}

/// A task done: how long each member on it worked.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskDone {
    /// 1–1,440 minutes.
    pub work_minutes: i64,
}

/// A correction or award in the ledger.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LedgerAdjustment {
    pub member_id: String,
    /// −100 to 100.
    pub points: i64,
    /// Hours to correct, in minutes: −1,440 to 1,440 (default 0). Points or minutes, not neither.
    #[serde(default)]
    pub minutes: i64,
    /// Why (1–200 characters): every adjustment says.
    pub note: String,
}

/// One ledger entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamLedgerEntry {
    pub id: String,
    pub member_id: String,
    pub member_name: String,
    /// UTC µs.
    pub at: i64,
    pub kind: LedgerKind,
    /// The duty, task or incident credited.
    pub object_id: Option<String>,
    pub minutes: i64,
    pub points: i64,
    pub note: String,
}

/// Which duties of a team.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DutyQuery {
    /// RFC 3339; default 7 days ago.
    pub from: Option<String>,
    /// RFC 3339; default 14 days after `from`; at most 62 days after it.
    pub to: Option<String>,
}

fn assigned_of(rows: &[AssignedRow], id: &str) -> Vec<Assigned> {
    rows.iter()
        .filter(|r| r.object_id == id)
        .map(|r| Assigned {
            member_id: r.member_id.clone(),
            name: r.name.clone(),
            present: r.present,
        })
        .collect()
}

fn duty_view(d: DutyRow, rows: &[AssignedRow]) -> TeamDuty {
    TeamDuty {
        members: assigned_of(rows, &d.id),
        id: d.id,
        team_id: d.team_id,
        team_name: d.team_name,
        place: d.place,
        starts_at: d.starts_at,
        ends_at: d.ends_at,
        note: d.note,
        confirmed_at: d.confirmed_at,
        cancelled_at: d.cancelled_at,
    }
}

fn task_view(k: TaskRow, rows: &[AssignedRow]) -> TeamTask {
    TeamTask {
        members: assigned_of(rows, &k.id),
        kind: k.kind.parse().unwrap_or(TaskKind::Patrol),
        status: k.status.parse().unwrap_or(TaskStatus::Open),
        id: k.id,
        team_id: k.team_id,
        team_name: k.team_name,
        title: k.title,
        place: k.place,
        due_at: k.due_at,
        note: k.note,
        done_at: k.done_at,
        work_minutes: k.work_minutes,
    }
}

fn ledger_view(l: LedgerRow) -> TeamLedgerEntry {
    TeamLedgerEntry {
        kind: l.kind.parse().unwrap_or(LedgerKind::Adjustment),
        id: l.id,
        member_id: l.member_id,
        member_name: l.member_name,
        at: l.at,
        object_id: l.object_id,
        minutes: l.minutes,
        points: l.points,
        note: l.note,
    }
}

async fn duties_with_members(state: &AppState, rows: Vec<DutyRow>) -> ApiResult<Vec<TeamDuty>> {
    let ids: Vec<String> = rows.iter().map(|d| d.id.clone()).collect();
    let who = store::duty_members(&state.db, &ids).await?;
    Ok(rows.into_iter().map(|d| duty_view(d, &who)).collect())
}

async fn tasks_with_members(state: &AppState, rows: Vec<TaskRow>) -> ApiResult<Vec<TeamTask>> {
    let ids: Vec<String> = rows.iter().map(|d| d.id.clone()).collect();
    let who = store::task_members(&state.db, &ids).await?;
    Ok(rows.into_iter().map(|k| task_view(k, &who)).collect())
}

/// Every member id once, 1–50 of them, each a current member of the team: a problem beside
/// `member_ids[i]` otherwise.
async fn check_members(
    tx: &mut Tx,
    team_id: &str,
    ids: &[String],
    problems: &mut Problems,
) -> ApiResult<()> {
    if ids.is_empty() || ids.len() > MAX_ASSIGNED {
        problems.push(
            Problem::new(
                "member_ids",
                "team_assigned_size",
                format!("1–{MAX_ASSIGNED} members"),
            )
            .with("max", MAX_ASSIGNED),
        );
        return Ok(());
    }
    let found = store::current_members(tx, team_id, ids).await?;
    let mut seen = std::collections::HashSet::new();
    for (i, id) in ids.iter().enumerate() {
        let field = format!("member_ids[{i}]");
        if !seen.insert(id.as_str()) {
            problems.push(Problem::new(&field, "team_assigned_twice", "listed twice"));
        } else if !found.iter().any(|m| &m.id == id) {
            problems.push(Problem::new(
                &field,
                "team_not_member",
                "not a current member of this team",
            ));
        }
    }
    Ok(())
}

/// Hours worked out of range.
pub(crate) fn work_problem(field: &str) -> Problem {
    Problem::new(field, "team_work_hours", "from 1 minute to 24 hours")
        .with("hours", pingan_domain::team::MAX_DUTY_HOURS)
}

fn period_problem(field: &str, e: pingan_domain::team::PeriodError) -> Problem {
    Problem::new(field, "team_period", e.to_string())
        .with("hours", pingan_domain::team::MAX_DUTY_HOURS)
}

/// Schedules a duty for members of a team.
pub async fn create_duty(
    state: &AppState,
    actor: &Actor,
    team_id: &str,
    req: NewDuty,
) -> ApiResult<TeamDuty> {
    actor.require(state, Permission::TeamManage).await?;
    let t = team_row(state, actor, team_id).await?;
    let mut problems = Problems::default();
    let place = problems.check(crate::validate::text("place", &req.place, 100))?;
    let from = problems.check(crate::validate::required_instant(
        "starts_at",
        &req.starts_at,
    ))?;
    let to = problems.check(crate::validate::required_instant("ends_at", &req.ends_at))?;
    if let (Some(f), Some(t)) = (from, to)
        && let Err(e) = check_period(f, t)
    {
        problems.push(period_problem("ends_at", e));
    }
    let note = problems
        .check(crate::validate::optional_text(
            "note",
            req.note.as_deref(),
            200,
        ))?
        .flatten()
        .unwrap_or_default();
    let mut tx = state.db.begin().await?;
    check_members(&mut tx, &t.id, &req.member_ids, &mut problems).await?;
    problems.finish()?;
    let row = DutyRow {
        id: new_id(),
        team_id: t.id.clone(),
        team_name: t.name.clone(),
        place: place.unwrap_or_default(),
        starts_at: from.unwrap_or_default(),
        ends_at: to.unwrap_or_default(),
        note,
        created_by: actor.user_id.clone(),
        created_at: state.now(),
        confirmed_at: None,
        cancelled_at: None,
    };
    store::insert_duty(&mut tx, &row, &req.member_ids).await?;
    tx.commit_audited(vec![actor.audit_entry(
        "team_duty.create",
        "team_duty",
        Some(&row.id),
        AuditOutcome::Ok,
        &format!("{} {}", t.name, req.member_ids.len()),
    )])
    .await?;
    duty(state, actor, &row.id).await
}

/// One duty of a team in scope.
pub async fn duty(state: &AppState, actor: &Actor, id: &str) -> ApiResult<TeamDuty> {
    actor.require(state, Permission::TeamRead).await?;
    let d = store::get_duty(&state.db, &actor.scope, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(duties_with_members(state, vec![d]).await?.remove(0))
}

/// A team's duties starting in a period (default: from a week ago, two weeks).
pub async fn duties(
    state: &AppState,
    actor: &Actor,
    team_id: &str,
    q: &DutyQuery,
) -> ApiResult<Vec<TeamDuty>> {
    actor.require(state, Permission::TeamRead).await?;
    let t = team_row(state, actor, team_id).await?;
    let mut problems = Problems::default();
    let from = match q.from.as_deref() {
        Some(f) => problems.check(crate::validate::required_instant("from", f))?,
        None => Some(state.now() - 7 * DAY),
    };
    let to = match q.to.as_deref() {
        Some(f) => problems.check(crate::validate::required_instant("to", f))?,
        None => from.map(|f| f + 14 * DAY),
    };
    if let (Some(f), Some(t)) = (from, to)
        && (t <= f || t - f > 62 * DAY)
    {
        problems.push(
            Problem::new("to", "team_list_period", "to: after from, at most 62 days")
                .with("days", 62),
        );
    }
    problems.finish()?;
    let rows = store::duties(
        &state.db,
        &t.id,
        from.unwrap_or_default(),
        to.unwrap_or_default(),
    )
    .await?;
    duties_with_members(state, rows).await
}

/// Confirms who came to a duty once it has begun: each of them is credited its length (a point per
/// full hour), in the same transaction.
pub async fn confirm_duty(
    state: &AppState,
    actor: &Actor,
    id: &str,
    req: DutyAttendance,
) -> ApiResult<TeamDuty> {
    actor.require(state, Permission::TeamManage).await?;
    let d = store::get_duty(&state.db, &actor.scope, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let now = state.now();
    if now < d.ends_at {
        return Err(ApiError::problem(Problem::new(
            "present",
            "team_duty_not_over",
            "attendance is confirmed once the duty is over",
        )));
    }
    if d.cancelled_at.is_some() {
        return Err(ApiError::Conflict("this duty was cancelled".into()));
    }
    let on_duty = store::duty_members(&state.db, std::slice::from_ref(&d.id)).await?;
    let mut problems = Problems::default();
    let mut seen = std::collections::HashSet::new();
    let mut tx = state.db.begin().await?;
    // Only members still on the team are credited (someone who left since is not).
    let current = store::current_members(&mut tx, &d.team_id, &req.present).await?;
    for (i, m) in req.present.iter().enumerate() {
        let field = format!("present[{i}]");
        if !seen.insert(m.as_str()) {
            problems.push(Problem::new(&field, "team_assigned_twice", "listed twice"));
        } else if !on_duty.iter().any(|a| &a.member_id == m) {
            problems.push(Problem::new(&field, "team_not_on_duty", "not on this duty"));
        } else if !current.iter().any(|c| &c.id == m) {
            problems.push(Problem::new(
                &field,
                "team_not_member",
                "not a current member of this team",
            ));
        }
    }
    problems.finish()?;
    if !store::confirm_duty(&mut tx, &d.id, &actor.user_id, now, &req.present).await? {
        return Err(ApiError::Conflict(
            "this duty's attendance is confirmed already".into(),
        ));
    }
    let (minutes, points) = work_credit(duty_minutes(d.starts_at, d.ends_at));
    for m in &req.present {
        store::credit(
            &mut tx,
            &LedgerRow {
                id: new_id(),
                team_id: d.team_id.clone(),
                member_id: m.clone(),
                member_name: String::new(),
                at: now,
                kind: LedgerKind::Duty.code().into(),
                object_id: Some(d.id.clone()),
                minutes,
                points,
                note: d.place.clone(),
                recorded_by: actor.user_id.clone(),
            },
        )
        .await?;
    }
    tx.commit_audited(vec![actor.audit_entry(
        "team_duty.confirm",
        "team_duty",
        Some(&d.id),
        AuditOutcome::Ok,
        &format!(
            "{} of {} present, {minutes} min",
            req.present.len(),
            on_duty.len()
        ),
    )])
    .await?;
    duty(state, actor, &d.id).await
}

/// Cancels a duty not yet confirmed: nobody is credited for it, and it leaves the members' lists.
pub async fn cancel_duty(state: &AppState, actor: &Actor, id: &str) -> ApiResult<TeamDuty> {
    actor.require(state, Permission::TeamManage).await?;
    let d = store::get_duty(&state.db, &actor.scope, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut tx = state.db.begin().await?;
    if !store::cancel_duty(&mut tx, &d.id, state.now()).await? {
        return Err(ApiError::Conflict(
            "this duty is confirmed or cancelled already".into(),
        ));
    }
    tx.commit_audited(vec![actor.audit_entry(
        "team_duty.cancel",
        "team_duty",
        Some(&d.id),
        AuditOutcome::Ok,
        &d.place,
    )])
    .await?;
    duty(state, actor, &d.id).await
}

/// Gives members of a team a task.
pub async fn create_task(
    state: &AppState,
    actor: &Actor,
    team_id: &str,
    req: NewTask,
) -> ApiResult<TeamTask> {
    actor.require(state, Permission::TeamManage).await?;
    let t = team_row(state, actor, team_id).await?;
    let mut problems = Problems::default();
    let title = problems.check(crate::validate::text("title", &req.title, 100))?;
    let place = problems
        .check(crate::validate::optional_text(
            "place",
            req.place.as_deref(),
            100,
        ))?
        .flatten()
        .unwrap_or_default();
    let due = problems.check(crate::validate::required_instant("due_at", &req.due_at))?;
    let note = problems
        .check(crate::validate::optional_text(
            "note",
            req.note.as_deref(),
            200,
        ))?
        .flatten()
        .unwrap_or_default();
    let mut tx = state.db.begin().await?;
    check_members(&mut tx, &t.id, &req.member_ids, &mut problems).await?;
    problems.finish()?;
    let row = TaskRow {
        id: new_id(),
        team_id: t.id.clone(),
        team_name: t.name.clone(),
        kind: req.kind.code().into(),
        title: title.unwrap_or_default(),
        place,
        due_at: due.unwrap_or_default(),
        status: TaskStatus::Open.code().into(),
        note,
        created_by: actor.user_id.clone(),
        created_at: state.now(),
        done_at: None,
        work_minutes: None,
    };
    store::insert_task(&mut tx, &row, &req.member_ids).await?;
    tx.commit_audited(vec![actor.audit_entry(
        "team_task.create",
        "team_task",
        Some(&row.id),
        AuditOutcome::Ok,
        &format!("{} {}", t.name, row.kind),
    )])
    .await?;
    task(state, actor, &row.id).await
}

/// One task of a team in scope.
pub async fn task(state: &AppState, actor: &Actor, id: &str) -> ApiResult<TeamTask> {
    actor.require(state, Permission::TeamRead).await?;
    let k = store::get_task(&state.db, &actor.scope, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(tasks_with_members(state, vec![k]).await?.remove(0))
}

/// A team's tasks: open ones by due time, then the closed ones, newest first.
pub async fn tasks(state: &AppState, actor: &Actor, team_id: &str) -> ApiResult<Vec<TeamTask>> {
    actor.require(state, Permission::TeamRead).await?;
    let t = team_row(state, actor, team_id).await?;
    let rows = store::tasks(&state.db, &t.id, 200).await?;
    tasks_with_members(state, rows).await
}

/// Closes an open task as done: every member on it is credited the work (a point per full hour).
pub async fn complete_task(
    state: &AppState,
    actor: &Actor,
    id: &str,
    req: TaskDone,
) -> ApiResult<TeamTask> {
    actor.require(state, Permission::TeamManage).await?;
    let k = store::get_task(&state.db, &actor.scope, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if check_work_minutes(req.work_minutes).is_err() {
        return Err(ApiError::problem(work_problem("work_minutes")));
    }
    let now = state.now();
    let mut tx = state.db.begin().await?;
    if !store::close_task(
        &mut tx,
        &k.id,
        TaskStatus::Done.code(),
        &actor.user_id,
        now,
        Some(req.work_minutes),
    )
    .await?
    {
        return Err(ApiError::Conflict("this task is closed already".into()));
    }
    let (minutes, points) = work_credit(req.work_minutes);
    // Members who left the team since are not credited.
    for m in store::task_member_ids(&mut tx, &k.id).await? {
        store::credit(
            &mut tx,
            &LedgerRow {
                id: new_id(),
                team_id: k.team_id.clone(),
                member_id: m,
                member_name: String::new(),
                at: now,
                kind: LedgerKind::Task.code().into(),
                object_id: Some(k.id.clone()),
                minutes,
                points,
                note: k.title.clone(),
                recorded_by: actor.user_id.clone(),
            },
        )
        .await?;
    }
    tx.commit_audited(vec![actor.audit_entry(
        "team_task.done",
        "team_task",
        Some(&k.id),
        AuditOutcome::Ok,
        &format!("{minutes} min"),
    )])
    .await?;
    task(state, actor, &k.id).await
}

/// Cancels an open task: nobody is credited.
pub async fn cancel_task(state: &AppState, actor: &Actor, id: &str) -> ApiResult<TeamTask> {
    actor.require(state, Permission::TeamManage).await?;
    let k = store::get_task(&state.db, &actor.scope, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut tx = state.db.begin().await?;
    if !store::close_task(
        &mut tx,
        &k.id,
        TaskStatus::Cancelled.code(),
        &actor.user_id,
        state.now(),
        None,
    )
    .await?
    {
        return Err(ApiError::Conflict("this task is closed already".into()));
    }
    tx.commit_audited(vec![actor.audit_entry(
        "team_task.cancel",
        "team_task",
        Some(&k.id),
        AuditOutcome::Ok,
        &k.title,
    )])
    .await?;
    task(state, actor, &k.id).await
}

/// A team's ledger, newest first.
pub async fn ledger(
    state: &AppState,
    actor: &Actor,
    team_id: &str,
) -> ApiResult<Vec<TeamLedgerEntry>> {
    actor.require(state, Permission::TeamRead).await?;
    let t = team_row(state, actor, team_id).await?;
    Ok(store::ledger(&state.db, &t.id, LEDGER_SHOWN)
        .await?
        .into_iter()
        .map(ledger_view)
        .collect())
}

/// Corrects or awards points, with the reason, as a further entry.
pub async fn adjust(
    state: &AppState,
    actor: &Actor,
    team_id: &str,
    req: LedgerAdjustment,
) -> ApiResult<TeamLedgerEntry> {
    actor.require(state, Permission::TeamManage).await?;
    let t = team_row(state, actor, team_id).await?;
    let mut problems = Problems::default();
    // Ranges, not abs(): i64::MIN has none.
    if !(-MAX_ADJUSTMENT_POINTS..=MAX_ADJUSTMENT_POINTS).contains(&req.points)
        || (req.points == 0 && req.minutes == 0)
    {
        problems.push(
            Problem::new(
                "points",
                "team_adjustment",
                format!("−{MAX_ADJUSTMENT_POINTS} to {MAX_ADJUSTMENT_POINTS}, not 0"),
            )
            .with("max", MAX_ADJUSTMENT_POINTS),
        );
    }
    let max_minutes = pingan_domain::team::MAX_DUTY_HOURS * 60;
    if !(-max_minutes..=max_minutes).contains(&req.minutes) {
        problems.push(work_problem("minutes"));
    }
    let note = problems.check(crate::validate::text("note", &req.note, 200))?;
    let member = store::members(&state.db, &t.id)
        .await?
        .into_iter()
        .find(|m| m.id == req.member_id);
    if member.is_none() {
        problems.push(Problem::new(
            "member_id",
            "team_not_member",
            "not a member of this team",
        ));
    }
    problems.finish()?;
    let (Some(member), Some(note)) = (member, note) else {
        return Err(ApiError::Internal(anyhow::anyhow!(
            "an adjustment value is missing without a problem noted"
        )));
    };
    let row = LedgerRow {
        id: new_id(),
        team_id: t.id.clone(),
        member_id: member.id.clone(),
        member_name: member.name.clone(),
        at: state.now(),
        kind: LedgerKind::Adjustment.code().into(),
        object_id: None,
        minutes: req.minutes,
        points: req.points,
        note,
        recorded_by: actor.user_id.clone(),
    };
    let mut tx = state.db.begin().await?;
    store::credit(&mut tx, &row).await?;
    tx.commit_audited(vec![actor.audit_entry(
        "team_ledger.adjust",
        "team",
        Some(&t.id),
        AuditOutcome::Ok,
        &format!(
            "{} {:+} points {:+} min",
            member.id, req.points, req.minutes
        ),
    )])
    .await?;
    Ok(ledger_view(row))
}

/// A member's own team work.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyTeamWork {
    /// The teams they are on `(team id, team name, kind)`.
    pub teams: Vec<MyTeam>,
    /// Their duties from today on (two weeks), not cancelled.
    pub duties: Vec<TeamDuty>,
    /// Their open tasks.
    pub tasks: Vec<TeamTask>,
    /// Over all their memberships.
    pub minutes: i64,
    pub points: i64,
}

/// A team one is on.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyTeam {
    pub team_id: String,
    pub team_name: String,
    pub kind: pingan_domain::team::TeamKind,
    pub member_id: String,
}

/// The signed-in person's teams, duties, open tasks and points (their own, whatever their scope).
pub async fn mine(state: &AppState, actor: &Actor) -> ApiResult<MyTeamWork> {
    let today = pingan_domain::time::day_start(state.today());
    let teams = store::memberships(&state.db, &actor.user_id)
        .await?
        .into_iter()
        .map(|(member_id, team_id, team_name, kind)| MyTeam {
            kind: kind
                .parse()
                .unwrap_or(pingan_domain::team::TeamKind::PeaceVolunteers),
            team_id,
            team_name,
            member_id,
        })
        .collect();
    let duties = store::duties_of(&state.db, &actor.user_id, today, today + 14 * DAY).await?;
    let tasks = store::open_tasks_of(&state.db, &actor.user_id).await?;
    let (minutes, points) = store::totals_of(&state.db, &actor.user_id).await?;
    Ok(MyTeamWork {
        teams,
        duties: duties_with_members(state, duties).await?,
        tasks: tasks_with_members(state, tasks).await?,
        minutes,
        points,
    })
}

/// Credits reports through the volunteer channel that dispatch has acted on: each reporter once per
/// report, on their earliest current team. Returns how many were credited.
pub async fn credit_reports(state: &AppState) -> ApiResult<usize> {
    let now = state.now();
    let due = store::uncredited_reports(&state.db, now - REPORT_LOOKBACK_DAYS * DAY, 500).await?;
    if due.is_empty() {
        return Ok(0);
    }
    let mut tx = state.db.begin().await?;
    let mut credited = Vec::new();
    for r in &due {
        let fresh = store::credit(
            &mut tx,
            &LedgerRow {
                id: new_id(),
                team_id: r.team_id.clone(),
                member_id: r.member_id.clone(),
                member_name: String::new(),
                at: now,
                kind: LedgerKind::Report.code().into(),
                object_id: Some(r.incident_id.clone()),
                minutes: 0,
                points: POINTS_PER_REPORT,
                note: r.number.clone(),
                recorded_by: "system".into(),
            },
        )
        .await?;
        if fresh {
            credited.push(r.number.clone());
        }
    }
    if credited.is_empty() {
        return Ok(0);
    }
    tx.commit_audited(vec![AuditEntry {
        at: now,
        actor_id: None,
        actor_name: "system".into(),
        action: "team_ledger.credit_reports".into(),
        object_type: "team_ledger".into(),
        object_id: None,
        outcome: AuditOutcome::Ok,
        purpose: None,
        ip: None,
        detail: serde_json::json!({ "incidents": credited }).to_string(),
    }])
    .await?;
    Ok(credited.len())
}

/// The leased job: a minute's worth of newly acted-on reports at a time.
pub fn job(_state: &AppState) -> crate::jobs::Job {
    crate::jobs::Job::new(
        "team_report_credit",
        std::time::Duration::from_secs(60),
        |state| Box::pin(async move { Ok(credit_reports(&state).await?) }),
    )
}
