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
use sea_orm::{ConnectionTrait, DatabaseTransaction, EntityTrait};
use serde::Serialize;
use uuid::Uuid;

use super::group::{self, Acted, Group, Work};
use super::idempotency::{self, Claim, Kept, KeyedRequest};
use super::identity::OrgCache;
use super::tail::Tail;
use super::{movements, ServiceError, ServiceResult};
use crate::audit::{self, Entry, Heads, Origin};
use crate::domain::clock::{shanghai_date, Clock};
use crate::domain::{Actor, DomainError, Money, Region, Role, Rule};
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
    /// Group commit of write transactions (`None`: each commits alone).
    pub group: Option<Arc<Group>>,
    /// Organisations already read.
    pub orgs: Arc<OrgCache>,
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
    /// The person who acts for the actor's organisation through the portal
    /// (the audit trail names them, `via: portal`).
    pub person: Option<Uuid>,
}

impl Call {
    /// A call by `actor` outside any HTTP request (CLI, tools).
    pub fn by(actor: Actor) -> Self {
        Call {
            actor,
            request_id: None,
            idempotency_key: None,
            person: None,
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
    /// Organisations already read.
    pub orgs: Arc<OrgCache>,
    /// The chain heads the transaction holds already.
    heads: Heads,
    posted: Mutex<Vec<Posted>>,
}

impl Ctx {
    /// A context for `actor` at `now`.
    pub fn new(
        actor: Actor,
        now: DateTime<Utc>,
        rules: Arc<Registry>,
        orgs: Arc<OrgCache>,
    ) -> Self {
        Ctx {
            actor,
            now,
            rules,
            operation: Uuid::now_v7(),
            orgs,
            heads: Heads::new(),
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
        match movements::post(txn, &transfer, &stamp).await {
            Ok(posted) => {
                self.posted.lock().expect("journal lock").push(posted);
                Ok(())
            }
            Err(ServiceError::Domain(err)) if err.rule().is_some() => {
                Err(self.shortfall(txn, &transfer, err).await?.into())
            }
            Err(err) => Err(err),
        }
    }

    /// Completes the rule of a balance the ledger found too small: the
    /// policy version, and what the balance was out of (the voucher's face
    /// value, the year's appropriation) and how much of it was used.
    async fn shortfall<C: ConnectionTrait>(
        &self,
        txn: &C,
        transfer: &Transfer,
        err: DomainError,
    ) -> ServiceResult<DomainError> {
        use crate::store::entities::{budgets, vouchers};
        let Some(found) = err.rule() else {
            return Ok(err);
        };
        let mut rule = Rule {
            requested: found.requested.clone(),
            allowed: found.allowed.clone(),
            ..self.rule(found.id, &transfer.region, transfer.year)
        };
        let out_of = match rule.id {
            "voucher_balance" => match transfer.voucher_id {
                Some(id) => vouchers::Entity::find_by_id(id)
                    .one(txn)
                    .await?
                    .map(|v| Money::from_fen(v.face_value)),
                None => None,
            },
            _ => budgets::Entity::find_by_id((transfer.region.clone(), transfer.year))
                .one(txn)
                .await?
                .map(|b| Money::from_fen(b.appropriated)),
        };
        if let (Some(limit), Some(allowed)) = (out_of, rule.allowed_money()) {
            rule = rule
                .limit(limit)
                .used(limit.checked_sub(allowed).unwrap_or_default());
        }
        Ok(err.with_rule(rule))
    }

    /// What the operation posted so far.
    fn take_posted(&self) -> Vec<Posted> {
        std::mem::take(&mut *self.posted.lock().expect("journal lock"))
    }

    /// The rules of an issuing region (404 for a region that is not one).
    pub fn rules_for(&self, region: &Region) -> Result<&dyn RegionRules, DomainError> {
        self.rules.get(region).ok_or(DomainError::NotFound)
    }

    /// The rule `id` of `region`'s policy for fiscal year `year`, for a
    /// refusal the service makes (the version left out if none covers it).
    pub fn rule(&self, id: &'static str, region: &Region, year: i32) -> Rule {
        match self.rules.get(region).and_then(|r| r.version(year).ok()) {
            Some(v) => v.rule(id, region),
            None => Rule::named(id, region),
        }
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
pub trait Operation: Send + Sync + Clone + 'static {
    /// What it answers.
    type Output: Send + Sync + 'static;

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
    /// A context for an operation by `actor` in a transaction that holds
    /// `heads` already.
    fn ctx_holding(&self, actor: Actor, heads: Heads) -> Ctx {
        Ctx {
            heads,
            ..self.ctx(actor)
        }
    }

    /// A context for reads and checks by `actor` now.
    pub fn ctx(&self, actor: Actor) -> Ctx {
        Ctx::new(
            actor,
            self.clock.now(),
            self.rules.clone(),
            self.orgs.clone(),
        )
    }

    /// Runs `op` once, in one transaction with its running totals and audit
    /// events.
    pub async fn execute<O: Operation>(&self, call: Call, op: O) -> ServiceResult<O::Output> {
        let origin = origin(&call);
        retrying(|| {
            let (service, call, origin, op) =
                (self.clone(), call.clone(), origin.clone(), op.clone());
            self.transact(Box::new(move |txn, heads| {
                Box::pin(async move { act(&service, txn, heads, &call, &origin, op).await })
            }))
        })
        .await
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
        render: impl Render<O::Output> + Clone + 'static,
    ) -> ServiceResult<Executed<O::Output>> {
        let origin = Origin {
            idempotency_key: Some(key.key.clone()),
            ..origin(&call)
        };
        retrying(|| {
            let (service, call, origin, key, op, render) = (
                self.clone(),
                call.clone(),
                origin.clone(),
                key.clone(),
                op.clone(),
                render.clone(),
            );
            self.transact(Box::new(move |txn, heads| {
                Box::pin(async move {
                    let ctx = service.ctx_holding(call.actor.clone(), heads);
                    act_once(&service, txn, &ctx, &origin, &key, op, &render).await
                })
            }))
        })
        .await
    }

    /// Runs `work` in a transaction: grouped with others when group commit
    /// is on, alone otherwise.
    async fn transact<T: Send + 'static>(&self, work: Work<T>) -> ServiceResult<T> {
        match &self.group {
            Some(group) => group.run(work).await,
            None => group::run_alone(&self.db, work).await,
        }
    }
}

/// Runs `op` in `txn` with its running totals and audit events.
async fn act<O: Operation>(
    service: &Service,
    txn: &DatabaseTransaction,
    heads: Heads,
    call: &Call,
    origin: &Origin,
    op: O,
) -> Acted<O::Output> {
    let ctx = service.ctx_holding(call.actor.clone(), heads);
    let done = match op.run(txn, &ctx).await {
        Ok(done) => done,
        Err(e) => return Acted::dropped(Err(e)),
    };
    match record(txn, &ctx, origin, done.events, service.clock.as_ref()).await {
        Ok(tail) => Acted {
            result: Ok(done.value),
            keep: true,
            tail,
            afterwards: None,
        },
        Err(e) => Acted::dropped(Err(e)),
    }
}

/// In `txn`: the key is claimed (a concurrent request with the same key
/// waits for it, then replays), the operation runs, and its answer is
/// stored. A refusal rolls everything back and is then stored afresh as the
/// key's answer. A failure of the service itself keeps nothing, the claim
/// neither, so a retry acts.
async fn act_once<O: Operation>(
    service: &Service,
    txn: &DatabaseTransaction,
    ctx: &Ctx,
    origin: &Origin,
    key: &KeyedRequest,
    op: O,
    render: &impl Render<O::Output>,
) -> Acted<Executed<O::Output>> {
    let dropped = |e: ServiceError| Acted::dropped(Err(e));
    let lease = match idempotency::claim(txn, key, service.idempotency_lease, ctx.now).await {
        Ok(Claim::Fresh(lease)) => lease,
        Ok(Claim::Replay(answer)) => return Acted::dropped(Ok(Executed::Replayed(answer))),
        Err(e) => return dropped(e),
    };
    match op.run(txn, ctx).await {
        Ok(done) => {
            let answer = render(Ok(&done.value));
            match record(txn, ctx, origin, done.events, service.clock.as_ref()).await {
                Ok(mut tail) => {
                    tail.answers.push(Kept {
                        lease,
                        answer: answer.clone(),
                        at: ctx.now,
                    });
                    Acted {
                        result: Ok(Executed::Ran {
                            value: done.value,
                            answer,
                        }),
                        keep: true,
                        tail,
                        afterwards: None,
                    }
                }
                Err(e) => dropped(e),
            }
        }
        Err(err) if err.is_transient() => dropped(err),
        Err(err) => {
            // Undo whatever the work wrote (the claim too); then, afresh,
            // keep the refusal as the key's answer.
            let answer = render(Err(&err));
            let (key, lease, now) = (key.clone(), service.idempotency_lease, ctx.now);
            Acted {
                result: Err(err.clone()),
                keep: false,
                tail: Tail::default(),
                afterwards: Some(Box::new(move |txn, _| {
                    Box::pin(async move { keep_refusal(txn, &key, lease, now, answer, err).await })
                })),
            }
        }
    }
}

/// Stores a refusal as the answer to `key` (unless a request with the key
/// acted meanwhile, whose answer is then replayed).
async fn keep_refusal<T>(
    txn: &DatabaseTransaction,
    key: &KeyedRequest,
    lease: chrono::Duration,
    now: DateTime<Utc>,
    answer: Answer,
    refusal: ServiceError,
) -> Acted<Executed<T>> {
    match idempotency::claim(txn, key, lease, now).await {
        Ok(Claim::Fresh(lease)) => Acted {
            result: Err(refusal),
            keep: true,
            tail: Tail {
                answers: vec![Kept {
                    lease,
                    answer,
                    at: now,
                }],
                ..Tail::default()
            },
            afterwards: None,
        },
        Ok(Claim::Replay(answer)) => Acted::dropped(Ok(Executed::Replayed(answer))),
        Err(e) => Acted::dropped(Err(e)),
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
    tail: Mutex<Tail>,
}

impl Batch<'_> {
    /// Runs `op` in the batch's transaction.
    pub async fn run<O: Operation>(&self, call: Call, op: O) -> ServiceResult<O::Output> {
        let heads = self.tail.lock().expect("batch tail").heads.clone();
        let ctx = self.service.ctx_holding(call.actor.clone(), heads);
        let done = op.run(self.txn, &ctx).await?;
        let origin = origin(&call);
        let clock = self.service.clock.as_ref();
        let tail = record(self.txn, &ctx, &origin, done.events, clock).await?;
        self.tail.lock().expect("batch tail").absorb(tail);
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
            tail: Mutex::new(Tail::default()),
        };
        let result = work(&batch).await;
        let tail = batch.tail.into_inner().expect("batch tail");
        match result {
            Ok(value) => {
                tail.write(&txn).await?;
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
/// audit events (the last lock it takes: the region's chain head); what
/// both moved is its tail, written before the transaction commits.
async fn record(
    txn: &DatabaseTransaction,
    ctx: &Ctx,
    origin: &Origin,
    events: Vec<Entry>,
    clock: &dyn Clock,
) -> ServiceResult<Tail> {
    let posted = ctx.take_posted();
    let mut tail = Tail::after(&ctx.heads);
    ledger::add_up(&mut tail.totals, &posted);
    // The events' time is taken now, at the end of the operation, right
    // before the region's chain head is locked.
    let at = clock.now().max(ctx.now);
    for entry in events {
        let heads = &mut tail.heads;
        audit::append(txn, heads, ctx.operation, at, origin, entry, &posted).await?;
    }
    Ok(tail)
}

/// The origin the audit trail records for a call.
fn origin(call: &Call) -> Origin {
    let actor = &call.actor;
    Origin {
        actor_sub: match call.person {
            Some(person) => person.to_string(),
            None if actor.role == Role::System => Role::System.as_str().into(),
            None => actor.sub.to_string(),
        },
        actor_role: actor.role.as_str().into(),
        actor_region: actor.region.as_ref().map(Region::to_string),
        actor_via: call.person.map(|_| "portal".to_owned()),
        request_id: call.request_id.clone(),
        idempotency_key: call.idempotency_key.clone(),
    }
}
