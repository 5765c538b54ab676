//! 统计 measures: the records a dashboard figure counts. Each measure is one WHERE clause over one
//! source; its count, its breakdowns, its values and its drill-down list are all read through that
//! same clause, so a figure and the list behind it cannot disagree.

use crate::{Db, Result, Value, args, scope};
use pingan_domain::Scope;
use pingan_domain::dispute::Tier;

/// Merged duplicates and cancelled calls are not events (as in 信息研判).
const COUNTED: &str = "i.status NOT IN ('merged', 'cancelled')";

/// Response-clock targets in seconds per level (index 0 = level 1), as configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockTargets {
    pub dispatch: [i64; 4],
    pub arrival_urban: [i64; 4],
    pub arrival_suburban: [i64; 4],
    pub arrival_rural: [i64; 4],
}

/// What is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// 警情: incidents received (merged and cancelled ones are not events); key = type code.
    IncidentsReceived,
    /// Received and dispatched; value = seconds from receipt to dispatch.
    DispatchClock,
    /// … dispatched within the level's target.
    DispatchOnTarget(ClockTargets),
    /// Received and arrived on scene; value = seconds from dispatch to arrival.
    ArrivalClock,
    /// … arrived within the level's and area type's target.
    ArrivalOnTarget(ClockTargets),
    /// Received and called back (回访); key = the answer.
    CalledBack,
    /// … satisfied or basically satisfied.
    Satisfied,
    /// 刑事立案: criminal cases filed.
    CriminalFiled,
    /// 刑事破案: criminal cases solved (whenever filed).
    CriminalSolved,
    /// 治安受案: administrative cases accepted.
    AdministrativeAccepted,
    /// 在办案件: cases in handling at some time in the period (accepted, or registered when not
    /// accepted, before it ended; not closed before it began).
    CasesOpen,
    /// 网上巡查 alerts found; key = finding kind.
    CaseAlerts,
    /// 案件评查 reviews; value = total score.
    CaseReviews,
    /// 矛盾纠纷 registered; key = current tier.
    DisputesRegistered,
    /// … of those, agreed before the period ended.
    DisputesResolved,
    /// 民转刑 alerts raised.
    CriminalTurns,
    /// Disputes first agreed in the period at this tier (the tier they were at then, as kept).
    DisputesAgreedAt(Tier),
    /// … agreed before the tier's time was up (its deadline then, extensions included).
    DisputesAgreedOnTimeAt(Tier),
    /// 督办 tasks assigned in the period and accepted (办结); key = card.
    TasksAccepted,
    /// … whose completion was submitted before the deadline in force.
    TasksOnTime,
    /// Households registered by the end of the period (the households to visit); key = grid.
    Households,
    /// … visited at least once in the period.
    HouseholdsVisited,
    /// 参训人次: attendances at training sessions that started in the period, counted in the unit
    /// the person belonged to then; key = session kind, value = hours credited.
    TrainingAttendance,
    /// Staff (active accounts, not partner agencies') of the units by the end of the period: the
    /// heads training hours are shared over.
    Staff,
    /// 必到点: posts of published patrol plans on the days of the period (by the window's opening),
    /// as recorded once each day's windows closed; key = how checked in (gps, manual, missed).
    PostDays,
    /// … checked in, by GPS or by hand.
    PostDaysCheckedIn,
}

/// The source, columns and condition of a measure. `end` (UTC µs) is the end of the period, for the
/// measures that ask whether something happened before it.
struct Def {
    from: &'static str,
    id: &'static str,
    /// The record a row links to (the incident, the case, the alert, the dispute).
    link_id: &'static str,
    number: &'static str,
    at: &'static str,
    cond: String,
    area: &'static str,
    org: Option<&'static str>,
    grid: Option<&'static str>,
    key: &'static str,
    value: &'static str,
    /// When set, a record counts for a period it overlaps: `at` before the period's end and this
    /// column unset or not before its start.
    until: Option<&'static str>,
    /// A record counts when `at` is before the period's end, however long before (a household
    /// registered by then); the condition says what else.
    by_end: bool,
}

