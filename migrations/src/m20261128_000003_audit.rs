//! The audit trail: hash-chained events per issuing region, their chain
//! heads, and the operation that links each transfer to its event.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Region,
    Seq,
    Id,
    OperationId,
    OccurredAt,
    ActorSub,
    ActorRole,
    ActorRegion,
    Action,
    EntityType,
    EntityId,
    RequestId,
    IdempotencyKey,
    Payload,
    PrevHash,
    Hash,
}

#[derive(DeriveIden)]
enum AuditHeads {
    Table,
    Region,
    Seq,
    Hash,
}

#[derive(DeriveIden)]
enum Transfers {
    Table,
    OperationId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(string_len(AuditEvents::Region, 8))
                    .col(big_integer(AuditEvents::Seq))
                    .col(uuid_uniq(AuditEvents::Id))
                    .col(uuid(AuditEvents::OperationId))
                    .col(timestamp_with_time_zone(AuditEvents::OccurredAt))
                    .col(string_len(AuditEvents::ActorSub, 64))
                    .col(string_len(AuditEvents::ActorRole, 16))
                    .col(string_len_null(AuditEvents::ActorRegion, 8))
                    .col(string_len(AuditEvents::Action, 64))
                    .col(string_len(AuditEvents::EntityType, 32))
                    .col(string_len(AuditEvents::EntityId, 64))
                    .col(string_len_null(AuditEvents::RequestId, 64))
                    .col(string_len_null(AuditEvents::IdempotencyKey, 255))
                    .col(text(AuditEvents::Payload))
                    .col(string_len(AuditEvents::PrevHash, 64))
                    .col(string_len(AuditEvents::Hash, 64))
                    .primary_key(
                        Index::create()
                            .col(AuditEvents::Region)
                            .col(AuditEvents::Seq),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("ix_audit_events_entity", AuditEvents::EntityId),
            ("ix_audit_events_occurred_at", AuditEvents::OccurredAt),
            ("ix_audit_events_operation", AuditEvents::OperationId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(AuditEvents::Table)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(AuditHeads::Table)
                    .col(string_len(AuditHeads::Region, 8).primary_key())
                    .col(big_integer(AuditHeads::Seq))
                    .col(string_len(AuditHeads::Hash, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Transfers::Table)
                    .add_column(uuid_null(Transfers::OperationId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_transfers_operation")
                    .table(Transfers::Table)
                    .col(Transfers::OperationId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_transfers_operation")
                    .table(Transfers::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Transfers::Table)
                    .drop_column(Transfers::OperationId)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(AuditHeads::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(AuditEvents::Table).to_owned())
            .await
    }
}
