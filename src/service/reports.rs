//! Regulator reports, read from the ledger's running totals (so they always
//! agree with it, which the invariant checker verifies): the summary in
//! constant time, the matrix in time proportional to the providers paid.

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, DbErr, Statement};
use serde::Serialize;

use super::ServiceResult;
use crate::domain::access::{self, Action};
use crate::domain::text::{csv_field, CSV_BOM};
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
    /// Completed, not yet paid nor sent to the bank.
    pub payable: Money,
    /// In a settlement run's bank file, not yet booked.
    pub in_transit: Money,
    /// Sent back by the bank (rejected or returned payments): payable again.
    pub bank_returned: Money,
    pub expired: Money,
    pub revoked: Money,
    /// What the fund may still pay for this year's vouchers: available +
    /// held + payable + in transit.
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
    /// In settlement runs' bank files, not yet booked.
    pub in_transit: Money,
    /// Sent back by the bank, payable again.
    pub bank_returned: Money,
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

/// What the bank sent back to providers' payable accounts in `year` (the
/// `return` transfers: few, found by their code), of one issuing region or
/// all, by issuing and provider region: the amount and the postings.
async fn sent_back<C: ConnectionTrait>(
    conn: &C,
    year: i32,
    issuer: Option<&Region>,
) -> Result<BTreeMap<(Region, Region), (Money, i64)>, DbErr> {
    let only = issuer
        .map(|r| format!("AND t.region = '{}'", r.as_str()))
        .unwrap_or_default();
    let found = rows(
        conn,
        format!(
            "SELECT a.region AS issuer, o.region AS provider, \
             CAST(COALESCE(SUM(p.amount), 0) AS BIGINT) AS amount, COUNT(*) AS n \
             FROM transfers t JOIN postings p ON p.transfer_id = t.id \
             JOIN accounts a ON a.id = p.account_id JOIN organizations o ON o.id = a.owner_id \
             WHERE t.code = 'return' AND t.year = {year} {only} AND a.kind = 'payable' \
             AND p.amount > 0 GROUP BY a.region, o.region"
        ),
    )
    .await?;
    let mut out = BTreeMap::new();
    for row in found {
        let key: (Region, Region) = (row.try_get("", "issuer")?, row.try_get("", "provider")?);
        out.insert(key, (fen(&row, "amount")?, row.try_get("", "n")?));
    }
    Ok(out)
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
    let (available, held, payable, in_transit) = (
        kind(AccountKind::Voucher).0,
        kind(AccountKind::Hold).0,
        kind(AccountKind::Payable),
        kind(AccountKind::InTransit).0,
    );
    let overflow = || super::ServiceError::Internal("summary overflow".into());
    let bank_returned = sent_back(conn, year, Some(region))
        .await?
        .values()
        .try_fold(Money::ZERO, |sum, (m, _)| sum.checked_add(*m))
        .ok_or_else(overflow)?;
    let outstanding = available
        .checked_add(held)
        .and_then(|m| m.checked_add(payable.0))
        .and_then(|m| m.checked_add(in_transit))
        .ok_or_else(overflow)?;
    let redeemed = payable.1.checked_sub(bank_returned).ok_or_else(overflow)?;
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
        redeemed,
        claimed: Money::from_fen(budget.claimed),
        paid: kind(AccountKind::Paid).0,
        payable: payable.0,
        in_transit,
        bank_returned,
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
    let by_kind = |kind: AccountKind| {
        format!(
            "SELECT a.region AS issuer, o.region AS provider, {} AS credited, {} AS debited, \
             {} AS balance, {} AS n \
             FROM accounts a JOIN organizations o ON o.id = a.owner_id \
             WHERE a.kind = '{}' AND a.year = {year} GROUP BY a.region, o.region",
            sum("a.credited"),
            sum("a.debited"),
            sum("a.balance"),
            sum("a.credits"),
            kind.as_str()
        )
    };
    let mut in_transit = BTreeMap::new();
    for row in rows(conn, by_kind(AccountKind::InTransit)).await? {
        let key: (Region, Region) = (row.try_get("", "issuer")?, row.try_get("", "provider")?);
        in_transit.insert(key, fen(&row, "balance")?);
    }
    let returned = sent_back(conn, year, None).await?;
    let overflow = || super::ServiceError::Internal("matrix overflow".into());
    let mut cells: BTreeMap<(Region, Region), Cell> = BTreeMap::new();
    for row in rows(conn, by_kind(AccountKind::Payable)).await? {
        let key: (Region, Region) = (row.try_get("", "issuer")?, row.try_get("", "provider")?);
        let moving = in_transit.get(&key).copied().unwrap_or(Money::ZERO);
        let (back, back_count) = returned.get(&key).copied().unwrap_or((Money::ZERO, 0));
        // Payable is credited on completion and again when the bank sends
        // a payment back; debited when paid alone or sent to the bank.
        let completed = fen(&row, "credited")?.checked_sub(back);
        let paid = fen(&row, "debited")?
            .checked_sub(moving)
            .and_then(|m| m.checked_sub(back));
        cells.insert(
            key.clone(),
            Cell {
                issuer_region: key.0,
                provider_region: key.1,
                completed: completed.ok_or_else(overflow)?,
                paid: paid.ok_or_else(overflow)?,
                in_transit: moving,
                bank_returned: back,
                count: row.try_get::<i64>("", "n")? - back_count,
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
    let fields: [(&str, String); 21] = [
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
        // Added with settlement runs: new columns go at the end.
        ("in_transit", s.in_transit.to_string()),
        ("bank_returned", s.bank_returned.to_string()),
    ];
    let header: Vec<&str> = fields.iter().map(|(k, _)| *k).collect();
    let values: Vec<&str> = fields.iter().map(|(_, v)| v.as_str()).collect();
    format!("{CSV_BOM}{}\n{}\n", header.join(","), values.join(","))
}

/// The matrix as CSV: one line per cell.
pub fn cross_region_csv(m: &CrossRegion) -> String {
    let mut out = format!(
        "{CSV_BOM}year,issuer_region,provider_region,completed,paid,count,in_transit,bank_returned\n"
    );
    for c in &m.cells {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{}\n",
            m.year,
            csv_field(c.issuer_region.as_str()),
            csv_field(c.provider_region.as_str()),
            c.completed,
            c.paid,
            c.count,
            c.in_transit,
            c.bank_returned
        ));
    }
    out
}
