//! Redemptions: an amount held on a voucher against a service contract,
//! resolved exactly once — completed, cancelled or expired.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
};
use serde::Serialize;
use uuid::Uuid;

use super::identity::organization_of_kind;
use super::locks::{self, lock_budget, lock_held, lock_voucher};
use super::locks::{lock_voucher_and_admission, VoucherAndAdmission};
use super::vouchers::{return_to_budget, voucher_accounts, Closing};
use super::{visible, Ctx, Done, Operation, Page, PageRequest, ServiceError, ServiceResult};
use crate::domain::access::{self, Action, Stake};
use crate::domain::clock::shanghai_date;
use crate::domain::programme::{parse_category, split_categories};
use crate::domain::text;
use crate::domain::{
    Actor, Amount, DomainError, Money, OrgKind, RedemptionStatus, Refusal, Region, VoucherState,
};
use crate::ledger::{self, AccountKind, AccountRef, Transfer, TransferCode};
use crate::rules::common::Party;
use crate::rules::{CrossRegionFacts, HoldFacts, PolicyVersion};
use crate::store::entities::{organizations, redemptions, vouchers};
use crate::store::is_unique_violation;

/// A redemption.
#[derive(Debug, Clone, Serialize)]
pub struct Redemption {
    pub id: Uuid,
    pub voucher_id: Uuid,
    /// The issuing region (who pays).
    pub region: Region,
    pub provider_id: Uuid,
    pub provider_region: Region,
    pub contract_no: String,
    pub contract_amount: Money,
    pub service_category: String,
    /// The amount held.
    pub amount: Money,
    pub completed_amount: Money,
    pub status: RedemptionStatus,
    pub claim_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
}

impl From<redemptions::Model> for Redemption {
    fn from(r: redemptions::Model) -> Self {
        Redemption {
            id: r.id,
            voucher_id: r.voucher_id,
            region: r.region,
            provider_id: r.provider_id,
            provider_region: r.provider_region,
            contract_no: r.contract_no,
            contract_amount: Money::from_fen(r.contract_amount),
            service_category: r.service_category,
            amount: Money::from_fen(r.amount),
            completed_amount: Money::from_fen(r.completed_amount),
            status: r.status,
            claim_id: r.claim_id,
            created_at: r.created_at,
            resolved_at: r.resolved_at,
        }
    }
}

/// Whether a redemption's provider is outside its issuing region.
fn outside(r: &redemptions::Model) -> bool {
    r.provider_region != r.region
}

/// A company holds an amount of its voucher against a contract with an
/// admitted provider.
///
/// Refusals, in the order they are checked:
/// 1. `forbidden`: the caller is not a company.
/// 2. `validation_failed` (`contract_no`): blank, over 64 characters, or with control,
///    zero-width or bidi characters.
/// 3. `validation_failed` (`service_category`): not a known service category.
/// 4. `not_found`: the voucher does not exist or the caller is not its holder.
/// 5. `voucher_expired`: the voucher expired, or today (Asia/Shanghai) is past its
///    `use_until` (rule `use_deadline`).
/// 6. `invalid_state`: the voucher was revoked.
/// 7. `not_found`: `provider_id` is not a registered provider (or the voucher's region
///    is no longer an issuing region).
/// 8. `validation_failed` (`year`): the region's policy has no version for the
///    voucher's year.
/// 9. `not_found`: the caller's own organisation is not on record.
/// 10. `cross_region_budget_exceeded`: in a region capping spending outside it (JX),
///     at a provider of another region, no budget is appropriated for the voucher's year
///     (rule `cross_region_budget_share`).
/// 11. The region's rules (`check_hold`), in order: `related_party` (rule
///     `related_party`), `provider_not_admitted` (rule `admission`),
///     `category_not_eligible` (rule `categories`, then `admitted_categories`),
///     `share_exceeded` (rule `contract_share`); then, in JX at a provider of another
///     region, `cross_region_budget_exceeded` (rule `cross_region_budget_share`).
/// 12. `duplicate_contract`: the provider already has a redemption, not cancelled, with
///     this contract number (compared by key; rule `contract_no`).
/// 13. `insufficient_balance`: the voucher's available balance is smaller than
///     `amount` (rule `voucher_balance`).
#[derive(Debug, Clone)]
pub struct Hold {
    pub voucher_id: Uuid,
    pub provider_id: Uuid,
    pub contract_no: String,
    pub contract_amount: Amount,
    pub service_category: String,
    pub amount: Amount,
}

