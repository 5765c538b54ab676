//! Incidents (警情), their lifecycle events and unit assignments. A status change is a conditional
//! update (`WHERE status = <the status it was read in>`), so two dispatchers acting at once cannot both
//! win on either backend; the loser gets a `Conflict`.

use crate::db::{Db, Tx};
use crate::{Result, StoreError, args, new_id, scope};
use pingan_domain::Scope;
use pingan_domain::incident::{Action, Status};
use pingan_domain::sharing::{Event as Shared, EventType, object, rfc3339};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IncidentRow {
    pub id: String,
    pub number: String,
    pub tracking_code: Option<String>,
    pub channel: String,
    pub type_code: String,
    pub level: i64,
    pub status: String,
    pub description: String,
    pub address: String,
    pub lng: f64,
    pub lat: f64,
    pub grid_code: Option<String>,
    pub village_code: Option<String>,
    pub area_path: String,
    pub area_type: String,
    pub station_org_id: Option<String>,
    /// Sealed (SM4-GCM) by the server; the plain columns stay empty.
    pub caller_name_sealed: Option<String>,
    pub caller_phone_sealed: Option<String>,
    /// Blind index of the caller's phone, comparable with dispute parties' `phone_index`.
    pub caller_phone_index: Option<String>,
    pub reporter_user_id: Option<String>,
    pub camera_code: Option<String>,
    pub snapshot_ref: Option<String>,
    pub event_type: Option<String>,
    pub merged_into: Option<String>,
    pub transfer_target: Option<String>,
    pub transfer_org_id: Option<String>,
    pub feedback_text: Option<String>,
    pub satisfaction: Option<String>,
    pub callback_note: Option<String>,
    pub reported_at: i64,
    pub received_at: i64,
    pub dispatched_at: Option<i64>,
    pub acknowledged_at: Option<i64>,
    pub arrived_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub reported_back_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub updated_at: i64,
}

impl IncidentRow {
    pub fn status(&self) -> Status {
        self.status.parse().unwrap_or(Status::Received)
    }
}

pub(crate) const COLS: &str = "id, number, tracking_code, channel, type_code, level, status, description, address, lng, lat, \
    grid_code, village_code, area_path, area_type, station_org_id, caller_name_sealed, caller_phone_sealed, caller_phone_index, \
    reporter_user_id, camera_code, snapshot_ref, event_type, merged_into, transfer_target, transfer_org_id, feedback_text, \
    satisfaction, callback_note, reported_at, received_at, dispatched_at, acknowledged_at, arrived_at, \
    resolved_at, reported_back_at, closed_at, updated_at";

/// A new incident as intake checked it: location resolved to grid, area and station.
#[derive(Debug, Clone)]
pub struct NewIncident {
    pub tracking_code: Option<String>,
    pub channel: String,
    pub type_code: String,
    pub level: i64,
    pub description: String,
    pub address: String,
    pub lng: f64,
    pub lat: f64,
    pub grid_code: Option<String>,
    pub village_code: Option<String>,
    pub area_path: String,
    pub area_type: String,
    pub station_org_id: Option<String>,
    /// Sealed (SM4-GCM) by the server; the plain columns stay empty.
    pub caller_name_sealed: Option<String>,
    pub caller_phone_sealed: Option<String>,
    /// Blind index of the caller's phone, comparable with dispute parties' `phone_index`.
    pub caller_phone_index: Option<String>,
    pub reporter_user_id: Option<String>,
    pub camera_code: Option<String>,
    pub snapshot_ref: Option<String>,
    pub event_type: Option<String>,
    pub reported_at: i64,
    pub received_at: i64,
    /// Asia/Shanghai date of receipt, for daily numbering and statistics.
    pub local_date: String,
    /// Who recorded it (`None` for public channels).
    pub actor_id: Option<String>,
    pub actor_name: String,
}

/// Side of the square cells that index incident locations, in degrees (≈ 550 m north–south).
pub const CELL_DEGREES: f64 = 0.005;

