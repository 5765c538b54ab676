//! What 信息研判 reads: incident points and counts for an area, period and categories (always inside
//! the caller's scope), and the kept 研判简报 with their generation lease.

use crate::{Db, Result, Value, args, scope};
use pingan_domain::Scope;

/// Merged duplicates and cancelled calls are not events: counting them would count one happening twice.
const COUNTED: &str = "status NOT IN ('merged', 'cancelled')";

/// What to read: incidents received in `[from, to)` (UTC µs) under `area_path`, of these type codes
/// (all when empty).
#[derive(Debug, Clone)]
pub struct Selection {
    pub area_path: String,
    pub from: i64,
    pub to: i64,
    pub types: Vec<String>,
}

impl Selection {
    fn filter(&self, scope: &Scope) -> (String, Vec<Value>) {
        let (pred, mut a) = scope::predicate(scope, Some("area_path"), None);
        let mut sql = format!(
            "{COUNTED} AND area_path LIKE ? AND received_at >= ? AND received_at < ? AND {pred}"
        );
        let mut args = args![format!("{}%", self.area_path), self.from, self.to];
        args.append(&mut a);
        if !self.types.is_empty() {
            sql.push_str(&format!(
                " AND type_code IN ({})",
                vec!["?"; self.types.len()].join(", ")
            ));
            args.extend(self.types.iter().map(Value::from));
        }
        (sql, args)
    }
}

/// Scope applies by area path, as for every incident read.
const SOURCE: &str = "incidents";

/// One incident as analysis reads it: where, when, what and the two texts a repeat location shows.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IncidentPoint {
    pub number: String,
    pub type_code: String,
    pub address: String,
    pub lng: f64,
    pub lat: f64,
    pub received_at: i64,
}

/// Streams the selection's incidents, oldest first, into `each`, reading at most `limit` + 1 (the
/// caller refuses more than `limit`); returns how many were read.
pub async fn for_each_incident_point(
    db: &Db,
    scope: &Scope,
    sel: &Selection,
    limit: i64,
    each: impl FnMut(IncidentPoint) -> bool + Send,
) -> Result<usize> {
    let (filter, mut a) = sel.filter(scope);
    a.push(Value::Int(limit + 1));
    let sql = format!(
        "SELECT number, type_code, address, lng, lat, received_at FROM {SOURCE} WHERE {filter} \
         ORDER BY received_at, id LIMIT ?"
    );
    stream_points(db, &sql, a, each).await
}

/// Streams `IncidentPoint` rows; on SQLite through its C interface (a district-year is 300,000
/// rows, and sqlx's per-row cost was most of the time of reading them).
async fn stream_points(
    db: &Db,
    sql: &str,
    args: Vec<Value>,
    mut each: impl FnMut(IncidentPoint) -> bool + Send,
) -> Result<usize> {
    match db.backend() {
        crate::Backend::Sqlite => db
            .sqlite_raw(|conn| {
                let mut n = 0;
                conn.for_each_row(sql, &args, |row| {
                    n += 1;
                    each(IncidentPoint {
                        number: row.text(0).into_owned(),
                        type_code: row.text(1).into_owned(),
                        address: row.text(2).into_owned(),
                        lng: row.double(3),
                        lat: row.double(4),
                        received_at: row.int64(5),
                    })
                })?;
                Ok(n)
            })
            .await
            .expect("a SQLite database"),
        crate::Backend::Postgres => db.for_each(sql, args, each).await,
    }
}

/// Streams the counted incidents received in `[from, to)` whose position lies in the box
/// `[min_lng, min_lat, max_lng, max_lat]` (inside the caller's scope), oldest first, reading at most
/// `limit` + 1; returns how many were read. The caller tests the exact shape.
pub async fn for_each_incident_in_box(
    db: &Db,
    scope: &Scope,
    (from, to): (i64, i64),
    bbox: [f64; 4],
    limit: i64,
    each: impl FnMut(IncidentPoint) -> bool + Send,
) -> Result<usize> {
    let (pred, mut a) = scope::predicate(scope, Some("area_path"), None);
    let mut args = args![from, to, bbox[0], bbox[2], bbox[1], bbox[3]];
    args.append(&mut a);
    args.push(Value::Int(limit + 1));
    let sql = format!(
        "SELECT number, type_code, address, lng, lat, received_at FROM {SOURCE} WHERE {COUNTED} \
         AND received_at >= ? AND received_at < ? AND lng BETWEEN ? AND ? AND lat BETWEEN ? AND ? \
         AND {pred} ORDER BY received_at, id LIMIT ?"
    );
    stream_points(db, &sql, args, each).await
}

