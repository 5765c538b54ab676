//! The OpenAPI document is a contract: every answer an operation gives is one it documents, and a JSON
//! body matches the schema documented for its status. These keep what the schemathesis run
//! (tests/schemathesis/run) found: statuses the shared extractors give but no operation listed (400,
//! 401, 413, 415), role refusals (403) missing on reads, schemas of one name overwriting each other.
use super::*;
use helpers::*;
use serde_json::{Value, json};

/// Every operation under `/api/v1`: (method, path template, operation).
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = vec![];
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/api/v1/") {
            continue;
        }
        for (method, op) in item.as_object().unwrap() {
            out.push((method.clone(), path.clone(), op.clone()));
        }
    }
    out
}

/// `/api/v1/cases/{id}/parties/{party_id}/reveal` → `/api/v1/cases/x0/parties/x0/reveal`.
fn concrete(path: &str, with: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(i) = rest.find('{') {
        let j = rest[i..].find('}').unwrap() + i;
        out.push_str(&rest[..i]);
        out.push_str(with);
        rest = &rest[j + 1..];
    }
    out.push_str(rest);
    out
}

fn needs_login(op: &Value) -> bool {
    match op["security"].as_array() {
        None => true,
        Some(reqs) => !reqs
            .iter()
            .any(|r| r.as_object().is_some_and(|o| o.is_empty())),
    }
}