/// The index cell of a WGS-84 point: the detectors ask for the few cells around a point instead of
/// scanning a time window, which both databases answer from one B-tree index.
pub fn cell_of(lng: f64, lat: f64) -> i64 {
    let x = ((lng + 180.0) / CELL_DEGREES).floor() as i64;
    let y = ((lat + 90.0) / CELL_DEGREES).floor() as i64;
    y * 100_000 + x
}

/// Cells that cover a bounding box `[min_lng, min_lat, max_lng, max_lat]` (at most 64).
pub fn cells_covering(b: [f64; 4]) -> Vec<i64> {
    let x0 = ((b[0] + 180.0) / CELL_DEGREES).floor() as i64;
    let x1 = ((b[2] + 180.0) / CELL_DEGREES).floor() as i64;
    let y0 = ((b[1] + 90.0) / CELL_DEGREES).floor() as i64;
    let y1 = ((b[3] + 90.0) / CELL_DEGREES).floor() as i64;
    let mut v = Vec::new();
    for y in y0..=y1.min(y0 + 7) {
        for x in x0..=x1.min(x0 + 7) {
            v.push(y * 100_000 + x);
        }
    }
    v
}

/// Next value of a named counter (both backends support `INSERT … ON CONFLICT … RETURNING`).
pub(crate) async fn next_counter(tx: &mut Tx, key: &str) -> Result<i64> {
    let (n,): (i64,) = tx
        .fetch_one(
            "INSERT INTO counters (key, n) VALUES (?, 1) ON CONFLICT (key) DO UPDATE SET n = counters.n + 1 RETURNING n",
            args![key],
        )
        .await?;
    Ok(n)
}

/// Reserves `k` numbers of a daily counter; returns the first.
async fn reserve_counter(tx: &mut Tx, key: &str, k: i64) -> Result<i64> {
    let (n,): (i64,) = tx
        .fetch_one(
            "INSERT INTO counters (key, n) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET n = counters.n + ? RETURNING n",
            args![key, k, k],
        )
        .await?;
    Ok(n - k + 1)
}

/// A closed incident of an earlier year, as an import of the 110 record (or a generated history)
/// brings it: located, typed, with its times; no events of its own.
#[derive(Debug, Clone)]
pub struct HistoricIncident {
    pub type_code: String,
    pub description: String,
    pub address: String,
    pub lng: f64,
    pub lat: f64,
    pub grid_code: Option<String>,
    pub village_code: Option<String>,
    pub area_path: String,
    pub area_type: String,
    pub station_org_id: Option<String>,
    pub received_at: i64,
    pub closed_at: i64,
}

/// Inserts closed historic incidents in multi-row statements (numbers reserved per day), for
/// imports and generated histories of a district-year; returns how many.
pub async fn insert_history(
    tx: &mut Tx,
    district: &str,
    rows: &[HistoricIncident],
) -> Result<usize> {
    const COLS: usize = 21;
    const PER_STATEMENT: usize = 500;
    let local_date =
        |at: i64| pingan_domain::time::local_date(pingan_domain::time::from_micros(at));
    let mut per_day: std::collections::BTreeMap<String, i64> = Default::default();
    for r in rows {
        *per_day.entry(local_date(r.received_at)).or_default() += 1;
    }
    let mut next: std::collections::BTreeMap<String, i64> = Default::default();
    for (day, k) in &per_day {
        let first = reserve_counter(tx, &format!("incident:{}", day.replace('-', "")), *k).await?;
        next.insert(day.clone(), first);
    }
    let row_sql = format!("({})", vec!["?"; COLS].join(", "));
    for chunk in rows.chunks(PER_STATEMENT) {
        let mut a = Vec::with_capacity(chunk.len() * COLS);
        for r in chunk {
            let day = local_date(r.received_at);
            let n = next.get_mut(&day).expect("every day reserved");
            let number = format!("{district}{}{:05}", day.replace('-', ""), *n);
            *n += 1;
            a.extend(args![
                new_id(),
                number,
                "call_110",
                r.type_code.clone(),
                3_i64,
                Status::Closed.code(),
                r.description.clone(),
                r.address.clone(),
                r.lng,
                r.lat,
                cell_of(r.lng, r.lat),
                r.grid_code.clone(),
                r.village_code.clone(),
                r.area_path.clone(),
                r.area_type.clone(),
                r.station_org_id.clone(),
                r.received_at,
                r.received_at,
                r.closed_at,
                r.closed_at,
                day
            ]);
        }
        let values = vec![row_sql.as_str(); chunk.len()].join(", ");
        tx.execute(
            &format!(
                "INSERT INTO incidents (id, number, channel, type_code, level, status, description, address, lng, lat, \
                 cell, grid_code, village_code, area_path, area_type, station_org_id, reported_at, received_at, closed_at, updated_at, \
                 local_date) \
                 VALUES {values}"
            ),
            a,
        )
        .await?;
    }
    Ok(rows.len())
}

