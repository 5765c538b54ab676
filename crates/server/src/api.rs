//! The JSON API under `/api/v1`, assembled from each capability's `api` module (and the kernel's
//! `system`). Routes are registered through utoipa-axum so
//! the OpenAPI 3.1 document at `/api/openapi.json` is generated from the handlers themselves.

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
    // The `data` of a partner's inbound events: the request body is a CloudEvent, so these are
    // named from its description rather than reached through it.
    components(schemas(
        crate::sharing::inbound::InboundIncident,
        crate::sharing::inbound::InboundDispute,
        crate::sharing::inbound::InboundRisk
    )),
    modifiers(&Security),
    security(("session" = []), ("bearer" = [])),
    tags(
        (name = "session", description = "登录与会话 Login and sessions"),
        (name = "areas", description = "区域与网格 Areas and grids"),
        (name = "dispatch", description = "指挥调度 Incidents, units, live board"),
        (name = "mediation", description = "矛盾纠纷化解 Dispute mediation"),
        (name = "cases", description = "执法监督 Cases, procedural steps, 网上巡查 alerts"),
        (name = "patrol", description = "分片布警 Patrol zones and plans from hotspots"),
        (name = "teams", description = "群防群治 Teams, members, duties, tasks and the points ledger"),
        (name = "meetings", description = "联席会议 Joint meetings, minutes, decisions"),
        (name = "tasks", description = "交办督办 Supervised tasks, progress, cards and extensions"),
        (name = "visits", description = "入户走访 Household and place visits, issues raised, coverage"),
        (name = "publicity", description = "法治宣传 Legal-publicity campaigns, events, coverage"),
        (name = "training", description = "队伍建设 Training: courses, drills, skill tests and competitions with attendance, hours and scores; certificates with expiry reminders; mentoring pairs (传帮带) with goals and check-ins; each person's record"),
        (name = "assessment", description = "考核 Assessment scorecards: versioned weighted indicators per unit type, computed from the platform's records and manual items confirmed by a second person; rankings, drill-down, settling a period"),
        (name = "kpi", description = "统计分析 KPI dashboards per level and period; every count linked to the records it counts"),
        (name = "sharing", description = "警网融合 Data sharing with partner systems: agreements (fields, areas, purpose, legal basis, validity) approved by the security administrator, signed webhook or JetStream delivery with its status, dead letters and replay, and signed inbound events"),
        (name = "public_alerts", description = "预警信息发布 Public safety alerts as OASIS CAP 1.2: compose, approve, publish, update, cancel, import"),
        (name = "risks", description = "风险联排 The risk register, rectification orders, re-inspection and screening campaigns"),
        (name = "cameras", description = "雪亮工程 Camera sectors, status, witnesses and footage requests"),
        (name = "analysis", description = "信息研判 Hotspots, repeat locations, near repeats, trends and briefs"),
        (name = "public", description = "群众报警与设备接入 Public reports and camera alerts (no login)"),
        (name = "notifications", description = "消息 Your notifications"),
        (name = "maps", description = "地图 Map search, labels and the base map"),
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

type ModuleRouter = fn() -> OpenApiRouter<AppState>;

/// Every resource module's routes, in the order they are merged.
const MODULES: &[(&str, ModuleRouter)] = &[
    ("session", crate::accounts::api::session::router),
    ("areas", crate::grid::api::areas::router),
    ("geo", crate::grid::api::geo::router),
    ("places", crate::grid::api::places::router),
    ("incidents", crate::dispatch::api::incidents::router),
    ("units", crate::dispatch::api::units::router),
    ("disputes", crate::mediation::api::disputes::router),
    ("screening", crate::mediation::api::screening::router),
    ("analysis", crate::analysis::api::router),
    ("cases", crate::cases::api::router),
    ("patrol", crate::patrol::api::router),
    ("cameras", crate::cameras::api::router),
    ("teams", crate::teams::api::router),
    ("meetings", crate::meetings::api::router),
    ("tasks", crate::tasks::api::router),
    ("risks", crate::risks::api::router),
    ("visits", crate::visits::api::router),
    ("publicity", crate::publicity::api::router),
    ("public_alerts", crate::public_alerts::api::router),
    ("sharing", crate::sharing::api::router),
    ("kpi", crate::kpi::api::router),
    ("assessment", crate::assessment::api::router),
    ("training", crate::training::api::router),
    ("public", crate::public::api::router),
    ("orgs", crate::accounts::api::orgs::router),
    ("users", crate::accounts::api::users::router),
    ("audit", crate::accounts::api::audit::router),
    ("notifications", crate::notifications::router),
    ("maps", crate::gazetteer::router),
    ("basemap", crate::basemap::router),
    ("system", crate::system::router),
];

pub fn router() -> OpenApiRouter<AppState> {
    let mut router = MODULES.iter().fold(
        OpenApiRouter::with_openapi(ApiDoc::openapi()),
        |r, (_, m)| r.merge(m()),
    );
    shared_responses(router.get_openapi_mut());
    router
}

/// The answers every handler can give because of the shared extractors and layers, added to each
/// operation that can meet them (an operation's own entry for a status wins):
///
/// - a JSON request body (`ApiJson`): 400 bad JSON / wrong type / unknown or missing field, 413, 415;
/// - query or path parameters (`ApiQuery`, `ApiPath`): 400 `invalid_query` / `invalid_path`;
/// - the login requirement (`Actor`, every operation without `security(())`): 401;
/// - unsafe methods: 403 from the cross-site check (a cookie with another site's `Origin`);
/// - everything under `/api/v1`: 503 `busy` with `Retry-After` when the database writer is saturated
///   (reads write too: session touches and audited refusals).
///
/// Webhook bodies read raw for their signature (`RAW_BODY`) get no 415 and document their own 400/413.
pub fn shared_responses(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::{Operation, ParameterIn};
    use utoipa::openapi::security::SecurityRequirement;
    use utoipa::openapi::{RefOr, Response};

    const RAW_BODY: &[&str] = &["camera_alert"];
    let components = doc.components.get_or_insert_with(Default::default);
    let error = |description: &str| -> Response {
        utoipa::openapi::ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                utoipa::openapi::ContentBuilder::new()
                    .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                        "ErrorBody",
                    ))))
                    .build(),
            )
            .build()
    };
    let shared: [(&str, Response); 6] = [
        (
            "BadRequest",
            error(
                "Malformed request: bad JSON, a wrong type, an unknown or missing field, a bad query or path parameter, or text holding NUL (`field` names it)",
            ),
        ),
        (
            "Unauthenticated",
            error("Not authenticated: no valid session cookie or bearer token"),
        ),
        (
            "CrossSite",
            error(
                "Refused: your role may not do this, or a cross-site request carried the session cookie",
            ),
        ),
        ("PayloadTooLarge", error("The request body is too large")),
        (
            "UnsupportedMediaType",
            error("The request body is not `application/json`"),
        ),
        ("Busy", {
            let mut r = error("The server is busy; retry after `Retry-After` seconds");
            r.headers.insert(
                "Retry-After".into(),
                RefOr::T(
                    utoipa::openapi::HeaderBuilder::new()
                        .schema(Some(
                            utoipa::openapi::ObjectBuilder::new()
                                .schema_type(utoipa::openapi::schema::Type::Integer),
                        ))
                        .description(Some("Seconds to wait"))
                        .build(),
                ),
            );
            r
        }),
    ];
    for (name, response) in shared {
        components
            .responses
            .insert(name.to_string(), RefOr::T(response));
    }
    let no_login = SecurityRequirement::default();
    for (path, item) in doc.paths.paths.iter_mut() {
        let api = path.starts_with("/api/v1/");
        let ops: [(&mut Option<Operation>, bool); 5] = [
            (&mut item.get, false),
            (&mut item.post, true),
            (&mut item.put, true),
            (&mut item.delete, true),
            (&mut item.patch, true),
        ];
        for (op, unsafe_method) in ops {
            let Some(op) = op.as_mut() else { continue };
            let id = op.operation_id.clone().unwrap_or_default();
            let params = op.parameters.as_deref().unwrap_or(&[]);
            let has_params = params.iter().any(|p| match p {
                RefOr::T(p) => matches!(p.parameter_in, ParameterIn::Query | ParameterIn::Path),
                RefOr::Ref(_) => true,
            });
            let json_body = op.request_body.is_some() && !RAW_BODY.contains(&id.as_str());
            let login = match &op.security {
                None => true,
                Some(reqs) => !reqs.is_empty() && !reqs.contains(&no_login),
            };
            let mut add = |status: &str, name: &str| {
                op.responses
                    .responses
                    .entry(status.to_string())
                    .or_insert_with(|| RefOr::Ref(utoipa::openapi::Ref::from_response_name(name)));
            };
            if api && (json_body || has_params) {
                add("400", "BadRequest");
            }
            if api && login {
                add("401", "Unauthenticated");
            }
            if api && unsafe_method {
                add("403", "CrossSite");
            }
            if api && json_body {
                add("413", "PayloadTooLarge");
                add("415", "UnsupportedMediaType");
            }
            if api {
                add("503", "Busy");
            }
        }
    }
}

