//! Strict JSON bodies. `ApiJson<T>` checks the content type and the size limit itself, and decodes
//! through `serde_path_to_error`, so a wrong type or an unknown field is a 4xx naming the field
//! (`grants[0].kind`) instead of axum's plain-text rejection. Request types use
//! `#[serde(deny_unknown_fields)]`.

use crate::error::ApiError;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use serde::de::DeserializeOwned;

pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| {
                let mime = ct
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                mime == "application/json" || mime.ends_with("+json")
            });
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let limit = state.config.server.body_limit_bytes;
        let body = read_body(req.into_body(), limit).await?;
        decode(&body).map(ApiJson)
    }
}

/// The whole request body, up to `limit` bytes. Too large is 413; a body that did not arrive within
/// `server.body_timeout_seconds` is 408; one that broke off is 400.
pub async fn read_body(body: axum::body::Body, limit: usize) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|e| body_error(&e, limit))
}

fn body_error(e: &axum::Error, limit: usize) -> ApiError {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if c.is::<http_body_util::LengthLimitError>() {
            return ApiError::PayloadTooLarge(limit);
        }
        if c.is::<crate::conn::BodyTimeout>() {
            return ApiError::bad_request_status(
                axum::http::StatusCode::REQUEST_TIMEOUT,
                "body_timeout",
                "the request body did not arrive in time",
            );
        }
        cause = c.source();
    }
    ApiError::bad_request("bad_body", "the request body could not be read", None)
}

pub fn decode<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    match serde_path_to_error::deserialize::<_, T>(de) {
        Ok(v) => {
            refuse_nul_in_json(body)?;
            Ok(v)
        }
        Err(e) => {
            let path = e.path().to_string();
            let field = (path != ".").then_some(path);
            let inner = e.into_inner();
            let msg = inner.to_string();
            let code = if inner.is_syntax() || inner.is_eof() {
                "invalid_json"
            } else if msg.starts_with("unknown field") {
                "unknown_field"
            } else if msg.starts_with("missing field") {
                "missing_field"
            } else {
                "invalid_type"
            };
            // For a missing field the path points at the parent; name the field itself.
            let field = if code == "missing_field" {
                msg.split('`').nth(1).map(|f| match &field {
                    Some(p) => format!("{p}.{f}"),
                    None => f.to_string(),
                })
            } else if code == "unknown_field" {
                msg.split('`').nth(1).map(String::from).or(field)
            } else if code == "invalid_json" {
                None
            } else {
                field
            };
            Err(ApiError::bad_request(code, msg, field))
        }
    }
}

/// PostgreSQL cannot store NUL in text (and no field of ours means one), so a string holding NUL is
/// refused on both databases alike, as a 400 naming the field, before any handler sees it.
fn nul_error(field: Option<String>) -> ApiError {
    ApiError::bad_request(
        "invalid_character",
        "text may not contain the NUL character (U+0000)",
        field,
    )
}

fn refuse_nul_in_json(body: &[u8]) -> Result<(), ApiError> {
    // JSON can only carry NUL escaped; the walk runs only when the escape is there.
    if !body.windows(6).any(|w| w == br"\u0000") {
        return Ok(());
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Ok(());
    };
    match nul_path(&value, String::new()) {
        Some(path) => Err(nul_error((!path.is_empty()).then_some(path))),
        None => Ok(()),
    }
}

/// The path (`parties[1].name`) of the first key or string holding NUL.
fn nul_path(v: &serde_json::Value, at: String) -> Option<String> {
    match v {
        serde_json::Value::String(s) => s.contains('\0').then_some(at),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| nul_path(item, format!("{at}[{i}]"))),
        serde_json::Value::Object(map) => map.iter().find_map(|(k, item)| {
            let here = if at.is_empty() {
                k.replace('\0', "\\u0000")
            } else {
                format!("{at}.{}", k.replace('\0', "\\u0000"))
            };
            if k.contains('\0') {
                Some(here)
            } else {
                nul_path(item, here)
            }
        }),
        _ => None,
    }
}

/// Query strings with JSON errors (axum's own rejection is plain text). Decoded with
/// `serde_urlencoded` through `serde_path_to_error`, so the error names the parameter
/// (`unread`), not a word quoted in the message.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> axum::extract::FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        decode_query(parts.uri.query().unwrap_or("")).map(ApiQuery)
    }
}

pub fn decode_query<T: DeserializeOwned>(q: &str) -> Result<T, ApiError> {
    if let Some((k, _)) =
        form_urlencoded::parse(q.as_bytes()).find(|(k, v)| k.contains('\0') || v.contains('\0'))
    {
        return Err(nul_error(Some(k.replace('\0', "\\u0000"))));
    }
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(q.as_bytes()));
    serde_path_to_error::deserialize::<_, T>(de).map_err(|e| {
        let path = e.path().to_string();
        let msg = e.inner().to_string();
        // An unknown or missing parameter is reported at the top level; its name is in the message.
        let field = if path != "." {
            Some(path)
        } else if msg.starts_with("unknown field") || msg.starts_with("missing field") {
            msg.split('`').nth(1).map(String::from)
        } else {
            None
        };
        ApiError::bad_request(
            "invalid_query",
            format!("invalid query string: {msg}"),
            field,
        )
    })
}

/// Path parameters with JSON errors: axum's own rejection (e.g. a percent-escape that is not UTF-8)
/// is plain text.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> axum::extract::FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        if parts.uri.path().contains("%00") {
            return Err(nul_error(None));
        }
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(ApiPath(v)),
            Err(e) => Err(ApiError::bad_request("invalid_path", e.body_text(), None)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        count: i64,
    }

    fn err(s: &str) -> (String, Option<String>) {
        match decode::<Body>(&Bytes::from(s.to_string())).unwrap_err() {
            ApiError::BadRequest { code, field, .. } => (code.to_string(), field),
            e => panic!("{e:?}"),
        }
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(
            err("{\"name\": 1, \"count\": 1}"),
            ("invalid_type".into(), Some("name".into()))
        );
        assert_eq!(
            err("{\"name\": \"a\", \"count\": 1, \"x\": 2}"),
            ("unknown_field".into(), Some("x".into()))
        );
        assert_eq!(
            err("{\"name\": \"a\"}"),
            ("missing_field".into(), Some("count".into()))
        );
        assert_eq!(err("{\"name\": "), ("invalid_json".into(), None));
    }
}
