//! What the bank's answer does to one payment of a run: booked (the money
//! in transit is paid, the claims are paid), or sent back — rejected
//! before it was paid, or returned after (the money goes back to the
//! provider's payable, the claims are payable again, with the bank's
//! reason).

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::export::per_item_year;
use crate::domain::settlement::ItemStatus;
use crate::domain::{ClaimStatus, Region};
use crate::ledger::{self, AccountKind, AccountRef, Transfer, TransferCode};
use crate::service::{Ctx, ServiceResult};
use crate::store::entities::{claims, settlement_items};

/// Books a sent payment: in transit → paid, its claims paid.
pub(super) async fn settle<C: ConnectionTrait>(
    txn: &C,
    ctx: &Ctx,
    region: &Region,
    item: &settlement_items::Model,
    bank_reference: &str,
) -> ServiceResult<()> {
    for ((_, provider), years) in per_item_year(txn, [item.id]).await? {
        for (year, amount) in years {
            if amount.is_zero() {
                continue;
            }
            let in_transit = AccountRef::owned(region, year, AccountKind::InTransit, provider);
            let paid = AccountRef::of(region, year, AccountKind::Paid);
            let transfer = Transfer::between(TransferCode::Settle, in_transit, paid, amount);
            ctx.post(txn, transfer).await?;
        }
    }
    claims::Entity::update_many()
        .col_expr(claims::Column::Status, Expr::value(ClaimStatus::Paid))
        .col_expr(claims::Column::BankReference, Expr::value(bank_reference))
        .col_expr(claims::Column::PaidAt, Expr::value(ctx.now))
        .filter(claims::Column::SettlementItemId.eq(item.id))
        .exec(txn)
        .await?;
    settlement_items::Entity::update_many()
        .col_expr(
            settlement_items::Column::Status,
            Expr::value(ItemStatus::Settled.as_str()),
        )
        .col_expr(
            settlement_items::Column::BankReference,
            Expr::value(bank_reference),
        )
        .col_expr(settlement_items::Column::SettledAt, Expr::value(ctx.now))
        .filter(settlement_items::Column::Id.eq(item.id))
        .exec(txn)
        .await?;
    Ok(())
}

/// Sends a payment back (`Rejected` or `Returned`): its money from in
/// transit — or from paid, when it had been booked — to the provider's
/// payable; its claims approved and free again, with the reason.
pub(super) async fn send_back<C: ConnectionTrait>(
    txn: &C,
    ctx: &Ctx,
    region: &Region,
    item: &settlement_items::Model,
    status: ItemStatus,
    reason: &str,
) -> ServiceResult<()> {
    let booked = item.status.parse::<ItemStatus>() == Ok(ItemStatus::Settled);
    for ((_, provider), years) in per_item_year(txn, [item.id]).await? {
        for (year, amount) in years {
            if amount.is_zero() {
                continue;
            }
            let source = match booked {
                true => AccountRef::of(region, year, AccountKind::Paid),
                false => AccountRef::owned(region, year, AccountKind::InTransit, provider),
            };
            let payable = AccountRef::owned(region, year, AccountKind::Payable, provider);
            ledger::open_account(txn, &payable, ctx.now).await?;
            let transfer = Transfer::between(TransferCode::Return, source, payable, amount);
            ctx.post(txn, transfer).await?;
        }
    }
    let said = match status {
        ItemStatus::Rejected => "the bank rejected the payment",
        _ => "the bank returned the payment",
    };
    claims::Entity::update_many()
        .col_expr(claims::Column::Status, Expr::value(ClaimStatus::Approved))
        .col_expr(
            claims::Column::SettlementItemId,
            Expr::value(Option::<Uuid>::None),
        )
        .col_expr(
            claims::Column::BankReference,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            claims::Column::PaidAt,
            Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
        )
        .col_expr(
            claims::Column::Reason,
            Expr::value(format!("{said}: {reason}")),
        )
        .filter(claims::Column::SettlementItemId.eq(item.id))
        .exec(txn)
        .await?;
    settlement_items::Entity::update_many()
        .col_expr(
            settlement_items::Column::Status,
            Expr::value(status.as_str()),
        )
        .col_expr(settlement_items::Column::Reason, Expr::value(reason))
        .filter(settlement_items::Column::Id.eq(item.id))
        .exec(txn)
        .await?;
    Ok(())
}
