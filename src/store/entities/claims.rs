//! A provider's settlement claim over completed redemptions.

use sea_orm::entity::prelude::*;

use crate::domain::{ClaimStatus, Region};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "claims")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub region: Region,
    pub provider_id: Uuid,
    pub invoice_no: String,
    /// The comparison key of the invoice number (`text::key`).
    pub invoice_key: String,
    pub amount: i64,
    pub status: ClaimStatus,
    pub reason: Option<String>,
    pub bank_reference: Option<String>,
    pub created_at: DateTimeUtc,
    pub decided_at: Option<DateTimeUtc>,
    pub paid_at: Option<DateTimeUtc>,
    /// The settlement run's item that pays it: while set, the claim is
    /// locked to that run.
    pub settlement_item_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
