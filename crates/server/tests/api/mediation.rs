//! Dispute mediation end to end: one dispute climbs grid → village → township as its clocks run out
//! (time injected through the app's clock, then the sweep the background job runs), is mediated
//! jointly, agreed, reopened by a failed follow-up and closed, and the timeline shows each step with
//! who and when; party identity is sealed in the database and masked everywhere unless revealed for a
//! purpose by someone entitled; the KPIs of a seeded history equal the hand count.

use super::*;
use helpers::*;
use pingan_server::mediation::clock::sweep;
use serde_json::{Value, json};

const DAY: i64 = 86_400;
pub const CHENJIA_GRID: &str = "330681109004002";

fn citizen_id(first17: &str) -> String {
    format!("{first17}{}", pingan_domain::ids::citizen_id_check(first17))
}

fn party(name: &str, id17: &str, phone: &str, role: &str) -> Value {
    json!({"kind": "person", "role": role, "name": name, "id_number": citizen_id(id17),
           "phone": phone, "address": "枫桥镇陈家村 8 号"})
}

pub async fn register(app: &TestApp, c: &reqwest::Client, extra: Value) -> Value {
    let (lng, lat) = inside_point(app, c, CHENJIA_GRID).await;
    let mut body = json!({
        "type_code": "02", "title": "邻里宅基地纠纷", "description": "两户因围墙界址发生争执",
        "address": "枫桥镇陈家村 8 号", "lng": lng, "lat": lat, "people_involved": 3, "amount_yuan": 20000,
        "parties": [party("张三丰", "33068119800101123", "13812345678", "applicant"),
                    party("李四光", "33068119850202234", "13987654321", "respondent")]
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let (s, d) = post(app, c, "/api/v1/disputes", body).await;
    assert_eq!(s, 201, "{d}");
    d
}

async fn detail(app: &TestApp, c: &reqwest::Client, id: &str) -> Value {
    let (s, d) = app.get_json(c, &format!("/api/v1/disputes/{id}")).await;
    assert_eq!(s, 200, "{d}");
    d
}

async fn unread(app: &TestApp, who: &str) -> Vec<String> {
    let c = app.client_as(who).await;
    let (s, n) = app.get_json(&c, "/api/v1/notifications?unread=true").await;
    assert_eq!(s, 200, "{n}");
    n.as_array()
        .unwrap()
        .iter()
        .map(|x| x["message"].as_str().unwrap().to_string())
        .collect()
}

pub fn agreement(mediator: &str) -> Value {
    json!({
        "facts": "张、李两户相邻，张家新砌围墙越过界址约 0.3 米。",
        "issues": "围墙界址；拆除费用由谁承担。",
        "responsibilities": "张家越界砌墙负主要责任。",
        "terms": [
            {"content": "张三丰于 2026 年 12 月 31 日前拆除越界部分围墙", "performer": "张三丰", "due_date": "2026-12-31"},
            {"content": "李四光补偿张三丰砌墙材料费 2000 元", "performer": "李四光", "due_date": "2027-01-15"}
        ],
        "mediator": mediator, "committee": "枫桥镇人民调解委员会", "judicial_confirmation": true
    })
}

both!(
    dispute_climbs_tiers_is_agreed_reopened_and_closed,
    |app: TestApp| async move {
        let grid = app.client_as("gridworker").await;
        let d = register(&app, &grid, json!({})).await;
        let id = d["id"].as_str().unwrap().to_string();
        let number = d["number"].as_str().unwrap().to_string();
        assert_eq!(d["status"], "mediating");
        assert_eq!(d["tier"], "grid");
        assert_eq!(d["grade"], "yellow", "20 000 yuan suggests yellow: {d}");
        assert_eq!(d["suggested_grade"], "yellow");
        assert_eq!(d["reasons"][0]["factor"], "money");
        assert_eq!(
            d["tier_due"].as_i64().unwrap() - d["tier_since"].as_i64().unwrap(),
            5 * DAY * 1_000_000
        );
        assert!(
            unread(&app, "gridworker")
                .await
                .iter()
                .any(|m| m.contains(&number))
        );

        // Nothing moves before the grid's five days are up.
        app.state.clock.advance_seconds(5 * DAY - 60);
        assert_eq!(sweep(&app.state).await.unwrap(), 0);
        app.state.clock.advance_seconds(61);
        assert_eq!(sweep(&app.state).await.unwrap(), 1);
        assert_eq!(sweep(&app.state).await.unwrap(), 0, "escalated once only");
        let v = detail(&app, &grid, &id).await;
        assert_eq!(v["tier"], "village");
        assert!(
            unread(&app, "villagemediator")
                .await
                .iter()
                .any(|m| m.contains(&number))
        );

        // The village mediator asks for three more days; the district coordinator approves.
        let village = app.client_as("villagemediator").await;
        let (s, e) = post(
            &app,
            &village,
            &format!("/api/v1/disputes/{id}/extensions"),
            json!({"days": 3, "reason": "当事人外出务工，月底返乡"}),
        )
        .await;
        assert_eq!(s, 201, "{e}");
        let (s, body) = post(
            &app,
            &village,
            &format!(
                "/api/v1/disputes/{id}/extensions/{}",
                e["id"].as_str().unwrap()
            ),
            json!({"approve": true}),
        )
        .await;
        assert_eq!(
            s, 403,
            "a mediator may not approve (and not their own request): {body}"
        );
        let coord = app.client_as("coordinator").await;
        let (s, body) = post(
            &app,
            &coord,
            &format!(
                "/api/v1/disputes/{id}/extensions/{}",
                e["id"].as_str().unwrap()
            ),
            json!({"approve": true, "note": "同意"}),
        )
        .await;
        assert_eq!(s, 204, "{body}");
        let v = detail(&app, &grid, &id).await;
        assert_eq!(v["extension_days"], 3);
        assert_eq!(
            v["tier_due"].as_i64().unwrap() - v["tier_since"].as_i64().unwrap(),
            13 * DAY * 1_000_000
        );

        // Village time (10 days + 3) runs out: township, and the township's leader hears of it.
        app.state.clock.advance_seconds(13 * DAY);
        assert_eq!(sweep(&app.state).await.unwrap(), 1);
        let v = detail(&app, &grid, &id).await;
        assert_eq!(v["tier"], "township");
        assert!(
            unread(&app, "mediator")
                .await
                .iter()
                .any(|m| m.contains("乡镇"))
        );
        assert!(
            unread(&app, "townleader")
                .await
                .iter()
                .any(|m| m.contains(&number))
        );

        // Joint mediation at the township: two organisations, two sessions.
        let town = app.client_as("mediator").await;
        for (name, kind, lead) in [
            ("枫桥镇司法所", "justice_office", true),
            ("枫桥派出所", "police_station", false),
        ] {
            let (s, b) = post(
                &app,
                &town,
                &format!("/api/v1/disputes/{id}/orgs"),
                json!({"org_name": name, "org_kind": kind, "lead": lead}),
            )
            .await;
            assert_eq!(s, 204, "{b}");
        }
        let (s, b) = post(
            &app,
            &town,
            &format!("/api/v1/disputes/{id}/orgs"),
            json!({"org_name": "枫桥派出所", "org_kind": "police_station"}),
        )
        .await;
        assert_eq!(s, 409, "an organisation joins once: {b}");
        for place in ["陈家村村委会", "枫桥镇综治中心"] {
            let (s, b) = post(&app, &town, &format!("/api/v1/disputes/{id}/sessions"),
            json!({"place": place, "attendees": "司法所孙调解、派出所李警官、双方当事人", "notes": "双方陈述，现场查看界址"})).await;
            assert_eq!(s, 201, "{b}");
        }
        // Closing before an agreement is not a step the lifecycle has.
        let (s, b) = post(
            &app,
            &town,
            &format!("/api/v1/disputes/{id}/actions"),
            json!({"action": "close"}),
        )
        .await;
        assert_eq!(s, 409, "{b}");
        assert!(
            b["error"]["message"]
                .as_str()
                .unwrap()
                .contains("closing follows agreement"),
            "{b}"
        );

        let (s, a) = post(
            &app,
            &town,
            &format!("/api/v1/disputes/{id}/agreement"),
            agreement("孙调解"),
        )
        .await;
        assert_eq!(s, 201, "{a}");
        let v = detail(&app, &grid, &id).await;
        assert_eq!(v["status"], "agreed");
        assert_eq!(v["followups"].as_array().unwrap().len(), 2);
        let agreed_at = v["agreed_at"].as_i64().unwrap();
        assert_eq!(
            v["agreements"][0]["confirm_by"].as_i64().unwrap() - agreed_at,
            30 * DAY * 1_000_000
        );

        // Seven days on, the visit finds the wall still standing: the dispute reopens at the township.
        app.state.clock.advance_seconds(7 * DAY);
        let f1 = v["followups"][0]["id"].as_str().unwrap().to_string();
        let (s, b) = post(
            &app,
            &town,
            &format!("/api/v1/disputes/{id}/followups/{f1}"),
            json!({"result": "breached", "note": "围墙未拆"}),
        )
        .await;
        assert_eq!(s, 204, "{b}");
        let v = detail(&app, &grid, &id).await;
        assert_eq!(v["status"], "mediating");
        assert_eq!(v["tier"], "township");
        assert_eq!(v["reopened"], 1);
        assert!(v["tier_since"].as_i64().unwrap() > agreed_at);

        // A second agreement; both visits find it performed; closed.
        let (s, a) = post(
            &app,
            &town,
            &format!("/api/v1/disputes/{id}/agreement"),
            agreement("孙调解"),
        )
        .await;
        assert_eq!(s, 201, "{a}");
        let v = detail(&app, &grid, &id).await;
        assert!(
            v["agreements"][0]["superseded_at"].is_i64(),
            "the first agreement is superseded"
        );
        let open: Vec<String> = v["followups"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["done_at"].is_null())
            .map(|f| f["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(open.len(), 2);
        for f in &open {
            app.state.clock.advance_seconds(7 * DAY);
            let (s, b) = post(
                &app,
                &town,
                &format!("/api/v1/disputes/{id}/followups/{f}"),
                json!({"result": "performed"}),
            )
            .await;
            assert_eq!(s, 204, "{b}");
        }
        let (s, b) = post(
            &app,
            &town,
            &format!("/api/v1/disputes/{id}/actions"),
            json!({"action": "close", "note": "案结事了"}),
        )
        .await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["status"], "closed");

        // The timeline: every step, in order, with who and when.
        let v = detail(&app, &grid, &id).await;
        let steps: Vec<(String, String, String)> = v["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["action"].as_str().unwrap().into(),
                    e["actor"].as_str().unwrap().into(),
                    e["tier"].as_str().unwrap().into(),
                )
            })
            .collect();
        let want = [
            ("register", "gridworker", "grid"),
            ("escalate", "system:mediation", "village"),
            ("extension_request", "villagemediator", "village"),
            ("extension_decision", "coordinator", "village"),
            ("escalate", "system:mediation", "township"),
            ("join", "mediator", "township"),
            ("join", "mediator", "township"),
            ("session", "mediator", "township"),
            ("session", "mediator", "township"),
            ("agree", "mediator", "township"),
            ("breach", "mediator", "township"),
            ("agree", "mediator", "township"),
            ("follow_up", "mediator", "township"),
            ("follow_up", "mediator", "township"),
            ("close", "mediator", "township"),
        ];
        let got: Vec<(&str, &str, &str)> = steps
            .iter()
            .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
            .collect();
        assert_eq!(got, want);
        let times: Vec<i64> = v["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["at"].as_i64().unwrap())
            .collect();
        assert!(
            times.windows(2).all(|w| w[0] <= w[1]),
            "timeline in time order: {times:?}"
        );
        // Each step is in the audit chain too.
        let (s, audit) = app
            .get_json(
                &app.client_as("auditor").await,
                &format!("/api/v1/audit?object_id={id}&limit=100"),
            )
            .await;
        assert_eq!(s, 200, "{audit}");
        assert!(audit.as_array().unwrap().len() >= want.len(), "{audit}");

        // Three days before the second agreement's 30-day 司法确认 deadline (14 days have passed since
        // it), the township's people are reminded, once; the superseded first agreement is not.
        use pingan_server::mediation::clock::remind_confirmations;
        app.state.clock.advance_seconds(12 * DAY);
        assert_eq!(remind_confirmations(&app.state).await.unwrap(), 0);
        app.state.clock.advance_seconds(DAY + 60);
        assert_eq!(remind_confirmations(&app.state).await.unwrap(), 1);
        assert_eq!(remind_confirmations(&app.state).await.unwrap(), 0);
        assert!(
            unread(&app, "mediator")
                .await
                .iter()
                .any(|m| m.contains("司法确认") && m.contains(&number))
        );
    }
);

both!(
    party_identity_is_sealed_masked_and_revealed_only_for_a_purpose,
    |app: TestApp| async move {
        let grid = app.client_as("gridworker").await;
        let d = register(&app, &grid, json!({})).await;
        let id = d["id"].as_str().unwrap();
        let full_id = citizen_id("33068119800101123");
        let secrets = [
            "张三丰",
            full_id.as_str(),
            "13812345678",
            "13987654321",
            "李四光",
        ];

        // The API answers masked values only.
        let v = detail(&app, &grid, id).await;
        let text = v.to_string();
        for s in secrets {
            assert!(!text.contains(s), "{s} leaked in {text}");
        }
        assert_eq!(v["parties"][0]["name"], "张**");
        assert_eq!(v["parties"][0]["phone"], "138****5678");
        assert_eq!(
            v["parties"][0]["id_number"],
            pingan_domain::mask::mask_id_number(&full_id)
        );

        // The database holds ciphertext that opens with the key, only in its own column.
        let rows: Vec<(String, Option<String>, Option<String>)> = app.db
        .fetch_all("SELECT name_sealed, id_sealed, phone_sealed FROM dispute_parties WHERE dispute_id = ? ORDER BY seq",
            vec![id.into()]).await.unwrap();
        assert_eq!(rows.len(), 2);
        let (name, idn, phone) = &rows[0];
        for raw in [name, idn.as_ref().unwrap(), phone.as_ref().unwrap()] {
            assert!(raw.starts_with("k1:"), "{raw}");
            for s in secrets {
                assert!(!raw.contains(s), "plain {s} in the column");
            }
        }
        assert_eq!(
            app.state.cipher.open("dispute_parties.name", name).unwrap(),
            "张三丰"
        );
        assert_eq!(
            app.state
                .cipher
                .open("dispute_parties.id", idn.as_ref().unwrap())
                .unwrap(),
            full_id
        );
        assert!(
            app.state
                .cipher
                .open("dispute_parties.phone", name)
                .is_err(),
            "a name does not open as a phone"
        );

        let party = v["parties"][0]["id"].as_str().unwrap();
        let path = format!("/api/v1/disputes/{id}/parties/{party}/reveal");
        // A grid worker has no right to personal data.
        let (s, b) = post(&app, &grid, &path, json!({"purpose": "核实身份"})).await;
        assert_eq!(s, 403, "{b}");
        // Entitled, but no purpose: refused, naming the field.
        let town = app.client_as("mediator").await;
        let (s, b) = post(&app, &town, &path, json!({})).await;
        assert_eq!(s, 422, "{b}");
        assert_eq!(b["error"]["field"], "purpose");
        let before = app.audit_head().await;
        let (s, b) = post(&app, &town, &path, json!({"purpose": "制作调解协议书"})).await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["name"], "张三丰");
        assert_eq!(b["id_number"], full_id);
        assert_eq!(b["phone"], "13812345678");
        assert_eq!(app.audit_head().await, before + 1, "the read is audited");
        let (purpose, detail): (Option<String>, String) = app
            .db
            .fetch_one(
                "SELECT purpose, detail FROM audit_log WHERE seq = ?",
                vec![(before + 1).into()],
            )
            .await
            .unwrap();
        assert_eq!(purpose.as_deref(), Some("制作调解协议书"));

        // Nowhere in the audit log is a party's identity in the clear.
        let all: Vec<(String,)> = app
            .db
            .fetch_all("SELECT detail FROM audit_log", vec![])
            .await
            .unwrap();
        for (d,) in all.iter().chain(std::iter::once(&(detail,))) {
            for s in secrets {
                assert!(!d.contains(s), "{s} in audit detail {d}");
            }
        }

        // Bad identity data is refused with the field named, and nothing is stored.
        let n = app.count("disputes").await;
        let (lng, lat) = inside_point(&app, &grid, CHENJIA_GRID).await;
        let (s, b) = post(
            &app,
            &grid,
            "/api/v1/disputes",
            json!({
        "type_code": "02", "title": "t", "description": "d", "address": "a", "lng": lng, "lat": lat,
        "parties": [{"name": "王五", "id_number": "330681198001011230"}]}),
        )
        .await;
        let good = citizen_id("33068119800101123");
        assert_ne!(good, "330681198001011230");
        assert_eq!(s, 422, "{b}");
        assert_eq!(b["error"]["field"], "parties[0].id_number");
        let (s, b) = post(
            &app,
            &grid,
            "/api/v1/disputes",
            json!({
        "type_code": "02", "title": "t", "description": "d", "address": "a", "lng": lng, "lat": lat,
        "grade": "red"}),
        )
        .await;
        assert_eq!(s, 422, "overriding the suggestion needs a reason: {b}");
        assert_eq!(b["error"]["field"], "grade_reason");
        assert_eq!(app.count("disputes").await, n);
    }
);

both!(kpis_equal_the_hand_count, |app: TestApp| async move {
    let town = app.client_as("mediator").await;
    let from = pingan_domain::time::local_date(pingan_domain::time::from_micros(app.state.now()));
    let (lng, lat) = inside_point(&app, &town, CHENJIA_GRID).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let d = register(
            &app,
            &town,
            json!({"address": format!("枫桥镇陈家村 {} 号", 20 + i),
            "lng": lng + 0.002 * f64::from(i) - 0.004, "lat": lat, "parties": []}),
        )
        .await;
        ids.push(d["id"].as_str().unwrap().to_string());
    }
    let act = |id: &str, body: Value| {
        let (app, town, id) = (&app, &town, id.to_string());
        async move { post(app, town, &format!("/api/v1/disputes/{id}/actions"), body).await }
    };
    // Day 2: D1 agreed. Day 3: D3 fails (→ litigation).
    app.state.clock.advance_seconds(2 * DAY);
    let (s, b) = post(
        &app,
        &town,
        &format!("/api/v1/disputes/{}/agreement", ids[0]),
        agreement("孙调解"),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    app.state.clock.advance_seconds(DAY);
    let (s, b) = act(&ids[2], json!({"action": "fail", "to": "litigation"})).await;
    assert_eq!(s, 200, "{b}");
    // Day 5: the grid clocks of D2, D4, D5 run out (yellow: 5 days).
    app.state.clock.advance_seconds(2 * DAY);
    assert_eq!(sweep(&app.state).await.unwrap(), 3);
    // Day 6: D2 agreed.
    app.state.clock.advance_seconds(DAY);
    let (s, b) = post(
        &app,
        &town,
        &format!("/api/v1/disputes/{}/agreement", ids[1]),
        agreement("孙调解"),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    // D1's two visits find it performed.
    for f in detail(&app, &town, &ids[0]).await["followups"]
        .as_array()
        .unwrap()
    {
        let (s, b) = post(
            &app,
            &town,
            &format!(
                "/api/v1/disputes/{}/followups/{}",
                ids[0],
                f["id"].as_str().unwrap()
            ),
            json!({"result": "performed"}),
        )
        .await;
        assert_eq!(s, 204, "{b}");
    }
    // Day 8: a fight at D5's address — 民转刑.
    app.state.clock.advance_seconds(2 * DAY);
    let dispatcher = app.client_as("dispatcher").await;
    let (s, b) = post(
        &app,
        &dispatcher,
        "/api/v1/incidents",
        json!({
        "type_code": "200100", "description": "两户再次发生打斗", "address": "枫桥镇陈家村 24 号",
        "lng": lng + 0.004, "lat": lat}),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    let d5 = detail(&app, &town, &ids[4]).await;
    assert_eq!(d5["alerts"].as_array().unwrap().len(), 1, "{d5}");
    assert!(
        d5["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "criminal_turn")
    );
    assert_eq!(
        detail(&app, &town, &ids[3]).await["alerts"]
            .as_array()
            .unwrap()
            .len(),
        0,
        "a dispute 390 m away is not the same place"
    );
    // Day 40: D6, outside the period.
    app.state.clock.advance_seconds(32 * DAY);
    register(&app, &town, json!({"parties": []})).await;

    let to = {
        let d: jiff::civil::Date = from.parse().unwrap();
        d.checked_add(jiff::Span::new().days(30))
            .unwrap()
            .to_string()
    };
    let (s, k) = app
        .get_json(
            &town,
            &format!("/api/v1/disputes-kpi?area=/330681/330681109/&from={from}&to={to}"),
        )
        .await;
    assert_eq!(s, 200, "{k}");
    // By hand: five registered in the period; D1 and D2 agreed (2 and 6 days), D3 failed;
    // D1's follow-ups done and performed, D2's pending; D2, D4, D5 escalated on day 5; one 民转刑.
    assert_eq!(k["registered"], 5, "{k}");
    assert_eq!(k["resolved"], 2);
    assert_eq!(k["resolution_rate"], 0.4);
    assert!((k["success_rate"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!(k["agreements_followed_up"], 1);
    assert_eq!(k["agreements_performed"], 1);
    // Wall time also passes while the test runs (well under a minute).
    assert!(
        (k["median_days_to_resolve"].as_f64().unwrap() - 4.0).abs() < 1e-3,
        "{k}"
    );
    assert_eq!(k["escalations"], 3);
    assert_eq!(k["criminal_turns"], 1);
    // Outside the caller's scope: refused.
    let (s, b) = app
        .get_json(
            &town,
            &format!("/api/v1/disputes-kpi?area=/330681/330681001/&from={from}&to={to}"),
        )
        .await;
    assert_eq!(s, 422, "{b}");
});

both!(
    screening_campaign_assigns_grids_and_counts_what_they_find,
    |app: TestApp| async move {
        let coord = app.client_as("coordinator").await;
        let (s, c) = post(
            &app,
            &coord,
            "/api/v1/screening-campaigns",
            json!({
        "name": "岁末矛盾纠纷大排查", "area_path": "/330681/330681109/330681109004/",
        "starts_on": "2026-12-01", "ends_on": "2026-12-15"}),
        )
        .await;
        assert_eq!(s, 201, "{c}");
        let cid = c["id"].as_str().unwrap().to_string();
        let grids = c["grids"].as_i64().unwrap();
        assert!(grids >= 2, "{c}");
        let (s, b) = post(&app, &coord, "/api/v1/screening-campaigns", json!({
        "name": "x", "area_path": "/330681/330681109/", "starts_on": "2026-12-15", "ends_on": "2026-12-01"})).await;
        assert_eq!(s, 422, "{b}");
        assert_eq!(b["error"]["field"], "ends_on");

        // The grid worker finds a dispute in one grid and reports that grid screened.
        let grid = app.client_as("gridworker").await;
        let d = register(&app, &grid, json!({"campaign_id": cid, "parties": []})).await;
        assert_eq!(d["source"], "grid_screening");
        let (s, b) = post(
            &app,
            &grid,
            &format!("/api/v1/screening-campaigns/{cid}/grids/{CHENJIA_GRID}"),
            json!({"note": "走访 32 户，发现 1 起"}),
        )
        .await;
        assert_eq!(s, 204, "{b}");
        let (s, b) = post(
            &app,
            &grid,
            &format!("/api/v1/screening-campaigns/{cid}/grids/{CHENJIA_GRID}"),
            json!({}),
        )
        .await;
        assert_eq!(s, 409, "reported once: {b}");
        let (s, v) = app
            .get_json(&grid, &format!("/api/v1/screening-campaigns/{cid}"))
            .await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["done"], 1);
        assert_eq!(v["found"], 1);
        let mine = v["grids_detail"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["grid_code"] == CHENJIA_GRID)
            .unwrap();
        assert_eq!(mine["found"], 1);
        assert_eq!(mine["done_by"], "gridworker");

        // A location outside the campaign's grids cannot be registered against it.
        let (lng, lat) = inside_point(&app, &coord, "330681001001003").await;
        let (s, b) = post(&app, &coord, "/api/v1/disputes", json!({
        "type_code": "02", "title": "t", "description": "d", "address": "暨阳街道", "lng": lng, "lat": lat,
        "campaign_id": cid})).await;
        assert_eq!(s, 422, "{b}");
        assert_eq!(b["error"]["field"], "campaign_id");

        // A red dispute reaches the township leader at once, whatever tier it starts at.
        let d = register(&app, &grid, json!({"violence_threat": true, "parties": []})).await;
        assert_eq!(d["grade"], "red", "{d}");
        assert_eq!(d["tier"], "grid");
        let number = d["number"].as_str().unwrap();
        assert!(
            unread(&app, "townleader")
                .await
                .iter()
                .any(|m| m.contains(number))
        );

        // Types are configurable: a local type, and a type taken out of use.
        let admin = app.client_as("admin").await;
        let put = |c: &reqwest::Client, code: &str, body: Value| {
            c.put(format!("{}/api/v1/dispute-types/{code}", app.url))
                .json(&body)
                .send()
        };
        let r = put(&admin, "26", json!({"code": "26", "name_zh": "网络购物", "name_en": "Online shopping", "active": true})).await.unwrap();
        assert_eq!(r.status(), 200);
        let r = put(&admin, "24", json!({"code": "24", "name_zh": "计划生育", "name_en": "Family planning", "active": false})).await.unwrap();
        assert_eq!(r.status(), 200);
        register(&app, &grid, json!({"type_code": "26", "parties": []})).await;
        let (lng, lat) = inside_point(&app, &grid, CHENJIA_GRID).await;
        let (s, b) = post(&app, &grid, "/api/v1/disputes", json!({
            "type_code": "24", "title": "t", "description": "d", "address": "a", "lng": lng, "lat": lat})).await;
        assert_eq!(s, 422, "{b}");
        assert_eq!(b["error"]["field"], "type_code");
        let r = put(
            &grid,
            "27",
            json!({"code": "27", "name_zh": "x", "name_en": "x", "active": true}),
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 403);
    }
);

both!(
    a_registration_answers_every_problem_at_once,
    |app: TestApp| async move {
        let village = app.client_as("villagemediator").await;
        let (lng, lat) = inside_point(&app, &village, CHENJIA_GRID).await;
        let bad_id = format!(
            "33068119800101123{}",
            if citizen_id("33068119800101123").ends_with('9') {
                '8'
            } else {
                '9'
            }
        );
        // API: both problems, each with its field path and code.
        let (s, b) = post(
            &app,
            &village,
            "/api/v1/disputes",
            json!({"type_code": "02", "title": "邻里纠纷", "description": "围墙界址争执",
                   "address": "枫桥镇陈家村 8 号", "lng": lng, "lat": lat,
                   "parties": [{"name": "张三丰", "id_number": bad_id, "phone": "12345"}]}),
        )
        .await;
        assert_eq!(s, 422, "{b}");
        let problems: Vec<(String, String)> = b["error"]["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["field"].as_str().unwrap().into(),
                    p["code"].as_str().unwrap().into(),
                )
            })
            .collect();
        assert_eq!(
            problems,
            [
                (
                    "parties[0].id_number".to_string(),
                    "citizen_id_check".to_string()
                ),
                ("parties[0].phone".to_string(), "phone".to_string())
            ]
        );
        assert_eq!(
            b["error"]["field"], "parties[0].id_number",
            "the first repeats as field: {b}"
        );

        // Page: two Chinese sentences beside their fields, the typed values kept, nothing stored.
        let r = village
            .post(format!("{}/disputes/new", app.url))
            .form(&[
                ("type_code", "02"),
                ("source", ""),
                ("incident_id", ""),
                ("title", "邻里纠纷"),
                ("description", "围墙界址争执"),
                ("address", "枫桥镇陈家村 8 号"),
                ("lng", &lng.to_string()),
                ("lat", &lat.to_string()),
                ("people_involved", "2"),
                ("amount_yuan", ""),
                ("grade", ""),
                ("grade_reason", ""),
                ("tier", "village"),
                ("p1_name", "张三丰"),
                ("p1_id_number", &bad_id),
                ("p1_phone", "12345"),
                ("p1_address", ""),
                ("p2_name", ""),
                ("p2_id_number", ""),
                ("p2_phone", ""),
                ("p2_address", ""),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let html = r.text().await.unwrap();
        let beside = |field: &str| message_beside(&html, field);
        assert_eq!(beside("p1_id_number"), "身份证号码校验位不对，请逐位核对");
        assert!(
            beside("p1_phone").starts_with("电话号码不正确"),
            "{}",
            beside("p1_phone")
        );
        assert!(
            html.contains(&format!("value=\"{bad_id}\"")),
            "typed values are kept"
        );
        assert!(!html.contains("parties[0]"), "no API paths on the page");
        let (_, list) = app.get_json(&village, "/api/v1/disputes").await;
        assert_eq!(list.as_array().unwrap().len(), 0, "{list}");
    }
);

both!(
    the_dispute_list_filters_by_tier_area_and_status,
    |app: TestApp| async move {
        let village = app.client_as("villagemediator").await;
        register(
            &app,
            &village,
            json!({"title": "村级纠纷甲", "tier": "village", "parties": []}),
        )
        .await;
        register(
            &app,
            &village,
            json!({"title": "网格纠纷乙", "tier": "grid", "parties": []}),
        )
        .await;
        let page = |q: &'static str| {
            let c = village.clone();
            let url = format!("{}/disputes{q}", app.url);
            async move {
                let r = c.get(url).send().await.unwrap();
                assert_eq!(r.status(), 200, "{q}");
                r.text().await.unwrap()
            }
        };
        let all = page("").await;
        assert!(all.contains("村级纠纷甲") && all.contains("网格纠纷乙"));
        let v = page("?tier=village").await;
        assert!(
            v.contains("村级纠纷甲") && !v.contains("网格纠纷乙"),
            "tier filter"
        );
        assert!(
            v.contains("<option value=\"village\" selected>"),
            "the chosen filter stays chosen"
        );
        let here = page("?area=330681109004").await;
        assert!(
            here.contains("村级纠纷甲") && here.contains("网格纠纷乙"),
            "area filter, inside"
        );
        let elsewhere = page("?area=330681109002").await;
        assert!(
            !elsewhere.contains("村级纠纷甲"),
            "area filter, another village"
        );
        let closed = page("?status=closed&days=7").await;
        assert!(
            !closed.contains("村级纠纷甲") && closed.contains(">全部<"),
            "status filter"
        );
    }
);

both!(
    a_mediator_reveals_one_partys_contact_for_a_stated_purpose,
    |app: TestApp| async move {
        let grid = app.client_as("gridworker").await;
        let d = register(&app, &grid, json!({})).await;
        let id = d["id"].as_str().unwrap();
        let party = detail(&app, &grid, id).await["parties"][0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let page = |c: reqwest::Client, q: &'static str| {
            let url = format!("{}/disputes/{id}/parties/{party}/contact{q}", app.url);
            async move {
                let r = c.get(url).send().await.unwrap();
                (r.status().as_u16(), r.text().await.unwrap())
            }
        };

        // The dispute page links each party's contact for those entitled to see it.
        let town = app.client_as("mediator").await;
        let r = town
            .get(format!("{}/disputes/{id}", app.url))
            .send()
            .await
            .unwrap();
        let html = r.text().await.unwrap();
        assert!(
            html.contains(&format!("/disputes/{id}/parties/{party}/contact")),
            "the dispute page links the contact"
        );

        // Without a purpose: the form, nothing revealed, nothing audited.
        let before = app.audit_head().await;
        let (s, html) = page(town.clone(), "").await;
        assert_eq!(s, 200);
        assert!(html.contains("id=\"contact-form\""), "asks the purpose");
        assert!(!html.contains("13812345678") && !html.contains("张三丰"));
        assert_eq!(app.audit_head().await, before, "asking reveals nothing");

        // With a purpose: the full contact, and one audited read naming the purpose.
        let (s, html) = page(
            town.clone(),
            "?purpose=%E9%80%9A%E7%9F%A5%E8%B0%83%E8%A7%A3%E6%97%B6%E9%97%B4",
        )
        .await;
        assert_eq!(s, 200, "{html}");
        assert!(html.contains("id=\"party-contact\""));
        assert!(html.contains("13812345678"), "the phone");
        assert!(html.contains("tel:13812345678"), "a phone link to call");
        assert!(html.contains("张三丰"), "the name");
        assert_eq!(app.audit_head().await, before + 1, "the read is audited");
        let (purpose,): (Option<String>,) = app
            .db
            .fetch_one(
                "SELECT purpose FROM audit_log WHERE seq = ?",
                vec![(before + 1).into()],
            )
            .await
            .unwrap();
        assert_eq!(purpose.as_deref(), Some("通知调解时间"));

        // A grid worker may not (the refusal is audited as denied); an unknown party is not found.
        let (s, html) = page(grid.clone(), "?purpose=%E6%9F%A5%E7%9C%8B").await;
        assert_eq!(s, 403);
        assert!(!html.contains("13812345678"));
        let (outcome,): (String,) = app
            .db
            .fetch_one(
                "SELECT outcome FROM audit_log ORDER BY seq DESC LIMIT 1",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(outcome, "denied");
        let head = app.audit_head().await;
        let url = format!("{}/disputes/{id}/parties/no-such-party/contact", app.url);
        assert_eq!(town.get(url).send().await.unwrap().status(), 404);
        assert_eq!(
            app.audit_head().await,
            head,
            "an unknown party reveals nothing"
        );
    }
);
