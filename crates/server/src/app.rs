//! Assembles the application: API routes (with their OpenAPI document), pages, assets, and the layers
//! every request passes — metrics, security headers, the cross-site check, body limits, panic
//! catching and JSON 404s. `serve` opens the database, migrates it and runs until SIGINT/SIGTERM.

use crate::config::Config;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::header::{self, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use pingan_store::db::PoolOptions;
use pingan_store::{Db, migrate};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use tower_http::catch_panic::CatchPanicLayer;

pub fn build_app(state: AppState) -> Router {
    crate::metrics::handle();
    let (api, openapi) = crate::api::router().split_for_parts();
    let openapi = Arc::new(openapi);
    let limit = state.config.server.body_limit_bytes;
    Router::new()
        .merge(api)
        .route(
            "/api/openapi.json",
            get(move || {
                let o = openapi.clone();
                async move { Json(o.as_ref().clone()) }
            }),
        )
        .route(
            "/api/asyncapi.json",
            get(|| async { Json(crate::sharing::asyncapi::document()) }),
        )
        .route("/assets/{*path}", get(crate::assets::serve))
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        .merge(crate::public::open311::router())
        .merge(pages(state.config.server.upload_limit_bytes))
        .fallback(fallback)
        .layer(axum::Extension(crate::system::NatsProbe(|url| {
            Box::pin(async move {
                crate::sharing::nats::Nats::connect(&url, std::time::Duration::from_secs(1))
                    .await
                    .is_ok()
            })
        })))
        .layer(middleware::from_fn(crate::metrics::track))
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .layer(DefaultBodyLimit::max(limit))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::Internal(anyhow::anyhow!("handler panicked")).into_response()
        }))
        .with_state(state)
}

/// The shell's pages and every capability's. Import uploads get their own, larger, body limit.
fn pages(upload_limit: usize) -> Router<AppState> {
    use crate::{accounts, analysis, cases, dispatch, grid, mediation, public};
    Router::new()
        .merge(crate::shell::router())
        .merge(crate::notifications::pages())
        .merge(crate::home::pages::router())
        .merge(accounts::pages::router())
        .merge(grid::pages::router())
        .merge(grid::pages::imports::router().layer(DefaultBodyLimit::max(upload_limit)))
        .merge(dispatch::pages::router())
        .merge(mediation::pages::router())
        .merge(analysis::pages::router())
        .merge(cases::pages::router())
        .merge(crate::patrol::pages::router())
        .merge(crate::patrol::zone_pages::router())
        .merge(crate::cameras::pages::router())
        .merge(crate::teams::pages::router())
        .merge(crate::meetings::pages::router())
        .merge(crate::tasks::pages::router())
        .merge(crate::risks::pages::router())
        .merge(crate::visits::pages::router())
        .merge(crate::publicity::pages::router())
        .merge(crate::sharing::pages::router())
        .merge(crate::public_alerts::pages::router())
        .merge(crate::kpi::pages::router())
        .merge(crate::assessment::pages::router())
        .merge(crate::training::pages::router())
        .merge(crate::public_alerts::feed::router())
        .merge(public::pages::router())
}

/// An address nothing answers: the API's JSON 404 under `/api/`, else a page in the reader's language —
/// inside the layout for someone signed in, in the public frame for anyone else.
async fn fallback(State(state): State<AppState>, req: Request) -> Response {
    if req.uri().path().starts_with("/api/") {
        return ApiError::NotFound.into_response();
    }
    let (parts, _) = req.into_parts();
    match crate::auth::authenticate(&parts, &state).await {
        Ok(actor) => crate::shell::not_found(crate::shell::Ctx::new(
            &state,
            &parts.headers,
            &actor,
            "",
            parts.uri.path(),
        )),
        Err(_) => crate::public::pages::not_found(&state, &parts.headers),
    }
}

/// Cross-site request check and security headers. Browsers send `Origin` on unsafe requests; one that
/// names another host is refused when the request carries cookies (with SameSite=Strict cookies this is
/// defence in depth). Requests without cookies carry no ambient credentials — bearer-token clients, the
/// public report channels, Open311 apps on other sites — so they are not checked.
/// The client behind trusted proxies: the rightmost `X-Forwarded-For` address that is not a proxy.
pub fn forwarded_client(xff: &str, trusted: &[std::net::IpAddr]) -> Option<std::net::IpAddr> {
    xff.split(',')
        .rev()
        .map(str::trim)
        .filter_map(|s| s.parse::<std::net::IpAddr>().ok())
        .find(|ip| !trusted.contains(ip))
}

