//! Applications, the vouchers they become, and revocation.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::programme::{add_to_budget, lock_budget};
use super::{required_text, Ctx, Page, PageRequest, ServiceError, ServiceResult};
use crate::domain::programme::parse_year;
use crate::domain::{Actor, CompanyType, DomainError, Money, OrgKind, Refusal, Region, Role};
use crate::ledger::{self, AccountKind, AccountRef, Stamp, Transfer, TransferCode};
use crate::rules::IssuanceFacts;
use crate::store::entities::{applications, budgets, organizations, vouchers};

/// A company's application for a voucher.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Application {
    pub id: Uuid,
    pub company_id: Uuid,
    pub region: String,
    pub year: i32,
    #[schema(value_type = String, example = "100000.00")]
    pub amount: Money,
    pub purpose: String,
    /// `submitted`, `approved` or `rejected`.
    pub status: String,
    pub reason: Option<String>,
    pub voucher_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

impl From<applications::Model> for Application {
    fn from(a: applications::Model) -> Self {
        Application {
            id: a.id,
            company_id: a.company_id,
            region: a.region,
            year: a.year,
            amount: Money::from_fen(a.amount),
            purpose: a.purpose,
            status: a.status,
            reason: a.reason,
            voucher_id: a.voucher_id,
            created_at: a.created_at,
            decided_at: a.decided_at,
        }
    }
}

/// A voucher with its balances. `face_value = available + held + redeemed +
/// expired + revoked`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Voucher {
    pub id: Uuid,
    #[schema(example = "JX-2026-000042")]
    pub serial: String,
    pub region: String,
    pub year: i32,
    pub holder_id: Uuid,
    /// `active`, `exhausted`, `expired` or `revoked`.
    pub status: String,
    #[schema(value_type = String, example = "100000.00")]
    pub face_value: Money,
    #[schema(value_type = String)]
    pub available: Money,
    #[schema(value_type = String)]
    pub held: Money,
    #[schema(value_type = String)]
    pub redeemed: Money,
    #[schema(value_type = String)]
    pub expired: Money,
    #[schema(value_type = String)]
    pub revoked: Money,
    /// Last day for new holds (Asia/Shanghai).
    pub use_until: NaiveDate,
    /// Last day for completions and claims (Asia/Shanghai).
    pub claim_until: NaiveDate,
    pub issued_at: DateTime<Utc>,
}

/// A voucher's stored state: `active`, `expired` or `revoked` (exhausted is
/// an active voucher with nothing available or held).
pub const ACTIVE: &str = "active";
pub const EXPIRED: &str = "expired";
pub const REVOKED: &str = "revoked";

/// The two accounts of a voucher.
pub fn voucher_accounts(v: &vouchers::Model) -> ServiceResult<(AccountRef, AccountRef)> {
    let region = Region::parse(&v.region)?;
    Ok((
        AccountRef::owned(&region, v.year, AccountKind::Voucher, v.id),
        AccountRef::owned(&region, v.year, AccountKind::Hold, v.id),
    ))
}

/// Adds balances to voucher rows.
pub async fn with_balances<C: ConnectionTrait>(
    conn: &C,
    rows: Vec<vouchers::Model>,
) -> ServiceResult<Vec<Voucher>> {
    let mut ids = Vec::with_capacity(rows.len() * 2);
    for v in &rows {
        let (available, held) = voucher_accounts(v)?;
        ids.push(available.id());
        ids.push(held.id());
    }
    let balances = ledger::balances(conn, ids).await?;
    rows.into_iter()
        .map(|v| {
            let (a, h) = voucher_accounts(&v)?;
            let available = balances.get(&a.id()).copied().unwrap_or_default();
            let held = balances.get(&h.id()).copied().unwrap_or_default();
            let status = if v.state == ACTIVE && available.is_zero() && held.is_zero() {
                "exhausted".to_owned()
            } else {
                v.state.clone()
            };
            Ok(Voucher {
                id: v.id,
                serial: v.serial,
                region: v.region,
                year: v.year,
                holder_id: v.holder_id,
                status,
                face_value: Money::from_fen(v.face_value),
                available,
                held,
                redeemed: Money::from_fen(v.redeemed),
                expired: Money::from_fen(v.expired),
                revoked: Money::from_fen(v.revoked),
                use_until: v.use_until,
                claim_until: v.claim_until,
                issued_at: v.issued_at,
            })
        })
        .collect()
}

