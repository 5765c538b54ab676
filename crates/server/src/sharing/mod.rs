//! 警网融合 (police–grid data sharing). Changes partners may need emit events into the outbox in the
//! transaction of the change (`pingan_store::outbox`; the store's write functions emit them, so
//! every path that makes a change tells of it). A partner receives only what an approved, unexpired
//! sharing agreement allows — its event types, areas and fields, personal fields only under a named
//! legal basis — over its endpoint (a signed webhook or NATS JetStream, `delivery`), and may send
//! events in (`inbound`). Agreements are drafted by the system administrator and approved by the
//! security administrator (never the drafter); every change is audited, every delivery records the
//! agreement that allowed it.

pub mod api;
pub mod asyncapi;
pub mod delivery;
pub mod demo;
pub mod inbound;
pub mod nats;
pub mod pages;

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, Problem, Problems};
use crate::signed::Signing;
use crate::state::AppState;
use delivery::Transport;
use pingan_domain::Permission;
use pingan_domain::audit::AuditOutcome;
use pingan_domain::sharing::{AgreementStatus, EventType};
use pingan_store::sharing::{self as store, AgreementRow, EndpointRow};
use pingan_store::{new_id, orgs, outbox};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// The associated data the two keys are sealed under (kept with the other sealed columns).
pub use crate::rekey::{
    SHARING_INBOUND_SECRET as INBOUND_SECRET_AAD, SHARING_SECRET as SECRET_AAD,
};

/// A draft agreement.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSharingAgreement {
    /// The partner organisation (协作单位).
    pub partner_org_id: String,
    /// Event type (`incident.received` …) → the payload fields allowed (see /api/asyncapi.json).
    pub fields: BTreeMap<String, Vec<String>>,
    /// Area paths whose events it covers (`/330681/330681109/`).
    pub area_paths: Vec<String>,
    /// 用途: what the partner uses the data for, 1–500 characters.
    pub purpose: String,
    /// 法律依据: required when a personal field is allowed, at most 500 characters.
    #[serde(default)]
    pub legal_basis: Option<String>,
    /// `YYYY-MM-DD`, inclusive.
    pub valid_from: String,
    pub valid_to: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SharingAgreement {
    pub id: String,
    pub partner_org_id: String,
    pub partner_name: String,
    pub fields: BTreeMap<String, Vec<String>>,
    pub area_paths: Vec<String>,
    pub purpose: String,
    pub legal_basis: Option<String>,
    pub valid_from: String,
    pub valid_to: String,
    /// `pending`, `approved` or `revoked`.
    pub status: String,
    /// Approved and today within its days.
    pub in_force: bool,
    pub drafted_by: String,
    pub drafted_at: i64,
    pub approved_by: Option<String>,
    pub approved_at: Option<i64>,
    pub revoked_by: Option<String>,
    pub revoked_at: Option<i64>,
    pub revoke_reason: Option<String>,
}

fn agreement_view(state: &AppState, r: AgreementRow, partner_name: String) -> SharingAgreement {
    let fields: BTreeMap<String, Vec<String>> = serde_json::from_str(&r.fields).unwrap_or_default();
    let in_force = r.agreement().is_ok_and(|a| a.in_force(state.today()));
    SharingAgreement {
        id: r.id,
        partner_org_id: r.partner_org_id,
        partner_name,
        fields,
        area_paths: r.area_paths.split_whitespace().map(String::from).collect(),
        purpose: r.purpose,
        legal_basis: r.legal_basis,
        valid_from: r.valid_from,
        valid_to: r.valid_to,
        status: r.status,
        in_force,
        drafted_by: r.drafted_by,
        drafted_at: r.drafted_at,
        approved_by: r.approved_by,
        approved_at: r.approved_at,
        revoked_by: r.revoked_by,
        revoked_at: r.revoked_at,
        revoke_reason: r.revoke_reason,
    }
}

/// The partner organisation, or a 422 naming `field`.
async fn partner_org(state: &AppState, id: &str, field: &str) -> ApiResult<orgs::OrgRow> {
    orgs::get_unscoped(&state.db, id)
        .await?
        .filter(|o| o.kind == "partner_agency")
        .ok_or_else(|| ApiError::invalid(field, "no such partner organisation (协作单位)"))
}

