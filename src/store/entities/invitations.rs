//! A one-time invitation to join an organisation as a person (or, with
//! `user_id`, to set a new password for a person): only the token's
//! SHA-256 is kept.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invitations")]
pub struct Model {
    /// SHA-256 of the token, hex.
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: String,
    /// None for an operator's person.
    pub organization_id: Option<Uuid>,
    /// Whether the person it makes administers the organisation.
    pub administrator: bool,
    /// The person whose password it resets, if any.
    pub user_id: Option<Uuid>,
    /// The login the inviter chose, if any (else the person chooses).
    pub login: Option<String>,
    /// Who invited: a person id, an organisation or client id, or `system`.
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub accepted_at: Option<DateTimeUtc>,
    /// The person who accepted it.
    pub accepted_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
