//! 考核: scheme versions per unit type, manual items and settled scores.

use crate::db::{Db, Tx};
use crate::{Result, args, new_id, scope};
use pingan_domain::Scope;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SchemeRow {
    pub id: String,
    pub unit_type: String,
    pub version: i64,
    /// First local day (YYYY-MM-DD) it scores.
    pub effective_from: String,
    /// The indicators as JSON (`[domain::assessment::Indicator]`).
    pub indicators: String,
    pub note: String,
    pub created_by: Option<String>,
    pub created_at: i64,
}

const SCHEME_COLS: &str =
    "id, unit_type, version, effective_from, indicators, note, created_by, created_at";

/// Every version of a unit type's scheme, oldest first (all unit types when `None`).
pub async fn schemes(db: &Db, unit_type: Option<&str>) -> Result<Vec<SchemeRow>> {
    match unit_type {
        Some(t) => {
            db.fetch_all(
                &format!(
                    "SELECT {SCHEME_COLS} FROM assessment_schemes WHERE unit_type = ? ORDER BY version"
                ),
                args![t],
            )
            .await
        }
        None => {
            db.fetch_all(
                &format!("SELECT {SCHEME_COLS} FROM assessment_schemes ORDER BY unit_type, version"),
                args![],
            )
            .await
        }
    }
}

pub async fn scheme(db: &Db, id: &str) -> Result<Option<SchemeRow>> {
    db.fetch_optional(
        &format!("SELECT {SCHEME_COLS} FROM assessment_schemes WHERE id = ?"),
        args![id],
    )
    .await
}

/// The version in force on `day` (YYYY-MM-DD): the latest taking effect on or before it.
pub async fn scheme_on(db: &Db, unit_type: &str, day: &str) -> Result<Option<SchemeRow>> {
    db.fetch_optional(
        &format!(
            "SELECT {SCHEME_COLS} FROM assessment_schemes WHERE unit_type = ? AND effective_from <= ? \
             ORDER BY effective_from DESC, version DESC LIMIT 1"
        ),
        args![unit_type, day],
    )
    .await
}

/// Adds the next version of a unit type's scheme; returns it.
pub async fn add_scheme(
    tx: &mut Tx,
    unit_type: &str,
    effective_from: &str,
    indicators: &str,
    note: &str,
    by: Option<&str>,
    at: i64,
) -> Result<SchemeRow> {
    let (last,): (Option<i64>,) = tx
        .fetch_one(
            "SELECT MAX(version) FROM assessment_schemes WHERE unit_type = ?",
            args![unit_type],
        )
        .await?;
    let row = SchemeRow {
        id: new_id(),
        unit_type: unit_type.into(),
        version: last.unwrap_or(0) + 1,
        effective_from: effective_from.into(),
        indicators: indicators.into(),
        note: note.into(),
        created_by: by.map(str::to_string),
        created_at: at,
    };
    tx.execute(
        &format!("INSERT INTO assessment_schemes ({SCHEME_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
        args![
            row.id.as_str(),
            unit_type,
            row.version,
            effective_from,
            indicators,
            note,
            by,
            at
        ],
    )
    .await?;
    Ok(row)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ItemRow {
    pub id: String,
    pub unit_type: String,
    pub unit_key: String,
    pub period: String,
    pub indicator: String,
    pub points: f64,
    pub evidence: String,
    pub area_path: String,
    pub entered_by: String,
    pub entered_by_name: String,
    pub entered_at: i64,
    pub confirmed_by: Option<String>,
    pub confirmed_by_name: Option<String>,
    pub confirmed_at: Option<i64>,
}

const ITEM_SELECT: &str = "SELECT i.id, i.unit_type, i.unit_key, i.period, i.indicator, i.points, \
    i.evidence, i.area_path, i.entered_by, e.display_name AS entered_by_name, i.entered_at, \
    i.confirmed_by, c.display_name AS confirmed_by_name, i.confirmed_at FROM assessment_items i \
    JOIN users e ON e.id = i.entered_by LEFT JOIN users c ON c.id = i.confirmed_by";

pub struct NewItem<'a> {
    pub unit_type: &'a str,
    pub unit_key: &'a str,
    pub period: &'a str,
    pub indicator: &'a str,
    pub points: f64,
    pub evidence: &'a str,
    pub area_path: &'a str,
    pub by: &'a str,
    pub at: i64,
}

pub async fn add_item(tx: &mut Tx, n: &NewItem<'_>) -> Result<String> {
    let id = new_id();
    tx.execute(
        "INSERT INTO assessment_items (id, unit_type, unit_key, period, indicator, points, evidence, \
         area_path, entered_by, entered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        args![
            id.as_str(),
            n.unit_type,
            n.unit_key,
            n.period,
            n.indicator,
            n.points,
            n.evidence,
            n.area_path,
            n.by,
            n.at
        ],
    )
    .await?;
    Ok(id)
}

