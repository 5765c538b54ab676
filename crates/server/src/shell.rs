//! The shell every page shares: language, the signed-in user, the navigation; plus login, logout,
//! the language switch and the "not built yet" pages (the home page is `home`).

use crate::auth::{self, Actor, LoginError, PageActor, safe_next, url_encode};
use crate::error::ApiError;
use crate::i18n::{I18n, Lang};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use pingan_domain::{Permission, Scope};
use serde::Deserialize;
use std::sync::Arc;

/// The shell's own pages; `app::pages` merges every capability's pages with them.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
        .route("/lang", get(switch_lang))
        .route("/m/{key}", get(capability))
}

pub struct NavItem {
    pub key: &'static str,
    pub label_key: &'static str,
    pub href: &'static str,
    pub built: bool,
    /// Shown when the role holds any of these.
    pub needs: &'static [Permission],
}

pub struct NavGroup {
    pub title_key: &'static str,
    pub items: Vec<&'static NavItem>,
}

macro_rules! nav {
    ($key:literal, $href:literal, $built:expr, [$($p:ident),+]) => {
        NavItem { key: $key, label_key: concat!("nav.", $key), href: $href, built: $built, needs: &[$(Permission::$p),+] }
    };
}

/// Every capability of the platform, grouped as the users' work is. `built: false` pages say so.
#[rustfmt::skip]
static NAV: &[(&str, &[NavItem])] = &[
    ("group.command", &[
        nav!("dispatch", "/incidents/new", true, [IncidentIntake, IncidentReport, IncidentRespond, TeamReport]),
        nav!("board", "/board", true, [IncidentRead]),
        nav!("duty", "/duty", true, [IncidentRespond, TeamReport]),
        nav!("units", "/units", true, [UnitRead]),
    ]),
    ("group.analysis", &[
        nav!("hotspots", "/analysis", true, [AnalysisRead]),
        nav!("brief", "/briefs", true, [AnalysisRead]),
        nav!("cameras", "/cameras", true, [CameraRead]),
    ]),
    ("group.supervision", &[
        nav!("cases", "/cases", true, [CaseRead]),
        nav!("inspection", "/case-alerts", true, [CaseRead]),
        nav!("spot_checks", "/case-samples", true, [CaseSupervise]),
        nav!("reviews", "/case-reviews", true, [CaseRead]),
    ]),
    ("group.grid", &[
        nav!("map", "/map", true, [AreaRead]),
        nav!("areas", "/areas", true, [AreaRead, GridRead]),
        nav!("imports", "/import", true, [GridManage, AreaManage, PlaceManage]),
        nav!("places", "/places", true, [PlaceRead]),
        nav!("visits", "/visits", true, [VisitRecord, GridRead]),
    ]),
    ("group.patrol", &[nav!("patrol", "/patrol", true, [PatrolRead])]),
    ("group.mediation", &[nav!("disputes", "/disputes", true, [DisputeRead])]),
    ("group.community", &[nav!("teams", "/teams", true, [TeamRead])]),
    ("group.governance", &[
        nav!("meetings", "/meetings", true, [TaskRead]),
        nav!("tasks", "/tasks", true, [TaskRead]),
        nav!("risks", "/risks", true, [RiskRead]),
        nav!("public_alerts", "/public-alerts", true, [PublicAlertRead]),
        nav!("sharing", "/sharing", true, [SharingRead, SharingOwn]),
    ]),
    ("group.team", &[
        nav!("training", "/training", true, [TrainingRead]),
        nav!("publicity", "/publicity", true, [PublicityManage, PublicityRecord, KpiRead]),
    ]),
    ("group.stats", &[
        nav!("kpi", "/kpi", true, [KpiRead]),
        nav!("assessment", "/assessment", true, [KpiRead]),
    ]),
    ("group.system", &[
        nav!("users", "/users", true, [UserRead]),
        nav!("orgs", "/orgs", true, [OrgRead]),
        nav!("audit", "/audit", true, [AuditRead]),
    ]),
];

fn item_allowed(item: &NavItem, actor: &Actor) -> bool {
    item.needs.iter().any(|&p| actor.can(p))
}

