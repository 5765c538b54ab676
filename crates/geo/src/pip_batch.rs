//! Batch point-in-polygon over CSV: the engine behind `pingan analyze pip`.
//!
//! [`pip_csv`] reads a polygon layer from GeoJSON, builds a [`PolygonIndex`] with the default
//! (geopandas-compatible) boundary rule, then streams a CSV of points with header `id,x,y` (any
//! column order; extra columns ignored) and writes `id,polygon_id` rows in input order, with an
//! empty `polygon_id` for a point in no polygon. Coordinates are taken as given (planar), so the
//! same call serves projected and lon/lat data as long as points and polygons agree. Memory stays
//! flat however many points there are. A bad row stops the run with an error naming its line
//! number (1-based, the header being line 1) and column.

use std::io::{BufRead, Read, Write};

use serde::Serialize;

use crate::layer::{LayerError, parse_polygon_layer};
use crate::pip::PolygonIndex;

/// Counts from one [`pip_csv`] run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PipStats {
    /// Point rows read.
    pub points: u64,
    /// Points that fell in a polygon.
    pub matched: u64,
    /// Points in no polygon (outside all, or exactly on a boundary).
    pub unmatched: u64,
    /// Polygon features in the layer.
    pub polygons: usize,
    /// Vertices in the layer.
    pub vertices: usize,
    /// Features with geometry problems (they still take part, as far as their geometry goes).
    pub features_with_problems: usize,
}

/// Why a [`pip_csv`] run failed.
#[derive(Debug, thiserror::Error)]
pub enum PipError {
    /// The polygon layer could not be read.
    #[error("polygons: {0}")]
    Layer(#[from] LayerError),
    /// The points file's header is missing or lacks a needed column.
    #[error("points, line {line}: {message}")]
    Header {
        /// Line number (1-based).
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// A data row could not be used.
    #[error("points, line {line}, column {column}: {message}")]
    Row {
        /// Line number (1-based; the header is line 1).
        line: u64,
        /// Column name as in the header, or its 1-based position when the row is short.
        column: String,
        /// What is wrong.
        message: String,
    },
    /// Reading the points failed (I/O or CSV syntax).
    #[error("points, line {line}: {message}")]
    Read {
        /// Line number where reading stopped (1-based).
        line: u64,
        /// The underlying error.
        message: String,
    },
    /// Writing the output failed.
    #[error("writing output: {0}")]
    Write(String),
}

/// How often `progress` is called, in rows.
pub const PROGRESS_EVERY: u64 = 1 << 16;

/// Locates every point of `points` (CSV `id,x,y`) in the polygons of `polygons_geojson`
/// (features identified by `id_property`) and writes CSV `id,polygon_id` to `out`.
/// `progress` receives the number of rows done every [`PROGRESS_EVERY`] rows and at the end.
pub fn pip_csv(
    points: impl Read,
    polygons_geojson: &str,
    id_property: &str,
    mut out: impl Write,
    mut progress: impl FnMut(u64),
) -> Result<PipStats, PipError> {
    let layer = parse_polygon_layer(polygons_geojson, id_property)?;
    let features_with_problems = layer.iter().filter(|f| !f.problems.is_empty()).count();
    let index = PolygonIndex::new(layer.into_iter().map(|f| (f.id, f.geometry)).collect());
    let mut stats = PipStats {
        polygons: index.len(),
        vertices: index.stats().vertices,
        features_with_problems,
        ..PipStats::default()
    };

    // The header: the first line.
    let mut input = std::io::BufReader::with_capacity(1 << 20, points);
    let mut header = Vec::new();
    input
        .read_until(b'\n', &mut header)
        .map_err(|e| PipError::Read {
            line: 1,
            message: e.to_string(),
        })?;
    let mut record = csv::ByteRecord::new();
    let has_header = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(header.as_slice())
        .read_byte_record(&mut record)
        .map_err(|e| PipError::Read {
            line: 1,
            message: e.to_string(),
        })?;
    if !has_header {
        return Err(PipError::Header {
            line: 1,
            message: "empty input: expected a header with columns id,x,y".into(),
        });
    }
    let header_line = 1;
    let names: Vec<String> = record
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let f = if i == 0 {
                f.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(f)
            } else {
                f
            };
            String::from_utf8_lossy(f).trim().to_lowercase()
        })
        .collect();
    let find = |name: &str| {
        names
            .iter()
            .position(|n| n == name)
            .ok_or_else(|| PipError::Header {
                line: header_line,
                message: format!(
                    "no column {name:?} in header (need id,x,y; found {})",
                    names.join(",")
                ),
            })
    };
    let columns = Columns {
        id: find("id")?,
        x: find("x")?,
        y: find("y")?,
        names: &names,
    };
    out.write_all(b"id,polygon_id\n")
        .map_err(|e| PipError::Write(e.to_string()))?;

