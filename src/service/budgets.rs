//! A region's budget per fiscal year: appropriation and reading.

use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DatabaseTransaction, EntityTrait};
use serde::Serialize;

use super::{Ctx, Done, Operation, Recorded, ServiceResult};
use crate::domain::access::{self, Action};
use crate::domain::programme::parse_year;
use crate::domain::{Actor, Amount, DomainError, Money, Region};
use crate::ledger::{self, AccountKind, AccountRef, Transfer, TransferCode};
use crate::store::entities::budgets;

/// A region's budget for a fiscal year. `unissued` is what may still be
/// issued: `appropriated − issued + returned`.
#[derive(Debug, Clone, Serialize)]
pub struct Budget {
    pub region: Region,
    pub year: i32,
    pub appropriated: Money,
    /// Face value of every voucher issued.
    pub issued: Money,
    /// Unused money returned by expired and revoked vouchers.
    pub returned: Money,
    pub unissued: Money,
}

impl Recorded for Budget {
    fn audit_region(&self) -> &Region {
        &self.region
    }
    fn audit_id(&self) -> String {
        format!("{}-{}", self.region, self.year)
    }
}

/// Appropriates `amount` to a region's budget for `year` (repeatable; adds up).
///
/// Refusals, in the order they are checked:
/// 1. `not_found`: `region` is not an issuing region.
/// 2. `forbidden`: the caller is not a regulator, or regulates another region.
/// 3. `validation_failed` (`year`): not a fiscal year between 2000 and 2100.
#[derive(Debug, Clone)]
pub struct Appropriate {
    pub region: Region,
    pub year: i32,
    pub amount: Amount,
}

impl Operation for Appropriate {
    type Output = Budget;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<Budget>> {
        let region = programme_region(ctx, &ctx.actor, &self.region)?;
        let year = parse_year(self.year)?;
        budgets::Entity::insert(budgets::ActiveModel {
            region: Set(region.clone()),
            year: Set(year),
            appropriated: Set(0),
            issued: Set(0),
            returned: Set(0),
            voucher_seq: Set(0),
            outside_committed: Set(0),
            expired: Set(0),
            revoked: Set(0),
            claimed: Set(0),
            companies_served: Set(0),
            created_at: Set(ctx.now),
        })
        .on_conflict(
            OnConflict::columns([budgets::Column::Region, budgets::Column::Year])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
        let outside = AccountRef::of(&region, year, AccountKind::Outside);
        let budget = AccountRef::of(&region, year, AccountKind::Budget);
        for account in [
            &outside,
            &budget,
            &AccountRef::of(&region, year, AccountKind::Paid),
        ] {
            ledger::open_account(txn, account, ctx.now).await?;
        }
        ctx.post(
            txn,
            Transfer::between(
                TransferCode::Appropriate,
                outside,
                budget,
                self.amount.money(),
            ),
        )
        .await?;
        let budget = read_row(txn, &region, year).await?;
        Done::recorded(budget, "budget.appropriate", "budget")
    }
}

/// The region of a programme the actor sets up: an issuing region (404
/// otherwise) that the actor regulates (403 otherwise).
pub fn programme_region(ctx: &Ctx, actor: &Actor, region: &Region) -> Result<Region, DomainError> {
    ctx.rules_for(region)?;
    access::permit_in_region(actor, Action::ManageProgramme, region)?;
    Ok(region.clone())
}

/// Reads a budget for its regulator; 404 when nothing was appropriated for
/// that year.
pub async fn read<C: ConnectionTrait>(
    conn: &C,
    ctx: &Ctx,
    region: &Region,
    year: i32,
) -> ServiceResult<Budget> {
    let region = programme_region(ctx, &ctx.actor, region)?;
    read_row(conn, &region, year).await
}

async fn read_row<C: ConnectionTrait>(
    conn: &C,
    region: &Region,
    year: i32,
) -> ServiceResult<Budget> {
    let row = budgets::Entity::find_by_id((region.clone(), year))
        .one(conn)
        .await?
        .ok_or(DomainError::NotFound)?;
    let account = AccountRef::of(region, year, AccountKind::Budget).id();
    let unissued = ledger::balances(conn, [account])
        .await?
        .get(&account)
        .copied()
        .unwrap_or_default();
    Ok(Budget {
        region: row.region,
        year: row.year,
        appropriated: Money::from_fen(row.appropriated),
        issued: Money::from_fen(row.issued),
        returned: Money::from_fen(row.returned),
        unissued,
    })
}
