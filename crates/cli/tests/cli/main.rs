//! The `pingan` binary as a user runs it: demo start-up, `audit verify` on an intact and on a tampered
//! chain (SQLite and PostgreSQL), `migrate`, `config print`, and clear errors for bad configuration.

use pingan_store::testing::{TestDb, postgres_url};
use pingan_store::{Backend, Db};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_pingan");

fn temp_dir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!(
        "pingan-cli-{tag}-{}-{}",
        std::process::id(),
        pingan_store::new_id()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Starts `pingan demo` on a free port, waits for the URL and the logins, then stops it.
fn run_demo_once(data_dir: &std::path::Path, db_url: Option<&str>) -> Vec<String> {
    let mut cmd = Command::new(BIN);
    cmd.args(["demo", "--port", "0", "--seed", "11", "--data-dir"])
        .arg(data_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(u) = db_url {
        cmd.env("PINGAN_DATABASE__URL", u);
    }
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut lines = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let done = line.contains("login: partner");
        lines.push(line);
        if done || Instant::now() > deadline {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    lines
}

fn verify(db_url: &str) -> (bool, String) {
    let out = Command::new(BIN)
        .args(["audit", "verify"])
        .env("PINGAN_DATABASE__URL", db_url)
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

async fn tamper(db: &Db, seq: i64) {
    let disable = match db {
        Db::Sqlite(..) => "DROP TRIGGER audit_log_no_update",
        Db::Postgres(_) => "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
    };
    db.execute(disable, vec![]).await.unwrap();
    let n = db
        .execute(
            "UPDATE audit_log SET detail = '{\"forged\":true}' WHERE seq = ?",
            vec![seq.into()],
        )
        .await
        .unwrap();
    assert_eq!(n, 1);
}

async fn verify_then_tamper(db_url: &str, db: &Db) {
    let (ok, out) = verify(db_url);
    assert!(ok, "verify on the fresh demo failed: {out}");
    assert!(out.contains("audit chain intact"), "{out}");
    // Generate a few more records through a login cycle is not needed: the demo already wrote one; add more.
    for i in 0..4 {
        db.audit(vec![pingan_domain_entry(i)]).await.unwrap();
    }
    let (ok, _) = verify(db_url);
    assert!(ok);
    tamper(db, 3).await;
    let (ok, out) = verify(db_url);
    assert!(!ok, "tampering went unnoticed: {out}");
    assert!(out.contains("audit chain broken at record 3"), "{out}");
}

fn pingan_domain_entry(i: i64) -> pingan_domain::audit::AuditEntry {
    pingan_domain::audit::AuditEntry {
        at: 1_780_000_000_000_000 + i,
        actor_id: None,
        actor_name: "test".into(),
        action: "test.write".into(),
        object_type: "thing".into(),
        object_id: Some(i.to_string()),
        outcome: pingan_domain::audit::AuditOutcome::Ok,
        purpose: None,
        ip: None,
        detail: "{}".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_prints_logins_and_audit_verify_locates_tampering_sqlite() {
    let dir = temp_dir("demo");
    let lines = run_demo_once(&dir, None);
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("Pingan demo is running at http://127.0.0.1:")),
        "{lines:?}"
    );
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("  login: ")).count(),
        16,
        "{lines:?}"
    );
    let url = format!("sqlite:{}", dir.join("pingan.db").display());
    let db = Db::connect(&url, &Default::default()).await.unwrap();
    verify_then_tamper(&url, &db).await;
    // A rerun keeps the data and prints the same passwords.
    db.close().await;
    let again = run_demo_once(&dir, None);
    let logins = |v: &[String]| {
        v.iter()
            .filter(|l| l.contains("login:"))
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(logins(&again), logins(&lines));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_and_audit_verify_on_postgres() {
    let Some(base) = postgres_url("demo_and_audit_verify_on_postgres") else {
        return;
    };
    let t = TestDb::new(Backend::Postgres, "cli-pg").await.unwrap();
    let schema = t.pg_schema.clone().unwrap();
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-csearch_path%3D{schema}");
    let dir = temp_dir("pg");
    let lines = run_demo_once(&dir, Some(&url));
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("Pingan demo is running at")),
        "{lines:?}"
    );
    let (n,): (i64,) =
        t.db.fetch_one("SELECT COUNT(*) FROM grids", vec![])
            .await
            .unwrap();
    assert_eq!(n, 40);
    verify_then_tamper(&url, &t.db).await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn migrate_and_config_print() {
    let dir = temp_dir("cfg");
    let url = format!("sqlite:{}", dir.join("p.db").display());
    let out = Command::new(BIN)
        .arg("migrate")
        .env("PINGAN_DATABASE__URL", &url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected = format!("schema version {}", pingan_store::migrate::latest_version());
    assert!(String::from_utf8_lossy(&out.stdout).contains(&expected));
    let out = Command::new(BIN)
        .args(["config", "print"])
        .env(
            "PINGAN_DATABASE__URL",
            "postgres://pingan:s3cret@db.internal/pingan",
        )
        .env("PINGAN_AUTH__LOCKOUT_MINUTES", "45")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(text.contains("lockout_minutes = 45"), "{text}");
    assert!(
        text.contains("postgres://pingan:***@db.internal/pingan"),
        "{text}"
    );
    assert!(!text.contains("s3cret"));
    // A misspelt setting is an error naming it, not a silent default.
    let f = dir.join("bad.toml");
    std::fs::write(&f, "[auth]\nlockout_minuts = 5\n").unwrap();
    let out = Command::new(BIN)
        .args(["config", "print", "--config"])
        .arg(&f)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("lockout_minuts"));
    std::fs::remove_dir_all(&dir).unwrap();
}

fn import_areas(url: &str, file: &std::path::Path, extra: &[&str]) -> (bool, String) {
    let out = Command::new(BIN)
        .args(["import", "areas"])
        .arg(file)
        .args(extra)
        .env("PINGAN_DATABASE__URL", url)
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// The real 诸暨市 division table (23 townships/streets, 515 villages/communities) imports whole; one broken row makes the
/// import write nothing and name the row and column; `--skip-bad` writes the rest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_real_division_table_all_or_nothing() {
    let dir = temp_dir("import");
    let url = format!("sqlite:{}", dir.join("p.db").display());
    let real = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/zhuji-330681-divisions.csv");
    let text = std::fs::read_to_string(&real).unwrap();
    let broken = dir.join("broken.csv");
    // Row 41 (a village of 暨阳街道) gets a code that does not lie under its stated parent.
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    assert!(lines[40].ends_with(",village,330681001"), "{}", lines[40]);
    lines[40] = "330681109999,错位村,village,330681001".into();
    std::fs::write(&broken, lines.join("\n")).unwrap();
    let (ok, out) = import_areas(&url, &broken, &[]);
    assert!(!ok, "{out}");
    assert!(out.contains("row 41, column parent_code"), "{out}");
    let (ok, out) = import_areas(&url, &real, &["--dry-run"]);
    assert!(ok, "{out}");
    assert!(out.contains("would create 539"), "{out}");
    let db = Db::connect(&url, &Default::default()).await.unwrap();
    let (n,): (i64,) = db
        .fetch_one("SELECT COUNT(*) FROM areas", vec![])
        .await
        .unwrap();
    assert_eq!(n, 0, "a failed or dry-run import wrote rows");
    let (ok, out) = import_areas(&url, &broken, &["--skip-bad"]);
    assert!(ok, "{out}");
    assert!(
        out.contains("created 538") && out.contains("bad rows 1"),
        "{out}"
    );
    let (ok, out) = import_areas(&url, &real, &[]);
    assert!(ok, "{out}");
    assert!(out.contains("created 1, updated 538"), "{out}");
    let (n,): (i64,) = db
        .fetch_one("SELECT COUNT(*) FROM areas WHERE level = 'village'", vec![])
        .await
        .unwrap();
    assert_eq!(n, 515);
    let (name,): (String,) = db
        .fetch_one("SELECT name FROM areas WHERE code = '330681109'", vec![])
        .await
        .unwrap();
    assert_eq!(name, "枫桥镇");
    let (ok, out) = verify(&url);
    assert!(ok, "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}

fn run(url: &str, args: &[&str]) -> (bool, String) {
    let mut cmd = Command::new(BIN);
    cmd.args(args).env("PINGAN_DATABASE__URL", url);
    // The field key (made on first use) lives beside the test's database, not in the working folder.
    if let Some(dir) = url
        .strip_prefix("sqlite:")
        .and_then(|p| std::path::Path::new(p).parent())
    {
        cmd.env("PINGAN_SERVER__DATA_DIR", dir);
    }
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// Exports the demo's grids, breaks one polygon and makes two sibling grids overlap, and imports the
/// layer into the demo district with its grids removed: both findings are reported precisely and
/// nothing is written; `--skip-bad` writes the 37 good grids and reports the gaps the missing ones
/// leave; the intact layer then imports whole. A GCJ-02 copy of the layer lands back on WGS-84.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_grids_reports_broken_and_overlapping_polygons() {
    let dir = temp_dir("grids");
    run_demo_once(&dir, None);
    let url = format!("sqlite:{}", dir.join("pingan.db").display());
    let layer = dir.join("grids.geojson");
    let (ok, out) = run(&url, &["export", "grids", "--out", layer.to_str().unwrap()]);
    assert!(ok && out.contains("exported 40 grids"), "{out}");
    let areas_file = dir.join("areas.geojson");
    let (ok, out) = run(
        &url,
        &["export", "areas", "--out", areas_file.to_str().unwrap()],
    );
    // 3 townships + 12 villages have outlines in the demo.
    assert!(ok && out.contains("exported 15 area outlines"), "{out}");
    let areas_doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&areas_file).unwrap()).unwrap();
    assert!(
        areas_doc["features"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["properties"]["name"] == "枫桥镇")
    );
    let original: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&layer).unwrap()).unwrap();
    let mut doc = original.clone();
    let features = doc["features"].as_array_mut().unwrap();
    // Feature 6: drop the closing position (an unclosed ring).
    features[5]["geometry"]["coordinates"][0]
        .as_array_mut()
        .unwrap()
        .pop();
    // Features 10 and 11 (two grids of one village): the second takes the first's shape.
    assert_eq!(
        features[9]["properties"]["village_code"],
        features[10]["properties"]["village_code"]
    );
    features[10]["geometry"] = features[9]["geometry"].clone();
    let broken = dir.join("broken.geojson");
    std::fs::write(&broken, serde_json::to_string(&doc).unwrap()).unwrap();
    let code = |i: usize| {
        original["features"][i]["properties"]["code"]
            .as_str()
            .unwrap()
            .to_string()
    };

    let db = Db::connect(&url, &Default::default()).await.unwrap();
    // Start from no grids: drop what refers to them first (the demo's disputes, incidents and cameras).
    for table in [
        "dispute_followups",
        "agreement_terms",
        "dispute_agreements",
        "dispute_events",
        "dispute_parties",
        "dispute_sessions",
        "dispute_orgs",
        "dispute_alerts",
        "dispute_extensions",
        "disputes",
        "campaign_grids",
        "footage_requests",
        "camera_status_changes",
        "incident_events",
        "incident_units",
        "incidents",
        "cameras",
        "grids",
    ] {
        db.execute(&format!("DELETE FROM {table}"), vec![])
            .await
            .unwrap();
    }
    let count = |db: &Db| {
        let db = db.clone();
        async move {
            db.fetch_one::<(i64,)>("SELECT COUNT(*) FROM grids", vec![])
                .await
                .unwrap()
                .0
        }
    };

    let (ok, out) = run(&url, &["import", "grids", broken.to_str().unwrap()]);
    assert!(!ok, "{out}");
    assert!(
        out.contains(&format!("feature 6, property geometry: grid {}: ", code(5)))
            && out.contains("not closed"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "feature 10, property geometry: grid {} overlaps grid {} by ",
            code(9),
            code(10)
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "feature 11, property geometry: grid {} overlaps grid {} by ",
            code(10),
            code(9)
        )),
        "{out}"
    );
    assert!(out.contains("m² at 120."), "the overlap is located: {out}");
    assert_eq!(count(&db).await, 0, "a failed import wrote grids");

    let (ok, out) = run(
        &url,
        &["import", "grids", broken.to_str().unwrap(), "--skip-bad"],
    );
    assert!(ok, "{out}");
    assert!(
        out.contains("created 37") && out.contains("bad features 3"),
        "{out}"
    );
    assert!(
        out.contains("gap: village "),
        "missing grids leave gaps: {out}"
    );
    assert_eq!(count(&db).await, 37);

    let (ok, out) = run(&url, &["import", "grids", layer.to_str().unwrap()]);
    assert!(ok, "{out}");
    assert!(
        out.contains("created 3, updated 37, bad features 0, gaps 0"),
        "{out}"
    );

    // The same layer in GCJ-02 (as Amap or Tencent would give it) lands within 0.5 m of the original.
    let mut gcj = original.clone();
    for f in gcj["features"].as_array_mut().unwrap() {
        for p in f["geometry"]["coordinates"][0].as_array_mut().unwrap() {
            let (x, y) = pingan_geo::from_wgs84(
                pingan_geo::Crs::Gcj02,
                p[0].as_f64().unwrap(),
                p[1].as_f64().unwrap(),
            );
            *p = serde_json::json!([x, y]);
        }
    }
    let gcj_file = dir.join("gcj.geojson");
    std::fs::write(&gcj_file, serde_json::to_string(&gcj).unwrap()).unwrap();
    let (ok, out) = run(
        &url,
        &[
            "import",
            "grids",
            gcj_file.to_str().unwrap(),
            "--crs",
            "gcj02",
        ],
    );
    assert!(ok && out.contains("updated 40"), "{out}");
    let (geometry,): (String,) = db
        .fetch_one(
            "SELECT geometry FROM grids WHERE code = ?",
            vec![code(0).into()],
        )
        .await
        .unwrap();
    let stored: serde_json::Value = serde_json::from_str(&geometry).unwrap();
    let a = &original["features"][0]["geometry"]["coordinates"][0][1];
    let ring = if stored["type"] == "MultiPolygon" {
        &stored["coordinates"][0][0]
    } else {
        &stored["coordinates"][0]
    };
    let b = &ring[1];
    let d = pingan_geo::distance_m(
        a[0].as_f64().unwrap(),
        a[1].as_f64().unwrap(),
        b[0].as_f64().unwrap(),
        b[1].as_f64().unwrap(),
    );
    assert!(d < 0.5, "GCJ-02 round trip off by {d} m");
    let (ok, out) = verify(&url);
    assert!(ok, "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `pingan analyze pip`: planar coordinates as given, output in input order, boundary points in no
/// polygon (OGC "within", as geopandas), bad rows named by line and column.
#[test]
fn analyze_pip_assigns_points_in_input_order() {
    let dir = temp_dir("pip");
    std::fs::write(
        dir.join("pts.csv"),
        "id,x,y\nq,5,5\np1,0.5,0.5\np2,1.5,0.5\nedge,1.0,0.5\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("g.geojson"),
        r#"{"type":"FeatureCollection","features":[
        {"type":"Feature","properties":{"NAME":"A"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}},
        {"type":"Feature","properties":{"NAME":"B"},"geometry":{"type":"Polygon","coordinates":[[[1,0],[2,0],[2,1],[1,1],[1,0]]]}}]}"#,
    )
    .unwrap();
    let out = Command::new(BIN)
        .current_dir(&dir)
        .args([
            "analyze",
            "pip",
            "--points",
            "pts.csv",
            "--polygons",
            "g.geojson",
            "--id-property",
            "NAME",
            "--out",
            "o.csv",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("o.csv")).unwrap(),
        "id,polygon_id\nq,\np1,A\np2,B\nedge,\n"
    );
    std::fs::write(dir.join("bad.csv"), "id,x,y\np1,1,1\np2,abc,1\n").unwrap();
    let out = Command::new(BIN)
        .current_dir(&dir)
        .args([
            "analyze",
            "pip",
            "--points",
            "bad.csv",
            "--polygons",
            "g.geojson",
            "--id-property",
            "NAME",
            "--out",
            "o2.csv",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("line 3, column x"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Places from CSV: a bad credit code and a location outside every grid are named by row and column and
/// block the import; the fixed file imports, each place in the grid its location falls in; the XLSX
/// export reads back with contacts masked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_and_export_places() {
    let dir = temp_dir("places");
    run_demo_once(&dir, None);
    let url = format!("sqlite:{}", dir.join("pingan.db").display());
    let db = Db::connect(&url, &Default::default()).await.unwrap();
    // A point well inside grid 330681109004001: the average of its outer ring.
    let (geometry,): (String,) = db
        .fetch_one(
            "SELECT geometry FROM grids WHERE code = '330681109004001'",
            vec![],
        )
        .await
        .unwrap();
    let g: serde_json::Value = serde_json::from_str(&geometry).unwrap();
    let ring = if g["type"] == "Polygon" {
        g["coordinates"][0].clone()
    } else {
        g["coordinates"][0][0].clone()
    };
    let pts = &ring.as_array().unwrap()[..ring.as_array().unwrap().len() - 1];
    let lng = pts.iter().map(|p| p[0].as_f64().unwrap()).sum::<f64>() / pts.len() as f64;
    let lat = pts.iter().map(|p| p[1].as_f64().unwrap()).sum::<f64>() / pts.len() as f64;
    let csv = format!(
        "name,kind,address,lng,lat,credit_code,contact_name,contact_phone\n\
         好邻居超市,shop,陈家社区 1 号,{lng},{lat},91350100M000100Y43,李四,13700001234\n\
         某加工厂,factory,陈家社区 2 号,{lng},{lat},91350100M000100Y44,,\n\
         海上平台,other,东海,123.0,30.0,,,\n"
    );
    let f = dir.join("places.csv");
    std::fs::write(&f, &csv).unwrap();
    let (ok, out) = run(&url, &["import", "places", f.to_str().unwrap()]);
    assert!(!ok, "{out}");
    assert!(out.contains("row 3, column credit_code"), "{out}");
    assert!(
        out.contains("row 4, column lng") && out.contains("no grid"),
        "{out}"
    );
    let (n,): (i64,) = db
        .fetch_one("SELECT COUNT(*) FROM places", vec![])
        .await
        .unwrap();
    assert_eq!(n, 0);
    let fixed = csv
        .replace("Y44", "Y43")
        .replace("海上平台,other,东海,123.0,30.0,,,\n", "");
    std::fs::write(&f, fixed).unwrap();
    let (ok, out) = run(&url, &["import", "places", f.to_str().unwrap()]);
    assert!(ok && out.contains("created 2"), "{out}");
    let grids: Vec<(String,)> = db
        .fetch_all("SELECT grid_code FROM places ORDER BY name", vec![])
        .await
        .unwrap();
    assert!(grids.iter().all(|(g,)| g == "330681109004001"), "{grids:?}");
    let xlsx = dir.join("places.xlsx");
    let (ok, out) = run(&url, &["export", "places", "--out", xlsx.to_str().unwrap()]);
    assert!(ok && out.contains("exported 2 places"), "{out}");
    // Read it back with the importer's own reader: masked contact, same rows.
    let (ok, out) = run(
        &url,
        &["import", "places", xlsx.to_str().unwrap(), "--dry-run"],
    );
    assert!(
        !ok,
        "masked phones must not re-import as valid numbers: {out}"
    );
    assert!(out.contains("column contact_phone"), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}

fn reference(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/reference/analysis")
        .join(name)
}

fn analyze(dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .current_dir(dir)
        .arg("analyze")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `pingan analyze gistar --mask`: a CSV of cell ids and a GeoJSON outline give Gi* over the study
/// area alone — esda's answer on the masked cells — and a bad mask line is named.
#[test]
fn analyze_gistar_over_a_mask() {
    let dir = temp_dir("analyze-mask");
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(reference("gistar_mask_expected.json")).unwrap(),
    )
    .unwrap();
    let g = &expected["grid"];
    let ids: Vec<u64> = expected["mask"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    let mut csv = String::from("cell_id\n");
    for id in &ids {
        csv.push_str(&format!("{id}\n"));
    }
    std::fs::write(dir.join("mask.csv"), csv).unwrap();
    let points = reference("gistar_mask_points.csv").display().to_string();
    let run = |mask: &str, out: &str| {
        let args = [
            "gistar".to_string(),
            "--points".into(),
            points.clone(),
            "--band".into(),
            "150".into(),
            "--x0".into(),
            g["x0"].to_string(),
            "--y0".into(),
            g["y0"].to_string(),
            "--cell".into(),
            g["cell"].to_string(),
            "--cols".into(),
            g["cols"].to_string(),
            "--rows".into(),
            g["rows"].to_string(),
            "--mask".into(),
            mask.into(),
            "--out".into(),
            out.into(),
        ];
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        analyze(&dir, &args)
    };
    let (ok, stdout, stderr) = run("mask.csv", "gi.csv");
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains(&format!("{} of 4800 cells (the mask)", ids.len())),
        "{stdout}"
    );
    let z_of = |name: &str| -> Vec<Option<f64>> {
        std::fs::read_to_string(dir.join(name))
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(4).unwrap().parse().ok())
            .collect()
    };
    let got = z_of("gi.csv");
    let want = expected["cases"][0]["z"].as_array().unwrap();
    for (k, id) in ids.iter().enumerate() {
        let z = got[*id as usize].expect("a masked cell has a score");
        assert!((z - want[k].as_f64().unwrap()).abs() <= 1e-9, "cell {id}");
    }
    assert_eq!(got.iter().filter(|z| z.is_some()).count(), ids.len());

    // The same study area as GeoJSON: one square per masked cell (their union is the area).
    let (x0, y0, cell, cols) = (
        g["x0"].as_f64().unwrap(),
        g["y0"].as_f64().unwrap(),
        g["cell"].as_f64().unwrap(),
        g["cols"].as_u64().unwrap(),
    );
    let squares: Vec<String> = ids
        .iter()
        .map(|id| {
            let (x, y) = (
                x0 + (id % cols) as f64 * cell + 1.0,
                y0 + (id / cols) as f64 * cell + 1.0,
            );
            let (x1, y1) = (x + cell - 2.0, y + cell - 2.0);
            format!("[[[{x},{y}],[{x1},{y}],[{x1},{y1}],[{x},{y1}],[{x},{y}]]]")
        })
        .collect();
    std::fs::write(
        dir.join("area.geojson"),
        format!(
            "{{\"type\":\"MultiPolygon\",\"coordinates\":[{}]}}",
            squares.join(",")
        ),
    )
    .unwrap();
    let (ok, _, stderr) = run("area.geojson", "gi2.csv");
    assert!(ok, "{stderr}");
    assert_eq!(z_of("gi2.csv"), got);

    std::fs::write(dir.join("bad.csv"), "cell_id\n5\n99999\n").unwrap();
    let (ok, _, stderr) = run("bad.csv", "x.csv");
    assert!(!ok);
    assert!(
        stderr.contains("bad.csv") && stderr.contains("line 3") && stderr.contains("99999"),
        "{stderr}"
    );
}

/// `pingan analyze gistar | kde | knox | mclp` on the committed reference inputs give the peers'
/// answers (esda, scikit-learn, pointpats, spopt/CBC); bad rows and impossible parameters are named.
#[test]
fn analyze_kernels_reproduce_the_reference_outputs() {
    let dir = temp_dir("analyze");
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(reference("gistar_expected.json")).unwrap())
            .unwrap();
    let g = &expected["grid"];
    let grid_args = |g: &serde_json::Value| {
        vec![
            "--x0".to_string(),
            g["x0"].to_string(),
            "--y0".into(),
            g["y0"].to_string(),
            "--cell".into(),
            g["cell"].to_string(),
            "--cols".into(),
            g["cols"].to_string(),
            "--rows".into(),
            g["rows"].to_string(),
        ]
    };
    let points = reference("gistar_points.csv").display().to_string();
    let mut args = vec![
        "gistar".to_string(),
        "--points".into(),
        points.clone(),
        "--band".into(),
        "120".into(),
    ];
    args.extend(grid_args(g));
    args.extend(["--out".into(), "gi.csv".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (ok, stdout, stderr) = analyze(&dir, &args);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains(&format!("{} outside the grid", expected["outside"])),
        "{stdout}"
    );
    let text = std::fs::read_to_string(dir.join("gi.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("cell_id,row,col,value,z,p"));
    let want = expected["cases"][0]["z"].as_array().unwrap();
    let cols = g["cols"].as_u64().unwrap() as usize;
    let mut rows = 0;
    for (i, line) in lines.enumerate() {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f[0].parse::<usize>().unwrap(), i);
        assert_eq!(
            (
                f[1].parse::<usize>().unwrap(),
                f[2].parse::<usize>().unwrap()
            ),
            (i / cols, i % cols)
        );
        let z: f64 = f[4].parse().unwrap();
        assert!(
            (z - want[i].as_f64().unwrap()).abs() <= 1e-9,
            "cell {i}: {z} vs {}",
            want[i]
        );
        rows += 1;
    }
    assert_eq!(rows, want.len());

    // KDE: the weighted Gaussian case.
    let kde: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(reference("kde_expected.json")).unwrap())
            .unwrap();
    let case = &kde["cases"][1];
    let kpoints = reference("kde_points.csv").display().to_string();
    let mut args = vec![
        "kde".to_string(),
        "--points".into(),
        kpoints,
        "--weight-column".into(),
        "w".into(),
        "--kernel".into(),
        case["kernel"].as_str().unwrap().into(),
        "--bandwidth".into(),
        case["bandwidth"].to_string(),
        "--out".into(),
        "kde.csv".into(),
    ];
    args.extend(grid_args(&kde["grid"]));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (ok, _, stderr) = analyze(&dir, &args);
    assert!(ok, "{stderr}");
    let want: Vec<f64> = case["density"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let peak = want.iter().copied().fold(0.0, f64::max);
    let text = std::fs::read_to_string(dir.join("kde.csv")).unwrap();
    let got: Vec<f64> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
        .collect();
    assert_eq!(got.len(), want.len());
    for (a, b) in got.iter().zip(&want) {
        assert!((a - b).abs() <= 1e-10 * peak);
    }

    // Knox: counts as pointpats, p-values reproducible from the seed.
    let knox: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(reference("knox_expected.json")).unwrap())
            .unwrap();
    let events = reference("knox_events.csv").display().to_string();
    let run_knox = |out: &str| {
        let (ok, stdout, stderr) = analyze(
            &dir,
            &[
                "knox",
                "--points",
                &events,
                "--space-bands",
                "0,100,200,400",
                "--time-bands",
                "7,14,30,90",
                "--permutations",
                "99",
                "--seed",
                "5",
                "--out",
                out,
            ],
        );
        assert!(ok, "{stderr}");
        assert!(stdout.contains("pairs"), "{stdout}");
        serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(dir.join(out)).unwrap())
            .unwrap()
    };
    let a = run_knox("k1.json");
    for cell in knox["cells"].as_array().unwrap() {
        let s = [0.0, 100.0, 200.0, 400.0]
            .iter()
            .position(|d| *d == cell["delta"].as_f64().unwrap())
            .unwrap();
        let t = [7.0, 14.0, 30.0, 90.0]
            .iter()
            .position(|d| *d == cell["tau"].as_f64().unwrap())
            .unwrap();
        assert_eq!(a["c"][s][t], cell["nst"]);
        assert_eq!(a["ns"][s], cell["ns"]);
        assert_eq!(a["nt"][t], cell["nt"]);
    }
    assert_eq!(
        a["p_c"],
        run_knox("k2.json")["p_c"],
        "same seed, same p-values"
    );
    // 40 planted follow-ups within 150 m and 20 days: d ≤ 200, τ ≤ 30 is beyond chance.
    assert!(
        a["p_c"][2][2].as_f64().unwrap() <= 0.05,
        "the planted near repeats are found"
    );

    // MCLP: the CBC optimum of case 0, site ids from the file.
    let mclp: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(reference("mclp_expected.json")).unwrap())
            .unwrap();
    let case = &mclp["cases"][0];
    let (ok, stdout, stderr) = analyze(
        &dir,
        &[
            "mclp",
            "--demand",
            &reference("mclp_demand_0.csv").display().to_string(),
            "--sites",
            &reference("mclp_sites_0.csv").display().to_string(),
            "--radius",
            &case["radius"].to_string(),
            "--k",
            &case["k"].to_string(),
            "--out",
            "m.json",
        ],
    );
    assert!(ok, "{stderr}");
    assert!(stdout.contains("proven optimal"), "{stdout}");
    let got: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("m.json")).unwrap()).unwrap();
    assert_eq!(got["covered"].as_f64(), case["optimum"].as_f64());
    assert_eq!(got["upper_bound"].as_f64(), case["optimum"].as_f64());
    assert_eq!(
        (got["proven_optimal"].as_bool(), got["gap"].as_f64()),
        (Some(true), Some(0.0))
    );
    assert_eq!(
        got["sites"].as_array().unwrap().len(),
        case["k"].as_u64().unwrap() as usize
    );
    assert!(
        got["sites"][0].as_str().unwrap().starts_with('s'),
        "site ids, not indices"
    );

    // Bad input: a bad row by line and column, impossible parameters by name.
    std::fs::write(
        dir.join("bad.csv"),
        "id,x,y,t\na,1,2,2026-01-01\nb,3,4,2026-02-30\n",
    )
    .unwrap();
    let (ok, _, stderr) = analyze(
        &dir,
        &[
            "knox",
            "--points",
            "bad.csv",
            "--space-bands",
            "5",
            "--time-bands",
            "7",
            "--out",
            "x.json",
        ],
    );
    assert!(!ok);
    assert!(
        stderr.contains("bad.csv") && stderr.contains("line 3, column t"),
        "{stderr}"
    );
    let (ok, _, stderr) = analyze(
        &dir,
        &[
            "gistar", "--points", &points, "--x0", "0", "--y0", "0", "--cell", "10", "--cols", "0",
            "--rows", "5", "--band", "20", "--out", "x.csv",
        ],
    );
    assert!(!ok);
    assert!(stderr.contains("at least one column"), "{stderr}");
    let (ok, _, stderr) = analyze(
        &dir,
        &[
            "knox",
            "--points",
            &events,
            "--space-bands",
            "100,50",
            "--time-bands",
            "7",
            "--out",
            "x.json",
        ],
    );
    assert!(!ok);
    assert!(stderr.contains("space bands"), "{stderr}");
    assert!(
        !dir.join("x.json").exists() && !dir.join("x.csv").exists(),
        "nothing written on error"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `pingan cases replay`: a bad instant names the flag; a bad rule-set file names the file and the
/// rule; over a database it prints JSON findings (none on an empty one).
#[test]
fn cases_replay() {
    let dir = temp_dir("replay");
    let url = format!("sqlite:{}", dir.join("p.db").display());
    let (ok, out) = run(&url, &["migrate"]);
    assert!(ok, "{out}");
    let (ok, out) = run(&url, &["cases", "replay", "--as-of", "last tuesday"]);
    assert!(!ok);
    assert!(out.contains("--as-of"), "{out}");
    let (ok, out) = run(
        &url,
        &["cases", "replay", "--as-of", "2026-11-01T00:00:00+08:00"],
    );
    assert!(ok, "{out}");
    assert!(out.trim_start().starts_with("[]"), "{out}");
    assert!(
        out.contains("0 findings as of 2026-10-31T16:00:00Z"),
        "{out}"
    );
    let rules = dir.join("rules-2026.toml");
    std::fs::write(
        &rules,
        pingan_domain::case_rules::RULES_2013
            .replace("version = \"2013\"", "version = \"2026\"")
            .replace(
                "effective_from = \"2013-01-01\"",
                "effective_from = \"2026-01-01\"",
            )
            .replacen(
                "stop = [\"file\", \"not_file\"]",
                "stop = [\"file\", \"filed\"]",
                1,
            ),
    )
    .unwrap();
    let out = Command::new(BIN)
        .args(["cases", "replay", "--as-of", "2026-11-01T00:00:00+08:00"])
        .env("PINGAN_DATABASE__URL", &url)
        .env(
            "PINGAN_CASES__RULE_FILES",
            format!("[\"{}\"]", rules.display()),
        )
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("rules-2026.toml")
            && err.contains("criminal_filing_review")
            && err.contains("filed"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `pingan backup` / `pingan restore` round trip on SQLite: the backup holds the state it was taken
/// at; restore refuses to replace a database without --force, keeps the replaced one aside, refuses a
/// broken file without touching anything, and ends with an intact audit chain. PostgreSQL gets the
/// pg_dump way instead of a false backup.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_and_restore_round_trip() {
    let dir = temp_dir("backup");
    let db_path = dir.join("p.db");
    let url = format!("sqlite:{}", db_path.display());
    let real = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/zhuji-330681-divisions.csv");
    let (ok, out) = import_areas(&url, &real, &[]);
    assert!(ok, "{out}");
    let count = |url: String| async move {
        let db = pingan_store::Db::connect(&url, &Default::default())
            .await
            .unwrap();
        let (areas,): (i64,) = db
            .fetch_one("SELECT COUNT(*) FROM areas", pingan_store::args![])
            .await
            .unwrap();
        let (marks,): (i64,) = db
            .fetch_one(
                "SELECT COUNT(*) FROM settings WHERE key = 'after-backup'",
                pingan_store::args![],
            )
            .await
            .unwrap();
        db.close().await;
        (areas, marks)
    };
    let (areas, _) = count(url.clone()).await;
    assert!(areas > 500);

    let b1 = dir.join("b1.db");
    let (ok, out) = run(&url, &["backup", "--out", b1.to_str().unwrap()]);
    assert!(ok, "{out}");
    assert!(out.contains("backup written"), "{out}");
    let (ok, out) = run(&url, &["backup", "--out", b1.to_str().unwrap()]);
    assert!(
        !ok && out.contains("exists"),
        "a backup never overwrites: {out}"
    );

    // Work after the backup.
    {
        let db = pingan_store::Db::connect(&url, &Default::default())
            .await
            .unwrap();
        db.execute(
            "INSERT INTO settings (key, value) VALUES ('after-backup', '1')",
            pingan_store::args![],
        )
        .await
        .unwrap();
        db.close().await;
    }
    assert_eq!(count(url.clone()).await, (areas, 1));

    let (ok, out) = run(&url, &["restore", "--from", b1.to_str().unwrap()]);
    assert!(!ok && out.contains("--force"), "{out}");
    // A broken file is refused and nothing changes.
    let junk = dir.join("junk.db");
    std::fs::write(&junk, b"this is not a database").unwrap();
    let (ok, out) = run(
        &url,
        &["restore", "--from", junk.to_str().unwrap(), "--force"],
    );
    assert!(!ok, "{out}");
    assert!(out.contains("junk.db"), "{out}");
    assert_eq!(count(url.clone()).await, (areas, 1));

    let (ok, out) = run(
        &url,
        &["restore", "--from", b1.to_str().unwrap(), "--force"],
    );
    assert!(ok, "{out}");
    assert!(out.contains("audit chain intact"), "{out}");
    assert_eq!(
        count(url.clone()).await,
        (areas, 0),
        "the state at the backup"
    );
    // The replaced database is kept beside, with the work done after the backup.
    let aside: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("before-restore"))
        .collect();
    assert_eq!(aside.len(), 1, "{aside:?}");
    assert_eq!(
        count(format!("sqlite:{}", aside[0].display())).await,
        (areas, 1)
    );
    let (ok, out) = run(&url, &["audit", "verify"]);
    assert!(ok, "{out}");

    let (ok, out) = run(
        "postgres://pingan@db.internal/pingan",
        &["backup", "--out", "/tmp/x.db"],
    );
    assert!(!ok && out.contains("pg_dump"), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `pingan audit export`: the records of a period as JSON Lines, contiguous in sequence, each linked
/// to the one before by its hashes, as many as the database holds for the period.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_export_is_a_checkable_chain() {
    let dir = temp_dir("auditexport");
    let url = format!("sqlite:{}", dir.join("p.db").display());
    let real = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/zhuji-330681-divisions.csv");
    let (ok, out) = import_areas(&url, &real, &[]);
    assert!(ok, "{out}");
    let today = pingan_domain::time::local_date(jiff::Timestamp::now());
    let file = dir.join("audit.jsonl");
    let (ok, out) = run(
        &url,
        &[
            "audit",
            "export",
            "--from",
            &today,
            "--to",
            &today,
            "--out",
            file.to_str().unwrap(),
        ],
    );
    assert!(ok, "{out}");
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let db = pingan_store::Db::connect(&url, &Default::default())
        .await
        .unwrap();
    let (total,): (i64,) = db
        .fetch_one("SELECT COUNT(*) FROM audit_log", pingan_store::args![])
        .await
        .unwrap();
    assert!(total > 0);
    assert_eq!(lines.len() as i64, total, "every record of today");
    for w in lines.windows(2) {
        assert_eq!(
            w[1]["seq"].as_i64().unwrap(),
            w[0]["seq"].as_i64().unwrap() + 1
        );
        assert_eq!(
            w[1]["prev_hash"], w[0]["hash"],
            "each record names the one before"
        );
    }
    assert!(out.contains(&format!("{total} audit records")), "{out}");
    // A period without records gives an empty file, and a bad date names its flag.
    let (ok, out) = run(
        &url,
        &[
            "audit",
            "export",
            "--from",
            "2001-01-01",
            "--to",
            "2001-01-31",
            "--out",
            file.to_str().unwrap(),
        ],
    );
    assert!(ok && out.contains("no audit records"), "{out}");
    let (ok, out) = run(
        &url,
        &[
            "audit",
            "export",
            "--from",
            "yesterday",
            "--to",
            &today,
            "--out",
            "/tmp/x",
        ],
    );
    assert!(!ok && out.contains("--from"), "{out}");
    db.close().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

fn run_with(
    data_dir: &std::path::Path,
    env: &[(&str, &str)],
    args: &[&str],
    stdin: &str,
) -> (bool, String) {
    use std::io::Write;
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env("PINGAN_SERVER__DATA_DIR", data_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// The administrator accounts come only from the host: `pingan user add` makes one (password from
/// standard input, to be changed at the first login, audited as `cli`) and names what is wrong. Then a
/// field-key rotation: with a new current key and the old one listed, `crypto status` counts what is
/// still under the old key, `crypto rekey` re-seals it, and nothing is left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_add_and_field_key_rotation() {
    let dir = temp_dir("security");
    let lines = run_demo_once(&dir, None);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("second factor (TOTP) of auditor")),
        "{lines:?}"
    );
    let url = format!("sqlite:{}", dir.join("pingan.db").display());
    let db = Db::connect(&url, &Default::default()).await.unwrap();
    let (org,): (String,) = db
        .fetch_one(
            "SELECT id FROM orgs ORDER BY path LIMIT 1",
            pingan_store::args![],
        )
        .await
        .unwrap();
    let add = |user: &str, org: &str, password: &str| {
        run_with(
            &dir,
            &[],
            &[
                "user",
                "add",
                "--username",
                user,
                "--display-name",
                "值班审计",
                "--role",
                "auditor",
                "--org",
                org,
                "--area-scope",
                "/",
            ],
            &format!("{password}\n"),
        )
    };
    let (ok, out) = add("ops-auditor", &org, "weak");
    assert!(!ok && out.contains("password"), "{out}");
    let (ok, out) = add("ops-auditor", "no-such-org", "Strong-pass-2026");
    assert!(!ok && out.contains("--org"), "{out}");
    let (ok, out) = add("ops-auditor", &org, "Strong-pass-2026");
    assert!(ok, "{out}");
    assert!(out.contains("TOTP"), "{out}");
    let (role, changed): (String, i64) = db
        .fetch_one(
            "SELECT role, password_changed_at FROM users WHERE username = 'ops-auditor'",
            pingan_store::args![],
        )
        .await
        .unwrap();
    assert_eq!(
        (role.as_str(), changed),
        ("auditor", 0),
        "changed at the first login"
    );
    let (by_cli,): (i64,) = db
        .fetch_one(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'user.create' AND actor_name = 'cli'",
            pingan_store::args![],
        )
        .await
        .unwrap();
    assert_eq!(by_cli, 1);

    let (ok, out) = run_with(&dir, &[], &["crypto", "status"], "");
    assert!(
        ok && out.contains("nothing is sealed under an older key"),
        "{out}"
    );
    let old = std::fs::read_to_string(dir.join("field.key")).unwrap();
    let old_keys = format!("[\"k1:{}\"]", old.trim());
    let rotated = [
        (
            "PINGAN_CRYPTO__FIELD_KEY",
            "00112233445566778899aabbccddeeff",
        ),
        ("PINGAN_CRYPTO__FIELD_KEY_ID", "k2"),
        ("PINGAN_CRYPTO__OLD_FIELD_KEYS", old_keys.as_str()),
    ];
    let (ok, out) = run_with(&dir, &rotated, &["crypto", "status"], "");
    assert!(ok, "{out}");
    assert!(
        out.contains("dispute_parties.name_sealed: ") && !out.contains("nothing is sealed"),
        "{out}"
    );
    let (ok, out) = run_with(&dir, &rotated, &["crypto", "rekey"], "");
    assert!(ok && out.contains("under key k2"), "{out}");
    let (ok, out) = run_with(&dir, &rotated, &["crypto", "status"], "");
    assert!(
        ok && out.contains("nothing is sealed under an older key"),
        "{out}"
    );
    db.close().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `pingan import basemap`: a PMTiles file is imported and said so; a broken one and a file of
/// another kind are refused with a message naming the file and what is wrong, and nothing changes.
#[test]
fn import_basemap_accepts_pmtiles_and_refuses_broken_files() {
    use pingan_geo::tiles::{LngLatBox, TileFormat, TileId, pmtiles};
    let dir = temp_dir("basemap");
    let url = format!("sqlite:{}", dir.join("pingan.db").display());
    let (ok, out) = run(&url, &["migrate"]);
    assert!(ok, "{out}");
    let png = pingan_geo::tiles::render::Sketch::default().render(
        TileId {
            z: 12,
            x: 3416,
            y: 1693,
        },
        pingan_geo::tiles::render::Rgb(200, 200, 200),
    );
    let archive = pmtiles::write(
        &[
            (
                TileId {
                    z: 12,
                    x: 3416,
                    y: 1693,
                },
                png.clone(),
            ),
            (
                TileId {
                    z: 12,
                    x: 3417,
                    y: 1693,
                },
                png,
            ),
        ],
        &pmtiles::WriteMeta {
            tile_type: TileFormat::Png,
            tile_compression: pmtiles::Compression::None,
            bounds: LngLatBox {
                west: 120.2,
                south: 29.6,
                east: 120.3,
                north: 29.7,
            },
            metadata: r#"{"name":"县域底图"}"#.into(),
        },
    );
    let good = dir.join("county.pmtiles");
    std::fs::write(&good, &archive).unwrap();
    let (ok, out) = run(&url, &["import", "basemap", good.to_str().unwrap()]);
    assert!(
        ok && out.contains("县域底图") && out.contains("2 tiles"),
        "{out}"
    );
    let broken = dir.join("cut.pmtiles");
    std::fs::write(&broken, &archive[..150]).unwrap();
    let (ok, out) = run(&url, &["import", "basemap", broken.to_str().unwrap()]);
    assert!(
        !ok && out.contains("cut.pmtiles") && out.contains("truncated"),
        "{out}"
    );
    let other = dir.join("grids.geojson");
    std::fs::write(&other, "{\"type\":\"FeatureCollection\"}").unwrap();
    let (ok, out) = run(&url, &["import", "basemap", other.to_str().unwrap()]);
    assert!(
        !ok && out.contains("grids.geojson") && out.contains("neither an MBTiles"),
        "{out}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
