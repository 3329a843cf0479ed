//! What each company was issued per region and year, net of revocations, as
//! a running total: every approval checks the annual cap against what its
//! company's controller was issued, and summing the vouchers made each
//! approval cost more than the last as a company's vouchers grew (on
//! PostgreSQL the issuing rate fell from ~140 to ~55 vouchers/s within
//! 45,000 vouchers). Kept by the approval and by every revocation; the
//! invariant checker proves it equals the vouchers.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum IssuedTotals {
    Table,
    Region,
    Year,
    HolderId,
    Issued,
}

/// Fills the totals of a ledger that already has vouchers.
const BACKFILL: &str = "INSERT INTO issued_totals (region, year, holder_id, issued) \
     SELECT region, year, holder_id, SUM(face_value - revoked) FROM vouchers \
     GROUP BY region, year, holder_id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(IssuedTotals::Table)
                    .col(string_len(IssuedTotals::Region, 8))
                    .col(integer(IssuedTotals::Year))
                    .col(uuid(IssuedTotals::HolderId))
                    .col(big_integer(IssuedTotals::Issued))
                    .primary_key(
                        Index::create()
                            .col(IssuedTotals::HolderId)
                            .col(IssuedTotals::Region)
                            .col(IssuedTotals::Year),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(BACKFILL)
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(IssuedTotals::Table).to_owned())
            .await
    }
}
