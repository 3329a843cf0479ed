//! An amount of a voucher held against a service contract, then resolved once.

use sea_orm::entity::prelude::*;

use crate::domain::{RedemptionStatus, Region};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "redemptions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub voucher_id: Uuid,
    pub region: Region,
    pub year: i32,
    pub company_id: Uuid,
    pub provider_id: Uuid,
    pub provider_region: Region,
    pub contract_no: String,
    /// The comparison key of the contract number (`text::key`).
    pub contract_key: Option<String>,
    pub contract_amount: i64,
    pub service_category: String,
    pub amount: i64,
    pub completed_amount: i64,
    pub status: RedemptionStatus,
    pub claim_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub resolved_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
