//! Public alerts (CAP 1.2): composed over grids, approved by someone else, published as a document
//! anyone can fetch and the Atom feed lists; an update and a cancel reference the original as CAP
//! says; an imported document is checked against CAP 1.2, and a refused one names the element and
//! stores nothing.

use super::*;
use helpers::*;
use pingan_domain::cap;
use serde_json::{Value, json};

async fn text(url: &str) -> (u16, String, String) {
    let r = client().get(url).send().await.unwrap();
    let s = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (s, ct, r.text().await.unwrap())
}

both!(
    an_alert_is_approved_published_updated_and_cancelled_as_cap,
    |app: TestApp| async move {
        let doc = openapi(&app).await;
        let officer = app.client_as("officer").await;
        let chief = app.client_as("chief").await;
        let grids: Vec<(String,)> = app
            .db
            .fetch_all(
                "SELECT code FROM grids WHERE area_path LIKE ? ORDER BY code LIMIT 2",
                pingan_store::args!["/330681/330681109/%"],
            )
            .await
            .unwrap();
        let grids: Vec<String> = grids.into_iter().map(|g| g.0).collect();
        assert_eq!(grids.len(), 2);

        // Problems are named by field; nothing is kept.
        let (s, e) = post(
            &app,
            &officer,
            "/api/v1/public-alerts",
            json!({"categories": ["Crime"],
            "event": "x", "urgency": "Soon", "severity": "Minor", "certainty": "Likely",
            "headline": "h", "description": "d", "grid_codes": ["330681999999999"]}),
        )
        .await;
        assert_eq!(s, 422, "{e}");
        assert_documented(&doc, "post", "/api/v1/public-alerts", s, &e);
        let text_of = e["error"].to_string();
        for f in ["categories[0]", "urgency", "grid_codes[0]"] {
            assert!(text_of.contains(f), "{f}: {e}");
        }
        assert_eq!(app.count("public_alerts").await, 0);

        let entered = json!({"categories": ["Security", "Safety"], "event": "冒充客服退款诈骗",
            "urgency": "Expected", "severity": "Moderate", "certainty": "Observed",
            "response_types": ["Avoid"], "audience": "枫桥镇居民 & 店主",
            "headline": "警惕<退款>诈骗", "description": "不下载陌生会议软件。",
            "instruction": "拨打 96110", "grid_codes": grids});
        let (s, a) = post(&app, &officer, "/api/v1/public-alerts", entered.clone()).await;
        assert_eq!(s, 201, "{a}");
        assert_documented(&doc, "post", "/api/v1/public-alerts", s, &a);
        assert_eq!(a["state"], "pending");
        assert!(a["document_url"].is_null());
        let id = a["id"].as_str().unwrap().to_string();
        assert_eq!(a["shapes"]["polygons"].as_array().unwrap().len(), 2, "{a}");

        // The composer may not approve; the officer's role may not either; the chief may.
        let decision = format!("/api/v1/public-alerts/{id}/decision");
        let (s, _) = post(&app, &officer, &decision, json!({"approve": true})).await;
        assert_eq!(s, 403);
        let (s, e) = post(&app, &chief, &decision, json!({"approve": false})).await;
        assert_eq!(s, 422, "a rejection needs a note: {e}");
        let (s, p) = post(&app, &chief, &decision, json!({"approve": true})).await;
        assert_eq!(s, 200, "{p}");
        assert_documented(&doc, "post", "/api/v1/public-alerts/{id}/decision", s, &p);
        assert_eq!(p["state"], "published");
        let (s, _) = post(&app, &chief, &decision, json!({"approve": true})).await;
        assert_eq!(s, 409, "decided once");

        // Anyone fetches the document; it reads back as entered.
        let url = p["document_url"].as_str().unwrap();
        let (s, ct, xml) = text(&format!("{}{url}", app.url)).await;
        assert_eq!(s, 200);
        assert!(ct.starts_with("application/cap+xml"), "{ct}");
        let alert = cap::parse(&xml).unwrap();
        assert_eq!(alert.identifier, p["identifier"]);
        assert_eq!(alert.sent, p["sent"]);
        assert_eq!(alert.msg_type, cap::MsgType::Alert);
        let info = &alert.infos[0];
        assert_eq!(
            info.categories,
            [cap::Category::Security, cap::Category::Safety]
        );
        assert_eq!(info.event, "冒充客服退款诈骗");
        assert_eq!(info.headline.as_deref(), Some("警惕<退款>诈骗"));
        assert_eq!(info.audience.as_deref(), Some("枫桥镇居民 & 店主"));
        assert_eq!(info.urgency, Some(cap::Urgency::Expected));
        assert_eq!(info.response_types, [cap::ResponseType::Avoid]);
        assert_eq!(info.areas[0].polygons.len(), 2);
        assert!(xml.contains("&lt;退款&gt;") && xml.contains("&amp; 店主"));

        // An update keeps what it does not change and references the original.
        let (s, u) = post(
            &app,
            &officer,
            "/api/v1/public-alerts",
            json!({"msg_type": "Update",
            "references_id": id, "headline": "警惕退款诈骗（更新）"}),
        )
        .await;
        assert_eq!(s, 201, "{u}");
        let (s, u) = post(
            &app,
            &chief,
            &format!(
                "/api/v1/public-alerts/{}/decision",
                u["id"].as_str().unwrap()
            ),
            json!({"approve": true, "note": "更新标题"}),
        )
        .await;
        assert_eq!(s, 200, "{u}");
        let (_, _, uxml) = text(&format!(
            "{}{}",
            app.url,
            u["document_url"].as_str().unwrap()
        ))
        .await;
        let update = cap::parse(&uxml).unwrap();
        assert_eq!(update.msg_type, cap::MsgType::Update);
        assert_eq!(
            update.references,
            [cap::Reference {
                sender: alert.sender.clone(),
                identifier: alert.identifier.clone(),
                sent: alert.sent.clone()
            }]
        );
        assert_eq!(update.infos[0].event, "冒充客服退款诈骗");
        assert_eq!(
            update.infos[0].headline.as_deref(),
            Some("警惕退款诈骗（更新）")
        );
        assert_eq!(update.note, None, "the approver's note stays inside");
        assert_eq!(u["decision_note"], "更新标题");
        let (_, orig) = app
            .get_json(&officer, &format!("/api/v1/public-alerts/{id}"))
            .await;
        assert_eq!(orig["alert"]["superseded_by"], u["id"]);
        // The original, now replaced, cannot be updated again.
        let (s, e) = post(
            &app,
            &officer,
            "/api/v1/public-alerts",
            json!({"msg_type": "Cancel", "references_id": id}),
        )
        .await;
        assert_eq!(s, 422, "{e}");
        assert!(e["error"].to_string().contains("references_id"));
        let (s, c) = post(
            &app,
            &officer,
            "/api/v1/public-alerts",
            json!({"msg_type": "Cancel",
            "references_id": u["id"]}),
        )
        .await;
        assert_eq!(s, 201, "{c}");
        let (s, c) = post(
            &app,
            &chief,
            &format!(
                "/api/v1/public-alerts/{}/decision",
                c["id"].as_str().unwrap()
            ),
            json!({"approve": true}),
        )
        .await;
        assert_eq!(s, 200, "{c}");
        let (_, _, cxml) = text(&format!(
            "{}{}",
            app.url,
            c["document_url"].as_str().unwrap()
        ))
        .await;
        let cancel = cap::parse(&cxml).unwrap();
        assert_eq!(cancel.msg_type, cap::MsgType::Cancel);
        assert_eq!(cancel.references[0].identifier, update.identifier);
        assert_eq!(cancel.references[0].sent, update.sent);

        // The feed lists the three, newest first, each document inline.
        let (s, ct, feed) = text(&format!("{}/cap/alerts.atom", app.url)).await;
        assert_eq!(s, 200);
        assert!(ct.starts_with("application/atom+xml"), "{ct}");
        assert_eq!(feed.matches("<entry>").count(), 3, "{feed}");
        let entry = |v: &Value| {
            feed.find(&format!("<id>urn:uuid:{}</id>", v["id"].as_str().unwrap()))
                .unwrap()
        };
        assert!(
            entry(&c) < entry(&u) && entry(&u) < entry(&p),
            "newest first: {feed}"
        );
        assert!(feed.contains(&format!("<identifier>{}</identifier>", alert.identifier)));
        let (s, _, _) = text(&format!("{}/cap/alerts/nope.xml", app.url)).await;
        assert_eq!(s, 404);
    }
);

