//! Intake (接警) shared by every channel: the location is resolved to grid, village, area type and the
//! responsible station; the incident is written with its `received` event and audit record; and the
//! duplicate and repeat-location detectors run over what is already stored, in the same transaction.

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, Problems};
use crate::locate::locate_for;
use crate::rekey;
use crate::state::AppState;
use crate::validate::{live_instant, location, optional_text, phone, text, type_code};
use pingan_domain::Permission;
use pingan_domain::audit::{AuditEntry, AuditOutcome};
use pingan_domain::incident::{Channel, Level, RepeatRules, Sighting, TypeCode};
use pingan_store::Db;
use pingan_store::incidents::{self, Around, IncidentRow, SightingRow};
use rand::Rng;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An incident as a channel hands it over, already validated field by field.
#[derive(Debug, Clone)]
pub struct Report {
    pub channel: Channel,
    pub type_code: TypeCode,
    pub level: Level,
    pub description: String,
    pub address: String,
    /// WGS-84.
    pub lng: f64,
    pub lat: f64,
    pub caller_name: Option<String>,
    pub caller_phone: Option<String>,
    pub reporter_user_id: Option<String>,
    pub camera_code: Option<String>,
    pub snapshot_ref: Option<String>,
    pub event_type: Option<String>,
    /// When the reporter says it happened / the device saw it (defaults to receipt).
    pub reported_at: Option<i64>,
}

/// A likely duplicate of the new incident.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DuplicateHint {
    pub id: String,
    pub number: String,
    pub type_code: String,
    pub status: String,
    pub distance_m: f64,
    /// UTC microseconds.
    pub received_at: i64,
    /// The same caller (by the blind index of their phone) called about it within the window.
    pub same_caller: bool,
}

/// Dispute/domestic incidents at the same place: offer to open a dispute case (矛盾纠纷).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RepeatHint {
    /// Incidents at this location in the window, the new one included.
    pub count: usize,
    pub window_days: i64,
    pub incident_ids: Vec<String>,
    pub suggestion: String,
}

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Suggestions {
    /// Open incidents of the same category nearby and recent: merge instead of dispatching twice.
    pub duplicates: Vec<DuplicateHint>,
    pub repeat_location: Option<RepeatHint>,
}

const TRACKING_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

fn tracking_code() -> String {
    let mut rng = rand::thread_rng();
    (0..10)
        .map(|_| TRACKING_ALPHABET[rng.gen_range(0..TRACKING_ALPHABET.len())] as char)
        .collect()
}

/// Writes the incident. `who` is the recording staff member, whose scope must hold the location, or
/// `None` for public channels, whose records are attributed to the channel. Returns the stored row and
/// the detectors' suggestions.
pub async fn receive(
    state: &AppState,
    report: Report,
    who: Option<&Actor>,
    ip: Option<String>,
) -> ApiResult<(IncidentRow, Suggestions)> {
    let p = prepare(state, report, who, ip).await?;
    let mut tx = state.db.begin().await?;
    let (row, entry) = record_in(&mut tx, p).await?;
    tx.commit_audited(vec![entry]).await?;
    let suggestions = after(state, &row).await?;
    Ok((row, suggestions))
}

/// An incident located and checked, ready to be written in the caller's transaction.
pub struct Prepared {
    new: incidents::NewIncident,
    district: String,
    ip: Option<String>,
}

