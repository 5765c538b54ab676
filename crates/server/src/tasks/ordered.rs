//! What the risk register (`risks`) uses of supervised tasks: a rectification order is a task
//! assigned in the risk's transaction (`assign_in`, linked to the risk), so an overdue order is
//! carded like any task (the demo reports one done through `submit`); the risk's re-inspection settles it (`settle`: accepted when passed,
//! returned when not). Such a task is accepted or returned only through its risk.

pub use super::{Completion, Link, NewSupervisedTask, Task, assign_in, detail, submit};
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use pingan_domain::task::{Action, Status};
use pingan_store::Tx;

/// The order's status now, read inside the caller's transaction.
pub async fn status(tx: &mut Tx, task_id: &str) -> ApiResult<Status> {
    let row = pingan_store::tasks::get_any_tx(tx, task_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(row.status.parse().unwrap_or(Status::Cancelled))
}

/// Accepts (`passed`) or returns the submitted order, by someone who may decide on it.
pub async fn settle(
    state: &AppState,
    tx: &mut Tx,
    actor: &Actor,
    task_id: &str,
    passed: bool,
    note: &str,
) -> ApiResult<()> {
    let row = pingan_store::tasks::get_any_tx(tx, task_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    super::require_decider(actor, &row)?;
    let action = if passed {
        Action::Accept
    } else {
        Action::Return
    };
    super::settle_in(state, tx, actor, &row, action, note).await?;
    Ok(())
}
