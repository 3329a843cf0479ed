//! A decision that waits for a second person of the regulator (four eyes).

use sea_orm::entity::prelude::*;

use crate::domain::Region;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "confirmations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub region: Region,
    /// The audit action it stands for: `claim.pay`, `voucher.revoke`.
    pub action: String,
    /// The claim or voucher.
    pub target_id: Uuid,
    /// Fen.
    pub amount: i64,
    /// What the maker gave (the bank reference, the reason), as JSON.
    pub detail: String,
    /// The person who asked.
    pub requested_by: Uuid,
    pub requested_at: DateTimeUtc,
    /// `pending`, `confirmed` or `withdrawn`.
    pub status: String,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
