//! A client credential: a client id and the Argon2id hash of its secret.

use sea_orm::entity::prelude::*;

use crate::domain::{Region, Role};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "credentials")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub client_id: String,
    pub secret_hash: String,
    pub subject: Uuid,
    pub role: Role,
    pub region: Option<Region>,
    pub organization_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    /// What the organisation calls the client.
    pub label: Option<String>,
    /// The person who created it (none for an operator's first client).
    pub created_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
