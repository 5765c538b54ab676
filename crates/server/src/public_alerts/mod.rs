//! 预警信息发布 (public safety alerts, OASIS CAP 1.2). An alert — a new fraud pattern, a flood
//! warning passed on — is composed with its CAP category, urgency, severity, certainty and audience,
//! over grids and areas whose boundaries become its CAP polygons. Someone other than the composer
//! who holds the area approves it; only then is it published: a CAP 1.2 document that never changes,
//! listed in the Atom feed `/cap/alerts.atom`. An update or a cancel is a new alert that references
//! the original (`msgType` Update/Cancel, `references` = sender,identifier,sent) and supersedes it
//! when published.
//!
//! Alerts of other agencies are imported (an upload, or the feeds in `[public_alerts] feeds` read on a
//! schedule by `feeds`), checked against the CAP 1.2 schema by `domain::cap` — a refused document names the element and
//! stores nothing — and shown on the map beside ours.

pub mod api;
pub mod demo;
pub mod feed;
pub mod feeds;
pub mod pages;

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, Problem, Problems};
use crate::notifications::{self, Notice};
use crate::state::AppState;
use pingan_domain::Permission;
use pingan_domain::audit::AuditOutcome;
use pingan_domain::cap::{self, Category, Certainty, MsgType, ResponseType, Severity, Urgency};
use pingan_store::new_id;
use pingan_store::public_alerts::{self as store, AlertRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// At most this many polygons in one alert (a township of many grids: choose the grids).
const MAX_POLYGONS: usize = 200;

/// The alert's area for the map: WGS-84 `[lat, lon]` rings and `[lat, lon, radius_km]` circles.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct AlertShapes {
    pub polygons: Vec<Vec<[f64; 2]>>,
    pub circles: Vec<[f64; 3]>,
}

/// A public alert, composed here or received.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicAlert {
    pub id: String,
    /// `composed` (here) or `imported` (from another agency).
    pub origin: String,
    /// Composed: `pending` (awaiting approval), `published` or `rejected`; imported: `received`.
    pub state: String,
    /// CAP `<identifier>`.
    pub identifier: String,
    /// CAP `<sender>`.
    pub sender: String,
    /// CAP `<sent>` (empty until published).
    pub sent: String,
    pub msg_type: String,
    pub status: String,
    pub scope: String,
    /// The alert this one updates or cancels (ours).
    pub refers_to: Option<String>,
    /// CAP `<references>` as written.
    pub references: String,
    pub language: String,
    pub categories: Vec<String>,
    pub event: String,
    pub urgency: String,
    pub severity: String,
    pub certainty: String,
    pub response_types: Vec<String>,
    pub audience: String,
    pub headline: String,
    pub description: String,
    pub instruction: String,
    pub expires_at: Option<i64>,
    pub area_desc: String,
    /// The areas and grids it was drawn from (composed alerts).
    pub area_paths: Vec<String>,
    pub grid_codes: Vec<String>,
    /// The area paths those lie in: who holds one sees the alert; an approver holds them all.
    pub scope_paths: Vec<String>,
    pub shapes: AlertShapes,
    /// A received alert's file name or feed address.
    pub source: String,
    pub composed_by: String,
    pub created_at: i64,
    pub decided_by: String,
    pub decided_at: Option<i64>,
    pub decision_note: String,
    /// The later alert that updated or cancelled this one.
    pub superseded_by: Option<String>,
    /// The CAP document's address, once published.
    pub document_url: Option<String>,
}

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(String::from).collect()
}

pub fn view(r: AlertRow) -> PublicAlert {
    let document_url = (r.origin == "composed" && r.state == "published")
        .then(|| format!("/cap/alerts/{}.xml", r.identifier));
    PublicAlert {
        shapes: serde_json::from_str(&r.shapes).unwrap_or_default(),
        categories: words(&r.categories),
        response_types: words(&r.response_types),
        area_paths: words(&r.area_paths),
        scope_paths: words(&r.scope_paths),
        grid_codes: words(&r.grid_codes),
        id: r.id,
        origin: r.origin,
        state: r.state,
        identifier: r.identifier,
        sender: r.sender,
        sent: r.sent,
        msg_type: r.msg_type,
        status: r.status,
        scope: r.scope,
        refers_to: r.refers_to,
        references: r.references_text,
        language: r.language,
        event: r.event,
        urgency: r.urgency,
        severity: r.severity,
        certainty: r.certainty,
        audience: r.audience,
        headline: r.headline,
        description: r.description,
        instruction: r.instruction,
        expires_at: r.expires_at,
        area_desc: r.area_desc,
        source: r.source,
        composed_by: r.composer_name,
        created_at: r.created_at,
        decided_by: r.decider_name,
        decided_at: r.decided_at,
        decision_note: r.decision_note,
        superseded_by: r.superseded_by,
        document_url,
    }
}

