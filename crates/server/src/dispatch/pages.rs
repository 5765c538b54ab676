//! Command-and-dispatch pages: the live board (map + list, updated over SSE by board.js), the intake
//! form (110 operator, grid worker, patrol), the incident page with clocks, suggestions, recommended
//! units, actions and timeline, the responder's duty view on the phone, and the units and cameras lists.

use crate::auth::{Actor, PageActor};
use crate::dispatch::actions::{self, ActionRequest};
use crate::dispatch::detail::{Assignment, IncidentDetail, detail_of, recommend_for};
use crate::dispatch::intake::{self, NewIncident, Suggestions, intake_as};
use crate::dispatch::{Incident, Recommendation};
use crate::error::ApiError;
use crate::shell::field_message;
use crate::shell::{Ctx, forbidden, not_found, render};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode, header::LOCATION};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use pingan_domain::Permission;
use pingan_domain::incident::Channel;
use pingan_domain::time;
use pingan_store::{incidents, units};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/board", get(board))
        .route("/incidents/new", get(new_form).post(new_submit))
        .route("/incidents/{id}", get(show))
        .route("/incidents/{id}/act", post(act))
        .route("/duty", get(duty))
        .route("/duty/status", post(duty_status))
        .route("/units", get(units_page))
}

fn when(us: i64) -> String {
    time::local_datetime(time::from_micros(us))
}

fn opt_when(us: Option<i64>) -> String {
    us.map(when).unwrap_or_default()
}

/// A running clock, always as hours:minutes:seconds ("0:02:00"), as the board script prints it.
pub fn duration(s: i64) -> String {
    format!("{}:{:02}:{:02}", s / 3600, s % 3600 / 60, s % 60)
}

/// Status and stage labels for the board script, in the page's language.
fn labels_json(ctx: &Ctx) -> String {
    let mut m = serde_json::Map::new();
    for s in pingan_domain::incident::Status::ALL {
        let k = format!("status.{}", s.code());
        m.insert(k.clone(), ctx.t(&format!("dispatch.{k}")).into());
    }
    for s in pingan_domain::unit::UnitStatus::ALL {
        let k = format!("unit.{}", s.code());
        m.insert(k.clone(), ctx.t(&format!("dispatch.{k}")).into());
    }
    for k in ["overdue", "no_incidents", "level"] {
        m.insert(k.into(), ctx.t(&format!("dispatch.{k}")).into());
    }
    serde_json::Value::Object(m).to_string()
}

#[derive(Template)]
#[template(path = "dispatch/board.html")]
struct BoardPage {
    ctx: Ctx,
    labels: String,
    can_intake: bool,
    tile_url: String,
    tile_crs: String,
}

async fn board(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(
            &state,
            &headers,
            &actor,
            "board",
            "/board",
            Permission::IncidentRead
        )
        .await
    );
    let labels = labels_json(&ctx);
    render(
        StatusCode::OK,
        &BoardPage {
            ctx,
            labels,
            can_intake: actor.can(Permission::IncidentIntake),
            tile_url: crate::basemap::tile_url(&state).await,
            tile_crs: state.config.map.tile_crs.clone(),
        },
    )
}

/// The channels this person records incidents through.
fn channels(actor: &Actor) -> Vec<&'static str> {
    let mut v = Vec::new();
    if actor.can(Permission::IncidentIntake) {
        v.push(Channel::Call110.code());
    }
    if actor.can(Permission::IncidentReport) || actor.can(Permission::IncidentIntake) {
        v.push(Channel::GridReport.code());
    }
    if actor.can(Permission::IncidentRespond)
        || actor.can(Permission::IncidentReport)
        || actor.can(Permission::IncidentIntake)
    {
        v.push(Channel::Patrol.code());
    }
    if actor.can(Permission::TeamReport) {
        v.push(Channel::Volunteer.code());
    }
    v
}

pub struct TypeOption {
    pub code: String,
    pub name: String,
}

#[derive(Template)]
#[template(path = "dispatch/incident_new.html")]
struct NewPage {
    ctx: Ctx,
    channels: Vec<&'static str>,
    types: Vec<TypeOption>,
    errors: crate::shell::FieldErrors,
    form: IntakeForm,
    created: Option<(String, String)>,
    tile_url: String,
    tile_crs: String,
}

