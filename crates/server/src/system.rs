//! Liveness, readiness and Prometheus metrics. Health and readiness are unauthenticated by design (for
//! load balancers); metrics reveal the traffic per route and the pool figures, so the main address
//! serves them only with the configured bearer token (`server.metrics_listen = "token"`), and not at
//! all otherwise — a listener of its own (`server.metrics_listen = ADDRESS`) is the other way.

use crate::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(metrics))
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    pub status: String,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "system", security(()), responses((status = 200, description = "OK", body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
    })
}

/// Whether NATS at a URL answers, as data sharing's client sees it: supplied where the app is
/// assembled (`app.rs`), since the kernel does not reach into capabilities.
#[derive(Clone, Copy)]
pub struct NatsProbe(
    pub fn(String) -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>>,
);

#[derive(Serialize, ToSchema)]
pub struct Ready {
    pub status: String,
    pub database: String,
    pub schema_version: i64,
    /// When data sharing's NATS is configured (`sharing.nats_url`): `ok` or `unreachable`. It does
    /// not make the server unready — intake, dispatch and the board go on without it, and delivery
    /// to JetStream partners retries — so a balancer keeps sending work here; monitor this field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nats: Option<String>,
}

/// The database answers and the schema is current (503 otherwise); and whether NATS answers, when
/// it is configured.
#[utoipa::path(get, path = "/readyz", tag = "system", security(()),
    responses((status = 200, description = "OK", body = Ready), (status = 503, description = "Not ready", body = Ready)))]
async fn readyz(
    State(state): State<AppState>,
    probe: Option<axum::Extension<NatsProbe>>,
) -> (StatusCode, Json<Ready>) {
    let backend = state.db.backend().name().to_string();
    let ping = state.db.ping().await;
    let version = pingan_store::migrate::current_version(&state.db)
        .await
        .unwrap_or(0);
    let ok = ping.is_ok() && version == pingan_store::migrate::latest_version();
    let nats = match (state.config.sharing.nats_url.as_str(), probe) {
        ("", _) | (_, None) => None,
        (url, Some(axum::Extension(NatsProbe(reachable)))) => Some(
            if reachable(url.to_string()).await {
                "ok"
            } else {
                "unreachable"
            }
            .to_string(),
        ),
    };
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(Ready {
            status: if ok { "ready" } else { "not_ready" }.into(),
            database: backend,
            schema_version: version,
            nats,
        }),
    )
}

/// Prometheus text format: request counts and latency per route, connection and pool gauges. Served
/// here only when `server.metrics_listen = "token"` and the request carries that bearer token;
/// otherwise 404, the same answer as for a path that does not exist.
#[utoipa::path(get, path = "/metrics", tag = "system", security(("bearer" = [])),
    responses((status = 200, description = "Prometheus text exposition format", content_type = "text/plain"),
        (status = 404, description = "Metrics are not served here, or the token is missing or wrong", body = crate::error::ErrorBody)))]
async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let server = &state.config.server;
    let given = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let allowed = server.metrics_listen == "token"
        && !server.metrics_token.is_empty()
        && crate::auth::same_secret(given, &server.metrics_token);
    if !allowed {
        return ApiError::NotFound.into_response();
    }
    exposition(&state.db)
}

/// The Prometheus answer itself; also what a separate metrics listener serves.
pub fn exposition(db: &pingan_store::Db) -> Response {
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        crate::metrics::render(db),
    )
        .into_response()
}
