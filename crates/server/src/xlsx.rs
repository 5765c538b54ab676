//! XLSX workbooks for every export people open in a spreadsheet: one or more sheets, each with an
//! optional title line, a bold header row frozen in place, then rows of typed cells — text, numbers,
//! percentages and dates as the spreadsheet's own types, so they sort and sum. The capabilities build
//! rows; how a workbook is written lives here once.

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    /// A share 0–1, shown as a percentage (0.0%).
    Percent(f64),
    /// A local calendar date.
    Date(jiff::civil::Date),
    /// A local date and time (China Standard Time), to the minute.
    DateTime(jiff::civil::DateTime),
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

impl From<i64> for Cell {
    fn from(v: i64) -> Self {
        Cell::Number(v as f64)
    }
}

impl From<Option<f64>> for Cell {
    fn from(v: Option<f64>) -> Self {
        v.map_or(Cell::Empty, Cell::Number)
    }
}

impl From<jiff::civil::Date> for Cell {
    fn from(d: jiff::civil::Date) -> Self {
        Cell::Date(d)
    }
}

/// A share as a percentage cell, or an empty cell when there is none.
pub fn percent(v: Option<f64>) -> Cell {
    v.map_or(Cell::Empty, Cell::Percent)
}

/// A UTC-µs instant as its local date and time.
pub fn local_datetime(us: i64) -> Cell {
    let t = pingan_domain::time::from_micros(us);
    let local =
        jiff::Timestamp::from_second(t.as_second() + pingan_domain::time::SHANGHAI_OFFSET_SECONDS)
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
            .to_zoned(jiff::tz::TimeZone::UTC)
            .datetime();
    Cell::DateTime(local)
}

/// One sheet.
pub struct Sheet<'a> {
    pub name: &'a str,
    /// A line above the header (the period, the scope), when there is one.
    pub title: Option<String>,
    pub header: &'a [&'a str],
    pub rows: Vec<Vec<Cell>>,
}

impl Sheet<'_> {
    /// A workbook of this one sheet, as bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>, XlsxError> {
        workbook(std::slice::from_ref(self))
    }
}

fn excel_date(d: jiff::civil::Date) -> Result<ExcelDateTime, XlsxError> {
    ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
}

/// A workbook of these sheets, as bytes.
pub fn workbook(sheets: &[Sheet]) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let percent = Format::new().set_num_format("0.0%");
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let datetime = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    for sheet in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(sheet.name)?;
        let mut r = 0u32;
        if let Some(t) = &sheet.title {
            ws.write_string_with_format(r, 0, t, &bold)?;
            r += 1;
        }
        for (c, h) in sheet.header.iter().enumerate() {
            ws.write_string_with_format(r, c as u16, *h, &bold)?;
        }
        // The header stays in view while the rows scroll.
        ws.set_freeze_panes(r + 1, 0)?;
        for row in &sheet.rows {
            r += 1;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    Cell::Text(s) => {
                        ws.write_string(r, c, s)?;
                    }
                    Cell::Number(v) => {
                        ws.write_number(r, c, *v)?;
                    }
                    Cell::Percent(v) => {
                        ws.write_number_with_format(r, c, *v, &percent)?;
                    }
                    Cell::Date(d) => {
                        ws.write_datetime_with_format(r, c, excel_date(*d)?, &date)?;
                    }
                    Cell::DateTime(t) => {
                        let dt =
                            excel_date(t.date())?.and_hms(t.hour() as u16, t.minute() as u8, 0)?;
                        ws.write_datetime_with_format(r, c, dt, &datetime)?;
                    }
                    Cell::Empty => {}
                }
            }
        }
        ws.autofit();
    }
    wb.save_to_buffer()
}

/// The `Content-Disposition` of a download named `name` (ASCII fallback plus the UTF-8 name).
pub fn attachment(ascii: &str, name: &str) -> String {
    let encoded: String = form_urlencoded::byte_serialize(name.as_bytes()).collect();
    format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        encoded.replace('+', "%20")
    )
}

/// The XLSX content type.
pub const CONTENT_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Data, Reader, Xlsx};

    #[test]
    fn cells_read_back_with_their_types_and_the_header_is_frozen() {
        let day = jiff::civil::date(2026, 11, 30);
        let bytes = workbook(&[
            Sheet {
                name: "统计",
                title: Some("统计期间 2026-11-01 至 2026-11-30".into()),
                header: &["派出所", "立案数", "破案率", "日期", "时间"],
                rows: vec![
                    vec![
                        "枫桥派出所".into(),
                        3.0.into(),
                        Cell::Percent(0.25),
                        day.into(),
                        local_datetime(pingan_domain::time::day_start(day) + 90 * 60_000_000),
                    ],
                    vec!["暨阳".into(), None.into()],
                ],
            },
            Sheet {
                name: "第二页",
                title: None,
                header: &["a"],
                rows: vec![vec![1i64.into()]],
            },
        ])
        .unwrap();
        assert_eq!(&bytes[..2], b"PK", "an XLSX file is a zip archive");
        let mut book = Xlsx::new(std::io::Cursor::new(bytes.clone())).unwrap();
        assert_eq!(book.sheet_names(), ["统计", "第二页"]);
        let range = book.worksheet_range("统计").unwrap();
        assert_eq!(range.get((1, 0)), Some(&Data::String("派出所".into())));
        assert_eq!(range.get((2, 1)), Some(&Data::Float(3.0)));
        assert_eq!(range.get((2, 2)), Some(&Data::Float(0.25)));
        match range.get((2, 3)) {
            Some(Data::DateTime(d)) => {
                assert!(d.is_datetime());
                assert_eq!(d.to_ymd_hms_milli(), (2026, 11, 30, 0, 0, 0, 0))
            }
            other => panic!("a date cell: {other:?}"),
        }
        match range.get((2, 4)) {
            Some(Data::DateTime(d)) => {
                assert_eq!(d.to_ymd_hms_milli(), (2026, 11, 30, 1, 30, 0, 0))
            }
            other => panic!("a date-time cell: {other:?}"),
        }
        assert!(
            matches!(range.get((3, 1)), None | Some(Data::Empty)),
            "no value, no cell"
        );
        // The freeze pane sits below the header (row 2 of the sheet XML: "A3").
        let mut zip = zip_entry(&bytes, "xl/worksheets/sheet1.xml");
        assert!(zip.contains("topLeftCell=\"A3\""), "frozen header: {zip}");
        zip = zip_entry(&bytes, "xl/worksheets/sheet2.xml");
        assert!(zip.contains("topLeftCell=\"A2\""));
    }

    fn zip_entry(bytes: &[u8], name: &str) -> String {
        use std::io::Read;
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut s = String::new();
        z.by_name(name).unwrap().read_to_string(&mut s).unwrap();
        s
    }

    #[test]
    fn a_download_name_keeps_its_chinese() {
        assert_eq!(
            attachment("report.xlsx", "报告 11月.xlsx"),
            "attachment; filename=\"report.xlsx\"; filename*=UTF-8''%E6%8A%A5%E5%91%8A%2011%E6%9C%88.xlsx"
        );
    }
}
