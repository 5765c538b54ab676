//! Dispute pages: the list with each dispute's tier clock, the dispute page (timeline, masked parties,
//! joint mediation, sessions, agreements, follow-ups, alerts) and the printable 人民调解协议书, which
//! shows the parties' identity and therefore asks for a purpose and is audited like any reveal.

use crate::auth::PageActor;
use crate::error::{ApiError, Problem};
use crate::mediation::detail::{DisputeDetail, RevealedParty, detail, reveal};
use crate::mediation::{self, Dispute, steps};
use crate::shell::{Ctx, forbidden, not_found, render};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use pingan_domain::Permission;
use pingan_domain::time;
use pingan_store::disputes::{self, DisputeFilter};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/disputes", get(list))
        .route("/disputes/new", get(new_form).post(new_submit))
        .route("/disputes/{id}", get(show))
        .route("/disputes/{id}/act", axum::routing::post(act))
        .route("/disputes/{id}/agreement", get(print))
        .route("/disputes/{id}/parties/{party}/contact", get(contact))
}

fn when(us: i64) -> String {
    time::local_datetime(time::from_micros(us))
}

fn day(us: i64) -> String {
    time::local_date(time::from_micros(us))
}

#[derive(Template)]
#[template(path = "mediation/disputes.html")]
struct ListPage {
    ctx: Ctx,
    rows: Vec<Dispute>,
    q: ListQuery,
    /// (code, name) of the townships and villages in scope.
    areas: Vec<(String, String)>,
    /// (code, name) of the grades.
    grades: Vec<(String, String)>,
    /// The reader may register disputes (the list offers the form only then).
    can_register: bool,
}

impl ListPage {
    fn status_label(&self, status: &str) -> String {
        self.ctx
            .t(&format!("mediation.status_{status}"))
            .to_string()
    }
    fn clock(&self, d: &Dispute) -> String {
        d.seconds_left.map(|x| self.ctx.span(x)).unwrap_or_default()
    }
    fn at(&self, us: &i64) -> String {
        when(*us)
    }
    /// Whether a filter holds this value (the option shows selected).
    fn sel(&self, v: &Option<String>, s: &str) -> bool {
        v.as_deref() == Some(s)
    }
}

