//! A registered company, provider or regulator.

use sea_orm::entity::prelude::*;

use crate::domain::{CompanyType, OrgKind, Region};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organizations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kind: OrgKind,
    pub name: String,
    pub region: Region,
    pub credit_code: Option<String>,
    pub company_type: Option<CompanyType>,
    pub actual_controller: Option<String>,
    /// The comparison key of the actual controller (`text::key`).
    pub controller_key: Option<String>,
    pub created_at: DateTimeUtc,
    /// When its registrar suspended it (its people cannot sign in, its
    /// clients get no token); none while it may act. Read fresh, never
    /// from the organisation cache.
    pub suspended_at: Option<DateTimeUtc>,
    /// For a regulator of a district (city, county) below its region: the
    /// district whose applications it reviews at the first level.
    pub district: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