pub fn find_item(key: &str) -> Option<&'static NavItem> {
    NAV.iter()
        .flat_map(|(_, items)| items.iter())
        .find(|i| i.key == key)
}

/// What every page template receives.
pub struct Ctx {
    pub lang: Lang,
    pub lang_code: &'static str,
    pub page: String,
    pub username: String,
    pub display_name: String,
    pub role_label: String,
    pub switch_href: String,
    pub nav: Vec<NavGroup>,
    /// The request came from htmx (`HX-Request`): answers are fragments, not whole pages.
    pub htmx: bool,
    i18n: Arc<I18n>,
}

impl Ctx {
    pub fn new(
        state: &AppState,
        headers: &HeaderMap,
        actor: &Actor,
        page: &str,
        path: &str,
    ) -> Ctx {
        let lang = lang_of(headers);
        let nav = NAV
            .iter()
            .map(|(title, items)| NavGroup {
                title_key: title,
                items: items.iter().filter(|i| item_allowed(i, actor)).collect(),
            })
            .filter(|g| !g.items.is_empty())
            .collect();
        Ctx {
            lang,
            lang_code: lang.code(),
            page: page.to_string(),
            username: actor.username.clone(),
            display_name: actor.display_name.clone(),
            role_label: lang
                .pick(actor.role.label_zh(), actor.role.label_en())
                .to_string(),
            switch_href: switch_href(lang, path),
            nav,
            htmx: headers.get("hx-request").is_some_and(|v| v == "true"),
            i18n: state.i18n.clone(),
        }
    }

    pub fn t<'a>(&'a self, key: &'a str) -> &'a str {
        self.i18n.t(self.lang, key)
    }

    /// A code in the reader's words: the locale key `<group>.<code>`; a code without a name stays as it is.
    pub fn label(&self, group: &str, code: &str) -> String {
        let key = format!("{group}.{code}");
        match self.t(&key) {
            t if t == key => code.to_string(),
            t => t.to_string(),
        }
    }

    /// A month or quarter for people: "2026年11月" / "2026年第4季度" ("2026-11" / "2026 Q4").
    pub fn period(&self, p: &pingan_domain::period::ReportPeriod) -> String {
        period_label(&self.i18n, self.lang, p)
    }

    /// A span of time for people, the same everywhere: "3天4小时", "4小时20分", "20分" (English "3 d 4 h",
    /// "4 h 20 min", "20 min"); past a deadline it says how long overdue ("超时 2天3小时").
    pub fn span(&self, seconds: i64) -> String {
        let s = seconds.abs();
        let (d, h, m) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60);
        let en = self.lang == Lang::En;
        let text = match (d, h, en) {
            (0, 0, false) => format!("{m}分"),
            (0, 0, true) => format!("{m} min"),
            (0, _, false) => format!("{h}小时{m}分"),
            (0, _, true) => format!("{h} h {m} min"),
            (_, _, false) => format!("{d}天{h}小时"),
            (_, _, true) => format!("{d} d {h} h"),
        };
        if seconds >= 0 {
            text
        } else if en {
            format!("{text} overdue")
        } else {
            format!("超时 {text}")
        }
    }

    /// `e`'s problems in this reader's language, by form field (see `FieldErrors::of`).
    pub fn field_errors(
        &self,
        e: &ApiError,
        rename: impl Fn(&str) -> Option<String>,
    ) -> Option<FieldErrors> {
        FieldErrors::of(&self.i18n, self.lang, e, rename)
    }
}

fn switch_href(lang: Lang, path: &str) -> String {
    format!("/lang?to={}&back={}", lang.other().code(), url_encode(path))
}

/// A month or quarter in `lang` (`Ctx::period` for pages; the report names it without a page).
pub fn period_label(
    i18n: &crate::i18n::I18n,
    lang: Lang,
    p: &pingan_domain::period::ReportPeriod,
) -> String {
    let key = match p.kind {
        pingan_domain::period::PeriodKind::Month => "kpi.month_label",
        pingan_domain::period::PeriodKind::Quarter => "kpi.quarter_label",
    };
    i18n.t(lang, key)
        .replace("{year}", &p.year.to_string())
        .replace("{index}", &p.index.to_string())
}

