//! The pass over a SQLite file, read directly: its own read-only connection,
//! one transaction (so one snapshot, taken at the first read), rows stepped
//! and decoded in place. The ORM's driver hands each row from a worker
//! thread to the async side, which bounds a verification of a million
//! events to one core and a third of the rate; here the reader keeps one
//! core busy and the event hashes are checked on the others.

use std::path::Path;
use std::sync::mpsc::sync_channel;

use chrono::{DateTime, NaiveDateTime, Utc};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row};
use sea_orm::DbErr;
use uuid::Uuid;

use super::chain::{
    check_chunk, Chain, Checked, Fingerprint, Ledger, Scan, StoredEvent, ACCOUNTS_SQL,
    EVENT_COLUMNS, POSTINGS_SQL, TRANSFERS_SQL,
};

fn failed(e: impl std::fmt::Display) -> DbErr {
    DbErr::Custom(format!("verifying the SQLite file: {e}"))
}

/// One pass over `region` in the SQLite database at `file`.
pub fn scan(file: &Path, region: &str, fingerprint: Fingerprint) -> Result<Scan, DbErr> {
    let conn = Connection::open_with_flags(
        file,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(failed)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(failed)?;
    conn.execute_batch("BEGIN DEFERRED").map_err(failed)?;
    let scan = scan_in(&conn, region, fingerprint);
    conn.execute_batch("ROLLBACK").map_err(failed)?;
    scan
}

fn scan_in(conn: &Connection, region: &str, fingerprint: Fingerprint) -> Result<Scan, DbErr> {
    let sqlite = |sql: &str| sql.replace('?', "?1");
    let head = conn
        .query_row(
            "SELECT seq, hash FROM audit_heads WHERE region = ?1",
            [region],
            |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?)),
        )
        .optional()
        .map_err(failed)?;
    let mut chain = Chain::new(head, fingerprint);
    let mut ledger = Ledger::new(chain.fingerprint());
    let hashers = std::thread::available_parallelism().map_or(1, |n| n.get());
    std::thread::scope(|threads| -> Result<(), DbErr> {
        // Chunks go round to the hashers, two waiting at most for each.
        let (mut queues, mut results) = (Vec::new(), Vec::new());
        for _ in 0..hashers {
            let (queue, chunks) = sync_channel::<Vec<StoredEvent>>(2);
            let like = chain.fingerprint().empty_like();
            queues.push(queue);
            results.push(threads.spawn(move || {
                let mut all = Checked::empty_like(&like);
                for chunk in chunks {
                    all.merge(check_chunk(region, &like, chunk));
                }
                all
            }));
        }
        let mut statement = conn
            .prepare(&format!(
                "SELECT {EVENT_COLUMNS} FROM audit_events WHERE region = ?1 ORDER BY seq"
            ))
            .map_err(failed)?;
        let mut rows = statement.query([region]).map_err(failed)?;
        let mut next_queue = 0;
        let mut send = |chunk: Vec<StoredEvent>| -> Result<(), DbErr> {
            queues[next_queue % hashers]
                .send(chunk)
                .map_err(|_| failed("a hashing thread stopped"))?;
            next_queue += 1;
            Ok(())
        };
        while let Some(row) = rows.next().map_err(failed)? {
            if let Some(chunk) = chain.event(decode_event(row)?) {
                send(chunk)?;
            }
        }
        send(chain.take_chunk())?;
        drop(queues);
        // The ledger is read while the last chunks hash.
        let count = conn
            .query_row(&sqlite(TRANSFERS_SQL), [region], |row| row.get(0))
            .map_err(failed)?;
        ledger.transfers(count);
        let mut postings = conn.prepare(&sqlite(POSTINGS_SQL)).map_err(failed)?;
        let mut rows = postings.query([region]).map_err(failed)?;
        while let Some(row) = rows.next().map_err(failed)? {
            let (leg, amount) = (row.get(1).map_err(failed)?, row.get(3).map_err(failed)?);
            ledger.posting(uuid(row, 0)?, leg, uuid(row, 2)?, amount);
        }
        let mut accounts = conn.prepare(&sqlite(ACCOUNTS_SQL)).map_err(failed)?;
        let mut rows = accounts.query([region]).map_err(failed)?;
        while let Some(row) = rows.next().map_err(failed)? {
            let balance = row.get(1).map_err(failed)?;
            ledger.account(uuid(row, 0)?, balance);
        }
        for result in results {
            let checked = result
                .join()
                .map_err(|_| failed("a hashing thread failed"))?;
            chain.checked(checked);
        }
        Ok(())
    })?;
    chain.end();
    Ok(Scan::of(chain, ledger))
}

/// A UUID as the ORM's driver stores it (16 bytes; text accepted too).
fn uuid(row: &Row<'_>, index: usize) -> Result<Uuid, DbErr> {
    let value = row.get_ref(index).map_err(failed)?;
    match value {
        ValueRef::Blob(bytes) => Uuid::from_slice(bytes).map_err(failed),
        ValueRef::Text(text) => std::str::from_utf8(text)
            .map_err(failed)
            .and_then(|t| Uuid::parse_str(t).map_err(failed)),
        other => Err(failed(format!(
            "column {index} holds {:?}, not a UUID",
            other.data_type()
        ))),
    }
}

/// A timestamp as the ORM's driver stores it (text, with or without an
/// offset; UTC when without).
fn timestamp(row: &Row<'_>, index: usize) -> Result<DateTime<Utc>, DbErr> {
    let text = row
        .get_ref(index)
        .map_err(failed)?
        .as_str()
        .map_err(failed)?;
    DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%:z"))
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| {
            NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").map(|t| t.and_utc())
        })
        .map_err(|e| failed(format!("timestamp {text:?}: {e}")))
}

/// An event from a row of [`EVENT_COLUMNS`], by position.
fn decode_event(row: &Row<'_>) -> Result<StoredEvent, DbErr> {
    let text = |i: usize| row.get::<_, String>(i).map_err(failed);
    let optional = |i: usize| row.get::<_, Option<String>>(i).map_err(failed);
    Ok(StoredEvent {
        seq: row.get(0).map_err(failed)?,
        id: uuid(row, 1)?,
        operation_id: uuid(row, 2)?,
        occurred_at: timestamp(row, 3)?,
        actor_sub: text(4)?,
        actor_role: text(5)?,
        actor_region: optional(6)?,
        actor_via: optional(15)?,
        action: text(7)?,
        entity_type: text(8)?,
        entity_id: text(9)?,
        request_id: optional(10)?,
        idempotency_key: optional(11)?,
        payload: text(12)?,
        prev_hash: text(13)?,
        hash: text(14)?,
    })
}
