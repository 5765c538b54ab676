//! Fresh databases for tests, on either backend. SQLite: a new file in a temporary directory.
//! PostgreSQL: a new schema in the database named by `PINGAN_TEST_POSTGRES_URL`, so concurrent tests
//! never see each other. Without that variable PostgreSQL tests are skipped loudly — unless
//! `PINGAN_REQUIRE_ALL=1`, when a missing service is a failure.

use crate::db::{Backend, Db, PoolOptions};
use crate::{Result, migrate};

pub struct TestDb {
    pub db: Db,
    pub url: String,
    pub pg_schema: Option<String>,
    dir: Option<std::sync::Arc<tempfile_dir::TempDir>>,
}

mod tempfile_dir {
    /// A directory removed on drop (no extra dependency for one helper).
    pub struct TempDir(pub std::path::PathBuf);
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

pub fn require_all() -> bool {
    std::env::var("PINGAN_REQUIRE_ALL").is_ok_and(|v| v == "1")
}

/// The PostgreSQL URL for tests, or `None` after printing a loud skip notice.
/// Panics when `PINGAN_REQUIRE_ALL=1` and the variable is missing.
pub fn postgres_url(test: &str) -> Option<String> {
    match std::env::var("PINGAN_TEST_POSTGRES_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            assert!(
                !require_all(),
                "{test}: PINGAN_REQUIRE_ALL=1 but PINGAN_TEST_POSTGRES_URL is not set"
            );
            eprintln!("SKIPPED (postgres): {test}: set PINGAN_TEST_POSTGRES_URL to run it");
            None
        }
    }
}

/// The NATS (JetStream) URL for tests, or `None` after printing a loud skip notice.
/// Panics when `PINGAN_REQUIRE_ALL=1` and the variable is missing.
pub fn nats_url(test: &str) -> Option<String> {
    match std::env::var("PINGAN_TEST_NATS_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            assert!(
                !require_all(),
                "{test}: PINGAN_REQUIRE_ALL=1 but PINGAN_TEST_NATS_URL is not set"
            );
            eprintln!("SKIPPED (nats): {test}: set PINGAN_TEST_NATS_URL to run it");
            None
        }
    }
}

impl TestDb {
    /// A migrated, empty database, or `None` when the backend is unavailable (and allowed to be).
    pub async fn new(backend: Backend, test: &str) -> Option<TestDb> {
        let t = match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(format!("pingan-test-{}", crate::new_id()));
                std::fs::create_dir_all(&dir).expect("temp dir");
                let url = format!("sqlite:{}", dir.join("pingan.db").display());
                let db = Db::connect(&url, &PoolOptions::default())
                    .await
                    .expect("sqlite connect");
                TestDb {
                    db,
                    url,
                    pg_schema: None,
                    dir: Some(std::sync::Arc::new(tempfile_dir::TempDir(dir))),
                }
            }
            Backend::Postgres => {
                let url = postgres_url(test)?;
                let schema = format!("t{}", crate::new_id().replace('-', ""));
                let admin = Db::connect(
                    &url,
                    &PoolOptions {
                        max_connections: 1,
                        ..Default::default()
                    },
                )
                .await
                .expect("postgres connect (PINGAN_TEST_POSTGRES_URL)");
                admin
                    .execute(&format!("CREATE SCHEMA {schema}"), vec![])
                    .await
                    .expect("create schema");
                admin.close().await;
                let opts = PoolOptions {
                    pg_schema: Some(schema.clone()),
                    ..Default::default()
                };
                let db = Db::connect(&url, &opts).await.expect("postgres connect");
                TestDb {
                    db,
                    url,
                    pg_schema: Some(schema),
                    dir: None,
                }
            }
        };
        migrate::migrate(&t.db).await.expect("migrate");
        Some(t)
    }

    /// Keeps the SQLite directory alive while a test body runs: an `async move` block captures only the
    /// fields it uses, so the rest of a moved `TestDb` would otherwise be dropped before the body runs.
    pub fn keep_alive(&self) -> impl Drop + use<> {
        KeepAlive(self.dir.clone())
    }

    /// A second pool on the same database (a "second server").
    pub async fn reconnect(&self) -> Result<Db> {
        let opts = PoolOptions {
            pg_schema: self.pg_schema.clone(),
            ..Default::default()
        };
        Db::connect(&self.url, &opts).await
    }
}

struct KeepAlive(#[allow(dead_code)] Option<std::sync::Arc<tempfile_dir::TempDir>>);
impl Drop for KeepAlive {
    fn drop(&mut self) {}
}