/// The first microsecond past each level's target: a stage is on target when it took less. The
/// incident page counts whole seconds (`seconds > target` is overdue), so 300.4 s against 300 s is
/// on target in both. Computed here as 64-bit numbers: on PostgreSQL `1000000 * 3600` in SQL would
/// overflow a 32-bit integer.
fn by_level(col_level: &str, seconds: &[i64; 4]) -> String {
    let past = |s: i64| (s.max(0) + 1) * 1_000_000;
    let arms: String = seconds
        .iter()
        .enumerate()
        .map(|(i, s)| format!(" WHEN {} THEN {}", i + 1, past(*s)))
        .collect();
    format!("CASE {col_level}{arms} ELSE {} END", past(seconds[3]))
}

impl Measure {
    pub fn name(&self) -> &'static str {
        use Measure::*;
        match self {
            IncidentsReceived => "incidents.received",
            DispatchClock => "incidents.dispatch_clock",
            DispatchOnTarget(_) => "incidents.dispatch_on_target",
            ArrivalClock => "incidents.arrival_clock",
            ArrivalOnTarget(_) => "incidents.arrival_on_target",
            CalledBack => "incidents.called_back",
            Satisfied => "incidents.satisfied",
            CriminalFiled => "cases.criminal_filed",
            CriminalSolved => "cases.criminal_solved",
            AdministrativeAccepted => "cases.administrative_accepted",
            CasesOpen => "cases.open",
            CaseAlerts => "cases.alerts",
            CaseReviews => "cases.reviews",
            DisputesRegistered => "disputes.registered",
            DisputesResolved => "disputes.resolved",
            CriminalTurns => "disputes.criminal_turns",
            DisputesAgreedAt(t) => match t {
                Tier::Grid => "disputes.agreed_grid",
                Tier::Village => "disputes.agreed_village",
                Tier::Township => "disputes.agreed_township",
                Tier::District => "disputes.agreed_district",
            },
            DisputesAgreedOnTimeAt(t) => match t {
                Tier::Grid => "disputes.on_time_grid",
                Tier::Village => "disputes.on_time_village",
                Tier::Township => "disputes.on_time_township",
                Tier::District => "disputes.on_time_district",
            },
            TasksAccepted => "tasks.accepted",
            TasksOnTime => "tasks.on_time",
            Households => "visits.households",
            HouseholdsVisited => "visits.households_visited",
            TrainingAttendance => "training.attendance",
            Staff => "training.staff",
            PostDays => "patrol.post_days",
            PostDaysCheckedIn => "patrol.post_days_checked_in",
        }
    }

    /// The kind of record a row is: `incident`, `case`, `case_alert` or `dispute`.
    pub fn object(&self) -> &'static str {
        use Measure::*;
        match self {
            CaseAlerts => "case_alert",
            CriminalFiled | CriminalSolved | AdministrativeAccepted | CasesOpen | CaseReviews => {
                "case"
            }
            DisputesRegistered
            | DisputesResolved
            | CriminalTurns
            | DisputesAgreedAt(_)
            | DisputesAgreedOnTimeAt(_) => "dispute",
            TasksAccepted | TasksOnTime => "task",
            Households | HouseholdsVisited => "household",
            TrainingAttendance => "training_session",
            Staff => "staff",
            PostDays | PostDaysCheckedIn => "patrol_post_day",
            _ => "incident",
        }
    }

    /// Whether records carry a grid (a grid-level view can count them).
    pub fn has_grid(&self) -> bool {
        self.def(0, 0).grid.is_some()
    }

    fn def(&self, start: i64, end: i64) -> Def {
        use Measure::*;
        let incident = |cond: String, value: &'static str, key: &'static str| Def {
            from: "incidents i",
            id: "i.id",
            link_id: "i.id",
            number: "i.number",
            at: "i.received_at",
            cond,
            area: "i.area_path",
            org: None,
            grid: Some("i.grid_code"),
            key,
            value,
            until: None,
            by_end: false,
        };
        let case = |cond: &str, at: &'static str| Def {
            from: "cases c",
            id: "c.id",
            link_id: "c.id",
            number: "c.number",
            at,
            cond: cond.to_string(),
            area: "c.area_path",
            org: Some("c.org_path"),
            grid: None,
            key: "c.kind",
            value: "NULL",
            until: None,
            by_end: false,
        };
        let dispute = |cond: String| Def {
            from: "disputes d",
            id: "d.id",
            link_id: "d.id",
            number: "d.number",
            at: "d.registered_at",
            cond,
            area: "d.area_path",
            org: None,
            grid: Some("d.grid_code"),
            key: "d.tier",
            value: "NULL",
            until: None,
            by_end: false,
        };
        const DISPATCH: &str = "(i.dispatched_at - i.received_at) / 1000000.0";
        const ARRIVAL: &str = "(i.arrived_at - i.dispatched_at) / 1000000.0";
        match self {
            IncidentsReceived => incident(COUNTED.into(), "NULL", "i.type_code"),
            DispatchClock => incident(
                format!("{COUNTED} AND i.dispatched_at IS NOT NULL"),
                DISPATCH,
                "i.type_code",
            ),
            DispatchOnTarget(t) => incident(
                format!(
                    "{COUNTED} AND i.dispatched_at IS NOT NULL AND i.dispatched_at - i.received_at < {}",
                    by_level("i.level", &t.dispatch)
                ),
                DISPATCH,
                "i.type_code",
            ),
            ArrivalClock => incident(
                format!("{COUNTED} AND i.dispatched_at IS NOT NULL AND i.arrived_at IS NOT NULL"),
                ARRIVAL,
                "i.type_code",
            ),
            ArrivalOnTarget(t) => incident(
                format!(
                    "{COUNTED} AND i.dispatched_at IS NOT NULL AND i.arrived_at IS NOT NULL AND \
                     i.arrived_at - i.dispatched_at < (CASE i.area_type \
                     WHEN 'suburban' THEN {} WHEN 'rural' THEN {} ELSE {} END)",
                    by_level("i.level", &t.arrival_suburban),
                    by_level("i.level", &t.arrival_rural),
                    by_level("i.level", &t.arrival_urban),
                ),
                ARRIVAL,
                "i.type_code",
            ),
            CalledBack => incident(
                format!("{COUNTED} AND i.satisfaction IS NOT NULL"),
                "NULL",
                "i.satisfaction",
            ),
            Satisfied => incident(
                format!("{COUNTED} AND i.satisfaction IN ('satisfied', 'basically_satisfied')"),
                "NULL",
                "i.satisfaction",
            ),
            CriminalFiled => case("c.kind = 'criminal'", "c.filed_at"),
            CriminalSolved => case("c.kind = 'criminal'", "c.solved_at"),
            AdministrativeAccepted => case("c.kind = 'administrative'", "c.accepted_at"),
            CasesOpen => Def {
                until: Some("c.closed_at"),
                ..case("1 = 1", "COALESCE(c.accepted_at, c.created_at)")
            },
            CaseAlerts => Def {
                from: "case_alerts a JOIN cases c ON c.id = a.case_id",
                id: "a.id",
                link_id: "a.id",
                at: "a.found_at",
                key: "a.kind",
                ..case("1 = 1", "a.found_at")
            },
            CaseReviews => Def {
                from: "case_reviews r JOIN cases c ON c.id = r.case_id",
                id: "r.id",
                at: "r.created_at",
                value: "r.total",
                key: "c.kind",
                ..case("1 = 1", "r.created_at")
            },
            DisputesRegistered => dispute("1 = 1".into()),
            DisputesResolved => dispute(format!("d.agreed_at IS NOT NULL AND d.agreed_at < {end}")),
            DisputesAgreedAt(t) | DisputesAgreedOnTimeAt(t) => Def {
                at: "d.agreed_at",
                ..dispute(format!(
                    "d.agreed_at IS NOT NULL AND d.agreed_tier = '{}'{}",
                    t.code(),
                    if matches!(self, DisputesAgreedOnTimeAt(_)) {
                        " AND d.agreed_on_time = TRUE"
                    } else {
                        ""
                    }
                ))
            },
            CriminalTurns => Def {
                from: "dispute_alerts x JOIN disputes d ON d.id = x.dispute_id",
                id: "x.id",
                at: "x.at",
                ..dispute("1 = 1".into())
            },
            TasksAccepted | TasksOnTime => Def {
                from: "tasks t",
                id: "t.id",
                link_id: "t.id",
                number: "t.title",
                at: "t.assigned_at",
                cond: if *self == TasksOnTime {
                    "t.status = 'accepted' AND t.submitted_at IS NOT NULL AND t.submitted_at < t.deadline_end"
                        .into()
                } else {
                    "t.status = 'accepted'".into()
                },
                area: "t.area_path",
                org: Some("t.org_path"),
                grid: None,
                key: "t.card",
                value: "NULL",
                until: None,
                by_end: false,
            },
            Households | HouseholdsVisited => Def {
                from: "households h",
                id: "h.id",
                link_id: "h.grid_code",
                number: "h.address",
                at: "h.created_at",
                cond: if *self == HouseholdsVisited {
                    format!(
                        "EXISTS (SELECT 1 FROM visits v WHERE v.household_id = h.id \
                         AND v.visited_at >= {start} AND v.visited_at < {end})"
                    )
                } else {
                    "1 = 1".into()
                },
                area: "h.area_path",
                org: None,
                grid: Some("h.grid_code"),
                key: "h.grid_code",
                value: "NULL",
                until: None,
                by_end: true,
            },
            TrainingAttendance => Def {
                from: "training_attendance a JOIN training_sessions s ON s.id = a.session_id",
                id: "a.session_id || ':' || a.user_id",
                link_id: "a.session_id",
                number: "s.title",
                at: "a.starts_at",
                cond: "1 = 1".into(),
                area: "a.area_path",
                org: Some("a.org_path"),
                grid: None,
                key: "s.kind",
                value: "a.hours",
                until: None,
                by_end: false,
            },
            // Accounts as they are now (one disabled since is no longer counted): staff history is
            // not kept, so a recomputed period may differ by the staff who left.
            Staff => Def {
                from: "users u JOIN orgs o ON o.id = u.org_id",
                id: "u.id",
                link_id: "u.id",
                number: "u.display_name",
                at: "u.created_at",
                cond: "u.disabled = FALSE AND u.role <> 'partner'".into(),
                area: "o.area_path",
                org: Some("o.path"),
                grid: None,
                key: "u.role",
                value: "NULL",
                until: None,
                by_end: true,
            },
            PostDays | PostDaysCheckedIn => Def {
                from: "patrol_post_days p",
                id: "p.plan_id || ':' || p.day || ':' || CAST(p.post AS TEXT)",
                link_id: "p.plan_id",
                number: "p.zone_name || ' #' || CAST(p.post AS TEXT)",
                at: "p.window_from",
                cond: if *self == PostDaysCheckedIn {
                    "p.checked_in = TRUE".into()
                } else {
                    "1 = 1".into()
                },
                area: "p.area_path",
                org: Some("p.org_path"),
                grid: None,
                key: "p.method",
                value: "NULL",
                until: None,
                by_end: false,
            },
        }
    }
}

