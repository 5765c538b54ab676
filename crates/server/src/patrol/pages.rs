//! 分片布警 pages: `/patrol` (zones on the map, drawing a new zone, the plans, asking the kernel for
//! one), `/patrol/plans/{id}` (the plan on the map: the chief drags, adds and removes posts and
//! publishes; everyone else reads it) and `/patrol/today` (a crew's phone view: today's posts and
//! their hours).

use crate::auth::{Actor, PageActor};
use crate::error::ApiError;
use crate::patrol::{self, NewPlan, Plan, PlanQuery, PlanSummary, Zone};
use crate::shell::{Ctx, FieldErrors, not_found, render, script_json};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use pingan_domain::Permission;
use pingan_domain::patrol::PlanStatus;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/patrol", get(overview))
        .route("/patrol/plans", post(propose))
        .route("/patrol/plans/{id}", get(show))
        .route("/patrol/plans/{id}/publish", post(publish))
        .route("/patrol/today", get(today))
        .route("/patrol/tracks", get(tracks))
        .merge(crate::patrol::roster_pages::router())
}

/// The plan form as typed (kept when it comes back with problems).
#[derive(Debug, Default, Deserialize)]
struct PlanForm {
    #[serde(default)]
    zone_id: String,
    #[serde(default)]
    k: String,
    #[serde(default)]
    radius_m: String,
    #[serde(default)]
    basis_days: String,
    #[serde(default)]
    window_hours: String,
    #[serde(default)]
    valid_from: String,
    #[serde(default)]
    valid_to: String,
}

#[derive(Template)]
#[template(path = "patrol/patrol.html")]
struct Overview {
    ctx: Ctx,
    zones: Vec<Zone>,
    /// (station id, name) of the stations in scope, for a new zone.
    stations: Vec<(String, String)>,
    plans: Vec<PlanSummary>,
    can_manage: bool,
    form: PlanForm,
    errors: FieldErrors,
    problems_json: String,
    tile_url: String,
    tile_crs: String,
}

impl Overview {
    fn status(&self, s: &PlanStatus) -> String {
        self.ctx.label("patrol_status", s.code())
    }

    fn share(&self, p: &PlanSummary) -> String {
        percent(p.covered, p.total_weight)
    }

    fn km2(&self, z: &Zone) -> String {
        format!("{:.2}", z.area_m2 / 1e6)
    }
}

/// The problems the map's own requests can meet, in the reader's words, by code (`{param}`s left for
/// the script to fill).
const MAP_PROBLEMS: &[&str] = &[
    "required",
    "too_long",
    "patrol_station",
    "patrol_geometry",
    "patrol_zone_name_taken",
    "patrol_post_outside",
    "patrol_checkin_post",
    "patrol_checkin_window",
    "patrol_checkin_far",
    "patrol_checkin_accuracy",
];

fn problem_words(ctx: &Ctx) -> String {
    let words: std::collections::BTreeMap<&str, String> = MAP_PROBLEMS
        .iter()
        .map(|c| (*c, ctx.t(&format!("problem.{c}")).to_string()))
        .collect();
    script_json(&words)
}

fn percent(part: f64, whole: f64) -> String {
    if whole > 0.0 {
        format!("{:.1}%", part / whole * 100.0)
    } else {
        "—".into()
    }
}

