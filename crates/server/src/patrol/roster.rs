//! 排班: who patrols which zone, how and when. A shift is a zone, a mode (人巡/车巡/网巡/伏击守候),
//! a period, maybe a unit (a car, a foot team's radio unit) and the people who crew it. A shift is
//! refused, with every reason and nothing stored, when a person or the unit is already booked then,
//! a person would rest less than `patrol.min_rest_hours` between shifts, or a person does not work
//! for the zone's station and is not marked seconded (借调/协勤). A week can be copied forward:
//! what fits is booked, what does not is listed with its reasons.

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, Problem, Problems};
use crate::state::AppState;
use pingan_domain::Permission;
use pingan_domain::audit::AuditOutcome;
use pingan_domain::roster::{
    Booking, MAX_CREW, PatrolMode, RosterConflict, check_period, person_conflict, unit_conflict,
    within_station,
};
use pingan_store::patrol as zones;
use pingan_store::roster::{self as store, CrewRow, ShiftFilter, ShiftRow};
use pingan_store::{Tx, new_id};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

const HOUR: i64 = 3_600_000_000;
const DAY: i64 = 24 * HOUR;
/// The longest period one listing covers.
pub const MAX_LIST_DAYS: i64 = 62;

/// One person on a new shift.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCrewMember {
    pub user_id: String,
    /// 借调/协勤: works this shift for the zone's station without belonging to it.
    #[serde(default)]
    pub seconded: bool,
}

/// A new shift.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewShift {
    pub zone_id: String,
    pub mode: PatrolMode,
    /// The car or team unit on the shift, if any (a unit of the zone's station).
    #[serde(default)]
    pub unit_id: Option<String>,
    /// RFC 3339 instants; the shift ends before `ends_at`, at most 24 hours after it starts.
    pub starts_at: String,
    pub ends_at: String,
    /// 1–20 people.
    pub crew: Vec<NewCrewMember>,
    /// At most 200 characters.
    #[serde(default)]
    pub note: Option<String>,
}

/// A person on a shift.
#[derive(Debug, Serialize, ToSchema)]
pub struct CrewMember {
    pub user_id: String,
    pub display_name: String,
    pub role: String,
    pub seconded: bool,
}

/// A shift on a patrol zone.
#[derive(Debug, Serialize, ToSchema)]
pub struct Shift {
    pub id: String,
    pub zone_id: String,
    pub zone_name: String,
    pub station_org_id: String,
    pub mode: PatrolMode,
    pub unit_id: Option<String>,
    pub unit_name: Option<String>,
    /// UTC µs; the shift ends before `ends_at`.
    pub starts_at: i64,
    pub ends_at: i64,
    pub note: String,
    pub crew: Vec<CrewMember>,
    /// When the shift was cancelled (it then books nobody).
    pub cancelled_at: Option<i64>,
}

fn shift_view(s: ShiftRow, crew: Vec<CrewMember>) -> Shift {
    Shift {
        mode: s.mode.parse().unwrap_or(PatrolMode::Foot),
        id: s.id,
        zone_id: s.zone_id,
        zone_name: s.zone_name,
        station_org_id: s.station_org_id,
        unit_id: s.unit_id,
        unit_name: s.unit_name,
        starts_at: s.starts_at,
        ends_at: s.ends_at,
        note: s.note,
        crew,
        cancelled_at: s.cancelled_at,
    }
}

fn with_crews(shifts: Vec<ShiftRow>, crew: Vec<CrewRow>) -> Vec<Shift> {
    let mut by_shift: BTreeMap<String, Vec<CrewMember>> = BTreeMap::new();
    for c in crew {
        by_shift.entry(c.shift_id).or_default().push(CrewMember {
            user_id: c.user_id,
            display_name: c.display_name,
            role: c.role,
            seconded: c.seconded,
        });
    }
    shifts
        .into_iter()
        .map(|s| {
            let crew = by_shift.remove(&s.id).unwrap_or_default();
            shift_view(s, crew)
        })
        .collect()
}

/// A shift's times as people read them, for the words of a conflict.
fn period_label(from: i64, to: i64) -> String {
    let f = pingan_domain::time::local_datetime(pingan_domain::time::from_micros(from));
    let t = pingan_domain::time::local_datetime(pingan_domain::time::from_micros(to));
    format!("{}–{}", &f[5..16], &t[11..16])
}

