//! Settlement claims: a provider claims completed redemptions of one issuing
//! region with an invoice; the issuer's regulator approves or rejects, then
//! pays — at most once.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::programme::add_to_budget;
use super::redemptions::COMPLETED;
use super::{required_text, Ctx, Page, PageRequest, ServiceError, ServiceResult};
use crate::domain::clock::shanghai_date;
use crate::domain::{Actor, DomainError, Money, Refusal, Region, Role};
use crate::ledger::{self, AccountKind, AccountRef, Transfer, TransferCode};
use crate::store::entities::{budgets, claim_redemptions, claims, redemptions, vouchers};
use crate::store::is_unique_violation;

/// A settlement claim.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Claim {
    pub id: Uuid,
    /// The issuing region that pays.
    pub region: String,
    pub provider_id: Uuid,
    pub invoice_no: String,
    #[schema(value_type = String, example = "100000.00")]
    pub amount: Money,
    /// `submitted`, `approved`, `rejected` or `paid`.
    pub status: String,
    pub redemption_ids: Vec<Uuid>,
    pub reason: Option<String>,
    pub bank_reference: Option<String>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub paid_at: Option<DateTime<Utc>>,
}

/// Submits a claim over completed redemptions of the provider.
pub async fn submit<C: ConnectionTrait>(
    txn: &C,
    ctx: &Ctx,
    redemption_ids: &[Uuid],
    invoice_no: &str,
) -> ServiceResult<Claim> {
    let invoice_no = required_text("invoice_no", invoice_no, 64)?;
    if redemption_ids.is_empty() || redemption_ids.len() > 500 {
        return Err(DomainError::field("redemption_ids", "claim 1 to 500 redemptions").into());
    }
    let mut ids = redemption_ids.to_vec();
    ids.sort();
    ids.dedup();
    if ids.len() != redemption_ids.len() {
        return Err(DomainError::field("redemption_ids", "a redemption is listed twice").into());
    }
    let rows = redemptions::Entity::find()
        .filter(redemptions::Column::Id.is_in(ids.clone()))
        .filter(redemptions::Column::ProviderId.eq(ctx.actor.sub))
        .all(txn)
        .await?;
    if rows.len() != ids.len() {
        return Err(DomainError::NotFound.into());
    }
    if let Some(r) = rows.iter().find(|r| r.status != COMPLETED) {
        return Err(DomainError::refused(
            Refusal::InvalidState,
            format!("redemption {} is {}", r.id, r.status),
        )
        .into());
    }
    let region = rows[0].region.clone();
    if rows.iter().any(|r| r.region != region) {
        return Err(DomainError::field(
            "redemption_ids",
            "a claim covers redemptions of one issuing region",
        )
        .into());
    }
    if let Some(r) = rows.iter().find(|r| r.claim_id.is_some()) {
        return Err(DomainError::Conflict(format!(
            "redemption {} is in another open or paid claim",
            r.id
        ))
        .into());
    }
    let voucher_ids: Vec<Uuid> = rows.iter().map(|r| r.voucher_id).collect();
    let today = shanghai_date(ctx.now);
    let late = vouchers::Entity::find()
        .filter(vouchers::Column::Id.is_in(voucher_ids))
        .filter(vouchers::Column::ClaimUntil.lt(today))
        .one(txn)
        .await?;
    if let Some(v) = late {
        return Err(DomainError::refused(
            Refusal::ClaimDeadlinePassed,
            format!(
                "voucher {} could be claimed until {}",
                v.serial, v.claim_until
            ),
        )
        .into());
    }
    let mut amount = Money::ZERO;
    for r in &rows {
        amount = amount
            .checked_add(Money::from_fen(r.completed_amount))
            .ok_or_else(|| ServiceError::Internal("claim amount overflow".into()))?;
    }
    let id = Uuid::now_v7();
    let inserted = claims::Entity::insert(claims::ActiveModel {
        id: Set(id),
        region: Set(region),
        provider_id: Set(ctx.actor.sub),
        invoice_no: Set(invoice_no),
        amount: Set(amount.fen()),
        status: Set("submitted".into()),
        reason: Set(None),
        bank_reference: Set(None),
        created_at: Set(ctx.now),
        decided_at: Set(None),
        paid_at: Set(None),
    })
    .exec_without_returning(txn)
    .await;
    match inserted {
        Err(e) if is_unique_violation(&e) => {
            return Err(DomainError::refused(
                Refusal::DuplicateInvoice,
                "this invoice number was already claimed",
            )
            .into())
        }
        other => {
            other?;
        }
    }
    count_claimed(txn, &Region::parse(&rows[0].region)?, &rows, 1).await?;
    // Take the redemptions only if nobody took them meanwhile.
    let taken = redemptions::Entity::update_many()
        .col_expr(redemptions::Column::ClaimId, Expr::value(id))
        .filter(redemptions::Column::Id.is_in(ids.clone()))
        .filter(redemptions::Column::ClaimId.is_null())
        .filter(redemptions::Column::Status.eq(COMPLETED))
        .exec(txn)
        .await?;
    if taken.rows_affected != ids.len() as u64 {
        return Err(DomainError::Conflict(
            "a redemption was claimed by another claim meanwhile".into(),
        )
        .into());
    }
    let links = ids.iter().map(|r| claim_redemptions::ActiveModel {
        claim_id: Set(id),
        redemption_id: Set(*r),
    });
    claim_redemptions::Entity::insert_many(links)
        .exec_without_returning(txn)
        .await?;
    find(txn, &ctx.actor, id).await
}

