//! Verification of a region's audit chain against itself and against the
//! ledger: every event's hash is recomputed from its stored bytes and its
//! predecessor; the transfers the events record are compared with the stored
//! postings; the stored balances are compared with the postings. Any
//! difference names the first bad sequence number.
//!
//! Events, postings and accounts are streamed; what is kept in memory is a
//! sum per account and a fingerprint of each side, not the events themselves.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use futures::StreamExt;
use sea_orm::{
    ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryResult, Statement, StreamTrait,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

use super::canonical::{self, HashedFields, GENESIS};
use super::timestamp;
use crate::domain::Region;
use crate::store::entities::audit_heads;
use crate::store::Db;

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
}

struct Findings {
    first_bad: Option<i64>,
    problems: Vec<String>,
}

impl Findings {
    fn mark(&mut self, seq: i64, problem: String) {
        self.first_bad = Some(self.first_bad.map_or(seq, |b| b.min(seq)));
        if self.problems.len() < 20 {
            self.problems.push(problem);
        }
    }
}

/// The part of a payload verification reads: the transfers.
#[derive(Deserialize)]
struct RecordedPayload {
    #[serde(default)]
    transfers: Vec<RecordedTransfer>,
}

#[derive(Deserialize)]
struct RecordedTransfer {
    id: Uuid,
    legs: Vec<RecordedLeg>,
}

#[derive(Deserialize)]
struct RecordedLeg {
    account_id: Uuid,
    amount_fen: i64,
}

/// The transfers a payload records (none if it records none).
fn recorded_in(payload: &str) -> Vec<RecordedTransfer> {
    serde_json::from_str::<RecordedPayload>(payload)
        .map(|p| p.transfers)
        .unwrap_or_default()
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
pub async fn verify(db: &Db, region: &Region) -> Result<Verification, DbErr> {
    let snapshot = db.begin_read().await?;
    let verification = verify_in(&snapshot, region).await;
    snapshot.rollback().await?;
    verification
}

/// An order-independent fingerprint of a set of transfers: the count and the
/// wrapping sum of a SHA-256 digest of each transfer's id and legs. The
/// events' transfers and the ledger's agree when their fingerprints do.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Fingerprint {
    transfers: u64,
    sum: u128,
}

