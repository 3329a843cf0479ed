//! A company's application for a voucher.

use sea_orm::entity::prelude::*;

use crate::domain::review::ReviewLevel;
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
    /// The company's district (city, county), where two-level review
    /// sends the application first.
    pub district: Option<String>,
    /// The level it waits at (or was decided at).
    pub level: ReviewLevel,
    /// The amount the district recommended (fen), once it has.
    pub recommended: Option<i64>,
    /// Why the district recommended less than requested.
    pub review_reason: Option<String>,
    /// The district's regulator that recommended it, and when.
    pub reviewed_by: Option<Uuid>,
    pub reviewed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
