//! 排班: patrol shifts (a zone, a mode, a period, maybe a unit) and their crews. Shifts are scoped
//! like their zone (the station's org path, the zone's area path). The conflict checks read a
//! person's or a unit's shifts around a period after locking the person's and the unit's rows, so two
//! chiefs booking the same person at once are serialised (PostgreSQL `FOR UPDATE`; SQLite's
//! `BEGIN IMMEDIATE` already serialises writers).

use crate::db::{Backend, Db, Tx};
use crate::{Result, Value, args, scope};
use pingan_domain::Scope;

fn in_scope(s: &Scope, alias: &str) -> (String, Vec<Value>) {
    scope::predicate(
        s,
        Some(&format!("{alias}area_path")),
        Some(&format!("{alias}org_path")),
    )
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ShiftRow {
    pub id: String,
    pub zone_id: String,
    pub zone_name: String,
    pub station_org_id: String,
    pub org_path: String,
    pub area_path: String,
    /// foot, vehicle, online or stakeout.
    pub mode: String,
    pub unit_id: Option<String>,
    pub unit_name: Option<String>,
    /// UTC µs, end exclusive.
    pub starts_at: i64,
    pub ends_at: i64,
    pub note: String,
    pub created_by: String,
    pub created_at: i64,
    /// A cancelled shift books nobody; it stays for the record.
    pub cancelled_at: Option<i64>,
}

/// One person on a shift.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CrewRow {
    pub shift_id: String,
    pub user_id: String,
    pub display_name: String,
    pub role: String,
    /// Works this shift for the station without belonging to it (借调/协勤).
    pub seconded: bool,
}

const SHIFT_COLS: &str = "s.id, s.zone_id, z.name AS zone_name, s.station_org_id, s.org_path, \
    s.area_path, s.mode, s.unit_id, un.name AS unit_name, s.starts_at, s.ends_at, s.note, \
    s.created_by, s.created_at, s.cancelled_at";
const SHIFT_FROM: &str = "patrol_shifts s JOIN patrol_zones z ON z.id = s.zone_id \
    LEFT JOIN units un ON un.id = s.unit_id";

pub async fn insert_shift(tx: &mut Tx, s: &ShiftRow, crew: &[(String, bool)]) -> Result<()> {
    tx.execute(
        "INSERT INTO patrol_shifts (id, zone_id, station_org_id, org_path, area_path, mode, \
         unit_id, starts_at, ends_at, note, created_by, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        args![
            s.id.as_str(),
            s.zone_id.as_str(),
            s.station_org_id.as_str(),
            s.org_path.as_str(),
            s.area_path.as_str(),
            s.mode.as_str(),
            s.unit_id.clone(),
            s.starts_at,
            s.ends_at,
            s.note.as_str(),
            s.created_by.as_str(),
            s.created_at
        ],
    )
    .await?;
    for (user_id, seconded) in crew {
        tx.execute(
            "INSERT INTO patrol_shift_crew (shift_id, user_id, seconded) VALUES (?, ?, ?)",
            args![s.id.as_str(), user_id.as_str(), *seconded],
        )
        .await?;
    }
    Ok(())
}

/// A person a shift would crew: their role and the path of their org.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Person {
    pub id: String,
    pub display_name: String,
    pub role: String,
    pub org_path: Option<String>,
    pub disabled: bool,
}

/// The people of `ids` in the caller's scope, their rows locked until the transaction ends so that
/// their bookings cannot change under the conflict check. Locks are taken in id order (no deadlock
/// between two transactions locking overlapping crews).
pub async fn lock_people(tx: &mut Tx, s: &Scope, ids: &[String]) -> Result<Vec<Person>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sorted: Vec<&String> = ids.iter().collect();
    sorted.sort();
    let marks = vec!["?"; sorted.len()].join(", ");
    let (pred, mut a) = scope::predicate(s, Some("o.area_path"), Some("o.path"));
    let mut all: Vec<Value> = sorted.iter().map(|i| Value::from(i.as_str())).collect();
    all.append(&mut a);
    let lock = match tx.backend() {
        Backend::Postgres => " FOR UPDATE OF u",
        Backend::Sqlite => "",
    };
    tx.fetch_all(
        &format!(
            "SELECT u.id, u.display_name, u.role, o.path AS org_path, u.disabled FROM users u \
             JOIN orgs o ON o.id = u.org_id WHERE u.id IN ({marks}) AND {pred} \
             ORDER BY u.id{lock}"
        ),
        all,
    )
    .await
}

/// Locks a unit's row (see [`lock_people`]); its org path, or None when absent.
pub async fn lock_unit(tx: &mut Tx, unit_id: &str) -> Result<Option<(String, String)>> {
    let lock = match tx.backend() {
        Backend::Postgres => " FOR UPDATE",
        Backend::Sqlite => "",
    };
    tx.fetch_optional(
        &format!("SELECT name, org_path FROM units WHERE id = ?{lock}"),
        args![unit_id],
    )
    .await
}

/// A person's shifts `(id, starts_at, ends_at)` that end after `from` and start before `to`.
pub async fn person_bookings(
    tx: &mut Tx,
    user_id: &str,
    (from, to): (i64, i64),
) -> Result<Vec<(String, i64, i64)>> {
    tx.fetch_all(
        "SELECT s.id, s.starts_at, s.ends_at FROM patrol_shifts s \
         JOIN patrol_shift_crew c ON c.shift_id = s.id \
         WHERE c.user_id = ? AND s.ends_at > ? AND s.starts_at < ? AND s.cancelled_at IS NULL \
         ORDER BY s.starts_at",
        args![user_id, from, to],
    )
    .await
}

