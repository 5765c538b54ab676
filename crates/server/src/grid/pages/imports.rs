//! Imports in the browser: upload → preview of every problem (nothing written) → confirm, for grids
//! (GeoJSON), areas and places (CSV/XLSX). The uploaded file waits in the database between the two
//! steps, so any server behind the load balancer can finish it. The checks are those of
//! `pingan import …`, limited to the uploader's scope.

use crate::auth::{Actor, PageActor};
use crate::error::ApiError;
use crate::grid::import::{self, ImportActor, ImportError, ImportOptions, RowError, Table};
use crate::shell::{Ctx, forbidden, not_found, render};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use pingan_domain::Permission;
use pingan_geo::Crs;
use pingan_store::uploads;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/import", get(first_allowed))
        .route("/import/{kind}", get(form).post(upload))
        .route("/import/{kind}/{id}/confirm", post(confirm))
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Grids,
    Areas,
    Places,
}

const KINDS: [(&str, &str); 3] = [
    ("grids", "imports.grids"),
    ("areas", "imports.areas"),
    ("places", "imports.places"),
];

impl Kind {
    fn parse(s: &str) -> Option<Kind> {
        match s {
            "grids" => Some(Kind::Grids),
            "areas" => Some(Kind::Areas),
            "places" => Some(Kind::Places),
            _ => None,
        }
    }
    fn code(self) -> &'static str {
        match self {
            Kind::Grids => "grids",
            Kind::Areas => "areas",
            Kind::Places => "places",
        }
    }
    fn permission(self) -> Permission {
        match self {
            Kind::Grids => Permission::GridManage,
            Kind::Areas => Permission::AreaManage,
            Kind::Places => Permission::PlaceManage,
        }
    }
}

pub struct GapLine {
    pub village: String,
    pub area: String,
    pub at: String,
}

pub struct Preview {
    pub upload_id: String,
    pub file_name: String,
    pub created: usize,
    pub updated: usize,
    pub errors: Vec<RowError>,
    pub gaps: Vec<GapLine>,
}

#[derive(Template)]
#[template(path = "grid/import.html")]
struct ImportPage {
    ctx: Ctx,
    kind: &'static str,
    kinds: Vec<(&'static str, &'static str)>,
    title_key: String,
    help_key: String,
    accept: &'static str,
    preview: Option<Preview>,
    done: Option<String>,
}

fn page(
    ctx: Ctx,
    actor: &Actor,
    kind: Kind,
    preview: Option<Preview>,
    done: Option<String>,
) -> ImportPage {
    let kinds = KINDS
        .iter()
        .copied()
        .filter(|(k, _)| Kind::parse(k).is_some_and(|k| actor.can(k.permission())))
        .collect();
    ImportPage {
        ctx,
        kind: kind.code(),
        kinds,
        title_key: format!("imports.{}", kind.code()),
        help_key: format!("imports.help_{}", kind.code()),
        accept: if kind == Kind::Grids {
            ".geojson,.json,application/geo+json,application/json"
        } else {
            ".csv,.xlsx"
        },
        preview,
        done,
    }
}

/// The checked result of an import (dry run or real), in one shape for all kinds.
struct Outcome {
    created: usize,
    updated: usize,
    errors: Vec<RowError>,
    gaps: Vec<GapLine>,
}

async fn run(
    state: &AppState,
    actor: &Actor,
    kind: Kind,
    file_name: &str,
    bytes: &[u8],
    crs: Crs,
    dry_run: bool,
) -> Result<Outcome, ImportError> {
    let opts = ImportOptions {
        dry_run,
        skip_bad: false,
    };
    let who = ImportActor::of(actor);
    let read_err = |e: String| ImportError::Read(file_name.to_string(), e);
    let report = match kind {
        Kind::Grids => {
            let text = std::str::from_utf8(bytes)
                .map_err(|_| read_err("the file is not UTF-8 text".into()))?;
            let r = import::grids::import(&state.db, text, crs, opts, &who, &actor.scope, |_| {})
                .await?;
            let gaps = r
                .gaps
                .iter()
                .map(|g| GapLine {
                    village: g.village.clone(),
                    area: format!("{:.0}", g.area_m2),
                    at: format!("{:.6}, {:.6}", g.at[0], g.at[1]),
                })
                .collect();
            return Ok(Outcome {
                created: r.report.created,
                updated: r.report.updated,
                errors: r.report.skipped,
                gaps,
            });
        }
        Kind::Areas => {
            let table = Table::from_bytes(file_name, bytes).map_err(read_err)?;
            import::areas::import(&state.db, &table, opts, &who, &actor.scope, |_| {}).await?
        }
        Kind::Places => {
            let table = Table::from_bytes(file_name, bytes).map_err(read_err)?;
            import::places::import(
                &state.db,
                &state.cipher,
                &table,
                opts,
                &who,
                &actor.scope,
                |_| {},
            )
            .await?
        }
    };
    Ok(Outcome {
        created: report.created,
        updated: report.updated,
        errors: report.skipped,
        gaps: vec![],
    })
}

fn file_error(e: &ImportError) -> Vec<RowError> {
    match e {
        ImportError::BadRows(rows) => rows.clone(),
        other => vec![RowError {
            unit: "file",
            row: 0,
            column: "file".into(),
            message: other.to_string(),
        }],
    }
}

/// `/import` opens the first kind of import the caller may run.
async fn first_allowed(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
) -> Response {
    match KINDS
        .iter()
        .filter_map(|(k, _)| Kind::parse(k))
        .find(|k| actor.can(k.permission()))
    {
        Some(k) => axum::response::Redirect::to(&format!("/import/{}", k.code())).into_response(),
        None => forbidden(Ctx::new(&state, &headers, &actor, "imports", "/import")),
    }
}

