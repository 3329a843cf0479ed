//! Domain types and rules, free of HTTP and database types.

pub mod access;
pub mod bank_account;
pub mod bank_files;
pub mod clock;
pub mod credit_code;
pub mod eligibility;
pub mod error;
pub mod evidence;
pub mod fund;
pub mod identity;
pub mod money;
pub mod notice;
pub mod programme;
pub mod review;
pub mod settlement;
pub mod states;
pub mod text;

pub use credit_code::CreditCode;
pub use error::{DomainError, Figure, Refusal, Rule};
pub use identity::{
    sign_in_code, sign_in_name, Actor, CompanyType, NewOrganization, OrgKind, Region, Role,
};
pub use money::{Amount, Money};
pub use states::{ApplicationStatus, ClaimStatus, RedemptionStatus, VoucherState, VoucherStatus};
