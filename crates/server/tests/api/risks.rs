//! 风险联排: a screening campaign over 枫桥镇 gives every grid the checklist; the grid worker answers
//! a 陈家社区 grid (a risk found is registered with its answer), cannot report the grid before every
//! item is answered, nor answer an item twice, nor reach a grid outside their scope; the campaign
//! shows each grid's completion and the rectifications still open. A rectification order is a
//! supervised task: overdue, it is carded by the task sweep; it is settled only by re-inspecting the
//! risk — not passed returns it, passed closes the risk and accepts it. Bad input stores nothing.

use super::*;
use helpers::*;
use serde_json::{Value, json};

const DAY_S: i64 = 86_400;

async fn one(app: &TestApp, sql: &str, arg: &str) -> String {
    let (v,): (String,) = app
        .db
        .fetch_one(sql, pingan_store::args![arg])
        .await
        .unwrap_or_else(|e| panic!("{sql} {arg}: {e}"));
    v
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let (n,): (i64,) = app.db.fetch_one(sql, pingan_store::args![]).await.unwrap();
    n
}

fn day(app: &TestApp, n: i64) -> String {
    app.state
        .today()
        .checked_add(jiff::Span::new().days(n))
        .unwrap()
        .to_string()
}

/// Every field an error names (one field, or each problem's).
fn fields(e: &Value) -> Vec<String> {
    let mut v: Vec<String> = e["error"]["problems"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .filter_map(|p| p["field"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    if let Some(f) = e["error"]["field"].as_str() {
        v.push(f.to_string());
    }
    v
}

async fn risk(app: &TestApp, c: &reqwest::Client, id: &str) -> Value {
    let (s, r) = app.get_json(c, &format!("/api/v1/risks/{id}")).await;
    assert_eq!(s, 200, "{r}");
    r
}

both!(
    a_screening_campaign_shows_completion_per_grid_and_open_rectifications,
    |app: TestApp| async move {
        let doc = openapi(&app).await;
        let coordinator = app.client_as("coordinator").await;
        let worker = app.client_as("gridworker").await;
        let grid = one(
            &app,
            "SELECT code FROM grids WHERE area_path LIKE ? ORDER BY code DESC LIMIT 1",
            "/330681/330681109/330681109004/%",
        )
        .await;
        let elsewhere = one(
            &app,
            "SELECT code FROM grids WHERE area_path LIKE ? ORDER BY code LIMIT 1",
            "/330681/330681109/330681109002/%",
        )
        .await;
        let grids_in_town = count(
            &app,
            "SELECT COUNT(*) FROM grids WHERE area_path LIKE '/330681/330681109/%'",
        )
        .await;

        // A checklist item with an unknown category is refused, naming it; nothing is stored.
        let before = count(&app, "SELECT COUNT(*) FROM risk_campaigns").await;
        let bad = json!({"name": "冬季联排", "area_path": "/330681/330681109/",
            "starts_on": day(&app, 0), "ends_on": day(&app, 10),
            "checklist": [{"text": "消防通道畅通", "category": "fire"},
                          {"text": "宗教场所登记", "category": "religion"}]});
        let (s, e) = post(&app, &coordinator, "/api/v1/risk-campaigns", bad).await;
        assert_eq!(s, 422, "{e}");
        assert_documented(&doc, "post", "/api/v1/risk-campaigns", s, &e);
        assert!(
            fields(&e).contains(&"checklist[1].category".to_string()),
            "{e}"
        );
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM risk_campaigns").await,
            before
        );

        // The grid worker may not start one.
        let body = json!({"name": "冬季消防联排（测试）", "area_path": "/330681/330681109/",
            "starts_on": day(&app, 0), "ends_on": day(&app, 10),
            "checklist": [{"text": "消防通道畅通", "category": "fire"},
                          {"text": "灭火器在有效期内", "category": "fire"},
                          {"text": "夜间照明完好", "category": "public_security"}]});
        let (s, _) = post(&app, &worker, "/api/v1/risk-campaigns", body.clone()).await;
        assert_eq!(s, 403);
        let (s, c) = post(&app, &coordinator, "/api/v1/risk-campaigns", body).await;
        assert_eq!(s, 201, "{c}");
        assert_documented(&doc, "post", "/api/v1/risk-campaigns", s, &c);
        assert_eq!(c["grids"].as_i64(), Some(grids_in_town));
        let cid = c["id"].as_str().unwrap().to_string();
        let base = format!("/api/v1/risk-campaigns/{cid}/grids/{grid}");

        // Outside the worker's scope the grid does not exist for them.
        let (s, _) = app
            .get_json(
                &worker,
                &format!("/api/v1/risk-campaigns/{cid}/grids/{elsewhere}"),
            )
            .await;
        assert_eq!(s, 404);

        // Item 1: a risk found, registered with the answer.
        let (s, sheet) = post(
            &app,
            &worker,
            &format!("{base}/answers"),
            json!({"seq": 1, "result": "found",
                   "risk": {"title": "出租房安全出口堆放杂物", "category": "", "level": "high"}}),
        )
        .await;
        assert_eq!(s, 200, "{sheet}");
        assert_documented(
            &doc,
            "post",
            "/api/v1/risk-campaigns/{id}/grids/{grid_code}/answers",
            s,
            &sheet,
        );
        let rid = sheet["items"][0]["answer"]["risk_id"]
            .as_str()
            .expect("the finding is registered")
            .to_string();
        let r = risk(&app, &worker, &rid).await;
        assert_eq!(r["risk"]["category"], "fire", "the item's category: {r}");
        assert_eq!(r["risk"]["source"], "screening");
        assert_eq!(r["risk"]["campaign_id"].as_str(), Some(cid.as_str()));
        assert_eq!(r["risk"]["grid_code"].as_str(), Some(grid.as_str()));

        // Answered once only; "found" needs the risk; the grid is not done with an item open.
        let (s, e) = post(
            &app,
            &worker,
            &format!("{base}/answers"),
            json!({"seq": 1, "result": "fine"}),
        )
        .await;
        assert_eq!(s, 409, "{e}");
        let (s, e) = post(
            &app,
            &worker,
            &format!("{base}/answers"),
            json!({"seq": 2, "result": "found"}),
        )
        .await;
        assert_eq!(s, 422, "{e}");
        assert!(fields(&e).contains(&"risk.title".to_string()), "{e}");
        let (s, _) = post(
            &app,
            &worker,
            &format!("{base}/answers"),
            json!({"seq": 2, "result": "fine"}),
        )
        .await;
        assert_eq!(s, 200);
        let (s, e) = post(&app, &worker, &format!("{base}/report"), json!({})).await;
        assert_eq!(s, 422, "{e}");
        assert!(fields(&e).contains(&"checklist".to_string()), "{e}");
        let (s, _) = post(
            &app,
            &worker,
            &format!("{base}/answers"),
            json!({"seq": 3, "result": "not_applicable"}),
        )
        .await;
        assert_eq!(s, 200);
        let (s, sheet) = post(
            &app,
            &worker,
            &format!("{base}/report"),
            json!({"note": "已完成"}),
        )
        .await;
        assert_eq!(s, 200, "{sheet}");
        assert_eq!(sheet["grid"]["percent"], 100);
        let (s, _) = post(&app, &worker, &format!("{base}/report"), json!({})).await;
        assert_eq!(s, 409);

        // The campaign: this grid complete with one open risk; the others at 0 %.
        let (s, d) = app
            .get_json(&coordinator, &format!("/api/v1/risk-campaigns/{cid}"))
            .await;
        assert_eq!(s, 200, "{d}");
        assert_eq!(
            (
                d["campaign"]["done"].as_i64(),
                d["campaign"]["open_found"].as_i64()
            ),
            (Some(1), Some(1))
        );
        let grids = d["grids"].as_array().unwrap();
        assert_eq!(grids.len() as i64, grids_in_town);
        for g in grids {
            let expect = if g["grid_code"] == grid.as_str() {
                (100, 1)
            } else {
                (0, 0)
            };
            assert_eq!(
                (
                    g["percent"].as_i64().unwrap(),
                    g["open_found"].as_i64().unwrap()
                ),
                expect,
                "{g}"
            );
        }
        let (s, open) = app
            .get_json(
                &coordinator,
                &format!("/api/v1/risks?campaign={cid}&status=open"),
            )
            .await;
        assert_eq!(s, 200);
        assert_eq!(open.as_array().map(Vec::len), Some(1), "{open}");
    }
);

both!(
    an_overdue_rectification_is_carded_and_closed_by_reinspection,
    |app: TestApp| async move {
        let doc = openapi(&app).await;
        let coordinator = app.client_as("coordinator").await;
        let worker = app.client_as("gridworker").await;
        let village = one(
            &app,
            "SELECT org_id FROM users WHERE username = ?",
            "gridworker",
        )
        .await;
        let worker_id = one(
            &app,
            "SELECT id FROM users WHERE username = ?",
            "gridworker",
        )
        .await;
        let grid = one(
            &app,
            "SELECT code FROM grids WHERE area_path LIKE ? ORDER BY code LIMIT 1",
            "/330681/330681109/330681109004/%",
        )
        .await;

        // Bad input: an unknown category and a half point are named, nothing stored.
        let before = count(&app, "SELECT COUNT(*) FROM risks").await;
        let (s, e) = post(&app, &worker, "/api/v1/risks",
            json!({"title": "x", "category": "petitioners", "level": "low", "grid_code": grid, "lng": 120.3})).await;
        assert_eq!(s, 422, "{e}");
        assert_documented(&doc, "post", "/api/v1/risks", s, &e);
        let f = fields(&e);
        assert!(
            f.contains(&"category".to_string()) && f.contains(&"lng".to_string()),
            "{e}"
        );
        assert_eq!(count(&app, "SELECT COUNT(*) FROM risks").await, before);

        let (s, r) = post(&app, &worker, "/api/v1/risks",
            json!({"title": "河边护栏松动", "category": "traffic", "level": "general", "grid_code": grid})).await;
        assert_eq!(s, 201, "{r}");
        assert_documented(&doc, "post", "/api/v1/risks", s, &r);
        let id = r["id"].as_str().unwrap().to_string();

        // The grid worker may not order; the coordinator orders the village, the worker leading.
        let order = |updated_at: &Value| {
            json!({"requirement": "加固护栏并设置警示标志",
            "lead_org_id": village, "lead_user_id": worker_id, "due_on": day(&app, 2),
            "updated_at": updated_at})
        };
        let (s, _) = post(
            &app,
            &worker,
            &format!("/api/v1/risks/{id}/order"),
            order(&r["updated_at"]),
        )
        .await;
        assert_eq!(s, 403);
        let (s, r) = post(
            &app,
            &coordinator,
            &format!("/api/v1/risks/{id}/order"),
            order(&r["updated_at"]),
        )
        .await;
        assert_eq!(s, 200, "{r}");
        assert_documented(&doc, "post", "/api/v1/risks/{id}/order", s, &r);
        assert_eq!(r["status"], "rectifying");
        let task_id = r["order"]["task_id"].as_str().unwrap().to_string();
        // A second live order is refused; so is closing without re-inspection.
        let (s, _) = post(
            &app,
            &coordinator,
            &format!("/api/v1/risks/{id}/order"),
            order(&r["updated_at"]),
        )
        .await;
        assert_eq!(s, 409);
        let (s, _) = post(
            &app,
            &coordinator,
            &format!("/api/v1/risks/{id}/closure"),
            json!({"note": "x", "updated_at": r["updated_at"]}),
        )
        .await;
        assert_eq!(s, 409);

        // Three days on, the order is overdue: the task sweep cards it; the carded list shows it.
        app.state.clock.advance_seconds(3 * DAY_S);
        pingan_server::tasks::supervision::sweep(&app.state)
            .await
            .unwrap();
        let r = risk(&app, &coordinator, &id).await;
        assert_eq!(r["risk"]["order"]["card"], "yellow", "{r}");
        let (_, carded) = app
            .get_json(&coordinator, "/api/v1/risks?carded=true")
            .await;
        assert!(
            carded
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["id"] == id.as_str()),
            "{carded}"
        );

        // Re-inspection waits for the rectification to be reported done.
        let (s, _) = post(
            &app,
            &coordinator,
            &format!("/api/v1/risks/{id}/reinspection"),
            json!({"passed": true, "updated_at": r["risk"]["updated_at"]}),
        )
        .await;
        assert_eq!(s, 409);
        let submit = |t: &Value| json!({"note": "已加固", "updated_at": t["updated_at"]});
        let (_, t) = app
            .get_json(&worker, &format!("/api/v1/tasks/{task_id}"))
            .await;
        let (s, t2) = post(
            &app,
            &worker,
            &format!("/api/v1/tasks/{task_id}/submit"),
            submit(&t),
        )
        .await;
        assert_eq!(s, 200, "{t2}");
        // The task itself is not accepted from the task page: the risk's re-inspection settles it.
        let (s, _) = post(
            &app,
            &coordinator,
            &format!("/api/v1/tasks/{task_id}/accept"),
            json!({"updated_at": t2["updated_at"]}),
        )
        .await;
        assert_eq!(s, 409);

        // Not passed: a note is needed; then the order goes back to the lead.
        let r = risk(&app, &coordinator, &id).await;
        let (s, e) = post(
            &app,
            &coordinator,
            &format!("/api/v1/risks/{id}/reinspection"),
            json!({"passed": false, "updated_at": r["risk"]["updated_at"]}),
        )
        .await;
        assert_eq!(s, 422, "{e}");
        assert!(fields(&e).contains(&"note".to_string()), "{e}");
        let (s, r) = post(&app, &coordinator, &format!("/api/v1/risks/{id}/reinspection"),
            json!({"passed": false, "note": "警示标志未设置", "updated_at": r["risk"]["updated_at"]})).await;
        assert_eq!(s, 200, "{r}");
        assert_documented(&doc, "post", "/api/v1/risks/{id}/reinspection", s, &r);
        assert_eq!(
            (r["status"].as_str(), r["order"]["status"].as_str()),
            (Some("rectifying"), Some("open"))
        );

        // Done again, passed: the risk is closed and the order accepted.
        let (_, t) = app
            .get_json(&worker, &format!("/api/v1/tasks/{task_id}"))
            .await;
        let (s, _) = post(
            &app,
            &worker,
            &format!("/api/v1/tasks/{task_id}/submit"),
            submit(&t),
        )
        .await;
        assert_eq!(s, 200);
        let r = risk(&app, &coordinator, &id).await;
        let (s, r) = post(
            &app,
            &coordinator,
            &format!("/api/v1/risks/{id}/reinspection"),
            json!({"passed": true, "updated_at": r["risk"]["updated_at"]}),
        )
        .await;
        assert_eq!(s, 200, "{r}");
        assert_eq!(
            (r["status"].as_str(), r["order"]["status"].as_str()),
            (Some("closed"), Some("accepted"))
        );
        let d = risk(&app, &worker, &id).await;
        let kinds: Vec<&str> = d["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["kind"].as_str())
            .collect();
        assert_eq!(
            kinds,
            [
                "registered",
                "ordered",
                "reinspected_failed",
                "reinspected_passed"
            ]
        );
    }
);
