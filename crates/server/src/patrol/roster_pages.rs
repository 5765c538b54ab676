//! 排班 pages: `/patrol/roster` — a station's week of shifts by day, booking a shift (conflicts
//! beside the crew with the person's name), copying the week forward, cancelling a shift. A
//! person's own shifts are on `/patrol/today` (see `pages`).

use crate::auth::{Actor, PageActor};
use crate::error::{ApiError, Problem};
use crate::patrol::roster::{self, CopiedWeek, CopyWeek, NewCrewMember, NewShift, Shift};
use crate::shell::{Ctx, FieldErrors, render};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use pingan_domain::roster::{PatrolMode, within_station};
use pingan_domain::{Permission, Role};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/patrol/roster", get(week).post(book))
        .route("/patrol/roster/copy", post(copy))
        .route("/patrol/roster/{id}/cancel", post(cancel))
}

const DAY: i64 = 86_400_000_000;

/// Which week, of which station.
#[derive(Debug, Default, Deserialize)]
struct WeekQuery {
    #[serde(default)]
    week: Option<String>,
    #[serde(default)]
    station: Option<String>,
}

/// The booking form as typed (kept when it comes back with problems).
#[derive(Debug, Default, Clone)]
struct ShiftForm {
    station: String,
    week: String,
    zone_id: String,
    mode: String,
    unit_id: String,
    date: String,
    start: String,
    end: String,
    crew: Vec<String>,
    seconded: Vec<String>,
    note: String,
}

impl ShiftForm {
    /// From an urlencoded body; `crew` and `seconded` repeat, one per ticked person.
    fn parse(body: &[u8]) -> ShiftForm {
        let mut f = ShiftForm::default();
        for (k, v) in form_urlencoded::parse(body) {
            let v = v.into_owned();
            match k.as_ref() {
                "station" => f.station = v,
                "week" => f.week = v,
                "zone_id" => f.zone_id = v,
                "mode" => f.mode = v,
                "unit_id" => f.unit_id = v,
                "date" => f.date = v,
                "start" => f.start = v,
                "end" => f.end = v,
                "crew" => f.crew.push(v),
                "seconded" => f.seconded.push(v),
                "note" => f.note = v,
                _ => {}
            }
        }
        f
    }

    /// The request the API takes: local date and times to instants (an end at or before the start
    /// is on the next day: a night shift), the ticked people with their secondment.
    fn request(&self) -> Result<NewShift, ApiError> {
        let mut problems = crate::error::Problems::default();
        let date = self.date.trim().parse::<jiff::civil::Date>().ok();
        if date.is_none() {
            problems.push(Problem::new("date", "date", "date must be YYYY-MM-DD"));
        }
        let time = |v: &str| v.trim().parse::<jiff::civil::Time>().ok();
        let start = time(&self.start);
        let end = time(&self.end);
        for (field, t) in [("start", start), ("end", end)] {
            if t.is_none() {
                problems.push(Problem::new(field, "roster_time", "a time HH:MM"));
            }
        }
        let mode = self.mode.parse::<PatrolMode>().ok();
        if mode.is_none() {
            problems.push(Problem::new("mode", "required", "mode is required"));
        }
        problems.finish()?;
        let (Some(date), Some(start), Some(end), Some(mode)) = (date, start, end, mode) else {
            unreachable!("problems were reported")
        };
        let instant = |d: jiff::civil::Date, t: jiff::civil::Time| {
            let day = pingan_domain::time::day_start(d);
            let us = day + i64::from(t.hour()) * 3_600_000_000 + i64::from(t.minute()) * 60_000_000;
            jiff::Timestamp::from_microsecond(us)
                .map(|t| t.to_string())
                .unwrap_or_default()
        };
        if end == start {
            return Err(ApiError::problem(
                Problem::new("end", "roster_period", "the shift must end after it starts")
                    .with("hours", pingan_domain::roster::MAX_SHIFT_HOURS),
            ));
        }
        let end_day = if end < start {
            date.tomorrow().unwrap_or(date)
        } else {
            date
        };
        Ok(NewShift {
            zone_id: self.zone_id.clone(),
            mode,
            unit_id: Some(self.unit_id.clone()).filter(|u| !u.is_empty()),
            starts_at: instant(date, start),
            ends_at: instant(end_day, end),
            crew: self
                .crew
                .iter()
                .map(|id| NewCrewMember {
                    user_id: id.clone(),
                    seconded: self.seconded.contains(id),
                })
                .collect(),
            note: Some(self.note.clone()),
        })
    }
}

