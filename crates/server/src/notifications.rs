//! Notifications for people (消息): every capability tells the people concerned through [`send`],
//! queued in the transaction that made the news, so a notification exists exactly when its cause was
//! committed. People read them in the inbox page (`/notifications`, the unread count in every page's
//! header) or through `/api/v1/notifications`; only the recipient sees or marks one.

use crate::auth::{Actor, PageActor};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiPath as Path;
use crate::extract::ApiQuery;
use crate::shell::{Ctx, page_error, render};
use crate::state::AppState;
use askama::Template;
use axum::Json;
use axum::Router;
use axum::extract::{Path as PagePath, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use pingan_store::Tx;
use pingan_store::notifications::{self, NotificationRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// How many notifications a list shows at most (newest first).
const LIST_LIMIT: i64 = 200;

/// What happened, about which object, in one sentence for the recipient.
pub struct Notice<'a> {
    /// What kind of news (`dispute.escalated`, `case_alert` …); the inbox names it in the reader's
    /// language.
    pub kind: &'a str,
    /// The object it is about: (`dispute` | `case` | `case_alert` | `incident`, id).
    pub object: (&'a str, &'a str),
    pub message: &'a str,
    /// The same in English.
    pub message_en: &'a str,
}

/// A notification's message in the reader's language (the Chinese one when no English was kept).
pub fn message_in(n: &NotificationRow, lang: crate::i18n::Lang) -> String {
    match lang {
        crate::i18n::Lang::En if !n.message_en.is_empty() => n.message_en.clone(),
        _ => n.message.clone(),
    }
}

/// Tells `recipients` (user ids) about `notice`, queued in `tx`.
pub fn send(tx: &mut Tx, recipients: &[String], at: i64, notice: &Notice<'_>) {
    notifications::queue(
        tx,
        recipients,
        at,
        notice.kind,
        notice.object,
        (notice.message, notice.message_en),
    );
}

/// The page a notification's object is read on.
pub fn link(object_type: &str, object_id: &str) -> Option<String> {
    let base = match object_type {
        "dispute" => "/disputes",
        "case" => "/cases",
        "case_alert" => "/case-alerts",
        "incident" => "/incidents",
        "task" => "/tasks",
        "meeting" => "/meetings",
        "place" => "/places",
        "risk" => "/risks",
        "visit" => "/visits",
        "public_alert" => "/public-alerts",
        "training_record" => "/training/people",
        "mentorship" => "/training/mentorships",
        _ => return None,
    };
    Some(format!("{base}/{}", crate::auth::url_encode(object_id)))
}

/* ---------- API ---------- */

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_notifications))
        .routes(routes!(read_notification))
        .routes(routes!(read_all_notifications))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Notification {
    pub id: String,
    /// When (UTC µs).
    pub at: i64,
    pub kind: String,
    pub object_type: String,
    pub object_id: String,
    /// The message in Chinese.
    pub message: String,
    /// The message in English (empty for notifications from before it was kept).
    pub message_en: String,
    /// The page the object is read on, when it has one.
    pub link: Option<String>,
    pub read_at: Option<i64>,
}

impl From<NotificationRow> for Notification {
    fn from(n: NotificationRow) -> Self {
        Notification {
            link: link(&n.object_type, &n.object_id),
            id: n.id,
            at: n.at,
            kind: n.kind,
            object_type: n.object_type,
            object_id: n.object_id,
            message: n.message,
            message_en: n.message_en,
            read_at: n.read_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NotificationQuery {
    /// Only the unread ones.
    pub unread: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MarkedRead {
    /// How many were unread and are read now.
    pub marked: u64,
}

/// Your notifications, newest first (at most 200).
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", params(NotificationQuery),
    responses((status = 200, description = "OK", body = Vec<Notification>)))]
async fn list_notifications(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<NotificationQuery>,
) -> ApiResult<Json<Vec<Notification>>> {
    let rows = notifications::list(
        &state.db,
        &actor.user_id,
        q.unread.unwrap_or(false),
        LIST_LIMIT,
    )
    .await?;
    Ok(Json(rows.into_iter().map(Notification::from).collect()))
}

/// Mark one of your notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "notifications",
    responses((status = 204, description = "Done"), (status = 404, description = "Not found, not yours, or read already", body = ErrorBody)))]
async fn read_notification(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    if notifications::mark_read(&state.db, &actor.user_id, &id, state.now()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}

/// Mark all your notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/read", tag = "notifications",
    responses((status = 200, description = "Done", body = MarkedRead)))]
