//! The operation pipeline: every state change of the ledger is one call of
//! [`Service::execute`] (or [`Service::execute_once`] with an idempotency
//! key), whoever asks — the API, the portal, the CLI, the expiry job or the
//! load generator.
//!
//! ```text
//! caller ─▶ execute_once ─▶ BEGIN ─▶ claim key ─▶ SAVEPOINT ─▶ Operation::run (rules, postings)
//!                                   ─▶ running totals ─▶ audit events ─▶ RELEASE
//!                                   ─▶ stored answer ─▶ COMMIT ─▶ answer
//! ```
//!
//! An operation changes the database only through its transaction and posts
//! money only through [`Ctx::post`], so that the figures derived from
//! postings, the running totals and the audit trail cannot be forgotten.

use std::future::Future;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction, TransactionTrait};
use serde::Serialize;
use uuid::Uuid;

use super::idempotency::{self, Claim, KeyedRequest};
use super::{movements, ServiceError, ServiceResult};
use crate::audit::{self, Entry, Origin};
use crate::domain::clock::{shanghai_date, Clock};
use crate::domain::{Actor, DomainError, Region, Role};
use crate::ledger::{self, Posted, Transfer};
use crate::rules::{RegionRules, Registry};
use crate::store::Db;

pub use idempotency::Answer;

/// What every use case runs on: the database, the regions' rules, the clock
/// and the idempotency settings.
#[derive(Clone)]
pub struct Service {
    pub db: Db,
    pub rules: Arc<Registry>,
    /// Where time comes from (tests move it).
    pub clock: Arc<dyn Clock>,
    /// How long a request may hold an idempotency key before a retry may act.
    pub idempotency_lease: chrono::Duration,
}

/// Who asks for an operation, and through which request.
#[derive(Debug, Clone)]
pub struct Call {
    pub actor: Actor,
    /// The request id the audit trail records, if the call came by HTTP.
    pub request_id: Option<String>,
    /// The idempotency key of the request, which the audit trail records
    /// (also for the operations a request runs besides its keyed one).
    pub idempotency_key: Option<String>,
}

impl Call {
    /// A call by `actor` outside any HTTP request (CLI, tools).
    pub fn by(actor: Actor) -> Self {
        Call {
            actor,
            request_id: None,
            idempotency_key: None,
        }
    }

    /// A call by the service itself (scheduled jobs).
    pub fn system() -> Self {
        Call::by(Actor::system())
    }
}

/// Who acts, when, and under which rules; and what the operation posted.
pub struct Ctx {
    pub actor: Actor,
    pub now: DateTime<Utc>,
    pub rules: Arc<Registry>,
    /// This operation: its transfers and its audit events share the id.
    pub operation: Uuid,
    posted: Mutex<Vec<Posted>>,
}

impl Ctx {
    /// A context for `actor` at `now`.
    pub fn new(actor: Actor, now: DateTime<Utc>, rules: Arc<Registry>) -> Self {
        Ctx {
            actor,
            now,
            rules,
            operation: Uuid::now_v7(),
            posted: Mutex::new(Vec::new()),
        }
    }

    /// Posts a transfer and every figure derived from it (see
    /// [`movements`]), and keeps it for the operation's audit event.
    pub async fn post<C: ConnectionTrait>(&self, txn: &C, transfer: Transfer) -> ServiceResult<()> {
        let stamp = ledger::Stamp {
            at: self.now,
            operation: self.operation,
        };
        let posted = movements::post(txn, &transfer, &stamp).await?;
        self.posted.lock().expect("journal lock").push(posted);
        Ok(())
    }

    /// What the operation posted so far.
    fn take_posted(&self) -> Vec<Posted> {
        std::mem::take(&mut *self.posted.lock().expect("journal lock"))
    }

    /// The rules of an issuing region (404 for a region that is not one).
    pub fn rules_for(&self, region: &Region) -> Result<&dyn RegionRules, DomainError> {
        self.rules.get(region).ok_or(DomainError::NotFound)
    }

    /// The fiscal year now, in Asia/Shanghai.
    pub fn fiscal_year(&self) -> i32 {
        use chrono::Datelike;
        shanghai_date(self.now).year()
    }
}

/// How many times an operation runs before contention (a deadlock or a
/// serialization conflict the database broke) is answered as busy.
const ATTEMPTS: u32 = 4;

/// A state change: what it does inside the operation's transaction. It is
/// `Clone` so that the pipeline can run it again after contention.
pub trait Operation: Send + Sync + Clone {
    /// What it answers.
    type Output: Send + Sync;

    /// Does the work: checks, rules, rows, postings (through [`Ctx::post`]).
    /// Returns the answer and the audit events that record it.
    fn run(
        self,
        txn: &DatabaseTransaction,
        ctx: &Ctx,
    ) -> impl Future<Output = ServiceResult<Done<Self::Output>>> + Send;
}

