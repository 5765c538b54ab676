//! Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) at `/open311/v2`: services, service
//! definitions, POST/GET requests, GET request, GET token, in XML (required by the spec) and JSON.
//! Services are the active incident types; a request is an incident of the `open311` channel whose
//! `service_request_id` is its public tracking code. Only requests from public channels are listed, and
//! never the reporter's contact details.

use crate::dispatch::TypeNames;
use crate::dispatch::intake::{self, Report};
use crate::error::ApiError;
use crate::public::reports::status_zh;
use crate::state::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use pingan_domain::incident::{Channel, Level, Status};
use pingan_store::incidents::{self, IncidentFilter, IncidentRow};
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/open311/v2/{file}", get(root_get).post(root_post))
        .route("/open311/v2/services/{file}", get(service_definition))
        .route("/open311/v2/requests/{file}", get(one_request))
        .route("/open311/v2/tokens/{file}", get(token))
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Format {
    Json,
    Xml,
}

/// `services.json` → ("services", Json); an unknown format is an XML 404 (the spec's default format).
pub fn split(file: &str) -> Result<(&str, Format), Box<Response>> {
    let (stem, ext) = file
        .rsplit_once('.')
        .ok_or_else(|| Box::new(error(Format::Xml, 404, "add .xml or .json to the path")))?;
    match ext {
        "json" => Ok((stem, Format::Json)),
        "xml" => Ok((stem, Format::Xml)),
        _ => Err(Box::new(error(
            Format::Xml,
            404,
            "formats are .xml and .json",
        ))),
    }
}

/// Text for an XML element. Characters outside XML 1.0's `Char` (C0 controls other than tab, newline
/// and CR; U+FFFE and U+FFFF) are dropped: XML allows them in no form, not even as references, and one
/// would make the whole answer unreadable to a client's parser.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            '\t' | '\n' | '\r' => o.push(c),
            c if (c as u32) < 0x20 || matches!(c, '\u{FFFE}' | '\u{FFFF}') => {}
            c => o.push(c),
        }
    }
    o
}

