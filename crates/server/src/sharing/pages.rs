//! 警网融合 pages: `/sharing` (partners with their delivery status; the agreements, with approval and
//! revocation; drafting one), `/sharing/partners/{id}` (a partner's endpoint, lag, failures, dead
//! letters with their last error, replay, new keys, what it sent in) and `/sharing/mine` (a partner's
//! own view: what it receives under which agreement, and why anything it sent was refused).

use super::delivery::Transport;
use super::{
    NewSharingAgreement, RevokeSharingAgreement, SharingAgreement, SharingEndpointRequest,
    SharingKeys, SharingPartner, SharingReplay,
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
use axum::routing::{get, post};
use pingan_domain::Permission;
use pingan_domain::sharing::EventType;
use std::collections::BTreeMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sharing", get(list).post(draft))
        .route("/sharing/mine", get(mine))
        .route("/sharing/agreements/{id}/approve", post(approve))
        .route("/sharing/agreements/{id}/revoke", post(revoke))
        .route("/sharing/partners/{id}", get(partner).post(set_endpoint))
        .route("/sharing/partners/{id}/replay", post(replay))
        .route("/sharing/partners/{id}/keys", post(keys))
}

/// Labels shared by the three pages.
trait Labels {
    fn ctx(&self) -> &Ctx;
    /// Where an accepted inbound event's record is, and what it became.
    fn became(&self, object_type: Option<&str>) -> (&'static str, String) {
        let (path, key) = match object_type {
            Some("dispute") => ("disputes", "sharing.became_dispute"),
            Some("risk") => ("risks", "sharing.became_risk"),
            _ => ("incidents", "sharing.became_incident"),
        };
        (path, self.ctx().t(key).to_string())
    }
    fn event(&self, code: &str) -> String {
        self.ctx().label("sharing_event", &code.replace('.', "_"))
    }
    fn field(&self, name: &str) -> String {
        self.ctx().label("sharing_field", name)
    }
    fn fields(&self, a: &SharingAgreement) -> Vec<(String, String)> {
        a.fields
            .iter()
            .map(|(t, names)| {
                (
                    self.event(t),
                    names
                        .iter()
                        .map(|n| self.field(n))
                        .collect::<Vec<_>>()
                        .join(if self.ctx().lang_code == "en" {
                            ", "
                        } else {
                            "、"
                        }),
                )
            })
            .collect()
    }
    fn status(&self, code: &str) -> String {
        self.ctx().label("sharing_status", code)
    }
    fn at(&self, us: &i64) -> String {
        if *us <= 0 {
            return "—".into();
        }
        pingan_domain::time::local_datetime(pingan_domain::time::from_micros(*us))[..16].to_string()
    }
    fn at_opt(&self, us: &Option<i64>) -> String {
        us.map_or_else(|| "—".into(), |u| self.at(&u))
    }
    fn transport(&self, t: &Transport) -> String {
        self.ctx().label("sharing_transport", t.code())
    }
    fn signing(&self, code: &str) -> &'static str {
        match code {
            "hmac-sha256" => "HMAC-SHA256",
            _ => "HMAC-SM3",
        }
    }
}

#[derive(Template)]
#[template(path = "sharing/list.html")]
struct ListPage {
    ctx: Ctx,
    partners: Vec<SharingPartner>,
    agreements: Vec<SharingAgreement>,
    can_manage: bool,
    can_approve: bool,
    /// (id, name) of every partner organisation, and the areas (path, name) for a draft.
    partner_choices: Vec<(String, String)>,
    areas: Vec<(String, String)>,
    today: String,
    forms: Forms,
}

impl Labels for ListPage {
    fn ctx(&self) -> &Ctx {
        &self.ctx
    }
}

/// A field offered on the draft form: its name, label, and whether it is personal.
type FieldChoice = (String, String, bool);

impl ListPage {
    /// Every event type with its fields: (type code, type label, fields).
    fn schema(&self) -> Vec<(String, String, Vec<FieldChoice>)> {
        EventType::ALL
            .iter()
            .map(|t| {
                (
                    t.code().to_string(),
                    self.event(t.code()),
                    t.fields()
                        .iter()
                        .map(|f| (f.name.to_string(), self.field(f.name), f.personal))
                        .collect(),
                )
            })
            .collect()
    }
    fn checked(&self, t: &str, f: &str) -> bool {
        self.forms
            .typed
            .all(&format!("f.{t}"))
            .iter()
            .any(|x| x == f)
    }
}

