//! 分片布警: patrol zones (a polygon per station, GeoJSON in WGS-84 with its box) and patrol plans
//! (the kernel's proposal and the posts as the chief left them, as JSON; published or draft). Both
//! are scoped by the station's org path and the zone's area path.

use crate::db::{Db, Tx};
use crate::{Result, Value, args, scope};
use pingan_domain::Scope;

fn in_scope(s: &Scope) -> (String, Vec<Value>) {
    scope::predicate(s, Some("area_path"), Some("org_path"))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ZoneRow {
    pub id: String,
    pub station_org_id: String,
    pub org_path: String,
    pub area_path: String,
    pub name: String,
    pub geometry: String,
    pub min_x: f64,
    pub min_y: f64,
    pub max_x: f64,
    pub max_y: f64,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const ZONE_COLS: &str = "id, station_org_id, org_path, area_path, name, geometry, min_x, min_y, \
                         max_x, max_y, created_by, created_at, updated_at";

pub async fn insert_zone(tx: &mut Tx, z: &ZoneRow) -> Result<()> {
    tx.execute(
        &format!(
            "INSERT INTO patrol_zones ({ZONE_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ),
        args![
            z.id.as_str(),
            z.station_org_id.as_str(),
            z.org_path.as_str(),
            z.area_path.as_str(),
            z.name.as_str(),
            z.geometry.as_str(),
            z.min_x,
            z.min_y,
            z.max_x,
            z.max_y,
            z.created_by.as_str(),
            z.created_at,
            z.updated_at
        ],
    )
    .await?;
    Ok(())
}

pub async fn get_zone(db: &Db, s: &Scope, id: &str) -> Result<Option<ZoneRow>> {
    let (pred, mut a) = in_scope(s);
    let mut args = args![id];
    args.append(&mut a);
    db.fetch_optional(
        &format!("SELECT {ZONE_COLS} FROM patrol_zones WHERE id = ? AND {pred}"),
        args,
    )
    .await
}

/// A zone by id whatever the scope (a station's whole day, for its own jobs).
pub async fn zone_unscoped(db: &Db, id: &str) -> Result<Option<ZoneRow>> {
    db.fetch_optional(
        &format!("SELECT {ZONE_COLS} FROM patrol_zones WHERE id = ?"),
        args![id],
    )
    .await
}

/// Zones in scope, of one station when `station_org_id` is given, by station and name.
pub async fn list_zones(db: &Db, s: &Scope, station_org_id: Option<&str>) -> Result<Vec<ZoneRow>> {
    let (pred, mut a) = in_scope(s);
    let mut sql = format!("SELECT {ZONE_COLS} FROM patrol_zones WHERE {pred}");
    if let Some(st) = station_org_id {
        sql.push_str(" AND station_org_id = ?");
        a.push(st.into());
    }
    sql.push_str(" ORDER BY org_path, name");
    db.fetch_all(&sql, a).await
}

/// Every zone of a station, whatever the caller's scope (overlap checks look at all of them).
/// A station's zones, outside any transaction (for checks done before one is opened).
pub async fn zones_of_station(db: &Db, station_org_id: &str) -> Result<Vec<ZoneRow>> {
    db.fetch_all(
        &format!("SELECT {ZONE_COLS} FROM patrol_zones WHERE station_org_id = ? ORDER BY name"),
        args![station_org_id],
    )
    .await
}

/// Locks the station's row until the transaction ends, so two writers of its zones take turns
/// (PostgreSQL; SQLite's `BEGIN IMMEDIATE` already serialises writers).
pub async fn lock_station(tx: &mut Tx, station_org_id: &str) -> Result<()> {
    if tx.backend() == crate::db::Backend::Postgres {
        let _: Option<(String,)> = tx
            .fetch_optional(
                "SELECT id FROM orgs WHERE id = ? FOR UPDATE",
                args![station_org_id],
            )
            .await?;
    }
    Ok(())
}

pub async fn station_zones(tx: &mut Tx, station_org_id: &str) -> Result<Vec<ZoneRow>> {
    tx.fetch_all(
        &format!("SELECT {ZONE_COLS} FROM patrol_zones WHERE station_org_id = ? ORDER BY name"),
        args![station_org_id],
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PlanRow {
    pub id: String,
    pub zone_id: String,
    pub org_path: String,
    pub area_path: String,
    pub status: String,
    /// Local dates (YYYY-MM-DD), inclusive.
    pub valid_from: String,
    pub valid_to: String,
    /// The incidents the proposal weighed: received in [basis_from, basis_to) (UTC µs).
    pub basis_from: i64,
    pub basis_to: i64,
    /// JSON: the kernel's proposal as it was made.
    pub proposal: String,
    /// JSON: the posts as they stand.
    pub posts: String,
    /// Risk-weighted incidents the posts as they stand cover.
    pub covered: f64,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub published_by: Option<String>,
    pub published_at: Option<i64>,
}

const PLAN_COLS: &str = "id, zone_id, org_path, area_path, status, valid_from, valid_to, basis_from, \
                         basis_to, proposal, posts, covered, created_by, created_at, updated_at, \
                         published_by, published_at";

pub async fn insert_plan(tx: &mut Tx, p: &PlanRow) -> Result<()> {
    tx.execute(
        &format!(
            "INSERT INTO patrol_plans ({PLAN_COLS}) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ),
        args![
            p.id.as_str(),
            p.zone_id.as_str(),
            p.org_path.as_str(),
            p.area_path.as_str(),
            p.status.as_str(),
            p.valid_from.as_str(),
            p.valid_to.as_str(),
            p.basis_from,
            p.basis_to,
            p.proposal.as_str(),
            p.posts.as_str(),
            p.covered,
            p.created_by.as_str(),
            p.created_at,
            p.updated_at,
            p.published_by.clone(),
            p.published_at
        ],
    )
    .await?;
    Ok(())
}

pub async fn get_plan(db: &Db, s: &Scope, id: &str) -> Result<Option<PlanRow>> {
    let (pred, mut a) = in_scope(s);
    let mut args = args![id];
    args.append(&mut a);
    db.fetch_optional(
        &format!("SELECT {PLAN_COLS} FROM patrol_plans WHERE id = ? AND {pred}"),
        args,
    )
    .await
}

#[derive(Debug, Default, Clone)]
pub struct PlanFilter {
    pub zone_id: Option<String>,
    pub status: Option<String>,
    /// Plans whose validity includes this local date (YYYY-MM-DD).
    pub valid_on: Option<String>,
    pub limit: i64,
}

pub async fn list_plans(db: &Db, s: &Scope, f: &PlanFilter) -> Result<Vec<PlanRow>> {
    let (pred, mut a) = in_scope(s);
    let mut sql = format!("SELECT {PLAN_COLS} FROM patrol_plans WHERE {pred}");
    if let Some(z) = &f.zone_id {
        sql.push_str(" AND zone_id = ?");
        a.push(z.into());
    }
    if let Some(st) = &f.status {
        sql.push_str(" AND status = ?");
        a.push(st.into());
    }
    if let Some(d) = &f.valid_on {
        sql.push_str(" AND valid_from <= ? AND valid_to >= ?");
        a.push(d.into());
        a.push(d.into());
    }
    sql.push_str(" ORDER BY created_at DESC, id DESC LIMIT ?");
    a.push(f.limit.into());
    db.fetch_all(&sql, a).await
}

/// Replaces a draft's posts; false when the plan is no longer the draft last read (published, or
/// edited by someone else since `updated_at`).
pub async fn update_posts(
    tx: &mut Tx,
    id: &str,
    updated_at: i64,
    posts: &str,
    covered: f64,
    now: i64,
) -> Result<bool> {
    let n = tx
        .execute(
            "UPDATE patrol_plans SET posts = ?, covered = ?, updated_at = ? \
             WHERE id = ? AND status = 'draft' AND updated_at = ?",
            args![posts, covered, now, id, updated_at],
        )
        .await?;
    Ok(n == 1)
}

/// Publishes a draft; false when it is not one any more.
pub async fn publish(tx: &mut Tx, id: &str, by: &str, now: i64) -> Result<bool> {
    let n = tx
        .execute(
            "UPDATE patrol_plans SET status = 'published', published_by = ?, published_at = ?, \
             updated_at = ? WHERE id = ? AND status = 'draft'",
            args![by, now, now, id],
        )
        .await?;
    Ok(n == 1)
}

/// The units of a station `(id, name)`, by id.
pub async fn station_units(db: &Db, station_org_id: &str) -> Result<Vec<(String, String)>> {
    db.fetch_all(
        "SELECT id, name FROM units WHERE org_id = ? ORDER BY id",
        args![station_org_id],
    )
    .await
}

/// The published plans of a station's zones in force on a local date (YYYY-MM-DD), whatever the
/// caller's scope (for the station's day at once).
pub async fn station_plans_on(db: &Db, station_org_id: &str, date: &str) -> Result<Vec<PlanRow>> {
    let cols = PLAN_COLS
        .split(", ")
        .map(|c| format!("p.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    db.fetch_all(
        &format!(
            "SELECT {cols} FROM patrol_plans p JOIN patrol_zones z ON z.id = p.zone_id \
             WHERE z.station_org_id = ? AND p.status = 'published' AND p.valid_from <= ? \
             AND p.valid_to >= ? ORDER BY p.id"
        ),
        args![station_org_id, date, date],
    )
    .await
}

/// A unit's fixes `(at, lng, lat)` in `[from, to)`, oldest first, at most `limit` + 1.
pub async fn unit_fixes(
    db: &Db,
    unit_id: &str,
    (from, to): (i64, i64),
    limit: i64,
) -> Result<Vec<(i64, f64, f64)>> {
    // Raw fixes, and for days older than the retention the fold's kept fixes (a day is one or the
    // other: the fold deletes the raw fixes it replaces in the same transaction).
    const SQL: &str = "SELECT at, lng, lat FROM unit_positions WHERE unit_id = ? AND at >= ? \
         AND at < ? UNION ALL SELECT at, lng, lat FROM unit_positions_folded \
         WHERE unit_id = ? AND at >= ? AND at < ? ORDER BY at LIMIT ?";
    let args = args![
        unit_id,
        from,
        to,
        unit_id,
        from,
        to,
        limit.saturating_add(1)
    ];
    match db.backend() {
        // A station's day is millions of fixes: on SQLite they are stepped through its C
        // interface.
        crate::Backend::Sqlite => db
            .sqlite_raw(|conn| {
                let mut fixes = Vec::new();
                conn.for_each_row(SQL, &args, |row| {
                    fixes.push((row.int64(0), row.double(1), row.double(2)));
                    true
                })?;
                Ok(fixes)
            })
            .await
            .expect("a SQLite database"),
        crate::Backend::Postgres => db.fetch_all(SQL, args).await,
    }
}

/// Every unit's id (the fold asks each for its oldest raw fix by a seek on the (unit, time) index,
/// cheaper than finding the units with fixes by scanning them).
pub async fn unit_ids(db: &Db) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = db
        .fetch_all("SELECT id FROM units ORDER BY id", args![])
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// A unit's oldest raw fix before `cutoff`, by a seek on the (unit, time) index.
pub async fn oldest_raw_fix(db: &Db, unit_id: &str, cutoff: i64) -> Result<Option<i64>> {
    let row: Option<(i64,)> = db
        .fetch_optional(
            "SELECT at FROM unit_positions WHERE unit_id = ? AND at < ? ORDER BY at LIMIT 1",
            args![unit_id, cutoff],
        )
        .await?;
    Ok(row.map(|r| r.0))
}

/// One unit-day folded: what was read and kept, and the error bound that holds.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TrackFold {
    pub unit_id: String,
    pub day_start: i64,
    pub day_end: i64,
    pub raw_fixes: i64,
    pub kept_fixes: i64,
    pub tolerance_m: f64,
    pub max_error_m: f64,
    pub folded_at: i64,
}

/// Takes a unit's raw fixes of `[from, to)` out of the table (deleted, returned): exactly the rows
/// the fold then replaces, whatever arrives meanwhile.
pub async fn take_raw_fixes(
    tx: &mut Tx,
    unit_id: &str,
    (from, to): (i64, i64),
) -> Result<Vec<(i64, f64, f64)>> {
    let mut rows: Vec<(i64, f64, f64)> = tx
        .fetch_all(
            "DELETE FROM unit_positions WHERE unit_id = ? AND at >= ? AND at < ? \
             RETURNING at, lng, lat",
            args![unit_id, from, to],
        )
        .await?;
    rows.sort_by_key(|a| a.0);
    Ok(rows)
}

/// A day folded before (fixes arrived late for it): its record and its kept fixes, taken out of
/// the table to be folded again with the late ones.
pub async fn take_folded_day(
    tx: &mut Tx,
    unit_id: &str,
    (from, to): (i64, i64),
) -> Result<Option<(TrackFold, Vec<(i64, f64, f64)>)>> {
    let fold: Option<TrackFold> = tx
        .fetch_optional(
            "DELETE FROM unit_track_folds WHERE unit_id = ? AND day_start = ? \
             RETURNING unit_id, day_start, day_end, raw_fixes, kept_fixes, tolerance_m, \
             max_error_m, folded_at",
            args![unit_id, from],
        )
        .await?;
    let Some(fold) = fold else {
        return Ok(None);
    };
    let mut kept: Vec<(i64, f64, f64)> = tx
        .fetch_all(
            "DELETE FROM unit_positions_folded WHERE unit_id = ? AND at >= ? AND at < ? \
             RETURNING at, lng, lat",
            args![unit_id, from, to],
        )
        .await?;
    kept.sort_by_key(|a| a.0);
    Ok(Some((fold, kept)))
}

/// Writes a unit-day's kept fixes and the record of its fold.
pub async fn write_fold(tx: &mut Tx, fold: &TrackFold, kept: &[(i64, f64, f64)]) -> Result<()> {
    tx.execute(
        "INSERT INTO unit_track_folds (unit_id, day_start, day_end, raw_fixes, kept_fixes, \
         tolerance_m, max_error_m, folded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        args![
            fold.unit_id.as_str(),
            fold.day_start,
            fold.day_end,
            fold.raw_fixes,
            fold.kept_fixes,
            fold.tolerance_m,
            fold.max_error_m,
            fold.folded_at
        ],
    )
    .await?;
    for chunk in kept.chunks(200) {
        let marks = vec!["(?, ?, ?, ?)"; chunk.len()].join(", ");
        let mut a = Vec::with_capacity(chunk.len() * 4);
        for (at, lng, lat) in chunk {
            a.push(Value::from(fold.unit_id.as_str()));
            a.push(Value::from(*at));
            a.push(Value::from(*lng));
            a.push(Value::from(*lat));
        }
        tx.execute(
            &format!("INSERT INTO unit_positions_folded (unit_id, at, lng, lat) VALUES {marks}"),
            a,
        )
        .await?;
    }
    Ok(())
}

/// The folds of a unit's days overlapping `[from, to)`, oldest first.
pub async fn folds(db: &Db, unit_id: &str, (from, to): (i64, i64)) -> Result<Vec<TrackFold>> {
    db.fetch_all(
        "SELECT unit_id, day_start, day_end, raw_fixes, kept_fixes, tolerance_m, max_error_m, \
         folded_at FROM unit_track_folds WHERE unit_id = ? AND day_end > ? AND day_start < ? \
         ORDER BY day_start",
        args![unit_id, from, to],
    )
    .await
}

/// A manual check-in (手动打卡) with the person's name.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ManualCheckIn {
    pub id: String,
    pub plan_id: String,
    /// 1-based, as the plan lists its posts.
    pub post: i64,
    pub at: i64,
    pub user_id: String,
    pub user_name: String,
    pub lng: f64,
    pub lat: f64,
    pub accuracy_m: Option<f64>,
    pub distance_m: f64,
}

pub async fn insert_manual_checkin(tx: &mut Tx, m: &ManualCheckIn) -> Result<()> {
    tx.execute(
        "INSERT INTO patrol_manual_checkins (id, plan_id, post, at, user_id, lng, lat, accuracy_m, \
         distance_m) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        args![
            m.id.as_str(),
            m.plan_id.as_str(),
            m.post,
            m.at,
            m.user_id.as_str(),
            m.lng,
            m.lat,
            m.accuracy_m,
            m.distance_m
        ],
    )
    .await?;
    Ok(())
}

/// A plan's manual check-ins in `[from, to)`, oldest first.
pub async fn manual_checkins(
    db: &Db,
    plan_id: &str,
    (from, to): (i64, i64),
) -> Result<Vec<ManualCheckIn>> {
    db.fetch_all(
        "SELECT m.id, m.plan_id, m.post, m.at, m.user_id, u.display_name AS user_name, m.lng, m.lat, \
         m.accuracy_m, m.distance_m FROM patrol_manual_checkins m JOIN users u ON u.id = m.user_id \
         WHERE m.plan_id = ? AND m.at >= ? AND m.at < ? ORDER BY m.at, m.id",
        args![plan_id, from, to],
    )
    .await
}

/// 必到点打卡 as kept for the coverage KPI: one post of a published plan on one local day, once the
/// day's windows are over.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PostDay {
    pub plan_id: String,
    /// Local date (YYYY-MM-DD).
    pub day: String,
    /// 1-based, as the plan lists its posts.
    pub post: i64,
    /// The post's window that day (UTC µs).
    pub window_from: i64,
    pub window_to: i64,
    pub zone_name: String,
    pub area_path: String,
    pub org_path: String,
    /// `gps`, `manual` (by hand only) or `missed`.
    pub method: String,
    pub checked_in: bool,
    pub recorded_at: i64,
}

/// Published plans with days not yet recorded `(id, last day recorded)`, the longest waiting first.
pub async fn plans_to_tally(db: &Db, limit: i64) -> Result<Vec<(String, Option<String>)>> {
    db.fetch_all(
        "SELECT id, tallied_to FROM patrol_plans WHERE status = 'published' \
         AND (tallied_to IS NULL OR tallied_to < valid_to) \
         ORDER BY COALESCE(tallied_to, valid_from), id LIMIT ?",
        args![limit],
    )
    .await
}

/// A plan whatever the caller's scope (the tally job's own reads).
pub async fn plan_unscoped(db: &Db, id: &str) -> Result<Option<PlanRow>> {
    db.fetch_optional(
        &format!("SELECT {PLAN_COLS} FROM patrol_plans WHERE id = ?"),
        args![id],
    )
    .await
}

/// Records a plan's day and moves its last recorded day from `prev` to `day`; false, writing
/// nothing, when the last recorded day is no longer `prev` (another server recorded it first).
pub async fn record_post_days(
    tx: &mut Tx,
    plan_id: &str,
    prev: Option<&str>,
    day: &str,
    rows: &[PostDay],
) -> Result<bool> {
    let n = tx
        .execute(
            "UPDATE patrol_plans SET tallied_to = ? WHERE id = ? AND COALESCE(tallied_to, '') = ?",
            args![day, plan_id, prev.unwrap_or("")],
        )
        .await?;
    if n != 1 {
        return Ok(false);
    }
    for r in rows {
        tx.execute(
            "INSERT INTO patrol_post_days (plan_id, day, post, window_from, window_to, zone_name, \
             area_path, org_path, method, checked_in, recorded_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            args![
                r.plan_id.as_str(),
                r.day.as_str(),
                r.post,
                r.window_from,
                r.window_to,
                r.zone_name.as_str(),
                r.area_path.as_str(),
                r.org_path.as_str(),
                r.method.as_str(),
                r.checked_in,
                r.recorded_at
            ],
        )
        .await?;
    }
    Ok(true)
}

/// A plan's recorded post-days from `from` to `to` (local dates, inclusive), by day and post.
pub async fn post_days(db: &Db, plan_id: &str, from: &str, to: &str) -> Result<Vec<PostDay>> {
    db.fetch_all(
        "SELECT plan_id, day, post, window_from, window_to, zone_name, area_path, org_path, method, \
         checked_in, recorded_at FROM patrol_post_days WHERE plan_id = ? AND day >= ? AND day <= ? \
         ORDER BY day, post",
        args![plan_id, from, to],
    )
    .await
}