/// A checked request: the period and the crew, ready to be booked.
struct Request {
    zone_id: String,
    mode: PatrolMode,
    unit_id: Option<String>,
    period: (i64, i64),
    crew: Vec<NewCrewMember>,
    note: String,
}

/// Every problem of the request's own values at once (conflicts come later, from the store).
fn check_request(req: &NewShift) -> ApiResult<Request> {
    let mut problems = Problems::default();
    let from = problems.check(crate::validate::required_instant(
        "starts_at",
        &req.starts_at,
    ))?;
    let to = problems.check(crate::validate::required_instant("ends_at", &req.ends_at))?;
    if let (Some(f), Some(t)) = (from, to)
        && let Err(e) = check_period(f, t)
    {
        problems.push(
            Problem::new("ends_at", "roster_period", e.to_string())
                .with("hours", pingan_domain::roster::MAX_SHIFT_HOURS),
        );
    }
    if req.crew.is_empty() || req.crew.len() > MAX_CREW {
        problems.push(
            Problem::new(
                "crew",
                "roster_crew_size",
                format!("a shift needs 1–{MAX_CREW} people"),
            )
            .with("max", MAX_CREW),
        );
    }
    let mut seen = std::collections::HashSet::new();
    for (i, c) in req.crew.iter().enumerate() {
        if !seen.insert(c.user_id.as_str()) {
            problems.push(Problem::new(
                &format!("crew[{i}].user_id"),
                "roster_crew_twice",
                "this person is already on the crew",
            ));
        }
    }
    let note = req.note.as_deref().unwrap_or("").trim().to_string();
    if note.chars().count() > 200 {
        problems.push(
            Problem::new("note", "too_long", "note: at most 200 characters").with("max", 200),
        );
    }
    problems.finish()?;
    Ok(Request {
        zone_id: req.zone_id.clone(),
        mode: req.mode,
        unit_id: req.unit_id.clone().filter(|u| !u.is_empty()),
        period: (from.unwrap_or_default(), to.unwrap_or_default()),
        crew: req.crew.clone(),
        note,
    })
}

fn bookings(rows: Vec<(String, i64, i64)>) -> Vec<Booking> {
    rows.into_iter()
        .map(|(shift_id, from, to)| Booking { shift_id, from, to })
        .collect()
}

/// Books a checked request inside `tx`: every conflict becomes a problem beside the field it is
/// about; nothing is written unless there are none. The caller commits.
async fn book(
    state: &AppState,
    tx: &mut Tx,
    actor: &Actor,
    zone: &zones::ZoneRow,
    req: &Request,
) -> ApiResult<ShiftRow> {
    let min_rest = (state.config.patrol.min_rest_hours * HOUR as f64) as i64;
    let mut problems = Problems::default();
    let ids: Vec<String> = req.crew.iter().map(|c| c.user_id.clone()).collect();
    let people = store::lock_people(tx, &actor.scope, &ids).await?;
    let unit = match &req.unit_id {
        Some(u) => Some(store::lock_unit(tx, u).await?.ok_or_else(|| {
            ApiError::problem(Problem::new(
                "unit_id",
                "roster_unit",
                "no unit with this id in your scope",
            ))
        })?),
        None => None,
    };
    if let (Some((name, org_path)), Some(unit_id)) = (&unit, &req.unit_id) {
        let conflict = if !within_station(&zone.org_path, org_path) {
            Some(RosterConflict::UnitOutsideStation {
                who: unit_id.clone(),
            })
        } else {
            unit_conflict(
                unit_id,
                req.period,
                &bookings(store::unit_bookings(tx, unit_id, req.period).await?),
            )
        };
        if let Some(c) = conflict {
            problems.push(conflict_problem("unit_id", name, &c, tx).await?);
        }
    }
    let around = (req.period.0 - min_rest, req.period.1 + min_rest);
    for (i, member) in req.crew.iter().enumerate() {
        let field = format!("crew[{i}].user_id");
        let Some(p) = people.iter().find(|p| p.id == member.user_id) else {
            problems.push(Problem::new(
                &field,
                "roster_person",
                "no person with this id in your scope",
            ));
            continue;
        };
        if !p
            .role
            .parse::<pingan_domain::Role>()
            .is_ok_and(|r| pingan_domain::roster::PATROL_ROLES.contains(&r))
        {
            problems.push(
                Problem::new(&field, "roster_role", "this person's role does not patrol")
                    .with("name", &p.display_name),
            );
            continue;
        }
        if p.disabled {
            problems.push(
                Problem::new(&field, "roster_person_disabled", "this account is disabled")
                    .with("name", &p.display_name),
            );
            continue;
        }
        let in_station = p
            .org_path
            .as_deref()
            .is_some_and(|o| within_station(&zone.org_path, o));
        let conflict = if !in_station && !member.seconded {
            Some(RosterConflict::OutsideStation { who: p.id.clone() })
        } else {
            person_conflict(
                &p.id,
                req.period,
                &bookings(store::person_bookings(tx, &p.id, around).await?),
                min_rest,
            )
        };
        if let Some(c) = conflict {
            problems.push(conflict_problem(&field, &p.display_name, &c, tx).await?);
        }
    }
    problems.finish()?;
    let row = ShiftRow {
        id: new_id(),
        zone_id: zone.id.clone(),
        zone_name: zone.name.clone(),
        station_org_id: zone.station_org_id.clone(),
        org_path: zone.org_path.clone(),
        area_path: zone.area_path.clone(),
        mode: req.mode.code().to_string(),
        unit_id: req.unit_id.clone(),
        unit_name: unit.map(|u| u.0),
        starts_at: req.period.0,
        ends_at: req.period.1,
        note: req.note.clone(),
        created_by: actor.user_id.clone(),
        created_at: state.now(),
        cancelled_at: None,
    };
    let crew: Vec<(String, bool)> = req
        .crew
        .iter()
        .map(|c| (c.user_id.clone(), c.seconded))
        .collect();
    store::insert_shift(tx, &row, &crew).await?;
    Ok(row)
}

