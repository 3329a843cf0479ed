//! Sub-funds: the district fund a voucher was issued from, and each
//! district fund's budget per fiscal year (what was appropriated to it,
//! issued from it and returned to it; the region's budget row adds them up).

use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000024_district_funds"
    }
}

#[derive(DeriveIden)]
enum Vouchers {
    Table,
    Fund,
}

#[derive(DeriveIden)]
enum FundBudgets {
    Table,
    Region,
    Year,
    Fund,
    Appropriated,
    Issued,
    Returned,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Vouchers::Table)
                    .add_column(string_len_null(Vouchers::Fund, 8))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(FundBudgets::Table)
                    .col(string_len(FundBudgets::Region, 8))
                    .col(integer(FundBudgets::Year))
                    .col(string_len(FundBudgets::Fund, 8))
                    .col(big_integer(FundBudgets::Appropriated).default(0))
                    .col(big_integer(FundBudgets::Issued).default(0))
                    .col(big_integer(FundBudgets::Returned).default(0))
                    .col(timestamp_with_time_zone(FundBudgets::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(FundBudgets::Region)
                            .col(FundBudgets::Year)
                            .col(FundBudgets::Fund),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(FundBudgets::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Vouchers::Table)
                    .drop_column(Vouchers::Fund)
                    .to_owned(),
            )
            .await
    }
}
