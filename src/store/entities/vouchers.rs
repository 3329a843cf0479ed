//! An issued voucher: its available and held balances are its two ledger accounts.

use sea_orm::entity::prelude::*;

use crate::domain::{Region, VoucherState};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "vouchers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub serial: String,
    pub region: Region,
    pub year: i32,
    pub holder_id: Uuid,
    pub application_id: Uuid,
    pub face_value: i64,
    pub redeemed: i64,
    pub expired: i64,
    pub revoked: i64,
    pub state: VoucherState,
    pub use_until: Date,
    pub claim_until: Date,
    pub issued_at: DateTimeUtc,
    pub revoked_reason: Option<String>,
    /// The district fund it was issued from (a district code), if any.
    pub fund: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
