//! `pingan analyze gistar | kde | knox | mclp`: the 信息研判 kernels of `pingan-geo` over CSV point
//! files (`id,x,y[,w][,t]`, planar coordinates as given). Inputs are checked before any work; a bad
//! row is named by file and line.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;
use pingan_geo::analysis::gistar::{Confidence, gistar_grid, gistar_grid_masked};
use pingan_geo::analysis::grid::Grid;
use pingan_geo::analysis::kde::{Accuracy, Kernel, kde_grid};
use pingan_geo::analysis::knox::{Budget, KnoxOptions, knox_within};
use pingan_geo::analysis::mclp::{MclpOptions, mclp_with};
use pingan_geo::analysis::points::{Columns, Points, read_points};

/// The grid shared by `gistar` and `kde`.
#[derive(Args, Debug)]
pub struct GridArgs {
    /// West edge of the grid.
    #[arg(long, allow_hyphen_values = true)]
    x0: f64,
    /// South edge of the grid.
    #[arg(long, allow_hyphen_values = true)]
    y0: f64,
    /// Cell side.
    #[arg(long)]
    cell: f64,
    /// Columns (west → east).
    #[arg(long)]
    cols: usize,
    /// Rows (south → north; row 0 at the south).
    #[arg(long)]
    rows: usize,
}

impl GridArgs {
    fn grid(&self) -> anyhow::Result<Grid> {
        Ok(Grid::new(
            self.x0, self.y0, self.cell, self.cols, self.rows,
        )?)
    }
}

/// `analyze gistar`.
#[derive(Args, Debug)]
pub struct GistarArgs {
    /// Points CSV (`id,x,y[,w]`).
    #[arg(long)]
    points: PathBuf,
    #[command(flatten)]
    grid: GridArgs,
    /// Distance band between cell centres (d ≤ band are neighbours; the cell itself always is).
    #[arg(long)]
    band: f64,
    /// Sum this column per cell instead of counting points.
    #[arg(long)]
    weight_column: Option<String>,
    /// The study area: only its cells are units (mean, deviation and neighbours are theirs; a
    /// neighbour outside is absent). A CSV with a `cell_id` column (as this command writes), or
    /// GeoJSON polygons (a cell is inside when its centre is). Cells outside get empty z and p.
    #[arg(long)]
    mask: Option<PathBuf>,
    /// Output CSV: `cell_id,row,col,value,z,p`.
    #[arg(long)]
    out: PathBuf,
}

/// `analyze kde`.
#[derive(Args, Debug)]
pub struct KdeArgs {
    /// Points CSV (`id,x,y[,w]`).
    #[arg(long)]
    points: PathBuf,
    #[command(flatten)]
    grid: GridArgs,
    /// Weight each point by this column.
    #[arg(long)]
    weight_column: Option<String>,
    /// gaussian (bandwidth = sigma) or epanechnikov (bandwidth = support radius).
    #[arg(long)]
    kernel: Kernel,
    /// Kernel bandwidth, in the unit of the coordinates.
    #[arg(long)]
    bandwidth: f64,
    /// Fast mode: allowed error as a fraction of the peak (e.g. 1e-4). Default: exact (1e-10).
    #[arg(long)]
    tolerance: Option<f64>,
    /// Output CSV: `cell_id,density`.
    #[arg(long)]
    out: PathBuf,
}

/// `analyze knox`.
#[derive(Args, Debug)]
pub struct KnoxArgs {
    /// Events CSV (`id,x,y,t`; t in days, or a date / date-time).
    #[arg(long)]
    points: PathBuf,
    /// Space thresholds, increasing, comma-separated (e.g. 100,200,400).
    #[arg(long, value_delimiter = ',', required = true)]
    space_bands: Vec<f64>,
    /// Time thresholds in days, increasing, comma-separated (e.g. 7,14,30).
    #[arg(long, value_delimiter = ',', required = true)]
    time_bands: Vec<f64>,
    /// Monte-Carlo permutations of the times.
    #[arg(long, default_value_t = 999)]
    permutations: usize,
    /// Seed of the permutations (the same seed gives the same p-values).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Name of the time column.
    #[arg(long, default_value = "t")]
    time_column: String,
    /// Most pair checks the permutations may make; beyond it the p-values come from the
    /// permutation distribution's exact mean and variance (`p_method: normal`), as the server's
    /// near-repeat does beyond 3e9. Unbounded by default.
    #[arg(long)]
    max_checks: Option<f64>,
    /// Output JSON.
    #[arg(long)]
    out: PathBuf,
}

