//! Comparison keys of identity text, so that two spellings of one thing are
//! one thing: the actual controller of an organisation (annual caps and
//! related parties), a redemption's contract number and a claim's invoice
//! number (duplicates). An invoice number is reserved only by claims that
//! are open or paid: a rejected claim's invoice may be claimed again. And
//! the time of a region's last audit event, so that event times never run
//! backwards against their sequence.
//!
//! Existing rows get an approximate key (trimmed, lower-cased); the service
//! writes the exact key (NFKC, whitespace collapsed, case-folded) from now on.

use sea_orm_migration::sea_orm::DbBackend;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organizations {
    Table,
    ControllerKey,
}

#[derive(DeriveIden)]
enum Redemptions {
    Table,
    ContractKey,
}

#[derive(DeriveIden)]
enum Claims {
    Table,
    Id,
    Region,
    ProviderId,
    InvoiceNo,
    InvoiceKey,
    Amount,
    Status,
    Reason,
    BankReference,
    CreatedAt,
    DecidedAt,
    PaidAt,
}

#[derive(DeriveIden)]
enum AuditHeads {
    Table,
    OccurredAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        manager
            .alter_table(
                Table::alter()
                    .table(Organizations::Table)
                    .add_column(string_len_null(Organizations::ControllerKey, 200))
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared(
            "UPDATE organizations SET controller_key = LOWER(TRIM(actual_controller)) \
             WHERE actual_controller IS NOT NULL",
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_organizations_controller_key")
                    .table(Organizations::Table)
                    .col(Organizations::ControllerKey)
                    .to_owned(),
            )
            .await?;

        manager
            .alter_table(
                Table::alter()
                    .table(Redemptions::Table)
                    .add_column(string_len_null(Redemptions::ContractKey, 64))
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared("UPDATE redemptions SET contract_key = LOWER(TRIM(contract_no))")
            .await?;
        db.execute_unprepared("DROP INDEX ux_redemptions_contract")
            .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX ux_redemptions_contract_key ON redemptions (provider_id, contract_key) \
             WHERE status <> 'cancelled'",
        )
        .await?;

        // The invoice number was unique in the column itself: rebuild the
        // table without that constraint (SQLite cannot drop it in place).
        let claims_new = Alias::new("claims_new");
        manager
            .create_table(
                Table::create()
                    .table(claims_new.clone())
                    .col(pk_uuid(Claims::Id))
                    .col(string_len(Claims::Region, 8))
                    .col(uuid(Claims::ProviderId))
                    .col(string_len(Claims::InvoiceNo, 64))
                    .col(string_len(Claims::InvoiceKey, 64))
                    .col(big_integer(Claims::Amount))
                    .col(string_len(Claims::Status, 16))
                    .col(text_null(Claims::Reason))
                    .col(string_len_null(Claims::BankReference, 128))
                    .col(timestamp_with_time_zone(Claims::CreatedAt))
                    .col(timestamp_with_time_zone_null(Claims::DecidedAt))
                    .col(timestamp_with_time_zone_null(Claims::PaidAt))
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared(
            "INSERT INTO claims_new (id, region, provider_id, invoice_no, invoice_key, amount, status, \
             reason, bank_reference, created_at, decided_at, paid_at) \
             SELECT id, region, provider_id, invoice_no, LOWER(TRIM(invoice_no)), amount, status, \
             reason, bank_reference, created_at, decided_at, paid_at FROM claims",
        )
        .await?;
        manager
            .drop_table(Table::drop().table(Claims::Table).to_owned())
            .await?;
        manager
            .rename_table(Table::rename().table(claims_new, Claims::Table).to_owned())
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_claims_provider")
                    .table(Claims::Table)
                    .col(Claims::ProviderId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_claims_region")
                    .table(Claims::Table)
                    .col(Claims::Region)
                    .col(Claims::Id)
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX ux_claims_invoice_key ON claims (invoice_key) \
             WHERE status <> 'rejected'",
        )
        .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            // The renamed table keeps its primary key's old name; name it
            // as a fresh table would.
            db.execute_unprepared("ALTER INDEX IF EXISTS claims_new_pkey RENAME TO claims_pkey")
                .await?;
        }

        manager
            .alter_table(
                Table::alter()
                    .table(AuditHeads::Table)
                    .add_column(timestamp_with_time_zone_null(AuditHeads::OccurredAt))
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared(
            "UPDATE audit_heads SET occurred_at = (SELECT MAX(e.occurred_at) FROM audit_events e \
             WHERE e.region = audit_heads.region)",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, _: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "the identity keys are not undone: restore a backup instead".into(),
        ))
    }
}
