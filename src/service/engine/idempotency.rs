//! Idempotency keys: the first request with a key acts and its response is
//! stored in the same transaction as its effect; later requests with the same
//! key and body get that response again, without acting.
//!
//! A key is claimed by inserting its row in the transaction of the work, so
//! the claim, the effect and the stored answer commit together or not at all.
//! A concurrent request with the same key waits on the row and then finds the
//! stored answer. Rows left in progress by an earlier version (which claimed
//! in a transaction of its own) are taken over once their lease has run out.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TryInsertResult,
};
use uuid::Uuid;

use crate::service::error::{ServiceError, ServiceResult};
use crate::store::entities::idempotency_keys::{self as keys, Column};
use crate::store::Db;

const IN_PROGRESS: &str = "in_progress";
const DONE: &str = "done";

/// An idempotency key: 1 to 255 printable ASCII characters. Checked once,
/// where it arrives (the API's `Idempotency-Key` header, a portal form's
/// hidden field); everything after holds this type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// `key` if it is a valid idempotency key.
    pub fn parse(key: &str) -> Option<Self> {
        let printable = key.bytes().all(|b| (0x20..0x7f).contains(&b));
        ((1..=255).contains(&key.len()) && printable).then(|| IdempotencyKey(key.to_owned()))
    }

    /// A new random key (a UUID v7), for a form being rendered.
    pub fn fresh() -> Self {
        IdempotencyKey(Uuid::now_v7().to_string())
    }

    /// The key as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A request as idempotency sees it.
#[derive(Debug, Clone)]
pub struct KeyedRequest {
    /// The caller the key belongs to (token subject).
    pub scope: String,
    /// The request's key.
    pub key: IdempotencyKey,
    /// SHA-256 of method, path and body, hex.
    pub fingerprint: String,
}

/// The answer a caller gave, kept for replay: a status in the caller's terms
/// (HTTP status codes for the API and the portal) and its body text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

/// The right to act for a key, held until completed or released.
#[derive(Debug, Clone)]
pub struct Lease {
    scope: String,
    key: String,
    fingerprint: String,
    token: Uuid,
}

/// An answer to store under its lease's key when the transaction commits.
#[derive(Debug, Clone)]
pub struct Kept {
    pub lease: Lease,
    pub answer: Answer,
    pub at: DateTime<Utc>,
}

/// What to do with a request.
#[derive(Debug)]
pub enum KeyClaim {
    /// First of its key: act, then complete the lease.
    Fresh(Lease),
    /// Seen before: answer this again.
    Replay(Answer),
}

/// Claims `request`'s key in the transaction `txn`, or finds what an
/// earlier request with it did.
pub async fn claim<C: ConnectionTrait>(
    txn: &C,
    request: &KeyedRequest,
    lease: Duration,
    now: DateTime<Utc>,
) -> ServiceResult<KeyClaim> {
    for _ in 0..3 {
        let token = Uuid::now_v7();
        let row = keys::ActiveModel {
            scope: Set(request.scope.clone()),
            key: Set(request.key.to_string()),
            fingerprint: Set(request.fingerprint.clone()),
            lease: Set(token),
            state: Set(IN_PROGRESS.into()),
            status_code: Set(None),
            response_body: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        };
        let inserted = keys::Entity::insert(row)
            .on_conflict_do_nothing()
            .exec_without_returning(txn)
            .await?;
        // A conflict may come back as `Conflicted` or as zero rows inserted.
        if let TryInsertResult::Inserted(1) = inserted {
            return Ok(KeyClaim::Fresh(lease_of(request, token)));
        }
        let Some(existing) =
            keys::Entity::find_by_id((request.scope.clone(), request.key.to_string()))
                .one(txn)
                .await?
        else {
            continue; // released meanwhile: try to claim it again
        };
        if existing.fingerprint != request.fingerprint {
            return Err(ServiceError::IdempotencyKeyReused);
        }
        if existing.state == DONE {
            return Ok(KeyClaim::Replay(Answer {
                status: existing.status_code.unwrap_or(500) as u16,
                body: existing.response_body.unwrap_or_default(),
            }));
        }
        if existing.updated_at > now - lease {
            return Err(ServiceError::IdempotencyInProgress);
        }
        // The holder stalled or crashed: take the key over.
        let taken = keys::Entity::update_many()
            .col_expr(Column::Lease, Expr::value(token))
            .col_expr(Column::UpdatedAt, Expr::value(now))
            .filter(key_of(request))
            .filter(Column::Lease.eq(existing.lease))
            .filter(Column::State.eq(IN_PROGRESS))
            .exec(txn)
            .await?;
        if taken.rows_affected == 1 {
            return Ok(KeyClaim::Fresh(lease_of(request, token)));
        }
    }
    Err(ServiceError::IdempotencyInProgress)
}

/// Stores the answers of a transaction's keys, in one statement, inside the
/// transaction that claimed them. Fails (and the caller must roll back) when
/// a lease was taken over meanwhile.
pub async fn complete_all<C: ConnectionTrait>(txn: &C, kept: Vec<Kept>) -> ServiceResult<()> {
    if kept.is_empty() {
        return Ok(());
    }
    let count = kept.len() as u64;
    let rows = kept.into_iter().map(|k| keys::ActiveModel {
        scope: Set(k.lease.scope),
        key: Set(k.lease.key),
        fingerprint: Set(k.lease.fingerprint),
        lease: Set(k.lease.token),
        state: Set(DONE.into()),
        status_code: Set(Some(k.answer.status as i32)),
        response_body: Set(Some(k.answer.body)),
        created_at: Set(k.at),
        updated_at: Set(k.at),
    });
    let mut done = OnConflict::columns([Column::Scope, Column::Key]);
    done.update_columns([
        Column::State,
        Column::StatusCode,
        Column::ResponseBody,
        Column::UpdatedAt,
    ])
    .action_and_where(
        Expr::col((keys::Entity, Column::Lease))
            .eq(Expr::col((Alias::new("excluded"), Column::Lease)))
            .and(Expr::col((keys::Entity, Column::State)).eq(IN_PROGRESS)),
    );
    let stored = keys::Entity::insert_many(rows)
        .on_conflict(done)
        .exec_without_returning(txn)
        .await?;
    if stored == count {
        Ok(())
    } else {
        Err(ServiceError::IdempotencyInProgress)
    }
}

/// Deletes the records of keys first used before `before`; returns how many.
pub async fn purge(db: &Db, before: DateTime<Utc>) -> ServiceResult<u64> {
    let purged = keys::Entity::delete_many()
        .filter(Column::CreatedAt.lt(before))
        .exec(db.writer())
        .await?;
    Ok(purged.rows_affected)
}

fn lease_of(request: &KeyedRequest, token: Uuid) -> Lease {
    Lease {
        scope: request.scope.clone(),
        key: request.key.to_string(),
        fingerprint: request.fingerprint.clone(),
        token,
    }
}

fn key_of(request: &KeyedRequest) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(Column::Scope.eq(&request.scope))
        .add(Column::Key.eq(request.key.as_str()))
}