/// One item, inside the caller's scope.
pub async fn item(db: &Db, s: &Scope, id: &str) -> Result<Option<ItemRow>> {
    let (pred, mut a) = scope::predicate(s, Some("i.area_path"), None);
    let mut all = args![id];
    all.append(&mut a);
    db.fetch_optional(&format!("{ITEM_SELECT} WHERE i.id = ? AND {pred}"), all)
        .await
}

/// Confirms an item entered by someone else; false when it was confirmed already or is the
/// confirmer's own.
pub async fn confirm_item(tx: &mut Tx, id: &str, by: &str, at: i64) -> Result<bool> {
    let n = tx
        .execute(
            "UPDATE assessment_items SET confirmed_by = ?, confirmed_at = ? \
             WHERE id = ? AND confirmed_at IS NULL AND entered_by <> ?",
            args![by, at, id, by],
        )
        .await?;
    Ok(n == 1)
}

/// A unit's items for a period, oldest first.
pub async fn items(db: &Db, unit_type: &str, unit_key: &str, period: &str) -> Result<Vec<ItemRow>> {
    db.fetch_all(
        &format!(
            "{ITEM_SELECT} WHERE i.unit_type = ? AND i.unit_key = ? AND i.period = ? \
             ORDER BY i.entered_at, i.id"
        ),
        args![unit_type, unit_key, period],
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ScoreRow {
    pub id: String,
    pub unit_type: String,
    pub unit_key: String,
    pub unit_name: String,
    pub area_path: String,
    pub period: String,
    pub scheme_id: String,
    pub total: Option<f64>,
    /// The scored indicators as JSON.
    pub detail: String,
    pub settled_by: String,
    pub settled_at: i64,
}

const SCORE_COLS: &str = "id, unit_type, unit_key, unit_name, area_path, period, scheme_id, total, \
    detail, settled_by, settled_at";

/// The settled score of a unit and period.
pub async fn settled(
    db: &Db,
    unit_type: &str,
    unit_key: &str,
    period: &str,
) -> Result<Option<ScoreRow>> {
    db.fetch_optional(
        &format!(
            "SELECT {SCORE_COLS} FROM assessment_scores WHERE unit_type = ? AND unit_key = ? AND period = ?"
        ),
        args![unit_type, unit_key, period],
    )
    .await
}

/// Settles a score (a unit's period once): false when it was settled already.
pub async fn settle(tx: &mut Tx, r: &ScoreRow) -> Result<bool> {
    let n = tx
        .execute(
            &format!(
                "INSERT INTO assessment_scores ({SCORE_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
                 ON CONFLICT (unit_type, unit_key, period) DO NOTHING"
            ),
            args![
                r.id.as_str(),
                r.unit_type.as_str(),
                r.unit_key.as_str(),
                r.unit_name.as_str(),
                r.area_path.as_str(),
                r.period.as_str(),
                r.scheme_id.as_str(),
                r.total,
                r.detail.as_str(),
                r.settled_by.as_str(),
                r.settled_at
            ],
        )
        .await?;
    Ok(n == 1)
}
