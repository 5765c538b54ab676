//! `pingan`: the one binary. Subcommands: `serve`, `demo`, `migrate`, `import`, `export`, `analyze`,
//! `cases replay`, `audit verify`, `config print`.
//! Errors reach the user as one plain message (anyhow at the edge); exit code 1 on failure.

mod analyze;
mod backup;
mod security;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use pingan_server::{Config, demo};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "pingan",
    version,
    about = "平安 Pingan — grassroots public-safety platform"
)]
struct Cli {
    /// TOML configuration file (settings may also come from PINGAN_SECTION__KEY variables).
    #[arg(long, global = true, env = "PINGAN_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve,
    /// Create (once) a demo district and serve it; prints the URL and one login per role.
    Demo {
        #[arg(long, default_value_t = 8080)]
        port: u16,
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// Where the demo database lives (created if missing).
        #[arg(long, default_value = "data/demo")]
        data_dir: PathBuf,
        /// Seed for the generated district and passwords.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Also generate a district-year of this many closed incidents (e.g. 300000: a district of
        /// a million people) to try the analysis at its real size; once per database.
        #[arg(long, default_value_t = 0)]
        district_year: usize,
        /// The days the --district-year incidents are spread over (365; the dashboard benchmark
        /// uses 1095, three years).
        #[arg(long, default_value_t = 365)]
        history_days: i64,
    },
    /// Apply pending database migrations.
    Migrate,
    /// Print every code the platform stores and exchanges, as JSON {enum: [codes]} (pages never show these).
    Codes,
    /// Import reference data (all rows or none, unless --skip-bad).
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Analyses on files (planar coordinates taken as given).
    Analyze {
        #[command(subcommand)]
        command: AnalyzeCommand,
    },
    /// Export reference data.
    Export {
        #[command(subcommand)]
        command: ExportCommand,
    },
    /// Audit-log tools.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// An online, checked copy of the SQLite database (PostgreSQL: prints the pg_dump way).
    Backup {
        /// The new backup file (never overwritten).
        #[arg(long)]
        out: PathBuf,
    },
    /// Put a backup in place (the current database is kept aside), migrate it, verify the audit chain.
    Restore {
        /// The backup file.
        #[arg(long)]
        from: PathBuf,
        /// Replace an existing database (stop the server first).
        #[arg(long)]
        force: bool,
    },
    /// 执法监督 tools.
    Cases {
        #[command(subcommand)]
        command: CasesCommand,
    },
    /// 分片布警 tools.
    Patrol {
        #[command(subcommand)]
        command: PatrolCommand,
    },
    /// Configuration tools.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Accounts that are provisioned on the server host (the administrator roles, 三员).
    User {
        #[command(subcommand)]
        command: security::UserCommand,
    },
    /// Field-key rotation: what is still sealed under an older key, and re-sealing it now.
    Crypto {
        #[command(subcommand)]
        command: security::CryptoCommand,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Areas from CSV/XLSX: code,name,level,parent_code[,area_type,valid_from].
    Areas {
        file: PathBuf,
        /// Check every row and report; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Write the good rows and report the bad ones.
        #[arg(long)]
        skip_bad: bool,
    },
    /// Places from CSV/XLSX: name,kind,address,lng,lat[,crs,credit_code,contact_name,contact_phone].
    Places {
        file: PathBuf,
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        skip_bad: bool,
    },
    /// The base map: an MBTiles or PMTiles file (raster or vector tiles), replacing the one imported
    /// before. Served by every server at /basemap/{z}/{x}/{y}.
    Basemap { file: PathBuf },
    /// Grids from a GeoJSON FeatureCollection (properties code, name, kind).
    Grids {
        file: PathBuf,
        /// Coordinate system of the file: wgs84 (= cgcs2000), gcj02 or bd09.
        #[arg(long, default_value = "wgs84")]
        crs: String,
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        skip_bad: bool,
    },
}

#[derive(Subcommand)]
enum AnalyzeCommand {
    /// Point in polygon: which polygon holds each point (`id,x,y` in; `id,polygon_id` out, input order).
    Pip {
        #[arg(long)]
        points: PathBuf,
        #[arg(long)]
        polygons: PathBuf,
        /// Feature property holding the polygon id.
        #[arg(long, default_value = "id")]
        id_property: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// Getis-Ord Gi* hot spots on a grid (`cell_id,row,col,value,z,p` out).
    Gistar(analyze::GistarArgs),
    /// Kernel density at cell centres (`cell_id,density` out).
    Kde(analyze::KdeArgs),
    /// Near-repeat (Knox) space × time tables with Monte-Carlo p-values (JSON out).
    Knox(analyze::KnoxArgs),
    /// Maximal covering location: K patrol posts covering the most demand (JSON out).
    Mclp(analyze::MclpArgs),
}

#[derive(Subcommand)]
enum ExportCommand {
    /// All area outlines as a GeoJSON FeatureCollection (WGS-84), properties code, name, level.
    Areas {
        /// Output file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// All places as XLSX (contacts masked).
    Places {
        #[arg(long)]
        out: PathBuf,
    },
    /// All grids as a GeoJSON FeatureCollection (WGS-84), properties code, name, kind.
    Grids {
        /// Output file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk the SM3 hash chain; names the first broken record.
    Verify,
    /// Records of a period as JSON Lines, each with its sequence number and chain hashes, so the
    /// export can be checked link by link and kept beyond the database (retention, 等保).
    Export {
        /// First local date (China time), YYYY-MM-DD.
        #[arg(long)]
        from: String,
        /// Last local date, inclusive.
        #[arg(long)]
        to: String,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum CasesCommand {
    /// What the 网上巡查 engine finds in every case as of an instant (RFC 3339); writes nothing to the
    /// database. The same database and instant give the same output.
    Replay {
        #[arg(long)]
        as_of: String,
        /// JSON output file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Write seeded synthetic cases (about ten steps each) under the first police station, for
    /// benchmarks and load tests.
    Synth {
        #[arg(long, default_value_t = 100_000)]
        cases: usize,
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
}

#[derive(Subcommand)]
enum PatrolCommand {
    /// Check every post of a station's published plans for a day against all its units' tracks
    /// (read once); prints what was checked in and how long reading and checking took.
    Day {
        /// Local date, YYYY-MM-DD.
        #[arg(long)]
        date: String,
        /// The station's org id (default: the station of the first patrol zone).
        #[arg(long)]
        station: Option<String>,
    },
    /// Write a seeded synthetic patrol day for benchmarks: units with GPS devices pinging every
    /// 10 s from post to post, published plans holding the posts; times the GPS ingest against plain
    /// inserts of the same rows.
    Synth {
        #[arg(long)]
        date: String,
        #[arg(long, default_value_t = 200)]
        units: usize,
        #[arg(long, default_value_t = 500)]
        posts: usize,
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print the effective configuration (secrets masked).
    Print,
}

/// glibc raises its mmap threshold each time a large block is freed (up to 32 MiB); from then on
/// every large block — an argon2 check's 19 MiB, an import buffer, a batch of rows — is carved from a
/// per-thread arena that keeps the pages after the free. Measured (bench/login_burst): the demo idled
/// at 247 MB instead of 38 MB, and 300 parallel logins peaked at 546 MB instead of 96 MB. A fixed
/// threshold switches the adjustment off: blocks of 256 KiB and more are mapped and returned to the
/// system when freed. An operator's own `GLIBC_TUNABLES` malloc settings win.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn return_large_blocks_to_the_system() {
    if std::env::var("GLIBC_TUNABLES").is_ok_and(|t| t.contains("glibc.malloc.")) {
        return;
    }
    // SAFETY: mallopt only sets allocator parameters; called once, before any other thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_large_blocks_to_the_system() {}

fn main() {
    return_large_blocks_to_the_system();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PINGAN_LOG")
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    if let Err(e) = rt.block_on(run(cli)) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut config = Config::load(cli.config.as_deref())?;
    match cli.command {
        Command::Serve => {
            let db = pingan_server::app::open_db(&config).await?;
            pingan_server::serve(config, db, |addr| {
                println!("Pingan is listening on http://{addr}/");
            })
            .await
        }
        Command::Demo {
            port,
            host,
            data_dir,
            seed,
            district_year,
            history_days,
        } => {
            run_demo(
                config,
                host,
                port,
                data_dir,
                seed,
                (district_year, history_days),
            )
            .await
        }
        Command::Codes => {
            let all: serde_json::Map<String, serde_json::Value> = pingan_domain::codes::all()
                .into_iter()
                .map(|(name, codes)| (name.to_string(), serde_json::json!(codes)))
                .collect();
            println!("{}", serde_json::to_string_pretty(&all)?);
            Ok(())
        }
        Command::Migrate => {
            let db = pingan_server::app::open_db(&config).await?;
            let v = pingan_store::migrate::current_version(&db).await?;
            println!(
                "database {} is at schema version {v}",
                pingan_server::config::mask_url_password(&config.database_url())
            );
            Ok(())
        }
        Command::Import {
            command:
                ImportCommand::Areas {
                    file,
                    dry_run,
                    skip_bad,
                },
        } => import_areas(&config, &file, dry_run, skip_bad).await,
        Command::Import {
            command:
                ImportCommand::Grids {
                    file,
                    crs,
                    dry_run,
                    skip_bad,
                },
        } => import_grids(&config, &file, &crs, dry_run, skip_bad).await,
        Command::Export {
            command: ExportCommand::Grids { out },
        } => export_grids(&config, out.as_deref()).await,
        Command::Import {
            command: ImportCommand::Basemap { file },
        } => {
            let db = pingan_server::app::open_db(&config).await?;
            let b =
                pingan_server::basemap::import_file(&db, &file, pingan_store::now_micros()).await?;
            println!(
                "imported base map \"{}\": {} tiles ({}), zoom {}–{}",
                b.meta.name, b.meta.tile_count, b.meta.format, b.meta.min_zoom, b.meta.max_zoom
            );
            if b.meta.format == "pbf" {
                eprintln!(
                    "note: vector tiles are stored and served; the maps draw raster base maps only"
                );
            }
            Ok(())
        }
        Command::Import {
            command:
                ImportCommand::Places {
                    file,
                    dry_run,
                    skip_bad,
                },
        } => import_places(&config, &file, dry_run, skip_bad).await,
        Command::Export {
            command: ExportCommand::Areas { out },
        } => export_areas(&config, out.as_deref()).await,
        Command::Export {
            command: ExportCommand::Places { out },
        } => {
            let db = pingan_server::app::open_db(&config).await?;
            let n = pingan_server::grid::import::places::export(
                &db,
                &config.field_cipher()?,
                &whole_system(),
                &out,
            )
            .await?;
            println!("exported {n} places to {}", out.display());
            Ok(())
        }
        Command::Analyze {
            command:
                AnalyzeCommand::Pip {
                    points,
                    polygons,
                    id_property,
                    out,
                },
        } => analyze_pip(&points, &polygons, &id_property, &out),
        Command::Analyze {
            command: AnalyzeCommand::Gistar(args),
        } => analyze::gistar(&args),
        Command::Analyze {
            command: AnalyzeCommand::Kde(args),
        } => analyze::kde(&args),
        Command::Analyze {
            command: AnalyzeCommand::Knox(args),
        } => analyze::knox(&args),
        Command::Analyze {
            command: AnalyzeCommand::Mclp(args),
        } => analyze::mclp_command(&args),
        Command::Cases {
            command: CasesCommand::Replay { as_of, out },
        } => {
            let at: jiff::Timestamp = as_of.parse().with_context(|| {
                format!("--as-of {as_of:?} is not an RFC 3339 time like 2026-11-01T00:00:00+08:00")
            })?;
            let db = pingan_server::app::open_db(&config).await?;
            let book = config.cases.rule_book()?;
            let started = std::time::Instant::now();
            let findings =
                pingan_server::cases::inspect::replay(&db, &book, at.as_microsecond()).await?;
            let json = serde_json::to_string_pretty(&findings)?;
            let took = started.elapsed();
            match out {
                Some(p) => std::fs::write(&p, json + "\n")
                    .with_context(|| format!("writing {}", p.display()))?,
                None => println!("{json}"),
            }
            eprintln!(
                "{} findings as of {at} (read and evaluated in {:.2} s)",
                findings.len(),
                took.as_secs_f64()
            );
            Ok(())
        }
        Command::Patrol {
            command:
                PatrolCommand::Synth {
                    date,
                    units,
                    posts,
                    seed,
                },
        } => {
            let day: jiff::civil::Date = date
                .parse()
                .with_context(|| format!("--date {date:?} is not a date like 2026-12-01"))?;
            let db = pingan_server::app::open_db(&config).await?;
            let r =
                pingan_server::patrol::day::write_synthetic(&db, units, posts, day, seed).await?;
            eprintln!(
                "wrote {} units, {} posts, {} pings; ingest {:.2} s ({:.0} pings/s), plain inserts {:.2} s ({:.0} pings/s): ingest at {:.0} % of plain",
                r.units,
                r.posts,
                r.pings,
                r.ingest_seconds,
                r.pings as f64 / r.ingest_seconds,
                r.raw_seconds,
                r.pings as f64 / r.raw_seconds,
                r.raw_seconds / r.ingest_seconds * 100.0
            );
            println!("{}", serde_json::to_string(&r)?);
            Ok(())
        }
        Command::Patrol {
            command: PatrolCommand::Day { date, station },
        } => {
            let day: jiff::civil::Date = date
                .parse()
                .with_context(|| format!("--date {date:?} is not a date like 2026-12-01"))?;
            let db = pingan_server::app::open_db(&config).await?;
            let station = match station {
                Some(s) => s,
                None => {
                    let first: Option<(String,)> = db
                        .fetch_optional(
                            "SELECT station_org_id FROM patrol_zones ORDER BY name LIMIT 1",
                            vec![],
                        )
                        .await?;
                    first
                        .map(|f| f.0)
                        .context("no patrol zone: run `pingan demo` first")?
                }
            };
            let started = std::time::Instant::now();
            let r =
                pingan_server::patrol::day::station_day(&db, &config.patrol, &station, day).await?;
            eprintln!(
                "{}: {} plans, {} posts, {} checked in; {} units, {} fixes; read {:.2} s, checked {:.2} s, {:.2} s in all",
                r.date,
                r.plans,
                r.posts,
                r.checked,
                r.units,
                r.fixes,
                r.read_seconds,
                r.check_seconds,
                started.elapsed().as_secs_f64()
            );
            println!("{}", serde_json::to_string(&r)?);
            Ok(())
        }
        Command::Backup { out } => backup::backup(&config, &out).await,
        Command::Restore { from, force } => backup::restore(&config, &from, force).await,
        Command::Cases {
            command: CasesCommand::Synth { cases, seed },
        } => {
            let db = pingan_server::app::open_db(&config).await?;
            let start = std::time::Instant::now();
            let steps = pingan_server::cases::inspect::write_synthetic(
                &db,
                cases,
                seed,
                pingan_store::now_micros(),
            )
            .await?;
            eprintln!(
                "wrote {cases} synthetic cases with {steps} steps in {:.1} s",
                start.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Audit {
            command: AuditCommand::Export { from, to, out },
        } => {
            let day = |flag: &str, v: &str| -> anyhow::Result<i64> {
                let d: jiff::civil::Date = v
                    .parse()
                    .with_context(|| format!("{flag} {v:?} is not a date like 2026-11-30"))?;
                let utc = d.to_zoned(jiff::tz::TimeZone::UTC)?.timestamp().as_second();
                Ok((utc - pingan_domain::time::SHANGHAI_OFFSET_SECONDS) * 1_000_000)
            };
            let start = day("--from", &from)?;
            let end = day("--to", &to)? + 86_400_000_000;
            if end <= start {
                bail!("--to is before --from");
            }
            let db = pingan_server::app::open_db(&config).await?;
            let mut w = std::io::BufWriter::new(
                std::fs::File::create(&out)
                    .with_context(|| format!("creating {}", out.display()))?,
            );
            let (mut after, mut n, mut first) = (0i64, 0u64, None);
            loop {
                let rows = pingan_store::audit::range(&db, start, end, after, 5000).await?;
                let Some(last) = rows.last() else { break };
                after = last.seq;
                for r in &rows {
                    first.get_or_insert(r.seq);
                    use std::io::Write;
                    serde_json::to_writer(&mut w, r)?;
                    w.write_all(b"\n")?;
                    n += 1;
                }
            }
            use std::io::Write;
            w.flush()?;
            match first {
                Some(f) => println!(
                    "{n} audit records (seq {f}–{after}) from {from} to {to} written to {}",
                    out.display()
                ),
                None => println!(
                    "no audit records from {from} to {to}; {} is empty",
                    out.display()
                ),
            }
            Ok(())
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let db = pingan_server::app::open_db(&config).await?;
            let r = pingan_store::audit::verify(&db).await?;
            match r.broken {
                None => {
                    println!(
                        "audit chain intact: {} records verified (head {})",
                        r.verified, r.head_seq
                    );
                    Ok(())
                }
                Some(b) => bail!(
                    "audit chain broken at record {}: {b} ({} records before it verified)",
                    b.seq(),
                    r.verified
                ),
            }
        }
        Command::User { command } => security::user(&config, command).await,
        Command::Crypto { command } => security::crypto(&config, command).await,
        Command::Config {
            command: ConfigCommand::Print,
        } => {
            config.validate()?;
            print!("{}", config.redacted());
            config.server.data_dir.clear();
            Ok(())
        }
    }
}

async fn run_demo(
    mut config: Config,
    host: String,
    port: u16,
    data_dir: PathBuf,
    seed: u64,
    (district_year, history_days): (usize, i64),
) -> anyhow::Result<()> {
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    config.server.data_dir = data_dir.display().to_string();
    config.server.listen = format!("{host}:{port}");
    // The seed the demo was created with decides the passwords; keep it beside the database.
    let seed_file = data_dir.join("demo-seed");
    let seed = match std::fs::read_to_string(&seed_file) {
        Ok(s) if config.database.url.is_empty() => s.trim().parse().unwrap_or(seed),
        _ => seed,
    };
    let db = pingan_server::app::open_db(&config).await?;
    let (summary, history) = demo::ensure_all(&db, &config, seed).await?;
    std::fs::write(&seed_file, seed.to_string())?;
    if summary.created {
        eprintln!(
            "created demo district: {} areas, {} grids (seed {seed})",
            summary.areas, summary.grids
        );
    }
    if history > 0 {
        eprintln!("added {history} closed incidents of the last 400 days for 信息研判");
    }
    if district_year > 0 {
        let started = std::time::Instant::now();
        let n = pingan_server::analysis::demo::ensure_district_year(
            &db,
            district_year,
            history_days,
            seed,
        )
        .await?;
        if n > 0 {
            eprintln!(
                "added a district-year: {n} closed incidents over the last {history_days} days ({:.1} s)",
                started.elapsed().as_secs_f64()
            );
        }
    }
    // The demo's own base map, drawn once from its geography, unless one was imported.
    if config.map.tile_url.is_empty() && pingan_store::basemap::meta(&db).await?.is_none() {
        let b = pingan_server::basemap::demo_basemap(&db, pingan_store::now_micros()).await?;
        eprintln!(
            "drew the demo base map: {} tiles, zoom {}–{} (synthetic, not surveyed)",
            b.meta.tile_count, b.meta.min_zoom, b.meta.max_zoom
        );
    }
    let logins = summary.logins;
    if config.dispatch.camera_webhook_secret.is_empty() {
        config.dispatch.camera_webhook_secret = pingan_server::dispatch::demo::camera_secret(seed);
    }
    let camera_secret = config.dispatch.camera_webhook_secret.clone();
    if config.server.metrics_listen.is_empty() {
        config.server.metrics_listen = "token".into();
        config.server.metrics_token = pingan_server::dispatch::demo::metrics_token(seed);
    }
    let metrics = match config.server.metrics_listen.as_str() {
        "token" => format!(
            "/metrics with header \"Authorization: Bearer {}\"",
            config.server.metrics_token
        ),
        addr => format!("http://{addr}/metrics"),
    };
    pingan_server::serve(config, db, move |addr| {
        println!("Pingan demo is running at http://{addr}/");
        println!("Demo logins (username / password / role):");
        for l in &logins {
            println!(
                "  login: {} / {} / {} / {}",
                l.username,
                l.password,
                l.role.code(),
                l.role.label_zh()
            );
            if let Some(secret) = &l.totp_secret {
                println!("    second factor (TOTP) of {}: {secret}", l.username);
            }
        }
        println!("  camera webhook secret: {camera_secret}");
        println!("  metrics: {metrics}");
        println!("  resident report form: http://{addr}/report   Open311: http://{addr}/open311/v2/services.xml");
        use std::io::Write;
        let _ = std::io::stdout().flush();
    })
    .await
}

async fn import_areas(
    config: &Config,
    file: &std::path::Path,
    dry_run: bool,
    skip_bad: bool,
) -> anyhow::Result<()> {
    use pingan_server::grid::import;
    let table = import::Table::read(file)?;
    let db = pingan_server::app::open_db(config).await?;
    let bar = indicatif::ProgressBar::new(table.rows.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} rows").expect("template"),
    );
    let opts = import::ImportOptions { dry_run, skip_bad };
    let report = import::areas::import(
        &db,
        &table,
        opts,
        &import::ImportActor::cli(),
        &whole_system(),
        |n| bar.set_position(n as u64),
    )
    .await;
    bar.finish_and_clear();
    let report = report?;
    for e in &report.skipped {
        eprintln!("skipped {e}");
    }
    let verb = if report.dry_run {
        "would create"
    } else {
        "created"
    };
    println!(
        "{}: {verb} {}, updated {}, bad rows {}",
        file.display(),
        report.created,
        report.updated,
        report.skipped.len()
    );
    if report.dry_run && !report.skipped.is_empty() {
        bail!("{} bad row(s)", report.skipped.len());
    }
    Ok(())
}

async fn import_grids(
    config: &Config,
    file: &std::path::Path,
    crs: &str,
    dry_run: bool,
    skip_bad: bool,
) -> anyhow::Result<()> {
    use pingan_server::grid::import;
    let crs: pingan_geo::Crs = crs.parse().map_err(|e| anyhow::anyhow!("--crs: {e}"))?;
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let db = pingan_server::app::open_db(config).await?;
    let bar = indicatif::ProgressBar::new_spinner();
    let opts = import::ImportOptions { dry_run, skip_bad };
    // The CLI runs on the server as its operator: the whole area tree is in scope.
    let all = pingan_domain::Scope::new(vec![pingan_domain::ScopeGrant {
        kind: pingan_domain::ScopeKind::Area,
        path: "/".into(),
    }]);
    let result = import::grids::import(
        &db,
        &text,
        crs,
        opts,
        &import::ImportActor::cli(),
        &all,
        |n| bar.set_position(n as u64),
    )
    .await;
    bar.finish_and_clear();
    let r = result?;
    for e in &r.report.skipped {
        eprintln!("skipped {e}");
    }
    for g in &r.gaps {
        eprintln!(
            "gap: village {} has {:.0} m² that no grid covers, at {:.6},{:.6}",
            g.village, g.area_m2, g.at[0], g.at[1]
        );
    }
    let verb = if dry_run { "would create" } else { "created" };
    println!(
        "{}: {verb} {}, updated {}, bad features {}, gaps {}",
        file.display(),
        r.report.created,
        r.report.updated,
        r.report.skipped.len(),
        r.gaps.len()
    );
    if dry_run && !r.report.skipped.is_empty() {
        bail!("{} bad feature(s)", r.report.skipped.len());
    }
    Ok(())
}

async fn export_grids(config: &Config, out: Option<&std::path::Path>) -> anyhow::Result<()> {
    let db = pingan_server::app::open_db(config).await?;
    let all = pingan_domain::Scope::new(vec![pingan_domain::ScopeGrant {
        kind: pingan_domain::ScopeKind::Area,
        path: "/".into(),
    }]);
    let rows = pingan_store::grids::list(&db, &all, None).await?;
    let features: Vec<serde_json::Value> = rows
        .iter()
        .map(|g| {
            serde_json::json!({
                "type": "Feature",
                "geometry": serde_json::from_str::<serde_json::Value>(&g.geometry).unwrap_or(serde_json::Value::Null),
                "properties": {"code": g.code, "name": g.name, "kind": g.kind, "village_code": g.village_code},
            })
        })
        .collect();
    let doc = serde_json::json!({"type": "FeatureCollection", "features": features});
    let text = serde_json::to_string_pretty(&doc)?;
    match out {
        Some(p) => std::fs::write(p, text).with_context(|| format!("writing {}", p.display()))?,
        None => println!("{text}"),
    }
    eprintln!("exported {} grids", rows.len());
    Ok(())
}

fn analyze_pip(
    points: &std::path::Path,
    polygons: &std::path::Path,
    id_property: &str,
    out: &std::path::Path,
) -> anyhow::Result<()> {
    let layer = std::fs::read_to_string(polygons)
        .with_context(|| format!("reading {}", polygons.display()))?;
    let input = std::io::BufReader::new(
        std::fs::File::open(points).with_context(|| format!("reading {}", points.display()))?,
    );
    let output = std::io::BufWriter::new(
        std::fs::File::create(out).with_context(|| format!("creating {}", out.display()))?,
    );
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {pos} points").expect("template"),
    );
    let stats = pingan_geo::pip_csv(input, &layer, id_property, output, |n| bar.set_position(n))
        .map_err(|e| anyhow::anyhow!("{}: {e}", points.display()))?;
    bar.finish_and_clear();
    println!(
        "{} points: {} in a polygon, {} in none ({} polygons, {} vertices{})",
        stats.points,
        stats.matched,
        stats.unmatched,
        stats.polygons,
        stats.vertices,
        if stats.features_with_problems > 0 {
            format!(", {} with geometry problems", stats.features_with_problems)
        } else {
            String::new()
        }
    );
    Ok(())
}

fn whole_system() -> pingan_domain::Scope {
    pingan_domain::Scope::new(vec![pingan_domain::ScopeGrant {
        kind: pingan_domain::ScopeKind::Area,
        path: "/".into(),
    }])
}

async fn import_places(
    config: &Config,
    file: &std::path::Path,
    dry_run: bool,
    skip_bad: bool,
) -> anyhow::Result<()> {
    use pingan_server::grid::import;
    let table = import::Table::read(file)?;
    let db = pingan_server::app::open_db(config).await?;
    let bar = indicatif::ProgressBar::new(table.rows.len() as u64);
    let opts = import::ImportOptions { dry_run, skip_bad };
    let report = import::places::import(
        &db,
        &config.field_cipher()?,
        &table,
        opts,
        &import::ImportActor::cli(),
        &whole_system(),
        |n| bar.set_position(n as u64),
    )
    .await;
    bar.finish_and_clear();
    let report = report?;
    for e in &report.skipped {
        eprintln!("skipped {e}");
    }
    let verb = if dry_run { "would create" } else { "created" };
    println!(
        "{}: {verb} {}, bad rows {}",
        file.display(),
        report.created,
        report.skipped.len()
    );
    if dry_run && !report.skipped.is_empty() {
        bail!("{} bad row(s)", report.skipped.len());
    }
    Ok(())
}

async fn export_areas(config: &Config, out: Option<&std::path::Path>) -> anyhow::Result<()> {
    let db = pingan_server::app::open_db(config).await?;
    let all = whole_system();
    let areas = pingan_store::areas::list(&db, &all, None, None).await?;
    let shapes = pingan_store::areas::shapes(&db, &all).await?;
    let features: Vec<serde_json::Value> = shapes
        .iter()
        .filter_map(|s| {
            let a = areas.iter().find(|a| a.code == s.code)?;
            Some(serde_json::json!({
                "type": "Feature",
                "geometry": serde_json::from_str::<serde_json::Value>(&s.geometry).ok()?,
                "properties": {"code": a.code, "name": a.name, "level": a.level, "parent_code": a.parent_code, "valid_from": a.valid_from},
            }))
        })
        .collect();
    let n = features.len();
    let text = serde_json::to_string_pretty(
        &serde_json::json!({"type": "FeatureCollection", "features": features}),
    )?;
    match out {
        Some(p) => std::fs::write(p, text).with_context(|| format!("writing {}", p.display()))?,
        None => println!("{text}"),
    }
    eprintln!("exported {n} area outlines");
    Ok(())
}
