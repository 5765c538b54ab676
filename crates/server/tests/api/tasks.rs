//! 联席会议 and 交办/督办: a meeting's decision assigns two tasks at once (all or none); the
//! supervision sweep cards an overdue task 普通 → 黄牌 → 红牌 as injected time passes, once each,
//! telling the lead and the lead's superior; an approved extension moves the deadline and clears the
//! card, a refused one changes nothing; completion is accepted by the assigner; who may see and report
//! on a task.

use super::*;
use helpers::*;
use serde_json::{Value, json};

const DAY_S: i64 = 86_400;

async fn id_of(app: &TestApp, sql: &str, arg: &str) -> String {
    let (id,): (String,) = app
        .db
        .fetch_one(sql, pingan_store::args![arg])
        .await
        .unwrap_or_else(|e| panic!("{sql} {arg}: {e}"));
    id
}

fn day(app: &TestApp, n: i64) -> String {
    app.state
        .today()
        .checked_add(jiff::Span::new().days(n))
        .unwrap()
        .to_string()
}

/// Notifications of `kind` about `task` per recipient username.
async fn told(app: &TestApp, kind: &str, task: &str) -> Vec<String> {
    let rows: Vec<(String,)> = app
        .db
        .fetch_all(
            "SELECT u.username FROM notifications n JOIN users u ON u.id = n.user_id \
             WHERE n.kind = ? AND n.object_id = ? ORDER BY u.username",
            pingan_store::args![kind, task],
        )
        .await
        .unwrap();
    rows.into_iter().map(|r| r.0).collect()
}

async fn task(app: &TestApp, c: &reqwest::Client, id: &str) -> Value {
    let (s, t) = app.get_json(c, &format!("/api/v1/tasks/{id}")).await;
    assert_eq!(s, 200, "{t}");
    t
}

async fn sweep(app: &TestApp) -> usize {
    pingan_server::tasks::supervision::sweep(&app.state)
        .await
        .expect("the sweep runs")
}

