//! Public alerts pages: `/public-alerts` (the alerts, newest first, on a map; composing one — or an
//! update or cancel of a published one — for approval; importing a CAP document received from
//! another agency) and `/public-alerts/{id}` (the alert, its area on the map, its CAP document, and
//! the approval for someone other than the composer).

use super::{AlertDecision, AlertFeed, AlertImport, AlertListQuery, NewPublicAlert, PublicAlert};
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
use pingan_domain::cap::{Category, Certainty, ResponseType, Severity, Urgency};
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/public-alerts", get(list).post(compose))
        .route("/public-alerts/import", post(import))
        .route("/public-alerts/{id}", get(detail))
        .route("/public-alerts/{id}/decision", post(decide))
}

fn plain_field(path: &str) -> Option<String> {
    Some(path.split('[').next().unwrap_or(path).to_string())
}

/// What the map script draws for one alert.
#[derive(Serialize)]
struct MapItem<'a> {
    id: &'a str,
    headline: &'a str,
    origin: &'a str,
    superseded: bool,
    shapes: &'a super::AlertShapes,
}

fn expired(a: &PublicAlert, now: i64) -> bool {
    a.expires_at.is_some_and(|e| e <= now)
}

/// Drawn dashed: updated or cancelled since, or past their expiry.
fn map_json(alerts: &[&PublicAlert], now: i64) -> String {
    let items: Vec<MapItem> = alerts
        .iter()
        .filter(|a| a.state == "published" || a.state == "received" || a.state == "pending")
        .map(|a| MapItem {
            id: &a.id,
            headline: if a.headline.is_empty() {
                &a.event
            } else {
                &a.headline
            },
            origin: &a.origin,
            superseded: a.superseded_by.is_some() || expired(a, now),
            shapes: &a.shapes,
        })
        .collect();
    crate::shell::script_json(&items)
}

#[derive(Debug, Default, Deserialize)]
struct ListParams {
    state: Option<String>,
    /// Compose an update or cancel of this alert.
    references: Option<String>,
    msg_type: Option<String>,
}

#[derive(Template)]
#[template(path = "public_alerts/list.html")]
struct ListPage {
    ctx: Ctx,
    alerts: Vec<PublicAlert>,
    filter: String,
    can_compose: bool,
    /// The published alert an update or cancel is being composed for, with the kind.
    replacing: Option<(PublicAlert, String)>,
    areas: Vec<(String, String)>,
    grids: Vec<(String, String)>,
    feeds: Vec<AlertFeed>,
    now: i64,
    map_json: String,
    tile_url: String,
    tile_crs: String,
    forms: Forms,
}

/// A CAP enumeration's values with their names in the reader's language.
fn choices<T: Copy>(
    ctx: &Ctx,
    group: &str,
    all: &[T],
    code: fn(T) -> &'static str,
) -> Vec<(&'static str, String)> {
    all.iter()
        .map(|&v| (code(v), ctx.label(group, code(v))))
        .collect()
}

impl ListPage {
    fn categories(&self) -> Vec<(&'static str, String)> {
        choices(&self.ctx, "cap_category", Category::ALL, Category::as_str)
    }
    fn urgencies(&self) -> Vec<(&'static str, String)> {
        choices(&self.ctx, "cap_urgency", Urgency::ALL, Urgency::as_str)
    }
    fn severities(&self) -> Vec<(&'static str, String)> {
        choices(&self.ctx, "cap_severity", Severity::ALL, Severity::as_str)
    }
    fn certainties(&self) -> Vec<(&'static str, String)> {
        choices(
            &self.ctx,
            "cap_certainty",
            Certainty::ALL,
            Certainty::as_str,
        )
    }
    fn responses(&self) -> Vec<(&'static str, String)> {
        choices(
            &self.ctx,
            "cap_response",
            ResponseType::ALL,
            ResponseType::as_str,
        )
    }
    fn states(&self) -> Vec<(&'static str, String)> {
        choices(
            &self.ctx,
            "alert_state",
            &["pending", "published", "rejected", "received"],
            |s| s,
        )
    }
    fn summary(&self, a: &PublicAlert) -> String {
        summary(&self.ctx, a)
    }
    fn expired(&self, a: &PublicAlert) -> bool {
        expired(a, self.now)
    }
    fn at(&self, us: &i64) -> String {
        at(us)
    }
}

