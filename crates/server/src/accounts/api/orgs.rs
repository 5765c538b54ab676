//! The organisation tree.

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiJson;
use crate::extract::ApiPath as Path;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pingan_domain::audit::AuditOutcome;
use pingan_domain::{OrgKind, Permission};
use pingan_store::orgs;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_orgs, create_org))
        .routes(routes!(get_org))
}

#[derive(Serialize, ToSchema)]
pub struct Org {
    pub id: String,
    pub parent_id: Option<String>,
    pub name: String,
    pub kind: OrgKind,
    pub kind_label: String,
    /// The area the organisation serves.
    pub area_code: Option<String>,
}

impl From<orgs::OrgRow> for Org {
    fn from(r: orgs::OrgRow) -> Self {
        let kind = OrgKind::parse(&r.kind).unwrap_or(OrgKind::PartnerAgency);
        Org {
            id: r.id,
            parent_id: r.parent_id,
            name: r.name,
            kind,
            kind_label: kind.label_zh().into(),
            area_code: r.area_code,
        }
    }
}

/// Organisations in the caller's scope, in tree order.
#[utoipa::path(get, path = "/api/v1/orgs", tag = "orgs", responses((status = 200, description = "OK", body = Vec<Org>), (status = 403, description = "Your role may not do this", body = ErrorBody), (status = 401, description = "Not authenticated", body = ErrorBody)))]
async fn list_orgs(State(state): State<AppState>, actor: Actor) -> ApiResult<Json<Vec<Org>>> {
    actor.require(&state, Permission::OrgRead).await?;
    Ok(Json(
        orgs::list(&state.db, &actor.scope)
            .await?
            .into_iter()
            .map(Org::from)
            .collect(),
    ))
}

/// One organisation (404 when outside the caller's scope).
#[utoipa::path(get, path = "/api/v1/orgs/{id}", tag = "orgs", params(("id" = String, Path, description = "Organisation id")),
    responses((status = 200, description = "OK", body = Org), (status = 403, description = "Your role may not do this", body = ErrorBody), (status = 404, description = "Not found, or outside your data scope", body = ErrorBody)))]
async fn get_org(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<Org>> {
    actor.require(&state, Permission::OrgRead).await?;
    Ok(Json(
        orgs::get(&state.db, &actor.scope, &id)
            .await?
            .ok_or(ApiError::NotFound)?
            .into(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrg {
    pub parent_id: Option<String>,
    pub name: String,
    pub kind: OrgKind,
    pub area_code: Option<String>,
}

/// Add an organisation under a parent in the caller's scope.
#[utoipa::path(post, path = "/api/v1/orgs", tag = "orgs", request_body = NewOrg,
    responses((status = 201, description = "Created", body = Org), (status = 400, description = "Malformed request (bad JSON, wrong type, unknown field)", body = ErrorBody), (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "Not found, or outside your data scope", body = ErrorBody), (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn create_org(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(req): ApiJson<NewOrg>,
) -> ApiResult<(StatusCode, Json<Org>)> {
    actor.require(&state, Permission::OrgManage).await?;
    if req.name.trim().is_empty() || req.name.chars().count() > 100 {
        return Err(ApiError::invalid("name", "name must be 1–100 characters"));
    }
    match &req.parent_id {
        Some(p) => {
            orgs::get(&state.db, &actor.scope, p)
                .await?
                .ok_or_else(|| {
                    ApiError::invalid("parent_id", "no such organisation in your scope")
                })?;
        }
        None if !actor.scope.covers_org_path("/") => {
            return Err(ApiError::Forbidden(
                "creating a root organisation needs a whole-system scope".into(),
            ));
        }
        None => {}
    }
    if let Some(code) = &req.area_code {
        pingan_store::areas::get(&state.db, &actor.scope, code)
            .await?
            .ok_or_else(|| ApiError::invalid("area_code", "no such area in your scope"))?;
    }
    let mut tx = state.db.begin().await?;
    let row = orgs::insert(
        &mut tx,
        &orgs::NewOrg {
            parent_id: req.parent_id,
            name: req.name.trim().into(),
            kind: req.kind,
            area_code: req.area_code,
        },
    )
    .await?;
    let e = actor.audit_entry(
        "org.create",
        "org",
        Some(&row.id),
        AuditOutcome::Ok,
        &serde_json::json!({"name": row.name, "kind": row.kind}).to_string(),
    );
    tx.commit_audited(vec![e]).await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}
