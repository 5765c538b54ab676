//! 信息研判 over the database: a planted history (a cluster at one address in 陈家 in the last ten days,
//! a thin background across three townships, fewer incidents the fortnight before) gives hotspots
//! where the cluster is, one repeat location with every cluster incident, trend rows whose counts
//! equal the plan and a rise the test calls significant; scope decides what each user sees; bad
//! parameters are 422s naming the field; briefs are composed once even when two servers race, kept,
//! and readable only inside the reader's scope.

use super::*;
use helpers::*;
use pingan_server::analysis::brief::{self, PeriodKind};
use serde_json::{Value, json};

const CHENJIA_GRID: &str = "330681109004002";
const OTHER_GRIDS: [&str; 3] = ["330681001001003", "330681002001001", "330681109004001"];
const CLUSTER_ADDRESS: &str = "枫桥镇陈家村夜市 3 号";

/// Inserts one incident `days_ago` days (plus `minutes`) before now at (lng, lat).
async fn plant(app: &TestApp, lng: f64, lat: f64, at: i64, type_code: &str, address: &str) {
    plant_incident(app, lng, lat, at, type_code, address).await;
}

/// Local midnight that starts `today − days`.
fn day_start(app: &TestApp, days: i64) -> i64 {
    let today = app.state.today();
    pingan_domain::time::day_start(today.checked_sub(jiff::Span::new().days(days)).unwrap())
}

/// Incidents the database holds (the demo's own samples included) received in
/// [start of `from_days` ago, start of `to_days` ago), under `area`, of `type_code` if given —
/// counted in SQL, independently of the analysis code.
async fn stored(
    app: &TestApp,
    area: &str,
    from_days: i64,
    to_days: i64,
    type_code: Option<&str>,
) -> u64 {
    let (n,): (i64,) = app
        .db
        .fetch_one(
            "SELECT COUNT(*) FROM incidents WHERE status NOT IN ('merged', 'cancelled') AND area_path LIKE ? \
             AND received_at >= ? AND received_at < ? AND (? = '' OR type_code = ?)",
            pingan_store::args![
                format!("{area}%"),
                day_start(app, from_days),
                day_start(app, to_days),
                type_code.unwrap_or(""),
                type_code.unwrap_or("")
            ],
        )
        .await
        .unwrap();
    n as u64
}

struct Planted {
    centre: (f64, f64),
    /// Incidents in the 14 local days ending yesterday: under 枫桥 and in all.
    current_fq: u64,
    current_all: u64,
    /// In the 14 days before that.
    previous_all: u64,
    /// Yesterday, in all.
    yesterday_all: u64,
}

/// Cluster: 30 thefts at one address within ~30 m in 陈家, days 1–10 ago (3 of them yesterday).
/// Background: 2 per other grid in the current fortnight, 2 per grid in the previous one.
async fn plant_history(app: &TestApp) -> Planted {
    let c = app.client_as("admin").await;
    let centre = inside_point(app, &c, CHENJIA_GRID).await;
    for k in 0..30 {
        let a = k as f64 * 0.9;
        let (lng, lat) = (
            centre.0 + 0.0003 * a.cos() * (k % 3) as f64 / 2.0,
            centre.1 + 0.0002 * a.sin() * (k % 3) as f64 / 2.0,
        );
        let days = if k < 3 { 1 } else { 2 + k % 9 };
        plant(
            app,
            lng,
            lat,
            day_start(app, days) + 3_600_000_000,
            "100100",
            CLUSTER_ADDRESS,
        )
        .await;
    }
    for g in OTHER_GRIDS {
        let p = inside_point(app, &c, g).await;
        for days in [3, 12] {
            plant(
                app,
                p.0,
                p.1,
                day_start(app, days) + 7_200_000_000,
                "200200",
                &format!("{g} 号"),
            )
            .await;
        }
        for days in [16, 25] {
            plant(
                app,
                p.0,
                p.1,
                day_start(app, days) + 7_200_000_000,
                "200200",
                &format!("{g} 号"),
            )
            .await;
        }
    }
    Planted {
        centre,
        current_fq: stored(app, "/330681/330681109/", 14, 0, None).await,
        current_all: stored(app, "/330681/", 14, 0, None).await,
        previous_all: stored(app, "/330681/", 28, 14, None).await,
        yesterday_all: stored(app, "/330681/", 1, 0, None).await,
    }
}

