//! Registering a dispute (登记受理): location → grid and village, the grade suggested from the answered
//! risk factors (an override needs a reason), the starting tier and its clock, and the parties, whose
//! identity is sealed with SM4-GCM before it reaches the database (masked copies and blind indexes beside).

use super::notify_tier;
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, Problem, Problems};
use crate::state::AppState;
use crate::validate::{location, optional_text, phone, text};
use pingan_domain::audit::AuditOutcome;
use pingan_domain::dispute::PartyRole;
use pingan_domain::dispute::{PartyKind, RiskFactors, Source, Tier};
use pingan_domain::mask::{mask_id_number, mask_name, mask_phone};
use pingan_domain::{CitizenId, CreditCode, Permission};
use pingan_store::disputes::{self, DisputeRow, NewDispute, NewParty};
use pingan_store::incidents::{self, Around};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDisputeRequest {
    /// Two-digit dispute type (see /api/v1/dispute-types).
    pub type_code: String,
    /// manual (default), hotline, sms, web, mobile, wechat, visit, incident_transfer, repeat_location or grid_screening.
    pub source: Option<String>,
    /// The incident this came from (110 transfer, repeat location); its place is used when none is given.
    pub incident_id: Option<String>,
    /// The 排查 campaign this was found in (its grids must hold the location).
    pub campaign_id: Option<String>,
    pub title: String,
    pub description: String,
    pub address: Option<String>,
    pub lng: Option<f64>,
    pub lat: Option<f64>,
    /// wgs84 (default), gcj02 or bd09.
    pub crs: Option<String>,
    pub people_involved: Option<i64>,
    pub amount_yuan: Option<i64>,
    #[serde(default)]
    pub violence_threat: bool,
    #[serde(default)]
    pub self_harm_threat: bool,
    #[serde(default)]
    pub vulnerable_party: bool,
    /// The grade decided; the suggestion when absent. Differing from the suggestion needs `grade_reason`.
    pub grade: Option<String>,
    pub grade_reason: Option<String>,
    /// Where mediation starts: grid (default), village, township or district.
    pub tier: Option<String>,
    #[serde(default)]
    pub parties: Vec<PartyRequest>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartyRequest {
    /// person (default) or organisation.
    pub kind: Option<String>,
    /// applicant (申请人), respondent (被申请人) or party (default).
    pub role: Option<String>,
    pub name: String,
    /// Persons: 18-digit citizen ID (check digit verified).
    pub id_number: Option<String>,
    /// Organisations: 18-character unified social credit code.
    pub credit_code: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    #[serde(default)]
    pub vulnerable: bool,
}

/// Seals one party. Columns named for the associated data, so a value cannot be moved between them.
fn seal_party(state: &AppState, i: usize, p: &PartyRequest) -> ApiResult<NewParty> {
    let f = |name: &str| format!("parties[{i}].{name}");
    let kind: PartyKind = p
        .kind
        .as_deref()
        .unwrap_or("person")
        .parse()
        .map_err(|m: String| ApiError::invalid(&f("kind"), format!("kind {m}")))?;
    let role = p.role.as_deref().unwrap_or("party");
    role.parse::<PartyRole>()
        .map_err(|m| ApiError::invalid(&f("role"), format!("role {m}")))?;
    // Name, identity number, phone and address are checked together: every problem is answered.
    let mut problems = Problems::default();
    let name = problems.check(text(&f("name"), &p.name, 100))?;
    let c = &state.cipher;
    let id_number = p
        .id_number
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let credit_code = p
        .credit_code
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let (id_plain, id_masked) = match kind {
        PartyKind::Person => {
            if p.credit_code.is_some() {
                problems.push(Problem::new(
                    &f("credit_code"),
                    "person_has_no_credit_code",
                    "a person has an id_number, not a credit_code",
                ));
            }
            match id_number.map(CitizenId::parse) {
                None => (None, None),
                Some(Ok(id)) => {
                    let v = id.as_str().to_string();
                    (Some(v.clone()), Some(mask_id_number(&v)))
                }
                Some(Err(e)) => {
                    problems.push(Problem::new(&f("id_number"), e.code(), e.to_string()));
                    (None, None)
                }
            }
        }
        PartyKind::Organisation => {
            if p.id_number.is_some() {
                problems.push(Problem::new(
                    &f("id_number"),
                    "organisation_has_no_id_number",
                    "an organisation has a credit_code, not an id_number",
                ));
            }
            match credit_code.map(CreditCode::parse) {
                None => (None, None),
                // A registered organisation's code is public.
                Some(Ok(code)) => (
                    Some(code.as_str().to_string()),
                    Some(code.as_str().to_string()),
                ),
                Some(Err(e)) => {
                    problems.push(Problem::new(&f("credit_code"), e.code(), e.to_string()));
                    (None, None)
                }
            }
        }
    };
    let phone = problems
        .check(phone(&f("phone"), p.phone.as_deref()))?
        .flatten();
    let address = problems
        .check(optional_text(&f("address"), p.address.as_deref(), 200))?
        .flatten();
    problems.finish()?;
    let name = name.unwrap_or_default();
    Ok(NewParty {
        kind: kind.code().into(),
        role: role.into(),
        // An organisation's name is not personal data.
        name_masked: match kind {
            PartyKind::Person => mask_name(&name),
            PartyKind::Organisation => name.clone(),
        },
        name_sealed: c.seal("dispute_parties.name", &name),
        id_index: id_plain
            .as_deref()
            .map(|v| c.blind_index("dispute_parties.id", v)),
        id_sealed: id_plain.as_deref().map(|v| c.seal("dispute_parties.id", v)),
        id_masked,
        phone_masked: phone.as_deref().map(mask_phone),
        phone_index: phone.as_deref().map(|v| phone_index(state, v)),
        phone_sealed: phone.as_deref().map(|v| c.seal("dispute_parties.phone", v)),
        address_sealed: address
            .as_deref()
            .map(|v| c.seal("dispute_parties.address", v)),
        vulnerable: p.vulnerable,
    })
}

/// Blind index of a phone number, digits only (so "138-1234-5678" and "13812345678" match).
pub fn phone_index(state: &AppState, phone: &str) -> String {
    state.cipher.phone_index(phone)
}

/// A box at least `radius_m` around a point.
pub fn bbox_around(lng: f64, lat: f64, radius_m: f64) -> [f64; 4] {
    let dlat = radius_m / 111_000.0 * 1.01;
    let dlng = dlat / lat.to_radians().cos().max(0.01);
    [lng - dlng, lat - dlat, lng + dlng, lat + dlat]
}

/// Registers a dispute; returns the stored row.
pub async fn register(
    state: &AppState,
    actor: &Actor,
    req: NewDisputeRequest,
) -> ApiResult<DisputeRow> {
    actor.require(state, Permission::DisputeManage).await?;
    if let Some(iid) = &req.incident_id
        && let Some(d) = disputes::for_incident(&state.db, iid).await?
    {
        return Err(ApiError::Conflict(format!(
            "this incident was already handed to mediation as dispute {}",
            d.number
        )));
    }
    let p = prepare(state, actor, req).await?;
    let mut tx = state.db.begin().await?;
    let (row, audit) = record(state, &mut tx, actor, p, "dispute.registered").await?;
    tx.commit_audited(vec![audit]).await?;
    Ok(row)
}

/// A dispute checked and sealed, ready to be written in the caller's transaction.
pub struct Prepared {
    new: NewDispute,
    parties: Vec<NewParty>,
    district: String,
}

/// The dispute an incident becomes when the dispatcher hands it to mediation (110 移交调解): its
/// place, description and caller (as the applicant) carried over, starting at the village tier —
/// the 人民调解委员会 of the village it happened in — with the grade the factors suggest. The
/// dispatcher acts under their dispatch permission; the mediators take it from there.
pub async fn from_incident(
    state: &AppState,
    actor: &Actor,
    incident: &pingan_store::incidents::IncidentRow,
    type_code: Option<&str>,
    note: Option<&str>,
) -> ApiResult<Prepared> {
    if let Some(d) = disputes::for_incident(&state.db, &incident.id).await? {
        return Err(ApiError::Conflict(format!(
            "this incident was already handed to mediation as dispute {}",
            d.number
        )));
    }
    let c = &state.cipher;
    let open = |aad: &str, v: &Option<String>| {
        crate::rekey::open_sealed(c, aad, v.as_deref())
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("incident caller: {e}")))
    };
    let caller_name = open(crate::rekey::CALLER_NAME, &incident.caller_name_sealed)?;
    let caller_phone = open(crate::rekey::CALLER_PHONE, &incident.caller_phone_sealed)?;
    let parties = match caller_name.filter(|n| !n.trim().is_empty()) {
        Some(name) => vec![PartyRequest {
            kind: None,
            role: Some("applicant".into()),
            name,
            id_number: None,
            credit_code: None,
            // A number that no longer passes today's check is left for the mediator to ask.
            phone: caller_phone.filter(|p| crate::validate::phone("phone", Some(p)).is_ok()),
            address: None,
            vulnerable: false,
        }],
        None => vec![],
    };
    let type_code = type_code
        .map(str::to_string)
        .unwrap_or_else(|| pingan_domain::dispute::type_for_incident(&incident.type_code).into());
    let mut description = incident.description.clone();
    if let Some(n) = note.filter(|n| !n.trim().is_empty()) {
        description.push_str(&format!("\n\n移交说明：{}", n.trim()));
    }
    let title: String = format!("{} 移交：{}", incident.number, incident.address)
        .chars()
        .take(100)
        .collect();
    let req = NewDisputeRequest {
        type_code,
        source: Some("incident_transfer".into()),
        incident_id: Some(incident.id.clone()),
        campaign_id: None,
        title,
        description: description.chars().take(4000).collect(),
        address: None,
        lng: None,
        lat: None,
        crs: None,
        people_involved: None,
        amount_yuan: None,
        violence_threat: false,
        self_harm_threat: false,
        vulnerable_party: false,
        grade: None,
        grade_reason: None,
        tier: Some("village".into()),
        parties,
    };
    prepare(state, actor, req).await
}

