//! Issued and redeemed amounts per region, fiscal year and calendar month.

use sea_orm::entity::prelude::*;

use crate::domain::Region;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "monthly_totals")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub region: Region,
    /// The fiscal year of the vouchers.
    #[sea_orm(primary_key, auto_increment = false)]
    pub year: i32,
    /// `2026-03`, in Asia/Shanghai.
    #[sea_orm(primary_key, auto_increment = false)]
    pub month: String,
    /// Face value of the vouchers issued that month, fen.
    pub issued: i64,
    /// Completed redemptions that month, fen.
    pub redeemed: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
