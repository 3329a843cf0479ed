//! Domain types and rules, free of HTTP and database types.

pub mod credit_code;
pub mod error;
pub mod identity;

pub use credit_code::CreditCode;
pub use error::DomainError;
pub use identity::{Actor, CompanyType, NewOrganization, OrgKind, Region, Role};
