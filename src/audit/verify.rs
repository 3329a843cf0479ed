//! Verification of a region's audit chain against itself and against the
//! ledger: every event's hash is recomputed from its contents and its
//! predecessor; the transfers the events record are compared with the
//! stored postings; the stored balances are compared with the postings. Any difference names the first bad sequence number.

use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use super::canonical::{self, HashedFields, GENESIS};
use super::timestamp;
use crate::domain::Region;
use crate::store::entities::{accounts, audit_events, audit_heads, postings, transfers};

/// The outcome of a verification.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Verification {
    pub region: String,
    pub ok: bool,
    pub events_checked: u64,
    pub head_seq: i64,
    pub head_hash: String,
    /// The first sequence number at which something is wrong.
    pub first_bad_seq: Option<i64>,
    /// What is wrong, for people (at most 20 lines).
    pub problems: Vec<String>,
}

/// Events are read in pages of this many.
const PAGE: u64 = 2000;

type Legs = Vec<(Uuid, i64)>;

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

/// Verifies `region`'s chain and its agreement with the ledger.
pub async fn verify<C: ConnectionTrait>(conn: &C, region: &Region) -> Result<Verification, DbErr> {
    let region = region.to_string();
    let head = audit_heads::Entity::find_by_id(region.clone())
        .one(conn)
        .await?;
    let (head_seq, head_hash) = head.map(|h| (h.seq, h.hash)).unwrap_or((0, GENESIS.into()));
    let mut found = Findings {
        first_bad: None,
        problems: Vec::new(),
    };

    // The chain, and what its events say about transfers and balances.
    let mut recorded: HashMap<Uuid, (i64, Legs)> = HashMap::new();
    let mut operations: HashMap<Uuid, i64> = HashMap::new();
    let mut last_touch: HashMap<Uuid, i64> = HashMap::new();
    let (mut expected, mut prev, mut checked) = (1i64, GENESIS.to_owned(), 0u64);
    loop {
        let page = audit_events::Entity::find()
            .filter(audit_events::Column::Region.eq(&region))
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
            let payload: Value = serde_json::from_str(&e.payload).unwrap_or(Value::Null);
            let (id, operation) = (e.id.to_string(), e.operation_id.to_string());
            let hash = canonical::hash(&HashedFields {
                region: &e.region,
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
                payload: &payload,
                prev_hash: &e.prev_hash,
            });
            if hash != e.hash {
                found.mark(e.seq, format!("event {} does not match its hash", e.seq));
            }
            operations.entry(e.operation_id).or_insert(e.seq);
            for (transfer, legs) in recorded_transfers(&payload) {
                if legs.iter().map(|(_, a)| a).sum::<i64>() != 0 {
                    found.mark(
                        e.seq,
                        format!("event {} records an unbalanced transfer {transfer}", e.seq),
                    );
                }
                for (account, _) in &legs {
                    last_touch.insert(*account, e.seq);
                }
                recorded.insert(transfer, (e.seq, legs));
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

    // The stored postings against the transfers the events record.
    let stored = transfers::Entity::find()
        .filter(transfers::Column::Region.eq(&region))
        .all(conn)
        .await?;
    let mut legs: HashMap<Uuid, Legs> = HashMap::new();
    let mut posted: HashMap<Uuid, i64> = HashMap::new();
    for p in postings::Entity::find()
        .filter(
            postings::Column::TransferId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(transfers::Column::Id)
                    .from(transfers::Entity)
                    .and_where(transfers::Column::Region.eq(&region))
                    .to_owned(),
            ),
        )
        .order_by_asc(postings::Column::TransferId)
        .order_by_asc(postings::Column::Leg)
        .all(conn)
        .await?
    {
        *posted.entry(p.account_id).or_default() += p.amount;
        legs.entry(p.transfer_id)
            .or_default()
            .push((p.account_id, p.amount));
    }
    for t in &stored {
        let actual = legs.remove(&t.id).unwrap_or_default();
        match recorded.remove(&t.id) {
            Some((seq, expected_legs)) if expected_legs != actual => {
                found.mark(
                    seq,
                    format!("the postings of transfer {} differ from event {seq}", t.id),
                );
            }
            Some(_) => {}
            None => {
                let seq = t
                    .operation_id
                    .and_then(|o| operations.get(&o).copied())
                    .unwrap_or(head_seq.max(1));
                found.mark(seq, format!("transfer {} is recorded by no event", t.id));
            }
        }
    }
    for (transfer, (seq, _)) in recorded {
        found.mark(
            seq,
            format!("transfer {transfer} of event {seq} is not in the ledger"),
        );
    }
    if let Some(orphan) = legs.keys().next() {
        found.mark(
            head_seq.max(1),
            format!("postings of an unknown transfer {orphan}"),
        );
    }

    // The stored balances against the postings (which were just checked
    // against the events): a difference is named at the last event that
    // moved the account.
    let stored_accounts = accounts::Entity::find()
        .select_only()
        .column(accounts::Column::Id)
        .column(accounts::Column::Balance)
        .filter(accounts::Column::Region.eq(&region))
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
        region,
        ok: found.first_bad.is_none(),
        events_checked: checked,
        head_seq,
        head_hash,
        first_bad_seq: found.first_bad,
        problems: found.problems,
    })
}

/// The transfers an event's payload records: id → legs.
fn recorded_transfers(payload: &Value) -> Vec<(Uuid, Legs)> {
    let Some(list) = payload.get("transfers").and_then(Value::as_array) else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|t| {
            let id = Uuid::parse_str(t.get("id")?.as_str()?).ok()?;
            let legs = t
                .get("legs")?
                .as_array()?
                .iter()
                .filter_map(|l| {
                    Some((
                        Uuid::parse_str(l.get("account_id")?.as_str()?).ok()?,
                        l.get("amount_fen")?.as_i64()?,
                    ))
                })
                .collect();
            Some((id, legs))
        })
        .collect()
}
