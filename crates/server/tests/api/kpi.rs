//! KPI dashboard: on the seeded demo (a year of incidents, cases with alerts, disputes) every figure
//! equals a count written here separately in SQL (or a hand computation over rows read here), and
//! every count's records list — walked a page at a time — holds exactly that many records.

use super::*;
use calamine::{Data, Reader, Xlsx};
use helpers::*;
use pingan_domain::incident::{Level, Stage};
use pingan_store::{Value as Arg, args};
use serde_json::Value;
use std::collections::BTreeSet;

async fn download(app: &TestApp, c: &reqwest::Client, path: &str) -> Vec<u8> {
    let r = c.get(format!("{}{path}", app.url)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200, "{path}");
    assert_eq!(
        r.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    r.bytes().await.unwrap().to_vec()
}

const TOWN: &str = "/330681/330681109/";

fn micros(day: &str) -> i64 {
    pingan_domain::time::day_start(day.parse().unwrap())
}

/// `[from, last]` of a count, as UTC µs `[start, end)`.
fn span(c: &Value) -> (i64, i64) {
    let from = micros(c["from"].as_str().unwrap());
    let last: jiff::civil::Date = c["to"].as_str().unwrap().parse().unwrap();
    (
        from,
        pingan_domain::time::day_start(last.tomorrow().unwrap()),
    )
}

async fn one(app: &TestApp, sql: &str, a: Vec<Arg>) -> i64 {
    let (n,): (i64,) = app.db.fetch_one(sql, a).await.unwrap();
    n
}

/// The area path of a `LIKE` pattern (`/330681/%` → `/330681/`).
fn area_path_of(like: &str) -> &str {
    like.trim_end_matches('%')
}

/// The count as written here, independently of the store's measures.
async fn independent(app: &TestApp, c: &Value, area: &str, grid: Option<&str>) -> i64 {
    let (from, to) = span(c);
    let like = format!("{area}%");
    let key = c["key"].as_str();
    let incidents = |cond: &str| {
        let mut sql = format!(
            "SELECT COUNT(*) FROM incidents WHERE status <> 'merged' AND status <> 'cancelled' \
             AND received_at >= ? AND received_at < ? AND area_path LIKE ? AND {cond}"
        );
        let mut a = args![from, to, like.clone()];
        if let Some(g) = grid {
            sql.push_str(" AND grid_code = ?");
            a.push(Arg::from(g));
        }
        if let Some(k) = key {
            sql.push_str(" AND type_code = ?");
            a.push(Arg::from(k));
        }
        (sql, a)
    };
    let measure = c["measure"].as_str().unwrap();
    let (sql, a) = match measure {
        "incidents.received" => incidents("1 = 1"),
        "incidents.dispatch_clock" => incidents("dispatched_at IS NOT NULL"),
        "incidents.arrival_clock" => incidents("dispatched_at IS NOT NULL AND arrived_at IS NOT NULL"),
        "incidents.called_back" => incidents("satisfaction IS NOT NULL"),
        "incidents.satisfied" => {
            incidents("(satisfaction = 'satisfied' OR satisfaction = 'basically_satisfied')")
        }
        "incidents.dispatch_on_target" | "incidents.arrival_on_target" => {
            return on_target(app, c, area, grid).await;
        }
        "cases.criminal_filed" => (
            "SELECT COUNT(*) FROM cases WHERE kind = 'criminal' AND filed_at >= ? AND filed_at < ? \
             AND area_path LIKE ?"
                .to_string(),
            args![from, to, like],
        ),
        "cases.criminal_solved" => (
            "SELECT COUNT(*) FROM cases WHERE kind = 'criminal' AND solved_at >= ? AND solved_at < ? \
             AND area_path LIKE ?"
                .to_string(),
            args![from, to, like],
        ),
        "cases.administrative_accepted" => (
            "SELECT COUNT(*) FROM cases WHERE kind = 'administrative' AND accepted_at >= ? \
             AND accepted_at < ? AND area_path LIKE ?"
                .to_string(),
            args![from, to, like],
        ),
        "cases.open" => {
            // By hand: accepted (or registered) before the end, not closed before the start.
            let rows: Vec<(Option<i64>, i64, Option<i64>)> = app
                .db
                .fetch_all(
                    "SELECT accepted_at, created_at, closed_at FROM cases WHERE area_path LIKE ?",
                    args![like],
                )
                .await
                .unwrap();
            return rows
                .iter()
                .filter(|(acc, created, closed)| {
                    acc.unwrap_or(*created) < to && closed.is_none_or(|c| c >= from)
                })
                .count() as i64;
        }
        "cases.alerts" => (
            "SELECT COUNT(*) FROM case_alerts WHERE found_at >= ? AND found_at < ? AND case_id IN \
             (SELECT id FROM cases WHERE area_path LIKE ?)"
                .to_string(),
            args![from, to, like],
        ),
        "cases.reviews" => (
            "SELECT COUNT(*) FROM case_reviews WHERE created_at >= ? AND created_at < ? AND case_id IN \
             (SELECT id FROM cases WHERE area_path LIKE ?)"
                .to_string(),
            args![from, to, like],
        ),
        "disputes.registered" | "disputes.resolved" => {
            let mut sql = "SELECT COUNT(*) FROM disputes WHERE registered_at >= ? AND registered_at < ? \
                 AND area_path LIKE ?"
                .to_string();
            let mut a = args![from, to, like];
            if measure == "disputes.resolved" {
                sql.push_str(" AND agreed_at < ?");
                a.push(Arg::Int(to));
            }
            if let Some(g) = grid {
                sql.push_str(" AND grid_code = ?");
                a.push(Arg::from(g));
            }
            if let Some(k) = key {
                sql.push_str(" AND tier = ?");
                a.push(Arg::from(k));
            }
            (sql, a)
        }
        "disputes.criminal_turns" => (
            "SELECT COUNT(*) FROM dispute_alerts WHERE at >= ? AND at < ? AND dispute_id IN \
             (SELECT id FROM disputes WHERE area_path LIKE ?)"
                .to_string(),
            args![from, to, like],
        ),
        "tasks.accepted" | "tasks.on_time" => {
            // By hand, as the task figures count them.
            let rows: Vec<(String, i64, Option<i64>)> = app
                .db
                .fetch_all(
                    "SELECT status, deadline_end, submitted_at FROM tasks WHERE assigned_at >= ? \
                     AND assigned_at < ? AND area_path LIKE ?",
                    args![from, to, like],
                )
                .await
                .unwrap();
            return rows
                .iter()
                .filter(|(status, deadline, submitted)| {
                    status == "accepted"
                        && (measure == "tasks.accepted" || submitted.is_some_and(|s| s < *deadline))
                })
                .count() as i64;
        }
        "visits.households" | "visits.households_visited" => {
            let mut sql = "SELECT COUNT(*) FROM households WHERE created_at < ? AND area_path LIKE ?"
                .to_string();
            let mut a = args![to, like];
            if let Some(g) = grid {
                sql.push_str(" AND grid_code = ?");
                a.push(Arg::from(g));
            }
            if measure == "visits.households_visited" {
                sql.push_str(
                    " AND id IN (SELECT household_id FROM visits WHERE household_id IS NOT NULL \
                     AND visited_at >= ? AND visited_at < ?)",
                );
                a.extend(args![from, to]);
            }
            (sql, a)
        }
        m if m.starts_with("disputes.agreed_") || m.starts_with("disputes.on_time_") => {
            // By hand: first agreed in the period at that tier (and, on time, before the deadline
            // the tier had then: the stored one unless the dispute was reopened since, when only
            // the flag kept at agreement knows).
            let tier = m.rsplit('_').next().unwrap();
            type Row = (Option<String>, Option<i64>, i64, i64, Option<bool>, String, Option<String>);
            let rows: Vec<Row> = app
                .db
                .fetch_all(
                    "SELECT agreed_tier, agreed_at, tier_due, reopened, agreed_on_time, area_path, \
                     grid_code FROM disputes",
                    args![],
                )
                .await
                .unwrap();
            return rows
                .iter()
                .filter(|(t, agreed, due, reopened, kept, area, g)| {
                    let on_time = |a: i64| {
                        if *reopened == 0 {
                            a < *due
                        } else {
                            kept == &Some(true)
                        }
                    };
                    t.as_deref() == Some(tier)
                        && agreed.is_some_and(|a| {
                            a >= from && a < to && (m.contains("agreed") || on_time(a))
                        })
                        && area.starts_with(area_path_of(&like))
                        && grid.is_none_or(|want| g.as_deref() == Some(want))
                })
                .count() as i64;
        }
        "training.attendance" => {
            let mut sql = "SELECT COUNT(*) FROM training_attendance WHERE starts_at >= ? \
                 AND starts_at < ? AND area_path LIKE ?"
                .to_string();
            let mut a = args![from, to, like];
            if let Some(k) = key {
                sql.push_str(" AND session_id IN (SELECT id FROM training_sessions WHERE kind = ?)");
                a.push(Arg::from(k));
            }
            (sql, a)
        }
        "training.staff" => {
            // By hand: active accounts (partner agencies' are not staff) made before the end, by
            // their organisation's area.
            let rows: Vec<(String, bool, i64, Option<String>)> = app
                .db
                .fetch_all(
                    "SELECT u.role, u.disabled, u.created_at, o.area_path FROM users u \
                     JOIN orgs o ON o.id = u.org_id",
                    args![],
                )
                .await
                .unwrap();
            return rows
                .iter()
                .filter(|(role, disabled, created, area)| {
                    role != "partner"
                        && !disabled
                        && *created < to
                        && area.as_deref().is_some_and(|p| p.starts_with(area_path_of(&like)))
                })
                .count() as i64;
        }
        "patrol.post_days" | "patrol.post_days_checked_in" => {
            // By hand: the post-days of the days counted, in the plan's own area, by how checked.
            let rows: Vec<(String, String, bool, String)> = app
                .db
                .fetch_all(
                    "SELECT d.day, d.method, d.checked_in, p.area_path FROM patrol_post_days d \
                     JOIN patrol_plans p ON p.id = d.plan_id",
                    args![],
                )
                .await
                .unwrap();
            let (first, last) = (c["from"].as_str().unwrap(), c["to"].as_str().unwrap());
            return rows
                .iter()
                .filter(|(day, method, checked, area)| {
                    first <= day.as_str()
                        && day.as_str() <= last
                        && (measure == "patrol.post_days" || *checked)
                        && key.is_none_or(|k| k == method)
                        && area.starts_with(area_path_of(&like))
                        && grid.is_none()
                })
                .count() as i64;
        }
        other => panic!("no independent count for {other}"),
    };
    one(app, &sql, a).await
}

/// The clock rows of a count's incidents: (level, area type, received, dispatched, arrived).
type ClockRow = (i64, String, i64, Option<i64>, Option<i64>);

async fn clock_rows(app: &TestApp, c: &Value, area: &str, grid: Option<&str>) -> Vec<ClockRow> {
    let (from, to) = span(c);
    let mut sql = "SELECT level, area_type, received_at, dispatched_at, arrived_at FROM incidents \
         WHERE status NOT IN ('merged', 'cancelled') AND received_at >= ? AND received_at < ? \
         AND area_path LIKE ?"
        .to_string();
    let mut a = args![from, to, format!("{area}%")];
    if let Some(g) = grid {
        sql.push_str(" AND grid_code = ?");
        a.push(Arg::from(g));
    }
    app.db.fetch_all(&sql, a).await.unwrap()
}

/// Seconds per stage of each incident that reached it.
fn stage_seconds(rows: &[ClockRow], arrival: bool) -> Vec<(f64, i64)> {
    let targets = pingan_domain::incident::ClockTargets::default();
    rows.iter()
        .filter_map(|(level, area_type, rec, disp, arr)| {
            let level = Level::new(*level).unwrap();
            let (secs, stage) = if arrival {
                ((*arr)? - (*disp)?, Stage::DispatchToArrival)
            } else {
                ((*disp)? - rec, Stage::ReceiptToDispatch)
            };
            Some((secs as f64 / 1e6, targets.target(stage, level, area_type)))
        })
        .collect()
}

async fn on_target(app: &TestApp, c: &Value, area: &str, grid: Option<&str>) -> i64 {
    let arrival = c["measure"] == "incidents.arrival_on_target";
    stage_seconds(&clock_rows(app, c, area, grid).await, arrival)
        .iter()
        .filter(|(s, t)| s.floor() <= *t as f64)
        .count() as i64
}

/// Walks the count's records a page of 7 at a time; returns (total, ids).
async fn walk(app: &TestApp, client: &reqwest::Client, c: &Value) -> (i64, Vec<String>) {
    let base = format!("{}&limit=7", c["records"].as_str().unwrap());
    let mut ids = Vec::new();
    let mut after: Option<String> = None;
    let mut total;
    loop {
        let url = match &after {
            Some(a) => format!("{base}&after={a}"),
            None => base.clone(),
        };
        let (s, page) = app.get_json(client, &url).await;
        assert_eq!(s, 200, "{url}: {page}");
        total = page["total"].as_i64().unwrap();
        for r in page["rows"].as_array().unwrap() {
            ids.push(r["id"].as_str().unwrap().to_string());
            assert!(r["href"].as_str().unwrap().starts_with('/'));
        }
        match page["next"].as_str() {
            Some(n) => after = Some(n.to_string()),
            None => break,
        }
    }
    (total, ids)
}

/// Checks every count of a dashboard against the separate SQL and against its list; returns how many
/// counts were checked.
async fn check_dashboard(
    app: &TestApp,
    client: &reqwest::Client,
    d: &Value,
    area: &str,
    grid: Option<&str>,
) -> usize {
    let mut checked = 0;
    let mut counts: Vec<&Value> = Vec::new();
    for g in d["groups"].as_array().unwrap() {
        for f in g["figures"].as_array().unwrap() {
            counts.extend(f["counts"].as_array().unwrap());
            for b in f["breakdown"].as_array().unwrap() {
                counts.push(&b["count"]);
            }
        }
    }
    for c in counts {
        let n = c["count"].as_i64().unwrap();
        let expected = independent(app, c, area, grid).await;
        assert_eq!(n, expected, "figure count {c}");
        let (total, ids) = walk(app, client, c).await;
        assert_eq!(total, n, "records total of {c}");
        assert_eq!(ids.len() as i64, n, "records listed for {c}");
        assert_eq!(
            ids.iter().collect::<BTreeSet<_>>().len(),
            ids.len(),
            "no record twice: {c}"
        );
        checked += 1;
    }
    checked
}

fn figure<'a>(d: &'a Value, key: &str) -> &'a Value {
    d["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["figures"].as_array().unwrap())
        .find(|f| f["key"] == key)
        .unwrap_or_else(|| panic!("no figure {key} in {d}"))
}

