//! A provider's bank account and where its approval stands.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payee_accounts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub provider_id: Uuid,
    pub account_name: String,
    pub account_number: String,
    pub bank_name: String,
    pub cnaps_code: String,
    pub valid_from: Date,
    /// `submitted`, `approved`, `rejected` or `superseded`.
    pub status: String,
    pub submitted_by: Uuid,
    pub submitted_at: DateTimeUtc,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTimeUtc>,
    /// Why it was rejected.
    pub reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