/// One flat record: (field, value) pairs, `None` for an empty element / JSON null.
pub type Record = Vec<(&'static str, Option<String>)>;

/// `<root><item><field>value</field>…</item>…</root>` with an XML declaration.
pub fn xml_document(root: &str, item: &str, records: &[Record]) -> String {
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.push_str(&format!("<{root}>"));
    for r in records {
        x.push_str(&format!("<{item}>"));
        for (k, v) in r {
            match v {
                Some(s) => x.push_str(&format!("<{k}>{}</{k}>", esc(s))),
                None => x.push_str(&format!("<{k}></{k}>")),
            }
        }
        x.push_str(&format!("</{item}>"));
    }
    x.push_str(&format!("</{root}>"));
    x
}

fn render(fmt: Format, status: u16, root: &str, item: &str, records: &[Record]) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    match fmt {
        Format::Json => {
            let arr: Vec<serde_json::Value> = records
                .iter()
                .map(|r| {
                    let mut m = serde_json::Map::new();
                    for (k, v) in r {
                        let val = match v {
                            None => serde_json::Value::Null,
                            Some(s) if matches!(*k, "lat" | "long" | "code") => s
                                .parse::<f64>()
                                .ok()
                                .and_then(|f| {
                                    if *k == "code" {
                                        Some(serde_json::Value::from(f as i64))
                                    } else {
                                        serde_json::Number::from_f64(f)
                                            .map(serde_json::Value::Number)
                                    }
                                })
                                .unwrap_or(serde_json::Value::String(s.clone())),
                            Some(s) if *k == "metadata" => serde_json::Value::Bool(s == "true"),
                            Some(s) => serde_json::Value::String(s.clone()),
                        };
                        m.insert((*k).to_string(), val);
                    }
                    serde_json::Value::Object(m)
                })
                .collect();
            (
                code,
                [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
                serde_json::Value::Array(arr).to_string(),
            )
                .into_response()
        }
        Format::Xml => (
            code,
            [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
            xml_document(root, item, records),
        )
            .into_response(),
    }
}

fn error(fmt: Format, status: u16, description: &str) -> Response {
    render(
        fmt,
        status,
        "errors",
        "error",
        &[vec![
            ("code", Some(status.to_string())),
            ("description", Some(description.to_string())),
        ]],
    )
}

/// PostgreSQL cannot store or compare text holding NUL; a parameter with one is a 400 on both
/// databases, before any query.
fn refuse_nul<'a>(fmt: Format, mut values: impl Iterator<Item = &'a str>) -> Option<Response> {
    values.any(|v| v.contains('\0')).then(|| {
        error(
            fmt,
            400,
            "parameters may not contain the NUL character (U+0000)",
        )
    })
}

fn api_error(fmt: Format, e: ApiError) -> Response {
    let status = e.status().as_u16();
    let status = if status == 422 { 400 } else { status };
    if status >= 500 {
        tracing::error!(error = ?e, "open311");
    }
    let e = e.first_problem();
    let msg = match &e {
        ApiError::Validation(m, Some(f)) => format!("{}: {m}", open311_field(f)),
        other => other.to_string(),
    };
    error(fmt, status, &msg)
}

/// Our field names → the Open311 parameter a client sent.
fn open311_field(f: &str) -> &str {
    match f {
        "lng" => "long",
        "contact_phone" | "caller_phone" => "phone",
        "contact_name" | "caller_name" => "first_name",
        "type_code" => "service_code",
        "address" => "address_string",
        other => other,
    }
}

/// W3C datetime in China Standard Time, as the spec's examples show offsets.
fn w3c(micros: i64) -> String {
    let t = pingan_domain::time::from_micros(micros);
    let local =
        jiff::Timestamp::from_second(t.as_second() + pingan_domain::time::SHANGHAI_OFFSET_SECONDS)
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    format!("{}+08:00", local.strftime("%Y-%m-%dT%H:%M:%S"))
}

async fn root_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(file): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (stem, fmt) = match split(&file) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let params = q.iter().flat_map(|(k, v)| [k.as_str(), v.as_str()]);
    if let Some(r) = refuse_nul(fmt, params.chain([stem])) {
        return r;
    }
    match stem {
        "services" => services(&state, fmt).await,
        "requests" => list_requests(&state, fmt, &q).await,
        "discovery" => {
            let host = headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("localhost");
            discovery(fmt, &format!("http://{host}"))
        }
        _ => error(fmt, 404, "no such resource"),
    }
}

/// Service discovery (http://wiki.open311.org/Service_Discovery). `root` is this server's own URL.
fn discovery(fmt: Format, root: &str) -> Response {
    let url = format!("{root}/open311/v2");
    let changeset = "2026-11-28T00:00:00+08:00";
    match fmt {
        Format::Json => (
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            serde_json::json!({
                "changeset": changeset,
                "contact": "诸暨市公安局指挥中心",
                "key_service": "",
                "endpoints": [{
                    "specification": "http://wiki.open311.org/GeoReport_v2",
                    "url": url,
                    "changeset": changeset,
                    "type": "production",
                    "formats": ["text/xml", "application/json"],
                }],
            })
            .to_string(),
        )
            .into_response(),
        Format::Xml => (
            [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<discovery><changeset>{changeset}</changeset><contact>诸暨市公安局指挥中心</contact><key_service></key_service><endpoints><endpoint><specification>http://wiki.open311.org/GeoReport_v2</specification><url>{}</url><changeset>{changeset}</changeset><type>production</type><formats><format>text/xml</format><format>application/json</format></formats></endpoint></endpoints></discovery>",
                esc(&url)
            ),
        )
            .into_response(),
    }
}