/// The list's filters, as the form sends them (empty = any).
#[derive(Deserialize, Default, Clone)]
struct ListQuery {
    status: Option<String>,
    grade: Option<String>,
    tier: Option<String>,
    /// An area code (township or village) the dispute lies in.
    area: Option<String>,
    /// Registered within this many days.
    days: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Query(q): Query<ListQuery>,
) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(
            &state,
            &headers,
            &actor,
            "disputes",
            "/disputes",
            Permission::DisputeRead
        )
        .await
    );
    let pick = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
    // Areas offered in the filter: the townships and villages in the reader's scope.
    let areas: Vec<(String, String, String)> =
        match pingan_store::areas::list(&state.db, &actor.scope, None, None).await {
            Ok(a) => a
                .into_iter()
                .filter(|a| a.level == "township" || a.level == "village")
                .map(|a| (a.code, a.name, a.path))
                .collect(),
            Err(e) => return crate::shell::page_error(ctx, e),
        };
    // An area outside the reader's scope (or unknown) matches nothing.
    let area_path = pick(&q.area).map(|c| {
        areas
            .iter()
            .find(|(code, _, _)| *code == c)
            .map_or_else(|| "/-/".to_string(), |(_, _, p)| p.clone())
    });
    let since = pick(&q.days)
        .and_then(|d| d.parse::<i64>().ok())
        .filter(|d| *d > 0)
        .map(|d| state.now() - d * pingan_domain::dispute::MICROS_PER_DAY);
    let rows = match disputes::list(
        &state.db,
        &actor.scope,
        &DisputeFilter {
            statuses: pick(&q.status).into_iter().collect(),
            tier: pick(&q.tier),
            grade: pick(&q.grade),
            area_path,
            since,
            limit: 500,
            ..Default::default()
        },
    )
    .await
    {
        Ok(r) => r,
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let types = match mediation::type_names(&state).await {
        Ok(t) => t,
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let rows = rows
        .into_iter()
        .map(|r| {
            let mut d = mediation::view(&state, &types, r);
            mediation::in_language(&state, &types, &mut d, ctx.lang);
            d
        })
        .collect();
    let lang = ctx.lang;
    render(
        StatusCode::OK,
        &ListPage {
            can_register: actor.can(Permission::DisputeManage),
            ctx,
            rows,
            q,
            areas: areas.into_iter().map(|(c, n, _)| (c, n)).collect(),
            grades: state
                .config
                .mediation
                .grading
                .grades
                .iter()
                .map(|g| (g.code.clone(), lang.pick(&g.name_zh, &g.name_en).clone()))
                .collect(),
        },
    )
}

#[derive(Template)]
#[template(path = "mediation/dispute.html")]
struct DisputePage {
    ctx: Ctx,
    d: DisputeDetail,
    can_reveal: bool,
    can_manage: bool,
    error: Option<String>,
}

impl DisputePage {
    /// A code in the reader's words (`mediation.<group>.<code>`); an unnamed code stays as it is.
    fn label(&self, group: &str, code: &str) -> String {
        self.ctx.label(&format!("mediation.{group}"), code)
    }
    fn status_label(&self) -> String {
        self.ctx
            .t(&format!("mediation.status_{}", self.d.dispute.status))
            .to_string()
    }
    fn at(&self, us: &i64) -> String {
        when(*us)
    }
    fn opt_at(&self, us: &Option<i64>) -> String {
        us.map(when).unwrap_or_default()
    }
    fn clock(&self) -> String {
        self.d
            .dispute
            .seconds_left
            .map(|x| self.ctx.span(x))
            .unwrap_or_default()
    }
    fn is(&self, status: &str) -> bool {
        self.d.dispute.status == status
    }
    /// Open to steps; a status this version does not know offers none.
    fn open(&self) -> bool {
        self.d
            .dispute
            .status
            .parse::<pingan_domain::dispute::Status>()
            .is_ok_and(|s| s.is_open())
    }
}

async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
) -> Response {
    dispute_page(&state, &headers, &actor, &id, None).await
}

async fn dispute_page(
    state: &AppState,
    headers: &HeaderMap,
    actor: &crate::auth::Actor,
    id: &str,
    error: Option<String>,
) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(
            state,
            headers,
            actor,
            "disputes",
            &format!("/disputes/{id}"),
            Permission::DisputeRead
        )
        .await
    );
    let row = match disputes::get(&state.db, &actor.scope, id).await {
        Ok(Some(r)) => r,
        Ok(None) => return not_found(ctx),
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    match detail(state, row, ctx.lang).await {
        Ok(mut d) => {
            // People by name, not username.
            let users: Vec<String> = d.timeline.iter().map(|e| e.actor.clone()).collect();
            let names = pingan_store::users::display_names(&state.db, &users)
                .await
                .unwrap_or_default();
            for e in d.timeline.iter_mut() {
                if let Some(n) = names.get(&e.actor) {
                    e.actor = n.clone();
                } else if e.actor.starts_with("system") {
                    e.actor = ctx.t("mediation.system").to_string();
                }
            }
            render(
                if error.is_some() {
                    StatusCode::UNPROCESSABLE_ENTITY
                } else {
                    StatusCode::OK
                },
                &DisputePage {
                    can_reveal: actor.can(Permission::PersonalDataReveal),
                    can_manage: actor.can(Permission::DisputeManage),
                    ctx,
                    d,
                    error,
                },
            )
        }
        Err(e) => crate::shell::page_error(ctx, e),
    }
}

/// One form for every step on the dispute page; `op` says which.
#[derive(Deserialize, Default)]
struct ActForm {
    op: String,
    place: Option<String>,
    attendees: Option<String>,
    notes: Option<String>,
    followup_id: Option<String>,
    result: Option<String>,
    action: Option<String>,
    to: Option<String>,
    note: Option<String>,
    facts: Option<String>,
    issues: Option<String>,
    responsibilities: Option<String>,
    /// One term a line: content | performer | YYYY-MM-DD.
    terms: Option<String>,
    mediator: Option<String>,
    committee: Option<String>,
    judicial_confirmation: Option<String>,
    days: Option<String>,
    reason: Option<String>,
}

