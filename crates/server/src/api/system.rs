//! Liveness, readiness and Prometheus metrics. Unauthenticated by design (for load balancers and
//! scrapers on the internal network); they reveal no business data.

use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
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

#[derive(Serialize, ToSchema)]
pub struct Ready {
    pub status: String,
    pub database: String,
    pub schema_version: i64,
}

/// The database answers and the schema is current.
#[utoipa::path(get, path = "/readyz", tag = "system", security(()),
    responses((status = 200, description = "OK", body = Ready), (status = 503, description = "Not ready", body = Ready)))]
async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Ready>) {
    let backend = state.db.backend().name().to_string();
    let ping = state.db.ping().await;
    let version = pingan_store::migrate::current_version(&state.db)
        .await
        .unwrap_or(0);
    let ok = ping.is_ok() && version == pingan_store::migrate::latest_version();
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
        }),
    )
}

/// Prometheus text format: request counts and latency per route, database pool gauges.
#[utoipa::path(get, path = "/metrics", tag = "system", security(()),
    responses((status = 200, description = "Prometheus text exposition format", content_type = "text/plain")))]
async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let body = crate::metrics::render(&state.db);
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        body,
    )
}