fn ring_contains(ring: &Value, p: (f64, f64)) -> bool {
    let pts: Vec<(f64, f64)> = ring
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v[0].as_f64().unwrap(), v[1].as_f64().unwrap()))
        .collect();
    let mut inside = false;
    for i in 0..pts.len() - 1 {
        let (a, b) = (pts[i], pts[i + 1]);
        if (a.1 > p.1) != (b.1 > p.1) && p.0 < a.0 + (p.1 - a.1) / (b.1 - a.1) * (b.0 - a.0) {
            inside = !inside;
        }
    }
    inside
}

fn fortnight(app: &TestApp) -> String {
    let today = app.state.today();
    let to = today.yesterday().unwrap();
    let from = to.checked_sub(jiff::Span::new().days(13)).unwrap();
    format!("from={from}&to={to}")
}

both!(analysis_over_planted_history, |app: TestApp| async move {
    let planted = plant_history(&app).await;
    let period = fortnight(&app);
    let dispatcher = app.client_as("dispatcher").await;

    // Hotspots: the cluster's cell is hot at 99 %; only significant cells are sent.
    let (s, h) = app
        .get_json(
            &dispatcher,
            &format!("/api/v1/analysis/hotspots?area=/330681/&{period}"),
        )
        .await;
    assert_eq!(s, 200, "{h}");
    assert_eq!(h["events"], planted.current_all);
    let cells = h["cells"].as_array().unwrap();
    assert!(cells.iter().all(|c| c["level"].as_i64().unwrap() != 0));
    let home = cells
        .iter()
        .find(|c| ring_contains(&c["ring"], planted.centre))
        .unwrap_or_else(|| panic!("no significant cell holds the cluster: {h}"));
    assert_eq!(home["level"], 3, "{home}");
    assert!(home["count"].as_f64().unwrap() >= 10.0, "{home}");
    assert!(!h["density"].as_array().unwrap().is_empty());
    assert!(h["density_peak"].as_f64().unwrap() > 0.0);
    // Gi* compares the cells of the district's grids (centre or a corner inside one), not the
    // incidents' bounding box: every significant cell touches a grid, and the frame is said.
    assert_eq!(h["frame"], "grids", "{h}");
    let frame_cells = h["frame_cells"].as_u64().unwrap();
    let all_cells = h["cols"].as_u64().unwrap() * h["rows"].as_u64().unwrap();
    assert!(frame_cells > 1 && frame_cells <= all_cells, "{h}");
    assert_eq!(
        h["events_outside"], 0,
        "every planted incident is in a grid"
    );
    for c in cells {
        let ring = c["ring"].as_array().unwrap();
        let corner = |k: usize| (ring[k][0].as_f64().unwrap(), ring[k][1].as_f64().unwrap());
        let mut probes: Vec<(f64, f64)> = (0..4).map(corner).collect();
        probes.push((
            probes.iter().map(|p| p.0).sum::<f64>() / 4.0,
            probes.iter().map(|p| p.1).sum::<f64>() / 4.0,
        ));
        let mut inside = false;
        for (lng, lat) in probes {
            inside |= pingan_server::locate::grid_at(&app.db, lng, lat)
                .await
                .unwrap()
                .is_some();
        }
        assert!(inside, "a significant cell outside every grid: {c}");
    }

    // The category filter: fights/disputes only — the cluster (thefts) is gone.
    let (s, h2) = app
        .get_json(
            &dispatcher,
            &format!("/api/v1/analysis/hotspots?area=/330681/&{period}&types=200200"),
        )
        .await;
    assert_eq!(s, 200, "{h2}");
    assert_eq!(
        h2["events"],
        stored(&app, "/330681/", 14, 0, Some("200200")).await
    );
    assert!(h2["events"].as_u64().unwrap() >= 6);

    // Repeat locations: every cluster incident at one place.
    let (s, places) = app
        .get_json(
            &dispatcher,
            &format!("/api/v1/analysis/repeat-locations?area=/330681/&{period}"),
        )
        .await;
    assert_eq!(s, 200, "{places}");
    assert_eq!(places[0]["address"], CLUSTER_ADDRESS, "{places}");
    assert_eq!(places[0]["count"], 30);
    assert_eq!(places[0]["types"][0]["type_code"], "100100");
    assert_eq!(places[0]["incidents"].as_array().unwrap().len(), 20);

    // Trends: this fortnight against the one before and a year before.
    let (s, t) = app
        .get_json(
            &dispatcher,
            &format!("/api/v1/analysis/trends?area=/330681/&{period}"),
        )
        .await;
    assert_eq!(s, 200, "{t}");
    assert_eq!(t["days"], 14);
    let rows = t["rows"].as_array().unwrap();
    let total = &rows[0];
    assert_eq!(total["kind"], "total");
    assert_eq!(total["previous_period"]["current"], planted.current_all);
    assert_eq!(total["previous_period"]["previous"], planted.previous_all);
    assert_eq!(total["previous_period"]["significant"], true, "{total}");
    assert_eq!(total["same_period_last_year"]["previous"], 0);
    let fq = rows
        .iter()
        .find(|r| r["kind"] == "area" && r["key"] == "/330681/330681109/")
        .unwrap_or_else(|| panic!("no 枫桥镇 row: {t}"));
    assert_eq!(fq["name"], "枫桥镇");
    assert_eq!(fq["previous_period"]["current"], planted.current_fq);
    let areas = rows.iter().filter(|r| r["kind"] == "area").count();
    assert_eq!(areas, 3, "every township is listed: {t}");
    let theft = rows
        .iter()
        .find(|r| r["kind"] == "type" && r["key"] == "100100")
        .unwrap();
    assert_eq!(
        theft["previous_period"]["current"],
        stored(&app, "/330681/", 14, 0, Some("100100")).await
    );
    assert!(theft["previous_period"]["current"].as_u64().unwrap() >= 30);
    // Disputes: as many this fortnight as the one before (give or take the demo's own samples) —
    // no change worth a headline.
    let disputes = rows
        .iter()
        .find(|r| r["kind"] == "type" && r["key"] == "200200")
        .unwrap();
    assert_eq!(
        disputes["previous_period"]["current"],
        stored(&app, "/330681/", 14, 0, Some("200200")).await
    );
    assert_eq!(
        disputes["previous_period"]["previous"],
        stored(&app, "/330681/", 28, 14, Some("200200")).await
    );
    assert_eq!(
        disputes["previous_period"]["significant"], false,
        "{disputes}"
    );

    // Near repeat: the table accounts for every pair.
    let (s, n) = app
        .get_json(
            &dispatcher,
            &format!("/api/v1/analysis/near-repeat?area=/330681/&{period}&permutations=19&space_bands=50,200&time_bands=2,7"),
        )
        .await;
    assert_eq!(s, 200, "{n}");
    let events = planted.current_all;
    assert_eq!(n["events"], events);
    let pairs: u64 = n["observed"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap().iter().map(|v| v.as_u64().unwrap()))
        .sum();
    assert_eq!(pairs, events * (events - 1) / 2);
    assert_eq!(n["observed"].as_array().unwrap().len(), 3);
    // Few incidents: the p-values are from the permutations asked for.
    assert_eq!(n["p_method"], "permutation", "{n}");
    assert_eq!(n["permutations"], 19);

    // Scope: the 枫桥 chief sees 枫桥 only, by default and when asking wider.
    let chief = app.client_as("chief").await;
    let (s, h) = app
        .get_json(&chief, &format!("/api/v1/analysis/hotspots?{period}"))
        .await;
    assert_eq!(s, 200, "{h}");
    assert_eq!(h["events"], planted.current_fq);
    let (s, e) = app
        .get_json(
            &chief,
            &format!("/api/v1/analysis/trends?area=/330681/&{period}"),
        )
        .await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["error"]["field"], "area");
    // A grid worker has no analysis.
    let grid = app.client_as("gridworker").await;
    let (s, _) = app
        .get_json(&grid, &format!("/api/v1/analysis/hotspots?{period}"))
        .await;
    assert_eq!(s, 403);
});