/// Submits an application for a voucher of the company's own region.
pub async fn submit<C: ConnectionTrait>(
    txn: &C,
    ctx: &Ctx,
    region: &Region,
    year: i32,
    amount: Money,
    purpose: &str,
) -> ServiceResult<Application> {
    let year = parse_year(year)?;
    let purpose = required_text("purpose", purpose, 2000)?;
    let this_year = ctx.fiscal_year();
    if year < this_year || year > this_year + 1 {
        return Err(DomainError::field(
            "year",
            "applications are for this fiscal year or the next",
        )
        .into());
    }
    let rules = ctx
        .rules_for(region)
        .map_err(|_| DomainError::field("region", format!("{region} is not an issuing region")))?;
    let company_region = ctx.actor.region.as_ref().ok_or(DomainError::NotFound)?;
    rules.check_application(rules.version(year)?, company_region)?;
    let row = applications::ActiveModel {
        id: Set(Uuid::now_v7()),
        company_id: Set(ctx.actor.sub),
        region: Set(region.to_string()),
        year: Set(year),
        amount: Set(amount.fen()),
        purpose: Set(purpose),
        status: Set("submitted".into()),
        reason: Set(None),
        voucher_id: Set(None),
        created_at: Set(ctx.now),
        decided_at: Set(None),
    };
    let model = applications::Entity::insert(row)
        .exec_with_returning(txn)
        .await?;
    Ok(model.into())
}

/// Locks a submitted application of the regulator's region.
async fn lock_submitted<C: ConnectionTrait>(
    txn: &C,
    actor: &Actor,
    id: Uuid,
) -> ServiceResult<applications::Model> {
    let app = applications::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?
        .filter(|a| may_see_application(actor, a))
        .ok_or(DomainError::NotFound)?;
    if app.status != "submitted" {
        return Err(DomainError::refused(
            Refusal::InvalidState,
            format!("the application is already {}", app.status),
        )
        .into());
    }
    Ok(app)
}

fn may_see_application(actor: &Actor, a: &applications::Model) -> bool {
    match actor.role {
        Role::Company => a.company_id == actor.sub,
        Role::Regulator => actor
            .region
            .as_ref()
            .is_some_and(|r| r.as_str() == a.region),
        _ => false,
    }
}

