//! Settlement runs: a region pays its providers per period in one run —
//! one item per provider, paid to a snapshot of its bank account, the
//! claims of the item locked to it (`claims.settlement_item_id`); the bank
//! files that went out and came in, with their SHA-256; and the statement
//! lines nothing matched, as exceptions a regulator resolves.

use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000019_settlement_runs"
    }
}

#[derive(DeriveIden)]
enum SettlementRuns {
    Table,
    Id,
    Region,
    Period,
    LiveKey,
    CutOff,
    Status,
    ItemCount,
    ClaimCount,
    Total,
    HeldBack,
    CreatedBy,
    CreatedAt,
    FrozenBy,
    FrozenAt,
    ApprovedBy,
    ApprovedAt,
    ExportedBy,
    ExportedAt,
    ClosedAt,
    Reason,
}

#[derive(DeriveIden)]
enum SettlementItems {
    Table,
    Id,
    RunId,
    ProviderId,
    PayeeAccountId,
    AccountName,
    AccountNumber,
    BankName,
    CnapsCode,
    ClaimCount,
    Amount,
    Status,
    Reason,
    BankReference,
    SettledAt,
}

#[derive(DeriveIden)]
enum BankFiles {
    Table,
    Id,
    Region,
    RunId,
    Direction,
    Format,
    Name,
    Sha256,
    Size,
    Content,
    Summary,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SettlementExceptions {
    Table,
    Id,
    Region,
    FileId,
    Locator,
    Kind,
    EndToEndId,
    ItemId,
    Amount,
    Detail,
    Status,
    Resolution,
    ResolvedBy,
    ResolvedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Claims {
    Table,
    SettlementItemId,
}

#[derive(DeriveIden)]
enum Transfers {
    Table,
    Code,
    Region,
    Year,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use SettlementRuns as R;
        manager
            .create_table(
                Table::create()
                    .table(R::Table)
                    .col(pk_uuid(R::Id))
                    .col(string_len(R::Region, 8))
                    .col(string_len(R::Period, 16))
                    .col(string_len_null(R::LiveKey, 32))
                    .col(timestamp_with_time_zone(R::CutOff))
                    .col(string_len(R::Status, 16))
                    .col(big_integer(R::ItemCount))
                    .col(big_integer(R::ClaimCount))
                    .col(big_integer(R::Total))
                    .col(text(R::HeldBack))
                    .col(uuid(R::CreatedBy))
                    .col(timestamp_with_time_zone(R::CreatedAt))
                    .col(uuid_null(R::FrozenBy))
                    .col(timestamp_with_time_zone_null(R::FrozenAt))
                    .col(uuid_null(R::ApprovedBy))
                    .col(timestamp_with_time_zone_null(R::ApprovedAt))
                    .col(uuid_null(R::ExportedBy))
                    .col(timestamp_with_time_zone_null(R::ExportedAt))
                    .col(timestamp_with_time_zone_null(R::ClosedAt))
                    .col(text_null(R::Reason))
                    .to_owned(),
            )
            .await?;
        // One live (not cancelled) run per region and period: the index
        // decides between two racing creations.
        manager
            .create_index(
                Index::create()
                    .name("ux_settlement_runs_live")
                    .table(R::Table)
                    .col(R::LiveKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_settlement_runs_region")
                    .table(R::Table)
                    .col(R::Region)
                    .col(R::CreatedAt)
                    .to_owned(),
            )
            .await?;
        use SettlementItems as I;
        manager
            .create_table(
                Table::create()
                    .table(I::Table)
                    .col(pk_uuid(I::Id))
                    .col(uuid(I::RunId))
                    .col(uuid(I::ProviderId))
                    .col(uuid(I::PayeeAccountId))
                    .col(string_len(I::AccountName, 200))
                    .col(string_len(I::AccountNumber, 32))
                    .col(string_len(I::BankName, 200))
                    .col(string_len(I::CnapsCode, 12))
                    .col(big_integer(I::ClaimCount))
                    .col(big_integer(I::Amount))
                    .col(string_len(I::Status, 16))
                    .col(text_null(I::Reason))
                    .col(string_len_null(I::BankReference, 128))
                    .col(timestamp_with_time_zone_null(I::SettledAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_settlement_items_run")
                    .table(I::Table)
                    .col(I::RunId)
                    .col(I::ProviderId)
                    .to_owned(),
            )
            .await?;
        use BankFiles as F;
        manager
            .create_table(
                Table::create()
                    .table(F::Table)
                    .col(pk_uuid(F::Id))
                    .col(string_len(F::Region, 8))
                    .col(uuid_null(F::RunId))
                    .col(string_len(F::Direction, 4))
                    .col(string_len(F::Format, 32))
                    .col(string_len(F::Name, 200))
                    .col(string_len(F::Sha256, 64))
                    .col(big_integer(F::Size))
                    .col(text(F::Content))
                    .col(text(F::Summary))
                    .col(uuid(F::CreatedBy))
                    .col(timestamp_with_time_zone(F::CreatedAt))
                    .to_owned(),
            )
            .await?;
        // A file that came in is taken once: the same bytes again are the
        // same import.
        manager
            .create_index(
                Index::create()
                    .name("ux_bank_files_content")
                    .table(F::Table)
                    .col(F::Region)
                    .col(F::Direction)
                    .col(F::Sha256)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_bank_files_run")
                    .table(F::Table)
                    .col(F::RunId)
                    .to_owned(),
            )
            .await?;
        use SettlementExceptions as E;
        manager
            .create_table(
                Table::create()
                    .table(E::Table)
                    .col(pk_uuid(E::Id))
                    .col(string_len(E::Region, 8))
                    .col(uuid(E::FileId))
                    .col(string_len(E::Locator, 200))
                    .col(string_len(E::Kind, 32))
                    .col(string_len_null(E::EndToEndId, 64))
                    .col(uuid_null(E::ItemId))
                    .col(big_integer_null(E::Amount))
                    .col(text(E::Detail))
                    .col(string_len(E::Status, 16))
                    .col(text_null(E::Resolution))
                    .col(uuid_null(E::ResolvedBy))
                    .col(timestamp_with_time_zone_null(E::ResolvedAt))
                    .col(timestamp_with_time_zone(E::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_settlement_exceptions_region")
                    .table(E::Table)
                    .col(E::Region)
                    .col(E::Status)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Claims::Table)
                    .add_column(uuid_null(Claims::SettlementItemId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_claims_settlement_item")
                    .table(Claims::Table)
                    .col(Claims::SettlementItemId)
                    .to_owned(),
            )
            .await?;
        // Reports subtract what the bank sent back: the few `return`
        // transfers, found without reading the others.
        manager
            .create_index(
                Index::create()
                    .name("ix_transfers_code")
                    .table(Transfers::Table)
                    .col(Transfers::Code)
                    .col(Transfers::Region)
                    .col(Transfers::Year)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_transfers_code")
                    .table(Transfers::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_claims_settlement_item")
                    .table(Claims::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Claims::Table)
                    .drop_column(Claims::SettlementItemId)
                    .to_owned(),
            )
            .await?;
        for table in [
            SettlementExceptions::Table.into_iden(),
            BankFiles::Table.into_iden(),
            SettlementItems::Table.into_iden(),
            SettlementRuns::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
