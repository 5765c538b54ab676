//! The authorization matrix: every API route × every role × an object in the caller's scope and one
//! outside it, with the expected decision taken from one table (`ROUTES` + `Role::permissions`).
//!
//! Each role gets two accounts: *wide* (the whole system in scope) and *narrow* (scoped to a village
//! that holds nothing), authenticated by API tokens. For every route the test expects:
//! - a role without the route's permission: 403 (a write whose body fails to parse may answer 400/422
//!   first — request bodies are checked before the handler runs — but never 2xx);
//! - a role with it, wide: neither 401, 403 nor 404 (the object exists and is in scope);
//! - a role with it, narrow: 404 for an object route, with nothing of the object in the body; for a
//!   collection, none of the fixture objects' ids in the body;
//! - never a 5xx.
//!
//! The table must name exactly the routes the OpenAPI document lists, so a new route cannot be added
//! without deciding who may call it.

use super::*;
use helpers::*;
use pingan_domain::{Permission as P, Role, ScopeGrant, ScopeKind};
use pingan_store::{sessions, users};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Copy, Debug)]
enum Need {
    /// No authentication (public intake, health, login).
    Public,
    /// A machine caller proving itself with a signature (the camera webhook): 401 without one.
    Signed,
    /// Any authenticated caller (own session, own notifications, reference vocabularies).
    Authenticated,
    /// A signed-in session, whatever the role: an API token is refused (403), as the matrix's are.
    Session,
    Perm(P),
    /// Any one of these.
    AnyOf(&'static [P]),
    /// All of these.
    All(&'static [P]),
}

impl Need {
    fn allows(self, role: Role) -> bool {
        match self {
            Need::Public | Need::Signed | Need::Authenticated => true,
            Need::Session => false,
            Need::Perm(p) => role.can(p),
            Need::AnyOf(ps) => ps.iter().any(|&p| role.can(p)),
            Need::All(ps) => ps.iter().all(|&p| role.can(p)),
        }
    }
}

/// The object a route's path names (its scope decides).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Obj {
    None,
    Area,
    Grid,
    Org,
    User,
    Incident,
    Dispute,
    DisputeParty,
    Case,
    CaseParty,
    CaseAlert,
    CaseSample,
    Place,
    Unit,
    Brief,
    Campaign,
    CampaignGrid,
}

struct Route {
    method: &'static str,
    path: &'static str,
    need: Need,
    obj: Obj,
}

const fn r(method: &'static str, path: &'static str, need: Need, obj: Obj) -> Route {
    Route {
        method,
        path,
        need,
        obj,
    }
}

use Need::*;
use Obj::None as Coll;

const ROUTES: &[Route] = &[
    // Session and public endpoints.
    r("post", "/api/v1/session", Public, Coll),
    r("delete", "/api/v1/session", Authenticated, Coll),
    r("get", "/api/v1/me", Authenticated, Coll),
    r("get", "/api/v1/tokens", Authenticated, Coll),
    r("post", "/api/v1/tokens", Session, Coll),
    r("delete", "/api/v1/tokens/{id}", Authenticated, Coll),
    r("put", "/api/v1/session/password", Authenticated, Coll),
    r("post", "/api/v1/session/totp", Authenticated, Coll),
    r("put", "/api/v1/session/totp", Authenticated, Coll),
    r("get", "/healthz", Public, Coll),
    r("get", "/readyz", Public, Coll),
    r("get", "/metrics", Public, Coll),
    r("get", "/api/v1/public/areas", Public, Coll),
    r("post", "/api/v1/public/reports", Public, Coll),
    r("get", "/api/v1/public/reports/{code}", Public, Coll),
    r("post", "/api/v1/hooks/camera", Signed, Coll),
    // Areas, grids, organisations, accounts.
    r("get", "/api/v1/areas", Perm(P::AreaRead), Coll),
    r("post", "/api/v1/areas", Perm(P::AreaManage), Coll),
    r("get", "/api/v1/areas/{code}", Perm(P::AreaRead), Obj::Area),
    r("get", "/api/v1/grids", Perm(P::AreaRead), Coll),
    r("get", "/api/v1/grids/{code}", Perm(P::AreaRead), Obj::Grid),
    r(
        "get",
        "/api/v1/grids/{code}/card",
        Perm(P::AreaRead),
        Obj::Grid,
    ),
    r(
        "put",
        "/api/v1/grids/{code}/workers",
        Perm(P::GridManage),
        Obj::Grid,
    ),
    r("get", "/api/v1/geo/areas", Perm(P::AreaRead), Coll),
    r("get", "/api/v1/geo/grids", Perm(P::AreaRead), Coll),
    r("get", "/api/v1/orgs", Perm(P::OrgRead), Coll),
    r("post", "/api/v1/orgs", Perm(P::OrgManage), Coll),
    r("get", "/api/v1/orgs/{id}", Perm(P::OrgRead), Obj::Org),
    r("get", "/api/v1/users", Perm(P::UserRead), Coll),
    r("post", "/api/v1/users", Perm(P::UserManage), Coll),
    r("get", "/api/v1/users/{id}", Perm(P::UserRead), Obj::User),
    r(
        "patch",
        "/api/v1/users/{id}",
        Perm(P::UserManage),
        Obj::User,
    ),
    r(
        "post",
        "/api/v1/users/{id}/password",
        Perm(P::UserManage),
        Obj::User,
    ),
    r(
        "delete",
        "/api/v1/users/{id}/totp",
        Perm(P::UserManage),
        Obj::User,
    ),
    r(
        "post",
        "/api/v1/users/{id}/unlock",
        Perm(P::UserManage),
        Obj::User,
    ),
    r("get", "/api/v1/audit", Perm(P::AuditRead), Coll),
    r("get", "/api/v1/audit/verify", Perm(P::AuditVerify), Coll),
    // 指挥调度.
    r("get", "/api/v1/incidents", Perm(P::IncidentRead), Coll),
    r(
        "post",
        "/api/v1/incidents",
        AnyOf(&[P::IncidentIntake, P::IncidentReport]),
        Coll,
    ),
    r(
        "get",
        "/api/v1/incidents/{id}",
        Perm(P::IncidentRead),
        Obj::Incident,
    ),
    r(
        "post",
        "/api/v1/incidents/{id}/actions",
        AnyOf(&[P::IncidentDispatch, P::IncidentRespond]),
        Obj::Incident,
    ),
    r(
        "get",
        "/api/v1/incidents/{id}/recommendations",
        Perm(P::IncidentDispatch),
        Obj::Incident,
    ),
    r("get", "/api/v1/incident-types", Authenticated, Coll),
    r(
        "put",
        "/api/v1/incident-types/{code}",
        Perm(P::SystemConfigure),
        Coll,
    ),
    r(
        "get",
        "/api/v1/board",
        Perm(P::IncidentRead), // units appear on it only with UnitRead
        Coll,
    ),
    r("get", "/api/v1/board/stream", Perm(P::IncidentRead), Coll),
    r("get", "/api/v1/units", Perm(P::UnitRead), Coll),
    r("post", "/api/v1/units", Perm(P::UnitManage), Coll),
    r(
        "put",
        "/api/v1/units/{id}/status",
        AnyOf(&[P::IncidentRespond, P::UnitManage]),
        Obj::Unit,
    ),
    r("post", "/api/v1/units/positions", Perm(P::UnitManage), Coll),
    r("get", "/api/v1/cameras", Perm(P::CameraRead), Coll),
    r("post", "/api/v1/cameras", Perm(P::UnitManage), Coll),
    // 信息研判.
    r(
        "get",
        "/api/v1/analysis/hotspots",
        Perm(P::AnalysisRead),
        Coll,
    ),
    r(
        "get",
        "/api/v1/analysis/repeat-locations",
        Perm(P::AnalysisRead),
        Coll,
    ),
    r(
        "get",
        "/api/v1/analysis/near-repeat",
        Perm(P::AnalysisRead),
        Coll,
    ),
    r(
        "get",
        "/api/v1/analysis/trends",
        Perm(P::AnalysisRead),
        Coll,
    ),
    r("get", "/api/v1/briefs", Perm(P::AnalysisRead), Coll),
    r("post", "/api/v1/briefs", Perm(P::AnalysisRead), Coll),
    r(
        "get",
        "/api/v1/briefs/{id}",
        Perm(P::AnalysisRead),
        Obj::Brief,
    ),
    // 网格化: places.
    r("get", "/api/v1/places", Perm(P::PlaceRead), Coll),
    r("post", "/api/v1/places", Perm(P::PlaceManage), Coll),
    r("get", "/api/v1/places/{id}", Perm(P::PlaceRead), Obj::Place),
    r(
        "get",
        "/api/v1/places/{id}/inspections",
        Perm(P::PlaceRead),
        Obj::Place,
    ),
    r(
        "post",
        "/api/v1/places/{id}/inspections",
        Perm(P::PlaceManage),
        Obj::Place,
    ),
    // 矛盾纠纷化解.
    r("get", "/api/v1/disputes", Perm(P::DisputeRead), Coll),
    r("post", "/api/v1/disputes", Perm(P::DisputeManage), Coll),
    r(
        "post",
        "/api/v1/disputes/grade-suggestion",
        Perm(P::DisputeRead),
        Coll,
    ),
    r(
        "get",
        "/api/v1/disputes/{id}",
        Perm(P::DisputeRead),
        Obj::Dispute,
    ),
    r(
        "post",
        "/api/v1/disputes/{id}/parties/{party_id}/reveal",
        All(&[P::DisputeRead, P::PersonalDataReveal]),
        Obj::DisputeParty,
    ),
    r(
        "post",
        "/api/v1/disputes/{id}/orgs",
        Perm(P::DisputeManage),
        Obj::Dispute,
    ),
    r(
        "post",
        "/api/v1/disputes/{id}/sessions",
        Perm(P::DisputeManage),
        Obj::Dispute,
    ),
    r(
        "post",
        "/api/v1/disputes/{id}/agreement",
        Perm(P::DisputeManage),
        Obj::Dispute,
    ),
    r(
        "post",
        "/api/v1/disputes/{id}/actions",
        Perm(P::DisputeManage),
        Obj::Dispute,
    ),
    r(
        "post",
        "/api/v1/disputes/{id}/extensions",
        Perm(P::DisputeManage),
        Obj::Dispute,
    ),
    r(
        "post",
        "/api/v1/disputes/{id}/extensions/{extension_id}",
        Perm(P::DisputeSupervise),
        Obj::Dispute,
    ),
    r(
        "post",
        "/api/v1/disputes/{id}/followups/{followup_id}",
        Perm(P::DisputeManage),
        Obj::Dispute,
    ),
    r("get", "/api/v1/disputes-kpi", Perm(P::DisputeRead), Coll),
    r("get", "/api/v1/dispute-types", Authenticated, Coll),
    r(
        "put",
        "/api/v1/dispute-types/{code}",
        Perm(P::SystemConfigure),
        Coll,
    ),
    r("get", "/api/v1/notifications", Authenticated, Coll),
    r(
        "post",
        "/api/v1/notifications/{id}/read",
        Authenticated,
        Coll,
    ),
    r(
        "get",
        "/api/v1/screening-campaigns",
        Perm(P::DisputeRead),
        Coll,
    ),
    r(
        "post",
        "/api/v1/screening-campaigns",
        Perm(P::DisputeSupervise),
        Coll,
    ),
    r(
        "get",
        "/api/v1/screening-campaigns/{id}",
        Perm(P::DisputeRead),
        Obj::Campaign,
    ),
    r(
        "post",
        "/api/v1/screening-campaigns/{id}/grids/{grid_code}",
        Perm(P::DisputeManage),
        Obj::CampaignGrid,
    ),
    // 执法监督.
    r("get", "/api/v1/cases", Perm(P::CaseRead), Coll),
    r("post", "/api/v1/cases", Perm(P::CaseManage), Coll),
    r("get", "/api/v1/cases/{id}", Perm(P::CaseRead), Obj::Case),
    r(
        "post",
        "/api/v1/cases/{id}/steps",
        Perm(P::CaseManage),
        Obj::Case,
    ),
    r(
        "post",
        "/api/v1/cases/{id}/parties",
        Perm(P::CaseManage),
        Obj::Case,
    ),
    r(
        "post",
        "/api/v1/cases/{id}/parties/{party_id}/reveal",
        All(&[P::CaseRead, P::PersonalDataReveal]),
        Obj::CaseParty,
    ),
    r(
        "post",
        "/api/v1/cases/{id}/documents",
        Perm(P::CaseManage),
        Obj::Case,
    ),
    r(
        "get",
        "/api/v1/cases/{id}/reviews",
        Perm(P::CaseRead),
        Obj::Case,
    ),
    r(
        "post",
        "/api/v1/cases/{id}/reviews",
        Perm(P::CaseSupervise),
        Obj::Case,
    ),
    r("get", "/api/v1/case-steps", Perm(P::CaseRead), Coll),
    r("get", "/api/v1/case-rules", Perm(P::CaseRead), Coll),
    r("get", "/api/v1/case-alerts", Perm(P::CaseRead), Coll),
    r(
        "get",
        "/api/v1/case-alerts/{id}",
        Perm(P::CaseRead),
        Obj::CaseAlert,
    ),
    r(
        "post",
        "/api/v1/case-alerts/{id}/actions",
        Perm(P::CaseRead),
        Obj::CaseAlert,
    ),
    r(
        "get",
        "/api/v1/case-inspection/replay",
        Perm(P::CaseSupervise),
        Coll,
    ),
    r("post", "/api/v1/case-samples", Perm(P::CaseSupervise), Coll),
    r(
        "get",
        "/api/v1/case-samples/{id}",
        Perm(P::CaseRead),
        Obj::CaseSample,
    ),
    r(
        "post",
        "/api/v1/case-samples/{id}/findings",
        Perm(P::CaseSupervise),
        Obj::CaseSample,
    ),
    r("get", "/api/v1/case-rubrics", Perm(P::CaseRead), Coll),
    r("post", "/api/v1/case-rubrics", Perm(P::CaseSupervise), Coll),
    r("get", "/api/v1/case-stats", Perm(P::CaseRead), Coll),
    r("get", "/api/v1/case-stats/export", Perm(P::CaseRead), Coll),
];

/// Ids of one object of each kind, straight from the database (all in the wide accounts' scope,
/// none in the narrow ones').
async fn fixtures(app: &TestApp) -> BTreeMap<Obj, (String, String)> {
    async fn one(app: &TestApp, sql: &str) -> Option<(String, String)> {
        let rows: Vec<(String, String)> = app.db.fetch_all(sql, vec![]).await.unwrap();
        rows.into_iter().next()
    }
    let queries: &[(Obj, &str)] = &[
        (
            Obj::Area,
            "SELECT code, '' FROM areas WHERE level = 'village' ORDER BY code LIMIT 1",
        ),
        (
            Obj::Grid,
            "SELECT code, '' FROM grids ORDER BY code LIMIT 1",
        ),
        (
            Obj::Org,
            "SELECT id, '' FROM orgs ORDER BY path DESC LIMIT 1",
        ),
        (
            Obj::User,
            "SELECT id, '' FROM users WHERE username = 'officer'",
        ),
        (
            Obj::Incident,
            "SELECT id, '' FROM incidents ORDER BY id LIMIT 1",
        ),
        (
            Obj::Dispute,
            "SELECT id, '' FROM disputes ORDER BY id LIMIT 1",
        ),
        (
            Obj::DisputeParty,
            "SELECT dispute_id, id FROM dispute_parties ORDER BY id LIMIT 1",
        ),
        (Obj::Case, "SELECT id, '' FROM cases ORDER BY id LIMIT 1"),
        (
            Obj::CaseParty,
            "SELECT case_id, id FROM case_parties ORDER BY id LIMIT 1",
        ),
        (
            Obj::CaseAlert,
            "SELECT id, '' FROM case_alerts ORDER BY id LIMIT 1",
        ),
        (
            Obj::CaseSample,
            "SELECT id, '' FROM case_samples ORDER BY id LIMIT 1",
        ),
        (Obj::Place, "SELECT id, '' FROM places ORDER BY id LIMIT 1"),
        (Obj::Unit, "SELECT id, '' FROM units ORDER BY id LIMIT 1"),
        (Obj::Brief, "SELECT id, '' FROM briefs ORDER BY id LIMIT 1"),
        (
            Obj::Campaign,
            "SELECT id, '' FROM screening_campaigns ORDER BY id LIMIT 1",
        ),
        (
            Obj::CampaignGrid,
            "SELECT campaign_id, grid_code FROM campaign_grids ORDER BY campaign_id LIMIT 1",
        ),
    ];
    let mut out = BTreeMap::new();
    for (obj, sql) in queries {
        let f = one(app, sql)
            .await
            .unwrap_or_else(|| panic!("the matrix needs a {obj:?} in the test database ({sql})"));
        out.insert(*obj, f);
    }
    out
}

/// An account with a bearer token; `wide` sees the whole system, narrow only an empty village.
async fn account(app: &TestApp, role: Role, wide: bool, org_id: &str) -> String {
    let name = format!(
        "m-{}-{}",
        role.code().replace('_', "-"),
        if wide { "wide" } else { "narrow" }
    );
    let grants = if wide {
        vec![
            ScopeGrant {
                kind: ScopeKind::Area,
                path: "/".into(),
            },
            ScopeGrant {
                kind: ScopeKind::Org,
                path: "/".into(),
            },
        ]
    } else {
        vec![ScopeGrant {
            kind: ScopeKind::Area,
            path: "/330681/330681109/330681109999/".into(),
        }]
    };
    let mut tx = app.db.begin().await.unwrap();
    let id = users::insert(
        &mut tx,
        &users::NewUser {
            username: name.clone(),
            display_name: name.clone(),
            role,
            org_id: Some(org_id.to_string()),
            mobile: None,
            password_hash: "unused: the matrix authenticates by token".into(),
            grants,
        },
    )
    .await
    .unwrap();
    let token = format!("pat_matrix_{name}");
    sessions::create_token(&mut tx, &id, "matrix", &token, None)
        .await
        .unwrap();
    tx.commit_audited(vec![]).await.unwrap();
    token
}

/// Lists that are whole-system by design, whatever the caller's data scope: the audit log is the
/// auditor's, and an auditor must see every record to audit anything.
const SYSTEM_WIDE: &[&str] = &["/api/v1/audit"];

/// Required query parameters, so the decision (not the parameter check) is what answers.
const QUERIES: &[(&str, &str)] = &[
    ("/api/v1/disputes-kpi", "?from=2026-01-01&to=2026-12-31"),
    (
        "/api/v1/case-inspection/replay",
        "?as_of=2026-11-01T00:00:00%2B08:00",
    ),
];

fn leaks(body: &str, (first, second): &(String, String)) -> bool {
    body.contains(first.as_str()) || (!second.is_empty() && body.contains(second.as_str()))
}

fn url_of(route: &Route, f: &BTreeMap<Obj, (String, String)>) -> String {
    let (first, second) = f
        .get(&route.obj)
        .cloned()
        .unwrap_or_else(|| ("none".into(), "none".into()));
    let mut p = route.path.to_string();
    for (placeholder, value) in [
        ("{id}", first.as_str()),
        (
            "{code}",
            if route.obj == Coll {
                "none"
            } else {
                first.as_str()
            },
        ),
        ("{party_id}", second.as_str()),
        ("{grid_code}", second.as_str()),
        ("{extension_id}", "none"),
        ("{followup_id}", "none"),
    ] {
        p = p.replace(placeholder, value);
    }
    if let Some((_, q)) = QUERIES.iter().find(|(path, _)| *path == route.path) {
        p.push_str(q);
    }
    p
}

async fn call(app: &TestApp, route: &Route, url: &str, token: Option<&str>) -> (u16, String) {
    let c = client();
    let method = reqwest::Method::from_bytes(route.method.to_uppercase().as_bytes()).unwrap();
    let mut req = c.request(method, format!("{}{url}", app.url));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if route.method != "get" {
        req = req.json(&serde_json::json!({}));
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    // The live board streams forever: the status is the decision.
    if route.path.ends_with("/stream") {
        return (status, String::new());
    }
    (status, resp.text().await.unwrap_or_default())
}

/// The documented routes: the table must match them exactly.
async fn documented(app: &TestApp) -> BTreeSet<(String, String)> {
    let (_, doc) = app.get_json(&client(), "/api/openapi.json").await;
    let mut out = BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().expect("paths") {
        for method in ops.as_object().unwrap().keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                out.insert((method.clone(), path.clone()));
            }
        }
    }
    out
}

