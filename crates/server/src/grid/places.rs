//! Places (九小场所, rental housing, schools …) and their 消防/治安检查 (place inspections): the
//! checks a new place passes, and recording an inspection. The API, the place pages and the import
//! all go through these.

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::rekey::CONTACT_NAME;
use crate::rekey::CONTACT_PHONE;
use crate::rekey::open_sealed;
use crate::state::AppState;
use crate::validate::text;
use pingan_domain::CreditCode;
use pingan_domain::Permission;
use pingan_domain::area::{InspectionKind, PlaceKind};
use pingan_domain::audit::AuditOutcome;
use pingan_domain::crypto::FieldCipher;
use pingan_domain::mask;
use pingan_store::places;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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
/// Checks a new place; its contact is sealed with `cipher` on the way out.
pub async fn check_place(
    db: &pingan_store::Db,
    cipher: &pingan_domain::crypto::FieldCipher,
    scope: &pingan_domain::Scope,
    req: &NewPlace,
) -> ApiResult<places::NewPlace> {
    let name = text("name", &req.name, 100)?;
    let address = text("address", &req.address, 200)?;
    req.kind
        .parse::<PlaceKind>()
        .map_err(|m| ApiError::invalid("kind", format!("kind {m}")))?;
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
    // A shop gives its landline as often as a mobile.
    let contact_phone = crate::validate::phone("contact_phone", req.contact_phone.as_deref())?;
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
        contact_name_sealed: contact_name.map(|n| cipher.seal(crate::rekey::CONTACT_NAME, &n)),
        contact_phone_sealed: contact_phone.map(|p| cipher.seal(crate::rekey::CONTACT_PHONE, &p)),
    })
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPlaceInspection {
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

/// Validates and records an inspection of a place in the caller's scope (API and page form share it).
pub async fn record_place_inspection(
    state: &AppState,
    actor: &Actor,
    id: &str,
    req: NewPlaceInspection,
) -> ApiResult<PlaceInspection> {
    let p = places::get(&state.db, &actor.scope, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    req.kind
        .parse::<InspectionKind>()
        .map_err(|m| ApiError::invalid("kind", format!("kind {m}")))?;
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
    Ok(PlaceInspection {
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

#[derive(Serialize, ToSchema)]
pub struct PlaceInspection {
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

/// Records a place: checked, its grid from its location (in the caller's scope), its contact sealed.
pub async fn create(state: &AppState, actor: &Actor, req: NewPlace) -> ApiResult<Place> {
    actor.require(state, Permission::PlaceManage).await?;
    let new = check_place(&state.db, &state.cipher, &actor.scope, &req).await?;
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
    to_api(&state.cipher, row, false)
}

/// A place as people read it (contact masked unless `reveal`).
pub fn to_api(cipher: &FieldCipher, p: places::PlaceRow, reveal: bool) -> ApiResult<Place> {
    let open = |aad: &str, v: &Option<String>| {
        open_sealed(cipher, aad, v.as_deref())
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("place {} contact: {e}", p.id)))
    };
    let name = open(CONTACT_NAME, &p.contact_name_sealed)?;
    let phone = open(CONTACT_PHONE, &p.contact_phone_sealed)?;
    Ok(Place {
        contact_name: name.map(|n| if reveal { n } else { mask::mask_name(&n) }),
        contact_phone: phone.map(|n| if reveal { n } else { mask::mask_phone(&n) }),
        contact_revealed: reveal,
        id: p.id,
        name: p.name,
        kind: p.kind,
        address: p.address,
        lng: p.lng,
        lat: p.lat,
        grid_code: p.grid_code,
        credit_code: p.credit_code,
    })
}