both!(
    supervision_cards_overdue_tasks_and_extensions_clear_them,
    |app: TestApp| async move {
        let doc = openapi(&app).await;
        let chief = app.client_as("chief").await;
        let officer = app.client_as("officer").await;
        let station = id_of(&app, "SELECT id FROM orgs WHERE name = ?", "枫桥派出所").await;
        let officer_id = id_of(&app, "SELECT id FROM users WHERE username = ?", "officer").await;

        // The chief assigns the officer a task due in two days.
        let (s, t) = post(
            &app,
            &chief,
            "/api/v1/tasks",
            json!({"title": "核查老街监控盲区", "lead_org_id": station, "lead_user_id": officer_id,
                   "due_on": day(&app, 2)}),
        )
        .await;
        assert_eq!(s, 201, "{t}");
        assert_documented(&doc, "post", "/api/v1/tasks", s, &t);
        assert_eq!(
            (t["card"].as_str(), t["status"].as_str()),
            (Some("normal"), Some("open"))
        );
        let id = t["id"].as_str().unwrap().to_string();
        assert_eq!(told(&app, "task.assigned", &id).await, vec!["officer"]);
        assert_eq!(sweep(&app).await, 0, "nothing is due yet");

        // The deadline day passes: the first day overdue, yellow; the lead and the chief (the
        // lead's superior in the station) are told, once.
        app.state.clock.advance_seconds(3 * DAY_S);
        assert_eq!(sweep(&app).await, 1);
        assert_eq!(sweep(&app).await, 0, "a second sweep cards nothing again");
        let t = task(&app, &officer, &id).await;
        assert_documented(&doc, "get", "/api/v1/tasks/{id}", 200, &t);
        assert_eq!(t["card"], "yellow", "{t}");
        assert_eq!(t["card_reasons"], json!([{"reason": "overdue", "days": 1}]));
        assert_eq!(
            told(&app, "task.carded", &id).await,
            vec!["chief", "officer"]
        );

        // Two more days: the third day overdue, red; told again.
        app.state.clock.advance_seconds(2 * DAY_S);
        assert_eq!(sweep(&app).await, 1);
        let t = task(&app, &officer, &id).await;
        assert_eq!(t["card"], "red", "{t}");
        assert_eq!(told(&app, "task.carded", &id).await.len(), 4);
        let kinds: Vec<&str> = t["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, vec!["assigned", "carded", "carded"]);

        // Progress does not clear an overdue card; the stale version is refused.
        let (s, p) = post(
            &app,
            &officer,
            &format!("/api/v1/tasks/{id}/progress"),
            json!({"note": "已排查 3 个路口", "percent": 40, "updated_at": t["updated_at"]}),
        )
        .await;
        assert_eq!(
            (s, p["card"].as_str(), p["progress"].as_i64()),
            (200, Some("red"), Some(40)),
            "{p}"
        );
        let (s, e) = post(
            &app,
            &officer,
            &format!("/api/v1/tasks/{id}/progress"),
            json!({"note": "again", "percent": 50, "updated_at": t["updated_at"]}),
        )
        .await;
        assert_eq!(s, 409, "{e}");

        // The officer asks for ten more days; asking again while one waits is refused.
        let (s, x) = post(
            &app,
            &officer,
            &format!("/api/v1/tasks/{id}/extensions"),
            json!({"due_on": day(&app, 10), "reason": "等待镇里提供点位图", "updated_at": p["updated_at"]}),
        )
        .await;
        assert_eq!(s, 201, "{x}");
        let (s, e) = post(
            &app,
            &officer,
            &format!("/api/v1/tasks/{id}/extensions"),
            json!({"due_on": day(&app, 12), "reason": "again", "updated_at": x["updated_at"]}),
        )
        .await;
        assert_eq!(s, 409, "{e}");
        assert_eq!(
            told(&app, "task.extension_requested", &id).await,
            vec!["chief"]
        );
        let t = task(&app, &chief, &id).await;
        let ext = t["extensions"][0]["id"].as_str().unwrap().to_string();
        assert_eq!(t["can"]["decide_extension"], true, "{t}");

        // The chief approves: the deadline moves and the card clears.
        let (s, a) = post(
            &app,
            &chief,
            &format!("/api/v1/tasks/{id}/extensions/{ext}/approve"),
            json!({}),
        )
        .await;
        assert_eq!(s, 200, "{a}");
        assert_documented(
            &doc,
            "post",
            "/api/v1/tasks/{id}/extensions/{ext_id}/approve",
            s,
            &a,
        );
        assert_eq!(
            (
                a["card"].as_str(),
                a["due_on"].as_str(),
                a["card_reasons"].clone()
            ),
            (Some("normal"), Some(day(&app, 10).as_str()), json!([]))
        );
        assert_eq!(sweep(&app).await, 0, "the new deadline is not reached");
        let (s, e) = post(
            &app,
            &chief,
            &format!("/api/v1/tasks/{id}/extensions/{ext}/refuse"),
            json!({"note": "late"}),
        )
        .await;
        assert_eq!(s, 409, "decided already: {e}");

        // Past the new deadline it is carded again; a refused extension changes nothing.
        app.state.clock.advance_seconds(11 * DAY_S);
        assert_eq!(sweep(&app).await, 1);
        let t = task(&app, &officer, &id).await;
        assert_eq!(t["card"], "yellow", "{t}");
        let (s, x) = post(
            &app,
            &officer,
            &format!("/api/v1/tasks/{id}/extensions"),
            json!({"due_on": day(&app, 30), "reason": "还需补点", "updated_at": t["updated_at"]}),
        )
        .await;
        assert_eq!(s, 201, "{x}");
        let t = task(&app, &chief, &id).await;
        let ext = t["extensions"][1]["id"].as_str().unwrap().to_string();
        let (s, e) = post(
            &app,
            &chief,
            &format!("/api/v1/tasks/{id}/extensions/{ext}/refuse"),
            json!({}),
        )
        .await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (422, Some("note")),
            "a refusal says why: {e}"
        );
        let (s, r) = post(
            &app,
            &chief,
            &format!("/api/v1/tasks/{id}/extensions/{ext}/refuse"),
            json!({"note": "点位图已提供，请按期完成"}),
        )
        .await;
        assert_eq!(s, 200, "{r}");
        assert_eq!(
            (r["card"].as_str(), r["due_on"].as_str()),
            (Some("yellow"), Some(day(&app, -1).as_str())),
            "a refused extension moves nothing: {r}"
        );
        assert_eq!(
            told(&app, "task.extension_refused", &id).await,
            vec!["officer"]
        );

        // Completion with evidence, accepted by the chief: no longer carded.
        let (s, d) = post(
            &app,
            &officer,
            &format!("/api/v1/tasks/{id}/submit"),
            json!({"note": "补点建议已报镇里", "updated_at": r["updated_at"],
                   "evidence": [{"name": "补点建议", "sm3": "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0", "reference": "枫派〔2026〕12号"}]}),
        )
        .await;
        assert_eq!(
            (s, d["status"].as_str(), d["card"].as_str()),
            (200, Some("submitted"), Some("normal")),
            "{d}"
        );
        let (s, e) = post(
            &app,
            &officer,
            &format!("/api/v1/tasks/{id}/accept"),
            json!({"updated_at": d["updated_at"]}),
        )
        .await;
        assert_eq!(s, 403, "the lead does not accept their own work: {e}");

        // Returned, the overdue task is open again: the step itself does not raise its card (it
        // stays as the submission left it); the next sweep does, and says so.
        let carded_before = told(&app, "task.carded", &id).await.len();
        let (s, back) = post(
            &app,
            &chief,
            &format!("/api/v1/tasks/{id}/return"),
            json!({"note": "缺少补点位置图", "updated_at": d["updated_at"]}),
        )
        .await;
        assert_eq!(
            (s, back["status"].as_str(), back["card"].as_str()),
            (200, Some("open"), Some("normal")),
            "{back}"
        );
        assert_eq!(sweep(&app).await, 1);
        assert_eq!(
            told(&app, "task.carded", &id).await.len(),
            carded_before + 2
        );
        let t = task(&app, &officer, &id).await;
        assert_eq!(t["card"], "yellow", "{t}");
        // Submitted again; a time request left waiting cannot move the deadline of a submitted task.
        let (s, x) = post(
            &app,
            &officer,
            &format!("/api/v1/tasks/{id}/extensions"),
            json!({"due_on": day(&app, 20), "reason": "再补一份材料", "updated_at": t["updated_at"]}),
        )
        .await;
        assert_eq!(s, 201, "{x}");
        let (s, d) = post(
            &app,
            &officer,
            &format!("/api/v1/tasks/{id}/submit"),
            json!({"note": "已补充位置图", "updated_at": x["updated_at"]}),
        )
        .await;
        assert_eq!(s, 200, "{d}");
        let t = task(&app, &chief, &id).await;
        let ext = t["extensions"][2]["id"].as_str().unwrap().to_string();
        assert_eq!(t["can"]["decide_extension"], false, "{t}");
        let (s, e) = post(
            &app,
            &chief,
            &format!("/api/v1/tasks/{id}/extensions/{ext}/approve"),
            json!({}),
        )
        .await;
        assert_eq!(s, 409, "{e}");
        let (s, a) = post(
            &app,
            &chief,
            &format!("/api/v1/tasks/{id}/accept"),
            json!({"updated_at": d["updated_at"]}),
        )
        .await;
        assert_eq!((s, a["status"].as_str()), (200, Some("accepted")), "{a}");
        assert_eq!(told(&app, "task.accepted", &id).await, vec!["officer"]);

        // Figures for the scorecards: one assigned, accepted, not on time.
        let (s, f) = app
            .get_json(
                &chief,
                &format!(
                    "/api/v1/task-figures?from={}&to={}",
                    day(&app, -30),
                    day(&app, 0)
                ),
            )
            .await;
        assert_eq!(s, 200, "{f}");
        assert_eq!(
            (
                f["assigned"].as_i64(),
                f["accepted"].as_i64(),
                f["accepted_on_time"].as_i64()
            ),
            (Some(1), Some(1), Some(0)),
            "{f}"
        );
    }
);