#[derive(Deserialize, Default, Clone)]
struct IntakeForm {
    #[serde(default)]
    channel: String,
    #[serde(default)]
    type_code: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    lng: String,
    #[serde(default)]
    lat: String,
    #[serde(default)]
    caller_name: String,
    #[serde(default)]
    caller_phone: String,
}

async fn new_page(
    state: &AppState,
    headers: &HeaderMap,
    actor: &Actor,
    form: IntakeForm,
    failure: Option<ApiError>,
    created: Option<(String, String)>,
) -> Response {
    let ctx = Ctx::new(state, headers, actor, "dispatch", "/incidents/new");
    let errors = failure
        .as_ref()
        .and_then(|e| {
            ctx.field_errors(e, |path| {
                matches!(path, "lng" | "lat" | "crs").then(|| "location".to_string())
            })
        })
        .unwrap_or_default();
    let chans = channels(actor);
    if chans.is_empty() {
        let _ = actor.require(state, Permission::IncidentReport).await;
        return forbidden(ctx);
    }
    let zh = ctx.lang_code == "zh-CN";
    let types = match incidents::types(&state.db).await {
        Ok(t) => t
            .into_iter()
            .filter(|t| t.active)
            .map(|t| TypeOption {
                name: format!("{} {}", t.code, if zh { &t.name_zh } else { &t.name_en }),
                code: t.code,
            })
            .collect(),
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(
        status,
        &NewPage {
            ctx,
            channels: chans,
            types,
            errors,
            form,
            created,
            tile_url: crate::basemap::tile_url(state).await,
            tile_crs: state.config.map.tile_crs.clone(),
        },
    )
}

async fn new_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
) -> Response {
    new_page(&state, &headers, &actor, IntakeForm::default(), None, None).await
}

async fn new_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    form: Result<Form<IntakeForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let f = match crate::shell::form(form) {
        Ok(f) => f,
        Err(e) => return crate::shell::fail(&state, &headers, &actor, e),
    };
    // An empty or unreadable point is NaN: the intake names it "location_required" with the other problems.
    let coord = |v: &str| v.trim().parse::<f64>().unwrap_or(f64::NAN);
    let req = NewIncident {
        channel: Some(f.channel.clone()),
        type_code: f.type_code.clone(),
        level: f.level.trim().parse().ok().or(Some(0)),
        description: f.description.clone(),
        address: f.address.clone(),
        lng: coord(&f.lng),
        lat: coord(&f.lat),
        crs: None,
        caller_name: Some(f.caller_name.clone()),
        caller_phone: Some(f.caller_phone.clone()),
        reported_at: None,
    };
    let result = intake_as(&state, &actor, req).await;
    match result {
        Ok((row, _)) if actor.can(Permission::IncidentRead) => (
            StatusCode::SEE_OTHER,
            [(LOCATION, format!("/incidents/{}", row.id))],
        )
            .into_response(),
        // Reporters without read access see the number on the form.
        Ok((row, _)) => {
            new_page(
                &state,
                &headers,
                &actor,
                IntakeForm::default(),
                None,
                Some((row.number, row.id)),
            )
            .await
        }
        Err(e) if !e.problems().is_empty() => {
            new_page(&state, &headers, &actor, f, Some(e), None).await
        }
        Err(e) => crate::shell::fail(&state, &headers, &actor, e),
    }
}

pub struct ClockLine {
    pub label: String,
    pub elapsed: String,
    pub target: String,
    pub running: bool,
    pub overdue: bool,
}

pub struct EventLine {
    pub when: String,
    pub action: String,
    pub actor: String,
    pub note: String,
}

#[derive(Template)]
#[template(path = "dispatch/incident.html")]
struct IncidentPage {
    ctx: Ctx,
    i: Incident,
    clocks: Vec<ClockLine>,
    units: Vec<Assignment>,
    events: Vec<EventLine>,
    recommendations: Vec<Recommendation>,
    suggestions: Suggestions,
    station: String,
    can_dispatch: bool,
    can_respond: bool,
    error: Option<String>,
    /// The dispute this incident was handed to mediation as: (id, number).
    dispute: Option<(String, String)>,
    /// Dispute types for the transfer form (code, name in the reader's language), the suggested one first.
    dispute_types: Vec<(String, String)>,
}