    // Blocks of PROGRESS_EVERY lines, each split among the cores; results written in order.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    let mut block = Vec::new();
    let mut starts = Vec::new();
    let mut first_line = header_line + 1;
    loop {
        block.clear();
        starts.clear();
        while (starts.len() as u64) < PROGRESS_EVERY {
            let at = block.len();
            let n = input
                .read_until(b'\n', &mut block)
                .map_err(|e| PipError::Read {
                    line: first_line + starts.len() as u64,
                    message: e.to_string(),
                })?;
            if n == 0 {
                break;
            }
            starts.push(at);
        }
        if starts.is_empty() {
            break;
        }
        let per = starts.len().div_ceil(threads);
        let parts: Vec<PartResult> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..starts.len())
                .step_by(per)
                .map(|from| {
                    let to = (from + per).min(starts.len());
                    let bytes =
                        &block[starts[from]..starts.get(to).copied().unwrap_or(block.len())];
                    let (index, columns) = (&index, &columns);
                    scope
                        .spawn(move || locate_part(bytes, first_line + from as u64, index, columns))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a point-in-polygon thread"))
                .collect()
        });
        for part in parts {
            let (bytes, points, matched) = part?;
            out.write_all(&bytes)
                .map_err(|e| PipError::Write(e.to_string()))?;
            stats.points += points;
            stats.matched += matched;
            stats.unmatched += points - matched;
        }
        first_line += starts.len() as u64;
        if stats.points > 0 && stats.points.is_multiple_of(PROGRESS_EVERY) {
            progress(stats.points);
        }
    }
    out.flush().map_err(|e| PipError::Write(e.to_string()))?;
    progress(stats.points);
    Ok(stats)
}

/// One part of a block: its output rows, its points and the points matched — or its first bad row.
type PartResult = Result<(Vec<u8>, u64, u64), PipError>;

/// Where the needed columns are.
struct Columns<'a> {
    id: usize,
    x: usize,
    y: usize,
    names: &'a [String],
}

/// Locates the rows of `bytes` (whole lines, the first being line `first_line`) and returns their
/// output rows, the points and the points matched; the first bad row is the error.
fn locate_part(bytes: &[u8], first_line: u64, index: &PolygonIndex, c: &Columns<'_>) -> PartResult {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut writer = csv::Writer::from_writer(Vec::with_capacity(bytes.len()));
    let mut record = csv::ByteRecord::new();
    let needed = c.id.max(c.x).max(c.y) + 1;
    let (mut points, mut matched) = (0u64, 0u64);
    let mut last = first_line;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                return Err(PipError::Read {
                    line: e.position().map_or(last + 1, |p| first_line + p.line() - 1),
                    message: e.to_string(),
                });
            }
        }
        let line = record
            .position()
            .map_or(last + 1, |p| first_line + p.line() - 1);
        last = line;
        if record.len() < needed {
            return Err(PipError::Row {
                line,
                column: format!("{}", record.len() + 1),
                message: format!(
                    "row has {} fields, expected at least {needed}",
                    record.len()
                ),
            });
        }
        let id = std::str::from_utf8(&record[c.id]).map_err(|_| PipError::Row {
            line,
            column: c.names[c.id].clone(),
            message: "not valid UTF-8".into(),
        })?;
        let x = number(&record[c.x], line, &c.names[c.x])?;
        let y = number(&record[c.y], line, &c.names[c.y])?;
        let found = index.locate_id(x, y);
        points += 1;
        matched += u64::from(found.is_some());
        writer
            .write_record([id, found.unwrap_or("")])
            .map_err(|e| PipError::Write(e.to_string()))?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| PipError::Write(e.to_string()))?;
    Ok((bytes, points, matched))
}

