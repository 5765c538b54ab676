//! Pages for residents, without a login: report something (with a map to place it) and follow a
//! report by its tracking code. Nothing here shows anyone's personal data.

use crate::auth::ClientIp;
use crate::dispatch::intake;
use crate::error::ApiError;
use crate::i18n::{I18n, Lang};
use crate::public::reports::{ResidentReport, Tracking, check_report, status_zh, tracking};
use crate::shell::{PageError, error_response, lang_of, render};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use pingan_domain::incident::Channel;
use pingan_store::incidents;
use serde::Deserialize;
use std::sync::Arc;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/report", get(form).post(submit))
        .route("/track", get(track))
}

pub struct PublicCtx {
    pub lang: Lang,
    pub lang_code: &'static str,
    i18n: Arc<I18n>,
}

impl PublicCtx {
    fn new(state: &AppState, headers: &HeaderMap) -> PublicCtx {
        let lang = lang_of(headers);
        PublicCtx {
            lang,
            lang_code: lang.code(),
            i18n: state.i18n.clone(),
        }
    }

    pub fn t<'a>(&'a self, key: &'a str) -> &'a str {
        self.i18n.t(self.lang, key)
    }
}

/// An error on a public page, in the public pages' own frame (no staff navigation).
#[derive(Template)]
#[template(path = "public/public_message.html")]
struct PublicMessage {
    ctx: PublicCtx,
    heading: String,
    message: String,
    detail: Option<String>,
}

/// A page that does not exist, for someone not signed in: in the public frame, in their language.
pub fn not_found(state: &AppState, headers: &HeaderMap) -> Response {
    public_error(PublicCtx::new(state, headers), PageError::NotFound)
}

/// `PageError` for the public pages: HTML in the reader's language, never the API's JSON.
fn public_error(ctx: PublicCtx, e: impl Into<PageError>) -> Response {
    let i18n = ctx.i18n.clone();
    let d = e.into().describe(|k| i18n.t(ctx.lang, k));
    let detail = match (d.field, d.detail) {
        (Some(f), Some(m)) => Some(format!("{f}: {m}")),
        (_, m) => m,
    };
    let response = render(
        d.status,
        &PublicMessage {
            ctx,
            heading: d.heading,
            message: d.message,
            detail,
        },
    );
    error_response(d.status, response)
}

#[derive(Deserialize, Default)]
struct ReportForm {
    #[serde(default)]
    type_code: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    lng: String,
    #[serde(default)]
    lat: String,
    #[serde(default)]
    contact_name: String,
    #[serde(default)]
    contact_phone: String,
}

#[derive(Template)]
#[template(path = "public/report.html")]
struct ReportPage {
    ctx: PublicCtx,
    types: Vec<(String, String)>,
    form: ReportForm,
    errors: crate::shell::FieldErrors,
    tile_url: String,
}

impl ReportPage {
    fn elsewhere(&self) -> Vec<String> {
        self.errors.elsewhere(&[
            "type_code",
            "description",
            "address",
            "location",
            "contact_name",
            "contact_phone",
        ])
    }
}

async fn report_page(
    state: &AppState,
    headers: &HeaderMap,
    form: ReportForm,
    failure: Option<ApiError>,
) -> Response {
    let ctx = PublicCtx::new(state, headers);
    let errors = failure
        .as_ref()
        .and_then(|e| {
            crate::shell::FieldErrors::of(&ctx.i18n, ctx.lang, e, |path| {
                matches!(path, "lng" | "lat" | "crs").then(|| "location".to_string())
            })
        })
        .unwrap_or_default();
    let zh = ctx.lang == Lang::ZhCn;
    // Residents choose among everyday categories; the dispatcher refines the type.
    let types = match incidents::types(&state.db).await {
        Ok(t) => t
            .into_iter()
            .filter(|t| {
                t.active
                    && ["1", "2", "3", "4", "5", "9"]
                        .iter()
                        .any(|p| t.code.starts_with(p))
                    && !t.code.starts_with("95")
            })
            .map(|t| (t.code.clone(), if zh { t.name_zh } else { t.name_en }))
            .collect(),
        Err(e) => return public_error(PublicCtx::new(state, headers), e),
    };
    let status = if failure.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(
        status,
        &ReportPage {
            ctx,
            types,
            form,
            errors,
            tile_url: crate::basemap::tile_url(state).await,
        },
    )
}

