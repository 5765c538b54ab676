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
            "xlsx" | "xls" | "ods" => {
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
            }
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
        let mut wb = open_workbook_auto(path).map_err(|e| e.to_string())?;
        let sheet = wb
            .sheet_names()
            .first()
            .cloned()
            .ok_or("the workbook has no sheet")?;
        let range = wb.worksheet_range(&sheet).map_err(|e| e.to_string())?;
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
