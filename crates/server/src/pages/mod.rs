//! Server-rendered pages (askama templates in `templates/`). Every page goes through `PageActor`
//! (login redirect) and the same permission and scope checks as the API; an object outside the
//! caller's scope is a 404 page, exactly as in the API. The navigation lists every capability the
//! caller's role may use; capabilities not built yet say so plainly.

pub mod account;
mod admin;
pub mod analysis;
mod areas;
pub mod case_review;
pub mod cases;
mod dispatch;
mod disputes;
pub mod imports;
mod places;
mod public;
mod shell;

pub use shell::{Ctx, PageError, fail, page_error, router};

/// Percent-encodes a path for a `next=` parameter.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Only same-site relative paths are allowed as redirect targets (no `//host`, no scheme).
pub fn safe_next(next: &str) -> String {
    if next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.starts_with("/login")
    {
        next.to_string()
    } else {
        "/".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_stay_on_site() {
        assert_eq!(safe_next("/areas/330681109"), "/areas/330681109");
        assert_eq!(safe_next("//evil.example/x"), "/");
        assert_eq!(safe_next("https://evil.example/"), "/");
        assert_eq!(safe_next("/\\evil"), "/");
        assert_eq!(url_encode("/a b?c=1"), "/a%20b%3Fc%3D1");
    }
}