async fn partner_name(state: &AppState, id: &str) -> String {
    orgs::get_unscoped(&state.db, id)
        .await
        .ok()
        .flatten()
        .map(|o| o.name)
        .unwrap_or_else(|| id.to_string())
}

fn date(field: &str, v: &str, problems: &mut Problems) -> Option<jiff::civil::Date> {
    let d = v.trim().parse().ok();
    if d.is_none() {
        problems.push(Problem::new(field, "date", "a date like 2026-12-01"));
    }
    d
}

/// Checks a draft field by field (every problem named at once).
async fn check_draft(state: &AppState, req: &NewSharingAgreement) -> ApiResult<AgreementRow> {
    let mut problems = Problems::default();
    let partner = partner_org(state, &req.partner_org_id, "partner_org_id").await;
    if let Err(e) = &partner {
        for p in e.problems() {
            problems.push(p);
        }
    }
    let purpose = problems.check(crate::validate::text("purpose", &req.purpose, 500))?;
    let basis = problems
        .check(crate::validate::optional_text(
            "legal_basis",
            req.legal_basis.as_deref(),
            500,
        ))?
        .flatten();
    if req.fields.is_empty() {
        problems.push(Problem::new(
            "fields",
            "sharing_fields",
            "name at least one event type and its fields",
        ));
    }
    for (code, names) in &req.fields {
        let at = format!("fields.{code}");
        let Some(t) = EventType::parse(code) else {
            problems.push(Problem::new(
                &at,
                "sharing_event_type",
                "no such event type",
            ));
            continue;
        };
        if names.is_empty() {
            problems.push(Problem::new(
                &at,
                "sharing_fields",
                "name at least one field",
            ));
        }
        for n in names {
            match t.field(n) {
                None => problems.push(
                    Problem::new(
                        &at,
                        "sharing_field",
                        format!("{n} is not a field of {code}"),
                    )
                    .with("name", n),
                ),
                Some(f) if f.personal && basis.is_none() => problems.push(
                    Problem::new(
                        "legal_basis",
                        "sharing_legal_basis",
                        format!("{code}.{n} is personal: name the legal basis that allows it"),
                    )
                    .with("name", n),
                ),
                Some(_) => {}
            }
        }
    }
    if req.area_paths.is_empty() {
        problems.push(Problem::new(
            "area_paths",
            "sharing_area",
            "name at least one area",
        ));
    }
    for (i, p) in req.area_paths.iter().enumerate() {
        let known =
            pingan_domain::scope::is_valid_path(p) && store::area_exists(&state.db, p).await?;
        if !known {
            problems.push(Problem::new(
                &format!("area_paths[{i}]"),
                "sharing_area",
                "no such area",
            ));
        }
    }
    let from = date("valid_from", &req.valid_from, &mut problems);
    let to = date("valid_to", &req.valid_to, &mut problems);
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            problems.push(Problem::new(
                "valid_to",
                "sharing_dates",
                "the end is not before the start",
            ));
        } else if t < state.today() {
            problems.push(Problem::new(
                "valid_to",
                "sharing_dates",
                "the end has passed",
            ));
        }
    }
    problems.finish()?;
    let (Ok(_), Some(purpose), Some(from), Some(to)) = (partner, purpose, from, to) else {
        return Err(ApiError::invalid("partner_org_id", "required"));
    };
    let now = state.now();
    Ok(AgreementRow {
        id: new_id(),
        partner_org_id: req.partner_org_id.clone(),
        fields: serde_json::to_string(&req.fields).unwrap_or_default(),
        area_paths: req.area_paths.join(" "),
        purpose,
        legal_basis: basis,
        valid_from: from.to_string(),
        valid_to: to.to_string(),
        status: AgreementStatus::Pending.code().into(),
        drafted_by: String::new(),
        drafted_at: now,
        approved_by: None,
        approved_at: None,
        revoked_by: None,
        revoked_at: None,
        revoke_reason: None,
        updated_at: now,
    })
}