/// A conflict as a problem: its code, the person's or unit's name and the other shift's times.
async fn conflict_problem(
    field: &str,
    name: &str,
    c: &RosterConflict,
    tx: &mut Tx,
) -> ApiResult<Problem> {
    let mut p = Problem::new(field, c.code(), format!("{name}: {c}")).with("name", name);
    let other = match c {
        RosterConflict::DoubleBooked { shift_id, .. }
        | RosterConflict::UnitDoubleBooked { shift_id, .. } => Some(shift_id),
        RosterConflict::RestTooShort {
            shift_id,
            rest_minutes,
            min_minutes,
            ..
        } => {
            p = p
                .with("rest_hours", format!("{:.1}", *rest_minutes as f64 / 60.0))
                .with("min_hours", format!("{:.1}", *min_minutes as f64 / 60.0));
            Some(shift_id)
        }
        _ => None,
    };
    if let Some(id) = other {
        p = p.with("shift_id", id);
        if let Some((from, to)) = store::shift_period(tx, id).await? {
            p = p.with("when", period_label(from, to));
        }
    }
    Ok(p)
}

async fn zone_for(state: &AppState, actor: &Actor, zone_id: &str) -> ApiResult<zones::ZoneRow> {
    zones::get_zone(&state.db, &actor.scope, zone_id)
        .await?
        .ok_or_else(|| {
            ApiError::problem(Problem::new(
                "zone_id",
                "patrol_zone",
                "no patrol zone with this id in your scope",
            ))
        })
}

/// Books one shift, or refuses it with every reason and stores nothing.
pub async fn create_shift(state: &AppState, actor: &Actor, req: NewShift) -> ApiResult<Shift> {
    actor.require(state, Permission::PatrolManage).await?;
    let checked = check_request(&req)?;
    let zone = zone_for(state, actor, &checked.zone_id).await?;
    if let Some(u) = &checked.unit_id {
        unit_visible(state, actor, u).await?;
    }
    let mut tx = state.db.begin().await?;
    let row = book(state, &mut tx, actor, &zone, &checked).await?;
    let detail = format!(
        "{} {} {}",
        zone.name,
        checked.mode.code(),
        period_label(row.starts_at, row.ends_at)
    );
    tx.commit_audited(vec![actor.audit_entry(
        "patrol_shift.create",
        "patrol_shift",
        Some(&row.id),
        AuditOutcome::Ok,
        &detail,
    )])
    .await?;
    shift(state, actor, &row.id).await
}

