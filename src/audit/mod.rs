//! The audit trail: one event per state change, written in the same
//! transaction, chained per issuing region by SHA-256 (see [`canonical`]),
//! and verified against the ledger (see [`verify`]).
//!
//! Appending locks the region's chain head row, so a region's events are
//! numbered and chained in commit order. It is the last lock an operation
//! takes. Within a transaction the head is then kept in memory ([`Heads`]):
//! the operations of one group commit chain their events without reading it
//! again, and the row is written once, right before the commit.

pub mod canonical;
pub mod export;
pub mod offline;
pub mod verify;

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Serialize;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::domain::Region;
use crate::ledger::Posted;
use crate::store::entities::{audit_events, audit_heads};
use canonical::{HashedFields, GENESIS};

pub use verify::{verify, Finding, Verification};

/// Who caused an event, and through which request.
#[derive(Debug, Clone)]
pub struct Origin {
    pub actor_sub: String,
    pub actor_role: String,
    pub actor_region: Option<String>,
    /// The channel a person acted through (`portal`), none for API clients.
    pub actor_via: Option<String>,
    pub request_id: Option<String>,
    pub idempotency_key: Option<String>,
}

/// What changed, in one region.
#[derive(Debug, Clone)]
pub struct Entry {
    pub region: Region,
    /// `redemption.hold`, `claim.pay`, …
    pub action: &'static str,
    pub entity_type: &'static str,
    pub entity_id: String,
    /// The entity as it is after the change.
    pub payload: Value,
}

/// An audit event as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub seq: i64,
    pub id: Uuid,
    /// The operation that caused it (its transfers carry the same id); part
    /// of the hashed fields, so an offline verifier needs it.
    pub operation_id: Uuid,
    pub region: Region,
    pub occurred_at: DateTime<Utc>,
    pub actor: EventActor,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub request_id: Option<String>,
    pub idempotency_key: Option<String>,
    /// What changed: the entity after the change, and the transfers posted
    /// (`transfers: [{id, code, year, legs: [{account_id, amount_fen}]}]`).
    pub payload: Value,
    pub prev_hash: String,
    pub hash: String,
}

/// Who acted.
#[derive(Debug, Clone, Serialize)]
pub struct EventActor {
    pub sub: String,
    pub role: String,
    pub region: Option<String>,
    /// `portal` when a person acted through the portal (`sub` is then the
    /// person's user id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
}

impl TryFrom<audit_events::Model> for Event {
    type Error = DbErr;

    fn try_from(e: audit_events::Model) -> Result<Self, DbErr> {
        let payload =
            serde_json::from_str(&e.payload).map_err(|err| DbErr::Json(err.to_string()))?;
        Ok(Event {
            seq: e.seq,
            id: e.id,
            operation_id: e.operation_id,
            region: e.region,
            occurred_at: e.occurred_at,
            actor: EventActor {
                sub: e.actor_sub,
                role: e.actor_role,
                region: e.actor_region,
                via: e.actor_via,
            },
            action: e.action,
            entity_type: e.entity_type,
            entity_id: e.entity_id,
            request_id: e.request_id,
            idempotency_key: e.idempotency_key,
            payload,
            prev_hash: e.prev_hash,
            hash: e.hash,
        })
    }
}

