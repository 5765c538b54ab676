//! Demo alerts: a fraud warning over two 枫桥镇 grids composed by the officer and published by the
//! station chief, then updated with new advice (so the feed holds an Alert and an Update that
//! references it); a second warning waiting for approval; and a flood warning received from the
//! city's meteorological service, shown on the map beside ours.

use super::{AlertDecision, NewPublicAlert};
use crate::config::Config;
use crate::state::AppState;
use pingan_store::{Db, args};

/// A CAP document as another agency would send it (the sender is theirs, not ours), over the box
/// `[min_lng, min_lat, max_lng, max_lat]`.
fn received_flood_warning(sent: &str, expires: &str, b: [f64; 4]) -> String {
    let [x0, y0, x1, y1] = b;
    let polygon =
        format!("{y0:.5},{x0:.5} {y0:.5},{x1:.5} {y1:.5},{x1:.5} {y1:.5},{x0:.5} {y0:.5},{x0:.5}");
    let circle = format!("{:.5},{:.5} 1.5", (y0 + y1) / 2.0, (x0 + x1) / 2.0);
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>ZJ-ZHUJI-QX-{sent_id}</identifier>
  <sender>qx@zhuji.example</sender>
  <sent>{sent}</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <language>zh-CN</language>
    <category>Met</category>
    <event>暴雨蓝色预警</event>
    <responseType>Monitor</responseType>
    <urgency>Expected</urgency>
    <severity>Moderate</severity>
    <certainty>Likely</certainty>
    <expires>{expires}</expires>
    <senderName>诸暨市气象台</senderName>
    <headline>诸暨市气象台发布暴雨蓝色预警</headline>
    <description>预计未来12小时枫桥江沿线累计降雨量可达50毫米以上，注意防范山洪和地质灾害。</description>
    <instruction>低洼地区做好排水准备，避免前往河道、山塘附近。</instruction>
    <area>
      <areaDesc>枫桥江沿线</areaDesc>
      <polygon>{polygon}</polygon>
      <circle>{circle}</circle>
    </area>
  </info>
</alert>
"#,
        sent_id = sent.get(..10).unwrap_or(sent).replace('-', ""),
    )
}

/// Once: returns whether anything was made.
pub async fn ensure(db: &Db, config: &Config) -> anyhow::Result<bool> {
    let (n,): (i64,) = db
        .fetch_one("SELECT COUNT(*) FROM public_alerts", args![])
        .await?;
    if n > 0 {
        return Ok(false);
    }
    let state = AppState::new(config.clone(), db.clone())?;
    let officer = crate::accounts::demo::actor(db, "officer").await?;
    let chief = crate::accounts::demo::actor(db, "chief").await?;
    let err = |e: crate::error::ApiError| anyhow::anyhow!("demo public alert: {e:?}");
    let grids: Vec<(String,)> = db
        .fetch_all(
            "SELECT code FROM grids WHERE area_path LIKE ? ORDER BY code LIMIT 2",
            args!["/330681/330681109/%"],
        )
        .await?;
    let grid_codes: Vec<String> = grids.into_iter().map(|g| g.0).collect();
    state.clock.advance_seconds(-2 * 86_400);
    let expires = |days: i64| {
        pingan_domain::time::from_micros(state.now() + days * 86_400_000_000).to_string()
    };
    let first = super::compose(
        &state,
        &officer,
        NewPublicAlert {
            categories: Some(vec!["Security".into()]),
            event: Some("冒充电商客服退款诈骗".into()),
            urgency: Some("Expected".into()),
            severity: Some("Moderate".into()),
            certainty: Some("Observed".into()),
            response_types: Some(vec!["Avoid".into()]),
            audience: Some("枫桥镇居民、网店店主".into()),
            headline: Some("警惕冒充客服“退款理赔”诈骗".into()),
            description: Some(
                "近三日辖区接报多起冒充电商客服以“商品质量问题退款”为由，诱导下载会议软件、共享屏幕后转账的诈骗。".into(),
            ),
            instruction: Some("退款只走购物平台官方渠道；不下载陌生会议软件、不共享屏幕；拿不准就拨打 96110。".into()),
            expires: Some(expires(30)),
            grid_codes: Some(grid_codes.clone()),
            ..NewPublicAlert::default()
        },
    )
    .await
    .map_err(err)?;
    state.clock.advance_seconds(3_600);
    super::decide(
        &state,
        &chief,
        &first.id,
        AlertDecision {
            approve: true,
            note: None,
        },
    )
    .await
    .map_err(err)?;
    state.clock.advance_seconds(86_400);
    let update = super::compose(
        &state,
        &officer,
        NewPublicAlert {
            msg_type: Some("Update".into()),
            references_id: Some(first.id.clone()),
            instruction: Some(
                "退款只走购物平台官方渠道；不下载陌生会议软件、不共享屏幕；已转账的立即拨打 110 或 96110 止付。".into(),
            ),
            ..NewPublicAlert::default()
        },
    )
    .await
    .map_err(err)?;
    state.clock.advance_seconds(1_800);
    super::decide(
        &state,
        &chief,
        &update.id,
        AlertDecision {
            approve: true,
            note: Some("补充止付渠道".into()),
        },
    )
    .await
    .map_err(err)?;
    state.clock.advance_seconds(3_600);
    super::compose(
        &state,
        &officer,
        NewPublicAlert {
            categories: Some(vec!["Safety".into()]),
            event: Some("电动自行车违规充电".into()),
            urgency: Some("Future".into()),
            severity: Some("Minor".into()),
            certainty: Some("Possible".into()),
            headline: Some("入冬请勿在楼道、室内为电动自行车充电".into()),
            description: Some(
                "冬季电动自行车火灾多发，楼道和室内充电一旦起火，烟气迅速封堵逃生通道。".into(),
            ),
            grid_codes: Some(grid_codes),
            ..NewPublicAlert::default()
        },
    )
    .await
    .map_err(err)?;
    let sent = pingan_domain::cap::datetime(pingan_domain::time::from_micros(state.now()));
    let until = pingan_domain::cap::datetime(pingan_domain::time::from_micros(
        state.now() + 2 * 86_400_000_000,
    ));
    // Over the southern half of 枫桥镇's grids, as the weather service drew it.
    let bbox: (Option<f64>, Option<f64>, Option<f64>, Option<f64>) = db
        .fetch_one(
            "SELECT MIN(min_x), MIN(min_y), MAX(max_x), MAX(max_y) FROM grids WHERE area_path LIKE ?",
            args!["/330681/330681109/%"],
        )
        .await?;
    let (Some(x0), Some(y0), Some(x1), Some(y1)) = bbox else {
        return Ok(true);
    };
    let doc = received_flood_warning(&sent, &until, [x0, y0, x1, (y0 + y1) / 2.0]);
    super::import(
        &state,
        &officer,
        super::AlertImport {
            document: doc,
            source: Some("诸暨市气象台 CAP".into()),
        },
    )
    .await
    .map_err(err)?;
    Ok(true)
}
