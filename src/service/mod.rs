//! Use cases. Every state change is an [`Operation`] run by
//! [`Service::execute`] or [`Service::execute_once`] (see [`pipeline`]):
//! one transaction with its postings, running totals, audit events and
//! idempotent answer. Reads take a connection and the caller.

pub mod admissions;
pub mod applications;
pub mod budgets;
pub mod claims;
pub mod expiry;
pub mod group;
pub mod idempotency;
pub mod identity;
pub mod logins;
pub mod movements;
pub mod people;
pub mod pipeline;
pub mod redemptions;
pub mod reports;
pub mod secrets;
pub mod sessions;
pub mod tail;
pub mod visible;
pub mod vouchers;
pub mod what_if;

use sea_orm::DbErr;

use crate::domain::access::{self, Action};
use crate::domain::{Actor, DomainError, Region};
use crate::rules::Registry;
use crate::store;

pub use pipeline::{Answer, Call, Ctx, Done, Executed, Operation, Recorded, Service};

/// Why a use case failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// Client credentials did not match.
    #[error("invalid client credentials")]
    Unauthorized,
    #[error("idempotency key reused with a different request")]
    IdempotencyKeyReused,
    #[error("a request with this idempotency key is in progress")]
    IdempotencyInProgress,
    /// The service is too busy to take this now (hashing queue full).
    #[error("busy")]
    Busy,
    /// Too many failed logins from this client id or address.
    #[error("too many failed logins; retry in {retry_after_secs} s")]
    TooManyAttempts { retry_after_secs: u64 },
    /// The database broke a deadlock or a serialization conflict by giving
    /// this transaction up; the pipeline runs it again a few times.
    #[error("contention: {0}")]
    Contention(String),
    /// The database cannot be reached; the text is logged, never shown.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A bug or an unexpected database failure; the message is logged, never shown.
    #[error("internal: {0}")]
    Internal(String),
}

impl ServiceError {
    /// True for failures of the service itself, which say nothing about the
    /// request (so they are not stored as its answer, and a retry acts).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ServiceError::Unavailable(_) | ServiceError::Internal(_) | ServiceError::Contention(_)
        )
    }
}

impl From<DbErr> for ServiceError {
    fn from(err: DbErr) -> Self {
        if store::is_unavailable(&err) {
            ServiceError::Unavailable(err.to_string())
        } else if store::is_retryable(&err) {
            ServiceError::Contention(err.to_string())
        } else {
            ServiceError::Internal(err.to_string())
        }
    }
}

/// The result of a use case.
pub type ServiceResult<T> = Result<T, ServiceError>;

/// Maps a ledger refusal to the refusal of the domain; anything else is a bug.
impl From<crate::ledger::LedgerError> for ServiceError {
    fn from(err: crate::ledger::LedgerError) -> Self {
        use crate::domain::Refusal;
        use crate::ledger::{AccountKind, LedgerError};
        match err {
            LedgerError::Insufficient {
                account,
                balance,
                amount,
            } => {
                let (refusal, id, detail) = match account.kind {
                    AccountKind::Voucher => (
                        Refusal::InsufficientBalance,
                        "voucher_balance",
                        "the voucher's available balance is too small",
                    ),
                    AccountKind::Budget => (
                        Refusal::BudgetExceeded,
                        "appropriation",
                        "the region's unissued budget for the year is too small",
                    ),
                    kind => {
                        return ServiceError::Internal(format!(
                            "ledger: insufficient balance on a {kind} account"
                        ))
                    }
                };
                DomainError::refused(refusal, detail)
                    .with_rule(
                        crate::domain::Rule::named(id, &account.region)
                            .requested(amount)
                            .allowed(balance),
                    )
                    .into()
            }
            LedgerError::Malformed(why) => ServiceError::Internal(format!("ledger: {why}")),
            LedgerError::Db(e) => e.into(),
        }
    }
}

/// A page request: at most `limit` items after `cursor` (an id).
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub limit: u64,
    pub after: Option<uuid::Uuid>,
}

/// A page of items and the cursor of the next page.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// The same page with its items converted.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

/// An entity recorded in the audit trail of its `region`, under its `id`.
macro_rules! recorded_by_id {
    ($($ty:ty),+) => {$(
        impl Recorded for $ty {
            fn audit_region(&self) -> &Region {
                &self.region
            }
            fn audit_id(&self) -> String {
                self.id.to_string()
            }
        }
    )+};
}

recorded_by_id!(
    applications::Application,
    vouchers::Voucher,
    redemptions::Redemption,
    claims::Claim
);

/// The region an audit, export, verification or summary is about: a
/// regulator's own (by default, and only), or the one an operator names,
/// which must be an issuing region.
pub fn audited_region(
    rules: &Registry,
    actor: &Actor,
    asked: Option<&str>,
) -> Result<Region, DomainError> {
    access::permit(actor, Action::Audit)?;
    let asked = asked.map(Region::parse).transpose()?;
    let region = access::audited_region(actor, asked)?;
    if rules.get(&region).is_none() {
        return Err(DomainError::field(
            "region",
            format!("{region} is not an issuing region"),
        ));
    }
    access::permit_in_region(actor, Action::Audit, &region)?;
    Ok(region)
}