pub async fn draft(
    state: &AppState,
    actor: &Actor,
    req: NewSharingAgreement,
) -> ApiResult<SharingAgreement> {
    actor.require(state, Permission::SharingManage).await?;
    let mut row = check_draft(state, &req).await?;
    row.drafted_by = actor.user_id.clone();
    let mut tx = state.db.begin().await?;
    store::insert(&mut tx, &row).await?;
    tx.commit_audited(vec![
        actor.audit_entry(
            "sharing.agreement.draft",
            "sharing_agreement",
            Some(&row.id),
            AuditOutcome::Ok,
            &serde_json::json!({"partner": row.partner_org_id, "fields": req.fields,
            "areas": req.area_paths, "purpose": row.purpose, "legal_basis": row.legal_basis,
            "valid_from": row.valid_from, "valid_to": row.valid_to})
            .to_string(),
        ),
    ])
    .await?;
    let name = partner_name(state, &row.partner_org_id).await;
    Ok(agreement_view(state, row, name))
}

pub async fn list(state: &AppState, actor: &Actor) -> ApiResult<Vec<SharingAgreement>> {
    actor.require(state, Permission::SharingRead).await?;
    let mut out = Vec::new();
    for r in store::all(&state.db).await? {
        let name = partner_name(state, &r.partner_org_id).await;
        out.push(agreement_view(state, r, name));
    }
    Ok(out)
}

async fn load(state: &AppState, id: &str) -> ApiResult<AgreementRow> {
    store::get(&state.db, id).await?.ok_or(ApiError::NotFound)
}

fn refused(e: pingan_domain::sharing::AgreementError) -> ApiError {
    ApiError::bad_request_status(
        axum::http::StatusCode::CONFLICT,
        "sharing_agreement_state",
        &e.to_string(),
    )
}

