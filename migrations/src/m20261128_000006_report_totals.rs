//! Running totals that make reports constant-time: per region, year and
//! account kind (balance, credited, debited), and per budget (expired,
//! revoked, claimed, companies served); and per account, how many credits
//! it received (completions, for the cross-region matrix).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LedgerTotals {
    Table,
    Region,
    Year,
    Kind,
    Balance,
    Credited,
    Debited,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Credits,
}

#[derive(DeriveIden)]
enum Budgets {
    Table,
    Expired,
    Revoked,
    Claimed,
    CompaniesServed,
}

/// Fills the new totals of a ledger that already has postings.
const BACKFILL: [&str; 3] = [
    "INSERT INTO ledger_totals (region, year, kind, balance, credited, debited) \
     SELECT region, year, kind, SUM(balance), SUM(credited), SUM(debited) FROM accounts \
     GROUP BY region, year, kind HAVING SUM(credited) <> 0 OR SUM(debited) <> 0",
    "UPDATE budgets SET \
     expired = COALESCE((SELECT SUM(v.expired) FROM vouchers v WHERE v.region = budgets.region AND v.year = budgets.year), 0), \
     revoked = COALESCE((SELECT SUM(v.revoked) FROM vouchers v WHERE v.region = budgets.region AND v.year = budgets.year), 0), \
     companies_served = (SELECT COUNT(DISTINCT v.holder_id) FROM vouchers v WHERE v.region = budgets.region AND v.year = budgets.year), \
     claimed = COALESCE((SELECT SUM(r.completed_amount) FROM redemptions r WHERE r.region = budgets.region \
               AND r.year = budgets.year AND r.status = 'completed' AND r.claim_id IS NOT NULL), 0)",
    "UPDATE accounts SET credits = (SELECT COUNT(*) FROM postings p WHERE p.account_id = accounts.id AND p.amount > 0)",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LedgerTotals::Table)
                    .col(string_len(LedgerTotals::Region, 8))
                    .col(integer(LedgerTotals::Year))
                    .col(string_len(LedgerTotals::Kind, 16))
                    .col(big_integer(LedgerTotals::Balance))
                    .col(big_integer(LedgerTotals::Credited))
                    .col(big_integer(LedgerTotals::Debited))
                    .primary_key(
                        Index::create()
                            .col(LedgerTotals::Region)
                            .col(LedgerTotals::Year)
                            .col(LedgerTotals::Kind),
                    )
                    .to_owned(),
            )
            .await?;
        for column in [
            Budgets::Expired,
            Budgets::Revoked,
            Budgets::Claimed,
            Budgets::CompaniesServed,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Budgets::Table)
                        .add_column(ColumnDef::new(column).big_integer().not_null().default(0))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .add_column(
                        ColumnDef::new(Accounts::Credits)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await?;
        // Existing ledgers: compute the totals from what is there.
        let db = manager.get_connection();
        for backfill in BACKFILL {
            db.execute_unprepared(backfill).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .drop_column(Accounts::Credits)
                    .to_owned(),
            )
            .await?;
        for column in [
            Budgets::Expired,
            Budgets::Revoked,
            Budgets::Claimed,
            Budgets::CompaniesServed,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Budgets::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(LedgerTotals::Table).to_owned())
            .await
    }
}
