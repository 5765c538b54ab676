//! Public safety alerts (CAP 1.2): those composed here, from pending approval to published (the
//! document then never changes), and those received from other agencies, kept as received. Public
//! alerts are public information: every reader with the permission sees all of them; composing and
//! deciding are scoped by the service.

use crate::db::{Db, Tx};
use crate::{Result, args};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AlertRow {
    pub id: String,
    /// `composed` | `imported`.
    pub origin: String,
    /// Composed: `pending` → `published` | `rejected`; imported: `received`.
    pub state: String,
    pub identifier: String,
    pub sender: String,
    /// `<sent>` as written (empty until published).
    pub sent: String,
    pub sent_at: Option<i64>,
    pub msg_type: String,
    pub status: String,
    pub scope: String,
    pub refers_to: Option<String>,
    pub references_text: String,
    pub language: String,
    /// Space-separated CAP categories.
    pub categories: String,
    pub event: String,
    pub urgency: String,
    pub severity: String,
    pub certainty: String,
    /// Space-separated CAP response types.
    pub response_types: String,
    pub audience: String,
    pub headline: String,
    pub description: String,
    pub instruction: String,
    pub expires_at: Option<i64>,
    pub area_desc: String,
    /// The areas and grids it was drawn from.
    pub area_paths: String,
    pub grid_codes: String,
    /// The area paths those lie in (scope).
    pub scope_paths: String,
    /// JSON: `{"polygons": [[[lat, lon], …]], "circles": [[lat, lon, km]]}`.
    pub shapes: String,
    pub document: Option<String>,
    /// A received alert's file name or feed address.
    pub source: String,
    pub composed_by: Option<String>,
    pub composer_name: String,
    pub created_at: i64,
    pub decided_by: Option<String>,
    pub decider_name: String,
    pub decided_at: Option<i64>,
    pub decision_note: String,
    pub superseded_by: Option<String>,
}

const SELECT: &str = "SELECT a.id, a.origin, a.state, a.identifier, a.sender, a.sent, a.sent_at, a.msg_type, \
    a.status, a.scope, a.refers_to, a.references_text, a.language, a.categories, a.event, a.urgency, \
    a.severity, a.certainty, a.response_types, a.audience, a.headline, a.description, a.instruction, a.expires_at, \
    a.area_desc, a.area_paths, a.grid_codes, a.scope_paths, a.shapes, a.document, a.source, a.composed_by, \
    COALESCE(c.display_name, '') AS composer_name, a.created_at, a.decided_by, \
    COALESCE(d.display_name, '') AS decider_name, a.decided_at, a.decision_note, a.superseded_by \
    FROM public_alerts a LEFT JOIN users c ON c.id = a.composed_by LEFT JOIN users d ON d.id = a.decided_by";

pub fn insert(tx: &mut Tx, a: &AlertRow) {
    tx.queue(
        "INSERT INTO public_alerts (id, origin, state, identifier, sender, sent, sent_at, msg_type, status, \
         scope, refers_to, references_text, language, categories, event, urgency, severity, certainty, \
         response_types, audience, headline, description, instruction, expires_at, area_desc, area_paths, grid_codes, scope_paths, \
         shapes, document, source, composed_by, created_at, decided_by, decided_at, decision_note, \
         superseded_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, \
         ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        args![
            a.id.as_str(),
            a.origin.as_str(),
            a.state.as_str(),
            a.identifier.as_str(),
            a.sender.as_str(),
            a.sent.as_str(),
            a.sent_at,
            a.msg_type.as_str(),
            a.status.as_str(),
            a.scope.as_str(),
            a.refers_to.clone(),
            a.references_text.as_str(),
            a.language.as_str(),
            a.categories.as_str(),
            a.event.as_str(),
            a.urgency.as_str(),
            a.severity.as_str(),
            a.certainty.as_str(),
            a.response_types.as_str(),
            a.audience.as_str(),
            a.headline.as_str(),
            a.description.as_str(),
            a.instruction.as_str(),
            a.expires_at,
            a.area_desc.as_str(),
            a.area_paths.as_str(),
            a.grid_codes.as_str(),
            a.scope_paths.as_str(),
            a.shapes.as_str(),
            a.document.clone(),
            a.source.as_str(),
            a.composed_by.clone(),
            a.created_at,
            a.decided_by.clone(),
            a.decided_at,
            a.decision_note.as_str(),
            a.superseded_by.clone()
        ],
    );
}

/// Newest first; `state` narrows (`pending`, `published`, `received` …).
pub async fn list(db: &Db, state: Option<&str>) -> Result<Vec<AlertRow>> {
    match state {
        Some(s) => {
            db.fetch_all(
                &format!(
                    "{SELECT} WHERE a.state = ? ORDER BY a.created_at DESC, a.id DESC LIMIT 500"
                ),
                args![s],
            )
            .await
        }
        None => {
            db.fetch_all(
                &format!("{SELECT} ORDER BY a.created_at DESC, a.id DESC LIMIT 500"),
                args![],
            )
            .await
        }
    }
}

pub async fn get(db: &Db, id: &str) -> Result<Option<AlertRow>> {
    db.fetch_optional(&format!("{SELECT} WHERE a.id = ?"), args![id])
        .await
}

pub async fn get_tx(tx: &mut Tx, id: &str) -> Result<Option<AlertRow>> {
    tx.fetch_optional(&format!("{SELECT} WHERE a.id = ?"), args![id])
        .await
}

pub async fn by_identifier(db: &Db, identifier: &str) -> Result<Option<AlertRow>> {
    db.fetch_optional(
        &format!(
            "{SELECT} WHERE a.identifier = ? AND a.origin = 'composed' AND a.state = 'published'"
        ),
        args![identifier],
    )
    .await
}

