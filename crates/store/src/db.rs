//! The backend switch. `Db` wraps a SQLite or PostgreSQL pool; `Tx` a transaction on either. Queries take
//! SQL with `?` placeholders and a list of `Value`s, so each query is written once. SQLite write
//! transactions start with `BEGIN IMMEDIATE` (a deferred transaction that reads then writes fails with
//! SQLITE_BUSY instead of waiting).

use crate::{Result, StoreError};
use pingan_domain::audit::AuditEntry;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, FromRow, Postgres, Sqlite, Transaction};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A bound parameter. Nulls carry their type because PostgreSQL needs it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    NullText,
    NullInt,
    NullFloat,
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_string())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}
impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Self {
        v.map_or(Value::NullText, Value::Text)
    }
}
impl From<Option<&str>> for Value {
    fn from(v: Option<&str>) -> Self {
        v.map_or(Value::NullText, |s| Value::Text(s.to_string()))
    }
}
impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Self {
        v.map_or(Value::NullInt, Value::Int)
    }
}
impl From<Option<f64>> for Value {
    fn from(v: Option<f64>) -> Self {
        v.map_or(Value::NullFloat, Value::Float)
    }
}

/// `args![a, b, c]` → `Vec<Value>`.
#[macro_export]
macro_rules! args {
    () => { Vec::<$crate::Value>::new() };
    ($($v:expr),+ $(,)?) => { vec![$($crate::Value::from($v)),+] };
}

/// A row type that decodes from either backend.
pub trait Record:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}
impl<T> Record for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

/// `?` → `$1, $2 …` outside string literals.
pub fn to_postgres_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    let mut in_str = false;
    for c in sql.chars() {
        match c {
            '\'' => {
                in_str = !in_str;
                out.push(c);
            }
            '?' if !in_str => {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            }
            _ => out.push(c),
        }
    }
    out
}

macro_rules! bind_all {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for v in $args {
            q = match v {
                Value::Text(s) => q.bind(s),
                Value::Int(i) => q.bind(i),
                Value::Float(f) => q.bind(f),
                Value::Bool(b) => q.bind(b),
                Value::NullText => q.bind(None::<String>),
                Value::NullInt => q.bind(None::<i64>),
                Value::NullFloat => q.bind(None::<f64>),
            };
        }
        q
    }};
}

/// Runs one statement shape against whichever executor `$exec` is, for each backend.
macro_rules! run {
    (sqlite $exec:expr, $kind:ident, $sql:expr, $args:expr) => {
        bind_all!(
            sqlx::query_as::<Sqlite, _>(AssertSqlSafe($sql.to_string())),
            $args
        )
        .$kind($exec)
        .await
    };
    (postgres $exec:expr, $kind:ident, $sql:expr, $args:expr) => {
        bind_all!(
            sqlx::query_as::<Postgres, _>(AssertSqlSafe(to_postgres_placeholders($sql))),
            $args
        )
        .$kind($exec)
        .await
    };
    (exec sqlite $exec:expr, $sql:expr, $args:expr) => {
        bind_all!(
            sqlx::query::<Sqlite>(AssertSqlSafe($sql.to_string())),
            $args
        )
        .execute($exec)
        .await
        .map(|r| r.rows_affected())
    };
    (exec postgres $exec:expr, $sql:expr, $args:expr) => {
        bind_all!(
            sqlx::query::<Postgres>(AssertSqlSafe(to_postgres_placeholders($sql))),
            $args
        )
        .execute($exec)
        .await
        .map(|r| r.rows_affected())
    };
}

/// How long a writer waits for SQLite's write lock before the request is refused as busy.
const WRITE_WAIT: Duration = Duration::from_secs(10);

#[derive(Clone, Debug)]
pub enum Db {
    /// The pool and the process's write lock: SQLite admits one writer at a time, and writers queued
    /// here wait in order instead of sleeping in SQLite's busy handler (which backs off up to 100 ms
    /// per try and makes latency under load erratic).
    Sqlite(SqlitePool, Arc<tokio::sync::Mutex<()>>),
    Postgres(PgPool),
}

/// Pool settings shared by both backends.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
    /// PostgreSQL only: the schema to use (tests create one per run).
    pub pg_schema: Option<String>,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(10),
            pg_schema: None,
        }
    }
}

