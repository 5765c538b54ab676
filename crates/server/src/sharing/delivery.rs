//! Delivery: each partner's cursor over the outbox, worked by whichever server holds the partner's
//! lease (`sharing_endpoints.lease_*`, one conditional UPDATE per claim), so several servers share the
//! partners without two sending one partner's events. Events go in outbox order — so in order per
//! record — as CloudEvents, each under the agreement that allows it with only that agreement's
//! fields (`pingan_domain::sharing::choose`, evaluated when sent, so a revoked agreement stops at
//! the next batch). At least once: the cursor moves only after the partner acknowledged (a webhook's
//! 2xx, JetStream's publish acknowledgement), and only while the lease is still held; a server that
//! dies between sending and moving the cursor leaves the batch to be sent again, with the same ids.
//! A failure waits (exponential backoff with jitter) and is retried one event at a time; an event that
//! fails `max_attempts` times becomes a dead letter and the cursor moves past it (the admin page
//! shows it; a replay sends it again).

use super::nats::{Nats, area_tokens};
use crate::signed::Signing;
use crate::state::AppState;
use pingan_domain::sharing::{Agreement, Event, choose};
use pingan_store::outbox::{self, OutboxEvent};
use pingan_store::sharing::{self as store, DeliveryRow, EndpointRow};
use rand::Rng;
use serde_json::{Value, json};
use std::time::Duration;

/// Where a partner's events go.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// POST to the partner's URL, signed.
    Webhook,
    /// Published to the deployment's NATS JetStream stream under the partner's subjects.
    Jetstream,
}

impl Transport {
    pub fn code(self) -> &'static str {
        match self {
            Transport::Webhook => "webhook",
            Transport::Jetstream => "jetstream",
        }
    }

    pub fn parse(s: &str) -> Option<Transport> {
        [Transport::Webhook, Transport::Jetstream]
            .into_iter()
            .find(|t| t.code() == s)
    }
}

/// The wait before attempt `attempts + 1` after `attempts` failures, in µs: `base · 2^(attempts−1)`
/// up to `max`, then a random point in its upper half (so partners that failed together do not
/// all come back at once). `jitter` is in [0, 1).
pub fn backoff_micros(base_ms: u64, max_ms: u64, attempts: i64, jitter: f64) -> i64 {
    let exp = u32::try_from(attempts.clamp(1, 40) - 1).unwrap_or(0);
    let ms = base_ms
        .saturating_mul(1u64 << exp.min(30))
        .min(max_ms)
        .max(1);
    let ms = ms as f64 * (0.5 + 0.5 * jitter.clamp(0.0, 1.0));
    (ms * 1000.0) as i64
}

/// An outbox row as the domain's event (None when its type or payload no longer reads).
fn event_of(e: &OutboxEvent) -> Option<Event> {
    Some(Event {
        event_type: e.event_type()?,
        aggregate_id: e.aggregate_id.clone(),
        area_path: e.area_path.clone(),
        occurred_at: e.occurred_at,
        data: match serde_json::from_str(&e.payload).ok()? {
            Value::Object(m) => m,
            _ => return None,
        },
    })
}

/// One event as a partner receives it: a CloudEvents 1.0 envelope (structured JSON), as the
/// AsyncAPI document describes.
pub fn cloud_event(source: &str, e: &OutboxEvent, agreement_id: &str, data: Value) -> Value {
    json!({
        "specversion": "1.0",
        "id": e.id,
        "source": source,
        "type": e.event_type,
        "time": pingan_domain::sharing::rfc3339(e.occurred_at),
        "datacontenttype": "application/json",
        "dataschema": format!("urn:pingan:event:{}:{}", e.event_type, e.version),
        "subject": e.aggregate_id,
        "sequence": e.position.to_string(),
        "area": e.area_path,
        "agreement": agreement_id,
        "data": data,
    })
}

