//! The head of a region's audit chain: its last sequence number and hash.

use sea_orm::entity::prelude::*;

use crate::domain::Region;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_heads")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub region: Region,
    pub seq: i64,
    pub hash: String,
    /// When its last event occurred: no later event is earlier.
    pub occurred_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