async fn form(State(state): State<AppState>, headers: HeaderMap) -> Response {
    report_page(&state, &headers, ReportForm::default(), None).await
}

async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    form: Result<Form<ReportForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(f)) = form else {
        let e = ApiError::bad_request("invalid_form", "malformed form", None);
        return public_error(PublicCtx::new(&state, &headers), e);
    };
    let coords = (f.lng.trim().parse::<f64>(), f.lat.trim().parse::<f64>());
    let result = match coords {
        (Ok(lng), Ok(lat)) => {
            let req = ResidentReport {
                type_code: Some(f.type_code.clone()).filter(|s| !s.is_empty()),
                description: f.description.clone(),
                address: f.address.clone(),
                lng,
                lat,
                crs: None,
                contact_name: Some(f.contact_name.clone()),
                contact_phone: Some(f.contact_phone.clone()),
            };
            match check_report(&state, req, Channel::Web) {
                Ok(r) => intake::receive(&state, r, None, ip)
                    .await
                    .map(|(row, _)| row),
                Err(e) => Err(e),
            }
        }
        _ => Err(ApiError::problem(crate::error::Problem::new(
            "lng",
            "location_required",
            "tap the map to mark where it is",
        ))),
    };
    match result {
        // Post/redirect/get: reloading the answer must not report twice.
        Ok(row) => (
            StatusCode::SEE_OTHER,
            [(
                axum::http::header::LOCATION,
                format!(
                    "/track?code={}&new=1",
                    row.tracking_code.unwrap_or_default()
                ),
            )],
        )
            .into_response(),
        Err(e) if !e.problems().is_empty() => report_page(&state, &headers, f, Some(e)).await,
        Err(e) => public_error(PublicCtx::new(&state, &headers), e),
    }
}

#[derive(Deserialize)]
struct TrackQuery {
    code: Option<String>,
    /// Set on the redirect right after a report: the page thanks the reporter.
    new: Option<String>,
}

#[derive(Template)]
#[template(path = "public/track.html")]
struct TrackPage {
    ctx: PublicCtx,
    code: String,
    found: Option<Tracking>,
    missing: bool,
    just_reported: bool,
}

impl TrackPage {
    fn status_text(&self, t: &Tracking) -> String {
        match t.timeline.last() {
            Some(s) => self.step_text(&s.step),
            None if self.ctx.lang == Lang::ZhCn => status_zh(&t.status).to_string(),
            None => self.ctx.t("public.step.received").to_string(),
        }
    }
    fn step_text(&self, code: &str) -> String {
        self.ctx.t(&format!("public.step.{code}")).to_string()
    }
    fn when(&self, us: &i64) -> String {
        pingan_domain::time::local_datetime(pingan_domain::time::from_micros(*us))
    }
}

async fn track(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<TrackQuery>,
) -> Response {
    let ctx = PublicCtx::new(&state, &headers);
    let code = q.code.unwrap_or_default().trim().to_ascii_uppercase();
    let found = if code.is_empty() {
        None
    } else {
        match incidents::by_tracking_code(&state.db, &code).await {
            Ok(Some(r)) => match tracking(&state.db, &r).await {
                Ok(t) => Some(t),
                Err(e) => return public_error(ctx, e),
            },
            Ok(None) => None,
            Err(e) => return public_error(ctx, e),
        }
    };
    let missing = !code.is_empty() && found.is_none();
    let status = if missing {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::OK
    };
    let just_reported = q.new.is_some() && found.is_some();
    render(
        status,
        &TrackPage {
            ctx,
            code,
            found,
            missing,
            just_reported,
        },
    )
}