async fn read_all_notifications(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<Json<MarkedRead>> {
    let marked = notifications::mark_all_read(&state.db, &actor.user_id, state.now()).await?;
    Ok(Json(MarkedRead { marked }))
}

/* ---------- pages ---------- */

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/notifications", get(inbox))
        .route("/notifications/count", get(count))
        .route("/notifications/read", post(read_all))
        .route("/notifications/{id}/open", post(open))
}

struct Item {
    id: String,
    when: String,
    kind: String,
    message: String,
    link: Option<String>,
    unread: bool,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct InboxPage {
    ctx: Ctx,
    items: Vec<Item>,
    unread: i64,
    unread_only: bool,
}

#[derive(Deserialize)]
struct InboxQuery {
    unread: Option<String>,
}

/// The kind of news in the reader's language (`notify.kind.*`), the code itself when unnamed.
fn kind_label(ctx: &Ctx, kind: &str) -> String {
    let key = format!("notify.kind.{kind}");
    let label = ctx.t(&key);
    if label == key {
        ctx.t("notify.kind.other").to_string()
    } else {
        label.to_string()
    }
}

async fn inbox(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    Query(q): Query<InboxQuery>,
) -> Response {
    let ctx = Ctx::new(&state, &headers, &actor, "notifications", "/notifications");
    let unread_only = q.unread.is_some_and(|v| v == "1");
    let loaded = async {
        let rows = notifications::list(&state.db, &actor.user_id, unread_only, LIST_LIMIT).await?;
        let unread = notifications::unread_count(&state.db, &actor.user_id).await?;
        Ok::<_, ApiError>((rows, unread))
    };
    let (rows, unread) = match loaded.await {
        Ok(v) => v,
        Err(e) => return page_error(ctx, e),
    };
    let items = rows
        .into_iter()
        .map(|n| Item {
            when: pingan_domain::time::local_datetime(pingan_domain::time::from_micros(n.at)),
            kind: kind_label(&ctx, &n.kind),
            link: link(&n.object_type, &n.object_id),
            unread: n.read_at.is_none(),
            message: message_in(&n, ctx.lang),
            id: n.id,
        })
        .collect();
    render(
        StatusCode::OK,
        &InboxPage {
            ctx,
            items,
            unread,
            unread_only,
        },
    )
}

/// The unread count for the page header (loaded by htmx every minute): the number, or nothing when
/// none. Asked by the page itself, so it does not count as the person being active.
async fn count(State(state): State<AppState>, parts: axum::http::request::Parts) -> Response {
    let actor = match crate::auth::authenticate_quietly(&parts, &state).await {
        Ok(a) if a.stage == crate::auth::SessionStage::Full => a,
        Ok(a) => return a.stage.refusal().into_response(),
        Err(e) => return e.into_response(),
    };
    match notifications::unread_count(&state.db, &actor.user_id).await {
        Ok(0) => (StatusCode::OK, "").into_response(),
        Ok(n) => (StatusCode::OK, n.to_string()).into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// Marks one read and goes to its object (or back to the inbox when it has no page).
async fn open(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
    PagePath(id): PagePath<String>,
) -> Response {
    let found = async {
        let n = notifications::get(&state.db, &actor.user_id, &id)
            .await?
            .ok_or(ApiError::NotFound)?;
        notifications::mark_read(&state.db, &actor.user_id, &id, state.now()).await?;
        Ok::<_, ApiError>(n)
    };
    match found.await {
        Ok(n) => Redirect::to(
            &link(&n.object_type, &n.object_id).unwrap_or_else(|| "/notifications".into()),
        )
        .into_response(),
        Err(e) => crate::shell::fail(&state, &headers, &actor, e),
    }
}

async fn read_all(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageActor(actor): PageActor,
) -> Response {
    match notifications::mark_all_read(&state.db, &actor.user_id, state.now()).await {
        Ok(_) => Redirect::to("/notifications").into_response(),
        Err(e) => crate::shell::fail(&state, &headers, &actor, ApiError::from(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_object_links_to_its_page() {
        assert_eq!(link("dispute", "d1").as_deref(), Some("/disputes/d1"));
        assert_eq!(link("case", "c 1").as_deref(), Some("/cases/c%201"));
        assert_eq!(link("case_alert", "a1").as_deref(), Some("/case-alerts/a1"));
        assert_eq!(link("incident", "i1").as_deref(), Some("/incidents/i1"));
        assert_eq!(link("nothing", "x"), None);
    }
}
