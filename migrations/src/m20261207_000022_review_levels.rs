//! Two-level review: the district (city, county) a regulator reviews for
//! at the first level, and on each application its district, the level it
//! waits at and the first level's recommendation.

use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000022_review_levels"
    }
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    District,
}

#[derive(DeriveIden)]
enum Applications {
    Table,
    District,
    Level,
    Recommended,
    ReviewReason,
    ReviewedBy,
    ReviewedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column at a time.
        let columns = [
            (
                Organizations::Table.into_iden(),
                string_len_null(Organizations::District, 8),
            ),
            (
                Applications::Table.into_iden(),
                string_len_null(Applications::District, 8),
            ),
            (
                Applications::Table.into_iden(),
                string_len(Applications::Level, 16)
                    .default("region")
                    .to_owned(),
            ),
            (
                Applications::Table.into_iden(),
                big_integer_null(Applications::Recommended),
            ),
            (
                Applications::Table.into_iden(),
                text_null(Applications::ReviewReason),
            ),
            (
                Applications::Table.into_iden(),
                uuid_null(Applications::ReviewedBy),
            ),
            (
                Applications::Table.into_iden(),
                timestamp_with_time_zone_null(Applications::ReviewedAt),
            ),
        ];
        for (table, mut column) in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let columns = [
            (
                Organizations::Table.into_iden(),
                Organizations::District.into_iden(),
            ),
            (
                Applications::Table.into_iden(),
                Applications::District.into_iden(),
            ),
            (
                Applications::Table.into_iden(),
                Applications::Level.into_iden(),
            ),
            (
                Applications::Table.into_iden(),
                Applications::Recommended.into_iden(),
            ),
            (
                Applications::Table.into_iden(),
                Applications::ReviewReason.into_iden(),
            ),
            (
                Applications::Table.into_iden(),
                Applications::ReviewedBy.into_iden(),
            ),
            (
                Applications::Table.into_iden(),
                Applications::ReviewedAt.into_iden(),
            ),
        ];
        for (table, column) in columns {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
