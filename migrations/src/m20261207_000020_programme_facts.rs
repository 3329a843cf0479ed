//! What a programme asks of the people in it: the facts a company declares
//! when it applies (kept with the application), and the companies' ratings
//! of the services they redeemed (one per redemption).

use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000020_programme_facts"
    }
}

#[derive(DeriveIden)]
enum Applications {
    Table,
    Declared,
}

#[derive(DeriveIden)]
enum Ratings {
    Table,
    Id,
    RedemptionId,
    Region,
    CompanyId,
    ProviderId,
    Score,
    Comment,
    Complaint,
    RatedBy,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Applications::Table)
                    .add_column(text_null(Applications::Declared))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Ratings::Table)
                    .col(pk_uuid(Ratings::Id))
                    .col(uuid_uniq(Ratings::RedemptionId))
                    .col(string_len(Ratings::Region, 8))
                    .col(uuid(Ratings::CompanyId))
                    .col(uuid(Ratings::ProviderId))
                    .col(small_integer(Ratings::Score))
                    .col(text_null(Ratings::Comment))
                    .col(boolean(Ratings::Complaint))
                    .col(uuid(Ratings::RatedBy))
                    .col(timestamp_with_time_zone(Ratings::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_ratings_provider")
                    .table(Ratings::Table)
                    .col(Ratings::ProviderId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Ratings::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Applications::Table)
                    .drop_column(Applications::Declared)
                    .to_owned(),
            )
            .await
    }
}
