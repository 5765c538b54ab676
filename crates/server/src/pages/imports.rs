//! Grid import in the browser: upload → preview of every problem (nothing written) → confirm. The
//! uploaded file waits in the database between the two steps, so any server can finish it. The same
//! checks as `pingan import grids` run, limited to the uploader's scope.

use super::shell::{Ctx, forbidden, render};
use crate::auth::{Actor, PageActor};
use crate::error::ApiError;
use crate::import::{self, ImportActor, ImportError, ImportOptions, RowError};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use pingan_domain::Permission;
use pingan_domain::audit::AuditOutcome;
use pingan_geo::Crs;
use pingan_store::uploads;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/import/grids", get(form).post(upload))
        .route("/import/grids/{id}/confirm", post(confirm))
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
#[template(path = "import_grids.html")]
struct ImportPage {
    ctx: Ctx,
    preview: Option<Preview>,
    done: Option<String>,
}

async fn allowed(state: &AppState, actor: &Actor) -> bool {
    actor.require(state, Permission::GridManage).await.is_ok()
}

async fn form(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
) -> Response {
    let ctx = Ctx::new(&state, &headers, &actor, "imports", "/import/grids");
    if !allowed(&state, &actor).await {
        return forbidden(ctx);
    }
    render(
        StatusCode::OK,
        &ImportPage {
            ctx,
            preview: None,
            done: None,
        },
    )
}

fn bad_upload(message: &str) -> Response {
    ApiError::bad_request("invalid_upload", message, Some("file".into())).into_response()
}

async fn upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    mut form: Multipart,
) -> Response {
    let ctx = Ctx::new(&state, &headers, &actor, "imports", "/import/grids");
    if !allowed(&state, &actor).await {
        return forbidden(ctx);
    }
    let (mut file_name, mut content, mut crs) = (String::new(), None, "wgs84".to_string());
    loop {
        match form.next_field().await {
            Ok(Some(field)) => match field.name() {
                Some("file") => {
                    file_name = field
                        .file_name()
                        .unwrap_or("upload.geojson")
                        .chars()
                        .take(200)
                        .collect();
                    match field.bytes().await {
                        Ok(b) => content = Some(b),
                        Err(_) => {
                            return bad_upload(
                                "the upload was cut off or is larger than the limit",
                            );
                        }
                    }
                }
                Some("crs") => crs = field.text().await.unwrap_or_default(),
                _ => {}
            },
            Ok(None) => break,
            Err(_) => return bad_upload("malformed multipart body"),
        }
    }
    let Some(content) = content else {
        return bad_upload("no file was uploaded");
    };
    let Ok(text) = String::from_utf8(content.to_vec()) else {
        return bad_upload("the file is not UTF-8 text");
    };
    let Ok(parsed_crs) = crs.parse::<Crs>() else {
        return ApiError::invalid("crs", "crs must be wgs84, gcj02 or bd09").into_response();
    };
    let dry = ImportOptions {
        dry_run: true,
        skip_bad: false,
    };
    let result = import::grids::import(
        &state.db,
        &text,
        parsed_crs,
        dry,
        &ImportActor::of(&actor),
        &actor.scope,
        |_| {},
    )
    .await;
    let r = match result {
        Ok(r) => r,
        Err(ImportError::Store(e)) => return ApiError::from(e).into_response(),
        Err(e) => {
            let errors = vec![RowError {
                unit: "file",
                row: 0,
                column: "file".into(),
                message: e.to_string(),
            }];
            let preview = Preview {
                upload_id: String::new(),
                file_name,
                created: 0,
                updated: 0,
                errors,
                gaps: vec![],
            };
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &ImportPage {
                    ctx,
                    preview: Some(preview),
                    done: None,
                },
            );
        }
    };
    // Keep the file for the confirm step only when it can be imported.
    let mut upload_id = String::new();
    if r.report.skipped.is_empty() {
        let stored = async {
            let mut tx = state.db.begin().await?;
            let id = uploads::put(
                &mut tx,
                &actor.user_id,
                "grids",
                &file_name,
                parsed_crs.as_str(),
                &text,
            )
            .await?;
            let e = actor.audit_entry(
                "import.upload",
                "import_upload",
                Some(&id),
                AuditOutcome::Ok,
                &serde_json::json!({"kind": "grids", "file": file_name}).to_string(),
            );
            tx.commit_audited(vec![e]).await?;
            Ok::<_, pingan_store::StoreError>(id)
        };
        match stored.await {
            Ok(id) => upload_id = id,
            Err(e) => return ApiError::from(e).into_response(),
        }
    }
    let gaps = r
        .gaps
        .iter()
        .map(|g| GapLine {
            village: g.village.clone(),
            area: format!("{:.0}", g.area_m2),
            at: format!("{:.6}, {:.6}", g.at[0], g.at[1]),
        })
        .collect();
    let status = if r.report.skipped.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let preview = Preview {
        upload_id,
        file_name,
        created: r.report.created,
        updated: r.report.updated,
        errors: r.report.skipped,
        gaps,
    };
    render(
        status,
        &ImportPage {
            ctx,
            preview: Some(preview),
            done: None,
        },
    )
}

async fn confirm(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Path(id): Path<String>,
) -> Response {
    let ctx = Ctx::new(&state, &headers, &actor, "imports", "/import/grids");
    if !allowed(&state, &actor).await {
        return forbidden(ctx);
    }
    let up = match uploads::get(&state.db, &id, &actor.user_id).await {
        Ok(Some(u)) if u.kind == "grids" => u,
        Ok(_) => return super::shell::not_found(ctx),
        Err(e) => return ApiError::from(e).into_response(),
    };
    let crs = up.crs.parse::<Crs>().unwrap_or(Crs::Wgs84);
    let opts = ImportOptions {
        dry_run: false,
        skip_bad: false,
    };
    // Checked again: the database may have changed since the preview.
    match import::grids::import(
        &state.db,
        &up.content,
        crs,
        opts,
        &ImportActor::of(&actor),
        &actor.scope,
        |_| {},
    )
    .await
    {
        Ok(r) => {
            let _ = uploads::delete(&state.db, &id).await;
            let done = format!(
                "{} {} · {} {}",
                ctx.t("imports.created"),
                r.report.created,
                ctx.t("imports.updated"),
                r.report.updated
            );
            render(
                StatusCode::OK,
                &ImportPage {
                    ctx,
                    preview: None,
                    done: Some(done),
                },
            )
        }
        Err(ImportError::BadRows(errors)) => {
            let preview = Preview {
                upload_id: String::new(),
                file_name: up.file_name,
                created: 0,
                updated: 0,
                errors,
                gaps: vec![],
            };
            render(
                StatusCode::CONFLICT,
                &ImportPage {
                    ctx,
                    preview: Some(preview),
                    done: None,
                },
            )
        }
        Err(ImportError::Store(e)) => ApiError::from(e).into_response(),
        Err(e) => ApiError::Internal(anyhow::anyhow!(e.to_string())).into_response(),
    }
}
