//! Imports shared by the CLI (`pingan import …`) and the web upload: read a table (CSV or XLSX), check
//! every row, and report each bad row with its row number and column. Nothing is written while any row
//! is bad, unless the caller explicitly asks to skip bad rows; a dry run only reports.

pub mod areas;
pub mod grids;
pub mod places;

use std::collections::HashMap;
use std::path::Path;

/// One problem in an input file. `row` counts as a spreadsheet does: the header is row 1.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowError {
    /// `row` for tables, `feature` for GeoJSON layers.
    pub unit: &'static str,
    pub row: usize,
    pub column: String,
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = if self.unit == "row" {
            "column"
        } else {
            "property"
        };
        write!(
            f,
            "{} {}, {what} {}: {}",
            self.unit, self.row, self.column, self.message
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}: cannot read: {1}")]
    Read(String, String),
    #[error("{0}: unsupported file type (use .csv or .xlsx)")]
    FileType(String),
    #[error("missing column `{0}` in the header row")]
    MissingColumn(String),
    #[error("{} bad row(s)/feature(s); nothing was written (use --skip-bad to write the good ones):\n{}", .0.len(), .0.iter().map(|e| format!("  {e}")).collect::<Vec<_>>().join("\n"))]
    BadRows(Vec<RowError>),
    #[error(transparent)]
    Store(#[from] pingan_store::StoreError),
}

/// A table read from a file: header names (trimmed, lower-cased) and data rows.
pub struct Table {
    pub header: HashMap<String, usize>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn read(path: &Path) -> Result<Table, ImportError> {
        let name = path.display().to_string();
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        match ext.as_str() {
            "csv" | "txt" => {
                let bytes = std::fs::read(path)
                    .map_err(|e| ImportError::Read(name.clone(), e.to_string()))?;
                Table::from_csv(&bytes).map_err(|e| ImportError::Read(name, e))
            }
            "xlsx" | "xls" | "ods" => {
                Table::from_xlsx(path).map_err(|e| ImportError::Read(name, e))
            }
            _ => Err(ImportError::FileType(name)),
        }
    }

    /// A table from an uploaded file, by its extension (`.csv`/`.txt` or `.xlsx`/`.xls`/`.ods`).
    pub fn from_bytes(file_name: &str, bytes: &[u8]) -> Result<Table, String> {
        let ext = file_name
            .rsplit('.')
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match ext.as_str() {
            "csv" | "txt" => Table::from_csv(bytes),
            "xlsx" | "xls" | "ods" => contain_reader(|| {
                use calamine::{Reader, open_workbook_auto_from_rs};
                let mut wb = open_workbook_auto_from_rs(std::io::Cursor::new(bytes.to_vec()))
                    .map_err(|e| e.to_string())?;
                let sheet = wb
                    .sheet_names()
                    .first()
                    .cloned()
                    .ok_or("the workbook has no sheet")?;
                let range = wb.worksheet_range(&sheet).map_err(|e| e.to_string())?;
                Ok(Table::from_range(&range))
            }),
            _ => Err(format!(
                "{file_name}: unsupported file type (use .csv or .xlsx)"
            )),
        }
    }

    fn from_range(range: &calamine::Range<calamine::Data>) -> Table {
        let mut it = range.rows();
        let header = it
            .next()
            .map(|h| h.iter().map(|c| c.to_string()).collect())
            .unwrap_or_default();
        let rows = it
            .map(|r| r.iter().map(|c| c.to_string().trim().to_string()).collect())
            .collect();
        Table::new(header, rows)
    }