fn query_params(op: &Value) -> Vec<String> {
    op["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["in"] == "query")
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect()
}

async fn send(
    c: &reqwest::Client,
    method: &str,
    url: &str,
    build: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
) -> (u16, String, Value) {
    let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
    let r = build(c.request(m, url)).send().await.unwrap();
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (status, ct, r.json().await.unwrap_or(Value::Null))
}

// What the extractors answer before a handler runs — no login, a body that is not JSON, an unknown
// field, a bad query string, NUL in a query or path parameter, a path parameter that is not UTF-8 —
// is a JSON error every operation documents.
both!(
    extractor_answers_are_documented,
    |app: TestApp| async move {
        let doc = openapi(&app).await;
        let c = app.client_as("chief").await;
        let anon = client();
        let before = app.audit_head().await;
        let mut checked = 0;
        for (method, path, op) in operations(&doc) {
            let url = format!("{}{}", app.url, concrete(&path, "x0"));
            let mut expect = |what: &str, got: (u16, String, Value), status: u16| {
                let (s, ct, body) = got;
                assert_eq!(s, status, "{method} {path} {what}: {body}");
                assert!(
                    ct.starts_with("application/json"),
                    "{method} {path} {what}: {ct}"
                );
                error_code(&body);
                assert_documented(&doc, &method, &path, s, &body);
                checked += 1;
            };
            if needs_login(&op) {
                let got = send(&anon, &method, &url, |r| r).await;
                expect("without a login", got, 401);
            }
            if path == "/api/v1/session" || path == "/api/v1/board/stream" {
                continue; // logging `c` out; an event stream that does not end
            }
            // The signed hooks read the raw body and check its signature first (401).
            let signed = op["operationId"] == "camera_alert"
                || op["operationId"] == "camera_heartbeat"
                || op["operationId"] == "post_sharing_inbound";
            if op.get("requestBody").is_some() && !signed {
                let got = send(&c, &method, &url, |r| {
                    r.header("content-type", "text/plain").body("{}")
                })
                .await;
                expect("with a text/plain body", got, 415);
                let got = send(&c, &method, &url, |r| r.json(&json!({"zz_unknown": 1}))).await;
                expect("with an unknown field", got, 400);
                let got = send(&c, &method, &url, |r| {
                    r.header("content-type", "application/json")
                        .body("{\"a\": ")
                })
                .await;
                expect("with broken JSON", got, 400);
            }
            let params = query_params(&op);
            if !params.is_empty() {
                let got = send(&c, &method, &format!("{url}?zz_unknown=1"), |r| r).await;
                expect("with an unknown query parameter", got, 400);
                let got = send(&c, &method, &format!("{url}?{}=a%00b", params[0]), |r| r).await;
                assert_eq!(got.2["error"]["field"], params[0].as_str(), "{path}");
                expect("with NUL in a query parameter", got, 400);
            }
            if path.contains('{') {
                let bad = format!("{}{}", app.url, concrete(&path, "a%00b"));
                let got = send(&c, &method, &bad, |r| r).await;
                assert_eq!(got.2["error"]["code"], "invalid_character", "{path}");
                expect("with NUL in a path parameter", got, 400);
                let bad = format!("{}{}", app.url, concrete(&path, "%FF"));
                let got = send(&c, &method, &bad, |r| r).await;
                expect("with a path parameter that is not UTF-8", got, 400);
            }
        }
        assert!(checked > 150, "only {checked} answers checked");
        // Refused before any handler ran: nothing was written.
        assert_eq!(app.audit_head().await, before);
    }
);

// Every role's answer to every read is documented and its body matches the documented schema: the
// refusals (403) of roles without the permission, 404s for ids that do not exist, and the lists (the
// organisation list once came back as another `Org` schema of the same name, the step vocabulary as
// an agreement `Term`).
both!(
    every_roles_reads_are_documented,
    |app: TestApp| async move {
        let doc = openapi(&app).await;
        let gets: Vec<_> = operations(&doc)
            .into_iter()
            .filter(|(m, p, _)| m == "get" && p != "/api/v1/board/stream")
            .collect();
        let mut refusals = 0;
        for login in app.logins.clone() {
            let c = app.client_as(&login.username).await;
            for (method, path, _) in &gets {
                let url = format!("{}{}", app.url, concrete(path, "x0"));
                let (s, ct, body) = send(&c, method, &url, |r| r).await;
                assert!(s < 500, "{} {method} {path}: {s} {body}", login.username);
                if ct.starts_with("application/json") {
                    assert_documented(&doc, method, path, s, &body);
                } else {
                    assert!(
                        documented(&doc, method, path).contains(&s.to_string()),
                        "{} {method} {path}: {s} undocumented",
                        login.username
                    );
                }
                refusals += usize::from(s == 403);
            }
        }
        assert!(refusals > 50, "only {refusals} refusals seen");
    }
);

// Types of one name in two modules (a case's `Alert` and a dispute's `Alert`, `Party`, `Term`, `Org`,
// `StepRequest`, `RevealRequest`) each keep their own schema.
both!(schemas_of_one_name_stay_apart, |app: TestApp| async move {
    let doc = openapi(&app).await;
    let schema = |name: &str| doc["components"]["schemas"][name].clone();
    let has = |name: &str, prop: &str| {
        assert!(
            schema(name)["properties"].get(prop).is_some(),
            "{name} lacks {prop}: {}",
            schema(name)
        )
    };
    has("CaseAlert", "case_id");
    has("DisputeAlert", "incident_id");
    has("CaseTerm", "per_item");
    has("AgreementTerm", "due_date");
    has("Org", "kind_label");
    has("DisputeOrg", "lead");
    has("CaseParty", "item");
    has("DisputeParty", "vulnerable");
    has("CaseStepRequest", "step");
    has("DisputeStepRequest", "action");
    // A case's reveal needs the purpose; a dispute's checks it in the handler.
    assert_eq!(schema("CaseRevealRequest")["required"], json!(["purpose"]));
    assert!(schema("DisputeRevealRequest")["required"].is_null());
    let items_ref = |method: &str, path: &str| {
        let s = &doc["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"];
        s["items"]["$ref"]
            .as_str()
            .or(s["$ref"].as_str())
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(
        items_ref("get", "/api/v1/case-alerts"),
        "#/components/schemas/CaseAlert"
    );
    assert_eq!(items_ref("get", "/api/v1/orgs"), "#/components/schemas/Org");
});