impl Operation for Hold {
    type Output = Redemption;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<Redemption>> {
        access::permit(&ctx.actor, Action::Hold)?;
        let contract_no = text::clean("contract_no", &self.contract_no, 64)?;
        let category = parse_category("service_category", &self.service_category)?;
        let VoucherAndAdmission {
            voucher: v,
            admitted,
        } = lock_voucher_and_admission(txn, self.voucher_id, self.provider_id)
            .await?
            .ok_or(DomainError::NotFound)?;
        access::authorize(
            &ctx.actor,
            Action::Hold,
            &Stake::of(&v.region).company(v.holder_id),
        )?;
        ensure_usable(ctx, &v)?;
        let provider = organization_of_kind(txn, ctx, self.provider_id, OrgKind::Provider)
            .await?
            .ok_or(DomainError::NotFound)?;
        let region = v.region.clone();
        let rules = ctx.rules_for(&region)?;
        let version = rules.version(v.year)?;
        let company = organization_of_kind(txn, ctx, ctx.actor.sub, OrgKind::Company)
            .await?
            .ok_or(DomainError::NotFound)?;
        let cross_region = if rules.needs_cross_region_facts(&provider.region) {
            Some(cross_region_facts(txn, version, &region, v.year).await?)
        } else {
            None
        };
        let facts = HoldFacts {
            company: party(&company),
            provider: party(&provider),
            provider_region: provider.region.clone(),
            category: category.clone(),
            admitted: admitted.as_deref().map(split_categories),
            contract_amount: self.contract_amount.money(),
            amount: self.amount.money(),
            cross_region,
            fund: v
                .fund
                .as_deref()
                .and_then(|d| rules.policy().fund_of(d))
                .cloned(),
        };
        rules.check_hold(version, &facts)?;
        let row = redemptions::ActiveModel {
            id: Set(Uuid::now_v7()),
            voucher_id: Set(v.id),
            region: Set(region),
            year: Set(v.year),
            company_id: Set(ctx.actor.sub),
            provider_id: Set(provider.id),
            provider_region: Set(provider.region.clone()),
            contract_key: Set(Some(text::key(&contract_no))),
            contract_no: Set(contract_no.clone()),
            contract_amount: Set(self.contract_amount.fen()),
            service_category: Set(category),
            amount: Set(self.amount.fen()),
            completed_amount: Set(0),
            status: Set(RedemptionStatus::Held),
            claim_id: Set(None),
            created_at: Set(ctx.now),
            resolved_at: Set(None),
        };
        let redemption = match redemptions::Entity::insert(row)
            .exec_with_returning(txn)
            .await
        {
            Ok(r) => r,
            Err(e) if is_unique_violation(&e) => {
                return Err(DomainError::refused(
                    Refusal::DuplicateContract,
                    "this provider already has a redemption for this contract number",
                )
                .with_rule(
                    version
                        .rule("contract_no", &v.region)
                        .requested(contract_no),
                )
                .into())
            }
            Err(e) => return Err(e.into()),
        };
        let (available, held) = voucher_accounts(&v);
        let transfer = Transfer::between(TransferCode::Hold, available, held, self.amount.money())
            .voucher(v.id)
            .redemption(redemption.id, outside(&redemption));
        ctx.post(txn, transfer).await?;
        Done::recorded(redemption.into(), "redemption.hold", "redemption")
    }
}

fn party(org: &organizations::Model) -> Party {
    Party {
        credit_code: org.credit_code.clone(),
        actual_controller: org.actual_controller.clone(),
    }
}

