//! Use cases. Every state change is an [`Operation`] run by
//! [`Service::execute`] or [`Service::execute_once`] (see [`engine`]):
//! one transaction with its postings, running totals, audit events and
//! idempotent answer. Reads take a connection and the caller. One module
//! per use case; the machinery they all run on is in [`engine`].

pub mod account;
pub mod admission_requests;
pub mod admissions;
pub mod applications;
pub mod budgets;
pub mod caps;
pub mod claims;
pub mod clients;
pub mod confirmations;
pub mod eligibility;
pub mod engine;
pub mod error;
pub mod evidence;
pub mod expiry;
pub mod four_eyes;
pub mod identity;
pub mod invitations;
pub mod locks;
pub mod logins;
pub mod notice_effect;
pub mod notices;
pub mod passwords;
pub mod payees;
pub mod payments;
pub mod people;
pub mod ratings;
pub mod redemptions;
pub mod reports;
pub mod review;
pub mod second_factor;
pub mod secrets;
pub mod sessions;
pub mod settlement;
pub mod suspension;
pub mod visible;
pub mod vouchers;
pub mod what_if;

use crate::domain::access::{self, Action};
use crate::domain::{Actor, DomainError, Region};
use crate::rules::Registry;

pub use engine::{Answer, Call, Ctx, Done, Executed, Operation, Recorded, Service};
pub use error::{ServiceError, ServiceResult, Short};

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
