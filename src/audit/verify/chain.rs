//! What every reader of a snapshot shares: the stored event and its check,
//! the chain's links, the fingerprints of both sides and the sums per
//! account. A reader (the ORM's stream, or SQLite's file read directly)
//! feeds the events to a [`Chain`] and the postings and balances to a
//! [`Ledger`] (in any order, so the two may be read at once); a [`Scan`]
//! comes out.

use std::collections::HashMap;

use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

use super::super::canonical::{self, HashedFields, GENESIS};
use super::super::timestamp;
use super::finding::Finding;

/// Events whose hashes and transfers are checked together, off the reader.
pub const CHUNK: usize = 2048;

/// The columns of an event as a reader selects them, in [`StoredEvent`]'s
/// field order.
pub const EVENT_COLUMNS: &str = "seq, id, operation_id, occurred_at, actor_sub, actor_role, \
     actor_region, action, entity_type, entity_id, request_id, idempotency_key, payload, \
     prev_hash, hash, actor_via";

/// The stored transfers.
pub const TRANSFERS_SQL: &str = "SELECT count(*) FROM transfers WHERE region = ?";

/// The stored legs, in no particular order.
pub const POSTINGS_SQL: &str = "SELECT p.transfer_id, p.leg, p.account_id, p.amount \
     FROM postings p JOIN transfers t ON t.id = p.transfer_id WHERE t.region = ?";

/// The stored balances.
pub const ACCOUNTS_SQL: &str = "SELECT id, balance FROM accounts WHERE region = ?";

/// What is wrong, by sequence number: the first bad one and (at most 20)
/// lines for people.
#[derive(Debug, Default)]
pub struct Findings {
    pub first_bad: Option<i64>,
    pub problems: Vec<Finding>,
}

