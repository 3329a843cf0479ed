//! Issued and redeemed amounts per region, fiscal year and calendar month
//! (Asia/Shanghai): the dashboard's monthly figures in constant time.
//! Back-filled from the transfers already posted.

use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum MonthlyTotals {
    Table,
    Region,
    Year,
    Month,
    Issued,
    Redeemed,
}

/// The back-fill: each transfer's amount is the sum of its credits.
fn backfill(backend: DatabaseBackend) -> String {
    let month = match backend {
        DatabaseBackend::Postgres => {
            "to_char((t.created_at AT TIME ZONE 'UTC') + INTERVAL '8 hours', 'YYYY-MM')"
        }
        _ => "strftime('%Y-%m', datetime(t.created_at, '+8 hours'))",
    };
    format!(
        "INSERT INTO monthly_totals (region, year, month, issued, redeemed) \
         SELECT t.region, t.year, {month}, \
         CAST(COALESCE(SUM(CASE WHEN t.code = 'issue' THEN p.amount ELSE 0 END), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN t.code = 'complete' THEN p.amount ELSE 0 END), 0) AS BIGINT) \
         FROM transfers t JOIN postings p ON p.transfer_id = t.id AND p.amount > 0 \
         WHERE t.code IN ('issue', 'complete') GROUP BY t.region, t.year, {month}"
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MonthlyTotals::Table)
                    .col(string_len(MonthlyTotals::Region, 8))
                    .col(integer(MonthlyTotals::Year))
                    .col(string_len(MonthlyTotals::Month, 7))
                    .col(big_integer(MonthlyTotals::Issued))
                    .col(big_integer(MonthlyTotals::Redeemed))
                    .primary_key(
                        Index::create()
                            .col(MonthlyTotals::Region)
                            .col(MonthlyTotals::Year)
                            .col(MonthlyTotals::Month),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(&backfill(manager.get_database_backend()))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MonthlyTotals::Table).to_owned())
            .await
    }
}
