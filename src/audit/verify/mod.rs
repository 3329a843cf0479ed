//! Verification of a region's audit chain against itself and against the
//! ledger: every event's hash is recomputed from its stored bytes and its
//! predecessor; the transfers the events record are compared with the stored
//! postings; the stored balances are compared with the postings. Any
//! difference names the first bad sequence number.
//!
//! Events, postings and accounts are streamed; what is kept in memory is a
//! sum per account and a fingerprint of each side, not the events themselves.

mod chain;
mod finding;
mod sqlite_file;

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use futures::StreamExt;
use sea_orm::{
    ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, EntityTrait, QueryResult, Statement,
    StreamTrait,
};
use serde::Serialize;
use uuid::Uuid;

use crate::domain::Region;
use crate::store::entities::audit_heads;
use crate::store::Db;
use chain::{
    check_chunk, recorded_in, Chain, Checked, Findings, Fingerprint, Ledger, Scan, StoredEvent,
    ACCOUNTS_SQL, EVENT_COLUMNS, POSTINGS_SQL, TRANSFERS_SQL,
};
pub use finding::Finding;

/// The outcome of a verification.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    pub region: Region,
    pub ok: bool,
    pub events_checked: u64,
    pub head_seq: i64,
    pub head_hash: String,
    /// The first sequence number at which something is wrong.
    pub first_bad_seq: Option<i64>,
    /// What is wrong, for people (at most 20 lines).
    pub problems: Vec<String>,
    /// The same, for a reader in another language.
    #[serde(skip)]
    pub findings: Vec<Finding>,
}

/// A digest of a transfer's legs, in leg order.
fn digest(legs: impl Iterator<Item = (Uuid, i64)>) -> u64 {
    let mut hasher = DefaultHasher::new();
    for (account, amount) in legs {
        account.hash(&mut hasher);
        amount.hash(&mut hasher);
    }
    hasher.finish()
}

/// Verifies `region`'s chain and its agreement with the ledger, in one
/// read snapshot: what it reads is what was committed when it began, so
/// money moving meanwhile raises no false alarm.
///
/// A SQLite file is read directly, on its own read-only connection in one
/// transaction (one snapshot), on blocking threads. PostgreSQL is read
/// through the ORM's stream on two connections that share one exported
/// snapshot, the events on one and the ledger on the other, at once; an
/// in-memory SQLite through the ORM, one side after the other. Only when
/// the ledger differs from the events is it all read again, in a later
/// snapshot of the same committed rows, to say where.
pub async fn verify(db: &Db, region: &Region) -> Result<Verification, DbErr> {
    let fingerprint = Fingerprint::fresh();
    let scan = match db.sqlite_file() {
        Some(file) => {
            let (file, name) = (file.to_owned(), region.to_string());
            tokio::task::spawn_blocking(move || sqlite_file::scan(&file, &name, fingerprint))
                .await
                .map_err(|e| DbErr::Custom(format!("verifying: {e}")))??
        }
        None if db.backend() == DbBackend::Postgres => {
            let snapshot = db.begin_read().await?;
            let scan = scan_shared_snapshot(db, &snapshot, region, fingerprint).await;
            snapshot.rollback().await?;
            scan?
        }
        None => {
            let snapshot = db.begin_read().await?;
            let scan = scan_one_connection(&snapshot, region, fingerprint).await;
            snapshot.rollback().await?;
            scan?
        }
    };
    if scan.ledger_agrees && scan.differing.is_empty() {
        return Ok(verification(region, scan));
    }
    let snapshot = db.begin_read().await?;
    let explained = explain(&snapshot, region, scan).await;
    snapshot.rollback().await?;
    explained
}

/// The chain, then the ledger, as `conn` sees them.
async fn scan_one_connection<C: ConnectionTrait + StreamTrait>(
    conn: &C,
    region: &Region,
    fingerprint: Fingerprint,
) -> Result<Scan, DbErr> {
    let chain = read_chain(conn, region, fingerprint).await?;
    let ledger = read_ledger(conn, region, chain.fingerprint()).await?;
    Ok(Scan::of(chain, ledger))
}

