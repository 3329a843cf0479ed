//! A running total per budget of what is held or completed at providers
//! outside the issuing region, so that the cross-region cap is checked in
//! constant time.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Budgets {
    Table,
    OutsideCommitted,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Budgets::Table)
                    .add_column(
                        ColumnDef::new(Budgets::OutsideCommitted)
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
                    .table(Budgets::Table)
                    .drop_column(Budgets::OutsideCommitted)
                    .to_owned(),
            )
            .await
    }
}
