//! Exporting an approved run: its payments go to the bank as an ISO 20022
//! pain.001.001.09 file and as a bulk-payment sheet, each kept whole with
//! its SHA-256 (which the audit event records, so that a file can be
//! proven unchanged later); each item's amount moves from the provider's
//! payable to in transit, per fiscal year of its redemptions.

use std::collections::BTreeMap;

use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, StatementBuilder,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::runs::one;
use super::{expect, lock, names, sum_fen, Run};
use crate::domain::bank_files::{file_id, pain001, payments_csv, Batch, Party, Payment};
use crate::domain::clock::shanghai_date;
use crate::domain::settlement::{ItemStatus, RunStatus};
use crate::domain::{DomainError, Money, Refusal, Region};
use crate::ledger::{self, AccountKind, AccountRef, Transfer, TransferCode};
use crate::service::{Ctx, Done, Operation, ServiceError, ServiceResult};
use crate::store::entities::{bank_files, claims, redemptions, settlement_items, settlement_runs};

/// The region's regulator exports an approved run: the bank files are
/// made and kept, the items are sent, the money is in transit.
///
/// Refusals, in the order they are checked:
/// 1. `forbidden`: not a regulator; `not_found`: no such run of its region.
/// 2. `invalid_state`: the run is not approved.
/// 3. `invalid_state`: the run's payment list is under public notice, or
///    an objection to it was upheld (a notice due with no objection open
///    takes effect now).
/// 4. `invalid_state`: the region's policy names no fund account (`[fund]`).
#[derive(Debug, Clone)]
pub struct ExportRun {
    pub id: Uuid,
}

impl Operation for ExportRun {
    type Output = Run;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<Run>> {
        let run = lock(txn, &ctx.actor, self.id).await?;
        expect(&run, &[RunStatus::Approved], "exported")?;
        let noticed = super::notice::cleared(txn, ctx, &run).await?;
        let fund = ctx
            .rules
            .get(&run.region)
            .and_then(|r| r.policy().fund.clone())
            .ok_or_else(|| {
                DomainError::refused(
                    Refusal::InvalidState,
                    format!(
                        "{}'s policy names no fund account ([fund]) to pay from",
                        run.region
                    ),
                )
            })?;
        let items = settlement_items::Entity::find()
            .filter(settlement_items::Column::RunId.eq(run.id))
            .filter(settlement_items::Column::Status.eq(ItemStatus::Included.as_str()))
            .order_by_asc(settlement_items::Column::Id)
            .all(txn)
            .await?;
        dispatch(txn, ctx, &run.region, run.id).await?;
        settlement_items::Entity::update_many()
            .col_expr(
                settlement_items::Column::Status,
                Expr::value(ItemStatus::Sent.as_str()),
            )
            .filter(settlement_items::Column::RunId.eq(run.id))
            .exec(txn)
            .await?;
        let names = names(txn, items.iter().map(|i| i.provider_id)).await?;
        let remittance = |i: &settlement_items::Model| {
            format!(
                "科技创新券兑付 {} {} · {} 笔 · {}",
                run.region,
                run.period,
                i.claim_count,
                names.get(&i.provider_id).cloned().unwrap_or_default()
            )
        };
        let batch = Batch {
            message_id: file_id(run.id),
            created_at: ctx.now,
            execution_date: shanghai_date(ctx.now),
            debtor: Party {
                name: fund.name,
                account_number: fund.account_number,
                bank_name: fund.bank_name,
                cnaps_code: fund.cnaps_code,
            },
            payments: items
                .iter()
                .map(|i| Payment {
                    end_to_end_id: file_id(i.id),
                    amount: Money::from_fen(i.amount),
                    creditor: Party {
                        name: i.account_name.clone(),
                        account_number: i.account_number.clone(),
                        bank_name: i.bank_name.clone(),
                        cnaps_code: i.cnaps_code.clone(),
                    },
                    remittance: remittance(i),
                })
                .collect(),
        };
        let overflow = || ServiceError::Internal("run total overflow".into());
        if batch.control_sum().ok_or_else(overflow)?.fen() != run.total {
            return Err(ServiceError::Internal(format!(
                "run {} pays other than its control total",
                run.id
            )));
        }
        let stem = format!("{}-{}-{}", run.region, run.period, &file_id(run.id)[..8]);
        let files = [
            (
                "pain.001.001.09",
                format!("{stem}.pain001.xml"),
                pain001::write(&batch).ok_or_else(overflow)?,
            ),
            (
                "payments.csv",
                format!("{stem}.payments.csv"),
                payments_csv::write(&batch).ok_or_else(overflow)?,
            ),
        ];
        for (format, name, content) in files {
            keep(
                txn,
                ctx,
                &run.region,
                Some(run.id),
                "out",
                format,
                name,
                content,
            )
            .await?;
        }
        let by = ctx.actor.person.unwrap_or(ctx.actor.sub);
        settlement_runs::Entity::update_many()
            .col_expr(
                settlement_runs::Column::Status,
                Expr::value(RunStatus::Exported.as_str()),
            )
            .col_expr(settlement_runs::Column::ExportedBy, Expr::value(by))
            .col_expr(settlement_runs::Column::ExportedAt, Expr::value(ctx.now))
            .filter(settlement_runs::Column::Id.eq(run.id))
            .exec(txn)
            .await?;
        let run = one(txn, run.id, ctx.now).await?;
        let mut done = Done::recorded(run, "settlement.export", "settlement_run")?;
        done.events.splice(0..0, noticed);
        Ok(done)
    }
}