impl Fingerprint {
    fn add(&mut self, transfer: Uuid, legs: impl Iterator<Item = (Uuid, i64)>) {
        let mut hasher = Sha256::new();
        hasher.update(transfer.as_bytes());
        for (account, amount) in legs {
            hasher.update(account.as_bytes());
            hasher.update(amount.to_le_bytes());
        }
        let digest = hasher.finalize();
        let mut low = [0u8; 16];
        low.copy_from_slice(&digest[..16]);
        self.transfers += 1;
        self.sum = self.sum.wrapping_add(u128::from_le_bytes(low));
    }
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

/// Events whose hashes and transfers are checked together, off the reader.
const CHUNK: usize = 2048;

/// What checking a chunk of events found: the fingerprint of the transfers
/// they record, and what is wrong, by sequence number.
#[derive(Default)]
struct Checked {
    recorded: Fingerprint,
    problems: Vec<(i64, String)>,
}

/// Recomputes each event's hash and checks the transfers it records.
fn check_chunk(region: &str, events: Vec<StoredEvent>) -> Checked {
    let mut checked = Checked::default();
    for e in events {
        if e.recomputed_hash(region) != e.hash {
            let problem = format!("event {} does not match its hash", e.seq);
            checked.problems.push((e.seq, problem));
        }
        for t in e.transfers() {
            if t.legs.iter().map(|l| l.amount_fen).sum::<i64>() != 0 {
                let problem = format!("event {} records an unbalanced transfer {}", e.seq, t.id);
                checked.problems.push((e.seq, problem));
            }
            let legs = t.legs.iter().map(|l| (l.account_id, l.amount_fen));
            checked.recorded.add(t.id, legs);
        }
    }
    checked
}

/// Verifies `region` with what `conn` sees (one snapshot, if it is a
/// read transaction). The events, the transfers with their postings and the
/// accounts are each streamed once, in order, decoded without the ORM;
/// what is kept is a sum per account and a fingerprint of each side. Only
/// when the two sides differ are they read again to find the first bad event.
pub async fn verify_in<C: ConnectionTrait + StreamTrait>(
    conn: &C,
    region: &Region,
) -> Result<Verification, DbErr> {
    let head = audit_heads::Entity::find_by_id(region.clone())
        .one(conn)
        .await?;
    let (head_seq, head_hash) = head.map(|h| (h.seq, h.hash)).unwrap_or((0, GENESIS.into()));
    let mut found = Findings {
        first_bad: None,
        problems: Vec::new(),
    };

    // The chain: its links are checked in order as the events stream by;
    // their hashes and the transfers they record are checked in chunks on
    // the blocking pool while the next chunk is read.
    let mut recorded = Fingerprint::default();
    let (mut expected, mut prev, mut checked) = (1i64, GENESIS.to_owned(), 0u64);
    let mut absorb = |done: Checked, found: &mut Findings| {
        recorded.transfers += done.recorded.transfers;
        recorded.sum = recorded.sum.wrapping_add(done.recorded.sum);
        for (seq, problem) in done.problems {
            found.mark(seq, problem);
        }
    };
    let mut in_flight = std::collections::VecDeque::new();
    let mut chunk = Vec::with_capacity(CHUNK);
    let rows = conn
        .stream_raw(statement(
            StreamTrait::get_database_backend(conn),
            "SELECT seq, id, operation_id, occurred_at, actor_sub, actor_role, actor_region, \
             action, entity_type, entity_id, request_id, idempotency_key, payload, prev_hash, \
             hash FROM audit_events WHERE region = ? ORDER BY seq",
            vec![region.to_string().into()],
        ))
        .await?;
    // Boxed, so that dropping it below ends the stream and frees the
    // snapshot's connection for the next query.
    let mut rows = Box::pin(rows);
    loop {
        let next = rows.next().await.transpose()?;
        let full = next.is_none() || chunk.len() == CHUNK;
        if full && !chunk.is_empty() {
            if in_flight.len() == 2 {
                if let Some(oldest) = in_flight.pop_front() {
                    absorb(joined(oldest).await?, &mut found);
                }
            }
            let (region, events) = (region.to_string(), std::mem::take(&mut chunk));
            in_flight.push_back(tokio::task::spawn_blocking(move || {
                check_chunk(&region, events)
            }));
        }
        let Some(row) = next else { break };
        let e = StoredEvent::decode(&row)?;
        if e.seq != expected {
            found.mark(
                expected,
                format!("events {expected} to {} are missing", e.seq - 1),
            );
        } else if e.prev_hash != prev {
            found.mark(
                e.seq,
                format!("event {} does not follow its predecessor", e.seq),
            );
        }
        prev.clone_from(&e.hash);
        expected = e.seq + 1;
        checked += 1;
        chunk.push(e);
    }
    drop(rows);
    while let Some(task) = in_flight.pop_front() {
        absorb(joined(task).await?, &mut found);
    }
    let last_seq = expected - 1;
    if head_seq > last_seq {
        found.mark(
            last_seq + 1,
            format!("events {} to {head_seq} are missing", last_seq + 1),
        );
    } else if head_seq < last_seq || head_hash != prev {
        found.mark(
            head_seq.max(1),
            "the chain head does not match the last event".into(),
        );
    }

    // The stored transfers and their postings, in one ordered stream; and
    // the sum of the postings of each account.
    let mut ledger = Fingerprint::default();
    let mut posted: HashMap<Uuid, i64> = HashMap::new();
    let mut transfer: Option<(Uuid, Vec<(Uuid, i64)>)> = None;
    each_row(
        conn,
        "SELECT t.id, p.account_id, p.amount FROM transfers t \
         JOIN postings p ON p.transfer_id = t.id WHERE t.region = ? ORDER BY t.id, p.leg",
        vec![region.to_string().into()],
        |row| {
            let (id, account, amount): (Uuid, Uuid, i64) = (
                row.try_get_by_index(0)?,
                row.try_get_by_index(1)?,
                row.try_get_by_index(2)?,
            );
            *posted.entry(account).or_default() += amount;
            match &mut transfer {
                Some((current, legs)) if *current == id => legs.push((account, amount)),
                _ => {
                    if let Some((done, legs)) = transfer.replace((id, vec![(account, amount)])) {
                        ledger.add(done, legs.into_iter());
                    }
                }
            }
            Ok(())
        },
    )
    .await?;
    if let Some((done, legs)) = transfer {
        ledger.add(done, legs.into_iter());
    }
    if ledger != recorded {
        locate_difference(conn, region, head_seq, &mut found).await?;
    }

    // The stored balances against the postings (which agree with the
    // events): a difference is named at the last event that moved the account.
    let mut differing = Vec::new();
    each_row(
        conn,
        "SELECT id, balance FROM accounts WHERE region = ?",
        vec![region.to_string().into()],
        |row| {
            let (account, balance): (Uuid, i64) =
                (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
            if balance != posted.get(&account).copied().unwrap_or(0) {
                differing.push(account);
            }
            Ok(())
        },
    )
    .await?;
    if !differing.is_empty() {
        let last_touch = last_events_moving(conn, region, &differing).await?;
        for account in differing {
            let seq = last_touch.get(&account).copied().unwrap_or(head_seq.max(1));
            found.mark(
                seq,
                format!("the balance of account {account} differs from its events"),
            );
        }
    }

    Ok(Verification {
        region: region.clone(),
        ok: found.first_bad.is_none(),
        events_checked: checked,
        head_seq,
        head_hash,
        first_bad_seq: found.first_bad,
        problems: found.problems,
    })
}

/// The result of a chunk's check.
async fn joined(task: tokio::task::JoinHandle<Checked>) -> Result<Checked, DbErr> {
    task.await
        .map_err(|e| DbErr::Custom(format!("checking events: {e}")))
}

/// An event as stored, decoded from its row by position.
struct StoredEvent {
    seq: i64,
    id: Uuid,
    operation_id: Uuid,
    occurred_at: chrono::DateTime<chrono::Utc>,
    actor_sub: String,
    actor_role: String,
    actor_region: Option<String>,
    action: String,
    entity_type: String,
    entity_id: String,
    request_id: Option<String>,
    idempotency_key: Option<String>,
    payload: String,
    prev_hash: String,
    hash: String,
}

impl StoredEvent {
    /// From a row of `seq, id, operation_id, occurred_at, actor_sub,
    /// actor_role, actor_region, action, entity_type, entity_id, request_id,
    /// idempotency_key, payload, prev_hash, hash`.
    fn decode(row: &QueryResult) -> Result<Self, DbErr> {
        Ok(StoredEvent {
            seq: row.try_get_by_index(0)?,
            id: row.try_get_by_index(1)?,
            operation_id: row.try_get_by_index(2)?,
            occurred_at: row.try_get_by_index(3)?,
            actor_sub: row.try_get_by_index(4)?,
            actor_role: row.try_get_by_index(5)?,
            actor_region: row.try_get_by_index(6)?,
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

    /// The hash of the event in `region`, computed afresh.
    fn recomputed_hash(&self, region: &str) -> String {
        let (id, operation) = (self.id.to_string(), self.operation_id.to_string());
        canonical::hash(&HashedFields {
            region,
            seq: self.seq,
            id: &id,
            operation_id: &operation,
            occurred_at: &timestamp(self.occurred_at),
            actor_sub: &self.actor_sub,
            actor_role: &self.actor_role,
            actor_region: self.actor_region.as_deref(),
            action: &self.action,
            entity_type: &self.entity_type,
            entity_id: &self.entity_id,
            request_id: self.request_id.as_deref(),
            idempotency_key: self.idempotency_key.as_deref(),
            payload: &self.payload,
            prev_hash: &self.prev_hash,
        })
    }

    /// The transfers the event records (none if its payload has none).
    fn transfers(&self) -> Vec<RecordedTransfer> {
        recorded_in(&self.payload)
    }
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
            Some((seq, expected)) if expected != actual => found.mark(
                seq,
                format!("the postings of transfer {transfer} differ from event {seq}"),
            ),
            Some(_) => {}
            None => {
                let seq = operation
                    .and_then(|o| operations.get(&o).copied())
                    .unwrap_or(head_seq.max(1));
                found.mark(seq, format!("transfer {transfer} is recorded by no event"));
            }
        }
    }
    for (transfer, (seq, _)) in recorded {
        found.mark(
            seq,
            format!("transfer {transfer} of event {seq} is not in the ledger"),
        );
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
