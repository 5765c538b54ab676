//! 考核: villages ranked for a quarter on the default scheme, each indicator's counts equal to its
//! records; a manual item counts only once a second person confirms it; a settled quarter keeps its
//! scheme version when the weights change, and recomputing it gives the same totals.

use super::*;
use helpers::*;
use pingan_domain::period::{PeriodKind, ReportPeriod};
use serde_json::{Value, json};

fn total_by_hand(s: &Value) -> Option<f64> {
    let mut weights = 0.0;
    let mut points = 0.0;
    for i in s["indicators"].as_array().unwrap() {
        if let Some(r) = i["rate"].as_f64() {
            let w = i["weight"].as_f64().unwrap();
            weights += w;
            points += w * r;
        }
    }
    (weights > 0.0).then(|| (points / weights * 100.0 * 100.0).round() / 100.0)
}

fn indicator<'a>(s: &'a Value, code: &str) -> &'a Value {
    s["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {s}"))
}

both!(
    a_weight_change_is_a_new_version_and_settled_scores_reproduce,
    |app: TestApp| async move {
        pingan_server::mediation::demo::ensure(&app.db, &app.state.config)
            .await
            .unwrap();
        pingan_server::analysis::demo::ensure(&app.db)
            .await
            .unwrap();
        let doc = openapi(&app).await;
        let coordinator = app.client_as("coordinator").await;
        let chief = app.client_as("chief").await;
        let today = app.state.today();
        let quarter = ReportPeriod::containing(PeriodKind::Quarter, today).previous();

        // The villages of the town, ranked on version 1 of the village scheme.
        let url = format!("/api/v1/assessment/ranking?unit_type=village&period={quarter}");
        let (s, r) = app.get_json(&coordinator, &url).await;
        assert_eq!(s, 200, "{r}");
        assert_documented(&doc, "get", "/api/v1/assessment/ranking", s, &r);
        let scores = r["scores"].as_array().unwrap().clone();
        assert!(scores.len() >= 3, "{r}");
        let mut last = f64::INFINITY;
        for (i, sc) in scores.iter().enumerate() {
            assert_eq!(sc["scheme_version"], 1);
            assert_eq!(sc["total"].as_f64(), total_by_hand(sc), "{sc}");
            let t = sc["total"].as_f64().unwrap_or(-1.0);
            assert!(t <= last, "best first");
            last = t;
            if sc["total"].is_number() {
                assert_eq!(sc["rank"], i as i64 + 1);
            }
            // Every computed indicator's counts are the lengths of their record lists.
            for ind in sc["indicators"].as_array().unwrap() {
                for c in ind["counts"].as_array().unwrap() {
                    let (s, list) = app
                        .get_json(
                            &coordinator,
                            &format!("{}&limit=1", c["records"].as_str().unwrap()),
                        )
                        .await;
                    assert_eq!(s, 200, "{list}");
                    assert_eq!(list["total"], c["count"], "{c}");
                }
                let rate = ind["rate"].as_f64();
                if ind["rule"]["kind"] == "share" {
                    let (num, den) = (
                        ind["inputs"]["num"].as_f64().unwrap(),
                        ind["inputs"]["den"].as_f64().unwrap(),
                    );
                    assert_eq!(rate, (den > 0.0).then(|| num / den), "{ind}");
                }
            }
        }
        // A village of the town, where the station chief (the second person) works.
        let village = scores
            .iter()
            .find(|s| {
                s["unit"]["area_path"]
                    .as_str()
                    .unwrap()
                    .starts_with("/330681/330681109/")
            })
            .unwrap()["unit"]["key"]
            .as_str()
            .unwrap()
            .to_string();
        // A manual item: entered with evidence, not counted until a second person confirms it.
        let (s, e) = post(
            &app,
            &coordinator,
            "/api/v1/assessment/items",
            json!({"unit_type": "village", "unit_key": village, "period": quarter.to_string(),
                "indicator": "key_work", "points": 11, "evidence": "x"}),
        )
        .await;
        assert_eq!(s, 422, "{e}");
        assert_documented(&doc, "post", "/api/v1/assessment/items", s, &e);
        let (s, item) = post(
            &app,
            &coordinator,
            "/api/v1/assessment/items",
            json!({"unit_type": "village", "unit_key": village, "period": quarter.to_string(),
                "indicator": "key_work", "points": 8, "evidence": "季度平安创建台账齐全"}),
        )
        .await;
        assert_eq!(s, 201, "{item}");
        let id = item["id"].as_str().unwrap().to_string();
        let unit_url = format!("/api/v1/assessment/units/village/{village}?period={quarter}");
        let (_, d) = app.get_json(&coordinator, &unit_url).await;
        assert_documented(
            &doc,
            "get",
            "/api/v1/assessment/units/{unit_type}/{key}",
            200,
            &d,
        );
        assert!(
            indicator(&d, "key_work")["rate"].is_null(),
            "unconfirmed: not counted"
        );
        assert_eq!(
            d["items"][0]["can_confirm"], false,
            "not by the one who entered it"
        );
        let confirm = format!("/api/v1/assessment/items/{id}/confirmation");
        let (s, e) = post(&app, &coordinator, &confirm, json!(null)).await;
        assert_eq!(s, 409, "{e}");
        let (s, _) = post(&app, &chief, &confirm, json!(null)).await;
        assert_eq!(s, 204);
        let (_, d) = app.get_json(&coordinator, &unit_url).await;
        assert_eq!(indicator(&d, "key_work")["rate"].as_f64(), Some(0.8));
        assert_eq!(d["total"].as_f64(), total_by_hand(&d));

        // The items of an indicator stay within its maximum together (8 of 10 entered: 2 left).
        let more = |points: f64| {
            json!({"unit_type": "village", "unit_key": village, "period": quarter.to_string(),
                "indicator": "key_work", "points": points, "evidence": "补充：联防巡逻台账"})
        };
        let (s, e) = post(&app, &coordinator, "/api/v1/assessment/items", more(3.0)).await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (422, Some("points")),
            "{e}"
        );
        let (s, pending) = post(&app, &coordinator, "/api/v1/assessment/items", more(2.0)).await;
        assert_eq!(s, 201, "{pending}");

        // The running period cannot be settled; last quarter can.
        let this_quarter = ReportPeriod::containing(PeriodKind::Quarter, today);
        let (s, e) = post(
            &app,
            &coordinator,
            "/api/v1/assessment/settlements",
            json!({"unit_type": "village", "period": this_quarter.to_string()}),
        )
        .await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (422, Some("period")),
            "{e}"
        );
        let (s, done) = post(
            &app,
            &coordinator,
            "/api/v1/assessment/settlements",
            json!({"unit_type": "village", "period": quarter.to_string()}),
        )
        .await;
        assert_eq!(s, 200, "{done}");
        assert_eq!(done["settled"].as_u64(), Some(scores.len() as u64));
        // A settled score's inputs are closed: the pending item can no longer be confirmed.
        let late = format!(
            "/api/v1/assessment/items/{}/confirmation",
            pending["id"].as_str().unwrap()
        );
        let (s, e) = post(&app, &chief, &late, json!(null)).await;
        assert_eq!(s, 409, "{e}");
        let (_, before) = app.get_json(&coordinator, &url).await;

        // A new version with other weights, from this month on.
        let (_, schemes) = app
            .get_json(&coordinator, "/api/v1/assessment/schemes?unit_type=village")
            .await;
        let mut indicators = schemes[0]["indicators"].clone();
        let this_month = ReportPeriod::containing(PeriodKind::Month, today);
        for bad in [
            (json!(this_month.previous().to_string()), "effective_from"),
            (json!("2026-Q4"), "effective_from"),
        ] {
            let (s, e) = post(
                &app,
                &coordinator,
                "/api/v1/assessment/schemes",
                json!({"unit_type": "village", "effective_from": bad.0, "indicators": indicators}),
            )
            .await;
            assert_eq!((s, e["error"]["field"].as_str()), (422, Some(bad.1)), "{e}");
        }
        indicators[0]["weight"] = json!(30.0);
        let (s, e) = post(
            &app,
            &coordinator,
            "/api/v1/assessment/schemes",
            json!({"unit_type": "village", "effective_from": this_month.to_string(), "indicators": indicators}),
        )
        .await;
        assert_eq!(s, 422, "weights now add to 110: {e}");
        assert_eq!(e["error"]["field"], "indicators");
        indicators[1]["weight"] = json!(25.0);
        let (s, v2) = post(
            &app,
            &coordinator,
            "/api/v1/assessment/schemes",
            json!({"unit_type": "village", "effective_from": this_month.to_string(),
                "indicators": indicators, "note": "提高满意度权重"}),
        )
        .await;
        assert_eq!(s, 201, "{v2}");
        assert_documented(&doc, "post", "/api/v1/assessment/schemes", s, &v2);
        assert_eq!(v2["version"], 2);
        let volunteer = app.client_as("volunteer").await;
        let (s, _) = app.get_json(&volunteer, &url).await;
        assert_eq!(s, 403);

        // Last quarter: settled with version 1, unchanged, and recomputing reproduces every total.
        let (_, after) = app.get_json(&coordinator, &url).await;
        for (b, a) in before["scores"]
            .as_array()
            .unwrap()
            .iter()
            .zip(after["scores"].as_array().unwrap())
        {
            assert_eq!(b["unit"]["key"], a["unit"]["key"]);
            assert_eq!(a["settled"]["total"], b["settled"]["total"]);
            assert_eq!(a["settled"]["scheme_version"], 1);
            assert_eq!(a["settled"]["reproduced"], true, "{a}");
            assert_eq!(a["scheme_version"], 1);
        }
        // A past period never settled still scores with version 1; this month with version 2.
        let two_ago = this_month.previous().previous();
        let (_, old) = app
            .get_json(
                &coordinator,
                &format!("/api/v1/assessment/ranking?unit_type=village&period={two_ago}"),
            )
            .await;
        assert!(
            old["scores"]
                .as_array()
                .unwrap()
                .iter()
                .all(|s| s["scheme_version"] == 1)
        );
        let (_, now) = app
            .get_json(
                &coordinator,
                &format!("/api/v1/assessment/ranking?unit_type=village&period={this_month}"),
            )
            .await;
        for s in now["scores"].as_array().unwrap() {
            assert_eq!(s["scheme_version"], 2);
            assert_eq!(indicator(s, "satisfaction")["weight"], 30.0);
            assert_eq!(s["total"].as_f64(), total_by_hand(s));
        }
        // Settling again keeps what was settled.
        let (_, again) = post(
            &app,
            &coordinator,
            "/api/v1/assessment/settlements",
            json!({"unit_type": "village", "period": quarter.to_string()}),
        )
        .await;
        assert_eq!(again["settled"], 0);
        assert_eq!(again["kept"].as_u64(), Some(scores.len() as u64));
    }
);