/// A unit's shifts `(id, starts_at, ends_at)` that end after `from` and start before `to`.
pub async fn unit_bookings(
    tx: &mut Tx,
    unit_id: &str,
    (from, to): (i64, i64),
) -> Result<Vec<(String, i64, i64)>> {
    tx.fetch_all(
        "SELECT id, starts_at, ends_at FROM patrol_shifts \
         WHERE unit_id = ? AND ends_at > ? AND starts_at < ? AND cancelled_at IS NULL \
         ORDER BY starts_at",
        args![unit_id, from, to],
    )
    .await
}

#[derive(Debug, Default, Clone)]
pub struct ShiftFilter {
    pub station_org_id: Option<String>,
    pub zone_id: Option<String>,
    /// Shifts that end after `from` and start before `to`.
    pub from: i64,
    pub to: i64,
    /// Only shifts this person crews.
    pub user_id: Option<String>,
}

/// Most shifts one listing answers with; one more is read to tell the caller there are more.
pub const MAX_LISTED: usize = 5_000;

/// Shifts in scope (any scope when `None`, for a person's own shifts) by start, with their crews;
/// at most [`MAX_LISTED`] + 1.
pub async fn list_shifts(
    db: &Db,
    s: Option<&Scope>,
    f: &ShiftFilter,
) -> Result<(Vec<ShiftRow>, Vec<CrewRow>)> {
    let (pred, mut a) = match s {
        Some(s) => in_scope(s, "s."),
        None => ("1 = 1".to_string(), Vec::new()),
    };
    let mut sql =
        format!("SELECT {SHIFT_COLS} FROM {SHIFT_FROM} WHERE {pred} AND s.cancelled_at IS NULL");
    if let Some(st) = &f.station_org_id {
        sql.push_str(" AND s.station_org_id = ?");
        a.push(st.into());
    }
    if let Some(z) = &f.zone_id {
        sql.push_str(" AND s.zone_id = ?");
        a.push(z.into());
    }
    if let Some(u) = &f.user_id {
        sql.push_str(" AND s.id IN (SELECT shift_id FROM patrol_shift_crew WHERE user_id = ?)");
        a.push(u.into());
    }
    sql.push_str(" AND s.ends_at > ? AND s.starts_at < ? ORDER BY s.starts_at, s.id LIMIT ?");
    a.push(f.from.into());
    a.push(f.to.into());
    a.push((MAX_LISTED as i64 + 1).into());
    let shifts: Vec<ShiftRow> = db.fetch_all(&sql, a).await?;
    let crew = crew_of(db, &shifts).await?;
    Ok((shifts, crew))
}

async fn crew_of(db: &Db, shifts: &[ShiftRow]) -> Result<Vec<CrewRow>> {
    let mut crew = Vec::new();
    for chunk in shifts.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(", ");
        let ids: Vec<Value> = chunk.iter().map(|s| Value::from(s.id.as_str())).collect();
        let mut rows: Vec<CrewRow> = db
            .fetch_all(
                &format!(
                    "SELECT c.shift_id, c.user_id, u.display_name, u.role, c.seconded \
                     FROM patrol_shift_crew c JOIN users u ON u.id = c.user_id \
                     WHERE c.shift_id IN ({marks}) ORDER BY c.shift_id, u.display_name, u.id"
                ),
                ids,
            )
            .await?;
        crew.append(&mut rows);
    }
    Ok(crew)
}

/// A shift in scope, or one `crew_member` crews (whoever's scope it is in).
pub async fn get_shift(
    db: &Db,
    s: Option<&Scope>,
    crew_member: Option<&str>,
    id: &str,
) -> Result<Option<(ShiftRow, Vec<CrewRow>)>> {
    let (mut pred, mut a) = match s {
        Some(s) => in_scope(s, "s."),
        None => ("1 = 0".to_string(), Vec::new()),
    };
    if let Some(u) = crew_member {
        pred = format!(
            "({pred} OR s.id IN (SELECT shift_id FROM patrol_shift_crew WHERE user_id = ?))"
        );
        a.push(u.into());
    }
    let mut all = args![id];
    all.append(&mut a);
    let Some(shift): Option<ShiftRow> = db
        .fetch_optional(
            &format!("SELECT {SHIFT_COLS} FROM {SHIFT_FROM} WHERE s.id = ? AND {pred}"),
            all,
        )
        .await?
    else {
        return Ok(None);
    };
    let crew = crew_of(db, std::slice::from_ref(&shift)).await?;
    Ok(Some((shift, crew)))
}

/// A shift's period, by id.
pub async fn shift_period(tx: &mut Tx, id: &str) -> Result<Option<(i64, i64)>> {
    tx.fetch_optional(
        "SELECT starts_at, ends_at FROM patrol_shifts WHERE id = ?",
        args![id],
    )
    .await
}

/// Cancels a shift; false when it is cancelled already (or absent).
pub async fn cancel_shift(tx: &mut Tx, id: &str, by: &str, now: i64) -> Result<bool> {
    let n = tx
        .execute(
            "UPDATE patrol_shifts SET cancelled_by = ?, cancelled_at = ? \
             WHERE id = ? AND cancelled_at IS NULL",
            args![by, now, id],
        )
        .await?;
    Ok(n == 1)
}
