//! Four eyes: a decision one person of a regulator asks for and another
//! confirms (or withdraws) — paying a claim, revoking a voucher with a
//! balance — waits here.

use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000015_confirmations"
    }
}

#[derive(DeriveIden)]
enum Confirmations {
    Table,
    Id,
    Region,
    Action,
    TargetId,
    Amount,
    Detail,
    RequestedBy,
    RequestedAt,
    Status,
    DecidedBy,
    DecidedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Confirmations::Table)
                    .col(pk_uuid(Confirmations::Id))
                    .col(string_len(Confirmations::Region, 8))
                    .col(string_len(Confirmations::Action, 32))
                    .col(uuid(Confirmations::TargetId))
                    .col(big_integer(Confirmations::Amount))
                    .col(text(Confirmations::Detail))
                    .col(uuid(Confirmations::RequestedBy))
                    .col(timestamp_with_time_zone(Confirmations::RequestedAt))
                    .col(string_len(Confirmations::Status, 16))
                    .col(uuid_null(Confirmations::DecidedBy))
                    .col(timestamp_with_time_zone_null(Confirmations::DecidedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_confirmations_target")
                    .table(Confirmations::Table)
                    .col(Confirmations::TargetId)
                    .col(Confirmations::Status)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_confirmations_region")
                    .table(Confirmations::Table)
                    .col(Confirmations::Region)
                    .col(Confirmations::Status)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Confirmations::Table).to_owned())
            .await
    }
}