/// An alert to compose. For an update or a cancel, a field left out keeps the original's value.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPublicAlert {
    /// `Alert` (default), `Update` or `Cancel`.
    #[serde(default)]
    pub msg_type: Option<String>,
    /// For an update or cancel: the published alert (ours) it replaces.
    #[serde(default)]
    pub references_id: Option<String>,
    /// `Actual` (default), `Exercise` or `Test`.
    #[serde(default)]
    pub status: Option<String>,
    /// CAP categories: Geo, Met, Safety, Security, Rescue, Fire, Health, Env, Transport, Infra,
    /// CBRNE, Other.
    #[serde(default)]
    pub categories: Option<Vec<String>>,
    /// What happened (e.g. 冒充客服退款诈骗), 1–100 characters.
    #[serde(default)]
    pub event: Option<String>,
    /// Immediate, Expected, Future, Past, Unknown.
    #[serde(default)]
    pub urgency: Option<String>,
    /// Extreme, Severe, Moderate, Minor, Unknown.
    #[serde(default)]
    pub severity: Option<String>,
    /// Observed, Likely, Possible, Unlikely, Unknown.
    #[serde(default)]
    pub certainty: Option<String>,
    /// Shelter, Evacuate, Prepare, Execute, Avoid, Monitor, Assess, AllClear, None.
    #[serde(default)]
    pub response_types: Option<Vec<String>>,
    /// Who it is for (e.g. 枫桥镇居民、商户), at most 200 characters.
    #[serde(default)]
    pub audience: Option<String>,
    /// 1–160 characters.
    #[serde(default)]
    pub headline: Option<String>,
    /// 1–2000 characters.
    #[serde(default)]
    pub description: Option<String>,
    /// What to do, at most 1000 characters.
    #[serde(default)]
    pub instruction: Option<String>,
    /// When it stops applying (RFC 3339, in the future).
    #[serde(default)]
    pub expires: Option<String>,
    /// Areas (their grids' boundaries) it covers, in your scope.
    #[serde(default)]
    pub area_paths: Option<Vec<String>>,
    /// Grids it covers, in your scope.
    #[serde(default)]
    pub grid_codes: Option<Vec<String>>,
}

/// A decision on a pending alert.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertDecision {
    /// `true` publishes it, `false` rejects it (a note is then required).
    pub approve: bool,
    /// At most 500 characters.
    #[serde(default)]
    pub note: Option<String>,
}

/// A CAP document received from another agency.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertImport {
    /// The CAP 1.2 XML document, at most 1 MiB.
    pub document: String,
    /// Where it came from (a file name), at most 200 characters.
    #[serde(default)]
    pub source: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AlertListQuery {
    /// `pending`, `published`, `rejected` or `received`.
    pub state: Option<String>,
}

fn one_of<T: Copy>(
    field: &str,
    v: Option<&str>,
    parse: fn(&str) -> Option<T>,
    fallback: Option<T>,
    problems: &mut Problems,
) -> Option<T> {
    match v {
        Some(s) => {
            let t = parse(s.trim());
            if t.is_none() {
                problems.push(Problem::new(
                    field,
                    "alert_value",
                    format!("{s:?} is not a CAP value here"),
                ));
            }
            t
        }
        None => {
            if fallback.is_none() {
                problems.push(Problem::new(
                    field,
                    "required",
                    format!("{field} is required"),
                ));
            }
            fallback
        }
    }
}

