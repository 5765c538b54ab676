//! Web assets (`web/dist`, built by `scripts/build-web`) embedded in the binary and served under
//! `/assets/`: the product runs on networks with no internet, so nothing is fetched from outside.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use rust_embed::Embed;

#[derive(Embed)]
#[folder = "../../web/dist/"]
#[exclude = ".stamp"]
pub struct Assets;

pub async fn serve(Path(path): Path<String>) -> Response {
    match Assets::get(&path) {
        Some(f) => {
            let mime = f.metadata.mimetype().to_string();
            (
                [
                    (CONTENT_TYPE, mime),
                    (CACHE_CONTROL, "public, max-age=3600".to_string()),
                ],
                f.data,
            )
                .into_response()
        }
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

/// Names of all embedded files (for the offline test).
pub fn names() -> Vec<String> {
    Assets::iter().map(|s| s.to_string()).collect()
}
