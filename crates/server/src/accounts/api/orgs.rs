//! The organisation tree.

use crate::accounts::orgs::NewOrg;
use crate::accounts::orgs::Org;
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiJson;
use crate::extract::ApiPath as Path;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pingan_domain::{OrgKind, Permission};
use pingan_store::orgs;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_orgs, create_org))
        .routes(routes!(get_org))
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

/// Add an organisation under a parent in the caller's scope.
#[utoipa::path(post, path = "/api/v1/orgs", tag = "orgs", request_body = NewOrg,
    responses((status = 201, description = "Created", body = Org), (status = 400, description = "Malformed request (bad JSON, wrong type, unknown field)", body = ErrorBody), (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "Not found, or outside your data scope", body = ErrorBody), (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn create_org(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(req): ApiJson<NewOrg>,
) -> ApiResult<(StatusCode, Json<Org>)> {
    Ok((
        StatusCode::CREATED,
        Json(crate::accounts::orgs::create(&state, &actor, req).await?),
    ))
}
