//! `/cameras`: the cameras on the map with their sectors and status, "which cameras could have seen
//! this point then" (a click on the map and a time), and the footage requests — filed here against an
//! incident's number, decided by the chief, their export recorded — with problems beside the fields.

use crate::auth::{Actor, PageActor};
use crate::cameras::footage::{
    self, FootageDecision, FootageExport, FootageQuery, FootageRequest, NewFootageRequest,
};
use crate::cameras::{self, CameraSite, CameraWitnesses, WitnessQuery};
use crate::error::{ApiError, Problem};
use crate::shell::{Ctx, FieldErrors, render};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use pingan_domain::Permission;
use pingan_domain::camera::{FootageStatus, FootageStep};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/cameras", get(page))
        .route("/cameras/footage", post(request))
        .route("/cameras/footage/{id}/{step}", post(step))
}

/// The witness form as typed.
#[derive(Debug, Default, Deserialize)]
struct WitnessForm {
    #[serde(default)]
    lng: String,
    #[serde(default)]
    lat: String,
    /// Local `YYYY-MM-DDTHH:MM` (the browser's datetime-local).
    #[serde(default)]
    at: String,
}

/// The footage request form as typed.
#[derive(Debug, Default, Deserialize)]
struct RequestForm {
    #[serde(default)]
    camera_code: String,
    /// The incident's number (接警编号).
    #[serde(default)]
    incident: String,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

#[derive(Template)]
#[template(path = "cameras/cameras.html")]
struct CamerasPage {
    ctx: Ctx,
    cameras: Vec<CameraSite>,
    cameras_json: String,
    witness: WitnessForm,
    witnesses: Option<CameraWitnesses>,
    witness_error: String,
    requests: Vec<FootageRequest>,
    can_request: bool,
    can_approve: bool,
    form: RequestForm,
    errors: FieldErrors,
    tile_url: String,
    tile_crs: String,
}

impl CamerasPage {
    fn owner(&self, c: &CameraSite) -> String {
        self.ctx.label("camera_owner", c.owner.code())
    }

    fn status(&self, c: &CameraSite) -> String {
        match c.online {
            Some(true) => self.ctx.t("cameras.online").to_string(),
            Some(false) => self.ctx.t("cameras.offline").to_string(),
            None if c.active => self.ctx.t("cameras.registry_active").to_string(),
            None => self.ctx.t("cameras.inactive").to_string(),
        }
    }

    fn sector(&self, c: &CameraSite) -> String {
        match &c.sector {
            Some(s) => format!(
                "{:.0}° · {:.0}° · {:.0} m",
                s.direction_deg, s.fov_deg, s.range_m
            ),
            None => self.ctx.t("cameras.no_sector").to_string(),
        }
    }

    fn request_status(&self, r: &FootageRequest) -> String {
        self.ctx.label("footage_status", r.status.code())
    }

    fn when(&self, us: &i64) -> String {
        pingan_domain::time::local_datetime(pingan_domain::time::from_micros(*us))[..16].to_string()
    }

    fn is_requested(&self, r: &FootageRequest) -> bool {
        r.status == FootageStatus::Requested
    }

    fn is_approved(&self, r: &FootageRequest) -> bool {
        r.status == FootageStatus::Approved
    }

