//! A region's budget for one fiscal year, with its running totals.

use sea_orm::entity::prelude::*;

use crate::domain::Region;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "budgets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub region: Region,
    #[sea_orm(primary_key, auto_increment = false)]
    pub year: i32,
    pub appropriated: i64,
    pub issued: i64,
    pub returned: i64,
    pub voucher_seq: i64,
    /// Held or completed at providers outside the region.
    pub outside_committed: i64,
    pub expired: i64,
    pub revoked: i64,
    /// Completed amounts in open or paid claims.
    pub claimed: i64,
    /// Companies holding a voucher of this region and year.
    pub companies_served: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