fn terms_from(text: &str) -> Result<Vec<steps::TermRequest>, ApiError> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(|(i, l)| {
            let parts: Vec<&str> = l.split(['|', '｜']).map(str::trim).collect();
            match parts.as_slice() {
                [content, performer, due] => Ok(steps::TermRequest {
                    content: content.to_string(),
                    performer: performer.to_string(),
                    due_date: due.to_string(),
                }),
                _ => Err(ApiError::invalid(
                    &format!("terms[{i}]"),
                    "write each term as: content | performer | YYYY-MM-DD",
                )),
            }
        })
        .collect()
}

async fn act(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
    form: Result<axum::extract::Form<ActForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let f = match crate::shell::form(form) {
        Ok(f) => f,
        Err(e) => return crate::shell::fail(&state, &headers, &actor, e),
    };
    let s = |v: Option<String>| v.unwrap_or_default();
    let blank = |v: Option<String>| v.filter(|x| !x.trim().is_empty());
    let result: Result<(), ApiError> = match f.op.as_str() {
        "session" => steps::add_session(
            &state,
            &actor,
            &id,
            steps::SessionRequest {
                held_at: None,
                place: s(f.place),
                attendees: s(f.attendees),
                notes: s(f.notes),
            },
        )
        .await
        .map(|_| ()),
        "followup" => {
            steps::follow_up(
                &state,
                &actor,
                &id,
                &s(f.followup_id),
                steps::FollowUpRequest {
                    result: s(f.result),
                    note: blank(f.note),
                },
            )
            .await
        }
        "step" => {
            steps::act(
                &state,
                &actor,
                &id,
                steps::StepRequest {
                    action: s(f.action),
                    to: blank(f.to),
                    note: blank(f.note),
                },
            )
            .await
        }
        "extension" => match s(f.days).trim().parse::<i64>() {
            Ok(days) => steps::request_extension(
                &state,
                &actor,
                &id,
                steps::ExtensionRequest {
                    days,
                    reason: s(f.reason),
                },
            )
            .await
            .map(|_| ()),
            Err(_) => Err(ApiError::invalid("days", "days must be a number")),
        },
        "agreement" => match terms_from(&s(f.terms)) {
            Ok(terms) => steps::agree(
                &state,
                &actor,
                &id,
                steps::AgreementRequest {
                    form: None,
                    facts: s(f.facts),
                    issues: s(f.issues),
                    responsibilities: s(f.responsibilities),
                    terms,
                    mediator: s(f.mediator),
                    committee: s(f.committee),
                    judicial_confirmation: f.judicial_confirmation.is_some(),
                },
            )
            .await
            .map(|_| ()),
            Err(e) => Err(e),
        },
        _ => Err(ApiError::invalid("op", "unknown step")),
    };
    match result {
        Ok(()) => (
            StatusCode::SEE_OTHER,
            [(axum::http::header::LOCATION, format!("/disputes/{id}"))],
        )
            .into_response(),
        Err(e) => match crate::shell::field_message(&e) {
            Some(m) => dispute_page(&state, &headers, &actor, &id, Some(m)).await,
            None => crate::shell::fail(&state, &headers, &actor, e),
        },
    }
}

