//! Redemptions: an amount held on a voucher against a service contract,
//! resolved exactly once — completed, cancelled or expired.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::programme::{add_to_budget, admitted_categories, lock_budget};
use super::vouchers::{
    lock_voucher, organization_of_kind, return_to_budget, voucher_accounts, Closing, ACTIVE,
    EXPIRED,
};
use super::{required_text, Ctx, Page, PageRequest, ServiceError, ServiceResult};
use crate::domain::clock::shanghai_date;
use crate::domain::programme::parse_category;
use crate::domain::{Actor, DomainError, Money, OrgKind, Refusal, Region, Role};
use crate::ledger::{self, AccountKind, AccountRef, Stamp, Transfer, TransferCode};
use crate::rules::common::Party;
use crate::rules::{CrossRegionFacts, HoldFacts};
use crate::store::entities::{budgets, organizations, redemptions, vouchers};
use crate::store::is_unique_violation;

pub const HELD: &str = "held";
pub const COMPLETED: &str = "completed";
pub const CANCELLED: &str = "cancelled";
pub const EXPIRED_HOLD: &str = "expired";

/// A redemption.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Redemption {
    pub id: Uuid,
    pub voucher_id: Uuid,
    /// The issuing region (who pays).
    pub region: String,
    pub provider_id: Uuid,
    pub provider_region: String,
    pub contract_no: String,
    #[schema(value_type = String, example = "200000.00")]
    pub contract_amount: Money,
    #[schema(example = "testing")]
    pub service_category: String,
    /// The amount held.
    #[schema(value_type = String, example = "100000.00")]
    pub amount: Money,
    #[schema(value_type = String, example = "0.00")]
    pub completed_amount: Money,
    /// `held`, `completed`, `cancelled` or `expired`.
    pub status: String,
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

/// What a company asks to hold.
#[derive(Debug, Clone)]
pub struct HoldRequest {
    pub voucher_id: Uuid,
    pub provider_id: Uuid,
    pub contract_no: String,
    pub contract_amount: Money,
    pub service_category: String,
    pub amount: Money,
}

/// Holds an amount of the company's voucher against a contract with an
/// admitted provider.
pub async fn hold<C: ConnectionTrait>(
    txn: &C,
    ctx: &Ctx,
    req: HoldRequest,
) -> ServiceResult<Redemption> {
    let contract_no = required_text("contract_no", &req.contract_no, 64)?;
    let category = parse_category("service_category", &req.service_category)?;
    let v = lock_voucher(txn, req.voucher_id)
        .await?
        .filter(|v| v.holder_id == ctx.actor.sub)
        .ok_or(DomainError::NotFound)?;
    ensure_usable(&v, ctx.now)?;
    let provider = organization_of_kind(txn, req.provider_id, OrgKind::Provider)
        .await?
        .ok_or(DomainError::NotFound)?;
    let region = Region::parse(&v.region)?;
    let provider_region = Region::parse(&provider.region)?;
    let rules = ctx.rules_for(&region)?;
    let version = rules.version(v.year)?;
    let company = organization_of_kind(txn, ctx.actor.sub, OrgKind::Company)
        .await?
        .ok_or(DomainError::NotFound)?;
    let cross_region = if rules.needs_cross_region_facts(&provider_region) {
        Some(cross_region_facts(txn, &region, v.year).await?)
    } else {
        None
    };
    let facts = HoldFacts {
        company: party(&company),
        provider: party(&provider),
        provider_region,
        category: category.clone(),
        admitted: admitted_categories(txn, &region, provider.id).await?,
        contract_amount: req.contract_amount,
        amount: req.amount,
        cross_region,
    };
    rules.check_hold(version, &facts)?;
    let row = redemptions::ActiveModel {
        id: Set(Uuid::now_v7()),
        voucher_id: Set(v.id),
        region: Set(v.region.clone()),
        year: Set(v.year),
        company_id: Set(ctx.actor.sub),
        provider_id: Set(provider.id),
        provider_region: Set(provider.region.clone()),
        contract_no: Set(contract_no),
        contract_amount: Set(req.contract_amount.fen()),
        service_category: Set(category),
        amount: Set(req.amount.fen()),
        completed_amount: Set(0),
        status: Set(HELD.into()),
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
            .into())
        }
        Err(e) => return Err(e.into()),
    };
    let (available, held) = voucher_accounts(&v)?;
    let transfer = Transfer::between(TransferCode::Hold, available, held, req.amount)
        .voucher(v.id)
        .redemption(redemption.id);
    ledger::post(txn, &transfer, &ctx.stamp()).await?;
    commit_outside(txn, &redemption, req.amount).await?;
    Ok(redemption.into())
}