/// The chain read in `snapshot` while the ledger is read at once on another
/// connection that imports the same snapshot (PostgreSQL).
async fn scan_shared_snapshot(
    db: &Db,
    snapshot: &DatabaseTransaction,
    region: &Region,
    fingerprint: Fingerprint,
) -> Result<Scan, DbErr> {
    let exported = snapshot
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_export_snapshot()",
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("no snapshot exported".into()))?
        .try_get_by_index::<String>(0)?;
    if !exported.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        return Err(DbErr::Custom(format!(
            "unexpected snapshot id {exported:?}"
        )));
    }
    let other = db.begin_read().await?;
    other
        .execute_unprepared(&format!("SET TRANSACTION SNAPSHOT '{exported}'"))
        .await?;
    let (like, name) = (fingerprint.empty_like(), region.clone());
    let ledger = tokio::spawn(async move {
        let ledger = read_ledger(&other, &name, &like).await;
        other.rollback().await?;
        ledger
    });
    let chain = read_chain(snapshot, region, fingerprint).await;
    let ledger = ledger
        .await
        .map_err(|e| DbErr::Custom(format!("reading the ledger: {e}")))?;
    Ok(Scan::of(chain?, ledger?))
}

/// The verification a scan amounts to.
fn verification(region: &Region, scan: Scan) -> Verification {
    Verification {
        region: region.clone(),
        ok: scan.found.first_bad.is_none(),
        events_checked: scan.events_checked,
        head_seq: scan.head_seq,
        head_hash: scan.head_hash,
        first_bad_seq: scan.found.first_bad,
        problems: scan.found.problems.iter().map(Finding::to_string).collect(),
        findings: scan.found.problems,
    }
}

/// Names the events at which the ledger differs from what they record.
async fn explain<C: ConnectionTrait + StreamTrait>(
    conn: &C,
    region: &Region,
    mut scan: Scan,
) -> Result<Verification, DbErr> {
    if !scan.ledger_agrees {
        locate_difference(conn, region, scan.head_seq, &mut scan.found).await?;
    }
    // A stored balance that differs from the postings (which agree with the
    // events) is named at the last event that moved the account.
    let differing = std::mem::take(&mut scan.differing);
    if !differing.is_empty() {
        let last_touch = last_events_moving(conn, region, &differing).await?;
        for account in differing {
            let seq = last_touch
                .get(&account)
                .copied()
                .unwrap_or(scan.head_seq.max(1));
            scan.found.mark(seq, Finding::BalanceDiffers { account });
        }
    }
    Ok(verification(region, scan))
}

