//! Operations that commit together (`loadgen seed`).

use std::sync::Mutex;

use sea_orm::DatabaseTransaction;

use super::operation::Operation;
use super::pipeline::{origin, record, Call, Service};
use super::tail::Tail;
use crate::service::error::ServiceResult;

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
    /// The service the batch runs in.
    pub fn service(&self) -> &Service {
        self.service
    }

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