async fn services(state: &AppState, fmt: Format) -> Response {
    let types = match incidents::types(&state.db).await {
        Ok(t) => t,
        Err(e) => return api_error(fmt, e.into()),
    };
    let records: Vec<Record> = types
        .into_iter()
        .filter(|t| t.active)
        .map(|t| {
            let group = pingan_domain::incident::TypeCode::parse(&t.code)
                .map(|c| c.category().label_zh().to_string())
                .unwrap_or_default();
            vec![
                ("service_code", Some(t.code.clone())),
                ("service_name", Some(t.name_zh.clone())),
                (
                    "description",
                    Some(format!("{} / {}", t.name_zh, t.name_en)),
                ),
                ("metadata", Some("false".into())),
                ("type", Some("realtime".into())),
                ("keywords", Some(t.name_en.to_lowercase())),
                ("group", Some(group)),
            ]
        })
        .collect();
    render(fmt, 200, "services", "service", &records)
}

async fn service_definition(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let (code, fmt) = match split(&file) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let known = incidents::types(&state.db)
        .await
        .map(|t| t.iter().any(|t| t.active && t.code == code))
        .unwrap_or(false);
    if !known {
        return error(fmt, 404, "no such service_code");
    }
    // No service has extra attributes (metadata is false everywhere).
    match fmt {
        Format::Json => (
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            serde_json::json!({"service_code": code, "attributes": []}).to_string(),
        )
            .into_response(),
        Format::Xml => (
            [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<service_definition><service_code>{}</service_code><attributes></attributes></service_definition>",
                esc(code)
            ),
        )
            .into_response(),
    }
}

fn is_open(status: &str) -> bool {
    matches!(
        status.parse::<Status>(),
        Ok(Status::Received | Status::Dispatched | Status::Acknowledged | Status::OnScene)
    )
}

fn request_record(r: &IncidentRow, service_name: &str, agency: Option<&str>) -> Record {
    vec![
        ("service_request_id", r.tracking_code.clone()),
        (
            "status",
            Some(if is_open(&r.status) { "open" } else { "closed" }.into()),
        ),
        (
            "status_notes",
            Some(
                r.feedback_text
                    .clone()
                    .unwrap_or_else(|| status_zh(&r.status).to_string()),
            ),
        ),
        ("service_name", Some(service_name.to_string())),
        ("service_code", Some(r.type_code.clone())),
        ("description", Some(r.description.clone())),
        ("agency_responsible", agency.map(String::from)),
        ("service_notice", None),
        ("requested_datetime", Some(w3c(r.received_at))),
        ("updated_datetime", Some(w3c(r.updated_at))),
        ("expected_datetime", None),
        ("address", Some(r.address.clone())),
        ("address_id", None),
        ("zipcode", None),
        ("lat", Some(r.lat.to_string())),
        ("long", Some(r.lng.to_string())),
        (
            "media_url",
            r.snapshot_ref.clone().filter(|_| r.channel == "open311"),
        ),
    ]
}

async fn records(state: &AppState, rows: &[IncidentRow]) -> Result<Vec<Record>, ApiError> {
    let types = crate::dispatch::TypeNames::load(state).await?;
    let mut out = Vec::with_capacity(rows.len());
    let mut agencies: HashMap<String, String> = HashMap::new();
    for r in rows {
        let agency = match &r.station_org_id {
            Some(id) => {
                if !agencies.contains_key(id)
                    && let Some(o) = pingan_store::orgs::get_unscoped(&state.db, id).await?
                {
                    agencies.insert(id.clone(), o.name);
                }
                agencies.get(id).cloned()
            }
            None => None,
        };
        out.push(request_record(
            r,
            &types.name(&r.type_code, true),
            agency.as_deref(),
        ));
    }
    Ok(out)
}

fn public(r: &IncidentRow) -> bool {
    matches!(r.channel.as_str(), "open311" | "web") && r.tracking_code.is_some()
}

