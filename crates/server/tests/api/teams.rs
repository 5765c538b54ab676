//! 群防群治: a volunteer team formed by the chief; members with and without accounts; a duty whose
//! attendance credits only those who came; a task done; an adjustment; a volunteer's report through
//! dispatch's intake that earns points only once dispatch has acted on it (and only once); every
//! refusal named beside its field with nothing stored; scope and permissions.

use super::*;
use helpers::*;
use serde_json::{Value, json};

const HOUR: i64 = 3_600_000_000;

async fn id_of(app: &TestApp, sql: &str, arg: &str) -> String {
    let (id,): (String,) = app
        .db
        .fetch_one(sql, pingan_store::args![arg])
        .await
        .unwrap_or_else(|e| panic!("{sql} {arg}: {e}"));
    id
}

/// RFC 3339 (China Standard Time) of `offset` µs from now.
fn from_now(app: &TestApp, offset: i64) -> String {
    let t = pingan_domain::time::from_micros(app.state.now() + offset);
    format!(
        "{}+08:00",
        pingan_domain::time::local_datetime(t).replace(' ', "T")
    )
}

fn codes(e: &Value) -> Vec<(String, String)> {
    e["error"]["problems"]
        .as_array()
        .unwrap_or_else(|| panic!("no problems: {e}"))
        .iter()
        .map(|p| {
            (
                p["field"].as_str().unwrap().to_string(),
                p["code"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Posts what must be refused with a 422; checks nothing was written (rows, audit).
async fn refused(
    app: &TestApp,
    c: &reqwest::Client,
    path: &str,
    body: Value,
) -> Vec<(String, String)> {
    let tables = [
        "teams",
        "team_members",
        "team_duties",
        "team_tasks",
        "team_ledger",
    ];
    let mut before = Vec::new();
    for t in tables {
        before.push(app.count(t).await);
    }
    let head = app.audit_head().await;
    let (s, e) = post(app, c, path, body).await;
    assert_eq!(s, 422, "{path}: {e}");
    for (t, n) in tables.iter().zip(before) {
        assert_eq!(app.count(t).await, n, "{t} after a refusal");
    }
    assert_eq!(app.audit_head().await, head, "a refusal writes nothing");
    codes(&e)
}

fn points_of(members: &Value, name: &str) -> (i64, i64) {
    let m = members
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("{name} not in {members}"));
    (
        m["minutes"].as_i64().unwrap(),
        m["points"].as_i64().unwrap(),
    )
}

both!(
    team_work_earns_hours_and_points,
    |app: TestApp| async move {
        let chief = app.client_as("chief").await;
        let doc = openapi(&app).await;
        let org = id_of(
            &app,
            "SELECT id FROM orgs WHERE name = ?",
            "枫桥镇平安志愿者服务队",
        )
        .await;
        let volunteer = id_of(&app, "SELECT id FROM users WHERE username = ?", "volunteer").await;

        // A team; the same name under the same organisation again is refused.
        let body = json!({"name": "老街夜巡队", "kind": "peace_volunteers", "org_id": org, "note": "夜市巡防"});
        let (s, team) = post(&app, &chief, "/api/v1/teams", body.clone()).await;
        assert_eq!(s, 201, "{team}");
        assert_documented(&doc, "post", "/api/v1/teams", s, &team);
        let t = team["id"].as_str().unwrap().to_string();
        assert_eq!(
            refused(&app, &chief, "/api/v1/teams", body).await,
            vec![("name".to_string(), "team_name_taken".to_string())]
        );
        let (s, e) = post(
            &app,
            &chief,
            "/api/v1/teams",
            json!({"name": "x", "kind": "militia", "org_id": org}),
        )
        .await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (400, Some("kind")),
            "{e}"
        );

        // Members: an account (once) and a named person; a member needs one or the other.
        let members = format!("/api/v1/teams/{t}/members");
        let (s, lead) = post(
            &app,
            &chief,
            &members,
            json!({"user_id": volunteer, "role": "leader"}),
        )
        .await;
        assert_eq!(s, 201, "{lead}");
        assert_documented(&doc, "post", "/api/v1/teams/{id}/members", s, &lead);
        assert_eq!(lead["name"], "钱队员", "an account's own name: {lead}");
        let (s, aunt) = post(&app, &chief, &members, json!({"name": "陈阿姨"})).await;
        assert_eq!((s, aunt["user_id"].is_null()), (201, true), "{aunt}");
        let (lead, aunt) = (
            lead["id"].as_str().unwrap().to_string(),
            aunt["id"].as_str().unwrap().to_string(),
        );
        assert_eq!(
            refused(&app, &chief, &members, json!({"user_id": volunteer})).await,
            vec![("user_id".to_string(), "team_member_already".to_string())]
        );
        assert_eq!(
            refused(&app, &chief, &members, json!({"role": "member"})).await,
            vec![("name".to_string(), "required".to_string())]
        );
        // An account outside the chief's scope (the district's dispatcher) is not found.
        let dispatcher = id_of(
            &app,
            "SELECT id FROM users WHERE username = ?",
            "dispatcher",
        )
        .await;
        assert_eq!(
            refused(&app, &chief, &members, json!({"user_id": dispatcher})).await,
            vec![("user_id".to_string(), "team_account".to_string())]
        );

        // A duty yesterday evening. Refused first with every problem at once: the end before the
        // start and someone who is not on the team.
        let duties = format!("/api/v1/teams/{t}/duties");
        let got = refused(
            &app,
            &chief,
            &duties,
            json!({"place": "枫桥老街", "starts_at": from_now(&app, -26 * HOUR),
               "ends_at": from_now(&app, -27 * HOUR), "member_ids": [lead, "nobody"]}),
        )
        .await;
        assert_eq!(
            got,
            vec![
                ("ends_at".to_string(), "team_period".to_string()),
                ("member_ids[1]".to_string(), "team_not_member".to_string()),
            ]
        );
        let (s, duty) = post(
            &app,
            &chief,
            &duties,
            json!({"place": "枫桥老街", "starts_at": from_now(&app, -26 * HOUR),
               "ends_at": from_now(&app, -24 * HOUR), "member_ids": [lead, aunt]}),
        )
        .await;
        assert_eq!(s, 201, "{duty}");
        assert_documented(&doc, "post", "/api/v1/teams/{id}/duties", s, &duty);
        let duty_id = duty["id"].as_str().unwrap().to_string();
        // Only the leader came: only the leader is credited, 120 minutes and 2 points.
        let attendance = format!("/api/v1/team-duties/{duty_id}/attendance");
        let (s, d) = post(&app, &chief, &attendance, json!({"present": [lead]})).await;
        assert_eq!(s, 200, "{d}");
        assert_documented(&doc, "post", "/api/v1/team-duties/{id}/attendance", s, &d);
        let came: Vec<(String, Value)> = d["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["name"].as_str().unwrap().to_string(),
                    m["present"].clone(),
                )
            })
            .collect();
        assert_eq!(
            came,
            vec![
                ("钱队员".to_string(), json!(true)),
                ("陈阿姨".to_string(), json!(false))
            ]
        );
        let (s, again) = post(&app, &chief, &attendance, json!({"present": [lead, aunt]})).await;
        assert_eq!(s, 409, "attendance is confirmed once: {again}");
        // A duty that is not over cannot be confirmed; it can be cancelled, once.
        let (_, later) = post(
            &app,
            &chief,
            &duties,
            json!({"place": "枫桥夜市", "starts_at": from_now(&app, 5 * HOUR),
               "ends_at": from_now(&app, 7 * HOUR), "member_ids": [lead]}),
        )
        .await;
        let later_id = later["id"].as_str().unwrap().to_string();
        assert_eq!(
            refused(
                &app,
                &chief,
                &format!("/api/v1/team-duties/{later_id}/attendance"),
                json!({"present": [lead]})
            )
            .await,
            vec![("present".to_string(), "team_duty_not_over".to_string())]
        );
        let (s, c) = post(
            &app,
            &chief,
            &format!("/api/v1/team-duties/{later_id}/cancel"),
            json!({}),
        )
        .await;
        assert_eq!((s, c["cancelled_at"].is_i64()), (200, true), "{c}");
        assert_documented(&doc, "post", "/api/v1/team-duties/{id}/cancel", s, &c);
        let (s, _) = post(
            &app,
            &chief,
            &format!("/api/v1/team-duties/{later_id}/cancel"),
            json!({}),
        )
        .await;
        assert_eq!(s, 409);
        let (_, later) = post(
            &app,
            &chief,
            &duties,
            json!({"place": "枫桥夜市", "starts_at": from_now(&app, 5 * HOUR),
               "ends_at": from_now(&app, 7 * HOUR), "member_ids": [lead]}),
        )
        .await;
        let later_id = later["id"].as_str().unwrap().to_string();

        // A task done in 90 minutes: both on it earn 90 minutes and 1 point; done twice is refused.
        let (s, task) = post(
        &app,
        &chief,
        &format!("/api/v1/teams/{t}/tasks"),
        json!({"kind": "publicity", "title": "反诈宣传进市场", "due_at": from_now(&app, 48 * HOUR),
               "member_ids": [lead, aunt]}),
    )
    .await;
        assert_eq!(s, 201, "{task}");
        assert_documented(&doc, "post", "/api/v1/teams/{id}/tasks", s, &task);
        let done = format!("/api/v1/team-tasks/{}/done", task["id"].as_str().unwrap());
        assert_eq!(
            refused(&app, &chief, &done, json!({"work_minutes": 0})).await,
            vec![("work_minutes".to_string(), "team_work_hours".to_string())]
        );
        let (s, k) = post(&app, &chief, &done, json!({"work_minutes": 90})).await;
        assert_eq!((s, k["status"].as_str()), (200, Some("done")), "{k}");
        assert_documented(&doc, "post", "/api/v1/team-tasks/{id}/done", s, &k);
        let (s, _) = post(&app, &chief, &done, json!({"work_minutes": 90})).await;
        assert_eq!(s, 409);

        // An award, with its reason; zero points is not an adjustment.
        let ledger = format!("/api/v1/teams/{t}/ledger");
        assert_eq!(
            refused(
                &app,
                &chief,
                &ledger,
                json!({"member_id": aunt, "points": 0, "note": "无"})
            )
            .await,
            vec![("points".to_string(), "team_adjustment".to_string())]
        );
        // The most negative number there is was a 500 once (abs() overflowed): a 422 now.
        assert_eq!(
            refused(
                &app,
                &chief,
                &ledger,
                json!({"member_id": aunt, "points": i64::MIN, "note": "x"})
            )
            .await,
            vec![("points".to_string(), "team_adjustment".to_string())]
        );
        // Hours are corrected the same way: half an hour off the leader's duty, no points.
        let (s, adj) = post(
            &app,
            &chief,
            &ledger,
            json!({"member_id": lead, "points": 0, "minutes": -30, "note": "提前半小时离岗"}),
        )
        .await;
        assert_eq!((s, adj["minutes"].as_i64()), (201, Some(-30)), "{adj}");
        let (s, adj) = post(
            &app,
            &chief,
            &ledger,
            json!({"member_id": aunt, "points": 5, "note": "协助找回走失老人"}),
        )
        .await;
        assert_eq!(s, 201, "{adj}");
        assert_documented(&doc, "post", "/api/v1/teams/{id}/ledger", s, &adj);

        let (s, list) = app.get_json(&chief, &members).await;
        assert_eq!(s, 200, "{list}");
        assert_documented(&doc, "get", "/api/v1/teams/{id}/members", s, &list);
        assert_eq!(points_of(&list, "钱队员"), (120 + 90 - 30, 2 + 1));
        assert_eq!(points_of(&list, "陈阿姨"), (90, 1 + 5));

        // The volunteer reports through dispatch's intake (channel volunteer); the grid workers'
        // channel is not theirs.
        let vc = app.client_as("volunteer").await;
        let (lng, lat) = inside_point(&app, &chief, "330681109004001").await;
        let report = json!({"channel": "volunteer", "type_code": "100100", "description": "老街路口两人争吵推搡",
        "address": "枫桥老街路口", "lng": lng, "lat": lat});
        let (s, e) = post(
            &app,
            &vc,
            "/api/v1/incidents",
            json!({"channel": "grid_report", "type_code": "100100",
        "description": "x", "address": "y", "lng": lng, "lat": lat}),
        )
        .await;
        assert_eq!(s, 403, "{e}");
        // …and the volunteers' channel is not the grid workers' or the officers'.
        for who in ["gridworker", "officer"] {
            let (s, e) = post(
                &app,
                &app.client_as(who).await,
                "/api/v1/incidents",
                report.clone(),
            )
            .await;
            assert_eq!(s, 403, "{who}: {e}");
        }
        let (s, inc) = post(&app, &vc, "/api/v1/incidents", report).await;
        assert_eq!(s, 201, "{inc}");
        let incident = inc["incident"]["id"]
            .as_str()
            .or(inc["id"].as_str())
            .unwrap_or_else(|| panic!("{inc}"))
            .to_string();
        let (_, row) = app
            .get_json(
                &app.client_as("dispatcher").await,
                &format!("/api/v1/incidents/{incident}"),
            )
            .await;
        assert_eq!(row["channel"], "volunteer", "{row}");
        // Not acted on yet: no credit.
        assert_eq!(
            pingan_server::teams::work::credit_reports(&app.state)
                .await
                .unwrap(),
            0
        );
        let d = app.client_as("dispatcher").await;
        let (_, recs) = app
            .get_json(&d, &format!("/api/v1/incidents/{incident}/recommendations"))
            .await;
        let unit = recs[0]["unit_id"]
            .as_str()
            .unwrap_or_else(|| panic!("{recs}"))
            .to_string();
        let (s, r) = post(
            &app,
            &d,
            &format!("/api/v1/incidents/{incident}/actions"),
            json!({"action": "dispatch", "unit_ids": [unit]}),
        )
        .await;
        assert_eq!(s, 200, "{r}");
        assert_eq!(
            pingan_server::teams::work::credit_reports(&app.state)
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            pingan_server::teams::work::credit_reports(&app.state)
                .await
                .unwrap(),
            0,
            "a report is credited once"
        );
        let (s, entries) = app.get_json(&chief, &ledger).await;
        assert_eq!(s, 200);
        assert_documented(&doc, "get", "/api/v1/teams/{id}/ledger", s, &entries);
        let reports: Vec<&Value> = entries
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "report")
            .collect();
        assert_eq!(reports.len(), 1, "{entries}");
        assert_eq!(
            (
                reports[0]["object_id"].as_str(),
                reports[0]["points"].as_i64()
            ),
            (Some(incident.as_str()), Some(2))
        );

        // The volunteer's own view: this team, tonight's duty, and 3 + 2 points (the demo team's work
        // is not in this test's database: the base demo has no teams).
        let (s, mine) = app.get_json(&vc, "/api/v1/me/team-work").await;
        assert_eq!(s, 200, "{mine}");
        assert_documented(&doc, "get", "/api/v1/me/team-work", s, &mine);
        assert_eq!(mine["points"], 5, "{mine}");
        assert_eq!(mine["minutes"], 180, "{mine}");
        assert_eq!(mine["teams"][0]["team_id"], t.as_str());
        assert!(
            mine["duties"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["id"] == later_id.as_str()),
            "tonight's duty is on the volunteer's list: {mine}"
        );

        // A volunteer reads no team registers; a grid worker of one village does not see a town team.
        let (s, _) = app.get_json(&vc, "/api/v1/teams").await;
        assert_eq!(s, 403);
        let gw = app.client_as("gridworker").await;
        let (s, _) = app.get_json(&gw, &format!("/api/v1/teams/{t}")).await;
        assert_eq!(s, 404);
        let (s, list) = app.get_json(&gw, "/api/v1/teams").await;
        assert_eq!(s, 200);
        assert!(!list.to_string().contains(&t), "{list}");

        // A member leaves: off the team, still in the ledger.
        let (s, _) = post(
            &app,
            &chief,
            &format!("/api/v1/teams/{t}/members/{aunt}/leave"),
            json!({}),
        )
        .await;
        assert_eq!(s, 204);
        let (s, _) = post(
            &app,
            &chief,
            &format!("/api/v1/teams/{t}/members/{aunt}/leave"),
            json!({}),
        )
        .await;
        assert_eq!(s, 409);
        let (_, list) = app.get_json(&chief, &members).await;
        assert_eq!(points_of(&list, "陈阿姨"), (90, 6));
        // The volunteer leaves too: their team work is no longer theirs to see.
        let (s, _) = post(
            &app,
            &chief,
            &format!("/api/v1/teams/{t}/members/{lead}/leave"),
            json!({}),
        )
        .await;
        assert_eq!(s, 204);
        let (_, mine) = app.get_json(&vc, "/api/v1/me/team-work").await;
        assert!(mine["teams"].as_array().unwrap().is_empty(), "{mine}");
        assert!(mine["duties"].as_array().unwrap().is_empty(), "{mine}");
        assert!(mine["tasks"].as_array().unwrap().is_empty(), "{mine}");
    }
);

