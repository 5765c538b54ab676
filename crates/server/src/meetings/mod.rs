//! 联席会议: joint meetings of the party committee, police and local government (大事共议、要事共决、
//! 实事共办、难事共解). A meeting has an organiser (its scope), participating organisations and
//! people, agenda items that may link an incident, dispute, case or place, minutes, decisions (with
//! the organisations that agreed, where a decision needs it) and attachments by reference (SM3 like
//! case documents). A decision spawns supervised tasks through `tasks::assign_in`, in the same
//! transaction as the decision when they are recorded together.

pub mod api;
pub mod demo;
pub mod pages;

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, Problem, Problems};
use crate::state::AppState;
use crate::tasks::decided::{
    self as tasks, Evidence, FromDecision, Link, NewSupervisedTask, Task, TaskQuery,
};
use pingan_domain::Permission;
use pingan_domain::audit::AuditOutcome;
use pingan_store::meetings::{
    self as store, AgendaRow, AttachmentRow, AttendeeRow, DecisionRow, MeetingRow,
};
use pingan_store::new_id;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Someone at the meeting: an account, or a name for someone without one.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Attendee {
    #[serde(default)]
    pub user_id: Option<String>,
    /// 1–30 characters; required without an account.
    #[serde(default)]
    pub name: Option<String>,
}

/// An agenda item (议题), optionally about one object.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgendaItem {
    /// 1–200 characters.
    pub title: String,
    #[serde(default)]
    pub link: Option<Link>,
}

/// A new meeting.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMeeting {
    /// 1–100 characters.
    pub title: String,
    /// The organising organisation, in your scope.
    pub org_id: String,
    /// When it is or was held (RFC 3339); up to a year ahead, or back as far as records go.
    pub held_at: String,
    /// Where, at most 100 characters.
    #[serde(default)]
    pub place: Option<String>,
    /// Participating organisations besides the organiser (any organisation; at most 30).
    #[serde(default)]
    pub org_ids: Vec<String>,
    /// At most 100.
    #[serde(default)]
    pub attendees: Vec<Attendee>,
    /// At most 30.
    #[serde(default)]
    pub agenda: Vec<AgendaItem>,
    /// At most 20,000 characters.
    #[serde(default)]
    pub minutes: Option<String>,
}

/// A meeting as listed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Meeting {
    pub id: String,
    pub title: String,
    pub org_id: String,
    pub org_name: String,
    /// UTC µs.
    pub held_at: i64,
    pub place: String,
    /// Decisions recorded.
    pub decision_count: i64,
    pub updated_at: i64,
}

fn view(m: &MeetingRow) -> Meeting {
    Meeting {
        id: m.id.clone(),
        title: m.title.clone(),
        org_id: m.org_id.clone(),
        org_name: m.org_name.clone(),
        held_at: m.held_at,
        place: m.place.clone(),
        decision_count: m.decisions,
        updated_at: m.updated_at,
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrgName {
    pub id: String,
    pub name: String,
}

/// A decision and the tasks it spawned.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Decision {
    pub id: String,
    pub seq: i64,
    pub text: String,
    /// The organisations that agreed (when the decision needed their agreement).
    pub agreed_by: Vec<OrgName>,
    pub created_at: i64,
    pub tasks: Vec<Task>,
}

/// An attachment by reference.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Attachment {
    pub id: String,
    pub name: String,
    pub sm3: String,
    pub reference: String,
    pub added_at: i64,
}

/// A meeting with everything recorded on it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MeetingDetail {
    #[serde(flatten)]
    pub meeting: Meeting,
    pub minutes: String,
    pub orgs: Vec<OrgName>,
    pub attendees: Vec<Attendee>,
    pub agenda: Vec<AgendaItem>,
    pub decisions: Vec<Decision>,
    pub attachments: Vec<Attachment>,
}

/// The meetings in your scope, newest first (at most 200).
pub async fn list(state: &AppState, actor: &Actor) -> ApiResult<Vec<Meeting>> {
    actor.require(state, Permission::TaskRead).await?;
    Ok(store::list(&state.db, &actor.scope, 200)
        .await?
        .iter()
        .map(view)
        .collect())
}

