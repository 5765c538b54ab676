//! 队伍建设: sessions credit hours and rank scores (equal scores share a place), attendance is recorded
//! only by a manager whose scope holds the session and only for staff in it; a person's record adds
//! up to what is stored (counted here in SQL); another person's record is read only by record
//! readers, and the read is audited; certificates are reminded once per window as expiry nears;
//! mentoring pairs keep goals and check-ins, and end once.

use super::*;
use helpers::*;
use pingan_domain::period::{PeriodKind, ReportPeriod};
use serde_json::{Value, json};

const TOWN: &str = "/330681/330681109/";
const HOUR_US: i64 = 3_600_000_000;

fn at(us: i64) -> String {
    pingan_domain::time::from_micros(us).to_string()
}

async fn put(app: &TestApp, c: &reqwest::Client, path: &str, body: Value) -> (u16, Value) {
    let r = c
        .put(format!("{}{path}", app.url))
        .json(&body)
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

async fn user_id(app: &TestApp, username: &str) -> String {
    let (id,): (String,) = app
        .db
        .fetch_one(
            "SELECT id FROM users WHERE username = ?",
            pingan_store::args![username],
        )
        .await
        .unwrap();
    id
}

fn field(e: &Value) -> String {
    e["error"]["field"].as_str().unwrap_or_default().to_string()
}

fn attendee<'a>(d: &'a Value, user: &str) -> &'a Value {
    d["attendees"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["user_id"] == user)
        .unwrap_or_else(|| panic!("{user} attended: {d}"))
}