fn party(org: &organizations::Model) -> Party {
    Party {
        credit_code: org.credit_code.clone(),
        actual_controller: org.actual_controller.clone(),
    }
}

/// The region-year's appropriation and what is held or completed at
/// providers outside the region (a running total of the budget row, kept by
/// [`hold`] and [`resolve`]). The budget row is locked first, so that
/// cross-region holds of one region and year are checked one at a time.
async fn cross_region_facts<C: ConnectionTrait>(
    txn: &C,
    region: &Region,
    year: i32,
) -> ServiceResult<CrossRegionFacts> {
    let budget = lock_budget(txn, region, year)
        .await?
        .ok_or(DomainError::refused(
            Refusal::CrossRegionBudgetExceeded,
            format!("no budget appropriated for {region} {year}"),
        ))?;
    Ok(CrossRegionFacts {
        appropriated: Money::from_fen(budget.appropriated),
        committed_outside: Money::from_fen(budget.outside_committed),
    })
}

/// A voucher may take new holds: active and within its use deadline.
fn ensure_usable(v: &vouchers::Model, now: DateTime<Utc>) -> Result<(), DomainError> {
    if v.state == EXPIRED || shanghai_date(now) > v.use_until {
        return Err(DomainError::refused(
            Refusal::VoucherExpired,
            format!("the voucher could be used until {}", v.use_until),
        ));
    }
    if v.state != ACTIVE {
        return Err(DomainError::refused(
            Refusal::InvalidState,
            format!("the voucher is {}", v.state),
        ));
    }
    Ok(())
}

/// Locks a held redemption and its voucher (voucher first, always).
async fn lock_held<C: ConnectionTrait>(
    txn: &C,
    id: Uuid,
    may_act: impl Fn(&redemptions::Model) -> bool,
) -> ServiceResult<(redemptions::Model, vouchers::Model)> {
    let found = redemptions::Entity::find_by_id(id)
        .one(txn)
        .await?
        .filter(&may_act)
        .ok_or(DomainError::NotFound)?;
    let v = lock_voucher(txn, found.voucher_id)
        .await?
        .ok_or_else(|| ServiceError::Internal(format!("redemption {id} without voucher")))?;
    let r = redemptions::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or(DomainError::NotFound)?;
    if r.status != HELD {
        return Err(DomainError::refused(
            Refusal::InvalidState,
            format!("the redemption is {}", r.status),
        )
        .into());
    }
    Ok((r, v))
}

/// The provider confirms delivery of `amount` (default: all that is held);
/// the rest returns to the voucher.
pub async fn complete<C: ConnectionTrait>(
    txn: &C,
    ctx: &Ctx,
    id: Uuid,
    amount: Option<Money>,
) -> ServiceResult<Redemption> {
    let (r, v) = lock_held(txn, id, |r| r.provider_id == ctx.actor.sub).await?;
    if shanghai_date(ctx.now) > v.claim_until {
        return Err(DomainError::refused(
            Refusal::ClaimDeadlinePassed,
            format!("completions were possible until {}", v.claim_until),
        )
        .into());
    }
    let held_amount = Money::from_fen(r.amount);
    let amount = amount.unwrap_or(held_amount);
    if amount > held_amount {
        return Err(DomainError::field("amount", format!("at most the {held_amount} held")).into());
    }
    let region = Region::parse(&r.region)?;
    let payable = AccountRef::owned(&region, r.year, AccountKind::Payable, r.provider_id);
    ledger::open_account(txn, &payable, ctx.now).await?;
    let (_, held) = voucher_accounts(&v)?;
    let transfer = Transfer::between(TransferCode::Complete, held, payable, amount)
        .voucher(v.id)
        .redemption(r.id);
    ledger::post(txn, &transfer, &ctx.stamp()).await?;
    release(
        txn,
        &v,
        r.id,
        held_amount.checked_sub(amount).unwrap_or_default(),
        &ctx.stamp(),
    )
    .await?;
    vouchers::Entity::update_many()
        .col_expr(
            vouchers::Column::Redeemed,
            Expr::col(vouchers::Column::Redeemed).add(amount.fen()),
        )
        .filter(vouchers::Column::Id.eq(v.id))
        .exec(txn)
        .await?;
    resolve(txn, r.id, COMPLETED, amount, ctx.now).await
}

