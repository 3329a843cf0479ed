//! A ledger account: its balance and running totals always equal the sum of its postings.

use sea_orm::entity::prelude::*;

use crate::domain::Region;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "accounts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub region: Region,
    pub year: i32,
    pub kind: String,
    pub owner_id: Option<Uuid>,
    pub balance: i64,
    pub credited: i64,
    pub debited: i64,
    /// How many postings credited it.
    pub credits: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