impl IncidentPage {
    fn status_label(&self, s: &str) -> String {
        self.ctx.t(&format!("dispatch.status.{s}")).to_string()
    }
    fn is(&self, s: &str) -> bool {
        self.i.status == s
    }
    fn status(&self) -> Option<pingan_domain::incident::Status> {
        self.i.status.parse().ok()
    }
    /// Open to action; a status this version does not know offers none.
    fn open(&self) -> bool {
        self.status().is_some_and(|s| s.is_open())
    }
    fn km(&self, m: &Option<f64>) -> String {
        match m {
            Some(m) if *m >= 1000.0 => format!("{:.1} km", m / 1000.0),
            Some(m) => format!("{m:.0} m"),
            None => "—".into(),
        }
    }
    fn unit_label(&self, s: &str) -> String {
        self.ctx.t(&format!("dispatch.unit.{s}")).to_string()
    }
    fn at(&self, us: &i64) -> String {
        when(*us)
    }
    /// Transferred to mediation (流转): offer to register the dispute, carrying the link.
    fn to_mediation(&self) -> bool {
        self.i.transfer_target.as_deref() == Some("mediation")
    }
    /// Something in the actions block applies to this person now.
    fn has_actions(&self) -> bool {
        if !self.open() {
            return false;
        }
        self.can_dispatch
            || self.can_respond
                && matches!(
                    self.status(),
                    Some(
                        pingan_domain::incident::Status::Dispatched
                            | pingan_domain::incident::Status::Acknowledged
                            | pingan_domain::incident::Status::OnScene
                            | pingan_domain::incident::Status::Resolved
                    )
                )
    }
    fn channel_label(&self) -> String {
        self.ctx
            .t(&format!("dispatch.channel.{}", self.i.channel))
            .to_string()
    }
    fn sat_is(&self, s: &str) -> bool {
        self.i.satisfaction.as_deref() == Some(s)
    }
}

async fn incident_page(
    state: &AppState,
    headers: &HeaderMap,
    actor: &Actor,
    id: &str,
    error: Option<String>,
) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(
            state,
            headers,
            actor,
            "board",
            &format!("/incidents/{id}"),
            Permission::IncidentRead
        )
        .await
    );
    let row = match incidents::get(&state.db, &actor.scope, id).await {
        Ok(Some(r)) => r,
        Ok(None) => return not_found(ctx),
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let can_dispatch = actor.can(Permission::IncidentDispatch);
    let open = row.status().is_open();
    let recommendations = if can_dispatch && open {
        recommend_for(state, actor, &row).await.unwrap_or_default()
    } else {
        Vec::new()
    };
    let suggestions = if open {
        intake::detect(&state.db, &state.config.dispatch.repeat, &row)
            .await
            .unwrap_or_default()
    } else {
        Suggestions::default()
    };
    let d: IncidentDetail = match detail_of(state, row).await {
        Ok(d) => d,
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let station = match &d.incident.station_org_id {
        Some(s) => pingan_store::orgs::get_unscoped(&state.db, s)
            .await
            .ok()
            .flatten()
            .map(|o| o.name)
            .unwrap_or_default(),
        None => String::new(),
    };
    let clocks = d
        .incident
        .clocks
        .iter()
        .map(|c| ClockLine {
            label: ctx
                .t(&format!(
                    "dispatch.stage.{}",
                    serde_json::to_value(c.stage)
                        .ok()
                        .and_then(|v| v.as_str().map(String::from))
                        .unwrap_or_default()
                ))
                .to_string(),
            elapsed: duration(c.seconds),
            target: duration(c.target_seconds),
            running: c.running,
            overdue: c.overdue,
        })
        .collect();
    let users: Vec<String> = d.events.iter().map(|e| e.actor_name.clone()).collect();
    let names = pingan_store::users::display_names(&state.db, &users)
        .await
        .unwrap_or_default();
    let events = d
        .events
        .iter()
        .map(|e| EventLine {
            when: when(e.at),
            action: ctx.t(&format!("dispatch.action.{}", e.action)).to_string(),
            // People by name; a report with no account behind it by its channel.
            actor: match (
                names.get(&e.actor_name),
                e.actor_name.strip_prefix("channel:"),
            ) {
                (Some(n), _) => n.clone(),
                (None, Some(c)) => ctx.t(&format!("dispatch.channel.{c}")).to_string(),
                (None, None) => e.actor_name.clone(),
            },
            // The reception's note is the channel's code.
            note: match (e.action.as_str(), e.note.as_deref()) {
                ("receive", Some(c)) => ctx.t(&format!("dispatch.channel.{c}")).to_string(),
                (_, n) => n.unwrap_or_default().to_string(),
            },
        })
        .collect();
    let dispute = pingan_store::disputes::for_incident(&state.db, &d.incident.id)
        .await
        .ok()
        .flatten()
        .map(|r| (r.id, r.number));
    let dispute_types = if can_dispatch && open {
        transfer_types(state, &ctx, &d.incident.type_code).await
    } else {
        Vec::new()
    };
    let status = if error.is_some() {
        StatusCode::CONFLICT
    } else {
        StatusCode::OK
    };
    render(
        status,
        &IncidentPage {
            dispute,
            dispute_types,
            ctx,
            clocks,
            events,
            units: d.units,
            recommendations,
            suggestions,
            station,
            can_dispatch,
            can_respond: actor.can(Permission::IncidentRespond),
            error,
            i: d.incident,
        },
    )
}

/// The dispute types in use, the one suggested for this incident type first.
async fn transfer_types(state: &AppState, ctx: &Ctx, incident_type: &str) -> Vec<(String, String)> {
    let suggested = pingan_domain::dispute::type_for_incident(incident_type);
    let mut v: Vec<(String, String)> = pingan_store::disputes::types(&state.db)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|t| t.active)
        .map(|t| {
            let name = if ctx.lang_code == "en" {
                t.name_en
            } else {
                t.name_zh
            };
            (t.code, name)
        })
        .collect();
    v.sort_by_key(|(c, _)| c != suggested);
    v
}