both!(
    a_received_cap_document_is_checked_and_a_bad_one_names_its_element,
    |app: TestApp| async move {
        let doc = openapi(&app).await;
        let officer = app.client_as("officer").await;
        let gridworker = app.client_as("gridworker").await;
        let good = r#"<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>QX-2026-001</identifier>
  <sender>qx@zhuji.example</sender>
  <sent>2026-12-01T08:00:00+08:00</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <category>Met</category>
    <event>暴雨蓝色预警</event>
    <urgency>Expected</urgency>
    <severity>Moderate</severity>
    <certainty>Likely</certainty>
    <headline>暴雨蓝色预警</headline>
    <area>
      <areaDesc>枫桥江沿线</areaDesc>
      <polygon>29.70,120.25 29.70,120.30 29.73,120.30 29.70,120.25</polygon>
      <circle>29.718,120.270 3</circle>
    </area>
  </info>
</alert>"#;
        let bad = good.replace("<urgency>Expected</urgency>", "<urgency>Soon</urgency>");
        let (s, e) = post(
            &app,
            &officer,
            "/api/v1/public-alerts/imports",
            json!({"document": bad, "source": "qx.xml"}),
        )
        .await;
        assert_eq!(s, 422, "{e}");
        assert_documented(&doc, "post", "/api/v1/public-alerts/imports", s, &e);
        let problem = &e["error"]["problems"][0];
        assert_eq!(problem["field"], "document", "{e}");
        assert_eq!(problem["code"], "cap_bad_value");
        assert_eq!(problem["params"]["element"], "alert/info[1]/urgency");
        assert_eq!(problem["params"]["line"], "12");
        let missing = good.replace("  <sender>qx@zhuji.example</sender>\n", "");
        let (s, e) = post(
            &app,
            &officer,
            "/api/v1/public-alerts/imports",
            json!({"document": missing}),
        )
        .await;
        assert_eq!(s, 422);
        assert_eq!(
            e["error"]["problems"][0]["params"]["element"], "alert/sender",
            "{e}"
        );
        let (s, e) = post(
            &app,
            &officer,
            "/api/v1/public-alerts/imports",
            json!({"document": "<alert"}),
        )
        .await;
        assert_eq!(s, 422);
        assert_eq!(e["error"]["problems"][0]["code"], "cap_not_xml", "{e}");
        assert_eq!(app.count("public_alerts").await, 0, "nothing stored");

        let (s, _) = post(
            &app,
            &gridworker,
            "/api/v1/public-alerts/imports",
            json!({"document": good}),
        )
        .await;
        assert_eq!(s, 403);
        let (s, a) = post(
            &app,
            &officer,
            "/api/v1/public-alerts/imports",
            json!({"document": good, "source": "qx.xml"}),
        )
        .await;
        assert_eq!(s, 201, "{a}");
        assert_documented(&doc, "post", "/api/v1/public-alerts/imports", s, &a);
        assert_eq!(a["state"], "received");
        assert_eq!(a["shapes"]["circles"][0], json!([29.718, 120.27, 3.0]));
        assert_eq!(a["shapes"]["polygons"][0].as_array().unwrap().len(), 4);
        let (s, _) = post(
            &app,
            &officer,
            "/api/v1/public-alerts/imports",
            json!({"document": good}),
        )
        .await;
        assert_eq!(s, 409, "received once");

        // Their cancel supersedes the alert we received.
        let cancel = good
            .replace("<identifier>QX-2026-001", "<identifier>QX-2026-002")
            .replace("<msgType>Alert</msgType>", "<msgType>Cancel</msgType>")
            .replace(
                "<scope>Public</scope>",
                "<scope>Public</scope>\n  <references>qx@zhuji.example,QX-2026-001,2026-12-01T08:00:00+08:00</references>",
            );
        let (s, c) = post(
            &app,
            &officer,
            "/api/v1/public-alerts/imports",
            json!({"document": cancel}),
        )
        .await;
        assert_eq!(s, 201, "{c}");
        let (s, got) = app
            .get_json(
                &gridworker,
                &format!("/api/v1/public-alerts/{}", a["id"].as_str().unwrap()),
            )
            .await;
        assert_eq!(s, 200);
        assert_eq!(got["alert"]["superseded_by"], c["id"]);
        assert!(got["document"].as_str().unwrap().contains("QX-2026-001"));
        let (s, list) = app
            .get_json(&gridworker, "/api/v1/public-alerts?state=received")
            .await;
        assert_eq!(s, 200);
        assert_eq!(list.as_array().unwrap().len(), 2);
        let (s, e) = app
            .get_json(&gridworker, "/api/v1/public-alerts?state=other")
            .await;
        assert_eq!(s, 422, "{e}");
        assert!(e["error"].to_string().contains("state"), "{e}");
    }
);

