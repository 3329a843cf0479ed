//! A company's rating of a service it redeemed: one per redemption.

use sea_orm::entity::prelude::*;

use crate::domain::Region;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ratings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub redemption_id: Uuid,
    /// The voucher's issuing region (whose regulator reads it).
    pub region: Region,
    pub company_id: Uuid,
    pub provider_id: Uuid,
    /// 1 to 5.
    pub score: i16,
    pub comment: Option<String>,
    /// The company files it as a complaint.
    pub complaint: bool,
    /// The person (or client) who rated.
    pub rated_by: Uuid,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