both!(
    a_decision_assigns_its_tasks_all_or_none,
    |app: TestApp| async move {
        let doc = openapi(&app).await;
        let coordinator = app.client_as("coordinator").await;
        let org = |name: &'static str| {
            let app = &app;
            async move { id_of(app, "SELECT id FROM orgs WHERE name = ?", name).await }
        };
        let (station, town, village) = (
            org("枫桥派出所").await,
            org("枫桥镇人民政府").await,
            org("陈家社区居委会").await,
        );
        let zongzhi = id_of(
            &app,
            "SELECT org_id FROM users WHERE username = ?",
            "coordinator",
        )
        .await;
        let chief = id_of(&app, "SELECT id FROM users WHERE username = ?", "chief").await;
        let gridworker = id_of(
            &app,
            "SELECT id FROM users WHERE username = ?",
            "gridworker",
        )
        .await;
        let held = format!("{}T09:00:00+08:00", day(&app, -10));
        let (s, m) = post(
            &app,
            &coordinator,
            "/api/v1/meetings",
            json!({"title": "枫桥镇平安建设联席会议", "org_id": zongzhi, "held_at": held,
                   "place": "综治中心", "org_ids": [station, town, village],
                   "agenda": [{"title": "老街夜市治安"}], "minutes": "研究夜市治安。"}),
        )
        .await;
        assert_eq!(s, 201, "{m}");
        assert_documented(&doc, "post", "/api/v1/meetings", s, &m);
        let mid = m["id"].as_str().unwrap().to_string();
        let path = format!("/api/v1/meetings/{mid}/decisions");

        // Minutes against the meeting as read; a version from nowhere (the largest number) is stale.
        let put = |version: i64| {
            coordinator
                .put(format!("{}/api/v1/meetings/{mid}/minutes", app.url))
                .json(&json!({"minutes": "研究夜市治安，明确分工。", "updated_at": version}))
                .send()
        };
        assert_eq!(put(i64::MAX).await.unwrap().status().as_u16(), 409);
        let r = put(m["updated_at"].as_i64().unwrap()).await.unwrap();
        assert_eq!(r.status().as_u16(), 200);

        // One bad task (its lead is not of the lead organisation) refuses the whole decision.
        let tables = ["meeting_decisions", "tasks", "task_events", "notifications"];
        let mut before = Vec::new();
        for t in tables {
            before.push(app.count(t).await);
        }
        let head = app.audit_head().await;
        let good = json!({"title": "夜市治安整治", "lead_org_id": station, "lead_user_id": chief,
                          "co_org_ids": [village], "due_on": day(&app, -5)});
        let (s, e) = post(
            &app,
            &coordinator,
            &path,
            json!({"text": "派出所牵头整治夜市", "agreed_by": [station, town],
                   "tasks": [good, {"title": "走访商户", "lead_org_id": village, "lead_user_id": chief,
                                    "due_on": day(&app, 10)}]}),
        )
        .await;
        assert_eq!(s, 422, "{e}");
        assert_eq!(
            e["error"]["problems"][0]["field"], "tasks[1].lead_user_id",
            "{e}"
        );
        for (t, n) in tables.iter().zip(before) {
            assert_eq!(app.count(t).await, n, "{t} after a refusal");
        }
        assert_eq!(app.audit_head().await, head, "a refusal writes nothing");

        // Both tasks good: recorded together; the one already past its deadline is carded at once.
        let (s, d) = post(
            &app,
            &coordinator,
            &path,
            json!({"text": "派出所牵头整治夜市", "agreed_by": [station, town],
                   "tasks": [good, {"title": "走访商户", "lead_org_id": village,
                                    "lead_user_id": gridworker, "due_on": day(&app, 10)}]}),
        )
        .await;
        assert_eq!(s, 201, "{d}");
        assert_documented(&doc, "post", "/api/v1/meetings/{id}/decisions", s, &d);
        let cards: Vec<&str> = d["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["card"].as_str().unwrap())
            .collect();
        assert_eq!(cards, vec!["red", "normal"], "{d}");
        let red = d["tasks"][0]["id"].as_str().unwrap();
        assert_eq!(d["tasks"][0]["assigned_at"].as_i64(), {
            let t =
                pingan_domain::time::day_start(day(&app, -10).parse().unwrap()) + 9 * 3_600_000_000;
            Some(t)
        });
        // The chief leads it; the station has no other leader, so the bureau's leader is told.
        assert_eq!(
            told(&app, "task.carded", red).await,
            vec!["chief", "leader"]
        );

        let (s, full) = app
            .get_json(&coordinator, &format!("/api/v1/meetings/{mid}"))
            .await;
        assert_eq!(s, 200, "{full}");
        assert_documented(&doc, "get", "/api/v1/meetings/{id}", s, &full);
        assert_eq!(full["decisions"][0]["tasks"].as_array().unwrap().len(), 2);
        assert_eq!(
            full["decisions"][0]["agreed_by"].as_array().unwrap().len(),
            2
        );

        // Agreement only by the meeting's own organisations.
        let fire = org("诸暨市消防救援大队").await;
        let (s, e) = post(
            &app,
            &coordinator,
            &path,
            json!({"text": "x", "agreed_by": [fire]}),
        )
        .await;
        assert_eq!(
            (s, e["error"]["problems"][0]["code"].as_str()),
            (422, Some("meeting_agreed_by")),
            "{e}"
        );

        // Who sees what: the grid worker sees the task they lead and the one their committee
        // helps with, not the station's own; the mediator (in scope of the station's task) may see
        // it but not report on it.
        let officer = id_of(&app, "SELECT id FROM users WHERE username = ?", "officer").await;
        let (s, own) = post(
            &app,
            &coordinator,
            "/api/v1/tasks",
            json!({"title": "派出所内部整改", "lead_org_id": station, "lead_user_id": officer,
                   "due_on": day(&app, 5)}),
        )
        .await;
        assert_eq!(s, 201, "{own}");
        let grid = app.client_as("gridworker").await;
        let (s, mine) = app.get_json(&grid, "/api/v1/tasks?mine=true").await;
        assert_eq!(s, 200);
        assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
        let (s, all) = app.get_json(&grid, "/api/v1/tasks").await;
        assert_eq!((s, all.as_array().unwrap().len()), (200, 2), "{all}");
        let (s, _) = app
            .get_json(
                &grid,
                &format!("/api/v1/tasks/{}", own["id"].as_str().unwrap()),
            )
            .await;
        assert_eq!(
            s, 404,
            "a task outside the grid worker's scope and not theirs"
        );
        let mediator = app.client_as("mediator").await;
        let t = task(&app, &mediator, red).await;
        assert_eq!(t["can"]["report"], false);
        let (s, e) = post(
            &app,
            &mediator,
            &format!("/api/v1/tasks/{red}/progress"),
            json!({"note": "x", "percent": 10, "updated_at": t["updated_at"]}),
        )
        .await;
        assert_eq!(s, 403, "{e}");
        // The chief leads the red task: a manager, but not the one to cancel (or accept) it.
        let chief_c = app.client_as("chief").await;
        let t = task(&app, &chief_c, red).await;
        assert_eq!(t["can"]["cancel"], false, "{t}");
        let (s, e) = post(
            &app,
            &chief_c,
            &format!("/api/v1/tasks/{red}/cancel"),
            json!({"note": "不办了", "updated_at": t["updated_at"]}),
        )
        .await;
        assert_eq!(s, 403, "{e}");
        // The village committee is a co-organisation: its grid worker may report on it.
        let t = task(&app, &grid, red).await;
        assert_eq!(t["can"]["report"], true, "{t}");
    }
);