both!(
    sessions_credit_hours_rank_scores_and_add_up_in_each_record,
    |app: TestApp| async move {
        let doc = openapi(&app).await;
        let coordinator = app.client_as("coordinator").await;
        let chief = app.client_as("chief").await;
        let officer = app.client_as("officer").await;
        let grid_worker = app.client_as("gridworker").await;
        let (officer_id, auxiliary_id, grid_worker_id, dispatcher_id) = (
            user_id(&app, "officer").await,
            user_id(&app, "auxiliary").await,
            user_id(&app, "gridworker").await,
            user_id(&app, "dispatcher").await,
        );
        let started = at(app.state.now() - HOUR_US);
        let session = |kind: &str, area: &str| {
            json!({"kind": kind, "title": "警务技能比武（测试）", "trainer": "市局政治处",
                "hours": 4, "starts_at": started, "area_path": area})
        };

        // Refusals name their field.
        let (s, e) = post(
            &app,
            &coordinator,
            "/api/v1/training/sessions",
            session("competition", TOWN),
        )
        .await;
        assert_eq!((s, field(&e).as_str()), (422, "max_score"), "{e}");
        assert_documented(&doc, "post", "/api/v1/training/sessions", s, &e);
        let mut scored_course = session("course", TOWN);
        scored_course["max_score"] = json!(100);
        let (s, e) = post(
            &app,
            &coordinator,
            "/api/v1/training/sessions",
            scored_course,
        )
        .await;
        assert_eq!((s, field(&e).as_str()), (422, "max_score"), "{e}");
        let mut odd = session("drill", TOWN);
        odd["hours"] = json!(1.25);
        let (s, e) = post(&app, &coordinator, "/api/v1/training/sessions", odd).await;
        assert_eq!((s, field(&e).as_str()), (422, "hours"), "{e}");
        let (s, _) = post(
            &app,
            &officer,
            "/api/v1/training/sessions",
            session("drill", TOWN),
        )
        .await;
        assert_eq!(s, 403, "an officer does not plan training");

        let mut competition = session("competition", TOWN);
        competition["max_score"] = json!(100);
        let (s, c) = post(&app, &chief, "/api/v1/training/sessions", competition).await;
        assert_eq!(s, 201, "{c}");
        assert_documented(&doc, "post", "/api/v1/training/sessions", s, &c);
        let id = c["id"].as_str().unwrap().to_string();
        let attend = |user: &str| format!("/api/v1/training/sessions/{id}/attendees/{user}");
        for (user, score) in [
            (&officer_id, 90.0),
            (&auxiliary_id, 95.0),
            (&grid_worker_id, 90.0),
        ] {
            let (s, a) = put(&app, &chief, &attend(user), json!({"score": score})).await;
            assert_eq!(s, 200, "{a}");
            assert_documented(
                &doc,
                "put",
                "/api/v1/training/sessions/{id}/attendees/{user_id}",
                s,
                &a,
            );
            assert_eq!(a["hours"], 4.0, "the session's hours by default");
        }
        let (s, e) = put(&app, &chief, &attend(&officer_id), json!({"score": 101})).await;
        assert_eq!((s, field(&e).as_str()), (422, "score"), "{e}");
        let (s, e) = put(&app, &chief, &attend(&officer_id), json!({"hours": 4.5})).await;
        assert_eq!((s, field(&e).as_str()), (422, "hours"), "{e}");
        let (s, e) = put(&app, &chief, &attend(&dispatcher_id), json!({})).await;
        assert_eq!(
            (s, field(&e).as_str()),
            (422, "user_id"),
            "the command centre is outside the town: {e}"
        );
        // A correction replaces the score; equal scores share a place.
        let (s, _) = put(
            &app,
            &chief,
            &attend(&officer_id),
            json!({"score": 95, "note": "复核更正"}),
        )
        .await;
        assert_eq!(s, 200);
        let (s, d) = app
            .get_json(&chief, &format!("/api/v1/training/sessions/{id}"))
            .await;
        assert_eq!(s, 200, "{d}");
        assert_documented(&doc, "get", "/api/v1/training/sessions/{id}", s, &d);
        assert_eq!(d["attendees"].as_array().unwrap().len(), 3);
        assert_eq!(d["hours_credited"], 12.0);
        assert_eq!(attendee(&d, &officer_id)["place"], 1);
        assert_eq!(attendee(&d, &auxiliary_id)["place"], 1);
        assert_eq!(attendee(&d, &grid_worker_id)["place"], 3);
        assert_eq!(attendee(&d, &officer_id)["note"], "复核更正");
        // A correction of the hours alone keeps the score and note.
        let (s, a) = put(&app, &chief, &attend(&officer_id), json!({"hours": 3.5})).await;
        assert_eq!(s, 200, "{a}");
        let (_, d) = app
            .get_json(&chief, &format!("/api/v1/training/sessions/{id}"))
            .await;
        assert_eq!(attendee(&d, &officer_id)["score"], 95.0);
        assert_eq!(attendee(&d, &officer_id)["note"], "复核更正");
        assert_eq!(attendee(&d, &officer_id)["hours"], 3.5);
        let (s, _) = put(&app, &chief, &attend(&officer_id), json!({"hours": 4})).await;
        assert_eq!(s, 200);
        let mut passing = session("competition", TOWN);
        passing["max_score"] = json!(100);
        passing["pass_score"] = json!(60);
        let (s, e) = post(&app, &chief, "/api/v1/training/sessions", passing).await;
        assert_eq!((s, field(&e).as_str()), (422, "pass_score"), "{e}");

        // A district session is scored by the district, not by the station chief.
        let mut district = session("competition", "/330681/");
        district["max_score"] = json!(100);
        let (_, dc) = post(&app, &coordinator, "/api/v1/training/sessions", district).await;
        let (s, _) = put(
            &app,
            &chief,
            &format!(
                "/api/v1/training/sessions/{}/attendees/{officer_id}",
                dc["id"].as_str().unwrap()
            ),
            json!({"score": 80}),
        )
        .await;
        assert_eq!(s, 403);
        // Nobody attends a session that has not started.
        let mut later = session("course", TOWN);
        later["starts_at"] = json!(at(app.state.now() + 48 * HOUR_US));
        let (_, lc) = post(&app, &chief, "/api/v1/training/sessions", later).await;
        let (s, e) = put(
            &app,
            &chief,
            &format!(
                "/api/v1/training/sessions/{}/attendees/{officer_id}",
                lc["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
        assert_eq!((s, field(&e).as_str()), (422, "session"), "{e}");

        // A skill test: the pass mark decides; another person's score is not shown to a grid worker.
        let mut test = session("skill_test", TOWN);
        test["max_score"] = json!(100);
        test["pass_score"] = json!(60);
        test["hours"] = json!(2);
        let (_, t) = post(&app, &chief, "/api/v1/training/sessions", test).await;
        let tid = t["id"].as_str().unwrap().to_string();
        for (user, score) in [(&officer_id, 84.0), (&auxiliary_id, 55.5)] {
            let (s, _) = put(
                &app,
                &chief,
                &format!("/api/v1/training/sessions/{tid}/attendees/{user}"),
                json!({"score": score}),
            )
            .await;
            assert_eq!(s, 200);
        }
        let (_, d) = app
            .get_json(&chief, &format!("/api/v1/training/sessions/{tid}"))
            .await;
        assert_eq!(attendee(&d, &officer_id)["passed"], true);
        assert_eq!(attendee(&d, &auxiliary_id)["passed"], false);
        let (s, d) = app
            .get_json(&grid_worker, &format!("/api/v1/training/sessions/{tid}"))
            .await;
        assert_eq!(s, 200, "held for the town the grid worker works in: {d}");
        assert!(attendee(&d, &officer_id)["score"].is_null(), "{d}");
        assert_eq!(attendee(&d, &officer_id)["hours"], 2.0);
        // A district skill test: the chief sees the scores of the town's staff, not of others.
        let mut district_test = session("skill_test", "/330681/");
        district_test["max_score"] = json!(100);
        district_test["pass_score"] = json!(60);
        let (_, dt) = post(
            &app,
            &coordinator,
            "/api/v1/training/sessions",
            district_test,
        )
        .await;
        let dtid = dt["id"].as_str().unwrap().to_string();
        for (user, score) in [(&officer_id, 77.0), (&dispatcher_id, 66.0)] {
            let (s, a) = put(
                &app,
                &coordinator,
                &format!("/api/v1/training/sessions/{dtid}/attendees/{user}"),
                json!({"score": score, "note": "补考"}),
            )
            .await;
            assert_eq!(s, 200, "{a}");
        }
        let (s, d) = app
            .get_json(&chief, &format!("/api/v1/training/sessions/{dtid}"))
            .await;
        assert_eq!(s, 200, "{d}");
        assert_eq!(attendee(&d, &officer_id)["score"], 77.0);
        assert!(attendee(&d, &dispatcher_id)["score"].is_null(), "{d}");
        assert_eq!(attendee(&d, &dispatcher_id)["note"], "", "{d}");

        // The officer's own record adds up to the rows stored.
        let (s, r) = app
            .get_json(&officer, &format!("/api/v1/training/people/{officer_id}"))
            .await;
        assert_eq!(s, 200, "{r}");
        assert_documented(&doc, "get", "/api/v1/training/people/{user_id}", s, &r);
        let (n, hours): (i64, f64) = app
            .db
            .fetch_one(
                "SELECT COUNT(*), CAST(COALESCE(SUM(hours), 0) AS DOUBLE PRECISION) \
                 FROM training_attendance WHERE user_id = ?",
                pingan_store::args![officer_id.as_str()],
            )
            .await
            .unwrap();
        assert_eq!(n, 3, "the competition and both skill tests");
        assert_eq!(r["sessions"].as_array().unwrap().len() as i64, n);
        assert_eq!(r["hours_total"].as_f64().unwrap(), hours);
        assert_eq!(r["hours_total"], 10.0);
        // Another person's: not for an officer; for the chief, and the read is audited.
        let (s, _) = app
            .get_json(&officer, &format!("/api/v1/training/people/{auxiliary_id}"))
            .await;
        assert_eq!(s, 403);
        let reads = || async {
            let (n,): (i64,) = app
                .db
                .fetch_one(
                    "SELECT COUNT(*) FROM audit_log WHERE action = 'training.record.read' AND object_id = ?",
                    pingan_store::args![auxiliary_id.as_str()],
                )
                .await
                .unwrap();
            n
        };
        let before = reads().await;
        let (s, r) = app
            .get_json(&chief, &format!("/api/v1/training/people/{auxiliary_id}"))
            .await;
        assert_eq!(s, 200, "{r}");
        assert_eq!(r["hours_total"], 6.0);
        assert_eq!(reads().await, before + 1);
        let (s, _) = app
            .get_json(&chief, &format!("/api/v1/training/people/{dispatcher_id}"))
            .await;
        assert_eq!(s, 404, "outside the chief's scope");

        // The staff's hours this year, each equal to the sum stored.
        let (s, rows) = app.get_json(&chief, "/api/v1/training/people").await;
        assert_eq!(s, 200, "{rows}");
        assert_documented(&doc, "get", "/api/v1/training/people", s, &rows);
        let year_start = pingan_domain::time::day_start(
            jiff::civil::Date::new(app.state.today().year(), 1, 1).unwrap(),
        );
        for row in rows.as_array().unwrap() {
            let user = row["person"]["user_id"].as_str().unwrap();
            let (h,): (f64,) = app
                .db
                .fetch_one(
                    "SELECT CAST(COALESCE(SUM(hours), 0) AS DOUBLE PRECISION) FROM training_attendance \
                     WHERE user_id = ? AND starts_at >= ?",
                    pingan_store::args![user, year_start],
                )
                .await
                .unwrap();
            assert_eq!(row["hours"].as_f64().unwrap(), h, "{row}");
        }
        assert!(
            rows.as_array()
                .unwrap()
                .iter()
                .all(|r| r["person"]["user_id"] != dispatcher_id.as_str()),
            "only the chief's town"
        );
        let (s, _) = app.get_json(&officer, "/api/v1/training/people").await;
        assert_eq!(s, 403);
        let (s, list) = app
            .get_json(&grid_worker, "/api/v1/training/sessions")
            .await;
        assert_eq!(s, 200);
        assert_documented(&doc, "get", "/api/v1/training/sessions", s, &list);
        assert!(list.to_string().contains(&id), "{list}");
    }
);

both!(
    certificates_are_reminded_once_per_window_as_expiry_nears,
    |app: TestApp| async move {
        let doc = openapi(&app).await;
        let coordinator = app.client_as("coordinator").await;
        let volunteer = app.client_as("volunteer").await;
        let holder = user_id(&app, "gridworker").await;
        let day = |n: i64| {
            app.state
                .today()
                .checked_add(jiff::Span::new().days(n))
                .unwrap()
                .to_string()
        };
        let cert = |issued: String, expires: String| {
            json!({"user_id": holder, "name": "网格员资格证", "issuer": "枫桥镇人民政府",
                "issued_on": issued, "expires_on": expires})
        };
        let (s, e) = post(
            &app,
            &coordinator,
            "/api/v1/training/certificates",
            cert(day(0), day(-1)),
        )
        .await;
        assert_eq!((s, field(&e).as_str()), (422, "expires_on"), "{e}");
        assert_documented(&doc, "post", "/api/v1/training/certificates", s, &e);
        let (s, e) = post(
            &app,
            &coordinator,
            "/api/v1/training/certificates",
            cert(day(1), day(40)),
        )
        .await;
        assert_eq!((s, field(&e).as_str()), (422, "issued_on"), "{e}");
        let (s, c) = post(
            &app,
            &coordinator,
            "/api/v1/training/certificates",
            cert(day(-700), day(40)),
        )
        .await;
        assert_eq!(s, 201, "{c}");
        assert_documented(&doc, "post", "/api/v1/training/certificates", s, &c);
        assert_eq!(
            (c["state"].as_str(), c["days_left"].as_i64()),
            (Some("expiring"), Some(40))
        );
        let id = c["id"].as_str().unwrap().to_string();

        let reminders = || async {
            let rows: Vec<(String, String)> = app
                .db
                .fetch_all(
                    "SELECT kind, message FROM notifications WHERE user_id = ? AND kind LIKE 'training.certificate%' \
                     ORDER BY at, id",
                    pingan_store::args![holder.as_str()],
                )
                .await
                .unwrap();
            rows
        };
        let sweep = || pingan_server::training::reminders::sweep(&app.state);
        assert_eq!(sweep().await.unwrap(), 1, "inside the 60-day window");
        assert_eq!(sweep().await.unwrap(), 0, "once per window");
        assert_eq!(reminders().await.len(), 1);
        app.state.clock.advance_seconds(11 * 86_400);
        assert_eq!(sweep().await.unwrap(), 1, "29 days left: the 30-day window");
        let r = reminders().await;
        assert_eq!(r.len(), 2);
        assert!(r[1].1.contains("29"), "{r:?}");
        app.state.clock.advance_seconds(30 * 86_400);
        assert_eq!(
            sweep().await.unwrap(),
            1,
            "expired: skipped windows are not sent"
        );
        let r = reminders().await;
        assert_eq!(r.len(), 3);
        assert_eq!(r[2].0, "training.certificate_expired");
        assert_eq!(sweep().await.unwrap(), 0);

        let (s, list) = app
            .get_json(
                &coordinator,
                "/api/v1/training/certificates/expiring?days=0",
            )
            .await;
        assert_eq!(s, 200, "{list}");
        assert_documented(
            &doc,
            "get",
            "/api/v1/training/certificates/expiring",
            s,
            &list,
        );
        let mine = list
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id.as_str())
            .unwrap_or_else(|| panic!("{list}"));
        assert_eq!(mine["state"], "expired");
        let (s, e) = app
            .get_json(
                &coordinator,
                "/api/v1/training/certificates/expiring?days=400",
            )
            .await;
        assert_eq!((s, field(&e).as_str()), (422, "days"), "{e}");
        let (s, _) = app
            .get_json(&volunteer, "/api/v1/training/certificates/expiring")
            .await;
        assert_eq!(s, 403);
        // One recorded after it expired brings no late notice.
        let (s, old) = post(
            &app,
            &coordinator,
            "/api/v1/training/certificates",
            cert(day(-900), day(-100)),
        )
        .await;
        assert_eq!((s, old["state"].as_str()), (201, Some("expired")), "{old}");
        assert_eq!(sweep().await.unwrap(), 0);
        assert_eq!(reminders().await.len(), 3);
    }
);

both!(
    a_mentoring_pair_keeps_goals_and_check_ins_and_ends_once,
    |app: TestApp| async move {
        let doc = openapi(&app).await;
        let chief = app.client_as("chief").await;
        let auxiliary = app.client_as("auxiliary").await;
        let grid_worker = app.client_as("gridworker").await;
        let coordinator = app.client_as("coordinator").await;
        let (officer_id, auxiliary_id) = (
            user_id(&app, "officer").await,
            user_id(&app, "auxiliary").await,
        );
        let today = app.state.today();
        let day = |n: i64| {
            today
                .checked_add(jiff::Span::new().days(n))
                .unwrap()
                .to_string()
        };
        let pair = |mentee: &str, goals: Value| {
            json!({"mentor_id": officer_id, "mentee_id": mentee, "started_on": day(-30),
                "ends_on": day(150), "goals": goals})
        };
        let url = "/api/v1/training/mentorships";
        let (s, e) = post(&app, &chief, url, pair(&officer_id, json!(["接处警"]))).await;
        assert_eq!((s, field(&e).as_str()), (422, "mentee_id"), "{e}");
        assert_documented(&doc, "post", url, s, &e);
        let (s, e) = post(&app, &chief, url, pair(&auxiliary_id, json!([]))).await;
        assert_eq!((s, field(&e).as_str()), (422, "goals"), "{e}");
        let eleven: Vec<String> = (1..=11).map(|i| format!("目标{i}")).collect();
        let (s, e) = post(&app, &chief, url, pair(&auxiliary_id, json!(eleven))).await;
        assert_eq!((s, field(&e).as_str()), (422, "goals"), "{e}");
        let (s, p) = post(
            &app,
            &chief,
            url,
            pair(
                &auxiliary_id,
                json!(["独立处置一般警情", "规范使用执法记录仪"]),
            ),
        )
        .await;
        assert_eq!(s, 201, "{p}");
        assert_documented(&doc, "post", url, s, &p);
        let id = p["id"].as_str().unwrap().to_string();
        let (n,): (i64,) = app
            .db
            .fetch_one(
                "SELECT COUNT(*) FROM notifications WHERE kind = 'training.paired' AND object_id = ?",
                pingan_store::args![id.as_str()],
            )
            .await
            .unwrap();
        assert_eq!(n, 2, "the mentor and the mentee are told");
        let (s, e) = post(&app, &chief, url, pair(&auxiliary_id, json!(["再来一次"]))).await;
        assert_eq!(
            (s, field(&e).as_str()),
            (422, "mentee_id"),
            "already active: {e}"
        );

        // The mentee records a check-in that meets the first goal.
        let checkins = format!("{url}/{id}/checkins");
        let (s, d) = post(
            &app,
            &auxiliary,
            &checkins,
            json!({"held_on": day(0), "note": "一起出警两次，已能独立处置", "goals_met": [1]}),
        )
        .await;
        assert_eq!(s, 201, "{d}");
        assert_documented(
            &doc,
            "post",
            "/api/v1/training/mentorships/{id}/checkins",
            s,
            &d,
        );
        assert_eq!(d["goals"][0]["met_on"], day(0));
        assert!(d["goals"][1]["met_on"].is_null());
        assert_eq!(d["pair"]["goals_met"], 1);
        let (s, e) = post(
            &app,
            &auxiliary,
            &checkins,
            json!({"held_on": day(0), "note": "x", "goals_met": [3]}),
        )
        .await;
        assert_eq!((s, field(&e).as_str()), (422, "goals_met[0]"), "{e}");
        let (s, e) = post(
            &app,
            &auxiliary,
            &checkins,
            json!({"held_on": day(1), "note": "x"}),
        )
        .await;
        assert_eq!((s, field(&e).as_str()), (422, "held_on"), "{e}");

        // Outside the pair: a grid worker learns nothing; a coordinator reads it.
        let (s, _) = app.get_json(&grid_worker, &format!("{url}/{id}")).await;
        assert_eq!(s, 403);
        let (s, _) = post(
            &app,
            &grid_worker,
            &checkins,
            json!({"held_on": day(0), "note": "x"}),
        )
        .await;
        assert_eq!(s, 403);
        let (s, d) = app.get_json(&coordinator, &format!("{url}/{id}")).await;
        assert_eq!(s, 200, "{d}");
        assert_documented(&doc, "get", "/api/v1/training/mentorships/{id}", s, &d);
        assert_eq!(d["checkins"].as_array().unwrap().len(), 1);
        let (_, mine) = app.get_json(&auxiliary, url).await;
        assert!(mine.to_string().contains(&id));
        let (s, theirs) = app.get_json(&grid_worker, url).await;
        assert_eq!(s, 200);
        assert_documented(&doc, "get", url, s, &theirs);
        assert!(!theirs.to_string().contains(&id));

        // Ended once; no check-in after.
        let closure = format!("{url}/{id}/closure");
        let (s, e) = post(
            &app,
            &chief,
            &closure,
            json!({"status": "paused", "outcome": "x"}),
        )
        .await;
        assert_eq!((s, field(&e).as_str()), (422, "status"), "{e}");
        let (s, d) = post(
            &app,
            &chief,
            &closure,
            json!({"status": "completed", "outcome": "两项目标均已达成"}),
        )
        .await;
        assert_eq!(s, 200, "{d}");
        assert_documented(
            &doc,
            "post",
            "/api/v1/training/mentorships/{id}/closure",
            s,
            &d,
        );
        assert_eq!(d["pair"]["status"], "completed");
        let (s, e) = post(
            &app,
            &chief,
            &closure,
            json!({"status": "ended", "outcome": "x"}),
        )
        .await;
        assert_eq!(s, 409, "{e}");
        assert_documented(
            &doc,
            "post",
            "/api/v1/training/mentorships/{id}/closure",
            s,
            &e,
        );
        let (s, _) = post(
            &app,
            &auxiliary,
            &checkins,
            json!({"held_on": day(0), "note": "x"}),
        )
        .await;
        assert_eq!(s, 409);
    }
);

/// A drill for the town at `at` (µs), attended by three of its staff.
async fn town_drill(app: &TestApp, chief: &reqwest::Client, at_us: i64) {
    let (_, s) = post(
        app,
        chief,
        "/api/v1/training/sessions",
        json!({"kind": "drill", "title": "演练（测试）", "trainer": "陈所长", "hours": 3,
            "starts_at": at(at_us), "area_path": TOWN}),
    )
    .await;
    let sid = s["id"].as_str().unwrap().to_string();
    for u in ["officer", "auxiliary", "gridworker"] {
        let u = user_id(app, u).await;
        let (st, a) = put(
            app,
            chief,
            &format!("/api/v1/training/sessions/{sid}/attendees/{u}"),
            json!({}),
        )
        .await;
        assert_eq!(st, 200, "{a}");
    }
}

/// The station's training-hours indicator for `period`, checked against the stored hours and the
/// staff counted by hand; the target is 4 hours a month.
async fn check_per_head(
    app: &TestApp,
    chief: &reqwest::Client,
    station: &str,
    period: ReportPeriod,
) {
    let (_, d) = app
        .get_json(
            chief,
            &format!("/api/v1/assessment/units/station/{station}?period={period}"),
        )
        .await;
    assert_eq!(d["scheme_version"], 2, "the demo's version 2: {d}");
    let ind = d["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == "training_hours")
        .unwrap_or_else(|| panic!("{d}"))
        .clone();
    let from = pingan_domain::time::day_start(period.first_day());
    let to = pingan_domain::time::day_start(app.state.today().tomorrow().unwrap());
    let (hours,): (f64,) = app
        .db
        .fetch_one(
            "SELECT CAST(COALESCE(SUM(hours), 0) AS DOUBLE PRECISION) FROM training_attendance \
             WHERE starts_at >= ? AND starts_at < ? AND area_path LIKE ?",
            pingan_store::args![from, to, format!("{TOWN}%")],
        )
        .await
        .unwrap();
    assert!(hours >= 9.0, "the test's drill at least: {hours}");
    // Heads by hand: active staff accounts (not partners') made before the period's end, of
    // organisations in the town.
    let staff: Vec<(String, bool, i64, Option<String>)> = app
        .db
        .fetch_all(
            "SELECT u.role, u.disabled, u.created_at, o.area_path FROM users u JOIN orgs o ON o.id = u.org_id",
            pingan_store::args![],
        )
        .await
        .unwrap();
    let heads = staff
        .iter()
        .filter(|(role, disabled, created, area)| {
            role != "partner"
                && !disabled
                && *created < to
                && area.as_deref().is_some_and(|a| a.starts_with(TOWN))
        })
        .count() as f64;
    let months = if period.kind == PeriodKind::Month {
        1.0
    } else {
        3.0
    };
    assert_eq!(ind["inputs"]["den"].as_f64().unwrap(), heads, "{ind}");
    assert!(
        (ind["inputs"]["num"].as_f64().unwrap() - hours / months).abs() < 1e-9,
        "{ind}"
    );
    let rate = (hours / months / heads / 4.0).min(1.0);
    assert!((ind["rate"].as_f64().unwrap() - rate).abs() < 1e-9, "{ind}");
    // Each count is the length of its records.
    for c in ind["counts"].as_array().unwrap() {
        let (s, list) = app
            .get_json(
                chief,
                &format!("{}&limit=1", c["records"].as_str().unwrap()),
            )
            .await;
        assert_eq!(s, 200, "{list}");
        assert_eq!(list["total"], c["count"], "{c}");
    }
}

both!(
    training_hours_per_head_score_a_station_from_the_records,
    |app: TestApp| async move {
        pingan_server::training::demo::ensure(&app.db, &app.state.config)
            .await
            .unwrap();
        pingan_server::assessment::demo::ensure(&app.db, &app.state.config)
            .await
            .unwrap();
        let chief = app.client_as("chief").await;
        let today = app.state.today();
        town_drill(&app, &chief, pingan_domain::time::day_start(today)).await;
        let station = station_key(&app, &chief, TOWN).await;
        check_per_head(
            &app,
            &chief,
            &station,
            ReportPeriod::containing(PeriodKind::Month, today),
        )
        .await;
        // This quarter began before version 2: it keeps version 1, without the indicator.
        let quarter = ReportPeriod::containing(PeriodKind::Quarter, today);
        if quarter.first_day() < ReportPeriod::containing(PeriodKind::Month, today).first_day() {
            let (_, d) = app
                .get_json(
                    &chief,
                    &format!("/api/v1/assessment/units/station/{station}?period={quarter}"),
                )
                .await;
            assert_eq!(d["scheme_version"], 1, "{d}");
            assert!(!d.to_string().contains("training_hours"));
        }
        // Into the next quarter: scored on version 2, the quarter's hours taken as three months'.
        let next = quarter.next().first_day();
        let days = (next - today).get_days() as i64 + 2;
        app.state.clock.advance_seconds(days * 86_400);
        town_drill(&app, &chief, app.state.now() - 3_600_000_000).await;
        check_per_head(&app, &chief, &station, quarter.next()).await;
    }
);
