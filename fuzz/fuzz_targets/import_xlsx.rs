//! Uploaded spreadsheets (`Table::from_bytes` with an `.xlsx` name: calamine detects XLSX, XLS, XLSB
//! and ODS by content) on arbitrary bytes. Property: every data cell comes out trimmed.
//! `from_bytes` contains panics of the reader (calamine) and answers an error; libfuzzer-sys's panic
//! hook would abort on those before they are caught, so the default hook is put back: a panic that
//! escapes `from_bytes` still aborts (libfuzzer-sys catches it at the top and aborts).
#![no_main]

use libfuzzer_sys::fuzz_target;
use pingan_server::import::Table;
use std::sync::Once;

static DEFAULT_HOOK: Once = Once::new();

fuzz_target!(|data: &[u8]| {
    DEFAULT_HOOK.call_once(|| drop(std::panic::take_hook()));
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
