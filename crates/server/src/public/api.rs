//! Channels without a login: the resident report form with its tracking code, and the camera alert
//! webhook (雪亮工程 video platform → us), which proves itself with an HMAC-SM3 signature instead.

use crate::auth::ClientIp;
use crate::dispatch::intake::{self, Report};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiPath as Path;
use crate::extract::{ApiJson, decode};
use crate::public::reports::{ResidentReport, Tracking, check_report, tracking};
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use pingan_domain::audit::{AuditEntry, AuditOutcome};
use pingan_domain::incident::{Channel, Level};
use pingan_store::incidents;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::validate::{instant, optional_text, type_code};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(submit_report))
        .routes(routes!(track_report))
        .routes(routes!(camera_alert))
}

/// A resident reports something (no login). The answer's tracking code follows the report.
#[utoipa::path(post, path = "/api/v1/public/reports", tag = "public", request_body = ResidentReport, security(()),
    responses((status = 201, description = "Received", body = Tracking),
        (status = 400, description = "Malformed request", body = ErrorBody),
        (status = 422, description = "A value is invalid (the field is named)", body = ErrorBody),
        (status = 429, description = "Too many reports from your address this minute (`rate_limited`)", body = ErrorBody)))]
async fn submit_report(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<ResidentReport>,
) -> ApiResult<(StatusCode, Json<Tracking>)> {
    let report = check_report(&state, req, Channel::Web)?;
    let (row, _) = intake::receive(&state, report, None, ip).await?;
    Ok((StatusCode::CREATED, Json(tracking(&state.db, &row).await?)))
}

/// Status and feedback of a report, by its tracking code.
#[utoipa::path(get, path = "/api/v1/public/reports/{code}", tag = "public", security(()),
    params(("code" = String, Path, description = "Tracking code")),
    responses((status = 200, description = "OK", body = Tracking), (status = 404, description = "No report has this code", body = ErrorBody)))]
async fn track_report(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> ApiResult<Json<Tracking>> {
    let code = code.trim().to_ascii_uppercase();
    let row = incidents::by_tracking_code(&state.db, &code)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(tracking(&state.db, &row).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CameraAlert {
    /// The camera's code in the registry.
    pub camera_id: String,
    /// fight, crowd, fire, smoke, traffic_accident, intrusion, loitering or other.
    pub event_type: String,
    /// When the camera saw it (RFC 3339).
    pub occurred_at: String,
    /// Where the video platform keeps the snapshot (an id or internal URL; not fetched).
    pub snapshot_ref: Option<String>,
}

/// Camera event types → (incident type, level).
const CAMERA_EVENTS: &[(&str, &str, i64)] = &[
    ("fight", "200100", 2),
    ("crowd", "700100", 2),
    ("fire", "400100", 1),
    ("smoke", "400100", 2),
    ("traffic_accident", "300100", 2),
    ("intrusion", "100100", 2),
    ("loitering", "200999", 3),
    ("other", "990000", 3),
];

/// `hmac-sm3=<hex>` of `<timestamp>.<body>` under `secret` (what the camera platform sends).
pub use crate::signed::signature as camera_signature;

#[derive(Serialize, ToSchema)]
pub struct CameraAlertResult {
    pub incident_id: String,
    pub number: String,
}

/// Camera alert webhook (雪亮工程). Headers: `X-Pingan-Timestamp` (Unix seconds) and
/// `X-Pingan-Signature: hmac-sm3=<hex>` over `<timestamp>.<raw body>` with the shared secret. A bad
/// signature, a stale timestamp, an unknown camera or a malformed body stores nothing and is audited.
#[utoipa::path(post, path = "/api/v1/hooks/camera", tag = "public", request_body = CameraAlert, security(()),
    responses((status = 201, description = "Incident created", body = CameraAlertResult),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "Missing or wrong signature, or stale timestamp", body = ErrorBody),
        (status = 413, description = "The request body is too large", body = ErrorBody),
        (status = 403, description = "The camera webhook is not configured", body = ErrorBody),
        (status = 422, description = "Unknown camera or invalid value (the field is named)", body = ErrorBody)))]
async fn camera_alert(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: axum::body::Body,
) -> ApiResult<(StatusCode, Json<CameraAlertResult>)> {
    // Read here, not with axum's `Bytes` extractor, whose over-limit answer is plain text.
    let limit = state.config.server.body_limit_bytes;
    let body = crate::extract::read_body(body, limit).await?;
    match camera_alert_inner(&state, ip.clone(), &headers, &body).await {
        Ok(r) => Ok((StatusCode::CREATED, Json(r))),
        Err(e) => {
            let entry = AuditEntry {
                at: state.now(),
                actor_id: None,
                actor_name: "channel:camera".into(),
                action: "incident.camera_alert".into(),
                object_type: "camera".into(),
                object_id: None,
                outcome: if e.status() == StatusCode::UNAUTHORIZED
                    || e.status() == StatusCode::FORBIDDEN
                {
                    AuditOutcome::Denied
                } else {
                    AuditOutcome::Failed
                },
                purpose: None,
                ip,
                detail: serde_json::json!({"status": e.status().as_u16(), "error": e.to_string()})
                    .to_string(),
            };
            state.db.audit(vec![entry]).await?;
            Err(e)
        }
    }
}

