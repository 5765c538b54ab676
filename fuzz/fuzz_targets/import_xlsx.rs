//! Uploaded spreadsheets (`Table::from_bytes` with an `.xlsx` name: calamine detects XLSX, XLS, XLSB
//! and ODS by content) on arbitrary bytes. Property: every data cell comes out trimmed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pingan_server::import::Table;

fuzz_target!(|data: &[u8]| {
    let Ok(table) = Table::from_bytes("upload.xlsx", data) else {
        return;
    };
    for row in &table.rows {
        for cell in row {
            assert_eq!(cell.trim(), cell, "untrimmed cell");
        }
    }
    for name in table.header.keys() {
        assert_eq!(name.trim(), name, "untrimmed header");
    }
});
