//! Every row lock a use case takes (`SELECT … FOR UPDATE`; a no-op on
//! SQLite, whose write transaction already excludes other writers), so the
//! order they are taken in can be read in one place. Within a transaction:
//!
//! 0. a company submitting an application ([`lock_company`]: nothing else
//!    is locked in that transaction);
//! 1. vouchers — one, or a chunk in id order ([`lock_voucher`],
//!    [`lock_voucher_and_admission`], [`lock_vouchers`]);
//! 2. then a redemption of such a voucher ([`lock_held`], [`lock_if_held`]);
//! 3. applications ([`lock_submitted`]), then
//! 4. a region-year's budget row ([`lock_budget`]), always before that
//!    region-year's ledger accounts (which `ledger::post` moves);
//! 5. claims ([`lock_claim`]);
//! 6. last, the region's audit chain head (`audit::append`), and at the
//!    commit the running totals (`engine::tail`).
//!
//! Locks that also decide who may act (`lock_held`, `lock_submitted`,
//! `lock_claim`) ask `domain::access` before and after reading the row, so
//! a caller without a stake learns nothing (404).

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::visible::Owned;
use super::{Ctx, ServiceError, ServiceResult};
use crate::domain::access::{self, Action};
use crate::domain::review::ReviewLevel;
use crate::domain::{
    Actor, ApplicationStatus, ClaimStatus, DomainError, RedemptionStatus, Refusal, Region,
};
use crate::store::entities::{applications, budgets, claims, organizations, redemptions, vouchers};

/// Locks a company's row for the rest of the transaction: its
/// applications are submitted one at a time (taken first, before anything
/// else the submission reads).
pub async fn lock_company<C: ConnectionTrait>(
    txn: &C,
    id: Uuid,
) -> ServiceResult<Option<organizations::Model>> {
    Ok(organizations::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?)
}

/// Locks a voucher for the rest of the transaction.
pub async fn lock_voucher<C: ConnectionTrait>(
    txn: &C,
    id: Uuid,
) -> ServiceResult<Option<vouchers::Model>> {
    Ok(vouchers::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?)
}

/// A voucher row and the categories its region admits a provider for.
#[derive(Debug, sea_orm::FromQueryResult)]
pub struct VoucherAndAdmission {
    #[sea_orm(nested)]
    pub voucher: vouchers::Model,
    /// The admission's stored categories; none if not admitted.
    pub admitted: Option<String>,
}

/// Locks a voucher row as [`lock_voucher`] does, reading in the same
/// statement whether its region admits `provider_id` (and for what).
pub async fn lock_voucher_and_admission<C: ConnectionTrait>(
    txn: &C,
    id: Uuid,
    provider_id: Uuid,
) -> ServiceResult<Option<VoucherAndAdmission>> {
    use crate::store::entities::admissions::{self, Column as A};
    use sea_orm::sea_query::{Expr, ExprTrait, Query, QueryStatementBuilder};
    let admitted = Query::select()
        .column(A::Categories)
        .from(admissions::Entity)
        .and_where(
            Expr::col((admissions::Entity, A::Region))
                .equals((vouchers::Entity, vouchers::Column::Region)),
        )
        .and_where(Expr::col((admissions::Entity, A::ProviderId)).eq(provider_id))
        .to_owned();
    Ok(vouchers::Entity::find_by_id(id)
        .expr_as(
            Expr::SubQuery(None, Box::new(admitted.into_sub_query_statement())),
            "admitted",
        )
        .lock_exclusive()
        .into_model::<VoucherAndAdmission>()
        .one(txn)
        .await?)
}

/// Locks a held redemption the actor may resolve with `action`, and its
/// voucher (voucher first, always).
pub async fn lock_held<C: ConnectionTrait>(
    txn: &C,
    actor: &Actor,
    action: Action,
    id: Uuid,
) -> ServiceResult<(redemptions::Model, vouchers::Model)> {
    access::permit(actor, action)?;
    let found = redemptions::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or(DomainError::NotFound)?;
    access::authorize(actor, action, &redemptions::Entity::stake(&found))?;
    let v = lock_voucher(txn, found.voucher_id)
        .await?
        .ok_or_else(|| ServiceError::Internal(format!("redemption {id} without voucher")))?;
    let r = redemptions::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or(DomainError::NotFound)?;
    if r.status != RedemptionStatus::Held {
        return Err(DomainError::refused(
            Refusal::InvalidState,
            format!("the redemption is {}", r.status),
        )
        .into());
    }
    Ok((r, v))
}

