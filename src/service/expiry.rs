//! The expiry job: unused balances of vouchers past their use deadline, and
//! holds still open past the claim deadline, return to the budget. Running
//! it again changes nothing more.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect};
use serde::Serialize;

use super::redemptions::expire_hold;
use super::vouchers::{close, lock_voucher, Closing};
use super::{pipeline, Ctx, Done, Operation, ServiceResult};
use crate::audit::{self, Entry};
use crate::domain::access::{self, Action};
use crate::domain::clock::shanghai_date;
use crate::domain::{DomainError, RedemptionStatus, Region, VoucherState};
use crate::store::entities::{redemptions, vouchers};

/// What a run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ExpiryReport {
    pub vouchers_expired: u64,
    pub holds_expired: u64,
}

/// Expires, as of `as_of` (a moment not in the future; deadlines are
/// Asia/Shanghai dates; default: now), every voucher past its use deadline
/// and every hold past its voucher's claim deadline. One audit event per
/// region it changed.
#[derive(Debug, Clone, Default)]
pub struct RunExpiry {
    pub as_of: Option<DateTime<Utc>>,
}

impl Operation for RunExpiry {
    type Output = ExpiryReport;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<ExpiryReport>> {
        access::permit(&ctx.actor, Action::RunExpiry)?;
        let as_of = self.as_of.unwrap_or(ctx.now);
        if as_of > ctx.now {
            return Err(DomainError::field("as_of", "must not be in the future").into());
        }
        let today = shanghai_date(as_of);
        let mut total = ExpiryReport::default();
        let mut by_region: BTreeMap<Region, ExpiryReport> = BTreeMap::new();
        let mut count = |region: &Region, add: fn(&mut ExpiryReport)| {
            add(&mut total);
            add(by_region.entry(region.clone()).or_default());
        };

        let due = vouchers::Entity::find()
            .select_only()
            .column(vouchers::Column::Id)
            .filter(vouchers::Column::State.eq(VoucherState::Active))
            .filter(vouchers::Column::UseUntil.lt(today))
            .into_tuple::<uuid::Uuid>()
            .all(txn)
            .await?;
        for id in due {
            let Some(v) = lock_voucher(txn, id)
                .await?
                .filter(|v| v.state == VoucherState::Active)
            else {
                continue;
            };
            close(txn, ctx, &v, Closing::Expire).await?;
            count(&v.region, |r| r.vouchers_expired += 1);
        }

        let past_claim_deadline = Query::select()
            .column(vouchers::Column::Id)
            .from(vouchers::Entity)
            .and_where(vouchers::Column::ClaimUntil.lt(today))
            .to_owned();
        let stale = redemptions::Entity::find()
            .filter(redemptions::Column::Status.eq(RedemptionStatus::Held))
            .filter(redemptions::Column::VoucherId.in_subquery(past_claim_deadline))
            .all(txn)
            .await?;
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
            value: total,
            events,
        })
    }
}

/// The audit entry of a run in one region.
fn run_event(
    ctx: &Ctx,
    region: &Region,
    as_of: DateTime<Utc>,
    report: &ExpiryReport,
) -> ServiceResult<Entry> {
    pipeline::entry(
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
