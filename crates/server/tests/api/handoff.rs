//! 110 → 人民调解: a resident's report is dispatched, handed to mediation, and becomes a dispute in the
//! village mediators' queue (linked both ways, the caller carried over as the applicant, sealed), the
//! mediators are told, and the resident's tracking page follows it through agreement and closing in
//! plain words without staff names or personal data.

use super::*;
use helpers::*;
use serde_json::{Value, json};

const CHENJIA_GRID: &str = "330681109004002";

async fn act(app: &TestApp, c: &reqwest::Client, id: &str, body: Value) -> (u16, Value) {
    post(app, c, &format!("/api/v1/incidents/{id}/actions"), body).await
}

async fn steps(app: &TestApp, code: &str) -> Vec<String> {
    let (s, t) = app
        .get_json(&client(), &format!("/api/v1/public/reports/{code}"))
        .await;
    assert_eq!(s, 200, "{t}");
    let text = t.to_string();
    for secret in ["13700002222", "王秀英", "dispatcher", "villagemediator"] {
        assert!(!text.contains(secret), "{secret} in the public answer: {t}");
    }
    t["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap().to_string())
        .collect()
}

both!(
    an_incident_handed_to_mediation_becomes_a_village_dispute,
    |app: TestApp| async move {
        let dispatcher = app.client_as("dispatcher").await;
        let (lng, lat) = inside_point(&app, &dispatcher, CHENJIA_GRID).await;
        let (s, t) = post(
            &app,
            &client(),
            "/api/v1/public/reports",
            json!({"type_code": "200200", "description": "邻居装修占用楼道，双方争吵",
                   "address": "枫桥镇陈家村 12 号", "lng": lng, "lat": lat,
                   "contact_name": "王秀英", "contact_phone": "13700002222"}),
        )
        .await;
        assert_eq!(s, 201, "{t}");
        let code = t["tracking_code"].as_str().unwrap().to_string();
        let (_, all) = app
            .get_json(&dispatcher, "/api/v1/incidents?status=all")
            .await;
        let incident = all
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["tracking_code"] == code.as_str())
            .unwrap()
            .clone();
        let id = incident["id"].as_str().unwrap().to_string();
        let number = incident["number"].as_str().unwrap().to_string();

        // A dispute type goes with a mediation transfer only; an unknown one is refused, nothing moves.
        let (s, b) = act(
            &app,
            &dispatcher,
            &id,
            json!({"action": "transfer", "to": "fire", "dispute_type": "02"}),
        )
        .await;
        assert_eq!(
            (s, b["error"]["field"].as_str()),
            (422, Some("dispute_type")),
            "{b}"
        );
        let (s, b) = act(
            &app,
            &dispatcher,
            &id,
            json!({"action": "transfer", "to": "mediation", "dispute_type": "99"}),
        )
        .await;
        assert_eq!(
            (s, b["error"]["field"].as_str()),
            (422, Some("type_code")),
            "{b}"
        );
        let (_, i) = app
            .get_json(&dispatcher, &format!("/api/v1/incidents/{id}"))
            .await;
        assert_eq!(i["status"], "received", "{i}");

        let (s, b) = act(
            &app,
            &dispatcher,
            &id,
            json!({"action": "transfer", "to": "mediation", "note": "属邻里纠纷，建议村调委会调处"}),
        )
        .await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["status"], "transferred");

        // The dispute: in the village mediators' list, prefilled and linked.
        let village = app.client_as("villagemediator").await;
        let (s, list) = app.get_json(&village, "/api/v1/disputes").await;
        assert_eq!(s, 200, "{list}");
        let d = list
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["incident_id"] == id.as_str())
            .unwrap_or_else(|| panic!("no dispute for incident {number} in {list}"))
            .clone();
        let did = d["id"].as_str().unwrap().to_string();
        assert_eq!(d["tier"], "village");
        assert_eq!(d["source"], "incident_transfer");
        assert_eq!(d["type_code"], "02", "治安纠纷 suggests 邻里");
        assert_eq!(d["address"], "枫桥镇陈家村 12 号");
        assert!(d["title"].as_str().unwrap().contains(&number), "{d}");
        let (s, full) = app
            .get_json(&village, &format!("/api/v1/disputes/{did}"))
            .await;
        assert_eq!(s, 200, "{full}");
        assert!(
            full["description"].as_str().unwrap().contains("占用楼道"),
            "{full}"
        );
        assert!(
            full["description"]
                .as_str()
                .unwrap()
                .contains("建议村调委会调处"),
            "{full}"
        );
        let parties = full["parties"].as_array().unwrap();
        assert_eq!(parties.len(), 1, "{full}");
        assert_eq!(parties[0]["role"], "applicant");
        assert_eq!(parties[0]["name"], "王**", "masked by default: {full}");
        assert_eq!(parties[0]["phone"], "137****2222", "{full}");
        // Sealed at rest like any party.
        let (n,): (i64,) = app
            .db
            .fetch_one(
                "SELECT COUNT(*) FROM dispute_parties WHERE name_sealed LIKE '%王秀英%' OR phone_sealed LIKE '%13700002222%'",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(n, 0);

        // The village mediators are told, with a link to the dispute.
        let (s, inbox) = app
            .get_json(&village, "/api/v1/notifications?unread=true")
            .await;
        assert_eq!(s, 200, "{inbox}");
        let note = inbox
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["object_id"] == did.as_str())
            .unwrap_or_else(|| panic!("no notification for the dispute: {inbox}"))
            .clone();
        assert_eq!(note["kind"], "dispute.from_incident", "{note}");
        assert_eq!(note["link"], format!("/disputes/{did}"), "{note}");

        // The incident page links the dispute; a second handoff or registration is refused.
        let page = dispatcher
            .get(format!("{}/incidents/{id}", app.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains(&format!("/disputes/{did}")),
            "incident page lacks the dispute link"
        );
        // People by name and channels by label on the incident's timeline, never usernames or codes.
        assert!(
            page.contains("王调度") && page.contains("群众网上报警"),
            "incident timeline"
        );
        assert!(
            !page.contains("channel:web"),
            "a channel code on the incident page"
        );
        let page = village
            .get(format!("{}/disputes/{did}", app.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        for shown in ["110移交", "申请人", "登记受理", "王调度", "村(社区)"] {
            assert!(page.contains(shown), "the dispute page lacks {shown}");
        }
        for code in [
            ">incident_transfer<",
            ">applicant<",
            ">register<",
            "· dispatcher ·",
            "· village",
        ] {
            assert!(
                !page.contains(code),
                "the dispute page shows the code {code}"
            );
        }
        let (s, b) = post(
            &app,
            &village,
            "/api/v1/disputes",
            json!({"type_code": "02", "incident_id": id, "title": "再登记", "description": "重复"}),
        )
        .await;
        assert_eq!(s, 409, "{b}");

        assert_eq!(
            steps(&app, &code).await,
            ["received", "transferred_mediation", "mediation_registered"]
        );

        // Mediated to an agreement, performed, closed: the resident sees each step.
        let (s, a) = post(
            &app,
            &village,
            &format!("/api/v1/disputes/{did}/agreement"),
            json!({"facts": "装修材料堆放楼道。", "issues": "楼道占用。", "responsibilities": "装修方清理。",
                   "terms": [{"content": "三日内清理楼道", "performer": "装修方", "due_date": "2026-12-31"}],
                   "mediator": "陈调解", "committee": "陈家村人民调解委员会", "judicial_confirmation": false}),
        )
        .await;
        assert_eq!(s, 201, "{a}");
        let (_, v) = app
            .get_json(&village, &format!("/api/v1/disputes/{did}"))
            .await;
        for f in v["followups"].as_array().unwrap() {
            let (s, b) = post(
                &app,
                &village,
                &format!(
                    "/api/v1/disputes/{did}/followups/{}",
                    f["id"].as_str().unwrap()
                ),
                json!({"result": "performed"}),
            )
            .await;
            assert_eq!(s, 204, "{b}");
        }
        let (s, b) = post(
            &app,
            &village,
            &format!("/api/v1/disputes/{did}/actions"),
            json!({"action": "close", "note": "案结事了"}),
        )
        .await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(
            steps(&app, &code).await,
            [
                "received",
                "transferred_mediation",
                "mediation_registered",
                "mediation_agreed",
                "mediation_closed"
            ]
        );
        let (_, t) = app
            .get_json(&client(), &format!("/api/v1/public/reports/{code}"))
            .await;
        assert_eq!(t["status_zh"], "调解已结案", "{t}");
    }
);