both!(analysis_rejects_bad_parameters, |app: TestApp| async move {
    let c = app.client_as("dispatcher").await;
    for (query, field) in [
        ("from=2026-13-01", "from"),
        ("from=2026-11-20&to=2026-11-01", "to"),
        ("from=2024-01-01&to=2026-01-01", "from"),
        ("types=abc", "types"),
        ("cell_m=10", "cell_m"),
        ("cell_m=500&band_m=100", "band_m"),
        ("bandwidth_m=NaN", "bandwidth_m"),
        ("area=/999999/", "area"),
        ("area=nonsense", "area"),
    ] {
        let (s, e) = app
            .get_json(&c, &format!("/api/v1/analysis/hotspots?{query}"))
            .await;
        assert_eq!(s, 422, "{query}: {e}");
        assert_eq!(e["error"]["field"], field, "{query}: {e}");
    }
    for (query, field) in [
        ("space_bands=200,100", "space_bands"),
        ("time_bands=x", "time_bands"),
        ("permutations=5000", "permutations"),
    ] {
        let (s, e) = app
            .get_json(&c, &format!("/api/v1/analysis/near-repeat?{query}"))
            .await;
        assert_eq!(s, 422, "{query}: {e}");
        assert_eq!(e["error"]["field"], field, "{query}: {e}");
    }
    let (s, e) = app
        .get_json(&c, "/api/v1/analysis/repeat-locations?min_count=1")
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (422, Some("min_count")),
        "{e}"
    );
    let (s, e) = app.get_json(&c, "/api/v1/analysis/trends?colour=red").await;
    assert!(s == 400 || s == 422, "{s} {e}");
    // Defaults: the last 28 days up to today, the caller's first area.
    let (s, h) = app.get_json(&c, "/api/v1/analysis/hotspots").await;
    assert_eq!(s, 200, "{h}");
    assert_eq!(h["events"], stored(&app, "/330681/", 27, -1, None).await);
    // A period with no incidents: empty layers, not an error.
    let (s, h) = app
        .get_json(
            &c,
            "/api/v1/analysis/hotspots?from=2001-01-01&to=2001-01-31",
        )
        .await;
    assert_eq!(s, 200, "{h}");
    assert_eq!(h["events"], 0);
    assert_eq!(h["cells"].as_array().unwrap().len(), 0);
});