/// Approves an application: issues a voucher of `amount` (default: the
/// amount requested) from the region's unissued budget.
pub async fn approve<C: ConnectionTrait>(
    txn: &C,
    ctx: &Ctx,
    id: Uuid,
    amount: Option<Money>,
) -> ServiceResult<Voucher> {
    let app = lock_submitted(txn, &ctx.actor, id).await?;
    let requested = Money::from_fen(app.amount);
    let amount = amount.unwrap_or(requested);
    if amount > requested {
        return Err(
            DomainError::field("amount", format!("at most the {requested} requested")).into(),
        );
    }
    let region = Region::parse(&app.region)?;
    let budget = lock_budget(txn, &region, app.year).await?.ok_or_else(|| {
        DomainError::refused(
            Refusal::BudgetExceeded,
            format!("no budget appropriated for {region} {}", app.year),
        )
    })?;
    // With the budget row locked, issuance in this region and year is serial,
    // so what was issued before cannot change under the cap check.
    let rules = ctx.rules_for(&region)?;
    let version = rules.version(app.year)?;
    let company = organizations::Entity::find_by_id(app.company_id)
        .one(txn)
        .await?
        .ok_or_else(|| ServiceError::Internal(format!("application {} without company", app.id)))?;
    let company_type = company
        .company_type
        .as_deref()
        .and_then(|t| t.parse::<CompanyType>().ok())
        .ok_or_else(|| ServiceError::Internal(format!("company {} without type", company.id)))?;
    let facts = IssuanceFacts {
        company_type,
        already_issued: issued_to_controller(txn, &region, app.year, &company).await?,
        amount,
    };
    rules.check_issuance(version, &facts)?;
    let voucher_id = Uuid::now_v7();
    let available = AccountRef::owned(&region, app.year, AccountKind::Voucher, voucher_id);
    let held = AccountRef::owned(&region, app.year, AccountKind::Hold, voucher_id);
    ledger::open_account(txn, &available, ctx.now).await?;
    ledger::open_account(txn, &held, ctx.now).await?;
    let from = AccountRef::of(&region, app.year, AccountKind::Budget);
    ledger::post(
        txn,
        &Transfer::between(TransferCode::Issue, from, available, amount).voucher(voucher_id),
        &ctx.stamp(),
    )
    .await?;
    // A company served for the first time this year counts once.
    let earlier = vouchers::Entity::find()
        .filter(vouchers::Column::HolderId.eq(app.company_id))
        .filter(vouchers::Column::Region.eq(region.as_str()))
        .filter(vouchers::Column::Year.eq(app.year))
        .count(txn)
        .await?;
    if earlier == 0 {
        budgets::Entity::update_many()
            .col_expr(
                budgets::Column::CompaniesServed,
                Expr::col(budgets::Column::CompaniesServed).add(1),
            )
            .filter(budgets::Column::Region.eq(region.as_str()))
            .filter(budgets::Column::Year.eq(app.year))
            .exec(txn)
            .await?;
    }
    let seq = budget.voucher_seq + 1;
    budgets::Entity::update_many()
        .col_expr(budgets::Column::VoucherSeq, Expr::value(seq))
        .col_expr(
            budgets::Column::Issued,
            Expr::col(budgets::Column::Issued).add(amount.fen()),
        )
        .filter(budgets::Column::Region.eq(region.as_str()))
        .filter(budgets::Column::Year.eq(app.year))
        .exec(txn)
        .await?;
    let deadlines = version.deadlines(app.year);
    let voucher = vouchers::Entity::insert(vouchers::ActiveModel {
        id: Set(voucher_id),
        serial: Set(format!("{region}-{}-{seq:06}", app.year)),
        region: Set(region.to_string()),
        year: Set(app.year),
        holder_id: Set(app.company_id),
        application_id: Set(app.id),
        face_value: Set(amount.fen()),
        redeemed: Set(0),
        expired: Set(0),
        revoked: Set(0),
        state: Set(ACTIVE.into()),
        use_until: Set(deadlines.use_until),
        claim_until: Set(deadlines.claim_until),
        issued_at: Set(ctx.now),
        revoked_reason: Set(None),
    })
    .exec_with_returning(txn)
    .await?;
    applications::Entity::update_many()
        .col_expr(applications::Column::Status, Expr::value("approved"))
        .col_expr(applications::Column::VoucherId, Expr::value(voucher_id))
        .col_expr(applications::Column::DecidedAt, Expr::value(ctx.now))
        .filter(applications::Column::Id.eq(app.id))
        .exec(txn)
        .await?;
    Ok(with_balances(txn, vec![voucher]).await?.remove(0))
}

/// What was issued in `region` and `year` to the company and to every company
/// with the same actual controller, net of revocations.
async fn issued_to_controller<C: ConnectionTrait>(
    txn: &C,
    region: &Region,
    year: i32,
    company: &organizations::Model,
) -> ServiceResult<Money> {
    let mut holders = vec![company.id];
    if let Some(controller) = company.actual_controller.as_deref() {
        let related = organizations::Entity::find()
            .select_only()
            .column(organizations::Column::Id)
            .filter(organizations::Column::Kind.eq(OrgKind::Company.as_str()))
            .filter(organizations::Column::ActualController.eq(controller))
            .into_tuple::<Uuid>()
            .all(txn)
            .await?;
        holders.extend(related);
    }
    let issued = vouchers::Entity::find()
        .filter(vouchers::Column::Region.eq(region.as_str()))
        .filter(vouchers::Column::Year.eq(year))
        .filter(vouchers::Column::HolderId.is_in(holders))
        .all(txn)
        .await?;
    let mut total = Money::ZERO;
    for v in issued {
        let net = Money::from_fen(v.face_value).checked_sub(Money::from_fen(v.revoked));
        total = net
            .and_then(|net| total.checked_add(net))
            .ok_or_else(|| ServiceError::Internal("issued total overflow".into()))?;
    }
    Ok(total)
}