/// Checks a registration and seals its parties (reads only; nothing is written).
pub async fn prepare(
    state: &AppState,
    actor: &Actor,
    req: NewDisputeRequest,
) -> ApiResult<Prepared> {
    let rules = &state.config.mediation.grading;
    // Every independent field is checked before answering, so a form shows all its problems at once.
    let mut problems = Problems::default();
    let type_code = req.type_code.trim().to_string();
    let types = disputes::types(&state.db).await?;
    if !types.iter().any(|t| t.code == type_code && t.active) {
        problems.push(Problem::new(
            "type_code",
            "unknown_type",
            format!("{type_code} is not a dispute type in use (see /api/v1/dispute-types)"),
        ));
    }
    let source: Source = req
        .source
        .as_deref()
        .unwrap_or(if req.incident_id.is_some() {
            "incident_transfer"
        } else if req.campaign_id.is_some() {
            "grid_screening"
        } else {
            "manual"
        })
        .parse()
        .map_err(|m: String| ApiError::invalid("source", format!("source {m}")))?;
    let title = problems.check(text("title", &req.title, 100))?;
    let description = problems.check(text("description", &req.description, 4000))?;
    let incident = match &req.incident_id {
        Some(id) => Some(
            incidents::get(&state.db, &actor.scope, id)
                .await?
                .ok_or_else(|| {
                    ApiError::invalid("incident_id", "no such incident in your scope")
                })?,
        ),
        None => None,
    };
    let place = match (req.lng, req.lat, &incident) {
        (Some(lng), Some(lat), _) => problems.check(location(lng, lat, req.crs.as_deref()))?,
        (None, None, Some(i)) => Some((i.lng, i.lat)),
        (None, None, None) => {
            problems.push(Problem::new(
                "lng",
                "location_required",
                "give the dispute's location (lng and lat) or the incident it came from",
            ));
            None
        }
        _ => {
            problems.push(Problem::new(
                "lat",
                "location_required",
                "give both lng and lat",
            ));
            None
        }
    };
    let address = match (&req.address, &incident) {
        (Some(a), _) => problems.check(text("address", a, 200))?,
        (None, Some(i)) => Some(i.address.clone()),
        (None, None) => {
            problems.push(Problem::new("address", "required", "address is required"));
            None
        }
    };
    let located = match place {
        Some((lng, lat)) => {
            match problems.check(crate::locate::locate(&state.db, lng, lat).await)? {
                Some(l) if !actor.scope.covers_area_path(&l.area_path) => {
                    problems.push(Problem::new(
                        "lng",
                        "outside_scope",
                        "the location lies outside your scope",
                    ));
                    None
                }
                l => l,
            }
        }
        None => None,
    };
    let people = req.people_involved.unwrap_or(2);
    if !(1..=100_000).contains(&people) {
        problems.push(
            Problem::new(
                "people_involved",
                "out_of_range",
                "people_involved must be 1–100000",
            )
            .with("min", 1)
            .with("max", 100_000),
        );
    }
    if let Some(yuan) = req.amount_yuan {
        problems.check(
            pingan_domain::plausible::Fen::from_yuan(yuan)
                .map_err(|e| crate::validate::implausible("amount_yuan", e)),
        )?;
    }
    if req.parties.len() > 50 {
        return Err(ApiError::invalid("parties", "at most 50 parties"));
    }
    let mut parties = Vec::with_capacity(req.parties.len());
    for (i, p) in req.parties.iter().enumerate() {
        if let Some(p) = problems.check(seal_party(state, i, p))? {
            parties.push(p);
        }
    }
    problems.finish()?;
    let (Some(title), Some(description), Some((lng, lat)), Some(address), Some(located)) =
        (title, description, place, address, located)
    else {
        return Err(ApiError::Internal(anyhow::anyhow!(
            "a registration value is missing without a problem noted"
        )));
    };
    if let Some(c) = &req.campaign_id {
        let grid = located.grid_code.as_deref().unwrap_or("");
        if !disputes::campaign_has_grid(&state.db, c, grid).await? {
            return Err(ApiError::invalid(
                "campaign_id",
                "no such screening campaign for the grid of this location",
            ));
        }
    }
    let now = state.now();
    let prior = prior_incidents(state, lng, lat, &address, now, req.incident_id.as_deref()).await?;
    let factors = RiskFactors {
        violence_threat: req.violence_threat,
        self_harm_threat: req.self_harm_threat,
        people_involved: people,
        prior_incidents: prior,
        vulnerable_party: req.vulnerable_party || req.parties.iter().any(|p| p.vulnerable),
        amount_yuan: req.amount_yuan,
    };
    let suggestion = rules.suggest(&factors);
    let grade = req.grade.clone().unwrap_or(suggestion.grade.clone());
    if rules.grade(&grade).is_none() {
        return Err(ApiError::invalid(
            "grade",
            format!(
                "grade must be one of {}",
                rules
                    .grades
                    .iter()
                    .map(|g| g.code.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let grade_reason = optional_text("grade_reason", req.grade_reason.as_deref(), 500)?;
    if grade != suggestion.grade && grade_reason.is_none() {
        return Err(ApiError::invalid(
            "grade_reason",
            format!(
                "the suggested grade is {}; say why you chose {grade}",
                suggestion.grade
            ),
        ));
    }
    let tier: Tier = req
        .tier
        .as_deref()
        .unwrap_or("grid")
        .parse()
        .map_err(|m: String| ApiError::invalid("tier", format!("tier {m}")))?;
    let due = rules
        .tier_due(&grade, tier, now, 0)
        .ok_or_else(|| ApiError::invalid("grade", "unknown grade"))?;
    let new = NewDispute {
        type_code,
        source: source.code().into(),
        incident_id: incident.as_ref().map(|i| i.id.clone()),
        campaign_id: req.campaign_id.clone(),
        title,
        description,
        address,
        lng,
        lat,
        grid_code: located.grid_code,
        village_code: located.village_code,
        area_path: located.area_path.clone(),
        people_involved: people,
        amount_yuan: req.amount_yuan,
        factors: serde_json::to_string(&factors).unwrap_or_else(|_| "{}".into()),
        suggested_grade: suggestion.grade.clone(),
        grade,
        grade_reason,
        tier: tier.code().into(),
        tier_due: due,
        registered_at: now,
        registered_by: actor.username.clone(),
        local_date: pingan_domain::time::local_date(pingan_domain::time::from_micros(now)),
    };
    let district = located
        .area_path
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or("000000")
        .to_string();
    Ok(Prepared {
        new,
        parties,
        district,
    })
}

/// Writes a prepared dispute in `tx`, tells the tier's people (`kind` names the news), and returns
/// the row with its audit entry for the caller's commit.
pub async fn record(
    state: &AppState,
    tx: &mut pingan_store::Tx,
    actor: &Actor,
    p: Prepared,
    kind: &str,
) -> ApiResult<(DisputeRow, pingan_domain::audit::AuditEntry)> {
    let Prepared {
        new,
        parties,
        district,
    } = p;
    let now = new.registered_at;
    let (id, number) = disputes::insert(
        tx,
        &district,
        &new,
        &parties,
        (Some(&actor.user_id), &actor.username),
    )
    .await?;
    let row = stored(&new, id, number);
    let tier: Tier = row.tier.parse().unwrap_or(Tier::Grid);
    let grade = state.config.mediation.grading.grade(&row.grade);
    let (grade_zh, grade_en) = grade.map_or((row.grade.as_str(), row.grade.as_str()), |g| {
        (g.name_zh.as_str(), g.name_en.as_str())
    });
    let (message, message_en) = if row.incident_id.is_some() {
        (
            format!(
                "110 移交矛盾纠纷 {}：{}（{grade_zh}）",
                row.number, row.title
            ),
            format!(
                "Dispute {} handed over from 110: {} ({grade_en})",
                row.number, row.title
            ),
        )
    } else {
        (
            format!("新登记矛盾纠纷 {}：{}（{grade_zh}）", row.number, row.title),
            format!("New dispute {}: {} ({grade_en})", row.number, row.title),
        )
    };
    notify_tier(state, tx, &row, tier, now, kind, (&message, &message_en)).await?;
    let mut e = actor.audit_entry(
        "dispute.register",
        "dispute",
        Some(&row.id),
        AuditOutcome::Ok,
        // Counts only: party identity never goes into the log.
        &serde_json::json!({"number": row.number, "grade": row.grade, "suggested": row.suggested_grade,
            "tier": row.tier, "parties": parties.len(), "incident": row.incident_id})
        .to_string(),
    );
    e.at = now;
    Ok((row, e))
}

/// The row as `insert` wrote it (no read-back).
fn stored(d: &NewDispute, id: String, number: String) -> DisputeRow {
    DisputeRow {
        id,
        number,
        type_code: d.type_code.clone(),
        source: d.source.clone(),
        incident_id: d.incident_id.clone(),
        title: d.title.clone(),
        description: d.description.clone(),
        address: d.address.clone(),
        lng: d.lng,
        lat: d.lat,
        grid_code: d.grid_code.clone(),
        village_code: d.village_code.clone(),
        area_path: d.area_path.clone(),
        people_involved: d.people_involved,
        amount_yuan: d.amount_yuan,
        factors: d.factors.clone(),
        suggested_grade: d.suggested_grade.clone(),
        grade: d.grade.clone(),
        grade_reason: d.grade_reason.clone(),
        status: "mediating".into(),
        tier: d.tier.clone(),
        tier_since: d.registered_at,
        tier_due: d.tier_due,
        extension_days: 0,
        transfer_to: None,
        outcome_note: None,
        registered_at: d.registered_at,
        registered_by: d.registered_by.clone(),
        agreed_at: None,
        failed_at: None,
        withdrawn_at: None,
        closed_at: None,
        reopened: 0,
        updated_at: d.registered_at,
    }
}

/// Earlier incidents at the place (same address or within the repeat radius) during the repeat window:
/// the `prior` grading factor. The incident the dispute came from does not count against it.
async fn prior_incidents(
    state: &AppState,
    lng: f64,
    lat: f64,
    address: &str,
    now: i64,
    own: Option<&str>,
) -> ApiResult<i64> {
    let r = &state.config.dispatch.repeat;
    let since = now - r.repeat_window_days * 86_400_000_000;
    let pool = incidents::sightings(
        &state.db,
        &[Around {
            bbox: bbox_around(lng, lat, r.repeat_radius_m),
            since,
            until: now,
        }],
        Some((address, since, now)),
    )
    .await?;
    let norm = pingan_domain::incident::normalise_address(address);
    Ok(pool
        .iter()
        .filter(|s| Some(s.id.as_str()) != own)
        .filter(|s| {
            pingan_geo::distance_m(lng, lat, s.lng, s.lat) <= r.repeat_radius_m
                || (!norm.is_empty()
                    && pingan_domain::incident::normalise_address(&s.address) == norm)
        })
        .count() as i64)
}