/// Incidents per (area path, type code) — the caller folds area paths into the level it reports.
pub async fn counts(db: &Db, scope: &Scope, sel: &Selection) -> Result<Vec<(String, String, i64)>> {
    let (filter, a) = sel.filter(scope);
    db.fetch_all(
        &format!(
            "SELECT area_path, type_code, COUNT(*) FROM {SOURCE} WHERE {filter} GROUP BY area_path, type_code"
        ),
        a,
    )
    .await
}

/// (path, code, name) of every area under `path`, `path` itself included.
pub async fn areas_under(db: &Db, path: &str) -> Result<Vec<(String, String, String)>> {
    db.fetch_all(
        "SELECT path, code, name FROM areas WHERE path LIKE ? ORDER BY path",
        args![format!("{path}%")],
    )
    .await
}

/// A kept 研判简报. `content` is `None` while (or if) it is being composed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BriefRow {
    pub id: String,
    pub subject_kind: String,
    pub subject_id: String,
    pub subject_name: String,
    pub area_path: String,
    pub period_kind: String,
    pub period_start: String,
    pub period_end: String,
    pub generated_at: Option<i64>,
    pub content: Option<String>,
}

const BRIEF_COLS: &str = "id, subject_kind, subject_id, subject_name, area_path, period_kind, period_start, \
    period_end, generated_at, content";

/// One brief to compose.
#[derive(Debug, Clone)]
pub struct BriefKey {
    pub subject_kind: String,
    pub subject_id: String,
    pub subject_name: String,
    pub area_path: String,
    pub period_kind: String,
    pub period_start: String,
    pub period_end: String,
}

/// Claims the brief for `worker` until `lease_until`: inserts it, or takes over a row whose earlier
/// claim lapsed without content (a server died mid-way). Returns the id when this worker holds the
/// claim, `None` when the brief exists or another worker's lease is live. One statement on both
/// backends, so two servers never compose the same brief.
pub async fn claim_brief(
    db: &Db,
    key: &BriefKey,
    id: &str,
    worker: &str,
    now: i64,
    lease_until: i64,
) -> Result<Option<String>> {
    // A write: in a write transaction (see `rate::hit`).
    let mut tx = db.begin().await?;
    let row: Option<(String,)> = tx
        .fetch_optional(
            "INSERT INTO briefs (id, subject_kind, subject_id, subject_name, area_path, period_kind, period_start, \
             period_end, claimed_by, lease_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (subject_kind, subject_id, period_kind, period_start) DO UPDATE \
             SET claimed_by = excluded.claimed_by, lease_until = excluded.lease_until \
             WHERE briefs.content IS NULL AND briefs.lease_until < ? RETURNING id",
            args![
                id,
                key.subject_kind.as_str(),
                key.subject_id.as_str(),
                key.subject_name.as_str(),
                key.area_path.as_str(),
                key.period_kind.as_str(),
                key.period_start.as_str(),
                key.period_end.as_str(),
                worker,
                lease_until,
                now
            ],
        )
        .await?;
    tx.commit_audited(Vec::new()).await?;
    Ok(row.map(|(id,)| id))
}

/// Stores the composed brief if `worker` still holds the claim; false when the lease was lost.
pub async fn complete_brief(
    db: &Db,
    id: &str,
    worker: &str,
    at: i64,
    content: &str,
) -> Result<bool> {
    let n = db
        .execute(
            "UPDATE briefs SET content = ?, generated_at = ?, claimed_by = NULL \
             WHERE id = ? AND claimed_by = ? AND content IS NULL",
            args![content, at, id, worker],
        )
        .await?;
    Ok(n == 1)
}

/// Kept briefs in scope, newest period first.
pub async fn list_briefs(
    db: &Db,
    scope: &Scope,
    period_kind: Option<&str>,
    limit: i64,
) -> Result<Vec<BriefRow>> {
    let (pred, mut a) = scope::predicate(scope, Some("area_path"), None);
    let mut sql = format!("SELECT {BRIEF_COLS} FROM briefs WHERE content IS NOT NULL AND {pred}");
    if let Some(k) = period_kind {
        sql.push_str(" AND period_kind = ?");
        a.push(Value::from(k));
    }
    sql.push_str(" ORDER BY period_start DESC, subject_kind, subject_name LIMIT ?");
    a.push(Value::Int(limit));
    db.fetch_all(&sql, a).await
}

/// One kept brief, if it is in scope.
pub async fn get_brief(db: &Db, scope: &Scope, id: &str) -> Result<Option<BriefRow>> {
    let (pred, mut a) = scope::predicate(scope, Some("area_path"), None);
    let mut args = args![id];
    args.append(&mut a);
    db.fetch_optional(
        &format!("SELECT {BRIEF_COLS} FROM briefs WHERE id = ? AND content IS NOT NULL AND {pred}"),
        args,
    )
    .await
}