/// The region-year's appropriation and what is held or completed at
/// providers outside the region (a running total of the budget row, moved
/// by the hold, release and expire transfers of such redemptions). The
/// budget row is locked first, so that cross-region holds of one region and
/// year are checked one at a time.
async fn cross_region_facts<C: ConnectionTrait>(
    txn: &C,
    version: &PolicyVersion,
    region: &Region,
    year: i32,
) -> ServiceResult<CrossRegionFacts> {
    let budget = lock_budget(txn, region, year).await?.ok_or_else(|| {
        DomainError::refused(
            Refusal::CrossRegionBudgetExceeded,
            format!("no budget appropriated for {region} {year}"),
        )
        .with_rule(
            version
                .rule("cross_region_budget_share", region)
                .limit(Money::ZERO)
                .allowed(Money::ZERO),
        )
    })?;
    Ok(CrossRegionFacts {
        appropriated: Money::from_fen(budget.appropriated),
        committed_outside: Money::from_fen(budget.outside_committed),
    })
}

/// A region-year's appropriation and what is held or completed at providers
/// outside the region (none before the year is funded), for a caller
/// already authorised to read the region's programme.
pub async fn cross_region_used<C: ConnectionTrait>(
    conn: &C,
    region: &Region,
    year: i32,
) -> ServiceResult<Option<CrossRegionFacts>> {
    use crate::store::entities::budgets;
    let budget = budgets::Entity::find_by_id((region.clone(), year))
        .one(conn)
        .await?;
    Ok(budget.map(|b| CrossRegionFacts {
        appropriated: Money::from_fen(b.appropriated),
        committed_outside: Money::from_fen(b.outside_committed),
    }))
}

/// A voucher may take new holds: active and within its use deadline.
fn ensure_usable(ctx: &Ctx, v: &vouchers::Model) -> Result<(), DomainError> {
    let today = shanghai_date(ctx.now);
    if v.state == VoucherState::Expired || today > v.use_until {
        return Err(DomainError::refused(
            Refusal::VoucherExpired,
            format!("the voucher could be used until {}", v.use_until),
        )
        .with_rule(
            ctx.rule("use_deadline", &v.region, v.year)
                .limit(v.use_until)
                .requested(today),
        ));
    }
    if v.state != VoucherState::Active {
        return Err(DomainError::refused(
            Refusal::InvalidState,
            format!("the voucher is {}", v.state),
        ));
    }
    Ok(())
}

/// The provider confirms delivery of `amount` (default: all that is held);
/// the rest returns to the voucher.
///
/// Refusals, in the order they are checked:
/// 1. `forbidden`: the caller is not a service provider.
/// 2. `not_found`: the redemption does not exist or is not at the caller.
/// 3. `invalid_state`: the redemption is not held (completed, cancelled or expired).
/// 4. `claim_deadline_passed`: today (Asia/Shanghai) is past the voucher's
///    `claim_until` (rule `claim_deadline`).
/// 5. `validation_failed` (`amount`): more than the amount held.
#[derive(Debug, Clone)]
pub struct Complete {
    pub id: Uuid,
    pub amount: Option<Amount>,
}

impl Operation for Complete {
    type Output = Redemption;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<Redemption>> {
        let (r, v) = lock_held(txn, &ctx.actor, Action::Complete, self.id).await?;
        let today = shanghai_date(ctx.now);
        if today > v.claim_until {
            return Err(DomainError::refused(
                Refusal::ClaimDeadlinePassed,
                format!("completions were possible until {}", v.claim_until),
            )
            .with_rule(
                ctx.rule("claim_deadline", &v.region, v.year)
                    .limit(v.claim_until)
                    .requested(today),
            )
            .into());
        }
        let held_amount = Money::from_fen(r.amount);
        let amount = self.amount.map(Amount::money).unwrap_or(held_amount);
        if amount > held_amount {
            return Err(
                DomainError::field("amount", format!("at most the {held_amount} held")).into(),
            );
        }
        let payable = AccountRef::owned(&r.region, r.year, AccountKind::Payable, r.provider_id);
        ledger::open_account(txn, &payable, ctx.now).await?;
        let (_, held) = voucher_accounts(&v);
        let transfer = Transfer::between(TransferCode::Complete, held, payable, amount)
            .voucher(v.id)
            .redemption(r.id, outside(&r));
        ctx.post(txn, transfer).await?;
        let rest = held_amount.checked_sub(amount).unwrap_or_default();
        release(txn, ctx, &v, &r, rest).await?;
        let redemption = resolve(txn, r.id, RedemptionStatus::Completed, amount, ctx.now).await?;
        Done::recorded(redemption, "redemption.complete", "redemption")
    }
}