/// The grids' and areas' rings (as CAP polygons) and names; problems for any out of scope.
async fn shapes_of(
    state: &AppState,
    actor: &Actor,
    area_paths: &[String],
    grid_codes: &[String],
    problems: &mut Problems,
) -> ApiResult<(AlertShapes, Vec<String>, Vec<String>)> {
    let mut shapes = AlertShapes::default();
    let mut names = Vec::new();
    let mut paths = Vec::new();
    for (i, path) in area_paths.iter().enumerate() {
        let area: Option<(String,)> = state
            .db
            .fetch_optional(
                "SELECT name FROM areas WHERE path = ?",
                pingan_store::args![path.as_str()],
            )
            .await?;
        let Some((name,)) = area.filter(|_| actor.scope.covers_area_path(path)) else {
            problems.push(Problem::new(
                &format!("area_paths[{i}]"),
                "outside_scope",
                "no such area in your scope",
            ));
            continue;
        };
        let grids: Vec<(String,)> = state
            .db
            .fetch_all(
                "SELECT geometry FROM grids WHERE area_path LIKE ? ORDER BY code",
                pingan_store::args![format!("{path}%")],
            )
            .await?;
        if grids.is_empty() {
            problems.push(Problem::new(
                &format!("area_paths[{i}]"),
                "alert_area_empty",
                "the area has no grids to draw",
            ));
        }
        for (g,) in grids {
            add_rings(&mut shapes, &g);
        }
        names.push(name);
        paths.push(path.clone());
    }
    for (i, code) in grid_codes.iter().enumerate() {
        let grid: Option<(String, String, String)> = state
            .db
            .fetch_optional(
                "SELECT name, area_path, geometry FROM grids WHERE code = ?",
                pingan_store::args![code.as_str()],
            )
            .await?;
        let Some((name, path, geometry)) = grid.filter(|g| actor.scope.covers_area_path(&g.1))
        else {
            problems.push(Problem::new(
                &format!("grid_codes[{i}]"),
                "outside_scope",
                "no such grid in your scope",
            ));
            continue;
        };
        add_rings(&mut shapes, &geometry);
        names.push(name);
        paths.push(path);
    }
    if shapes.polygons.len() > MAX_POLYGONS {
        problems.push(Problem::new(
            "area_paths",
            "alert_area_large",
            format!("more than {MAX_POLYGONS} grid boundaries; choose fewer areas or single grids"),
        ));
    }
    Ok((shapes, names, paths))
}

/// A grid's stored GeoJSON boundary as CAP rings (exterior rings; CAP has no holes).
fn add_rings(shapes: &mut AlertShapes, geometry: &str) {
    use geo::CoordsIter;
    if let Some(mp) = crate::locate::shape(geometry) {
        for p in mp.0 {
            let mut ring: Vec<[f64; 2]> = p.exterior().coords_iter().map(|c| [c.y, c.x]).collect();
            if ring.first() != ring.last()
                && let Some(&f) = ring.first()
            {
                ring.push(f);
            }
            if ring.len() >= 4 {
                shapes.polygons.push(ring);
            }
        }
    }
}

fn alert_identifier(id: &str) -> String {
    format!("CN-PINGAN-{id}")
}

