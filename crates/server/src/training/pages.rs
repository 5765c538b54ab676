//! 队伍建设 pages: `/training` (sessions over a span of days; for managers, planning one, the staff's
//! hours, certificates expiring and pairing), `/training/sessions/{id}` (attendees, scores, places;
//! recording attendance on a phone), `/training/people/{id}` (a person's record; recording a
//! certificate), `/training/mentorships/{id}` (goals and check-ins; recording one, ending the pair)
//! and `/training/me` (one's own record).

use super::{
    AttendanceEntry, ExpiringQuery, MentorshipClosure, MentorshipDetail, NewMentorship,
    NewMentorshipCheckin, NewTrainingCertificate, NewTrainingSession, SessionsQuery, StaffHours,
    StaffHoursQuery, StaffMember, TrainingCertificate, TrainingRecord, TrainingSession,
    TrainingSessionDetail,
};
use crate::auth::{Actor, PageActor};
use crate::error::ApiError;
use crate::shell::{Ctx, FieldErrors, Forms, Typed, render};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use pingan_domain::Permission;
use pingan_domain::training::{CertificateState, SessionKind};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/training", get(index))
        .route("/training/me", get(me))
        .route("/training/sessions", post(plan))
        .route("/training/sessions/{id}", get(session).post(attend))
        .route("/training/people/{id}", get(person).post(certify))
        .route("/training/mentorships", post(pair))
        .route("/training/mentorships/{id}", get(mentorship))
        .route("/training/mentorships/{id}/checkins", post(checkin))
        .route("/training/mentorships/{id}/closure", post(close))
}

fn plain_field(path: &str) -> Option<String> {
    Some(path.split('[').next().unwrap_or(path).to_string())
}

