//! Money movements, written once: posting a transfer of a given code also
//! moves every figure kept beside the ledger that derives from it — the
//! budget's counters, the voucher's columns and the region's cross-region
//! total. The invariant checker proves they agree with the postings.
//!
//! | code        | budget row                                   | voucher row     |
//! |-------------|----------------------------------------------|-----------------|
//! | appropriate | appropriated +                               |                 |
//! | issue       | issued +                                     |                 |
//! | hold        | outside_committed + (provider outside)       |                 |
//! | release     | outside_committed − (provider outside)       |                 |
//! | complete    |                                              | redeemed +      |
//! | expire      | returned +, expired +, outside_committed − (a hold at a provider outside) | expired + |
//! | revoke      | returned +, revoked +                        | revoked +       |
//! | pay         |                                              |                 |
//!
//! A transfer of a district fund's budget moves the fund's row
//! (`fund_budgets`) as it moves the region's: appropriated, issued,
//! returned.
//!
//! Issuances and completions also add to their month's total
//! (`monthly_totals`, the dashboard's monthly figures).
//!
//! Beside them, what each company was issued per region and year
//! (`issued_totals`, read by the annual cap check): the approval adds the
//! voucher's face value ([`count_issued`]); a revocation takes back what
//! it returns.
//!
//! The budget row is updated before the balances move (issuance locks the
//! budget row before the budget account; so does everything else).

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::domain::Region;
use crate::ledger::{self, Posted, Stamp, Transfer, TransferCode};
use crate::service::error::{ServiceError, ServiceResult};
use crate::store::entities::{budgets, fund_budgets, issued_totals, monthly_totals, vouchers};

/// Posts `transfer` with every figure derived from it.
pub async fn post<C: ConnectionTrait>(
    txn: &C,
    transfer: &Transfer,
    stamp: &Stamp,
) -> ServiceResult<Posted> {
    let amount = transfer.amount().fen();
    let outside = transfer.at_outside_provider;
    use budgets::Column as B;
    let budget: &[(B, i64)] = match transfer.code {
        TransferCode::Appropriate => &[(B::Appropriated, amount)],
        TransferCode::Issue => &[(B::Issued, amount)],
        TransferCode::Hold if outside => &[(B::OutsideCommitted, amount)],
        TransferCode::Release if outside => &[(B::OutsideCommitted, -amount)],
        TransferCode::Expire if outside => &[
            (B::Returned, amount),
            (B::Expired, amount),
            (B::OutsideCommitted, -amount),
        ],
        TransferCode::Expire => &[(B::Returned, amount), (B::Expired, amount)],
        TransferCode::Revoke => &[(B::Returned, amount), (B::Revoked, amount)],
        _ => &[],
    };
    if !budget.is_empty() {
        let mut update = budgets::Entity::update_many()
            .filter(B::Region.eq(transfer.region.clone()))
            .filter(B::Year.eq(transfer.year));
        for (column, delta) in budget {
            update = update.col_expr(*column, Expr::col(*column).add(*delta));
        }
        if update.exec(txn).await?.rows_affected != 1 {
            return Err(ServiceError::Internal(format!(
                "no budget {} {} for a {} transfer",
                transfer.region,
                transfer.year,
                transfer.code.as_str()
            )));
        }
    }
    if let Some(fund) = &transfer.fund {
        move_fund(txn, transfer, fund, budget).await?;
    }
    let posted = ledger::post(txn, transfer, stamp).await?;
    count_monthly(txn, transfer, stamp, amount).await?;
    use vouchers::Column as V;
    let voucher = match transfer.code {
        TransferCode::Complete => Some(V::Redeemed),
        TransferCode::Expire => Some(V::Expired),
        TransferCode::Revoke => Some(V::Revoked),
        _ => None,
    };
    if let Some(column) = voucher {
        let id = transfer.voucher_id.ok_or_else(|| {
            ServiceError::Internal(format!(
                "a {} transfer without a voucher",
                transfer.code.as_str()
            ))
        })?;
        vouchers::Entity::update_many()
            .col_expr(column, Expr::col(column).add(amount))
            .filter(V::Id.eq(id))
            .exec(txn)
            .await?;
        if transfer.code == TransferCode::Revoke {
            uncount_revoked(txn, transfer, id, amount).await?;
        }
    }
    Ok(posted)
}