/// Everything [`receive`] checks, without writing: the rate limit of the public channels, where it
/// lies (in the caller's scope), whether its type is in use.
pub async fn prepare(
    state: &AppState,
    report: Report,
    who: Option<&Actor>,
    ip: Option<String>,
) -> ApiResult<Prepared> {
    // The public channels answer anyone: a flood from one address is refused before any work.
    if who.is_none() && report.channel.is_public() {
        crate::rate::check(
            state,
            "public_report",
            ip.as_deref(),
            state.config.dispatch.public_reports_per_ip_per_minute,
        )
        .await?;
    }
    let (located, active) = locate_for(
        &state.db,
        report.lng,
        report.lat,
        Some(report.type_code.as_str()),
    )
    .await?;
    if who.is_some_and(|a| !a.scope.covers_area_path(&located.area_path)) {
        return Err(ApiError::invalid(
            "lng",
            "the location lies outside your scope",
        ));
    }
    let now = state.now();
    if active != Some(true) {
        return Err(ApiError::invalid(
            "type_code",
            format!(
                "{} is not an incident type in use here",
                report.type_code.as_str()
            ),
        ));
    }
    let channel_name = format!("channel:{}", report.channel.code());
    let (actor_id, actor_name) = match who {
        Some(a) => (Some(a.user_id.clone()), a.username.clone()),
        None => (None, channel_name.clone()),
    };
    let new = incidents::NewIncident {
        tracking_code: report.channel.is_public().then(tracking_code),
        channel: report.channel.code().into(),
        type_code: report.type_code.as_str().into(),
        level: i64::from(report.level.get()),
        description: report.description,
        address: report.address,
        lng: report.lng,
        lat: report.lat,
        grid_code: located.grid_code,
        village_code: located.village_code,
        area_path: located.area_path.clone(),
        area_type: located.area_type,
        station_org_id: located.station_org_id,
        caller_name_sealed: report
            .caller_name
            .as_deref()
            .map(|n| state.cipher.seal(rekey::CALLER_NAME, n)),
        caller_phone_index: report
            .caller_phone
            .as_deref()
            .map(|p| state.cipher.phone_index(p)),
        caller_phone_sealed: report
            .caller_phone
            .as_deref()
            .map(|p| state.cipher.seal(rekey::CALLER_PHONE, p)),
        reporter_user_id: report.reporter_user_id,
        camera_code: report.camera_code,
        snapshot_ref: report.snapshot_ref,
        event_type: report.event_type,
        reported_at: report.reported_at.unwrap_or(now),
        received_at: now,
        local_date: pingan_domain::time::local_date(pingan_domain::time::from_micros(now)),
        actor_id: actor_id.clone(),
        actor_name: actor_name.clone(),
    };
    let district = located
        .area_path
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or("000000")
        .to_string();
    Ok(Prepared { new, district, ip })
}

/// Writes a prepared incident in `tx`; answers it with its audit entry for the caller's commit.
pub async fn record_in(
    tx: &mut pingan_store::Tx,
    p: Prepared,
) -> ApiResult<(IncidentRow, AuditEntry)> {
    let Prepared { new, district, ip } = p;
    let row = incidents::insert(tx, &district, &new).await?;
    let entry = AuditEntry {
        at: new.received_at,
        actor_id: new.actor_id.clone(),
        actor_name: new.actor_name.clone(),
        action: "incident.receive".into(),
        object_type: "incident".into(),
        object_id: Some(row.id.clone()),
        outcome: AuditOutcome::Ok,
        purpose: None,
        ip,
        detail: serde_json::json!({
            "number": row.number, "channel": row.channel, "type": row.type_code,
            "grid": row.grid_code,
        })
        .to_string(),
    };
    Ok((row, entry))
}

/// What follows a committed intake: the duplicate and repeat-location hints and the 民转刑 watch.
pub async fn after(state: &AppState, row: &IncidentRow) -> ApiResult<Suggestions> {
    // Advisory only, so read after the commit (outside the write lock).
    let suggestions = detect(&state.db, &state.config.dispatch.repeat, row).await?;
    // 民转刑 watch: a violent incident at a disputed place or with a dispute's party. The incident is
    // stored either way; a failed watch is logged, not turned into a failed intake.
    if let Err(e) = crate::mediation::clock::watch_incident(state, row).await {
        tracing::warn!(error = %e, incident = %row.number, "criminal-turn watch failed");
    }
    Ok(suggestions)
}

fn sighting(r: &SightingRow) -> Sighting<'_> {
    Sighting {
        id: &r.id,
        type_code: &r.type_code,
        address: &r.address,
        lng: r.lng,
        lat: r.lat,
        received_at: r.received_at,
        open: r.status().is_open(),
    }
}

/// The dispatcher needs the few nearest candidates, not every report of a busy street.
const MAX_DUPLICATE_HINTS: usize = 10;

