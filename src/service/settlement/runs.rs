//! The steps of a run up to approval: create (a draft of an ended
//! period), freeze (lock its claims, fix the control totals), approve (a
//! second person), and cancel (before export: the claims are payable
//! again).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QuerySelect,
};
use uuid::Uuid;

use super::{assemble, expect, held_back_to_text, lock, names, sum_fen, HeldBack, Planned, Run};
use crate::domain::access::{self, Action};
use crate::domain::clock::shanghai_date;
use crate::domain::settlement::{ItemStatus, Period, RunStatus};
use crate::domain::{text, ClaimStatus, DomainError, Money, Region};
use crate::service::four_eyes::person;
use crate::service::{payees, Ctx, Done, Operation, ServiceError, ServiceResult};
use crate::store::entities::{claims, settlement_items, settlement_runs};
use crate::store::is_unique_violation;

/// What a period's run would pay now: per provider, its approved claims
/// decided before `cut_off` that no run holds, and its account in force
/// today (Asia/Shanghai).
pub(super) async fn gather<C: ConnectionTrait>(
    conn: &C,
    region: &Region,
    cut_off: DateTime<Utc>,
    now: DateTime<Utc>,
) -> ServiceResult<Vec<Planned>> {
    let rows: Vec<(Uuid, i64, i64)> = claims::Entity::find()
        .filter(claims::Column::Region.eq(region.clone()))
        .filter(claims::Column::Status.eq(ClaimStatus::Approved))
        .filter(claims::Column::SettlementItemId.is_null())
        .filter(claims::Column::DecidedAt.lt(cut_off))
        .select_only()
        .column(claims::Column::ProviderId)
        .column_as(claims::Column::Id.count(), "claims")
        .column_as(sum_fen(Expr::col(claims::Column::Amount)), "amount")
        .group_by(claims::Column::ProviderId)
        .into_tuple()
        .all(conn)
        .await?;
    let names = names(conn, rows.iter().map(|r| r.0)).await?;
    let today = shanghai_date(now);
    let mut planned = Vec::with_capacity(rows.len());
    for (provider_id, claim_count, amount) in rows {
        let account = payees::in_force(conn, provider_id, region, today).await?;
        planned.push(Planned {
            provider_id,
            provider_name: names.get(&provider_id).cloned().unwrap_or_default(),
            claim_count,
            amount: Money::from_fen(amount),
            payee_account_id: account.as_ref().map(|a| a.id),
            account,
        });
    }
    planned.sort_by(|a, b| a.provider_name.cmp(&b.provider_name));
    Ok(planned)
}

/// The region's regulator starts a run for an ended period of its
/// settlement cycle: a draft, showing what freezing it would pay.
///
/// Refusals, in the order they are checked:
/// 1. `forbidden`: the caller is not the region's regulator.
/// 2. `validation_failed` (`period`): not a period of the region's cycle
///    (`2026-11` monthly, `2026-Q4` quarterly, `2026` yearly), or one that
///    has not ended.
/// 3. `conflict`: the period has a run that is not cancelled.
#[derive(Debug, Clone)]
pub struct CreateRun {
    pub region: Region,
    pub period: String,
}