pub async fn approve(state: &AppState, actor: &Actor, id: &str) -> ApiResult<SharingAgreement> {
    actor.require(state, Permission::SharingApprove).await?;
    let row = load(state, id).await?;
    let a = row.agreement()?;
    a.approve(&actor.user_id, &row.drafted_by, state.today())
        .map_err(refused)?;
    let mut tx = state.db.begin().await?;
    if !store::approve(&mut tx, id, &actor.user_id, state.now()).await? {
        return Err(refused(pingan_domain::sharing::AgreementError::NotPending));
    }
    tx.commit_audited(vec![actor.audit_entry(
        "sharing.agreement.approve",
        "sharing_agreement",
        Some(id),
        AuditOutcome::Ok,
        &serde_json::json!({"partner": row.partner_org_id}).to_string(),
    )])
    .await?;
    let row = load(state, id).await?;
    let name = partner_name(state, &row.partner_org_id).await;
    Ok(agreement_view(state, row, name))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeSharingAgreement {
    /// Why, 1–500 characters.
    pub reason: String,
}

pub async fn revoke(
    state: &AppState,
    actor: &Actor,
    id: &str,
    req: RevokeSharingAgreement,
) -> ApiResult<SharingAgreement> {
    if !actor.can(Permission::SharingManage) {
        actor.require(state, Permission::SharingApprove).await?;
    }
    let reason = crate::validate::text("reason", &req.reason, 500)?;
    let row = load(state, id).await?;
    row.agreement()?.revoke().map_err(refused)?;
    let mut tx = state.db.begin().await?;
    if !store::revoke(&mut tx, id, &actor.user_id, state.now(), &reason).await? {
        return Err(refused(
            pingan_domain::sharing::AgreementError::AlreadyRevoked,
        ));
    }
    tx.commit_audited(vec![actor.audit_entry(
        "sharing.agreement.revoke",
        "sharing_agreement",
        Some(id),
        AuditOutcome::Ok,
        &serde_json::json!({"partner": row.partner_org_id, "reason": reason}).to_string(),
    )])
    .await?;
    let row = load(state, id).await?;
    let name = partner_name(state, &row.partner_org_id).await;
    Ok(agreement_view(state, row, name))
}

/// Where and how a partner's events go.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SharingEndpointRequest {
    pub transport: Transport,
    /// The webhook's `http://` URL (required for `webhook`).
    #[serde(default)]
    pub url: Option<String>,
    /// `hmac-sm3` (default) or `hmac-sha256`: signs deliveries and checks inbound events.
    #[serde(default)]
    pub signing: Option<String>,
    /// Events per webhook request, 1–500 (default 100).
    #[serde(default)]
    pub batch_size: Option<i64>,
    /// Attempts on an event before it becomes a dead letter, 1–100 (default 10).
    #[serde(default)]
    pub max_attempts: Option<i64>,
    /// Default true.
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// A partner's two keys, shown once when made.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SharingKeys {
    /// Deliveries to the partner are signed with this.
    pub secret: String,
    /// The partner signs its inbound events with this.
    pub inbound_secret: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SharingEndpoint {
    pub partner_org_id: String,
    pub transport: Transport,
    pub url: String,
    pub signing: String,
    /// The JetStream subjects the partner's events go to.
    pub subjects: String,
    pub batch_size: i64,
    pub max_attempts: i64,
    pub enabled: bool,
    /// Present only when the keys were made by this request.
    pub keys: Option<SharingKeys>,
}

fn endpoint_view(state: &AppState, e: &EndpointRow, keys: Option<SharingKeys>) -> SharingEndpoint {
    SharingEndpoint {
        partner_org_id: e.partner_org_id.clone(),
        transport: Transport::parse(&e.transport).unwrap_or(Transport::Webhook),
        url: e.url.clone(),
        signing: e.signing.clone(),
        subjects: format!(
            "{}.{}.>",
            state.config.sharing.subject_prefix, e.subject_token
        ),
        batch_size: e.batch_size,
        max_attempts: e.max_attempts,
        enabled: e.enabled,
        keys,
    }
}

fn new_keys(state: &AppState) -> (SharingKeys, String, String) {
    let keys = SharingKeys {
        secret: crate::auth::new_secret(),
        inbound_secret: crate::auth::new_secret(),
    };
    let s = state.cipher.seal(SECRET_AAD, &keys.secret);
    let i = state.cipher.seal(INBOUND_SECRET_AAD, &keys.inbound_secret);
    (keys, s, i)
}

/// Sets a partner's endpoint; the first time, makes its keys (returned once) and starts its cursor
/// at the outbox's head — a new partner receives what happens from now on (a replay sends earlier
/// events).
pub async fn set_endpoint(
    state: &AppState,
    actor: &Actor,
    partner: &str,
    req: SharingEndpointRequest,
) -> ApiResult<SharingEndpoint> {
    actor.require(state, Permission::SharingManage).await?;
    let org = partner_org(state, partner, "partner_org_id")
        .await
        .map_err(|_| ApiError::NotFound)?;
    let mut problems = Problems::default();
    let url = req
        .url
        .as_deref()
        .map(str::trim)
        .unwrap_or_default()
        .to_string();
    if req.transport == Transport::Webhook {
        let ok =
            reqwest::Url::parse(&url).is_ok_and(|u| u.scheme() == "http" && u.host().is_some());
        if !ok {
            problems.push(Problem::new(
                "url",
                "sharing_url",
                "an http:// URL the partner receives events at (TLS ends at the network's proxy)",
            ));
        }
    }
    let signing = req.signing.as_deref().unwrap_or("hmac-sm3");
    if Signing::parse(signing).is_none() {
        problems.push(Problem::new(
            "signing",
            "sharing_signing",
            "hmac-sm3 or hmac-sha256",
        ));
    }
    let batch = req.batch_size.unwrap_or(100);
    if !(1..=500).contains(&batch) {
        problems.push(Problem::new("batch_size", "sharing_batch", "1 to 500"));
    }
    let attempts = req.max_attempts.unwrap_or(10);
    if !(1..=100).contains(&attempts) {
        problems.push(Problem::new("max_attempts", "sharing_attempts", "1 to 100"));
    }
    if req.transport == Transport::Jetstream && state.config.sharing.nats_url.is_empty() {
        problems.push(Problem::new(
            "transport",
            "sharing_nats",
            "JetStream needs sharing.nats_url in the server's configuration",
        ));
    }
    problems.finish()?;
    let now = state.now();
    let existing = store::endpoint_of(&state.db, partner).await?;
    let mut row = EndpointRow {
        id: new_id(),
        partner_org_id: partner.to_string(),
        transport: req.transport.code().into(),
        url,
        signing: signing.into(),
        secret_sealed: String::new(),
        inbound_secret_sealed: String::new(),
        subject_token: nats::token(&org.id),
        batch_size: batch,
        max_attempts: attempts,
        enabled: req.enabled.unwrap_or(true),
        position: outbox::head(&state.db).await?,
        attempts: 0,
        next_attempt_at: 0,
        last_error: None,
        last_success_at: None,
        lease_holder: None,
        lease_until: 0,
        created_at: now,
        updated_at: now,
    };
    let mut tx = state.db.begin().await?;
    let keys = match &existing {
        Some(e) => {
            row.subject_token = e.subject_token.clone();
            store::update_endpoint(&mut tx, &row).await?;
            None
        }
        None => {
            let (keys, s, i) = new_keys(state);
            row.secret_sealed = s;
            row.inbound_secret_sealed = i;
            store::insert_endpoint(&mut tx, &row).await?;
            Some(keys)
        }
    };
    tx.commit_audited(vec![
        actor.audit_entry(
            "sharing.endpoint.set",
            "org",
            Some(partner),
            AuditOutcome::Ok,
            &serde_json::json!({"transport": row.transport, "url": row.url, "signing": row.signing,
            "batch_size": batch, "max_attempts": attempts, "enabled": row.enabled,
            "keys_made": keys.is_some()})
            .to_string(),
        ),
    ])
    .await?;
    let stored = store::endpoint_of(&state.db, partner)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(endpoint_view(state, &stored, keys))
}

/// New keys for a partner (the old ones stop working at once).
pub async fn rotate_keys(state: &AppState, actor: &Actor, partner: &str) -> ApiResult<SharingKeys> {
    actor.require(state, Permission::SharingManage).await?;
    let (keys, s, i) = new_keys(state);
    let mut tx = state.db.begin().await?;
    if !store::set_secrets(&mut tx, partner, &s, &i, state.now()).await? {
        return Err(ApiError::NotFound);
    }
    tx.commit_audited(vec![actor.audit_entry(
        "sharing.keys.rotate",
        "org",
        Some(partner),
        AuditOutcome::Ok,
        "{}",
    )])
    .await?;
    Ok(keys)
}

/// Where a replay starts.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SharingReplay {
    /// Send again every event after this outbox position (the `sequence` partners see, minus one).
    #[serde(default)]
    pub after_position: Option<i64>,
    /// Or: every event that happened at or after this time (RFC 3339).
    #[serde(default)]
    pub since: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SharingReplayed {
    /// The cursor now: delivery resumes after it.
    pub position: i64,
    /// Events between the cursor and the outbox's head.
    pub pending: i64,
}

pub async fn replay(
    state: &AppState,
    actor: &Actor,
    partner: &str,
    req: SharingReplay,
) -> ApiResult<SharingReplayed> {
    actor.require(state, Permission::SharingManage).await?;
    store::endpoint_of(&state.db, partner)
        .await?
        .ok_or(ApiError::NotFound)?;
    let head = outbox::head(&state.db).await?;
    let position = match (req.after_position, req.since.as_deref()) {
        (Some(p), None) if (0..=head).contains(&p) => p,
        (Some(_), None) => {
            return Err(ApiError::invalid(
                "after_position",
                format!("a position from 0 to {head}"),
            ));
        }
        (None, Some(t)) => {
            let at: jiff::Timestamp = t
                .parse()
                .map_err(|_| ApiError::invalid("since", "an RFC 3339 time"))?;
            outbox::position_before(&state.db, at.as_microsecond()).await?
        }
        _ => {
            return Err(ApiError::invalid(
                "after_position",
                "give after_position or since (one of them)",
            ));
        }
    };
    let mut tx = state.db.begin().await?;
    store::rewind(&mut tx, partner, position, state.now()).await?;
    tx.commit_audited(vec![actor.audit_entry(
        "sharing.replay",
        "org",
        Some(partner),
        AuditOutcome::Ok,
        &serde_json::json!({"after_position": position}).to_string(),
    )])
    .await?;
    Ok(SharingReplayed {
        position,
        pending: head - position,
    })
}

/// One event's outcome at a partner.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SharingDelivery {
    pub position: i64,
    pub event_id: String,
    pub event_type: String,
    /// The agreement that allowed it.
    pub agreement_id: String,
    /// `delivered` or `dead`.
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub at: i64,
}