/// Moves a district fund's totals as its region's budget row moves
/// (appropriated, issued, returned).
async fn move_fund<C: ConnectionTrait>(
    txn: &C,
    transfer: &Transfer,
    fund: &str,
    budget: &[(budgets::Column, i64)],
) -> ServiceResult<()> {
    use fund_budgets::Column as F;
    let mut update = fund_budgets::Entity::update_many()
        .filter(F::Region.eq(transfer.region.clone()))
        .filter(F::Year.eq(transfer.year))
        .filter(F::Fund.eq(fund));
    let mut moved = false;
    for (column, delta) in budget {
        let column = match column {
            budgets::Column::Appropriated => F::Appropriated,
            budgets::Column::Issued => F::Issued,
            budgets::Column::Returned => F::Returned,
            _ => continue,
        };
        update = update.col_expr(column, Expr::col(column).add(*delta));
        moved = true;
    }
    if moved && update.exec(txn).await?.rows_affected != 1 {
        return Err(ServiceError::Internal(format!(
            "no budget of fund {fund} of {} {} for a {} transfer",
            transfer.region,
            transfer.year,
            transfer.code.as_str()
        )));
    }
    Ok(())
}

/// Adds an issuance or a completion to its month's total (the month of the
/// operation, in Asia/Shanghai).
async fn count_monthly<C: ConnectionTrait>(
    txn: &C,
    transfer: &Transfer,
    stamp: &Stamp,
    amount: i64,
) -> ServiceResult<()> {
    use monthly_totals::Column as M;
    let (issued, redeemed) = match transfer.code {
        TransferCode::Issue => (amount, 0),
        TransferCode::Complete => (0, amount),
        _ => return Ok(()),
    };
    let month = crate::domain::clock::shanghai_date(stamp.at)
        .format("%Y-%m")
        .to_string();
    let row = monthly_totals::ActiveModel {
        region: Set(transfer.region.clone()),
        year: Set(transfer.year),
        month: Set(month),
        issued: Set(issued),
        redeemed: Set(redeemed),
    };
    let mut upsert = OnConflict::columns([M::Region, M::Year, M::Month]);
    upsert
        .value(
            M::Issued,
            Expr::col((monthly_totals::Entity, M::Issued)).add(issued),
        )
        .value(
            M::Redeemed,
            Expr::col((monthly_totals::Entity, M::Redeemed)).add(redeemed),
        );
    monthly_totals::Entity::insert(row)
        .on_conflict(upsert)
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// Adds `amount` fen to what `holder` was issued in `region` and `year`.
pub async fn count_issued<C: ConnectionTrait>(
    txn: &C,
    region: &Region,
    year: i32,
    holder: Uuid,
    amount: i64,
) -> ServiceResult<()> {
    use issued_totals::Column as I;
    let row = issued_totals::ActiveModel {
        holder_id: Set(holder),
        region: Set(region.clone()),
        year: Set(year),
        issued: Set(amount),
    };
    let mut upsert = OnConflict::columns([I::HolderId, I::Region, I::Year]);
    upsert.value(
        I::Issued,
        Expr::col((issued_totals::Entity, I::Issued)).add(amount),
    );
    issued_totals::Entity::insert(row)
        .on_conflict(upsert)
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// Takes a revoked amount of `voucher` back from what its holder was issued.
async fn uncount_revoked<C: ConnectionTrait>(
    txn: &C,
    transfer: &Transfer,
    voucher: Uuid,
    amount: i64,
) -> ServiceResult<()> {
    use issued_totals::Column as I;
    let holder = Query::select()
        .column(vouchers::Column::HolderId)
        .from(vouchers::Entity)
        .and_where(vouchers::Column::Id.eq(voucher))
        .to_owned();
    let updated = issued_totals::Entity::update_many()
        .col_expr(I::Issued, Expr::col(I::Issued).sub(amount))
        .filter(I::HolderId.in_subquery(holder))
        .filter(I::Region.eq(transfer.region.clone()))
        .filter(I::Year.eq(transfer.year))
        .exec(txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(ServiceError::Internal(format!(
            "no issued total for the holder of voucher {voucher}"
        )));
    }
    Ok(())
}
