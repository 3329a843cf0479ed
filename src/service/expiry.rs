//! The expiry job: unused balances of vouchers past their use deadline, and
//! holds still open past the claim deadline, return to the budget. Running
//! it again changes nothing more.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Query;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement,
};
use uuid::Uuid;

use super::redemptions::expire_hold;
use super::vouchers::{close, Closing};
use super::{engine, locks};
use super::{Call, Ctx, Done, Operation, Service, ServiceResult};
use crate::audit::{self, Entry};
use crate::domain::access::{self, Action};
use crate::domain::clock::shanghai_date;
use crate::domain::{DomainError, RedemptionStatus, Region, VoucherState};
use crate::store::entities::{redemptions, vouchers};

/// What a run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExpiryReport {
    pub vouchers_expired: u64,
    pub holds_expired: u64,
    /// Whether the chunk was full, so that more may be due.
    pub more: bool,
}

impl ExpiryReport {
    fn add(self, other: ExpiryReport) -> ExpiryReport {
        ExpiryReport {
            vouchers_expired: self.vouchers_expired + other.vouchers_expired,
            holds_expired: self.holds_expired + other.holds_expired,
            more: other.more,
        }
    }
}

/// How many vouchers, and how many holds, one run expires at most: a run is
/// one transaction, and its locks should not be held for long.
pub const CHUNK: u64 = 500;

/// One chunk of the expiry job: as of `as_of` (a moment not in the future;
/// deadlines are Asia/Shanghai dates; default: now), up to `chunk` vouchers
/// past their use deadline and up to `chunk` holds past their voucher's
/// claim deadline. Answers what it did plus `carried` (what earlier chunks
/// of the same run did). One audit event per region it changed.
///
/// Every voucher it touches is locked first, in id order, before any budget
/// row — the order every use case locks in (voucher, then budget) — and on
/// PostgreSQL runs of several instances take turns (an advisory lock).
///
/// Refusals, in the order they are checked:
/// 1. `forbidden`: the caller is not an operator (or the service itself).
/// 2. `validation_failed` (`as_of`): in the future.
///
/// Nothing due is a run that changes nothing, not a refusal.
#[derive(Debug, Clone)]
pub struct RunExpiry {
    pub as_of: Option<DateTime<Utc>>,
    pub chunk: u64,
    pub carried: ExpiryReport,
}

impl Default for RunExpiry {
    fn default() -> Self {
        RunExpiry {
            as_of: None,
            chunk: CHUNK,
            carried: ExpiryReport::default(),
        }
    }
}

/// The advisory lock key of the expiry job ("vl-expiry").
const EXPIRY_LOCK: i64 = 0x766c_2d65_7870_6972;

impl Operation for RunExpiry {
    type Output = ExpiryReport;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<ExpiryReport>> {
        access::permit(&ctx.actor, Action::RunExpiry)?;
        let as_of = self.as_of.unwrap_or(ctx.now);
        if as_of > ctx.now {
            return Err(DomainError::field("as_of", "must not be in the future").into());
        }
        if txn.get_database_backend() == DbBackend::Postgres {
            txn.execute_raw(Statement::from_string(
                DbBackend::Postgres,
                format!("SELECT pg_advisory_xact_lock({EXPIRY_LOCK})"),
            ))
            .await?;
        }
        let today = shanghai_date(as_of);
        let due = vouchers::Entity::find()
            .select_only()
            .column(vouchers::Column::Id)
            .filter(vouchers::Column::State.eq(VoucherState::Active))
            .filter(vouchers::Column::UseUntil.lt(today))
            .order_by_asc(vouchers::Column::Id)
            .limit(self.chunk)
            .into_tuple::<Uuid>()
            .all(txn)
            .await?;
        let past_claim_deadline = Query::select()
            .column(vouchers::Column::Id)
            .from(vouchers::Entity)
            .and_where(vouchers::Column::ClaimUntil.lt(today))
            .to_owned();
        let stale = redemptions::Entity::find()
            .filter(redemptions::Column::Status.eq(RedemptionStatus::Held))
            .filter(redemptions::Column::VoucherId.in_subquery(past_claim_deadline))
            .order_by_asc(redemptions::Column::Id)
            .limit(self.chunk)
            .all(txn)
            .await?;
        let mut locked: Vec<Uuid> = due.to_vec();
        locked.extend(stale.iter().map(|r| r.voucher_id));
        let locked = locks::lock_vouchers(txn, locked).await?;

        let mut report = ExpiryReport {
            more: due.len() as u64 == self.chunk || stale.len() as u64 == self.chunk,
            ..Default::default()
        };
        let mut by_region: BTreeMap<Region, ExpiryReport> = BTreeMap::new();
        let mut count = |region: &Region, add: fn(&mut ExpiryReport)| {
            add(&mut report);
            add(by_region.entry(region.clone()).or_default());
        };
        for v in locked
            .iter()
            .filter(|v| v.state == VoucherState::Active && due.contains(&v.id))
        {
            close(txn, ctx, v, Closing::Expire).await?;
            count(&v.region, |r| r.vouchers_expired += 1);
        }
        for r in stale {
            if expire_hold(txn, ctx, &r).await? {
                count(&r.region, |r| r.holds_expired += 1);
            }
        }

        let events = by_region
            .iter()
            .map(|(region, report)| run_event(ctx, region, as_of, report))
            .collect::<ServiceResult<Vec<Entry>>>()?;
        Ok(Done {
            value: self.carried.add(report),
            events,
        })
    }
}

/// Runs the expiry job to its end as of `as_of`, chunk by chunk (each its
/// own operation); returns what all chunks did.
pub async fn run_to_end(
    service: &Service,
    call: &Call,
    as_of: DateTime<Utc>,
) -> ServiceResult<ExpiryReport> {
    let mut total = ExpiryReport::default();
    loop {
        let chunk = RunExpiry {
            as_of: Some(as_of),
            ..Default::default()
        };
        total = total.add(service.execute(call.clone(), chunk).await?);
        if !total.more {
            return Ok(total);
        }
    }
}

/// The audit entry of a run in one region.
fn run_event(
    ctx: &Ctx,
    region: &Region,
    as_of: DateTime<Utc>,
    report: &ExpiryReport,
) -> ServiceResult<Entry> {
    engine::entry(
        region,
        "expiry.run",
        "expiry_run",
        ctx.operation.to_string(),
        &serde_json::json!({
            "as_of": audit::timestamp(as_of),
            "vouchers_expired": report.vouchers_expired,
            "holds_expired": report.holds_expired,
        }),
    )
}