/// Which records: those of a measure in `[from, to)` under an area path, optionally in one grid and
/// of one key (a category, a kind, an answer).
#[derive(Debug, Clone, Default)]
pub struct Slice {
    pub area_path: String,
    pub grid: Option<String>,
    pub from: i64,
    pub to: i64,
    pub key: Option<String>,
}

/// One counted record as the drill-down lists it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Record {
    pub id: String,
    pub link_id: String,
    pub number: String,
    pub at: i64,
    pub category: String,
    pub area_path: String,
    pub grid_code: Option<String>,
    pub value: Option<f64>,
}

/// The WHERE clause and its arguments (scope applied); `None` when the slice names a grid and the
/// measure's records have none (a grid-level view does not count them).
fn filter(d: &Def, scope: &Scope, s: &Slice) -> Option<(String, Vec<Value>)> {
    let (mut sql, mut a) = match d.until {
        None if d.by_end => (format!("{} AND {} < ?", d.cond, d.at), args![s.to]),
        None => (
            format!("{} AND {at} >= ? AND {at} < ?", d.cond, at = d.at),
            args![s.from, s.to],
        ),
        Some(until) => (
            format!(
                "{} AND {} < ? AND ({until} IS NULL OR {until} >= ?)",
                d.cond, d.at
            ),
            args![s.to, s.from],
        ),
    };
    sql.push_str(&format!(" AND {} LIKE ?", d.area));
    a.push(Value::Text(format!("{}%", s.area_path)));
    if let Some(g) = &s.grid {
        sql.push_str(&format!(" AND {} = ?", d.grid?));
        a.push(Value::from(g.as_str()));
    }
    if let Some(k) = &s.key {
        sql.push_str(&format!(" AND {} = ?", d.key));
        a.push(Value::from(k.as_str()));
    }
    let (pred, mut p) = scope::predicate(scope, Some(d.area), d.org);
    sql.push_str(&format!(" AND {pred}"));
    a.append(&mut p);
    Some((sql, a))
}

