//! The expiry job: unused balances of vouchers past their use deadline, and
//! holds still open past the claim deadline, return to the budget. Running
//! it again changes nothing more.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::Serialize;
use utoipa::ToSchema;

use super::redemptions::{resolve, EXPIRED_HOLD, HELD};
use super::vouchers::{close, lock_voucher, voucher_accounts, Closing, ACTIVE};
use super::ServiceResult;
use crate::domain::clock::shanghai_date;
use crate::domain::{Money, Region};
use crate::ledger::{self, AccountKind, AccountRef, Stamp, Transfer, TransferCode};
use crate::store::entities::{budgets, redemptions, vouchers};

/// What a run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct ExpiryReport {
    pub vouchers_expired: u64,
    pub holds_expired: u64,
}

/// What a run did, in all and per issuing region.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExpiryRun {
    pub total: ExpiryReport,
    pub by_region: BTreeMap<String, ExpiryReport>,
}

impl ExpiryRun {
    fn count(&mut self, region: &str, add: impl Fn(&mut ExpiryReport)) {
        add(&mut self.total);
        add(self.by_region.entry(region.to_owned()).or_default());
    }

    /// The audit entries of the run: one per region it changed.
    pub fn audit_entries(
        &self,
        operation: uuid::Uuid,
        as_of: DateTime<Utc>,
    ) -> Vec<crate::audit::Entry> {
        self.by_region
            .iter()
            .filter_map(|(region, report)| {
                Some(crate::audit::Entry {
                    region: Region::parse(region).ok()?,
                    action: "expiry.run",
                    entity_type: "expiry_run",
                    entity_id: operation.to_string(),
                    payload: serde_json::json!({
                        "as_of": crate::audit::timestamp(as_of),
                        "vouchers_expired": report.vouchers_expired,
                        "holds_expired": report.holds_expired,
                    }),
                })
            })
            .collect()
    }
}

/// Expires, as of `as_of` (a moment; deadlines are Asia/Shanghai dates),
/// every voucher past its use deadline and every hold past its voucher's
/// claim deadline. Transfers carry `stamp`.
pub async fn run<C: ConnectionTrait>(
    txn: &C,
    as_of: DateTime<Utc>,
    stamp: &Stamp,
) -> ServiceResult<ExpiryRun> {
    let today = shanghai_date(as_of);
    let mut run = ExpiryRun::default();

    let due = vouchers::Entity::find()
        .select_only()
        .column(vouchers::Column::Id)
        .filter(vouchers::Column::State.eq(ACTIVE))
        .filter(vouchers::Column::UseUntil.lt(today))
        .into_tuple::<uuid::Uuid>()
        .all(txn)
        .await?;
    for id in due {
        let Some(v) = lock_voucher(txn, id).await?.filter(|v| v.state == ACTIVE) else {
            continue;
        };
        close(txn, &v, Closing::Expire, stamp).await?;
        run.count(&v.region, |r| r.vouchers_expired += 1);
    }

    let past_claim_deadline = Query::select()
        .column(vouchers::Column::Id)
        .from(vouchers::Entity)
        .and_where(vouchers::Column::ClaimUntil.lt(today))
        .to_owned();
    let stale = redemptions::Entity::find()
        .filter(redemptions::Column::Status.eq(HELD))
        .filter(redemptions::Column::VoucherId.in_subquery(past_claim_deadline))
        .all(txn)
        .await?;
    for r in stale {
        let Some(v) = lock_voucher(txn, r.voucher_id).await? else {
            continue;
        };
        // Resolved meanwhile by a completion or a cancellation?
        let still_held = redemptions::Entity::find_by_id(r.id)
            .lock_exclusive()
            .one(txn)
            .await?
            .is_some_and(|r| r.status == HELD);
        if !still_held {
            continue;
        }
        let region = Region::parse(&r.region)?;
        let (_, held) = voucher_accounts(&v)?;
        let amount = Money::from_fen(r.amount);
        let budget = AccountRef::of(&region, r.year, AccountKind::Budget);
        let transfer = Transfer::between(TransferCode::Expire, held, budget, amount)
            .voucher(v.id)
            .redemption(r.id);
        // The budget row before the budget account, as issuance locks them.
        super::programme::add_to_budget(txn, &region, r.year, budgets::Column::Returned, amount)
            .await?;
        super::programme::add_to_budget(txn, &region, r.year, budgets::Column::Expired, amount)
            .await?;
        ledger::post(txn, &transfer, stamp).await?;
        vouchers::Entity::update_many()
            .col_expr(
                vouchers::Column::Expired,
                Expr::col(vouchers::Column::Expired).add(amount.fen()),
            )
            .filter(vouchers::Column::Id.eq(v.id))
            .exec(txn)
            .await?;
        resolve(txn, r.id, EXPIRED_HOLD, Money::ZERO, stamp.at).await?;
        run.count(&r.region, |r| r.holds_expired += 1);
    }
    Ok(run)
}
