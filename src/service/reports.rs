//! Regulator reports, read from the ledger's running totals (so they always
//! agree with it, which the invariant checker verifies): the summary in
//! constant time, the matrix in time proportional to the providers paid.

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, DbErr, Statement};
use serde::Serialize;

use super::ServiceResult;
use crate::audit::export::csv_field;
use crate::domain::access::{self, Action};
use crate::domain::{Actor, DomainError, Money, Region, Role};
use crate::ledger::AccountKind;
use crate::store::entities::{accounts, budgets, ledger_totals};

/// The figures of product.md §8 for one region and fiscal year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub region: Region,
    pub year: i32,
    pub appropriated: Money,
    /// Face value of the vouchers issued.
    pub issued: Money,
    /// Unissued budget: appropriated − issued + returned.
    pub unissued: Money,
    /// Returned to the budget by expiry and revocation.
    pub returned: Money,
    pub vouchers_issued: i64,
    /// Available on vouchers.
    pub available: Money,
    /// Held for open redemptions.
    pub held: Money,
    /// Completed redemptions.
    pub redeemed: Money,
    /// Completed amounts in open or paid claims.
    pub claimed: Money,
    pub paid: Money,
    /// Completed, not yet paid.
    pub payable: Money,
    pub expired: Money,
    pub revoked: Money,
    /// What the fund may still pay for this year's vouchers: available + held + payable.
    pub outstanding: Money,
    pub companies_served: i64,
    pub providers_served: i64,
}

/// One cell of the cross-region matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cell {
    pub issuer_region: Region,
    pub provider_region: Region,
    pub completed: Money,
    pub paid: Money,
    /// Completed redemptions.
    pub count: i64,
}

/// The cross-region matrix of a fiscal year.
#[derive(Debug, Clone, Serialize)]
pub struct CrossRegion {
    pub year: i32,
    pub cells: Vec<Cell>,
}

async fn rows<C: ConnectionTrait>(
    conn: &C,
    sql: String,
) -> Result<Vec<sea_orm::QueryResult>, DbErr> {
    conn.query_all_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
}

fn fen(row: &sea_orm::QueryResult, column: &str) -> Result<Money, DbErr> {
    Ok(Money::from_fen(row.try_get::<i64>("", column)?))
}

/// The summary of `region` for `year`: the budget row, the running totals
/// per account kind, and the number of providers paid from the region-year
/// (few rows): constant time in the size of the ledger.
pub async fn summary<C: ConnectionTrait>(
    conn: &C,
    region: &Region,
    year: i32,
) -> ServiceResult<Summary> {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let budget = budgets::Entity::find_by_id((region.clone(), year))
        .one(conn)
        .await?
        .ok_or(DomainError::NotFound)?;
    let totals: BTreeMap<String, ledger_totals::Model> = ledger_totals::Entity::find()
        .filter(ledger_totals::Column::Region.eq(region.clone()))
        .filter(ledger_totals::Column::Year.eq(year))
        .all(conn)
        .await?
        .into_iter()
        .map(|t| (t.kind.clone(), t))
        .collect();
    let kind = |k: AccountKind| {
        totals
            .get(k.as_str())
            .map(|t| (Money::from_fen(t.balance), Money::from_fen(t.credited)))
            .unwrap_or((Money::ZERO, Money::ZERO))
    };
    let providers_served = accounts::Entity::find()
        .filter(accounts::Column::Region.eq(region.clone()))
        .filter(accounts::Column::Year.eq(year))
        .filter(accounts::Column::Kind.eq(AccountKind::Payable.as_str()))
        .filter(accounts::Column::Credited.gt(0))
        .count(conn)
        .await? as i64;
    let (available, held, payable) = (
        kind(AccountKind::Voucher).0,
        kind(AccountKind::Hold).0,
        kind(AccountKind::Payable),
    );
    let outstanding = available
        .checked_add(held)
        .and_then(|m| m.checked_add(payable.0))
        .ok_or_else(|| super::ServiceError::Internal("outstanding overflow".into()))?;
    Ok(Summary {
        region: region.clone(),
        year,
        appropriated: Money::from_fen(budget.appropriated),
        issued: Money::from_fen(budget.issued),
        unissued: kind(AccountKind::Budget).0,
        returned: Money::from_fen(budget.returned),
        vouchers_issued: budget.voucher_seq,
        available,
        held,
        redeemed: payable.1,
        claimed: Money::from_fen(budget.claimed),
        paid: kind(AccountKind::Paid).0,
        payable: payable.0,
        expired: Money::from_fen(budget.expired),
        revoked: Money::from_fen(budget.revoked),
        outstanding,
        companies_served: budget.companies_served,
        providers_served,
    })
}