/// Compose an alert (or an update or cancel of a published one); it waits for approval.
pub async fn compose(
    state: &AppState,
    actor: &Actor,
    req: NewPublicAlert,
) -> ApiResult<PublicAlert> {
    actor.require(state, Permission::PublicAlertCompose).await?;
    let mut problems = Problems::default();
    let msg_type = match req.msg_type.as_deref().map(str::trim) {
        None | Some("Alert") => MsgType::Alert,
        Some("Update") => MsgType::Update,
        Some("Cancel") => MsgType::Cancel,
        Some(other) => {
            return Err(ApiError::problem(Problem::new(
                "msg_type",
                "alert_value",
                format!("{other:?} is not Alert, Update or Cancel"),
            )));
        }
    };
    let original = match (msg_type, req.references_id.as_deref()) {
        (MsgType::Alert, None) => None,
        (MsgType::Alert, Some(_)) => {
            return Err(ApiError::problem(Problem::new(
                "references_id",
                "alert_reference",
                "a new alert references nothing; use Update or Cancel",
            )));
        }
        (_, None) => {
            return Err(ApiError::problem(Problem::new(
                "references_id",
                "required",
                "an update or cancel names the alert it replaces",
            )));
        }
        (_, Some(id)) => {
            let o = store::get(&state.db, id).await?;
            match o {
                Some(o)
                    if o.origin == "composed"
                        && o.state == "published"
                        && o.superseded_by.is_none()
                        && visible(actor, &o) =>
                {
                    Some(o)
                }
                _ => {
                    return Err(ApiError::problem(Problem::new(
                        "references_id",
                        "alert_reference",
                        "no published alert of ours in force with this id",
                    )));
                }
            }
        }
    };
    let o = original.as_ref();
    let status = one_of(
        "status",
        req.status.as_deref(),
        |s| match s {
            "Actual" | "Exercise" | "Test" => cap::Status::parse(s),
            _ => None,
        },
        Some(o.map_or(cap::Status::Actual, |o| {
            cap::Status::parse(&o.status).unwrap_or(cap::Status::Actual)
        })),
        &mut problems,
    );
    let categories: Vec<Category> = match &req.categories {
        Some(list) => {
            let mut out = Vec::new();
            for (i, c) in list.iter().enumerate() {
                match Category::parse(c.trim()) {
                    Some(c) if !out.contains(&c) => out.push(c),
                    Some(_) => {}
                    None => problems.push(Problem::new(
                        &format!("categories[{i}]"),
                        "alert_value",
                        format!("{c:?} is not a CAP category"),
                    )),
                }
            }
            if list.is_empty() {
                problems.push(Problem::new(
                    "categories",
                    "required",
                    "choose at least one category",
                ));
            }
            out
        }
        None => match o {
            Some(o) => words(&o.categories)
                .iter()
                .filter_map(|c| Category::parse(c))
                .collect(),
            None => {
                problems.push(Problem::new(
                    "categories",
                    "required",
                    "choose at least one category",
                ));
                Vec::new()
            }
        },
    };
    let response_types: Vec<ResponseType> = req
        .response_types
        .iter()
        .flatten()
        .enumerate()
        .filter_map(|(i, r)| {
            let t = ResponseType::parse(r.trim());
            if t.is_none() {
                problems.push(Problem::new(
                    &format!("response_types[{i}]"),
                    "alert_value",
                    format!("{r:?} is not a CAP response type"),
                ));
            }
            t
        })
        .collect();
    let urgency = one_of(
        "urgency",
        req.urgency.as_deref(),
        Urgency::parse,
        o.and_then(|o| Urgency::parse(&o.urgency)),
        &mut problems,
    );
    let severity = one_of(
        "severity",
        req.severity.as_deref(),
        Severity::parse,
        o.and_then(|o| Severity::parse(&o.severity)),
        &mut problems,
    );
    let certainty = one_of(
        "certainty",
        req.certainty.as_deref(),
        Certainty::parse,
        o.and_then(|o| Certainty::parse(&o.certainty)),
        &mut problems,
    );
    let text = |field: &str,
                v: &Option<String>,
                kept: Option<&String>,
                max: usize,
                required: bool,
                problems: &mut Problems|
     -> ApiResult<String> {
        match v {
            Some(s) if required => Ok(problems
                .check(crate::validate::text(field, s, max))?
                .unwrap_or_default()),
            Some(s) => Ok(problems
                .check(crate::validate::optional_text(field, Some(s), max))?
                .flatten()
                .unwrap_or_default()),
            None => match kept {
                Some(k) => Ok(k.clone()),
                None if required => {
                    problems.push(Problem::new(
                        field,
                        "required",
                        format!("{field} is required"),
                    ));
                    Ok(String::new())
                }
                None => Ok(String::new()),
            },
        }
    };
    let event = text(
        "event",
        &req.event,
        o.map(|o| &o.event),
        100,
        true,
        &mut problems,
    )?;
    let headline = text(
        "headline",
        &req.headline,
        o.map(|o| &o.headline),
        160,
        true,
        &mut problems,
    )?;
    let description = text(
        "description",
        &req.description,
        o.map(|o| &o.description),
        2000,
        true,
        &mut problems,
    )?;
    let instruction = text(
        "instruction",
        &req.instruction,
        o.map(|o| &o.instruction),
        1000,
        false,
        &mut problems,
    )?;
    let audience = text(
        "audience",
        &req.audience,
        o.map(|o| &o.audience),
        200,
        false,
        &mut problems,
    )?;
    let expires_at = match &req.expires {
        Some(e) => {
            let at = problems
                .check(crate::validate::instant("expires", Some(e)))?
                .flatten();
            if at.is_some_and(|at| at <= state.now()) {
                problems.push(Problem::new(
                    "expires",
                    "alert_expired",
                    "the expiry is not in the future",
                ));
            }
            at
        }
        None => o.and_then(|o| o.expires_at),
    };
    let (area_paths, grid_codes) = match (&req.area_paths, &req.grid_codes, o) {
        (None, None, Some(o)) => (words(&o.area_paths), words(&o.grid_codes)),
        (a, g, _) => (a.clone().unwrap_or_default(), g.clone().unwrap_or_default()),
    };
    if area_paths.is_empty() && grid_codes.is_empty() {
        problems.push(Problem::new(
            "grid_codes",
            "alert_area",
            "choose at least one area or grid",
        ));
    }
    if area_paths.len() > 50 || grid_codes.len() > 50 {
        problems.push(Problem::new(
            "grid_codes",
            "alert_area_large",
            "at most 50 areas and 50 grids",
        ));
    }
    let (shapes, names, paths) =
        shapes_of(state, actor, &area_paths, &grid_codes, &mut problems).await?;
    problems.finish()?;
    let id = new_id();
    let now = state.now();
    let row = AlertRow {
        identifier: alert_identifier(&id),
        id,
        origin: "composed".into(),
        state: "pending".into(),
        sender: state.config.public_alerts.sender.clone(),
        sent: String::new(),
        sent_at: None,
        msg_type: msg_type.as_str().into(),
        status: status.unwrap_or(cap::Status::Actual).as_str().into(),
        scope: cap::Scope::Public.as_str().into(),
        refers_to: o.map(|o| o.id.clone()),
        references_text: o
            .map(|o| format!("{},{},{}", o.sender, o.identifier, o.sent))
            .unwrap_or_default(),
        language: "zh-CN".into(),
        categories: categories
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        event,
        urgency: urgency.unwrap_or(Urgency::Unknown).as_str().into(),
        severity: severity.unwrap_or(Severity::Unknown).as_str().into(),
        certainty: certainty.unwrap_or(Certainty::Unknown).as_str().into(),
        audience,
        headline,
        description,
        instruction,
        expires_at,
        area_desc: names.join("、"),
        area_paths: area_paths.join(" "),
        scope_paths: paths.join(" "),
        grid_codes: grid_codes.join(" "),
        shapes: serde_json::to_string(&shapes).unwrap_or_else(|_| "{}".into()),
        document: None,
        response_types: response_types
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        source: String::new(),
        composed_by: Some(actor.user_id.clone()),
        composer_name: actor.display_name.clone(),
        created_at: now,
        decided_by: None,
        decider_name: String::new(),
        decided_at: None,
        decision_note: String::new(),
        superseded_by: None,
    };
    let approvers = approvers(state, &paths, &actor.user_id).await?;
    let mut tx = state.db.begin().await?;
    store::insert(&mut tx, &row);
    let message = format!("预警信息待审核：{}", row.headline);
    let message_en = format!("Public alert awaiting approval: {}", row.headline);
    notifications::send(
        &mut tx,
        &approvers,
        now,
        &Notice {
            kind: "public_alert.pending",
            object: ("public_alert", &row.id),
            message: &message,
            message_en: &message_en,
        },
    );
    tx.commit_audited(vec![actor.audit_entry(
        "public_alert.compose",
        "public_alert",
        Some(&row.id),
        AuditOutcome::Ok,
        &serde_json::json!({"msg_type": row.msg_type, "refers_to": row.refers_to, "areas": row.scope_paths}).to_string(),
    )])
    .await?;
    Ok(view(row))
}

