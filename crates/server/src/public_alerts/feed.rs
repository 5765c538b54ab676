//! The public face of our alerts, for anyone on the network without a login (a CAP feed is read by
//! machines): `/cap/alerts.atom`, an Atom index of the published alerts with each CAP document
//! inline (`application/cap+xml` content, as CAP aggregators read it), and `/cap/alerts/{identifier}.xml`,
//! one document exactly as published.

use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use pingan_domain::cap::escape;
use pingan_store::public_alerts as store;

/// Alerts listed in the feed, newest first.
const FEED_LENGTH: i64 = 100;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/cap/alerts.atom", get(atom))
        .route("/cap/alerts/{file}", get(document))
}

fn xml(content_type: &'static str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

async fn document(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let Some(identifier) = file.strip_suffix(".xml") else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match store::by_identifier(&state.db, identifier).await {
        Ok(Some(row)) if row.scope == "Public" => match row.document {
            Some(d) => xml("application/cap+xml; charset=utf-8", d),
            None => StatusCode::NOT_FOUND.into_response(),
        },
        Ok(_) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => crate::error::ApiError::from(e).into_response(),
    }
}

async fn atom(State(state): State<AppState>) -> Response {
    match store::feed(&state.db, FEED_LENGTH).await {
        Ok(rows) => xml(
            "application/atom+xml; charset=utf-8",
            atom_document(&state, &rows),
        ),
        Err(e) => crate::error::ApiError::from(e).into_response(),
    }
}

/// The XML declaration is dropped from each document placed inside an entry.
fn inline(document: &str) -> &str {
    let d = document.trim_start();
    match d
        .strip_prefix("<?xml")
        .and_then(|r| r.find("?>").map(|i| &r[i + 2..]))
    {
        Some(rest) => rest.trim_start(),
        None => d,
    }
}

pub fn atom_document(state: &AppState, rows: &[store::AlertRow]) -> String {
    let cfg = &state.config.public_alerts;
    let updated = rows.first().map_or_else(
        || pingan_domain::cap::datetime(pingan_domain::time::from_micros(state.now())),
        |r| r.sent.clone(),
    );
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    out.push_str(&format!(
        "  <id>urn:pingan:cap:{}</id>\n  <title>{} 预警信息</title>\n  <updated>{updated}</updated>\n  \
         <author><name>{}</name></author>\n  <link rel=\"self\" href=\"/cap/alerts.atom\"/>\n",
        escape(&cfg.sender),
        escape(&cfg.sender_name),
        escape(&cfg.sender_name),
    ));
    for r in rows {
        let Some(doc) = &r.document else { continue };
        let title = if r.headline.is_empty() {
            &r.event
        } else {
            &r.headline
        };
        out.push_str(&format!(
            "  <entry>\n    <id>urn:uuid:{}</id>\n    <title>{}</title>\n    <updated>{}</updated>\n    \
             <summary>{}</summary>\n    <link rel=\"alternate\" type=\"application/cap+xml\" href=\"/cap/alerts/{}.xml\"/>\n    \
             <content type=\"application/cap+xml\">\n{}    </content>\n  </entry>\n",
            escape(&r.id),
            escape(title),
            escape(&r.sent),
            escape(&format!("{} · {} · {}", r.msg_type, r.severity, r.area_desc)),
            escape(&r.identifier),
            inline(doc),
        ));
    }
    out.push_str("</feed>\n");
    out
}
