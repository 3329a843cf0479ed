//! Evidence documents: each stored once by its SHA-256 (its bytes in a
//! PostgreSQL large object, or a file beside the SQLite database), and the
//! documents a claim carries, one of each kind.

use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000021_documents"
    }
}

#[derive(DeriveIden)]
enum Documents {
    Table,
    Sha256,
    MediaType,
    Size,
    LoOid,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ClaimDocuments {
    Table,
    Id,
    ClaimId,
    Kind,
    Sha256,
    FileName,
    MediaType,
    Size,
    UploadedBy,
    UploadedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Documents::Table)
                    .col(string_len(Documents::Sha256, 64).primary_key())
                    .col(string_len(Documents::MediaType, 32))
                    .col(big_integer(Documents::Size))
                    .col(big_integer_null(Documents::LoOid))
                    .col(timestamp_with_time_zone(Documents::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ClaimDocuments::Table)
                    .col(pk_uuid(ClaimDocuments::Id))
                    .col(uuid(ClaimDocuments::ClaimId))
                    .col(string_len(ClaimDocuments::Kind, 32))
                    .col(string_len(ClaimDocuments::Sha256, 64))
                    .col(string_len(ClaimDocuments::FileName, 200))
                    .col(string_len(ClaimDocuments::MediaType, 32))
                    .col(big_integer(ClaimDocuments::Size))
                    .col(uuid(ClaimDocuments::UploadedBy))
                    .col(timestamp_with_time_zone(ClaimDocuments::UploadedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_claim_documents_kind")
                    .table(ClaimDocuments::Table)
                    .col(ClaimDocuments::ClaimId)
                    .col(ClaimDocuments::Kind)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ClaimDocuments::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Documents::Table).to_owned())
            .await
    }
}
