//! Failed portal logins in a row per login, and the lock they led to.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "login_locks")]
pub struct Model {
    /// The login's normalised key (the login need not exist).
    #[sea_orm(primary_key, auto_increment = false)]
    pub login_key: String,
    /// Failures since the last success or lock.
    pub failures: i32,
    pub locked_until: Option<DateTimeUtc>,
    /// When the last failure was (none in rows older than the column).
    pub last_failed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
