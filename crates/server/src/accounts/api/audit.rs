//! The audit log for auditors: list with filters, and verify the SM3 chain.

use crate::auth::Actor;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiQuery;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use pingan_domain::Permission;
use pingan_domain::audit::AuditOutcome;
use pingan_store::audit;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_audit))
        .routes(routes!(verify_audit))
}

#[derive(Serialize, ToSchema)]
pub struct AuditRecord {
    pub seq: i64,
    /// UTC microseconds.
    pub at: i64,
    pub actor_id: Option<String>,
    pub actor_name: String,
    pub action: String,
    pub object_type: String,
    pub object_id: Option<String>,
    pub outcome: String,
    pub purpose: Option<String>,
    pub ip: Option<String>,
    pub detail: String,
    pub hash: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditFilter {
    pub actor: Option<String>,
    /// e.g. `session.` for logins and logouts.
    pub action: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    /// Page backwards: records with seq below this.
    pub before: Option<i64>,
    pub limit: Option<i64>,
}

/// Audit records, newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditFilter),
    responses((status = 200, description = "OK", body = Vec<AuditRecord>), (status = 403, description = "Your role may not do this", body = ErrorBody)))]
async fn list_audit(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(f): ApiQuery<AuditFilter>,
) -> ApiResult<Json<Vec<AuditRecord>>> {
    actor.require(&state, Permission::AuditRead).await?;
    let q = audit::AuditQuery {
        actor_name: f.actor,
        action_prefix: f.action,
        object_type: f.object_type,
        object_id: f.object_id,
        before_seq: f.before,
        limit: f.limit.unwrap_or(100),
    };
    let rows = audit::list(&state.db, &q).await?;
    // Reading the audit log is itself recorded.
    let e = actor.audit_entry(
        "audit.read",
        "audit_log",
        None,
        AuditOutcome::Ok,
        &serde_json::json!({"rows": rows.len()}).to_string(),
    );
    state.db.audit(vec![e]).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| AuditRecord {
                seq: r.seq,
                at: r.at,
                actor_id: r.actor_id,
                actor_name: r.actor_name,
                action: r.action,
                object_type: r.object_type,
                object_id: r.object_id,
                outcome: r.outcome,
                purpose: r.purpose,
                ip: r.ip,
                detail: r.detail,
                hash: r.hash,
            })
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct VerifyResult {
    pub ok: bool,
    pub verified: u64,
    pub head_seq: i64,
    /// First broken record, if any.
    pub broken_seq: Option<i64>,
    pub message: String,
}

/// Walk the SM3 chain and report the first broken record.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit",
    responses((status = 200, description = "OK", body = VerifyResult), (status = 403, description = "Your role may not do this", body = ErrorBody)))]
async fn verify_audit(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<Json<VerifyResult>> {
    actor.require(&state, Permission::AuditVerify).await?;
    let r = audit::verify(&state.db).await?;
    let out = VerifyResult {
        ok: r.broken.is_none(),
        verified: r.verified,
        head_seq: r.head_seq,
        broken_seq: r.broken.as_ref().map(|b| b.seq()),
        message: r.broken.map_or_else(
            || format!("{} records verified", r.verified),
            |b| b.to_string(),
        ),
    };
    let outcome = if out.ok {
        AuditOutcome::Ok
    } else {
        AuditOutcome::Failed
    };
    state
        .db
        .audit(vec![actor.audit_entry(
            "audit.verify",
            "audit_log",
            None,
            outcome,
            &serde_json::json!({"verified": out.verified}).to_string(),
        )])
        .await?;
    Ok(Json(out))
}
