//! The facts an application is judged on: the company, what it declared,
//! and its vouchers of the year before that expired with part unused
//! ([`crate::rules::ApplicationFacts`]).

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::{ServiceError, ServiceResult};
use crate::domain::eligibility::Declared;
use crate::domain::{Money, Region};
use crate::rules::{ApplicationFacts, LastYearVoucher};
use crate::store::entities::{organizations, vouchers};

/// The facts of `company` applying to `region`'s programme for `year`.
pub async fn application_facts<C: ConnectionTrait>(
    conn: &C,
    region: &Region,
    year: i32,
    company: &organizations::Model,
    declared: Declared,
) -> ServiceResult<ApplicationFacts> {
    let company_type = company
        .company_type
        .ok_or_else(|| ServiceError::Internal(format!("company {} without type", company.id)))?;
    Ok(ApplicationFacts {
        company_region: company.region.clone(),
        company_type,
        declared,
        last_year: last_year(conn, region, year - 1, company.id).await?,
    })
}

/// The company's vouchers of `region` and fiscal `year` that expired with
/// something unused.
pub async fn last_year<C: ConnectionTrait>(
    conn: &C,
    region: &Region,
    year: i32,
    company: uuid::Uuid,
) -> ServiceResult<Vec<LastYearVoucher>> {
    let rows = vouchers::Entity::find()
        .filter(vouchers::Column::HolderId.eq(company))
        .filter(vouchers::Column::Region.eq(region.clone()))
        .filter(vouchers::Column::Year.eq(year))
        .filter(vouchers::Column::Expired.gt(0))
        .order_by_asc(vouchers::Column::Serial)
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|v| LastYearVoucher {
            serial: v.serial,
            face_value: Money::from_fen(v.face_value),
            unused: Money::from_fen(v.expired),
        })
        .collect())
}

/// The declaration kept with an application, back.
pub fn declared_of(stored: Option<&str>) -> Declared {
    stored
        .and_then(|json| serde_json::from_str(json).ok())
        .unwrap_or_default()
}