/// What a region issued and redeemed in one calendar month for vouchers of
/// a fiscal year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Month {
    /// `2026-03`, in Asia/Shanghai.
    pub month: String,
    pub issued: Money,
    pub redeemed: Money,
}

/// The months of `region`'s `year` with issuance or redemptions, in order:
/// one running-total row per month, whatever the size of the ledger.
pub async fn monthly<C: ConnectionTrait>(
    conn: &C,
    region: &Region,
    year: i32,
) -> ServiceResult<Vec<Month>> {
    use crate::store::entities::monthly_totals;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let rows = monthly_totals::Entity::find()
        .filter(monthly_totals::Column::Region.eq(region.clone()))
        .filter(monthly_totals::Column::Year.eq(year))
        .order_by_asc(monthly_totals::Column::Month)
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|m| Month {
            month: m.month,
            issued: Money::from_fen(m.issued),
            redeemed: Money::from_fen(m.redeemed),
        })
        .collect())
}

/// Completed and paid amounts by issuing region × provider region for
/// `year`: all cells for an operator, the cells where its region is issuer
/// or provider for a regulator.
pub async fn cross_region<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    year: i32,
) -> ServiceResult<CrossRegion> {
    access::permit(actor, Action::ReadCrossRegion)?;
    let only = match actor.role {
        Role::Regulator => actor.region.as_ref(),
        _ => None,
    };
    let sum = |expr: &str| format!("CAST(COALESCE(SUM({expr}), 0) AS BIGINT)");
    let mut cells: BTreeMap<(Region, Region), Cell> = BTreeMap::new();
    let money = rows(
        conn,
        format!(
            "SELECT a.region AS issuer, o.region AS provider, {} AS completed, {} AS paid, {} AS n \
             FROM accounts a JOIN organizations o ON o.id = a.owner_id \
             WHERE a.kind = 'payable' AND a.year = {year} GROUP BY a.region, o.region",
            sum("a.credited"),
            sum("a.debited"),
            sum("a.credits")
        ),
    )
    .await?;
    for row in money {
        let key: (Region, Region) = (row.try_get("", "issuer")?, row.try_get("", "provider")?);
        cells.insert(
            key.clone(),
            Cell {
                issuer_region: key.0,
                provider_region: key.1,
                completed: fen(&row, "completed")?,
                paid: fen(&row, "paid")?,
                count: row.try_get("", "n")?,
            },
        );
    }
    let cells = cells
        .into_values()
        .filter(|c| only.is_none_or(|r| &c.issuer_region == r || &c.provider_region == r))
        .collect();
    Ok(CrossRegion { year, cells })
}

/// The summary as CSV: a header line and one line of values.
pub fn summary_csv(s: &Summary) -> String {
    let fields: [(&str, String); 19] = [
        ("region", csv_field(s.region.as_str())),
        ("year", s.year.to_string()),
        ("appropriated", s.appropriated.to_string()),
        ("issued", s.issued.to_string()),
        ("unissued", s.unissued.to_string()),
        ("returned", s.returned.to_string()),
        ("vouchers_issued", s.vouchers_issued.to_string()),
        ("available", s.available.to_string()),
        ("held", s.held.to_string()),
        ("redeemed", s.redeemed.to_string()),
        ("claimed", s.claimed.to_string()),
        ("paid", s.paid.to_string()),
        ("payable", s.payable.to_string()),
        ("expired", s.expired.to_string()),
        ("revoked", s.revoked.to_string()),
        ("outstanding", s.outstanding.to_string()),
        ("companies_served", s.companies_served.to_string()),
        ("providers_served", s.providers_served.to_string()),
        ("currency", "CNY".into()),
    ];
    let header: Vec<&str> = fields.iter().map(|(k, _)| *k).collect();
    let values: Vec<&str> = fields.iter().map(|(_, v)| v.as_str()).collect();
    format!("{}\n{}\n", header.join(","), values.join(","))
}

/// The matrix as CSV: one line per cell.
pub fn cross_region_csv(m: &CrossRegion) -> String {
    let mut out = String::from("year,issuer_region,provider_region,completed,paid,count\n");
    for c in &m.cells {
        out.push_str(&format!(
            "{},{},{},{},{},{}\n",
            m.year,
            csv_field(c.issuer_region.as_str()),
            csv_field(c.provider_region.as_str()),
            c.completed,
            c.paid,
            c.count
        ));
    }
    out
}