/// `sql` with `?` placeholders, numbered for PostgreSQL.
fn statement(backend: DbBackend, sql: &str, values: Vec<sea_orm::Value>) -> Statement {
    let sql = if backend == DbBackend::Postgres {
        let mut n = 0;
        sql.split('?')
            .enumerate()
            .map(|(i, part)| {
                if i == 0 {
                    part.to_owned()
                } else {
                    n += 1;
                    format!("${n}{part}")
                }
            })
            .collect()
    } else {
        sql.to_owned()
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// Streams the rows of `sql` (with `?` placeholders) and hands each to `row`.
async fn each_row<C: StreamTrait>(
    conn: &C,
    sql: &str,
    values: Vec<sea_orm::Value>,
    mut row: impl FnMut(QueryResult) -> Result<(), DbErr>,
) -> Result<(), DbErr> {
    let rows = conn
        .stream_raw(statement(conn.get_database_backend(), sql, values))
        .await?;
    let mut rows = std::pin::pin!(rows);
    while let Some(next) = rows.next().await {
        row(next?)?;
    }
    Ok(())
}

/// The events of `region` as `conn` sees them, streamed once in order and
/// decoded without the ORM's models; their hashes are checked in chunks on
/// the blocking pool while the next chunk is read.
async fn read_chain<C: ConnectionTrait + StreamTrait>(
    conn: &C,
    region: &Region,
    fingerprint: Fingerprint,
) -> Result<Chain, DbErr> {
    let head = audit_heads::Entity::find_by_id(region.clone())
        .one(conn)
        .await?;
    let mut chain = Chain::new(head.map(|h| (h.seq, h.hash)), fingerprint);
    let mut in_flight = std::collections::VecDeque::new();
    let rows = conn
        .stream_raw(statement(
            StreamTrait::get_database_backend(conn),
            &format!("SELECT {EVENT_COLUMNS} FROM audit_events WHERE region = ? ORDER BY seq"),
            vec![region.to_string().into()],
        ))
        .await?;
    // Boxed, so that dropping it below ends the stream and frees the
    // snapshot's connection for the next query.
    let mut rows = Box::pin(rows);
    loop {
        let next = rows.next().await.transpose()?;
        let chunk = match &next {
            Some(row) => chain.event(decode_event(row)?),
            None => Some(chain.take_chunk()),
        };
        if let Some(events) = chunk.filter(|c| !c.is_empty()) {
            if in_flight.len() == 2 {
                if let Some(oldest) = in_flight.pop_front() {
                    chain.checked(joined(oldest).await?);
                }
            }
            let (region, like) = (region.to_string(), chain.fingerprint().empty_like());
            in_flight.push_back(tokio::task::spawn_blocking(move || {
                check_chunk(&region, &like, events)
            }));
        }
        if next.is_none() {
            break;
        }
    }
    drop(rows);
    while let Some(task) = in_flight.pop_front() {
        chain.checked(joined(task).await?);
    }
    chain.end();
    Ok(chain)
}

/// The ledger of `region` as `conn` sees it: its transfers counted, its
/// legs and balances streamed once each.
async fn read_ledger<C: ConnectionTrait + StreamTrait>(
    conn: &C,
    region: &Region,
    like: &Fingerprint,
) -> Result<Ledger, DbErr> {
    let mut ledger = Ledger::new(like);
    let region_value = || vec![region.to_string().into()];
    each_row(conn, TRANSFERS_SQL, region_value(), |row| {
        ledger.transfers(row.try_get_by_index(0)?);
        Ok(())
    })
    .await?;
    each_row(conn, POSTINGS_SQL, region_value(), |row| {
        let leg: i16 = row.try_get_by_index(1)?;
        ledger.posting(
            row.try_get_by_index(0)?,
            leg.into(),
            row.try_get_by_index(2)?,
            row.try_get_by_index(3)?,
        );
        Ok(())
    })
    .await?;
    each_row(conn, ACCOUNTS_SQL, region_value(), |row| {
        ledger.account(row.try_get_by_index(0)?, row.try_get_by_index(1)?);
        Ok(())
    })
    .await?;
    Ok(ledger)
}

/// The result of a chunk's check.
async fn joined(task: tokio::task::JoinHandle<Checked>) -> Result<Checked, DbErr> {
    task.await
        .map_err(|e| DbErr::Custom(format!("checking events: {e}")))
}

/// An event from a row of [`EVENT_COLUMNS`], by position.
fn decode_event(row: &QueryResult) -> Result<StoredEvent, DbErr> {
    Ok(StoredEvent {
        seq: row.try_get_by_index(0)?,
        id: row.try_get_by_index(1)?,
        operation_id: row.try_get_by_index(2)?,
        occurred_at: row.try_get_by_index(3)?,
        actor_sub: row.try_get_by_index(4)?,
        actor_role: row.try_get_by_index(5)?,
        actor_region: row.try_get_by_index(6)?,
        actor_via: row.try_get_by_index(15)?,
        action: row.try_get_by_index(7)?,
        entity_type: row.try_get_by_index(8)?,
        entity_id: row.try_get_by_index(9)?,
        request_id: row.try_get_by_index(10)?,
        idempotency_key: row.try_get_by_index(11)?,
        payload: row.try_get_by_index(12)?,
        prev_hash: row.try_get_by_index(13)?,
        hash: row.try_get_by_index(14)?,
    })
}

/// A stored transfer: its id, its operation and its legs (account, fen).
type StoredTransfer = (Uuid, Option<Uuid>, Vec<(Uuid, i64)>);

/// The slow path, when the events' transfers and the ledger's differ: which
/// transfer of which event, read again side by side.
async fn locate_difference<C: ConnectionTrait + StreamTrait>(
    conn: &C,
    region: &Region,
    head_seq: i64,
    found: &mut Findings,
) -> Result<(), DbErr> {
    // id → (seq, digest) of every recorded transfer; operation → first seq.
    let mut recorded: HashMap<Uuid, (i64, u64)> = HashMap::new();
    let mut operations: HashMap<Uuid, i64> = HashMap::new();
    each_row(
        conn,
        "SELECT seq, operation_id, payload FROM audit_events WHERE region = ? ORDER BY seq",
        vec![region.to_string().into()],
        |row| {
            let (seq, operation, payload): (i64, Uuid, String) = (
                row.try_get_by_index(0)?,
                row.try_get_by_index(1)?,
                row.try_get_by_index(2)?,
            );
            operations.entry(operation).or_insert(seq);
            let transfers = recorded_in(&payload);
            for t in transfers {
                let legs = t.legs.iter().map(|l| (l.account_id, l.amount_fen));
                recorded.insert(t.id, (seq, digest(legs)));
            }
            Ok(())
        },
    )
    .await?;
    let mut stored: Vec<StoredTransfer> = Vec::new();
    each_row(
        conn,
        "SELECT t.id, t.operation_id, p.account_id, p.amount FROM transfers t \
         LEFT JOIN postings p ON p.transfer_id = t.id WHERE t.region = ? ORDER BY t.id, p.leg",
        vec![region.to_string().into()],
        |row| {
            let (id, operation): (Uuid, Option<Uuid>) =
                (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
            let leg: Option<(Uuid, i64)> = match row.try_get_by_index::<Option<Uuid>>(2)? {
                Some(account) => Some((account, row.try_get_by_index(3)?)),
                None => None,
            };
            match stored.last_mut() {
                Some((current, _, legs)) if *current == id => legs.extend(leg),
                _ => stored.push((id, operation, leg.into_iter().collect())),
            }
            Ok(())
        },
    )
    .await?;
    for (transfer, operation, legs) in stored {
        let actual = digest(legs.into_iter());
        match recorded.remove(&transfer) {
            Some((seq, expected)) if expected != actual => {
                found.mark(seq, Finding::PostingsDiffer { transfer, seq })
            }
            Some(_) => {}
            None => {
                let seq = operation
                    .and_then(|o| operations.get(&o).copied())
                    .unwrap_or(head_seq.max(1));
                found.mark(seq, Finding::Unrecorded { transfer });
            }
        }
    }
    for (transfer, (seq, _)) in recorded {
        found.mark(seq, Finding::NotInLedger { transfer, seq });
    }
    Ok(())
}

/// The last event that records a leg on each of `accounts`.
async fn last_events_moving<C: ConnectionTrait + StreamTrait>(
    conn: &C,
    region: &Region,
    accounts: &[Uuid],
) -> Result<HashMap<Uuid, i64>, DbErr> {
    let wanted: std::collections::HashSet<Uuid> = accounts.iter().copied().collect();
    let mut last = HashMap::new();
    each_row(
        conn,
        "SELECT seq, payload FROM audit_events WHERE region = ? ORDER BY seq",
        vec![region.to_string().into()],
        |row| {
            let (seq, payload): (i64, String) =
                (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
            let transfers = recorded_in(&payload);
            for leg in transfers.iter().flat_map(|t| &t.legs) {
                if wanted.contains(&leg.account_id) {
                    last.insert(leg.account_id, seq);
                }
            }
            Ok(())
        },
    )
    .await?;
    Ok(last)
}
