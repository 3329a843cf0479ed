//! Verification of a region's audit chain against itself and against the
//! ledger: every event's hash is recomputed from its stored bytes and its
//! predecessor; the transfers the events record are compared with the stored
//! postings; the stored balances are compared with the postings. Any
//! difference names the first bad sequence number.
//!
//! Events and postings are read in pages; what is kept in memory is a small
//! digest per transfer and a sum per account, not the events themselves.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::canonical::{self, HashedFields, GENESIS};
use super::timestamp;
use crate::domain::Region;
use crate::store::entities::{accounts, audit_events, audit_heads, postings, transfers};
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

/// Rows are read in pages of this many.
const PAGE: u64 = 5000;

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

/// Verifies `region` with what `conn` sees (one snapshot, if it is a
/// read transaction).
pub async fn verify_in<C: ConnectionTrait>(
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

    // The chain, and the transfers its events record: id → (seq, digest).
    let mut recorded: HashMap<Uuid, (i64, u64)> = HashMap::new();
    let mut operations: HashMap<Uuid, i64> = HashMap::new();
    let mut last_touch: HashMap<Uuid, i64> = HashMap::new();
    let (mut expected, mut prev, mut checked) = (1i64, GENESIS.to_owned(), 0u64);
    loop {
        let page = audit_events::Entity::find()
            .filter(audit_events::Column::Region.eq(region.clone()))
            .filter(audit_events::Column::Seq.gte(expected))
            .order_by_asc(audit_events::Column::Seq)
            .limit(PAGE)
            .all(conn)
            .await?;
        let full = page.len() as u64 == PAGE;
        for e in page {
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
            let (id, operation) = (e.id.to_string(), e.operation_id.to_string());
            let region_text = e.region.to_string();
            let hash = canonical::hash(&HashedFields {
                region: &region_text,
                seq: e.seq,
                id: &id,
                operation_id: &operation,
                occurred_at: &timestamp(e.occurred_at),
                actor_sub: &e.actor_sub,
                actor_role: &e.actor_role,
                actor_region: e.actor_region.as_deref(),
                action: &e.action,
                entity_type: &e.entity_type,
                entity_id: &e.entity_id,
                request_id: e.request_id.as_deref(),
                idempotency_key: e.idempotency_key.as_deref(),
                payload: &e.payload,
                prev_hash: &e.prev_hash,
            });
            if hash != e.hash {
                found.mark(e.seq, format!("event {} does not match its hash", e.seq));
            }
            operations.entry(e.operation_id).or_insert(e.seq);
            let payload: RecordedPayload =
                serde_json::from_str(&e.payload).unwrap_or(RecordedPayload {
                    transfers: Vec::new(),
                });
            for t in payload.transfers {
                if t.legs.iter().map(|l| l.amount_fen).sum::<i64>() != 0 {
                    found.mark(
                        e.seq,
                        format!("event {} records an unbalanced transfer {}", e.seq, t.id),
                    );
                }
                for leg in &t.legs {
                    last_touch.insert(leg.account_id, e.seq);
                }
                recorded.insert(
                    t.id,
                    (
                        e.seq,
                        digest(t.legs.iter().map(|l| (l.account_id, l.amount_fen))),
                    ),
                );
            }
            prev = e.hash;
            expected = e.seq + 1;
            checked += 1;
        }
        if !full {
            break;
        }
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

    // The stored transfers and postings, page by page, against the events;
    // and the sum of the postings of each account.
    let mut posted: HashMap<Uuid, i64> = HashMap::new();
    let mut after: Option<Uuid> = None;
    loop {
        let mut query = transfers::Entity::find()
            .select_only()
            .column(transfers::Column::Id)
            .column(transfers::Column::OperationId)
            .filter(transfers::Column::Region.eq(region.clone()))
            .order_by_asc(transfers::Column::Id)
            .limit(PAGE);
        if let Some(after) = after {
            query = query.filter(transfers::Column::Id.gt(after));
        }
        let page: Vec<(Uuid, Option<Uuid>)> = query.into_tuple().all(conn).await?;
        let Some(&(last, _)) = page.last() else {
            break;
        };
        let legs = postings::Entity::find()
            .filter(postings::Column::TransferId.is_in(page.iter().map(|(id, _)| *id)))
            .order_by_asc(postings::Column::TransferId)
            .order_by_asc(postings::Column::Leg)
            .all(conn)
            .await?;
        let mut by_transfer: HashMap<Uuid, Vec<(Uuid, i64)>> = HashMap::new();
        for p in legs {
            *posted.entry(p.account_id).or_default() += p.amount;
            by_transfer
                .entry(p.transfer_id)
                .or_default()
                .push((p.account_id, p.amount));
        }
        for (transfer, operation) in &page {
            let actual = digest(by_transfer.remove(transfer).unwrap_or_default().into_iter());
            match recorded.remove(transfer) {
                Some((seq, expected)) if expected != actual => {
                    found.mark(
                        seq,
                        format!("the postings of transfer {transfer} differ from event {seq}"),
                    );
                }
                Some(_) => {}
                None => {
                    let seq = operation
                        .and_then(|o| operations.get(&o).copied())
                        .unwrap_or(head_seq.max(1));
                    found.mark(seq, format!("transfer {transfer} is recorded by no event"));
                }
            }
        }
        after = Some(last);
    }
    for (transfer, (seq, _)) in recorded {
        found.mark(
            seq,
            format!("transfer {transfer} of event {seq} is not in the ledger"),
        );
    }

    // The stored balances against the postings (which were just checked
    // against the events): a difference is named at the last event that
    // moved the account.
    let stored_accounts = accounts::Entity::find()
        .select_only()
        .column(accounts::Column::Id)
        .column(accounts::Column::Balance)
        .filter(accounts::Column::Region.eq(region.clone()))
        .into_tuple::<(Uuid, i64)>()
        .all(conn)
        .await?;
    for (account, balance) in stored_accounts {
        if balance != posted.get(&account).copied().unwrap_or(0) {
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
