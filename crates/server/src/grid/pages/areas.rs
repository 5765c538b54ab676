//! Area pages: the area list in scope and one area with its children and grids. Out of scope = 404.

use crate::auth::PageActor;
use crate::shell::{Ctx, not_found, render};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use pingan_domain::AreaLevel;
use pingan_domain::Permission;
use pingan_store::areas::AreaRow;
use pingan_store::grids::GridRow;
use pingan_store::{areas, grids};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/areas", get(list))
        .route("/areas/{code}", get(show))
        .route("/map", get(map))
}

#[derive(Template)]
#[template(path = "grid/areas.html")]
struct AreasPage {
    ctx: Ctx,
    areas: Vec<AreaRow>,
}

async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(
            &state,
            &headers,
            &actor,
            "areas",
            "/areas",
            Permission::AreaRead
        )
        .await
    );
    match areas::list(&state.db, &actor.scope, None, None).await {
        Ok(areas) => render(StatusCode::OK, &AreasPage { ctx, areas }),
        Err(e) => crate::shell::page_error(ctx, e),
    }
}

#[derive(Template)]
#[template(path = "grid/area.html")]
struct AreaPage {
    ctx: Ctx,
    area: AreaRow,
    children: Vec<AreaRow>,
    grids: Vec<GridRow>,
}

async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(code): Path<String>,
) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(
            &state,
            &headers,
            &actor,
            "areas",
            &format!("/areas/{code}"),
            Permission::AreaRead
        )
        .await
    );
    let loaded = async {
        let Some(area) = areas::get(&state.db, &actor.scope, &code).await? else {
            return Ok(None);
        };
        let children = areas::list(&state.db, &actor.scope, Some(&code), None).await?;
        let grids = if AreaLevel::parse(&area.level) == Some(AreaLevel::Village) {
            grids::list(&state.db, &actor.scope, Some(&code)).await?
        } else {
            vec![]
        };
        Ok::<_, pingan_store::StoreError>(Some((area, children, grids)))
    };
    match loaded.await {
        Ok(Some((area, children, grids))) => render(
            StatusCode::OK,
            &AreaPage {
                ctx,
                area,
                children,
                grids,
            },
        ),
        Ok(None) => not_found(ctx),
        Err(e) => crate::shell::page_error(ctx, e),
    }
}

#[derive(Template)]
#[template(path = "grid/map.html")]
struct MapPage {
    ctx: Ctx,
    tile_url: String,
    tile_crs: String,
}

/// The grid map: layers come from `/api/v1/geo/*`, drawn by `web/src/map.ts`.
pub async fn map(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(
            &state,
            &headers,
            &actor,
            "map",
            "/map",
            Permission::AreaRead
        )
        .await
    );
    let m = &state.config.map;
    render(
        StatusCode::OK,
        &MapPage {
            ctx,
            tile_url: crate::basemap::tile_url(&state).await,
            tile_crs: m.tile_crs.clone(),
        },
    )
}
