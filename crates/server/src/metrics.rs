//! Prometheus metrics: `http_requests_total` and `http_request_duration_seconds` (a histogram) per
//! method, matched route and status, plus database pool gauges. The recorder is process-global and
//! installed once; labels use the route template (`/api/v1/areas/{code}`), never the raw path, so the
//! series count stays bounded.

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use pingan_store::Db;
use std::sync::OnceLock;
use std::time::Instant;

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("http_request_duration_seconds".into()),
                BUCKETS,
            )
            .expect("buckets are non-empty")
            .build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be installed (tests build many apps): keep ours as the handle.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

pub async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| {
            if req.uri().path().starts_with("/assets/") {
                "/assets/*".into()
            } else {
                "unmatched".into()
            }
        });
    let method = req.method().to_string();
    let start = Instant::now();
    let resp = next.run(req).await;
    let status = resp.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels)
        .record(start.elapsed().as_secs_f64());
    resp
}

pub fn render(db: &Db) -> String {
    let h = handle();
    let (size, idle) = db.pool_stats();
    metrics::gauge!("db_pool_connections", "backend" => db.backend().name()).set(size as f64);
    metrics::gauge!("db_pool_idle_connections", "backend" => db.backend().name()).set(idle as f64);
    h.render()
}
