//! 工作台: each demo role's home page shows that role's own items — the officer their assignment, the
//! dispatcher the overdue incident, the village mediator the dispute by time left, the legal
//! supervisor the open alert, the grid worker their report, the leader the week's figures — and no
//! permission codes.

use super::*;
use helpers::*;
use serde_json::json;

async fn home(app: &TestApp, who: &str) -> String {
    let c = app.client_as(who).await;
    let r = c.get(format!("{}/", app.url)).send().await.unwrap();
    assert_eq!(r.status(), 200, "{who}");
    r.text().await.unwrap()
}

/// The `<section id=…>` of the page, or panics naming what is missing.
fn section<'a>(html: &'a str, id: &str, who: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("{who}'s home has no {id}"));
    let rest = &html[start..];
    &rest[..rest.find("</section>").unwrap()]
}

both!(
    each_role_sees_its_own_work_at_home,
    |app: TestApp| async move {
        pingan_server::cases::demo::ensure(&app.db, &app.state.config)
            .await
            .unwrap();
        let d = app.client_as("dispatcher").await;
        let (lng, lat) = inside_point(&app, &d, "330681109004002").await;
        // The grid worker reports; the dispatcher leaves it waiting past its dispatch target.
        let gw = app.client_as("gridworker").await;
        let (s, reported) = post(
            &app,
            &gw,
            "/api/v1/incidents",
            json!({
        "type_code": "200200", "channel": "grid_report", "description": "两户因停车争执",
        "address": "陈家社区 3 号", "lng": lng, "lat": lat}),
        )
        .await;
        assert_eq!(s, 201, "{reported}");
        let (s, waiting) = post(&app, &d, "/api/v1/incidents", json!({
        "type_code": "100100", "description": "电动车被盗", "address": "陈家社区 5 号", "lng": lng, "lat": lat, "level": 1})).await;
        assert_eq!(s, 201, "{waiting}");
        app.state.clock.advance_seconds(3 * 3600);
        // Another one goes to the officer's car.
        let (_, assigned) = post(&app, &d, "/api/v1/incidents", json!({
        "type_code": "500100", "description": "老人走失求助", "address": "陈家社区 7 号", "lng": lng, "lat": lat})).await;
        let (_, units) = app.get_json(&d, "/api/v1/units").await;
        let car = units
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["call_sign"] == "枫桥1号车")
            .unwrap()["id"]
            .clone();
        let (s, b) = post(
            &app,
            &d,
            &format!(
                "/api/v1/incidents/{}/actions",
                assigned["id"].as_str().unwrap()
            ),
            json!({"action": "dispatch", "unit_ids": [car]}),
        )
        .await;
        assert_eq!(s, 200, "{b}");
        // A dispute at the village tier.
        let village = app.client_as("villagemediator").await;
        let (s, dispute) = post(&app, &village, "/api/v1/disputes", json!({
        "type_code": "02", "title": "宅基地界址纠纷", "description": "两户围墙争执", "address": "陈家社区 9 号",
        "lng": lng, "lat": lat, "tier": "village"})).await;
        assert_eq!(s, 201, "{dispute}");

        let officer = home(&app, "officer").await;
        assert!(
            section(&officer, "home-assignments", "officer")
                .contains(assigned["number"].as_str().unwrap())
        );
        let dispatcher = home(&app, "dispatcher").await;
        let overdue = section(&dispatcher, "home-overdue", "dispatcher");
        assert!(
            overdue.contains(waiting["number"].as_str().unwrap()),
            "{overdue}"
        );
        assert!(overdue.contains("超时"), "{overdue}");
        let mediator = home(&app, "villagemediator").await;
        assert!(section(&mediator, "home-disputes", "villagemediator").contains("宅基地界址纠纷"));
        assert!(
            section(&mediator, "home-notices", "villagemediator")
                .contains(dispute["number"].as_str().unwrap())
        );
        let gridworker = home(&app, "gridworker").await;
        assert!(
            section(&gridworker, "home-reports", "gridworker")
                .contains(reported["number"].as_str().unwrap())
        );
        let legal = home(&app, "legal").await;
        assert!(
            section(&legal, "home-alerts", "legal").contains("/case-alerts/"),
            "the demo cases raise alerts"
        );
        let leader = home(&app, "leader").await;
        let figures = &leader[leader
            .find("id=\"home-figures\"")
            .expect("leader's figures")..];
        assert!(figures.contains("本周警情"), "{figures}");

        // Each sees only their own kinds of work; nobody sees permission codes.
        assert!(!officer.contains("home-overdue") && !mediator.contains("home-overdue"));
        assert!(!mediator.contains("home-assignments") && !gridworker.contains("home-alerts"));
        for page in [
            &officer,
            &dispatcher,
            &mediator,
            &gridworker,
            &legal,
            &leader,
        ] {
            for code in ["IncidentRespond", "AreaRead", "DisputeManage"] {
                assert!(!page.contains(code), "a permission code on a home page");
            }
        }
    }
);
