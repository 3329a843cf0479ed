//! A district fund's budget for one fiscal year, with its running totals.

use sea_orm::entity::prelude::*;

use crate::domain::Region;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "fund_budgets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub region: Region,
    #[sea_orm(primary_key, auto_increment = false)]
    pub year: i32,
    /// The district's code.
    #[sea_orm(primary_key, auto_increment = false)]
    pub fund: String,
    pub appropriated: i64,
    pub issued: i64,
    pub returned: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
