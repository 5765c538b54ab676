//! 队伍建设 (training the force): courses and drills (实战演练) with their trainer, date and hours;
//! skill tests and competitions (比武竞赛) with scores, pass marks and places; certificates with
//! expiry, reminded to their holder as expiry nears; mentor–mentee pairs (传帮带) with goals and
//! check-ins; and each person's record (what they took, hours, certificates, pairs).
//!
//! Who sees what: everyone reads their own record and the sessions they attended or that were held
//! for their area. Training managers (TrainingManage: the 综治 coordinator, station chiefs) run
//! sessions, record attendance and certificates and pair people in their scope; they and those who
//! read the statistics (KpiRead) read the records of the staff in their scope, and every such read
//! of another person's record is audited. Skill-test scores are shown to the person and to those
//! readers only; competition results are public within the force, as they are announced.

pub mod api;
pub mod demo;
pub mod figures;
pub mod pages;
pub mod reminders;

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, Problem, Problems};
use crate::state::AppState;
use jiff::civil::Date;
use pingan_domain::Permission;
use pingan_domain::audit::AuditOutcome;
use pingan_domain::training::{
    self as rules, CertificateState, SessionKind, TrainingError, certificate_state,
};
use pingan_store::new_id;
use pingan_store::training::{self as store, SessionRow, StaffRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A member of staff.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StaffMember {
    pub user_id: String,
    pub display_name: String,
    /// Their organisation's name.
    pub unit: String,
}

fn staff_view(s: &StaffRow) -> StaffMember {
    StaffMember {
        user_id: s.id.clone(),
        display_name: s.display_name.clone(),
        unit: s.org_name.clone(),
    }
}

/// Whether the actor reads other people's training records in their scope: training managers,
/// and statistics readers who may read training.
fn reads_records(actor: &Actor) -> bool {
    actor.can(Permission::TrainingManage)
        || (actor.can(Permission::KpiRead) && actor.can(Permission::TrainingRead))
}

fn not_a_record_reader() -> ApiError {
    ApiError::Forbidden(
        "other people's training records are read by training managers and statistics readers"
            .into(),
    )
}

fn training_problem(field: &str, e: &TrainingError) -> Problem {
    Problem::new(field, "training_value", e.to_string())
}

/// A date between 1950 and 2200 (a certificate's or a pair's; nothing earlier or later is real).
fn date(field: &str, v: &str, problems: &mut Problems) -> Option<Date> {
    let d = v
        .trim()
        .parse::<Date>()
        .ok()
        .filter(|d| (1950..=2200).contains(&d.year()));
    if d.is_none() {
        problems.push(Problem::new(field, "date", "a date like 2026-12-01"));
    }
    d
}

/// A person in the actor's scope, or a 422 naming `field`.
async fn staff_in_scope(
    state: &AppState,
    actor: &Actor,
    field: &str,
    user_id: &str,
    problems: &mut Problems,
) -> ApiResult<Option<StaffRow>> {
    let s = store::staff_member(&state.db, &actor.scope, user_id).await?;
    if s.is_none() {
        problems.push(Problem::new(
            field,
            "training_person",
            "no such member of staff in your scope",
        ));
    }
    Ok(s)
}

/* ---------- sessions ---------- */

/// Whether the actor manages the session: a training manager whose scope holds the area it was
/// held for (a station chief sees the district's competition but does not score it).
pub fn organises(actor: &Actor, s: &SessionRow) -> bool {
    actor.can(Permission::TrainingManage) && actor.scope.covers_area_path(&s.area_path)
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTrainingSession {
    pub kind: SessionKind,
    /// 1–100 characters.
    pub title: String,
    /// What it covers (e.g. 接处警规范、盘查技能), at most 200 characters.
    #[serde(default)]
    pub topic: Option<String>,
    /// Who teaches or judges it (a name, or a unit), 1–100 characters.
    pub trainer: String,
    /// Where, at most 100 characters.
    #[serde(default)]
    pub place: Option<String>,
    /// When it starts (RFC 3339): within the record window, or up to a year ahead.
    pub starts_at: String,
    /// Hours credited to each attendee, 0.5–200 in half hours.
    pub hours: f64,
    /// For skill tests and competitions: the maximum score (1–1000).
    #[serde(default)]
    pub max_score: Option<f64>,
    /// For skill tests: the pass mark.
    #[serde(default)]
    pub pass_score: Option<f64>,
    /// The area it is held for (in your scope); its staff see it.
    pub area_path: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrainingSession {
    pub id: String,
    pub kind: SessionKind,
    pub title: String,
    pub topic: String,
    pub trainer: String,
    pub place: String,
    pub starts_at: i64,
    pub hours: f64,
    pub max_score: Option<f64>,
    pub pass_score: Option<f64>,
    pub area_path: String,
    pub attendees: i64,
}

fn session_view(r: SessionRow) -> Option<TrainingSession> {
    Some(TrainingSession {
        kind: r.kind.parse().ok()?,
        id: r.id,
        title: r.title,
        topic: r.topic,
        trainer: r.trainer,
        place: r.place,
        starts_at: r.starts_at,
        hours: r.hours,
        max_score: r.max_score,
        pass_score: r.pass_score,
        area_path: r.area_path,
        attendees: r.attendees,
    })
}

async fn org_path(state: &AppState, actor: &Actor) -> ApiResult<String> {
    let Some(org) = &actor.org_id else {
        return Ok(String::new());
    };
    Ok(pingan_store::orgs::get_unscoped(&state.db, org)
        .await?
        .map(|o| o.path)
        .unwrap_or_default())
}

pub async fn create_session(
    state: &AppState,
    actor: &Actor,
    req: NewTrainingSession,
) -> ApiResult<TrainingSession> {
    actor.require(state, Permission::TrainingManage).await?;
    let mut problems = Problems::default();
    let title = problems.check(crate::validate::text("title", &req.title, 100))?;
    let trainer = problems.check(crate::validate::text("trainer", &req.trainer, 100))?;
    let topic = problems
        .check(crate::validate::optional_text(
            "topic",
            req.topic.as_deref(),
            200,
        ))?
        .flatten()
        .unwrap_or_default();
    let place = problems
        .check(crate::validate::optional_text(
            "place",
            req.place.as_deref(),
            100,
        ))?
        .flatten()
        .unwrap_or_default();
    let starts_at = problems.check(crate::validate::required_instant(
        "starts_at",
        &req.starts_at,
    ))?;
    let now = state.now();
    let earliest = now - state.config.validation.record_max_age_days * 86_400_000_000;
    if starts_at.is_some_and(|t| t < earliest || t > now + 366 * 86_400_000_000) {
        problems.push(Problem::new(
            "starts_at",
            "training_when",
            "a session starts within the record window or up to a year ahead",
        ));
    }
    if let Err(e) = rules::check_hours(req.hours) {
        problems.push(training_problem("hours", &e));
    }
    let (max_score, pass_score) = if req.kind.scored() {
        match req.max_score {
            None => {
                problems.push(Problem::new(
                    "max_score",
                    "training_max_score",
                    "a scored session needs its maximum score",
                ));
                (None, None)
            }
            Some(max) => {
                if req.kind == SessionKind::Competition && req.pass_score.is_some() {
                    problems.push(Problem::new(
                        "pass_score",
                        "training_no_pass_mark",
                        "a competition ranks places; it has no pass mark",
                    ));
                }
                let pass = req
                    .pass_score
                    .filter(|_| req.kind == SessionKind::SkillTest);
                if let Err(e) = rules::check_scoring(max, pass) {
                    let field = if e == TrainingError::MaxScore {
                        "max_score"
                    } else {
                        "pass_score"
                    };
                    problems.push(training_problem(field, &e));
                }
                (Some(max), pass)
            }
        }
    } else {
        if req.max_score.is_some() || req.pass_score.is_some() {
            problems.push(Problem::new(
                "max_score",
                "training_unscored",
                "courses and drills are not scored",
            ));
        }
        (None, None)
    };
    if !(pingan_domain::scope::is_valid_path(&req.area_path)
        && actor.scope.covers_area_path(&req.area_path))
    {
        problems.push(Problem::new(
            "area_path",
            "risk_area",
            "no such area in your scope",
        ));
    }
    problems.finish()?;
    let (Some(title), Some(trainer), Some(starts_at)) = (title, trainer, starts_at) else {
        return Err(ApiError::invalid("title", "required"));
    };
    let row = SessionRow {
        id: new_id(),
        kind: req.kind.code().into(),
        title,
        topic,
        trainer,
        place,
        starts_at,
        hours: req.hours,
        max_score,
        pass_score,
        area_path: req.area_path.clone(),
        org_path: org_path(state, actor).await?,
        created_at: now,
        attendees: 0,
    };
    let mut tx = state.db.begin().await?;
    store::create_session(&mut tx, &row, &actor.user_id);
    tx.commit_audited(vec![actor.audit_entry(
        "training.session.create",
        "training_session",
        Some(&row.id),
        AuditOutcome::Ok,
        &serde_json::json!({"kind": row.kind, "area": row.area_path}).to_string(),
    )])
    .await?;
    session_view(row).ok_or_else(|| ApiError::Internal(anyhow::anyhow!("session kind")))
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SessionsQuery {
    /// First day (`YYYY-MM-DD`), default 180 days ago.
    pub from: Option<String>,
    /// Last day, default 180 days ahead; at most two years after `from`.
    pub to: Option<String>,
}

/// The days `[from, to]` as UTC µs `[start, end)`.
fn day_span(state: &AppState, q: &SessionsQuery) -> ApiResult<(Date, Date, i64, i64)> {
    let today = state.today();
    let mut problems = Problems::default();
    let from = match &q.from {
        Some(v) => date("from", v, &mut problems),
        None => today.checked_sub(jiff::Span::new().days(180)).ok(),
    };
    let to = match &q.to {
        Some(v) => date("to", v, &mut problems),
        None => today.checked_add(jiff::Span::new().days(180)).ok(),
    };
    if let (Some(f), Some(t)) = (from, to)
        && (t < f || (t - f).get_days() > 731)
    {
        problems.push(Problem::new(
            "to",
            "training_span",
            "the last day is after the first, at most two years on",
        ));
    }
    problems.finish()?;
    let (Some(from), Some(to)) = (from, to) else {
        return Err(ApiError::invalid("from", "a date like 2026-12-01"));
    };
    let start = pingan_domain::time::day_start(from);
    let end = pingan_domain::time::day_start(to.tomorrow().unwrap_or(to));
    Ok((from, to, start, end))
}

pub async fn sessions(
    state: &AppState,
    actor: &Actor,
    q: &SessionsQuery,
) -> ApiResult<Vec<TrainingSession>> {
    actor.require(state, Permission::TrainingRead).await?;
    let (_, _, start, end) = day_span(state, q)?;
    Ok(
        store::sessions(&state.db, &actor.scope, &actor.user_id, start, end)
            .await?
            .into_iter()
            .filter_map(session_view)
            .collect(),
    )
}

/// One attendee of a session.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrainingAttendee {
    pub user_id: String,
    pub display_name: String,
    pub unit: String,
    pub hours: f64,
    /// Absent when not scored yet, or not shown to you (another person's skill-test score).
    pub score: Option<f64>,
    /// A competition's place (equal scores share one).
    pub place: Option<usize>,
    /// A skill test's result against its pass mark.
    pub passed: Option<bool>,
    pub note: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrainingSessionDetail {
    pub session: TrainingSession,
    pub attendees: Vec<TrainingAttendee>,
    /// Total hours credited.
    pub hours_credited: f64,
}

pub async fn session_detail(
    state: &AppState,
    actor: &Actor,
    id: &str,
) -> ApiResult<TrainingSessionDetail> {
    actor.require(state, Permission::TrainingRead).await?;
    let row = store::session(&state.db, &actor.scope, &actor.user_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let session = session_view(row).ok_or(ApiError::NotFound)?;
    let competition = session.kind == SessionKind::Competition;
    let rows = store::attendees(&state.db, id, competition).await?;
    let places = if competition {
        rules::places(&rows.iter().map(|r| r.score).collect::<Vec<_>>())
    } else {
        vec![None; rows.len()]
    };
    let attendees = rows
        .into_iter()
        .zip(places)
        .map(|(r, place)| {
            // A score and note are the person's: shown to them and to record readers whose scope
            // holds the unit they attended from; a competition's scores are announced to all.
            let personal = r.user_id == actor.user_id
                || (reads_records(actor)
                    && (actor.scope.covers_area_path(&r.area_path)
                        || actor.scope.covers_org_path(&r.org_path)));
            let score = r.score.filter(|_| competition || personal);
            TrainingAttendee {
                passed: session.pass_score.and_then(|p| score.map(|s| s >= p)),
                score,
                place,
                hours: r.hours,
                user_id: r.user_id,
                display_name: r.display_name,
                unit: r.org_name,
                note: if personal { r.note } else { String::new() },
            }
        })
        .collect::<Vec<_>>();
    let hours_credited = attendees.iter().map(|a| a.hours).fold(0.0, |a, b| a + b);
    Ok(TrainingSessionDetail {
        session,
        attendees,
        hours_credited,
    })
}

/// Who attended, with the hours credited and (for scored sessions) the score.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttendanceEntry {
    /// Hours credited, default the session's; at most the session's.
    #[serde(default)]
    pub hours: Option<f64>,
    /// For skill tests and competitions: 0 to the maximum, in tenths.
    #[serde(default)]
    pub score: Option<f64>,
    /// At most 500 characters.
    #[serde(default)]
    pub note: Option<String>,
}

/// Records (or corrects) one person's attendance at a session that has started.
pub async fn record_attendance(
    state: &AppState,
    actor: &Actor,
    session_id: &str,
    user_id: &str,
    req: AttendanceEntry,
) -> ApiResult<TrainingAttendee> {
    actor.require(state, Permission::TrainingManage).await?;
    let row = store::session(&state.db, &actor.scope, &actor.user_id, session_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let session = session_view(row.clone()).ok_or(ApiError::NotFound)?;
    if !organises(actor, &row) {
        return Err(ApiError::Forbidden(
            "attendance is recorded by managers whose scope holds the session's area".into(),
        ));
    }
    let mut problems = Problems::default();
    let person = staff_in_scope(state, actor, "user_id", user_id, &mut problems).await?;
    if row.starts_at > state.now() {
        problems.push(Problem::new(
            "session",
            "training_not_started",
            "attendance is recorded once the session has started",
        ));
    }
    let hours = req.hours.unwrap_or(row.hours);
    if let Err(e) = rules::check_hours(hours) {
        problems.push(training_problem("hours", &e));
    } else if hours > row.hours {
        problems.push(Problem::new(
            "hours",
            "training_hours_over",
            "no more hours than the session's",
        ));
    }
    match (req.score, row.max_score) {
        (Some(s), Some(max)) => {
            if let Err(e) = rules::check_score(s, max) {
                problems.push(training_problem("score", &e));
            }
        }
        (Some(_), None) => problems.push(Problem::new(
            "score",
            "training_unscored",
            "courses and drills are not scored",
        )),
        _ => {}
    }
    let note = problems
        .check(crate::validate::optional_text(
            "note",
            req.note.as_deref(),
            500,
        ))?
        .flatten()
        .unwrap_or_default();
    problems.finish()?;
    let Some(person) = person else {
        return Err(ApiError::invalid("user_id", "required"));
    };
    let mut tx = state.db.begin().await?;
    store::attend(
        &mut tx,
        &store::Attendance {
            session_id: row.id.clone(),
            user_id: person.id.clone(),
            area_path: person.area_path.clone(),
            org_path: person.org_path.clone(),
            starts_at: row.starts_at,
            hours,
            score: req.score,
            note: note.clone(),
            recorded_by: actor.user_id.clone(),
            recorded_at: state.now(),
        },
    );
    tx.commit_audited(vec![
        actor.audit_entry(
            "training.attendance",
            "training_session",
            Some(&row.id),
            AuditOutcome::Ok,
            &serde_json::json!({"user": person.id, "hours": hours, "scored": req.score.is_some()})
                .to_string(),
        ),
    ])
    .await?;
    Ok(TrainingAttendee {
        user_id: person.id,
        display_name: person.display_name,
        unit: person.org_name,
        hours,
        score: req.score,
        place: None,
        passed: session.pass_score.and_then(|p| req.score.map(|s| s >= p)),
        note,
    })
}

/* ---------- certificates ---------- */

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTrainingCertificate {
    /// The holder (staff in your scope).
    pub user_id: String,
    /// What it certifies (e.g. 高级执法资格、急救员证), 1–100 characters.
    pub name: String,
    /// Who issued it, 1–100 characters.
    pub issuer: String,
    /// Its number, at most 50 characters.
    #[serde(default)]
    pub number: Option<String>,
    /// `YYYY-MM-DD`, not after today.
    pub issued_on: String,
    /// Its last valid day, when it expires.
    #[serde(default)]
    pub expires_on: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrainingCertificate {
    pub id: String,
    pub user_id: String,
    pub holder_name: String,
    pub name: String,
    pub issuer: String,
    pub number: String,
    pub issued_on: String,
    pub expires_on: Option<String>,
    pub state: CertificateState,
    /// Days to the last valid day (negative once expired); absent without expiry.
    pub days_left: Option<i64>,
}

fn certificate_view(c: store::CertificateRow, today: Date) -> TrainingCertificate {
    let exp: Option<Date> = c.expires_on.as_deref().and_then(|d| d.parse().ok());
    TrainingCertificate {
        state: certificate_state(exp, today),
        days_left: exp.map(|e| rules::days_left(e, today)),
        id: c.id,
        user_id: c.user_id,
        holder_name: c.holder_name,
        name: c.name,
        issuer: c.issuer,
        number: c.number,
        issued_on: c.issued_on,
        expires_on: c.expires_on,
    }
}

pub async fn add_certificate(
    state: &AppState,
    actor: &Actor,
    req: NewTrainingCertificate,
) -> ApiResult<TrainingCertificate> {
    actor.require(state, Permission::TrainingManage).await?;
    let mut problems = Problems::default();
    let person = staff_in_scope(state, actor, "user_id", &req.user_id, &mut problems).await?;
    let name = problems.check(crate::validate::text("name", &req.name, 100))?;
    let issuer = problems.check(crate::validate::text("issuer", &req.issuer, 100))?;
    let number = problems
        .check(crate::validate::optional_text(
            "number",
            req.number.as_deref(),
            50,
        ))?
        .flatten()
        .unwrap_or_default();
    let today = state.today();
    let issued = date("issued_on", &req.issued_on, &mut problems);
    if issued.is_some_and(|d| d > today) {
        problems.push(Problem::new(
            "issued_on",
            "training_issued_future",
            "a certificate is recorded once issued",
        ));
    }
    let expires = match req.expires_on.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(v) => date("expires_on", v, &mut problems),
    };
    if let (Some(i), Some(e)) = (issued, expires)
        && e <= i
    {
        problems.push(Problem::new(
            "expires_on",
            "training_expiry",
            "the last valid day is after the day of issue",
        ));
    }
    problems.finish()?;
    let (Some(person), Some(name), Some(issuer), Some(issued)) = (person, name, issuer, issued)
    else {
        return Err(ApiError::invalid("user_id", "required"));
    };
    let c = store::NewCertificate {
        id: new_id(),
        user_id: person.id.clone(),
        name,
        issuer,
        number,
        issued_on: issued.to_string(),
        expires_on: expires.map(|e| e.to_string()),
        area_path: person.area_path.clone(),
        org_path: person.org_path.clone(),
        // Recorded after it expired: no late "expired" notice; otherwise the holder hears the
        // window it is in at the next run.
        reminded: match expires {
            Some(e) if rules::days_left(e, today) < 0 => 4,
            _ => 0,
        },
        recorded_by: actor.user_id.clone(),
        created_at: state.now(),
    };
    let mut tx = state.db.begin().await?;
    store::add_certificate(&mut tx, &c);
    tx.commit_audited(vec![actor.audit_entry(
        "training.certificate.add",
        "training_certificate",
        Some(&c.id),
        AuditOutcome::Ok,
        &serde_json::json!({"user": c.user_id, "expires_on": c.expires_on}).to_string(),
    )])
    .await?;
    Ok(certificate_view(
        store::CertificateRow {
            id: c.id,
            user_id: c.user_id,
            holder_name: person.display_name,
            name: c.name,
            issuer: c.issuer,
            number: c.number,
            issued_on: c.issued_on,
            expires_on: c.expires_on,
            reminded: c.reminded,
        },
        today,
    ))
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExpiringQuery {
    /// Days ahead (0–366, default 60); expired certificates are always included.
    pub days: Option<i64>,
}

/// Certificates in your scope expired or expiring within `days`, soonest first.
pub async fn expiring(
    state: &AppState,
    actor: &Actor,
    q: &ExpiringQuery,
) -> ApiResult<Vec<TrainingCertificate>> {
    actor.require(state, Permission::TrainingRead).await?;
    if !reads_records(actor) {
        return Err(not_a_record_reader());
    }
    let days = q.days.unwrap_or(rules::REMINDER_DAYS[0]);
    if !(0..=366).contains(&days) {
        return Err(ApiError::problem(Problem::new(
            "days",
            "training_days",
            "days ahead are 0 to 366",
        )));
    }
    let today = state.today();
    let by = today
        .checked_add(jiff::Span::new().days(days))
        .unwrap_or(today);
    Ok(store::expiring(&state.db, &actor.scope, &by.to_string())
        .await?
        .into_iter()
        .map(|c| certificate_view(c, today))
        .collect())
}

/* ---------- mentoring (传帮带) ---------- */

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMentorship {
    /// The experienced officer (staff in your scope).
    pub mentor_id: String,
    /// The one learning (staff in your scope; not the mentor).
    pub mentee_id: String,
    /// `YYYY-MM-DD`.
    pub started_on: String,
    /// `YYYY-MM-DD`, after the start and at most three years on.
    pub ends_on: String,
    /// 1–10 goals, each 1–200 characters.
    pub goals: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Mentorship {
    pub id: String,
    pub mentor: StaffMember,
    pub mentee: StaffMember,
    pub started_on: String,
    pub ends_on: String,
    /// `active`, `completed` or `ended` (ended early).
    pub status: String,
    pub outcome: String,
    pub goals: i64,
    pub goals_met: i64,
    pub checkins: i64,
    pub last_checkin: Option<String>,
}

fn pair_view(p: store::MentorshipRow) -> Mentorship {
    Mentorship {
        mentor: StaffMember {
            user_id: p.mentor_id,
            display_name: p.mentor_name,
            unit: String::new(),
        },
        mentee: StaffMember {
            user_id: p.mentee_id,
            display_name: p.mentee_name,
            unit: String::new(),
        },
        id: p.id,
        started_on: p.started_on,
        ends_on: p.ends_on,
        status: p.status,
        outcome: p.outcome,
        goals: p.goals,
        goals_met: p.goals_met,
        checkins: p.checkins,
        last_checkin: p.last_checkin,
    }
}

pub async fn create_mentorship(
    state: &AppState,
    actor: &Actor,
    req: NewMentorship,
) -> ApiResult<Mentorship> {
    actor.require(state, Permission::TrainingManage).await?;
    let mut problems = Problems::default();
    let mentor = staff_in_scope(state, actor, "mentor_id", &req.mentor_id, &mut problems).await?;
    let mentee = staff_in_scope(state, actor, "mentee_id", &req.mentee_id, &mut problems).await?;
    if req.mentor_id == req.mentee_id {
        problems.push(Problem::new(
            "mentee_id",
            "training_same_person",
            "the mentee is not the mentor",
        ));
    }
    let from = date("started_on", &req.started_on, &mut problems);
    let to = date("ends_on", &req.ends_on, &mut problems);
    if let (Some(f), Some(t)) = (from, to)
        && (t <= f || (t - f).get_days() > 1096)
    {
        problems.push(Problem::new(
            "ends_on",
            "training_pair_dates",
            "the end is after the start, at most three years on",
        ));
    }
    let goals: Vec<String> = req.goals.iter().map(|g| g.trim().to_string()).collect();
    if let Err(e) = rules::check_goals(&goals) {
        let field = match e {
            TrainingError::Goal(i) => format!("goals[{i}]"),
            _ => "goals".into(),
        };
        problems.push(training_problem(&field, &e));
    }
    let (active,): (i64,) = state
        .db
        .fetch_one(
            "SELECT COUNT(*) FROM mentorships WHERE mentor_id = ? AND mentee_id = ? AND status = 'active'",
            pingan_store::args![req.mentor_id.as_str(), req.mentee_id.as_str()],
        )
        .await?;
    if active > 0 {
        problems.push(Problem::new(
            "mentee_id",
            "training_pair_exists",
            "this pair is already active",
        ));
    }
    problems.finish()?;
    let (Some(mentor), Some(mentee), Some(from), Some(to)) = (mentor, mentee, from, to) else {
        return Err(ApiError::invalid("mentor_id", "required"));
    };
    let m = store::NewMentorship {
        id: new_id(),
        mentor_id: mentor.id.clone(),
        mentee_id: mentee.id.clone(),
        area_path: mentee.area_path.clone(),
        org_path: mentee.org_path.clone(),
        started_on: from.to_string(),
        ends_on: to.to_string(),
        goals,
        created_by: actor.user_id.clone(),
        created_at: state.now(),
    };
    let mut tx = state.db.begin().await?;
    store::create_mentorship(&mut tx, &m);
    crate::notifications::send(
        &mut tx,
        &[mentor.id.clone(), mentee.id.clone()],
        m.created_at,
        &crate::notifications::Notice {
            kind: "training.paired",
            object: ("mentorship", &m.id),
            message: &format!(
                "传帮带结对：{} 带 {}",
                mentor.display_name, mentee.display_name
            ),
            message_en: &format!(
                "Mentoring pair: {} mentors {}",
                mentor.display_name, mentee.display_name
            ),
        },
    );
    tx.commit_audited(vec![actor.audit_entry(
        "training.mentorship.create",
        "mentorship",
        Some(&m.id),
        AuditOutcome::Ok,
        &serde_json::json!({"mentor": m.mentor_id, "mentee": m.mentee_id, "goals": m.goals.len()})
            .to_string(),
    )])
    .await?;
    Ok(Mentorship {
        id: m.id,
        mentor: staff_view(&mentor),
        mentee: staff_view(&mentee),
        started_on: m.started_on,
        ends_on: m.ends_on,
        status: "active".into(),
        outcome: String::new(),
        goals: m.goals.len() as i64,
        goals_met: 0,
        checkins: 0,
        last_checkin: None,
    })
}

pub async fn mentorships(state: &AppState, actor: &Actor) -> ApiResult<Vec<Mentorship>> {
    actor.require(state, Permission::TrainingRead).await?;
    let scope = if reads_records(actor) {
        actor.scope.clone()
    } else {
        pingan_domain::Scope::new(vec![])
    };
    Ok(store::mentorships(&state.db, &scope, &actor.user_id)
        .await?
        .into_iter()
        .map(pair_view)
        .collect())
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MentorshipGoal {
    /// Its number in the pair (1…).
    pub number: i64,
    pub goal: String,
    /// The check-in day it was met.
    pub met_on: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MentorshipCheckin {
    pub id: String,
    pub held_on: String,
    pub note: String,
    pub goals_met: Vec<i64>,
    pub recorded_by: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MentorshipDetail {
    pub pair: Mentorship,
    pub goals: Vec<MentorshipGoal>,
    pub checkins: Vec<MentorshipCheckin>,
}

/// Whether the actor manages the pair: a training manager whose scope holds the mentee's unit (not
/// merely one of the pair).
pub fn manages_pair(actor: &Actor, p: &store::MentorshipRow) -> bool {
    actor.can(Permission::TrainingManage)
        && (actor.scope.covers_area_path(&p.area_path) || actor.scope.covers_org_path(&p.org_path))
}

/// A pair the actor may read: in scope for record readers (404 outside it); for others only their
/// own (403 for any other id, so nothing is learnt of pairs they are not in).
async fn pair_for(state: &AppState, actor: &Actor, id: &str) -> ApiResult<store::MentorshipRow> {
    actor.require(state, Permission::TrainingRead).await?;
    if reads_records(actor) {
        return store::mentorship(&state.db, &actor.scope, &actor.user_id, id)
            .await?
            .ok_or(ApiError::NotFound);
    }
    let own = pingan_domain::Scope::new(vec![]);
    store::mentorship(&state.db, &own, &actor.user_id, id)
        .await?
        .ok_or_else(not_a_record_reader)
}

pub async fn mentorship_detail(
    state: &AppState,
    actor: &Actor,
    id: &str,
) -> ApiResult<MentorshipDetail> {
    let p = pair_for(state, actor, id).await?;
    let goals = store::goals(&state.db, id)
        .await?
        .into_iter()
        .map(|g| MentorshipGoal {
            number: g.seq,
            goal: g.goal,
            met_on: g.met_on,
        })
        .collect();
    let checkins = store::checkins(&state.db, id)
        .await?
        .into_iter()
        .map(|k| MentorshipCheckin {
            goals_met: k
                .goals_met
                .split(',')
                .filter_map(|n| n.parse().ok())
                .collect(),
            id: k.id,
            held_on: k.held_on,
            note: k.note,
            recorded_by: k.recorder_name,
        })
        .collect();
    Ok(MentorshipDetail {
        pair: pair_view(p),
        goals,
        checkins,
    })
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMentorshipCheckin {
    /// The day they met, `YYYY-MM-DD`: within the pair's period, not after today.
    pub held_on: String,
    /// What was done and what comes next, 1–1000 characters.
    pub note: String,
    /// Goals (by number) met at this check-in.
    #[serde(default)]
    pub goals_met: Vec<i64>,
}

/// The mentor, the mentee or a training manager records a check-in on an active pair.
pub async fn record_checkin(
    state: &AppState,
    actor: &Actor,
    id: &str,
    req: NewMentorshipCheckin,
) -> ApiResult<MentorshipDetail> {
    let p = pair_for(state, actor, id).await?;
    let own = actor.user_id == p.mentor_id || actor.user_id == p.mentee_id;
    if !own {
        actor.require(state, Permission::TrainingManage).await?;
        if !manages_pair(actor, &p) {
            return Err(ApiError::Forbidden(
                "check-ins are recorded by the pair or a manager whose scope holds it".into(),
            ));
        }
    }
    if p.status != "active" {
        return Err(ApiError::Conflict("the pair has ended".into()));
    }
    let mut problems = Problems::default();
    let note = problems.check(crate::validate::text("note", &req.note, 1000))?;
    let held = date("held_on", &req.held_on, &mut problems);
    let start: Option<Date> = p.started_on.parse().ok();
    let end: Option<Date> = p.ends_on.parse().ok();
    if held.is_some_and(|h| {
        h > state.today() || start.is_some_and(|s| h < s) || end.is_some_and(|e| h > e)
    }) {
        problems.push(Problem::new(
            "held_on",
            "training_checkin_day",
            "a check-in day is within the pair's period and not after today",
        ));
    }
    let goals = store::goals(&state.db, id).await?;
    let mut met = req.goals_met.clone();
    met.sort_unstable();
    met.dedup();
    if let Some(i) = met.iter().position(|n| !goals.iter().any(|g| g.seq == *n)) {
        problems.push(Problem::new(
            &format!("goals_met[{i}]"),
            "training_goal",
            "no such goal in this pair",
        ));
    }
    problems.finish()?;
    let (Some(note), Some(held)) = (note, held) else {
        return Err(ApiError::invalid("note", "required"));
    };
    let k = store::NewCheckin {
        id: new_id(),
        mentorship_id: id.to_string(),
        held_on: held.to_string(),
        note,
        goals_met: met,
        recorded_by: actor.user_id.clone(),
        recorded_at: state.now(),
    };
    let mut tx = state.db.begin().await?;
    store::add_checkin(&mut tx, &k);
    tx.commit_audited(vec![actor.audit_entry(
        "training.mentorship.checkin",
        "mentorship",
        Some(id),
        AuditOutcome::Ok,
        &serde_json::json!({"checkin": k.id, "goals_met": k.goals_met}).to_string(),
    )])
    .await?;
    mentorship_detail(state, actor, id).await
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MentorshipClosure {
    /// `completed` (goals reached) or `ended` (stopped early).
    pub status: String,
    /// What came of it, 1–500 characters.
    pub outcome: String,
}

pub async fn close_mentorship(
    state: &AppState,
    actor: &Actor,
    id: &str,
    req: MentorshipClosure,
) -> ApiResult<MentorshipDetail> {
    actor.require(state, Permission::TrainingManage).await?;
    let p = pair_for(state, actor, id).await?;
    if !manages_pair(actor, &p) {
        return Err(ApiError::Forbidden(
            "a pair is ended by a training manager whose scope holds the mentee's unit".into(),
        ));
    }
    let mut problems = Problems::default();
    if !matches!(req.status.as_str(), "completed" | "ended") {
        problems.push(Problem::new(
            "status",
            "training_closure",
            "completed or ended",
        ));
    }
    let outcome = problems.check(crate::validate::text("outcome", &req.outcome, 500))?;
    problems.finish()?;
    let outcome = outcome.unwrap_or_default();
    let mut tx = state.db.begin().await?;
    if !store::close_mentorship(&mut tx, id, &req.status, &outcome, state.now()).await? {
        return Err(ApiError::Conflict("the pair has ended".into()));
    }
    tx.commit_audited(vec![actor.audit_entry(
        "training.mentorship.close",
        "mentorship",
        Some(id),
        AuditOutcome::Ok,
        &serde_json::json!({"status": req.status}).to_string(),
    )])
    .await?;
    mentorship_detail(state, actor, id).await
}

/* ---------- a person's record and the staff table ---------- */

/// One session in a person's record.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecordEntry {
    pub session_id: String,
    pub kind: SessionKind,
    pub title: String,
    pub starts_at: i64,
    pub hours: f64,
    pub score: Option<f64>,
    pub max_score: Option<f64>,
    pub passed: Option<bool>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrainingRecord {
    pub person: StaffMember,
    /// Hours credited this calendar year and in all.
    pub hours_this_year: f64,
    pub hours_total: f64,
    pub sessions: Vec<RecordEntry>,
    pub certificates: Vec<TrainingCertificate>,
    pub mentorships: Vec<Mentorship>,
}

/// A person's record: their own, or (for record readers) one in scope — a read that is audited.
pub async fn record(state: &AppState, actor: &Actor, user_id: &str) -> ApiResult<TrainingRecord> {
    actor.require(state, Permission::TrainingRead).await?;
    let own = user_id == actor.user_id;
    let person = if own {
        store::myself(&state.db, user_id).await?
    } else if reads_records(actor) {
        store::staff_member(&state.db, &actor.scope, user_id).await?
    } else {
        return Err(not_a_record_reader());
    }
    .ok_or(ApiError::NotFound)?;
    let today = state.today();
    let year_start = pingan_domain::time::day_start(Date::new(today.year(), 1, 1).unwrap_or(today));
    let sessions: Vec<RecordEntry> = store::record(&state.db, user_id)
        .await?
        .into_iter()
        .filter_map(|r| {
            Some(RecordEntry {
                kind: r.kind.parse().ok()?,
                passed: r.pass_score.and_then(|p| r.score.map(|s| s >= p)),
                session_id: r.session_id,
                title: r.title,
                starts_at: r.starts_at,
                hours: r.hours,
                score: r.score,
                max_score: r.max_score,
            })
        })
        .collect();
    let hours_total = sessions.iter().map(|s| s.hours).fold(0.0, |a, b| a + b);
    let hours_this_year = sessions
        .iter()
        .filter(|s| s.starts_at >= year_start)
        .map(|s| s.hours)
        .fold(0.0, |a, b| a + b);
    let certificates = store::certificates_of(&state.db, user_id)
        .await?
        .into_iter()
        .map(|c| certificate_view(c, today))
        .collect();
    let mentorships = store::mentorships_of(&state.db, user_id)
        .await?
        .into_iter()
        .map(pair_view)
        .collect();
    if !own {
        // Another person's record is personal data: the read is recorded.
        state
            .db
            .audit(vec![actor.audit_entry(
                "training.record.read",
                "training_record",
                Some(user_id),
                AuditOutcome::Ok,
                "{}",
            )])
            .await?;
    }
    Ok(TrainingRecord {
        person: staff_view(&person),
        hours_this_year,
        hours_total,
        sessions,
        certificates,
        mentorships,
    })
}

/// One member of staff's year so far.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StaffHours {
    pub person: StaffMember,
    pub hours: f64,
    pub sessions: i64,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StaffHoursQuery {
    /// The calendar year (2000–2100), default this year.
    pub year: Option<i16>,
}

/// The staff in your scope with their training hours in a year, fewest first (who needs training).
pub async fn staff_hours(
    state: &AppState,
    actor: &Actor,
    q: &StaffHoursQuery,
) -> ApiResult<Vec<StaffHours>> {
    actor.require(state, Permission::TrainingRead).await?;
    if !reads_records(actor) {
        return Err(not_a_record_reader());
    }
    let year = q.year.unwrap_or(state.today().year());
    let (Ok(first), Ok(next)) = (
        Date::new(year, 1, 1),
        Date::new(year.saturating_add(1), 1, 1),
    ) else {
        return Err(ApiError::problem(Problem::new(
            "year",
            "training_year",
            "a year 2000 to 2100",
        )));
    };
    if !(2000..=2100).contains(&year) {
        return Err(ApiError::problem(Problem::new(
            "year",
            "training_year",
            "a year 2000 to 2100",
        )));
    }
    let (from, to) = (
        pingan_domain::time::day_start(first),
        pingan_domain::time::day_start(next),
    );
    let hours = store::hours_by_person(&state.db, &actor.scope, from, to).await?;
    let mut rows: Vec<StaffHours> = store::staff(&state.db, &actor.scope)
        .await?
        .iter()
        .map(|s| {
            let h = hours.iter().find(|h| h.0 == s.id);
            StaffHours {
                person: staff_view(s),
                hours: h.map_or(0.0, |h| h.1),
                sessions: h.map_or(0, |h| h.2),
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        a.hours
            .total_cmp(&b.hours)
            .then_with(|| a.person.display_name.cmp(&b.person.display_name))
    });
    Ok(rows)
}

/// Staff in the actor's scope, for the pickers.
pub async fn staff(state: &AppState, actor: &Actor) -> ApiResult<Vec<StaffMember>> {
    Ok(store::staff(&state.db, &actor.scope)
        .await?
        .iter()
        .map(staff_view)
        .collect())
}