async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
) -> Response {
    incident_page(&state, &headers, &actor, &id, None).await
}

#[derive(Deserialize)]
struct ActForm {
    action: String,
    unit_id: Option<String>,
    note: Option<String>,
    feedback: Option<String>,
    into: Option<String>,
    to: Option<String>,
    org_id: Option<String>,
    dispute_type: Option<String>,
    satisfaction: Option<String>,
    /// Where to go afterwards (`/duty` from the phone view).
    back: Option<String>,
}

async fn act(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
    form: Result<Form<ActForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let f = match crate::shell::form(form) {
        Ok(f) => f,
        Err(e) => return crate::shell::fail(&state, &headers, &actor, e),
    };
    let blank = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    let dispatch = f.action == "dispatch";
    let unit_id = blank(f.unit_id);
    let req = ActionRequest {
        action: f.action,
        unit_ids: if dispatch {
            unit_id.clone().map(|u| vec![u])
        } else {
            None
        },
        unit_id: if dispatch { None } else { unit_id },
        note: blank(f.note),
        feedback: blank(f.feedback),
        into: blank(f.into),
        dispute_type: if f.to.as_deref() == Some("mediation") {
            blank(f.dispute_type)
        } else {
            None
        },
        to: blank(f.to),
        org_id: blank(f.org_id),
        satisfaction: blank(f.satisfaction),
    };
    let back = f
        .back
        .filter(|b| b == "/duty")
        .unwrap_or_else(|| format!("/incidents/{id}"));
    match actions::apply(&state, &actor, &id, &req).await {
        Ok(_) => (StatusCode::SEE_OTHER, [(LOCATION, back)]).into_response(),
        Err(ApiError::NotFound) => not_found(Ctx::new(
            &state,
            &headers,
            &actor,
            "board",
            &format!("/incidents/{id}"),
        )),
        Err(e) => match field_message(&e) {
            Some(m) if back == "/duty" => duty_page(&state, &headers, &actor, Some(m)).await,
            Some(m) => incident_page(&state, &headers, &actor, &id, Some(m)).await,
            None => crate::shell::fail(&state, &headers, &actor, e),
        },
    }
}