both!(authorization_matrix, |app: TestApp| async move {
    pingan_server::demo_mediation::ensure(&app.db, &app.state.config)
        .await
        .unwrap();
    pingan_server::demo_cases::ensure(&app.db, &app.state.config)
        .await
        .unwrap();
    let table: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|r| (r.method.to_string(), r.path.to_string()))
        .collect();
    assert_eq!(table.len(), ROUTES.len(), "a route is listed twice");
    let docs = documented(&app).await;
    let missing: Vec<_> = docs.difference(&table).collect();
    let stale: Vec<_> = table.difference(&docs).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "routes not in the matrix: {missing:?}; in the matrix but not served: {stale:?}"
    );

    let (org_id,): (String,) = app
        .db
        .fetch_one("SELECT id FROM orgs ORDER BY path LIMIT 1", vec![])
        .await
        .unwrap();
    make_fixtures(&app, &org_id).await;
    let f = fixtures(&app).await;
    let mut failures = Vec::new();
    let mut checked = 0;
    for route in ROUTES {
        let url = url_of(route, &f);
        if matches!(route.need, Signed) {
            let (s, _) = call(&app, route, &url, None).await;
            checked += 1;
            if s != 401 {
                failures.push(format!(
                    "{} {url} unsigned: {s}, expected 401",
                    route.method
                ));
            }
            continue;
        }
        if matches!(route.need, Public) {
            let (s, _) = call(&app, route, &url, None).await;
            checked += 1;
            if s == 401 || s == 403 || s >= 500 {
                failures.push(format!(
                    "{} {url} unauthenticated: {s}, expected a public answer",
                    route.method
                ));
            }
            continue;
        }
        // Without credentials, every other route is 401.
        let (s, _) = call(&app, route, &url, None).await;
        if s != 401 {
            failures.push(format!(
                "{} {url} unauthenticated: {s}, expected 401",
                route.method
            ));
        }
        for role in Role::ALL {
            for wide in [true, false] {
                let token = account_token(&app, role, wide, &org_id).await;
                let (s, body) = call(&app, route, &url, Some(&token)).await;
                checked += 1;
                if route.method == "delete" && route.path == "/api/v1/session" {
                    // Logging out with a token revokes it: prove it, then give the account its token back.
                    let me = r("get", "/api/v1/me", Authenticated, Coll);
                    let (after, _) = call(&app, &me, "/api/v1/me", Some(&token)).await;
                    if after != 401 {
                        failures.push(format!(
                            "token of {} still works after logout: {after}",
                            role.code()
                        ));
                    }
                    app.db
                        .execute(
                            "UPDATE api_tokens SET revoked_at = NULL WHERE name = 'matrix'",
                            vec![],
                        )
                        .await
                        .unwrap();
                }
                let who = format!(
                    "{} {url} as {}/{}",
                    route.method,
                    role.code(),
                    if wide { "wide" } else { "narrow" }
                );
                if s >= 500 {
                    failures.push(format!("{who}: {s} {body}"));
                    continue;
                }
                let write = route.method != "get";
                if !route.need.allows(role) {
                    // Out of scope as well: 404 refuses just as well, as long as nothing leaks.
                    let hidden =
                        !wide && route.obj != Coll && s == 404 && !leaks(&body, &f[&route.obj]);
                    let ok = s == 403 || hidden || (write && (s == 400 || s == 422 || s == 415));
                    if !ok {
                        failures.push(format!(
                            "{who}: {s}, expected 403 (role lacks {:?})",
                            route.need
                        ));
                    }
                    continue;
                }
                if matches!(route.need, Authenticated) {
                    if s == 401 || s == 403 {
                        failures.push(format!("{who}: {s}, expected an authenticated answer"));
                    }
                    continue;
                }
                if wide {
                    // Sub-objects the matrix names by a made-up id (extensions, follow-ups) are 404.
                    let fake_sub = route.path.contains("{extension_id}")
                        || route.path.contains("{followup_id}");
                    if s == 401 || s == 403 || (s == 404 && !fake_sub) {
                        failures.push(format!(
                            "{who}: {s}, expected the route to be open to this role ({body})"
                        ));
                    }
                } else if route.obj != Coll {
                    let (first, second) = &f[&route.obj];
                    let leaked = leaks(&body, &(first.clone(), second.clone()));
                    let refused_early = write && (s == 400 || s == 422 || s == 415);
                    if !(s == 404 || refused_early) || leaked {
                        failures.push(format!(
                            "{who}: {s}, expected 404 and nothing of the object ({body})"
                        ));
                    }
                } else if !write && !SYSTEM_WIDE.contains(&route.path) {
                    let leaked: Vec<&str> = f
                        .values()
                        .map(|(a, _)| a.as_str())
                        .filter(|id| id.len() > 12 && body.contains(id))
                        .collect();
                    if !leaked.is_empty() {
                        failures.push(format!("{who}: {s}, lists out-of-scope objects {leaked:?}"));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} decisions wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        checked > ROUTES.len() * 20,
        "only {checked} decisions checked"
    );
});

/// One token per role and width, created on first use.
async fn account_token(app: &TestApp, role: Role, wide: bool, org_id: &str) -> String {
    let name = format!(
        "m-{}-{}",
        role.code().replace('_', "-"),
        if wide { "wide" } else { "narrow" }
    );
    let token = format!("pat_matrix_{name}");
    if users::by_username(&app.db, &name).await.unwrap().is_none() {
        return account(app, role, wide, org_id).await;
    }
    token
}

/// Objects the demo does not hold yet, made through the API by wide accounts of the roles that make them.
async fn make_fixtures(app: &TestApp, org_id: &str) {
    let (case_id,): (String,) = app
        .db
        .fetch_one("SELECT id FROM cases ORDER BY id LIMIT 1", vec![])
        .await
        .unwrap();
    let today = jiff::Zoned::now().date();
    let (lng, lat) = inside_point(app, &app.client_as("gridworker").await, "330681109004001").await;
    let made: [(Role, String, serde_json::Value); 5] = [
        (
            Role::GridWorker,
            "/api/v1/places".into(),
            serde_json::json!({"name": "矩阵小超市", "kind": "shop", "address": "陈家社区 3 号", "lng": lng, "lat": lat}),
        ),
        (
            Role::Officer,
            format!("/api/v1/cases/{case_id}/parties"),
            serde_json::json!({"role": "victim", "name": "王五"}),
        ),
        (
            Role::LegalSupervisor,
            "/api/v1/case-samples".into(),
            serde_json::json!({"per_stratum": 5, "status": "all"}),
        ),
        (
            Role::Leader,
            "/api/v1/briefs".into(),
            serde_json::json!({"subject_kind": "district", "subject_id": "330681", "period_kind": "daily", "date": today.yesterday().unwrap().to_string()}),
        ),
        (
            Role::Coordinator,
            "/api/v1/screening-campaigns".into(),
            serde_json::json!({"name": "矩阵排查", "area_path": "/330681/330681109/", "starts_on": today.to_string(), "ends_on": today.to_string()}),
        ),
    ];
    for (role, path, body) in made {
        // Only a case's handling officers add its people: the demo officer handles the demo cases.
        let token = if role == Role::Officer {
            demo_officer_token(app).await
        } else {
            account_token(app, role, true, org_id).await
        };
        let r = client()
            .post(format!("{}{path}", app.url))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        assert!(
            status.is_success(),
            "making a fixture: POST {path} as {role}: {status} {}",
            r.text().await.unwrap()
        );
    }
}

async fn demo_officer_token(app: &TestApp) -> String {
    let id = users::by_username(&app.db, "officer")
        .await
        .unwrap()
        .unwrap()
        .id;
    let mut tx = app.db.begin().await.unwrap();
    sessions::create_token(&mut tx, &id, "matrix", "pat_matrix_demo_officer", None)
        .await
        .unwrap();
    tx.commit_audited(vec![]).await.unwrap();
    "pat_matrix_demo_officer".into()
}
