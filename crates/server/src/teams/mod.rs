//! 群防群治: the mass-prevention teams a station, a township or a community runs — 治保会, property
//! and enterprise security, 平安志愿者, 辅警 groups. A team belongs to a supervising organisation (its
//! scope), has members (an account, or a name for people without one), duty schedules (值守) and tasks
//! (patrol, publicity, information gathering); confirmed work and reports that dispatch acted on earn
//! hours and points in an append-only ledger (`work`). A member reports an issue from the phone
//! through dispatch's own intake form with the `volunteer` channel; the `report_credit` job credits
//! the report once dispatch has acted on it. Members see their duties, tasks and points on `/duty`.

pub mod api;
pub mod demo;
pub mod pages;
pub mod work;

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, Problem, Problems};
use crate::state::AppState;
use pingan_domain::Permission;
use pingan_domain::audit::AuditOutcome;
use pingan_domain::team::{MemberRole, TeamKind};
use pingan_store::new_id;
use pingan_store::teams::{self as store, MemberRow, TeamRow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A new team.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTeam {
    /// 1–50 characters, unique under the organisation.
    pub name: String,
    pub kind: TeamKind,
    /// The supervising organisation (a station, township, community or the team's own org) in
    /// your scope.
    pub org_id: String,
    /// At most 200 characters.
    #[serde(default)]
    pub note: Option<String>,
}

/// A team as listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct Team {
    pub id: String,
    pub name: String,
    pub kind: TeamKind,
    pub org_id: String,
    pub org_name: String,
    pub note: String,
    /// Members who have not left.
    pub members: i64,
    /// UTC µs.
    pub created_at: i64,
}

fn team_view(t: TeamRow) -> Team {
    Team {
        kind: t.kind.parse().unwrap_or(TeamKind::PeaceVolunteers),
        id: t.id,
        name: t.name,
        org_id: t.org_id,
        org_name: t.org_name,
        note: t.note,
        members: t.members,
        created_at: t.created_at,
    }
}

/// A new member: an account in your scope, or a name for someone without one.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMember {
    /// The member's account, if they have one.
    #[serde(default)]
    pub user_id: Option<String>,
    /// 1–30 characters; required without an account (an account's own name is used otherwise).
    #[serde(default)]
    pub name: Option<String>,
    /// leader or member (default).
    #[serde(default)]
    pub role: Option<MemberRole>,
}

/// A member and what they have earned.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamMember {
    pub id: String,
    pub user_id: Option<String>,
    pub name: String,
    pub role: MemberRole,
    /// UTC µs.
    pub joined_at: i64,
    pub left_at: Option<i64>,
    /// Ledger totals: minutes of confirmed work and points.
    pub minutes: i64,
    pub points: i64,
}

fn member_view(m: MemberRow, totals: &[(String, i64, i64)]) -> TeamMember {
    let (minutes, points) = totals
        .iter()
        .find(|t| t.0 == m.id)
        .map_or((0, 0), |t| (t.1, t.2));
    TeamMember {
        role: m.role.parse().unwrap_or(MemberRole::Member),
        id: m.id,
        user_id: m.user_id,
        name: m.name,
        joined_at: m.joined_at,
        left_at: m.left_at,
        minutes,
        points,
    }
}

/// The teams in your scope.
pub async fn teams(state: &AppState, actor: &Actor) -> ApiResult<Vec<Team>> {
    actor.require(state, Permission::TeamRead).await?;
    Ok(store::list_teams(&state.db, &actor.scope)
        .await?
        .into_iter()
        .map(team_view)
        .collect())
}

/// One team in scope (404 otherwise).
pub async fn team(state: &AppState, actor: &Actor, id: &str) -> ApiResult<Team> {
    actor.require(state, Permission::TeamRead).await?;
    Ok(team_view(team_row(state, actor, id).await?))
}

pub(crate) async fn team_row(state: &AppState, actor: &Actor, id: &str) -> ApiResult<TeamRow> {
    store::get_team(&state.db, &actor.scope, id)
        .await?
        .ok_or(ApiError::NotFound)
}

/// A team's members with their totals.
pub async fn members(state: &AppState, actor: &Actor, team_id: &str) -> ApiResult<Vec<TeamMember>> {
    actor.require(state, Permission::TeamRead).await?;
    let t = team_row(state, actor, team_id).await?;
    let totals = store::totals(&state.db, &t.id).await?;
    Ok(store::members(&state.db, &t.id)
        .await?
        .into_iter()
        .map(|m| member_view(m, &totals))
        .collect())
}

