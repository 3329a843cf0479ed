//! Settlement claims: a provider claims completed redemptions of one issuing
//! region with an invoice; the issuer's regulator approves or rejects, then
//! pays — at most once.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder,
};
use serde::Serialize;
use uuid::Uuid;

use super::locks::lock_claim;
use super::{visible, Ctx, Done, Operation, Page, PageRequest, ServiceError, ServiceResult};
use crate::domain::access::{self, Action};
use crate::domain::clock::shanghai_date;
use crate::domain::text;
use crate::domain::{Actor, ClaimStatus, DomainError, Money, RedemptionStatus, Refusal, Region};
use crate::ledger::{AccountKind, AccountRef, Transfer, TransferCode};
use crate::store::entities::{budgets, claim_redemptions, claims, redemptions, vouchers};
use crate::store::is_unique_violation;

/// A settlement claim.
#[derive(Debug, Clone, Serialize)]
pub struct Claim {
    pub id: Uuid,
    /// The issuing region that pays.
    pub region: Region,
    pub provider_id: Uuid,
    pub invoice_no: String,
    pub amount: Money,
    pub status: ClaimStatus,
    pub redemption_ids: Vec<Uuid>,
    pub reason: Option<String>,
    pub bank_reference: Option<String>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub paid_at: Option<DateTime<Utc>>,
}

/// A provider claims settlement of completed redemptions of one issuing
/// region, with an invoice.
///
/// Refusals, in the order they are checked:
/// 1. `forbidden`: the caller is not a service provider.
/// 2. `validation_failed` (`invoice_no`): blank, over 64 characters, or with control,
///    zero-width or bidi characters.
/// 3. `validation_failed` (`redemption_ids`): none, or more than 500.
/// 4. `validation_failed` (`redemption_ids`): a redemption is listed twice.
/// 5. `not_found`: a redemption does not exist or is not at the caller.
/// 6. `invalid_state`: a redemption is not completed.
/// 7. `validation_failed` (`redemption_ids`): the redemptions are of more than one
///    issuing region.
/// 8. `conflict`: a redemption is already in another open or paid claim.
/// 9. `claim_deadline_passed`: today (Asia/Shanghai) is past a voucher's
///    `claim_until` (rule `claim_deadline`).
/// 10. `duplicate_invoice`: a claim not rejected has this invoice number (compared by
///     key; rule `invoice_no`).
/// 11. `conflict`: another claim took one of the redemptions meanwhile.
#[derive(Debug, Clone)]
pub struct SubmitClaim {
    pub redemption_ids: Vec<Uuid>,
    pub invoice_no: String,
}

impl Operation for SubmitClaim {
    type Output = Claim;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<Claim>> {
        access::permit(&ctx.actor, Action::SubmitClaim)?;
        let claim = submit(txn, ctx, &self.redemption_ids, &self.invoice_no).await?;
        Done::recorded(claim, "claim.submit", "claim")
    }
}