async fn camera_alert_inner(
    state: &AppState,
    ip: Option<String>,
    headers: &HeaderMap,
    body: &Bytes,
) -> ApiResult<CameraAlertResult> {
    let cfg = &state.config.dispatch;
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let hook = CameraHook {
        secret: &cfg.camera_webhook_secret,
        max_skew_seconds: cfg.camera_webhook_max_skew_seconds,
        now_seconds: state.now() / 1_000_000,
    };
    let alert = hook.verify(
        header("x-pingan-timestamp"),
        header("x-pingan-signature"),
        body,
    )?;
    let camera = pingan_store::units::camera(&state.db, alert.camera_id.trim())
        .await?
        .filter(|c| c.active)
        .ok_or_else(|| ApiError::invalid("camera_id", "no active camera has this id"))?;
    let checked = check_camera_alert(&alert)?;
    if let Some(t) = checked.occurred_at {
        state
            .config
            .validation
            .live(state.now())
            .check(t)
            .map_err(|e| crate::validate::implausible("occurred_at", e))?;
    }
    let report = Report {
        channel: Channel::Camera,
        type_code: checked.type_code,
        level: checked.level,
        description: format!("摄像头 {} 告警：{}", camera.name, alert.event_type),
        address: camera.name.clone(),
        lng: camera.lng,
        lat: camera.lat,
        caller_name: None,
        caller_phone: None,
        reporter_user_id: None,
        camera_code: Some(camera.code.clone()),
        snapshot_ref: checked.snapshot_ref,
        event_type: Some(alert.event_type.clone()),
        reported_at: checked.occurred_at,
    };
    let (row, _) = intake::receive(state, report, None, ip).await?;
    Ok(CameraAlertResult {
        incident_id: row.id,
        number: row.number,
    })
}

/// The webhook's settings and the present time: everything `verify` needs besides the request.
pub struct CameraHook<'a> {
    pub secret: &'a str,
    pub max_skew_seconds: i64,
    pub now_seconds: i64,
}

impl CameraHook<'_> {
    /// Checks the signature headers over the raw body, then the timestamp's distance from now, then
    /// decodes the body. The camera itself is looked up by the caller.
    pub fn verify(
        &self,
        timestamp: Option<&str>,
        signature: Option<&str>,
        body: &Bytes,
    ) -> ApiResult<CameraAlert> {
        if self.secret.is_empty() {
            return Err(ApiError::Forbidden(
                "the camera webhook is not configured".into(),
            ));
        }
        crate::signed::verify(
            self.secret,
            self.max_skew_seconds,
            self.now_seconds,
            timestamp,
            signature,
            body,
        )?;
        decode(body)
    }
}

/// What a camera alert becomes, besides the camera's own name and place.
#[derive(Debug)]
pub struct CheckedCameraAlert {
    pub type_code: pingan_domain::incident::TypeCode,
    pub level: Level,
    pub occurred_at: Option<i64>,
    pub snapshot_ref: Option<String>,
}

/// The event type → incident type and level, the time and the snapshot reference, checked.
pub fn check_camera_alert(alert: &CameraAlert) -> ApiResult<CheckedCameraAlert> {
    let (code, level) = CAMERA_EVENTS
        .iter()
        .find(|(e, _, _)| *e == alert.event_type)
        .map(|(_, c, l)| (*c, *l))
        .ok_or_else(|| {
            ApiError::invalid(
                "event_type",
                format!(
                    "event_type must be one of {}",
                    CAMERA_EVENTS
                        .iter()
                        .map(|e| e.0)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?;
    let occurred_at = instant("occurred_at", Some(&alert.occurred_at))?;
    let snapshot_ref = optional_text("snapshot_ref", alert.snapshot_ref.as_deref(), 500)?;
    Ok(CheckedCameraAlert {
        type_code: type_code("event_type", code)?,
        level: Level::new(level).map_err(|e| ApiError::invalid("event_type", e.to_string()))?,
        occurred_at,
        snapshot_ref,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook() -> CameraHook<'static> {
        CameraHook {
            secret: "demo-camera-secret",
            max_skew_seconds: 300,
            now_seconds: 1_795_000_000,
        }
    }

    /// Found by the `camera_webhook` fuzz target: a correctly signed request whose timestamp is
    /// i64::MIN overflowed `now - timestamp` (a panic, so a 500, where overflow checks are on).
    #[test]
    fn an_extreme_timestamp_is_refused_not_a_panic() {
        let artifact: &[u8] = b"\x01-9223372036854775808";
        let ts = std::str::from_utf8(&artifact[1..]).expect("ASCII");
        let body = Bytes::new();
        let sig = camera_signature(hook().secret, ts, &body);
        let e = hook()
            .verify(Some(ts), Some(&sig), &body)
            .err()
            .expect("refused");
        assert_eq!(e.status(), StatusCode::UNAUTHORIZED);
        assert!(e.to_string().contains("too far from now"), "{e}");
        let max = i64::MAX.to_string();
        let sig = camera_signature(hook().secret, &max, &body);
        assert!(hook().verify(Some(&max), Some(&sig), &body).is_err());
    }

    #[test]
    fn a_signed_alert_within_the_skew_is_accepted() {
        let body = Bytes::from_static(
            br#"{"camera_id":"CAM-1","event_type":"fire","occurred_at":"2026-11-28T08:30:00+08:00"}"#,
        );
        let ts = "1795000100";
        let sig = camera_signature(hook().secret, ts, &body);
        let alert = hook()
            .verify(Some(ts), Some(&sig), &body)
            .expect("accepted");
        let checked = check_camera_alert(&alert).expect("a known event");
        assert_eq!(
            (checked.type_code.as_str(), checked.level.get()),
            ("400100", 1)
        );
        let last = if sig.ends_with('0') { '1' } else { '0' };
        let tampered = format!("{}{last}", &sig[..sig.len() - 1]);
        assert!(hook().verify(Some(ts), Some(&tampered), &body).is_err());
    }
}
