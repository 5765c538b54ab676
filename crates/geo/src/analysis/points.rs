//! The point files of `pingan analyze`: CSV with a header naming at least `id`, `x` and `y` (any
//! order, extra columns ignored), optionally a weight column and a time column. Coordinates are
//! planar, as given. Times are numbers (taken as days), dates `YYYY-MM-DD` or date-times
//! `YYYY-MM-DDTHH:MM[:SS]` (a space instead of `T` is accepted), converted to days since
//! 1970-01-01 as written (no time zone arithmetic). A bad row is an error naming its line
//! (1-based, the header being line 1) and column.

use std::io::Read;

/// Why a point file cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PointsError {
    /// The header is missing or lacks a needed column.
    #[error("line 1: {0}")]
    Header(String),
    /// A data row could not be used.
    #[error("line {line}, column {column}: {message}")]
    Row {
        /// Line number (1-based; the header is line 1).
        line: u64,
        /// Column name.
        column: String,
        /// What is wrong.
        message: String,
    },
    /// Reading failed (I/O or CSV syntax).
    #[error("line {line}: {message}")]
    Read {
        /// Where reading stopped.
        line: u64,
        /// The underlying error.
        message: String,
    },
}

/// Points read from a file, in file order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Points {
    /// `id` column.
    pub ids: Vec<String>,
    /// `x` column.
    pub xs: Vec<f64>,
    /// `y` column.
    pub ys: Vec<f64>,
    /// The weight column, when asked for.
    pub weights: Option<Vec<f64>>,
    /// The time column in days, when asked for.
    pub times: Option<Vec<f64>>,
}

/// Which optional columns to read.
#[derive(Debug, Clone, Default)]
pub struct Columns<'a> {
    /// Keep the `id` column (it is always required); left out, `Points::ids` stays empty and a
    /// million rows cost no million strings.
    pub ids: bool,
    /// Name of the weight column (non-negative numbers), if any.
    pub weight: Option<&'a str>,
    /// Name of the time column, if any.
    pub time: Option<&'a str>,
}

/// Days from 1970-01-01 to the civil date (proleptic Gregorian; Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// A time value in days: a number, a date or a date-time.
pub fn parse_time(s: &str) -> Result<f64, String> {
    let s = s.trim();
    if let Ok(v) = s.parse::<f64>() {
        return if v.is_finite() {
            Ok(v)
        } else {
            Err(format!("{s:?} is not a finite number"))
        };
    }
    let bad = || {
        format!(
            "{s:?} is not a number of days, a date YYYY-MM-DD or a date-time YYYY-MM-DDTHH:MM[:SS]"
        )
    };
    let (date, time) = match s.split_once(['T', ' ']) {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let mut parts = date.split('-');
    let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let (y, m, d) = match (y.parse::<i64>(), m.parse::<i64>(), d.parse::<i64>()) {
        (Ok(yv), Ok(m), Ok(d)) if y.len() == 4 => (yv, m, d),
        _ => return Err(bad()),
    };
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return Err(format!("{s:?} is not a real date"));
    }
    let mut days = days_from_civil(y, m, d) as f64;
    if let Some(t) = time {
        let fields: Vec<&str> = t.split(':').collect();
        if !(2..=3).contains(&fields.len()) {
            return Err(bad());
        }
        let h: u32 = fields[0].parse().map_err(|_| bad())?;
        let min: u32 = fields[1].parse().map_err(|_| bad())?;
        let sec: f64 = match fields.get(2) {
            Some(v) => v.parse().map_err(|_| bad())?,
            None => 0.0,
        };
        if h > 23 || min > 59 || !(0.0..60.0).contains(&sec) {
            return Err(format!("{s:?} is not a real time of day"));
        }
        days += (f64::from(h) * 3600.0 + f64::from(min) * 60.0 + sec) / 86_400.0;
    }
    Ok(days)
}