/// A unit the caller cannot see is refused like a missing one.
async fn unit_visible(state: &AppState, actor: &Actor, unit_id: &str) -> ApiResult<()> {
    pingan_store::units::get(&state.db, &actor.scope, unit_id)
        .await?
        .map(|_| ())
        .ok_or_else(|| {
            ApiError::problem(Problem::new(
                "unit_id",
                "roster_unit",
                "no unit with this id in your scope",
            ))
        })
}

pub async fn shift(state: &AppState, actor: &Actor, id: &str) -> ApiResult<Shift> {
    actor.require(state, Permission::PatrolRead).await?;
    let (s, crew) = store::get_shift(&state.db, Some(&actor.scope), Some(&actor.user_id), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(with_crews(vec![s], crew).remove(0))
}

/// Cancels a shift: it books nobody from now on and stays for the record.
pub async fn cancel_shift(state: &AppState, actor: &Actor, id: &str) -> ApiResult<Shift> {
    actor.require(state, Permission::PatrolManage).await?;
    let (s, _) = store::get_shift(&state.db, Some(&actor.scope), None, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut tx = state.db.begin().await?;
    if !store::cancel_shift(&mut tx, id, &actor.user_id, state.now()).await? {
        return Err(ApiError::Conflict("the shift is cancelled already".into()));
    }
    tx.commit_audited(vec![actor.audit_entry(
        "patrol_shift.cancel",
        "patrol_shift",
        Some(id),
        AuditOutcome::Ok,
        &format!("{} {}", s.zone_name, period_label(s.starts_at, s.ends_at)),
    )])
    .await?;
    shift(state, actor, id).await
}

/// Which shifts.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ShiftQuery {
    pub station_org_id: Option<String>,
    pub zone_id: Option<String>,
    /// RFC 3339; shifts that end after `from` and start before `to` (at most 62 days). Default:
    /// this local week, Monday to Monday.
    pub from: Option<String>,
    pub to: Option<String>,
    /// `true`: only the shifts you crew (whoever's scope they are in).
    pub mine: Option<bool>,
}

/// Monday 00:00 (China Standard Time) of the week holding `day`, in UTC µs.
pub fn week_start(day: jiff::civil::Date) -> i64 {
    let back = i64::from(day.weekday().to_monday_zero_offset());
    pingan_domain::time::day_start(day) - back * DAY
}

pub async fn shifts(state: &AppState, actor: &Actor, q: &ShiftQuery) -> ApiResult<Vec<Shift>> {
    actor.require(state, Permission::PatrolRead).await?;
    let default_from = week_start(state.today());
    let from = crate::validate::instant("from", q.from.as_deref())?.unwrap_or(default_from);
    let to = crate::validate::instant("to", q.to.as_deref())?.unwrap_or(from + 7 * DAY);
    if to <= from || to - from > MAX_LIST_DAYS * DAY {
        return Err(ApiError::problem(
            Problem::new(
                "to",
                "patrol_track_period",
                format!("to must be after from, at most {MAX_LIST_DAYS} days later"),
            )
            .with("days", MAX_LIST_DAYS),
        ));
    }
    let mine = q.mine.unwrap_or(false);
    let f = ShiftFilter {
        station_org_id: q.station_org_id.clone(),
        zone_id: q.zone_id.clone(),
        from,
        to,
        user_id: mine.then(|| actor.user_id.clone()),
    };
    // One's own shifts are one's own to see, even when the zone lies outside one's scope (a
    // volunteer seconded to a station).
    let scope = (!mine).then_some(&actor.scope);
    let (rows, crew) = store::list_shifts(&state.db, scope, &f).await?;
    if rows.len() > store::MAX_LISTED {
        return Err(ApiError::invalid(
            "to",
            format!(
                "more than {} shifts: choose a shorter period",
                store::MAX_LISTED
            ),
        ));
    }
    Ok(with_crews(rows, crew))
}

/// Copy a week's shifts of a station seven days forward.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CopyWeek {
    pub station_org_id: String,
    /// Any day of the week to copy (YYYY-MM-DD); its Monday-to-Sunday week is copied.
    pub week_of: String,
}

/// A shift the copy could not book, and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct SkippedShift {
    /// The shift of the copied week, its zone and its period.
    pub shift_id: String,
    pub zone_name: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub problems: Vec<Problem>,
}

