//! Web assets (`web/dist`, built by `scripts/build-web`) embedded in the binary and served under
//! `/assets/`: the product runs on networks with no internet, so nothing is fetched from outside.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use rust_embed::Embed;

#[cfg(pingan_web_dist_missing)]
compile_error!(
    "web/dist/ is missing: run scripts/build-web once (it builds the web assets with npm), then cargo build again"
);

#[derive(Embed)]
#[folder = "../../web/dist/"]
#[exclude = ".stamp"]
// With the folder missing the compile_error above is the one message, not a derive error beside it.
#[allow_missing = true]
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

#[cfg(test)]
mod tests {
    /// The CSP says `script-src 'self'`, so an inline handler (`onclick="…"`) in a template is dead
    /// code in the browser: behaviour belongs in web/src, bound by a data attribute.
    #[test]
    fn templates_have_no_inline_event_handlers() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        // ` on<letters>=` inside a tag, e.g. ` onclick="`.
        let handler = |line: &str| {
            line.match_indices(" on").any(|(i, _)| {
                let rest = &line[i + 3..];
                let name_len = rest.chars().take_while(char::is_ascii_lowercase).count();
                name_len > 0 && rest[name_len..].trim_start().starts_with('=')
            })
        };
        let mut found = Vec::new();
        let mut stack = vec![dir];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "html") {
                    let text = std::fs::read_to_string(&p).unwrap();
                    for (i, line) in text.lines().enumerate() {
                        if handler(line) {
                            found.push(format!("{}:{}: {}", p.display(), i + 1, line.trim()));
                        }
                    }
                }
            }
        }
        assert!(found.is_empty(), "inline handlers:\n{}", found.join("\n"));
    }
}
