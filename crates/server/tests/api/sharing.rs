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