fn agency_alert(identifier: &str, urgency: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{identifier}</identifier>
  <sender>qx@zhuji.example</sender>
  <sent>2026-12-01T08:00:00+08:00</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <category>Met</category>
    <event>大风蓝色预警</event>
    <urgency>{urgency}</urgency>
    <severity>Minor</severity>
    <certainty>Likely</certainty>
    <area><areaDesc>全市</areaDesc><circle>29.7,120.3 10</circle></area>
  </info>
</alert>"#
    )
}

/// Serves another agency's Atom feed on a loopback port: one entry linking its document, one with
/// the document inline, one linking a document that breaks CAP 1.2 (an urgency CAP does not know).
fn agency_feed() -> String {
    use axum::routing::get;
    let inline = agency_alert("QX-FEED-2", "Future");
    let inline = inline.split_once("?>").unwrap().1.to_string();
    let feed = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><id>urn:qx</id><title>气象预警</title><updated>2026-12-01T08:00:00+08:00</updated>
<entry><id>urn:qx:1</id><title>1</title><updated>2026-12-01T08:00:00+08:00</updated><link rel="alternate" type="application/cap+xml" href="/cap/1.xml"/></entry>
<entry><id>urn:qx:2</id><title>2</title><updated>2026-12-01T08:00:00+08:00</updated><content type="application/cap+xml">{inline}</content></entry>
<entry><id>urn:qx:3</id><title>3</title><updated>2026-12-01T08:00:00+08:00</updated><link rel="alternate" type="application/cap+xml" href="cap/3.xml"/></entry>
</feed>"#
    );
    let app = axum::Router::new()
        .route("/feed.atom", get(move || async move { feed }))
        .route(
            "/cap/1.xml",
            get(|| async { agency_alert("QX-FEED-1", "Expected") }),
        )
        .route(
            "/cap/3.xml",
            get(|| async { agency_alert("QX-FEED-3", "Soonish") }),
        );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let l = tokio::net::TcpListener::from_std(listener).unwrap();
        axum::serve(l, app).await.unwrap();
    });
    format!("http://{addr}/feed.atom")
}

