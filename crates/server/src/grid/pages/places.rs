//! Place pages: the list in scope (optionally one grid's), one place with its inspections, and the
//! inspection form field staff use on their phones. Contacts stay masked here; revealing them is an
//! explicit, audited API call with a purpose.

use crate::auth::PageActor;
use crate::error::ApiError;
use crate::grid::places::{NewPlaceInspection, record_place_inspection};
use crate::shell::{Ctx, forbidden, not_found, render};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header::LOCATION};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use pingan_domain::{Permission, mask, time};
use pingan_store::places;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/places", get(list))
        .route("/places/{id}", get(show))
        .route("/places/{id}/inspections", axum::routing::post(inspect))
}

pub struct PlaceLine {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub address: String,
    pub grid_code: String,
    pub credit_code: String,
    pub contact: String,
}

fn line(cipher: &pingan_domain::crypto::FieldCipher, p: places::PlaceRow) -> PlaceLine {
    let open = |aad: &str, v: &Option<String>| {
        crate::rekey::open_sealed(cipher, aad, v.as_deref())
            .ok()
            .flatten()
    };
    let name = open(crate::rekey::CONTACT_NAME, &p.contact_name_sealed);
    let phone = open(crate::rekey::CONTACT_PHONE, &p.contact_phone_sealed);
    let contact = match (&name, &phone) {
        (Some(n), Some(t)) => format!("{} {}", mask::mask_name(n), mask::mask_phone(t)),
        (Some(n), None) => mask::mask_name(n),
        (None, Some(t)) => mask::mask_phone(t),
        (None, None) => String::new(),
    };
    PlaceLine {
        id: p.id,
        name: p.name,
        kind: p.kind,
        address: p.address,
        grid_code: p.grid_code,
        credit_code: p.credit_code.unwrap_or_default(),
        contact,
    }
}

#[derive(Template)]
#[template(path = "grid/places.html")]
struct PlacesPage {
    ctx: Ctx,
    grid: Option<String>,
    places: Vec<PlaceLine>,
}

#[derive(Deserialize)]
struct ListQuery {
    grid: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Query(q): Query<ListQuery>,
) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(
            &state,
            &headers,
            &actor,
            "places",
            "/places",
            Permission::PlaceRead
        )
        .await
    );
    let filter = places::PlaceFilter {
        grid: q.grid.clone(),
        kind: None,
    };
    match places::list(&state.db, &actor.scope, &filter).await {
        Ok(rows) => render(
            StatusCode::OK,
            &PlacesPage {
                ctx,
                grid: q.grid,
                places: rows.into_iter().map(|p| line(&state.cipher, p)).collect(),
            },
        ),
        Err(e) => crate::shell::page_error(ctx, e),
    }
}

pub struct InspectionLine {
    pub when: String,
    pub kind: String,
    pub findings: String,
    pub result: String,
    pub rectify_by: String,
}

#[derive(Template)]
#[template(path = "grid/place.html")]
struct PlacePage {
    ctx: Ctx,
    place: PlaceLine,
    inspections: Vec<InspectionLine>,
    can_inspect: bool,
    error: Option<String>,
}

async fn page(
    state: &AppState,
    headers: &HeaderMap,
    actor: &crate::auth::Actor,
    id: &str,
    error: Option<String>,
) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(
            state,
            headers,
            actor,
            "places",
            &format!("/places/{id}"),
            Permission::PlaceRead
        )
        .await
    );
    let loaded = async {
        let Some(p) = places::get(&state.db, &actor.scope, id).await? else {
            return Ok(None);
        };
        let ins = places::inspections(&state.db, &p.id).await?;
        Ok::<_, pingan_store::StoreError>(Some((p, ins)))
    };
    match loaded.await {
        Ok(Some((p, ins))) => {
            let kind_label = |k: &str| {
                ctx.t(if k == "fire" {
                    "places.fire"
                } else {
                    "places.security"
                })
                .to_string()
            };
            let inspections = ins
                .into_iter()
                .map(|i| InspectionLine {
                    when: time::local_datetime(time::from_micros(i.inspected_at)),
                    kind: kind_label(&i.kind),
                    findings: i.findings,
                    result: i.result,
                    rectify_by: i.rectify_by.unwrap_or_default(),
                })
                .collect();
            let status = if error.is_some() {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            };
            let can_inspect = actor.can(Permission::PlaceManage);
            render(
                status,
                &PlacePage {
                    ctx,
                    place: line(&state.cipher, p),
                    inspections,
                    can_inspect,
                    error,
                },
            )
        }
        Ok(None) => not_found(ctx),
        Err(e) => crate::shell::page_error(ctx, e),
    }
}

async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
) -> Response {
    page(&state, &headers, &actor, &id, None).await
}

#[derive(Deserialize)]
struct InspectionForm {
    kind: String,
    findings: String,
    result: String,
    rectify_by: Option<String>,
}

async fn inspect(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
    form: Result<Form<InspectionForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let f = match crate::shell::form(form) {
        Ok(f) => f,
        Err(e) => return crate::shell::fail(&state, &headers, &actor, e),
    };
    if actor
        .require(&state, Permission::PlaceManage)
        .await
        .is_err()
    {
        return forbidden(Ctx::new(
            &state,
            &headers,
            &actor,
            "places",
            &format!("/places/{id}"),
        ));
    }
    let req = NewPlaceInspection {
        kind: f.kind,
        findings: f.findings,
        result: f.result,
        rectify_by: f.rectify_by.filter(|d| !d.trim().is_empty()),
        follows_up: None,
    };
    match record_place_inspection(&state, &actor, &id, req)
        .await
        .map_err(ApiError::first_problem)
    {
        Ok(_) => (StatusCode::SEE_OTHER, [(LOCATION, format!("/places/{id}"))]).into_response(),
        Err(ApiError::Validation(msg, _)) => page(&state, &headers, &actor, &id, Some(msg)).await,
        Err(ApiError::NotFound) => not_found(Ctx::new(
            &state,
            &headers,
            &actor,
            "places",
            &format!("/places/{id}"),
        )),
        Err(e) => crate::shell::fail(&state, &headers, &actor, e),
    }
}