    pub fn from_csv(bytes: &[u8]) -> Result<Table, String> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes);
        let mut records = r.records();
        let header = match records.next() {
            Some(h) => h
                .map_err(|e| e.to_string())?
                .iter()
                .map(str::to_string)
                .collect(),
            None => return Err("the file is empty".into()),
        };
        let mut rows = Vec::new();
        for (i, rec) in records.enumerate() {
            let rec = rec.map_err(|e| format!("row {}: {e}", i + 2))?;
            rows.push(rec.iter().map(|s| s.trim().to_string()).collect());
        }
        Ok(Table::new(header, rows))
    }

    fn from_xlsx(path: &Path) -> Result<Table, String> {
        use calamine::{Reader, open_workbook_auto};
        let range = contain_reader(|| {
            let mut wb = open_workbook_auto(path).map_err(|e| e.to_string())?;
            let sheet = wb
                .sheet_names()
                .first()
                .cloned()
                .ok_or("the workbook has no sheet")?;
            wb.worksheet_range(&sheet).map_err(|e| e.to_string())
        })?;
        let mut it = range.rows();
        let header = it
            .next()
            .ok_or("the sheet is empty")?
            .iter()
            .map(|c| c.to_string())
            .collect();
        let rows = it
            .map(|r| r.iter().map(|c| c.to_string().trim().to_string()).collect())
            .collect();
        Ok(Table::new(header, rows))
    }

    fn new(header: Vec<String>, rows: Vec<Vec<String>>) -> Table {
        let header = header
            .into_iter()
            .enumerate()
            .map(|(i, h)| (h.trim().to_ascii_lowercase(), i))
            .collect();
        Table { header, rows }
    }

    pub fn require(&self, col: &str) -> Result<usize, ImportError> {
        self.header
            .get(col)
            .copied()
            .ok_or_else(|| ImportError::MissingColumn(col.to_string()))
    }

    /// The cell, or "" when the row is short or the column optional and absent.
    pub fn cell<'a>(&self, row: &'a [String], col: Option<usize>) -> &'a str {
        col.and_then(|c| row.get(c))
            .map(String::as_str)
            .unwrap_or("")
    }
}

/// Runs the spreadsheet reader, turning a panic inside it into an error. calamine 0.38 panics on some
/// malformed files (a cell reference with many letters overflows its column arithmetic where overflow
/// checks are on; found by fuzzing): a bad upload must be refused, not take the request or the CLI down.
fn contain_reader<T>(read: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)).unwrap_or_else(|_| {
        Err("the workbook is malformed (the spreadsheet reader failed on it)".into())
    })
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct ImportReport {
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub skipped: Vec<RowError>,
    pub dry_run: bool,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    pub dry_run: bool,
    pub skip_bad: bool,
}

/// Who runs an import, for its audit record.
#[derive(Debug, Clone)]
pub struct ImportActor {
    pub id: Option<String>,
    pub name: String,
    pub ip: Option<String>,
}

impl ImportActor {
    /// The operator at the server's command line.
    pub fn cli() -> Self {
        ImportActor {
            id: None,
            name: "cli".into(),
            ip: None,
        }
    }

    pub fn of(actor: &crate::auth::Actor) -> Self {
        ImportActor {
            id: Some(actor.user_id.clone()),
            name: actor.username.clone(),
            ip: actor.ip.clone(),
        }
    }

    pub fn entry(
        &self,
        action: &str,
        object_type: &str,
        detail: serde_json::Value,
    ) -> pingan_domain::audit::AuditEntry {
        pingan_domain::audit::AuditEntry {
            at: pingan_store::now_micros(),
            actor_id: self.id.clone(),
            actor_name: self.name.clone(),
            action: action.into(),
            object_type: object_type.into(),
            object_id: None,
            outcome: pingan_domain::audit::AuditOutcome::Ok,
            purpose: None,
            ip: self.ip.clone(),
            detail: detail.to_string(),
        }
    }
}