/// Holders of the approving permission whose scope covers every path, less the composer.
async fn approvers(state: &AppState, paths: &[String], composer: &str) -> ApiResult<Vec<String>> {
    let roles: Vec<&str> = pingan_domain::Role::ALL
        .iter()
        .filter(|r| r.can(Permission::PublicAlertApprove))
        .map(|r| r.code())
        .collect();
    let mut out = Vec::new();
    for id in store::users_in_roles(&state.db, &roles).await? {
        if id == composer {
            continue;
        }
        let scope = pingan_store::users::scope_of(&state.db, &id).await?;
        if paths.iter().all(|p| scope.covers_area_path(p)) {
            out.push(id);
        }
    }
    Ok(out)
}

/// The CAP message of one of our alerts (published at `sent`).
pub fn cap_message(state: &AppState, r: &AlertRow, sent: &str) -> cap::Alert {
    let shapes: AlertShapes = serde_json::from_str(&r.shapes).unwrap_or_default();
    let references = cap::parse_references(&r.references_text).unwrap_or_default();
    cap::Alert {
        identifier: r.identifier.clone(),
        sender: r.sender.clone(),
        sent: sent.into(),
        status: cap::Status::parse(&r.status).unwrap_or(cap::Status::Actual),
        msg_type: MsgType::parse(&r.msg_type).unwrap_or(MsgType::Alert),
        source: None,
        scope: cap::Scope::parse(&r.scope).unwrap_or(cap::Scope::Public),
        restriction: None,
        addresses: None,
        codes: Vec::new(),
        // The approver's note is internal: it is not published.
        note: None,
        references,
        incidents: None,
        infos: vec![cap::Info {
            language: Some(r.language.clone()),
            categories: words(&r.categories)
                .iter()
                .filter_map(|c| Category::parse(c))
                .collect(),
            event: r.event.clone(),
            response_types: words(&r.response_types)
                .iter()
                .filter_map(|c| ResponseType::parse(c))
                .collect(),
            urgency: Urgency::parse(&r.urgency),
            severity: Severity::parse(&r.severity),
            certainty: Certainty::parse(&r.certainty),
            audience: (!r.audience.is_empty()).then(|| r.audience.clone()),
            expires: r
                .expires_at
                .map(|e| cap::datetime(pingan_domain::time::from_micros(e))),
            sender_name: Some(state.config.public_alerts.sender_name.clone()),
            headline: Some(r.headline.clone()),
            description: Some(r.description.clone()),
            instruction: (!r.instruction.is_empty()).then(|| r.instruction.clone()),
            areas: vec![cap::Area {
                desc: r.area_desc.clone(),
                polygons: shapes
                    .polygons
                    .iter()
                    .map(|ring| ring.iter().map(|p| (p[0], p[1])).collect())
                    .collect(),
                circles: shapes
                    .circles
                    .iter()
                    .map(|c| cap::Circle {
                        lat: c[0],
                        lon: c[1],
                        radius_km: c[2],
                    })
                    .collect(),
                ..cap::Area::default()
            }],
            ..cap::Info::default()
        }],
    }
}

