//! A login's failed attempts remember when the last one was, so that the
//! hourly purge can forget failures of logins that never came back (a
//! storm of made-up logins would otherwise leave a row each, for ever).

use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261129_000013_login_failures_age"
    }
}

#[derive(DeriveIden)]
enum LoginLocks {
    Table,
    LastFailedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(LoginLocks::Table)
                    .add_column(timestamp_with_time_zone_null(LoginLocks::LastFailedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(LoginLocks::Table)
                    .drop_column(LoginLocks::LastFailedAt)
                    .to_owned(),
            )
            .await
    }
}