/// One meeting in scope with its agenda, decisions (and their tasks you may see) and attachments.
pub async fn detail(state: &AppState, actor: &Actor, id: &str) -> ApiResult<MeetingDetail> {
    actor.require(state, Permission::TaskRead).await?;
    let m = store::get(&state.db, &actor.scope, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let orgs: Vec<OrgName> = store::orgs(&state.db, &m.id)
        .await?
        .into_iter()
        .map(|(id, name)| OrgName { id, name })
        .collect();
    let attendees = store::attendees(&state.db, &m.id)
        .await?
        .into_iter()
        .map(|a| Attendee {
            user_id: a.user_id,
            name: Some(a.name),
        })
        .collect();
    let agenda = store::agenda(&state.db, &m.id)
        .await?
        .into_iter()
        .map(|a| AgendaItem {
            title: a.title,
            link: match (a.link_kind.as_deref(), a.link_id) {
                (Some(k), Some(id)) => k.parse().ok().map(|kind| Link { kind, id }),
                _ => None,
            },
        })
        .collect();
    let spawned = tasks::list(
        state,
        actor,
        &TaskQuery {
            meeting_id: Some(m.id.clone()),
            ..Default::default()
        },
    )
    .await?;
    let mut all_orgs = orgs.clone();
    all_orgs.push(OrgName {
        id: m.org_id.clone(),
        name: m.org_name.clone(),
    });
    let decisions = store::decisions(&state.db, &m.id)
        .await?
        .into_iter()
        .map(|d| {
            let ids: Vec<String> = serde_json::from_str(&d.agreed_by).unwrap_or_default();
            Decision {
                agreed_by: ids
                    .iter()
                    .filter_map(|i| all_orgs.iter().find(|o| &o.id == i).cloned())
                    .collect(),
                tasks: spawned
                    .iter()
                    .filter(|t| t.decision_id.as_deref() == Some(d.id.as_str()))
                    .cloned()
                    .collect(),
                id: d.id,
                seq: d.seq,
                text: d.text,
                created_at: d.created_at,
            }
        })
        .collect();
    let attachments = store::attachments(&state.db, &m.id)
        .await?
        .into_iter()
        .map(|a| Attachment {
            id: a.id,
            name: a.name,
            sm3: a.sm3,
            reference: a.reference,
            added_at: a.added_at,
        })
        .collect();
    Ok(MeetingDetail {
        meeting: view(&m),
        minutes: m.minutes,
        orgs,
        attendees,
        agenda,
        decisions,
        attachments,
    })
}

/// Records a meeting (TaskManage).
pub async fn create(state: &AppState, actor: &Actor, req: NewMeeting) -> ApiResult<Meeting> {
    actor.require(state, Permission::TaskManage).await?;
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
    let minutes = problems
        .check(crate::validate::optional_text(
            "minutes",
            req.minutes.as_deref(),
            20_000,
        ))?
        .flatten()
        .unwrap_or_default();
    let held_at = problems.check(crate::validate::required_instant("held_at", &req.held_at))?;
    let now = state.now();
    if let Some(at) = held_at {
        let back = state.config.validation.record_max_age_days * pingan_domain::task::DAY;
        if at > now + 366 * pingan_domain::task::DAY || at < now - back {
            problems.push(Problem::new(
                "held_at",
                "meeting_when",
                "a meeting is recorded up to a year ahead, or back as far as records go",
            ));
        }
    }
    let org = pingan_store::orgs::get(&state.db, &actor.scope, &req.org_id).await?;
    if org.is_none() {
        problems.push(Problem::new(
            "org_id",
            "meeting_org",
            "no organisation with this id in your scope",
        ));
    }
    if req.org_ids.len() > 30 || req.attendees.len() > 100 || req.agenda.len() > 30 {
        // Refused before any per-item lookup.
        problems.push(Problem::new(
            "agenda",
            "meeting_too_many",
            "at most 30 organisations, 100 attendees and 30 agenda items",
        ));
        return Err(problems.into_error());
    }
    let mut orgs: Vec<String> = Vec::new();
    for (i, o) in req.org_ids.iter().enumerate() {
        let field = format!("org_ids[{i}]");
        if o == &req.org_id || orgs.contains(o) {
            problems.push(Problem::new(
                &field,
                "task_org_twice",
                "an organisation is named twice",
            ));
        } else if pingan_store::orgs::get_unscoped(&state.db, o)
            .await?
            .is_none()
        {
            problems.push(Problem::new(&field, "meeting_org", "no such organisation"));
        } else {
            orgs.push(o.clone());
        }
    }
    for (i, a) in req.agenda.iter().enumerate() {
        let n = a.title.trim().chars().count();
        if n == 0 || n > 200 {
            problems.push(Problem::new(
                &format!("agenda[{i}].title"),
                "required",
                "an agenda item of 1–200 characters",
            ));
        }
    }
    let mut tx = state.db.begin().await?;
    for (i, a) in req.agenda.iter().enumerate() {
        if let Some(l) = &a.link
            && !tasks::linkable(&mut tx, actor, l).await?
        {
            problems.push(Problem::new(
                &format!("agenda[{i}].link.id"),
                "task_link",
                "no such object in your scope",
            ));
        }
    }
    let mut attendees: Vec<(Option<String>, String)> = Vec::new();
    for (i, a) in req.attendees.iter().enumerate() {
        let typed = a.name.as_deref().map(str::trim).filter(|n| !n.is_empty());
        let field = format!("attendees[{i}]");
        match (a.user_id.as_deref().filter(|u| !u.is_empty()), typed) {
            (Some(u), _) => match pingan_store::users::get(&state.db, &actor.scope, u).await? {
                Some(user) => attendees.push((Some(user.id), user.display_name)),
                None => problems.push(Problem::new(
                    &format!("{field}.user_id"),
                    "team_account",
                    "no account with this id in your scope",
                )),
            },
            (None, Some(n)) if n.chars().count() <= 30 => attendees.push((None, n.to_string())),
            _ => problems.push(Problem::new(
                &format!("{field}.name"),
                "required",
                "an attendee without an account needs a name of 1–30 characters",
            )),
        }
    }
    problems.finish()?;
    let (Some(title), Some(held_at), Some(org)) = (title, held_at, org) else {
        return Err(ApiError::Internal(anyhow::anyhow!(
            "a meeting value is missing without a problem noted"
        )));
    };
    let row = MeetingRow {
        id: new_id(),
        title,
        org_id: org.id.clone(),
        org_name: org.name.clone(),
        org_path: org.path.clone(),
        area_path: org.area_path.clone().unwrap_or_default(),
        held_at,
        place,
        minutes,
        created_by: actor.user_id.clone(),
        created_at: now,
        updated_at: now,
        decisions: 0,
    };
    store::insert(&mut tx, &row).await?;
    for o in &orgs {
        store::add_org(&mut tx, &row.id, o).await?;
    }
    for (user_id, name) in attendees {
        store::add_attendee(
            &mut tx,
            &AttendeeRow {
                id: new_id(),
                meeting_id: row.id.clone(),
                user_id,
                name,
            },
        )
        .await?;
    }
    for (i, a) in req.agenda.iter().enumerate() {
        store::add_agenda(
            &mut tx,
            &AgendaRow {
                id: new_id(),
                meeting_id: row.id.clone(),
                seq: i as i64 + 1,
                title: a.title.trim().to_string(),
                link_kind: a.link.as_ref().map(|l| l.kind.code().to_string()),
                link_id: a.link.as_ref().map(|l| l.id.clone()),
            },
        )
        .await?;
    }
    tx.commit_audited(vec![
        actor.audit_entry(
            "meeting.create",
            "meeting",
            Some(&row.id),
            AuditOutcome::Ok,
            &serde_json::json!({"org": row.org_id, "held_at": row.held_at, "orgs": orgs.len()})
                .to_string(),
        ),
    ])
    .await?;
    Ok(view(&row))
}

/// The minutes, replacing what was there.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Minutes {
    /// At most 20,000 characters.
    pub minutes: String,
    /// The meeting as read (`updated_at`); a stale one answers 409.
    pub updated_at: i64,
}