pub fn lang_of(headers: &HeaderMap) -> Lang {
    headers
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == "lang")
        .and_then(|(_, v)| Lang::parse(v))
        .unwrap_or(Lang::ZhCn)
}

pub fn render<T: Template>(status: StatusCode, t: &T) -> Response {
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template render failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    pub ctx: Ctx,
    pub heading: String,
    pub message: String,
    /// The server's own words on what was wrong (a validation or conflict message).
    pub detail: Option<String>,
    /// The form field it concerns.
    pub field: Option<String>,
}

/// The same message as a fragment, for htmx requests.
#[derive(Template)]
#[template(path = "message_fragment.html")]
pub struct MessageFragment {
    pub ctx: Ctx,
    pub heading: String,
    pub message: String,
    pub detail: Option<String>,
    pub field: Option<String>,
}

/// What a page handler fails with (shared kernel). It is rendered as HTML inside the layout, in the
/// reader's language — never as the API's JSON: not signed in → the login page; 403, 404, 409, 422
/// (with the field), 503 and 500 as a message page with that status.
#[derive(Debug)]
pub enum PageError {
    Unauthenticated,
    Forbidden,
    /// Missing and out of scope look the same.
    NotFound,
    Invalid {
        field: Option<String>,
        message: String,
    },
    Conflict(String),
    Busy,
    Internal,
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::Unauthenticated | ApiError::InvalidCredentials => PageError::Unauthenticated,
            ApiError::Forbidden(_) => PageError::Forbidden,
            ApiError::NotFound => PageError::NotFound,
            ApiError::Validation(message, field) => PageError::Invalid { field, message },
            ApiError::Invalid(ps) => {
                let first = ps.into_iter().next();
                PageError::Invalid {
                    field: first.as_ref().map(|p| p.field.clone()),
                    message: first.map(|p| p.message).unwrap_or_default(),
                }
            }
            ApiError::BadRequest { message, field, .. } => PageError::Invalid { field, message },
            ApiError::PayloadTooLarge(_) | ApiError::UnsupportedMediaType => PageError::Invalid {
                field: None,
                message: e.to_string(),
            },
            ApiError::Conflict(m) | ApiError::Locked(m) => PageError::Conflict(m),
            ApiError::Other {
                status, message, ..
            } => match status {
                StatusCode::SERVICE_UNAVAILABLE | StatusCode::TOO_MANY_REQUESTS => PageError::Busy,
                StatusCode::FORBIDDEN => PageError::Forbidden,
                StatusCode::NOT_FOUND => PageError::NotFound,
                StatusCode::CONFLICT => PageError::Conflict(message),
                s if s.is_client_error() => PageError::Invalid {
                    field: None,
                    message,
                },
                _ => {
                    tracing::error!(%status, message, "page failed");
                    PageError::Internal
                }
            },
            ApiError::Internal(e) => {
                tracing::error!(error = %e, "page failed");
                PageError::Internal
            }
        }
    }
}

impl From<crate::gate::GateFull> for PageError {
    fn from(_: crate::gate::GateFull) -> Self {
        PageError::Busy
    }
}

impl From<pingan_store::StoreError> for PageError {
    fn from(e: pingan_store::StoreError) -> Self {
        ApiError::from(e).into()
    }
}

impl PageError {
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            PageError::Unauthenticated => StatusCode::UNAUTHORIZED,
            PageError::Forbidden => StatusCode::FORBIDDEN,
            PageError::NotFound => StatusCode::NOT_FOUND,
            PageError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            PageError::Conflict(_) => StatusCode::CONFLICT,
            PageError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            PageError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The heading and message keys in the locale files.
    pub(crate) fn keys(&self) -> (&'static str, &'static str) {
        match self {
            PageError::Unauthenticated => ("shell.error_401", "shell.error_401_text"),
            PageError::Forbidden => ("shell.error_403", "shell.forbidden"),
            PageError::NotFound => ("shell.error_404", "shell.not_found"),
            PageError::Invalid { .. } => ("shell.error_422", "shell.error_422_text"),
            PageError::Conflict(_) => ("shell.error_409", "shell.error_409_text"),
            PageError::Busy => ("shell.error_503", "shell.error_503_text"),
            PageError::Internal => ("shell.error_500", "shell.error_500_text"),
        }
    }
}

