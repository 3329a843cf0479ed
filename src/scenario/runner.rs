//! Who runs a scenario's operations: the service (one transaction per
//! operation) or a batch (one transaction for many).

use std::future::Future;

use crate::domain::Actor;
use crate::service::engine::Batch;
use crate::service::{Call, Operation, Service, ServiceResult};

/// Runs an operation as an actor: alone ([`Service`]) or in a [`Batch`].
pub trait Runner: Sync {
    /// Runs `op` as `actor`.
    fn run<O: Operation>(
        &self,
        actor: &Actor,
        op: O,
    ) -> impl Future<Output = ServiceResult<O::Output>> + Send;

    /// The service the operations run in.
    fn service(&self) -> &Service;
}

impl Runner for Service {
    fn run<O: Operation>(
        &self,
        actor: &Actor,
        op: O,
    ) -> impl Future<Output = ServiceResult<O::Output>> + Send {
        self.execute(Call::by(actor.clone()), op)
    }

    fn service(&self) -> &Service {
        self
    }
}

impl Runner for Batch<'_> {
    fn run<O: Operation>(
        &self,
        actor: &Actor,
        op: O,
    ) -> impl Future<Output = ServiceResult<O::Output>> + Send {
        Batch::run(self, Call::by(actor.clone()), op)
    }

    fn service(&self) -> &Service {
        Batch::service(self)
    }
}

impl<T: Runner> Runner for &T {
    fn run<O: Operation>(
        &self,
        actor: &Actor,
        op: O,
    ) -> impl Future<Output = ServiceResult<O::Output>> + Send {
        (**self).run(actor, op)
    }

    fn service(&self) -> &Service {
        (**self).service()
    }
}