pub async fn set_minutes(
    state: &AppState,
    actor: &Actor,
    id: &str,
    req: Minutes,
) -> ApiResult<Meeting> {
    actor.require(state, Permission::TaskManage).await?;
    let mut problems = Problems::default();
    let minutes = problems
        .check(crate::validate::optional_text(
            "minutes",
            Some(&req.minutes),
            20_000,
        ))?
        .flatten()
        .unwrap_or_default();
    problems.finish()?;
    let mut tx = state.db.begin().await?;
    let m = store::get_tx(&mut tx, &actor.scope, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !store::set_minutes(&mut tx, &m.id, &minutes, req.updated_at, state.now()).await? {
        return Err(ApiError::Conflict(
            "the meeting changed since you read it; reload it".into(),
        ));
    }
    tx.commit_audited(vec![actor.audit_entry(
        "meeting.minutes",
        "meeting",
        Some(&m.id),
        AuditOutcome::Ok,
        &format!("{} characters", minutes.chars().count()),
    )])
    .await?;
    let m = store::get(&state.db, &actor.scope, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(view(&m))
}

/// A decision (决议), with the tasks it assigns at once.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDecision {
    /// 1–1000 characters.
    pub text: String,
    /// The organisations whose agreement the decision needs and has: the organiser or participating
    /// organisations of the meeting.
    #[serde(default)]
    pub agreed_by: Vec<String>,
    /// Tasks the decision assigns (at most 20), each checked as `POST /tasks`.
    #[serde(default)]
    pub tasks: Vec<NewSupervisedTask>,
}

/// Records a decision and its tasks in one transaction: all or none.
pub async fn decide(
    state: &AppState,
    actor: &Actor,
    id: &str,
    req: NewDecision,
) -> ApiResult<Decision> {
    actor.require(state, Permission::TaskManage).await?;
    let mut problems = Problems::default();
    let text = problems.check(crate::validate::text("text", &req.text, 1000))?;
    if req.tasks.len() > 20 || req.agreed_by.len() > 31 {
        problems.push(Problem::new(
            "tasks",
            "meeting_too_many",
            "at most 20 tasks",
        ));
        return Err(problems.into_error());
    }
    let mut tx = state.db.begin().await?;
    let m = store::get_tx(&mut tx, &actor.scope, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let members: Vec<(String, String)> = {
        let mut o = store::orgs(&state.db, &m.id).await?;
        o.push((m.org_id.clone(), m.org_name.clone()));
        o
    };
    let mut agreed: Vec<String> = Vec::new();
    for (i, o) in req.agreed_by.iter().enumerate() {
        if !members.iter().any(|(id, _)| id == o) || agreed.contains(o) {
            problems.push(Problem::new(
                &format!("agreed_by[{i}]"),
                "meeting_agreed_by",
                "only the meeting's organisations agree to its decisions, each once",
            ));
        } else {
            agreed.push(o.clone());
        }
    }
    problems.finish()?;
    let now = state.now();
    // The meeting's row first: on PostgreSQL it is locked until commit, so two decisions recorded
    // at once are numbered one after the other.
    store::touch(&mut tx, &m.id, now).await?;
    let row = DecisionRow {
        id: new_id(),
        meeting_id: m.id.clone(),
        seq: 0,
        text: text.unwrap_or_default(),
        agreed_by: serde_json::to_string(&agreed).unwrap_or_else(|_| "[]".into()),
        created_by: actor.user_id.clone(),
        created_at: now,
    };
    store::add_decision(&mut tx, &row).await?;
    let mut spawned = Vec::new();
    let mut task_problems = Vec::new();
    for (i, t) in req.tasks.into_iter().enumerate() {
        let from = FromDecision {
            meeting_id: &m.id,
            decision_id: &row.id,
            held_at: m.held_at,
        };
        match tasks::assign_in(state, &mut tx, actor, t, Some(from)).await {
            Ok(r) => spawned.push(r),
            Err(e) if !e.problems().is_empty() => {
                for mut p in e.problems() {
                    p.field = format!("tasks[{i}].{}", p.field);
                    task_problems.push(p);
                }
            }
            Err(e) => return Err(e),
        }
    }
    if !task_problems.is_empty() {
        return Err(ApiError::Invalid(task_problems));
    }
    tx.commit_audited(vec![
        actor.audit_entry(
            "meeting.decide",
            "meeting",
            Some(&m.id),
            AuditOutcome::Ok,
            &serde_json::json!({"decision": row.id, "agreed_by": agreed,
            "tasks": spawned.iter().map(|t| t.id.as_str()).collect::<Vec<_>>()})
            .to_string(),
        ),
    ])
    .await?;
    let seq = store::decisions(&state.db, &m.id)
        .await?
        .iter()
        .find(|d| d.id == row.id)
        .map_or(0, |d| d.seq);
    Ok(Decision {
        agreed_by: agreed
            .iter()
            .filter_map(|a| members.iter().find(|(id, _)| id == a))
            .map(|(id, name)| OrgName {
                id: id.clone(),
                name: name.clone(),
            })
            .collect(),
        tasks: spawned.into_iter().map(tasks::view).collect(),
        id: row.id,
        seq,
        text: row.text,
        created_at: row.created_at,
    })
}

/// Assigns one more task from a decision already recorded.
pub async fn spawn_task(
    state: &AppState,
    actor: &Actor,
    meeting_id: &str,
    decision_id: &str,
    req: NewSupervisedTask,
) -> ApiResult<Task> {
    actor.require(state, Permission::TaskManage).await?;
    let mut tx = state.db.begin().await?;
    let m = store::get_tx(&mut tx, &actor.scope, meeting_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let d = store::decision_tx(&mut tx, &m.id, decision_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let from = FromDecision {
        meeting_id: &m.id,
        decision_id: &d.id,
        held_at: m.held_at,
    };
    let row = tasks::assign_in(state, &mut tx, actor, req, Some(from)).await?;
    store::touch(&mut tx, &m.id, state.now()).await?;
    tx.commit_audited(vec![
        actor.audit_entry(
            "task.assign",
            "task",
            Some(&row.id),
            AuditOutcome::Ok,
            &serde_json::json!({"meeting": m.id, "decision": d.id, "lead": row.lead_user_id,
            "due_on": row.due_on, "card": row.card})
            .to_string(),
        ),
    ])
    .await?;
    Ok(tasks::view(row))
}

/// Adds an attachment by reference.
pub async fn attach(
    state: &AppState,
    actor: &Actor,
    id: &str,
    req: Evidence,
) -> ApiResult<Attachment> {
    actor.require(state, Permission::TaskManage).await?;
    let mut problems = Problems::default();
    tasks::check_reference("", &req, &mut problems);
    problems.finish()?;
    let mut tx = state.db.begin().await?;
    let m = store::get_tx(&mut tx, &actor.scope, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let now = state.now();
    let row = AttachmentRow {
        id: new_id(),
        meeting_id: m.id.clone(),
        name: req.name.trim().to_string(),
        sm3: req.sm3.to_ascii_lowercase(),
        reference: req.reference.trim().to_string(),
        added_by: actor.user_id.clone(),
        added_at: now,
    };
    store::add_attachment(&mut tx, &row).await?;
    store::touch(&mut tx, &m.id, now).await?;
    tx.commit_audited(vec![actor.audit_entry(
        "meeting.attach",
        "meeting",
        Some(&m.id),
        AuditOutcome::Ok,
        &format!("{} {}", row.name, row.sm3),
    )])
    .await?;
    Ok(Attachment {
        id: row.id,
        name: row.name,
        sm3: row.sm3,
        reference: row.reference,
        added_at: row.added_at,
    })
}
