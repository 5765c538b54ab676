//! What household visits (`visits`) and partners' inbound events (`sharing`) use of the register: a
//! risk heard of on a visit is registered in the visit's own transaction, with the visit as its
//! source; one a partner sends, in the transaction that records the event. The visit form offers the
//! register's categories and checks grids as the register does.

pub use super::{NewRiskReport, categories, grid_in_scope, known_category};
use crate::auth::Actor;
use crate::error::ApiResult;
use crate::state::AppState;
use pingan_domain::risk::RiskSource as Source;
use pingan_store::Tx;

/// Registers the risk; problems are named `{prefix}field`. Answers its id.
pub async fn register_in(
    state: &AppState,
    tx: &mut Tx,
    actor: &Actor,
    req: &NewRiskReport,
    visit_id: &str,
    prefix: &str,
) -> ApiResult<String> {
    super::register_in(
        state,
        tx,
        actor,
        req,
        Source::Visit,
        (None, Some(visit_id)),
        prefix,
    )
    .await
}

/// Registers a risk a partner system sent (source `partner`) in the caller's transaction; the actor
/// is the partner, its scope the areas of its agreements. Answers its id.
pub async fn register_from_partner(
    state: &AppState,
    tx: &mut Tx,
    actor: &Actor,
    req: &NewRiskReport,
) -> ApiResult<String> {
    super::register_in(state, tx, actor, req, Source::Partner, (None, None), "").await
}