async fn list_requests(state: &AppState, fmt: Format, q: &HashMap<String, String>) -> Response {
    let result: Result<Vec<IncidentRow>, ApiError> = async {
        if let Some(ids) = q.get("service_request_id").filter(|s| !s.is_empty()) {
            let mut rows = Vec::new();
            for id in ids
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .take(1000)
            {
                if let Some(r) =
                    incidents::by_tracking_code(&state.db, &id.to_ascii_uppercase()).await?
                    && public(&r)
                {
                    rows.push(r);
                }
            }
            return Ok(rows);
        }
        let date = |k: &str| -> Result<Option<i64>, ApiError> {
            match q.get(k).filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(s) => s
                    .parse::<jiff::Timestamp>()
                    .map(|t| Some(t.as_microsecond()))
                    .map_err(|_| {
                        ApiError::invalid(
                            k,
                            format!("{k} must be a W3C datetime like 2026-11-01T00:00:00Z"),
                        )
                    }),
            }
        };
        let now = state.now();
        let ninety_days = 90 * 86_400_000_000;
        let (start, end) = match (date("start_date")?, date("end_date")?) {
            (Some(s), Some(e)) => (s, e),
            (Some(s), None) => (s, s + ninety_days),
            (None, Some(e)) => (e - ninety_days, e),
            (None, None) => (now - ninety_days, now),
        };
        if end < start {
            return Err(ApiError::invalid(
                "end_date",
                "end_date is before start_date",
            ));
        }
        if end - start > ninety_days {
            return Err(ApiError::invalid(
                "start_date",
                "the date range may not span more than 90 days",
            ));
        }
        let codes: Vec<String> = q
            .get("service_code")
            .map(|s| {
                s.split(',')
                    .map(|c| c.trim().to_string())
                    .filter(|c| !c.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let statuses: Vec<String> = q
            .get("status")
            .map(|s| {
                s.split(',')
                    .map(|c| c.trim().to_ascii_lowercase())
                    .filter(|c| !c.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        if let Some(bad) = statuses
            .iter()
            .find(|s| !matches!(s.as_str(), "open" | "closed"))
        {
            return Err(ApiError::invalid(
                "status",
                format!("status must be open or closed, not {bad}"),
            ));
        }
        let all = pingan_domain::Scope::new(vec![pingan_domain::ScopeGrant {
            kind: pingan_domain::ScopeKind::Area,
            path: "/".into(),
        }]);
        // Open311 open = not yet resolved (`is_open`); closed = everything after.
        let wanted: Vec<String> = Status::ALL
            .iter()
            .map(|s| s.code())
            .filter(|s| statuses.iter().any(|w| (w == "open") == is_open(s)))
            .map(String::from)
            .collect();
        let rows = incidents::list(
            &state.db,
            &all,
            &IncidentFilter {
                channels: vec!["open311".into(), "web".into()],
                type_codes: codes,
                statuses: wanted,
                since: Some(start),
                until: Some(end),
                limit: 1000,
            },
        )
        .await?;
        Ok(rows.into_iter().take(1000).collect())
    }
    .await;
    match result {
        Ok(rows) => match records(state, &rows).await {
            Ok(recs) => render(fmt, 200, "service_requests", "request", &recs),
            Err(e) => api_error(fmt, e),
        },
        Err(e) => api_error(fmt, e),
    }
}

async fn one_request(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let (id, fmt) = match split(&file) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    if let Some(r) = refuse_nul(fmt, [id].into_iter()) {
        return r;
    }
    match incidents::by_tracking_code(&state.db, &id.to_ascii_uppercase()).await {
        Ok(Some(r)) if public(&r) => match records(&state, &[r]).await {
            Ok(recs) => render(fmt, 200, "service_requests", "request", &recs),
            Err(e) => api_error(fmt, e),
        },
        Ok(_) => error(fmt, 404, "no service request has this id"),
        Err(e) => api_error(fmt, e.into()),
    }
}

async fn token(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let (tok, fmt) = match split(&file) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    if let Some(r) = refuse_nul(fmt, [tok].into_iter()) {
        return r;
    }
    // Requests are created synchronously: the token is the request id itself.
    match incidents::by_tracking_code(&state.db, &tok.to_ascii_uppercase()).await {
        Ok(Some(r)) if public(&r) => render(
            fmt,
            200,
            "service_requests",
            "request",
            &[vec![
                ("service_request_id", r.tracking_code.clone()),
                ("token", Some(tok.to_string())),
            ]],
        ),
        Ok(_) => error(fmt, 404, "no service request has this token"),
        Err(e) => api_error(fmt, e.into()),
    }
}

async fn root_post(
    State(state): State<AppState>,
    Path(file): Path<String>,
    crate::auth::ClientIp(ip): crate::auth::ClientIp,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (stem, fmt) = match split(&file) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    if stem != "requests" {
        return error(fmt, 404, "POST goes to requests.xml or requests.json");
    }
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let p = match post_params(query, ctype, &body) {
        Ok(p) => p,
        Err(e) => return error(fmt, e.status(), &e.to_string()),
    };
    if let Some(r) = refuse_nul(fmt, p.iter().flat_map(|(k, v)| [k.as_str(), v.as_str()])) {
        return r;
    }
    let keys = &state.config.dispatch.open311_api_keys;
    if !keys.is_empty()
        && !p
            .get("api_key")
            .is_some_and(|k| keys.iter().any(|key| crate::auth::same_secret(k, key)))
    {
        return error(fmt, 403, "api_key is missing or not valid");
    }
    match post_request(&state, &p, ip).await {
        Ok(row) => render(
            fmt,
            200,
            "service_requests",
            "request",
            &[vec![
                ("service_request_id", row.tracking_code.clone()),
                (
                    "service_notice",
                    Some("已受理，请凭编号查询处理进展".into()),
                ),
                ("account_id", None),
            ]],
        ),
        Err(e) => api_error(fmt, e),
    }
}

/// Why a POST body was refused before its parameters were looked at.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    #[error("send parameters as application/x-www-form-urlencoded (or in the query string)")]
    ContentType,
    #[error("the form body is not valid application/x-www-form-urlencoded")]
    Body,
}

impl FormError {
    pub fn status(&self) -> u16 {
        match self {
            FormError::ContentType => 415,
            FormError::Body => 400,
        }
    }
}

/// The parameters of a POST: form-encoded in the body, or (as some clients send them) in the query
/// string; a body parameter wins over a query parameter of the same name.
pub fn post_params(
    query: HashMap<String, String>,
    content_type: &str,
    body: &[u8],
) -> Result<HashMap<String, String>, FormError> {
    let ctype = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if !body.is_empty() && ctype != "application/x-www-form-urlencoded" {
        return Err(FormError::ContentType);
    }
    let pairs =
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(body).map_err(|_| FormError::Body)?;
    let mut p = query;
    p.extend(pairs);
    Ok(p)
}

async fn post_request(
    state: &AppState,
    p: &HashMap<String, String>,
    ip: Option<String>,
) -> Result<IncidentRow, ApiError> {
    let types = crate::dispatch::TypeNames::load(state).await?;
    let report = check_post(p, &types, state.config.dispatch.public_report_level)?;
    let (row, _) = intake::receive(state, report, None, ip).await?;
    Ok(row)
}

/// A POST's parameters → the report to take in; errors name our field (`api_error` maps it back).
/// `types` are the incident types (only active ones are services), `level` the public report level.
pub fn check_post(
    p: &HashMap<String, String>,
    types: &TypeNames,
    level: i64,
) -> Result<Report, ApiError> {
    let get = |k: &str| p.get(k).map(|s| s.trim()).filter(|s| !s.is_empty());
    let code = get("service_code")
        .ok_or_else(|| ApiError::invalid("service_code", "service_code is required"))?;
    let type_code = crate::validate::type_code("service_code", code)?;
    if !types.0.iter().any(|t| t.active && t.code == code) {
        return Err(ApiError::invalid(
            "service_code",
            format!("{code} is not a service_code listed in services"),
        ));
    }
    let number = |k: &str| -> Result<Option<f64>, ApiError> {
        get(k)
            .map(|s| {
                s.parse::<f64>()
                    .map_err(|_| ApiError::invalid(k, format!("{k} must be a number")))
            })
            .transpose()
    };
    let (lat, long) = match (number("lat")?, number("long")?) {
        (Some(a), Some(o)) => (a, o),
        _ => {
            return Err(ApiError::invalid(
                "lat",
                "lat and long are required: this jurisdiction cannot locate an address_string or address_id",
            ));
        }
    };
    let (lng, lat) = crate::validate::location(long, lat, None)?;
    let service_name = types.name(code, true);
    let description = get("description").unwrap_or(&service_name).to_string();
    let description = crate::validate::text("description", &description, 4000)?;
    let address = get("address_string")
        .map(String::from)
        .unwrap_or_else(|| format!("{lat:.6}, {lng:.6}"));
    let address = crate::validate::text("address_string", &address, 200)?;
    let name = [get("first_name"), get("last_name")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let media_url = crate::validate::optional_text("media_url", get("media_url"), 500)?;
    Ok(Report {
        channel: Channel::Open311,
        type_code,
        level: Level::new(level).map_err(|e| ApiError::invalid("level", e.to_string()))?,
        description,
        address,
        lng,
        lat,
        caller_name: crate::validate::optional_text("first_name", Some(&name), 50)?,
        caller_phone: crate::validate::phone("phone", get("phone"))?,
        reporter_user_id: None,
        camera_code: None,
        snapshot_ref: media_url,
        event_type: None,
        reported_at: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// XML 1.0 `Char`: what a document may contain at all.
    fn xml_char(c: char) -> bool {
        matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
    }

    /// Found by the `open311_form` fuzz target: U+FFFE (form-encoded `%EF%BF%BE`) went into the XML
    /// answer as is, and no XML parser accepts the document.
    #[test]
    fn noncharacters_do_not_reach_the_xml() {
        let artifact: &[u8] =
            b"reqqe\x88ts\ntext/plain\nservice_codg=30010]]?at=29.med%EF%BF%BEia'url=.6%0D\n";
        let query = artifact.split(|b| *b == b'\n').nth(2).unwrap_or_default();
        let p = post_params(HashMap::new(), "application/x-www-form-urlencoded", query)
            .expect("a valid form");
        let value = p.get("service_codg").cloned();
        assert!(value.as_deref().is_some_and(|v| v.contains('\u{FFFE}')));
        let doc = xml_document(
            "service_requests",
            "request",
            &[vec![("description", value)]],
        );
        assert!(doc.chars().all(xml_char), "{doc:?}");
        assert!(doc.contains("<description>30010]]?at=29.media&apos;url=.6\r</description>"));
        assert_eq!(esc("a\u{FFFF}b\u{1}c\u{FFFD}"), "abc\u{FFFD}");
    }

    #[test]
    fn post_params_take_the_body_over_the_query() {
        let query: HashMap<String, String> = [("lat".to_string(), "1".to_string())].into();
        let form = "application/x-www-form-urlencoded; charset=utf-8";
        let p = post_params(query.clone(), form, b"lat=2&long=3").expect("a valid form");
        assert_eq!((p["lat"].as_str(), p["long"].as_str()), ("2", "3"));
        assert_eq!(
            post_params(query.clone(), "text/plain", b"lat=2"),
            Err(FormError::ContentType)
        );
        assert_eq!(post_params(query, "", b"").map(|p| p.len()), Ok(1));
    }
}