/// Inserts the incident and its `received` event. The number is the district code, the local date and
/// a daily sequence: 3306812026112800001.
pub async fn insert(tx: &mut Tx, district: &str, i: &NewIncident) -> Result<IncidentRow> {
    let day = i.local_date.replace('-', "");
    let n = next_counter(tx, &format!("incident:{day}")).await?;
    let number = format!("{district}{day}{n:05}");
    let id = new_id();
    tx.queue(
        "INSERT INTO incidents (id, number, tracking_code, channel, type_code, level, status, description, address, \
         lng, lat, cell, grid_code, village_code, area_path, area_type, station_org_id, caller_name_sealed, \
         caller_phone_sealed, caller_phone_index, reporter_user_id, camera_code, snapshot_ref, event_type, reported_at, \
         received_at, updated_at, local_date) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        args![
            id.clone(),
            number.clone(),
            i.tracking_code.clone(),
            i.channel.clone(),
            i.type_code.clone(),
            i.level,
            Status::Received.code(),
            i.description.clone(),
            i.address.clone(),
            i.lng,
            i.lat,
            cell_of(i.lng, i.lat),
            i.grid_code.clone(),
            i.village_code.clone(),
            i.area_path.clone(),
            i.area_type.clone(),
            i.station_org_id.clone(),
            i.caller_name_sealed.clone(),
            i.caller_phone_sealed.clone(),
            i.caller_phone_index.clone(),
            i.reporter_user_id.clone(),
            i.camera_code.clone(),
            i.snapshot_ref.clone(),
            i.event_type.clone(),
            i.reported_at,
            i.received_at,
            i.received_at,
            i.local_date.clone()
        ],
    );
    add_event(
        tx,
        &Event {
            incident_id: &id,
            at: i.received_at,
            action: "receive",
            from_status: None,
            to_status: Status::Received.code(),
            unit_id: None,
            actor_id: i.actor_id.as_deref(),
            actor_name: &i.actor_name,
            note: Some(i.channel.as_str()),
        },
    )
    .await?;
    record_change(tx, "incident", &id, &i.area_path, i.received_at).await?;
    tx.emit(Shared {
        event_type: EventType::IncidentReceived,
        aggregate_id: id.clone(),
        area_path: i.area_path.clone(),
        occurred_at: i.received_at,
        data: object(serde_json::json!({
            "number": number,
            "channel": i.channel,
            "type_code": i.type_code,
            "level": i.level,
            "status": Status::Received.code(),
            "address": i.address,
            "lng": i.lng,
            "lat": i.lat,
            "grid_code": i.grid_code,
            "village_code": i.village_code,
            "area_path": i.area_path,
            "reported_at": rfc3339(i.reported_at),
            "received_at": rfc3339(i.received_at),
            "description": i.description,
        })),
    });
    Ok(IncidentRow {
        id,
        number,
        tracking_code: i.tracking_code.clone(),
        channel: i.channel.clone(),
        type_code: i.type_code.clone(),
        level: i.level,
        status: Status::Received.code().into(),
        description: i.description.clone(),
        address: i.address.clone(),
        lng: i.lng,
        lat: i.lat,
        grid_code: i.grid_code.clone(),
        village_code: i.village_code.clone(),
        area_path: i.area_path.clone(),
        area_type: i.area_type.clone(),
        station_org_id: i.station_org_id.clone(),
        caller_name_sealed: i.caller_name_sealed.clone(),
        caller_phone_sealed: i.caller_phone_sealed.clone(),
        caller_phone_index: i.caller_phone_index.clone(),
        reporter_user_id: i.reporter_user_id.clone(),
        camera_code: i.camera_code.clone(),
        snapshot_ref: i.snapshot_ref.clone(),
        event_type: i.event_type.clone(),
        merged_into: None,
        transfer_target: None,
        transfer_org_id: None,
        feedback_text: None,
        satisfaction: None,
        callback_note: None,
        reported_at: i.reported_at,
        received_at: i.received_at,
        dispatched_at: None,
        acknowledged_at: None,
        arrived_at: None,
        resolved_at: None,
        reported_back_at: None,
        closed_at: None,
        updated_at: i.received_at,
    })
}

