//! A running total per budget of what is held or completed at providers
//! outside the issuing region, so that the cross-region cap is checked in
//! constant time; and an index to find companies of one actual controller
//! (the annual cap).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organizations {
    Table,
    ActualController,
}

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
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_organizations_actual_controller")
                    .table(Organizations::Table)
                    .col(Organizations::ActualController)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_organizations_actual_controller")
                    .table(Organizations::Table)
                    .to_owned(),
            )
            .await?;
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