both!(demo_teams_are_whole, |app: TestApp| async move {
    assert!(
        pingan_server::teams::demo::ensure(&app.db, &app.state.config)
            .await
            .unwrap()
    );
    let chief = app.client_as("chief").await;
    let (s, teams) = app.get_json(&chief, "/api/v1/teams").await;
    assert_eq!(s, 200);
    assert_eq!(teams.as_array().unwrap().len(), 2, "{teams}");
    // The volunteer's own work: tonight's duty, the open publicity task, yesterday's two hours and
    // the 90-minute task: 2 + 1 points.
    let (s, mine) = app
        .get_json(&app.client_as("volunteer").await, "/api/v1/me/team-work")
        .await;
    assert_eq!(s, 200, "{mine}");
    assert_eq!(
        (mine["minutes"].as_i64(), mine["points"].as_i64()),
        (Some(210), Some(3))
    );
    assert_eq!(mine["tasks"].as_array().unwrap().len(), 1, "{mine}");
    assert!(!mine["duties"].as_array().unwrap().is_empty(), "{mine}");
    // The grid worker, a member of the 治保会 (on no duty or task yet), finds the team's section on
    // the home page and the team on /duty (which their role alone would not open).
    let gw = app.client_as("gridworker").await;
    let home = gw
        .get(format!("{}/", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains("id=\"home-team-work\""), "{home}");
    let r = gw.get(format!("{}/duty", app.url)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.text().await.unwrap().contains("陈家社区治保会"));
    // Pages: the list and a team.
    let r = chief
        .get(format!("{}/teams", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let html = r.text().await.unwrap();
    let id = teams[0]["id"].as_str().unwrap();
    assert!(html.contains(id), "{html}");
    let r = chief
        .get(format!("{}/teams/{id}", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
});
