//! divan benchmarks for GPS track simplification (TD-TR): one unit-day (8,640 fixes 10 s apart,
//! a random walk at 1.4 m/s with ±2 m GPS jitter) at 1, 5 and 20 m, and 200 unit-days at 5 m.
//! Prints the compression ratio (kept / original) at each tolerance first. `project_one_unit_day`
//! times the transverse-Mercator projection alone, the fixed part of each simplification.
//! `cargo bench -p pingan-geo --bench track`.

use divan::{Bencher, black_box};
use pingan_geo::Projection;
use pingan_geo::synth::random_walk;
use pingan_geo::track::{Fix, SimplifyParams, simplify};

const FIXES_PER_DAY: usize = 8_640;
const UNIT_DAYS: u64 = 200;

fn main() {
    report_compression();
    divan::main();
}

fn params(tolerance_m: f64) -> SimplifyParams {
    SimplifyParams {
        tolerance_m,
        max_gap_us: 300_000_000,
    }
}

fn day(seed: u64, jitter_m: f64) -> Vec<Fix> {
    random_walk(FIXES_PER_DAY, 1.4, jitter_m, seed)
}

/// Kept / original over 200 unit-days, with and without GPS jitter.
fn report_compression() {
    for jitter_m in [0.0, 2.0] {
        let days: Vec<Vec<Fix>> = (0..UNIT_DAYS).map(|s| day(s, jitter_m)).collect();
        let total: usize = days.iter().map(Vec::len).sum();
        for tolerance_m in [1.0, 5.0, 20.0] {
            let kept: usize = days
                .iter()
                .map(|d| simplify(d, params(tolerance_m)).map_or(0, |k| k.len()))
                .sum();
            eprintln!(
                "jitter ±{jitter_m} m, tolerance {tolerance_m} m: kept {kept} / {total} = {:.4}",
                kept as f64 / total as f64
            );
        }
    }
}

#[divan::bench(args = [1.0, 5.0, 20.0], sample_count = 50)]
fn one_unit_day(bencher: Bencher, tolerance_m: f64) {
    let fixes = day(1, 2.0);
    bencher
        .counter(divan::counter::ItemsCount::new(fixes.len()))
        .bench_local(|| simplify(black_box(&fixes), params(tolerance_m)).map(|k| k.len()));
}

#[divan::bench(sample_count = 10)]
fn two_hundred_unit_days(bencher: Bencher) {
    let days: Vec<Vec<Fix>> = (0..UNIT_DAYS).map(|s| day(s, 2.0)).collect();
    bencher
        .counter(divan::counter::ItemsCount::new(days.len() * FIXES_PER_DAY))
        .bench_local(|| {
            days.iter()
                .map(|d| simplify(black_box(d), params(5.0)).map_or(0, |k| k.len()))
                .sum::<usize>()
        });
}

#[divan::bench(sample_count = 50)]
fn project_one_unit_day(bencher: Bencher) {
    let fixes = day(1, 2.0);
    let proj = Projection::transverse_mercator(fixes[0].lng);
    bencher
        .counter(divan::counter::ItemsCount::new(fixes.len()))
        .bench_local(|| {
            black_box(&fixes)
                .iter()
                .map(|f| proj.forward(f.lng, f.lat).0)
                .sum::<f64>()
        });
}
