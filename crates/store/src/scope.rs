//! Scope filters as SQL. A caller's `Scope` becomes a predicate over an object's materialised path
//! columns, added to the WHERE clause of the query that loads the objects: rows outside the scope are
//! never read, and an out-of-scope object looks exactly like a missing one.

use crate::Value;
use pingan_domain::Scope;

/// `(area_col LIKE ? OR … OR org_col LIKE ?)`; `1 = 0` for an empty scope. Either column may be absent.
pub fn predicate(
    scope: &Scope,
    area_col: Option<&str>,
    org_col: Option<&str>,
) -> (String, Vec<Value>) {
    let mut parts = Vec::new();
    let mut args = Vec::new();
    if let Some(col) = area_col {
        for p in scope.area_paths() {
            parts.push(format!("{col} LIKE ?"));
            args.push(Value::Text(format!("{p}%")));
        }
    }
    if let Some(col) = org_col {
        for p in scope.org_paths() {
            parts.push(format!("{col} LIKE ?"));
            args.push(Value::Text(format!("{p}%")));
        }
    }
    if parts.is_empty() {
        ("1 = 0".to_string(), args)
    } else {
        (format!("({})", parts.join(" OR ")), args)
    }
}
