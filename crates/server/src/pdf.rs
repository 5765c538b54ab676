//! PDF from a self-contained HTML page (its styles inline, its charts as inline SVG, no script, no
//! outside reference) through a headless Chromium on the server: the page is written to a private
//! temporary directory and printed with `--print-to-pdf`. One print at a time (`AppState::pdf`); a
//! server without Chromium answers 503 and the reader prints the page from the browser instead.

use crate::error::ApiError;
use axum::http::StatusCode;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("no Chromium on this server (reports.chromium)")]
    NoChromium,
    #[error("Chromium did not print the page: {0}")]
    Failed(String),
}

impl From<PdfError> for ApiError {
    fn from(e: PdfError) -> Self {
        match e {
            PdfError::NoChromium => ApiError::bad_request_status(
                StatusCode::SERVICE_UNAVAILABLE,
                "pdf_unavailable",
                "PDF printing needs Chromium on the server; print the page from your browser instead",
            ),
            PdfError::Failed(why) => {
                tracing::warn!(%why, "PDF print failed");
                ApiError::bad_request_status(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "pdf_failed",
                    "the PDF could not be printed; try again",
                )
            }
        }
    }
}

/// The configured Chromium, or the first of the usual names on the PATH.
pub fn chromium(configured: &str) -> Option<PathBuf> {
    if !configured.is_empty() {
        let p = PathBuf::from(configured);
        return p.is_file().then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| {
            [
                "chromium",
                "chromium-browser",
                "google-chrome",
                "headless_shell",
            ]
            .into_iter()
            .map(move |n| dir.join(n))
        })
        .find(|p| p.is_file())
}

/// Prints `html` to PDF (A4, no header or footer) within `timeout`.
pub async fn print(chromium: &Path, html: &str, timeout: Duration) -> Result<Vec<u8>, PdfError> {
    let dir = tempfile::tempdir().map_err(|e| PdfError::Failed(e.to_string()))?;
    let page = dir.path().join("page.html");
    let out = dir.path().join("page.pdf");
    tokio::fs::write(&page, html)
        .await
        .map_err(|e| PdfError::Failed(e.to_string()))?;
    let mut cmd = tokio::process::Command::new(chromium);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--no-pdf-header-footer",
    ])
    .arg(format!(
        "--user-data-dir={}",
        dir.path().join("profile").display()
    ))
    .arg(format!("--print-to-pdf={}", out.display()))
    .arg(format!("file://{}", page.display()))
    .stdin(std::process::Stdio::null())
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::piped())
    .kill_on_drop(true);
    let run = cmd.output();
    let done = tokio::time::timeout(timeout, run)
        .await
        .map_err(|_| PdfError::Failed(format!("no answer within {} s", timeout.as_secs())))?
        .map_err(|e| PdfError::Failed(e.to_string()))?;
    let bytes = tokio::fs::read(&out).await.map_err(|_| {
        let err = String::from_utf8_lossy(&done.stderr);
        PdfError::Failed(format!(
            "{}: {}",
            done.status,
            err.chars().take(400).collect::<String>()
        ))
    })?;
    if !bytes.starts_with(b"%PDF") {
        return Err(PdfError::Failed("the output is not a PDF".into()));
    }
    Ok(bytes)
}