/// An event to send: where it is in the outbox, its envelope, the agreement it goes under.
struct Outgoing {
    event: OutboxEvent,
    agreement_id: String,
    envelope: Value,
}

/// The partner's agreements as the domain reads them (a stored one that no longer reads is left out
/// and logged: it allows nothing).
async fn agreements(state: &AppState, partner: &str) -> anyhow::Result<Vec<Agreement>> {
    let mut out = Vec::new();
    for row in store::of_partner(&state.db, partner).await? {
        match row.agreement() {
            Ok(a) => out.push(a),
            Err(e) => tracing::warn!(error = %e, "sharing agreement unreadable; it allows nothing"),
        }
    }
    Ok(out)
}

/// One pass over the partners due now: each one this server can claim is brought up to date (or as
/// far as a pass allows). Returns the events delivered.
pub async fn tick(state: &AppState, holder: &str) -> anyhow::Result<usize> {
    let now = state.now();
    let mut sent = 0;
    for ep in store::due(&state.db, holder, now).await? {
        let until = now + lease_micros(state);
        let Some(ep) = store::claim(&state.db, &ep.partner_org_id, holder, now, until).await?
        else {
            continue;
        };
        match serve_partner(state, ep, holder).await {
            Ok(n) => sent += n,
            Err(e) => tracing::warn!(error = %e, "sharing delivery failed"),
        }
    }
    Ok(sent)
}

fn lease_micros(state: &AppState) -> i64 {
    i64::try_from(state.config.sharing.lease_seconds.max(1)).unwrap_or(30) * 1_000_000
}

/// Batches for one claimed partner until it is caught up, a send fails, or the pass has sent 20
/// batches (the lease is renewed before each).
async fn serve_partner(
    state: &AppState,
    mut ep: EndpointRow,
    holder: &str,
) -> anyhow::Result<usize> {
    let mut sent = 0;
    for _ in 0..20 {
        let size = if ep.attempts > 0 {
            1
        } else {
            ep.batch_size.clamp(1, 500)
        };
        let events = outbox::after(&state.db, ep.position, size).await?;
        let Some(last) = events.last().map(|e| e.position) else {
            break;
        };
        let ags = agreements(state, &ep.partner_org_id).await?;
        let day = state.today();
        let mut outgoing = Vec::new();
        for e in events {
            let Some(ev) = event_of(&e) else { continue };
            if let Some((a, data)) = choose(&ags, &ev, day) {
                let envelope =
                    cloud_event(&state.config.sharing.source, &e, &a.id, Value::Object(data));
                outgoing.push(Outgoing {
                    agreement_id: a.id.clone(),
                    event: e,
                    envelope,
                });
            }
        }
        let now = state.now();
        let result = if outgoing.is_empty() {
            Ok(())
        } else {
            send(state, &ep, &outgoing).await
        };
        let (status, error, attempts) = match &result {
            Ok(()) => ("delivered", None, ep.attempts + 1),
            Err(err) if ep.attempts + 1 >= ep.max_attempts.max(1) => {
                ("dead", Some(err.clone()), ep.attempts + 1)
            }
            Err(err) => {
                let attempts = ep.attempts + 1;
                let wait = backoff_micros(
                    state.config.sharing.retry_base_ms,
                    state.config.sharing.retry_max_ms,
                    attempts,
                    rand::thread_rng().r#gen(),
                );
                store::failed(
                    &state.db,
                    &ep.partner_org_id,
                    holder,
                    ep.position,
                    attempts,
                    now + wait,
                    err,
                )
                .await?;
                tracing::info!(partner = %ep.partner_org_id, attempts, error = %err, "sharing delivery will be retried");
                break;
            }
        };
        let outcomes: Vec<DeliveryRow> = outgoing
            .iter()
            .map(|o| DeliveryRow {
                partner_org_id: ep.partner_org_id.clone(),
                position: o.event.position,
                event_id: o.event.id.clone(),
                event_type: o.event.event_type.clone(),
                agreement_id: o.agreement_id.clone(),
                status: status.into(),
                attempts,
                last_error: error.clone(),
                at: now,
            })
            .collect();
        let mut tx = state.db.begin().await?;
        let moved = store::advance(
            &mut tx,
            &ep.partner_org_id,
            holder,
            ep.position,
            last,
            &outcomes,
            now,
        )
        .await?;
        tx.commit_audited(Vec::new()).await?;
        if !moved {
            // The lease went to another server, or an administrator replayed: stop; what was sent
            // goes again under the new cursor (consumers dedupe on the id).
            break;
        }
        if status == "delivered" {
            sent += outgoing.len();
            metrics::counter!("pingan_sharing_delivered_total").increment(outgoing.len() as u64);
        } else {
            metrics::counter!("pingan_sharing_dead_letters_total").increment(outgoing.len() as u64);
        }
        let until = state.now() + lease_micros(state);
        match store::claim(&state.db, &ep.partner_org_id, holder, state.now(), until).await? {
            Some(next) => ep = next,
            None => break,
        }
    }
    Ok(sent)
}