fn number(field: &[u8], line: u64, column: &str) -> Result<f64, PipError> {
    let err = |message: String| PipError::Row {
        line,
        column: column.to_string(),
        message,
    };
    let text = std::str::from_utf8(field)
        .map_err(|_| err("not valid UTF-8".into()))?
        .trim();
    if text.is_empty() {
        return Err(err("empty, expected a number".into()));
    }
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(err(format!("{text:?} is not a finite number"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAYER: &str = r#"{"type":"FeatureCollection","features":[
      {"type":"Feature","properties":{"name":"west"},
       "geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}},
      {"type":"Feature","properties":{"name":"east, \"quoted\""},
       "geometry":{"type":"Polygon","coordinates":[[[1,0],[2,0],[2,1],[1,1],[1,0]]]}}
    ]}"#;

    fn run(points: &str) -> Result<(String, PipStats, Vec<u64>), PipError> {
        let mut out = Vec::new();
        let mut calls = Vec::new();
        let stats = pip_csv(points.as_bytes(), LAYER, "name", &mut out, |n| {
            calls.push(n)
        })?;
        Ok((String::from_utf8(out).unwrap(), stats, calls))
    }

    #[test]
    fn writes_one_row_per_point_in_order() {
        let (out, stats, calls) =
            run("id,x,y\np1,0.5,0.5\np2,1.5,0.5\np3,5,5\np4,1,0.5\n\"p,5\", 0.25 ,0.75\n").unwrap();
        assert_eq!(
            out,
            "id,polygon_id\np1,west\np2,\"east, \"\"quoted\"\"\"\np3,\np4,\n\"p,5\",west\n"
        );
        assert_eq!(
            stats,
            PipStats {
                points: 5,
                matched: 3,
                unmatched: 2,
                polygons: 2,
                vertices: 10,
                features_with_problems: 0
            }
        );
        assert_eq!(calls, vec![5]);
    }

    #[test]
    fn header_may_reorder_extend_and_carry_a_bom() {
        let (out, ..) = run("\u{feff}Y, X ,note,ID\n0.5,1.5,hello,a\n").unwrap();
        assert_eq!(out, "id,polygon_id\na,\"east, \"\"quoted\"\"\"\n");
    }

    #[test]
    fn errors_name_line_and_column() {
        let err = run("id,x,y\np1,0.5,0.5\np2,abc,0.5\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "points, line 3, column x: \"abc\" is not a finite number"
        );
        assert!(matches!(err, PipError::Row { line: 3, ref column, .. } if column == "x"));
        let err = run("id,x,y\np1,0.5,\n").unwrap_err();
        assert!(
            matches!(err, PipError::Row { line: 2, ref column, .. } if column == "y"),
            "{err}"
        );
        let err = run("id,x,y\np1,0.5,0.5\np2,NaN,1\n").unwrap_err();
        assert!(matches!(err, PipError::Row { line: 3, .. }));
        let err = run("id,x,y\np1,0.5\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "points, line 2, column 3: row has 2 fields, expected at least 3"
        );
        let err = run("id,lng,lat\n").unwrap_err();
        assert!(matches!(err, PipError::Header { line: 1, .. }), "{err}");
        assert!(err.to_string().contains("no column \"x\""));
        assert!(matches!(
            run("").unwrap_err(),
            PipError::Header { line: 1, .. }
        ));
        let mut out = Vec::new();
        let err = pip_csv("id,x,y\n".as_bytes(), LAYER, "code", &mut out, |_| {}).unwrap_err();
        assert!(matches!(
            err,
            PipError::Layer(LayerError::Feature { index: 0, .. })
        ));
    }

    #[test]
    fn blocks_split_among_cores_keep_order_and_line_numbers() {
        let rows = PROGRESS_EVERY as usize + 5_000;
        let mut text = String::from("id,x,y\n");
        for i in 0..rows {
            let x = if i % 3 == 0 { 0.5 } else { 1.5 };
            text.push_str(&format!("p{i},{x},0.5\n"));
        }
        let (out, stats, _) = run(&text).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), rows + 1);
        for (i, l) in lines[1..].iter().enumerate() {
            let want = if i % 3 == 0 {
                "west"
            } else {
                "\"east, \"\"quoted\"\"\""
            };
            assert_eq!(*l, format!("p{i},{want}"));
        }
        assert_eq!(stats.matched, rows as u64);
        // A bad row deep in the second block is named by its line in the file.
        let bad = text.replacen("p70000,1.5,0.5", "p70000,oops,0.5", 1);
        let err = run(&bad).unwrap_err();
        assert!(
            matches!(err, PipError::Row { line: 70_002, ref column, .. } if column == "x"),
            "{err}"
        );
    }

    #[test]
    fn progress_is_reported_periodically() {
        let mut text = String::from("id,x,y\n");
        for i in 0..(PROGRESS_EVERY + 10) {
            text.push_str(&format!("{i},0.5,0.5\n"));
        }
        let (_, stats, calls) = run(&text).unwrap();
        assert_eq!(stats.points, PROGRESS_EVERY + 10);
        assert_eq!(calls, vec![PROGRESS_EVERY, PROGRESS_EVERY + 10]);
    }
}
