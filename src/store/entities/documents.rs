//! A stored document, once per content: its SHA-256, type and size, and
//! where its bytes are (a PostgreSQL large object, or a file beside the
//! SQLite database when `lo_oid` is empty).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "documents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub sha256: String,
    pub media_type: String,
    pub size: i64,
    pub lo_oid: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