pub struct Event<'a> {
    pub incident_id: &'a str,
    pub at: i64,
    pub action: &'a str,
    pub from_status: Option<&'a str>,
    pub to_status: &'a str,
    pub unit_id: Option<&'a str>,
    pub actor_id: Option<&'a str>,
    pub actor_name: &'a str,
    pub note: Option<&'a str>,
}

/// Queued: goes to the database with the transaction's next statement.
pub async fn add_event(tx: &mut Tx, e: &Event<'_>) -> Result<()> {
    tx.queue(
        "INSERT INTO incident_events (id, incident_id, at, action, from_status, to_status, unit_id, actor_id, actor_name, note) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        args![
            new_id(),
            e.incident_id,
            e.at,
            e.action,
            e.from_status,
            e.to_status,
            e.unit_id,
            e.actor_id,
            e.actor_name,
            e.note
        ],
    );
    Ok(())
}

/// Appends to the change feed the live boards follow.
pub async fn record_change(
    tx: &mut Tx,
    kind: &str,
    object_id: &str,
    area_path: &str,
    at: i64,
) -> Result<()> {
    tx.queue(
        "INSERT INTO board_changes (at, kind, object_id, area_path) VALUES (?, ?, ?, ?)",
        args![at, kind, object_id, area_path],
    );
    tx.wake(crate::wake::Topic::Board);
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChangeRow {
    pub seq: i64,
    pub at: i64,
    pub kind: String,
    pub object_id: String,
    pub area_path: String,
}

pub async fn changes_after(db: &Db, seq: i64, limit: i64) -> Result<Vec<ChangeRow>> {
    db.fetch_all(
        "SELECT seq, at, kind, object_id, area_path FROM board_changes WHERE seq > ? ORDER BY seq LIMIT ?",
        args![seq, limit],
    )
    .await
}

pub async fn last_change(db: &Db) -> Result<i64> {
    let (n,): (Option<i64>,) = db
        .fetch_one("SELECT MAX(seq) FROM board_changes", args![])
        .await?;
    Ok(n.unwrap_or(0))
}

/// Drops feed entries older than `before` (any server may do it; deleting twice is harmless).
pub async fn prune_changes(db: &Db, before: i64) -> Result<u64> {
    db.execute("DELETE FROM board_changes WHERE at < ?", args![before])
        .await
}

pub async fn get(db: &Db, scope: &Scope, id: &str) -> Result<Option<IncidentRow>> {
    let (pred, mut a) = scope::predicate(scope, Some("area_path"), None);
    let mut all = args![id];
    all.append(&mut a);
    db.fetch_optional(
        &format!("SELECT {COLS} FROM incidents WHERE id = ? AND {pred}"),
        all,
    )
    .await
}

pub async fn get_tx(tx: &mut Tx, id: &str) -> Result<Option<IncidentRow>> {
    tx.fetch_optional(
        &format!("SELECT {COLS} FROM incidents WHERE id = ?"),
        args![id],
    )
    .await
}

/// By its number (接警编号), in scope.
pub async fn by_number(db: &Db, scope: &Scope, number: &str) -> Result<Option<IncidentRow>> {
    let (pred, mut a) = scope::predicate(scope, Some("area_path"), None);
    let mut all = args![number];
    all.append(&mut a);
    db.fetch_optional(
        &format!("SELECT {COLS} FROM incidents WHERE number = ? AND {pred}"),
        all,
    )
    .await
}

/// By public tracking code (no scope: the code itself is the reporter's key).
pub async fn by_tracking_code(db: &Db, code: &str) -> Result<Option<IncidentRow>> {
    db.fetch_optional(
        &format!("SELECT {COLS} FROM incidents WHERE tracking_code = ?"),
        args![code],
    )
    .await
}

#[derive(Debug, Clone, Default)]
pub struct IncidentFilter {
    /// Any of these channels (empty = all).
    pub channels: Vec<String>,
    /// Any of these type codes (empty = all).
    pub type_codes: Vec<String>,
    /// Any of these statuses (empty = all).
    pub statuses: Vec<String>,
    /// Received at or after (UTC micros).
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub limit: i64,
}

/// The statuses of incidents still on the board, as the domain defines them.
pub fn open_statuses() -> Vec<String> {
    Status::ALL
        .iter()
        .filter(|s| s.is_open())
        .map(|s| s.code().to_string())
        .collect()
}

pub async fn list(db: &Db, scope: &Scope, f: &IncidentFilter) -> Result<Vec<IncidentRow>> {
    let (pred, mut a) = scope::predicate(scope, Some("area_path"), None);
    let mut sql = format!("SELECT {COLS} FROM incidents WHERE {pred}");
    for (col, values) in [
        ("channel", &f.channels),
        ("type_code", &f.type_codes),
        ("status", &f.statuses),
    ] {
        if !values.is_empty() {
            sql.push_str(&format!(
                " AND {col} IN ({})",
                vec!["?"; values.len()].join(", ")
            ));
            for v in values {
                a.push(v.into());
            }
        }
    }
    if let Some(t) = f.since {
        sql.push_str(" AND received_at >= ?");
        a.push(t.into());
    }
    if let Some(t) = f.until {
        sql.push_str(" AND received_at <= ?");
        a.push(t.into());
    }
    sql.push_str(" ORDER BY received_at DESC, id DESC LIMIT ?");
    a.push(f.limit.into());
    db.fetch_all(&sql, a).await
}

/// What the duplicate and repeat detectors need of a stored incident.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SightingRow {
    pub id: String,
    pub number: String,
    pub type_code: String,
    pub status: String,
    pub address: String,
    pub lng: f64,
    pub lat: f64,
    pub received_at: i64,
}