/// The company or the provider cancels a held redemption; the hold returns
/// to the voucher.
///
/// Refusals, in the order they are checked:
/// 1. `forbidden`: the caller is neither a company nor a service provider.
/// 2. `not_found`: the redemption does not exist, or the caller is neither its
///    company nor its provider.
/// 3. `invalid_state`: the redemption is not held (completed, cancelled or expired).
#[derive(Debug, Clone)]
pub struct CancelRedemption {
    pub id: Uuid,
}

impl Operation for CancelRedemption {
    type Output = Redemption;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<Redemption>> {
        let (r, v) = lock_held(txn, &ctx.actor, Action::CancelRedemption, self.id).await?;
        release(txn, ctx, &v, &r, Money::from_fen(r.amount)).await?;
        let redemption =
            resolve(txn, r.id, RedemptionStatus::Cancelled, Money::ZERO, ctx.now).await?;
        Done::recorded(redemption, "redemption.cancel", "redemption")
    }
}

/// Returns `amount` of a redemption's hold to its voucher's available
/// balance; when the voucher has expired or been revoked meanwhile, the
/// money goes on to the budget the same way.
async fn release<C: ConnectionTrait>(
    txn: &C,
    ctx: &Ctx,
    v: &vouchers::Model,
    r: &redemptions::Model,
    amount: Money,
) -> ServiceResult<()> {
    if amount.is_zero() {
        return Ok(());
    }
    let (available, held) = voucher_accounts(v);
    let transfer = Transfer::between(TransferCode::Release, held, available, amount)
        .voucher(v.id)
        .redemption(r.id, outside(r));
    ctx.post(txn, transfer).await?;
    match Closing::of(v.state) {
        None => Ok(()),
        Some(closing) => {
            return_to_budget(txn, ctx, v, AccountKind::Voucher, amount, closing, None).await
        }
    }
}

/// Marks a redemption resolved (at most once: only a held one changes).
pub async fn resolve<C: ConnectionTrait>(
    txn: &C,
    id: Uuid,
    status: RedemptionStatus,
    completed: Money,
    now: DateTime<Utc>,
) -> ServiceResult<Redemption> {
    let done = redemptions::Entity::update_many()
        .col_expr(redemptions::Column::Status, Expr::value(status))
        .col_expr(
            redemptions::Column::CompletedAmount,
            Expr::value(completed.fen()),
        )
        .col_expr(redemptions::Column::ResolvedAt, Expr::value(now))
        .filter(redemptions::Column::Id.eq(id))
        .filter(redemptions::Column::Status.eq(RedemptionStatus::Held))
        .exec(txn)
        .await?;
    if done.rows_affected != 1 {
        return Err(ServiceError::Internal(format!(
            "redemption {id} resolved twice"
        )));
    }
    let row = redemptions::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or(DomainError::NotFound)?;
    Ok(row.into())
}

/// Expires a held redemption past its voucher's claim deadline: the hold
/// returns to the budget. Returns false when it was resolved meanwhile.
pub async fn expire_hold<C: ConnectionTrait>(
    txn: &C,
    ctx: &Ctx,
    r: &redemptions::Model,
) -> ServiceResult<bool> {
    let Some(v) = lock_voucher(txn, r.voucher_id).await? else {
        return Ok(false);
    };
    // Resolved meanwhile by a completion or a cancellation?
    if !locks::lock_if_held(txn, r.id).await? {
        return Ok(false);
    }
    let amount = Money::from_fen(r.amount);
    let from = AccountKind::Hold;
    let hold = Some((r.id, outside(r)));
    return_to_budget(txn, ctx, &v, from, amount, Closing::Expire, hold).await?;
    resolve(txn, r.id, RedemptionStatus::Expired, Money::ZERO, ctx.now).await?;
    Ok(true)
}

/// One redemption the actor may see.
pub async fn find<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    id: Uuid,
) -> ServiceResult<Redemption> {
    let row = visible::find::<redemptions::Entity, _>(conn, actor, id).await?;
    Ok(row.into())
}

/// The redemptions the actor may see, oldest first.
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    page: PageRequest,
) -> ServiceResult<Page<Redemption>> {
    let rows = visible::list::<redemptions::Entity, _>(conn, actor, page).await?;
    Ok(rows.map(Redemption::from))
}
