//! Running totals that make reports constant-time: per region, year and
//! account kind (balance, credited, debited), and per budget (expired,
//! revoked, claimed, companies served); and per account, how many credits
//! it received (completions, for the cross-region matrix).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LedgerTotals {
    Table,
    Region,
    Year,
    Kind,
    Balance,
    Credited,
    Debited,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Credits,
}

#[derive(DeriveIden)]
enum Budgets {
    Table,
    Expired,
    Revoked,
    Claimed,
    CompaniesServed,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LedgerTotals::Table)
                    .col(string_len(LedgerTotals::Region, 8))
                    .col(integer(LedgerTotals::Year))
                    .col(string_len(LedgerTotals::Kind, 16))
                    .col(big_integer(LedgerTotals::Balance))
                    .col(big_integer(LedgerTotals::Credited))
                    .col(big_integer(LedgerTotals::Debited))
                    .primary_key(
                        Index::create()
                            .col(LedgerTotals::Region)
                            .col(LedgerTotals::Year)
                            .col(LedgerTotals::Kind),
                    )
                    .to_owned(),
            )
            .await?;
        for column in [
            Budgets::Expired,
            Budgets::Revoked,
            Budgets::Claimed,
            Budgets::CompaniesServed,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Budgets::Table)
                        .add_column(ColumnDef::new(column).big_integer().not_null().default(0))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .add_column(
                        ColumnDef::new(Accounts::Credits)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .drop_column(Accounts::Credits)
                    .to_owned(),
            )
            .await?;
        for column in [
            Budgets::Expired,
            Budgets::Revoked,
            Budgets::Claimed,
            Budgets::CompaniesServed,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Budgets::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(LedgerTotals::Table).to_owned())
            .await
    }
}
