//! `pingan backup` and `pingan restore`. SQLite: an online, consistent copy (`VACUUM INTO`, readers and
//! writers may go on meanwhile), checked before it is reported; restore checks the file, sets the
//! current database aside (never deletes it), puts the backup in place, applies pending migrations and
//! walks the audit chain. PostgreSQL: the tools of the database itself — the command prints them.

use anyhow::{Context, bail};
use pingan_server::Config;
use std::path::{Path, PathBuf};

/// What to run instead for PostgreSQL.
const PG_GUIDANCE: &str = "PostgreSQL: back up with the database's own tools, e.g.\n  \
    pg_dump --format=custom --file=pingan-$(date +%F).dump \"$PINGAN_DATABASE__URL\"\n\
restore into an empty database with\n  \
    pg_restore --no-owner --dbname=\"$PINGAN_DATABASE__URL\" pingan-YYYY-MM-DD.dump\n\
then run `pingan audit verify`. Keep the field-encryption key (crypto.field_key or its key file) with the\n\
dump: without it the sealed personal data cannot be read.";

fn sqlite_path(config: &Config) -> anyhow::Result<PathBuf> {
    let url = config.database_url();
    match url.strip_prefix("sqlite:") {
        Some(p) => Ok(PathBuf::from(p.split('?').next().unwrap_or(p))),
        None => bail!("{PG_GUIDANCE}"),
    }
}

/// `'…'` with quotes doubled: VACUUM INTO takes an expression, and a path is data.
fn sql_string(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', "''"))
}

/// Opens a SQLite file read-only and checks it is a whole Pingan database: integrity, and a schema
/// this binary knows. Returns its schema version.
async fn check_file(path: &Path) -> anyhow::Result<i64> {
    let db = pingan_store::Db::open_sqlite_read_only(path)
        .await
        .with_context(|| format!("{} is not a readable SQLite database", path.display()))?;
    let (check,): (String,) = db
        .fetch_one("PRAGMA integrity_check", pingan_store::args![])
        .await
        .with_context(|| format!("{} is not a SQLite database", path.display()))?;
    if check != "ok" {
        bail!("{}: integrity check failed: {check}", path.display());
    }
    let version = pingan_store::migrate::current_version(&db)
        .await
        .with_context(|| format!("{} is not a Pingan database", path.display()))?;
    db.close().await;
    if version == 0 {
        bail!("{} holds no Pingan schema", path.display());
    }
    if version > pingan_store::migrate::latest_version() {
        bail!(
            "{} has schema version {version}, newer than this binary knows ({}); use a newer pingan",
            path.display(),
            pingan_store::migrate::latest_version()
        );
    }
    Ok(version)
}

pub async fn backup(config: &Config, out: &Path) -> anyhow::Result<()> {
    let src = sqlite_path(config)?;
    if !src.exists() {
        bail!("no database at {}", src.display());
    }
    if out.exists() {
        bail!(
            "{} exists already; choose a new file (a backup never overwrites)",
            out.display()
        );
    }
    let db = pingan_server::app::open_db(config).await?;
    db.execute(
        &format!("VACUUM INTO {}", sql_string(out)),
        pingan_store::args![],
    )
    .await
    .with_context(|| format!("writing {}", out.display()))?;
    db.close().await;
    let version = check_file(out).await?;
    let size = std::fs::metadata(out)?.len();
    println!(
        "backup written: {} ({size} bytes, schema version {version}); keep the field-encryption key with it",
        out.display()
    );
    Ok(())
}

pub async fn restore(config: &Config, from: &Path, force: bool) -> anyhow::Result<()> {
    let target = sqlite_path(config)?;
    if !from.exists() {
        bail!("no backup at {}", from.display());
    }
    check_file(from).await?;
    if target.exists() {
        if !force {
            bail!(
                "{} exists; stop the server and pass --force to replace it (it is kept beside as *.before-restore-*)",
                target.display()
            );
        }
        let stamp = jiff::Timestamp::now()
            .strftime("%Y%m%dT%H%M%SZ")
            .to_string();
        let aside = target.with_extension(format!("db.before-restore-{stamp}"));
        // A consistent copy of the current state first (the WAL folded in), then the files moved away.
        let db =
            pingan_store::Db::connect(&format!("sqlite:{}", target.display()), &Default::default())
                .await?;
        db.execute(
            &format!("VACUUM INTO {}", sql_string(&aside)),
            pingan_store::args![],
        )
        .await
        .with_context(|| format!("setting the current database aside as {}", aside.display()))?;
        db.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let f = PathBuf::from(format!("{}{suffix}", target.display()));
            if f.exists() {
                std::fs::remove_file(&f).with_context(|| format!("removing {}", f.display()))?;
            }
        }
        eprintln!(
            "the database before the restore is kept as {}",
            aside.display()
        );
    } else if let Some(dir) = target.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::copy(from, &target)
        .with_context(|| format!("copying {} to {}", from.display(), target.display()))?;
    let db = pingan_server::app::open_db(config).await?;
    let r = pingan_store::audit::verify(&db).await?;
    if let Some(b) = r.broken {
        bail!(
            "restored, but the audit chain is broken at record {}: {b}",
            b.seq()
        );
    }
    println!(
        "restored {} from {}: audit chain intact ({} records)",
        target.display(),
        from.display(),
        r.verified
    );
    Ok(())
}
