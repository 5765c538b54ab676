//! 法治宣传 pages: `/publicity` (the campaigns over your scope; starting one) and `/publicity/{id}`
//! (events per setting against target, grids reached, the before/after comparison with how it was
//! made, the events, and — on a phone — recording one just held).

use super::{
    DetailQuery, NewPublicityCampaign, NewPublicityEvent, PublicityCampaign, PublicityDetail,
    Target,
};
use crate::auth::{Actor, PageActor};
use crate::error::ApiError;
use crate::shell::{Ctx, FieldErrors, Forms, Typed, render};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use pingan_domain::Permission;
use pingan_domain::publicity::{BeforeAfter, Setting};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/publicity", get(list).post(create))
        .route("/publicity/{id}", get(detail).post(record))
}

fn plain_field(path: &str) -> Option<String> {
    Some(path.split('[').next().unwrap_or(path).to_string())
}

#[derive(Template)]
#[template(path = "publicity/list.html")]
struct ListPage {
    ctx: Ctx,
    campaigns: Vec<PublicityCampaign>,
    can_manage: bool,
    areas: Vec<(String, String)>,
    today: String,
    forms: Forms,
}

impl ListPage {
    fn settings(&self) -> Vec<(&'static str, String)> {
        Setting::ALL
            .iter()
            .map(|s| (s.code(), self.ctx.label("publicity_setting", s.code())))
            .collect()
    }
}

async fn list_view(state: &AppState, headers: &HeaderMap, actor: &Actor, forms: Forms) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(
            state,
            headers,
            actor,
            "publicity",
            "/publicity",
            Permission::AreaRead
        )
        .await
    );
    let can_manage = actor.can(Permission::PublicityManage);
    let loaded = async {
        let campaigns = super::list(state, actor).await?;
        let areas = if can_manage {
            pingan_store::areas::list(&state.db, &actor.scope, None, None)
                .await?
                .into_iter()
                .filter(|a| actor.scope.covers_area_path(&a.path))
                .map(|a| (a.path, a.name))
                .collect()
        } else {
            Vec::new()
        };
        Ok::<_, ApiError>((campaigns, areas))
    };
    let (campaigns, areas) = match loaded.await {
        Ok(v) => v,
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let status = if forms.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(
        status,
        &ListPage {
            ctx,
            campaigns,
            can_manage,
            areas,
            today: state.today().to_string(),
            forms,
        },
    )
}

async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
) -> Response {
    list_view(&state, &headers, &actor, Forms::default()).await
}

async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    body: Bytes,
) -> Response {
    let typed = Typed::parse("campaign", &body);
    let targets = Setting::ALL
        .iter()
        .filter_map(|s| {
            let n: i64 = typed.get(&format!("target_{}", s.code())).parse().ok()?;
            (n > 0).then_some(Target {
                setting: *s,
                events: n,
            })
        })
        .collect();
    let req = NewPublicityCampaign {
        name: typed.get("name"),
        theme: typed.optional("theme"),
        area_path: typed.get("area_path"),
        starts_on: typed.get("starts_on"),
        ends_on: typed.get("ends_on"),
        targets,
    };
    match super::create(&state, &actor, req).await {
        Ok(c) => Redirect::to(&format!("/publicity/{}", c.id)).into_response(),
        Err(e) => {
            let lang = crate::shell::lang_of(&headers);
            match FieldErrors::of(&state.i18n, lang, &e, plain_field) {
                Some(errors) => list_view(&state, &headers, &actor, Forms { typed, errors }).await,
                None => crate::shell::fail(&state, &headers, &actor, e),
            }
        }
    }
}

#[derive(Template)]
#[template(path = "publicity/campaign.html")]
struct CampaignPage {
    ctx: Ctx,
    d: PublicityDetail,
    can_record: bool,
    grids: Vec<(String, String)>,
    forms: Forms,
}

impl CampaignPage {
    fn setting(&self, s: &Setting) -> String {
        self.ctx.label("publicity_setting", s.code())
    }
    fn settings(&self) -> Vec<(&'static str, String)> {
        Setting::ALL
            .iter()
            .map(|s| (s.code(), self.ctx.label("publicity_setting", s.code())))
            .collect()
    }
    fn at(&self, us: &i64) -> String {
        pingan_domain::time::local_datetime(pingan_domain::time::from_micros(*us))[..16].to_string()
    }
    /// "before → after (±n%)".
    fn ba(&self, v: &BeforeAfter) -> String {
        match v.change_percent() {
            Some(p) => format!("{} → {} ({p:+}%)", v.before, v.after),
            None => format!("{} → {}", v.before, v.after),
        }
    }
}

async fn campaign_view(
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
            "publicity",
            "/publicity",
            Permission::AreaRead
        )
        .await
    );
    let can_record = actor.can(Permission::PublicityRecord);
    let loaded = async {
        let d = super::detail(state, actor, id, &DetailQuery { window_days: None }).await?;
        let grids = if can_record {
            pingan_store::grids::list(&state.db, &actor.scope, None)
                .await?
                .into_iter()
                .filter(|g| g.area_path.starts_with(&d.campaign.area_path))
                .map(|g| (g.code, g.name))
                .collect()
        } else {
            Vec::new()
        };
        Ok::<_, ApiError>((d, grids))
    };
    match loaded.await {
        Ok((d, grids)) => render(
            if forms.is_empty() {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            },
            &CampaignPage {
                ctx,
                d,
                can_record,
                grids,
                forms,
            },
        ),
        Err(e) => crate::shell::page_error(ctx, e),
    }
}

async fn detail(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
) -> Response {
    campaign_view(&state, &headers, &actor, &id, Forms::default()).await
}

async fn record(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let typed = Typed::parse("event", &body);
    let req = NewPublicityEvent {
        setting: typed.get("setting").parse().unwrap_or(Setting::Community),
        held_at: None,
        place: typed.get("place"),
        grid_code: typed.get("grid_code"),
        attendance: typed.get("attendance").parse().unwrap_or(-1),
        materials: typed.optional("materials"),
        note: typed.optional("note"),
    };
    match super::record_event(&state, &actor, &id, req).await {
        Ok(_) => Redirect::to(&format!("/publicity/{id}#events")).into_response(),
        Err(e) => {
            let lang = crate::shell::lang_of(&headers);
            match FieldErrors::of(&state.i18n, lang, &e, plain_field) {
                Some(errors) => {
                    campaign_view(&state, &headers, &actor, &id, Forms { typed, errors }).await
                }
                None => crate::shell::fail(&state, &headers, &actor, e),
            }
        }
    }
}
