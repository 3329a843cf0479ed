//! Public notice: what is published before it takes effect (an admission,
//! a payment list) and the objections the public files against it.

use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000023_notices"
    }
}

#[derive(DeriveIden)]
enum Notices {
    Table,
    Id,
    Region,
    Kind,
    SubjectId,
    Title,
    Detail,
    PublishedBy,
    PublishedAt,
    EndsAt,
    Status,
    SettledAt,
}

#[derive(DeriveIden)]
enum Objections {
    Table,
    Id,
    NoticeId,
    Region,
    Name,
    Contact,
    Text,
    CreatedAt,
    Status,
    Note,
    DecidedBy,
    DecidedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Notices::Table)
                    .col(pk_uuid(Notices::Id))
                    .col(string_len(Notices::Region, 8))
                    .col(string_len(Notices::Kind, 16))
                    .col(uuid(Notices::SubjectId))
                    .col(text(Notices::Title))
                    .col(text(Notices::Detail))
                    .col(uuid_null(Notices::PublishedBy))
                    .col(timestamp_with_time_zone(Notices::PublishedAt))
                    .col(timestamp_with_time_zone(Notices::EndsAt))
                    .col(string_len(Notices::Status, 16))
                    .col(timestamp_with_time_zone_null(Notices::SettledAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_notices_subject")
                    .table(Notices::Table)
                    .col(Notices::Region)
                    .col(Notices::SubjectId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Objections::Table)
                    .col(pk_uuid(Objections::Id))
                    .col(uuid(Objections::NoticeId))
                    .col(string_len(Objections::Region, 8))
                    .col(text(Objections::Name))
                    .col(text(Objections::Contact))
                    .col(text(Objections::Text))
                    .col(timestamp_with_time_zone(Objections::CreatedAt))
                    .col(string_len(Objections::Status, 16))
                    .col(text_null(Objections::Note))
                    .col(uuid_null(Objections::DecidedBy))
                    .col(timestamp_with_time_zone_null(Objections::DecidedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_objections_notice")
                    .table(Objections::Table)
                    .col(Objections::NoticeId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Objections::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Notices::Table).to_owned())
            .await
    }
}