/// Rejects an application with a reason.
pub async fn reject<C: ConnectionTrait>(
    txn: &C,
    ctx: &Ctx,
    id: Uuid,
    reason: &str,
) -> ServiceResult<Application> {
    let reason = required_text("reason", reason, 1000)?;
    let app = lock_submitted(txn, &ctx.actor, id).await?;
    applications::Entity::update_many()
        .col_expr(applications::Column::Status, Expr::value("rejected"))
        .col_expr(applications::Column::Reason, Expr::value(reason))
        .col_expr(applications::Column::DecidedAt, Expr::value(ctx.now))
        .filter(applications::Column::Id.eq(app.id))
        .exec(txn)
        .await?;
    find_application(txn, &ctx.actor, id).await
}

/// One application the actor may see.
pub async fn find_application<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    id: Uuid,
) -> ServiceResult<Application> {
    applications::Entity::find_by_id(id)
        .one(conn)
        .await?
        .filter(|a| may_see_application(actor, a))
        .map(Application::from)
        .ok_or_else(|| DomainError::NotFound.into())
}

/// The applications the actor may see, oldest first.
pub async fn list_applications<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    page: PageRequest,
) -> ServiceResult<Page<Application>> {
    let scope = match actor.role {
        Role::Company => Condition::all().add(applications::Column::CompanyId.eq(actor.sub)),
        _ => Condition::all().add(applications::Column::Region.eq(region_of(actor)?)),
    };
    let mut query = applications::Entity::find().filter(scope);
    if let Some(after) = page.after {
        query = query.filter(applications::Column::Id.gt(after));
    }
    let rows = query
        .order_by_asc(applications::Column::Id)
        .limit(page.limit + 1)
        .all(conn)
        .await?;
    Ok(Page::from_rows(rows, page, |a| a.id).map(Application::from))
}

fn region_of(actor: &Actor) -> ServiceResult<String> {
    actor
        .region
        .as_ref()
        .map(Region::to_string)
        .ok_or_else(|| DomainError::Forbidden("no region".into()).into())
}

/// Whether the actor may see a voucher: its holder and regulators of its region.
pub fn may_see_voucher(actor: &Actor, v: &vouchers::Model) -> bool {
    match actor.role {
        Role::Company => v.holder_id == actor.sub,
        Role::Regulator => actor
            .region
            .as_ref()
            .is_some_and(|r| r.as_str() == v.region),
        _ => false,
    }
}

/// One voucher the actor may see.
pub async fn find_voucher<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    id: Uuid,
) -> ServiceResult<Voucher> {
    let row = vouchers::Entity::find_by_id(id)
        .one(conn)
        .await?
        .filter(|v| may_see_voucher(actor, v))
        .ok_or(DomainError::NotFound)?;
    Ok(with_balances(conn, vec![row]).await?.remove(0))
}

/// The vouchers the actor may see, oldest first.
pub async fn list_vouchers<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    page: PageRequest,
) -> ServiceResult<Page<Voucher>> {
    let scope = match actor.role {
        Role::Company => Condition::all().add(vouchers::Column::HolderId.eq(actor.sub)),
        _ => Condition::all().add(vouchers::Column::Region.eq(region_of(actor)?)),
    };
    let mut query = vouchers::Entity::find().filter(scope);
    if let Some(after) = page.after {
        query = query.filter(vouchers::Column::Id.gt(after));
    }
    let rows = query
        .order_by_asc(vouchers::Column::Id)
        .limit(page.limit + 1)
        .all(conn)
        .await?;
    let page_rows = Page::from_rows(rows, page, |v| v.id);
    Ok(Page {
        items: with_balances(conn, page_rows.items).await?,
        next_cursor: page_rows.next_cursor,
    })
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

/// How unused money leaves a voucher for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closing {
    Expire,
    Revoke,
}