/// Query-string pagination shared by list endpoints.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct Page {
    /// At most this many items (1–1000, default 100).
    pub limit: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// utoipa names a schema after its type, so two modules' `Alert`s (or `Party`s, `Term`s …) once
    /// became one component, the last one merged, and every answer of the other failed its schema.
    /// A name two modules both define must mean the same schema.
    #[test]
    fn one_schema_per_component_name() {
        let mut seen: std::collections::BTreeMap<String, (&str, String)> = Default::default();
        let mut clashes = vec![];
        for (module, router) in MODULES {
            let doc = router().into_openapi();
            for (name, schema) in doc.components.map(|c| c.schemas).unwrap_or_default() {
                let json = serde_json::to_string(&schema).unwrap();
                match seen.get(&name) {
                    Some((other, s)) if *s != json => {
                        clashes.push(format!("{name}: {other} and {module}"))
                    }
                    Some(_) => {}
                    None => {
                        seen.insert(name, (module, json));
                    }
                }
            }
        }
        assert!(clashes.is_empty(), "one name, two schemas: {clashes:?}");
    }

    /// A query struct derived as `IntoParams` without `parameter_in = Query` is documented as path
    /// parameters the path does not have, which OpenAPI validators refuse: every path parameter is
    /// in its path.
    #[test]
    fn path_parameters_are_in_their_paths() {
        let doc = serde_json::to_value(router().into_openapi()).unwrap();
        let mut wrong = vec![];
        for (path, ops) in doc["paths"].as_object().unwrap() {
            for (method, op) in ops.as_object().unwrap() {
                for p in op["parameters"].as_array().into_iter().flatten() {
                    let name = p["name"].as_str().unwrap_or_default();
                    if p["in"] == "path" && !path.contains(&format!("{{{name}}}")) {
                        wrong.push(format!("{method} {path}: {name}"));
                    }
                }
            }
        }
        assert!(
            wrong.is_empty(),
            "path parameters not in their paths: {wrong:?}"
        );
    }

    /// Operation ids are the handlers' names: two modules' `request_extension`s made one id twice,
    /// which OpenAPI forbids and client generators trip on.
    #[test]
    fn operation_ids_are_unique() {
        let doc = serde_json::to_value(router().into_openapi()).unwrap();
        let mut seen = std::collections::BTreeMap::new();
        let mut twice = vec![];
        for (path, ops) in doc["paths"].as_object().unwrap() {
            for (method, op) in ops.as_object().unwrap() {
                if let Some(id) = op["operationId"].as_str()
                    && let Some(first) = seen.insert(id.to_string(), format!("{method} {path}"))
                {
                    twice.push(format!("{id}: {first} and {method} {path}"));
                }
            }
        }
        assert!(twice.is_empty(), "operation ids used twice: {twice:?}");
    }

    #[test]
    fn shared_responses_are_added_once_and_never_replace_an_operations_own() {
        let doc = router().into_openapi();
        let op = |path: &str| {
            doc.paths.paths[path]
                .post
                .clone()
                .unwrap_or_else(|| panic!("{path}"))
        };
        let areas = op("/api/v1/areas");
        for status in ["400", "401", "403", "413", "415", "503"] {
            assert!(areas.responses.responses.contains_key(status), "{status}");
        }
        // The handler's own 400 text stays.
        let json = serde_json::to_value(&areas.responses.responses["400"]).unwrap();
        assert!(json.get("$ref").is_none(), "{json}");
        // No login: no 401. A raw signed body: no 415.
        let camera = op("/api/v1/hooks/camera");
        assert!(!camera.responses.responses.contains_key("415"));
        let report = op("/api/v1/public/reports");
        assert!(!report.responses.responses.contains_key("401"));
        assert!(report.responses.responses.contains_key("415"));
    }
}