/// Approve (publish) or reject a pending alert someone else composed.
pub async fn decide(
    state: &AppState,
    actor: &Actor,
    id: &str,
    d: AlertDecision,
) -> ApiResult<PublicAlert> {
    actor.require(state, Permission::PublicAlertApprove).await?;
    let row = store::get(&state.db, id)
        .await?
        .filter(|r| visible(actor, r))
        .ok_or(ApiError::NotFound)?;
    if let Some(refused) = decision_refused(actor, &row) {
        return Err(refused);
    }
    let note = crate::validate::optional_text("note", d.note.as_deref(), 500)?.unwrap_or_default();
    if !d.approve && note.is_empty() {
        return Err(ApiError::problem(Problem::new(
            "note",
            "required",
            "say why it is rejected",
        )));
    }
    let now = state.now();
    // CAP times have whole seconds; the stored instant is the one the document states.
    let at = now.div_euclid(1_000_000) * 1_000_000;
    let sent = cap::datetime(pingan_domain::time::from_micros(at));
    let mut tx = state.db.begin().await?;
    let done = if d.approve {
        let document = cap::to_xml(&cap_message(state, &row, &sent));
        if let Some(original) = &row.refers_to
            && !store::supersede(&mut tx, original, &row.id).await?
        {
            return Err(ApiError::Conflict(
                "the original was already updated or cancelled".into(),
            ));
        }
        store::publish(
            &mut tx,
            &row.id,
            &actor.user_id,
            at,
            &sent,
            &document,
            &note,
        )
        .await?
    } else {
        store::reject(&mut tx, &row.id, &actor.user_id, now, &note).await?
    };
    if !done {
        return Err(ApiError::Conflict("the alert was decided meanwhile".into()));
    }
    if let Some(composer) = &row.composed_by {
        let (message, message_en) = if d.approve {
            (
                format!("预警信息已发布：{}", row.headline),
                format!("Public alert published: {}", row.headline),
            )
        } else {
            (
                format!("预警信息未通过审核：{}", row.headline),
                format!("Public alert rejected: {}", row.headline),
            )
        };
        notifications::send(
            &mut tx,
            std::slice::from_ref(composer),
            now,
            &Notice {
                kind: if d.approve {
                    "public_alert.published"
                } else {
                    "public_alert.rejected"
                },
                object: ("public_alert", &row.id),
                message: &message,
                message_en: &message_en,
            },
        );
    }
    tx.commit_audited(vec![actor.audit_entry(
        if d.approve {
            "public_alert.publish"
        } else {
            "public_alert.reject"
        },
        "public_alert",
        Some(&row.id),
        AuditOutcome::Ok,
        &serde_json::json!({"identifier": row.identifier, "msg_type": row.msg_type}).to_string(),
    )])
    .await?;
    Ok(view(
        store::get(&state.db, id).await?.ok_or(ApiError::NotFound)?,
    ))
}

/// Alerts received are everyone's; ours are seen by those holding one of the areas they cover
/// (a pending or rejected draft is internal, and the published ones are on the public feed anyway).
fn visible(actor: &Actor, r: &AlertRow) -> bool {
    r.origin == "imported"
        || words(&r.scope_paths)
            .iter()
            .any(|p| actor.scope.covers_area_path(p))
}

