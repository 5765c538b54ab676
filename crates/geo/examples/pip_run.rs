//! Times pingan-geo's point-in-polygon on files, single-threaded, for `bench/pip/run.sh`.
//!
//! Usage: `pip_run POLYGONS.geojson POINTS.csv ID_PROPERTY OUT_ASSIGNMENTS [REPEATS]`.
//! Builds a [`PolygonIndex`] (timed), loads the points into memory (not timed), then locates
//! every point REPEATS times (default 3) and reports the best run; writes one line per point to
//! OUT_ASSIGNMENTS (`id,polygon_id`, empty when none). Finally runs the whole `pip_csv` pipeline
//! file-to-file once (parse, build, stream, write) and reports that too. Prints one JSON object.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::time::Instant;

use pingan_geo::{PolygonIndex, parse_polygon_layer, pip_csv};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [polygons, points, id_property, out] = &args[..4] else {
        return Err("usage: pip_run POLYGONS POINTS ID_PROPERTY OUT [REPEATS]".into());
    };
    let repeats: usize = args.get(4).map_or(Ok(3), |s| s.parse())?;

    let text = std::fs::read_to_string(polygons)?;
    let t = Instant::now();
    let layer = parse_polygon_layer(&text, id_property)?;
    let parse_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let index = PolygonIndex::new(layer.into_iter().map(|f| (f.id, f.geometry)).collect());
    let build_s = t.elapsed().as_secs_f64();

    let mut ids = Vec::new();
    let mut xy = Vec::new();
    let mut rdr = csv::Reader::from_path(points)?;
    for rec in rdr.records() {
        let rec = rec?;
        ids.push(rec[0].to_string());
        xy.push((rec[1].parse::<f64>()?, rec[2].parse::<f64>()?));
    }

    let mut result = vec![u32::MAX; xy.len()];
    let mut runs = Vec::new();
    for _ in 0..repeats.max(1) {
        let t = Instant::now();
        for (slot, &(x, y)) in result.iter_mut().zip(&xy) {
            *slot = index
                .locate(std::hint::black_box(x), std::hint::black_box(y))
                .map_or(u32::MAX, |i| i as u32);
        }
        runs.push(t.elapsed().as_secs_f64());
        std::hint::black_box(&result);
    }
    let best = runs.iter().copied().fold(f64::INFINITY, f64::min);

    let mut w = BufWriter::new(File::create(out)?);
    writeln!(w, "id,polygon_id")?;
    let mut matched = 0usize;
    for (id, r) in ids.iter().zip(&result) {
        let p = if *r == u32::MAX {
            ""
        } else {
            matched += 1;
            index.id(*r as usize)
        };
        writeln!(w, "{id},{p}")?;
    }
    w.flush()?;

    let t = Instant::now();
    let stats = pip_csv(
        BufReader::new(File::open(points)?),
        &text,
        id_property,
        BufWriter::new(File::create(format!("{out}.pip_csv"))?),
        |_| {},
    )?;
    let pipeline_s = t.elapsed().as_secs_f64();
    assert_eq!(
        stats.matched as usize, matched,
        "pip_csv and locate disagree"
    );

    let s = index.stats();
    println!(
        "{{\"points\":{},\"matched\":{},\"polygons\":{},\"vertices\":{},\"grid\":[{},{}],\
         \"mixed_cells\":{},\"parse_s\":{parse_s:.4},\"build_s\":{build_s:.4},\
         \"locate_runs_s\":{:?},\"locate_best_s\":{best:.4},\"points_per_s\":{:.0},\
         \"pip_csv_s\":{pipeline_s:.4}}}",
        xy.len(),
        matched,
        s.polygons,
        s.vertices,
        s.grid.0,
        s.grid.1,
        s.mixed_cells,
        runs.iter()
            .map(|r| (r * 1e4).round() / 1e4)
            .collect::<Vec<_>>(),
        xy.len() as f64 / best,
    );
    Ok(())
}
