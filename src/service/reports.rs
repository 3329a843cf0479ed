//! Regulator reports, computed from the ledger's running totals (so they
//! always agree with it) with a handful of aggregate queries whose cost grows
//! with the number of vouchers and providers, not of postings.

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, DbErr, Statement};
use serde::Serialize;
use utoipa::ToSchema;

use super::ServiceResult;
use crate::domain::{DomainError, Money, Region};
use crate::store::entities::budgets;

/// The figures of product.md §8 for one region and fiscal year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Summary {
    pub region: String,
    pub year: i32,
    #[schema(value_type = String)]
    pub appropriated: Money,
    /// Face value of the vouchers issued.
    #[schema(value_type = String)]
    pub issued: Money,
    /// Unissued budget: appropriated − issued + returned.
    #[schema(value_type = String)]
    pub unissued: Money,
    /// Returned to the budget by expiry and revocation.
    #[schema(value_type = String)]
    pub returned: Money,
    pub vouchers_issued: i64,
    /// Available on vouchers.
    #[schema(value_type = String)]
    pub available: Money,
    /// Held for open redemptions.
    #[schema(value_type = String)]
    pub held: Money,
    /// Completed redemptions.
    #[schema(value_type = String)]
    pub redeemed: Money,
    /// Completed amounts in open or paid claims.
    #[schema(value_type = String)]
    pub claimed: Money,
    #[schema(value_type = String)]
    pub paid: Money,
    /// Completed, not yet paid.
    #[schema(value_type = String)]
    pub payable: Money,
    #[schema(value_type = String)]
    pub expired: Money,
    #[schema(value_type = String)]
    pub revoked: Money,
    /// What the fund may still pay for this year's vouchers: available + held + payable.
    #[schema(value_type = String)]
    pub outstanding: Money,
    pub companies_served: i64,
    pub providers_served: i64,
}

/// One cell of the cross-region matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Cell {
    pub issuer_region: String,
    pub provider_region: String,
    #[schema(value_type = String)]
    pub completed: Money,
    #[schema(value_type = String)]
    pub paid: Money,
    /// Completed redemptions.
    pub count: i64,
}

/// The cross-region matrix of a fiscal year.
#[derive(Debug, Clone, Serialize, ToSchema)]
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

/// The summary of `region` (an issuing region, so its code is safe to
/// inline) for `year`.
pub async fn summary<C: ConnectionTrait>(
    conn: &C,
    region: &Region,
    year: i32,
) -> ServiceResult<Summary> {
    use sea_orm::EntityTrait;
    let budget = budgets::Entity::find_by_id((region.to_string(), year))
        .one(conn)
        .await?
        .ok_or(DomainError::NotFound)?;
    let sum = |expr: &str| format!("CAST(COALESCE(SUM({expr}), 0) AS BIGINT)");
    let mut by_kind: BTreeMap<String, (Money, Money, Money, i64)> = BTreeMap::new();
    let sql = format!(
        "SELECT kind, {} AS balance, {} AS credited, {} AS debited, {} AS used FROM accounts \
         WHERE region = '{region}' AND year = {year} GROUP BY kind",
        sum("balance"),
        sum("credited"),
        sum("debited"),
        sum("CASE WHEN credited > 0 THEN 1 ELSE 0 END"),
    );
    for row in rows(conn, sql).await? {
        let kind: String = row.try_get("", "kind")?;
        by_kind.insert(
            kind,
            (
                fen(&row, "balance")?,
                fen(&row, "credited")?,
                fen(&row, "debited")?,
                row.try_get("", "used")?,
            ),
        );
    }
    let kind = |k: &str| {
        by_kind
            .get(k)
            .copied()
            .unwrap_or((Money::ZERO, Money::ZERO, Money::ZERO, 0))
    };
    let vouchers = rows(
        conn,
        format!(
            "SELECT {} AS expired, {} AS revoked, COUNT(DISTINCT holder_id) AS companies FROM vouchers \
             WHERE region = '{region}' AND year = {year}",
            sum("expired"),
            sum("revoked")
        ),
    )
    .await?;
    let v = vouchers
        .first()
        .ok_or_else(|| DbErr::RecordNotFound("voucher totals".into()))?;
    let claimed = rows(
        conn,
        format!(
            "SELECT {} AS claimed FROM redemptions WHERE region = '{region}' AND year = {year} \
             AND status = 'completed' AND claim_id IS NOT NULL",
            sum("completed_amount")
        ),
    )
    .await?;
    let claimed = claimed
        .first()
        .map(|r| fen(r, "claimed"))
        .transpose()?
        .unwrap_or(Money::ZERO);
    let (available, held, payable) = (kind("voucher").0, kind("hold").0, kind("payable"));
    let outstanding = available
        .checked_add(held)
        .and_then(|m| m.checked_add(payable.0))
        .ok_or_else(|| super::ServiceError::Internal("outstanding overflow".into()))?;
    Ok(Summary {
        region: region.to_string(),
        year,
        appropriated: Money::from_fen(budget.appropriated),
        issued: Money::from_fen(budget.issued),
        unissued: kind("budget").0,
        returned: Money::from_fen(budget.returned),
        vouchers_issued: budget.voucher_seq,
        available,
        held,
        redeemed: payable.1,
        claimed,
        paid: kind("paid").0,
        payable: payable.0,
        expired: fen(v, "expired")?,
        revoked: fen(v, "revoked")?,
        outstanding,
        companies_served: v.try_get::<i64>("", "companies")?,
        providers_served: payable.3,
    })
}