/// An event a partner sent in.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SharingInbound {
    pub event_id: Option<String>,
    pub event_type: Option<String>,
    /// `accepted` or `refused`.
    pub outcome: String,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub error: Option<String>,
    pub received_at: i64,
}

/// A partner's delivery as its administrators watch it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SharingPartner {
    pub partner_org_id: String,
    pub partner_name: String,
    pub endpoint: Option<SharingEndpoint>,
    /// The last outbox position handled, and the outbox's head.
    pub position: i64,
    pub head: i64,
    /// Events not yet handled.
    pub lag_events: i64,
    /// Age of the oldest event not yet handled, in seconds (0 when caught up).
    pub lag_seconds: i64,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub last_success_at: Option<i64>,
    pub delivered: i64,
    pub dead: i64,
    pub agreements: Vec<SharingAgreement>,
    pub dead_letters: Vec<SharingDelivery>,
    pub recent: Vec<SharingDelivery>,
    pub inbound: Vec<SharingInbound>,
}

fn delivery_view(d: store::DeliveryRow) -> SharingDelivery {
    SharingDelivery {
        position: d.position,
        event_id: d.event_id,
        event_type: d.event_type,
        agreement_id: d.agreement_id,
        status: d.status,
        attempts: d.attempts,
        last_error: d.last_error,
        at: d.at,
    }
}

