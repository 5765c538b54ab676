//! Demo disputes for `pingan demo`: registered through the same code as the API (grading, sealing,
//! notifications, audit), so the demo shows what real use produces — one fresh neighbour dispute at the
//! grid, a wage dispute that is a group dispute, one agreed with its agreement ready to print, and one
//! registered eight days ago that the tier clock moves up to the village.

use crate::config::Config;
use crate::mediation::register::{NewDisputeRequest, PartyRequest, register};
use crate::mediation::steps::{self, AgreementRequest, SessionRequest, TermRequest};
use crate::state::AppState;
use pingan_store::{Db, args};

fn citizen_id(first17: &str) -> String {
    format!("{first17}{}", pingan_domain::ids::citizen_id_check(first17))
}

fn person(name: &str, role: &str, id17: &str, phone: &str, address: &str) -> PartyRequest {
    PartyRequest {
        kind: None,
        role: Some(role.into()),
        name: name.into(),
        id_number: Some(citizen_id(id17)),
        credit_code: None,
        phone: Some(phone.into()),
        address: Some(address.into()),
        vulnerable: false,
    }
}

/// Registers the demo disputes once (when there are none).
pub async fn ensure(db: &Db, config: &Config) -> anyhow::Result<()> {
    let (n,): (i64,) = db
        .fetch_one("SELECT COUNT(*) FROM disputes", args![])
        .await?;
    if n > 0 {
        return Ok(());
    }
    let state = AppState::new(config.clone(), db.clone())?;
    let err = |e: crate::error::ApiError| anyhow::anyhow!("demo dispute: {e:?}");
    let at = |grid: &str| {
        let grid = grid.to_string();
        async move {
            let (geometry,): (String,) = db
                .fetch_one(
                    "SELECT geometry FROM grids WHERE code = ?",
                    args![grid.as_str()],
                )
                .await?;
            let g: geojson::Geometry = serde_json::from_str(&geometry)?;
            let shape: geo::Geometry<f64> = g.try_into()?;
            use geo::InteriorPoint;
            let p = shape
                .interior_point()
                .ok_or_else(|| anyhow::anyhow!("grid {grid} has no interior"))?;
            anyhow::Ok(((p.x() * 1e6).round() / 1e6, (p.y() * 1e6).round() / 1e6))
        }
    };
    let grid_worker = crate::accounts::demo::actor(db, "gridworker").await?;
    let mediator = crate::accounts::demo::actor(db, "mediator").await?;

    let (lng, lat) = at("330681109004002").await?;
    let base = |title: &str, type_code: &str, description: &str, address: &str| NewDisputeRequest {
        type_code: type_code.into(),
        source: Some("visit".into()),
        incident_id: None,
        campaign_id: None,
        title: title.into(),
        description: description.into(),
        address: Some(address.into()),
        lng: Some(lng),
        lat: Some(lat),
        crs: None,
        people_involved: Some(2),
        amount_yuan: None,
        violence_threat: false,
        self_harm_threat: false,
        vulnerable_party: false,
        grade: None,
        grade_reason: None,
        tier: None,
        parties: Vec::new(),
    };
    register(
        &state,
        &grid_worker,
        NewDisputeRequest {
            parties: vec![
                person(
                    "陈阿土",
                    "applicant",
                    "33068119620305121",
                    "13805750001",
                    "枫桥镇陈家村 12 号",
                ),
                person(
                    "陈小龙",
                    "respondent",
                    "33068119880712231",
                    "13905750002",
                    "枫桥镇陈家村 14 号",
                ),
            ],
            ..base(
                "宅基地滴水纠纷",
                "12",
                "两户房屋相邻，屋檐滴水落入对方院内，多次争吵。",
                "枫桥镇陈家村 12 号",
            )
        },
    )
    .await
    .map_err(err)?;
    register(
        &state,
        &mediator,
        NewDisputeRequest {
            people_involved: Some(8),
            amount_yuan: Some(96_000),
            tier: Some("township".into()),
            parties: vec![
                person(
                    "何建国",
                    "applicant",
                    "33068119750101153",
                    "13705750003",
                    "枫桥镇陈家村 3 号",
                ),
                PartyRequest {
                    kind: Some("organisation".into()),
                    role: Some("respondent".into()),
                    name: "诸暨市某建筑劳务有限公司".into(),
                    id_number: None,
                    credit_code: None,
                    phone: Some("057587000000".into()),
                    address: None,
                    vulnerable: false,
                },
            ],
            ..base(
                "工地拖欠八名工人工资",
                "09",
                "八名外地工人称工程完工两月仍未结清工资共 9.6 万元。",
                "枫桥镇陈家村村口工地",
            )
        },
    )
    .await
    .map_err(err)?;
    let agreed = register(
        &state,
        &mediator,
        NewDisputeRequest {
            parties: vec![
                person(
                    "楼美华",
                    "applicant",
                    "33068119900909242",
                    "13605750004",
                    "枫桥镇陈家村 21 号",
                ),
                person(
                    "楼志强",
                    "respondent",
                    "33068119870412111",
                    "13505750005",
                    "枫桥镇陈家村 22 号",
                ),
            ],
            tier: Some("township".into()),
            ..base(
                "围墙界址纠纷",
                "02",
                "楼志强新砌围墙越过界址约 0.3 米，楼美华要求拆除。",
                "枫桥镇陈家村 21 号",
            )
        },
    )
    .await
    .map_err(err)?;
    steps::add_session(
        &state,
        &mediator,
        &agreed.id,
        SessionRequest {
            held_at: None,
            place: "陈家村村委会".into(),
            attendees: "枫桥镇司法所孙调解、村调解委员、双方当事人".into(),
            notes: "现场查看界址，双方同意以原界桩为准。".into(),
        },
    )
    .await
    .map_err(err)?;
    steps::agree(
        &state,
        &mediator,
        &agreed.id,
        AgreementRequest {
            form: None,
            facts: "楼志强新砌围墙越过与楼美华宅基地的界址约 0.3 米。".into(),
            issues: "围墙界址的认定；越界部分的拆除及费用。".into(),
            responsibilities: "楼志强未经测量即砌墙，负主要责任。".into(),
            terms: vec![
                TermRequest {
                    content: "楼志强拆除越界部分围墙并按原界桩重砌".into(),
                    performer: "楼志强".into(),
                    due_date: "2026-12-31".into(),
                },
                TermRequest {
                    content: "重砌费用由楼志强承担".into(),
                    performer: "楼志强".into(),
                    due_date: "2026-12-31".into(),
                },
            ],
            mediator: "孙调解".into(),
            committee: "枫桥镇人民调解委员会".into(),
            judicial_confirmation: true,
        },
    )
    .await
    .map_err(err)?;
    // Registered eight days ago at the grid, whose seven days (a green dispute's) are up: the first sweep
    // of the tier clock moves it to the village, and the village mediator finds it in their inbox.
    const EIGHT_DAYS: i64 = 8 * 24 * 3600;
    state.clock.advance_seconds(-EIGHT_DAYS);
    let stale = register(
        &state,
        &grid_worker,
        NewDisputeRequest {
            parties: vec![
                person(
                    "斯桂英",
                    "applicant",
                    "33068119700415162",
                    "13605750011",
                    "枫桥镇陈家村 21 号",
                ),
                person(
                    "斯国平",
                    "respondent",
                    "33068119680923173",
                    "13605750012",
                    "枫桥镇陈家村 23 号",
                ),
            ],
            ..base(
                "相邻通道堆放杂物纠纷",
                "02",
                "两户共用通道被一方堆放柴草杂物，另一方出行受阻，网格员调解未果。",
                "枫桥镇陈家村 21 号",
            )
        },
    )
    .await;
    state.clock.advance_seconds(EIGHT_DAYS);
    stale.map_err(err)?;
    Ok(())
}
