//! Document bytes, addressed by their SHA-256: in a PostgreSQL large object
//! (so that every instance reads them and a database backup holds them), or
//! in a file beside the SQLite database, `documents/ab/abcdef…` (so that a
//! copy of the data directory holds them). A file is written before the
//! transaction that records it; if that transaction fails, the file stays
//! unreferenced and harmless, and the same content later finds it there.

use std::io::Write;
use std::path::{Path, PathBuf};

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

use super::Db;

/// Where a SQLite database keeps its documents (an in-memory database, in
/// tests, keeps them in the system's temporary directory).
pub fn documents_dir(db: &Db) -> PathBuf {
    match db.sqlite_file().and_then(Path::parent) {
        Some(dir) => dir.join("documents"),
        None => std::env::temp_dir().join("voucher-ledger-documents"),
    }
}

fn file_of(dir: &Path, sha256: &str) -> PathBuf {
    dir.join(&sha256[..2]).join(sha256)
}

/// Writes `content` under `sha256` in `dir`, once: through a temporary file
/// renamed into place, synced, so that a reader never sees half a file.
pub fn write_file(dir: &Path, sha256: &str, content: &[u8]) -> std::io::Result<()> {
    let path = file_of(dir, sha256);
    if path.exists() {
        return Ok(());
    }
    let parent = path.parent().expect("a file has a directory");
    std::fs::create_dir_all(parent)?;
    let temporary = parent.join(format!(".{sha256}.{}", uuid::Uuid::now_v7()));
    let mut file = std::fs::File::create(&temporary)?;
    file.write_all(content)?;
    file.sync_all()?;
    std::fs::rename(&temporary, &path)
}

/// Creates a large object holding `content` (PostgreSQL), in the caller's
/// transaction: its oid.
pub async fn large_object<C: ConnectionTrait>(conn: &C, content: &[u8]) -> Result<i64, DbErr> {
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT CAST(lo_from_bytea(0, $1) AS BIGINT) AS oid",
            [content.to_vec().into()],
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("lo_from_bytea answered nothing".into()))?;
    row.try_get::<i64>("", "oid")
}

/// The bytes of a document: its large object when it has one, else its file.
pub async fn read(db: &Db, sha256: &str, lo_oid: Option<i64>) -> Result<Vec<u8>, DbErr> {
    match lo_oid {
        Some(oid) => {
            let row = db
                .reader()
                .query_one_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT lo_get(CAST($1 AS oid)) AS content",
                    [oid.into()],
                ))
                .await?
                .ok_or_else(|| DbErr::Custom(format!("large object {oid} is missing")))?;
            row.try_get::<Vec<u8>>("", "content")
        }
        None => std::fs::read(file_of(&documents_dir(db), sha256))
            .map_err(|e| DbErr::Custom(format!("document {sha256}: {e}"))),
    }
}