both!(
    briefs_are_composed_once_kept_and_scoped,
    |app: TestApp| async move {
        let planted = plant_history(&app).await;
        let yesterday = app.state.today().yesterday().unwrap().to_string();
        let leader = app.client_as("dispatcher").await;
        let monday = app.state.today().weekday() == jiff::civil::Weekday::Monday;
        let (s, b) = post(
        &app,
        &leader,
        "/api/v1/briefs",
        json!({"subject_kind": "district", "subject_id": "330681", "period_kind": "daily", "date": yesterday}),
    )
    .await;
        assert_eq!(s, 201, "{b}");
        let id = b["id"].as_str().unwrap().to_string();
        assert_eq!(b["period_start"], yesterday);
        assert_eq!(b["subject_name"], "诸暨市");
        // Asking again answers the kept brief.
        let (s, again) = post(
        &app,
        &leader,
        "/api/v1/briefs",
        json!({"subject_kind": "district", "subject_id": "330681", "period_kind": "daily", "date": yesterday}),
    )
    .await;
        assert_eq!((s, again["id"].as_str()), (200, Some(id.as_str())));

        let (s, full) = app.get_json(&leader, &format!("/api/v1/briefs/{id}")).await;
        assert_eq!(s, 200, "{full}");
        let c = &full["content"];
        assert_eq!(c["trends"]["days"], 1);
        assert_eq!(
            c["trends"]["rows"][0]["previous_period"]["current"],
            planted.yesterday_all
        );
        // The map looks back four weeks: every planted incident but none of the future.
        assert_eq!(
            c["hotspots"]["events"],
            stored(&app, "/330681/", 28, 0, None).await
        );
        assert!(
            c["hotspots"]["events"].as_u64().unwrap() >= planted.current_all + planted.previous_all
        );
        assert!(
            c["hotspots"]["cells"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["level"] == 3)
        );
        assert_eq!(c["repeat_locations"][0]["count"], 30);
        assert!(c["near_repeat"]["observed"].is_array());

        // A weekly brief for the 枫桥 station by its chief; the district brief is not in the chief's scope.
        let chief = app.client_as("chief").await;
        let station: (String,) = app
            .db
            .fetch_one(
                "SELECT id FROM orgs WHERE name = '枫桥派出所'",
                pingan_store::args![],
            )
            .await
            .unwrap();
        let (s, w) = post(
        &app,
        &chief,
        "/api/v1/briefs",
        json!({"subject_kind": "station", "subject_id": station.0, "period_kind": "weekly", "date": yesterday}),
    )
    .await;
        if monday {
            assert_eq!(s, 201, "{w}");
        } else {
            // Yesterday's week has not ended: refused, naming the date.
            assert_eq!(
                (s, w["error"]["field"].as_str()),
                (422, Some("date")),
                "{w}"
            );
        }
        let (s, _) = app.get_json(&chief, &format!("/api/v1/briefs/{id}")).await;
        assert_eq!(s, 404);
        let (s, list) = app.get_json(&chief, "/api/v1/briefs").await;
        assert_eq!(s, 200);
        assert!(
            list.as_array()
                .unwrap()
                .iter()
                .all(|b| b["subject_kind"] == "station"),
            "{list}"
        );
        let (s, e) = post(
        &app,
        &chief,
        "/api/v1/briefs",
        json!({"subject_kind": "district", "subject_id": "330681", "period_kind": "daily", "date": yesterday}),
    )
    .await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (422, Some("subject_id")),
            "{e}"
        );
        let today = app.state.today().to_string();
        let (s, e) = post(
        &app,
        &leader,
        "/api/v1/briefs",
        json!({"subject_kind": "district", "subject_id": "330681", "period_kind": "daily", "date": today}),
    )
    .await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (422, Some("date")),
            "{e}"
        );

        // Two servers racing for the same brief: one composes it, the other stands back.
        let subjects = brief::subjects(&app.db).await.unwrap();
        assert_eq!(subjects.len(), 4, "the district and three stations");
        let period = PeriodKind::Daily.containing(
            app.state
                .today()
                .checked_sub(jiff::Span::new().days(2))
                .unwrap(),
        );
        let (a, b) = tokio::join!(
            brief::ensure(&app.state, &subjects[0], PeriodKind::Daily, period),
            brief::ensure(&app.state, &subjects[0], PeriodKind::Daily, period),
        );
        let composed = [a.unwrap(), b.unwrap()];
        assert_eq!(
            composed.iter().filter(|x| x.is_some()).count(),
            1,
            "{composed:?}"
        );
        let (n,): (i64,) = app
            .db
            .fetch_one(
                "SELECT COUNT(*) FROM briefs WHERE period_start = ? AND subject_kind = 'district'",
                pingan_store::args![period.from.to_string()],
            )
            .await
            .unwrap();
        assert_eq!(n, 1);

        // A server that died mid-way leaves a claim without content: once its lease lapses, the next
        // check takes it over.
        let stale = PeriodKind::Daily.containing(
            app.state
                .today()
                .checked_sub(jiff::Span::new().days(3))
                .unwrap(),
        );
        let key = pingan_store::analysis::BriefKey {
            subject_kind: subjects[1].kind.clone(),
            subject_id: subjects[1].id.clone(),
            subject_name: subjects[1].name.clone(),
            area_path: subjects[1].area_path.clone(),
            period_kind: "daily".into(),
            period_start: stale.from.to_string(),
            period_end: stale.to.to_string(),
        };
        let now = app.state.now();
        let dead = pingan_store::analysis::claim_brief(
            &app.db,
            &key,
            "dead-id",
            "dead-server",
            now,
            now + 60_000_000,
        )
        .await
        .unwrap();
        assert_eq!(dead.as_deref(), Some("dead-id"));
        assert_eq!(
            brief::ensure(&app.state, &subjects[1], PeriodKind::Daily, stale)
                .await
                .unwrap(),
            None,
            "lease still live"
        );
        app.state.clock.advance_seconds(120);
        assert_eq!(
            brief::ensure(&app.state, &subjects[1], PeriodKind::Daily, stale)
                .await
                .unwrap()
                .as_deref(),
            Some("dead-id"),
            "the lapsed claim is taken over"
        );

        // The scheduler's check: yesterday's daily and last week's weekly for all four subjects, once.
        // Eight are due; the district's daily was composed above, and on a Monday so was the station's
        // weekly.
        let first = brief::ensure_due(&app.state).await.unwrap();
        assert_eq!(first, if monday { 6 } else { 7 });
        assert_eq!(brief::ensure_due(&app.state).await.unwrap(), 0);
    }
);

