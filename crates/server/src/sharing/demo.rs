//! Demo 警网融合: the fire brigade (诸暨市消防救援大队) under an agreement drafted by the system
//! administrator and approved by the security administrator — incident receipts and their steps in
//! the district, without personal fields — and its endpoint set but switched off (the demo has no
//! partner system to receive; the admin page shows the backlog waiting, and the endpoint's URL can be
//! pointed at a real receiver and enabled).

use super::{NewSharingAgreement, SharingEndpointRequest, delivery::Transport};
use crate::config::Config;
use crate::state::AppState;
use pingan_store::{Db, args};
use std::collections::BTreeMap;

/// Once: returns whether anything was made.
pub async fn ensure(db: &Db, config: &Config) -> anyhow::Result<bool> {
    let (n,): (i64,) = db
        .fetch_one("SELECT COUNT(*) FROM sharing_agreements", args![])
        .await?;
    if n > 0 {
        return Ok(false);
    }
    let Some((partner, _)) = pingan_store::sharing::partner_orgs(db)
        .await?
        .into_iter()
        .next()
    else {
        return Ok(false);
    };
    let state = AppState::new(config.clone(), db.clone())?;
    let admin = crate::accounts::demo::actor(db, "admin").await?;
    let secadmin = crate::accounts::demo::actor(db, "secadmin").await?;
    let err = |e: crate::error::ApiError| anyhow::anyhow!("demo sharing: {e:?}");
    let today = state.today();
    let mut fields = BTreeMap::new();
    fields.insert(
        "incident.received".to_string(),
        [
            "number",
            "channel",
            "type_code",
            "level",
            "address",
            "lng",
            "lat",
            "grid_code",
            "area_path",
            "received_at",
        ]
        .map(String::from)
        .to_vec(),
    );
    fields.insert(
        "incident.status_changed".to_string(),
        ["number", "type_code", "action", "status", "at", "area_path"]
            .map(String::from)
            .to_vec(),
    );
    let a = super::draft(
        &state,
        &admin,
        NewSharingAgreement {
            partner_org_id: partner.clone(),
            fields,
            area_paths: vec!["/330681/".into()],
            purpose: "消防救援联动：火情、救援类警情的接报与处置进展同步".into(),
            legal_basis: None,
            valid_from: today.to_string(),
            valid_to: today
                .checked_add(jiff::Span::new().years(1))
                .unwrap_or(today)
                .to_string(),
        },
    )
    .await
    .map_err(err)?;
    super::approve(&state, &secadmin, &a.id)
        .await
        .map_err(err)?;
    super::set_endpoint(
        &state,
        &admin,
        &partner,
        SharingEndpointRequest {
            transport: Transport::Webhook,
            url: Some("http://127.0.0.1:9/119-receiver".into()),
            signing: Some("hmac-sm3".into()),
            batch_size: None,
            max_attempts: None,
            enabled: Some(false),
        },
    )
    .await
    .map_err(err)?;
    Ok(true)
}