pub struct DutyUnit {
    pub id: String,
    pub call_sign: String,
    pub status: String,
    pub status_label: String,
}

pub struct DutyAssignment {
    pub incident_id: String,
    pub number: String,
    pub type_name: String,
    pub level: i64,
    pub address: String,
    pub description: String,
    pub incident_status: String,
    pub call_sign: String,
    pub unit_id: String,
    pub state: String,
    pub assigned_at: String,
}

#[derive(Template)]
#[template(path = "dispatch/duty.html")]
struct DutyPage {
    ctx: Ctx,
    units: Vec<DutyUnit>,
    assignments: Vec<DutyAssignment>,
    error: Option<String>,
    /// Whether the person responds to incidents (units and assignments).
    responds: bool,
    /// Whether the person may record an incident (the team member's report button).
    can_report: bool,
    shifts: Vec<DutyShift>,
    team_work: crate::teams::work::MyTeamWork,
}

/// One of the person's patrol shifts this week.
pub struct DutyShift {
    pub when: String,
    pub mode: String,
    pub zone_name: String,
}

/// `MM-DD HH:MM–HH:MM` in China Standard Time.
fn shift_when(from: i64, to: i64) -> String {
    let f = pingan_domain::time::local_datetime(pingan_domain::time::from_micros(from));
    let t = pingan_domain::time::local_datetime(pingan_domain::time::from_micros(to));
    format!("{}–{}", &f[5..16], &t[11..16])
}

impl DutyPage {
    fn period(&self, from: &i64, to: &i64) -> String {
        shift_when(*from, *to)
    }

    fn due(&self, at: &i64) -> String {
        let d = pingan_domain::time::local_datetime(pingan_domain::time::from_micros(*at));
        d[5..16].to_string()
    }

    fn task_kind(&self, k: &pingan_domain::team::TaskKind) -> String {
        self.ctx.label("team_task", k.code())
    }

    fn names(&self, who: &[crate::teams::work::Assigned]) -> String {
        who.iter()
            .map(|a| a.name.as_str())
            .collect::<Vec<_>>()
            .join(self.ctx.t("shell.list_sep"))
    }

    fn hours(&self) -> String {
        format!("{:.1}", self.team_work.minutes as f64 / 60.0)
    }

    fn status_label(&self, s: &str) -> String {
        self.ctx.t(&format!("dispatch.status.{s}")).to_string()
    }
}

