//! Places (实有单位/场所) and their inspections (消防/治安检查). A place's grid is derived from its
//! location (accepted in WGS-84, GCJ-02 or BD-09, stored as WGS-84); the contact person's details are
//! masked unless revealed with a purpose, and each reveal is audited.

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiPath as Path;
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;
use crate::validate::text;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pingan_domain::audit::AuditOutcome;
use pingan_domain::{CreditCode, Mobile, Permission, mask};
use pingan_store::places;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_places, create_place))
        .routes(routes!(get_place))
        .routes(routes!(list_inspections, add_inspection))
}

/// Kinds of place the grid work tracks.
pub const PLACE_KINDS: &[&str] = &[
    "shop",
    "rental_housing",
    "school",
    "kindergarten",
    "hospital",
    "entertainment",
    "hotel",
    "internet_cafe",
    "market",
    "factory",
    "warehouse",
    "hazardous_materials",
    "construction_site",
    "religious_venue",
    "other",
];

#[derive(Serialize, ToSchema)]
pub struct Place {
    pub id: String,
    pub name: String,
    /// One of: shop, rental_housing, school, kindergarten, hospital, entertainment, hotel, internet_cafe,
    /// market, factory, warehouse, hazardous_materials, construction_site, religious_venue, other.
    pub kind: String,
    pub address: String,
    /// WGS-84.
    pub lng: f64,
    pub lat: f64,
    /// Derived from the location.
    pub grid_code: String,
    /// 统一社会信用代码 (GB 32100), when the place has one.
    pub credit_code: Option<String>,
    /// Masked unless revealed.
    pub contact_name: Option<String>,
    /// Masked unless revealed.
    pub contact_phone: Option<String>,
    pub contact_revealed: bool,
}

fn to_api(p: places::PlaceRow, reveal: bool) -> Place {
    Place {
        contact_name: p
            .contact_name
            .map(|n| if reveal { n } else { mask::mask_name(&n) }),
        contact_phone: p
            .contact_phone
            .map(|n| if reveal { n } else { mask::mask_phone(&n) }),
        contact_revealed: reveal,
        id: p.id,
        name: p.name,
        kind: p.kind,
        address: p.address,
        lng: p.lng,
        lat: p.lat,
        grid_code: p.grid_code,
        credit_code: p.credit_code,
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PlaceQuery {
    pub grid: Option<String>,
    pub kind: Option<String>,
}

/// Places in the caller's scope (contacts masked).
#[utoipa::path(get, path = "/api/v1/places", tag = "areas", params(PlaceQuery),
    responses((status = 200, description = "OK", body = Vec<Place>), (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody)))]
async fn list_places(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<PlaceQuery>,
) -> ApiResult<Json<Vec<Place>>> {
    actor.require(&state, Permission::PlaceRead).await?;
    let rows = places::list(
        &state.db,
        &actor.scope,
        &places::PlaceFilter {
            grid: q.grid,
            kind: q.kind,
        },
    )
    .await?;
    Ok(Json(rows.into_iter().map(|p| to_api(p, false)).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "陈家小超市", "kind": "shop", "address": "陈家社区东门 12 号",
    "lng": 120.41502, "lat": 29.61621, "contact_name": "陈女士", "contact_phone": "13900002222"}))]
pub struct NewPlace {
    pub name: String,
    pub kind: String,
    pub address: String,
    pub lng: f64,
    pub lat: f64,
    /// Coordinate system of lng/lat: wgs84 (default, = CGCS2000), gcj02 or bd09.
    pub crs: Option<String>,
    pub credit_code: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
}