/// An error as a reader sees it: status, heading and message in their language, the server's own
/// words on what was wrong and the field it concerns. Shared by the staff and the public pages.
pub(crate) struct Described {
    pub status: StatusCode,
    pub heading: String,
    pub message: String,
    pub detail: Option<String>,
    pub field: Option<String>,
}

impl PageError {
    pub(crate) fn describe<'a>(self, t: impl Fn(&'a str) -> &'a str) -> Described {
        let status = self.status();
        let (heading_key, message_key) = self.keys();
        let (detail, field) = match self {
            PageError::Invalid { field, message } => (Some(message), field),
            PageError::Conflict(m) => (Some(m), None),
            _ => (None, None),
        };
        Described {
            status,
            heading: format!("{} {}", status.as_u16(), t(heading_key)),
            message: t(message_key).to_string(),
            detail,
            field,
        }
    }
}

/// A rendered error page, told when to retry if the server was busy.
pub(crate) fn error_response(status: StatusCode, mut response: Response) -> Response {
    if status == StatusCode::SERVICE_UNAVAILABLE || status == StatusCode::TOO_MANY_REQUESTS {
        response.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from_static("1"),
        );
    }
    response
}

/// Renders `e` for the reader of `ctx`'s page.
pub fn page_error(ctx: Ctx, e: impl Into<PageError>) -> Response {
    let e = e.into();
    if matches!(e, PageError::Unauthenticated) {
        return axum::response::Redirect::to("/login").into_response();
    }
    let i18n = ctx.i18n.clone();
    let d = e.describe(|k| i18n.t(ctx.lang, k));
    // htmx swaps a 422 into the form's target: the message alone, not a second layout (htmx does not
    // swap other errors, and shows its own notice).
    let response = if ctx.htmx {
        render(
            d.status,
            &MessageFragment {
                ctx,
                heading: d.heading,
                message: d.message,
                detail: d.detail,
                field: d.field,
            },
        )
    } else {
        render(
            d.status,
            &MessagePage {
                ctx,
                heading: d.heading,
                message: d.message,
                detail: d.detail,
                field: d.field,
            },
        )
    };
    error_response(d.status, response)
}

/// `page_error` for a handler that has no page context of its own (a form post): the error page
/// with the caller's navigation.
pub fn fail(
    state: &AppState,
    headers: &HeaderMap,
    actor: &Actor,
    e: impl Into<PageError>,
) -> Response {
    page_error(Ctx::new(state, headers, actor, "", "/"), e)
}

/// The 404 page: used both for missing and for out-of-scope objects, so they look the same.
pub fn not_found(ctx: Ctx) -> Response {
    page_error(ctx, PageError::NotFound)
}

pub fn forbidden(ctx: Ctx) -> Response {
    page_error(ctx, PageError::Forbidden)
}

/// `?` for page handlers, which answer a `Response` either way: the value of an `Ok`, or return the
/// page an `Err` carries (`ctx_with`'s 403, a `found` 404).
#[macro_export]
macro_rules! page_try {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(page) => return page,
        }
    };
}

/// The page's context once the caller holds `permission`; otherwise the 403 page to return.
pub async fn ctx_with(
    state: &AppState,
    headers: &HeaderMap,
    actor: &Actor,
    page: &str,
    path: &str,
    permission: Permission,
) -> Result<Ctx, Response> {
    let ctx = Ctx::new(state, headers, actor, page, path);
    match actor.require(state, permission).await {
        Ok(()) => Ok(ctx),
        Err(_) => Err(forbidden(ctx)),
    }
}