async fn list_view(state: &AppState, headers: &HeaderMap, actor: &Actor, forms: Forms) -> Response {
    if !actor.can(Permission::SharingRead) && actor.can(Permission::SharingOwn) {
        return Redirect::to("/sharing/mine").into_response();
    }
    let ctx = crate::page_try!(
        crate::shell::ctx_with(
            state,
            headers,
            actor,
            "sharing",
            "/sharing",
            Permission::SharingRead
        )
        .await
    );
    let can_manage = actor.can(Permission::SharingManage);
    let loaded = async {
        let partners = super::partners(state, actor).await?;
        let agreements = super::list(state, actor).await?;
        let partner_choices = pingan_store::sharing::partner_orgs(&state.db).await?;
        let areas = if can_manage {
            pingan_store::areas::list(&state.db, &actor.scope, None, None)
                .await?
                .into_iter()
                .filter(|a| a.level != "village")
                .map(|a| (a.path, a.name))
                .collect()
        } else {
            Vec::new()
        };
        Ok::<_, ApiError>((partners, agreements, partner_choices, areas))
    };
    let (partners, agreements, partner_choices, areas) = match loaded.await {
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
            partners,
            agreements,
            can_manage,
            can_approve: actor.can(Permission::SharingApprove),
            partner_choices,
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

/// API problem paths → the form's field names (`fields.incident.received` → `fields`).
fn form_field(path: &str) -> Option<String> {
    let head = path.split(['[', '.']).next().unwrap_or(path);
    Some(head.to_string())
}

async fn draft(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    body: Bytes,
) -> Response {
    let typed = Typed::parse("agreement", &body);
    let mut fields = BTreeMap::new();
    for t in EventType::ALL {
        let names = typed.all(&format!("f.{}", t.code()));
        if !names.is_empty() {
            fields.insert(t.code().to_string(), names);
        }
    }
    let req = NewSharingAgreement {
        partner_org_id: typed.get("partner_org_id"),
        fields,
        area_paths: typed.all("area_paths"),
        purpose: typed.get("purpose"),
        legal_basis: typed.optional("legal_basis"),
        valid_from: typed.get("valid_from"),
        valid_to: typed.get("valid_to"),
    };
    match super::draft(&state, &actor, req).await {
        Ok(_) => Redirect::to("/sharing#agreements").into_response(),
        Err(e) => {
            let lang = crate::shell::lang_of(&headers);
            match FieldErrors::of(&state.i18n, lang, &e, form_field) {
                Some(errors) => list_view(&state, &headers, &actor, Forms { typed, errors }).await,
                None => crate::shell::fail(&state, &headers, &actor, e),
            }
        }
    }
}

async fn approve(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
) -> Response {
    match super::approve(&state, &actor, &id).await {
        Ok(_) => Redirect::to("/sharing#agreements").into_response(),
        Err(e) => crate::shell::fail(&state, &headers, &actor, e),
    }
}

async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let typed = Typed::parse(&format!("revoke-{id}"), &body);
    let req = RevokeSharingAgreement {
        reason: typed.get("reason"),
    };
    match super::revoke(&state, &actor, &id, req).await {
        Ok(_) => Redirect::to("/sharing#agreements").into_response(),
        Err(e) => {
            let lang = crate::shell::lang_of(&headers);
            match FieldErrors::of(&state.i18n, lang, &e, |p| Some(p.to_string())) {
                Some(errors) => list_view(&state, &headers, &actor, Forms { typed, errors }).await,
                None => crate::shell::fail(&state, &headers, &actor, e),
            }
        }
    }
}

#[derive(Template)]
#[template(path = "sharing/partner.html")]
struct PartnerPage {
    ctx: Ctx,
    p: SharingPartner,
    /// A partner's own page (no settings, no replay).
    own: bool,
    can_manage: bool,
    /// Keys made by this request, shown once.
    keys: Option<SharingKeys>,
    forms: Forms,
}

impl Labels for PartnerPage {
    fn ctx(&self) -> &Ctx {
        &self.ctx
    }
}

impl PartnerPage {
    fn v(&self, field: &str, fallback: String) -> String {
        if self.forms.is_empty() {
            fallback
        } else {
            self.forms.typed.get(field)
        }
    }
    fn url(&self) -> String {
        self.v(
            "url",
            self.p
                .endpoint
                .as_ref()
                .map(|e| e.url.clone())
                .unwrap_or_default(),
        )
    }
    fn transport_is(&self, code: &str) -> bool {
        let current = self
            .p
            .endpoint
            .as_ref()
            .map_or("webhook", |e| e.transport.code());
        self.v("transport", current.into()) == code
    }
    fn signing_is(&self, code: &str) -> bool {
        let current = self
            .p
            .endpoint
            .as_ref()
            .map_or("hmac-sm3".to_string(), |e| e.signing.clone());
        self.v("signing", current) == code
    }
    fn enabled(&self) -> bool {
        if self.forms.is_empty() {
            self.p.endpoint.as_ref().is_none_or(|e| e.enabled)
        } else {
            self.forms.typed.get("enabled") == "on"
        }
    }
    fn batch(&self) -> String {
        self.v(
            "batch_size",
            self.p
                .endpoint
                .as_ref()
                .map_or(100, |e| e.batch_size)
                .to_string(),
        )
    }
    fn attempts(&self) -> String {
        self.v(
            "max_attempts",
            self.p
                .endpoint
                .as_ref()
                .map_or(10, |e| e.max_attempts)
                .to_string(),
        )
    }
}

async fn partner_view(
    state: &AppState,
    headers: &HeaderMap,
    actor: &Actor,
    id: Option<&str>,
    keys: Option<SharingKeys>,
    forms: Forms,
) -> Response {
    let (need, page_href) = match id {
        Some(_) => (Permission::SharingRead, "/sharing"),
        None => (Permission::SharingOwn, "/sharing"),
    };
    let ctx = crate::page_try!(
        crate::shell::ctx_with(state, headers, actor, "sharing", page_href, need).await
    );
    let loaded = match id {
        Some(id) => super::partner(state, actor, id).await,
        None => super::mine(state, actor).await,
    };
    let p = match loaded {
        Ok(p) => p,
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let status = if forms.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(
        status,
        &PartnerPage {
            ctx,
            p,
            own: id.is_none(),
            can_manage: id.is_some() && actor.can(Permission::SharingManage),
            keys,
            forms,
        },
    )
}

async fn partner(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
) -> Response {
    partner_view(&state, &headers, &actor, Some(&id), None, Forms::default()).await
}

async fn mine(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
) -> Response {
    partner_view(&state, &headers, &actor, None, None, Forms::default()).await
}

async fn set_endpoint(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let typed = Typed::parse("endpoint", &body);
    let number = |k: &str| typed.get(k).parse::<i64>().ok().or(Some(-1));
    let req = SharingEndpointRequest {
        transport: Transport::parse(&typed.get("transport")).unwrap_or(Transport::Webhook),
        url: typed.optional("url"),
        signing: typed.optional("signing"),
        batch_size: number("batch_size"),
        max_attempts: number("max_attempts"),
        enabled: Some(typed.get("enabled") == "on"),
    };
    match super::set_endpoint(&state, &actor, &id, req).await {
        Ok(ep) => match ep.keys {
            Some(k) => {
                partner_view(
                    &state,
                    &headers,
                    &actor,
                    Some(&id),
                    Some(k),
                    Forms::default(),
                )
                .await
            }
            None => Redirect::to(&format!("/sharing/partners/{id}")).into_response(),
        },
        Err(e) => {
            let lang = crate::shell::lang_of(&headers);
            match FieldErrors::of(&state.i18n, lang, &e, |p| Some(p.to_string())) {
                Some(errors) => {
                    partner_view(
                        &state,
                        &headers,
                        &actor,
                        Some(&id),
                        None,
                        Forms { typed, errors },
                    )
                    .await
                }
                None => crate::shell::fail(&state, &headers, &actor, e),
            }
        }
    }
}

async fn replay(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let typed = Typed::parse("replay", &body);
    // A local date-time from the picker (`2026-12-01T08:00`) is China time.
    let since = typed.optional("since").map(|s| {
        if s.len() == 16 {
            format!("{s}:00+08:00")
        } else {
            s
        }
    });
    let req = SharingReplay {
        after_position: typed.get("after_position").parse().ok(),
        since: if typed.optional("after_position").is_some() {
            None
        } else {
            since
        },
    };
    match super::replay(&state, &actor, &id, req).await {
        Ok(_) => Redirect::to(&format!("/sharing/partners/{id}")).into_response(),
        Err(e) => {
            let lang = crate::shell::lang_of(&headers);
            match FieldErrors::of(&state.i18n, lang, &e, |p| Some(p.to_string())) {
                Some(errors) => {
                    partner_view(
                        &state,
                        &headers,
                        &actor,
                        Some(&id),
                        None,
                        Forms { typed, errors },
                    )
                    .await
                }
                None => crate::shell::fail(&state, &headers, &actor, e),
            }
        }
    }
}

async fn keys(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
) -> Response {
    match super::rotate_keys(&state, &actor, &id).await {
        Ok(k) => {
            partner_view(
                &state,
                &headers,
                &actor,
                Some(&id),
                Some(k),
                Forms::default(),
            )
            .await
        }
        Err(e) => crate::shell::fail(&state, &headers, &actor, e),
    }
}
