//! Failed sign-ins counted per login *and* source address, with the delay
//! they lead to — an outsider who fails from their own address slows only
//! themselves, never the login's owner signing in from elsewhere. Replaces
//! `login_locks` (one lock per login, which anyone could keep renewing);
//! failures are short-lived, so nothing is carried over.

use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000017_sign_in_failures"
    }
}

#[derive(DeriveIden)]
enum SignInFailures {
    Table,
    LoginKey,
    Address,
    Failures,
    DelayedUntil,
    LastFailedAt,
}

#[derive(DeriveIden)]
enum LoginLocks {
    Table,
    LoginKey,
    Failures,
    LockedUntil,
    LastFailedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SignInFailures::Table)
                    .col(string_len(SignInFailures::LoginKey, 64))
                    .col(string_len(SignInFailures::Address, 64))
                    .col(integer(SignInFailures::Failures))
                    .col(timestamp_with_time_zone_null(SignInFailures::DelayedUntil))
                    .col(timestamp_with_time_zone(SignInFailures::LastFailedAt))
                    .primary_key(
                        Index::create()
                            .col(SignInFailures::LoginKey)
                            .col(SignInFailures::Address),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(LoginLocks::Table).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LoginLocks::Table)
                    .col(string_len(LoginLocks::LoginKey, 64).primary_key())
                    .col(integer(LoginLocks::Failures))
                    .col(timestamp_with_time_zone_null(LoginLocks::LockedUntil))
                    .col(timestamp_with_time_zone_null(LoginLocks::LastFailedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(SignInFailures::Table).to_owned())
            .await
    }
}