both_tuned!(
    an_agency_feed_is_read_once_and_its_refusals_are_kept,
    |c: &mut pingan_server::config::Config| {
        c.public_alerts.feeds = vec![agency_feed()];
    },
    |app: TestApp| async move {
        let officer = app.client_as("officer").await;
        let gridworker = app.client_as("gridworker").await;
        let kept = pingan_server::public_alerts::feeds::poll(&app.state)
            .await
            .unwrap();
        assert_eq!(kept, 2, "the linked and the inline alert");
        let (s, feeds) = app.get_json(&officer, "/api/v1/public-alert-feeds").await;
        assert_eq!(s, 200, "{feeds}");
        assert_eq!(feeds[0]["received"], 2);
        let error = feeds[0]["last_error"].as_str().unwrap();
        assert!(
            error.contains("cap/3.xml") && error.contains("alert/info[1]/urgency"),
            "{error}"
        );
        assert!(
            feeds[0]["ok_at"].is_null(),
            "a refusal means the feed was not read whole"
        );
        let (s, _) = app
            .get_json(&gridworker, "/api/v1/public-alert-feeds")
            .await;
        assert_eq!(s, 403);
        // Read again: nothing new, nothing twice.
        let kept = pingan_server::public_alerts::feeds::poll(&app.state)
            .await
            .unwrap();
        assert_eq!(kept, 0);
        let (_, list) = app
            .get_json(&gridworker, "/api/v1/public-alerts?state=received")
            .await;
        let mut ids: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["identifier"].as_str().unwrap())
            .collect();
        ids.sort();
        assert_eq!(ids, ["QX-FEED-1", "QX-FEED-2"]);
        let (n,): (i64,) = app
            .db
            .fetch_one(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'public_alert.receive'",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(n, 2);
    }
);
