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
    /// BLOB (SQLite) / BYTEA (PostgreSQL).
    Bytes(Vec<u8>),
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
                Value::Bytes(b) => q.bind(b),
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
    Sqlite(SqliteDb),
    Postgres(PgPool),
}

/// SQLite admits one writer at a time. Writes go through one dedicated connection, whose page cache
/// stays warm because nobody else changes the file under it (every other connection's cache is
/// emptied by each commit), and writers queue on a lock in this process in order, instead of
/// sleeping in SQLite's busy handler (which backs off up to 100 ms per try and makes latency under
/// load erratic). Reads use the pool.
#[derive(Clone, Debug)]
pub struct SqliteDb {
    readers: SqlitePool,
    writer: SqlitePool,
    lock: Arc<tokio::sync::Mutex<()>>,
}

impl SqliteDb {
    async fn write_lock(&self) -> Result<tokio::sync::OwnedMutexGuard<()>> {
        // Waiting longer than a pool acquire would means overload: answer Busy, not a hang.
        tokio::time::timeout(WRITE_WAIT, self.lock.clone().lock_owned())
            .await
            .map_err(|_| StoreError::Busy)
    }
}

/// Copies the write-ahead log back into the database file every quarter second, beside the writers
/// (a PASSIVE checkpoint waits for no one and blocks no one), until the pool closes.
async fn checkpointer(readers: SqlitePool) {
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if readers.is_closed() {
            return;
        }
        if let Err(e) = sqlx::query(AssertSqlSafe("PRAGMA wal_checkpoint(PASSIVE)"))
            .execute(&readers)
            .await
        {
            if readers.is_closed() {
                return;
            }
            tracing::warn!(error = %e, "WAL checkpoint failed");
        }
    }
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
            let pool = |n: u32, co: SqliteConnectOptions| {
                SqlitePoolOptions::new()
                    .max_connections(n)
                    .acquire_timeout(opts.acquire_timeout)
                    // A ping is one more hand-off to the connection's thread per query; an
                    // in-process database has no network in between to go stale.
                    .test_before_acquire(false)
                    .connect_with(co)
            };
            let readers = pool(opts.max_connections, co.clone()).await?;
            // An in-memory database exists once per connection: there the pool must be the writer too.
            let writer = if co.get_filename().as_os_str().is_empty() || url.contains(":memory:") {
                readers.clone()
            } else {
                // Commits do not copy the log back into the database file (a checkpoint, with its
                // fsync, would stall every writer queued behind that commit); `checkpointer` does.
                let writer = pool(1, co.pragma("wal_autocheckpoint", "0")).await?;
                tokio::spawn(checkpointer(readers.clone()));
                writer
            };
            Ok(Db::Sqlite(SqliteDb {
                readers,
                writer,
                lock: Arc::new(tokio::sync::Mutex::new(())),
            }))
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

    /// A SQLite file opened read-only, as it is: no journal-mode change, no file created — for
    /// checking a backup before anything trusts it.
    pub async fn open_sqlite_read_only(path: &std::path::Path) -> Result<Db> {
        let co = SqliteConnectOptions::new()
            .filename(path)
            .read_only(true)
            .create_if_missing(false);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .connect_with(co)
            .await?;
        Ok(Db::Sqlite(SqliteDb {
            readers: pool.clone(),
            writer: pool,
            lock: Arc::new(tokio::sync::Mutex::new(())),
        }))
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(..) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    pub async fn fetch_all<T: Record>(&self, sql: &str, args: Vec<Value>) -> Result<Vec<T>> {
        Ok(match self {
            Db::Sqlite(d) => run!(sqlite & d.readers, fetch_all, sql, args)?,
            Db::Postgres(p) => run!(postgres p, fetch_all, sql, args)?,
        })
    }

    /// Reads rows one at a time into `each` (no vector of rows held), stopping early when it
    /// returns false; for reads too large to hold as records. Returns the rows read.
    pub async fn for_each<T: Record>(
        &self,
        sql: &str,
        args: Vec<Value>,
        mut each: impl FnMut(T) -> bool + Send,
    ) -> Result<usize> {
        use futures::TryStreamExt;
        let mut n = 0;
        match self {
            Db::Sqlite(d) => {
                let q = bind_all!(
                    sqlx::query_as::<Sqlite, T>(AssertSqlSafe(sql.to_string())),
                    args
                );
                let mut rows = q.fetch(&d.readers);
                while let Some(row) = rows.try_next().await? {
                    n += 1;
                    if !each(row) {
                        break;
                    }
                }
            }
            Db::Postgres(p) => {
                let q = bind_all!(
                    sqlx::query_as::<Postgres, T>(AssertSqlSafe(to_postgres_placeholders(sql))),
                    args
                );
                let mut rows = q.fetch(p);
                while let Some(row) = rows.try_next().await? {
                    n += 1;
                    if !each(row) {
                        break;
                    }
                }
            }
        }
        Ok(n)
    }

    /// Runs `read` on one of SQLite's pooled reader connections through SQLite's C interface
    /// (for reads of millions of rows, see `raw_sqlite`); `None` on PostgreSQL, whose driver
    /// decodes rows in place and needs no such path.
    pub(crate) async fn sqlite_raw<R: Send>(
        &self,
        read: impl FnOnce(&mut crate::raw_sqlite::Conn<'_>) -> Result<R> + Send,
    ) -> Option<Result<R>> {
        let Db::Sqlite(d) = self else {
            return None;
        };
        let run = async move {
            let mut conn = d.readers.acquire().await?;
            let mut locked = conn.lock_handle().await?;
            // SAFETY: the lock keeps sqlx's worker thread off this connection until it drops,
            // after `read` and every statement it prepared are finished.
            let mut raw = unsafe { crate::raw_sqlite::Conn::new(locked.as_raw_handle()) };
            // The read blocks its thread (a district-year of incidents: a few hundred ms): on a
            // multi-threaded runtime the worker's other tasks move elsewhere meanwhile.
            match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
                Ok(tokio::runtime::RuntimeFlavor::MultiThread) => {
                    tokio::task::block_in_place(|| read(&mut raw))
                }
                _ => read(&mut raw),
            }
        };
        Some(run.await)
    }

    pub async fn fetch_optional<T: Record>(
        &self,
        sql: &str,
        args: Vec<Value>,
    ) -> Result<Option<T>> {
        Ok(match self {
            Db::Sqlite(d) => run!(sqlite & d.readers, fetch_optional, sql, args)?,
            Db::Postgres(p) => run!(postgres p, fetch_optional, sql, args)?,
        })
    }

    pub async fn fetch_one<T: Record>(&self, sql: &str, args: Vec<Value>) -> Result<T> {
        self.fetch_optional(sql, args)
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// One statement outside a transaction; on SQLite it takes its turn for the write lock.
    pub async fn execute(&self, sql: &str, args: Vec<Value>) -> Result<u64> {
        Ok(match self {
            Db::Sqlite(d) => {
                let _turn = d.write_lock().await?;
                run!(exec sqlite &d.writer, sql, args)?
            }
            Db::Postgres(p) => run!(exec postgres p, sql, args)?,
        })
    }

    /// A write transaction (SQLite: `BEGIN IMMEDIATE`).
    pub async fn begin(&self) -> Result<Tx> {
        Ok(match self {
            Db::Sqlite(d) => {
                let guard = d.write_lock().await?;
                Tx::new(TxInner::Sqlite(
                    d.writer.begin_with("BEGIN IMMEDIATE").await?,
                    guard,
                ))
            }
            Db::Postgres(p) => Tx::new(TxInner::Postgres(p.begin().await?)),
        })
    }

    /// Pool size and idle connections, for `/metrics`.
    pub fn pool_stats(&self) -> (u32, usize) {
        match self {
            Db::Sqlite(d) => (d.readers.size(), d.readers.num_idle()),
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
            Db::Sqlite(d) => {
                d.readers.close().await;
                d.writer.close().await;
            }
            Db::Postgres(p) => p.close().await,
        }
    }

    /// Appends audit records outside a business transaction (reads of personal data, failed logins).
    pub async fn audit(&self, entries: Vec<AuditEntry>) -> Result<()> {
        self.begin().await?.commit_audited(entries).await
    }
}

/// A transaction on either backend. Commit only through `commit_audited`.
///
/// Writes whose outcome nobody reads (events, change-feed rows, audit records) are `queue`d and sent
/// with the next statement: on SQLite every statement is a hand-off to the connection's thread and
/// back, and a write transaction holds the database's one write lock for all of them, so fewer
/// round trips inside it is what lets more transactions through. A queued statement that fails
/// fails whatever statement carried it, and the transaction with it.
pub struct Tx {
    inner: TxInner,
    queued: Vec<(String, Vec<Value>)>,
    /// Events for partners (警网融合) the transaction's changes emit: written to the outbox at the
    /// commit, so an event exists exactly when its change does.
    events: Vec<pingan_domain::sharing::Event>,
    /// Whom the commit must wake besides delivery (`wake`): the live board's readers, caches.
    wakes: Vec<crate::wake::Topic>,
}

enum TxInner {
    /// The transaction holds the process's SQLite write lock until it ends.
    Sqlite(
        Transaction<'static, Sqlite>,
        tokio::sync::OwnedMutexGuard<()>,
    ),
    Postgres(Transaction<'static, Postgres>),
}

/// The queued statements followed by `sql`, as one SQLite script: sqlx binds the `?`s of a script in
/// order across its statements, and only the last statement may return rows.
fn script(
    queued: Vec<(String, Vec<Value>)>,
    sql: Option<&str>,
    args: Vec<Value>,
) -> (String, Vec<Value>) {
    let mut text = String::new();
    let mut all = Vec::new();
    for (q, a) in queued {
        text.push_str(q.trim_end().trim_end_matches(';'));
        text.push_str(";\n");
        all.extend(a);
    }
    if let Some(sql) = sql {
        text.push_str(sql);
    }
    all.extend(args);
    (text, all)
}

impl Tx {
    fn new(inner: TxInner) -> Tx {
        Tx {
            events: Vec::new(),
            wakes: Vec::new(),
            inner,
            queued: Vec::new(),
        }
    }

    pub fn backend(&self) -> Backend {
        match self.inner {
            TxInner::Sqlite(..) => Backend::Sqlite,
            TxInner::Postgres(_) => Backend::Postgres,
        }
    }

    /// Queues a write to go with the next statement (or the commit). Only for statements that return
    /// no rows and whose row count does not matter.
    pub fn queue(&mut self, sql: &str, args: Vec<Value>) {
        self.queued.push((sql.to_string(), args));
    }

    /// Sends what is queued, on its own.
    async fn flush(&mut self) -> Result<()> {
        if self.queued.is_empty() {
            return Ok(());
        }
        let queued = std::mem::take(&mut self.queued);
        match &mut self.inner {
            TxInner::Sqlite(t, _) => {
                let (sql, args) = script(queued, None, vec![]);
                run!(exec sqlite &mut **t, &sql, args)?;
            }
            TxInner::Postgres(t) => {
                for (sql, args) in queued {
                    run!(exec postgres &mut **t, &sql, args)?;
                }
            }
        }
        Ok(())
    }

    pub async fn fetch_all<T: Record>(&mut self, sql: &str, args: Vec<Value>) -> Result<Vec<T>> {
        if let TxInner::Postgres(_) = self.inner {
            self.flush().await?;
        }
        let queued = std::mem::take(&mut self.queued);
        Ok(match &mut self.inner {
            TxInner::Sqlite(t, _) => {
                let (sql, args) = script(queued, Some(sql), args);
                run!(sqlite &mut **t, fetch_all, &sql, args)?
            }
            TxInner::Postgres(t) => run!(postgres &mut **t, fetch_all, sql, args)?,
        })
    }

    pub async fn fetch_optional<T: Record>(
        &mut self,
        sql: &str,
        args: Vec<Value>,
    ) -> Result<Option<T>> {
        if let TxInner::Postgres(_) = self.inner {
            self.flush().await?;
        }
        let queued = std::mem::take(&mut self.queued);
        Ok(match &mut self.inner {
            TxInner::Sqlite(t, _) => {
                let (sql, args) = script(queued, Some(sql), args);
                run!(sqlite &mut **t, fetch_optional, &sql, args)?
            }
            TxInner::Postgres(t) => run!(postgres &mut **t, fetch_optional, sql, args)?,
        })
    }

    pub async fn fetch_one<T: Record>(&mut self, sql: &str, args: Vec<Value>) -> Result<T> {
        self.fetch_optional(sql, args)
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// Emits an event for partners with this transaction's change (written at the commit).
    pub fn emit(&mut self, event: pingan_domain::sharing::Event) {
        self.events.push(event);
    }

    /// Runs one statement now (after what is queued) and returns the rows it changed.
    pub async fn execute(&mut self, sql: &str, args: Vec<Value>) -> Result<u64> {
        self.flush().await?;
        Ok(match &mut self.inner {
            TxInner::Sqlite(t, _) => run!(exec sqlite &mut **t, sql, args)?,
            TxInner::Postgres(t) => run!(exec postgres &mut **t, sql, args)?,
        })
    }

    /// Appends `entries` to the audit chain, then commits: the write and its audit record land together.
    pub async fn commit_audited(mut self, entries: Vec<AuditEntry>) -> Result<()> {
        use crate::wake::{CHANNEL, Topic, woken};
        let events = std::mem::take(&mut self.events);
        let mut topics = std::mem::take(&mut self.wakes);
        if !events.is_empty() {
            topics.push(Topic::Outbox);
        }
        crate::outbox::append(&mut self, events).await?;
        crate::audit::append(&mut self, entries).await?;
        if self.backend() == Backend::Postgres {
            // Delivered by PostgreSQL at the commit, to every server listening.
            // The payload names the schema: deployments (and tests) sharing a database hear only
            // their own.
            for t in &topics {
                self.queue(
                    "SELECT pg_notify(?, ? || ':' || current_schema())",
                    crate::args![CHANNEL, t.code()],
                );
            }
        }
        self.commit_unaudited().await?;
        for t in topics {
            woken(t).notify_waiters();
        }
        Ok(())
    }

    /// The commit will wake `topic`'s readers on every server.
    pub fn wake(&mut self, topic: crate::wake::Topic) {
        if !self.wakes.contains(&topic) {
            self.wakes.push(topic);
        }
    }

    /// For migrations and the audit module itself.
    pub(crate) async fn commit_unaudited(mut self) -> Result<()> {
        self.flush().await?;
        match self.inner {
            TxInner::Sqlite(t, _guard) => t.commit().await?,
            TxInner::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }

    pub async fn rollback(self) -> Result<()> {
        match self.inner {
            TxInner::Sqlite(t, _guard) => t.rollback().await?,
            TxInner::Postgres(t) => t.rollback().await?,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_joins_queued_statements_and_their_arguments_in_order() {
        let (sql, args) = script(
            vec![
                ("INSERT INTO a VALUES (?);".into(), args![1i64]),
                ("INSERT INTO b VALUES (?, ?)".into(), args!["x", 2i64]),
            ],
            Some("SELECT ?"),
            args![3i64],
        );
        assert_eq!(
            sql,
            "INSERT INTO a VALUES (?);\nINSERT INTO b VALUES (?, ?);\nSELECT ?"
        );
        assert_eq!(args, args![1i64, "x", 2i64, 3i64]);
    }

    #[test]
    fn placeholders() {
        assert_eq!(
            to_postgres_placeholders("SELECT * FROM t WHERE a = ? AND b = '?' AND c LIKE ?"),
            "SELECT * FROM t WHERE a = $1 AND b = '?' AND c LIKE $2"
        );
    }
}