/// Locks a claim of the regulator's region in one of `states`.
async fn lock_claim<C: ConnectionTrait>(
    txn: &C,
    ctx: &Ctx,
    id: Uuid,
    states: &[&str],
) -> ServiceResult<claims::Model> {
    let claim = claims::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?
        .filter(|c| may_see(&ctx.actor, c))
        .ok_or(DomainError::NotFound)?;
    if !states.contains(&claim.status.as_str()) {
        return Err(DomainError::refused(
            Refusal::InvalidState,
            format!("the claim is {}", claim.status),
        )
        .into());
    }
    Ok(claim)
}

async fn set_status<C: ConnectionTrait>(
    txn: &C,
    id: Uuid,
    status: &str,
    extra: Vec<(claims::Column, Expr)>,
) -> ServiceResult<()> {
    let mut update = claims::Entity::update_many()
        .col_expr(claims::Column::Status, Expr::value(status))
        .filter(claims::Column::Id.eq(id));
    for (column, value) in extra {
        update = update.col_expr(column, value);
    }
    update.exec(txn).await?;
    Ok(())
}

/// The issuer's regulator approves a submitted claim.
pub async fn approve<C: ConnectionTrait>(txn: &C, ctx: &Ctx, id: Uuid) -> ServiceResult<Claim> {
    lock_claim(txn, ctx, id, &["submitted"]).await?;
    set_status(
        txn,
        id,
        "approved",
        vec![(claims::Column::DecidedAt, Expr::value(ctx.now))],
    )
    .await?;
    find(txn, &ctx.actor, id).await
}

/// The issuer's regulator rejects a claim not yet paid; its redemptions may
/// be claimed again.
pub async fn reject<C: ConnectionTrait>(
    txn: &C,
    ctx: &Ctx,
    id: Uuid,
    reason: &str,
) -> ServiceResult<Claim> {
    let reason = required_text("reason", reason, 1000)?;
    let claim = lock_claim(txn, ctx, id, &["submitted", "approved"]).await?;
    let rows = redemptions::Entity::find()
        .filter(redemptions::Column::ClaimId.eq(id))
        .all(txn)
        .await?;
    count_claimed(txn, &Region::parse(&claim.region)?, &rows, -1).await?;
    set_status(
        txn,
        id,
        "rejected",
        vec![
            (claims::Column::Reason, Expr::value(reason)),
            (claims::Column::DecidedAt, Expr::value(ctx.now)),
        ],
    )
    .await?;
    redemptions::Entity::update_many()
        .col_expr(
            redemptions::Column::ClaimId,
            Expr::value(Option::<Uuid>::None),
        )
        .filter(redemptions::Column::ClaimId.eq(id))
        .exec(txn)
        .await?;
    find(txn, &ctx.actor, id).await
}

