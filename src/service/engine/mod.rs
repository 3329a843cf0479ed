//! The engine every use case runs on: the operation pipeline (one
//! transaction per state change, or a group of them sharing one commit),
//! idempotent answers, the running totals and chain heads written once per
//! transaction, the money movements derived from postings, and the
//! organisations kept in memory. It knows nothing of any use case.
//!
//! - [`pipeline`]: [`Service::execute`] / [`Service::execute_once`].
//! - [`operation`]: what a use case is to the pipeline.
//! - [`ctx`]: what an operation runs with; money moves only through [`Ctx::post`].
//! - [`group`]: group commit; [`batch`]: operations committed together.
//! - [`tail`]: running totals and chain heads, written once before a commit.
//! - [`idempotency`]: keys, leases and stored answers.
//! - [`movements`]: the figures kept beside the ledger, moved with each transfer.
//! - [`orgs`]: organisations by id, kept once read.

pub mod batch;
pub mod ctx;
pub mod group;
pub mod idempotency;
pub mod movements;
pub mod operation;
pub mod orgs;
pub mod pipeline;
pub mod tail;

pub use batch::{Batch, BatchWork};
pub use ctx::Ctx;
pub use idempotency::{Answer, IdempotencyKey, KeyedRequest};
pub use operation::{entry, Done, Executed, Operation, Recorded, Render};
pub use orgs::{cached_organization, is_suspended, OrgCache};
pub use pipeline::{Call, Service};