impl Findings {
    pub fn mark(&mut self, seq: i64, problem: Finding) {
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

/// An order-independent fingerprint of a set of transfers: how many
/// transfers and legs, and the wrapping sum of a keyed SHA-256 digest of each
/// leg (transfer, position, account, amount). The events' transfers and the
/// ledger's agree when their fingerprints do. The key is drawn afresh for
/// each verification, so that no one can prepare legs whose digests cancel.
#[derive(Debug, Clone)]
pub struct Fingerprint {
    key: Sha256,
    transfers: u64,
    legs: u64,
    sum: u128,
}

impl Fingerprint {
    /// An empty fingerprint under a fresh key.
    pub fn fresh() -> Self {
        let key: [u8; 64] = std::array::from_fn(|_| rand::random());
        Self::keyed(Sha256::new_with_prefix(key))
    }

    fn keyed(key: Sha256) -> Self {
        Fingerprint {
            key,
            transfers: 0,
            legs: 0,
            sum: 0,
        }
    }

    /// An empty fingerprint under the same key.
    pub fn empty_like(&self) -> Self {
        Self::keyed(self.key.clone())
    }

    /// Adds one leg.
    pub fn add_leg(&mut self, transfer: Uuid, leg: i64, account: Uuid, amount: i64) {
        let mut hasher = self.key.clone();
        hasher.update(transfer.as_bytes());
        hasher.update(leg.to_le_bytes());
        hasher.update(account.as_bytes());
        hasher.update(amount.to_le_bytes());
        let digest = hasher.finalize();
        let mut low = [0u8; 16];
        low.copy_from_slice(&digest[..16]);
        self.legs += 1;
        self.sum = self.sum.wrapping_add(u128::from_le_bytes(low));
    }

    fn merge(&mut self, other: Fingerprint) {
        self.transfers += other.transfers;
        self.legs += other.legs;
        self.sum = self.sum.wrapping_add(other.sum);
    }

    /// True when both sides hold the same transfers and legs.
    pub fn agrees_with(&self, other: &Fingerprint) -> bool {
        (self.transfers, self.legs, self.sum) == (other.transfers, other.legs, other.sum)
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
    pub actor_via: Option<String>,
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
            actor_via: self.actor_via.as_deref(),
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
pub struct Checked {
    recorded: Fingerprint,
    problems: Vec<(i64, Finding)>,
}

impl Checked {
    /// Nothing checked yet, into a fingerprint like `like`.
    pub fn empty_like(like: &Fingerprint) -> Self {
        Checked {
            recorded: like.empty_like(),
            problems: Vec::new(),
        }
    }

    /// Adds what another chunk's check found.
    pub fn merge(&mut self, other: Checked) {
        self.recorded.merge(other.recorded);
        self.problems.extend(other.problems);
    }
}

/// Recomputes each event's hash and checks the transfers it records, adding
/// them to a fingerprint like `like`.
pub fn check_chunk(region: &str, like: &Fingerprint, events: Vec<StoredEvent>) -> Checked {
    let mut checked = Checked::empty_like(like);
    for e in events {
        if e.recomputed_hash(region) != e.hash {
            let problem = Finding::HashMismatch { seq: e.seq };
            checked.problems.push((e.seq, problem));
        }
        for t in recorded_in(&e.payload) {
            if t.legs.iter().map(|l| l.amount_fen).sum::<i64>() != 0 {
                let problem = Finding::Unbalanced {
                    seq: e.seq,
                    transfer: t.id,
                };
                checked.problems.push((e.seq, problem));
            }
            checked.recorded.transfers += 1;
            for (leg, l) in (0..).zip(&t.legs) {
                checked
                    .recorded
                    .add_leg(t.id, leg, l.account_id, l.amount_fen);
            }
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
    /// True when the events' transfers are the ledger's.
    pub ledger_agrees: bool,
    /// Accounts whose stored balance is not the sum of their postings.
    pub differing: Vec<Uuid>,
}

impl Scan {
    /// What the chain and the ledger sides found.
    pub fn of(chain: Chain, ledger: Ledger) -> Scan {
        let ledger_agrees = ledger.fingerprint.agrees_with(&chain.recorded);
        Scan {
            head_seq: chain.head_seq,
            head_hash: chain.head_hash,
            found: chain.found,
            events_checked: chain.events_checked,
            ledger_agrees,
            differing: ledger.differing,
        }
    }
}

/// The events' side, fed by a reader in sequence order: the chain's links
/// as events arrive, their hashes and transfers by chunks (checked wherever
/// the reader likes).
pub struct Chain {
    head_seq: i64,
    head_hash: String,
    found: Findings,
    events_checked: u64,
    recorded: Fingerprint,
    expected: i64,
    prev: String,
    chunk: Vec<StoredEvent>,
}

impl Chain {
    /// The chain of a region whose head (if any) is `head`; `fingerprint`
    /// is the empty fingerprint the ledger's side uses too.
    pub fn new(head: Option<(i64, String)>, fingerprint: Fingerprint) -> Self {
        let (head_seq, head_hash) = head.unwrap_or((0, GENESIS.into()));
        Chain {
            head_seq,
            head_hash,
            found: Findings::default(),
            events_checked: 0,
            recorded: fingerprint,
            expected: 1,
            prev: GENESIS.to_owned(),
            chunk: Vec::with_capacity(CHUNK),
        }
    }

    /// The fingerprint chunks are checked into.
    pub fn fingerprint(&self) -> &Fingerprint {
        &self.recorded
    }

    /// Checks the event's link to its predecessor; answers a full chunk of
    /// events to check.
    pub fn event(&mut self, e: StoredEvent) -> Option<Vec<StoredEvent>> {
        let expected = self.expected;
        if e.seq != expected {
            let problem = Finding::Missing {
                from: expected,
                to: e.seq - 1,
            };
            self.found.mark(expected, problem);
        } else if e.prev_hash != self.prev {
            let problem = Finding::Unlinked { seq: e.seq };
            self.found.mark(e.seq, problem);
        }
        self.prev.clone_from(&e.hash);
        self.expected = e.seq + 1;
        self.events_checked += 1;
        self.chunk.push(e);
        (self.chunk.len() == CHUNK).then(|| self.take_chunk())
    }

    /// The events not yet handed out as a chunk (perhaps none).
    pub fn take_chunk(&mut self) -> Vec<StoredEvent> {
        std::mem::replace(&mut self.chunk, Vec::with_capacity(CHUNK))
    }

    /// Adds what a chunk's check found.
    pub fn checked(&mut self, done: Checked) {
        self.recorded.merge(done.recorded);
        for (seq, problem) in done.problems {
            self.found.mark(seq, problem);
        }
    }

    /// After the last event: the chain must end at the head.
    pub fn end(&mut self) {
        let last_seq = self.expected - 1;
        let (head_seq, found) = (self.head_seq, &mut self.found);
        if head_seq > last_seq {
            let problem = Finding::Missing {
                from: last_seq + 1,
                to: head_seq,
            };
            found.mark(last_seq + 1, problem);
        } else if head_seq < last_seq || self.head_hash != self.prev {
            let problem = Finding::HeadMismatch;
            found.mark(head_seq.max(1), problem);
        }
    }
}

/// The ledger's side: the stored transfers, their legs in any order, then
/// the stored balances against the sums of the legs.
pub struct Ledger {
    fingerprint: Fingerprint,
    posted: HashMap<Uuid, i64>,
    differing: Vec<Uuid>,
}

impl Ledger {
    /// An empty side, fingerprinted like `like`.
    pub fn new(like: &Fingerprint) -> Self {
        Ledger {
            fingerprint: like.empty_like(),
            posted: HashMap::new(),
            differing: Vec::new(),
        }
    }

    /// How many transfers are stored.
    pub fn transfers(&mut self, count: i64) {
        self.fingerprint.transfers = u64::try_from(count).unwrap_or(u64::MAX);
    }

    /// One stored leg.
    pub fn posting(&mut self, transfer: Uuid, leg: i64, account: Uuid, amount: i64) {
        let sum = self.posted.entry(account).or_default();
        *sum = sum.wrapping_add(amount);
        self.fingerprint.add_leg(transfer, leg, account, amount);
    }

    /// One stored balance, after the last leg.
    pub fn account(&mut self, id: Uuid, balance: i64) {
        if balance != self.posted.get(&id).copied().unwrap_or(0) {
            self.differing.push(id);
        }
    }
}
