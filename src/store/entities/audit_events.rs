//! One audit event: what changed, who did it, and its place in its region's hash chain.

use sea_orm::entity::prelude::*;

use crate::domain::Region;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub region: Region,
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    pub id: Uuid,
    pub operation_id: Uuid,
    pub occurred_at: DateTimeUtc,
    pub actor_sub: String,
    pub actor_role: String,
    pub actor_region: Option<String>,
    /// The channel a person acted through (`portal`); none for API clients.
    pub actor_via: Option<String>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub request_id: Option<String>,
    pub idempotency_key: Option<String>,
    pub payload: String,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