/// A box around a point at least `radius_m` wide in every direction.
fn bbox_around(lng: f64, lat: f64, radius_m: f64) -> [f64; 4] {
    let dlat = radius_m / 111_000.0 * 1.01;
    let dlng = dlat / lat.to_radians().cos().max(0.01);
    [lng - dlng, lat - dlat, lng + dlng, lat + dlat]
}

/// Runs the duplicate and repeat-location rules for `new` against stored incidents.
pub async fn detect(db: &Db, rules: &RepeatRules, new: &IncidentRow) -> ApiResult<Suggestions> {
    let dist = |a: (f64, f64), b: (f64, f64)| pingan_geo::distance_m(a.0, a.1, b.0, b.1);
    let me = Sighting {
        id: &new.id,
        type_code: &new.type_code,
        address: &new.address,
        lng: new.lng,
        lat: new.lat,
        received_at: new.received_at,
        open: true,
    };
    let window = rules.duplicate_window_minutes * 60_000_000;
    let mut around = vec![Around {
        bbox: bbox_around(new.lng, new.lat, rules.duplicate_radius_m),
        since: new.received_at - window,
        until: new.received_at + window,
    }];
    let repeat = rules.counts_for_repeat(&new.type_code);
    let repeat_since = new.received_at - rules.repeat_window_days * 86_400_000_000;
    if repeat {
        around.push(Around {
            bbox: bbox_around(new.lng, new.lat, rules.repeat_radius_m),
            since: repeat_since,
            until: new.received_at,
        });
    }
    // One query for both rules; each rule applies its own radius and window to the pool.
    let pool = incidents::sightings(
        db,
        &around,
        repeat.then_some((new.address.as_str(), repeat_since, new.received_at)),
    )
    .await?;
    let others: Vec<Sighting> = pool.iter().map(sighting).collect();
    let duplicates = rules
        .duplicates(&me, &others, dist)
        .into_iter()
        .take(MAX_DUPLICATE_HINTS)
        .filter_map(|(s, d)| {
            pool.iter().find(|r| r.id == s.id).map(|r| DuplicateHint {
                id: r.id.clone(),
                number: r.number.clone(),
                type_code: r.type_code.clone(),
                status: r.status.clone(),
                distance_m: (d * 10.0).round() / 10.0,
                received_at: r.received_at,
                same_caller: false,
            })
        })
        .collect();
    let mut duplicates: Vec<DuplicateHint> = duplicates;
    // The same caller again within the window, wherever they placed it: an open incident they reported.
    if let Some(index) = &new.caller_phone_index {
        let again = incidents::same_caller(
            db,
            index,
            new.received_at - window,
            new.received_at + window,
            &new.id,
        )
        .await?;
        for r in again.iter().filter(|r| r.status().is_open()) {
            let full = duplicates.len() >= MAX_DUPLICATE_HINTS;
            match duplicates.iter_mut().find(|h| h.id == r.id) {
                Some(h) => h.same_caller = true,
                None if !full => duplicates.push(DuplicateHint {
                    id: r.id.clone(),
                    number: r.number.clone(),
                    type_code: r.type_code.clone(),
                    status: r.status.clone(),
                    distance_m: (dist((new.lng, new.lat), (r.lng, r.lat)) * 10.0).round() / 10.0,
                    received_at: r.received_at,
                    same_caller: true,
                }),
                None => {}
            }
        }
    }
    let mut repeat_location = None;
    if repeat {
        let hits = rules.repeat_location(&me, &others, dist);
        if !hits.is_empty() {
            let mut ids: Vec<String> = hits.iter().map(|s| s.id.to_string()).collect();
            ids.push(new.id.clone());
            repeat_location = Some(RepeatHint {
                count: ids.len(),
                window_days: rules.repeat_window_days,
                incident_ids: ids,
                suggestion: "open a dispute case (矛盾纠纷) for this location".into(),
            });
        }
    }
    Ok(Suggestions {
        duplicates,
        repeat_location,
    })
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"channel": "call_110", "type_code": "500100", "level": 3,
    "description": "老人在枫桥老街走失，家属求助", "address": "枫桥镇陈家社区东门",
    "lng": 120.415083, "lat": 29.61625, "caller_name": "张先生", "caller_phone": "13800001111"}))]