#[derive(Deserialize, Default)]
struct NewQuery {
    incident_id: Option<String>,
    source: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
struct NewForm {
    type_code: String,
    source: String,
    incident_id: String,
    title: String,
    description: String,
    address: String,
    lng: String,
    lat: String,
    people_involved: String,
    amount_yuan: String,
    violence_threat: Option<String>,
    self_harm_threat: Option<String>,
    vulnerable_party: Option<String>,
    grade: String,
    grade_reason: String,
    tier: String,
    p1_name: String,
    p1_id_number: String,
    p1_phone: String,
    p1_address: String,
    p2_name: String,
    p2_id_number: String,
    p2_phone: String,
    p2_address: String,
}

#[derive(Template)]
#[template(path = "mediation/dispute_new.html")]
struct NewPage {
    ctx: Ctx,
    f: NewForm,
    types: Vec<disputes::TypeRow>,
    grades: Vec<pingan_domain::dispute::Grade>,
    error: Option<String>,
    /// Each problem beside its field.
    errors: crate::shell::FieldErrors,
    tile_url: String,
}

/// The form fields that show their own problems; others are listed above the form.
const NEW_FIELDS: &[&str] = &[
    "type_code",
    "title",
    "description",
    "address",
    "location",
    "people_involved",
    "amount_yuan",
    "grade",
    "grade_reason",
    "tier",
    "p1_name",
    "p1_id_number",
    "p1_phone",
    "p1_address",
    "p2_name",
    "p2_id_number",
    "p2_phone",
    "p2_address",
];

impl NewPage {
    fn elsewhere(&self) -> Vec<String> {
        self.errors.elsewhere(NEW_FIELDS)
    }
    fn checked(&self, v: &Option<String>) -> bool {
        v.is_some()
    }
    fn tier_is(&self, t: &str) -> bool {
        self.f.tier == t
    }
}

async fn new_page(
    state: &AppState,
    headers: &HeaderMap,
    actor: &crate::auth::Actor,
    f: NewForm,
    failure: Option<ApiError>,
) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(
            state,
            headers,
            actor,
            "disputes",
            "/disputes/new",
            Permission::DisputeManage
        )
        .await
    );
    let types = disputes::types(&state.db).await.unwrap_or_default();
    // API paths → this form's fields: the parties as entered (an empty applicant shifts the index).
    let entered: Vec<&str> = [("p1", &f.p1_name), ("p2", &f.p2_name)]
        .into_iter()
        .filter(|(_, n)| !n.trim().is_empty())
        .map(|(p, _)| p)
        .collect();
    let rename = |path: &str| -> Option<String> {
        if path == "lng" || path == "lat" || path == "crs" {
            return Some("location".into());
        }
        let rest = path.strip_prefix("parties[")?;
        let (i, field) = rest.split_once("].")?;
        let p = entered.get(i.parse::<usize>().ok()?)?;
        Some(format!("{p}_{field}"))
    };
    let errors = failure
        .as_ref()
        .and_then(|e| ctx.field_errors(e, rename))
        .unwrap_or_default();
    let error = match &failure {
        Some(e) if errors.is_empty() => crate::shell::field_message(e),
        _ => None,
    };
    let status = if failure.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(
        status,
        &NewPage {
            ctx,
            f,
            types: types.into_iter().filter(|t| t.active).collect(),
            grades: state.config.mediation.grading.grades.clone(),
            error,
            errors,
            tile_url: crate::basemap::tile_url(state).await,
        },
    )
}

async fn new_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Query(q): Query<NewQuery>,
) -> Response {
    let mut f = NewForm {
        people_involved: "2".into(),
        tier: "grid".into(),
        ..Default::default()
    };
    if let Some(iid) = q.incident_id.filter(|i| !i.is_empty()) {
        if let Ok(Some(i)) = pingan_store::incidents::get(&state.db, &actor.scope, &iid).await {
            f.address = i.address.clone();
            f.lng = format!("{:.6}", i.lng);
            f.lat = format!("{:.6}", i.lat);
            f.description = i.description.clone();
            f.incident_id = i.id;
        }
        f.source = q.source.unwrap_or_else(|| "incident_transfer".into());
    }
    new_page(&state, &headers, &actor, f, None).await
}