/// Keeps an uploaded file that passed the preview, for the confirm step (base64 in `import_uploads`,
/// audited); returns its id.
pub async fn keep_upload(
    state: &crate::state::AppState,
    actor: &crate::auth::Actor,
    kind: &str,
    file_name: &str,
    crs: &str,
    content: &[u8],
) -> Result<String, pingan_store::StoreError> {
    use base64::Engine;
    let encoded = format!(
        "base64:{}",
        base64::engine::general_purpose::STANDARD.encode(content)
    );
    let mut tx = state.db.begin().await?;
    let id =
        pingan_store::uploads::put(&mut tx, &actor.user_id, kind, file_name, crs, &encoded).await?;
    let detail = serde_json::json!({"kind": kind, "file": file_name}).to_string();
    let e = actor.audit_entry(
        "import.upload",
        "import_upload",
        Some(&id),
        pingan_domain::audit::AuditOutcome::Ok,
        &detail,
    );
    tx.commit_audited(vec![e]).await?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    /// Found by the `import_xlsx` fuzz target (a mutated seed workbook): the cell reference
    /// `eDocument/…` overflowed calamine's column arithmetic, a panic that took the upload down.
    const OVERFLOWING_CELL_REFERENCE: &[&str] = &[
        "UEsDBBQAAAAAAAAAIVwO+t6SpAIAAKQCAAATAAAAW0NvbnRlbnRfVHlwZXNdLnhtbDw/eG1sIHZlcnNpb249IjEuMCIgZW5j",
        "b2Rpbmc9IlVURi04Ij8+PFR5cGVzIHhtbG5zPSJodHRwOi8vc2NoZW1hcy5vcGVueG1sZm9ybWF0cy5vcmcvcGFja2FnZS8y",
        "MDA2L2NvbnRlbnQtdHlwZXMiPjxEZWZhdWx0IEV4dGVuc2lvbj0icmVscyItQ29udGVudFR5cGU9ImFwcGxpY2F0aW9uL3Zu",
        "ZC5vcGVueG1sZm9ybWF0cy1wYWNrYWdlLnJlbGF0aW9uc2hpcHMreG1sIi8+PERlZmF1bHQgRXh0ZW5zaW9uPSJ4bWwiIENv",
        "bnRlbnRUeXBlPSJhcHBsaWNhdGlvbi94bWwiLz48T3ZlcnJpZGUgUGFydE5hbWU9Ii94bC93b3JrYm9vay54bWwiIENvbnRl",
        "bnRUeXBlPSJhcHBsaWNhdGlvbi92bmQub3BlbnhtbGZvcm1hdHMtb2ZmaWNlZG9jdW1lbnQuc3ByZWFkc2hlZXRtbC5zaGVl",
        "dC5tYWluK3htbCIvPjxPdmVycmlkZSBQYXJ0TmFtZT0iL3hsL3dvcmtzaGVldHMvc2hlZXQxLnhtbCIgQ29udGVudFR5cGU9",
        "ImFwcGxpY2F0aW9uL3ZuZC5vcGVueG1sZm9ybWF0cy1vZmZpY2Vkb2N1bWVudC5zcHJlYWRzaGVldG1sLndvcmtzaGVldCt4",
        "bWwiLz48T3ZlcnJpZGUgUGFydE5hbWU9Ii94bC9zaGFyZWRTdHJpbmdzLnhtbCIgQ29udGVudFR5cGU9ImFwcGxpY2F0aW9u",
        "L3ZuZC5vcGVueG1sZm9ybWF0cy1vZmZpY2Vkb2N1bWVudC5zcHJlYWRzaGVldG1sLnNoYXJlZFN0cmluZ3MreG1sIi8+PC9U",
        "eXBlcz5QSwMEFAAAAAAAAAAhXBxJ974WAQAAFgEAAAsAAABfcmVscy8ucmVsczw/eG1sIHZlcnNpb249IjEuMCIgZW5jb2Rp",
        "bmc9IlVURi04Ij8+PFJlbGF0aW9uc2hpcHMgeG1sbnM9Imh0dHA6Ly9zY2hlbWFzLm9wZW54bWxmb3JtYXRzLm9yZy9wYWNr",
        "YWdlLzIwMDYvcmVsYXRpb25zaGlwcyI+PFJlbGF0aW9uc2hpcCBJZD0icklkMSIgVHlwZT0iaHR0cDovL3NjaGVtYXMub3Bl",
        "bnhtbGZvcm1hdHMub3JnL29mZmljZURvY3VtZW50LzIwMDYvcmVsYXRpb25zaGlwcy9vZmZpY2VEb2N1bWVudCIgVGFyZ2V0",
        "PSJ4bC93b3JrYm9vay54bWwiLz48L1JlbGF0aW9uc2hpcHM+UEsDBBQAAAAAAAAAIVw3lZjcCgEAAAoBAAAPAAAAeGwvd29y",
        "a2Jvb2sueG1sPD94bWwgdmVyc2lvbj0iMS4wIiBlbmNvZGluZz0iVVRGLTgiPz48d29ya2Jvb2sgeG1sbnM9Imh0dHA6Ly9z",
        "Y2hlbWFzLm9wZW54bWxmb3JtYXRzLm9yZy9zcHJlYWRzaGVldG1sLzIwMDYvbWFpbiIgeG1sbnM6cj0iaHR0cDovL3NjaGVt",
        "YXMub3BlbnhtbGZvcm1hdHMub3JnL29mZmljZURvY3VtZW50LzIwMDYvcmVsYXRpb25zaGlwcyI+PHNoZWV0cz48c2hlZXQg",
        "bmFtZT0icGxhY2VzIiBzaGVldElkPSIxIiByOmlkPSJySWQxIi8+PC9zaGVldHM+PC93b3JrYm9vaz5QSwMEFAAAAAAAAAAh",
        "XGJo0LSkAQAApAEAABoAAAB4bC9fcmVscy93b3JrYm9vay54bWwucmVsczw/eG1sIHZlcnNpb249IjEuMCIgZW5jb2Rpbmc9",
        "IlVURi04Ij8+PFJlbGF0aW9uc2hpcHMgeG1sbnM9Imh0dHA6Ly9zY2hlbWFzLm9wZW54bWxmb3JtYXRzLm9yZy9wYWNrYWdl",
        "LzQwMTIvcmVsYXRpb25zaGlwcyI+PFJlbGF0aW9uc2hpcCBJZD0icklkMSIgVHlwZT0iaHR0cDovL3NjaGVtYXMub3Blbnht",
        "bGZvcm1hdHMub3JnL29mZmljZURvY3VtZW50LzIwMDYvcmVsYXRpb25zaGlwcy93b3Jrc2hlZXQiIFRhcmdldD0id29ya3No",
        "ZWV0cy9zaGVldDEueG1sIi8+PFJlbGF0aW9uc2hpcCBJZD0icklkMiIgVHlwZT0iaHR0cDovL3NjaGVtYXMub3BlbnhtbGZv",
        "cm1hdHMub3JnL29mZmljZURvY3VtZW50LzIwMDYvcmVsYXRpb25zaGlwcy9zaGFyZWRTdHJpbmdzIiBUYXJnZXQ9InNoYXJl",
        "ZFN0cmluZ3MueG1sIi8+PC9SZWxhdGlvbnNoaXBzPlBLAwQUAAAAAAAAACFcsd1G2VoBAABaAQAAFAAAAHhsL3NoYXJlZFN0",
        "cmluZ3MueG1sPD94bWwgdmVyc2lvbj0iMS4wIiBlbmNvZGluZz0iVVRGLTgiPz48c3N0IHhtbG5zPSJodHRwOi8vc2NoZW1h",
        "cy5vcGVueG1sZm9ybWF0cy5vcmcvc3ByZWFkc2hlZXRtbC8yMDA2L21haW4iIGNvdW50PSI3IiB1bmlxdWVDb3VudD0iNyI+",
        "PHNpPjx0Pm5hbWU8L3Q+PC9zaT48c2k+PHQ+a2luZDwvdD48L3NpPjxzaT48dD5hZGRyZXNzPC90Pjwvc2k+PHNpPjx0Pmxu",
        "ZzwvdD48L3NpPjxzaT48dD5sYXQ8L3Q+PC9zaT48c2k+PHQgeG1sOnNwYWNlPSJwcmVzZXJ2ZSI+IOaeq+ahpeS+v+WIqeW6",
        "lyA8L3Q+PC9zaT48c2k+PHI+PHQ+5ZKM5bmz6LevPC90Pjwvcj48cj48dD4x5Y+3PC90Pjwvcj48L3NpPjwvc3N0PlBLAwQU",
        "AAAAAAAAACFccHjzEJECAACRAgAAGAAAAHhsL3dvcmtzaGVldHMvc2hlZXQxLnhtbDw/eG1sIHZlcnNpb249IjEuMCIgZW5j",
        "b2Rpbmc9IlVURi04Ij8+PHdvcmtzaGVldCB4bWxucz0iaHR0cDovL3NjaGVtYXMub3BlbnhtbGZQS21hdHMub3JnL3NwcmVh",
        "ZHNoZWV0bWwvMjAwNi9tYWluIj48ZGltZW5zaW9uIHJlZj0iQTE6RTMiLz48c2hlZXREYXRhPjxyb3cgcj0iMSI+PGMgcj0i",
        "QTEiIHQ9InMiPjx2PjA8L3Y+PC9jPjxjIHI9IkIxIiB0PSJzIj48dj4xPC92PjwvYz48YyByPSJDMSIgdD0icyI+PHY+Mjwv",
        "dj48L2M+PGMgcj0iRDEiIHQ9InMiPjx2PjM8L3Y+PC9jPjxjIHI9ImVEb2N1bWVudC8yMDA2L3JlbGF0aW9uc2hpcHMvd29y",
        "a3NoZWV0IiBUYXJnZXQ9IndvcmtzaGVldHMvc2hlZXQxLnhtbCIvPjxSZWxhdGlvbnNoaXAgSWQ9InJJZDIiIFR5cGU9Imh0",
        "dHA6Ly9zY2hlbWFzLm9wZW54bWxmb3IicyI+PHY+Njwvdj48L2M+PGMgcj0iRDIiPjx2PjEyMC42ODIzPC92PjwvYz48YyBy",
        "PSJFMiI+PHY+MjkuNjQ1MTwvdj48L2M+PC9yb3c+PHJvdyByPSIzIj48YyByPSJBMyIgdD0iYiI+PHY+MTwvdj48L2M+PGMg",
        "cj0iQjMiIHQ9ImUiPjx2PiNOL0E8L3Y+PC9jPjxjIHI9IkQzIiBzPSIxIj48dj40NjAwMDwvdj48JmM+PGMgcj0iRTMiIHQ9",
        "InN0ciI+PGY+MSsxPC9mPjx2PjI8L3Y+PC9jPjwvcm93Pjwvc2hlZXREYXRhPjwvd29ya3NoZWV0PlBLAQIUAxQAAAAAAAAA",
        "IVwO+t6SpAIAAKQCAAATAAAAAAAAAAAAAACAAQAAAABbQ29udGVudF9UeXBlc10ueG1sUEsBAhQDFAAAAAAAAAAhXBxJ974W",
        "AQAAFgEAAAsAAAAAAAAAAAAAAIAB1QIAAF9yZWxzLy5yZWxzUEsBAhQDFAAAAAAAAAAhXDeVmNwKAQAACgEAAA8AAAAAAAAA",
        "AAAAAIABFAQAAHhsL3dvcmtib29rLnhtbFBLAQIUAxQAAAAAAAAAIVxiaNC0pAEAAKQBAAAaAAAAAAAAAAAAAACAAUsFAAB4",
        "bC9fcmVscy93b3JrYm9vay54bWwucmVsc1BLAQIUAxQAAAAAAAAAIVyx3UbZWgEAAFoBAAAUAAAAAAAAAAAAAACAAScHAAB4",
        "bC9zaGFyZWRTdHJpbmdzLnhtbFBLAQIUAxQAAAAAAAAAIVxwkRDzeAIAAJECAAAYAAAAAAAAAAAAAACAAbMIAAB4bC93b3Jr",
        "c2hlZXRzL3NoZWV0MS54bWxQSwUGAAAAAAYABgCHAQAAegsAAAAA",
    ];

    #[test]
    fn a_workbook_that_panics_the_reader_is_an_error() {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(OVERFLOWING_CELL_REFERENCE.concat())
            .expect("base64");
        assert_eq!(bytes.len(), 3351);
        let e = Table::from_bytes("upload.xlsx", &bytes)
            .err()
            .expect("refused");
        assert!(e.contains("malformed"), "{e}");
    }

    #[test]
    fn csv_cells_are_trimmed_and_the_bom_dropped() {
        let t = Table::from_csv("\u{feff}Code , Name\n 330681 ,\" 诸暨市 \"\n".as_bytes())
            .expect("CSV");
        assert_eq!(t.header.get("code"), Some(&0));
        assert_eq!(
            t.rows,
            vec![vec!["330681".to_string(), "诸暨市".to_string()]]
        );
    }
}
