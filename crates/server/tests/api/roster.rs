//! 排班: shifts on a zone of 枫桥派出所 in a week two months ahead. Each refusal reason — a person
//! double-booked, a rest under the minimum, a person of another org not seconded, the unit
//! double-booked, a unit of another org — is answered beside its field with nothing stored; a
//! seconded volunteer is booked; people see their own shifts; a copied week books what fits and
//! lists what does not; a cancelled shift books nobody.

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

/// RFC 3339 in China Standard Time of local hour `h` on day `d` after `monday` (local midnight,
/// UTC µs).
fn at(monday: i64, d: i64, h: i64) -> String {
    let t = pingan_domain::time::from_micros(monday + d * 24 * HOUR + h * HOUR);
    format!(
        "{}+08:00",
        pingan_domain::time::local_datetime(t).replace(' ', "T")
    )
}

fn shift(zone: &str, unit: Option<&str>, from: String, to: String, crew: Value) -> Value {
    json!({"zone_id": zone, "mode": "foot", "unit_id": unit, "starts_at": from, "ends_at": to, "crew": crew})
}

/// Posts a shift that must be refused; returns the problems, checking nothing was stored.
async fn refused(app: &TestApp, c: &reqwest::Client, body: Value) -> Vec<Value> {
    let (shifts, crew, head) = (
        app.count("patrol_shifts").await,
        app.count("patrol_shift_crew").await,
        app.audit_head().await,
    );
    let (s, e) = post(app, c, "/api/v1/patrol-shifts", body).await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(app.count("patrol_shifts").await, shifts);
    assert_eq!(app.count("patrol_shift_crew").await, crew);
    assert_eq!(app.audit_head().await, head, "a refusal writes nothing");
    e["error"]["problems"].as_array().unwrap().clone()
}

fn has(problems: &[Value], field: &str, code: &str) -> bool {
    problems
        .iter()
        .any(|p| p["field"] == field && p["code"] == code)
}