async fn guard(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let proxies = &state.config.server.trusted_proxies;
    if !proxies.is_empty()
        && let Some(axum::extract::ConnectInfo(peer)) = req
            .extensions()
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .copied()
    {
        let trusted: Vec<std::net::IpAddr> =
            proxies.iter().filter_map(|p| p.parse().ok()).collect();
        if trusted.contains(&peer.ip())
            && let Some(client) = req
                .headers()
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| forwarded_client(v, &trusted))
        {
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo(std::net::SocketAddr::new(
                    client,
                    peer.port(),
                )));
        }
    }
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method
        && !req.headers().contains_key(header::AUTHORIZATION)
        && req.headers().contains_key(header::COOKIE)
    {
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if let Some(origin) = req
            .headers()
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
        {
            let origin_host = origin.split_once("://").map(|(_, h)| h).unwrap_or(origin);
            if origin != "null" && origin_host != host {
                return ApiError::Forbidden("cross-site request refused".into()).into_response();
            }
        }
    }
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    let img_src = tile_origin(&state.config.map.tile_url)
        .map(|o| format!(" {o}"))
        .unwrap_or_default();
    let csp = format!(
        "default-src 'self'; img-src 'self' data: blob:{img_src}; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

/// `http://tiles.internal:8080/{z}/{x}/{y}.png` → `http://tiles.internal:8080`.
fn tile_origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split('/').next()?;
    (!host.is_empty()).then(|| format!("{scheme}://{host}"))
}

/// Opens (creating the data directory for SQLite) and migrates the configured database.
pub async fn open_db(config: &Config) -> anyhow::Result<Db> {
    let url = config.database_url();
    if let Some(path) = url.strip_prefix("sqlite:")
        && let Some(dir) = Path::new(path).parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)?;
    }
    let opts = PoolOptions {
        max_connections: config.database.max_connections,
        ..Default::default()
    };
    let db = Db::connect(&url, &opts).await?;
    let applied = migrate::migrate(&db).await?;
    if !applied.is_empty() {
        tracing::info!(?applied, "applied migrations");
    }
    // Personal data written before it was sealed (migration 13) is sealed now, with the server's key
    // (asked for only when there is something to seal).
    if crate::rekey::plain_left(&db).await? {
        let sealed = crate::rekey::seal_plain(&db, &config.field_cipher()?).await?;
        tracing::info!(sealed, "sealed personal data left in plain columns");
    }
    Ok(db)
}

/// Serves until SIGINT/SIGTERM. `on_ready` receives the bound address (port 0 picks a free one).
pub async fn serve(
    config: Config,
    db: Db,
    on_ready: impl FnOnce(SocketAddr),
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(&config.server.listen).await?;
    let addr = listener.local_addr()?;
    let state = AppState::new(config, db.clone())?;
    state.check_field_key().await?;
    crate::jobs::spawn(&state, jobs(&state));
    let delivery = crate::sharing::delivery::spawn(&state);
    // Other servers' commits wake this one's board and delivery (PostgreSQL LISTEN/NOTIFY).
    let _listening = pingan_store::wake::listen(&db);
    state.follow_changes();
    let limits = crate::conn::Limits::from_config(&state.config.server);
    let metrics = match state.config.server.metrics_listen.as_str() {
        "" | "token" => None,
        addr => Some(tokio::net::TcpListener::bind(addr).await?),
    };
    if let Some(listener) = metrics {
        tracing::info!(addr = %listener.local_addr()?, "metrics listener");
        let db = state.db.clone();
        let only_metrics = Router::new().route(
            "/metrics",
            get(move || {
                let db = db.clone();
                async move { crate::system::exposition(&db) }
            }),
        );
        tokio::spawn(crate::conn::serve(
            listener,
            only_metrics,
            limits,
            std::future::pending(),
        ));
    }
    let app = build_app(state.clone());
    on_ready(addr);
    let grace = limits.shutdown_grace;
    crate::conn::serve(listener, app, limits, shutdown_signal()).await?;
    // Requests are drained; hand the partners this server delivers to over to the others.
    delivery.stop(&state, grace).await;
    db.close().await;
    Ok(())
}

/// Every periodic job of every capability, each run on one server a period (`crate::jobs`).
pub fn jobs(state: &AppState) -> Vec<crate::jobs::Job> {
    vec![
        crate::mediation::clock::job(state),
        crate::cases::inspect::job(state),
        crate::analysis::brief::job(state),
        crate::teams::work::job(state),
        crate::tasks::supervision::job(state),
        crate::patrol::fold::job(state),
        crate::patrol::tally::job(state),
        crate::rekey::job(state),
        crate::public_alerts::feeds::job(state),
        crate::training::reminders::job(state),
        audit_tallies_job(),
        purge_job(),
    ]
}

/// Closes ended audit tally windows (a summary record per window that counted repeats).
fn audit_tallies_job() -> crate::jobs::Job {
    crate::jobs::Job::new(
        "audit_tallies",
        std::time::Duration::from_secs(60),
        |state| {
            Box::pin(async move {
                Ok(pingan_store::audit::flush_tallies(&state.db, state.now()).await?)
            })
        },
    )
}

/// Purges expired sessions and old rate counters.
fn purge_job() -> crate::jobs::Job {
    crate::jobs::Job::new("purge", std::time::Duration::from_secs(600), |state| {
        Box::pin(async move {
            let idle = state.config.auth.session_idle_minutes * 60_000_000;
            let now = pingan_store::now_micros();
            pingan_store::sessions::purge_expired(&state.db, now, idle).await?;
            pingan_store::rate::prune(&state.db, now - 3_600_000_000).await?;
            Ok(0)
        })
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

#[cfg(test)]
mod tests {
    #[test]
    fn tile_origin() {
        assert_eq!(
            super::tile_origin("http://tiles.internal:8080/{z}/{x}/{y}.png").as_deref(),
            Some("http://tiles.internal:8080")
        );
        assert_eq!(super::tile_origin(""), None);
    }
}
