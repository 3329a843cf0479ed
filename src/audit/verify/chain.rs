//! What every reader of a snapshot shares: the stored event and its check,
//! the chain's links, the fingerprints of both sides and the sums per
//! account. A reader (the ORM's stream, or SQLite's file read directly)
//! feeds rows in; a [`Scan`] comes out.

use std::collections::HashMap;

use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

use super::super::canonical::{self, HashedFields, GENESIS};
use super::super::timestamp;

/// Events whose hashes and transfers are checked together, off the reader.
pub const CHUNK: usize = 2048;

/// The columns of an event as a reader selects them, in [`StoredEvent`]'s
/// field order.
pub const EVENT_COLUMNS: &str = "seq, id, operation_id, occurred_at, actor_sub, actor_role, \
     actor_region, action, entity_type, entity_id, request_id, idempotency_key, payload, \
     prev_hash, hash";

/// The stored transfers and their legs, in one ordered stream.
pub const POSTINGS_SQL: &str = "SELECT t.id, p.account_id, p.amount FROM transfers t \
     JOIN postings p ON p.transfer_id = t.id WHERE t.region = ? ORDER BY t.id, p.leg";

/// The stored balances.
pub const ACCOUNTS_SQL: &str = "SELECT id, balance FROM accounts WHERE region = ?";

/// What is wrong, by sequence number: the first bad one and (at most 20)
/// lines for people.
#[derive(Debug, Default)]
pub struct Findings {
    pub first_bad: Option<i64>,
    pub problems: Vec<String>,
}