fn at(us: &i64) -> String {
    pingan_domain::time::local_datetime(pingan_domain::time::from_micros(*us))[..16].to_string()
}

/// "Security · Moderate · Expected" in the reader's words.
fn summary(ctx: &Ctx, a: &PublicAlert) -> String {
    let mut parts: Vec<String> = a
        .categories
        .iter()
        .map(|c| ctx.label("cap_category", c))
        .collect();
    for (group, v) in [
        ("cap_severity", &a.severity),
        ("cap_urgency", &a.urgency),
        ("cap_certainty", &a.certainty),
    ] {
        if !v.is_empty() {
            parts.push(ctx.label(group, v));
        }
    }
    parts.join(" · ")
}

async fn list_view(
    state: &AppState,
    headers: &HeaderMap,
    actor: &Actor,
    params: ListParams,
    forms: Forms,
) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(
            state,
            headers,
            actor,
            "public_alerts",
            "/public-alerts",
            Permission::PublicAlertRead
        )
        .await
    );
    let can_compose = actor.can(Permission::PublicAlertCompose);
    let filter = params.state.clone().unwrap_or_default();
    let loaded = async {
        let alerts = super::list(
            state,
            actor,
            &AlertListQuery {
                state: params.state.clone().filter(|s| !s.is_empty()),
            },
        )
        .await?;
        let replacing = match (&params.references, can_compose) {
            (Some(id), true) => {
                let a = super::get(state, actor, id).await?.alert;
                let kind = match params.msg_type.as_deref() {
                    Some("Cancel") => "Cancel",
                    _ => "Update",
                };
                (a.origin == "composed" && a.state == "published" && a.superseded_by.is_none())
                    .then(|| (a, kind.to_string()))
            }
            _ => None,
        };
        let (areas, grids) = if can_compose {
            let areas = pingan_store::areas::list(&state.db, &actor.scope, None, None)
                .await?
                .into_iter()
                .filter(|a| actor.scope.covers_area_path(&a.path))
                .map(|a| (a.path, a.name))
                .collect();
            let grids = pingan_store::grids::list(&state.db, &actor.scope, None)
                .await?
                .into_iter()
                .map(|g| (g.code, g.name))
                .collect();
            (areas, grids)
        } else {
            (Vec::new(), Vec::new())
        };
        let feeds = if can_compose {
            super::feeds(state, actor).await?
        } else {
            Vec::new()
        };
        Ok::<_, ApiError>((alerts, replacing, areas, grids, feeds))
    };
    let (alerts, replacing, areas, grids, feeds) = match loaded.await {
        Ok(v) => v,
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let status = if forms.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let m = &state.config.map;
    render(
        status,
        &ListPage {
            map_json: map_json(&alerts.iter().collect::<Vec<_>>(), state.now()),
            now: state.now(),
            ctx,
            alerts,
            filter,
            can_compose,
            replacing,
            areas,
            grids,
            feeds,
            tile_url: crate::basemap::tile_url(state).await,
            tile_crs: m.tile_crs.clone(),
            forms,
        },
    )
}

async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Query(params): Query<ListParams>,
) -> Response {
    list_view(&state, &headers, &actor, params, Forms::default()).await
}

fn some_list(v: Vec<String>) -> Option<Vec<String>> {
    let v: Vec<String> = v.into_iter().filter(|s| !s.is_empty()).collect();
    (!v.is_empty()).then_some(v)
}