/// The SHA-256 of a file, in hex.
pub fn sha256_hex(content: &str) -> String {
    hex::encode(Sha256::digest(content.as_bytes()))
}

/// Keeps a bank file whole, with its SHA-256; answers its id.
#[allow(clippy::too_many_arguments)]
pub(super) async fn keep<C: ConnectionTrait>(
    txn: &C,
    ctx: &Ctx,
    region: &Region,
    run: Option<Uuid>,
    direction: &str,
    format: &str,
    name: String,
    content: String,
) -> ServiceResult<Uuid> {
    let id = Uuid::now_v7();
    bank_files::Entity::insert(bank_files::ActiveModel {
        id: Set(id),
        region: Set(region.clone()),
        run_id: Set(run),
        direction: Set(direction.into()),
        format: Set(format.into()),
        name: Set(name),
        sha256: Set(sha256_hex(&content)),
        size: Set(content.len() as i64),
        content: Set(content),
        summary: Set("{}".into()),
        created_by: Set(ctx.actor.person.unwrap_or(ctx.actor.sub)),
        created_at: Set(ctx.now),
    })
    .exec_without_returning(txn)
    .await?;
    Ok(id)
}

/// What each item of a run pays per fiscal year (of its claims'
/// redemptions), with the provider paid: `(item, provider) → year → amount`.
pub(super) async fn per_item_year<C: ConnectionTrait>(
    conn: &C,
    items: impl IntoIterator<Item = Uuid>,
) -> ServiceResult<BTreeMap<(Uuid, Uuid), BTreeMap<i32, Money>>> {
    let items: Vec<Uuid> = items.into_iter().collect();
    let mut out: BTreeMap<(Uuid, Uuid), BTreeMap<i32, Money>> = BTreeMap::new();
    for chunk in items.chunks(500) {
        let select = Query::select()
            .expr_as(
                Expr::col((claims::Entity, claims::Column::SettlementItemId)),
                "item",
            )
            .expr_as(
                Expr::col((claims::Entity, claims::Column::ProviderId)),
                "provider",
            )
            .expr_as(
                Expr::col((redemptions::Entity, redemptions::Column::Year)),
                "year",
            )
            .expr_as(
                sum_fen(Expr::col((
                    redemptions::Entity,
                    redemptions::Column::CompletedAmount,
                ))),
                "amount",
            )
            .from(redemptions::Entity)
            .inner_join(
                claims::Entity,
                Expr::col((claims::Entity, claims::Column::Id))
                    .equals((redemptions::Entity, redemptions::Column::ClaimId)),
            )
            .and_where(
                Expr::col((claims::Entity, claims::Column::SettlementItemId))
                    .is_in(chunk.iter().copied()),
            )
            .group_by_col((claims::Entity, claims::Column::SettlementItemId))
            .group_by_col((claims::Entity, claims::Column::ProviderId))
            .group_by_col((redemptions::Entity, redemptions::Column::Year))
            .to_owned();
        let statement = StatementBuilder::build(&select, &conn.get_database_backend());
        for row in conn.query_all_raw(statement).await? {
            let item: Uuid = row.try_get("", "item")?;
            let provider: Uuid = row.try_get("", "provider")?;
            let year: i32 = row.try_get("", "year")?;
            let amount: i64 = row.try_get("", "amount")?;
            out.entry((item, provider))
                .or_default()
                .insert(year, Money::from_fen(amount));
        }
    }
    Ok(out)
}

/// Moves what a run's items pay from each provider's payable to in
/// transit, one transfer per item and fiscal year.
async fn dispatch<C: ConnectionTrait>(
    txn: &C,
    ctx: &Ctx,
    region: &Region,
    run: Uuid,
) -> ServiceResult<()> {
    let items: Vec<Uuid> = settlement_items::Entity::find()
        .filter(settlement_items::Column::RunId.eq(run))
        .all(txn)
        .await?
        .into_iter()
        .map(|i| i.id)
        .collect();
    for ((_, provider), years) in per_item_year(txn, items).await? {
        for (year, amount) in years {
            if amount.is_zero() {
                continue;
            }
            let in_transit = AccountRef::owned(region, year, AccountKind::InTransit, provider);
            ledger::open_account(txn, &in_transit, ctx.now).await?;
            let payable = AccountRef::owned(region, year, AccountKind::Payable, provider);
            let transfer = Transfer::between(TransferCode::Dispatch, payable, in_transit, amount);
            ctx.post(txn, transfer).await?;
        }
    }
    Ok(())
}