impl SightingRow {
    pub fn status(&self) -> Status {
        self.status.parse().unwrap_or(Status::Received)
    }
}

const SIGHTING_COLS: &str = "id, number, type_code, status, address, lng, lat, received_at";

/// Where to look for earlier incidents: a bounding box `[min_lng, min_lat, max_lng, max_lat]` and a
/// receipt window.
#[derive(Debug, Clone, Copy)]
pub struct Around {
    pub bbox: [f64; 4],
    pub since: i64,
    pub until: i64,
}

/// Incidents inside any of the `around` boxes during its window, or at `address` (exact text) during
/// its window — the candidates the duplicate and repeat detectors then test exactly. One round trip,
/// at most 2000 rows per part, each incident once.
/// Incidents whose caller's phone has the blind index `phone_index`, received in `[since, until]`,
/// other than `except` (the duplicate-caller rule: the same person calling again about one event).
pub async fn same_caller(
    db: &Db,
    phone_index: &str,
    since: i64,
    until: i64,
    except: &str,
) -> Result<Vec<SightingRow>> {
    db.fetch_all(
        &format!(
            "SELECT {SIGHTING_COLS} FROM incidents WHERE caller_phone_index = ? AND received_at >= ? \
             AND received_at <= ? AND id <> ? ORDER BY received_at DESC LIMIT 20"
        ),
        args![phone_index, since, until, except],
    )
    .await
}

