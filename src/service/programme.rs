//! Budgets (appropriation, reading) and provider admissions.

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Ctx, ServiceResult};
use crate::domain::programme::{join_categories, parse_category, parse_year, split_categories};
use crate::domain::{DomainError, Money, OrgKind, Region};
use crate::ledger::{self, AccountKind, AccountRef, Transfer, TransferCode};
use crate::store::entities::{admissions, budgets, organizations};

/// A region's budget for a fiscal year. `unissued` is what may still be
/// issued: `appropriated − issued + returned`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Budget {
    pub region: String,
    pub year: i32,
    #[schema(value_type = String, example = "1000000.00")]
    pub appropriated: Money,
    /// Face value of every voucher issued.
    #[schema(value_type = String, example = "250000.00")]
    pub issued: Money,
    /// Unused money returned by expired and revoked vouchers.
    #[schema(value_type = String, example = "0.00")]
    pub returned: Money,
    #[schema(value_type = String, example = "750000.00")]
    pub unissued: Money,
}

impl Budget {
    /// The budget row with its unissued balance (the budget account).
    fn new(b: budgets::Model, unissued: Money) -> Self {
        Budget {
            region: b.region,
            year: b.year,
            appropriated: Money::from_fen(b.appropriated),
            issued: Money::from_fen(b.issued),
            returned: Money::from_fen(b.returned),
            unissued,
        }
    }
}

/// Appropriates `amount` to the region's budget for `year` (repeatable; adds up).
pub async fn appropriate<C: ConnectionTrait>(
    txn: &C,
    ctx: &Ctx,
    region: &Region,
    year: i32,
    amount: Money,
) -> ServiceResult<Budget> {
    let year = parse_year(year)?;
    budgets::Entity::insert(budgets::ActiveModel {
        region: Set(region.to_string()),
        year: Set(year),
        appropriated: Set(0),
        issued: Set(0),
        returned: Set(0),
        voucher_seq: Set(0),
        outside_committed: Set(0),
        expired: Set(0),
        revoked: Set(0),
        claimed: Set(0),
        companies_served: Set(0),
        created_at: Set(ctx.now),
    })
    .on_conflict(
        OnConflict::columns([budgets::Column::Region, budgets::Column::Year])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    let outside = AccountRef::of(region, year, AccountKind::Outside);
    let budget = AccountRef::of(region, year, AccountKind::Budget);
    for account in [
        &outside,
        &budget,
        &AccountRef::of(region, year, AccountKind::Paid),
    ] {
        ledger::open_account(txn, account, ctx.now).await?;
    }
    // The budget row before the budget account, as issuance locks them.
    add_to_budget(txn, region, year, budgets::Column::Appropriated, amount).await?;
    ledger::post(
        txn,
        &Transfer::between(TransferCode::Appropriate, outside, budget, amount),
        &ctx.stamp(),
    )
    .await?;
    read(txn, region, year).await
}

/// Adds `amount` to one of a budget's running totals.
pub(crate) async fn add_to_budget<C: ConnectionTrait>(
    txn: &C,
    region: &Region,
    year: i32,
    column: budgets::Column,
    amount: Money,
) -> ServiceResult<()> {
    budgets::Entity::update_many()
        .col_expr(column, Expr::col(column).add(amount.fen()))
        .filter(budgets::Column::Region.eq(region.as_str()))
        .filter(budgets::Column::Year.eq(year))
        .exec(txn)
        .await?;
    Ok(())
}

/// Reads a budget; 404 when nothing was appropriated for that year.
pub async fn read<C: ConnectionTrait>(
    conn: &C,
    region: &Region,
    year: i32,
) -> ServiceResult<Budget> {
    let row = budgets::Entity::find_by_id((region.to_string(), year))
        .one(conn)
        .await?
        .ok_or(DomainError::NotFound)?;
    let account = AccountRef::of(region, year, AccountKind::Budget).id();
    let unissued = ledger::balances(conn, [account])
        .await?
        .get(&account)
        .copied()
        .unwrap_or_default();
    Ok(Budget::new(row, unissued))
}

/// Locks a budget row for the rest of the transaction (issuance).
pub(crate) async fn lock_budget<C: ConnectionTrait>(
    txn: &C,
    region: &Region,
    year: i32,
) -> ServiceResult<Option<budgets::Model>> {
    Ok(budgets::Entity::find_by_id((region.to_string(), year))
        .lock_exclusive()
        .one(txn)
        .await?)
}

/// A provider's admission to a region's programme.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Admission {
    pub region: String,
    pub provider_id: Uuid,
    pub provider_region: String,
    #[schema(example = json!(["testing", "rnd"]))]
    pub categories: Vec<String>,
    pub admitted_at: chrono::DateTime<chrono::Utc>,
}

/// Admits a provider to `region`'s programme for `categories`; admitting
/// again replaces the categories. Returns the admission and whether it is new.
pub async fn admit<C: ConnectionTrait>(
    txn: &C,
    ctx: &Ctx,
    region: &Region,
    provider_id: Uuid,
    categories: &[String],
) -> ServiceResult<(Admission, bool)> {
    if categories.is_empty() {
        return Err(DomainError::field("categories", "admit for at least one category").into());
    }
    let mut parsed = Vec::new();
    for (i, c) in categories.iter().enumerate() {
        let c = parse_category(&format!("categories[{i}]"), c)?;
        if !parsed.contains(&c) {
            parsed.push(c);
        }
    }
    let provider = organizations::Entity::find_by_id(provider_id)
        .one(txn)
        .await?
        .filter(|o| o.kind == OrgKind::Provider.as_str())
        .ok_or(DomainError::NotFound)?;
    let rules = ctx.rules_for(region)?;
    let version = rules.version(ctx.fiscal_year())?;
    rules.check_admission(version, &Region::parse(&provider.region)?, &parsed)?;
    let existing = admissions::Entity::find_by_id((region.to_string(), provider_id))
        .one(txn)
        .await?;
    let stored = join_categories(&parsed);
    let admitted_at = match &existing {
        Some(row) => {
            admissions::Entity::update_many()
                .col_expr(admissions::Column::Categories, Expr::value(stored))
                .col_expr(admissions::Column::UpdatedAt, Expr::value(ctx.now))
                .filter(admissions::Column::Region.eq(region.as_str()))
                .filter(admissions::Column::ProviderId.eq(provider_id))
                .exec(txn)
                .await?;
            row.admitted_at
        }
        None => {
            admissions::Entity::insert(admissions::ActiveModel {
                region: Set(region.to_string()),
                provider_id: Set(provider_id),
                categories: Set(stored),
                admitted_at: Set(ctx.now),
                updated_at: Set(ctx.now),
            })
            .exec_without_returning(txn)
            .await?;
            ctx.now
        }
    };
    let admission = Admission {
        region: region.to_string(),
        provider_id,
        provider_region: provider.region,
        categories: parsed,
        admitted_at,
    };
    Ok((admission, existing.is_none()))
}

/// The categories a provider is admitted for in `region` (none if not admitted).
pub async fn admitted_categories<C: ConnectionTrait>(
    conn: &C,
    region: &Region,
    provider_id: Uuid,
) -> ServiceResult<Option<Vec<String>>> {
    Ok(
        admissions::Entity::find_by_id((region.to_string(), provider_id))
            .one(conn)
            .await?
            .map(|a| split_categories(&a.categories)),
    )
}
