//! XLSX workbooks for the exports people open in a spreadsheet: one sheet, an optional title line, a
//! header row, then rows of text and number cells. The capabilities build rows; how a workbook is
//! written lives here once.

/// One cell: text, a number, or nothing.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    Empty,
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_string())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

impl From<f64> for Cell {
    fn from(v: f64) -> Self {
        Cell::Number(v)
    }
}

impl From<Option<f64>> for Cell {
    fn from(v: Option<f64>) -> Self {
        v.map_or(Cell::Empty, Cell::Number)
    }
}

/// A one-sheet workbook.
pub struct Sheet<'a> {
    pub name: &'a str,
    /// A line above the header (the period, the scope), when there is one.
    pub title: Option<String>,
    pub header: &'a [&'a str],
    pub rows: Vec<Vec<Cell>>,
}

impl Sheet<'_> {
    /// The workbook as bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name(self.name)?;
        let mut r = 0u32;
        if let Some(t) = &self.title {
            ws.write_string(r, 0, t)?;
            r += 1;
        }
        for (c, h) in self.header.iter().enumerate() {
            ws.write_string(r, c as u16, *h)?;
        }
        for row in &self.rows {
            r += 1;
            for (c, cell) in row.iter().enumerate() {
                match cell {
                    Cell::Text(s) => ws.write_string(r, c as u16, s).map(|_| ())?,
                    Cell::Number(v) => ws.write_number(r, c as u16, *v).map(|_| ())?,
                    Cell::Empty => {}
                }
            }
        }
        wb.save_to_buffer()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sheet_is_a_zip_holding_its_strings() {
        let bytes = Sheet {
            name: "统计",
            title: Some("统计期间 2026-11-01 至 2026-11-30".into()),
            header: &["派出所", "立案数"],
            rows: vec![
                vec!["枫桥派出所".into(), 3.0.into()],
                vec!["暨阳".into(), None.into()],
            ],
        }
        .to_bytes()
        .unwrap();
        assert_eq!(&bytes[..2], b"PK", "an XLSX file is a zip archive");
        assert!(bytes.len() > 1000);
    }
}