impl Operation for CreateRun {
    type Output = Run;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<Run>> {
        let region = self.region;
        access::permit_in_region(&ctx.actor, Action::DecideClaim, &region)?;
        if !ctx.actor.regulates(&region) {
            let detail = "only the region's regulator settles its claims";
            return Err(DomainError::Forbidden(detail.into()).into());
        }
        let period = period_of(ctx, &region, &self.period)?;
        let cut_off = period.cut_off();
        if ctx.now < cut_off {
            return Err(DomainError::field(
                "period",
                format!(
                    "{} has not ended: a run pays a period once it is over (from {} on, \
                     Asia/Shanghai)",
                    period.name(),
                    period.next
                ),
            )
            .into());
        }
        let id = Uuid::now_v7();
        let live_key = format!("{region}/{}", period.name());
        let inserted = settlement_runs::Entity::insert(settlement_runs::ActiveModel {
            id: Set(id),
            region: Set(region.clone()),
            period: Set(period.name()),
            live_key: Set(Some(live_key)),
            cut_off: Set(cut_off),
            status: Set(RunStatus::Draft.into()),
            item_count: Set(0),
            claim_count: Set(0),
            total: Set(0),
            held_back: Set("[]".into()),
            created_by: Set(ctx.actor.person.unwrap_or(ctx.actor.sub)),
            created_at: Set(ctx.now),
            frozen_by: Set(None),
            frozen_at: Set(None),
            approved_by: Set(None),
            approved_at: Set(None),
            exported_by: Set(None),
            exported_at: Set(None),
            closed_at: Set(None),
            reason: Set(None),
        })
        .exec_without_returning(txn)
        .await;
        match inserted {
            Err(e) if is_unique_violation(&e) => {
                return Err(DomainError::Conflict(format!(
                    "{region} {} has a settlement run already: cancel it before starting another",
                    period.name()
                ))
                .into())
            }
            other => {
                other?;
            }
        }
        let run = one(txn, id, ctx.now).await?;
        Done::recorded(run, "settlement.create", "settlement_run")
    }
}

/// The period `text` names in the region's cycle (its policy of the
/// period's year).
fn period_of(ctx: &Ctx, region: &Region, text: &str) -> ServiceResult<Period> {
    let year = text
        .get(..4)
        .and_then(|y| y.parse::<i32>().ok())
        .ok_or_else(|| DomainError::field("period", "begins with a year, such as 2026-11"))?;
    let rules = ctx.rules.get(region).ok_or_else(|| {
        DomainError::field("region", format!("{region} is not an issuing region"))
    })?;
    let version = rules.policy().version(year).ok_or_else(|| {
        DomainError::field("period", format!("{region} has no policy for {year}"))
    })?;
    Ok(Period::parse(text, version.settlement_cycle)?)
}

pub(super) async fn one<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> ServiceResult<Run> {
    let run = settlement_runs::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| ServiceError::Internal(format!("run {id} vanished")))?;
    assemble(conn, run, now).await
}

/// A person of the region's regulator freezes a draft: each provider's
/// approved, unpaid claims decided before the cut-off are locked to one
/// item paid to the provider's approved account in force today (a copy of
/// it: a later change of account never changes the run); a provider
/// without one is held back, its claims left payable. The count and sum
/// become the run's control totals.
///
/// Refusals, in the order they are checked:
/// 1. `forbidden`: not a regulator; `not_found`: no such run of its region.
/// 2. `forbidden`: an API client (maker-checker needs people).
/// 3. `invalid_state`: the run is not a draft.
/// 4. `invalid_state`: nothing to pay (no claim, or every provider held back).
#[derive(Debug, Clone)]
pub struct FreezeRun {
    pub id: Uuid,
}

