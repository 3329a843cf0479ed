//! A region's budget per fiscal year, and the budgets of the district
//! funds below it: appropriation and reading. The region's figures add its
//! funds up.

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder,
};
use serde::Serialize;
use uuid::Uuid;

use super::{Ctx, Done, Operation, Recorded, ServiceResult, Short};
use crate::domain::access::{self, Action};
use crate::domain::programme::parse_year;
use crate::domain::{Actor, Amount, DomainError, Money, Region};
use crate::ledger::{self, AccountKind, AccountRef, Transfer, TransferCode};
use crate::store::entities::{budgets, fund_budgets};

/// A region's budget for a fiscal year, its district funds' included.
/// `unissued` is what may still be issued: `appropriated − issued +
/// returned`.
#[derive(Debug, Clone, Serialize)]
pub struct Budget {
    pub region: Region,
    pub year: i32,
    pub appropriated: Money,
    /// Face value of every voucher issued.
    pub issued: Money,
    /// Unused money returned by expired and revoked vouchers.
    pub returned: Money,
    pub unissued: Money,
    /// The district funds' parts of these figures, by district code.
    pub funds: Vec<FundBudget>,
}

/// A district fund's budget for a fiscal year (part of its region's).
#[derive(Debug, Clone, Serialize)]
pub struct FundBudget {
    /// The district's code.
    pub fund: String,
    pub appropriated: Money,
    pub issued: Money,
    pub returned: Money,
    pub unissued: Money,
}

impl Recorded for Budget {
    fn audit_region(&self) -> &Region {
        &self.region
    }
    fn audit_id(&self) -> String {
        format!("{}-{}", self.region, self.year)
    }
}

/// Appropriates `amount` to a region's budget for `year`, or to the
/// budget of one of its district funds (repeatable; adds up).
///
/// Refusals, in the order they are checked:
/// 1. `not_found`: `region` is not an issuing region.
/// 2. `forbidden`: the caller is not a regulator, or regulates another region.
/// 3. `validation_failed` (`year`): not a fiscal year between 2000 and 2100.
/// 4. `validation_failed` (`fund`): not a district of the region that runs
///    a fund.
#[derive(Debug, Clone)]
pub struct Appropriate {
    pub region: Region,
    pub year: i32,
    pub amount: Amount,
    /// The district whose fund receives it; none: the region's own budget.
    pub fund: Option<String>,
}

