//! Organisations, their client credentials and the idempotency records every
//! `POST` shares.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
    Kind,
    Name,
    Region,
    CreditCode,
    CompanyType,
    ActualController,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Credentials {
    Table,
    ClientId,
    SecretHash,
    Subject,
    Role,
    Region,
    OrganizationId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    Scope,
    Key,
    Fingerprint,
    Lease,
    State,
    StatusCode,
    ResponseBody,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Organizations::Table)
                    .col(pk_uuid(Organizations::Id))
                    .col(string_len(Organizations::Kind, 16))
                    .col(string_len(Organizations::Name, 200))
                    .col(string_len(Organizations::Region, 8))
                    .col(string_len_null(Organizations::CreditCode, 18))
                    .col(string_len_null(Organizations::CompanyType, 16))
                    .col(string_len_null(Organizations::ActualController, 200))
                    .col(timestamp_with_time_zone(Organizations::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_organizations_kind_credit_code")
                    .table(Organizations::Table)
                    .col(Organizations::Kind)
                    .col(Organizations::CreditCode)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_organizations_region")
                    .table(Organizations::Table)
                    .col(Organizations::Region)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Credentials::Table)
                    .col(string_len(Credentials::ClientId, 64).primary_key())
                    .col(string_len(Credentials::SecretHash, 255))
                    .col(uuid(Credentials::Subject))
                    .col(string_len(Credentials::Role, 16))
                    .col(string_len_null(Credentials::Region, 8))
                    .col(uuid_null(Credentials::OrganizationId))
                    .col(timestamp_with_time_zone(Credentials::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_credentials_organization")
                            .from(Credentials::Table, Credentials::OrganizationId)
                            .to(Organizations::Table, Organizations::Id),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKeys::Table)
                    .col(string_len(IdempotencyKeys::Scope, 64))
                    .col(string_len(IdempotencyKeys::Key, 255))
                    .col(string_len(IdempotencyKeys::Fingerprint, 64))
                    .col(uuid(IdempotencyKeys::Lease))
                    .col(string_len(IdempotencyKeys::State, 16))
                    .col(integer_null(IdempotencyKeys::StatusCode))
                    .col(text_null(IdempotencyKeys::ResponseBody))
                    .col(timestamp_with_time_zone(IdempotencyKeys::CreatedAt))
                    .col(timestamp_with_time_zone(IdempotencyKeys::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(IdempotencyKeys::Scope)
                            .col(IdempotencyKeys::Key),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_idempotency_keys_created_at")
                    .table(IdempotencyKeys::Table)
                    .col(IdempotencyKeys::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            IdempotencyKeys::Table.into_iden(),
            Credentials::Table.into_iden(),
            Organizations::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
