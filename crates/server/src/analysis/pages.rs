//! 信息研判 pages: the analysis workbench (`/analysis`: Gi* hot/cold cells and the density surface on
//! the map, repeat locations, the near-repeat table, the trend table — drawn by `web/src/analysis.ts`
//! from `/api/v1/analysis/*`), the kept briefs (`/briefs`) and one brief, printable (`/briefs/{id}`),
//! whose map is drawn from the brief's own stored layers.

use crate::analysis::brief::BriefContent;
use crate::analysis::briefs::{BriefSummary, parse_content, summary};
use crate::analysis::{Change, TrendRow};
use crate::auth::PageActor;
use crate::shell::{Ctx, not_found, render};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use pingan_domain::Permission;
use pingan_store::analysis as store;
use pingan_store::incidents::TypeRow;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/analysis", get(workbench))
        .route("/briefs", get(list))
        .route("/briefs/{id}", get(show))
}

#[derive(Template)]
#[template(path = "analysis/analysis.html")]
struct Workbench {
    ctx: Ctx,
    /// (path, indented name) of the areas in scope.
    areas: Vec<(String, String)>,
    types: Vec<(String, String)>,
    from: String,
    to: String,
    tile_url: String,
    tile_crs: String,
}

async fn workbench(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(
            &state,
            &headers,
            &actor,
            "hotspots",
            "/analysis",
            Permission::AnalysisRead
        )
        .await
    );
    let mut areas = Vec::new();
    for root in actor.scope.area_paths() {
        match store::areas_under(&state.db, root).await {
            Ok(rows) => {
                for (path, code, name) in rows {
                    let depth = path.matches('/').count().saturating_sub(2);
                    areas.push((path, format!("{}{name} {code}", "　".repeat(depth))));
                }
            }
            Err(e) => return crate::shell::page_error(ctx, e),
        }
    }
    let types = match state.types.get(&state.db).await {
        Ok(t) => t
            .iter()
            .filter(|t| t.active)
            .map(|t| (t.code.clone(), type_label(&ctx, t)))
            .collect(),
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let to = state.today();
    let from = to.checked_sub(jiff::Span::new().days(27)).unwrap_or(to);
    let m = &state.config.map;
    render(
        StatusCode::OK,
        &Workbench {
            ctx,
            areas,
            types,
            from: from.to_string(),
            to: to.to_string(),
            tile_url: crate::basemap::tile_url(&state).await,
            tile_crs: m.tile_crs.clone(),
        },
    )
}

fn type_label(ctx: &Ctx, t: &TypeRow) -> String {
    if ctx.lang_code == "en" {
        t.name_en.clone()
    } else {
        t.name_zh.clone()
    }
}

#[derive(Template)]
#[template(path = "analysis/briefs.html")]
struct ListPage {
    ctx: Ctx,
    rows: Vec<BriefSummary>,
}

impl ListPage {
    fn kind_label(&self, b: &BriefSummary) -> String {
        self.ctx.t(&format!("briefs.{}", b.period_kind)).to_string()
    }
    fn subject_label(&self, b: &BriefSummary) -> String {
        self.ctx
            .t(&format!("briefs.subject_{}", b.subject_kind))
            .to_string()
    }
    fn period(&self, b: &BriefSummary) -> String {
        if b.period_start == b.period_end {
            b.period_start.clone()
        } else {
            format!("{} – {}", b.period_start, b.period_end)
        }
    }
    fn generated(&self, b: &BriefSummary) -> String {
        b.generated_at
            .map(|t| pingan_domain::time::local_datetime(pingan_domain::time::from_micros(t)))
            .unwrap_or_default()
    }
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
            "brief",
            "/briefs",
            Permission::AnalysisRead
        )
        .await
    );
    match store::list_briefs(&state.db, &actor.scope, None, 200).await {
        Ok(rows) => render(
            StatusCode::OK,
            &ListPage {
                ctx,
                rows: rows.iter().map(summary).collect(),
            },
        ),
        Err(e) => crate::shell::page_error(ctx, e),
    }
}

#[derive(Template)]
#[template(path = "analysis/brief.html")]
struct BriefPage {
    ctx: Ctx,
    b: BriefSummary,
    c: BriefContent,
    /// The map layers as JSON for `analysis.ts` (`</` escaped: it sits in a script element).
    layers_json: String,
    types: Vec<TypeRow>,
    tile_url: String,
    tile_crs: String,
}