/// How many records the slice holds.
pub async fn count(db: &Db, scope: &Scope, m: Measure, s: &Slice) -> Result<i64> {
    let d = m.def(s.from, s.to);
    let Some((w, a)) = filter(&d, scope, s) else {
        return Ok(0);
    };
    let (n,): (i64,) = db
        .fetch_one(&format!("SELECT COUNT(*) FROM {} WHERE {w}", d.from), a)
        .await?;
    Ok(n)
}

/// Whether two measures read the same rows through the same columns, so one pass can count both.
fn same_rows(a: &Def, b: &Def) -> bool {
    a.from == b.from
        && a.at == b.at
        && a.area == b.area
        && a.org == b.org
        && a.grid == b.grid
        && a.key == b.key
        && a.until == b.until
        && a.by_end == b.by_end
}

/// `count(a)` and `count(b)` over one slice — in one pass over the rows when the two measures read
/// the same rows (a ratio's numerator and denominator), each counted by its own condition.
pub async fn count_two(
    db: &Db,
    scope: &Scope,
    a: Measure,
    b: Measure,
    s: &Slice,
) -> Result<(i64, i64)> {
    let (da, db_) = (a.def(s.from, s.to), b.def(s.from, s.to));
    if !same_rows(&da, &db_) {
        return futures::try_join!(count(db, scope, a, s), count(db, scope, b, s));
    }
    let (ca, cb) = (da.cond.clone(), db_.cond.clone());
    let rows = Def {
        cond: format!("(({ca}) OR ({cb}))"),
        ..da
    };
    let Some((w, args)) = filter(&rows, scope, s) else {
        return Ok((0, 0));
    };
    let (x, y): (i64, i64) = db
        .fetch_one(
            &format!(
                "SELECT COALESCE(SUM(CASE WHEN {ca} THEN 1 ELSE 0 END), 0), \
                 COALESCE(SUM(CASE WHEN {cb} THEN 1 ELSE 0 END), 0) FROM {} WHERE {w}",
                rows.from
            ),
            args,
        )
        .await?;
    Ok((x, y))
}

