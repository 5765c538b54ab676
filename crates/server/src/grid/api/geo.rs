//! Map layers as GeoJSON (RFC 7946, WGS-84): the outlines of townships and villages and the grids, each
//! filtered by the caller's scope. The map page draws them with no base map, or over an internal tile
//! service when one is configured.

use crate::auth::Actor;
use crate::error::{ApiResult, ErrorBody};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use pingan_domain::Permission;
use pingan_store::{areas, grids};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(area_layer))
        .routes(routes!(grid_layer))
        .routes(routes!(public_area_layer))
}

#[derive(Serialize, ToSchema)]
pub struct FeatureCollection {
    /// Always `FeatureCollection`.
    #[serde(rename = "type")]
    pub kind: String,
    pub features: Vec<Feature>,
}

#[derive(Serialize, ToSchema)]
pub struct Feature {
    /// Always `Feature`.
    #[serde(rename = "type")]
    pub kind: String,
    /// GeoJSON geometry in WGS-84 longitude/latitude.
    pub geometry: serde_json::Value,
    pub properties: serde_json::Value,
}

fn collection(features: Vec<Feature>) -> FeatureCollection {
    FeatureCollection {
        kind: "FeatureCollection".into(),
        features,
    }
}

fn feature(geometry: &str, properties: serde_json::Value) -> Feature {
    Feature {
        kind: "Feature".into(),
        geometry: serde_json::from_str(geometry).unwrap_or(serde_json::Value::Null),
        properties,
    }
}

/// Outlines of the townships and villages in scope (properties: code, name, level).
#[utoipa::path(get, path = "/api/v1/geo/areas", tag = "areas",
    responses((status = 200, description = "GeoJSON FeatureCollection", body = FeatureCollection), (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody)))]
async fn area_layer(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<Json<FeatureCollection>> {
    actor.require(&state, Permission::AreaRead).await?;
    Ok(Json(area_features(&state, &actor.scope).await?))
}

/// Township and village outlines for the public report form's map (administrative boundaries only).
#[utoipa::path(get, path = "/api/v1/public/areas", tag = "public", security(()),
    responses((status = 200, description = "GeoJSON FeatureCollection", body = FeatureCollection)))]
async fn public_area_layer(State(state): State<AppState>) -> ApiResult<Json<FeatureCollection>> {
    let all = pingan_domain::Scope::new(vec![pingan_domain::ScopeGrant {
        kind: pingan_domain::ScopeKind::Area,
        path: "/".into(),
    }]);
    Ok(Json(area_features(&state, &all).await?))
}

async fn area_features(
    state: &AppState,
    scope: &pingan_domain::Scope,
) -> ApiResult<FeatureCollection> {
    let shapes = areas::shapes(&state.db, scope).await?;
    let rows = areas::list(&state.db, scope, None, None).await?;
    let features = shapes
        .into_iter()
        .filter_map(|s| {
            let a = rows.iter().find(|a| a.code == s.code)?;
            Some(feature(
                &s.geometry,
                serde_json::json!({"code": a.code, "name": a.name, "level": a.level}),
            ))
        })
        .collect();
    Ok(collection(features))
}

/// Grids in scope (properties: code, name, kind, village_code, village_name).
#[utoipa::path(get, path = "/api/v1/geo/grids", tag = "areas",
    responses((status = 200, description = "GeoJSON FeatureCollection", body = FeatureCollection), (status = 403, description = "Your role may not do this", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody)))]
async fn grid_layer(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<Json<FeatureCollection>> {
    actor.require(&state, Permission::AreaRead).await?;
    let rows = grids::list(&state.db, &actor.scope, None).await?;
    let villages = areas::list(
        &state.db,
        &actor.scope,
        None,
        Some(pingan_domain::AreaLevel::Village),
    )
    .await?;
    let village_name = |code: &str| {
        villages
            .iter()
            .find(|v| v.code == code)
            .map(|v| v.name.clone())
            .unwrap_or_default()
    };
    let features = rows
        .into_iter()
        .map(|g| {
            feature(
                &g.geometry,
                serde_json::json!({"code": g.code, "name": g.name, "kind": g.kind, "village_code": g.village_code, "village_name": village_name(&g.village_code)}),
            )
        })
        .collect();
    Ok(Json(collection(features)))
}
