//! An objection the public filed against a notice.

use sea_orm::entity::prelude::*;

use crate::domain::notice::ObjectionStatus;
use crate::domain::Region;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "objections")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub notice_id: Uuid,
    pub region: Region,
    pub name: String,
    /// How to reach the objector (only the regulator reads it).
    pub contact: String,
    pub text: String,
    pub created_at: DateTimeUtc,
    pub status: ObjectionStatus,
    /// The regulator's answer.
    pub note: Option<String>,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