/// What a copy booked and what it could not.
#[derive(Debug, Serialize, ToSchema)]
pub struct CopiedWeek {
    pub created: Vec<Shift>,
    pub skipped: Vec<SkippedShift>,
}

/// Books each shift of the week again a week later; a shift that now conflicts (someone already
/// booked, a person moved to another station) is skipped with its reasons, the rest are booked.
pub async fn copy_week(state: &AppState, actor: &Actor, req: CopyWeek) -> ApiResult<CopiedWeek> {
    actor.require(state, Permission::PatrolManage).await?;
    let day = req.week_of.parse::<jiff::civil::Date>().map_err(|_| {
        ApiError::problem(Problem::new(
            "week_of",
            "date",
            "week_of must be YYYY-MM-DD",
        ))
    })?;
    let station = pingan_store::orgs::get(&state.db, &actor.scope, &req.station_org_id)
        .await?
        .ok_or_else(|| {
            ApiError::problem(Problem::new(
                "station_org_id",
                "patrol_station",
                "no police station with this id in your scope",
            ))
        })?;
    let from = week_start(day);
    // Shifts that start in the week (one that starts on Sunday night belongs to it).
    let (rows, crew) = store::list_shifts(
        &state.db,
        Some(&actor.scope),
        &ShiftFilter {
            station_org_id: Some(station.id.clone()),
            from,
            to: from + 7 * DAY,
            ..Default::default()
        },
    )
    .await?;
    let source: Vec<Shift> = with_crews(rows, crew)
        .into_iter()
        .filter(|s| s.starts_at >= from)
        .collect();
    // Read before the write transaction: its zone for each shift (all in scope: listed so).
    let mut zones_by_id = BTreeMap::new();
    for s in &source {
        if !zones_by_id.contains_key(&s.zone_id) {
            zones_by_id.insert(s.zone_id.clone(), zone_for(state, actor, &s.zone_id).await?);
        }
    }
    let mut created_ids = Vec::new();
    let mut skipped = Vec::new();
    let mut audit = Vec::new();
    let mut tx = state.db.begin().await?;
    // Lock every person of the week, then every unit, each in id order, before booking any: one
    // shift at a time would take them in an order a concurrent booking could cross.
    let mut people: Vec<String> = source
        .iter()
        .flat_map(|s| s.crew.iter().map(|c| c.user_id.clone()))
        .collect();
    people.sort();
    people.dedup();
    store::lock_people(&mut tx, &actor.scope, &people).await?;
    let mut units: Vec<&String> = source.iter().filter_map(|s| s.unit_id.as_ref()).collect();
    units.sort();
    units.dedup();
    for u in units {
        store::lock_unit(&mut tx, u).await?;
    }
    for s in &source {
        let zone = &zones_by_id[&s.zone_id];
        let req = Request {
            zone_id: s.zone_id.clone(),
            mode: s.mode,
            unit_id: s.unit_id.clone(),
            period: (s.starts_at + 7 * DAY, s.ends_at + 7 * DAY),
            crew: s
                .crew
                .iter()
                .map(|c| NewCrewMember {
                    user_id: c.user_id.clone(),
                    seconded: c.seconded,
                })
                .collect(),
            note: s.note.clone(),
        };
        match book(state, &mut tx, actor, zone, &req).await {
            Ok(row) => {
                audit.push(actor.audit_entry(
                    "patrol_shift.create",
                    "patrol_shift",
                    Some(&row.id),
                    AuditOutcome::Ok,
                    &format!("copied from {}", s.id),
                ));
                created_ids.push(row.id);
            }
            Err(e @ ApiError::Invalid(_)) => skipped.push(SkippedShift {
                shift_id: s.id.clone(),
                zone_name: s.zone_name.clone(),
                starts_at: s.starts_at,
                ends_at: s.ends_at,
                problems: e.problems(),
            }),
            Err(e) => return Err(e),
        }
    }
    if audit.is_empty() {
        tx.rollback().await?;
    } else {
        tx.commit_audited(audit).await?;
    }
    let mut created = Vec::with_capacity(created_ids.len());
    for id in &created_ids {
        created.push(shift(state, actor, id).await?);
    }
    Ok(CopiedWeek { created, skipped })
}
