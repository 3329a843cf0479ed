//! A claim paid on its own, outside a run (the regulator typed the bank's
//! reference, under four eyes): recorded as a run of one payment, already
//! closed, in the period the payment falls in — so that every payment of
//! the fund, in a run or not, is a run's item, in the statements and the
//! invariants alike.

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::domain::clock::shanghai_date;
use crate::domain::settlement::{Cycle, ItemStatus, Period, RunStatus};
use crate::service::{payees, Ctx, ServiceResult};
use crate::store::entities::{claims, settlement_items, settlement_runs};

/// Records claim `claim` (just paid, `amount` fen, of `provider` in
/// `region`) as a closed run of one settled payment under
/// `bank_reference`.
pub async fn record<C: ConnectionTrait>(
    txn: &C,
    ctx: &Ctx,
    claim: &claims::Model,
    bank_reference: &str,
) -> ServiceResult<()> {
    let today = shanghai_date(ctx.now);
    let cycle = ctx
        .rules
        .get(&claim.region)
        .and_then(|r| {
            r.policy()
                .version(chrono::Datelike::year(&today))
                .map(|v| v.settlement_cycle)
        })
        .unwrap_or(Cycle::Monthly);
    let period = Period::containing(today, cycle);
    let by = ctx.actor.person.unwrap_or(ctx.actor.sub);
    let run = Uuid::now_v7();
    settlement_runs::Entity::insert(settlement_runs::ActiveModel {
        id: Set(run),
        region: Set(claim.region.clone()),
        period: Set(period.name()),
        live_key: Set(None),
        cut_off: Set(ctx.now),
        status: Set(RunStatus::Closed.into()),
        item_count: Set(1),
        claim_count: Set(1),
        total: Set(claim.amount),
        held_back: Set("[]".into()),
        created_by: Set(by),
        created_at: Set(ctx.now),
        frozen_by: Set(Some(by)),
        frozen_at: Set(Some(ctx.now)),
        approved_by: Set(Some(by)),
        approved_at: Set(Some(ctx.now)),
        exported_by: Set(None),
        exported_at: Set(None),
        closed_at: Set(Some(ctx.now)),
        reason: Set(Some(format!(
            "paid outside a run, bank reference {bank_reference}"
        ))),
    })
    .exec_without_returning(txn)
    .await?;
    // The account in force, if the provider has one on record.
    let account = payees::in_force(txn, claim.provider_id, &claim.region, today).await?;
    let item = Uuid::now_v7();
    settlement_items::Entity::insert(settlement_items::ActiveModel {
        id: Set(item),
        run_id: Set(run),
        provider_id: Set(claim.provider_id),
        payee_account_id: Set(account.as_ref().map(|a| a.id).unwrap_or(Uuid::nil())),
        account_name: Set(account
            .as_ref()
            .map(|a| a.account_name.clone())
            .unwrap_or_default()),
        account_number: Set(account
            .as_ref()
            .map(|a| a.account_number.clone())
            .unwrap_or_default()),
        bank_name: Set(account
            .as_ref()
            .map(|a| a.bank_name.clone())
            .unwrap_or_default()),
        cnaps_code: Set(account.map(|a| a.cnaps_code).unwrap_or_default()),
        claim_count: Set(1),
        amount: Set(claim.amount),
        status: Set(ItemStatus::Settled.into()),
        reason: Set(None),
        bank_reference: Set(Some(bank_reference.to_owned())),
        settled_at: Set(Some(ctx.now)),
    })
    .exec_without_returning(txn)
    .await?;
    claims::Entity::update_many()
        .col_expr(claims::Column::SettlementItemId, Expr::value(item))
        .filter(claims::Column::Id.eq(claim.id))
        .exec(txn)
        .await?;
    Ok(())
}