/// A submitted form's fields, or the 400 for a form that does not parse.
pub fn form<T>(
    form: Result<Form<T>, axum::extract::rejection::FormRejection>,
) -> Result<T, ApiError> {
    form.map(|Form(f)| f)
        .map_err(|_| ApiError::bad_request("invalid_form", "malformed form", None))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    lang_code: &'static str,
    t_title: String,
    t_app: String,
    t_username: String,
    t_password: String,
    t_submit: String,
    t_hint: String,
    t_totp: String,
    t_switch: String,
    switch_href: String,
    next: String,
    error: Option<String>,
}

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
    e: Option<String>,
}

fn login_view(
    state: &AppState,
    lang: Lang,
    next: &str,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let t = |k: &str| state.i18n.t(lang, k).to_string();
    let page = LoginPage {
        lang_code: lang.code(),
        t_title: t("login.title"),
        t_app: t("app.title"),
        t_username: t("login.username"),
        t_password: t("login.password"),
        t_submit: t("login.submit"),
        t_hint: t("login.hint"),
        t_totp: t("login.totp"),
        t_switch: t("shell.switch"),
        switch_href: switch_href(lang, &format!("/login?next={}", url_encode(next))),
        next: next.to_string(),
        error,
    };
    render(status, &page)
}

async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Response {
    let lang = lang_of(&headers);
    let next = safe_next(q.next.as_deref().unwrap_or("/"));
    let error = match q.e.as_deref() {
        Some("locked") => Some(state.i18n.t(lang, "login.locked").to_string()),
        Some(_) => Some(state.i18n.t(lang, "login.failed").to_string()),
        None => None,
    };
    login_view(&state, lang, &next, error, StatusCode::OK)
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    totp: Option<String>,
    next: Option<String>,
}

async fn login_submit(
    State(state): State<AppState>,
    crate::auth::ClientIp(ip): crate::auth::ClientIp,
    headers: HeaderMap,
    form: Result<Form<LoginForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let lang = lang_of(&headers);
    let Ok(Form(form)) = form else {
        return login_view(
            &state,
            lang,
            "/",
            Some(state.i18n.t(lang, "login.failed").into()),
            StatusCode::BAD_REQUEST,
        );
    };
    let next = safe_next(form.next.as_deref().unwrap_or("/"));
    let ua = headers
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let totp = form.totp.as_deref().filter(|c| !c.trim().is_empty());
    match auth::login(&state, &form.username, &form.password, totp, ip, ua).await {
        Ok(ok) => {
            // A held session goes to the account page first.
            let to = if ok.stage == auth::SessionStage::Full {
                next
            } else {
                "/account".to_string()
            };
            (
                StatusCode::SEE_OTHER,
                [
                    (SET_COOKIE, auth::session_cookie(&state, &ok.token)),
                    (LOCATION, to),
                ],
            )
                .into_response()
        }
        Err(e @ (LoginError::TotpRequired | LoginError::TotpInvalid)) => {
            let key = if matches!(e, LoginError::TotpRequired) {
                "login.totp_required"
            } else {
                "login.totp_invalid"
            };
            login_view(
                &state,
                lang,
                &next,
                Some(state.i18n.t(lang, key).into()),
                StatusCode::UNAUTHORIZED,
            )
        }
        Err(LoginError::Locked(_)) => login_view(
            &state,
            lang,
            &next,
            Some(state.i18n.t(lang, "login.locked").into()),
            StatusCode::LOCKED,
        ),
        Err(LoginError::InvalidCredentials) => login_view(
            &state,
            lang,
            &next,
            Some(state.i18n.t(lang, "login.failed").into()),
            StatusCode::UNAUTHORIZED,
        ),
        Err(LoginError::Api(e)) => e.into_response(),
    }
}

async fn logout(State(state): State<AppState>, AnyStagePage(actor): AnyStagePage) -> Response {
    if let Err(e) = auth::logout(&state, &actor).await {
        return e.into_response();
    }
    (
        StatusCode::SEE_OTHER,
        [
            (SET_COOKIE, auth::clear_session_cookie()),
            (LOCATION, "/login".to_string()),
        ],
    )
        .into_response()
}

#[derive(Deserialize)]
struct LangQuery {
    to: String,
    back: Option<String>,
}