/// Reads a point file. `progress` gets the rows done every 65,536 rows.
pub fn read_points(
    reader: impl Read,
    columns: &Columns<'_>,
    mut progress: impl FnMut(u64),
) -> Result<Points, PointsError> {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(reader);
    let header = csv
        .headers()
        .map_err(|e| PointsError::Header(e.to_string()))?
        .clone();
    let find = |name: &str| header.iter().position(|h| h.trim() == name);
    let need = |name: &str| {
        find(name).ok_or_else(|| {
            PointsError::Header(format!(
                "no column {name:?} (header: {})",
                header.iter().collect::<Vec<_>>().join(",")
            ))
        })
    };
    let (id_col, x_col, y_col) = (need("id")?, need("x")?, need("y")?);
    let w_col = columns.weight.map(need).transpose()?;
    let t_col = columns.time.map(need).transpose()?;
    let mut points = Points {
        weights: w_col.map(|_| Vec::new()),
        times: t_col.map(|_| Vec::new()),
        ..Points::default()
    };
    // Byte records: only the fields used are checked as UTF-8, and nothing is allocated per row.
    let mut record = csv::ByteRecord::new();
    let mut line = 1u64;
    loop {
        match csv.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                return Err(PointsError::Read {
                    line: line + 1,
                    message: e.to_string(),
                });
            }
        }
        line = record.position().map_or(line + 1, |p| p.line());
        let field = |col: usize, name: &str| -> Result<&str, PointsError> {
            let raw = record.get(col).ok_or_else(|| PointsError::Row {
                line,
                column: name.to_string(),
                message: "missing (row is short)".into(),
            })?;
            std::str::from_utf8(raw).map_err(|_| PointsError::Row {
                line,
                column: name.to_string(),
                message: "not valid UTF-8".into(),
            })
        };
        let number = |col: usize, name: &str| -> Result<f64, PointsError> {
            let raw = field(col, name)?;
            match raw.trim().parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(v),
                _ => Err(PointsError::Row {
                    line,
                    column: name.to_string(),
                    message: format!("{raw:?} is not a number"),
                }),
            }
        };
        let id = field(id_col, "id")?;
        if columns.ids {
            points.ids.push(id.trim().to_string());
        }
        points.xs.push(number(x_col, "x")?);
        points.ys.push(number(y_col, "y")?);
        if let (Some(col), Some(ws)) = (w_col, points.weights.as_mut()) {
            let name = columns.weight.unwrap_or("w");
            let w = number(col, name)?;
            if w < 0.0 {
                return Err(PointsError::Row {
                    line,
                    column: name.to_string(),
                    message: format!("weight {w} is negative"),
                });
            }
            ws.push(w);
        }
        if let (Some(col), Some(ts)) = (t_col, points.times.as_mut()) {
            let name = columns.time.unwrap_or("t");
            let t = parse_time(field(col, name)?).map_err(|message| PointsError::Row {
                line,
                column: name.to_string(),
                message,
            })?;
            ts.push(t);
        }
        if points.xs.len().is_multiple_of(1 << 16) {
            progress(points.xs.len() as u64);
        }
    }
    progress(points.xs.len() as u64);
    Ok(points)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_columns_in_any_order() {
        let csv = "y,id,note,x,w,t\n10,a,,1.5,2,2026-01-02\n11,b,x,2.5,0,3.25\n";
        let p = read_points(
            csv.as_bytes(),
            &Columns {
                ids: true,
                weight: Some("w"),
                time: Some("t"),
            },
            |_| {},
        )
        .unwrap();
        assert_eq!(p.ids, ["a", "b"]);
        assert_eq!(p.xs, [1.5, 2.5]);
        assert_eq!(p.weights.unwrap(), [2.0, 0.0]);
        assert_eq!(p.times.unwrap(), [20455.0, 3.25]);
    }

    #[test]
    fn times_in_days() {
        assert_eq!(parse_time("1970-01-01").unwrap(), 0.0);
        assert_eq!(parse_time("2000-03-01").unwrap(), 11017.0);
        assert_eq!(parse_time("1970-01-02T12:00").unwrap(), 1.5);
        assert_eq!(parse_time("1970-01-01 06:00:00").unwrap(), 0.25);
        assert!(
            parse_time("2026-02-29")
                .unwrap_err()
                .contains("not a real date")
        );
        assert!(parse_time("2026-02-28T24:00").is_err());
        assert!(parse_time("yesterday").is_err());
    }

    #[test]
    fn bad_rows_name_line_and_column() {
        let err = read_points(
            "id,x,y\na,1,2\nb,oops,3\n".as_bytes(),
            &Columns::default(),
            |_| {},
        )
        .unwrap_err();
        assert_eq!(
            err,
            PointsError::Row {
                line: 3,
                column: "x".into(),
                message: "\"oops\" is not a number".into()
            }
        );
        let err = read_points("id,x\n".as_bytes(), &Columns::default(), |_| {}).unwrap_err();
        assert!(matches!(err, PointsError::Header(m) if m.contains("\"y\"")));
        let err = read_points(
            "id,x,y,w\na,1,2,-1\n".as_bytes(),
            &Columns {
                ids: false,
                weight: Some("w"),
                time: None,
            },
            |_| {},
        )
        .unwrap_err();
        assert!(err.to_string().contains("line 2, column w"));
        let err = read_points("id,x,y\na,1\n".as_bytes(), &Columns::default(), |_| {}).unwrap_err();
        assert!(err.to_string().contains("line 2, column y: missing"));
    }
}
