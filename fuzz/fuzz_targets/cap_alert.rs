//! The CAP 1.2 reader (`domain::cap::parse`) on any text, as an imported alert arrives.
//! Properties: an accepted document written back (`cap::to_xml`) is accepted again, and writing that
//! gives the same text (the writer and reader agree); every refusal names an element path and a line
//! within the document.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pingan_domain::cap;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match cap::parse(text) {
        Ok(alert) => {
            let written = cap::to_xml(&alert);
            let again = cap::parse(&written).expect("a written alert reads back");
            assert_eq!(cap::to_xml(&again), written, "write, read, write is stable");
        }
        Err(e) => {
            assert!(!e.element.is_empty());
            assert!(e.line >= 1 && e.line <= text.lines().count().max(1) + 1, "{e}");
        }
    }
});