async fn overview_view(
    state: &AppState,
    headers: &HeaderMap,
    actor: &Actor,
    form: PlanForm,
    errors: FieldErrors,
) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(
            state,
            headers,
            actor,
            "patrol",
            "/patrol",
            Permission::PatrolRead
        )
        .await
    );
    let zones = match patrol::zones(state, actor).await {
        Ok(z) => z,
        Err(e) => return crate::shell::fail(state, headers, actor, e),
    };
    let plans = match patrol::plans(state, actor, &PlanQuery::default()).await {
        Ok(p) => p,
        Err(e) => return crate::shell::fail(state, headers, actor, e),
    };
    let stations = match pingan_store::orgs::list(&state.db, &actor.scope).await {
        Ok(o) => o
            .into_iter()
            .filter(|o| o.kind == pingan_domain::org::OrgKind::Station.code())
            .map(|o| (o.id, o.name))
            .collect(),
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let can_manage = actor.can(Permission::PatrolManage);
    let mut form = form;
    if form.valid_from.is_empty() {
        let d = state.today().tomorrow().unwrap_or(state.today());
        form.valid_from = d.to_string();
        form.valid_to = d
            .checked_add(jiff::Span::new().days(6))
            .unwrap_or(d)
            .to_string();
        form.k = "5".into();
        form.radius_m = "300".into();
        form.basis_days = "90".into();
        form.window_hours = "3".into();
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let m = &state.config.map;
    let problems_json = problem_words(&ctx);
    render(
        status,
        &Overview {
            ctx,
            zones,
            stations,
            plans,
            can_manage,
            form,
            errors,
            problems_json,
            tile_url: crate::basemap::tile_url(state).await,
            tile_crs: m.tile_crs.clone(),
        },
    )
}

async fn overview(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
) -> Response {
    overview_view(
        &state,
        &headers,
        &actor,
        PlanForm::default(),
        FieldErrors::default(),
    )
    .await
}

async fn propose(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    form: Result<axum::extract::Form<PlanForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let f = match crate::shell::form(form) {
        Ok(f) => f,
        Err(e) => return crate::shell::fail(&state, &headers, &actor, e),
    };
    let lang = crate::shell::lang_of(&headers);
    let whole = |field: &str, v: &str| -> Result<i64, ApiError> {
        v.trim().parse::<i64>().map_err(|_| {
            ApiError::problem(crate::error::Problem::new(
                field,
                "whole_number",
                format!("{field}: a whole number"),
            ))
        })
    };
    let parsed = (|| -> Result<NewPlan, ApiError> {
        let mut problems = crate::error::Problems::default();
        let k = problems.check(whole("k", &f.k))?;
        let radius = problems.check(whole("radius_m", &f.radius_m))?;
        let days = problems.check(whole("basis_days", &f.basis_days))?;
        let hours = problems.check(whole("window_hours", &f.window_hours))?;
        problems.finish()?;
        let (k, radius, days, hours) = (
            k.unwrap_or(0),
            radius.unwrap_or(0),
            days.unwrap_or(0),
            hours.unwrap_or(0),
        );
        Ok(NewPlan {
            zone_id: f.zone_id.clone(),
            k: k.clamp(0, 1000) as usize,
            radius_m: Some(radius as f64),
            basis_days: Some(days),
            window_hours: Some(hours.clamp(0, 255) as u8),
            valid_from: f.valid_from.trim().to_string(),
            valid_to: f.valid_to.trim().to_string(),
        })
    })();
    let result = match parsed {
        Ok(req) => patrol::propose(&state, &actor, req).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(plan) => Redirect::to(&format!("/patrol/plans/{}", plan.id)).into_response(),
        Err(e) => match FieldErrors::of(&state.i18n, lang, &e, |_| None) {
            Some(errors) => overview_view(&state, &headers, &actor, f, errors).await,
            None => crate::shell::fail(&state, &headers, &actor, e),
        },
    }
}

#[derive(Template)]
#[template(path = "patrol/plan.html")]
struct PlanPage {
    ctx: Ctx,
    plan: Plan,
    plan_json: String,
    zone_json: String,
    editable: bool,
    /// Today's check-ins, for a published plan in force today.
    check_ins: Option<crate::patrol::checkins::CheckIns>,
    /// Coverage and effect over the days so far, for a published plan that has begun.
    coverage: Option<crate::patrol::coverage::Coverage>,
    problems_json: String,
    tile_url: String,
    tile_crs: String,
}

impl PlanPage {
    fn share_of(&self, part: &usize, whole: &usize) -> String {
        percent(*part as f64, *whole as f64)
    }

    fn ratio(&self, v: &f64) -> String {
        format!("{v:.2}")
    }

    /// The effect in words: which way the interval lies, or that the counts cannot tell.
    fn verdict(&self, e: &pingan_domain::patrol_effect::EffectEstimate) -> String {
        let key = if !e.conclusive {
            "coverage.inconclusive"
        } else if e.high < 1.0 {
            "coverage.better"
        } else {
            "coverage.worse"
        };
        self.ctx.t(key).to_string()
    }

    fn status(&self) -> String {
        self.ctx.label("patrol_status", self.plan.status.code())
    }

    fn share(&self) -> String {
        percent(self.plan.covered, self.plan.proposal.total_weight)
    }

    fn proposed_share(&self) -> String {
        percent(self.plan.proposal.covered, self.plan.proposal.total_weight)
    }

    fn weight(&self, w: &f64) -> String {
        format!("{w:.1}")
    }

    fn gap(&self) -> String {
        format!("{:.2}%", self.plan.proposal.gap * 100.0)
    }

    fn basis(&self) -> String {
        use pingan_domain::time::{from_micros, local_datetime};
        format!(
            "{} — {}",
            local_datetime(from_micros(self.plan.basis_from)),
            local_datetime(from_micros(self.plan.basis_to))
        )
    }

    fn clock(&self, us: &i64) -> String {
        use pingan_domain::time::{from_micros, local_datetime};
        local_datetime(from_micros(*us))
            .chars()
            .skip(11)
            .take(5)
            .collect()
    }

    fn minutes(&self, m: &f64) -> String {
        format!("{m:.0}")
    }

    fn origin(&self, i: &usize) -> String {
        let p = &self.plan.posts[*i];
        match p.proposed {
            Some(n) => format!("{} {}", self.ctx.t("patrol.proposed_post"), n + 1),
            None => self.ctx.t("patrol.added_post").to_string(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct DayQuery {
    #[serde(default)]
    date: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
    axum::extract::Query(day): axum::extract::Query<DayQuery>,
) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(
            &state,
            &headers,
            &actor,
            "patrol",
            "/patrol",
            Permission::PatrolRead
        )
        .await
    );
    let plan = match patrol::plan(&state, &actor, &id).await {
        Ok(p) => p,
        Err(ApiError::NotFound) => return not_found(ctx),
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let zone = match patrol::zone(&state, &actor, &plan.zone_id).await {
        Ok(z) => z,
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let editable = plan.status == PlanStatus::Draft && actor.can(Permission::PatrolManage);
    let date = day
        .date
        .filter(|d| d.parse::<jiff::civil::Date>().is_ok())
        .unwrap_or_else(|| state.today().to_string());
    let in_force = plan.valid_from <= date && date <= plan.valid_to;
    let check_ins = if plan.status == PlanStatus::Published && in_force {
        let q = crate::patrol::checkins::CheckInQuery { date: Some(date) };
        match crate::patrol::checkins::check_ins(&state, &actor, &plan.id, &q).await {
            Ok(c) => Some(c),
            Err(e) => return crate::shell::page_error(ctx, e),
        }
    } else {
        None
    };
    // Coverage and effect over the plan's days so far, once it has begun.
    let begun = plan.valid_from <= state.today().to_string();
    let coverage = if plan.status == PlanStatus::Published && begun {
        let q = crate::patrol::coverage::CoverageQuery::default();
        match crate::patrol::coverage::coverage(&state, &actor, &plan.id, &q).await {
            Ok(c) => Some(c),
            Err(e) => return crate::shell::page_error(ctx, e),
        }
    } else {
        None
    };
    let m = &state.config.map;
    let problems_json = problem_words(&ctx);
    render(
        StatusCode::OK,
        &PlanPage {
            ctx,
            plan_json: script_json(&plan),
            zone_json: script_json(&zone.geometry),
            plan,
            editable,
            check_ins,
            coverage,
            problems_json,
            tile_url: crate::basemap::tile_url(&state).await,
            tile_crs: m.tile_crs.clone(),
        },
    )
}

async fn publish(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
) -> Response {
    match patrol::publish(&state, &actor, &id).await {
        Ok(_) => Redirect::to(&format!("/patrol/plans/{id}")).into_response(),
        Err(e) => crate::shell::fail(&state, &headers, &actor, e),
    }
}

impl Today {
    fn by_hand(&self, plan: &usize, post: &usize) -> bool {
        self.manual
            .get(*plan)
            .and_then(|c| c.get(*post))
            .copied()
            .unwrap_or(false)
    }

    fn mode(&self, m: &pingan_domain::roster::PatrolMode) -> String {
        self.ctx.label("patrol_mode", m.code())
    }

    /// "12-07 08:00–16:00" in local time.
    fn when(&self, s: &crate::patrol::roster::Shift) -> String {
        let f = pingan_domain::time::local_datetime(pingan_domain::time::from_micros(s.starts_at));
        let t = pingan_domain::time::local_datetime(pingan_domain::time::from_micros(s.ends_at));
        format!("{} {}–{}", &f[5..10], &f[11..16], &t[11..16])
    }

    fn checked_in(&self, plan: &usize, post: &usize) -> bool {
        self.checked
            .get(*plan)
            .and_then(|c| c.get(*post))
            .copied()
            .unwrap_or(false)
    }
}

#[derive(Template)]
#[template(path = "patrol/today.html")]
struct Today {
    ctx: Ctx,
    date: String,
    plans: Vec<Plan>,
    /// Per plan, per post: checked in today, and whether by hand.
    checked: Vec<Vec<bool>>,
    manual: Vec<Vec<bool>>,
    problems_json: String,
    /// The reader's own shifts of the next seven days.
    my_shifts: Vec<crate::patrol::roster::Shift>,
    plans_json: String,
    tile_url: String,
    tile_crs: String,
}

async fn today(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(
            &state,
            &headers,
            &actor,
            "patrol",
            "/patrol/today",
            Permission::PatrolRead
        )
        .await
    );
    let q = PlanQuery {
        status: Some(PlanStatus::Published.code().into()),
        valid_on: Some("today".into()),
        zone_id: None,
    };
    let list = match patrol::plans(&state, &actor, &q).await {
        Ok(l) => l,
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let mut plans = Vec::new();
    let mut checked = Vec::new();
    let mut manual = Vec::new();
    for s in list {
        match patrol::plan(&state, &actor, &s.id).await {
            Ok(p) => plans.push(p),
            Err(e) => return crate::shell::page_error(ctx, e),
        }
        let q = crate::patrol::checkins::CheckInQuery { date: None };
        match crate::patrol::checkins::check_ins(&state, &actor, &s.id, &q).await {
            Ok(c) => {
                checked.push(c.posts.iter().map(|p| p.checked_in).collect());
                manual.push(
                    c.posts
                        .iter()
                        .map(|p| !p.gps && !p.manual.is_empty())
                        .collect(),
                );
            }
            Err(e) => return crate::shell::page_error(ctx, e),
        }
    }
    let start = pingan_domain::time::day_start(state.today());
    let rfc = |us: i64| {
        jiff::Timestamp::from_microsecond(us)
            .map(|t| t.to_string())
            .unwrap_or_default()
    };
    let mine = crate::patrol::roster::ShiftQuery {
        from: Some(rfc(start)),
        to: Some(rfc(start + 8 * 86_400_000_000)),
        mine: Some(true),
        ..Default::default()
    };
    let my_shifts = match crate::patrol::roster::shifts(&state, &actor, &mine).await {
        Ok(s) => s,
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let m = &state.config.map;
    render(
        StatusCode::OK,
        &Today {
            problems_json: problem_words(&ctx),
            ctx,
            my_shifts,
            manual,
            date: state.today().to_string(),
            plans_json: script_json(&plans),
            plans,
            checked,
            tile_url: crate::basemap::tile_url(&state).await,
            tile_crs: m.tile_crs.clone(),
        },
    )
}

#[derive(Debug, Default, Deserialize)]
struct TrackForm {
    #[serde(default)]
    unit: Option<String>,
    #[serde(default)]
    date: Option<String>,
}

#[derive(Template)]
#[template(path = "patrol/tracks.html")]
struct TracksPage {
    ctx: Ctx,
    /// (id, call sign · name) of the units in scope that carry a GPS device.
    units: Vec<(String, String)>,
    unit: String,
    date: String,
    /// The day as RFC 3339 instants (local midnight to midnight).
    from: String,
    to: String,
    tile_url: String,
    tile_crs: String,
}

/// 轨迹回放: one unit's track for a day on the map (the script asks `/api/v1/units/{id}/track`).
async fn tracks(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    axum::extract::Query(f): axum::extract::Query<TrackForm>,
) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(
            &state,
            &headers,
            &actor,
            "patrol",
            "/patrol/tracks",
            Permission::PatrolRead
        )
        .await
    );
    let units: Vec<(String, String)> =
        match pingan_store::units::list(&state.db, &actor.scope).await {
            Ok(u) => u
                .into_iter()
                .filter(|u| u.device_id.is_some())
                .map(|u| (u.id, format!("{} · {}", u.call_sign, u.name)))
                .collect(),
            Err(e) => return crate::shell::page_error(ctx, e),
        };
    let day = f
        .date
        .as_deref()
        .and_then(|d| d.parse::<jiff::civil::Date>().ok())
        .unwrap_or_else(|| state.today());
    let unit = f
        .unit
        .filter(|u| units.iter().any(|(id, _)| id == u))
        .or_else(|| units.first().map(|(id, _)| id.clone()))
        .unwrap_or_default();
    let start = pingan_domain::time::day_start(day);
    let rfc = |us: i64| {
        jiff::Timestamp::from_microsecond(us)
            .map(|t| t.to_string())
            .unwrap_or_default()
    };
    let m = &state.config.map;
    render(
        StatusCode::OK,
        &TracksPage {
            ctx,
            units,
            unit,
            date: day.to_string(),
            from: rfc(start),
            to: rfc(start + 86_400_000_000),
            tile_url: crate::basemap::tile_url(&state).await,
            tile_crs: m.tile_crs.clone(),
        },
    )
}