/// Completed and paid amounts by issuing region × provider region for
/// `year`; with `only`, the cells where that region is issuer or provider.
pub async fn cross_region<C: ConnectionTrait>(
    conn: &C,
    year: i32,
    only: Option<&Region>,
) -> ServiceResult<CrossRegion> {
    let sum = |expr: &str| format!("CAST(COALESCE(SUM({expr}), 0) AS BIGINT)");
    let mut cells: BTreeMap<(String, String), Cell> = BTreeMap::new();
    let money = rows(
        conn,
        format!(
            "SELECT a.region AS issuer, o.region AS provider, {} AS completed, {} AS paid FROM accounts a \
             JOIN organizations o ON o.id = a.owner_id \
             WHERE a.kind = 'payable' AND a.year = {year} GROUP BY a.region, o.region",
            sum("a.credited"),
            sum("a.debited")
        ),
    )
    .await?;
    for row in money {
        let key: (String, String) = (row.try_get("", "issuer")?, row.try_get("", "provider")?);
        cells.insert(
            key.clone(),
            Cell {
                issuer_region: key.0,
                provider_region: key.1,
                completed: fen(&row, "completed")?,
                paid: fen(&row, "paid")?,
                count: 0,
            },
        );
    }
    let counts = rows(
        conn,
        format!(
            "SELECT region AS issuer, provider_region AS provider, COUNT(*) AS n FROM redemptions \
             WHERE year = {year} AND status = 'completed' GROUP BY region, provider_region"
        ),
    )
    .await?;
    for row in counts {
        let key: (String, String) = (row.try_get("", "issuer")?, row.try_get("", "provider")?);
        if let Some(cell) = cells.get_mut(&key) {
            cell.count = row.try_get("", "n")?;
        }
    }
    let cells = cells
        .into_values()
        .filter(|c| {
            only.is_none_or(|r| c.issuer_region == r.as_str() || c.provider_region == r.as_str())
        })
        .collect();
    Ok(CrossRegion { year, cells })
}

/// The summary as CSV: a header line and one line of values.
pub fn summary_csv(s: &Summary) -> String {
    let fields: [(&str, String); 19] = [
        ("region", s.region.clone()),
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
            m.year, c.issuer_region, c.provider_region, c.completed, c.paid, c.count
        ));
    }
    out
}
