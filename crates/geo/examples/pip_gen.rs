//! Writes the point-in-polygon benchmark data: a synthetic city grid layer as GeoJSON and random
//! points as CSV `id,x,y` (projected metres, UTM zone 51 around Zhuji).
//!
//! Usage: `pip_gen OUT_DIR [POINTS] [SEED]` → `OUT_DIR/polygons.geojson`, `OUT_DIR/points.csv`.
//! Most points are uniform over the layer's bounding box widened by 3 % (so some fall outside
//! every polygon); 0.2 % are placed exactly on polygon vertices and 0.1 % exactly on the
//! axis-aligned edges of the enclave, to exercise the boundary rule.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use pingan_geo::synth::{SplitMix64, TilingParams, layer_bbox, random_points, tiling};

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(args.next().unwrap_or_else(|| "bench/pip/data".into()));
    let n: usize = args
        .next()
        .map_or(1_000_000, |s| s.parse().expect("POINTS"));
    let seed: u64 = args.next().map_or(7, |s| s.parse().expect("SEED"));
    std::fs::create_dir_all(&out)?;

    let layer = tiling(&TilingParams::default());
    let mut g = BufWriter::new(File::create(out.join("polygons.geojson"))?);
    writeln!(g, "{{\"type\":\"FeatureCollection\",\"features\":[")?;
    let mut vertices = 0;
    for (k, (id, mp)) in layer.iter().enumerate() {
        let parts: Vec<String> =
            mp.0.iter()
                .map(|p| {
                    let rings: Vec<String> = std::iter::once(p.exterior())
                        .chain(p.interiors())
                        .map(|r| {
                            vertices += r.0.len();
                            let cs: Vec<String> =
                                r.0.iter().map(|c| format!("[{},{}]", c.x, c.y)).collect();
                            format!("[{}]", cs.join(","))
                        })
                        .collect();
                    format!("[{}]", rings.join(","))
                })
                .collect();
        let sep = if k + 1 < layer.len() { "," } else { "" };
        writeln!(
            g,
            "{{\"type\":\"Feature\",\"properties\":{{\"code\":\"{id}\",\"seq\":{k}}},\
             \"geometry\":{{\"type\":\"MultiPolygon\",\"coordinates\":[{}]}}}}{sep}",
            parts.join(",")
        )?;
    }
    writeln!(g, "]}}")?;
    g.flush()?;

    let bbox = layer_bbox(&layer);
    let mut points = random_points(n, bbox, 0.03, seed);
    let mut rng = SplitMix64(seed ^ 0xB0B);
    let all_vertices: Vec<(f64, f64)> = layer
        .iter()
        .flat_map(|(_, m)| &m.0)
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(|r| r.0.iter().map(|c| (c.x, c.y)))
        .collect();
    // The enclave is the last feature: rectangles with whole-metre, axis-aligned edges.
    let enclave_edges: Vec<((f64, f64), (f64, f64))> = layer
        .last()
        .map(|(_, m)| {
            m.0.iter()
                .flat_map(|p| {
                    p.exterior()
                        .lines()
                        .map(|l| (l.start_point().x_y(), l.end_point().x_y()))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut on_boundary = 0;
    for p in points.iter_mut() {
        let u = rng.next_f64();
        if u < 0.002 {
            *p = all_vertices[(rng.next_u64() % all_vertices.len() as u64) as usize];
            on_boundary += 1;
        } else if u < 0.003 && !enclave_edges.is_empty() {
            let (a, b) = enclave_edges[(rng.next_u64() % enclave_edges.len() as u64) as usize];
            // Whole-metre steps along a horizontal or vertical edge stay exactly on it.
            let t = rng.next_f64();
            *p = if a.1 == b.1 {
                (
                    (a.0 + (b.0 - a.0) * t)
                        .round()
                        .clamp(a.0.min(b.0), a.0.max(b.0)),
                    a.1,
                )
            } else {
                (
                    a.0,
                    (a.1 + (b.1 - a.1) * t)
                        .round()
                        .clamp(a.1.min(b.1), a.1.max(b.1)),
                )
            };
            on_boundary += 1;
        }
    }
    let mut w = BufWriter::new(File::create(out.join("points.csv"))?);
    writeln!(w, "id,x,y")?;
    for (i, (x, y)) in points.iter().enumerate() {
        writeln!(w, "p{i},{x},{y}")?;
    }
    w.flush()?;
    println!(
        "{} polygons, {} vertices, {} points ({} exactly on boundaries) in {}",
        layer.len(),
        vertices,
        points.len(),
        on_boundary,
        out.display()
    );
    Ok(())
}