/// The company or the provider cancels a held redemption; the hold returns
/// to the voucher.
pub async fn cancel<C: ConnectionTrait>(txn: &C, ctx: &Ctx, id: Uuid) -> ServiceResult<Redemption> {
    let actor = &ctx.actor;
    let (r, v) = lock_held(txn, id, |r| {
        (actor.role == Role::Company && r.company_id == actor.sub)
            || (actor.role == Role::Provider && r.provider_id == actor.sub)
    })
    .await?;
    release(txn, &v, r.id, Money::from_fen(r.amount), &ctx.stamp()).await?;
    resolve(txn, r.id, CANCELLED, Money::ZERO, ctx.now).await
}

/// Returns `amount` from a voucher's hold to its available balance; when the
/// voucher has expired or been revoked meanwhile, the money goes on to the
/// budget the same way.
pub async fn release<C: ConnectionTrait>(
    txn: &C,
    v: &vouchers::Model,
    redemption_id: Uuid,
    amount: Money,
    stamp: &Stamp,
) -> ServiceResult<()> {
    if amount.is_zero() {
        return Ok(());
    }
    let (available, held) = voucher_accounts(v)?;
    let transfer = Transfer::between(TransferCode::Release, held, available, amount)
        .voucher(v.id)
        .redemption(redemption_id);
    ledger::post(txn, &transfer, stamp).await?;
    match v.state.as_str() {
        ACTIVE => Ok(()),
        EXPIRED => return_to_budget(txn, v, amount, Closing::Expire, stamp).await,
        _ => return_to_budget(txn, v, amount, Closing::Revoke, stamp).await,
    }
}

/// Marks a redemption resolved (at most once: only a held one changes).
pub async fn resolve<C: ConnectionTrait>(
    txn: &C,
    id: Uuid,
    status: &str,
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
        .filter(redemptions::Column::Status.eq(HELD))
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
    // Outside the region, the hold's amount gives way to what was completed.
    let released = Money::from_fen(row.amount)
        .checked_sub(completed)
        .ok_or_else(|| ServiceError::Internal("release overflow".into()))?;
    commit_outside(txn, &row, -released).await?;
    Ok(row.into())
}

/// Moves the budget's running total of what is committed at providers
/// outside the region by `delta`, for a redemption at such a provider.
async fn commit_outside<C: ConnectionTrait>(
    txn: &C,
    r: &redemptions::Model,
    delta: Money,
) -> ServiceResult<()> {
    if r.provider_region == r.region || delta.is_zero() {
        return Ok(());
    }
    let region = Region::parse(&r.region)?;
    add_to_budget(
        txn,
        &region,
        r.year,
        budgets::Column::OutsideCommitted,
        delta,
    )
    .await
}

/// Whether the actor may see a redemption: its company, its provider,
/// regulators of the issuing region and of the provider's region.
fn may_see(actor: &Actor, r: &redemptions::Model) -> bool {
    match actor.role {
        Role::Company => r.company_id == actor.sub,
        Role::Provider => r.provider_id == actor.sub,
        Role::Regulator => actor
            .region
            .as_ref()
            .is_some_and(|g| g.as_str() == r.region || g.as_str() == r.provider_region),
        Role::Admin => false,
    }
}

/// One redemption the actor may see.
pub async fn find<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    id: Uuid,
) -> ServiceResult<Redemption> {
    redemptions::Entity::find_by_id(id)
        .one(conn)
        .await?
        .filter(|r| may_see(actor, r))
        .map(Redemption::from)
        .ok_or_else(|| DomainError::NotFound.into())
}

/// The redemptions the actor may see, oldest first.
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    page: PageRequest,
) -> ServiceResult<Page<Redemption>> {
    let scope = match (actor.role, &actor.region) {
        (Role::Company, _) => Condition::all().add(redemptions::Column::CompanyId.eq(actor.sub)),
        (Role::Provider, _) => Condition::all().add(redemptions::Column::ProviderId.eq(actor.sub)),
        (Role::Regulator, Some(region)) => Condition::any()
            .add(redemptions::Column::Region.eq(region.as_str()))
            .add(redemptions::Column::ProviderRegion.eq(region.as_str())),
        _ => return Err(DomainError::Forbidden("not allowed".into()).into()),
    };
    let mut query = redemptions::Entity::find().filter(scope);
    if let Some(after) = page.after {
        query = query.filter(redemptions::Column::Id.gt(after));
    }
    let rows = query
        .order_by_asc(redemptions::Column::Id)
        .limit(page.limit + 1)
        .all(conn)
        .await?;
    Ok(Page::from_rows(rows, page, |r| r.id).map(Redemption::from))
}
