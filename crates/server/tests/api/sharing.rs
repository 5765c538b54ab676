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
        assert!(st["lag_events"].as_i64().unwrap() >= 1, "{st}");
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

/// Posts an inbound event signed with `secret` (HMAC-SM3) `skew` seconds off the app's clock.
async fn send_in(
    app: &TestApp,
    partner: &str,
    secret: &str,
    body: &str,
    skew: i64,
) -> (u16, Value) {
    let ts = (app.state.now() / 1_000_000 + skew).to_string();
    let sig = pingan_server::signed::signature(secret, &ts, body.as_bytes());
    let r = client()
        .post(format!("{}/api/v1/sharing/inbound/{partner}", app.url))
        .header("Content-Type", "application/cloudevents+json")
        .header("X-Pingan-Timestamp", ts)
        .header("X-Pingan-Signature", sig)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

both!(
    inbound_events_are_signed_checked_and_taken_once,
    |app: TestApp| async move {
        let partner = partner_org(&app).await;
        let admin = app.client_as("admin").await;
        let r = admin
            .put(format!(
                "{}/api/v1/sharing/partners/{partner}/endpoint",
                app.url
            ))
            .json(&json!({"transport": "webhook", "url": "http://127.0.0.1:9/hook"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let ep: Value = r.json().await.unwrap();
        let key = ep["keys"]["inbound_secret"].as_str().unwrap().to_string();
        let d = app.client_as("dispatcher").await;
        let (lng, lat) = inside_point(&app, &d, CHENJIA_GRID).await;
        let event = |id: &str, data: Value| {
            json!({"specversion": "1.0", "id": id, "source": "/zhuji/12345", "type": "incident.report",
                "data": data})
            .to_string()
        };
        let good = json!({"type_code": "200200", "description": "12345 转来：楼上漏水引发争执",
            "address": "陈家社区 5 号", "lng": lng, "lat": lat, "caller_phone": "13957500000"});
        let incidents = app.count("incidents").await;

        // No agreement in force yet: refused.
        let (s, e) = send_in(&app, &partner, &key, &event("e-1", good.clone()), 0).await;
        assert_eq!(s, 403, "{e}");
        approved_agreement(&app, &partner).await;

        // A bad signature, a stale timestamp, a body that is not a CloudEvent, a field out of range.
        let (s, e) = send_in(
            &app,
            &partner,
            "not-the-key",
            &event("e-1", good.clone()),
            0,
        )
        .await;
        assert_eq!((s, error_code(&e).as_str()), (401, "bad_signature"));
        let (s, _) = send_in(&app, &partner, &key, &event("e-1", good.clone()), -3600).await;
        assert_eq!(s, 401);
        let (s, e) = send_in(&app, &partner, &key, "[1, 2]", 0).await;
        assert_eq!(s, 400, "{e}");
        let (s, e) = send_in(
            &app,
            &partner,
            &key,
            &json!({"specversion": "1.0", "id": "e-1",
            "type": "incident.cancel", "data": {}})
            .to_string(),
            0,
        )
        .await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (422, Some("type")),
            "{e}"
        );
        let mut bad = good.clone();
        bad["lat"] = json!(95.0);
        bad["type_code"] = json!("12");
        let (s, e) = send_in(&app, &partner, &key, &event("e-1", bad), 0).await;
        assert_eq!(s, 422, "{e}");
        let fields: Vec<&str> = e["error"]["problems"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p["field"].as_str())
            .collect();
        assert!(fields.contains(&"data.type_code"), "{e}");
        assert!(fields.contains(&"data.lat"), "{e}");
        let mut stray = good.clone();
        stray["citizen_id"] = json!("330681199001011234");
        let (s, e) = send_in(&app, &partner, &key, &event("e-1", stray), 0).await;
        assert_eq!(s, 422, "{e}");
        assert!(
            e["error"]["field"]
                .as_str()
                .unwrap_or("")
                .starts_with("data"),
            "{e}"
        );
        assert_eq!(
            app.count("incidents").await,
            incidents,
            "nothing stored by a refused event"
        );

        // Accepted once: an incident on the partner channel, the caller's phone sealed.
        let (s, a) = send_in(&app, &partner, &key, &event("e-1", good.clone()), 0).await;
        assert_eq!(s, 201, "{a}");
        assert_eq!(a["object_type"], "incident");
        let (s, i) = app
            .get_json(
                &d,
                &format!("/api/v1/incidents/{}", a["object_id"].as_str().unwrap()),
            )
            .await;
        assert_eq!(s, 200, "{i}");
        assert_eq!(
            i["incident"]["channel"].as_str().or(i["channel"].as_str()),
            Some("partner"),
            "{i}"
        );
        let (phone,): (Option<String>,) = app
            .db
            .fetch_one(
                "SELECT caller_phone_sealed FROM incidents WHERE id = ?",
                pingan_store::args![a["object_id"].as_str().unwrap()],
            )
            .await
            .unwrap();
        assert!(!phone.unwrap().contains("13957500000"));
        // The same id again (a resend), also concurrently: refused, nothing more stored.
        let body = event("e-1", good.clone());
        let (r1, r2) = tokio::join!(
            send_in(&app, &partner, &key, &body, 0),
            send_in(&app, &partner, &key, &body, 0)
        );
        assert_eq!((r1.0, r2.0), (409, 409), "{r1:?} {r2:?}");
        assert_eq!(app.count("incidents").await, incidents + 1);

        // Outside the agreement's areas (枫桥镇): refused.
        let mut far = good.clone();
        far["lng"] = json!(120.24);
        far["lat"] = json!(29.71);
        let (s, e) = send_in(&app, &partner, &key, &event("e-2", far), 0).await;
        assert!(s == 422 || s == 400, "{s} {e}");

        // A dispute handed over: registered as the form would (source partner, the suggested
        // grade, the grid tier), its party sealed; once only; checked like the form.
        let dispute = |id: &str, data: Value| {
            json!({"specversion": "1.0", "id": id, "source": "/zhuji/grid", "type": "dispute.report",
                "data": data})
            .to_string()
        };
        let neighbours = json!({"type_code": "02", "title": "楼上漏水邻里纠纷",
            "description": "网格平台转来：楼上漏水，双方多次争吵。", "address": "陈家社区 5 号",
            "lng": lng, "lat": lat, "people_involved": 2,
            "parties": [{"role": "applicant", "name": "陈某某", "phone": "13957500001"}]});
        let disputes = app.count("disputes").await;
        let mut bad = neighbours.clone();
        bad["type_code"] = json!("99");
        bad["parties"][0]["phone"] = json!("12");
        let (s, e) = send_in(&app, &partner, &key, &dispute("d-1", bad), 0).await;
        assert_eq!(s, 422, "{e}");
        let fields: Vec<&str> = e["error"]["problems"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p["field"].as_str())
            .collect();
        assert!(fields.contains(&"data.type_code"), "{e}");
        assert!(fields.contains(&"data.parties[0].phone"), "{e}");
        let mut far = neighbours.clone();
        far["lng"] = json!(120.24);
        far["lat"] = json!(29.71);
        let (s, e) = send_in(&app, &partner, &key, &dispute("d-1", far), 0).await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (422, Some("data.lng")),
            "{e}"
        );
        assert_eq!(app.count("disputes").await, disputes, "nothing stored");
        let (s, a) = send_in(&app, &partner, &key, &dispute("d-1", neighbours.clone()), 0).await;
        assert_eq!(s, 201, "{a}");
        assert_eq!(a["object_type"], "dispute");
        let (s, _) = send_in(&app, &partner, &key, &dispute("d-1", neighbours.clone()), 0).await;
        assert_eq!(s, 409);
        assert_eq!(app.count("disputes").await, disputes + 1);
        let (source, tier, registered_by, number): (String, String, String, String) = app
            .db
            .fetch_one(
                "SELECT source, tier, registered_by, number FROM disputes WHERE id = ?",
                pingan_store::args![a["object_id"].as_str().unwrap()],
            )
            .await
            .unwrap();
        assert_eq!((source.as_str(), tier.as_str()), ("partner", "grid"));
        assert_eq!(registered_by, format!("partner-{partner}"));
        assert_eq!(a["number"], number);
        let (sealed,): (String,) = app
            .db
            .fetch_one(
                "SELECT name_sealed FROM dispute_parties WHERE dispute_id = ?",
                pingan_store::args![a["object_id"].as_str().unwrap()],
            )
            .await
            .unwrap();
        assert!(!sealed.contains("陈某某"));

        // A risk found by the partner: in the register (source partner), its grid looked up from
        // its point, found by the partner's service account — which can never log in.
        let risk = |id: &str, data: Value| {
            json!({"specversion": "1.0", "id": id, "source": "/zhuji/city", "type": "risk.report",
                "data": data})
            .to_string()
        };
        let manhole = json!({"title": "陈家社区 5 号门口窨井盖缺失", "category": "public_security",
            "level": "high", "lng": lng, "lat": lat});
        let mut bad = manhole.clone();
        bad["level"] = json!("red");
        let (s, e) = send_in(&app, &partner, &key, &risk("r-1", bad), 0).await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (422, Some("data.level")),
            "{e}"
        );
        let (elsewhere,): (String,) = app
            .db
            .fetch_one(
                "SELECT code FROM grids WHERE area_path NOT LIKE '/330681/330681109/%' ORDER BY code LIMIT 1",
                pingan_store::args![],
            )
            .await
            .unwrap();
        let mut bad = manhole.clone();
        bad["category"] = json!("ufo");
        bad["grid_code"] = json!(elsewhere);
        let (s, e) = send_in(&app, &partner, &key, &risk("r-1", bad), 0).await;
        assert_eq!(s, 422, "{e}");
        let fields: Vec<&str> = e["error"]["problems"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p["field"].as_str())
            .collect();
        assert!(fields.contains(&"data.category"), "{e}");
        assert!(
            fields.contains(&"data.grid_code"),
            "outside the agreement: {e}"
        );
        let risks = app.count("risks").await;
        let (s, a) = send_in(&app, &partner, &key, &risk("r-1", manhole.clone()), 0).await;
        assert_eq!(s, 201, "{a}");
        assert_eq!(a["object_type"], "risk");
        let (s, _) = send_in(&app, &partner, &key, &risk("r-1", manhole.clone()), 0).await;
        assert_eq!(s, 409);
        assert_eq!(app.count("risks").await, risks + 1);
        let (source, grid, disabled): (String, String, bool) = app
            .db
            .fetch_one(
                "SELECT r.source, r.grid_code, u.disabled FROM risks r JOIN users u ON u.id = r.found_by \
                 WHERE r.id = ?",
                pingan_store::args![a["object_id"].as_str().unwrap()],
            )
            .await
            .unwrap();
        assert_eq!(
            (source.as_str(), grid.as_str(), disabled),
            ("partner", CHENJIA_GRID, true)
        );

        // The partner's admin page has every refusal with its reason.
        let (_, st) = app
            .get_json(&admin, &format!("/api/v1/sharing/partners/{partner}"))
            .await;
        let inbound = st["inbound"].as_array().unwrap();
        assert_eq!(
            inbound
                .iter()
                .filter(|x| x["outcome"] == "accepted")
                .count(),
            3,
            "{st}"
        );
        assert!(
            inbound.iter().filter(|x| x["outcome"] == "refused").count() >= 15,
            "{st}"
        );
        assert!(
            inbound
                .iter()
                .any(|x| x["error"].as_str().unwrap_or("").contains("signature"))
        );
    }
);

/// The stream and subject prefix one JetStream test publishes to (unique, so tests never share).
fn jetstream_names() -> (String, String) {
    let tag = uuid::Uuid::now_v7().simple().to_string();
    (
        format!("PINGAN_TEST_{}", &tag[20..]),
        format!("t{}", &tag[20..]),
    )
}

macro_rules! jetstream_test {
    ($name:ident, $backend:expr) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let Some(nats) = pingan_store::testing::nats_url(stringify!($name)) else {
                return;
            };
            let (stream, prefix) = jetstream_names();
            let Some(app) = TestApp::spawn($backend, stringify!($name), |c| {
                c.sharing.nats_url = nats.clone();
                c.sharing.nats_stream = stream.clone();
                c.sharing.subject_prefix = prefix.clone();
            })
            .await
            else {
                return;
            };
            jetstream_delivers_once_per_event(app, &nats, &stream, &prefix).await;
        }
    };
}

