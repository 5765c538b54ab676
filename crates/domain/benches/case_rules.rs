//! The 网上巡查 engine over a synthetic history: 100,000 cases with 1,000,000 steps (ten each),
//! evaluated against the default rule set on one core. Issue 7's target is under 30 s.
//! `cargo bench -p pingan-domain --bench case_rules`.

use divan::{Bencher, black_box};
use pingan_domain::case::synthetic_history;
use pingan_domain::case_rules::{RuleBook, evaluate};

fn main() {
    divan::main();
}

const CASES: usize = 100_000;
/// 2026-11-30 00:00 UTC.
const END: i64 = 1_796_256_000_000_000;

#[divan::bench(sample_count = 5)]
fn evaluate_100k_cases(bencher: Bencher) {
    let book = RuleBook::default_book();
    let cases = synthetic_history(CASES, 7, END, 365);
    let steps: usize = cases.iter().map(|c| c.events.len()).sum();
    assert_eq!(steps, CASES * 10);
    bencher
        .counter(divan::counter::ItemsCount::new(steps))
        .bench_local(|| {
            let mut findings = 0usize;
            for c in &cases {
                findings += evaluate(black_box(c), &book, END).findings.len();
            }
            findings
        });
}