pub async fn list(
    state: &AppState,
    actor: &Actor,
    q: &AlertListQuery,
) -> ApiResult<Vec<PublicAlert>> {
    actor.require(state, Permission::PublicAlertRead).await?;
    if let Some(s) = &q.state
        && !["pending", "published", "rejected", "received"].contains(&s.as_str())
    {
        return Err(ApiError::problem(Problem::new(
            "state",
            "alert_value",
            "pending, published, rejected or received",
        )));
    }
    Ok(store::list(&state.db, q.state.as_deref())
        .await?
        .into_iter()
        .filter(|r| visible(actor, r))
        .map(view)
        .collect())
}

/// Why `actor` (holding PublicAlertApprove) may not decide `r` now; `None` when they may.
fn decision_refused(actor: &Actor, r: &AlertRow) -> Option<ApiError> {
    if r.origin != "composed" {
        return Some(ApiError::NotFound);
    }
    if !words(&r.scope_paths)
        .iter()
        .all(|p| actor.scope.covers_area_path(p))
    {
        return Some(ApiError::Forbidden(
            "the alert covers an area outside your scope".into(),
        ));
    }
    if r.composed_by.as_deref() == Some(actor.user_id.as_str()) {
        return Some(ApiError::Conflict(
            "an alert is approved by someone other than its composer".into(),
        ));
    }
    if r.state != "pending" {
        return Some(ApiError::Conflict(format!(
            "the alert is {}, not pending",
            r.state
        )));
    }
    None
}

/// One alert as its reader sees it.
pub struct AlertRead {
    pub alert: PublicAlert,
    /// The CAP document, once published or as received.
    pub document: Option<String>,
    /// Whether the reader may approve or reject it now.
    pub can_decide: bool,
}

pub async fn get(state: &AppState, actor: &Actor, id: &str) -> ApiResult<AlertRead> {
    actor.require(state, Permission::PublicAlertRead).await?;
    let row = store::get(&state.db, id)
        .await?
        .filter(|r| visible(actor, r))
        .ok_or(ApiError::NotFound)?;
    let can_decide =
        actor.can(Permission::PublicAlertApprove) && decision_refused(actor, &row).is_none();
    Ok(AlertRead {
        document: row.document.clone(),
        alert: view(row),
        can_decide,
    })
}

/// Largest CAP document accepted.
pub const MAX_DOCUMENT: usize = 1 << 20;

