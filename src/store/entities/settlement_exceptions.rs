//! A line of a bank file that matched no payment as it should: a regulator
//! resolves it.

use sea_orm::entity::prelude::*;

use crate::domain::Region;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "settlement_exceptions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub region: Region,
    pub file_id: Uuid,
    /// Where in the file: a line number or an element path.
    pub locator: String,
    /// `unknown`, `duplicate`, `wrong_amount` or `wrong_account`.
    pub kind: String,
    pub end_to_end_id: Option<String>,
    pub item_id: Option<Uuid>,
    pub amount: Option<i64>,
    pub detail: String,
    /// `open` or `resolved`.
    pub status: String,
    pub resolution: Option<String>,
    pub resolved_by: Option<Uuid>,
    pub resolved_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