fn nearest_rank(mut v: Vec<f64>, p: f64) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return None;
    }
    let r = ((p * v.len() as f64).ceil() as usize).max(1);
    Some(v[r - 1])
}

both!(
    every_dashboard_figure_equals_an_independent_count_and_its_list,
    |app: TestApp| async move {
        pingan_server::mediation::demo::ensure(&app.db, &app.state.config)
            .await
            .unwrap();
        pingan_server::analysis::demo::ensure(&app.db)
            .await
            .unwrap();
        pingan_server::cases::demo::ensure(&app.db, &app.state.config)
            .await
            .unwrap();
        pingan_server::tasks::demo::ensure(&app.db, &app.state.config)
            .await
            .unwrap();
        pingan_server::visits::demo::ensure(&app.db, &app.state.config)
            .await
            .unwrap();
        pingan_server::training::demo::ensure(&app.db, &app.state.config)
            .await
            .unwrap();
        pingan_server::patrol::demo::ensure(&app.db, &app.state.config)
            .await
            .unwrap();
        // Yesterday's posts are recorded an hour after its last window closes (past midnight for a
        // late window): run the job as it will have run by then, whatever the hour now.
        record_patrol_days_as_later(&app).await;
        let doc = openapi(&app).await;
        let chief = app.client_as("chief").await;
        let today = app.state.today();
        let last_month = pingan_domain::period::ReportPeriod::containing(
            pingan_domain::period::PeriodKind::Month,
            today,
        )
        .previous();

        // A whole past month for the chief's town.
        let url = format!("/api/v1/kpi/dashboard?period={last_month}");
        let (s, d) = app.get_json(&chief, &url).await;
        assert_eq!(s, 200, "{d}");
        assert_documented(&doc, "get", "/api/v1/kpi/dashboard", s, &d);
        assert_eq!(d["area"]["path"], TOWN);
        assert_eq!(d["complete"], true);
        assert_eq!(d["from"], last_month.first_day().to_string());
        assert_eq!(d["to"], last_month.last_day().to_string());
        let groups: Vec<&str> = d["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["group"].as_str().unwrap())
            .collect();
        assert_eq!(
            groups,
            [
                "incidents",
                "cases",
                "disputes",
                "tasks",
                "visits",
                "patrol",
                "training"
            ]
        );
        let received = figure(&d, "incidents.received");
        assert!(
            received["value"].as_f64().unwrap() > 10.0,
            "the demo history fills a month: {received}"
        );
        let previous = &received["counts"][1];
        assert_eq!(previous["role"], "previous");
        assert_eq!(
            previous["from"],
            last_month.previous().first_day().to_string()
        );
        let checked = check_dashboard(&app, &chief, &d, TOWN, None).await;
        assert!(checked >= 25, "{checked} counts checked");

        // The breakdown by category adds up to the total; the 环比 test is the exact Poisson test.
        let sum: i64 = received["breakdown"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["count"]["count"].as_i64().unwrap())
            .sum();
        assert_eq!(sum, received["value"].as_f64().unwrap() as i64);
        let mom = &received["previous_period"];
        let expected = pingan_geo::analysis::trend::compare(
            mom["current"].as_u64().unwrap(),
            mom["previous"].as_u64().unwrap(),
            last_month.days() as f64,
            last_month.previous().days() as f64,
            0.05,
        );
        assert!((mom["p_value"].as_f64().unwrap() - expected.p_value).abs() < 1e-12);

        // The clocks: medians and 90th percentiles by nearest rank over the rows read here.
        let measured = &figure(&d, "incidents.arrival_clock")["counts"][0];
        let rows = clock_rows(&app, measured, TOWN, None).await;
        for (key, arrival) in [
            ("incidents.dispatch_clock", false),
            ("incidents.arrival_clock", true),
        ] {
            let f = figure(&d, key);
            let secs: Vec<f64> = stage_seconds(&rows, arrival)
                .into_iter()
                .map(|x| x.0)
                .collect();
            assert!(!secs.is_empty());
            assert_eq!(
                f["value"].as_f64(),
                nearest_rank(secs.clone(), 0.5),
                "{key}"
            );
            assert_eq!(f["p90"].as_f64(), nearest_rank(secs, 0.9), "{key}");
        }
        // Ratios are their two counts divided.
        let sat = figure(&d, "incidents.satisfaction");
        let (num, den) = (
            sat["counts"][0]["count"].as_f64().unwrap(),
            sat["counts"][1]["count"].as_f64().unwrap(),
        );
        assert!(den > 0.0, "the demo calls back: {sat}");
        assert!((sat["value"].as_f64().unwrap() - num / den).abs() < 1e-12);

        // The sub-areas one level down: each one's count by its own path.
        let parts = d["parts"].as_array().unwrap();
        assert!(parts.len() >= 2, "{d}");
        for p in parts {
            assert_eq!(p["kind"], "area");
            let path = p["key"].as_str().unwrap();
            let n = independent(&app, &p["incidents"], path, None).await;
            assert_eq!(p["incidents"]["count"].as_i64().unwrap(), n, "{p}");
        }

        // The running month, narrowed to a village and then to one of its grids.
        let village = parts
            .iter()
            .max_by_key(|p| p["incidents"]["count"].as_i64())
            .unwrap()["key"]
            .as_str()
            .unwrap()
            .to_string();
        let (s, v) = app
            .get_json(
                &chief,
                &format!("/api/v1/kpi/dashboard?area={village}&period=2026-Q4"),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(
            v["trail"].as_array().unwrap().len(),
            2,
            "town › village: {v}"
        );
        check_dashboard(&app, &chief, &v, &village, None).await;
        let grid = v["parts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["kind"] == "grid" && p["incidents"]["count"].as_i64() > Some(0))
            .unwrap_or_else(|| panic!("a village lists its grids: {v}"))["key"]
            .as_str()
            .unwrap()
            .to_string();
        let (s, g) = app
            .get_json(
                &chief,
                &format!("/api/v1/kpi/dashboard?area={village}&grid={grid}&period=2026-Q4"),
            )
            .await;
        assert_eq!(s, 200, "{g}");
        let keys: Vec<&str> = g["groups"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|x| x["figures"].as_array().unwrap())
            .map(|f| f["key"].as_str().unwrap())
            .collect();
        assert!(
            keys.contains(&"incidents.received")
                && !keys
                    .iter()
                    .any(|k| k.starts_with("cases.") || k.starts_with("training.")),
            "cases and training are not kept per grid: {keys:?}"
        );
        check_dashboard(&app, &chief, &g, &village, Some(&grid)).await;

        // Patrol posts are kept by the station's town: yesterday's (the demo's published plan, one
        // post checked in by its track) in the town's month that holds them.
        let yesterday = today.yesterday().unwrap();
        let month = pingan_domain::period::ReportPeriod::containing(
            pingan_domain::period::PeriodKind::Month,
            yesterday,
        );
        let (s, t) = app
            .get_json(&chief, &format!("/api/v1/kpi/dashboard?period={month}"))
            .await;
        assert_eq!(s, 200, "{t}");
        let patrol = figure(&t, "patrol.checkin_rate");
        let mut seen = Vec::new();
        for c in patrol["counts"].as_array().unwrap() {
            let n = c["count"].as_i64().unwrap();
            assert_eq!(n, independent(&app, c, TOWN, None).await, "{c}");
            let (total, ids) = walk(&app, &chief, c).await;
            assert_eq!((total, ids.len() as i64), (n, n), "{c}");
            seen.push(n);
        }
        assert!(
            seen.len() == 2 && seen[1] >= 3 && seen[0] >= 1 && seen[0] < seen[1],
            "yesterday's three posts, one checked in: {patrol}"
        );

        // The report's workbook: one sheet per table, typed cells, the header frozen.
        let bytes = download(
            &app,
            &chief,
            &format!("/kpi/report.xlsx?period={last_month}"),
        )
        .await;
        let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(
            book.sheet_names(),
            ["主要指标", "指标构成", "分类", "下级区域"]
        );
        let figures = book.worksheet_range("主要指标").unwrap();
        assert_eq!(figures.get((1, 1)), Some(&Data::String("指标".into())));
        let row_of = |name: &str| {
            (2..figures.height() as u32)
                .find(|r| figures.get_value((*r, 1)) == Some(&Data::String(name.into())))
                .unwrap_or_else(|| panic!("no row {name}"))
        };
        let r = row_of("警情总数");
        assert_eq!(
            figures.get_value((r, 2)),
            Some(&Data::Float(received["value"].as_f64().unwrap()))
        );
        assert!(
            matches!(figures.get_value((r, 9)), Some(Data::DateTime(d)) if d.to_ymd_hms_milli().0 as i16 == last_month.year)
        );
        let r = row_of("回访满意率");
        assert_eq!(
            figures.get_value((r, 2)),
            Some(&Data::Float(sat["value"].as_f64().unwrap())),
            "a share is a number (shown as a percentage), not text"
        );
        // Every record of a count, with its time as a date-time cell.
        let count = &received["counts"][0];
        let bytes = download(
            &app,
            &chief,
            count["page"]
                .as_str()
                .unwrap()
                .replace("/kpi/records?", "/kpi/records.xlsx?")
                .as_str(),
        )
        .await;
        let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let sheet = book.worksheet_range("明细").unwrap();
        assert_eq!(
            sheet.height() as i64,
            2 + count["count"].as_i64().unwrap(),
            "title, header and one row per record"
        );
        assert!(
            matches!(sheet.get((2, 1)), Some(Data::DateTime(_))),
            "{:?}",
            sheet.get((2, 1))
        );

        // Bad input names the field.
        for (url, field) in [
            ("/api/v1/kpi/dashboard?period=2026-13", "period"),
            ("/api/v1/kpi/dashboard?area=/330681/330681999/", "area"),
            ("/api/v1/kpi/dashboard?area=/330681/&period=2026-11", "area"),
            (
                &format!("/api/v1/kpi/dashboard?area={TOWN}&grid=330681999999999"),
                "grid",
            ),
            (
                "/api/v1/kpi/records?measure=nope&from=2026-11-01&to=2026-11-30",
                "measure",
            ),
            (
                "/api/v1/kpi/records?measure=incidents.received&from=2026-11-31&to=2026-11-30",
                "from",
            ),
            (
                "/api/v1/kpi/records?measure=incidents.received&from=2026-11-02&to=2026-11-01",
                "to",
            ),
            (
                "/api/v1/kpi/records?measure=incidents.received&from=2026-11-01&to=2026-11-30&limit=0",
                "limit",
            ),
            (
                "/api/v1/kpi/records?measure=incidents.received&from=2026-11-01&to=2026-11-30&after=x",
                "after",
            ),
            (
                &format!(
                    "/api/v1/kpi/records?measure=cases.criminal_filed&area={village}&grid={grid}&from=2026-11-01&to=2026-11-30"
                ),
                "grid",
            ),
        ] {
            let (s, e) = app.get_json(&chief, url).await;
            assert_eq!(s, 422, "{url}: {e}");
            assert_eq!(e["error"]["field"], field, "{url}: {e}");
            let doc_path = url.split('?').next().unwrap();
            assert_documented(&doc, "get", doc_path, s, &e);
        }
        // A role without the dashboard is refused; one without case access sees no case figures.
        let volunteer = app.client_as("volunteer").await;
        let (s, _) = app.get_json(&volunteer, "/api/v1/kpi/dashboard").await;
        assert_eq!(s, 403);
        let (s, _) = app
            .get_json(
                &volunteer,
                "/api/v1/kpi/records?measure=incidents.received&from=2026-11-01&to=2026-11-30",
            )
            .await;
        assert_eq!(s, 403);
    }
);