/// The values of `measured`'s records and how many of them are also `flag`'s (the response clock and
/// those on target) — in one pass when the two read the same rows. `flag`'s records must be a subset
/// of `measured`'s (on target implies measured), as the dashboard's clocks are.
pub async fn values_flagged(
    db: &Db,
    scope: &Scope,
    measured: Measure,
    flag: Measure,
    s: &Slice,
) -> Result<(Vec<f64>, i64)> {
    let (dm, df) = (measured.def(s.from, s.to), flag.def(s.from, s.to));
    if !same_rows(&dm, &df) {
        return futures::try_join!(values(db, scope, measured, s), count(db, scope, flag, s));
    }
    let Some((w, a)) = filter(&dm, scope, s) else {
        return Ok((Vec::new(), 0));
    };
    let rows: Vec<(Option<f64>, i64)> = db
        .fetch_all(
            &format!(
                "SELECT CAST({} AS DOUBLE PRECISION), CAST(CASE WHEN {} THEN 1 ELSE 0 END AS BIGINT) \
                 FROM {} WHERE {w}",
                dm.value, df.cond, dm.from
            ),
            a,
        )
        .await?;
    let flagged = rows.iter().map(|r| r.1).sum();
    Ok((rows.into_iter().filter_map(|r| r.0).collect(), flagged))
}