pub async fn sightings(
    db: &Db,
    around: &[Around],
    address: Option<(&str, i64, i64)>,
) -> Result<Vec<SightingRow>> {
    let mut parts = Vec::new();
    let mut a: Vec<crate::Value> = Vec::new();
    for w in around {
        let cells = cells_covering(w.bbox);
        let marks = vec!["?"; cells.len()].join(", ");
        a.extend(cells.into_iter().map(crate::Value::from));
        a.extend(args![
            w.since, w.until, w.bbox[0], w.bbox[2], w.bbox[1], w.bbox[3]
        ]);
        parts.push(format!(
            "SELECT {SIGHTING_COLS} FROM incidents WHERE cell IN ({marks}) AND received_at >= ? AND received_at <= ? \
             AND lng >= ? AND lng <= ? AND lat >= ? AND lat <= ? ORDER BY received_at LIMIT 2000"
        ));
    }
    if let Some((addr, since, until)) = address {
        a.extend(args![addr, since, until]);
        parts.push(format!(
            "SELECT {SIGHTING_COLS} FROM incidents WHERE address = ? AND received_at >= ? AND received_at <= ? \
             ORDER BY received_at LIMIT 2000"
        ));
    }
    if parts.is_empty() {
        return Ok(Vec::new());
    }
    // Each part in a subquery: both dialects accept ORDER BY/LIMIT there, not on a bare UNION member.
    let sql = parts
        .iter()
        .enumerate()
        .map(|(i, p)| format!("SELECT * FROM ({p}) AS part{i}"))
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    let mut rows: Vec<SightingRow> = db.fetch_all(&sql, a).await?;
    let mut seen = std::collections::HashSet::new();
    rows.retain(|r| seen.insert(r.id.clone()));
    Ok(rows)
}

/// What a transition writes besides the status.
#[derive(Debug, Clone, Default)]
pub struct Change {
    pub merged_into: Option<String>,
    pub transfer_target: Option<String>,
    pub transfer_org_id: Option<String>,
    pub feedback_text: Option<String>,
}

