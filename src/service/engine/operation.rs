//! What a use case is to the pipeline: an [`Operation`] run in a
//! transaction, its result and the audit events that record it.

use std::future::Future;

use sea_orm::DatabaseTransaction;
use serde::Serialize;

use super::ctx::Ctx;
use super::idempotency::Answer;
use crate::audit::Entry;
use crate::domain::Region;
use crate::service::error::{ServiceError, ServiceResult};

/// A state change: what it does inside the operation's transaction. It is
/// `Clone` so that the pipeline can run it again after contention. Each
/// operation's struct documents the refusals it can return, in the order
/// they are checked.
pub trait Operation: Send + Sync + Clone + 'static {
    /// What it answers.
    type Output: Send + Sync + 'static;

    /// Whether a person who must still enrol a second factor may do it
    /// (enrolling, changing their password); nothing else is open to them.
    const BEFORE_SECOND_FACTOR: bool = false;

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
