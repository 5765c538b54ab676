//! Field validators shared by every capability (shared kernel): free text, phone numbers, locations,
//! type codes, instants and the plausibility bounds. Each failure is a 422 naming the field.

use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use pingan_domain::incident::TypeCode;
use pingan_domain::plausible;
use pingan_geo::Crs;

/// Checks free text: trimmed, 1–`max` characters.
pub fn text(field: &str, v: &str, max: usize) -> ApiResult<String> {
    let t = v.trim();
    let message = format!("{field} must be 1–{max} characters");
    if t.is_empty() {
        return Err(ApiError::problem(Problem::new(field, "required", message)));
    }
    if t.chars().count() > max {
        return Err(ApiError::problem(
            Problem::new(field, "too_long", message).with("max", max),
        ));
    }
    Ok(t.to_string())
}

pub fn optional_text(field: &str, v: Option<&str>, max: usize) -> ApiResult<Option<String>> {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => text(field, s, max).map(Some),
    }
}

/// A telephone number: a mainland mobile, or a landline with its area code (`PhoneNumber`); kept as
/// digits only, so the same number typed two ways is stored and indexed alike.
pub fn phone(field: &str, v: Option<&str>) -> ApiResult<Option<String>> {
    let Some(raw) = v.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    pingan_domain::PhoneNumber::parse(raw)
        .map(|p| Some(p.as_str().to_string()))
        .map_err(|e| id_problem(field, e))
}

/// An identifier that fails its check (citizen ID, credit code, phone) as a coded 422.
pub fn id_problem(field: &str, e: pingan_domain::ids::IdError) -> ApiError {
    ApiError::problem(Problem::new(field, e.code(), e.to_string()))
}

/// WGS-84 from a location in any accepted CRS, range-checked.
pub fn location(lng: f64, lat: f64, crs: Option<&str>) -> ApiResult<(f64, f64)> {
    let crs: Crs = crs
        .unwrap_or("wgs84")
        .parse()
        .map_err(|e: pingan_geo::CrsError| ApiError::invalid("crs", e.to_string()))?;
    // JSON cannot carry NaN: a NaN is a form's way of saying no point was picked on the map.
    if lng.is_nan() || lat.is_nan() {
        return Err(ApiError::problem(crate::error::Problem::new(
            "lng",
            "location_required",
            "tap the map to mark where it is",
        )));
    }
    if !(lng.is_finite() && (-180.0..=180.0).contains(&lng)) {
        return Err(ApiError::invalid(
            "lng",
            "lng must be a longitude in degrees",
        ));
    }
    if !(lat.is_finite() && (-90.0..=90.0).contains(&lat)) {
        return Err(ApiError::invalid(
            "lat",
            "lat must be a latitude in degrees",
        ));
    }
    Ok(pingan_geo::to_wgs84(crs, lng, lat))
}

pub fn type_code(field: &str, v: &str) -> ApiResult<TypeCode> {
    TypeCode::parse(v).map_err(|e| ApiError::invalid(field, e.to_string()))
}

/// RFC 3339 → UTC microseconds; offsets beyond ±14:00 are refused. For filters and bounds chosen by
/// the caller; times a record carries go through `live_instant` or `recorded_instant`.
pub fn instant(field: &str, v: Option<&str>) -> ApiResult<Option<i64>> {
    v.map(|s| plausible::parse_instant(s).map_err(|e| implausible(field, e)))
        .transpose()
}

/// A required RFC 3339 instant (UTC µs); an unreadable one is a 422 naming `field`.
pub fn required_instant(field: &str, v: &str) -> ApiResult<i64> {
    plausible::parse_instant(v).map_err(|e| implausible(field, e))
}

/// The time of something reported as it happens (a report, a camera alert): within
/// `validation.live_max_age_days` of now and not ahead of now beyond the clock skew.
pub fn live_instant(state: &AppState, field: &str, v: Option<&str>) -> ApiResult<Option<i64>> {
    instant_within(field, v, state.config.validation.live(state.now()))
}

/// The time of something written up after the fact (a case step, a mediation session): within
/// `validation.record_max_age_days` of now and not ahead of now beyond the clock skew.
pub fn recorded_instant(state: &AppState, field: &str, v: Option<&str>) -> ApiResult<Option<i64>> {
    instant_within(field, v, state.config.validation.record(state.now()))
}

fn instant_within(
    field: &str,
    v: Option<&str>,
    window: plausible::InstantWindow,
) -> ApiResult<Option<i64>> {
    instant(field, v)?
        .map(|t| window.check(t).map_err(|e| implausible(field, e)))
        .transpose()
}

/// A plausibility rule's refusal as a 422 naming the field.
pub fn implausible(field: &str, e: plausible::Implausible) -> ApiError {
    ApiError::invalid(field, format!("{field} {e}"))
}