/// The issuer's regulator pays an approved claim: what the provider is owed
/// moves to paid, per fiscal year of the redemptions.
pub async fn pay<C: ConnectionTrait>(
    txn: &C,
    ctx: &Ctx,
    id: Uuid,
    bank_reference: &str,
) -> ServiceResult<Claim> {
    let bank_reference = required_text("bank_reference", bank_reference, 128)?;
    let claim = lock_claim(txn, ctx, id, &["approved"]).await?;
    let region = Region::parse(&claim.region)?;
    let rows = redemptions::Entity::find()
        .filter(redemptions::Column::ClaimId.eq(id))
        .all(txn)
        .await?;
    for (year, amount) in per_year(&rows)? {
        if amount.is_zero() {
            continue;
        }
        let payable = AccountRef::owned(&region, year, AccountKind::Payable, claim.provider_id);
        let paid = AccountRef::of(&region, year, AccountKind::Paid);
        ledger::post(
            txn,
            &Transfer::between(TransferCode::Pay, payable, paid, amount).claim(id),
            &ctx.stamp(),
        )
        .await?;
    }
    set_status(
        txn,
        id,
        "paid",
        vec![
            (claims::Column::BankReference, Expr::value(bank_reference)),
            (claims::Column::PaidAt, Expr::value(ctx.now)),
        ],
    )
    .await?;
    find(txn, &ctx.actor, id).await
}

/// Completed amounts of redemptions by fiscal year.
fn per_year(rows: &[redemptions::Model]) -> ServiceResult<BTreeMap<i32, Money>> {
    let mut sums: BTreeMap<i32, Money> = BTreeMap::new();
    for r in rows {
        let sum = sums.entry(r.year).or_default();
        *sum = sum
            .checked_add(Money::from_fen(r.completed_amount))
            .ok_or_else(|| ServiceError::Internal("claim amount overflow".into()))?;
    }
    Ok(sums)
}

/// Adds (or, negated, removes) a claim's amounts to its budgets' claimed totals.
async fn count_claimed<C: ConnectionTrait>(
    txn: &C,
    region: &Region,
    rows: &[redemptions::Model],
    sign: i64,
) -> ServiceResult<()> {
    for (year, amount) in per_year(rows)? {
        let delta = if sign < 0 { -amount } else { amount };
        add_to_budget(txn, region, year, budgets::Column::Claimed, delta).await?;
    }
    Ok(())
}

/// Whether the actor may see a claim: its provider and regulators of its region.
fn may_see(actor: &Actor, c: &claims::Model) -> bool {
    match actor.role {
        Role::Provider => c.provider_id == actor.sub,
        Role::Regulator => actor
            .region
            .as_ref()
            .is_some_and(|r| r.as_str() == c.region),
        _ => false,
    }
}

async fn with_redemptions<C: ConnectionTrait>(
    conn: &C,
    rows: Vec<claims::Model>,
) -> ServiceResult<Vec<Claim>> {
    let ids: Vec<Uuid> = rows.iter().map(|c| c.id).collect();
    let links = claim_redemptions::Entity::find()
        .filter(claim_redemptions::Column::ClaimId.is_in(ids))
        .order_by_asc(claim_redemptions::Column::RedemptionId)
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|c| Claim {
            redemption_ids: links
                .iter()
                .filter(|l| l.claim_id == c.id)
                .map(|l| l.redemption_id)
                .collect(),
            id: c.id,
            region: c.region,
            provider_id: c.provider_id,
            invoice_no: c.invoice_no,
            amount: Money::from_fen(c.amount),
            status: c.status,
            reason: c.reason,
            bank_reference: c.bank_reference,
            created_at: c.created_at,
            decided_at: c.decided_at,
            paid_at: c.paid_at,
        })
        .collect())
}

/// One claim the actor may see.
pub async fn find<C: ConnectionTrait>(conn: &C, actor: &Actor, id: Uuid) -> ServiceResult<Claim> {
    let row = claims::Entity::find_by_id(id)
        .one(conn)
        .await?
        .filter(|c| may_see(actor, c))
        .ok_or(DomainError::NotFound)?;
    Ok(with_redemptions(conn, vec![row]).await?.remove(0))
}

/// The claims the actor may see, oldest first.
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    page: PageRequest,
) -> ServiceResult<Page<Claim>> {
    let scope = match (actor.role, &actor.region) {
        (Role::Provider, _) => Condition::all().add(claims::Column::ProviderId.eq(actor.sub)),
        (Role::Regulator, Some(region)) => {
            Condition::all().add(claims::Column::Region.eq(region.as_str()))
        }
        _ => return Err(DomainError::Forbidden("not allowed".into()).into()),
    };
    let mut query = claims::Entity::find().filter(scope);
    if let Some(after) = page.after {
        query = query.filter(claims::Column::Id.gt(after));
    }
    let rows = query
        .order_by_asc(claims::Column::Id)
        .limit(page.limit + 1)
        .all(conn)
        .await?;
    let page_rows = Page::from_rows(rows, page, |c| c.id);
    Ok(Page {
        items: with_redemptions(conn, page_rows.items).await?,
        next_cursor: page_rows.next_cursor,
    })
}
