//! divan benchmarks for the point → polygon index on the synthetic city layer (81 polygons,
//! ~48,000 vertices): lookups of uniform random points through the full index and through the
//! R-tree + exact test alone, and the index build.
//! `cargo bench -p pingan-geo --bench pip`. The file-based comparison with geopandas is
//! `bench/pip/run.sh`.

use divan::{Bencher, black_box};
use pingan_geo::PolygonIndex;
use pingan_geo::synth::{TilingParams, layer_bbox, random_points, tiling};

fn main() {
    divan::main();
}

const POINTS: usize = 100_000;

fn setup() -> (PolygonIndex, Vec<(f64, f64)>) {
    let layer = tiling(&TilingParams::default());
    let points = random_points(POINTS, layer_bbox(&layer), 0.03, 7);
    (PolygonIndex::new(layer), points)
}

#[divan::bench(sample_count = 20)]
fn locate_uniform(bencher: Bencher) {
    let (index, points) = setup();
    bencher
        .counter(divan::counter::ItemsCount::new(points.len()))
        .bench_local(|| {
            let mut hits = 0usize;
            for &(x, y) in &points {
                hits += index.locate(black_box(x), black_box(y)).is_some() as usize;
            }
            hits
        });
}

#[divan::bench(sample_count = 20)]
fn locate_unaccelerated(bencher: Bencher) {
    let (index, points) = setup();
    let points = &points[..POINTS / 10];
    bencher
        .counter(divan::counter::ItemsCount::new(points.len()))
        .bench_local(|| {
            let mut hits = 0usize;
            for &(x, y) in points {
                hits += index
                    .locate_unaccelerated(black_box(x), black_box(y))
                    .is_some() as usize;
            }
            hits
        });
}

#[divan::bench(sample_count = 5)]
fn build_index(bencher: Bencher) {
    let layer = tiling(&TilingParams::default());
    bencher
        .with_inputs(|| layer.clone())
        .bench_local_values(PolygonIndex::new);
}
