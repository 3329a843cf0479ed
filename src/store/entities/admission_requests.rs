//! A provider's request for admission to a region's programme.

use sea_orm::entity::prelude::*;

use crate::domain::review::{AdmissionRequestStatus, ReviewLevel};
use crate::domain::Region;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "admission_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The programme's region.
    pub region: Region,
    pub provider_id: Uuid,
    pub provider_region: Region,
    /// The provider's district, whose regulator reviews first (none: the
    /// region reviews alone).
    pub district: Option<String>,
    /// The categories asked for, comma-separated.
    pub categories: String,
    /// The provider's self-evaluation.
    pub statement: String,
    pub level: ReviewLevel,
    pub status: AdmissionRequestStatus,
    /// `region/provider` while pending (unique), else none.
    pub live_key: Option<String>,
    /// The categories the district recommended.
    pub recommended: Option<String>,
    pub review_reason: Option<String>,
    pub reviewed_by: Option<Uuid>,
    pub reviewed_at: Option<DateTimeUtc>,
    /// The categories the region admitted.
    pub admitted: Option<String>,
    /// Why it was rejected.
    pub reason: Option<String>,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
