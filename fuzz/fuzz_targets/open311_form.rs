//! Open311 GeoReport v2 POST requests: the `{file}` path split (`split`), the form decoding
//! (`post_params`: content type, query string, form body) and the request validation (`check_post`),
//! and the XML that carries values back (`xml_document`/`esc`).
//! Input: `file\ncontent-type\nquery\nbody`.
//! Properties: split is lossless; an accepted request satisfies every documented limit; any value,
//! and any validation message, rendered as XML parses with a conforming XML parser and reads back as
//! given, less what XML 1.0 cannot carry.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pingan_server::dispatch::TypeNames;
use pingan_server::open311::{Format, Record, check_post, esc, post_params, split, xml_document};
use pingan_store::incidents::TypeRow;
use std::collections::HashMap;
use std::sync::Arc;

/// Field names the values are rendered under (the Open311 ones).
const FIELDS: &[&str] = &[
    "service_code",
    "description",
    "address",
    "lat",
    "long",
    "media_url",
    "status_notes",
    "service_name",
];

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(4, |b| *b == b'\n');
    let file = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let ctype = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let query = parts.next().unwrap_or_default();
    let body = parts.next().unwrap_or_default();

    check_split(&file);
    // axum decodes the query string with the same form decoder.
    let Ok(query) = post_params(HashMap::new(), "application/x-www-form-urlencoded", query) else {
        return;
    };
    let Ok(params) = post_params(query, &ctype, body) else {
        return;
    };
    let mut values: Vec<&String> = params.values().collect();
    values.sort();
    let records: Vec<Record> = vec![
        FIELDS
            .iter()
            .zip(values.iter().map(|v| Some((*v).clone())))
            .map(|(k, v)| (*k, v))
            .collect(),
    ];
    check_xml(&records);
    match check_post(&params, &types(), 3) {
        Ok(r) => {
            let chars = |s: &str| s.chars().count();
            assert!(
                (1..=4000).contains(&chars(&r.description))
                    && r.description.trim() == r.description
            );
            assert!((1..=200).contains(&chars(&r.address)) && r.address.trim() == r.address);
            assert!(
                r.lng.is_finite() && (-180.0..=180.0).contains(&r.lng),
                "lng {}",
                r.lng
            );
            assert!(
                r.lat.is_finite() && (-90.0..=90.0).contains(&r.lat),
                "lat {}",
                r.lat
            );
            assert!(
                r.caller_name
                    .as_deref()
                    .is_none_or(|n| (1..=50).contains(&chars(n)))
            );
            assert!(
                r.snapshot_ref
                    .as_deref()
                    .is_none_or(|m| (1..=500).contains(&chars(m)))
            );
            if let Some(p) = &r.caller_phone {
                let digits = p.strip_prefix('+').unwrap_or(p);
                assert!(
                    (5..=20).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()),
                    "phone {p}"
                );
            }
            assert!(
                types()
                    .0
                    .iter()
                    .any(|t| t.active && t.code == r.type_code.as_str())
            );
        }
        Err(e) => check_xml(&[vec![("description", Some(e.to_string()))]]),
    }
});

fn types() -> TypeNames {
    let row = |code: &str, zh: &str, en: &str, active| TypeRow {
        code: code.into(),
        name_zh: zh.into(),
        name_en: en.into(),
        active,
    };
    TypeNames(Arc::new(vec![
        row("500100", "求助", "Request for help", true),
        row("200100", "打架斗殴", "Fight", true),
        row("300100", "交通事故", "Traffic accident", false),
    ]))
}

fn check_split(file: &str) {
    if let Ok((stem, fmt)) = split(file) {
        let ext = match fmt {
            Format::Json => "json",
            Format::Xml => "xml",
        };
        assert_eq!(format!("{stem}.{ext}"), file, "split lost part of the path");
    }
}

/// XML 1.0 `Char`: what may appear in a document at all, escaped or not.
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// What a reader gets back from `esc(v)`: characters XML cannot carry dropped, line ends normalised.
fn expected(v: &str) -> String {
    v.chars()
        .filter(|c| xml_char(*c))
        .collect::<String>()
        .replace("\r\n", "\n")
        .replace('\r', "\n")
}

fn check_esc(v: &str) {
    let e = esc(v);
    assert!(
        e.chars().all(xml_char),
        "esc kept a character XML 1.0 forbids: {e:?}"
    );
    assert!(!e.contains(['<', '>', '"', '\'']), "esc left markup: {e:?}");
    for (i, _) in e.match_indices('&') {
        let rest = &e[i..];
        assert!(
            ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
                .iter()
                .any(|ent| rest.starts_with(ent)),
            "bare & in {e:?}"
        );
    }
}

fn check_xml(records: &[Record]) {
    for (_, v) in records.iter().flatten() {
        if let Some(v) = v {
            check_esc(v);
        }
    }
    let doc = xml_document("service_requests", "request", records);
    let parsed = match roxmltree::Document::parse(&doc) {
        Ok(d) => d,
        Err(e) => panic!("not well-formed XML ({e}): {doc:?}"),
    };
    let items: Vec<_> = parsed
        .root_element()
        .children()
        .filter(|n| n.is_element())
        .collect();
    assert_eq!(items.len(), records.len());
    for (item, record) in items.iter().zip(records) {
        let fields: Vec<_> = item.children().filter(|n| n.is_element()).collect();
        assert_eq!(fields.len(), record.len());
        for (node, (name, value)) in fields.iter().zip(record) {
            assert_eq!(node.tag_name().name(), *name);
            let want = value.as_deref().map(expected).unwrap_or_default();
            // roxmltree leaves a lone CR after an entity reference unnormalised; compare modulo line ends.
            let got = node
                .text()
                .unwrap_or("")
                .replace("\r\n", "\n")
                .replace('\r', "\n");
            assert_eq!(got, want, "value changed on the way through XML");
        }
    }
}