/// A received CAP document as a row (nothing stored yet).
fn received(state: &AppState, alert: &cap::Alert, document: &str, source: &str) -> AlertRow {
    let info = alert
        .infos
        .iter()
        .find(|i| i.language.as_deref().is_some_and(|l| l.starts_with("zh")))
        .or(alert.infos.first());
    let mut shapes = AlertShapes::default();
    let mut descs = Vec::new();
    for i in &alert.infos {
        for a in &i.areas {
            if !descs.contains(&a.desc) {
                descs.push(a.desc.clone());
            }
            shapes.polygons.extend(
                a.polygons
                    .iter()
                    .map(|r| r.iter().map(|p| [p.0, p.1]).collect()),
            );
            shapes
                .circles
                .extend(a.circles.iter().map(|c| [c.lat, c.lon, c.radius_km]));
        }
    }
    let get = |f: fn(&cap::Info) -> Option<&String>| info.and_then(f).cloned().unwrap_or_default();
    let id = new_id();
    AlertRow {
        id,
        origin: "imported".into(),
        state: "received".into(),
        identifier: alert.identifier.clone(),
        sender: alert.sender.clone(),
        sent: alert.sent.clone(),
        sent_at: cap::parse_datetime(&alert.sent).map(|t| t.as_microsecond()),
        msg_type: alert.msg_type.as_str().into(),
        status: alert.status.as_str().into(),
        scope: alert.scope.as_str().into(),
        refers_to: None,
        references_text: alert
            .references
            .iter()
            .map(|r| format!("{},{},{}", r.sender, r.identifier, r.sent))
            .collect::<Vec<_>>()
            .join(" "),
        language: info
            .and_then(|i| i.language.clone())
            .unwrap_or_else(|| "en-US".into()),
        categories: info
            .map(|i| {
                i.categories
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default(),
        event: info.map(|i| i.event.clone()).unwrap_or_default(),
        urgency: info
            .and_then(|i| i.urgency)
            .map(|u| u.as_str())
            .unwrap_or("")
            .into(),
        severity: info
            .and_then(|i| i.severity)
            .map(|u| u.as_str())
            .unwrap_or("")
            .into(),
        certainty: info
            .and_then(|i| i.certainty)
            .map(|u| u.as_str())
            .unwrap_or("")
            .into(),
        response_types: info
            .map(|i| {
                i.response_types
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default(),
        audience: get(|i| i.audience.as_ref()),
        headline: get(|i| i.headline.as_ref()),
        description: get(|i| i.description.as_ref()),
        instruction: get(|i| i.instruction.as_ref()),
        expires_at: info
            .and_then(|i| i.expires.as_deref())
            .and_then(cap::parse_datetime)
            .map(|t| t.as_microsecond()),
        area_desc: descs.join("、"),
        area_paths: String::new(),
        grid_codes: String::new(),
        scope_paths: String::new(),
        shapes: serde_json::to_string(&shapes).unwrap_or_else(|_| "{}".into()),
        document: Some(document.to_string()),
        source: source.chars().take(200).collect(),
        composed_by: None,
        composer_name: String::new(),
        created_at: state.now(),
        decided_by: None,
        decider_name: String::new(),
        decided_at: None,
        decision_note: String::new(),
        superseded_by: None,
    }
}

/// Why an imported document was refused, as a field problem naming the element.
pub fn refusal(e: &cap::CapError) -> Problem {
    Problem::new("document", e.kind.code(), e.to_string())
        .with("element", &e.element)
        .with("line", e.line)
        .with("detail", &e.detail)
}

/// Keep a received alert (checked against CAP 1.2 first); `Ok(None)` when it was already kept.
pub async fn store_received(
    state: &AppState,
    document: &str,
    source: &str,
    audit: impl FnOnce(&AlertRow) -> pingan_domain::audit::AuditEntry,
) -> ApiResult<Option<AlertRow>> {
    if document.len() > MAX_DOCUMENT {
        return Err(ApiError::problem(
            Problem::new("document", "too_long", "a CAP document is at most 1 MiB")
                .with("max", MAX_DOCUMENT),
        ));
    }
    let alert = cap::parse(document).map_err(|e| ApiError::problem(refusal(&e)))?;
    if store::known(&state.db, &alert.sender, &alert.identifier)
        .await?
        .is_some()
    {
        return Ok(None);
    }
    let row = received(state, &alert, document, source);
    let mut tx = state.db.begin().await?;
    store::insert(&mut tx, &row);
    if matches!(alert.msg_type, MsgType::Update | MsgType::Cancel) {
        for r in &alert.references {
            store::supersede_received(&mut tx, &r.sender, &r.identifier, &row.id);
        }
    }
    tx.commit_audited(vec![audit(&row)]).await?;
    Ok(Some(row))
}

/// Import a CAP alert received from another agency.
pub async fn import(state: &AppState, actor: &Actor, req: AlertImport) -> ApiResult<PublicAlert> {
    actor.require(state, Permission::PublicAlertCompose).await?;
    let source =
        crate::validate::optional_text("source", req.source.as_deref(), 200)?.unwrap_or_default();
    let entry = |row: &AlertRow| {
        actor.audit_entry(
            "public_alert.import",
            "public_alert",
            Some(&row.id),
            AuditOutcome::Ok,
            &serde_json::json!({"sender": row.sender, "identifier": row.identifier, "source": row.source})
                .to_string(),
        )
    };
    let Some(row) = store_received(state, &req.document, &source, entry).await? else {
        return Err(ApiError::Conflict(
            "this alert (sender and identifier) was already received".into(),
        ));
    };
    Ok(view(row))
}

/// What one configured feed brought when last read.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AlertFeed {
    /// The address (a password in it masked).
    pub url: String,
    pub polled_at: Option<i64>,
    /// The last reading with nothing refused.
    pub ok_at: Option<i64>,
    /// Alerts kept from it so far.
    pub received: i64,
    /// What the last reading refused (each naming the document and element), empty when nothing.
    pub last_error: String,
}

/// The configured feeds with what each last brought (those never read yet included).
pub async fn feeds(state: &AppState, actor: &Actor) -> ApiResult<Vec<AlertFeed>> {
    actor.require(state, Permission::PublicAlertCompose).await?;
    let read = store::feeds(&state.db).await?;
    Ok(state
        .config
        .public_alerts
        .feeds
        .iter()
        .map(|url| {
            let r = read.iter().find(|r| &r.url == url);
            AlertFeed {
                url: crate::config::mask_url_password(url),
                polled_at: r.map(|r| r.polled_at),
                ok_at: r.and_then(|r| r.ok_at),
                received: r.map_or(0, |r| r.received),
                last_error: r.map(|r| r.last_error.clone()).unwrap_or_default(),
            }
        })
        .collect())
}
