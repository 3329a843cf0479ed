//! Use cases: each state change is one transaction that also records its
//! idempotency outcome.

pub mod claims;
pub mod expiry;
pub mod idempotency;
pub mod identity;
pub mod programme;
pub mod redemptions;
pub mod reports;
pub mod vouchers;

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

/// Maps a ledger refusal to the refusal of the domain; anything else is a bug.
impl From<crate::ledger::LedgerError> for ServiceError {
    fn from(err: crate::ledger::LedgerError) -> Self {
        use crate::domain::Refusal;
        use crate::ledger::{AccountKind, LedgerError};
        match err {
            LedgerError::Insufficient(AccountKind::Voucher) => DomainError::refused(
                Refusal::InsufficientBalance,
                "the voucher's available balance is too small",
            )
            .into(),
            LedgerError::Insufficient(AccountKind::Budget) => DomainError::refused(
                Refusal::BudgetExceeded,
                "the region's unissued budget for the year is too small",
            )
            .into(),
            LedgerError::Insufficient(kind) => {
                ServiceError::Internal(format!("ledger: insufficient balance on a {kind} account"))
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
    /// Builds a page from up to `limit + 1` rows fetched in id order.
    pub fn from_rows(
        mut rows: Vec<T>,
        request: PageRequest,
        id: impl Fn(&T) -> uuid::Uuid,
    ) -> Self {
        let more = rows.len() as u64 > request.limit;
        rows.truncate(request.limit as usize);
        let next_cursor = if more {
            rows.last().map(|r| id(r).to_string())
        } else {
            None
        };
        Page {
            items: rows,
            next_cursor,
        }
    }

    /// The same page with its items converted.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

/// Who acts, when, and under which rules: what every state change is given.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub actor: crate::domain::Actor,
    pub now: chrono::DateTime<chrono::Utc>,
    pub rules: std::sync::Arc<crate::rules::Registry>,
    /// This operation: its transfers and its audit event share the id.
    pub operation: uuid::Uuid,
}

impl Ctx {
    /// The stamp of the transfers this operation posts.
    pub fn stamp(&self) -> crate::ledger::Stamp {
        crate::ledger::Stamp {
            at: self.now,
            operation: self.operation,
        }
    }

    /// The rules of an issuing region (404 for a region that is not one).
    pub fn rules_for(
        &self,
        region: &crate::domain::Region,
    ) -> Result<&dyn crate::rules::RegionRules, DomainError> {
        self.rules.get(region).ok_or(DomainError::NotFound)
    }

    /// The fiscal year now, in Asia/Shanghai.
    pub fn fiscal_year(&self) -> i32 {
        use chrono::Datelike;
        crate::domain::clock::shanghai_date(self.now).year()
    }
}

/// A text field that must be present, trimmed and at most `max` characters.
pub fn required_text(field: &str, value: &str, max: usize) -> Result<String, DomainError> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max {
        return Err(DomainError::field(
            field,
            format!("must be 1 to {max} characters"),
        ));
    }
    Ok(value.to_owned())
}
