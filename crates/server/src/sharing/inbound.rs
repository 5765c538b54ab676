//! Inbound events: a partner system (the grid platform, the 12345 hotline, 数字城管) posts a CloudEvent
//! signed with its inbound key, and it becomes a record through the same checks as the staff forms —
//! `incident.report` an incident on the `partner` channel, `dispute.report` a dispute (source
//! `partner`) registered at the tier it asks for, `risk.report` a risk in the register (source
//! `partner`) — located where the partner's agreements reach. Disputes and risks are registered by
//! the partner's service account (made on first use, disabled: it never logs in), so every record
//! names who it came from.
//! Idempotent by the partner's event id: the record and the "accepted" row are written in one
//! transaction under a unique index, so a replay (even a concurrent one) is refused with the record
//! it made the first time. Every refusal is kept for the partner's admin page.

use crate::auth::partner_actor;
use crate::dispatch::raised as intake;
use crate::error::{ApiError, ApiResult};
use crate::mediation::raised as mediation;
use crate::rekey::SHARING_INBOUND_SECRET as INBOUND_SECRET_AAD;
use crate::risks::raised as risks;
use crate::signed::Signing;
use crate::state::AppState;
use axum::http::StatusCode;
use pingan_domain::audit::{AuditEntry, AuditOutcome};
use pingan_domain::incident::Channel;
use pingan_store::StoreError;
use pingan_store::sharing::{self as store, InboundRow};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::Value;
use utoipa::ToSchema;

/// The event types partners may send.
pub const INBOUND_TYPES: &[&str] = &["incident.report", "dispute.report", "risk.report"];

/// An incident as a partner reports it (`data` of `incident.report`).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InboundIncident {
    /// 6-digit incident type code.
    pub type_code: String,
    /// 1 (most urgent) – 4; default 3.
    #[serde(default)]
    pub level: Option<i64>,
    pub description: String,
    pub address: String,
    pub lng: f64,
    pub lat: f64,
    /// wgs84 (default), gcj02 or bd09.
    #[serde(default)]
    pub crs: Option<String>,
    #[serde(default)]
    pub caller_name: Option<String>,
    #[serde(default)]
    pub caller_phone: Option<String>,
    /// When it happened (RFC 3339), if not now.
    #[serde(default)]
    pub reported_at: Option<String>,
}

/// A dispute as a partner hands it over (`data` of `dispute.report`): checked as the registration
/// form checks it; the grade is the one its risk factors suggest.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InboundDispute {
    /// Two-digit dispute type (see /api/v1/dispute-types).
    pub type_code: String,
    pub title: String,
    pub description: String,
    pub address: String,
    pub lng: f64,
    pub lat: f64,
    /// wgs84 (default), gcj02 or bd09.
    #[serde(default)]
    pub crs: Option<String>,
    #[serde(default)]
    pub people_involved: Option<i64>,
    #[serde(default)]
    pub amount_yuan: Option<i64>,
    #[serde(default)]
    pub violence_threat: bool,
    #[serde(default)]
    pub self_harm_threat: bool,
    #[serde(default)]
    pub vulnerable_party: bool,
    /// Where mediation starts: grid (default), village, township or district.
    #[serde(default)]
    pub tier: Option<String>,
    /// The parties as the partner knows them; their identity is sealed like any registration's.
    #[serde(default)]
    pub parties: Vec<mediation::PartyRequest>,
}

/// A risk as a partner reports it (`data` of `risk.report`; 数字城管 or the grid platform finding a
/// hazard): checked as the register checks a report. Where: the grid, or a point whose grid is
/// looked up.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InboundRisk {
    /// 1–100 characters.
    pub title: String,
    /// Risk category code (see the register's categories).
    pub category: String,
    pub level: pingan_domain::risk::RiskLevel,
    /// At most 2000 characters.
    #[serde(default)]
    pub detail: Option<String>,
    /// The grid it is in; looked up from lng/lat when absent.
    #[serde(default)]
    pub grid_code: Option<String>,
    /// Where exactly (WGS-84).
    #[serde(default)]
    pub lng: Option<f64>,
    #[serde(default)]
    pub lat: Option<f64>,
}

