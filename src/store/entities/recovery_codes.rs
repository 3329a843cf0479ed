//! A person's recovery codes: each signs in once instead of a TOTP code.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "recovery_codes")]
pub struct Model {
    /// SHA-256 of the code's normalised form, hex.
    #[sea_orm(primary_key, auto_increment = false)]
    pub code_hash: String,
    pub user_id: Uuid,
    pub used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
