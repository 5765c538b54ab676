//! One error type for the HTTP layer, mapped to a status and a JSON body once:
//! `{"error": {"code": "...", "message": "...", "field": "...", "problems": [...]}}`. Store and domain
//! errors convert into it; nothing else writes error responses. A 422 lists every problem found in the
//! submission (`problems`: field path, a stable code, its parameters and an English message); `field`
//! and `message` repeat the first, for clients that read one. Pages turn each code into a sentence in
//! the reader's language beside its field.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use pingan_store::StoreError;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    BadRequest {
        code: &'static str,
        message: String,
        field: Option<String>,
    },
    #[error("{0}")]
    Validation(String, Option<String>),
    /// Every problem of a submission, first one first (never empty).
    #[error("{}", .0.first().map_or("invalid value", |p| p.message.as_str()))]
    Invalid(Vec<Problem>),
    #[error("authentication required")]
    Unauthenticated,
    /// Wrong username or password: one answer for both, so usernames cannot be probed.
    #[error("wrong username or password")]
    InvalidCredentials,
    #[error("{0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("request body larger than {0} bytes")]
    PayloadTooLarge(usize),
    #[error("expected Content-Type: application/json")]
    UnsupportedMediaType,
    #[error("{0}")]
    Locked(String),
    /// Any other status with its own code (e.g. 401 `bad_signature` for webhooks).
    #[error("{message}")]
    Other {
        status: StatusCode,
        code: &'static str,
        message: String,
    },
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

/// One thing wrong with a submitted value.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema, PartialEq)]
pub struct Problem {
    /// The field as a path (`parties[1].phone`).
    pub field: String,
    /// Stable code: required, too_long, phone, citizen_id_check, citizen_id_length, citizen_id_chars,
    /// citizen_id_birth, credit_code_*, number, whole_number, out_of_range, outside_district,
    /// outside_scope, unknown_type, invalid.
    pub code: String,
    /// The code's parameters (e.g. `{"max": "100"}`), as text.
    #[schema(value_type = Object)]
    pub params: std::collections::BTreeMap<String, String>,
    /// The problem in English, for logs and clients without their own words.
    pub message: String,
}

impl Problem {
    pub fn new(field: &str, code: &str, message: impl Into<String>) -> Problem {
        Problem {
            field: field.into(),
            code: code.into(),
            params: Default::default(),
            message: message.into(),
        }
    }

    pub fn with(mut self, key: &str, value: impl ToString) -> Problem {
        self.params.insert(key.into(), value.to_string());
        self
    }
}

/// Gathers a submission's problems so all of them are answered at once.
#[derive(Debug, Default)]
pub struct Problems(Vec<Problem>);

impl Problems {
    /// The value when `r` is fine; a field problem is noted (and `None` returned); any other error
    /// (storage, permission) ends the check.
    pub fn check<T>(&mut self, r: ApiResult<T>) -> ApiResult<Option<T>> {
        match r {
            Ok(v) => Ok(Some(v)),
            Err(ApiError::Invalid(ps)) => {
                self.0.extend(ps);
                Ok(None)
            }
            Err(ApiError::Validation(m, Some(f))) => {
                self.0.push(Problem::new(&f, "invalid", m));
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    pub fn push(&mut self, p: Problem) {
        self.0.push(p);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The 422 with every problem noted (call when some were).
    pub fn into_error(self) -> ApiError {
        ApiError::Invalid(self.0)
    }

    /// `Ok` when nothing was found, else the 422 with every problem.
    pub fn finish(self) -> ApiResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Invalid(self.0))
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `invalid_json`, `unknown_field`, `not_found`.
    pub code: String,
    pub message: String,
    /// The offending field, as a path (`grants[0].path`), when one is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// A 422's problems, every one of the submission (the first is `field`/`message`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Problem>,
}

impl ApiError {
    pub fn bad_request(
        code: &'static str,
        message: impl Into<String>,
        field: Option<String>,
    ) -> Self {
        ApiError::BadRequest {
            code,
            message: message.into(),
            field,
        }
    }

    pub fn bad_request_status(status: StatusCode, code: &'static str, message: &str) -> Self {
        ApiError::Other {
            status,
            code,
            message: message.to_string(),
        }
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ApiError::Validation(message.into(), Some(field.to_string()))
    }

    /// A 422 with its code, for pages to put in words.
    pub fn problem(p: Problem) -> Self {
        ApiError::Invalid(vec![p])
    }

    /// A 422 as its first problem alone (`Validation`), for callers that report one per row or line.
    pub fn first_problem(self) -> ApiError {
        match self {
            ApiError::Invalid(ps) => match ps.into_iter().next() {
                Some(p) => ApiError::Validation(p.message, Some(p.field)),
                None => ApiError::Validation("invalid value".into(), None),
            },
            e => e,
        }
    }

    /// The same error with its fields named inside `prefix` (`data.` + `type_code`): for checks run
    /// on a part of a larger body, such as a CloudEvent's `data`.
    pub fn within(self, prefix: &str) -> ApiError {
        match self {
            ApiError::Invalid(ps) => ApiError::Invalid(
                ps.into_iter()
                    .map(|mut p| {
                        p.field = format!("{prefix}{}", p.field);
                        p
                    })
                    .collect(),
            ),
            ApiError::Validation(m, Some(f)) => {
                ApiError::Validation(m, Some(format!("{prefix}{f}")))
            }
            ApiError::BadRequest {
                code,
                message,
                field: Some(f),
            } => ApiError::BadRequest {
                code,
                message,
                field: Some(format!("{prefix}{f}")),
            },
            e => e,
        }
    }

    /// The problems of a 422, each with a code (`invalid` where the check gave none).
    pub fn problems(&self) -> Vec<Problem> {
        match self {
            ApiError::Invalid(ps) => ps.clone(),
            ApiError::Validation(m, Some(f)) => vec![Problem::new(f, "invalid", m.clone())],
            _ => Vec::new(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Validation(..) | ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthenticated | ApiError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Locked(_) => StatusCode::LOCKED,
            ApiError::Other { status, .. } => *status,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest { code, .. } => code,
            ApiError::Validation(..) | ApiError::Invalid(_) => "invalid_value",
            ApiError::Unauthenticated => "unauthenticated",
            ApiError::InvalidCredentials => "invalid_credentials",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound => "not_found",
            ApiError::Conflict(_) => "conflict",
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::Locked(_) => "account_locked",
            ApiError::Other { code, .. } => code,
            ApiError::Internal(_) => "internal",
        }
    }

    fn field(&self) -> Option<String> {
        match self {
            ApiError::BadRequest { field, .. } | ApiError::Validation(_, field) => field.clone(),
            ApiError::Invalid(ps) => ps.first().map(|p| p.field.clone()),
            _ => None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(e) = &self {
            tracing::error!(error = ?e, "internal error");
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code().to_string(),
                message: self.to_string(),
                field: self.field(),
                problems: self.problems(),
            },
        };
        let status = self.status();
        let mut resp = (status, Json(body)).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            resp.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("1"),
            );
        }
        resp
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::Conflict(m) => ApiError::Conflict(m),
            StoreError::Invalid(m) => ApiError::Validation(m, None),
            StoreError::Busy => ApiError::Other {
                status: StatusCode::SERVICE_UNAVAILABLE,
                code: "busy",
                message: "the server is busy; retry in a moment".into(),
            },
            other => ApiError::Internal(other.into()),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
