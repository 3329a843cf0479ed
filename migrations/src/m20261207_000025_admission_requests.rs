//! A provider's request for admission to a region's programme, reviewed
//! first by its district's regulator where the programme has two levels.

use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000025_admission_requests"
    }
}

#[derive(DeriveIden)]
enum AdmissionRequests {
    Table,
    Id,
    Region,
    ProviderId,
    ProviderRegion,
    District,
    Categories,
    Statement,
    Level,
    Status,
    LiveKey,
    Recommended,
    ReviewReason,
    ReviewedBy,
    ReviewedAt,
    Admitted,
    Reason,
    DecidedBy,
    DecidedAt,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AdmissionRequests::Table)
                    .col(pk_uuid(AdmissionRequests::Id))
                    .col(string_len(AdmissionRequests::Region, 8))
                    .col(uuid(AdmissionRequests::ProviderId))
                    .col(string_len(AdmissionRequests::ProviderRegion, 8))
                    .col(string_len_null(AdmissionRequests::District, 8))
                    .col(text(AdmissionRequests::Categories))
                    .col(text(AdmissionRequests::Statement))
                    .col(string_len(AdmissionRequests::Level, 16))
                    .col(string_len(AdmissionRequests::Status, 16))
                    // `region/provider` while pending: one pending request
                    // per provider and programme, also under a race.
                    .col(string_len_null(AdmissionRequests::LiveKey, 64).unique_key())
                    .col(text_null(AdmissionRequests::Recommended))
                    .col(text_null(AdmissionRequests::ReviewReason))
                    .col(uuid_null(AdmissionRequests::ReviewedBy))
                    .col(timestamp_with_time_zone_null(AdmissionRequests::ReviewedAt))
                    .col(text_null(AdmissionRequests::Admitted))
                    .col(text_null(AdmissionRequests::Reason))
                    .col(uuid_null(AdmissionRequests::DecidedBy))
                    .col(timestamp_with_time_zone_null(AdmissionRequests::DecidedAt))
                    .col(timestamp_with_time_zone(AdmissionRequests::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_admission_requests_provider")
                    .table(AdmissionRequests::Table)
                    .col(AdmissionRequests::Region)
                    .col(AdmissionRequests::ProviderId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AdmissionRequests::Table).to_owned())
            .await
    }
}
