//! Use cases. Every state change is an [`Operation`] run by
//! [`Service::execute`] or [`Service::execute_once`] (see [`pipeline`]):
//! one transaction with its postings, running totals, audit events and
//! idempotent answer. Reads take a connection and the caller.

pub mod admissions;
pub mod applications;
pub mod budgets;
pub mod claims;
pub mod expiry;
pub mod idempotency;
pub mod identity;
pub mod movements;
pub mod pipeline;
pub mod redemptions;
pub mod reports;
pub mod vouchers;

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};

use crate::domain::access::{self, Action, Scope};
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
    /// The same page with its items converted.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

/// A model with a UUID primary key, listed in id order.
pub trait Listed {
    fn list_id(&self) -> uuid::Uuid;
}

/// One page of `query` in the order of the id column `id`.
pub async fn fetch_page<E, C>(
    conn: &C,
    query: Select<E>,
    id: E::Column,
    page: PageRequest,
) -> ServiceResult<Page<E::Model>>
where
    E: EntityTrait,
    E::Model: Listed,
    C: ConnectionTrait,
{
    let query = match page.after {
        Some(after) => query.filter(id.gt(after)),
        None => query,
    };
    let mut rows = query
        .order_by_asc(id)
        .limit(page.limit + 1)
        .all(conn)
        .await?;
    let more = rows.len() as u64 > page.limit;
    rows.truncate(page.limit as usize);
    let next_cursor = if more {
        rows.last().map(|r| r.list_id().to_string())
    } else {
        None
    };
    Ok(Page {
        items: rows,
        next_cursor,
    })
}

/// The columns that say who has a stake in a row, for list scopes.
pub struct StakeColumns<C> {
    pub region: C,
    pub company: Option<C>,
    pub provider: Option<C>,
    pub provider_region: Option<C>,
}

/// The rows of `columns`' table that `scope` shows.
pub fn scope_condition<C: ColumnTrait>(scope: &Scope, columns: StakeColumns<C>) -> Condition {
    use sea_orm::sea_query::{Expr, ExprTrait};
    let none = || Condition::all().add(ExprTrait::eq(Expr::val(1), Expr::val(0)));
    match scope {
        Scope::Company(id) => columns
            .company
            .map_or_else(none, |c| Condition::all().add(c.eq(*id))),
        Scope::Provider(id) => columns
            .provider
            .map_or_else(none, |c| Condition::all().add(c.eq(*id))),
        Scope::Region(region) => Condition::all().add(columns.region.eq(region.clone())),
        Scope::RegionOrProviders(region) => {
            let mut any = Condition::any().add(columns.region.eq(region.clone()));
            if let Some(c) = columns.provider_region {
                any = any.add(c.eq(region.clone()));
            }
            any
        }
    }
}

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