impl Findings {
    pub fn mark(&mut self, seq: i64, problem: String) {
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

/// A transfer as an event records it.
#[derive(Deserialize)]
pub struct RecordedTransfer {
    pub id: Uuid,
    pub legs: Vec<RecordedLeg>,
}

/// One leg of a recorded transfer.
#[derive(Deserialize)]
pub struct RecordedLeg {
    pub account_id: Uuid,
    pub amount_fen: i64,
}

/// The transfers a payload records (none if it records none).
pub fn recorded_in(payload: &str) -> Vec<RecordedTransfer> {
    serde_json::from_str::<RecordedPayload>(payload)
        .map(|p| p.transfers)
        .unwrap_or_default()
}

/// An order-independent fingerprint of a set of transfers: the count and the
/// wrapping sum of a SHA-256 digest of each transfer's id and legs. The
/// events' transfers and the ledger's agree when their fingerprints do.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint {
    transfers: u64,
    sum: u128,
}

impl Fingerprint {
    pub fn add(&mut self, transfer: Uuid, legs: impl Iterator<Item = (Uuid, i64)>) {
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

    fn merge(&mut self, other: Fingerprint) {
        self.transfers += other.transfers;
        self.sum = self.sum.wrapping_add(other.sum);
    }
}

/// An event as stored.
pub struct StoredEvent {
    pub seq: i64,
    pub id: Uuid,
    pub operation_id: Uuid,
    pub occurred_at: chrono::DateTime<chrono::Utc>,
    pub actor_sub: String,
    pub actor_role: String,
    pub actor_region: Option<String>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub request_id: Option<String>,
    pub idempotency_key: Option<String>,
    pub payload: String,
    pub prev_hash: String,
    pub hash: String,
}

impl StoredEvent {
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
}

/// What checking a chunk of events found: the fingerprint of the transfers
/// they record, and what is wrong, by sequence number.
#[derive(Default)]
pub struct Checked {
    recorded: Fingerprint,
    problems: Vec<(i64, String)>,
}

impl Checked {
    /// Adds what another chunk's check found.
    pub fn merge(&mut self, other: Checked) {
        self.recorded.merge(other.recorded);
        self.problems.extend(other.problems);
    }
}

/// Recomputes each event's hash and checks the transfers it records.
pub fn check_chunk(region: &str, events: Vec<StoredEvent>) -> Checked {
    let mut checked = Checked::default();
    for e in events {
        if e.recomputed_hash(region) != e.hash {
            let problem = format!("event {} does not match its hash", e.seq);
            checked.problems.push((e.seq, problem));
        }
        for t in recorded_in(&e.payload) {
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

/// Everything one pass over a snapshot found.
pub struct Scan {
    pub head_seq: i64,
    pub head_hash: String,
    pub found: Findings,
    pub events_checked: u64,
    /// The events' transfers and the ledger's.
    pub recorded: Fingerprint,
    pub ledger: Fingerprint,
    /// Accounts whose stored balance is not the sum of their postings.
    pub differing: Vec<Uuid>,
}

/// The pass, fed by a reader: the chain's links as events arrive in order,
/// their hashes and transfers by chunks (checked wherever the reader likes),
/// then the postings and the balances.
pub struct Pass {
    scan: Scan,
    expected: i64,
    prev: String,
    chunk: Vec<StoredEvent>,
    posted: HashMap<Uuid, i64>,
    transfer: Option<(Uuid, Vec<(Uuid, i64)>)>,
}

impl Pass {
    /// A pass over a region whose head (if any) is `head`.
    pub fn new(head: Option<(i64, String)>) -> Self {
        let (head_seq, head_hash) = head.unwrap_or((0, GENESIS.into()));
        Pass {
            scan: Scan {
                head_seq,
                head_hash,
                found: Findings::default(),
                events_checked: 0,
                recorded: Fingerprint::default(),
                ledger: Fingerprint::default(),
                differing: Vec::new(),
            },
            expected: 1,
            prev: GENESIS.to_owned(),
            chunk: Vec::with_capacity(CHUNK),
            posted: HashMap::new(),
            transfer: None,
        }
    }

    /// Checks the event's link to its predecessor; answers a full chunk of
    /// events to check.
    pub fn event(&mut self, e: StoredEvent) -> Option<Vec<StoredEvent>> {
        let expected = self.expected;
        if e.seq != expected {
            let problem = format!("events {expected} to {} are missing", e.seq - 1);
            self.scan.found.mark(expected, problem);
        } else if e.prev_hash != self.prev {
            let problem = format!("event {} does not follow its predecessor", e.seq);
            self.scan.found.mark(e.seq, problem);
        }
        self.prev.clone_from(&e.hash);
        self.expected = e.seq + 1;
        self.scan.events_checked += 1;
        self.chunk.push(e);
        (self.chunk.len() == CHUNK).then(|| self.take_chunk())
    }

    /// The events not yet handed out as a chunk (perhaps none).
    pub fn take_chunk(&mut self) -> Vec<StoredEvent> {
        std::mem::replace(&mut self.chunk, Vec::with_capacity(CHUNK))
    }

    /// Adds what a chunk's check found.
    pub fn checked(&mut self, done: Checked) {
        self.scan.recorded.merge(done.recorded);
        for (seq, problem) in done.problems {
            self.scan.found.mark(seq, problem);
        }
    }

    /// After the last event: the chain must end at the head.
    pub fn end_of_events(&mut self) {
        let last_seq = self.expected - 1;
        let (head_seq, found) = (self.scan.head_seq, &mut self.scan.found);
        if head_seq > last_seq {
            let problem = format!("events {} to {head_seq} are missing", last_seq + 1);
            found.mark(last_seq + 1, problem);
        } else if head_seq < last_seq || self.scan.head_hash != self.prev {
            let problem = "the chain head does not match the last event".into();
            found.mark(head_seq.max(1), problem);
        }
    }

    /// One leg of a stored transfer, in (transfer, leg) order.
    pub fn posting(&mut self, id: Uuid, account: Uuid, amount: i64) {
        *self.posted.entry(account).or_default() += amount;
        match &mut self.transfer {
            Some((current, legs)) if *current == id => legs.push((account, amount)),
            _ => {
                if let Some((done, legs)) = self.transfer.replace((id, vec![(account, amount)])) {
                    self.scan.ledger.add(done, legs.into_iter());
                }
            }
        }
    }

    /// One stored balance, after the last posting.
    pub fn account(&mut self, id: Uuid, balance: i64) {
        if let Some((done, legs)) = self.transfer.take() {
            self.scan.ledger.add(done, legs.into_iter());
        }
        if balance != self.posted.get(&id).copied().unwrap_or(0) {
            self.scan.differing.push(id);
        }
    }

    /// What the pass found.
    pub fn finish(mut self) -> Scan {
        if let Some((done, legs)) = self.transfer.take() {
            self.scan.ledger.add(done, legs.into_iter());
        }
        self.scan
    }
}