    fn metres(&self, m: &f64) -> String {
        format!("{m:.0}")
    }
}

/// Local `YYYY-MM-DDTHH:MM` (China Standard Time) → RFC 3339.
fn local_to_rfc(v: &str) -> Option<String> {
    let dt = v.trim().parse::<jiff::civil::DateTime>().ok()?;
    Some(format!("{}+08:00", dt.strftime("%Y-%m-%dT%H:%M:%S")))
}

#[allow(clippy::too_many_arguments)]
async fn view(
    state: &AppState,
    headers: &HeaderMap,
    actor: &Actor,
    witness: WitnessForm,
    form: RequestForm,
    errors: FieldErrors,
) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(
            state,
            headers,
            actor,
            "cameras",
            "/cameras",
            Permission::CameraRead
        )
        .await
    );
    let list = match cameras::cameras(state, actor).await {
        Ok(l) => l,
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let mut witness_error = String::new();
    let witnesses = if witness.lng.is_empty() && witness.lat.is_empty() {
        None
    } else {
        let q = match (
            witness.lng.trim().parse::<f64>(),
            witness.lat.trim().parse::<f64>(),
            local_to_rfc(&witness.at),
        ) {
            (Ok(lng), Ok(lat), Some(at)) => Some(WitnessQuery { lng, lat, at }),
            _ => None,
        };
        match q {
            Some(q) => match cameras::witnesses(state, actor, &q).await {
                Ok(w) => Some(w),
                Err(e @ (ApiError::Invalid(_) | ApiError::Validation(..))) => {
                    witness_error = e
                        .problems()
                        .first()
                        .map(|p| crate::shell::problem_text(&state.i18n, ctx.lang, p))
                        .unwrap_or_default();
                    None
                }
                Err(e) => return crate::shell::page_error(ctx, e),
            },
            None => {
                witness_error = ctx.t("cameras.witness_incomplete").to_string();
                None
            }
        }
    };
    let requests = match footage::list(state, actor, &FootageQuery::default()).await {
        Ok(r) => r,
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let m = &state.config.map;
    render(
        status,
        &CamerasPage {
            cameras_json: crate::shell::script_json(&list),
            cameras: list,
            witness,
            witnesses,
            witness_error,
            requests,
            can_request: actor.can(Permission::FootageRequest),
            can_approve: actor.can(Permission::FootageApprove),
            form,
            errors,
            tile_url: crate::basemap::tile_url(state).await,
            tile_crs: m.tile_crs.clone(),
            ctx,
        },
    )
}

async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Query(w): Query<WitnessForm>,
) -> Response {
    view(
        &state,
        &headers,
        &actor,
        w,
        RequestForm::default(),
        FieldErrors::default(),
    )
    .await
}

async fn request(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    form: Result<axum::extract::Form<RequestForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let f = match crate::shell::form(form) {
        Ok(f) => f,
        Err(e) => return crate::shell::fail(&state, &headers, &actor, e),
    };
    let result = async {
        let number = f.incident.trim();
        let incident = pingan_store::incidents::by_number(&state.db, &actor.scope, number)
            .await?
            .ok_or_else(|| {
                ApiError::problem(Problem::new(
                    "incident",
                    "footage_incident",
                    "no incident with this number in your scope",
                ))
            })?;
        let req = NewFootageRequest {
            camera_code: f.camera_code.clone(),
            incident_id: Some(incident.id),
            case_id: None,
            purpose: f.purpose.clone(),
            from: local_to_rfc(&f.from).unwrap_or_else(|| f.from.clone()),
            to: local_to_rfc(&f.to).unwrap_or_else(|| f.to.clone()),
        };
        footage::request(&state, &actor, req).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to("/cameras#footage").into_response(),
        Err(e) => {
            let lang = crate::shell::lang_of(&headers);
            match FieldErrors::of(&state.i18n, lang, &e, |_| None) {
                Some(errors) => {
                    view(&state, &headers, &actor, WitnessForm::default(), f, errors).await
                }
                None => crate::shell::fail(&state, &headers, &actor, e),
            }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct StepForm {
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    export_ref: Option<String>,
}

async fn step(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path((id, step)): Path<(String, String)>,
    form: Result<axum::extract::Form<StepForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let f = match crate::shell::form(form) {
        Ok(f) => f,
        Err(e) => return crate::shell::fail(&state, &headers, &actor, e),
    };
    let result = match step.as_str() {
        "approve" => {
            footage::decide(
                &state,
                &actor,
                &id,
                FootageStep::Approve,
                FootageDecision { note: f.note },
            )
            .await
        }
        "refuse" => {
            footage::decide(
                &state,
                &actor,
                &id,
                FootageStep::Refuse,
                FootageDecision { note: f.note },
            )
            .await
        }
        "export" => {
            footage::export(
                &state,
                &actor,
                &id,
                FootageExport {
                    export_ref: f.export_ref.unwrap_or_default(),
                },
            )
            .await
        }
        _ => Err(ApiError::NotFound),
    };
    match result {
        Ok(_) => Redirect::to("/cameras#footage").into_response(),
        Err(e) => crate::shell::fail(&state, &headers, &actor, e),
    }
}