/// Returns `amount` of a voucher's available balance to the budget, counted
/// as expired or revoked on the voucher.
pub async fn return_to_budget<C: ConnectionTrait>(
    txn: &C,
    v: &vouchers::Model,
    amount: Money,
    closing: Closing,
    stamp: &Stamp,
) -> ServiceResult<()> {
    if amount.is_zero() {
        return Ok(());
    }
    let region = Region::parse(&v.region)?;
    let (available, _) = voucher_accounts(v)?;
    let budget = AccountRef::of(&region, v.year, AccountKind::Budget);
    let (code, column) = match closing {
        Closing::Expire => (TransferCode::Expire, vouchers::Column::Expired),
        Closing::Revoke => (TransferCode::Revoke, vouchers::Column::Revoked),
    };
    // The budget row before the budget account, as issuance locks them.
    let total = match closing {
        Closing::Expire => budgets::Column::Expired,
        Closing::Revoke => budgets::Column::Revoked,
    };
    add_to_budget(txn, &region, v.year, budgets::Column::Returned, amount).await?;
    add_to_budget(txn, &region, v.year, total, amount).await?;
    ledger::post(
        txn,
        &Transfer::between(code, available, budget, amount).voucher(v.id),
        stamp,
    )
    .await?;
    vouchers::Entity::update_many()
        .col_expr(column, Expr::col(column).add(amount.fen()))
        .filter(vouchers::Column::Id.eq(v.id))
        .exec(txn)
        .await?;
    Ok(())
}

/// Revokes an active voucher: its available balance returns to the budget;
/// open holds stay and may still complete (what they release returns too).
pub async fn revoke<C: ConnectionTrait>(
    txn: &C,
    ctx: &Ctx,
    id: Uuid,
    reason: &str,
) -> ServiceResult<Voucher> {
    let reason = required_text("reason", reason, 1000)?;
    let v = lock_voucher(txn, id)
        .await?
        .filter(|v| may_see_voucher(&ctx.actor, v))
        .ok_or(DomainError::NotFound)?;
    if v.state != ACTIVE {
        return Err(DomainError::refused(
            Refusal::InvalidState,
            format!("the voucher is {}", v.state),
        )
        .into());
    }
    close(txn, &v, Closing::Revoke, &ctx.stamp()).await?;
    vouchers::Entity::update_many()
        .col_expr(vouchers::Column::RevokedReason, Expr::value(reason))
        .filter(vouchers::Column::Id.eq(v.id))
        .exec(txn)
        .await?;
    find_voucher(txn, &ctx.actor, id).await
}

/// Closes a locked active voucher for good: its whole available balance
/// returns to the budget and it becomes expired or revoked. Open holds stay;
/// what they release later follows the same way.
pub async fn close<C: ConnectionTrait>(
    txn: &C,
    v: &vouchers::Model,
    closing: Closing,
    stamp: &Stamp,
) -> ServiceResult<()> {
    let (available, _) = voucher_accounts(v)?;
    let balance = ledger::balances(txn, [available.id()])
        .await?
        .get(&available.id())
        .copied()
        .unwrap_or_default();
    return_to_budget(txn, v, balance, closing, stamp).await?;
    let state = match closing {
        Closing::Expire => EXPIRED,
        Closing::Revoke => REVOKED,
    };
    vouchers::Entity::update_many()
        .col_expr(vouchers::Column::State, Expr::value(state))
        .filter(vouchers::Column::Id.eq(v.id))
        .exec(txn)
        .await?;
    Ok(())
}

/// The organisation behind an id, if it is of `kind`.
pub async fn organization_of_kind<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    kind: crate::domain::OrgKind,
) -> ServiceResult<Option<organizations::Model>> {
    Ok(organizations::Entity::find_by_id(id)
        .one(conn)
        .await?
        .filter(|o| o.kind == kind.as_str()))
}
