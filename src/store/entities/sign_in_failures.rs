//! Failed sign-ins in a row per login and source address, and the delay
//! before the next attempt from there is looked at.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sign_in_failures")]
pub struct Model {
    /// The login's normalised key (the login need not exist).
    #[sea_orm(primary_key, auto_increment = false)]
    pub login_key: String,
    /// The client's address (`unknown` when there is none).
    #[sea_orm(primary_key, auto_increment = false)]
    pub address: String,
    /// Failures since the last success from this address.
    pub failures: i32,
    /// No attempt of this login from this address is looked at before.
    pub delayed_until: Option<DateTimeUtc>,
    pub last_failed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
