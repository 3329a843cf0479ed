//! SeaORM entities: one module per table.

pub mod accounts;
pub mod admissions;
pub mod applications;
pub mod audit_events;
pub mod audit_heads;
pub mod budgets;
pub mod claim_redemptions;
pub mod claims;
pub mod confirmations;
pub mod credentials;
pub mod idempotency_keys;
pub mod invitations;
pub mod issued_totals;
pub mod ledger_totals;
pub mod monthly_totals;
pub mod organizations;
pub mod payee_accounts;
pub mod postings;
pub mod recovery_codes;
pub mod redemptions;
pub mod sessions;
pub mod sign_in_failures;
pub mod transfers;
pub mod users;
pub mod vouchers;