/// Whether a received alert with this sender and identifier is already kept.
pub async fn known(db: &Db, sender: &str, identifier: &str) -> Result<Option<String>> {
    let row: Option<(String,)> = db
        .fetch_optional(
            "SELECT id FROM public_alerts WHERE sender = ? AND identifier = ?",
            args![sender, identifier],
        )
        .await?;
    Ok(row.map(|r| r.0))
}

/// Published alerts of this platform for the public feed, newest first.
pub async fn feed(db: &Db, limit: i64) -> Result<Vec<AlertRow>> {
    db.fetch_all(
        &format!(
            "{SELECT} WHERE a.origin = 'composed' AND a.state = 'published' AND a.scope = 'Public' \
             ORDER BY a.sent_at DESC, a.id DESC LIMIT ?"
        ),
        args![limit],
    )
    .await
}

/// Publishes a pending alert (once: a second decision finds it no longer pending); `false` when it was not.
pub async fn publish(
    tx: &mut Tx,
    id: &str,
    by: &str,
    at: i64,
    sent: &str,
    document: &str,
    note: &str,
) -> Result<bool> {
    let n = tx
        .execute(
            "UPDATE public_alerts SET state = 'published', sent = ?, sent_at = ?, document = ?, \
             decided_by = ?, decided_at = ?, decision_note = ? WHERE id = ? AND state = 'pending'",
            args![sent, at, document, by, at, note, id],
        )
        .await?;
    if n != 1 {
        return Ok(false);
    }
    // Published: partners hear of it in the same transaction.
    if let Some(a) = get_tx(tx, id).await? {
        let area_path = a
            .area_paths
            .split_whitespace()
            .next()
            .unwrap_or("/")
            .to_string();
        tx.emit(pingan_domain::sharing::Event {
            event_type: pingan_domain::sharing::EventType::AlertPublished,
            aggregate_id: a.id.clone(),
            area_path: area_path.clone(),
            occurred_at: at,
            data: pingan_domain::sharing::object(serde_json::json!({
                "identifier": a.identifier,
                "msg_type": a.msg_type,
                "event": a.event,
                "urgency": a.urgency,
                "severity": a.severity,
                "certainty": a.certainty,
                "headline": a.headline,
                "area_desc": a.area_desc,
                "area_path": area_path,
                "sent": pingan_domain::sharing::rfc3339(at),
                "expires": a.expires_at.map(pingan_domain::sharing::rfc3339),
            })),
        });
    }
    Ok(true)
}

pub async fn reject(tx: &mut Tx, id: &str, by: &str, at: i64, note: &str) -> Result<bool> {
    let n = tx
        .execute(
            "UPDATE public_alerts SET state = 'rejected', decided_by = ?, decided_at = ?, decision_note = ? \
             WHERE id = ? AND state = 'pending'",
            args![by, at, note, id],
        )
        .await?;
    Ok(n == 1)
}

/// Marks the original of an update or cancel as superseded (once); `false` when something else
/// already superseded it.
pub async fn supersede(tx: &mut Tx, original: &str, by: &str) -> Result<bool> {
    let n = tx
        .execute(
            "UPDATE public_alerts SET superseded_by = ? WHERE id = ? AND state = 'published' \
             AND superseded_by IS NULL",
            args![by, original],
        )
        .await?;
    Ok(n == 1)
}

/// Received alerts this one updates or cancels (matched by sender and identifier) are marked superseded.
pub fn supersede_received(tx: &mut Tx, sender: &str, identifier: &str, by: &str) {
    tx.queue(
        "UPDATE public_alerts SET superseded_by = ? WHERE origin = 'imported' AND sender = ? \
         AND identifier = ? AND superseded_by IS NULL",
        args![by, sender, identifier],
    );
}

/// Active users holding one of `roles` (the service keeps those whose scope covers the alert).
pub async fn users_in_roles(db: &Db, roles: &[&str]) -> Result<Vec<String>> {
    let rows: Vec<(String, String)> = db
        .fetch_all(
            "SELECT id, role FROM users WHERE NOT disabled ORDER BY id",
            args![],
        )
        .await?;
    Ok(rows
        .into_iter()
        .filter(|(_, r)| roles.contains(&r.as_str()))
        .map(|(id, _)| id)
        .collect())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FeedRow {
    pub url: String,
    pub polled_at: i64,
    pub ok_at: Option<i64>,
    pub received: i64,
    pub last_error: String,
}

/// Records one reading of a feed: `received` alerts kept, `error` empty when it was read whole.
pub async fn record_feed(db: &Db, url: &str, at: i64, received: i64, error: &str) -> Result<()> {
    let ok_at = error.is_empty().then_some(at);
    let mut tx = db.begin().await?;
    let n = tx
        .execute(
            "UPDATE cap_feeds SET polled_at = ?, ok_at = COALESCE(?, ok_at), received = received + ?, \
             last_error = ? WHERE url = ?",
            args![at, ok_at, received, error, url],
        )
        .await?;
    if n == 0 {
        tx.execute(
            "INSERT INTO cap_feeds (url, polled_at, ok_at, received, last_error) VALUES (?, ?, ?, ?, ?)",
            args![url, at, ok_at, received, error],
        )
        .await?;
    }
    tx.commit_audited(vec![]).await
}

pub async fn feeds(db: &Db) -> Result<Vec<FeedRow>> {
    db.fetch_all(
        "SELECT url, polled_at, ok_at, received, last_error FROM cap_feeds ORDER BY url",
        args![],
    )
    .await
}