/// The time as events record it.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The transfers of `region` among those an operation posted, as its event
/// records them (in id order).
pub fn recorded_transfers(posted: &[Posted], region: &Region) -> Value {
    let mut mine: Vec<&Posted> = posted.iter().filter(|p| &p.region == region).collect();
    mine.sort_by_key(|p| p.id);
    Value::Array(
        mine.into_iter()
            .map(|t| {
                json!({
                    "id": t.id.to_string(),
                    "code": t.code.as_str(),
                    "year": t.year,
                    "legs": t.legs.iter()
                        .map(|(_, account, fen)| json!({"account_id": account.to_string(), "amount_fen": fen}))
                        .collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}

/// A region's chain head: the last event's sequence number, hash and time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub seq: i64,
    pub hash: String,
    pub occurred_at: Option<DateTime<Utc>>,
}

/// The chain heads a transaction has locked and moved, by region.
pub type Heads = std::collections::HashMap<Region, Head>;

/// Appends an event to its region's chain, in the caller's transaction,
/// recording the transfers of its region among `posted` (what the operation
/// posted). The head is taken from `heads` or else locked and read, and is
/// moved in `heads`: [`write_heads`] stores it before the commit. The event
/// occurs at `at`, or at its predecessor's time if that is later (clocks of
/// several instances differ a little).
#[allow(clippy::too_many_arguments)]
pub async fn append<C: ConnectionTrait>(
    txn: &C,
    heads: &mut Heads,
    operation: Uuid,
    at: DateTime<Utc>,
    origin: &Origin,
    entry: Entry,
    posted: &[Posted],
) -> Result<(), DbErr> {
    let region = entry.region.clone();
    let mut payload = entry.payload;
    let transfers = recorded_transfers(posted, &region);
    if let Value::Object(map) = &mut payload {
        map.insert("transfers".into(), transfers);
    } else {
        payload = json!({"entity": payload, "transfers": transfers});
    }
    let payload_text = canonical::to_canonical(&payload);
    let head = match heads.get(&region) {
        Some(head) => head.clone(),
        None => lock_head(txn, &region).await?,
    };
    let seq = head.seq + 1;
    // Under the head lock: an event is never earlier than the one before it.
    let at = head.occurred_at.map_or(at, |last| at.max(last));
    let id = Uuid::now_v7();
    let (id_text, operation_text, occurred) =
        (id.to_string(), operation.to_string(), timestamp(at));
    let region_text = region.to_string();
    let hash = canonical::hash(&HashedFields {
        region: &region_text,
        seq,
        id: &id_text,
        operation_id: &operation_text,
        occurred_at: &occurred,
        actor_sub: &origin.actor_sub,
        actor_role: &origin.actor_role,
        actor_region: origin.actor_region.as_deref(),
        actor_via: origin.actor_via.as_deref(),
        action: entry.action,
        entity_type: entry.entity_type,
        entity_id: &entry.entity_id,
        request_id: origin.request_id.as_deref(),
        idempotency_key: origin.idempotency_key.as_deref(),
        payload: &payload_text,
        prev_hash: &head.hash,
    });
    let row = audit_events::ActiveModel {
        region: Set(region.clone()),
        seq: Set(seq),
        id: Set(id),
        operation_id: Set(operation),
        occurred_at: Set(at),
        actor_sub: Set(origin.actor_sub.clone()),
        actor_role: Set(origin.actor_role.clone()),
        actor_region: Set(origin.actor_region.clone()),
        actor_via: Set(origin.actor_via.clone()),
        action: Set(entry.action.into()),
        entity_type: Set(entry.entity_type.into()),
        entity_id: Set(entry.entity_id),
        request_id: Set(origin.request_id.clone()),
        idempotency_key: Set(origin.idempotency_key.clone()),
        payload: Set(payload_text),
        prev_hash: Set(head.hash),
        hash: Set(hash.clone()),
    };
    audit_events::Entity::insert(row)
        .exec_without_returning(txn)
        .await?;
    heads.insert(
        region,
        Head {
            seq,
            hash,
            occurred_at: Some(at),
        },
    );
    Ok(())
}

/// Locks and reads the region's chain head, creating it at the genesis for
/// the region's first event.
async fn lock_head<C: ConnectionTrait>(txn: &C, region: &Region) -> Result<Head, DbErr> {
    let locked = || {
        audit_heads::Entity::find_by_id(region.clone())
            .lock_exclusive()
            .one(txn)
    };
    let row = match locked().await? {
        Some(row) => row,
        None => {
            audit_heads::Entity::insert(audit_heads::ActiveModel {
                region: Set(region.clone()),
                seq: Set(0),
                hash: Set(GENESIS.into()),
                occurred_at: Set(None),
            })
            .on_conflict(
                OnConflict::column(audit_heads::Column::Region)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
            locked()
                .await?
                .ok_or_else(|| DbErr::RecordNotFound(format!("audit head {region}")))?
        }
    };
    Ok(Head {
        seq: row.seq,
        hash: row.hash,
        occurred_at: row.occurred_at,
    })
}

/// Stores the chain heads a transaction moved (their rows are locked by it).
pub async fn write_heads<C: ConnectionTrait>(txn: &C, heads: &Heads) -> Result<(), DbErr> {
    for (region, head) in heads {
        use sea_orm::sea_query::Expr;
        audit_heads::Entity::update_many()
            .col_expr(audit_heads::Column::Seq, Expr::value(head.seq))
            .col_expr(audit_heads::Column::Hash, Expr::value(head.hash.clone()))
            .col_expr(
                audit_heads::Column::OccurredAt,
                Expr::value(head.occurred_at),
            )
            .filter(audit_heads::Column::Region.eq(region.clone()))
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// Which events to read.
#[derive(Debug, Clone)]
pub struct EventFilter {
    pub region: Region,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub entity_id: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub after_seq: i64,
}

impl EventFilter {
    /// Every event of `region`.
    pub fn of(region: Region) -> Self {
        EventFilter {
            region,
            from: None,
            to: None,
            entity_id: None,
            actor: None,
            action: None,
            after_seq: 0,
        }
    }
}

/// Up to `limit` events matching `filter`, in sequence order.
pub async fn events<C: ConnectionTrait>(
    conn: &C,
    filter: &EventFilter,
    limit: u64,
) -> Result<Vec<audit_events::Model>, DbErr> {
    let mut query = audit_events::Entity::find()
        .filter(audit_events::Column::Region.eq(filter.region.clone()))
        .filter(audit_events::Column::Seq.gt(filter.after_seq));
    if let Some(from) = filter.from {
        query = query.filter(audit_events::Column::OccurredAt.gte(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(audit_events::Column::OccurredAt.lt(to));
    }
    if let Some(entity) = &filter.entity_id {
        query = query.filter(audit_events::Column::EntityId.eq(entity));
    }
    if let Some(actor) = &filter.actor {
        query = query.filter(audit_events::Column::ActorSub.eq(actor));
    }
    if let Some(action) = &filter.action {
        query = query.filter(audit_events::Column::Action.eq(action));
    }
    query
        .order_by_asc(audit_events::Column::Seq)
        .limit(limit)
        .all(conn)
        .await
}