/// Moves `row` by `action` to `to` at `at`, stamping the first occurrence of each milestone and
/// writing the event. Fails with `Conflict` when the row changed since it was read.
#[allow(clippy::too_many_arguments)]
pub async fn transition(
    tx: &mut Tx,
    row: &IncidentRow,
    action: Action,
    to: Status,
    at: i64,
    change: &Change,
    unit_id: Option<&str>,
    actor: (Option<&str>, &str),
    note: Option<&str>,
) -> Result<()> {
    let milestone = match action {
        Action::Dispatch => Some("dispatched_at"),
        Action::Acknowledge => Some("acknowledged_at"),
        Action::Arrive => Some("arrived_at"),
        Action::Resolve => Some("resolved_at"),
        Action::ReportBack => Some("reported_back_at"),
        Action::Close | Action::Merge | Action::Transfer | Action::Cancel => Some("closed_at"),
    };
    let mut sql = String::from("UPDATE incidents SET status = ?, updated_at = ?");
    let mut a = args![to.code(), at];
    if let Some(col) = milestone {
        sql.push_str(&format!(", {col} = COALESCE({col}, ?)"));
        a.push(at.into());
    }
    for (col, v) in [
        ("merged_into", &change.merged_into),
        ("transfer_target", &change.transfer_target),
        ("transfer_org_id", &change.transfer_org_id),
        ("feedback_text", &change.feedback_text),
    ] {
        if let Some(v) = v {
            sql.push_str(&format!(", {col} = ?"));
            a.push(v.into());
        }
    }
    // RETURNING instead of a row count, so the statement can carry what is queued.
    sql.push_str(" WHERE id = ? AND status = ? AND updated_at = ? RETURNING id");
    a.push(row.id.as_str().into());
    a.push(row.status.as_str().into());
    a.push(row.updated_at.into());
    let moved: Option<(String,)> = tx.fetch_optional(&sql, a).await?;
    if moved.is_none() {
        return Err(StoreError::Conflict(format!(
            "incident {} changed while you were acting on it; reload and try again",
            row.number
        )));
    }
    add_event(
        tx,
        &Event {
            incident_id: &row.id,
            at,
            action: action.code(),
            from_status: Some(&row.status),
            to_status: to.code(),
            unit_id,
            actor_id: actor.0,
            actor_name: actor.1,
            note,
        },
    )
    .await?;
    tx.emit(Shared {
        event_type: EventType::IncidentStatusChanged,
        aggregate_id: row.id.clone(),
        area_path: row.area_path.clone(),
        occurred_at: at,
        data: object(serde_json::json!({
            "number": row.number,
            "type_code": row.type_code,
            "level": row.level,
            "action": action.code(),
            "from_status": row.status,
            "status": to.code(),
            "at": rfc3339(at),
            "area_path": row.area_path,
            "grid_code": row.grid_code,
            "transfer_target": change.transfer_target.as_ref().or(row.transfer_target.as_ref()),
            "merged_into": change.merged_into.as_ref().or(row.merged_into.as_ref()),
            "note": note,
        })),
    });
    record_change(tx, "incident", &row.id, &row.area_path, at).await
}

/// Records the 回访 (satisfaction call) on a reported-back or closed incident.
pub async fn record_callback(
    tx: &mut Tx,
    row: &IncidentRow,
    satisfaction: &str,
    note: Option<&str>,
    at: i64,
    actor: (Option<&str>, &str),
) -> Result<()> {
    tx.execute(
        "UPDATE incidents SET satisfaction = ?, callback_note = ?, updated_at = ? WHERE id = ?",
        args![satisfaction, note, at, row.id.as_str()],
    )
    .await?;
    add_event(
        tx,
        &Event {
            incident_id: &row.id,
            at,
            action: "callback",
            from_status: Some(&row.status),
            to_status: &row.status,
            unit_id: None,
            actor_id: actor.0,
            actor_name: actor.1,
            note: Some(satisfaction),
        },
    )
    .await?;
    record_change(tx, "incident", &row.id, &row.area_path, at).await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub at: i64,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub unit_id: Option<String>,
    pub actor_name: String,
    pub note: Option<String>,
}

