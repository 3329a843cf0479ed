//! One payment of a settlement run: what a provider is paid, to a
//! snapshot of its bank account taken when the run was frozen.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "settlement_items")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub run_id: Uuid,
    pub provider_id: Uuid,
    pub payee_account_id: Uuid,
    pub account_name: String,
    pub account_number: String,
    pub bank_name: String,
    pub cnaps_code: String,
    pub claim_count: i64,
    pub amount: i64,
    /// `included`, `sent`, `settled`, `rejected` or `returned`.
    pub status: String,
    /// Why the bank rejected or returned it.
    pub reason: Option<String>,
    /// The bank's reference of the booking.
    pub bank_reference: Option<String>,
    pub settled_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
