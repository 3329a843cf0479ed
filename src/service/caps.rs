//! What a company has used of its caps: the region's annual cap (over its
//! actual controller) and the caps of the district fund its vouchers come
//! from.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::ServiceResult;
use crate::domain::access::{self, Action};
use crate::domain::{Actor, DomainError, Money, OrgKind, Region};
use crate::rules::{FundFacts, RegionPolicy};
use crate::store::entities::{issued_totals, organizations, vouchers};

/// A company's annual cap in a region's programme and how much of it is
/// used (issued to companies of its actual controller, net of revocations).
#[derive(Debug, Clone)]
pub struct CapRoom {
    pub cap: Money,
    pub used: Money,
    /// What may still be issued (zero when the cap is used up).
    pub left: Money,
    /// The policy version that sets the cap.
    pub effective_from: chrono::NaiveDate,
}

/// The cap room of the company `actor` in `region`'s programme for `year`
/// (refused when that programme does not take the company's applications).
pub async fn cap_room<C: ConnectionTrait>(
    conn: &C,
    registry: &crate::rules::Registry,
    actor: &Actor,
    region: &Region,
    year: i32,
) -> ServiceResult<CapRoom> {
    access::permit(actor, Action::Apply)?;
    let company_region = actor.region.as_ref().ok_or(DomainError::NotFound)?;
    let version = registry
        .get(region)
        .ok_or(DomainError::NotFound)?
        .version(year)?;
    crate::rules::common::applicant_region(version, region, company_region)?;
    cap_room_of(conn, registry, actor.sub, region, year).await
}

/// The cap room of company `company_id` in `region`'s programme for `year`,
/// for a caller already authorised to see it (the company, or the
/// region's regulator deciding its application).
pub async fn cap_room_of<C: ConnectionTrait>(
    conn: &C,
    registry: &crate::rules::Registry,
    company_id: Uuid,
    region: &Region,
    year: i32,
) -> ServiceResult<CapRoom> {
    let version = registry
        .get(region)
        .ok_or(DomainError::NotFound)?
        .version(year)?;
    let company = organizations::Entity::find_by_id(company_id)
        .one(conn)
        .await?
        .ok_or(DomainError::NotFound)?;
    let company_type = company.company_type.ok_or(DomainError::NotFound)?;
    let cap = crate::rules::common::annual_cap(version, company_type);
    let holders = controller_companies(conn, &company).await?;
    let used = issued_to_controller(conn, region, year, &holders).await?;
    Ok(CapRoom {
        cap,
        used,
        left: cap
            .checked_sub(used)
            .filter(|m| !m.is_negative())
            .unwrap_or(Money::ZERO),
        effective_from: version.effective_from,
    })
}

/// What was issued in `region` and `year` to `holders` (a company and
/// every company of its actual controller: [`controller_companies`]), net
/// of revocations.
pub async fn issued_to_controller<C: ConnectionTrait>(
    txn: &C,
    region: &Region,
    year: i32,
    holders: &[Uuid],
) -> ServiceResult<Money> {
    // One running total per company: the cost does not grow with vouchers.
    let issued: Option<i64> = issued_totals::Entity::find()
        .select_only()
        .column_as(
            Expr::from(Func::cast_as(
                Func::sum(Expr::col(issued_totals::Column::Issued)),
                Alias::new("BIGINT"),
            )),
            "issued",
        )
        .filter(issued_totals::Column::HolderId.is_in(holders.iter().copied()))
        .filter(issued_totals::Column::Region.eq(region.clone()))
        .filter(issued_totals::Column::Year.eq(year))
        .into_tuple::<Option<i64>>()
        .one(txn)
        .await?
        .flatten();
    Ok(Money::from_fen(issued.unwrap_or(0)))
}

/// The company and every company with the same actual controller.
pub async fn controller_companies<C: ConnectionTrait>(
    conn: &C,
    company: &organizations::Model,
) -> ServiceResult<Vec<Uuid>> {
    let mut holders = vec![company.id];
    if let Some(controller) = company.controller_key.as_deref() {
        let related = organizations::Entity::find()
            .select_only()
            .column(organizations::Column::Id)
            .filter(organizations::Column::Kind.eq(OrgKind::Company))
            .filter(organizations::Column::ControllerKey.eq(controller))
            .into_tuple::<Uuid>()
            .all(conn)
            .await?;
        holders.extend(related);
    }
    Ok(holders)
}

/// The fund a voucher for an application of `district` comes from, with
/// what it issued this year to `holders` (a company and every company of
/// its actual controller); none when the district runs no fund (the
/// region's own budget pays).
pub async fn fund_facts<C: ConnectionTrait>(
    conn: &C,
    policy: &RegionPolicy,
    year: i32,
    holders: &[Uuid],
    district: Option<&str>,
) -> ServiceResult<Option<FundFacts>> {
    let Some((code, fund)) =
        district.and_then(|d| policy.fund_of(d).map(|f| (d.to_owned(), f.clone())))
    else {
        return Ok(None);
    };
    let issued: Option<i64> = vouchers::Entity::find()
        .select_only()
        .column_as(
            Expr::from(Func::cast_as(
                Func::sum(
                    Expr::col(vouchers::Column::FaceValue)
                        .sub(Expr::col(vouchers::Column::Revoked)),
                ),
                Alias::new("BIGINT"),
            )),
            "issued",
        )
        .filter(vouchers::Column::HolderId.is_in(holders.iter().copied()))
        .filter(vouchers::Column::Region.eq(policy.region.clone()))
        .filter(vouchers::Column::Year.eq(year))
        .filter(vouchers::Column::Fund.eq(code.clone()))
        .into_tuple::<Option<i64>>()
        .one(conn)
        .await?
        .flatten();
    Ok(Some(FundFacts {
        district: code,
        fund,
        already_issued: Money::from_fen(issued.unwrap_or(0)),
    }))
}
