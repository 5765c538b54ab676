//! 警网融合 outbox: an incident's intake and dispatch and a dispute's registration and escalation each
//! leave one event, in order, whose payload is what the AsyncAPI document at /api/asyncapi.json
//! describes — and never a caller's or party's identity; a step that fails leaves none.

use super::*;
use helpers::*;
use pingan_domain::sharing::EventType;
use pingan_store::outbox;
use serde_json::{Value, json};

const CHENJIA_GRID: &str = "330681109004002";

/// Checks a stored event against the document's schema for its type: the same `type` and fields
/// that are listed there, each of the listed JSON type.
fn conforms(doc: &Value, e: &outbox::OutboxEvent) -> Value {
    let t = e
        .event_type()
        .unwrap_or_else(|| panic!("unknown type {}", e.event_type));
    let channel = &doc["channels"][t.code()];
    assert!(channel.is_object(), "no channel for {}", t.code());
    let (name, _) = channel["messages"]
        .as_object()
        .unwrap()
        .iter()
        .next()
        .unwrap();
    let schema = &doc["components"]["schemas"][format!("{name}Data")];
    let payload: Value = serde_json::from_str(&e.payload).unwrap();
    for (k, v) in payload.as_object().unwrap() {
        let prop = &schema["properties"][k];
        assert!(prop.is_object(), "{}: {k} is not in the document", t.code());
        let types: Vec<&str> = match &prop["type"] {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().map(|x| x.as_str().unwrap()).collect(),
            other => panic!("{other}"),
        };
        let ok = types.iter().any(|ty| match *ty {
            "string" => v.is_string(),
            "integer" => v.is_i64(),
            "number" => v.is_number(),
            "null" => v.is_null(),
            _ => false,
        });
        assert!(ok, "{}: {k} = {v} is not {types:?}", t.code());
        if prop["format"] == "date-time" && !v.is_null() {
            v.as_str().unwrap().parse::<jiff::Timestamp>().unwrap();
        }
    }
    assert_eq!(
        payload.as_object().unwrap().len(),
        schema["properties"].as_object().unwrap().len(),
        "every field is sent from the outbox (agreements remove them at delivery)"
    );
    payload
}

both!(
    changes_leave_their_events_in_order,
    |app: TestApp| async move {
        let (s, doc) = app.get_json(&client(), "/api/asyncapi.json").await;
        assert_eq!(s, 200);
        assert_eq!(doc["asyncapi"], "3.0.0");
        let start = outbox::head(&app.db).await.unwrap();

        // 接警 with the caller's phone, then a dispatch.
        let d = app.client_as("dispatcher").await;
        let (lng, lat) = inside_point(&app, &d, CHENJIA_GRID).await;
        let (s, i) = post(
            &app,
            &d,
            "/api/v1/incidents",
            json!({"type_code": "200200",
            "description": "两户争吵", "address": "陈家社区 3 号", "lng": lng, "lat": lat,
            "caller_name": "王小二", "caller_phone": "13957512345"}),
        )
        .await;
        assert_eq!(s, 201, "{i}");
        let id = i["id"].as_str().unwrap().to_string();
        let (s, r) = app
            .get_json(&d, &format!("/api/v1/incidents/{id}/recommendations"))
            .await;
        assert_eq!(s, 200, "{r}");
        let unit = r.as_array().unwrap()[0]["unit_id"]
            .as_str()
            .unwrap()
            .to_string();
        let path = format!("/api/v1/incidents/{id}/actions");
        let (s, x) = post(
            &app,
            &d,
            &path,
            json!({"action": "dispatch", "unit_ids": [unit]}),
        )
        .await;
        assert_eq!(s, 200, "{x}");
        // A step the lifecycle refuses leaves no event.
        let before = outbox::head(&app.db).await.unwrap();
        let (s, _) = post(&app, &d, &path, json!({"action": "close"})).await;
        assert!(s >= 400);
        assert_eq!(outbox::head(&app.db).await.unwrap(), before);

        let events = outbox::of_aggregate(&app.db, "incident", &id)
            .await
            .unwrap();
        let kinds: Vec<Option<EventType>> = events.iter().map(|e| e.event_type()).collect();
        assert_eq!(
            kinds,
            [
                Some(EventType::IncidentReceived),
                Some(EventType::IncidentStatusChanged)
            ]
        );
        assert!(events[0].position < events[1].position && events[0].position > start);
        let received = conforms(&doc, &events[0]);
        assert_eq!(received["number"], i["number"]);
        assert_eq!(received["grid_code"], CHENJIA_GRID);
        let moved = conforms(&doc, &events[1]);
        assert_eq!(
            (
                moved["action"].as_str(),
                moved["from_status"].as_str(),
                moved["status"].as_str()
            ),
            (Some("dispatch"), Some("received"), Some("dispatched"))
        );
        let (area,): (String,) = app
            .db
            .fetch_one(
                "SELECT area_path FROM incidents WHERE id = ?",
                pingan_store::args![id.as_str()],
            )
            .await
            .unwrap();
        for e in &events {
            assert_eq!(e.area_path, area);
            assert!(!e.payload.contains("13957512345") && !e.payload.contains("王小二"));
        }

        // 矛盾纠纷: registered with two parties, then escalated by the grid worker.
        let grid = app.client_as("gridworker").await;
        let dispute = super::mediation::register(&app, &grid, json!({})).await;
        let did = dispute["id"].as_str().unwrap().to_string();
        let (s, x) = post(
            &app,
            &grid,
            &format!("/api/v1/disputes/{did}/actions"),
            json!({"action": "escalate", "note": "村里协调"}),
        )
        .await;
        assert_eq!(s, 200, "{x}");
        let events = outbox::of_aggregate(&app.db, "dispute", &did)
            .await
            .unwrap();
        let kinds: Vec<Option<EventType>> = events.iter().map(|e| e.event_type()).collect();
        assert_eq!(
            kinds,
            [
                Some(EventType::DisputeRegistered),
                Some(EventType::DisputeStatusChanged)
            ]
        );
        let registered = conforms(&doc, &events[0]);
        assert_eq!(registered["tier"], "grid");
        let escalated = conforms(&doc, &events[1]);
        assert_eq!(
            (escalated["action"].as_str(), escalated["tier"].as_str()),
            (Some("escalate"), Some("village"))
        );
        for e in &events {
            for secret in ["张三丰", "13812345678", "李四光", "13987654321"] {
                assert!(!e.payload.contains(secret), "{secret} in {}", e.payload);
            }
        }
        // Positions run without gaps from where this test began.
        let all = outbox::after(&app.db, start, 100).await.unwrap();
        let positions: Vec<i64> = all.iter().map(|e| e.position).collect();
        assert_eq!(
            positions,
            ((start + 1)..=(start + all.len() as i64)).collect::<Vec<_>>()
        );
    }
);

