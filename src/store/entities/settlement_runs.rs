//! A settlement run: one region's payment of its providers for a period.

use sea_orm::entity::prelude::*;

use crate::domain::Region;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "settlement_runs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub region: Region,
    /// `2026-11`, `2026-Q4`, `2026`, or `manual` (a payment outside a run).
    pub period: String,
    /// `region/period` while the run is not cancelled (unique), else none.
    pub live_key: Option<String>,
    pub cut_off: DateTimeUtc,
    pub status: String,
    pub item_count: i64,
    pub claim_count: i64,
    /// The control sum, in fen.
    pub total: i64,
    /// The providers held back at freezing, as JSON.
    pub held_back: String,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub frozen_by: Option<Uuid>,
    pub frozen_at: Option<DateTimeUtc>,
    pub approved_by: Option<Uuid>,
    pub approved_at: Option<DateTimeUtc>,
    pub exported_by: Option<Uuid>,
    pub exported_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
    /// Why it was cancelled.
    pub reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