/// Checks a place as entered (API or import row) and derives its grid; errors name the field.
pub async fn check_place(
    db: &pingan_store::Db,
    scope: &pingan_domain::Scope,
    req: &NewPlace,
) -> ApiResult<places::NewPlace> {
    let name = text("name", &req.name, 100)?;
    let address = text("address", &req.address, 200)?;
    if !PLACE_KINDS.contains(&req.kind.as_str()) {
        return Err(ApiError::invalid(
            "kind",
            format!("kind must be one of {}", PLACE_KINDS.join(", ")),
        ));
    }
    let (lng, lat) = crate::validate::location(req.lng, req.lat, req.crs.as_deref())?;
    let credit_code = match req
        .credit_code
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(c) => Some(
            CreditCode::parse(c)
                .map_err(|e| ApiError::invalid("credit_code", e.to_string()))?
                .as_str()
                .to_string(),
        ),
    };
    let contact_phone = match req
        .contact_phone
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(p) => Some(
            Mobile::parse(p)
                .map_err(|e| ApiError::invalid("contact_phone", e.to_string()))?
                .as_str()
                .to_string(),
        ),
    };
    let contact_name = match req
        .contact_name
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(n) => Some(text("contact_name", n, 50)?),
    };
    let grid = crate::locate::grid_at(db, lng, lat).await?;
    let grid = match grid {
        Some(g) if scope.covers_area_path(&g.area_path) => g,
        Some(_) => {
            return Err(ApiError::invalid(
                "lng",
                "the location lies outside your scope",
            ));
        }
        None => return Err(ApiError::invalid("lng", "the location lies in no grid")),
    };
    Ok(places::NewPlace {
        name,
        kind: req.kind.clone(),
        address,
        lng,
        lat,
        grid_code: grid.code,
        credit_code,
        contact_name,
        contact_phone,
    })
}