both!(
    roster_conflicts_are_refused_with_their_reasons,
    |app: TestApp| async move {
        let chief = app.client_as("chief").await;
        let doc = openapi(&app).await;
        let station = id_of(&app, "SELECT org_id FROM users WHERE username = ?", "chief").await;
        let user = |name: &'static str| {
            let app = &app;
            async move { id_of(app, "SELECT id FROM users WHERE username = ?", name).await }
        };
        let (officer, auxiliary, volunteer, gridworker) = (
            user("officer").await,
            user("auxiliary").await,
            user("volunteer").await,
            user("gridworker").await,
        );
        let car = id_of(
            &app,
            "SELECT id FROM units WHERE org_id = ? ORDER BY call_sign LIMIT 1",
            &station,
        )
        .await;
        let team_unit = id_of(
            &app,
            "SELECT id FROM units WHERE kind = ? ORDER BY call_sign LIMIT 1",
            "volunteer_team",
        )
        .await;
        let (lng, lat) = inside_point(&app, &chief, "330681109004002").await;
        let d = 0.003;
        let (s, z) = post(&app, &chief, "/api/v1/patrol-zones", json!({"station_org_id": station, "name": "排班测试巡区",
            "geometry": {"type": "Polygon", "coordinates": [[[lng - d, lat - d], [lng + d, lat - d], [lng + d, lat + d], [lng - d, lat + d], [lng - d, lat - d]]]}})).await;
        assert_eq!(s, 201, "{z}");
        let zone = z["id"].as_str().unwrap().to_string();
        // A Monday about two months ahead, local midnight.
        let day = jiff::Zoned::now().date() + jiff::Span::new().days(60);
        let monday = pingan_server::patrol::roster::week_start(day);
        assert_eq!(
            pingan_domain::time::local_datetime(pingan_domain::time::from_micros(monday))[11..],
            *"00:00:00"
        );

        // The day shift: officer and auxiliary with the station's car, Monday 08–16.
        let crew2 = json!([{"user_id": officer}, {"user_id": auxiliary}]);
        let (s, a) = post(
            &app,
            &chief,
            "/api/v1/patrol-shifts",
            shift(
                &zone,
                Some(&car),
                at(monday, 0, 8),
                at(monday, 0, 16),
                crew2,
            ),
        )
        .await;
        assert_eq!(s, 201, "{a}");
        assert_documented(&doc, "post", "/api/v1/patrol-shifts", 201, &a);
        assert_eq!(a["crew"].as_array().unwrap().len(), 2);
        assert_eq!(a["unit_id"], car.as_str());
        let day_shift = a["id"].as_str().unwrap().to_string();

        // Double booking, even by one hour.
        let p = refused(
            &app,
            &chief,
            shift(
                &zone,
                None,
                at(monday, 0, 15),
                at(monday, 0, 20),
                json!([{"user_id": officer}]),
            ),
        )
        .await;
        assert!(has(&p, "crew[0].user_id", "roster_double_booked"), "{p:?}");
        assert_eq!(p[0]["params"]["shift_id"], day_shift.as_str());
        assert!(
            p[0]["params"]["when"]
                .as_str()
                .unwrap()
                .contains("08:00–16:00")
        );

        // Rest: Monday 20:00 is four hours after the day shift; the minimum is eight.
        let p = refused(
            &app,
            &chief,
            shift(
                &zone,
                None,
                at(monday, 0, 20),
                at(monday, 0, 23),
                json!([{"user_id": volunteer, "seconded": true}, {"user_id": auxiliary}]),
            ),
        )
        .await;
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(has(&p, "crew[1].user_id", "roster_rest_too_short"), "{p:?}");
        assert_eq!(p[0]["params"]["rest_hours"], "4.0");
        assert_eq!(p[0]["params"]["min_hours"], "8.0");
        // … and before a shift: Monday 02:00–04:00 leaves four hours before 08:00.
        let p = refused(
            &app,
            &chief,
            shift(
                &zone,
                None,
                at(monday, 0, 2),
                at(monday, 0, 4),
                json!([{"user_id": officer}]),
            ),
        )
        .await;
        assert!(has(&p, "crew[0].user_id", "roster_rest_too_short"), "{p:?}");

        // A person of another org (a volunteer team) without secondment; a grid worker, whose role
        // does not patrol, even seconded.
        let p = refused(
            &app,
            &chief,
            shift(
                &zone,
                None,
                at(monday, 1, 19),
                at(monday, 1, 23),
                json!([{"user_id": volunteer}, {"user_id": gridworker, "seconded": true}]),
            ),
        )
        .await;
        assert!(
            has(&p, "crew[0].user_id", "roster_outside_station"),
            "{p:?}"
        );
        assert!(has(&p, "crew[1].user_id", "roster_role"), "{p:?}");

        // The car double-booked, and a unit of another org; with a person refused too, every
        // reason is answered at once.
        let p = refused(
            &app,
            &chief,
            shift(
                &zone,
                Some(&car),
                at(monday, 0, 12),
                at(monday, 0, 14),
                json!([{"user_id": volunteer, "seconded": true}]),
            ),
        )
        .await;
        assert!(has(&p, "unit_id", "roster_unit_double_booked"), "{p:?}");
        let p = refused(
            &app,
            &chief,
            shift(
                &zone,
                Some(&team_unit),
                at(monday, 2, 8),
                at(monday, 2, 12),
                json!([{"user_id": officer}, {"user_id": volunteer}]),
            ),
        )
        .await;
        assert!(has(&p, "unit_id", "roster_unit_outside_station"), "{p:?}");
        assert!(
            has(&p, "crew[1].user_id", "roster_outside_station"),
            "{p:?}"
        );
        assert_eq!(p.len(), 2, "{p:?}");

        // Values: the end before the start, nobody, someone twice, a shift of 30 hours.
        for (body, field, code) in [
            (
                shift(
                    &zone,
                    None,
                    at(monday, 3, 10),
                    at(monday, 3, 9),
                    json!([{"user_id": officer}]),
                ),
                "ends_at",
                "roster_period",
            ),
            (
                shift(
                    &zone,
                    None,
                    at(monday, 3, 0),
                    at(monday, 4, 6),
                    json!([{"user_id": officer}]),
                ),
                "ends_at",
                "roster_period",
            ),
            (
                shift(&zone, None, at(monday, 3, 8), at(monday, 3, 9), json!([])),
                "crew",
                "roster_crew_size",
            ),
            (
                shift(
                    &zone,
                    None,
                    at(monday, 3, 8),
                    at(monday, 3, 9),
                    json!([{"user_id": officer}, {"user_id": officer}]),
                ),
                "crew[1].user_id",
                "roster_crew_twice",
            ),
            (
                shift(
                    &zone,
                    None,
                    at(monday, 3, 8),
                    at(monday, 3, 9),
                    json!([{"user_id": "nobody"}]),
                ),
                "crew[0].user_id",
                "roster_person",
            ),
            (
                shift(
                    "nozone",
                    None,
                    at(monday, 3, 8),
                    at(monday, 3, 9),
                    json!([{"user_id": officer}]),
                ),
                "zone_id",
                "patrol_zone",
            ),
        ] {
            let p = refused(&app, &chief, body).await;
            assert!(has(&p, field, code), "{field} {code}: {p:?}");
        }
        let (s, e) = post(&app, &chief, "/api/v1/patrol-shifts", json!({"zone_id": zone, "mode": "walking", "starts_at": at(monday, 3, 8), "ends_at": at(monday, 3, 9), "crew": []})).await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (400, Some("mode")),
            "{e}"
        );

        // Seconded, the volunteer is booked for Tuesday evening: exactly eight hours' rest before
        // Wednesday 07:00 is enough.
        let (s, v) = post(
            &app,
            &chief,
            "/api/v1/patrol-shifts",
            json!({"zone_id": zone, "mode": "stakeout", "starts_at": at(monday, 1, 19), "ends_at": at(monday, 1, 23),
                   "crew": [{"user_id": volunteer, "seconded": true}], "note": "夜间蹲守"}),
        )
        .await;
        assert_eq!(s, 201, "{v}");
        assert_eq!(v["crew"][0]["seconded"], true);
        let (s, w) = post(
            &app,
            &chief,
            "/api/v1/patrol-shifts",
            shift(
                &zone,
                None,
                at(monday, 2, 7),
                at(monday, 2, 9),
                json!([{"user_id": volunteer, "seconded": true}]),
            ),
        )
        .await;
        assert_eq!(s, 201, "{w}");

        // Listing: the week has three shifts; the officer's own list has one, the volunteer's two.
        let week = format!(
            "from={}&to={}",
            urlencode(&at(monday, 0, 0)),
            urlencode(&at(monday, 7, 0))
        );
        let (s, l) = app
            .get_json(
                &chief,
                &format!("/api/v1/patrol-shifts?zone_id={zone}&{week}"),
            )
            .await;
        assert_eq!(s, 200, "{l}");
        assert_documented(&doc, "get", "/api/v1/patrol-shifts", 200, &l);
        assert_eq!(l.as_array().unwrap().len(), 3, "{l}");
        let officer_c = app.client_as("officer").await;
        let (_, mine) = app
            .get_json(
                &officer_c,
                &format!("/api/v1/patrol-shifts?mine=true&{week}"),
            )
            .await;
        assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
        assert_eq!(mine[0]["id"], day_shift.as_str());
        let volunteer_c = app.client_as("volunteer").await;
        let (_, mine) = app
            .get_json(
                &volunteer_c,
                &format!("/api/v1/patrol-shifts?mine=true&{week}"),
            )
            .await;
        assert_eq!(mine.as_array().unwrap().len(), 2, "{mine}");
        let (s, one) = app
            .get_json(
                &volunteer_c,
                &format!("/api/v1/patrol-shifts/{}", v["id"].as_str().unwrap()),
            )
            .await;
        assert_eq!((s, &one["note"]), (200, &json!("夜间蹲守")));
        // The officer may read but not book.
        let (s, _) = post(
            &app,
            &officer_c,
            "/api/v1/patrol-shifts",
            shift(
                &zone,
                None,
                at(monday, 4, 8),
                at(monday, 4, 9),
                json!([{"user_id": officer}]),
            ),
        )
        .await;
        assert_eq!(s, 403);

        // Copying the week books all three a week later; copying again books none: each is
        // skipped as a double booking of its people.
        let week_of = day.to_string();
        let (s, c1) = post(
            &app,
            &chief,
            "/api/v1/patrol-shifts/copy-week",
            json!({"station_org_id": station, "week_of": week_of}),
        )
        .await;
        assert_eq!(s, 200, "{c1}");
        assert_documented(&doc, "post", "/api/v1/patrol-shifts/copy-week", 200, &c1);
        assert_eq!(c1["created"].as_array().unwrap().len(), 3, "{c1}");
        assert_eq!(c1["skipped"].as_array().unwrap().len(), 0, "{c1}");
        let copied = &c1["created"][0];
        assert_eq!(
            copied["starts_at"].as_i64().unwrap(),
            a["starts_at"].as_i64().unwrap() + 7 * 24 * HOUR
        );
        let before = app.count("patrol_shifts").await;
        let (s, c2) = post(
            &app,
            &chief,
            "/api/v1/patrol-shifts/copy-week",
            json!({"station_org_id": station, "week_of": week_of}),
        )
        .await;
        assert_eq!(s, 200, "{c2}");
        assert_eq!(c2["created"].as_array().unwrap().len(), 0, "{c2}");
        let skipped = c2["skipped"].as_array().unwrap();
        assert_eq!(skipped.len(), 3, "{c2}");
        assert!(
            skipped
                .iter()
                .all(|k| k["problems"][0]["code"] == "roster_double_booked"
                    || k["problems"][0]["code"] == "roster_unit_double_booked"),
            "{c2}"
        );
        assert_eq!(app.count("patrol_shifts").await, before);

        // Cancelling the day shift frees the officer and the car: the refused shift now fits.
        let (s, x) = post(
            &app,
            &chief,
            &format!("/api/v1/patrol-shifts/{day_shift}/cancel"),
            json!({}),
        )
        .await;
        assert_eq!(s, 200, "{x}");
        assert_documented(&doc, "post", "/api/v1/patrol-shifts/{id}/cancel", 200, &x);
        assert!(x["cancelled_at"].is_i64());
        let (s, _) = post(
            &app,
            &chief,
            &format!("/api/v1/patrol-shifts/{day_shift}/cancel"),
            json!({}),
        )
        .await;
        assert_eq!(s, 409);
        let (s, again) = post(
            &app,
            &chief,
            "/api/v1/patrol-shifts",
            shift(
                &zone,
                Some(&car),
                at(monday, 0, 12),
                at(monday, 0, 20),
                json!([{"user_id": officer}]),
            ),
        )
        .await;
        assert_eq!(s, 201, "{again}");
        let (_, l) = app
            .get_json(
                &chief,
                &format!("/api/v1/patrol-shifts?zone_id={zone}&{week}"),
            )
            .await;
        assert!(
            l.as_array()
                .unwrap()
                .iter()
                .all(|s| s["id"] != day_shift.as_str())
        );

        // The audit trail has each booking, the copy and the cancellation.
        let rows: Vec<(String,)> = app
            .db
            .fetch_all(
                "SELECT action FROM audit_log WHERE object_type = 'patrol_shift' ORDER BY seq",
                vec![],
            )
            .await
            .unwrap();
        let count = |a: &str| rows.iter().filter(|r| r.0 == a).count();
        assert_eq!(
            (count("patrol_shift.create"), count("patrol_shift.cancel")),
            (7, 1)
        );
    }
);

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}
