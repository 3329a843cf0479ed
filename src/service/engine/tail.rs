//! The hot rows every operation moves last — the running totals and the
//! audit chain heads — and the answers to its idempotency keys, kept in
//! memory while a transaction runs and written once, right before it
//! commits. In a group commit the operations of the
//! batch add to one tail, so these rows are written once per batch.

use sea_orm::ConnectionTrait;

use super::idempotency::{self, Kept};
use crate::audit::{self, Heads};
use crate::ledger::{self, Totals};
use crate::service::error::ServiceResult;

/// What a transaction adds to the running totals, and the chain heads it
/// holds (locked, and moved by its events).
#[derive(Debug, Default, Clone)]
pub struct Tail {
    pub heads: Heads,
    pub totals: Totals,
    /// The answers to store under the idempotency keys claimed.
    pub answers: Vec<Kept>,
}

impl Tail {
    /// A tail that goes on from the chain heads the transaction holds.
    pub fn after(heads: &Heads) -> Self {
        Tail {
            heads: heads.clone(),
            ..Tail::default()
        }
    }

    /// Takes in what a later operation of the transaction moved.
    pub fn absorb(&mut self, later: Tail) {
        self.heads.extend(later.heads);
        self.answers.extend(later.answers);
        for (key, delta) in later.totals {
            let total = self.totals.entry(key).or_default();
            total.balance += delta.balance;
            total.credited += delta.credited;
            total.debited += delta.debited;
        }
    }

    /// Writes the totals, the heads, then the answers.
    pub async fn write<C: ConnectionTrait>(self, txn: &C) -> ServiceResult<()> {
        ledger::add_to_totals(txn, self.totals).await?;
        audit::write_heads(txn, &self.heads).await?;
        idempotency::complete_all(txn, self.answers).await
    }
}