async fn form(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(kind): Path<String>,
) -> Response {
    let path = format!("/import/{kind}");
    let Some(kind) = Kind::parse(&kind) else {
        return not_found(Ctx::new(&state, &headers, &actor, "imports", &path));
    };
    let ctx = Ctx::new(&state, &headers, &actor, "imports", &path);
    if actor.require(&state, kind.permission()).await.is_err() {
        return forbidden(ctx);
    }
    render(StatusCode::OK, &page(ctx, &actor, kind, None, None))
}

fn bad_upload(ctx: Ctx, message: &str) -> Response {
    crate::shell::page_error(
        ctx,
        ApiError::bad_request("invalid_upload", message, Some("file".into())),
    )
}

async fn upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(kind): Path<String>,
    mut form: Multipart,
) -> Response {
    let path = format!("/import/{kind}");
    let Some(kind) = Kind::parse(&kind) else {
        return not_found(Ctx::new(&state, &headers, &actor, "imports", &path));
    };
    let ctx = Ctx::new(&state, &headers, &actor, "imports", &path);
    if actor.require(&state, kind.permission()).await.is_err() {
        return forbidden(ctx);
    }
    // A place before the body is read: waiting uploads hold nothing but their connection.
    let _place = match state.uploads.slot().await {
        Ok(p) => p,
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let (mut file_name, mut content, mut crs): (String, Option<Bytes>, String) =
        (String::new(), None, "wgs84".into());
    loop {
        match form.next_field().await {
            Ok(Some(field)) => match field.name() {
                Some("file") => {
                    file_name = field
                        .file_name()
                        .unwrap_or("upload")
                        .chars()
                        .take(200)
                        .collect();
                    match field.bytes().await {
                        Ok(b) => content = Some(b),
                        Err(_) => {
                            return bad_upload(
                                ctx,
                                "the upload was cut off or is larger than the limit",
                            );
                        }
                    }
                }
                Some("crs") => crs = field.text().await.unwrap_or_default(),
                _ => {}
            },
            Ok(None) => break,
            Err(_) => return bad_upload(ctx, "malformed multipart body"),
        }
    }
    let Some(content) = content else {
        return bad_upload(ctx, "no file was uploaded");
    };
    let Ok(parsed_crs) = crs.parse::<Crs>() else {
        return crate::shell::page_error(
            ctx,
            ApiError::invalid("crs", "crs must be wgs84, gcj02 or bd09"),
        );
    };
    let outcome = match run(&state, &actor, kind, &file_name, &content, parsed_crs, true).await {
        Ok(o) => o,
        Err(ImportError::Store(e)) => return crate::shell::page_error(ctx, e),
        Err(e) => Outcome {
            created: 0,
            updated: 0,
            errors: file_error(&e),
            gaps: vec![],
        },
    };
    // Keep the file for the confirm step only when it can be imported.
    let mut upload_id = String::new();
    if outcome.errors.is_empty() {
        let stored = import::keep_upload(
            &state,
            &actor,
            kind.code(),
            &file_name,
            parsed_crs.as_str(),
            &content,
        );
        match stored.await {
            Ok(id) => upload_id = id,
            Err(e) => return crate::shell::page_error(ctx, e),
        }
    }
    let status = if outcome.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let preview = Preview {
        upload_id,
        file_name,
        created: outcome.created,
        updated: outcome.updated,
        errors: outcome.errors,
        gaps: outcome.gaps,
    };
    render(status, &page(ctx, &actor, kind, Some(preview), None))
}

async fn confirm(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path((kind, id)): Path<(String, String)>,
) -> Response {
    let path = format!("/import/{kind}");
    let ctx = Ctx::new(&state, &headers, &actor, "imports", &path);
    let Some(kind) = Kind::parse(&kind) else {
        return not_found(ctx);
    };
    if actor.require(&state, kind.permission()).await.is_err() {
        return forbidden(ctx);
    }
    let _place = match state.uploads.slot().await {
        Ok(p) => p,
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let up = match uploads::get(&state.db, &id, &actor.user_id).await {
        Ok(Some(u)) if u.kind == kind.code() => u,
        Ok(_) => return not_found(ctx),
        Err(e) => return crate::shell::page_error(ctx, e),
    };
    let bytes = match up.content.strip_prefix("base64:") {
        Some(b) => match base64::engine::general_purpose::STANDARD.decode(b) {
            Ok(v) => v,
            Err(_) => {
                return ApiError::Internal(anyhow::anyhow!("stored upload {id} is corrupt"))
                    .into_response();
            }
        },
        None => up.content.clone().into_bytes(),
    };
    let crs = up.crs.parse::<Crs>().unwrap_or(Crs::Wgs84);
    // Checked again: the database may have changed since the preview.
    match run(&state, &actor, kind, &up.file_name, &bytes, crs, false).await {
        Ok(o) => {
            let _ = uploads::delete(&state.db, &id).await;
            let done = format!(
                "{} {} · {} {}",
                ctx.t("imports.created"),
                o.created,
                ctx.t("imports.updated"),
                o.updated
            );
            render(StatusCode::OK, &page(ctx, &actor, kind, None, Some(done)))
        }
        Err(ImportError::Store(e)) => crate::shell::page_error(ctx, e),
        Err(e) => {
            let preview = Preview {
                upload_id: String::new(),
                file_name: up.file_name,
                created: 0,
                updated: 0,
                errors: file_error(&e),
                gaps: vec![],
            };
            render(
                StatusCode::CONFLICT,
                &page(ctx, &actor, kind, Some(preview), None),
            )
        }
    }
}
