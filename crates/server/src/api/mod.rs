//! The JSON API under `/api/v1`, one module per resource. Routes are registered through utoipa-axum so
//! the OpenAPI 3.1 document at `/api/openapi.json` is generated from the handlers themselves.

pub mod analysis;
pub mod areas;
pub mod audit;
pub mod cases;
pub mod disputes;
pub mod geo;
pub mod incidents;
pub mod orgs;
pub mod places;
pub mod public;
pub mod screening;
pub mod session;
pub mod system;
pub mod units;
pub mod users;

use crate::state::AppState;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Pingan API",
        description = "平安建设基层社会治理平台 — grassroots public-safety platform. Errors are `{\"error\": {\"code\", \"message\", \"field\"?}}`. Objects outside the caller's data scope answer 404.",
        version = env!("CARGO_PKG_VERSION"),
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    modifiers(&Security),
    security(("session" = []), ("bearer" = [])),
    tags(
        (name = "session", description = "登录与会话 Login and sessions"),
        (name = "areas", description = "区域与网格 Areas and grids"),
        (name = "dispatch", description = "指挥调度 Incidents, units, live board"),
        (name = "mediation", description = "矛盾纠纷化解 Dispute mediation"),
        (name = "cases", description = "执法监督 Cases, procedural steps, 网上巡查 alerts"),
        (name = "analysis", description = "信息研判 Hotspots, repeat locations, near repeats, trends and briefs"),
        (name = "public", description = "群众报警与设备接入 Public reports and camera alerts (no login)"),
        (name = "orgs", description = "组织机构 Organisations"),
        (name = "users", description = "用户与授权 Users and scopes"),
        (name = "audit", description = "审计 Audit log"),
        (name = "system", description = "健康与指标 Health and metrics"),
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::auth::SESSION_COOKIE,
            ))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(session::router())
        .merge(areas::router())
        .merge(geo::router())
        .merge(places::router())
        .merge(incidents::router())
        .merge(units::router())
        .merge(disputes::router())
        .merge(screening::router())
        .merge(analysis::router())
        .merge(cases::router())
        .merge(public::router())
        .merge(orgs::router())
        .merge(users::router())
        .merge(audit::router())
        .merge(system::router())
}

/// Query-string pagination shared by list endpoints.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct Page {
    /// At most this many items (1–1000, default 100).
    pub limit: Option<i64>,
}