async fn new_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    form: Result<axum::extract::Form<NewForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let f = match crate::shell::form(form) {
        Ok(f) => f,
        Err(e) => return crate::shell::fail(&state, &headers, &actor, e),
    };
    let opt = |v: &str| Some(v.trim().to_string()).filter(|x| !x.is_empty());
    let num = |field: &str, v: &str| -> Result<Option<f64>, ApiError> {
        opt(v)
            .map(|x| {
                x.parse::<f64>().map_err(|_| {
                    ApiError::problem(Problem::new(
                        field,
                        "number",
                        format!("{field} must be a number"),
                    ))
                })
            })
            .transpose()
    };
    let int = |field: &str, v: &str| -> Result<Option<i64>, ApiError> {
        opt(v)
            .map(|x| {
                x.parse::<i64>().map_err(|_| {
                    ApiError::problem(Problem::new(
                        field,
                        "whole_number",
                        format!("{field} must be a whole number"),
                    ))
                })
            })
            .transpose()
    };
    let party = |name: &str, id: &str, phone: &str, address: &str, role: &str| {
        opt(name).map(|n| crate::mediation::register::PartyRequest {
            kind: None,
            role: Some(role.into()),
            name: n,
            id_number: opt(id),
            credit_code: None,
            phone: opt(phone),
            address: opt(address),
            vulnerable: false,
        })
    };
    let mut problems = crate::error::Problems::default();
    let lng = problems.check(num("lng", &f.lng)).ok().flatten().flatten();
    let lat = problems.check(num("lat", &f.lat)).ok().flatten().flatten();
    let people_involved = problems
        .check(int("people_involved", &f.people_involved))
        .ok()
        .flatten()
        .flatten();
    let amount_yuan = problems
        .check(int("amount_yuan", &f.amount_yuan))
        .ok()
        .flatten()
        .flatten();
    let req = crate::mediation::register::NewDisputeRequest {
        type_code: f.type_code.clone(),
        source: opt(&f.source),
        incident_id: opt(&f.incident_id),
        campaign_id: None,
        title: f.title.clone(),
        description: f.description.clone(),
        address: opt(&f.address),
        lng,
        lat,
        crs: None,
        people_involved,
        amount_yuan,
        violence_threat: f.violence_threat.is_some(),
        self_harm_threat: f.self_harm_threat.is_some(),
        vulnerable_party: f.vulnerable_party.is_some(),
        grade: opt(&f.grade),
        grade_reason: opt(&f.grade_reason),
        tier: opt(&f.tier),
        parties: [
            party(
                &f.p1_name,
                &f.p1_id_number,
                &f.p1_phone,
                &f.p1_address,
                "applicant",
            ),
            party(
                &f.p2_name,
                &f.p2_id_number,
                &f.p2_phone,
                &f.p2_address,
                "respondent",
            ),
        ]
        .into_iter()
        .flatten()
        .collect(),
    };
    let result = if problems.is_empty() {
        crate::mediation::register::register(&state, &actor, req).await
    } else {
        // A number that does not parse: the rest is still checked (nothing written), so every
        // problem shows at once.
        if let Err(ApiError::Invalid(more)) =
            crate::mediation::register::prepare(&state, &actor, req).await
        {
            for p in more {
                problems.push(p);
            }
        }
        Err(problems.into_error())
    };
    match result {
        Ok(row) => (
            StatusCode::SEE_OTHER,
            [(
                axum::http::header::LOCATION,
                format!("/disputes/{}", row.id),
            )],
        )
            .into_response(),
        Err(e) if crate::shell::field_message(&e).is_some() => {
            new_page(&state, &headers, &actor, f, Some(e)).await
        }
        Err(e) => crate::shell::fail(&state, &headers, &actor, e),
    }
}

#[derive(Deserialize)]
struct PrintQuery {
    purpose: Option<String>,
}

#[derive(Template)]
#[template(path = "mediation/agreement_print.html")]
struct PrintPage {
    d: DisputeDetail,
    parties: Vec<(crate::mediation::Party, RevealedParty)>,
    copies: usize,
}

impl PrintPage {
    fn agreement(&self) -> Option<&crate::mediation::detail::Agreement> {
        self.d
            .agreements
            .iter()
            .rev()
            .find(|a| a.superseded_at.is_none())
    }
    fn date(&self, us: &i64) -> String {
        day(*us)
    }
    fn role_zh(&self, role: &str) -> &'static str {
        match role {
            "applicant" => "申请人",
            "respondent" => "被申请人",
            _ => "当事人",
        }
    }
}