/// A person the form offers.
struct Person {
    id: String,
    name: String,
    role: String,
    /// Of the chosen station (else 借调/协勤 is needed).
    in_station: bool,
}

/// One day of the week with its shifts.
struct Day {
    date: String,
    weekday: String,
    shifts: Vec<Shift>,
}

#[derive(Template)]
#[template(path = "patrol/roster.html")]
struct RosterPage {
    ctx: Ctx,
    station: String,
    stations: Vec<(String, String)>,
    /// The Monday, and the Mondays before and after.
    week: String,
    prev_week: String,
    next_week: String,
    days: Vec<Day>,
    zones: Vec<(String, String)>,
    units: Vec<(String, String)>,
    people: Vec<Person>,
    can_manage: bool,
    form: ShiftForm,
    errors: FieldErrors,
    copied: Option<CopiedWeek>,
    /// The skipped shifts' reasons in the reader's words.
    skipped_words: Vec<String>,
}

impl RosterPage {
    fn mode(&self, m: &PatrolMode) -> String {
        self.ctx.label("patrol_mode", m.code())
    }

    fn clock(&self, s: &Shift) -> String {
        let f = pingan_domain::time::local_datetime(pingan_domain::time::from_micros(s.starts_at));
        let t = pingan_domain::time::local_datetime(pingan_domain::time::from_micros(s.ends_at));
        let next = if t[..10] != f[..10] {
            self.ctx.t("roster.next_day").to_string()
        } else {
            String::new()
        };
        format!("{}–{}{}", &f[11..16], next, &t[11..16])
    }

