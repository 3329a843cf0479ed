//! What was issued to a company (and to every company of its controller) in
//! a region and year is read at every approval: an index on exactly that
//! (holder, region, year), replacing the holder-only one, so the planner
//! never walks the region's every voucher instead (SQLite, without
//! statistics, did: the approval rate fell with every voucher issued).

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261129_000008_holder_index"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("ix_vouchers_holder_region_year")
                    .table(Alias::new("vouchers"))
                    .col(Alias::new("holder_id"))
                    .col(Alias::new("region"))
                    .col(Alias::new("year"))
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_vouchers_holder")
                    .table(Alias::new("vouchers"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("ix_vouchers_holder")
                    .table(Alias::new("vouchers"))
                    .col(Alias::new("holder_id"))
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_vouchers_holder_region_year")
                    .table(Alias::new("vouchers"))
                    .to_owned(),
            )
            .await
    }
}