jetstream_test!(jetstream_sqlite, pingan_store::Backend::Sqlite);
jetstream_test!(jetstream_postgres, pingan_store::Backend::Postgres);

/// JetStream: the stream is made when missing, each event published under the partner's subject
/// with its id as the message id, so a replay adds nothing to the stream.
async fn jetstream_delivers_once_per_event(app: TestApp, nats: &str, stream: &str, prefix: &str) {
    use pingan_server::sharing::nats::Nats;
    let (_, ready) = app.get_json(&client(), "/readyz").await;
    assert_eq!(ready["nats"], "ok", "{ready}");
    let partner = partner_org(&app).await;
    approved_agreement(&app, &partner).await;
    let admin = app.client_as("admin").await;
    let r = admin
        .put(format!(
            "{}/api/v1/sharing/partners/{partner}/endpoint",
            app.url
        ))
        .json(&json!({"transport": "jetstream"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let ep: Value = r.json().await.unwrap();
    let d = app.client_as("dispatcher").await;
    let mut made = Vec::new();
    for text in ["一", "二", "三"] {
        made.push(new_incident(&app, &d, text).await);
    }
    assert_eq!(deliver(&app).await, 3);
    let mut n = Nats::connect(nats, std::time::Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(n.stream_state(stream).await.unwrap().0, 3);
    for (seq, inc) in (1..=3u64).zip(&made) {
        let (subject, data) = n.message(stream, seq).await.unwrap().unwrap();
        let ev: Value = serde_json::from_slice(&data).unwrap();
        assert_eq!(ev["subject"], inc["id"], "in order");
        assert_eq!(
            subject,
            format!(
                "{prefix}.{}.incident.received.330681.330681109.330681109004",
                ep["subjects"].as_str().unwrap().split('.').nth(1).unwrap()
            )
        );
        assert_eq!(
            ev["data"].as_object().unwrap().len(),
            4,
            "the agreement's fields only"
        );
    }
    // Replay them: the same ids, dropped by the stream as duplicates.
    let (_, first) = n.message(stream, 1).await.unwrap().unwrap();
    let first: Value = serde_json::from_slice(&first).unwrap();
    let from: i64 = first["sequence"].as_str().unwrap().parse().unwrap();
    let (s, _) = post(
        &app,
        &admin,
        &format!("/api/v1/sharing/partners/{partner}/replay"),
        json!({"after_position": from - 1}),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(deliver(&app).await, 3, "sent again");
    assert_eq!(n.stream_state(stream).await.unwrap().0, 3);
    n.delete_stream(stream).await.unwrap();
}

both!(
    tasks_risks_visits_alerts_and_cases_tell_partners_too,
    |app: TestApp| async move {
        let (_, doc) = app.get_json(&client(), "/api/asyncapi.json").await;
        let start = outbox::head(&app.db).await.unwrap();
        // The demo's risk register: risks found, one ordered to be rectified (a supervised task
        // assigned in the risk's transaction), progress reported on the order.
        pingan_server::tasks::demo::ensure(&app.db, &app.state.config)
            .await
            .unwrap();
        pingan_server::risks::demo::ensure(&app.db, &app.state.config)
            .await
            .unwrap();
        pingan_server::visits::demo::ensure(&app.db, &app.state.config)
            .await
            .unwrap();
        pingan_server::public_alerts::demo::ensure(&app.db, &app.state.config)
            .await
            .unwrap();
        pingan_server::cases::demo::ensure(&app.db, &app.state.config)
            .await
            .unwrap();
        let events = outbox::after(&app.db, start, 10_000).await.unwrap();
        let kinds: std::collections::BTreeSet<&str> =
            events.iter().map(|e| e.event_type.as_str()).collect();
        for k in [
            "task.assigned",
            "task.updated",
            "risk.registered",
            "risk.status_changed",
            "visit.recorded",
            "alert.published",
            "case.status_changed",
        ] {
            assert!(kinds.contains(k), "no {k} among {kinds:?}");
        }
        // A case tells its milestones (accepted, filed), never a custody step about a person.
        let (case_id,): (String,) = app
            .db
            .fetch_one(
                "SELECT id FROM cases WHERE title = '枫桥老街酒吧故意伤害案'",
                pingan_store::args![],
            )
            .await
            .unwrap();
        let steps: Vec<String> = outbox::of_aggregate(&app.db, "case", &case_id)
            .await
            .unwrap()
            .iter()
            .map(|e| {
                let v: Value = serde_json::from_str(&e.payload).unwrap();
                assert_eq!(v["status"], "open");
                assert_eq!(v["case_kind"], "criminal");
                v["step"].as_str().unwrap().to_string()
            })
            .collect();
        assert_eq!(steps, ["accept", "file"]);
        for e in &events {
            conforms(&doc, e);
        }
        // Each risk's order: the task assigned in the same transaction as the risk's step.
        let (risk_id, task_id): (String, String) = app
            .db
            .fetch_one(
                "SELECT id, task_id FROM risks WHERE task_id IS NOT NULL ORDER BY id LIMIT 1",
                pingan_store::args![],
            )
            .await
            .unwrap();
        let risk = outbox::of_aggregate(&app.db, "risk", &risk_id)
            .await
            .unwrap();
        let task = outbox::of_aggregate(&app.db, "task", &task_id)
            .await
            .unwrap();
        assert_eq!(risk[0].event_type, "risk.registered");
        assert_eq!(task[0].event_type, "task.assigned");
        let moved: Value = serde_json::from_str(&risk[1].payload).unwrap();
        assert_eq!(moved["from_status"], "open");
        assert_eq!(moved["status"], "rectifying");
    }
);

both!(
    two_servers_share_a_partner_by_its_lease,
    |app: TestApp| async move {
        use pingan_server::sharing::delivery::tick;
        let partner = partner_org(&app).await;
        approved_agreement(&app, &partner).await;
        let hook = Receiver::start().await;
        let admin = app.client_as("admin").await;
        let r = admin
            .put(format!(
                "{}/api/v1/sharing/partners/{partner}/endpoint",
                app.url
            ))
            .json(
                &json!({"transport": "webhook", "url": hook.url, "signing": "hmac-sha256",
                "batch_size": 2}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let secret = r.json::<Value>().await.unwrap()["keys"]["secret"]
            .as_str()
            .unwrap()
            .to_string();
        let d = app.client_as("dispatcher").await;
        for text in ["一", "二", "三", "四", "五"] {
            new_incident(&app, &d, text).await;
        }
        // Two servers' passes at the same moment: one holds the partner, each event is sent once.
        let (a, b) = tokio::join!(tick(&app.state, "server-a"), tick(&app.state, "server-b"));
        assert_eq!(a.unwrap() + b.unwrap(), 5);
        let ids: Vec<String> = hook
            .events(&secret)
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_string())
            .collect();
        let unique: std::collections::BTreeSet<&String> = ids.iter().collect();
        assert_eq!((ids.len(), unique.len()), (5, 5), "no event sent twice");
        let (holder,): (Option<String>,) = app
            .db
            .fetch_one(
                "SELECT lease_holder FROM sharing_endpoints WHERE partner_org_id = ?",
                pingan_store::args![partner.as_str()],
            )
            .await
            .unwrap();
        let holder = holder.unwrap();
        let other = if holder == "server-a" {
            "server-b"
        } else {
            "server-a"
        };
        // While the lease runs, the other server leaves the partner alone.
        new_incident(&app, &d, "六").await;
        assert_eq!(tick(&app.state, other).await.unwrap(), 0);
        // The holder dies: once its lease lapses the other takes over and nothing is lost.
        app.state.clock.advance_seconds(60);
        assert_eq!(tick(&app.state, other).await.unwrap(), 1);
        assert_eq!(hook.events(&secret).len(), 6);

        // This server's own loop, shut down gracefully: it finishes its pass and hands the partner
        // back, so another server takes it at once (no lease to wait out).
        let delivery = pingan_server::sharing::delivery::spawn(&app.state);
        app.state.clock.advance_seconds(60);
        new_incident(&app, &d, "七").await;
        let mut sent = 0;
        for _ in 0..200 {
            sent = hook.events(&secret).len();
            if sent == 7 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(sent, 7, "this server's loop delivered");
        delivery
            .stop(&app.state, std::time::Duration::from_secs(10))
            .await;
        let (holder,): (Option<String>,) = app
            .db
            .fetch_one(
                "SELECT lease_holder FROM sharing_endpoints WHERE partner_org_id = ?",
                pingan_store::args![partner.as_str()],
            )
            .await
            .unwrap();
        assert_eq!(holder, None, "handed back");
        new_incident(&app, &d, "八").await;
        assert_eq!(tick(&app.state, other).await.unwrap(), 1);
        assert_eq!(hook.events(&secret).len(), 8);
    }
);