/// `analyze mclp`.
#[derive(Args, Debug)]
pub struct MclpArgs {
    /// Demand CSV (`id,x,y[,w]`; weight 1 per point without a weight column).
    #[arg(long)]
    demand: PathBuf,
    /// Candidate sites CSV (`id,x,y`).
    #[arg(long)]
    sites: PathBuf,
    /// Coverage radius (demand within d ≤ radius of a chosen site is covered).
    #[arg(long)]
    radius: f64,
    /// Number of sites to choose.
    #[arg(long)]
    k: usize,
    /// Weight column of the demand file (default: `w` when present).
    #[arg(long)]
    weight_column: Option<String>,
    /// Seconds the exact search may take after the heuristic; past it the best found is written with
    /// its bound and `proven_optimal: false`.
    #[arg(long, default_value_t = 5.0)]
    time_limit: f64,
    /// Output JSON: `{covered, sites, upper_bound, gap, proven_optimal, …}`.
    #[arg(long)]
    out: PathBuf,
}

fn spinner(message: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg} {pos} [{elapsed}]")
            .expect("template"),
    );
    bar.set_message(message.to_string());
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

fn load(path: &Path, columns: &Columns<'_>) -> anyhow::Result<Points> {
    let file = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let bar = spinner(&format!("reading {}", path.display()));
    let points = read_points(std::io::BufReader::new(file), columns, |n| {
        bar.set_position(n)
    });
    bar.finish_and_clear();
    points.map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// Whether the CSV file's header line names `name`.
fn has_column(path: &Path, name: &str) -> anyhow::Result<bool> {
    use std::io::BufRead;
    let file = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut first = String::new();
    std::io::BufReader::new(file).read_line(&mut first)?;
    Ok(first
        .trim_end()
        .split(',')
        .any(|h| h.trim().trim_matches('"') == name))
}

fn create(path: &Path) -> anyhow::Result<std::io::BufWriter<std::fs::File>> {
    Ok(std::io::BufWriter::new(
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
    ))
}

/// Where the time went: reading, computing, writing (the I/O share is what the benchmarks report).
fn phases(read_s: f64, compute_s: f64, write_s: f64) -> String {
    let total = read_s + compute_s + write_s;
    format!(
        "time: read {read_s:.3} s, compute {compute_s:.3} s, write {write_s:.3} s (I/O {:.0} %)",
        if total > 0.0 {
            100.0 * (read_s + write_s) / total
        } else {
            0.0
        }
    )
}

/// Writes `rows` lines made by `row(index, buffer)`, formatted on every core in blocks (a
/// million cells are two million numbers: formatting, not the disk, is the cost), in order.
fn write_rows(
    out: &mut impl Write,
    rows: usize,
    row: impl Fn(usize, &mut Vec<u8>) + Sync,
) -> std::io::Result<()> {
    const BLOCK: usize = 1 << 15;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    let mut start = 0;
    while start < rows {
        let end = (start + threads * BLOCK).min(rows);
        let row = &row;
        let parts: Vec<Vec<u8>> = std::thread::scope(|s| {
            let handles: Vec<_> = (start..end)
                .step_by(BLOCK)
                .map(|from| {
                    s.spawn(move || {
                        let mut buf = Vec::with_capacity(BLOCK * 64);
                        for id in from..(from + BLOCK).min(end) {
                            row(id, &mut buf);
                        }
                        buf
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a formatting thread"))
                .collect()
        });
        for part in parts {
            out.write_all(&part)?;
        }
        start = end;
    }
    Ok(())
}

/// Runs `analyze gistar`.
pub fn gistar(args: &GistarArgs) -> anyhow::Result<()> {
    let grid = args.grid.grid()?;
    if !(args.band.is_finite() && args.band >= 0.0) {
        bail!("--band must be a non-negative number, got {}", args.band);
    }
    let columns = Columns {
        ids: false,
        weight: args.weight_column.as_deref(),
        time: None,
    };
    let clock = std::time::Instant::now();
    let points = load(&args.points, &columns)?;
    let read_s = clock.elapsed().as_secs_f64();
    let binned = grid.bin(&points.xs, &points.ys, points.weights.as_deref());
    let mask = args
        .mask
        .as_deref()
        .map(|m| read_mask(m, &grid))
        .transpose()?;
    let bar = spinner("Gi*");
    let result = match &mask {
        None => gistar_grid(&grid, &binned.values, args.band)?,
        Some(m) => gistar_grid_masked(&grid, &binned.values, args.band, m)?,
    };
    bar.finish_and_clear();
    let compute_s = clock.elapsed().as_secs_f64() - read_s;
    let mut out = create(&args.out)?;
    writeln!(out, "cell_id,row,col,value,z,p")?;
    write_rows(&mut out, grid.len(), |id, line| {
        let (row, col) = (id / grid.cols, id % grid.cols);
        for v in [id, row, col] {
            line.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
            line.push(b',');
        }
        for (k, v) in [binned.values[id], result.z[id], result.p[id]]
            .into_iter()
            .enumerate()
        {
            if k > 0 {
                line.push(b',');
            }
            if v.is_finite() {
                line.extend_from_slice(ryu::Buffer::new().format_finite(v).as_bytes());
            }
        }
        line.push(b'\n');
    })?;
    out.flush()?;
    let write_s = clock.elapsed().as_secs_f64() - read_s - compute_s;
    let mut levels = [0usize; 7];
    for z in &result.z {
        levels[(Confidence::of(*z).level() + 3) as usize] += 1;
    }
    let frame = match &mask {
        None => format!("{} cells (the whole grid)", grid.len()),
        Some(m) => format!(
            "{} of {} cells (the mask)",
            m.iter().filter(|&&x| x).count(),
            grid.len()
        ),
    };
    println!(
        "{} points: {} binned, {} outside the grid (not binned); {frame}: hot 99/95/90% {}/{}/{}, cold 99/95/90% {}/{}/{}",
        points.xs.len(),
        binned.inside,
        binned.outside,
        levels[6],
        levels[5],
        levels[4],
        levels[0],
        levels[1],
        levels[2]
    );
    println!("{}", phases(read_s, compute_s, write_s));
    Ok(())
}

/// The cells of a `--mask` file: `cell_id` rows of a CSV, or the cells whose centre lies in a GeoJSON
/// polygon (boundary included).
fn read_mask(path: &Path, grid: &Grid) -> anyhow::Result<Vec<bool>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let geojson = text.trim_start().starts_with('{');
    let mask = if geojson {
        let shapes = pingan_geo::parse_polygons(&text)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let index = pingan_geo::PolygonIndex::with_rule(
            shapes
                .into_iter()
                .enumerate()
                .map(|(i, s)| (i.to_string(), s))
                .collect(),
            pingan_geo::BoundaryRule::Closed,
        );
        grid.mask_of(|x, y| index.locate(x, y).is_some())
    } else {
        mask_from_csv(path, &text, grid)?
    };
    if mask.iter().filter(|&&m| m).count() < 2 {
        bail!(
            "{}: fewer than two cells of the grid are in the mask",
            path.display()
        );
    }
    Ok(mask)
}

fn mask_from_csv(path: &Path, text: &str, grid: &Grid) -> anyhow::Result<Vec<bool>> {
    let mut lines = text.lines();
    let header = lines.next().unwrap_or_default();
    let Some(column) = header
        .split(',')
        .position(|h| h.trim().trim_matches('"') == "cell_id")
    else {
        bail!(
            "{}: line 1: no cell_id column (a mask CSV lists the cells of the study area)",
            path.display()
        );
    };
    let mut mask = vec![false; grid.len()];
    for (i, line) in lines.enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let field = line.split(',').nth(column).unwrap_or("").trim();
        match field.parse::<usize>() {
            Ok(id) if id < grid.len() => mask[id] = true,
            _ => bail!(
                "{}: line {}: cell_id {field:?} is not a cell of this {}-cell grid",
                path.display(),
                i + 2,
                grid.len()
            ),
        }
    }
    Ok(mask)
}

/// Runs `analyze kde`.
pub fn kde(args: &KdeArgs) -> anyhow::Result<()> {
    let grid = args.grid.grid()?;
    let accuracy = match args.tolerance {
        None => Accuracy::Exact,
        Some(t) => Accuracy::Within(t),
    };
    let columns = Columns {
        ids: false,
        weight: args.weight_column.as_deref(),
        time: None,
    };
    let clock = std::time::Instant::now();
    let points = load(&args.points, &columns)?;
    let read_s = clock.elapsed().as_secs_f64();
    let bar = spinner(&format!(
        "density of {} points at {} cells",
        points.xs.len(),
        grid.len()
    ));
    let result = kde_grid(
        &grid,
        &points.xs,
        &points.ys,
        points.weights.as_deref(),
        args.kernel,
        args.bandwidth,
        accuracy,
    );
    bar.finish_and_clear();
    let result = result?;
    let compute_s = clock.elapsed().as_secs_f64() - read_s;
    let mut out = create(&args.out)?;
    writeln!(out, "cell_id,density")?;
    write_rows(&mut out, result.density.len(), |id, line| {
        line.extend_from_slice(itoa::Buffer::new().format(id).as_bytes());
        line.push(b',');
        line.extend_from_slice(ryu::Buffer::new().format(result.density[id]).as_bytes());
        line.push(b'\n');
    })?;
    out.flush()?;
    let write_s = clock.elapsed().as_secs_f64() - read_s - compute_s;
    println!(
        "{} points, {} cells: peak {:e}, truncation error ≤ {:e} ({:.1e} of the peak)",
        points.xs.len(),
        grid.len(),
        result.peak,
        result.truncation_bound,
        if result.peak > 0.0 {
            result.truncation_bound / result.peak
        } else {
            0.0
        }
    );
    println!("{}", phases(read_s, compute_s, write_s));
    Ok(())
}

/// Runs `analyze knox`.
pub fn knox(args: &KnoxArgs) -> anyhow::Result<()> {
    let columns = Columns {
        ids: false,
        weight: None,
        time: Some(&args.time_column),
    };
    let points = load(&args.points, &columns)?;
    let options = KnoxOptions {
        space_bands: args.space_bands.clone(),
        time_bands: args.time_bands.clone(),
        permutations: args.permutations,
        seed: args.seed,
    };
    let bar = indicatif::ProgressBar::new(args.permutations as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "permutations {bar:40} {pos}/{len} [{elapsed}<{eta}]",
        )
        .expect("template"),
    );
    let times = points.times.as_deref().unwrap_or_default();
    let budget = Budget {
        permutations: args.max_checks.map_or(u64::MAX, |b| b.max(0.0) as u64),
        counting: u64::MAX,
    };
    let result = knox_within(&points.xs, &points.ys, times, &options, budget, &mut |n| {
        bar.set_position(n as u64)
    });
    bar.finish_and_clear();
    let result = result?;
    std::fs::write(&args.out, serde_json::to_string_pretty(&result)?)
        .with_context(|| format!("writing {}", args.out.display()))?;
    println!(
        "{} events, {} pairs; closest bands (d ≤ {}, |Δt| ≤ {}): {} pairs, {:.2} expected{}",
        result.events,
        result.pairs,
        result.space_bands[0],
        result.time_bands[0],
        result.c[0][0],
        result.c_expected[0][0],
        result
            .p_c
            .first()
            .map_or(String::new(), |row| format!(", p = {}", row[0]))
    );
    Ok(())
}

/// Runs `analyze mclp`.
pub fn mclp_command(args: &MclpArgs) -> anyhow::Result<()> {
    let weight = match &args.weight_column {
        Some(w) => Some(w.clone()),
        None => has_column(&args.demand, "w")?.then(|| "w".to_string()),
    };
    let demand = load(
        &args.demand,
        &Columns {
            ids: false,
            weight: weight.as_deref(),
            time: None,
        },
    )?;
    let sites = load(
        &args.sites,
        &Columns {
            ids: true,
            ..Columns::default()
        },
    )?;
    let weights = demand
        .weights
        .clone()
        .unwrap_or_else(|| vec![1.0; demand.xs.len()]);
    if !(args.time_limit.is_finite() && args.time_limit >= 0.0) {
        anyhow::bail!(
            "--time-limit must be a number of seconds ≥ 0, got {}",
            args.time_limit
        );
    }
    let options = MclpOptions {
        time_limit: std::time::Duration::from_secs_f64(args.time_limit),
    };
    let bar = spinner("choosing sites");
    let result = mclp_with(
        &demand.xs,
        &demand.ys,
        &weights,
        &sites.xs,
        &sites.ys,
        args.radius,
        args.k,
        &options,
    );
    bar.finish_and_clear();
    let result = result?;
    let ids: Vec<&str> = result
        .sites
        .iter()
        .map(|&j| sites.ids[j].as_str())
        .collect();
    let body = serde_json::json!({
        "covered": result.covered,
        "sites": ids,
        "site_indices": result.sites,
        "upper_bound": result.upper_bound,
        "gap": result.gap,
        "proven_optimal": result.proven_optimal,
        "nodes": result.nodes,
        "total_weight": result.total_weight,
        "unreachable_weight": result.unreachable_weight,
        "radius": args.radius,
        "k": args.k,
    });
    std::fs::write(&args.out, serde_json::to_string_pretty(&body)?)
        .with_context(|| format!("writing {}", args.out.display()))?;
    println!(
        "{} sites cover {} of {} ({:.2}%); {}",
        args.k,
        result.covered,
        result.total_weight,
        100.0 * result.covered / result.total_weight.max(f64::MIN_POSITIVE),
        if result.proven_optimal {
            format!("proven optimal ({} branch-and-bound nodes)", result.nodes)
        } else {
            format!(
                "not proven within {} s: upper bound {} (gap {:.4}%)",
                args.time_limit,
                result.upper_bound,
                result.gap * 100.0
            )
        }
    );
    Ok(())
}