async fn compose(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    body: Bytes,
) -> Response {
    let typed = Typed::parse("compose", &body);
    let references_id = typed.optional("references_id");
    let replacing = references_id.is_some();
    let msg_type = typed.optional("msg_type");
    // An update or cancel keeps the original's values for what the form leaves empty.
    let req = NewPublicAlert {
        msg_type: msg_type.clone(),
        references_id: references_id.clone(),
        status: typed.optional("status"),
        categories: if replacing {
            some_list(typed.all("categories"))
        } else {
            Some(typed.all("categories"))
        },
        event: if replacing {
            typed.optional("event")
        } else {
            Some(typed.get("event"))
        },
        urgency: typed.optional("urgency"),
        severity: typed.optional("severity"),
        certainty: typed.optional("certainty"),
        response_types: some_list(typed.all("response_types")),
        audience: typed.optional("audience"),
        headline: if replacing {
            typed.optional("headline")
        } else {
            Some(typed.get("headline"))
        },
        description: if replacing {
            typed.optional("description")
        } else {
            Some(typed.get("description"))
        },
        instruction: typed.optional("instruction"),
        expires: typed.optional("expires").map(|d| format!("{d}:00+08:00")),
        area_paths: some_list(typed.all("area_paths")),
        grid_codes: some_list(typed.all("grid_codes")),
    };
    match super::compose(&state, &actor, req).await {
        Ok(a) => Redirect::to(&format!("/public-alerts/{}", a.id)).into_response(),
        Err(e) => {
            let lang = crate::shell::lang_of(&headers);
            match FieldErrors::of(&state.i18n, lang, &e, plain_field) {
                Some(errors) => {
                    let params = ListParams {
                        state: None,
                        references: references_id,
                        msg_type,
                    };
                    list_view(&state, &headers, &actor, params, Forms { typed, errors }).await
                }
                None => crate::shell::fail(&state, &headers, &actor, e),
            }
        }
    }
}

async fn import(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    body: Bytes,
) -> Response {
    let typed = Typed::parse("import", &body);
    let req = AlertImport {
        document: typed.get("document"),
        source: typed.optional("source"),
    };
    match super::import(&state, &actor, req).await {
        Ok(a) => Redirect::to(&format!("/public-alerts/{}", a.id)).into_response(),
        Err(e) => {
            let lang = crate::shell::lang_of(&headers);
            match FieldErrors::of(&state.i18n, lang, &e, plain_field) {
                Some(errors) => {
                    list_view(
                        &state,
                        &headers,
                        &actor,
                        ListParams::default(),
                        Forms { typed, errors },
                    )
                    .await
                }
                None => crate::shell::fail(&state, &headers, &actor, e),
            }
        }
    }
}

#[derive(Template)]
#[template(path = "public_alerts/alert.html")]
struct AlertPage {
    ctx: Ctx,
    a: PublicAlert,
    document: Option<String>,
    can_decide: bool,
    can_replace: bool,
    expired: bool,
    map_json: String,
    tile_url: String,
    tile_crs: String,
    forms: Forms,
}

impl AlertPage {
    fn summary(&self) -> String {
        summary(&self.ctx, &self.a)
    }
    fn at(&self, us: &i64) -> String {
        at(us)
    }
    fn responses(&self) -> String {
        self.a
            .response_types
            .iter()
            .map(|r| self.ctx.label("cap_response", r))
            .collect::<Vec<_>>()
            .join("、")
    }
}

async fn alert_view(
    state: &AppState,
    headers: &HeaderMap,
    actor: &Actor,
    id: &str,
    forms: Forms,
) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(
            state,
            headers,
            actor,
            "public_alerts",
            "/public-alerts",
            Permission::PublicAlertRead
        )
        .await
    );
    let super::AlertRead {
        alert: a,
        document,
        can_decide,
    } = match super::get(state, actor, id).await {
        Ok(v) => v,
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let can_replace = actor.can(Permission::PublicAlertCompose)
        && a.origin == "composed"
        && a.state == "published"
        && a.superseded_by.is_none();
    let status = if forms.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let m = &state.config.map;
    render(
        status,
        &AlertPage {
            map_json: map_json(&[&a], state.now()),
            expired: expired(&a, state.now()),
            ctx,
            a,
            document,
            can_decide,
            can_replace,
            tile_url: crate::basemap::tile_url(state).await,
            tile_crs: m.tile_crs.clone(),
            forms,
        },
    )
}

async fn detail(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
) -> Response {
    alert_view(&state, &headers, &actor, &id, Forms::default()).await
}

async fn decide(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let typed = Typed::parse("decision", &body);
    let req = AlertDecision {
        approve: typed.get("decision") == "approve",
        note: typed.optional("note"),
    };
    match super::decide(&state, &actor, &id, req).await {
        Ok(_) => Redirect::to(&format!("/public-alerts/{id}")).into_response(),
        Err(e) => {
            let lang = crate::shell::lang_of(&headers);
            match FieldErrors::of(&state.i18n, lang, &e, plain_field) {
                Some(errors) => {
                    alert_view(&state, &headers, &actor, &id, Forms { typed, errors }).await
                }
                None => crate::shell::fail(&state, &headers, &actor, e),
            }
        }
    }
}
