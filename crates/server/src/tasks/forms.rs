//! What the task pages and a meeting's decisions share to show and take tasks in forms: labels,
//! the lead choices, a new task from a form, form field names.

use crate::auth::Actor;
use crate::error::ApiError;
use crate::shell::{Ctx, Typed};
use crate::state::AppState;
use crate::tasks::{NewSupervisedTask, Task};
use pingan_domain::task::{Card, Reason};

/// Labels and dates every task page shows.
pub struct Words<'a>(pub &'a Ctx);

impl Words<'_> {
    pub fn status(&self, t: &Task) -> String {
        self.0.label("task_status", t.status.code())
    }

    pub fn card(&self, c: &Card) -> String {
        self.0.label("task_card", c.code())
    }

    pub fn reasons(&self, rs: &[Reason]) -> String {
        rs.iter()
            .map(|r| {
                self.0
                    .t(&format!("task_reason.{}", r.reason.code()))
                    .replace("{days}", &r.days.to_string())
            })
            .collect::<Vec<_>>()
            .join(self.0.t("shell.list_sep"))
    }

    pub fn at(&self, us: &i64) -> String {
        pingan_domain::time::local_datetime(pingan_domain::time::from_micros(*us))[..16].to_string()
    }
}

/// Organisations and working accounts in the actor's scope, for choosing a lead.
pub async fn choices(
    state: &AppState,
    actor: &Actor,
) -> Result<(Vec<(String, String)>, Vec<(String, String)>), ApiError> {
    let orgs: Vec<(String, String)> = pingan_store::orgs::list(&state.db, &actor.scope)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let people = pingan_store::users::list(&state.db, &actor.scope)
        .await?
        .into_iter()
        .filter(|u| !u.disabled && u.role().is_some_and(|r| !r.is_administrative()))
        .map(|u| {
            let org = u
                .org_id
                .as_ref()
                .and_then(|o| orgs.iter().find(|(id, _)| id == o))
                .map_or(String::new(), |(_, n)| format!(" · {n}"));
            (u.id, format!("{}{org}", u.display_name))
        })
        .collect();
    Ok((orgs, people))
}

/// API field paths → the form's fields.
pub fn form_field(path: &str) -> Option<String> {
    let base = path.split('[').next().unwrap_or(path);
    Some(
        match base {
            "evidence" => "evidence_name",
            other => other,
        }
        .to_string(),
    )
}

/// A new task's request from a form (the page for a direct task and the meeting page share it).
pub fn new_task(typed: &Typed) -> NewSupervisedTask {
    NewSupervisedTask {
        title: typed.get("title"),
        detail: typed.optional("detail"),
        lead_org_id: typed.get("lead_org_id"),
        lead_user_id: typed.get("lead_user_id"),
        co_org_ids: typed
            .all("co_org_ids")
            .into_iter()
            .filter(|o| !o.is_empty())
            .collect(),
        due_on: typed.get("due_on"),
        link: None,
    }
}
