//! A decision under public notice: an admission or a payment list.

use sea_orm::entity::prelude::*;

use crate::domain::notice::{NoticeKind, NoticeStatus};
use crate::domain::Region;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub region: Region,
    pub kind: NoticeKind,
    /// The provider admitted, or the settlement run paying.
    pub subject_id: Uuid,
    /// What the public reads, in a line.
    pub title: String,
    /// What is published and what takes effect (JSON).
    pub detail: String,
    /// The person (or client) who took the decision.
    pub published_by: Option<Uuid>,
    pub published_at: DateTimeUtc,
    /// The end of the notice period.
    pub ends_at: DateTimeUtc,
    pub status: NoticeStatus,
    /// When it took effect or was withdrawn.
    pub settled_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