impl BriefPage {
    fn title(&self) -> String {
        // The subject's name is shown beside it, as user data.
        let key = format!("briefs.{}", self.b.period_kind);
        self.ctx.t(&key).to_string()
    }
    fn period(&self) -> String {
        if self.b.period_start == self.b.period_end {
            self.b.period_start.clone()
        } else {
            format!("{} – {}", self.b.period_start, self.b.period_end)
        }
    }
    fn generated(&self) -> String {
        self.b
            .generated_at
            .map(|t| pingan_domain::time::local_datetime(pingan_domain::time::from_micros(t)))
            .unwrap_or_default()
    }
    fn row_name(&self, r: &TrendRow) -> String {
        match r.kind.as_str() {
            "total" => self.ctx.t("analysis.total").to_string(),
            "type" => self
                .types
                .iter()
                .find(|t| t.code == r.key)
                .map_or_else(|| r.name.clone(), |t| type_label(&self.ctx, t)),
            _ => r.name.clone(),
        }
    }
    fn change(&self, c: &Change) -> String {
        match c.relative {
            Some(v) => format!("{:+.0}%", v * 100.0),
            None if c.current > 0 => self.ctx.t("analysis.new").to_string(),
            None => "—".into(),
        }
    }
    fn verdict(&self, c: &Change) -> String {
        if c.significant {
            let key = if c.relative.unwrap_or(1.0) > 0.0 {
                "analysis.up"
            } else {
                "analysis.down"
            };
            format!("{} (p = {:.3})", self.ctx.t(key), c.p_value)
        } else {
            self.ctx.t("analysis.noise").to_string()
        }
    }
    fn sig_class(&self, c: &Change) -> &'static str {
        match (c.significant, c.relative.unwrap_or(1.0) > 0.0) {
            (true, true) => "sig-up",
            (true, false) => "sig-down",
            _ => "",
        }
    }
    fn hot_count(&self) -> usize {
        self.c.hotspots.cells.iter().filter(|c| c.level > 0).count()
    }
    fn type_name(&self, code: &str) -> String {
        self.types
            .iter()
            .find(|t| t.code == code)
            .map_or_else(|| code.to_string(), |t| type_label(&self.ctx, t))
    }
    fn place_types(&self, p: &crate::analysis::RepeatLocation) -> String {
        p.types
            .iter()
            .map(|t| format!("{} {}", self.type_name(&t.type_code), t.count))
            .collect::<Vec<_>>()
            .join(self.ctx.t("shell.list_sep"))
    }
    fn day(&self, us: &i64) -> String {
        pingan_domain::time::local_date(pingan_domain::time::from_micros(*us))
    }
    /// Rows of the near-repeat table: the distance label, then per time band "observed / expected"
    /// and "ratio · p".
    fn near_method(&self, n: &crate::analysis::NearRepeat) -> String {
        match n.p_method {
            crate::analysis::PMethod::Permutation => {
                format!("{}{}", self.ctx.t("analysis.p_permutation"), n.permutations)
            }
            crate::analysis::PMethod::Normal => self.ctx.t("analysis.p_normal").to_string(),
        }
    }

    fn near_rows(&self, n: &crate::analysis::NearRepeat) -> Vec<(String, Vec<(String, String)>)> {
        let beyond = self.ctx.t("analysis.beyond").to_string();
        n.observed
            .iter()
            .enumerate()
            .map(|(i, row)| {
                let label = n
                    .space_bands_m
                    .get(i)
                    .map_or_else(|| beyond.clone(), |d| format!("≤ {d} m"));
                let cells = row
                    .iter()
                    .enumerate()
                    .map(|(j, o)| {
                        let ratio = n.ratio[i][j].map_or_else(|| "—".into(), |r| format!("{r:.2}"));
                        let p = n
                            .p_value
                            .get(i)
                            .and_then(|r| r.get(j))
                            .map_or_else(String::new, |p| format!(" · p {p:.3}"));
                        (
                            format!("{o} / {:.1}", n.expected[i][j]),
                            format!("{ratio}{p}"),
                        )
                    })
                    .collect();
                (label, cells)
            })
            .collect()
    }
    fn band(&self, v: &f64) -> String {
        format!("{v}")
    }
}

async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
) -> Response {
    let ctx = crate::page_try!(
        crate::shell::ctx_with(
            &state,
            &headers,
            &actor,
            "brief",
            &format!("/briefs/{id}"),
            Permission::AnalysisRead
        )
        .await
    );
    let row = match store::get_brief(&state.db, &actor.scope, &id).await {
        Ok(Some(r)) => r,
        Ok(None) => return not_found(ctx),
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let c = match parse_content(&row) {
        Ok(c) => c,
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let layers = serde_json::json!({
        "hotspots": c.hotspots,
        "places": c.repeat_locations.iter().map(|p| serde_json::json!({
            "lng": p.lng, "lat": p.lat, "count": p.count, "address": p.address,
        })).collect::<Vec<_>>(),
    });
    let types = match state.types.get(&state.db).await {
        Ok(t) => t.as_ref().clone(),
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let m = &state.config.map;
    render(
        StatusCode::OK,
        &BriefPage {
            ctx,
            b: summary(&row),
            layers_json: layers.to_string().replace("</", "<\\/"),
            c,
            types,
            tile_url: crate::basemap::tile_url(&state).await,
            tile_crs: m.tile_crs.clone(),
        },
    )
}