/// Counts per key (category, kind, answer), largest first.
pub async fn count_by_key(
    db: &Db,
    scope: &Scope,
    m: Measure,
    s: &Slice,
) -> Result<Vec<(String, i64)>> {
    grouped(db, scope, m, s, |d| d.key).await
}

/// Counts per area path of the records (the caller folds them into the level below its own).
pub async fn count_by_area(
    db: &Db,
    scope: &Scope,
    m: Measure,
    s: &Slice,
) -> Result<Vec<(String, i64)>> {
    grouped(db, scope, m, s, |d| d.area).await
}

/// Counts per grid (records without a grid are left out; none for measures without grids).
pub async fn count_by_grid(
    db: &Db,
    scope: &Scope,
    m: Measure,
    s: &Slice,
) -> Result<Vec<(String, i64)>> {
    if !m.has_grid() {
        return Ok(Vec::new());
    }
    let rows = grouped(db, scope, m, s, |d| d.grid.unwrap_or("NULL")).await?;
    Ok(rows)
}

async fn grouped(
    db: &Db,
    scope: &Scope,
    m: Measure,
    s: &Slice,
    col: fn(&Def) -> &'static str,
) -> Result<Vec<(String, i64)>> {
    let d = m.def(s.from, s.to);
    let Some((w, a)) = filter(&d, scope, s) else {
        return Ok(Vec::new());
    };
    let c = col(&d);
    let mut rows: Vec<(String, i64)> = db
        .fetch_all(
            &format!(
                "SELECT {c}, COUNT(*) FROM {} WHERE {w} AND {c} IS NOT NULL GROUP BY {c}",
                d.from
            ),
            a,
        )
        .await?;
    rows.sort_by(|x, y| y.1.cmp(&x.1).then_with(|| x.0.cmp(&y.0)));
    Ok(rows)
}

/// The values (seconds, scores) of the slice's records, in no order.
pub async fn values(db: &Db, scope: &Scope, m: Measure, s: &Slice) -> Result<Vec<f64>> {
    let d = m.def(s.from, s.to);
    let Some((w, a)) = filter(&d, scope, s) else {
        return Ok(Vec::new());
    };
    let rows: Vec<(Option<f64>,)> = db
        .fetch_all(
            &format!(
                "SELECT CAST({} AS DOUBLE PRECISION) FROM {} WHERE {w}",
                d.value, d.from
            ),
            a,
        )
        .await?;
    Ok(rows.into_iter().filter_map(|r| r.0).collect())
}

/// A page of the slice's records in time order, after the cursor `(at, id)` of the last row seen.
pub async fn list(
    db: &Db,
    scope: &Scope,
    m: Measure,
    s: &Slice,
    after: Option<(i64, String)>,
    limit: i64,
) -> Result<Vec<Record>> {
    let d = m.def(s.from, s.to);
    let Some((mut w, mut a)) = filter(&d, scope, s) else {
        return Ok(Vec::new());
    };
    if let Some((at, id)) = after {
        w.push_str(&format!(
            " AND ({at_col} > ? OR ({at_col} = ? AND {} > ?))",
            d.id,
            at_col = d.at
        ));
        a.extend(args![at, at, id]);
    }
    a.push(Value::Int(limit));
    db.fetch_all(
        &format!(
            "SELECT {id} AS id, {link} AS link_id, {number} AS number, {at} AS at, {key} AS category, \
             {area} AS area_path, {grid} AS grid_code, CAST({value} AS DOUBLE PRECISION) AS value \
             FROM {from} WHERE {w} ORDER BY {at}, {id} LIMIT ?",
            id = d.id,
            link = d.link_id,
            number = d.number,
            at = d.at,
            key = d.key,
            area = d.area,
            grid = d.grid.unwrap_or("CAST(NULL AS TEXT)"),
            value = d.value,
            from = d.from,
        ),
        a,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_written_as_64_bit_microseconds() {
        let sql = by_level("i.level", &[60, 120, 2400, 3600]);
        assert_eq!(
            sql,
            "CASE i.level WHEN 1 THEN 61000000 WHEN 2 THEN 121000000 WHEN 3 THEN 2401000000 \
             WHEN 4 THEN 3601000000 ELSE 3601000000 END"
        );
    }
}