/// One partner's status; `lists` adds its agreements, dead letters, recent deliveries and inbound.
pub async fn partner_status(
    state: &AppState,
    partner: &str,
    lists: bool,
) -> ApiResult<SharingPartner> {
    let name = partner_name(state, partner).await;
    let head = outbox::head(&state.db).await?;
    let ep = store::endpoint_of(&state.db, partner).await?;
    let position = ep.as_ref().map_or(head, |e| e.position);
    let lag_seconds = match outbox::after(&state.db, position, 1).await?.first() {
        Some(e) => ((state.now() - e.occurred_at) / 1_000_000).max(0),
        None => 0,
    };
    let (delivered, dead) = store::delivery_counts(&state.db, partner).await?;
    let (agreements, dead_letters, recent, inbound) = if lists {
        let mut ags = Vec::new();
        for r in store::of_partner(&state.db, partner).await? {
            ags.push(agreement_view(state, r, name.clone()));
        }
        (
            ags,
            store::deliveries(&state.db, partner, "dead", 50)
                .await?
                .into_iter()
                .map(delivery_view)
                .collect(),
            store::deliveries(&state.db, partner, "delivered", 50)
                .await?
                .into_iter()
                .map(delivery_view)
                .collect(),
            store::inbound(&state.db, partner, 50)
                .await?
                .into_iter()
                .map(|r| SharingInbound {
                    event_id: r.event_id,
                    event_type: r.event_type,
                    outcome: r.outcome,
                    object_type: r.object_type,
                    object_id: r.object_id,
                    error: r.error,
                    received_at: r.received_at,
                })
                .collect(),
        )
    } else {
        Default::default()
    };
    Ok(SharingPartner {
        partner_org_id: partner.to_string(),
        partner_name: name,
        endpoint: ep.as_ref().map(|e| endpoint_view(state, e, None)),
        position,
        head,
        lag_events: head - position,
        lag_seconds,
        attempts: ep.as_ref().map_or(0, |e| e.attempts),
        next_attempt_at: ep.as_ref().map_or(0, |e| e.next_attempt_at),
        last_error: ep.as_ref().and_then(|e| e.last_error.clone()),
        last_success_at: ep.as_ref().and_then(|e| e.last_success_at),
        delivered,
        dead,
        agreements,
        dead_letters,
        recent,
        inbound,
    })
}

/// Every partner organisation with its delivery status.
pub async fn partners(state: &AppState, actor: &Actor) -> ApiResult<Vec<SharingPartner>> {
    actor.require(state, Permission::SharingRead).await?;
    let mut out = Vec::new();
    for (id, _) in store::partner_orgs(&state.db).await? {
        out.push(partner_status(state, &id, false).await?);
    }
    Ok(out)
}

pub async fn partner(state: &AppState, actor: &Actor, id: &str) -> ApiResult<SharingPartner> {
    actor.require(state, Permission::SharingRead).await?;
    partner_org(state, id, "id")
        .await
        .map_err(|_| ApiError::NotFound)?;
    partner_status(state, id, true).await
}

/// A partner's own view: its agreements, what it received and what it sent in.
pub async fn mine(state: &AppState, actor: &Actor) -> ApiResult<SharingPartner> {
    actor.require(state, Permission::SharingOwn).await?;
    let org = actor.org_id.clone().ok_or(ApiError::NotFound)?;
    partner_org(state, &org, "org")
        .await
        .map_err(|_| ApiError::NotFound)?;
    let mut s = partner_status(state, &org, true).await?;
    // The partner sees its endpoint's settings, not the delivery internals of others.
    if let Some(e) = s.endpoint.as_mut() {
        e.keys = None;
    }
    Ok(s)
}