async fn switch_lang(Query(q): Query<LangQuery>) -> Response {
    let lang = Lang::parse(&q.to).unwrap_or(Lang::ZhCn);
    let back = q
        .back
        .as_deref()
        .map(|b| {
            if b.starts_with("/login") {
                b.to_string()
            } else {
                safe_next(b)
            }
        })
        .unwrap_or_else(|| "/".into());
    let back = if back.starts_with("//") {
        "/".to_string()
    } else {
        back
    };
    let cookie = format!(
        "lang={}; Path=/; Max-Age=31536000; SameSite=Lax",
        lang.code()
    );
    (
        StatusCode::SEE_OTHER,
        [(SET_COOKIE, cookie), (LOCATION, back)],
    )
        .into_response()
}

/// The areas and organisations a scope grants, by name.
pub(crate) async fn scope_labels(state: &AppState, scope: &Scope, lang: Lang) -> Vec<String> {
    let mut out = Vec::new();
    for g in &scope.grants {
        let code = g
            .path
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or("");
        let name = match g.kind {
            pingan_domain::ScopeKind::Area if !code.is_empty() => {
                pingan_store::areas::get(&state.db, scope, code)
                    .await
                    .ok()
                    .flatten()
                    .map(|a| a.name)
            }
            pingan_domain::ScopeKind::Org if !code.is_empty() => {
                pingan_store::orgs::get_unscoped(&state.db, code)
                    .await
                    .ok()
                    .flatten()
                    .map(|o| o.name)
            }
            pingan_domain::ScopeKind::Area => {
                Some(state.i18n.t(lang, "shell.all_areas").to_string())
            }
            pingan_domain::ScopeKind::Org => Some(state.i18n.t(lang, "shell.all_orgs").to_string()),
        };
        out.push(match name {
            Some(n) => format!("{n} ({})", if code.is_empty() { "/" } else { code }),
            None => g.path.clone(),
        });
    }
    out
}

#[derive(Template)]
#[template(path = "not_built.html")]
struct NotBuiltPage {
    ctx: Ctx,
    label_key: &'static str,
}

async fn capability(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(key): Path<String>,
) -> Response {
    let path = format!("/m/{key}");
    let Some(item) = find_item(&key) else {
        return not_found(Ctx::new(&state, &headers, &actor, "", &path));
    };
    let ctx = Ctx::new(&state, &headers, &actor, item.key, &path);
    if !item_allowed(item, &actor) {
        return forbidden(ctx);
    }
    if item.built {
        return Redirect::to(item.href).into_response();
    }
    render(
        StatusCode::OK,
        &NotBuiltPage {
            ctx,
            label_key: item.label_key,
        },
    )
}

/// A page caller whose session may be held (see [`SessionStage`]); unauthenticated visitors log in.
pub struct AnyStagePage(pub Actor);

impl axum::extract::FromRequestParts<AppState> for AnyStagePage {
    type Rejection = Response;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match auth::authenticate(parts, state).await {
            Ok(a) => Ok(AnyStagePage(a)),
            Err(ApiError::Unauthenticated) => {
                Err(Redirect::to("/login?next=/account").into_response())
            }
            Err(e) => Err(e.into_response()),
        }
    }
}

/// A page's forms after a post came back with problems: which form, what was typed and the
/// problems by field — the helpers templates call to refill a form and put each problem beside its
/// field (only for the form that came back).
#[derive(Debug, Default)]
pub struct Forms {
    pub typed: Typed,
    pub errors: FieldErrors,
}

impl Forms {
    /// The typed value of `key` when `form` came back, else `default`.
    pub fn v(&self, form: &str, key: &str, default: &str) -> String {
        if self.typed.form == form {
            self.typed.get(key)
        } else {
            default.to_string()
        }
    }

    /// Whether box `id` of `key` was ticked when `form` came back.
    pub fn ticked(&self, form: &str, key: &str, id: &str) -> bool {
        self.typed.form == form && self.typed.all(key).iter().any(|v| v == id)
    }

    /// The problem beside `field` of `form`, when that form came back.
    pub fn e(&self, form: &str, field: &str) -> String {
        if self.typed.form == form {
            self.errors.get(field)
        } else {
            String::new()
        }
    }

