//! Storage errors, in terms callers can act on.

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("invalid: {0}")]
    Invalid(String),
    #[error("database url `{0}` is not sqlite:… or postgres://…")]
    BadUrl(String),
    #[error("migration {version} ({name}) failed: {source}")]
    Migration {
        version: i64,
        name: &'static str,
        source: sqlx::Error,
    },
    /// No database connection came free in time: the server is overloaded; retry shortly.
    #[error("the database is busy")]
    Busy,
    #[error("database error: {0}")]
    Db(#[source] sqlx::Error),
    /// From a read made through SQLite's C interface (see `raw_sqlite`).
    #[error("database error: SQLite {code}: {message}")]
    Sqlite { code: i32, message: String },
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::PoolTimedOut => StoreError::Busy,
            sqlx::Error::Database(d) if d.is_unique_violation() => {
                StoreError::Conflict(d.message().to_string())
            }
            // 22021 character_not_in_repertoire: from a Rust string this can only be NUL, which
            // PostgreSQL text cannot hold. The caller's input, not a server fault.
            sqlx::Error::Database(d) if d.code().as_deref() == Some("22021") => {
                StoreError::Invalid("text may not contain the NUL character (U+0000)".into())
            }
            _ => StoreError::Db(e),
        }
    }
}