/// What an accepted event became.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InboundAccepted {
    pub event_id: String,
    pub object_type: String,
    pub object_id: String,
    /// The record's number (警情编号 or 纠纷编号); a risk's id (the register numbers none).
    pub number: String,
}

/// The refusal kept for the admin page, in its own transaction (the event itself stores nothing).
async fn refuse(
    state: &AppState,
    partner: &str,
    event_id: Option<&str>,
    event_type: Option<&str>,
    err: ApiError,
) -> ApiError {
    let message = match err.problems().first() {
        Some(p) => format!("{}: {}", p.field, p.message),
        None => err.to_string(),
    };
    let row = InboundRow {
        id: pingan_store::new_id(),
        partner_org_id: partner.to_string(),
        event_id: event_id.map(|s| s.chars().take(200).collect()),
        event_type: event_type.map(|s| s.chars().take(100).collect()),
        outcome: "refused".into(),
        object_type: None,
        object_id: None,
        error: Some(message.clone()),
        received_at: state.now(),
    };
    let write = async {
        let mut tx = state.db.begin().await?;
        store::record_inbound(&mut tx, &row);
        tx.commit_audited(vec![entry(
            state,
            partner,
            "sharing.inbound.refuse",
            AuditOutcome::Denied,
            &serde_json::json!({"event": row.event_id, "error": message}),
        )])
        .await
    };
    if let Err(e) = write.await {
        tracing::warn!(error = %e, "recording a refused inbound event failed");
    }
    err
}

fn entry(
    state: &AppState,
    partner: &str,
    action: &str,
    outcome: AuditOutcome,
    detail: &Value,
) -> AuditEntry {
    AuditEntry {
        at: state.now(),
        actor_id: None,
        actor_name: format!("partner:{partner}"),
        action: action.into(),
        object_type: "org".into(),
        object_id: Some(partner.to_string()),
        outcome,
        purpose: None,
        ip: None,
        detail: detail.to_string(),
    }
}

/// Takes one signed event from `partner`.
pub async fn receive(
    state: &AppState,
    partner: &str,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
) -> ApiResult<InboundAccepted> {
    let ep = store::endpoint_of(&state.db, partner)
        .await?
        .ok_or(ApiError::NotFound)?;
    let secret = state
        .cipher
        .open(INBOUND_SECRET_AAD, &ep.inbound_secret_sealed)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("inbound key: {e}")))?;
    let now_s = state.now() / 1_000_000;
    let signing = Signing::parse(&ep.signing).unwrap_or(Signing::HmacSm3);
    if let Err(e) = crate::signed::verify_with(
        signing,
        &secret,
        state.config.sharing.inbound_max_skew_seconds,
        now_s,
        timestamp,
        signature,
        body,
    ) {
        return Err(refuse(state, partner, None, None, e).await);
    }
    if !ep.enabled {
        let e = ApiError::bad_request_status(
            StatusCode::FORBIDDEN,
            "sharing_disabled",
            "this partner's endpoint is disabled",
        );
        return Err(refuse(state, partner, None, None, e).await);
    }
    let envelope: Value = match serde_json::from_slice(body) {
        Ok(v @ Value::Object(_)) => v,
        _ => {
            let e = ApiError::bad_request(
                "invalid_json",
                "the body must be a CloudEvent (a JSON object)",
                None,
            );
            return Err(refuse(state, partner, None, None, e).await);
        }
    };
    let id = envelope["id"]
        .as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty() && s.len() <= 200);
    let kind = envelope["type"].as_str();
    let bad = |field: &str, m: &str| ApiError::invalid(field, m.to_string());
    let checked = if envelope["specversion"] != "1.0" {
        Err(bad("specversion", "must be \"1.0\" (CloudEvents 1.0)"))
    } else if id.is_none() {
        Err(bad(
            "id",
            "the event's id, 1–200 characters (replays are refused by it)",
        ))
    } else if !kind.is_some_and(|k| INBOUND_TYPES.contains(&k)) {
        Err(bad("type", &format!("one of {}", INBOUND_TYPES.join(", "))))
    } else if !envelope["data"].is_object() {
        Err(bad("data", "the event's data, a JSON object"))
    } else {
        Ok(())
    };
    if let Err(e) = checked {
        return Err(refuse(state, partner, id, kind, e).await);
    }
    let (id, kind) = (id.unwrap_or_default(), kind.unwrap_or_default());
    if let Some(first) = store::accepted_inbound(&state.db, partner, id).await? {
        let e = duplicate(&first);
        return Err(refuse(state, partner, Some(id), Some(kind), e).await);
    }
    let made = match kind {
        "dispute.report" => dispute(state, partner, id, kind, &envelope["data"]).await,
        "risk.report" => risk(state, partner, id, kind, &envelope["data"]).await,
        _ => incident(state, partner, id, kind, &envelope["data"]).await,
    };
    match made {
        Ok(a) => Ok(a),
        Err(e) => Err(refuse(state, partner, Some(id), Some(kind), e.within("data.")).await),
    }
}

