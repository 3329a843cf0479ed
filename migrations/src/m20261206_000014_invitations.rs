//! Invitations instead of secrets: registering an organisation creates a
//! one-time invitation for its first administrator (only the token's
//! SHA-256 is kept); people are administrators of their organisation or
//! not; an API client remembers its label and the person who created it;
//! an organisation may be suspended by its registrar.

use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000014_invitations"
    }
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    TokenHash,
    OrganizationId,
    Administrator,
    UserId,
    Login,
    CreatedBy,
    CreatedAt,
    ExpiresAt,
    AcceptedAt,
    AcceptedBy,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Administrator,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    SuspendedAt,
}

#[derive(DeriveIden)]
enum Credentials {
    Table,
    Label,
    CreatedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Invitations::Table)
                    .col(string_len(Invitations::TokenHash, 64).primary_key())
                    .col(uuid_null(Invitations::OrganizationId))
                    .col(boolean(Invitations::Administrator))
                    .col(uuid_null(Invitations::UserId))
                    .col(string_len_null(Invitations::Login, 64))
                    .col(string_len(Invitations::CreatedBy, 64))
                    .col(timestamp_with_time_zone(Invitations::CreatedAt))
                    .col(timestamp_with_time_zone(Invitations::ExpiresAt))
                    .col(timestamp_with_time_zone_null(Invitations::AcceptedAt))
                    .col(uuid_null(Invitations::AcceptedBy))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_invitations_organization")
                    .table(Invitations::Table)
                    .col(Invitations::OrganizationId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(boolean(Users::Administrator).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Organizations::Table)
                    .add_column(timestamp_with_time_zone_null(Organizations::SuspendedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Credentials::Table)
                    .add_column(string_len_null(Credentials::Label, 100))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Credentials::Table)
                    .add_column(uuid_null(Credentials::CreatedBy))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Credentials::Label, Credentials::CreatedBy] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Credentials::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Organizations::Table)
                    .drop_column(Organizations::SuspendedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::Administrator)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(Invitations::Table).to_owned())
            .await
    }
}