impl Operation for Appropriate {
    type Output = Budget;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<Budget>> {
        let region = programme_region(ctx, &ctx.actor, &self.region)?;
        let year = parse_year(self.year)?;
        let fund = match self.fund.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(code) => Some(fund_code(ctx, &region, code)?),
        };
        budgets::Entity::insert(budgets::ActiveModel {
            region: Set(region.clone()),
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
        if let Some(code) = &fund {
            fund_budgets::Entity::insert(fund_budgets::ActiveModel {
                region: Set(region.clone()),
                year: Set(year),
                fund: Set(code.clone()),
                appropriated: Set(0),
                issued: Set(0),
                returned: Set(0),
                created_at: Set(ctx.now),
            })
            .on_conflict(
                OnConflict::columns([
                    fund_budgets::Column::Region,
                    fund_budgets::Column::Year,
                    fund_budgets::Column::Fund,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
        }
        let outside = AccountRef::of(&region, year, AccountKind::Outside);
        let budget = AccountRef::budget(&region, year, fund.as_deref());
        for account in [
            &outside,
            &AccountRef::of(&region, year, AccountKind::Budget),
            &budget,
            &AccountRef::of(&region, year, AccountKind::Paid),
        ] {
            ledger::open_account(txn, account, ctx.now).await?;
        }
        ctx.post(
            txn,
            Transfer::between(
                TransferCode::Appropriate,
                outside,
                budget,
                self.amount.money(),
            )
            .fund(fund),
        )
        .await?;
        let budget = read_row(txn, &region, year).await?;
        Done::recorded(budget, "budget.appropriate", "budget")
    }
}

/// The region of a programme the actor sets up: an issuing region (404
/// otherwise) that the actor regulates (403 otherwise).
pub fn programme_region(ctx: &Ctx, actor: &Actor, region: &Region) -> Result<Region, DomainError> {
    ctx.rules_for(region)?;
    access::permit_in_region(actor, Action::ManageProgramme, region)?;
    Ok(region.clone())
}

/// `code`, when it names a district of `region` that runs a fund.
fn fund_code(ctx: &Ctx, region: &Region, code: &str) -> Result<String, DomainError> {
    let policy = ctx.rules_for(region)?.policy();
    let district = crate::domain::review::district("fund", code, &policy.districts)?;
    if district.fund.is_none() {
        let with: Vec<&str> = policy
            .districts
            .iter()
            .filter(|d| d.fund.is_some())
            .map(|d| d.code.as_str())
            .collect();
        return Err(DomainError::field(
            "fund",
            format!(
                "{} ({}) runs no fund of its own; the districts with one: {}",
                district.code,
                district.name,
                if with.is_empty() {
                    "none".to_owned()
                } else {
                    with.join(", ")
                }
            ),
        ));
    }
    Ok(district.code.clone())
}

/// Refuses issuing `amount` from district fund `fund` for `year` when
/// nothing was appropriated to it (the ledger refuses a fund whose budget
/// is too small).
pub async fn fund_appropriated<C: ConnectionTrait>(
    conn: &C,
    ctx: &Ctx,
    region: &Region,
    year: i32,
    fund: &str,
    amount: Money,
) -> ServiceResult<()> {
    let row = fund_budgets::Entity::find_by_id((region.clone(), year, fund.to_owned()))
        .one(conn)
        .await?;
    if row.is_some() {
        return Ok(());
    }
    let what = format!("the {fund} fund");
    Err(nothing_appropriated(ctx, &what, region, year, amount).into())
}

/// The refusal of issuing `amount` from a budget (`what`: the region's, a
/// fund's) to which nothing was appropriated for `year`.
pub fn nothing_appropriated(
    ctx: &Ctx,
    what: &str,
    region: &Region,
    year: i32,
    amount: Money,
) -> DomainError {
    Short::Appropriation.refusal(
        format!("no budget appropriated to {what} for {year}"),
        ctx.rule(Short::Appropriation.rule_id(), region, year)
            .limit(Money::ZERO)
            .used(Money::ZERO)
            .requested(amount)
            .allowed(Money::ZERO),
    )
}

/// Reads a budget for its regulator; 404 when nothing was appropriated for
/// that year.
pub async fn read<C: ConnectionTrait>(
    conn: &C,
    ctx: &Ctx,
    region: &Region,
    year: i32,
) -> ServiceResult<Budget> {
    let region = programme_region(ctx, &ctx.actor, region)?;
    read_row(conn, &region, year).await
}

async fn read_row<C: ConnectionTrait>(
    conn: &C,
    region: &Region,
    year: i32,
) -> ServiceResult<Budget> {
    let row = budgets::Entity::find_by_id((region.clone(), year))
        .one(conn)
        .await?
        .ok_or(DomainError::NotFound)?;
    let funds = funds(conn, region, year).await?;
    let own = AccountRef::budget(region, year, None).id();
    let own = ledger::balances(conn, [own])
        .await?
        .get(&own)
        .copied()
        .unwrap_or_default();
    let unissued = funds
        .iter()
        .try_fold(own, |sum, f| sum.checked_add(f.unissued))
        .ok_or_else(|| super::ServiceError::Internal("unissued budget overflow".into()))?;
    Ok(Budget {
        region: row.region,
        year: row.year,
        appropriated: Money::from_fen(row.appropriated),
        issued: Money::from_fen(row.issued),
        returned: Money::from_fen(row.returned),
        unissued,
        funds,
    })
}

/// The budgets of `region`'s district funds for `year`, by district code
/// (for a caller already allowed to read the region's figures).
pub async fn funds<C: ConnectionTrait>(
    conn: &C,
    region: &Region,
    year: i32,
) -> ServiceResult<Vec<FundBudget>> {
    let rows = fund_budgets::Entity::find()
        .filter(fund_budgets::Column::Region.eq(region.clone()))
        .filter(fund_budgets::Column::Year.eq(year))
        .order_by_asc(fund_budgets::Column::Fund)
        .all(conn)
        .await?;
    let accounts: Vec<Uuid> = rows
        .iter()
        .map(|f| AccountRef::budget(region, year, Some(&f.fund)).id())
        .collect();
    let balances = ledger::balances(conn, accounts.iter().copied()).await?;
    Ok(rows
        .into_iter()
        .zip(&accounts)
        .map(|(f, id)| FundBudget {
            fund: f.fund,
            appropriated: Money::from_fen(f.appropriated),
            issued: Money::from_fen(f.issued),
            returned: Money::from_fen(f.returned),
            unissued: balances.get(id).copied().unwrap_or_default(),
        })
        .collect())
}