fn duplicate(first: &InboundRow) -> ApiError {
    ApiError::bad_request_status(
        StatusCode::CONFLICT,
        "duplicate_event",
        &format!(
            "event {} was accepted before: {} {}",
            first.event_id.as_deref().unwrap_or(""),
            first.object_type.as_deref().unwrap_or(""),
            first.object_id.as_deref().unwrap_or("")
        ),
    )
}

/// The event's `data` as `T`; a problem names the field by its path inside `data`.
fn parse<T: DeserializeOwned>(data: &Value) -> ApiResult<T> {
    serde_path_to_error::deserialize(data.clone())
        .map_err(|e| ApiError::invalid(&e.path().to_string(), e.inner().to_string()))
}

/// The areas of the partner's agreements in force, refused when there are none.
async fn reach(state: &AppState, partner: &str) -> ApiResult<Vec<String>> {
    let areas = agreed_areas(state, partner).await?;
    if areas.is_empty() {
        return Err(ApiError::bad_request_status(
            StatusCode::FORBIDDEN,
            "sharing_no_agreement",
            "no sharing agreement with this partner is in force",
        ));
    }
    Ok(areas)
}

/// What one accepted event made, for its "accepted" row and the answer.
struct Made {
    object_type: &'static str,
    object_id: String,
    number: String,
}

