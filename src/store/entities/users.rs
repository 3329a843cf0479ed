//! A person who signs in to the portal: of an organisation, or an operator.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// None for an operator's person.
    pub organization_id: Option<Uuid>,
    pub login: String,
    /// The login's normalised key (unique).
    pub login_key: String,
    pub display_name: String,
    /// Argon2id, PHC string.
    pub password_hash: String,
    pub disabled: bool,
    /// Whether the person administers their organisation (its people and
    /// API clients).
    pub administrator: bool,
    pub created_at: DateTimeUtc,
    pub disabled_at: Option<DateTimeUtc>,
    /// The TOTP secret, base32 (set when enrolment starts).
    pub totp_secret: Option<String>,
    /// When the second factor was enrolled (none: not enrolled).
    pub totp_enrolled_at: Option<DateTimeUtc>,
    /// The last TOTP time step a code was accepted for.
    pub totp_last_step: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