/// Sends a batch the partner's way; the error is what the admin page shows.
async fn send(state: &AppState, ep: &EndpointRow, out: &[Outgoing]) -> Result<(), String> {
    let secret = state
        .cipher
        .open(super::SECRET_AAD, &ep.secret_sealed)
        .map_err(|e| format!("the signing key cannot be opened: {e}"))?;
    match Transport::parse(&ep.transport) {
        Some(Transport::Webhook) => webhook(state, ep, &secret, out).await,
        Some(Transport::Jetstream) => jetstream(state, ep, out).await,
        None => Err(format!("unknown transport {}", ep.transport)),
    }
}

fn http() -> &'static reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default()
    })
}

/// One POST of the batch in CloudEvents' batched content mode (a JSON array), signed over
/// `<timestamp>.<body>`; any 2xx acknowledges every event in it.
async fn webhook(
    state: &AppState,
    ep: &EndpointRow,
    secret: &str,
    out: &[Outgoing],
) -> Result<(), String> {
    let body = serde_json::to_vec(&out.iter().map(|o| &o.envelope).collect::<Vec<_>>())
        .map_err(|e| e.to_string())?;
    let signing = Signing::parse(&ep.signing).unwrap_or(Signing::HmacSm3);
    let ts = (state.now() / 1_000_000).to_string();
    let sig = signing.sign(secret, &ts, &body);
    let r = http()
        .post(&ep.url)
        .timeout(Duration::from_millis(
            state.config.sharing.request_timeout_ms.max(100),
        ))
        .header("Content-Type", "application/cloudevents-batch+json")
        .header("X-Pingan-Timestamp", &ts)
        .header("X-Pingan-Signature", sig)
        .body(body)
        .send()
        .await
        .map_err(|e| format!("POST {}: {e}", ep.url))?;
    if r.status().is_success() {
        Ok(())
    } else {
        Err(format!("POST {}: HTTP {}", ep.url, r.status().as_u16()))
    }
}

/// The JetStream subject of an event for a partner: `<prefix>.<partner>.<event type>.<area codes>`
/// (`pingan.p1.incident.received.330681.330681109`).
pub fn subject(prefix: &str, token: &str, e: &OutboxEvent) -> String {
    format!(
        "{prefix}.{token}.{}.{}",
        e.event_type,
        area_tokens(&e.area_path)
    )
}

fn nats_slot() -> &'static tokio::sync::Mutex<Option<Nats>> {
    static SLOT: std::sync::OnceLock<tokio::sync::Mutex<Option<Nats>>> = std::sync::OnceLock::new();
    SLOT.get_or_init(|| tokio::sync::Mutex::new(None))
}