/// A partner's webhook on loopback: keeps every request (signature headers and body) and answers
/// with the status the test sets.
#[derive(Clone)]
struct Receiver {
    url: String,
    got: std::sync::Arc<std::sync::Mutex<Vec<(String, String, String)>>>,
    status: std::sync::Arc<std::sync::atomic::AtomicU16>,
}

impl Receiver {
    async fn start() -> Receiver {
        use axum::extract::State;
        type Shared = (
            std::sync::Arc<std::sync::Mutex<Vec<(String, String, String)>>>,
            std::sync::Arc<std::sync::atomic::AtomicU16>,
        );
        let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let status = std::sync::Arc::new(std::sync::atomic::AtomicU16::new(200));
        let app = axum::Router::new()
            .route(
                "/hook",
                axum::routing::post(
                    |State((got, status)): State<Shared>,
                     headers: axum::http::HeaderMap,
                     body: String| async move {
                        let h = |n: &str| {
                            headers
                                .get(n)
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or("")
                                .to_string()
                        };
                        got.lock().unwrap().push((
                            h("x-pingan-timestamp"),
                            h("x-pingan-signature"),
                            body,
                        ));
                        axum::http::StatusCode::from_u16(
                            status.load(std::sync::atomic::Ordering::SeqCst),
                        )
                        .unwrap()
                    },
                ),
            )
            .with_state((got.clone(), status.clone()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver {
            url: format!("http://{addr}/hook"),
            got,
            status,
        }
    }

    fn answer(&self, status: u16) {
        self.status
            .store(status, std::sync::atomic::Ordering::SeqCst);
    }

    /// Every event received so far, each checked against its request's signature.
    fn events(&self, secret: &str) -> Vec<Value> {
        let mut out = Vec::new();
        for (ts, sig, body) in self.got.lock().unwrap().iter() {
            assert_eq!(
                sig,
                &pingan_server::signed::Signing::HmacSha256.sign(secret, ts, body.as_bytes()),
                "every delivery is signed over <timestamp>.<body>"
            );
            let batch: Value = serde_json::from_str(body).unwrap();
            out.extend(batch.as_array().unwrap().iter().cloned());
        }
        out
    }
}

async fn partner_org(app: &TestApp) -> String {
    let (id,): (String,) = app
        .db
        .fetch_one(
            "SELECT org_id FROM users WHERE username = 'partner'",
            pingan_store::args![],
        )
        .await
        .unwrap();
    id
}

async fn deliver(app: &TestApp) -> usize {
    pingan_server::sharing::delivery::tick(&app.state, "test-server")
        .await
        .unwrap()
}

async fn new_incident(app: &TestApp, d: &reqwest::Client, text: &str) -> Value {
    let (lng, lat) = inside_point(app, d, CHENJIA_GRID).await;
    let (s, i) = post(
        app,
        d,
        "/api/v1/incidents",
        json!({"type_code": "200200", "description": text, "address": "陈家社区 3 号",
            "lng": lng, "lat": lat, "caller_name": "王小二", "caller_phone": "13957512345"}),
    )
    .await;
    assert_eq!(s, 201, "{i}");
    i
}

/// Drafted by the administrator and approved by the security administrator: incident receipts in
/// 枫桥镇 with four fields (no personal one).
async fn approved_agreement(app: &TestApp, partner: &str) -> String {
    let admin = app.client_as("admin").await;
    let draft = json!({"partner_org_id": partner,
        "fields": {"incident.received": ["number", "type_code", "area_path", "description"]},
        "area_paths": ["/330681/330681109/"], "purpose": "消防联动：掌握辖区警情",
        "valid_from": "2026-01-01", "valid_to": "2099-12-31"});
    // `description` is personal: not without a legal basis.
    let (s, e) = post(app, &admin, "/api/v1/sharing/agreements", draft.clone()).await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["error"]["problems"][0]["field"], "legal_basis", "{e}");
    let mut draft = draft;
    draft["fields"]["incident.received"] = json!(["number", "type_code", "area_path", "level"]);
    let (s, a) = post(app, &admin, "/api/v1/sharing/agreements", draft).await;
    assert_eq!(s, 201, "{a}");
    assert_eq!(a["status"], "pending");
    let id = a["id"].as_str().unwrap().to_string();
    // The drafter's role cannot approve; the security administrator can.
    let path = format!("/api/v1/sharing/agreements/{id}/approve");
    let (s, _) = post(app, &admin, &path, json!({})).await;
    assert_eq!(s, 403);
    let sec = app.client_as("secadmin").await;
    let (s, a) = post(app, &sec, &path, json!({})).await;
    assert_eq!(s, 200, "{a}");
    assert_eq!(
        (a["status"].as_str(), a["in_force"].as_bool()),
        (Some("approved"), Some(true))
    );
    let (s, _) = post(app, &sec, &path, json!({})).await;
    assert_eq!(s, 409, "approved once");
    id
}

both_tuned!(
    webhook_delivers_what_the_agreement_allows_signed_and_retried,
    |c: &mut pingan_server::Config| c.sharing.retry_base_ms = 60_000,
    |app: TestApp| async move {
        let partner = partner_org(&app).await;
        let agreement = approved_agreement(&app, &partner).await;
        let hook = Receiver::start().await;
        let admin = app.client_as("admin").await;
        let put = |body: Value| {
            let (admin, url, partner) = (admin.clone(), app.url.clone(), partner.clone());
            async move {
                let r = admin
                    .put(format!("{url}/api/v1/sharing/partners/{partner}/endpoint"))
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                (r.status().as_u16(), r.json::<Value>().await.unwrap())
            }
        };
        let (s, e) = put(json!({"transport": "webhook", "url": "ftp://x"})).await;
        assert_eq!(s, 422);
        assert_eq!(e["error"]["problems"][0]["field"], "url", "{e}");
        let (s, ep) = put(json!({"transport": "webhook", "url": hook.url,
            "signing": "hmac-sha256", "max_attempts": 3}))
        .await;
        assert_eq!(s, 200, "{ep}");
        let secret = ep["keys"]["secret"].as_str().unwrap().to_string();

        // A receipt in 枫桥镇: delivered with the agreement's four fields and nothing else.
        let d = app.client_as("dispatcher").await;
        let inside = new_incident(&app, &d, "两户争吵").await;
        assert_eq!(deliver(&app).await, 1);
        let got = hook.events(&secret);
        assert_eq!(got.len(), 1);
        let ev = &got[0];
        assert_eq!(ev["specversion"], "1.0");
        assert_eq!(ev["type"], "incident.received");
        assert_eq!(ev["agreement"], agreement.as_str());
        assert_eq!(ev["subject"], inside["id"]);
        let keys: Vec<&str> = ev["data"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["area_path", "level", "number", "type_code"]);
        assert_eq!(ev["data"]["number"], inside["number"]);
        let raw = serde_json::to_string(&got).unwrap();
        for secret in ["13957512345", "王小二", "两户争吵"] {
            assert!(!raw.contains(secret), "{secret} delivered");
        }

        // The partner is down: the attempt is recorded, retried after the backoff, one at a time;
        // after three attempts the event becomes a dead letter and the cursor moves on.
        hook.answer(503);
        let second = new_incident(&app, &d, "噪声扰民").await;
        assert_eq!(deliver(&app).await, 0);
        let (_, st) = app
            .get_json(&admin, &format!("/api/v1/sharing/partners/{partner}"))
            .await;
        assert_eq!(st["attempts"], 1, "{st}");
        assert!(st["last_error"].as_str().unwrap().contains("503"), "{st}");
        assert_eq!(st["lag_events"].as_i64().unwrap() >= 1, true);
        // Not yet due: nothing is tried.
        let tried = hook.got.lock().unwrap().len();
        assert_eq!(deliver(&app).await, 0);
        assert_eq!(
            hook.got.lock().unwrap().len(),
            tried,
            "no attempt before the backoff ends"
        );
        for _ in 0..2 {
            app.state.clock.advance_seconds(700);
            assert_eq!(deliver(&app).await, 0);
        }
        let (_, st) = app
            .get_json(&admin, &format!("/api/v1/sharing/partners/{partner}"))
            .await;
        assert_eq!(st["dead"], 1, "{st}");
        assert_eq!(st["attempts"], 0, "{st}");
        let dead = &st["dead_letters"][0];
        assert_eq!(dead["event_type"], "incident.received");
        assert_eq!(dead["agreement_id"], agreement.as_str());
        assert!(dead["last_error"].as_str().unwrap().contains("503"));

        // Replay from before the dead letter: it is sent again, with the same id.
        hook.answer(200);
        let dead_position = dead["position"].as_i64().unwrap();
        let (s, r) = post(
            &app,
            &admin,
            &format!("/api/v1/sharing/partners/{partner}/replay"),
            json!({"after_position": dead_position - 1}),
        )
        .await;
        assert_eq!(s, 200, "{r}");
        assert!(deliver(&app).await >= 1);
        let got = hook.events(&secret);
        let ids: Vec<&Value> = got
            .iter()
            .filter(|e| e["subject"] == second["id"])
            .map(|e| &e["id"])
            .collect();
        assert!(
            ids.len() >= 2 && ids.iter().all(|i| *i == ids[0]),
            "same id on every attempt"
        );
        let (_, st) = app
            .get_json(&admin, &format!("/api/v1/sharing/partners/{partner}"))
            .await;
        assert_eq!(
            st["dead"], 0,
            "the replayed dead letter is now delivered: {st}"
        );
        assert_eq!(st["lag_events"], 0, "{st}");

        // Revoked: nothing more is delivered; the cursor still moves past.
        let sec = app.client_as("secadmin").await;
        let (s, a) = post(
            &app,
            &sec,
            &format!("/api/v1/sharing/agreements/{agreement}/revoke"),
            json!({"reason": "协作期满"}),
        )
        .await;
        assert_eq!(s, 200, "{a}");
        let before = hook.got.lock().unwrap().len();
        new_incident(&app, &d, "又吵起来了").await;
        assert_eq!(deliver(&app).await, 0);
        assert_eq!(
            hook.got.lock().unwrap().len(),
            before,
            "nothing after revocation"
        );
        let (_, st) = app
            .get_json(&admin, &format!("/api/v1/sharing/partners/{partner}"))
            .await;
        assert_eq!(st["lag_events"], 0, "{st}");

        // Every agreement change and the endpoint are on the audit record.
        let actions: Vec<(String,)> = app
            .db
            .fetch_all(
                "SELECT action FROM audit_log WHERE action LIKE 'sharing.%' ORDER BY seq",
                pingan_store::args![],
            )
            .await
            .unwrap();
        let actions: Vec<&str> = actions.iter().map(|a| a.0.as_str()).collect();
        for a in [
            "sharing.agreement.draft",
            "sharing.agreement.approve",
            "sharing.endpoint.set",
            "sharing.replay",
            "sharing.agreement.revoke",
        ] {
            assert!(actions.contains(&a), "{a} not audited: {actions:?}");
        }
        // The partner sees the agreement and why it received what it did.
        let p = app.client_as("partner").await;
        let (s, mine) = app.get_json(&p, "/api/v1/sharing/mine").await;
        assert_eq!(s, 200, "{mine}");
        assert_eq!(mine["agreements"][0]["id"], agreement.as_str());
        assert!(mine["endpoint"]["keys"].is_null());
        let (s, _) = app.get_json(&p, "/api/v1/sharing/agreements").await;
        assert_eq!(s, 403);
    }
);
