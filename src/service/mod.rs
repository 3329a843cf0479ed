//! Use cases: each state change is one transaction that also records its
//! idempotency outcome.

pub mod idempotency;
pub mod identity;

use sea_orm::DbErr;

use crate::domain::DomainError;
use crate::store;

/// Why a use case failed.
#[derive(Debug, thiserror::Error)]
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
    /// The database cannot be reached; the text is logged, never shown.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A bug or an unexpected database failure; the message is logged, never shown.
    #[error("internal: {0}")]
    Internal(String),
}

impl ServiceError {
    /// True for failures that say nothing about the request itself (so an
    /// idempotent retry must be allowed to run again).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ServiceError::Unavailable(_) | ServiceError::Internal(_)
        )
    }
}

impl From<DbErr> for ServiceError {
    fn from(err: DbErr) -> Self {
        if store::is_unavailable(&err) {
            ServiceError::Unavailable(err.to_string())
        } else {
            ServiceError::Internal(err.to_string())
        }
    }
}

/// The result of a use case.
pub type ServiceResult<T> = Result<T, ServiceError>;

/// The current time, truncated to microseconds so that what a response shows
/// equals what the database stores and later returns.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    chrono::Utc::now().trunc_subsecs(6)
}
