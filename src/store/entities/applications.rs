//! A company's application for a voucher.

use sea_orm::entity::prelude::*;

use crate::domain::{ApplicationStatus, Region};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "applications")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub company_id: Uuid,
    pub region: Region,
    pub year: i32,
    pub amount: i64,
    pub purpose: String,
    pub status: ApplicationStatus,
    pub reason: Option<String>,
    pub voucher_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub decided_at: Option<DateTimeUtc>,
    /// The facts the company declared (JSON of `domain::eligibility::Declared`).
    pub declared: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
