//! The organisation tree: bureau → stations → community police posts, 综治 centres, 司法所, township and
//! village committees, volunteer teams and partner agencies. Paths are built from ids so a subtree is a
//! prefix; an organisation may also be tied to the area it serves.

use crate::db::{Db, Tx};
use crate::{Result, StoreError, args, new_id, now_micros, scope};
use pingan_domain::{OrgKind, Scope};

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, PartialEq)]
pub struct OrgRow {
    pub id: String,
    pub parent_id: Option<String>,
    pub path: String,
    pub name: String,
    pub kind: String,
    pub area_code: Option<String>,
    pub area_path: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewOrg {
    pub parent_id: Option<String>,
    pub name: String,
    pub kind: OrgKind,
    pub area_code: Option<String>,
}

const COLS: &str = "id, parent_id, path, name, kind, area_code, area_path";

pub async fn insert(tx: &mut Tx, o: &NewOrg) -> Result<OrgRow> {
    if o.name.trim().is_empty() {
        return Err(StoreError::Invalid("organisation name is empty".into()));
    }
    let id = new_id();
    let parent_path = match &o.parent_id {
        None => "/".to_string(),
        Some(pid) => {
            let p: Option<(String,)> = tx
                .fetch_optional("SELECT path FROM orgs WHERE id = ?", args![pid.as_str()])
                .await?;
            p.ok_or_else(|| {
                StoreError::Invalid(format!("parent organisation {pid} does not exist"))
            })?
            .0
        }
    };
    let area_path = match &o.area_code {
        None => None,
        Some(code) => Some(
            crate::areas::get_unscoped(tx, code)
                .await?
                .ok_or_else(|| StoreError::Invalid(format!("area {code} does not exist")))?
                .path,
        ),
    };
    let row = OrgRow {
        path: format!("{parent_path}{id}/"),
        id,
        parent_id: o.parent_id.clone(),
        name: o.name.trim().to_string(),
        kind: o.kind.code().to_string(),
        area_code: o.area_code.clone(),
        area_path,
    };
    let now = now_micros();
    tx.execute(
        &format!(
            "INSERT INTO orgs ({COLS}, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ),
        args![
            row.id.clone(),
            row.parent_id.clone(),
            row.path.clone(),
            row.name.clone(),
            row.kind.clone(),
            row.area_code.clone(),
            row.area_path.clone(),
            now,
            now
        ],
    )
    .await?;
    Ok(row)
}

/// Organisations visible to `scope`: by their own subtree or by the area they serve.
pub async fn list(db: &Db, scope: &Scope) -> Result<Vec<OrgRow>> {
    let (pred, a) = scope::predicate(scope, Some("area_path"), Some("path"));
    db.fetch_all(
        &format!("SELECT {COLS} FROM orgs WHERE {pred} ORDER BY path"),
        a,
    )
    .await
}

pub async fn get(db: &Db, scope: &Scope, id: &str) -> Result<Option<OrgRow>> {
    let (pred, mut a) = scope::predicate(scope, Some("area_path"), Some("path"));
    let mut all = args![id];
    all.append(&mut a);
    db.fetch_optional(
        &format!("SELECT {COLS} FROM orgs WHERE id = ? AND {pred}"),
        all,
    )
    .await
}

pub async fn get_unscoped(db: &Db, id: &str) -> Result<Option<OrgRow>> {
    db.fetch_optional(&format!("SELECT {COLS} FROM orgs WHERE id = ?"), args![id])
        .await
}
