//! Map search (地名检索) for every map in the product: the platform's own names — areas, grids and,
//! for staff, places, cameras and the addresses of the last year's incidents — searched by Chinese,
//! full pinyin or pinyin initials ("fqz" → 枫桥镇) with `pingan_geo::gazetteer`. Residents search areas
//! and grids only. The index is rebuilt from the database at most once a minute per server (a server
//! holds a copy, never the only one).

use crate::auth::Actor;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiQuery;
use crate::names::Built;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use pingan_domain::scope::Scope;
use pingan_geo::gazetteer::{Entry, EntryKind, Gazetteer};
use pingan_store::gazetteer as names;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// How far back incident addresses are searchable, and how many.
const INCIDENT_DAYS: i64 = 365;
const INCIDENT_ADDRESSES: i64 = 20_000;

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchHit {
    /// The name found.
    pub name: String,
    /// district, township, village, grid, place, camera or incident_address.
    pub kind: String,
    /// What it is, in the reader's language (镇/街道, 网格, …).
    pub kind_label: String,
    /// A second line (the parent area, the address).
    pub detail: Option<String>,
    /// WGS-84.
    pub lng: f64,
    pub lat: f64,
}

fn kind_code(k: EntryKind) -> &'static str {
    match k {
        EntryKind::District => "district",
        EntryKind::Township => "township",
        EntryKind::Village => "village",
        EntryKind::Grid => "grid",
        EntryKind::Place => "place",
        EntryKind::Camera => "camera",
        EntryKind::IncidentAddress => "incident_address",
    }
}

fn centre(b: (f64, f64, f64, f64)) -> (f64, f64) {
    ((b.0 + b.2) / 2.0, (b.1 + b.3) / 2.0)
}

async fn build(state: &AppState, staff: bool) -> ApiResult<Built> {
    let db = &state.db;
    let grids = names::grids(db).await?;
    let mut entries = Vec::new();
    let mut area_paths = HashMap::new();
    for a in names::areas(db).await? {
        let kind = match a.level.as_str() {
            "district" => EntryKind::District,
            "township" => EntryKind::Township,
            "village" => EntryKind::Village,
            _ => continue,
        };
        // An area without its own outline is found where its grids are.
        let bbox = match (a.min_x, a.min_y, a.max_x, a.max_y) {
            (Some(x0), Some(y0), Some(x1), Some(y1)) => Some((x0, y0, x1, y1)),
            _ => grids
                .iter()
                .filter(|g| g.area_path.starts_with(&a.path))
                .map(|g| (g.min_x, g.min_y, g.max_x, g.max_y))
                .reduce(|p, q| (p.0.min(q.0), p.1.min(q.1), p.2.max(q.2), p.3.max(q.3))),
        };
        let Some(bbox) = bbox else { continue };
        let (lng, lat) = centre(bbox);
        let id = format!("area:{}", a.code);
        area_paths.insert(id.clone(), a.path.clone());
        entries.push(Entry {
            id,
            name: a.name,
            kind,
            lng,
            lat,
            detail: a.parent_name,
        });
    }
    for g in &grids {
        let (lng, lat) = centre((g.min_x, g.min_y, g.max_x, g.max_y));
        let id = format!("grid:{}", g.code);
        area_paths.insert(id.clone(), g.area_path.clone());
        entries.push(Entry {
            id,
            name: g.name.clone(),
            kind: EntryKind::Grid,
            lng,
            lat,
            detail: g.village_name.clone(),
        });
    }
    if staff {
        let since = state.now() - INCIDENT_DAYS * 86_400_000_000;
        let mut seen = HashSet::new();
        let points = [
            (EntryKind::Place, "place", names::places(db).await?),
            (EntryKind::Camera, "camera", names::cameras(db).await?),
            (
                EntryKind::IncidentAddress,
                "incident",
                names::incident_addresses(db, since, INCIDENT_ADDRESSES).await?,
            ),
        ];
        for (kind, prefix, rows) in points {
            for p in rows {
                // One entry per address (the latest incident's point).
                if kind == EntryKind::IncidentAddress && !seen.insert(p.name.clone()) {
                    continue;
                }
                let id = format!("{prefix}:{}", p.id);
                area_paths.insert(id.clone(), p.area_path);
                entries.push(Entry {
                    id,
                    name: p.name,
                    kind,
                    lng: p.lng,
                    lat: p.lat,
                    detail: p.detail,
                });
            }
        }
    }
    Ok(Built {
        gazetteer: Gazetteer::new(entries),
        area_paths,
    })
}