fn status(forms: &Forms) -> StatusCode {
    if forms.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

async fn context(state: &AppState, headers: &HeaderMap, actor: &Actor) -> Result<Ctx, Response> {
    crate::shell::ctx_with(
        state,
        headers,
        actor,
        "training",
        "/training",
        Permission::TrainingRead,
    )
    .await
}

/// Words shared by the training templates.
trait Words {
    fn ctx(&self) -> &Ctx;
    fn kind(&self, k: &SessionKind) -> String {
        self.ctx().label("training_kind", k.code())
    }
    fn kinds(&self) -> Vec<(&'static str, String)> {
        SessionKind::ALL
            .iter()
            .map(|k| (k.code(), self.ctx().label("training_kind", k.code())))
            .collect()
    }
    fn at(&self, us: &i64) -> String {
        pingan_domain::time::local_datetime(pingan_domain::time::from_micros(*us))[..16].to_string()
    }
    fn num(&self, v: &f64) -> String {
        let s = format!("{v:.1}");
        s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
    }
    fn opt(&self, v: &Option<f64>) -> String {
        v.map(|v| self.num(&v)).unwrap_or_default()
    }
    fn cert_state(&self, c: &TrainingCertificate) -> String {
        let state = self.ctx().label("certificate_state", c.state.code());
        match (c.state, c.days_left) {
            (CertificateState::Expired, Some(d)) => format!(
                "{state} · {}",
                self.ctx()
                    .t("training.overdue")
                    .replace("{n}", &(-d).to_string())
            ),
            (CertificateState::Expiring, Some(d)) => format!(
                "{state} · {}",
                self.ctx()
                    .t("training.days_left")
                    .replace("{n}", &d.to_string())
            ),
            _ => state,
        }
    }
    fn pair_status(&self, s: &str) -> String {
        self.ctx().label("mentorship_status", s)
    }
}

/* ---------- /training ---------- */

#[derive(Debug, Default, Deserialize)]
struct IndexQuery {
    from: Option<String>,
    to: Option<String>,
}

#[derive(Template)]
#[template(path = "training/index.html")]
struct IndexPage {
    ctx: Ctx,
    from: String,
    to: String,
    sessions: Vec<TrainingSession>,
    can_manage: bool,
    reads: bool,
    year: i16,
    staff_hours: Vec<StaffHours>,
    expiring: Vec<TrainingCertificate>,
    pairs: Vec<super::Mentorship>,
    staff: Vec<StaffMember>,
    areas: Vec<(String, String)>,
    now: String,
    today: String,
    forms: Forms,
}

impl Words for IndexPage {
    fn ctx(&self) -> &Ctx {
        &self.ctx
    }
}

async fn index_view(
    state: &AppState,
    headers: &HeaderMap,
    actor: &Actor,
    q: IndexQuery,
    forms: Forms,
) -> Response {
    let ctx = match context(state, headers, actor).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let can_manage = actor.can(Permission::TrainingManage);
    let reads = super::reads_records(actor);
    let year = state.today().year();
    let sq = SessionsQuery {
        from: q.from.filter(|v| !v.is_empty()),
        to: q.to.filter(|v| !v.is_empty()),
    };
    let loaded = async {
        let (from, to, _, _) = super::day_span(state, &sq)?;
        let sessions = super::sessions(state, actor, &sq).await?;
        let pairs = super::mentorships(state, actor).await?;
        let (staff_hours, expiring) = if reads {
            (
                super::staff_hours(state, actor, &StaffHoursQuery { year: Some(year) }).await?,
                super::expiring(state, actor, &ExpiringQuery { days: None }).await?,
            )
        } else {
            (Vec::new(), Vec::new())
        };
        let (staff, areas) = if can_manage {
            let areas = pingan_store::areas::list(&state.db, &actor.scope, None, None)
                .await?
                .into_iter()
                .filter(|a| actor.scope.covers_area_path(&a.path))
                .map(|a| (a.path, a.name))
                .collect();
            (super::staff(state, actor).await?, areas)
        } else {
            (Vec::new(), Vec::new())
        };
        Ok::<_, ApiError>((
            from,
            to,
            sessions,
            pairs,
            staff_hours,
            expiring,
            staff,
            areas,
        ))
    };
    match loaded.await {
        Ok((from, to, sessions, pairs, staff_hours, expiring, staff, areas)) => {
            let now =
                pingan_domain::time::local_datetime(pingan_domain::time::from_micros(state.now()));
            render(
                status(&forms),
                &IndexPage {
                    ctx,
                    from: from.to_string(),
                    to: to.to_string(),
                    sessions,
                    can_manage,
                    reads,
                    year,
                    staff_hours,
                    expiring,
                    pairs,
                    staff,
                    areas,
                    now: now[..16].replace(' ', "T"),
                    today: state.today().to_string(),
                    forms,
                },
            )
        }
        Err(e) => crate::shell::page_error(ctx, e),
    }
}

async fn index(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Query(q): Query<IndexQuery>,
) -> Response {
    index_view(&state, &headers, &actor, q, Forms::default()).await
}

async fn me(PageActor(actor): PageActor) -> Response {
    Redirect::to(&format!(
        "/training/people/{}",
        crate::auth::url_encode(&actor.user_id)
    ))
    .into_response()
}

/// A form's answer: where to go when it worked, the page again with the problems beside their
/// fields when it did not.
async fn answer<T>(
    state: &AppState,
    headers: &HeaderMap,
    actor: &Actor,
    typed: Typed,
    result: Result<T, ApiError>,
    ok: impl FnOnce(T) -> String,
    again: impl AsyncFnOnce(Forms) -> Response,
) -> Response {
    match result {
        Ok(v) => Redirect::to(&ok(v)).into_response(),
        Err(e) => {
            let lang = crate::shell::lang_of(headers);
            match FieldErrors::of(&state.i18n, lang, &e, plain_field) {
                Some(errors) => again(Forms { typed, errors }).await,
                None => crate::shell::fail(state, headers, actor, e),
            }
        }
    }
}

fn number(typed: &Typed, key: &str) -> Option<f64> {
    typed.optional(key).map(|v| v.parse().unwrap_or(f64::NAN))
}

/// `datetime-local` input (China Standard Time) as RFC 3339.
fn local_instant(v: &str) -> String {
    if v.len() == 16 {
        format!("{v}:00+08:00")
    } else {
        v.to_string()
    }
}

async fn plan(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    body: Bytes,
) -> Response {
    let typed = Typed::parse("session", &body);
    let Ok(kind) = typed.get("kind").parse::<SessionKind>() else {
        let e = ApiError::invalid("kind", "a kind from the list");
        return answer(
            &state,
            &headers,
            &actor,
            typed,
            Err::<(), _>(e),
            |_| String::new(),
            async |forms| index_view(&state, &headers, &actor, IndexQuery::default(), forms).await,
        )
        .await;
    };
    let req = NewTrainingSession {
        kind,
        title: typed.get("title"),
        topic: typed.optional("topic"),
        trainer: typed.get("trainer"),
        place: typed.optional("place"),
        starts_at: local_instant(&typed.get("starts_at")),
        hours: number(&typed, "hours").unwrap_or(f64::NAN),
        max_score: number(&typed, "max_score"),
        pass_score: number(&typed, "pass_score"),
        area_path: typed.get("area_path"),
    };
    let result = super::create_session(&state, &actor, req).await;
    answer(
        &state,
        &headers,
        &actor,
        typed,
        result,
        |s| format!("/training/sessions/{}", s.id),
        async |forms| index_view(&state, &headers, &actor, IndexQuery::default(), forms).await,
    )
    .await
}

async fn pair(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    body: Bytes,
) -> Response {
    let typed = Typed::parse("pair", &body);
    let req = NewMentorship {
        mentor_id: typed.get("mentor_id"),
        mentee_id: typed.get("mentee_id"),
        started_on: typed.get("started_on"),
        ends_on: typed.get("ends_on"),
        goals: typed
            .get("goals")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect(),
    };
    let result = super::create_mentorship(&state, &actor, req).await;
    answer(
        &state,
        &headers,
        &actor,
        typed,
        result,
        |m| format!("/training/mentorships/{}", m.id),
        async |forms| index_view(&state, &headers, &actor, IndexQuery::default(), forms).await,
    )
    .await
}

/* ---------- /training/sessions/{id} ---------- */

#[derive(Template)]
#[template(path = "training/session.html")]
struct SessionPage {
    ctx: Ctx,
    d: TrainingSessionDetail,
    can_manage: bool,
    started: bool,
    staff: Vec<StaffMember>,
    forms: Forms,
}

impl Words for SessionPage {
    fn ctx(&self) -> &Ctx {
        &self.ctx
    }
}

impl SessionPage {
    fn result(&self, passed: &Option<bool>) -> String {
        match passed {
            Some(true) => self.ctx.t("training.passed").to_string(),
            Some(false) => self.ctx.t("training.failed").to_string(),
            None => String::new(),
        }
    }
}

async fn session_view(
    state: &AppState,
    headers: &HeaderMap,
    actor: &Actor,
    id: &str,
    forms: Forms,
) -> Response {
    let ctx = match context(state, headers, actor).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let loaded = async {
        let d = super::session_detail(state, actor, id).await?;
        // As `super::organises`: a manager whose scope holds the session's area.
        let can_manage = actor.can(Permission::TrainingManage)
            && actor.scope.covers_area_path(&d.session.area_path);
        let staff = if can_manage {
            super::staff(state, actor).await?
        } else {
            Vec::new()
        };
        Ok::<_, ApiError>((d, staff, can_manage))
    };
    match loaded.await {
        Ok((d, staff, can_manage)) => {
            let started = d.session.starts_at <= state.now();
            render(
                status(&forms),
                &SessionPage {
                    ctx,
                    d,
                    can_manage,
                    started,
                    staff,
                    forms,
                },
            )
        }
        Err(e) => crate::shell::page_error(ctx, e),
    }
}

async fn session(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
) -> Response {
    session_view(&state, &headers, &actor, &id, Forms::default()).await
}

async fn attend(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let typed = Typed::parse("attendance", &body);
    let req = AttendanceEntry {
        hours: number(&typed, "hours"),
        score: number(&typed, "score"),
        note: typed.optional("note"),
    };
    let user_id = typed.get("user_id");
    let result = super::record_attendance(&state, &actor, &id, &user_id, req).await;
    answer(
        &state,
        &headers,
        &actor,
        typed,
        result,
        |_| format!("/training/sessions/{id}#attendees"),
        async |forms| session_view(&state, &headers, &actor, &id, forms).await,
    )
    .await
}

/* ---------- /training/people/{id} ---------- */

#[derive(Template)]
#[template(path = "training/person.html")]
struct PersonPage {
    ctx: Ctx,
    r: TrainingRecord,
    can_manage: bool,
    today: String,
    forms: Forms,
}

impl Words for PersonPage {
    fn ctx(&self) -> &Ctx {
        &self.ctx
    }
}

impl PersonPage {
    fn heading(&self) -> String {
        self.ctx
            .t("training.record_of")
            .replace("{name}", &self.r.person.display_name)
    }
    fn score(&self, e: &super::RecordEntry) -> String {
        match (e.score, e.max_score) {
            (Some(s), Some(m)) => format!("{} / {}", self.num(&s), self.num(&m)),
            _ => String::new(),
        }
    }
    fn result(&self, passed: &Option<bool>) -> String {
        match passed {
            Some(true) => self.ctx.t("training.passed").to_string(),
            Some(false) => self.ctx.t("training.failed").to_string(),
            None => String::new(),
        }
    }
}

async fn person_view(
    state: &AppState,
    headers: &HeaderMap,
    actor: &Actor,
    id: &str,
    forms: Forms,
) -> Response {
    let ctx = match context(state, headers, actor).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match super::record(state, actor, id).await {
        Ok(r) => {
            // Certificates are recorded for staff in the manager's scope, not for oneself.
            let can_manage = actor.can(Permission::TrainingManage)
                && pingan_store::training::staff_member(&state.db, &actor.scope, id)
                    .await
                    .ok()
                    .flatten()
                    .is_some();
            render(
                status(&forms),
                &PersonPage {
                    ctx,
                    r,
                    can_manage,
                    today: state.today().to_string(),
                    forms,
                },
            )
        }
        Err(e) => crate::shell::page_error(ctx, e),
    }
}

async fn person(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
) -> Response {
    person_view(&state, &headers, &actor, &id, Forms::default()).await
}

async fn certify(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let typed = Typed::parse("certificate", &body);
    let req = NewTrainingCertificate {
        user_id: id.clone(),
        name: typed.get("name"),
        issuer: typed.get("issuer"),
        number: typed.optional("number"),
        issued_on: typed.get("issued_on"),
        expires_on: typed.optional("expires_on"),
    };
    let result = super::add_certificate(&state, &actor, req).await;
    answer(
        &state,
        &headers,
        &actor,
        typed,
        result,
        |_| {
            format!(
                "/training/people/{}#certificates",
                crate::auth::url_encode(&id)
            )
        },
        async |forms| person_view(&state, &headers, &actor, &id, forms).await,
    )
    .await
}

/* ---------- /training/mentorships/{id} ---------- */

#[derive(Template)]
#[template(path = "training/mentorship.html")]
struct MentorshipPage {
    ctx: Ctx,
    d: MentorshipDetail,
    /// The viewer, and whether they read others' records: a name links to a record they may open.
    viewer: String,
    reads: bool,
    can_record: bool,
    can_close: bool,
    today: String,
    forms: Forms,
}

impl Words for MentorshipPage {
    fn ctx(&self) -> &Ctx {
        &self.ctx
    }
}

impl MentorshipPage {
    fn opens(&self, user_id: &str) -> bool {
        self.reads || user_id == self.viewer
    }
    fn goal_names(&self, numbers: &[i64]) -> String {
        numbers
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join("、")
    }
}

async fn mentorship_view(
    state: &AppState,
    headers: &HeaderMap,
    actor: &Actor,
    id: &str,
    forms: Forms,
) -> Response {
    let ctx = match context(state, headers, actor).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match super::mentorship_detail(state, actor, id).await {
        Ok(d) => {
            let active = d.pair.status == "active";
            let own =
                d.pair.mentor.user_id == actor.user_id || d.pair.mentee.user_id == actor.user_id;
            // As the service decides: a manager whose scope holds the mentee's unit.
            let manage = pingan_store::training::mentorship(&state.db, &actor.scope, "", id)
                .await
                .ok()
                .flatten()
                .is_some_and(|p| super::manages_pair(actor, &p));
            render(
                status(&forms),
                &MentorshipPage {
                    ctx,
                    can_record: active && (own || manage),
                    can_close: active && manage,
                    viewer: actor.user_id.clone(),
                    reads: super::reads_records(actor),
                    d,
                    today: state.today().to_string(),
                    forms,
                },
            )
        }
        Err(e) => crate::shell::page_error(ctx, e),
    }
}

async fn mentorship(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
) -> Response {
    mentorship_view(&state, &headers, &actor, &id, Forms::default()).await
}

async fn checkin(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let typed = Typed::parse("checkin", &body);
    let req = NewMentorshipCheckin {
        held_on: typed.get("held_on"),
        note: typed.get("note"),
        goals_met: typed
            .all("goals_met")
            .iter()
            .filter_map(|g| g.parse().ok())
            .collect(),
    };
    let result = super::record_checkin(&state, &actor, &id, req).await;
    answer(
        &state,
        &headers,
        &actor,
        typed,
        result,
        |_| format!("/training/mentorships/{id}#checkins"),
        async |forms| mentorship_view(&state, &headers, &actor, &id, forms).await,
    )
    .await
}

async fn close(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let typed = Typed::parse("closure", &body);
    let req = MentorshipClosure {
        status: typed.get("status"),
        outcome: typed.get("outcome"),
    };
    let result = super::close_mentorship(&state, &actor, &id, req).await;
    answer(
        &state,
        &headers,
        &actor,
        typed,
        result,
        |_| format!("/training/mentorships/{id}"),
        async |forms| mentorship_view(&state, &headers, &actor, &id, forms).await,
    )
    .await
}
