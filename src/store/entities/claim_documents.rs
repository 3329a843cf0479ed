//! A document a claim carries: one of each kind, replaced while the claim
//! waits for its decision.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "claim_documents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub claim_id: Uuid,
    /// `contract`, `invoice`, `own_share_payment`, `service_report`.
    pub kind: String,
    pub sha256: String,
    /// The name it was uploaded under (shown, never trusted for its type).
    pub file_name: String,
    pub media_type: String,
    pub size: i64,
    pub uploaded_by: Uuid,
    pub uploaded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