pub async fn events(db: &Db, incident_id: &str) -> Result<Vec<EventRow>> {
    db.fetch_all(
        "SELECT at, action, from_status, to_status, unit_id, actor_name, note FROM incident_events \
         WHERE incident_id = ? ORDER BY at, id",
        args![incident_id],
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AssignmentRow {
    pub incident_id: String,
    pub unit_id: String,
    pub call_sign: String,
    pub unit_name: String,
    pub state: String,
    pub assigned_at: i64,
    pub acknowledged_at: Option<i64>,
    pub arrived_at: Option<i64>,
    pub released_at: Option<i64>,
}

const ACOLS: &str = "a.incident_id, a.unit_id, u.call_sign, u.name AS unit_name, a.state, a.assigned_at, \
    a.acknowledged_at, a.arrived_at, a.released_at";

pub async fn assignments(db: &Db, incident_id: &str) -> Result<Vec<AssignmentRow>> {
    db.fetch_all(
        &format!(
            "SELECT {ACOLS} FROM incident_units a JOIN units u ON u.id = a.unit_id \
             WHERE a.incident_id = ? ORDER BY a.assigned_at, u.call_sign"
        ),
        args![incident_id],
    )
    .await
}

pub async fn assignment_tx(
    tx: &mut Tx,
    incident_id: &str,
    unit_id: &str,
) -> Result<Option<AssignmentRow>> {
    tx.fetch_optional(
        &format!(
            "SELECT {ACOLS} FROM incident_units a JOIN units u ON u.id = a.unit_id \
             WHERE a.incident_id = ? AND a.unit_id = ?"
        ),
        args![incident_id, unit_id],
    )
    .await
}

/// Assignments of the units a user crews, newest first, still active or released in the last day.
pub async fn assignments_for_user(
    db: &Db,
    user_id: &str,
    since: i64,
) -> Result<Vec<AssignmentRow>> {
    db.fetch_all(
        &format!(
            "SELECT {ACOLS} FROM incident_units a JOIN units u ON u.id = a.unit_id \
             WHERE u.user_id = ? AND (a.released_at IS NULL OR a.released_at >= ?) \
             ORDER BY a.assigned_at DESC LIMIT 50"
        ),
        args![user_id, since],
    )
    .await
}

pub async fn assign(
    tx: &mut Tx,
    incident_id: &str,
    unit_id: &str,
    at: i64,
    by: &str,
) -> Result<()> {
    tx.fetch_one::<(String,)>(
        "INSERT INTO incident_units (incident_id, unit_id, state, assigned_at, assigned_by) VALUES (?, ?, 'assigned', ?, ?) RETURNING unit_id",
        args![incident_id, unit_id, at, by],
    )
    .await
    .map_err(|e| match e {
        StoreError::Conflict(_) => {
            StoreError::Conflict("this unit is already assigned to the incident".into())
        }
        other => other,
    })?;
    Ok(())
}

/// Moves one assignment to `state` (`acknowledged`, `on_scene`), stamping its time once.
pub async fn set_assignment_state(
    tx: &mut Tx,
    incident_id: &str,
    unit_id: &str,
    state: &str,
    at: i64,
) -> Result<()> {
    let col = match state {
        "acknowledged" => "acknowledged_at",
        "on_scene" => "arrived_at",
        _ => return Err(StoreError::Invalid(format!("assignment state {state}"))),
    };
    tx.execute(
        &format!(
            "UPDATE incident_units SET state = ?, {col} = COALESCE({col}, ?) WHERE incident_id = ? AND unit_id = ?"
        ),
        args![state, at, incident_id, unit_id],
    )
    .await?;
    Ok(())
}

/// Releases every unit still on the incident; returns their ids.
pub async fn release_all(tx: &mut Tx, incident_id: &str, at: i64) -> Result<Vec<String>> {
    let ids: Vec<(String,)> = tx
        .fetch_all(
            "SELECT unit_id FROM incident_units WHERE incident_id = ? AND released_at IS NULL",
            args![incident_id],
        )
        .await?;
    tx.execute(
        "UPDATE incident_units SET state = 'released', released_at = ? WHERE incident_id = ? AND released_at IS NULL",
        args![at, incident_id],
    )
    .await?;
    Ok(ids.into_iter().map(|(i,)| i).collect())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TypeRow {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub active: bool,
}

pub async fn types(db: &Db) -> Result<Vec<TypeRow>> {
    db.fetch_all(
        "SELECT code, name_zh, name_en, active FROM incident_types ORDER BY code",
        args![],
    )
    .await
}

pub async fn upsert_type(tx: &mut Tx, t: &TypeRow, at: i64) -> Result<()> {
    tx.execute(
        "INSERT INTO incident_types (code, name_zh, name_en, active, updated_at) VALUES (?, ?, ?, ?, ?) \
         ON CONFLICT (code) DO UPDATE SET name_zh = excluded.name_zh, name_en = excluded.name_en, \
         active = excluded.active, updated_at = excluded.updated_at",
        args![
            t.code.as_str(),
            t.name_zh.as_str(),
            t.name_en.as_str(),
            t.active,
            at
        ],
    )
    .await?;
    // Every server drops its cached type table at the commit.
    tx.wake(crate::wake::Topic::Config);
    Ok(())
}