// A district-year (300,000 incidents, the generator behind `pingan demo --district-year`) is
// accepted as one selection, and its hot and cold cells are what the CLI's kernel (binning and
// gistar_grid_masked) gives on the same points in the frame the answer names.
both!(
    a_district_year_is_one_selection,
    |app: TestApp| async move {
        let stored = pingan_server::analysis::demo::district_year(&app.db, 300_000, 365, 11)
            .await
            .unwrap();
        assert_eq!(stored, 300_000);
        let to = app.state.today();
        let from = to.checked_sub(jiff::Span::new().days(365)).unwrap();
        let leader = app.client_as("leader").await;
        let (s, h) = app
            .get_json(
                &leader,
                &format!("/api/v1/analysis/hotspots?area=/330681/&from={from}&to={to}"),
            )
            .await;
        assert_eq!(s, 200, "{}", &h.to_string()[..h.to_string().len().min(500)]);
        let (n,): (i64,) = app
        .db
        .fetch_one(
            "SELECT COUNT(*) FROM incidents WHERE status NOT IN ('merged', 'cancelled') AND area_path LIKE '/330681/%' \
             AND received_at >= ?",
            pingan_store::args![day_start(&app, 365)],
        )
        .await
        .unwrap();
        assert!(
            n >= 299_000,
            "nearly all of the year falls in the period: {n}"
        );
        assert_eq!(
            h["events"].as_i64().unwrap(),
            n,
            "every incident of the year is read"
        );
        assert_eq!(h["frame"], "grids");

        // The same points, read and projected as an analyst's export would be.
        let points: Vec<(f64, f64)> = app
        .db
        .fetch_all(
            "SELECT lng, lat FROM incidents WHERE status NOT IN ('merged', 'cancelled') AND area_path LIKE '/330681/%' \
             AND received_at >= ?",
            pingan_store::args![day_start(&app, 365)],
        )
        .await
        .unwrap();
        let proj =
            pingan_geo::Projection::transverse_mercator(h["central_meridian"].as_f64().unwrap());
        let (xs, ys): (Vec<f64>, Vec<f64>) = points
            .iter()
            .map(|&(lng, lat)| proj.forward(lng, lat))
            .unzip();
        let grid = pingan_geo::analysis::grid::Grid::new(
            h["x0"].as_f64().unwrap(),
            h["y0"].as_f64().unwrap(),
            h["cell_m"].as_f64().unwrap(),
            h["cols"].as_u64().unwrap() as usize,
            h["rows"].as_u64().unwrap() as usize,
        )
        .unwrap();
        let binned = grid.bin(&xs, &ys, None);
        let everything = pingan_domain::Scope::new(vec![pingan_domain::scope::ScopeGrant {
            kind: pingan_domain::scope::ScopeKind::Area,
            path: "/".into(),
        }]);
        let area = pingan_server::analysis::StudyArea::of(&app.db, &everything, "/330681/")
            .await
            .unwrap()
            .expect("the district has grids");
        let mask = area.mask(&grid, &proj);
        assert_eq!(
            mask.iter().filter(|&&m| m).count() as u64,
            h["frame_cells"].as_u64().unwrap()
        );
        let band = h["band_m"].as_f64().unwrap().max(grid.cell);
        let gi =
            pingan_geo::analysis::gistar::gistar_grid_masked(&grid, &binned.values, band, &mask)
                .unwrap();
        let mut want = [0usize; 7];
        for z in &gi.z {
            want[(pingan_geo::analysis::gistar::Confidence::of(*z).level() + 3) as usize] += 1;
        }
        let mut got = [0usize; 7];
        for c in h["cells"].as_array().unwrap() {
            got[(c["level"].as_i64().unwrap() + 3) as usize] += 1;
        }
        want[3] = 0; // not significant: not sent
        assert_eq!(got, want, "hot/cold cells per level, cold 99 % … hot 99 %");
        assert!(got[6] > 0, "a year of this district has hot spots at 99 %");
    }
);
