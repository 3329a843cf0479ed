//! An immutable movement of money: two or more postings summing to zero.

use sea_orm::entity::prelude::*;

use crate::domain::Region;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "transfers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub code: String,
    pub region: Region,
    pub year: i32,
    pub voucher_id: Option<Uuid>,
    pub redemption_id: Option<Uuid>,
    pub claim_id: Option<Uuid>,
    /// The operation (request or job run) whose audit event records it.
    pub operation_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