/// The result of an operation and the events that record it.
#[derive(Debug)]
pub struct Done<T> {
    pub value: T,
    pub events: Vec<Entry>,
}

impl<T> Done<T> {
    /// A result that changed nothing worth recording.
    pub fn unrecorded(value: T) -> Self {
        Done {
            value,
            events: Vec::new(),
        }
    }
}

impl<T: Recorded> Done<T> {
    /// `value`, recorded in its region's audit trail as `action` on an
    /// `entity_type` with itself as the payload.
    pub fn recorded(
        value: T,
        action: &'static str,
        entity_type: &'static str,
    ) -> ServiceResult<Self> {
        let entry = entry(
            value.audit_region(),
            action,
            entity_type,
            value.audit_id(),
            &value,
        )?;
        Ok(Done {
            value,
            events: vec![entry],
        })
    }
}

/// An audit entry with `payload` serialised.
pub fn entry<T: Serialize>(
    region: &Region,
    action: &'static str,
    entity_type: &'static str,
    entity_id: String,
    payload: &T,
) -> ServiceResult<Entry> {
    let payload = serde_json::to_value(payload)
        .map_err(|e| ServiceError::Internal(format!("serialising an audit payload: {e}")))?;
    Ok(Entry {
        region: region.clone(),
        action,
        entity_type,
        entity_id,
        payload,
    })
}

/// An entity that names its issuing region and its id in the audit trail.
pub trait Recorded: Serialize {
    fn audit_region(&self) -> &Region;
    fn audit_id(&self) -> String;
}

/// What an idempotent call did.
#[derive(Debug)]
pub enum Executed<T> {
    /// The operation ran now; `answer` is what a repeat will get.
    Ran { value: T, answer: Answer },
    /// A repeat: the answer the first call stored.
    Replayed(Answer),
}

/// How a caller turns a result into the answer a repeat gets (for HTTP: the
/// status and the JSON body).
pub trait Render<T>: Fn(Result<&T, &ServiceError>) -> Answer + Send + Sync {}
impl<T, F: Fn(Result<&T, &ServiceError>) -> Answer + Send + Sync> Render<T> for F {}

impl Service {
    /// A context for reads and checks by `actor` now.
    pub fn ctx(&self, actor: Actor) -> Ctx {
        Ctx::new(actor, self.clock.now(), self.rules.clone())
    }

    /// Runs `op` once, in one transaction with its running totals and audit
    /// events.
    pub async fn execute<O: Operation>(&self, call: Call, op: O) -> ServiceResult<O::Output> {
        retrying(|| self.execute_one(&call, op.clone())).await
    }

    async fn execute_one<O: Operation>(&self, call: &Call, op: O) -> ServiceResult<O::Output> {
        let ctx = self.ctx(call.actor.clone());
        let origin = origin(call);
        let txn = self.db.begin_write().await?;
        match op.run(&txn, &ctx).await {
            Ok(done) => {
                let value = done.value;
                if let Err(e) = record(&txn, &ctx, &origin, done.events, self.clock.as_ref()).await
                {
                    let _ = txn.rollback().await;
                    return Err(e);
                }
                txn.commit().await?;
                Ok(value)
            }
            Err(e) => {
                txn.rollback().await?;
                Err(e)
            }
        }
    }

    /// Runs `op` at most once per caller and key: a first call acts in one
    /// transaction that also stores its answer (a refusal too); a repeat
    /// with the same fingerprint gets that answer again; a repeat with
    /// another fingerprint is refused; a repeat while the first is in flight
    /// is refused as in progress. Failures of the service itself are not
    /// stored, so a retry acts.
    pub async fn execute_once<O: Operation>(
        &self,
        call: Call,
        key: KeyedRequest,
        op: O,
        render: impl Render<O::Output>,
    ) -> ServiceResult<Executed<O::Output>> {
        let origin = Origin {
            idempotency_key: Some(key.key.clone()),
            ..origin(&call)
        };
        retrying(|| self.act_once(&call, &origin, &key, op.clone(), &render)).await
    }

