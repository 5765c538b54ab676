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
        let body = axum::body::to_bytes(req.into_body(), limit)
            .await
            .map_err(|_| ApiError::PayloadTooLarge(limit))?;
        decode(&body).map(ApiJson)
    }
}

pub fn decode<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    match serde_path_to_error::deserialize::<_, T>(de) {
        Ok(v) => Ok(v),
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

/// Query strings with JSON errors (axum's own rejection is plain text).
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> axum::extract::FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded_de(q);
        de.map(ApiQuery)
    }
}

fn serde_urlencoded_de<T: DeserializeOwned>(q: &str) -> Result<T, ApiError> {
    axum::extract::Query::<T>::try_from_uri(
        &format!("/?{q}")
            .parse()
            .map_err(|_| ApiError::bad_request("invalid_query", "malformed query string", None))?,
    )
    .map(|axum::extract::Query(v)| v)
    .map_err(|e| {
        let msg = e.body_text();
        let field = msg.split('`').nth(1).map(String::from);
        ApiError::bad_request("invalid_query", msg, field)
    })
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