impl Db {
    /// `sqlite:PATH` / `sqlite::memory:` or `postgres://…`.
    pub async fn connect(url: &str, opts: &PoolOptions) -> Result<Db> {
        if url.starts_with("sqlite:") {
            let co = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            let pool = SqlitePoolOptions::new()
                .max_connections(opts.max_connections)
                .acquire_timeout(opts.acquire_timeout)
                .connect_with(co)
                .await?;
            Ok(Db::Sqlite(pool, Arc::new(tokio::sync::Mutex::new(()))))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let mut co = PgConnectOptions::from_str(url)?;
            if let Some(schema) = &opts.pg_schema {
                co = co.options([("search_path", schema.as_str())]);
            }
            let pool = PgPoolOptions::new()
                .max_connections(opts.max_connections)
                .acquire_timeout(opts.acquire_timeout)
                .connect_with(co)
                .await?;
            Ok(Db::Postgres(pool))
        } else {
            Err(StoreError::BadUrl(url.to_string()))
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(..) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    pub async fn fetch_all<T: Record>(&self, sql: &str, args: Vec<Value>) -> Result<Vec<T>> {
        Ok(match self {
            Db::Sqlite(p, _) => run!(sqlite p, fetch_all, sql, args)?,
            Db::Postgres(p) => run!(postgres p, fetch_all, sql, args)?,
        })
    }

    pub async fn fetch_optional<T: Record>(
        &self,
        sql: &str,
        args: Vec<Value>,
    ) -> Result<Option<T>> {
        Ok(match self {
            Db::Sqlite(p, _) => run!(sqlite p, fetch_optional, sql, args)?,
            Db::Postgres(p) => run!(postgres p, fetch_optional, sql, args)?,
        })
    }

    pub async fn fetch_one<T: Record>(&self, sql: &str, args: Vec<Value>) -> Result<T> {
        self.fetch_optional(sql, args)
            .await?
            .ok_or(StoreError::NotFound)
    }

    pub async fn execute(&self, sql: &str, args: Vec<Value>) -> Result<u64> {
        Ok(match self {
            Db::Sqlite(p, _) => run!(exec sqlite p, sql, args)?,
            Db::Postgres(p) => run!(exec postgres p, sql, args)?,
        })
    }

    /// A write transaction (SQLite: `BEGIN IMMEDIATE`).
    pub async fn begin(&self) -> Result<Tx> {
        Ok(match self {
            Db::Sqlite(p, lock) => {
                // Waiting longer than a pool acquire would means overload: answer Busy, not a hang.
                let guard = tokio::time::timeout(WRITE_WAIT, lock.clone().lock_owned())
                    .await
                    .map_err(|_| StoreError::Busy)?;
                Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?, guard)
            }
            Db::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// Pool size and idle connections, for `/metrics`.
    pub fn pool_stats(&self) -> (u32, usize) {
        match self {
            Db::Sqlite(p, _) => (p.size(), p.num_idle()),
            Db::Postgres(p) => (p.size(), p.num_idle()),
        }
    }

    pub async fn ping(&self) -> Result<()> {
        self.fetch_one::<(i64,)>("SELECT CAST(1 AS BIGINT)", vec![])
            .await
            .map(|_| ())
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(p, _) => p.close().await,
            Db::Postgres(p) => p.close().await,
        }
    }

    /// Appends audit records outside a business transaction (reads of personal data, failed logins).
    pub async fn audit(&self, entries: Vec<AuditEntry>) -> Result<()> {
        self.begin().await?.commit_audited(entries).await
    }
}

/// A transaction on either backend. Commit only through `commit_audited`.
pub enum Tx {
    /// The transaction holds the process's SQLite write lock until it ends.
    Sqlite(
        Transaction<'static, Sqlite>,
        tokio::sync::OwnedMutexGuard<()>,
    ),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(..) => Backend::Sqlite,
            Tx::Postgres(_) => Backend::Postgres,
        }
    }

    pub async fn fetch_all<T: Record>(&mut self, sql: &str, args: Vec<Value>) -> Result<Vec<T>> {
        Ok(match self {
            Tx::Sqlite(t, _) => run!(sqlite &mut **t, fetch_all, sql, args)?,
            Tx::Postgres(t) => run!(postgres &mut **t, fetch_all, sql, args)?,
        })
    }

    pub async fn fetch_optional<T: Record>(
        &mut self,
        sql: &str,
        args: Vec<Value>,
    ) -> Result<Option<T>> {
        Ok(match self {
            Tx::Sqlite(t, _) => run!(sqlite &mut **t, fetch_optional, sql, args)?,
            Tx::Postgres(t) => run!(postgres &mut **t, fetch_optional, sql, args)?,
        })
    }

    pub async fn fetch_one<T: Record>(&mut self, sql: &str, args: Vec<Value>) -> Result<T> {
        self.fetch_optional(sql, args)
            .await?
            .ok_or(StoreError::NotFound)
    }

    pub async fn execute(&mut self, sql: &str, args: Vec<Value>) -> Result<u64> {
        Ok(match self {
            Tx::Sqlite(t, _) => run!(exec sqlite &mut **t, sql, args)?,
            Tx::Postgres(t) => run!(exec postgres &mut **t, sql, args)?,
        })
    }

    /// Appends `entries` to the audit chain, then commits: the write and its audit record land together.
    pub async fn commit_audited(mut self, entries: Vec<AuditEntry>) -> Result<()> {
        crate::audit::append(&mut self, entries).await?;
        self.commit_unaudited().await
    }

    /// For migrations and the audit module itself.
    pub(crate) async fn commit_unaudited(self) -> Result<()> {
        match self {
            Tx::Sqlite(t, _guard) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }

    pub async fn rollback(self) -> Result<()> {
        match self {
            Tx::Sqlite(t, _guard) => t.rollback().await?,
            Tx::Postgres(t) => t.rollback().await?,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders() {
        assert_eq!(
            to_postgres_placeholders("SELECT * FROM t WHERE a = ? AND b = '?' AND c LIKE ?"),
            "SELECT * FROM t WHERE a = $1 AND b = '?' AND c LIKE $2"
        );
    }
}
