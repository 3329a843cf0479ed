//! The programme and its ledger: budgets, accounts, transfers and postings,
//! admissions, applications, vouchers, redemptions and claims. Money is whole
//! fen in 64-bit integers.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Budgets {
    Table,
    Region,
    Year,
    Appropriated,
    Issued,
    Returned,
    VoucherSeq,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    Region,
    Year,
    Kind,
    OwnerId,
    Balance,
    Credited,
    Debited,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Transfers {
    Table,
    Id,
    Code,
    Region,
    Year,
    VoucherId,
    RedemptionId,
    ClaimId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Postings {
    Table,
    TransferId,
    Leg,
    AccountId,
    Amount,
}

#[derive(DeriveIden)]
enum Admissions {
    Table,
    Region,
    ProviderId,
    Categories,
    AdmittedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Applications {
    Table,
    Id,
    CompanyId,
    Region,
    Year,
    Amount,
    Purpose,
    Status,
    Reason,
    VoucherId,
    CreatedAt,
    DecidedAt,
}

#[derive(DeriveIden)]
enum Vouchers {
    Table,
    Id,
    Serial,
    Region,
    Year,
    HolderId,
    ApplicationId,
    FaceValue,
    Redeemed,
    Expired,
    Revoked,
    State,
    UseUntil,
    ClaimUntil,
    IssuedAt,
    RevokedReason,
}

#[derive(DeriveIden)]
enum Redemptions {
    Table,
    Id,
    VoucherId,
    Region,
    Year,
    CompanyId,
    ProviderId,
    ProviderRegion,
    ContractNo,
    ContractAmount,
    ServiceCategory,
    Amount,
    CompletedAmount,
    Status,
    ClaimId,
    CreatedAt,
    ResolvedAt,
}

#[derive(DeriveIden)]
enum Claims {
    Table,
    Id,
    Region,
    ProviderId,
    InvoiceNo,
    Amount,
    Status,
    Reason,
    BankReference,
    CreatedAt,
    DecidedAt,
    PaidAt,
}

#[derive(DeriveIden)]
enum ClaimRedemptions {
    Table,
    ClaimId,
    RedemptionId,
}

fn index(name: &str, table: impl IntoIden, cols: &[&'static str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for col in cols {
        index.col(Alias::new(*col));
    }
    index.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Budgets::Table)
                    .col(string_len(Budgets::Region, 8))
                    .col(integer(Budgets::Year))
                    .col(big_integer(Budgets::Appropriated))
                    .col(big_integer(Budgets::Issued))
                    .col(big_integer(Budgets::Returned))
                    .col(big_integer(Budgets::VoucherSeq))
                    .col(timestamp_with_time_zone(Budgets::CreatedAt))
                    .primary_key(Index::create().col(Budgets::Region).col(Budgets::Year))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Accounts::Table)
                    .col(pk_uuid(Accounts::Id))
                    .col(string_len(Accounts::Region, 8))
                    .col(integer(Accounts::Year))
                    .col(string_len(Accounts::Kind, 16))
                    .col(uuid_null(Accounts::OwnerId))
                    .col(big_integer(Accounts::Balance))
                    .col(big_integer(Accounts::Credited))
                    .col(big_integer(Accounts::Debited))
                    .col(timestamp_with_time_zone(Accounts::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_accounts_region_year_kind",
                Accounts::Table,
                &["region", "year", "kind"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Transfers::Table)
                    .col(pk_uuid(Transfers::Id))
                    .col(string_len(Transfers::Code, 16))
                    .col(string_len(Transfers::Region, 8))
                    .col(integer(Transfers::Year))
                    .col(uuid_null(Transfers::VoucherId))
                    .col(uuid_null(Transfers::RedemptionId))
                    .col(uuid_null(Transfers::ClaimId))
                    .col(timestamp_with_time_zone(Transfers::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_transfers_region_year",
                Transfers::Table,
                &["region", "year"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Postings::Table)
                    .col(uuid(Postings::TransferId))
                    .col(small_integer(Postings::Leg))
                    .col(uuid(Postings::AccountId))
                    .col(big_integer(Postings::Amount))
                    .primary_key(Index::create().col(Postings::TransferId).col(Postings::Leg))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_postings_transfer")
                            .from(Postings::Table, Postings::TransferId)
                            .to(Transfers::Table, Transfers::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_postings_account")
                            .from(Postings::Table, Postings::AccountId)
                            .to(Accounts::Table, Accounts::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_postings_account",
                Postings::Table,
                &["account_id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Admissions::Table)
                    .col(string_len(Admissions::Region, 8))
                    .col(uuid(Admissions::ProviderId))
                    .col(string_len(Admissions::Categories, 255))
                    .col(timestamp_with_time_zone(Admissions::AdmittedAt))
                    .col(timestamp_with_time_zone(Admissions::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(Admissions::Region)
                            .col(Admissions::ProviderId),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Applications::Table)
                    .col(pk_uuid(Applications::Id))
                    .col(uuid(Applications::CompanyId))
                    .col(string_len(Applications::Region, 8))
                    .col(integer(Applications::Year))
                    .col(big_integer(Applications::Amount))
                    .col(text(Applications::Purpose))
                    .col(string_len(Applications::Status, 16))
                    .col(text_null(Applications::Reason))
                    .col(uuid_null(Applications::VoucherId))
                    .col(timestamp_with_time_zone(Applications::CreatedAt))
                    .col(timestamp_with_time_zone_null(Applications::DecidedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_applications_company",
                Applications::Table,
                &["company_id"],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_applications_region",
                Applications::Table,
                &["region", "id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Vouchers::Table)
                    .col(pk_uuid(Vouchers::Id))
                    .col(string_len_uniq(Vouchers::Serial, 32))
                    .col(string_len(Vouchers::Region, 8))
                    .col(integer(Vouchers::Year))
                    .col(uuid(Vouchers::HolderId))
                    .col(uuid_uniq(Vouchers::ApplicationId))
                    .col(big_integer(Vouchers::FaceValue))
                    .col(big_integer(Vouchers::Redeemed))
                    .col(big_integer(Vouchers::Expired))
                    .col(big_integer(Vouchers::Revoked))
                    .col(string_len(Vouchers::State, 16))
                    .col(date(Vouchers::UseUntil))
                    .col(date(Vouchers::ClaimUntil))
                    .col(timestamp_with_time_zone(Vouchers::IssuedAt))
                    .col(text_null(Vouchers::RevokedReason))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("ix_vouchers_holder", Vouchers::Table, &["holder_id"]))
            .await?;
        manager
            .create_index(index(
                "ix_vouchers_region",
                Vouchers::Table,
                &["region", "id"],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_vouchers_state_use_until",
                Vouchers::Table,
                &["state", "use_until"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Redemptions::Table)
                    .col(pk_uuid(Redemptions::Id))
                    .col(uuid(Redemptions::VoucherId))
                    .col(string_len(Redemptions::Region, 8))
                    .col(integer(Redemptions::Year))
                    .col(uuid(Redemptions::CompanyId))
                    .col(uuid(Redemptions::ProviderId))
                    .col(string_len(Redemptions::ProviderRegion, 8))
                    .col(string_len(Redemptions::ContractNo, 64))
                    .col(big_integer(Redemptions::ContractAmount))
                    .col(string_len(Redemptions::ServiceCategory, 32))
                    .col(big_integer(Redemptions::Amount))
                    .col(big_integer(Redemptions::CompletedAmount))
                    .col(string_len(Redemptions::Status, 16))
                    .col(uuid_null(Redemptions::ClaimId))
                    .col(timestamp_with_time_zone(Redemptions::CreatedAt))
                    .col(timestamp_with_time_zone_null(Redemptions::ResolvedAt))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("ix_redemptions_voucher", &["voucher_id"][..]),
            ("ix_redemptions_company", &["company_id"][..]),
            ("ix_redemptions_provider", &["provider_id"][..]),
            ("ix_redemptions_region", &["region", "id"][..]),
            (
                "ix_redemptions_provider_region",
                &["provider_region", "id"][..],
            ),
            ("ix_redemptions_status", &["status", "region"][..]),
        ] {
            manager
                .create_index(index(name, Redemptions::Table, cols))
                .await?;
        }
        // A contract number is unique per provider among redemptions that
        // were not cancelled (a cancelled hold may be placed again).
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_redemptions_contract ON redemptions (provider_id, contract_no) \
                 WHERE status <> 'cancelled'",
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Claims::Table)
                    .col(pk_uuid(Claims::Id))
                    .col(string_len(Claims::Region, 8))
                    .col(uuid(Claims::ProviderId))
                    .col(string_len_uniq(Claims::InvoiceNo, 64))
                    .col(big_integer(Claims::Amount))
                    .col(string_len(Claims::Status, 16))
                    .col(text_null(Claims::Reason))
                    .col(string_len_null(Claims::BankReference, 128))
                    .col(timestamp_with_time_zone(Claims::CreatedAt))
                    .col(timestamp_with_time_zone_null(Claims::DecidedAt))
                    .col(timestamp_with_time_zone_null(Claims::PaidAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("ix_claims_provider", Claims::Table, &["provider_id"]))
            .await?;
        manager
            .create_index(index("ix_claims_region", Claims::Table, &["region", "id"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ClaimRedemptions::Table)
                    .col(uuid(ClaimRedemptions::ClaimId))
                    .col(uuid(ClaimRedemptions::RedemptionId))
                    .primary_key(
                        Index::create()
                            .col(ClaimRedemptions::ClaimId)
                            .col(ClaimRedemptions::RedemptionId),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ClaimRedemptions::Table.into_iden(),
            Claims::Table.into_iden(),
            Redemptions::Table.into_iden(),
            Vouchers::Table.into_iden(),
            Applications::Table.into_iden(),
            Admissions::Table.into_iden(),
            Postings::Table.into_iden(),
            Transfers::Table.into_iden(),
            Accounts::Table.into_iden(),
            Budgets::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
