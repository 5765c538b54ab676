//! Data scope: the area and organisation subtrees a user may see. Areas and organisations carry a
//! materialised path (`/330681/330681109/` for 枫桥镇; `/<org id>/<org id>/` for organisations); a grant
//! covers every object whose path starts with the granted path. Storage turns a `Scope` into a SQL
//! predicate, so out-of-scope rows are never loaded.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScopeKind {
    Area,
    Org,
}

impl ScopeKind {
    pub fn code(self) -> &'static str {
        match self {
            ScopeKind::Area => "area",
            ScopeKind::Org => "org",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "area" => Some(ScopeKind::Area),
            "org" => Some(ScopeKind::Org),
            _ => None,
        }
    }
}

/// One granted subtree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ScopeGrant {
    pub kind: ScopeKind,
    /// Materialised path of the subtree root, starting and ending with `/`.
    pub path: String,
}

/// Everything one user may see.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    pub grants: Vec<ScopeGrant>,
}

impl Scope {
    pub fn new(grants: Vec<ScopeGrant>) -> Self {
        Scope { grants }
    }

    pub fn area_paths(&self) -> impl Iterator<Item = &str> {
        self.paths(ScopeKind::Area)
    }

    pub fn org_paths(&self) -> impl Iterator<Item = &str> {
        self.paths(ScopeKind::Org)
    }

    fn paths(&self, kind: ScopeKind) -> impl Iterator<Item = &str> {
        self.grants
            .iter()
            .filter(move |g| g.kind == kind)
            .map(|g| g.path.as_str())
    }

    /// In-memory check, for objects that are already in hand (e.g. a freshly created one).
    pub fn covers_area_path(&self, path: &str) -> bool {
        self.area_paths().any(|p| path.starts_with(p))
    }

    pub fn covers_org_path(&self, path: &str) -> bool {
        self.org_paths().any(|p| path.starts_with(p))
    }
}

/// A materialised path is `/seg/seg/…/`; segments hold no `/`, `%` or `_` so they are safe in SQL LIKE.
pub fn is_valid_path(path: &str) -> bool {
    path.starts_with('/')
        && path.ends_with('/')
        && !path.contains("//")
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '/' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area(p: &str) -> ScopeGrant {
        ScopeGrant {
            kind: ScopeKind::Area,
            path: p.into(),
        }
    }

    #[test]
    fn subtree_cover() {
        let s = Scope::new(vec![area("/330681/330681109/")]);
        assert!(s.covers_area_path("/330681/330681109/"));
        assert!(s.covers_area_path("/330681/330681109/330681109201/"));
        assert!(!s.covers_area_path("/330681/330681001/"));
        assert!(!s.covers_area_path("/330681/"));
        assert!(!s.covers_org_path("/330681/330681109/"));
    }

    #[test]
    fn path_shape() {
        assert!(is_valid_path("/330681/"));
        assert!(is_valid_path("/"));
        assert!(!is_valid_path("330681/"));
        assert!(!is_valid_path("/33_0681/"));
        assert!(!is_valid_path("/a//b/"));
    }
}