    /// The problems of `form` not shown beside one of `shown`.
    pub fn elsewhere(&self, form: &str, shown: &[&str]) -> Vec<String> {
        if self.typed.form == form {
            self.errors.elsewhere(shown)
        } else {
            Vec::new()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }
}

/// A submitted form as typed: which form, its single values and its ticked boxes (kept when the
/// form comes back with problems).
#[derive(Debug, Default, Clone)]
pub struct Typed {
    pub form: String,
    values: Vec<(String, String)>,
}

impl Typed {
    pub fn parse(form: &str, body: &[u8]) -> Typed {
        Typed {
            form: form.into(),
            values: form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.trim().to_string()))
                .collect(),
        }
    }

    pub fn get(&self, key: &str) -> String {
        self.values
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    pub fn all(&self, key: &str) -> Vec<String> {
        self.values
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    }

    pub fn optional(&self, key: &str) -> Option<String> {
        Some(self.get(key)).filter(|v| !v.is_empty())
    }
}

/// A form's problems in the reader's language, by form field, for each to be shown beside its field
/// (all at once; the form keeps what was typed). Problem codes become sentences from the locale's
/// `problem.*` keys with their parameters filled in; a code without words keeps its English message.
#[derive(Debug, Default, Clone)]
pub struct FieldErrors {
    by_field: Vec<(String, String)>,
}

impl FieldErrors {
    /// The problems of `e`, named by form field through `rename` (API path → form field name; the
    /// path itself when it answers `None`). `None` when `e` is not about fields.
    pub fn of(
        i18n: &crate::i18n::I18n,
        lang: Lang,
        e: &ApiError,
        rename: impl Fn(&str) -> Option<String>,
    ) -> Option<FieldErrors> {
        let problems = e.problems();
        if problems.is_empty() {
            return None;
        }
        let by_field = problems
            .iter()
            .map(|p| {
                let field = rename(&p.field).unwrap_or_else(|| p.field.clone());
                (field, problem_text(i18n, lang, p))
            })
            .collect();
        Some(FieldErrors { by_field })
    }

    /// The message(s) for one form field, empty when it has none.
    pub fn get(&self, field: &str) -> String {
        self.by_field
            .iter()
            .filter(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
            .collect::<Vec<_>>()
            .join("；")
    }

    pub fn has(&self, field: &str) -> bool {
        self.by_field.iter().any(|(f, _)| f == field)
    }

    pub fn len(&self) -> usize {
        self.by_field.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_field.is_empty()
    }

    /// Problems whose field the form does not show (listed at the top instead).
    pub fn elsewhere(&self, shown: &[&str]) -> Vec<String> {
        self.by_field
            .iter()
            .filter(|(f, _)| !shown.contains(&f.as_str()))
            .map(|(_, m)| m.clone())
            .collect()
    }
}

/// One problem in the reader's words: `problem.<code>` with `{param}`s filled, else the message.
pub fn problem_text(i18n: &crate::i18n::I18n, lang: Lang, p: &crate::error::Problem) -> String {
    let key = format!("problem.{}", p.code);
    let t = i18n.t(lang, &key);
    if t == key {
        return p.message.clone();
    }
    p.params.iter().fold(t.to_string(), |acc, (k, v)| {
        acc.replace(&format!("{{{k}}}"), v)
    })
}

pub fn field_message(e: &ApiError) -> Option<String> {
    match e {
        ApiError::Validation(m, Some(f)) => Some(format!("{f}: {m}")),
        ApiError::Invalid(ps) => Some(
            ps.iter()
                .map(|p| format!("{}: {}", p.field, p.message))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        ApiError::Validation(m, None) | ApiError::Conflict(m) | ApiError::Forbidden(m) => {
            Some(m.clone())
        }
        ApiError::BadRequest { message, .. } => Some(message.clone()),
        _ => None,
    }
}

/// JSON to put inside a `<script type="application/json">`: `<`, `>` and `&` escaped, so a name
/// holding `</script>` cannot end the element.
pub fn script_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v)
        .unwrap_or_else(|_| "null".into())
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}
