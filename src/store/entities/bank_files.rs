//! A file that went to the bank or came from it, kept whole with its
//! SHA-256.

use sea_orm::entity::prelude::*;

use crate::domain::Region;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bank_files")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub region: Region,
    pub run_id: Option<Uuid>,
    /// `out` or `in`.
    pub direction: String,
    /// `pain.001.001.09`, `payments.csv`, `pain.002`, `camt.053`,
    /// `camt.054` or `statement.csv`.
    pub format: String,
    pub name: String,
    pub sha256: String,
    pub size: i64,
    pub content: String,
    /// What importing it did, as JSON (`{}` for a file that went out).
    pub summary: String,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