#[derive(Template)]
#[template(path = "mediation/agreement_purpose.html")]
struct PurposePage {
    ctx: Ctx,
    id: String,
    number: String,
}

/// The agreement as printed for signing (人民调解法 art. 29). Shows full identity: purpose required.
async fn print(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
    Query(q): Query<PrintQuery>,
) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(
            &state,
            &headers,
            &actor,
            "disputes",
            &format!("/disputes/{id}/agreement"),
            Permission::DisputeRead
        )
        .await
    );
    let row = match disputes::get(&state.db, &actor.scope, &id).await {
        Ok(Some(r)) => r,
        Ok(None) => return not_found(ctx),
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let Some(purpose) = q.purpose.filter(|p| !p.trim().is_empty()) else {
        return render(
            StatusCode::OK,
            &PurposePage {
                ctx,
                id: row.id,
                number: row.number,
            },
        );
    };
    // The agreement is printed in Chinese.
    let d = match detail(&state, row, crate::i18n::Lang::ZhCn).await {
        Ok(d) => d,
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    if !d.agreements.iter().any(|a| a.superseded_at.is_none()) {
        return not_found(ctx);
    }
    let mut parties = Vec::new();
    for p in &d.parties {
        match reveal(&state, &actor, &id, &p.id, Some(&purpose)).await {
            Ok(r) => parties.push((p.clone(), r)),
            Err(ApiError::Forbidden(_)) => return forbidden(ctx),
            Err(e) => return crate::shell::page_error(ctx, e),
        }
    }
    let copies = parties.len() + 1;
    render(StatusCode::OK, &PrintPage { d, parties, copies })
}

#[derive(Template)]
#[template(path = "mediation/party_contact.html")]
struct ContactPage {
    ctx: Ctx,
    id: String,
    number: String,
    party: String,
    role: String,
    /// None: the purpose is asked first; Some: the revealed contact (audited).
    revealed: Option<RevealedParty>,
    purpose: String,
}

impl ContactPage {
    fn label(&self, group: &str, code: &str) -> String {
        self.ctx.label(&format!("mediation.{group}"), code)
    }
}

/// One party's contact for the mediator who must call them: asks the purpose, then reveals name, phone,
/// ID number and address — audited like the agreement print (人民调解法 art. 15: the mediator keeps the
/// parties' privacy, so the page is reached on purpose, never shown by default).
async fn contact(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path((id, party)): Path<(String, String)>,
    Query(q): Query<PrintQuery>,
) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(
            &state,
            &headers,
            &actor,
            "disputes",
            &format!("/disputes/{id}/parties/{party}/contact"),
            Permission::DisputeRead
        )
        .await
    );
    // A refusal is audited like any denied permission.
    if actor
        .require(&state, Permission::PersonalDataReveal)
        .await
        .is_err()
    {
        return forbidden(ctx);
    }
    let row = match disputes::get(&state.db, &actor.scope, &id).await {
        Ok(Some(r)) => r,
        Ok(None) => return not_found(ctx),
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let role = match disputes::parties(&state.db, &row.id).await {
        Ok(ps) => match ps.into_iter().find(|p| p.id == party) {
            Some(p) => p.role,
            None => return not_found(ctx),
        },
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let purpose = q.purpose.unwrap_or_default().trim().to_string();
    let revealed = if purpose.chars().count() >= 2 {
        match reveal(&state, &actor, &row.id, &party, Some(&purpose)).await {
            Ok(r) => Some(r),
            Err(ApiError::Forbidden(_)) => return forbidden(ctx),
            Err(e) => return crate::shell::page_error(ctx, e),
        }
    } else {
        None
    };
    render(
        StatusCode::OK,
        &ContactPage {
            ctx,
            id: row.id,
            number: row.number,
            party,
            role,
            revealed,
            purpose,
        },
    )
}
