//! 巡区导入 page: `/patrol/zones/import` — upload a GeoJSON layer for a station, see every problem
//! (by feature and property) and the uncovered parts of the jurisdiction, then confirm. The checked
//! layer travels back in the confirm form, so any server can finish it; confirming checks it again.

use crate::auth::{Actor, PageActor};
use crate::error::ApiError;
use crate::patrol::zone_import::{self, ZoneImport, ZoneImportReport};
use crate::shell::{Ctx, render};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use pingan_domain::Permission;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/patrol/zones/import", get(form).post(preview))
        .route("/patrol/zones/import/confirm", post(confirm))
}

#[derive(Template)]
#[template(path = "patrol/zone_import.html")]
struct ImportPage {
    ctx: Ctx,
    stations: Vec<(String, String)>,
    station: String,
    crs: String,
    file_name: String,
    layer: String,
    report: Option<ZoneImportReport>,
    /// Each of the report's problems in the reader's words.
    problem_words: Vec<String>,
    /// A problem with the request itself (no station, not a layer), in the reader's words.
    error: Option<String>,
}

impl ImportPage {
    fn area(&self, m2: &f64) -> String {
        format!("{:.0}", m2)
    }

    fn at(&self, lng: &f64, lat: &f64) -> String {
        format!("{lng:.6}, {lat:.6}")
    }

    fn word(&self, i: &usize) -> String {
        self.problem_words.get(*i).cloned().unwrap_or_default()
    }

    fn property(&self, p: &str) -> String {
        self.ctx.label("zone_import_property", p)
    }
}

#[allow(clippy::too_many_arguments)]
async fn page(
    state: &AppState,
    headers: &HeaderMap,
    actor: &Actor,
    station: String,
    crs: String,
    file_name: String,
    layer: String,
    outcome: Option<Result<ZoneImportReport, ApiError>>,
) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(
            state,
            headers,
            actor,
            "patrol",
            "/patrol/zones/import",
            Permission::PatrolManage
        )
        .await
    );
    let stations = match pingan_store::orgs::list(&state.db, &actor.scope).await {
        Ok(o) => o
            .into_iter()
            .filter(|o| o.kind == pingan_domain::org::OrgKind::Station.code())
            .map(|o| (o.id, o.name))
            .collect(),
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let (report, error, status) = match outcome {
        None => (None, None, StatusCode::OK),
        Some(Ok(r)) => (Some(r), None, StatusCode::OK),
        Some(Err(e)) => {
            let lang = crate::shell::lang_of(headers);
            let words = e
                .problems()
                .iter()
                .map(|p| crate::shell::problem_text(&state.i18n, lang, p))
                .collect::<Vec<_>>()
                .join("；");
            if words.is_empty() {
                return crate::shell::page_error(ctx, e);
            }
            (None, Some(words), StatusCode::UNPROCESSABLE_ENTITY)
        }
    };
    let lang = crate::shell::lang_of(headers);
    let problem_words = report
        .as_ref()
        .map(|r| {
            r.problems
                .iter()
                .map(|p| crate::shell::problem_text(&state.i18n, lang, &p.as_problem()))
                .collect()
        })
        .unwrap_or_default();
    render(
        status,
        &ImportPage {
            problem_words,
            ctx,
            stations,
            station,
            crs,
            file_name,
            layer,
            report,
            error,
        },
    )
}

async fn form(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
) -> Response {
    let station = actor.org_id.clone().unwrap_or_default();
    page(
        &state,
        &headers,
        &actor,
        station,
        "wgs84".into(),
        String::new(),
        String::new(),
        None,
    )
    .await
}

/// The fields of the form, the file's text among them.
async fn fields(mut form: Multipart) -> Result<(String, String, String, String), ApiError> {
    let (mut station, mut crs, mut name, mut layer) = (
        String::new(),
        "wgs84".to_string(),
        String::new(),
        String::new(),
    );
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|_| ApiError::bad_request("invalid_form", "malformed form", None))?
    {
        let key = field.name().unwrap_or("").to_string();
        if key == "file" {
            name = field.file_name().unwrap_or("").chars().take(200).collect();
        }
        let text = field
            .text()
            .await
            .map_err(|_| ApiError::bad_request("invalid_form", "malformed form", None))?;
        match key.as_str() {
            "station" => station = text,
            "crs" => crs = text,
            "file" | "layer" => layer = text,
            _ => {}
        }
    }
    Ok((station, crs, name, layer))
}

async fn check(
    state: &AppState,
    actor: &Actor,
    station: &str,
    crs: &str,
    layer: &str,
    dry_run: bool,
) -> Result<ZoneImportReport, ApiError> {
    let layer: serde_json::Value = serde_json::from_str(layer).map_err(|e| {
        ApiError::problem(crate::error::Problem::new(
            "layer",
            "patrol_layer",
            format!("layer: {e}"),
        ))
    })?;
    zone_import::import_zones(
        state,
        actor,
        ZoneImport {
            station_org_id: station.to_string(),
            layer,
            crs: Some(crs.to_string()),
            dry_run,
        },
    )
    .await
}

async fn preview(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    form: Multipart,
) -> Response {
    let (station, crs, name, layer) = match fields(form).await {
        Ok(f) => f,
        Err(e) => return crate::shell::fail(&state, &headers, &actor, e),
    };
    let outcome = check(&state, &actor, &station, &crs, &layer, true).await;
    page(
        &state,
        &headers,
        &actor,
        station,
        crs,
        name,
        layer,
        Some(outcome),
    )
    .await
}

async fn confirm(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    form: Multipart,
) -> Response {
    let (station, crs, name, layer) = match fields(form).await {
        Ok(f) => f,
        Err(e) => return crate::shell::fail(&state, &headers, &actor, e),
    };
    match check(&state, &actor, &station, &crs, &layer, false).await {
        Ok(_) => Redirect::to("/patrol").into_response(),
        Err(e) => {
            page(
                &state,
                &headers,
                &actor,
                station,
                crs,
                name,
                layer,
                Some(Err(e)),
            )
            .await
        }
    }
}