/// Forms a team under an organisation in scope.
pub async fn create_team(state: &AppState, actor: &Actor, req: NewTeam) -> ApiResult<Team> {
    actor.require(state, Permission::TeamManage).await?;
    let mut problems = Problems::default();
    let name = problems.check(crate::validate::text("name", &req.name, 50))?;
    let note = problems
        .check(crate::validate::optional_text(
            "note",
            req.note.as_deref(),
            200,
        ))?
        .flatten()
        .unwrap_or_default();
    let org = pingan_store::orgs::get(&state.db, &actor.scope, &req.org_id).await?;
    if org.is_none() {
        problems.push(Problem::new(
            "org_id",
            "team_org",
            "no organisation with this id in your scope",
        ));
    }
    problems.finish()?;
    let (Some(name), Some(org)) = (name, org) else {
        return Err(ApiError::Internal(anyhow::anyhow!(
            "a team value is missing without a problem noted"
        )));
    };
    let mut tx = state.db.begin().await?;
    if store::team_name_taken(&mut tx, &org.id, &name).await? {
        return Err(ApiError::problem(
            Problem::new(
                "name",
                "team_name_taken",
                "a team of this name exists under the organisation",
            )
            .with("name", &name),
        ));
    }
    let row = TeamRow {
        id: new_id(),
        name,
        kind: req.kind.code().to_string(),
        org_id: org.id.clone(),
        org_name: org.name.clone(),
        org_path: org.path.clone(),
        area_path: org.area_path.clone().unwrap_or_default(),
        note,
        created_by: actor.user_id.clone(),
        created_at: state.now(),
        members: 0,
    };
    store::insert_team(&mut tx, &row).await?;
    tx.commit_audited(vec![actor.audit_entry(
        "team.create",
        "team",
        Some(&row.id),
        AuditOutcome::Ok,
        &format!("{} {}", row.name, row.kind),
    )])
    .await?;
    Ok(team_view(row))
}

/// Adds a member: an account in scope (once while they are on the team) or a named person.
pub async fn add_member(
    state: &AppState,
    actor: &Actor,
    team_id: &str,
    req: NewMember,
) -> ApiResult<TeamMember> {
    actor.require(state, Permission::TeamManage).await?;
    let t = team_row(state, actor, team_id).await?;
    let mut problems = Problems::default();
    let typed = match req.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => problems.check(crate::validate::text("name", n, 30))?,
        None => None,
    };
    let user_id = req.user_id.clone().filter(|u| !u.is_empty());
    if user_id.is_none() && typed.is_none() && problems.is_empty() {
        problems.push(Problem::new(
            "name",
            "required",
            "a member without an account needs a name",
        ));
    }
    problems.finish()?;
    let mut tx = state.db.begin().await?;
    let name = match &user_id {
        Some(u) => {
            let Some((display, role, disabled)) =
                store::account_in_scope(&mut tx, &actor.scope, u).await?
            else {
                return Err(ApiError::problem(Problem::new(
                    "user_id",
                    "team_account",
                    "no account with this id in your scope",
                )));
            };
            // The three administrator roles (三员) work on the system, not in the community.
            if role
                .parse::<pingan_domain::Role>()
                .is_ok_and(|r| r.is_administrative())
            {
                return Err(ApiError::problem(
                    Problem::new(
                        "user_id",
                        "team_account_role",
                        "this account's role may not join a team",
                    )
                    .with("name", &display),
                ));
            }
            if disabled {
                return Err(ApiError::problem(
                    Problem::new(
                        "user_id",
                        "team_account_disabled",
                        "this account is disabled",
                    )
                    .with("name", &display),
                ));
            }
            if store::account_on_team(&mut tx, &t.id, u).await? {
                return Err(ApiError::problem(
                    Problem::new(
                        "user_id",
                        "team_member_already",
                        "this person is on the team already",
                    )
                    .with("name", &display),
                ));
            }
            typed.unwrap_or(display)
        }
        None => typed.unwrap_or_default(),
    };
    let row = MemberRow {
        id: new_id(),
        team_id: t.id.clone(),
        user_id,
        name,
        role: req.role.unwrap_or(MemberRole::Member).code().to_string(),
        joined_at: state.now(),
        left_at: None,
    };
    store::insert_member(&mut tx, &row).await?;
    tx.commit_audited(vec![actor.audit_entry(
        "team.member_add",
        "team",
        Some(&t.id),
        AuditOutcome::Ok,
        &format!("{} {}", row.id, row.role),
    )])
    .await?;
    Ok(member_view(row, &[]))
}

/// A member leaves the team: they stay on its record and in its ledger.
pub async fn remove_member(
    state: &AppState,
    actor: &Actor,
    team_id: &str,
    member_id: &str,
) -> ApiResult<()> {
    actor.require(state, Permission::TeamManage).await?;
    let t = team_row(state, actor, team_id).await?;
    let mut tx = state.db.begin().await?;
    if !store::leave(&mut tx, &t.id, member_id, state.now()).await? {
        let known = store::members(&state.db, &t.id)
            .await?
            .iter()
            .any(|m| m.id == member_id);
        return Err(if known {
            ApiError::Conflict("this member has left the team already".into())
        } else {
            ApiError::NotFound
        });
    }
    tx.commit_audited(vec![actor.audit_entry(
        "team.member_leave",
        "team",
        Some(&t.id),
        AuditOutcome::Ok,
        member_id,
    )])
    .await?;
    Ok(())
}
