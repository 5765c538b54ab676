//! Reading other agencies' CAP feeds (`[public_alerts] feeds`): every `poll_seconds`, on one server
//! (the job's lease), each address is read; an Atom feed gives its entries (the CAP document linked
//! from each, else the one inline), a CAP document is itself. Each alert goes through the same check
//! and storage as an upload; those already kept are skipped, so a feed read twice keeps each alert
//! once. What a feed brought and its last refusal (naming the element) are kept per address for the
//! alerts page.

use super::{AlertRow, MAX_DOCUMENT, store_received};
use crate::error::ApiError;
use crate::state::AppState;
use pingan_domain::audit::{AuditEntry, AuditOutcome};
use pingan_domain::cap;
use pingan_store::public_alerts as store;
use std::time::Duration;

/// Who the audit names for alerts a feed brought.
pub const FEED_ACTOR: &str = "system:cap-feeds";
/// Largest feed read (a CAP document is at most `MAX_DOCUMENT`).
const MAX_FEED: usize = 8 << 20;
/// Entries read from one feed per pass.
const MAX_ENTRIES: usize = 200;

fn entry(row: &AlertRow, at: i64, url: &str) -> AuditEntry {
    AuditEntry {
        at,
        actor_id: None,
        actor_name: FEED_ACTOR.into(),
        action: "public_alert.receive".into(),
        object_type: "public_alert".into(),
        object_id: Some(row.id.clone()),
        outcome: AuditOutcome::Ok,
        purpose: None,
        ip: None,
        detail:
            serde_json::json!({"sender": row.sender, "identifier": row.identifier, "feed": url})
                .to_string(),
    }
}

async fn fetch(
    client: &reqwest::Client,
    url: &reqwest::Url,
    limit: usize,
) -> Result<String, String> {
    let mut resp = client
        .get(url.clone())
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    if !resp.status().is_success() {
        return Err(format!("{url}: HTTP {}", resp.status()));
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| format!("{url}: {e}"))? {
        body.extend_from_slice(&chunk);
        if body.len() > limit {
            return Err(format!("{url}: larger than {limit} bytes"));
        }
    }
    String::from_utf8(body).map_err(|_| format!("{url}: not UTF-8 text"))
}

/// One feed read: alerts kept, and the problems met (empty when all was read and accepted).
async fn read_feed(
    state: &AppState,
    client: &reqwest::Client,
    address: &str,
) -> (i64, Vec<String>) {
    let mut problems = Vec::new();
    let Ok(url) = reqwest::Url::parse(address) else {
        return (0, vec![format!("{address}: not an address")]);
    };
    let body = match fetch(client, &url, MAX_FEED).await {
        Ok(b) => b,
        Err(e) => return (0, vec![e]),
    };
    let mut documents: Vec<(String, Result<String, String>)> = Vec::new();
    if cap::is_atom(&body) {
        let entries = match cap::feed_entries(&body) {
            Ok(e) => e,
            Err(e) => return (0, vec![format!("{url}: {e}")]),
        };
        for e in entries.into_iter().take(MAX_ENTRIES) {
            match (e.link, e.inline) {
                (Some(link), _) => match url.join(&link) {
                    Ok(u) => {
                        let doc = fetch(client, &u, MAX_DOCUMENT).await;
                        documents.push((u.to_string(), doc));
                    }
                    Err(_) => {
                        problems.push(format!("{url}: entry link {link:?} is not an address"))
                    }
                },
                (None, Some(inline)) => documents.push((url.to_string(), Ok(inline))),
                (None, None) => problems.push(format!(
                    "{url}: an entry with neither a CAP link nor a CAP document"
                )),
            }
        }
    } else {
        documents.push((url.to_string(), Ok(body)));
    }
    let mut kept = 0;
    for (source, doc) in documents {
        let doc = match doc {
            Ok(d) => d,
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        let at = state.now();
        match store_received(state, &doc, &source, |row| entry(row, at, address)).await {
            Ok(Some(_)) => kept += 1,
            Ok(None) => {}
            Err(ApiError::Invalid(ps)) => {
                problems.extend(ps.iter().map(|p| format!("{source}: {}", p.message)));
            }
            Err(e) => problems.push(format!("{source}: {e}")),
        }
    }
    (kept, problems)
}

/// Reads every configured feed once; returns the alerts kept.
pub async fn poll(state: &AppState) -> anyhow::Result<usize> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::limited(3))
        .build()?;
    let mut total = 0;
    for address in &state.config.public_alerts.feeds {
        let (kept, problems) = read_feed(state, &client, address).await;
        if !problems.is_empty() {
            tracing::warn!(feed = %crate::config::mask_url_password(address), problems = problems.len(), first = %problems[0], "CAP feed");
        }
        let error: String = problems.join("\n").chars().take(2000).collect();
        store::record_feed(&state.db, address, state.now(), kept, &error).await?;
        total += kept as usize;
    }
    Ok(total)
}

/// The feeds every `public_alerts.poll_seconds` (0, or no feeds: off), on one server a period.
pub fn job(state: &AppState) -> crate::jobs::Job {
    let c = &state.config.public_alerts;
    let period = if c.feeds.is_empty() {
        0
    } else {
        c.poll_seconds
    };
    crate::jobs::Job::new("cap_feeds", Duration::from_secs(period), |state| {
        Box::pin(async move { poll(&state).await })
    })
}