async fn duty_page(
    state: &AppState,
    headers: &HeaderMap,
    actor: &Actor,
    error: Option<String>,
) -> Response {
    // Responders see their units and assignments; team members (whatever their role) their
    // duties and tasks; whoever patrols their shifts.
    let team_work = crate::teams::work::mine(state, actor).await;
    let member = team_work.as_ref().is_ok_and(|w| !w.teams.is_empty());
    let permission = if actor.can(Permission::TeamReport) {
        Permission::TeamReport
    } else {
        Permission::IncidentRespond
    };
    let ctx = if member {
        Ctx::new(state, headers, actor, "duty", "/duty")
    } else {
        crate::page_try!(
            crate::shell::ctx_with(state, headers, actor, "duty", "/duty", permission).await
        )
    };
    let responds = actor.can(Permission::IncidentRespond);
    let shifts = if actor.can(Permission::PatrolRead) {
        let today = pingan_domain::time::day_start(state.today());
        let rfc = |us: i64| {
            jiff::Timestamp::from_microsecond(us)
                .map(|t| t.to_string())
                .unwrap_or_default()
        };
        let q = crate::patrol::roster::ShiftQuery {
            from: Some(rfc(today)),
            to: Some(rfc(today + 7 * 86_400_000_000)),
            mine: Some(true),
            ..Default::default()
        };
        match crate::patrol::roster::shifts(state, actor, &q).await {
            Ok(s) => s
                .into_iter()
                .filter(|s| s.cancelled_at.is_none())
                .map(|s| DutyShift {
                    when: shift_when(s.starts_at, s.ends_at),
                    mode: ctx.label("patrol_mode", s.mode.code()),
                    zone_name: s.zone_name,
                })
                .collect(),
            Err(e) => return crate::shell::page_error(ctx, e),
        }
    } else {
        Vec::new()
    };
    let team_work = match team_work {
        Ok(w) => w,
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let loaded = async {
        if !responds {
            return Ok((Vec::new(), Vec::new()));
        }
        let mine = units::for_user(&state.db, &actor.user_id).await?;
        let asg = incidents::assignments_for_user(
            &state.db,
            &actor.user_id,
            state.now() - 86_400_000_000,
        )
        .await?;
        let types = crate::dispatch::TypeNames::load(state).await?;
        let mut out = Vec::new();
        for a in asg {
            if let Some(r) = incidents::get(&state.db, &actor.scope, &a.incident_id).await? {
                out.push(DutyAssignment {
                    type_name: types.name(&r.type_code, ctx.lang_code == "zh-CN"),
                    incident_id: r.id,
                    number: r.number,
                    level: r.level,
                    address: r.address,
                    description: r.description,
                    incident_status: r.status,
                    call_sign: a.call_sign,
                    unit_id: a.unit_id,
                    state: a.state,
                    assigned_at: when(a.assigned_at),
                });
            }
        }
        Ok::<_, pingan_store::StoreError>((mine, out))
    };
    match loaded.await {
        Ok((mine, assignments)) => {
            let units = mine
                .into_iter()
                .map(|u| DutyUnit {
                    status_label: ctx.t(&format!("dispatch.unit.{}", u.status)).to_string(),
                    id: u.id,
                    call_sign: u.call_sign,
                    status: u.status,
                })
                .collect();
            let status = if error.is_some() {
                StatusCode::CONFLICT
            } else {
                StatusCode::OK
            };
            render(
                status,
                &DutyPage {
                    ctx,
                    units,
                    assignments,
                    error,
                    responds,
                    can_report: !channels(actor).is_empty(),
                    shifts,
                    team_work,
                },
            )
        }
        Err(e) => crate::shell::page_error(ctx, e),
    }
}

async fn duty(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
) -> Response {
    duty_page(&state, &headers, &actor, None).await
}

#[derive(Deserialize)]
struct StatusForm {
    unit_id: String,
    status: String,
}

async fn duty_status(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    form: Result<Form<StatusForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let f = match crate::shell::form(form) {
        Ok(f) => f,
        Err(e) => return crate::shell::fail(&state, &headers, &actor, e),
    };
    match crate::dispatch::units::change_status(&state, &actor, &f.unit_id, &f.status).await {
        Ok(_) => (StatusCode::SEE_OTHER, [(LOCATION, "/duty".to_string())]).into_response(),
        Err(e) => match field_message(&e) {
            Some(m) => duty_page(&state, &headers, &actor, Some(m)).await,
            None => crate::shell::fail(&state, &headers, &actor, e),
        },
    }
}

pub struct UnitLine {
    pub call_sign: String,
    pub name: String,
    pub kind: String,
    pub org_name: String,
    pub status: String,
    pub status_label: String,
    pub position_at: String,
}

#[derive(Template)]
#[template(path = "dispatch/units.html")]
struct UnitsPage {
    ctx: Ctx,
    units: Vec<UnitLine>,
}

async fn units_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(
            &state,
            &headers,
            &actor,
            "units",
            "/units",
            Permission::UnitRead
        )
        .await
    );
    match units::list(&state.db, &actor.scope).await {
        Ok(rows) => {
            let units = rows
                .into_iter()
                .map(|u| UnitLine {
                    status_label: ctx.t(&format!("dispatch.unit.{}", u.status)).to_string(),
                    kind: ctx.t(&format!("dispatch.kind.{}", u.kind)).to_string(),
                    call_sign: u.call_sign,
                    name: u.name,
                    org_name: u.org_name,
                    status: u.status,
                    position_at: opt_when(u.position_at),
                })
                .collect();
            render(StatusCode::OK, &UnitsPage { ctx, units })
        }
        Err(e) => crate::shell::page_error(ctx, e),
    }
}

impl NewPage {
    fn elsewhere(&self) -> Vec<String> {
        self.errors.elsewhere(&[
            "channel",
            "type_code",
            "level",
            "description",
            "address",
            "location",
            "caller_name",
            "caller_phone",
        ])
    }
}