/// Publishes each event (message id = event id, so JetStream drops a resend within its window) and
/// waits for each acknowledgement; the stream is created on first use. A connection error drops the
/// connection; the next attempt reconnects.
async fn jetstream(state: &AppState, ep: &EndpointRow, out: &[Outgoing]) -> Result<(), String> {
    let cfg = &state.config.sharing;
    if cfg.nats_url.is_empty() {
        return Err("sharing.nats_url is not configured on this server".into());
    }
    let timeout = Duration::from_millis(cfg.request_timeout_ms.max(100));
    let mut slot = nats_slot().lock().await;
    if slot.is_none() {
        let mut n = Nats::connect(&cfg.nats_url, timeout)
            .await
            .map_err(|e| e.to_string())?;
        n.ensure_stream(&cfg.nats_stream, &format!("{}.>", cfg.subject_prefix))
            .await
            .map_err(|e| e.to_string())?;
        *slot = Some(n);
    }
    let Some(n) = slot.as_mut() else {
        return Err("no NATS connection".into());
    };
    for o in out {
        let body = serde_json::to_vec(&o.envelope).map_err(|e| e.to_string())?;
        if let Err(e) = n
            .publish(
                &subject(&cfg.subject_prefix, &ep.subject_token, &o.event),
                &o.event.id,
                &body,
            )
            .await
        {
            *slot = None;
            return Err(e.to_string());
        }
    }
    Ok(())
}

/// The running delivery loop, to stop at shutdown.
pub struct Delivery {
    stop: Option<tokio::sync::watch::Sender<bool>>,
    done: Option<tokio::task::JoinHandle<()>>,
}

impl Delivery {
    /// Lets the pass under way finish (for at most `grace`), stops the loop, and hands back the
    /// partners this server holds, so another server takes them at once instead of when the
    /// leases lapse.
    pub async fn stop(self, state: &AppState, grace: Duration) {
        let (Some(stop), Some(done)) = (self.stop, self.done) else {
            return;
        };
        let _ = stop.send(true);
        if tokio::time::timeout(grace, done).await.is_err() {
            tracing::warn!("sharing delivery did not stop within its grace; its leases will lapse");
            return;
        }
        match store::release_all(&state.db, crate::jobs::holder()).await {
            Ok(n) if n > 0 => tracing::info!(partners = n, "sharing leases handed back"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "handing back sharing leases failed"),
        }
    }
}

/// Runs [`tick`] every `sharing.poll_ms` on this server (0: never), and soon after a commit that
/// wrote events (a short pause first gathers a burst of commits into one pass).
pub fn spawn(state: &AppState) -> Delivery {
    let period = state.config.sharing.poll_ms;
    if period == 0 {
        return Delivery {
            stop: None,
            done: None,
        };
    }
    let state = state.clone();
    let (stop, mut stopping) = tokio::sync::watch::channel(false);
    let done = tokio::spawn(async move {
        let holder = crate::jobs::holder();
        let committed = pingan_store::outbox::committed();
        while !*stopping.borrow() {
            let woken = committed.notified();
            if let Err(e) = tick(&state, holder).await {
                tracing::warn!(error = %e, "sharing delivery pass failed");
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(period)) => {}
                _ = woken => tokio::time::sleep(Duration::from_millis(period.min(20))).await,
                _ = stopping.changed() => {}
            }
        }
    });
    Delivery {
        stop: Some(stop),
        done: Some(done),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap_and_keeps_to_the_upper_half() {
        assert_eq!(backoff_micros(1000, 600_000, 1, 1.0), 1_000_000);
        assert_eq!(backoff_micros(1000, 600_000, 3, 1.0), 4_000_000);
        assert_eq!(backoff_micros(1000, 600_000, 3, 0.0), 2_000_000);
        assert_eq!(backoff_micros(1000, 600_000, 30, 1.0), 600_000_000);
        assert_eq!(backoff_micros(1000, 600_000, i64::MAX, 1.0), 600_000_000);
        for j in [0.0, 0.3, 0.99] {
            let w = backoff_micros(1000, 600_000, 5, j);
            assert!((8_000_000..=16_000_000).contains(&w), "{w}");
        }
    }
}