/// Locks a submitted application the actor may decide at the region's
/// level (after its district's review, where there is one).
pub async fn lock_submitted<C: ConnectionTrait>(
    txn: &C,
    actor: &Actor,
    id: Uuid,
) -> ServiceResult<applications::Model> {
    let app = lock_application(txn, actor, Action::DecideApplication, id).await?;
    if app.level == ReviewLevel::District {
        return Err(DomainError::refused(
            Refusal::InvalidState,
            format!(
                "the application waits for the first-level review of district {}",
                app.district.as_deref().unwrap_or("?")
            ),
        )
        .into());
    }
    Ok(app)
}

/// Locks a submitted application waiting for the first-level review of
/// the actor's district.
pub async fn lock_for_review<C: ConnectionTrait>(
    txn: &C,
    actor: &Actor,
    id: Uuid,
) -> ServiceResult<applications::Model> {
    let app = lock_application(txn, actor, Action::ReviewApplication, id).await?;
    if app.level != ReviewLevel::District {
        return Err(DomainError::refused(
            Refusal::InvalidState,
            "the district has already recommended the application",
        )
        .into());
    }
    Ok(app)
}

/// Locks a submitted application the actor may do `action` to.
async fn lock_application<C: ConnectionTrait>(
    txn: &C,
    actor: &Actor,
    action: Action,
    id: Uuid,
) -> ServiceResult<applications::Model> {
    access::permit(actor, action)?;
    let app = applications::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or(DomainError::NotFound)?;
    access::authorize(actor, action, &applications::Entity::stake(&app))?;
    waiting(&app)?;
    Ok(app)
}

/// Refuses an application already approved or rejected.
fn waiting(app: &applications::Model) -> Result<(), DomainError> {
    if app.status != ApplicationStatus::Submitted {
        return Err(DomainError::refused(
            Refusal::InvalidState,
            format!("the application is already {}", app.status),
        ));
    }
    Ok(())
}

/// Locks a budget row for the rest of the transaction. Issuance and the
/// cross-region check lock it before any account of the region-year.
pub async fn lock_budget<C: ConnectionTrait>(
    txn: &C,
    region: &Region,
    year: i32,
) -> ServiceResult<Option<budgets::Model>> {
    Ok(budgets::Entity::find_by_id((region.clone(), year))
        .lock_exclusive()
        .one(txn)
        .await?)
}

/// Locks a claim the actor may decide, in one of `states`.
pub async fn lock_claim<C: ConnectionTrait>(
    txn: &C,
    ctx: &Ctx,
    id: Uuid,
    states: &[ClaimStatus],
) -> ServiceResult<claims::Model> {
    access::permit(&ctx.actor, Action::DecideClaim)?;
    let claim = claims::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or(DomainError::NotFound)?;
    access::authorize(
        &ctx.actor,
        Action::DecideClaim,
        &claims::Entity::stake(&claim),
    )?;
    if !states.contains(&claim.status) {
        return Err(DomainError::refused(
            Refusal::InvalidState,
            format!("the claim is {}", claim.status),
        )
        .into());
    }
    Ok(claim)
}

/// Locks a chunk of vouchers, in id order (the expiry job).
pub async fn lock_vouchers<C: ConnectionTrait>(
    txn: &C,
    mut ids: Vec<Uuid>,
) -> ServiceResult<Vec<vouchers::Model>> {
    ids.sort();
    ids.dedup();
    Ok(vouchers::Entity::find()
        .filter(vouchers::Column::Id.is_in(ids))
        .order_by_asc(vouchers::Column::Id)
        .lock_exclusive()
        .all(txn)
        .await?)
}

/// Locks a redemption if it is still held (after its voucher); false when
/// it was resolved meanwhile.
pub async fn lock_if_held<C: ConnectionTrait>(txn: &C, id: Uuid) -> ServiceResult<bool> {
    Ok(redemptions::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?
        .is_some_and(|r| r.status == RedemptionStatus::Held))
}