impl Operation for FreezeRun {
    type Output = Run;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<Run>> {
        let run = lock(txn, &ctx.actor, self.id).await?;
        let maker = person(ctx)?;
        expect(&run, &[RunStatus::Draft], "frozen")?;
        let planned = gather(txn, &run.region, run.cut_off, ctx.now).await?;
        let mut held_back = Vec::new();
        let (mut items, mut claim_count, mut total) = (0i64, 0i64, Money::ZERO);
        for plan in planned {
            let Some(account) = plan.account else {
                held_back.push(HeldBack {
                    provider_id: plan.provider_id,
                    provider_name: plan.provider_name,
                    claim_count: plan.claim_count,
                    amount: plan.amount,
                    reason: "no approved bank account in force".into(),
                });
                continue;
            };
            let item = Uuid::now_v7();
            settlement_items::Entity::insert(settlement_items::ActiveModel {
                id: Set(item),
                run_id: Set(run.id),
                provider_id: Set(plan.provider_id),
                payee_account_id: Set(account.id),
                account_name: Set(account.account_name),
                account_number: Set(account.account_number),
                bank_name: Set(account.bank_name),
                cnaps_code: Set(account.cnaps_code),
                claim_count: Set(0),
                amount: Set(0),
                status: Set(ItemStatus::Included.into()),
                reason: Set(None),
                bank_reference: Set(None),
                settled_at: Set(None),
            })
            .exec_without_returning(txn)
            .await?;
            // Lock what is payable now: whatever this takes is what the
            // item pays, whatever happened since the plan was read.
            claims::Entity::update_many()
                .col_expr(claims::Column::SettlementItemId, Expr::value(item))
                .filter(claims::Column::Region.eq(run.region.clone()))
                .filter(claims::Column::ProviderId.eq(plan.provider_id))
                .filter(claims::Column::Status.eq(ClaimStatus::Approved))
                .filter(claims::Column::SettlementItemId.is_null())
                .filter(claims::Column::DecidedAt.lt(run.cut_off))
                .exec(txn)
                .await?;
            let (count, amount) = locked_to(txn, item).await?;
            if count == 0 {
                settlement_items::Entity::delete_by_id(item)
                    .exec(txn)
                    .await?;
                continue;
            }
            settlement_items::Entity::update_many()
                .col_expr(settlement_items::Column::ClaimCount, Expr::value(count))
                .col_expr(settlement_items::Column::Amount, Expr::value(amount.fen()))
                .filter(settlement_items::Column::Id.eq(item))
                .exec(txn)
                .await?;
            items += 1;
            claim_count += count;
            total = total
                .checked_add(amount)
                .ok_or_else(|| ServiceError::Internal("run total overflow".into()))?;
        }
        if items == 0 {
            let detail = match held_back.len() {
                0 => "no approved claim of the period waits for payment".to_owned(),
                n => format!(
                    "no provider with payable claims has an approved bank account ({n} held back)"
                ),
            };
            return Err(DomainError::refused(crate::domain::Refusal::InvalidState, detail).into());
        }
        settlement_runs::Entity::update_many()
            .col_expr(
                settlement_runs::Column::Status,
                Expr::value(RunStatus::Frozen.as_str()),
            )
            .col_expr(settlement_runs::Column::ItemCount, Expr::value(items))
            .col_expr(
                settlement_runs::Column::ClaimCount,
                Expr::value(claim_count),
            )
            .col_expr(settlement_runs::Column::Total, Expr::value(total.fen()))
            .col_expr(
                settlement_runs::Column::HeldBack,
                Expr::value(held_back_to_text(&held_back)),
            )
            .col_expr(settlement_runs::Column::FrozenBy, Expr::value(maker))
            .col_expr(settlement_runs::Column::FrozenAt, Expr::value(ctx.now))
            .filter(settlement_runs::Column::Id.eq(run.id))
            .exec(txn)
            .await?;
        let run = one(txn, run.id, ctx.now).await?;
        Done::recorded(run, "settlement.freeze", "settlement_run")
    }
}

/// How many claims are locked to an item, and their sum.
pub(super) async fn locked_to<C: ConnectionTrait>(
    conn: &C,
    item: Uuid,
) -> ServiceResult<(i64, Money)> {
    let row: Option<(i64, Option<i64>)> = claims::Entity::find()
        .filter(claims::Column::SettlementItemId.eq(item))
        .select_only()
        .column_as(claims::Column::Id.count(), "claims")
        .column_as(sum_fen(Expr::col(claims::Column::Amount)), "amount")
        .into_tuple()
        .one(conn)
        .await?;
    let (count, amount) = row.unwrap_or((0, None));
    Ok((count, Money::from_fen(amount.unwrap_or(0))))
}

