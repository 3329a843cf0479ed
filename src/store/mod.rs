//! Persistence: the connection pools, the entities and their queries.

pub mod blobs;
pub mod entities;
pub mod values;

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    AccessMode, ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, IsolationLevel, RuntimeErr, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

/// How to reach the database.
#[derive(Debug, Clone)]
pub struct DbSettings {
    /// `sqlite://…` or `postgres://…`.
    pub url: String,
    /// Connections for reads (SQLite) or for everything (PostgreSQL).
    pub pool_size: u32,
    /// How long a writer waits for SQLite's lock (and for SQLite's one
    /// writer connection).
    pub busy_timeout: Duration,
    /// How long a request waits for any other connection before it is
    /// answered 503: short, so that an outage fails fast.
    pub acquire_timeout: Duration,
    /// SQLite `synchronous=FULL` (durable) rather than `NORMAL`.
    pub sqlite_synchronous_full: bool,
}

/// The database: a read pool and a write pool. On SQLite the write pool is a
/// single connection that starts its transactions with `BEGIN IMMEDIATE`
/// (SQLite has one writer; more writer connections only add lock waits). On
/// PostgreSQL both are the same pool.
#[derive(Debug, Clone)]
pub struct Db {
    read: DatabaseConnection,
    write: DatabaseConnection,
    sqlite_file: Option<std::path::PathBuf>,
}

impl Db {
    /// Connects both pools; the SQLite file is created when missing.
    pub async fn connect(settings: &DbSettings) -> Result<Self, DbErr> {
        let is_sqlite = settings.url.starts_with("sqlite:");
        let sqlite_file = sqlite_path(&settings.url);
        if let Some(path) = sqlite_file {
            create_private(path).map_err(|e| DbErr::Custom(format!("{path}: {e}")))?;
        }
        let read = Database::connect(options(
            settings,
            settings.pool_size,
            settings.acquire_timeout,
        ))
        .await?;
        let write = if is_sqlite {
            Database::connect(options(settings, 1, settings.busy_timeout)).await?
        } else {
            read.clone()
        };
        Ok(Db {
            read,
            write,
            sqlite_file: sqlite_file.map(Into::into),
        })
    }

    /// The pool for reads outside a transaction.
    pub fn reader(&self) -> &DatabaseConnection {
        &self.read
    }

    /// The pool for single-statement writes outside a transaction.
    pub fn writer(&self) -> &DatabaseConnection {
        &self.write
    }

    /// The SQLite database's file (none for PostgreSQL or in memory).
    pub fn sqlite_file(&self) -> Option<&std::path::Path> {
        self.sqlite_file.as_deref()
    }

    /// Which backend this is.
    pub fn backend(&self) -> DbBackend {
        self.read.get_database_backend()
    }

    /// Starts a write transaction: `BEGIN IMMEDIATE` on SQLite, so that a
    /// read-then-write never fails to upgrade its lock; on PostgreSQL rows
    /// are locked with `SELECT … FOR UPDATE` where a transaction reads what it
    /// then changes.
    pub async fn begin_write(&self) -> Result<DatabaseTransaction, DbErr> {
        self.write
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await
    }

    /// Starts a read-only transaction that sees one snapshot of the database
    /// throughout: `REPEATABLE READ READ ONLY` on PostgreSQL; on SQLite (WAL)
    /// a deferred transaction on a reader, whose snapshot is taken at its
    /// first read.
    pub async fn begin_read(&self) -> Result<DatabaseTransaction, DbErr> {
        let options = if self.backend() == DbBackend::Postgres {
            TransactionOptions {
                isolation_level: Some(IsolationLevel::RepeatableRead),
                access_mode: Some(AccessMode::ReadOnly),
                ..Default::default()
            }
        } else {
            TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Deferred),
                ..Default::default()
            }
        };
        self.read.begin_with_options(options).await
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), DbErr> {
        self.read.ping().await
    }

    /// Applies every pending migration.
    pub async fn migrate(&self) -> Result<(), DbErr> {
        Migrator::up(&self.write, None).await
    }

    /// Closes both pools.
    pub async fn close(&self) -> Result<(), DbErr> {
        self.read.close_by_ref().await?;
        self.write.close_by_ref().await
    }
}

/// The file of a `sqlite://path?…` URL (none for in-memory databases).
fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then_some(path)
}

/// Creates the database file readable and writable by its owner only
/// (SQLite gives its WAL and shared-memory files the same mode).
fn create_private(path: &str) -> std::io::Result<()> {
    use std::fs::OpenOptions;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Pool options; `wait` bounds connecting and waiting for a connection.
fn options(settings: &DbSettings, max_connections: u32, wait: Duration) -> ConnectOptions {
    let mut options = ConnectOptions::new(settings.url.clone());
    let busy = settings.busy_timeout;
    let synchronous = if settings.sqlite_synchronous_full {
        SqliteSynchronous::Full
    } else {
        SqliteSynchronous::Normal
    };
    options
        .max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(wait)
        .acquire_timeout(wait)
        .test_before_acquire(false)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(move |o: SqliteConnectOptions| {
            o.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(synchronous)
                .busy_timeout(busy)
                .foreign_keys(true)
                // 16 MiB of page cache a connection (SQLite's default is
                // 2 MiB): a ledger of millions of rows keeps its index pages.
                .pragma("cache_size", "-16384")
        });
    options
}

/// True when the database gave up a transaction to break a deadlock or a
/// serialization conflict (PostgreSQL `40P01`, `40001`): run it again.
pub fn is_retryable(err: &DbErr) -> bool {
    match err {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            match e.as_ref() {
                sea_orm::sqlx::Error::Database(db) => {
                    matches!(db.code().as_deref(), Some("40P01" | "40001"))
                }
                _ => false,
            }
        }
        _ => false,
    }
}

/// True when the error means the database cannot be reached (as opposed to a
/// query that failed): such requests are answered with 503 and may be retried.
pub fn is_unavailable(err: &DbErr) -> bool {
    use sea_orm::sqlx::Error as Sqlx;
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            match e.as_ref() {
                Sqlx::Io(_) | Sqlx::PoolTimedOut | Sqlx::PoolClosed | Sqlx::WorkerCrashed => true,
                Sqlx::Database(db) => {
                    // PostgreSQL: the server is shutting down or refusing connections.
                    let code = db.code().unwrap_or_default();
                    code.starts_with("08") || code.starts_with("57P")
                        // SQLite: SQLITE_BUSY after the busy timeout.
                        || code == "5"
                }
                _ => false,
            }
        }
        _ => false,
    }
}

/// True when the error is a unique-constraint violation.
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}