    /// One transaction: the key is claimed in it (a concurrent request with
    /// the same key waits for it, then replays), the operation runs in a
    /// savepoint, and the answer is stored — the operation's, or its
    /// refusal's after the savepoint is rolled back. A failure of the
    /// service itself rolls everything back, the claim too, so a retry acts.
    async fn act_once<O: Operation>(
        &self,
        call: &Call,
        origin: &Origin,
        key: &KeyedRequest,
        op: O,
        render: &impl Render<O::Output>,
    ) -> ServiceResult<Executed<O::Output>> {
        let ctx = self.ctx(call.actor.clone());
        let txn = self.db.begin_write().await?;
        let claimed = idempotency::claim(&txn, key, self.idempotency_lease, ctx.now).await;
        let lease = match claimed {
            Ok(Claim::Fresh(lease)) => lease,
            Ok(Claim::Replay(answer)) => {
                txn.rollback().await?;
                return Ok(Executed::Replayed(answer));
            }
            Err(e) => {
                let _ = txn.rollback().await;
                return Err(e);
            }
        };
        let work = txn.begin().await?;
        match op.run(&work, &ctx).await {
            Ok(done) => {
                let answer = render(Ok(&done.value));
                let finished = async {
                    record(&work, &ctx, origin, done.events, self.clock.as_ref()).await?;
                    work.commit().await?;
                    idempotency::complete(&txn, &lease, &answer, ctx.now).await
                };
                match finished.await {
                    Ok(()) => {
                        txn.commit().await?;
                        Ok(Executed::Ran {
                            value: done.value,
                            answer,
                        })
                    }
                    Err(e) => {
                        let _ = txn.rollback().await;
                        Err(e)
                    }
                }
            }
            Err(err) if err.is_transient() => {
                let _ = work.rollback().await;
                let _ = txn.rollback().await;
                Err(err)
            }
            Err(err) => {
                // Undo whatever the work wrote; the refusal is the answer.
                work.rollback().await?;
                let kept = idempotency::complete(&txn, &lease, &render(Err(&err)), ctx.now).await;
                match kept {
                    Ok(()) => txn.commit().await?,
                    Err(e) => {
                        let _ = txn.rollback().await;
                        return Err(e);
                    }
                }
                Err(err)
            }
        }
    }
}

/// Operations that commit together: each runs as it would alone (its own
/// context, postings, running totals and audit events), but one commit ends
/// them all, and a refusal aborts them all. For tools that load many
/// operations at once (`loadgen seed`); people's requests use
/// [`Service::execute_once`].
pub struct Batch<'t> {
    service: &'t Service,
    txn: &'t DatabaseTransaction,
}

impl Batch<'_> {
    /// Runs `op` in the batch's transaction.
    pub async fn run<O: Operation>(&self, call: Call, op: O) -> ServiceResult<O::Output> {
        let ctx = self.service.ctx(call.actor.clone());
        let done = op.run(self.txn, &ctx).await?;
        let origin = origin(&call);
        let clock = self.service.clock.as_ref();
        record(self.txn, &ctx, &origin, done.events, clock).await?;
        Ok(done.value)
    }
}

/// The work of a batch.
pub type BatchWork<'b, T> = futures::future::BoxFuture<'b, ServiceResult<T>>;

impl Service {
    /// Runs `work` as one [`Batch`], committed at its end if it succeeds.
    pub async fn execute_batch<T, F>(&self, work: F) -> ServiceResult<T>
    where
        F: for<'b> FnOnce(&'b Batch<'b>) -> BatchWork<'b, T>,
    {
        let txn = self.db.begin_write().await?;
        let batch = Batch {
            service: self,
            txn: &txn,
        };
        let result = work(&batch).await;
        match result {
            Ok(value) => {
                txn.commit().await?;
                Ok(value)
            }
            Err(e) => {
                let _ = txn.rollback().await;
                Err(e)
            }
        }
    }
}

/// Runs `attempt` again when the database gave it up to break a deadlock or
/// a serialization conflict, up to [`ATTEMPTS`] times in all.
async fn retrying<T, F: Future<Output = ServiceResult<T>>>(
    mut attempt: impl FnMut() -> F,
) -> ServiceResult<T> {
    let mut tries = 1;
    loop {
        match attempt().await {
            Err(ServiceError::Contention(why)) if tries < ATTEMPTS => {
                tracing::debug!(tries, why, "running an operation again");
                tries += 1;
            }
            result => return result,
        }
    }
}

/// Adds what the operation posted to the running totals, then appends its
/// audit events (the last lock it takes: the region's chain head).
async fn record(
    txn: &DatabaseTransaction,
    ctx: &Ctx,
    origin: &Origin,
    events: Vec<Entry>,
    clock: &dyn Clock,
) -> ServiceResult<()> {
    let posted = ctx.take_posted();
    ledger::add_to_totals(txn, &posted).await?;
    // The events' time is taken now, at the end of the operation, right
    // before the region's chain head is locked.
    let at = clock.now().max(ctx.now);
    for entry in events {
        audit::append(txn, ctx.operation, at, origin, entry, &posted).await?;
    }
    Ok(())
}

/// The origin the audit trail records for a call.
fn origin(call: &Call) -> Origin {
    let actor = &call.actor;
    Origin {
        actor_sub: if actor.role == Role::System {
            Role::System.as_str().into()
        } else {
            actor.sub.to_string()
        },
        actor_role: actor.role.as_str().into(),
        actor_region: actor.region.as_ref().map(Region::to_string),
        request_id: call.request_id.clone(),
        idempotency_key: call.idempotency_key.clone(),
    }
}
