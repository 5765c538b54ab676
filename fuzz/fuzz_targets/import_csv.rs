//! CSV tables (`Table::from_csv`) and the row checks that need no database: the areas importer's
//! `plan` and the places importer's `read_rows`.
//! Properties: a table written back as CSV reads the same; every non-blank row is either planned or
//! reported exactly once; errors come in row order.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pingan_domain::{Scope, ScopeGrant, ScopeKind};
use pingan_server::import::{Table, areas, places};
use std::collections::HashSet;

fuzz_target!(|data: &[u8]| {
    let Ok(table) = Table::from_csv(data) else {
        return;
    };
    round_trip(&table);
    check_areas(&table);
    check_places(&table);
});

fn nonblank(table: &Table) -> usize {
    table
        .rows
        .iter()
        .filter(|r| !r.iter().all(|c| c.is_empty()))
        .count()
}

/// Rows are trimmed on reading, so writing them out (quoted where needed) must read back unchanged.
fn round_trip(table: &Table) {
    let mut w = csv::WriterBuilder::new().flexible(true).from_writer(vec![]);
    w.write_record(["h"]).expect("write to memory");
    for r in &table.rows {
        w.write_record(r).expect("write to memory");
    }
    let bytes = w.into_inner().expect("flush to memory");
    let again = Table::from_csv(&bytes).expect("our own CSV reads back");
    assert_eq!(again.rows, table.rows, "CSV round trip changed the rows");
}

fn check_areas(table: &Table) {
    let scope = Scope::new(vec![ScopeGrant {
        kind: ScopeKind::Area,
        path: "/330681/".into(),
    }]);
    let existing: HashSet<String> = ["330681".into(), "330681109".into()].into();
    let Ok((good, bad)) = areas::plan(table, &existing, "2026-01-01", &scope) else {
        return;
    };
    assert_eq!(
        good.len() + bad.len(),
        nonblank(table),
        "a row lost or doubled"
    );
    assert!(
        bad.windows(2).all(|w| w[0].row <= w[1].row),
        "errors out of row order"
    );
    let codes: HashSet<_> = good.iter().map(|p| p.area.code.to_string()).collect();
    assert_eq!(codes.len(), good.len(), "a code planned twice");
    for p in &good {
        if let Some(parent) = &p.area.parent {
            assert!(
                existing.contains(parent.as_str()) || codes.contains(parent.as_str()),
                "{} planned without its parent",
                p.area.code
            );
        }
    }
}

fn check_places(table: &Table) {
    let Ok((read, bad)) = places::read_rows(table) else {
        return;
    };
    assert_eq!(
        read.len() + bad.len(),
        nonblank(table),
        "a row lost or doubled"
    );
}
