//! Why a use case failed, and how database and ledger failures become one.

use sea_orm::DbErr;

use crate::domain::{DomainError, Refusal, Rule};
use crate::ledger::{AccountKind, LedgerError};
use crate::store;

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
    /// Too many replays of a region's year are waiting already (the policy
    /// what-if); retry after a while.
    #[error("too many replays waiting; retry in {retry_after_secs} s")]
    QueueFull { retry_after_secs: u64 },
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

/// A balance too small for what was asked: a voucher's available balance
/// or a region-year's unissued appropriation. The one place such a refusal
/// is assembled (the ledger's shortfall, the pipeline's completion of its
/// figures, an approval without a budget).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Short {
    VoucherBalance,
    Appropriation,
}

impl Short {
    /// The short balance of a ledger account of `kind`, if it can be short.
    pub fn of(kind: AccountKind) -> Option<Short> {
        match kind {
            AccountKind::Voucher => Some(Short::VoucherBalance),
            AccountKind::Budget => Some(Short::Appropriation),
            _ => None,
        }
    }

    /// The id of the rule a refusal names.
    pub fn rule_id(self) -> &'static str {
        match self {
            Short::VoucherBalance => "voucher_balance",
            Short::Appropriation => "appropriation",
        }
    }

    /// The short balance a rule id names.
    pub fn named(rule_id: &str) -> Option<Short> {
        [Short::VoucherBalance, Short::Appropriation]
            .into_iter()
            .find(|s| s.rule_id() == rule_id)
    }

    /// The refusal, with `detail` for people and the rule's figures.
    pub fn refusal(self, detail: impl Into<String>, rule: Rule) -> DomainError {
        let refusal = match self {
            Short::VoucherBalance => Refusal::InsufficientBalance,
            Short::Appropriation => Refusal::BudgetExceeded,
        };
        DomainError::refused(refusal, detail).with_rule(rule)
    }
}

/// Maps a ledger refusal to the refusal of the domain; anything else is a bug.
impl From<LedgerError> for ServiceError {
    fn from(err: LedgerError) -> Self {
        match err {
            LedgerError::Insufficient {
                account,
                balance,
                amount,
            } => {
                let Some(short) = Short::of(account.kind) else {
                    return ServiceError::Internal(format!(
                        "ledger: insufficient balance on a {} account",
                        account.kind
                    ));
                };
                let detail = match short {
                    Short::VoucherBalance => "the voucher's available balance is too small",
                    Short::Appropriation if account.owner.is_some() => {
                        "the district fund's unissued budget for the year is too small"
                    }
                    Short::Appropriation => {
                        "the region's unissued budget for the year is too small"
                    }
                };
                let rule = Rule::named(short.rule_id(), &account.region)
                    .requested(amount)
                    .allowed(balance);
                short.refusal(detail, rule).into()
            }
            LedgerError::Malformed(why) => ServiceError::Internal(format!("ledger: {why}")),
            LedgerError::Db(e) => e.into(),
        }
    }
}