pub struct NewIncident {
    /// call_110 (default; 110 operator), grid_report (网格员), patrol (巡逻发现) or volunteer
    /// (a 群防群治 team member).
    pub channel: Option<String>,
    /// 6-digit type code (see /api/v1/incident-types).
    pub type_code: String,
    /// 1 (most urgent) – 4; default 2 for 110 calls, 3 for reports.
    pub level: Option<i64>,
    pub description: String,
    pub address: String,
    pub lng: f64,
    pub lat: f64,
    /// Coordinate system of lng/lat: wgs84 (default, = CGCS2000), gcj02 or bd09.
    pub crs: Option<String>,
    pub caller_name: Option<String>,
    pub caller_phone: Option<String>,
    /// When it happened (RFC 3339), if not now.
    pub reported_at: Option<String>,
}

/// Staff intake, shared by the API and the operator/grid-worker forms.
pub async fn intake_as(
    state: &AppState,
    actor: &Actor,
    req: NewIncident,
) -> ApiResult<(pingan_store::incidents::IncidentRow, Suggestions)> {
    let report = report_as(state, actor, req).await?;
    receive(state, report, Some(actor), actor.ip.clone()).await
}

/// A staff report checked field by field (the channel's permission first), not yet located.
pub async fn report_as(state: &AppState, actor: &Actor, req: NewIncident) -> ApiResult<Report> {
    let channel: Channel = req
        .channel
        .as_deref()
        .unwrap_or("call_110")
        .parse()
        .map_err(|m: String| ApiError::invalid("channel", format!("channel {m}")))?;
    match channel {
        Channel::Call110 => actor.require(state, Permission::IncidentIntake).await?,
        Channel::GridReport | Channel::Patrol => {
            if !(actor.can(Permission::IncidentIntake)
                || actor.can(Permission::IncidentReport)
                || actor.can(Permission::IncidentRespond))
            {
                actor.require(state, Permission::IncidentReport).await?;
            }
        }
        Channel::Volunteer => actor.require(state, Permission::TeamReport).await?,
        _ => {
            return Err(ApiError::invalid(
                "channel",
                "staff record call_110, grid_report, patrol or volunteer; the public channels have their own endpoints",
            ));
        }
    }
    checked(state, channel, req, Some(actor.user_id.clone()))
}

/// An incident's fields checked one by one, every problem named at once (the staff forms, the API
/// and partners' inbound events use the same checks).
pub fn checked(
    state: &AppState,
    channel: Channel,
    req: NewIncident,
    reporter_user_id: Option<String>,
) -> ApiResult<Report> {
    // Every field is checked before answering, so the form shows all its problems at once.
    let mut problems = Problems::default();
    let code = problems.check(type_code("type_code", &req.type_code))?;
    let default_level = if channel == Channel::Call110 { 2 } else { 3 };
    let level = problems.check(
        Level::new(req.level.unwrap_or(default_level))
            .map_err(|e| ApiError::invalid("level", e.to_string())),
    )?;
    let description = problems.check(text("description", &req.description, 2000))?;
    let address = problems.check(text("address", &req.address, 200))?;
    let place = problems.check(location(req.lng, req.lat, req.crs.as_deref()))?;
    let caller_name =
        problems.check(optional_text("caller_name", req.caller_name.as_deref(), 50))?;
    let caller_phone = problems.check(phone("caller_phone", req.caller_phone.as_deref()))?;
    let reported_at = problems.check(live_instant(
        state,
        "reported_at",
        req.reported_at.as_deref(),
    ))?;
    problems.finish()?;
    let (
        Some(code),
        Some(level),
        Some(description),
        Some(address),
        Some((lng, lat)),
        Some(caller_name),
        Some(caller_phone),
        Some(reported_at),
    ) = (
        code,
        level,
        description,
        address,
        place,
        caller_name,
        caller_phone,
        reported_at,
    )
    else {
        return Err(ApiError::Internal(anyhow::anyhow!(
            "an intake value is missing without a problem noted"
        )));
    };
    Ok(Report {
        channel,
        type_code: code,
        level,
        description,
        address,
        lng,
        lat,
        caller_name,
        caller_phone,
        reporter_user_id,
        camera_code: None,
        snapshot_ref: None,
        event_type: None,
        reported_at,
    })
}