async fn submit<C: ConnectionTrait>(
    txn: &C,
    ctx: &Ctx,
    redemption_ids: &[Uuid],
    invoice_no: &str,
) -> ServiceResult<Claim> {
    let invoice_no = text::clean("invoice_no", invoice_no, 64)?;
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
    if let Some(r) = rows
        .iter()
        .find(|r| r.status != RedemptionStatus::Completed)
    {
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
        .with_rule(
            ctx.rule("claim_deadline", &v.region, v.year)
                .limit(v.claim_until)
                .requested(today),
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
        invoice_key: Set(text::key(&invoice_no)),
        invoice_no: Set(invoice_no.clone()),
        amount: Set(amount.fen()),
        status: Set(ClaimStatus::Submitted),
        reason: Set(None),
        bank_reference: Set(None),
        created_at: Set(ctx.now),
        decided_at: Set(None),
        paid_at: Set(None),
        settlement_item_id: Set(None),
    })
    .exec_without_returning(txn)
    .await;
    match inserted {
        Err(e) if is_unique_violation(&e) => {
            return Err(DomainError::refused(
                Refusal::DuplicateInvoice,
                "this invoice number was already claimed",
            )
            .with_rule(
                ctx.rule("invoice_no", &rows[0].region, rows[0].year)
                    .requested(invoice_no),
            )
            .into())
        }
        other => {
            other?;
        }
    }
    count_claimed(txn, &rows[0].region, &rows, 1).await?;
    // Take the redemptions only if nobody took them meanwhile.
    let taken = redemptions::Entity::update_many()
        .col_expr(redemptions::Column::ClaimId, Expr::value(id))
        .filter(redemptions::Column::Id.is_in(ids.clone()))
        .filter(redemptions::Column::ClaimId.is_null())
        .filter(redemptions::Column::Status.eq(RedemptionStatus::Completed))
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

/// Refuses a decision on a claim a settlement run is paying (its run must
/// be cancelled first, or the bank must send it back).
pub(super) fn outside_runs(claim: &claims::Model) -> ServiceResult<()> {
    match claim.settlement_item_id {
        None => Ok(()),
        Some(item) => Err(DomainError::refused(
            Refusal::InvalidState,
            format!(
                "the claim is being paid by a settlement run (item {item}): cancel the run \
                 first, or wait for the bank's answer"
            ),
        )
        .into()),
    }
}

async fn set_status<C: ConnectionTrait>(
    txn: &C,
    id: Uuid,
    status: ClaimStatus,
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
///
/// Refusals, in the order they are checked:
/// 1. `forbidden`: the caller is not a regulator.
/// 2. `not_found`: the claim does not exist or is of another region.
/// 3. `invalid_state`: the claim is not submitted (approved, rejected or
///    paid), or lacks a document the policy requires (rule
///    `claim_documents`: `requested` the missing, `allowed` all required).
#[derive(Debug, Clone)]
pub struct ApproveClaim {
    pub id: Uuid,
}

impl Operation for ApproveClaim {
    type Output = Claim;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<Claim>> {
        let id = self.id;
        let claim = lock_claim(txn, ctx, id, &[ClaimStatus::Submitted]).await?;
        super::evidence::required(txn, ctx, &claim).await?;
        set_status(
            txn,
            id,
            ClaimStatus::Approved,
            vec![(claims::Column::DecidedAt, Expr::value(ctx.now))],
        )
        .await?;
        Done::recorded(find(txn, &ctx.actor, id).await?, "claim.approve", "claim")
    }
}

/// The issuer's regulator rejects a claim not yet paid; its redemptions may
/// be claimed again.
///
/// Refusals, in the order they are checked:
/// 1. `validation_failed` (`reason`): blank, over 1000 characters, or with control
///    (other than line breaks), zero-width or bidi characters.
/// 2. `forbidden`: the caller is not a regulator.
/// 3. `not_found`: the claim does not exist or is of another region.
/// 4. `invalid_state`: the claim is already rejected or paid.
#[derive(Debug, Clone)]
pub struct RejectClaim {
    pub id: Uuid,
    pub reason: String,
}

impl Operation for RejectClaim {
    type Output = Claim;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<Claim>> {
        let claim = reject(txn, ctx, self.id, &self.reason).await?;
        Done::recorded(claim, "claim.reject", "claim")
    }
}

async fn reject<C: ConnectionTrait>(
    txn: &C,
    ctx: &Ctx,
    id: Uuid,
    reason: &str,
) -> ServiceResult<Claim> {
    let reason = text::clean_multiline("reason", reason, 1000)?;
    let claim = lock_claim(
        txn,
        ctx,
        id,
        &[ClaimStatus::Submitted, ClaimStatus::Approved],
    )
    .await?;
    outside_runs(&claim)?;
    let rows = redemptions::Entity::find()
        .filter(redemptions::Column::ClaimId.eq(id))
        .all(txn)
        .await?;
    count_claimed(txn, &claim.region, &rows, -1).await?;
    set_status(
        txn,
        id,
        ClaimStatus::Rejected,
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

/// Pays an approved claim now (its checks run again under the lock),
/// recorded as a closed run of one payment
/// ([`super::settlement::manual`]); the decision, under four eyes, is
/// [`super::payments::PayClaim`].
pub(super) async fn pay<C: ConnectionTrait>(
    txn: &C,
    ctx: &Ctx,
    id: Uuid,
    bank_reference: &str,
) -> ServiceResult<Claim> {
    let bank_reference = text::clean("bank_reference", bank_reference, 128)?;
    let claim = lock_claim(txn, ctx, id, &[ClaimStatus::Approved]).await?;
    outside_runs(&claim)?;
    super::notices::paid_in_runs(ctx, &claim.region)?;
    let region = claim.region.clone();
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
        ctx.post(
            txn,
            Transfer::between(TransferCode::Pay, payable, paid, amount).claim(id),
        )
        .await?;
    }
    set_status(
        txn,
        id,
        ClaimStatus::Paid,
        vec![
            (
                claims::Column::BankReference,
                Expr::value(bank_reference.clone()),
            ),
            (claims::Column::PaidAt, Expr::value(ctx.now)),
        ],
    )
    .await?;
    super::settlement::manual::record(txn, ctx, &claim, &bank_reference).await?;
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
        let delta = if sign < 0 {
            -amount.fen()
        } else {
            amount.fen()
        };
        budgets::Entity::update_many()
            .col_expr(
                budgets::Column::Claimed,
                Expr::col(budgets::Column::Claimed).add(delta),
            )
            .filter(budgets::Column::Region.eq(region.clone()))
            .filter(budgets::Column::Year.eq(year))
            .exec(txn)
            .await?;
    }
    Ok(())
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
    let row = visible::find::<claims::Entity, _>(conn, actor, id).await?;
    Ok(with_redemptions(conn, vec![row]).await?.remove(0))
}

/// The claims the actor may see, oldest first.
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    page: PageRequest,
) -> ServiceResult<Page<Claim>> {
    let rows = visible::list::<claims::Entity, _>(conn, actor, page).await?;
    Ok(Page {
        items: with_redemptions(conn, rows.items).await?,
        next_cursor: rows.next_cursor,
    })
}
