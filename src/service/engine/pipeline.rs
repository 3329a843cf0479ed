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
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseTransaction;

use super::ctx::Ctx;
use super::group::{self, Group, Work, Worked};
use super::idempotency::{self, Answer, IdempotencyKey, Kept, KeyClaim, KeyedRequest};
use super::operation::{Executed, Operation, Render};
use super::orgs::OrgCache;
use super::tail::Tail;
use crate::audit::{self, Entry, Heads, Origin};
use crate::domain::clock::Clock;
use crate::domain::{Actor, DomainError, Region, Role};
use crate::ledger;
use crate::rules::Registry;
use crate::service::error::{ServiceError, ServiceResult};
use crate::store::Db;

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
    pub idempotency_key: Option<IdempotencyKey>,
    /// How a person came (`portal`, or `api` with a person's token): the
    /// audit trail names the person and this.
    pub via: Option<&'static str>,
}

impl Call {
    /// A call by `actor` outside any HTTP request (CLI, tools).
    pub fn by(actor: Actor) -> Self {
        Call {
            actor,
            request_id: None,
            idempotency_key: None,
            via: None,
        }
    }

    /// A call by the service itself (scheduled jobs).
    pub fn system() -> Self {
        Call::by(Actor::system())
    }
}

/// How many times an operation runs before contention (a deadlock or a
/// serialization conflict the database broke) is answered as busy.
const ATTEMPTS: u32 = 4;

impl Service {
    /// A context for an operation by `actor` in a transaction that holds
    /// `heads` already.
    pub(super) fn ctx_holding(&self, actor: Actor, heads: Heads) -> Ctx {
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
        second_factor_first::<O>(&call)?;
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
        second_factor_first::<O>(&call)?;
        let origin = Origin {
            idempotency_key: Some(key.key.to_string()),
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

/// Refuses (403) an operation by a person who must enrol a second factor
/// first, unless it is one open to them.
fn second_factor_first<O: Operation>(call: &Call) -> ServiceResult<()> {
    if call.actor.needs_second_factor && !O::BEFORE_SECOND_FACTOR {
        return Err(DomainError::Forbidden(
            "enrol a second factor (an authenticator app) first: a regulator's or operator's \
             person changes nothing before (POST /api/v1/me/second-factor, or the portal's \
             team page)"
                .into(),
        )
        .into());
    }
    Ok(())
}

/// Runs `op` in `txn` with its running totals and audit events.
async fn act<O: Operation>(
    service: &Service,
    txn: &DatabaseTransaction,
    heads: Heads,
    call: &Call,
    origin: &Origin,
    op: O,
) -> Worked<O::Output> {
    let ctx = service.ctx_holding(call.actor.clone(), heads);
    let done = match op.run(txn, &ctx).await {
        Ok(done) => done,
        Err(e) => return Worked::dropped(Err(e)),
    };
    match record(txn, &ctx, origin, done.events, service.clock.as_ref()).await {
        Ok(tail) => Worked {
            result: Ok(done.value),
            keep: true,
            tail,
            afterwards: None,
        },
        Err(e) => Worked::dropped(Err(e)),
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
) -> Worked<Executed<O::Output>> {
    let dropped = |e: ServiceError| Worked::dropped(Err(e));
    let lease = match idempotency::claim(txn, key, service.idempotency_lease, ctx.now).await {
        Ok(KeyClaim::Fresh(lease)) => lease,
        Ok(KeyClaim::Replay(answer)) => return Worked::dropped(Ok(Executed::Replayed(answer))),
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
                    Worked {
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
            Worked {
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
) -> Worked<Executed<T>> {
    match idempotency::claim(txn, key, lease, now).await {
        Ok(KeyClaim::Fresh(lease)) => Worked {
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
        Ok(KeyClaim::Replay(answer)) => Worked::dropped(Ok(Executed::Replayed(answer))),
        Err(e) => Worked::dropped(Err(e)),
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
pub(super) async fn record(
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
pub(super) fn origin(call: &Call) -> Origin {
    let actor = &call.actor;
    Origin {
        actor_sub: match actor.person {
            Some(person) => person.to_string(),
            None if actor.role == Role::System => Role::System.as_str().into(),
            None => actor.sub.to_string(),
        },
        actor_role: actor.role.as_str().into(),
        actor_region: actor.region.as_ref().map(Region::to_string),
        actor_via: actor.person.and(call.via).map(str::to_owned),
        request_id: call.request_id.clone(),
        idempotency_key: call.idempotency_key.as_ref().map(ToString::to_string),
    }
}