/// Writes the "accepted" row beside the record in `tx` and commits both with the record's audit
/// entries; a concurrent acceptance of the same event id leaves nothing of this one.
async fn accept(
    state: &AppState,
    mut tx: pingan_store::Tx,
    partner: &str,
    (id, kind): (&str, &str),
    made: Made,
    mut audit: Vec<AuditEntry>,
) -> ApiResult<InboundAccepted> {
    store::record_inbound(
        &mut tx,
        &InboundRow {
            id: pingan_store::new_id(),
            partner_org_id: partner.to_string(),
            event_id: Some(id.to_string()),
            event_type: Some(kind.to_string()),
            outcome: "accepted".into(),
            object_type: Some(made.object_type.into()),
            object_id: Some(made.object_id.clone()),
            error: None,
            received_at: state.now(),
        },
    );
    audit.push(entry(
        state,
        partner,
        "sharing.inbound.accept",
        AuditOutcome::Ok,
        &serde_json::json!({"event": id, made.object_type: made.object_id}),
    ));
    match tx.commit_audited(audit).await {
        Ok(()) => Ok(InboundAccepted {
            event_id: id.to_string(),
            object_type: made.object_type.into(),
            object_id: made.object_id,
            number: made.number,
        }),
        // The same event id accepted a moment ago by a concurrent request: nothing of this one
        // was written.
        Err(StoreError::Conflict(_)) => {
            let first = store::accepted_inbound(&state.db, partner, id).await?;
            Err(first.as_ref().map_or_else(
                || {
                    ApiError::bad_request_status(
                        StatusCode::CONFLICT,
                        "duplicate_event",
                        "accepted before",
                    )
                },
                duplicate,
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// `incident.report` → an incident on the partner channel, where the partner's agreements reach.
async fn incident(
    state: &AppState,
    partner: &str,
    id: &str,
    kind: &str,
    data: &Value,
) -> ApiResult<InboundAccepted> {
    let d: InboundIncident = parse(data)?;
    let req = intake::NewIncident {
        channel: None,
        type_code: d.type_code,
        level: d.level,
        description: d.description,
        address: d.address,
        lng: d.lng,
        lat: d.lat,
        crs: d.crs,
        caller_name: d.caller_name,
        caller_phone: d.caller_phone,
        reported_at: d.reported_at,
    };
    let report = intake::checked(state, Channel::Partner, req, None)?;
    let areas = reach(state, partner).await?;
    let (located, _) = crate::locate::locate_for(&state.db, report.lng, report.lat, None).await?;
    if !areas
        .iter()
        .any(|a| located.area_path.starts_with(a.as_str()))
    {
        return Err(ApiError::invalid(
            "lng",
            "the location lies outside the areas agreed with you",
        ));
    }
    let prepared = intake::prepare(state, report, None, None).await?;
    let mut tx = state.db.begin().await?;
    let (row, mut receipt) = intake::record_in(&mut tx, prepared).await?;
    receipt.actor_name = format!("partner:{partner}");
    let made = Made {
        object_type: "incident",
        object_id: row.id.clone(),
        number: row.number.clone(),
    };
    let accepted = accept(state, tx, partner, (id, kind), made, vec![receipt]).await?;
    if let Err(e) = intake::after(state, &row).await {
        tracing::warn!(error = %e, "after-intake checks failed");
    }
    Ok(accepted)
}

/// `dispute.report` → a dispute registered as the registration form would (source `partner`),
/// where the partner's agreements reach; the tier's mediators are told as for any registration.
async fn dispute(
    state: &AppState,
    partner: &str,
    id: &str,
    kind: &str,
    data: &Value,
) -> ApiResult<InboundAccepted> {
    let d: InboundDispute = parse(data)?;
    let actor = actor_of(state, partner).await?;
    let req = mediation::NewDisputeRequest {
        type_code: d.type_code,
        source: Some(pingan_domain::dispute::Source::Partner.code().into()),
        incident_id: None,
        campaign_id: None,
        title: d.title,
        description: d.description,
        address: Some(d.address),
        lng: Some(d.lng),
        lat: Some(d.lat),
        crs: d.crs,
        people_involved: d.people_involved,
        amount_yuan: d.amount_yuan,
        violence_threat: d.violence_threat,
        self_harm_threat: d.self_harm_threat,
        vulnerable_party: d.vulnerable_party,
        grade: None,
        grade_reason: None,
        tier: d.tier,
        parties: d.parties,
    };
    // The location is checked against the actor's scope: the agreements' areas.
    let prepared = mediation::prepare(state, &actor, req).await?;
    let mut tx = state.db.begin().await?;
    let (row, audit) =
        mediation::record(state, &mut tx, &actor, prepared, "dispute.registered").await?;
    let made = Made {
        object_type: "dispute",
        object_id: row.id,
        number: row.number,
    };
    accept(state, tx, partner, (id, kind), made, vec![audit]).await
}

/// `risk.report` → a risk in the register (source `partner`), in a grid the partner's agreements
/// reach; the grid of its point when it names none.
async fn risk(
    state: &AppState,
    partner: &str,
    id: &str,
    kind: &str,
    data: &Value,
) -> ApiResult<InboundAccepted> {
    let d: InboundRisk = parse(data)?;
    let actor = actor_of(state, partner).await?;
    let grid_code = match (d.grid_code, d.lng, d.lat) {
        (Some(g), _, _) => Some(g),
        (None, Some(lng), Some(lat)) => {
            crate::validate::location(lng, lat, None)?;
            let located = crate::locate::locate(&state.db, lng, lat).await?;
            Some(located.grid_code.ok_or_else(|| {
                ApiError::invalid("lng", "no grid at this location: name the grid_code")
            })?)
        }
        _ => None,
    };
    let req = risks::NewRiskReport {
        title: d.title,
        category: d.category,
        level: d.level,
        detail: d.detail,
        place_id: None,
        grid_code,
        lng: d.lng,
        lat: d.lat,
    };
    let mut tx = state.db.begin().await?;
    let risk_id = risks::register_from_partner(state, &mut tx, &actor, &req).await?;
    let audit = actor.audit_entry(
        "risk.register",
        "risk",
        Some(&risk_id),
        AuditOutcome::Ok,
        &serde_json::json!({"category": req.category, "level": req.level, "event": id}).to_string(),
    );
    let made = Made {
        object_type: "risk",
        object_id: risk_id.clone(),
        number: risk_id,
    };
    accept(state, tx, partner, (id, kind), made, vec![audit]).await
}

/// The partner acting by its service account, within its agreements' areas.
async fn actor_of(state: &AppState, partner: &str) -> ApiResult<crate::auth::Actor> {
    let areas = reach(state, partner).await?;
    let (user_id, username, name) = service_account(state, partner).await?;
    Ok(partner_actor(partner, (&user_id, &username, &name), &areas))
}

/// The partner's service account `partner-<org id>`: made on its first dispute or risk (audited),
/// disabled and with a random password no one holds, so it is a name on records, never a login.
async fn service_account(state: &AppState, partner: &str) -> ApiResult<(String, String, String)> {
    use pingan_store::users;
    let username = users::normalise_username(&format!("partner-{partner}"));
    if let Some(u) = users::by_username(&state.db, &username).await? {
        return Ok((u.id, u.username, u.display_name));
    }
    let (name,): (String,) = state
        .db
        .fetch_one(
            "SELECT name FROM orgs WHERE id = ?",
            pingan_store::args![partner],
        )
        .await?;
    let mut secret = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut secret);
    let hash = state.hashing.hash(hex::encode(secret)).await??;
    let mut tx = state.db.begin().await?;
    let made = users::insert(
        &mut tx,
        &users::NewUser {
            username: username.clone(),
            display_name: name.clone(),
            role: pingan_domain::Role::Partner,
            org_id: Some(partner.to_string()),
            mobile_sealed: None,
            password_hash: hash,
            grants: vec![],
        },
    )
    .await;
    let written = async {
        let user_id = made?;
        tx.execute(
            "UPDATE users SET disabled = ? WHERE id = ?",
            pingan_store::args![true, user_id.as_str()],
        )
        .await?;
        tx.commit_audited(vec![entry(
            state,
            partner,
            "sharing.inbound.account",
            AuditOutcome::Ok,
            &serde_json::json!({"user": user_id, "username": username}),
        )])
        .await?;
        Ok::<_, StoreError>(user_id)
    };
    match written.await {
        Ok(user_id) => Ok((user_id, username, name)),
        // Made a moment ago by a concurrent event of the same partner.
        Err(StoreError::Conflict(_)) => {
            let u = users::by_username(&state.db, &username)
                .await?
                .ok_or(ApiError::Conflict(
                    "the partner's account is being made".into(),
                ))?;
            Ok((u.id, u.username, u.display_name))
        }
        Err(e) => Err(e.into()),
    }
}

/// The areas of the partner's agreements in force today.
async fn agreed_areas(state: &AppState, partner: &str) -> ApiResult<Vec<String>> {
    let today = state.today();
    let mut out = Vec::new();
    for r in store::of_partner(&state.db, partner).await? {
        if let Ok(a) = r.agreement()
            && a.in_force(today)
        {
            out.extend(a.area_paths);
        }
    }
    Ok(out)
}
