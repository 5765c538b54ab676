//! Demo 入户走访: 陈家社区's households registered by address (twelve per grid, no people), the
//! grid worker's visits this month — most of the first grid, a few of the second, one shop — and one
//! visit that heard of loose wiring in a stairwell and raised it as a risk in the same step.

use super::{NewVisit, RaisedIssue};
use crate::config::Config;
use crate::state::AppState;
use pingan_domain::risk::RiskLevel;
use pingan_store::{Db, args};

const PER_GRID: usize = 12;

/// A point inside the grid: the mean of its outer ring.
fn middle(geometry: &str) -> Option<(f64, f64)> {
    let g: serde_json::Value = serde_json::from_str(geometry).ok()?;
    let ring = g["coordinates"][0].as_array()?;
    let n = ring.len().max(1) as f64;
    let (x, y) = ring.iter().fold((0.0, 0.0), |(x, y), p| {
        (
            x + p[0].as_f64().unwrap_or(0.0),
            y + p[1].as_f64().unwrap_or(0.0),
        )
    });
    Some((x / n, y / n))
}

/// Once: returns whether anything was made.
pub async fn ensure(db: &Db, config: &Config) -> anyhow::Result<bool> {
    let (n,): (i64,) = db
        .fetch_one("SELECT COUNT(*) FROM households", args![])
        .await?;
    if n > 0 {
        return Ok(false);
    }
    let state = AppState::new(config.clone(), db.clone())?;
    let worker = crate::accounts::demo::actor(db, "gridworker").await?;
    let err = |e: crate::error::ApiError| anyhow::anyhow!("demo visits: {e:?}");
    let grids: Vec<(String, String, String)> = db
        .fetch_all(
            "SELECT code, name, geometry FROM grids WHERE area_path LIKE ? ORDER BY code",
            args!["/330681/330681109/330681109004/%"],
        )
        .await?;
    let mut households: Vec<Vec<String>> = Vec::new();
    for (g, (code, _, geometry)) in grids.iter().enumerate() {
        let (x, y) = middle(geometry).unwrap_or((120.41, 29.61));
        let mut ids = Vec::new();
        for i in 0..PER_GRID {
            let h = super::add_household(
                &state,
                &worker,
                super::NewHousehold {
                    grid_code: code.clone(),
                    address: format!("陈家社区{}弄{}号", g + 1, i + 1),
                    lng: Some(x + (i % 4) as f64 * 0.0004 - 0.0006),
                    lat: Some(y + (i / 4) as f64 * 0.0004 - 0.0004),
                },
            )
            .await
            .map_err(err)?;
            ids.push(h.id);
        }
        households.push(ids);
    }
    let visit = |household: &str, topics: &[&str], issues: Vec<RaisedIssue>| NewVisit {
        household_id: Some(household.to_string()),
        household_address: None,
        grid_code: None,
        place_id: None,
        visited_at: None,
        topics: topics.iter().map(|t| t.to_string()).collect(),
        materials: Some("反诈宣传册 1 份".into()),
        note: None,
        issues,
    };
    // Visited over the last days: the clock steps back and forward again.
    let visits: Vec<(usize, usize)> = (0..9)
        .map(|i| (0, i))
        .chain((0..3).map(|i| (1, i)))
        .collect();
    let back = visits.len() as i64;
    state.clock.advance_seconds(-back * 6 * 3_600);
    for (k, (g, i)) in visits.into_iter().enumerate() {
        let Some(h) = households.get(g).and_then(|hs| hs.get(i)) else {
            continue;
        };
        let issues = if k == 4 {
            vec![RaisedIssue::Risk(crate::risks::raised::NewRiskReport {
                title: "楼道内私拉电线为电动车充电".into(),
                category: "fire".into(),
                level: RiskLevel::General,
                detail: Some("住户反映楼道内有人私拉电线充电，存在火灾隐患。".into()),
                place_id: None,
                grid_code: None,
                lng: None,
                lat: None,
            })]
        } else {
            Vec::new()
        };
        let topics: &[&str] = if k % 2 == 0 {
            &["anti_fraud", "fire"]
        } else {
            &["anti_fraud", "civil_code"]
        };
        super::record(&state, &worker, visit(h, topics, issues))
            .await
            .map_err(err)?;
        state.clock.advance_seconds(6 * 3_600);
    }
    Ok(true)
}
