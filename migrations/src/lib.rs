//! Database migrations for the voucher ledger, written once and run on both
//! SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261128_000001_identity;
mod m20261128_000002_ledger;
mod m20261128_000003_audit;
mod m20261128_000004_immutable;
mod m20261128_000005_outside_committed;
mod m20261128_000006_report_totals;
mod m20261129_000007_identity_keys;
mod m20261129_000008_holder_index;
mod m20261129_000009_issued_totals;
mod m20261129_000010_users;
mod m20261129_000011_sessions;
mod m20261129_000012_monthly_totals;
mod m20261129_000013_login_failures_age;
mod m20261206_000014_invitations;
mod m20261207_000015_confirmations;
mod m20261207_000016_second_factor;
mod m20261207_000017_sign_in_failures;
mod m20261207_000018_payee_accounts;
mod m20261207_000019_settlement_runs;
mod m20261207_000020_programme_facts;
mod m20261207_000021_documents;
mod m20261207_000022_review_levels;
mod m20261207_000023_notices;
mod m20261207_000024_district_funds;
mod m20261207_000025_admission_requests;

/// Runs every migration of the ledger in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_identity::Migration),
            Box::new(m20261128_000002_ledger::Migration),
            Box::new(m20261128_000003_audit::Migration),
            Box::new(m20261128_000004_immutable::Migration),
            Box::new(m20261128_000005_outside_committed::Migration),
            Box::new(m20261128_000006_report_totals::Migration),
            Box::new(m20261129_000007_identity_keys::Migration),
            Box::new(m20261129_000008_holder_index::Migration),
            Box::new(m20261129_000009_issued_totals::Migration),
            Box::new(m20261129_000010_users::Migration),
            Box::new(m20261129_000011_sessions::Migration),
            Box::new(m20261129_000012_monthly_totals::Migration),
            Box::new(m20261129_000013_login_failures_age::Migration),
            Box::new(m20261206_000014_invitations::Migration),
            Box::new(m20261207_000015_confirmations::Migration),
            Box::new(m20261207_000016_second_factor::Migration),
            Box::new(m20261207_000017_sign_in_failures::Migration),
            Box::new(m20261207_000018_payee_accounts::Migration),
            Box::new(m20261207_000019_settlement_runs::Migration),
            Box::new(m20261207_000020_programme_facts::Migration),
            Box::new(m20261207_000021_documents::Migration),
            Box::new(m20261207_000022_review_levels::Migration),
            Box::new(m20261207_000023_notices::Migration),
            Box::new(m20261207_000024_district_funds::Migration),
            Box::new(m20261207_000025_admission_requests::Migration),
        ]
    }
}