    fn crew(&self, s: &Shift) -> String {
        let sep = self.ctx.t("shell.list_sep");
        s.crew
            .iter()
            .map(|c| {
                if c.seconded && self.ctx.lang_code == "en" {
                    format!("{} ({})", c.display_name, self.ctx.t("roster.seconded"))
                } else if c.seconded {
                    format!("{}（{}）", c.display_name, self.ctx.t("roster.seconded"))
                } else {
                    c.display_name.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(sep)
    }

    fn role(&self, code: &str) -> String {
        code.parse::<Role>().map_or(code.to_string(), |r| {
            if self.ctx.lang_code == "en" {
                r.label_en().to_string()
            } else {
                r.label_zh().to_string()
            }
        })
    }

    fn empty(&self) -> bool {
        self.days.iter().all(|d| d.shifts.is_empty())
    }

    fn ticked(&self, id: &str) -> bool {
        self.form.crew.iter().any(|c| c == id)
    }

    fn is_seconded(&self, id: &str) -> bool {
        self.form.seconded.iter().any(|c| c == id)
    }
}

fn week_of(s: Option<&str>, today: jiff::civil::Date) -> jiff::civil::Date {
    let d = s
        .and_then(|s| s.parse::<jiff::civil::Date>().ok())
        .unwrap_or(today);
    d.checked_sub(jiff::Span::new().days(i64::from(d.weekday().to_monday_zero_offset())))
        .unwrap_or(d)
}

fn api_field(path: &str) -> Option<String> {
    match path {
        "starts_at" => Some("start".into()),
        "ends_at" => Some("end".into()),
        p if p.starts_with("crew") => Some("crew".into()),
        _ => None,
    }
}

#[allow(clippy::too_many_arguments)]
async fn week_view(
    state: &AppState,
    headers: &HeaderMap,
    actor: &Actor,
    q: WeekQuery,
    form: Option<ShiftForm>,
    errors: FieldErrors,
    copied: Option<CopiedWeek>,
) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(
            state,
            headers,
            actor,
            "patrol",
            "/patrol/roster",
            Permission::PatrolRead
        )
        .await
    );
    let orgs = match pingan_store::orgs::list(&state.db, &actor.scope).await {
        Ok(o) => o,
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let stations: Vec<(String, String, String)> = orgs
        .into_iter()
        .filter(|o| o.kind == pingan_domain::org::OrgKind::Station.code())
        .map(|o| (o.id, o.name, o.path))
        .collect();
    let station = q
        .station
        .filter(|s| stations.iter().any(|(id, ..)| id == s))
        .or_else(|| {
            actor
                .org_id
                .clone()
                .filter(|o| stations.iter().any(|(id, ..)| id == o))
        })
        .or_else(|| stations.first().map(|s| s.0.clone()))
        .unwrap_or_default();
    let station_path = stations
        .iter()
        .find(|s| s.0 == station)
        .map(|s| s.2.clone())
        .unwrap_or_default();
    let monday = week_of(q.week.as_deref(), state.today());
    let from = pingan_domain::time::day_start(monday);
    let rfc = |us: i64| {
        jiff::Timestamp::from_microsecond(us)
            .map(|t| t.to_string())
            .unwrap_or_default()
    };
    let list = roster::shifts(
        state,
        actor,
        &roster::ShiftQuery {
            station_org_id: Some(station.clone()),
            from: Some(rfc(from)),
            to: Some(rfc(from + 7 * DAY)),
            ..Default::default()
        },
    )
    .await;
    let shifts = match list {
        Ok(s) => s,
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let weekdays = ctx.t("roster.weekdays").to_string();
    let weekday_names: Vec<&str> = weekdays.split(',').collect();
    let mut days: Vec<Day> = (0..7)
        .map(|i| {
            let d = monday
                .checked_add(jiff::Span::new().days(i))
                .unwrap_or(monday);
            Day {
                date: d.to_string(),
                weekday: weekday_names.get(i as usize).unwrap_or(&"").to_string(),
                shifts: Vec::new(),
            }
        })
        .collect();
    for s in shifts {
        // A shift belongs to the day it starts (one from last Sunday night is shown on Monday).
        let i = ((s.starts_at - from).max(0) / DAY).min(6) as usize;
        days[i].shifts.push(s);
    }
    let zones =
        match pingan_store::patrol::list_zones(&state.db, &actor.scope, Some(&station)).await {
            Ok(z) => z.into_iter().map(|z| (z.id, z.name)).collect(),
            Err(e) => return crate::shell::page_error(ctx, e),
        };
    let units = match pingan_store::units::list(&state.db, &actor.scope).await {
        Ok(u) => u
            .into_iter()
            .filter(|u| u.org_id == station)
            .map(|u| (u.id, format!("{} · {}", u.call_sign, u.name)))
            .collect(),
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let can_manage = actor.can(Permission::PatrolManage);
    let people = if can_manage {
        match crew_candidates(state, actor, &station_path).await {
            Ok(p) => p,
            Err(e) => return crate::shell::page_error(ctx, e),
        }
    } else {
        Vec::new()
    };
    let form = form.unwrap_or_else(|| ShiftForm {
        date: state.today().to_string(),
        start: "08:00".into(),
        end: "16:00".into(),
        mode: PatrolMode::Foot.code().into(),
        ..Default::default()
    });
    let skipped_words = copied
        .as_ref()
        .map(|c| {
            c.skipped
                .iter()
                .map(|s| {
                    let when = pingan_domain::time::local_datetime(
                        pingan_domain::time::from_micros(s.starts_at),
                    );
                    let why: Vec<String> = s
                        .problems
                        .iter()
                        .map(|p| crate::shell::problem_text(&state.i18n, ctx.lang, p))
                        .collect();
                    format!(
                        "{} {}: {}",
                        &when[5..16],
                        s.zone_name,
                        why.join(ctx.t("shell.list_sep"))
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let shift_days = |n: i64| {
        monday
            .checked_add(jiff::Span::new().days(n))
            .unwrap_or(monday)
            .to_string()
    };
    render(
        status,
        &RosterPage {
            ctx,
            station,
            stations: stations
                .into_iter()
                .map(|(id, name, _)| (id, name))
                .collect(),
            week: monday.to_string(),
            prev_week: shift_days(-7),
            next_week: shift_days(7),
            days,
            zones,
            units,
            people,
            can_manage,
            form,
            errors,
            copied,
            skipped_words,
        },
    )
}

/// The people in scope who patrol, the station's own first.
async fn crew_candidates(
    state: &AppState,
    actor: &Actor,
    station_path: &str,
) -> Result<Vec<Person>, ApiError> {
    let users = pingan_store::users::list(&state.db, &actor.scope).await?;
    let orgs = pingan_store::orgs::list(&state.db, &actor.scope).await?;
    let mut people: Vec<Person> = users
        .into_iter()
        .filter(|u| {
            !u.disabled
                && u.role()
                    .is_some_and(|r| pingan_domain::roster::PATROL_ROLES.contains(&r))
        })
        .map(|u| {
            let org_path = u
                .org_id
                .as_ref()
                .and_then(|o| orgs.iter().find(|x| &x.id == o))
                .map(|o| o.path.clone())
                .unwrap_or_default();
            Person {
                in_station: within_station(station_path, &org_path),
                id: u.id,
                name: u.display_name,
                role: u.role,
            }
        })
        .collect();
    people.sort_by(|a, b| b.in_station.cmp(&a.in_station).then(a.name.cmp(&b.name)));
    Ok(people)
}

async fn week(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Query(q): Query<WeekQuery>,
) -> Response {
    week_view(
        &state,
        &headers,
        &actor,
        q,
        None,
        FieldErrors::default(),
        None,
    )
    .await
}

async fn book(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    body: Bytes,
) -> Response {
    let f = ShiftForm::parse(&body);
    let result = match f.request() {
        Ok(req) => roster::create_shift(&state, &actor, req).await,
        Err(e) => Err(e),
    };
    let q = WeekQuery {
        week: Some(f.week.clone()),
        station: Some(f.station.clone()),
    };
    match result {
        Ok(s) => {
            let day =
                pingan_domain::time::local_date(pingan_domain::time::from_micros(s.starts_at));
            Redirect::to(&format!(
                "/patrol/roster?station={}&week={day}#shift-{}",
                s.station_org_id, s.id
            ))
            .into_response()
        }
        Err(e) => {
            let lang = crate::shell::lang_of(&headers);
            match FieldErrors::of(&state.i18n, lang, &e, api_field) {
                Some(errors) => week_view(&state, &headers, &actor, q, Some(f), errors, None).await,
                None => crate::shell::fail(&state, &headers, &actor, e),
            }
        }
    }
}

#[derive(Debug, Deserialize)]
struct CopyForm {
    station: String,
    week: String,
}

async fn copy(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    form: Result<axum::extract::Form<CopyForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let f = match crate::shell::form(form) {
        Ok(f) => f,
        Err(e) => return crate::shell::fail(&state, &headers, &actor, e),
    };
    let req = CopyWeek {
        station_org_id: f.station.clone(),
        week_of: f.week.clone(),
    };
    match roster::copy_week(&state, &actor, req).await {
        // The page shows the week the shifts were copied into, with what was skipped.
        Ok(copied) => {
            let next = week_of(Some(&f.week), state.today())
                .checked_add(jiff::Span::new().days(7))
                .map(|d| d.to_string())
                .ok();
            let q = WeekQuery {
                week: next,
                station: Some(f.station),
            };
            week_view(
                &state,
                &headers,
                &actor,
                q,
                None,
                FieldErrors::default(),
                Some(copied),
            )
            .await
        }
        Err(e) => crate::shell::fail(&state, &headers, &actor, e),
    }
}

async fn cancel(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
) -> Response {
    match roster::cancel_shift(&state, &actor, &id).await {
        Ok(s) => {
            let day =
                pingan_domain::time::local_date(pingan_domain::time::from_micros(s.starts_at));
            Redirect::to(&format!(
                "/patrol/roster?station={}&week={day}",
                s.station_org_id
            ))
            .into_response()
        }
        Err(e) => crate::shell::fail(&state, &headers, &actor, e),
    }
}