/// The index for staff or residents: the cached one while fresh, else built anew.
async fn index(state: &AppState, staff: bool) -> ApiResult<Arc<Built>> {
    if let Some(b) = state.gazetteer.fresh(staff) {
        return Ok(b);
    }
    let built = Arc::new(build(state, staff).await?);
    state.gazetteer.put(staff, built.clone());
    Ok(built)
}

fn hits(
    state: &AppState,
    lang: crate::i18n::Lang,
    b: &Built,
    q: &str,
    limit: usize,
    scope: Option<&Scope>,
) -> Vec<SearchHit> {
    // Areas and grids are public names; points only within the searcher's scope.
    let visible = |e: &pingan_geo::gazetteer::Entry| {
        matches!(
            e.kind,
            EntryKind::District | EntryKind::Township | EntryKind::Village | EntryKind::Grid
        ) || scope.is_some_and(|s| {
            b.area_paths
                .get(&e.id)
                .is_some_and(|p| s.covers_area_path(p))
        })
    };
    b.gazetteer
        .search_where(q, limit, visible)
        .into_iter()
        .map(|h| {
            let kind = kind_code(h.entry.kind);
            SearchHit {
                name: h.entry.name.clone(),
                kind: kind.into(),
                kind_label: state.i18n.t(lang, &format!("map_kind.{kind}")).to_string(),
                detail: h.entry.detail.clone(),
                lng: h.entry.lng,
                lat: h.entry.lat,
            }
        })
        .collect()
}

/// A signed-in person's search: every kind of name, points within their scope.
pub async fn search_staff(
    state: &AppState,
    actor: &Actor,
    lang: crate::i18n::Lang,
    q: &str,
    limit: usize,
) -> ApiResult<Vec<SearchHit>> {
    let b = index(state, true).await?;
    Ok(hits(state, lang, &b, q, limit, Some(&actor.scope)))
}

/// A resident's search: areas and grids.
pub async fn search_public(
    state: &AppState,
    lang: crate::i18n::Lang,
    q: &str,
    limit: usize,
) -> ApiResult<Vec<SearchHit>> {
    let b = index(state, false).await?;
    Ok(hits(state, lang, &b, q, limit, None))
}

/// Labels for the map: every township, village and grid name with its point and kind (the page shows
/// each kind from its own zoom on).
pub async fn labels(state: &AppState, lang: crate::i18n::Lang) -> ApiResult<Vec<SearchHit>> {
    let b = index(state, false).await?;
    Ok(b.gazetteer
        .entries()
        .iter()
        .map(|e| {
            let kind = kind_code(e.kind);
            SearchHit {
                name: e.name.clone(),
                kind: kind.into(),
                kind_label: state.i18n.t(lang, &format!("map_kind.{kind}")).to_string(),
                detail: None,
                lng: e.lng,
                lat: e.lat,
            }
        })
        .collect())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// What was typed: Chinese, pinyin ("fengqiao") or pinyin initials ("fqz").
    pub q: String,
    /// At most this many (default 10, at most 50).
    pub limit: Option<usize>,
}

fn limit(q: &SearchQuery) -> usize {
    q.limit.unwrap_or(10).clamp(1, 50)
}

/// Search the map's names: areas, grids, and within your scope places, cameras and incident addresses.
#[utoipa::path(get, path = "/api/v1/geo/search", tag = "maps", params(SearchQuery),
    responses((status = 200, description = "Best first", body = Vec<SearchHit>), (status = 400, description = "No query (q) given", body = ErrorBody),
        (status = 401, description = "Sign in", body = ErrorBody)))]
async fn search_for_staff(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> ApiResult<Json<Vec<SearchHit>>> {
    let lang = crate::shell::lang_of(&headers);
    Ok(Json(
        search_staff(&state, &actor, lang, &q.q, limit(&q)).await?,
    ))
}

/// Search the district's townships, villages and grids by name (no login: the resident's report form).
#[utoipa::path(get, path = "/api/v1/public/search", tag = "maps", params(SearchQuery), security(()),
    responses((status = 200, description = "Best first", body = Vec<SearchHit>), (status = 400, description = "No query (q) given", body = ErrorBody)))]
async fn search_for_residents(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> ApiResult<Json<Vec<SearchHit>>> {
    let lang = crate::shell::lang_of(&headers);
    Ok(Json(search_public(&state, lang, &q.q, limit(&q)).await?))
}

/// Map labels: the townships, villages and grids with their points.
#[utoipa::path(get, path = "/api/v1/public/labels", tag = "maps", security(()),
    responses((status = 200, description = "OK", body = Vec<SearchHit>)))]
async fn map_labels(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> ApiResult<Json<Vec<SearchHit>>> {
    Ok(Json(labels(&state, crate::shell::lang_of(&headers)).await?))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(search_for_staff))
        .routes(routes!(search_for_residents))
        .routes(routes!(map_labels))
}