/// A second person of the region's regulator approves a frozen run: not
/// the one who froze it (maker-checker).
///
/// Refusals, in the order they are checked:
/// 1. `forbidden`: not a regulator; `not_found`: no such run of its region.
/// 2. `forbidden`: an API client.
/// 3. `invalid_state`: the run is not frozen.
/// 4. `forbidden`: the person who froze the run.
///
/// Where the region's policy asks for public notice (`notice_days`), the
/// run's payment list is published: it is exported once the notice took
/// effect.
#[derive(Debug, Clone)]
pub struct ApproveRun {
    pub id: Uuid,
}

impl Operation for ApproveRun {
    type Output = Run;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<Run>> {
        let run = lock(txn, &ctx.actor, self.id).await?;
        let checker = person(ctx)?;
        expect(&run, &[RunStatus::Frozen], "approved")?;
        if run.frozen_by == Some(checker) {
            return Err(DomainError::Forbidden(
                "the person who froze the run cannot approve it: another person of the \
                 regulator must (maker-checker)"
                    .into(),
            )
            .into());
        }
        settlement_runs::Entity::update_many()
            .col_expr(
                settlement_runs::Column::Status,
                Expr::value(RunStatus::Approved.as_str()),
            )
            .col_expr(settlement_runs::Column::ApprovedBy, Expr::value(checker))
            .col_expr(settlement_runs::Column::ApprovedAt, Expr::value(ctx.now))
            .filter(settlement_runs::Column::Id.eq(run.id))
            .exec(txn)
            .await?;
        let run = one(txn, run.id, ctx.now).await?;
        let published = super::notice::publish(txn, ctx, &run).await?;
        let mut done = Done::recorded(run, "settlement.approve", "settlement_run")?;
        done.events.extend(published);
        Ok(done)
    }
}

/// The region's regulator cancels a run before it is exported, saying
/// why: its claims are payable again, and the period may have a new run.
///
/// Refusals, in the order they are checked:
/// 1. `validation_failed` (`reason`): blank or over 1000 characters.
/// 2. `forbidden`: not a regulator; `not_found`: no such run of its region.
/// 3. `invalid_state`: the run went to the bank, or was cancelled.
#[derive(Debug, Clone)]
pub struct CancelRun {
    pub id: Uuid,
    pub reason: String,
}

impl Operation for CancelRun {
    type Output = Run;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<Run>> {
        let reason = text::clean_multiline("reason", &self.reason, 1000)?;
        let run = lock(txn, &ctx.actor, self.id).await?;
        let cancellable: Vec<RunStatus> = RunStatus::ALL
            .iter()
            .copied()
            .filter(|s| s.may_cancel())
            .collect();
        expect(&run, &cancellable, "cancelled")?;
        let items = Query::select()
            .column(settlement_items::Column::Id)
            .from(settlement_items::Entity)
            .and_where(Expr::col(settlement_items::Column::RunId).eq(run.id))
            .to_owned();
        claims::Entity::update_many()
            .col_expr(
                claims::Column::SettlementItemId,
                Expr::value(Option::<Uuid>::None),
            )
            .filter(claims::Column::SettlementItemId.in_subquery(items))
            .exec(txn)
            .await?;
        settlement_items::Entity::update_many()
            .col_expr(
                settlement_items::Column::Status,
                Expr::value(ItemStatus::Cancelled.as_str()),
            )
            .filter(settlement_items::Column::RunId.eq(run.id))
            .exec(txn)
            .await?;
        settlement_runs::Entity::update_many()
            .col_expr(
                settlement_runs::Column::Status,
                Expr::value(RunStatus::Cancelled.as_str()),
            )
            .col_expr(
                settlement_runs::Column::LiveKey,
                Expr::value(Option::<String>::None),
            )
            .col_expr(settlement_runs::Column::Reason, Expr::value(reason))
            .col_expr(settlement_runs::Column::ClosedAt, Expr::value(ctx.now))
            .filter(settlement_runs::Column::Id.eq(run.id))
            .exec(txn)
            .await?;
        let run = one(txn, run.id, ctx.now).await?;
        Done::recorded(run, "settlement.cancel", "settlement_run")
    }
}
