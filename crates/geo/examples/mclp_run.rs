//! Times the MCLP on instances written as `id,x,y,w` / `id,x,y` CSVs (e.g. by bench/analysis/compare.py):
//!
//!     cargo run --release -p pingan-geo --example mclp_run -- DEMAND.csv SITES.csv RADIUS K [REPEAT]
use std::fs::File;
use std::time::Instant;

use pingan_geo::analysis::mclp::mclp;
use pingan_geo::analysis::points::{Columns, read_points};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 5 {
        eprintln!("usage: mclp_run DEMAND.csv SITES.csv RADIUS K [REPEAT]");
        std::process::exit(2);
    }
    let read = |path: &str, weight: bool| {
        let columns = Columns {
            ids: false,
            weight: weight.then_some("w"),
            time: None,
        };
        read_points(File::open(path).expect("open"), &columns, |_| {}).expect("read")
    };
    let d = read(&args[1], true);
    let s = read(&args[2], false);
    let radius: f64 = args[3].parse().expect("radius");
    let k: usize = args[4].parse().expect("k");
    let repeat: usize = args.get(5).map_or(1, |r| r.parse().expect("repeat"));
    let w = d.weights.as_deref().expect("weights");
    let mut times = Vec::new();
    for _ in 0..repeat {
        let start = Instant::now();
        let got = mclp(&d.xs, &d.ys, w, &s.xs, &s.ys, radius, k).expect("mclp");
        times.push(start.elapsed().as_secs_f64());
        println!(
            "covered {} bound {} gap {:.5}% proven {} nodes {} iterations {} time {:.4} s",
            got.covered,
            got.upper_bound,
            got.gap * 100.0,
            got.proven_optimal,
            got.nodes,
            got.iterations,
            times.last().unwrap()
        );
    }
    times.sort_by(f64::total_cmp);
    println!("median {:.4} s", times[times.len() / 2]);
}
