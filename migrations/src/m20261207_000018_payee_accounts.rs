//! Providers' bank accounts: entered by the provider's administrator,
//! approved by its regulator (under four eyes), in force from a day on.

use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000018_payee_accounts"
    }
}

#[derive(DeriveIden)]
enum PayeeAccounts {
    Table,
    Id,
    ProviderId,
    AccountName,
    AccountNumber,
    BankName,
    CnapsCode,
    ValidFrom,
    Status,
    SubmittedBy,
    SubmittedAt,
    DecidedBy,
    DecidedAt,
    Reason,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PayeeAccounts::Table)
                    .col(pk_uuid(PayeeAccounts::Id))
                    .col(uuid(PayeeAccounts::ProviderId))
                    .col(string_len(PayeeAccounts::AccountName, 200))
                    .col(string_len(PayeeAccounts::AccountNumber, 32))
                    .col(string_len(PayeeAccounts::BankName, 200))
                    .col(string_len(PayeeAccounts::CnapsCode, 12))
                    .col(date(PayeeAccounts::ValidFrom))
                    .col(string_len(PayeeAccounts::Status, 16))
                    .col(uuid(PayeeAccounts::SubmittedBy))
                    .col(timestamp_with_time_zone(PayeeAccounts::SubmittedAt))
                    .col(uuid_null(PayeeAccounts::DecidedBy))
                    .col(timestamp_with_time_zone_null(PayeeAccounts::DecidedAt))
                    .col(text_null(PayeeAccounts::Reason))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_payee_accounts_provider")
                    .table(PayeeAccounts::Table)
                    .col(PayeeAccounts::ProviderId)
                    .col(PayeeAccounts::Status)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PayeeAccounts::Table).to_owned())
            .await
    }
}
