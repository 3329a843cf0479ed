//! A second factor for people: a TOTP secret (RFC 6238), when it was
//! enrolled, the last time step a code was accepted for (a code is good
//! once), and recovery codes — only their SHA-256 is kept.

use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000016_second_factor"
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    TotpSecret,
    TotpEnrolledAt,
    TotpLastStep,
}

#[derive(DeriveIden)]
enum RecoveryCodes {
    Table,
    CodeHash,
    UserId,
    UsedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            string_len_null(Users::TotpSecret, 64),
            timestamp_with_time_zone_null(Users::TotpEnrolledAt),
            big_integer_null(Users::TotpLastStep),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(RecoveryCodes::Table)
                    .col(string_len(RecoveryCodes::CodeHash, 64).primary_key())
                    .col(uuid(RecoveryCodes::UserId))
                    .col(timestamp_with_time_zone_null(RecoveryCodes::UsedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_recovery_codes_user")
                    .table(RecoveryCodes::Table)
                    .col(RecoveryCodes::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RecoveryCodes::Table).to_owned())
            .await?;
        for column in [
            Users::TotpSecret,
            Users::TotpEnrolledAt,
            Users::TotpLastStep,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