/// Register a place; its grid is derived from the location, which must lie in the caller's scope.
#[utoipa::path(post, path = "/api/v1/places", tag = "areas", request_body = NewPlace,
    responses((status = 201, description = "Created", body = Place), (status = 400, description = "Malformed request (bad JSON, wrong type, unknown field)", body = ErrorBody),
        (status = 403, description = "Your role may not do this", body = ErrorBody), (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn create_place(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(req): ApiJson<NewPlace>,
) -> ApiResult<(StatusCode, Json<Place>)> {
    actor.require(&state, Permission::PlaceManage).await?;
    let new = check_place(&state.db, &actor.scope, &req).await?;
    let mut tx = state.db.begin().await?;
    let row = places::insert(&mut tx, &new).await?;
    let e = actor.audit_entry(
        "place.create",
        "place",
        Some(&row.id),
        AuditOutcome::Ok,
        &serde_json::json!({"grid": row.grid_code, "kind": row.kind}).to_string(),
    );
    tx.commit_audited(vec![e]).await?;
    Ok((StatusCode::CREATED, Json(to_api(row, false))))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RevealQuery {
    /// `contact` to see the contact person's name and phone (needs a purpose).
    pub reveal: Option<String>,
    pub purpose: Option<String>,
}

/// One place; `?reveal=contact&purpose=…` shows the contact details and is audited.
#[utoipa::path(get, path = "/api/v1/places/{id}", tag = "areas", params(("id" = String, Path, description = "Place id"), RevealQuery),
    responses((status = 200, description = "OK", body = Place), (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 404, description = "Not found, or outside your data scope", body = ErrorBody), (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn get_place(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<RevealQuery>,
) -> ApiResult<Json<Place>> {
    actor.require(&state, Permission::PlaceRead).await?;
    let p = places::get(&state.db, &actor.scope, &id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let reveal = match q.reveal.as_deref() {
        None => false,
        Some("contact") => true,
        Some(_) => return Err(ApiError::invalid("reveal", "reveal must be `contact`")),
    };
    if reveal {
        actor
            .reveal_personal(
                &state,
                "place",
                &p.id,
                &["contact_name", "contact_phone"],
                q.purpose.as_deref(),
            )
            .await?;
    }
    Ok(Json(to_api(p, reveal)))
}

#[derive(Serialize, ToSchema)]
pub struct Inspection {
    pub id: String,
    pub place_id: String,
    /// fire (消防) or security (治安).
    pub kind: String,
    /// UTC microseconds.
    pub inspected_at: i64,
    pub inspector_id: Option<String>,
    pub findings: String,
    /// pass or rectify (整改).
    pub result: String,
    /// Rectification deadline, YYYY-MM-DD, when result is rectify.
    pub rectify_by: Option<String>,
    /// The inspection this one re-inspects.
    pub follows_up: Option<String>,
}

/// Inspections of one place, oldest first.
#[utoipa::path(get, path = "/api/v1/places/{id}/inspections", tag = "areas", params(("id" = String, Path, description = "Place id")),
    responses((status = 200, description = "OK", body = Vec<Inspection>), (status = 403, description = "Your role may not do this", body = ErrorBody), (status = 404, description = "Not found, or outside your data scope", body = ErrorBody)))]
async fn list_inspections(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<Inspection>>> {
    actor.require(&state, Permission::PlaceRead).await?;
    let p = places::get(&state.db, &actor.scope, &id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let rows = places::inspections(&state.db, &p.id).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| Inspection {
                id: r.id,
                place_id: r.place_id,
                kind: r.kind,
                inspected_at: r.inspected_at,
                inspector_id: r.inspector_id,
                findings: r.findings,
                result: r.result,
                rectify_by: r.rectify_by,
                follows_up: r.follows_up,
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInspection {
    /// fire or security.
    pub kind: String,
    pub findings: String,
    /// pass or rectify.
    pub result: String,
    /// YYYY-MM-DD; required when result is rectify.
    pub rectify_by: Option<String>,
    /// Id of the inspection this re-inspects.
    pub follows_up: Option<String>,
}

/// Record an inspection (or a re-inspection after rectification).
#[utoipa::path(post, path = "/api/v1/places/{id}/inspections", tag = "areas", params(("id" = String, Path, description = "Place id")), request_body = NewInspection,
    responses((status = 201, description = "Created", body = Inspection), (status = 404, description = "Not found, or outside your data scope", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody)))]
async fn add_inspection(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<NewInspection>,
) -> ApiResult<(StatusCode, Json<Inspection>)> {
    actor.require(&state, Permission::PlaceManage).await?;
    let inspection = record_inspection(&state, &actor, &id, req).await?;
    Ok((StatusCode::CREATED, Json(inspection)))
}

/// Validates and records an inspection of a place in the caller's scope (API and page form share it).
pub async fn record_inspection(
    state: &AppState,
    actor: &Actor,
    id: &str,
    req: NewInspection,
) -> ApiResult<Inspection> {
    let p = places::get(&state.db, &actor.scope, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !["fire", "security"].contains(&req.kind.as_str()) {
        return Err(ApiError::invalid("kind", "kind must be fire or security"));
    }
    let findings = text("findings", &req.findings, 2000)?;
    let rectify_by = match (req.result.as_str(), req.rectify_by.as_deref()) {
        ("pass", None) => None,
        ("pass", Some(_)) => {
            return Err(ApiError::invalid(
                "rectify_by",
                "a passed inspection has no rectification deadline",
            ));
        }
        ("rectify", Some(d)) => {
            let date: jiff::civil::Date = d
                .parse()
                .map_err(|_| ApiError::invalid("rectify_by", "rectify_by must be YYYY-MM-DD"))?;
            let today: jiff::civil::Date = pingan_domain::time::local_date(jiff::Timestamp::now())
                .parse()
                .map_err(|e: jiff::Error| ApiError::Internal(e.into()))?;
            if date < today {
                return Err(ApiError::invalid(
                    "rectify_by",
                    "the rectification deadline lies in the past",
                ));
            }
            Some(d.to_string())
        }
        ("rectify", None) => {
            return Err(ApiError::invalid(
                "rectify_by",
                "a rectification needs a deadline",
            ));
        }
        _ => {
            return Err(ApiError::invalid(
                "result",
                "result must be pass or rectify",
            ));
        }
    };
    let new = places::NewInspection {
        place_id: p.id.clone(),
        kind: req.kind,
        inspected_at: pingan_store::now_micros(),
        inspector_id: Some(actor.user_id.clone()),
        findings,
        result: req.result,
        rectify_by,
        follows_up: req.follows_up,
    };
    let mut tx = state.db.begin().await?;
    let iid = places::add_inspection(&mut tx, &new)
        .await
        .map_err(|e| match e {
            pingan_store::StoreError::Invalid(m) => ApiError::invalid("follows_up", m),
            other => other.into(),
        })?;
    let e = actor.audit_entry(
        "place.inspect",
        "place",
        Some(&p.id),
        AuditOutcome::Ok,
        &serde_json::json!({"inspection": iid, "result": new.result}).to_string(),
    );
    tx.commit_audited(vec![e]).await?;
    Ok(Inspection {
        id: iid,
        place_id: new.place_id,
        kind: new.kind,
        inspected_at: new.inspected_at,
        inspector_id: new.inspector_id,
        findings: new.findings,
        result: new.result,
        rectify_by: new.rectify_by,
        follows_up: new.follows_up,
    })
}
