//! The exception queue: lines of the bank's files that could not be
//! applied, for a regulator of the region to look into and resolve with a
//! note (resolving moves no money: what the bank corrects comes back in
//! its next file); and the last steps of a run — reconciled once every
//! payment has the bank's last word and no exception of it is open, then
//! closed.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde::Serialize;
use uuid::Uuid;

use super::runs::one;
use super::{expect, lock, Run};
use crate::domain::access::{self, Action};
use crate::domain::settlement::RunStatus;
use crate::domain::{text, Actor, DomainError, Money, Refusal, Region};
use crate::service::{Ctx, Done, Operation, Recorded, ServiceResult};
use crate::store::entities::{settlement_exceptions, settlement_items, settlement_runs};
use crate::store::Db;

/// A line that could not be applied.
#[derive(Debug, Clone, Serialize)]
pub struct Exception {
    pub id: Uuid,
    pub region: Region,
    /// The file it came in.
    pub file_id: Uuid,
    /// Where in the file.
    pub locator: String,
    /// `unknown`, `wrong_amount`, `duplicate` or `wrong_state`.
    pub kind: String,
    pub end_to_end_id: Option<String>,
    /// The payment it was matched to, if any.
    pub item_id: Option<Uuid>,
    pub amount: Option<Money>,
    pub detail: String,
    /// `open` or `resolved`.
    pub status: String,
    pub resolution: Option<String>,
    pub resolved_by: Option<Uuid>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<settlement_exceptions::Model> for Exception {
    fn from(e: settlement_exceptions::Model) -> Self {
        Exception {
            id: e.id,
            region: e.region,
            file_id: e.file_id,
            locator: e.locator,
            kind: e.kind,
            end_to_end_id: e.end_to_end_id,
            item_id: e.item_id,
            amount: e.amount.map(Money::from_fen),
            detail: e.detail,
            status: e.status,
            resolution: e.resolution,
            resolved_by: e.resolved_by,
            resolved_at: e.resolved_at,
            created_at: e.created_at,
        }
    }
}

impl Recorded for Exception {
    fn audit_region(&self) -> &Region {
        &self.region
    }
    fn audit_id(&self) -> String {
        self.id.to_string()
    }
}

/// The exceptions of `region`, newest first: the open ones, or all.
pub async fn list(
    db: &Db,
    actor: &Actor,
    region: &Region,
    open_only: bool,
) -> ServiceResult<Vec<Exception>> {
    access::permit_in_region(actor, Action::DecideClaim, region)?;
    if !actor.regulates(region) {
        return Err(DomainError::Forbidden("only the region's regulator settles".into()).into());
    }
    let mut query = settlement_exceptions::Entity::find()
        .filter(settlement_exceptions::Column::Region.eq(region.clone()))
        .order_by_desc(settlement_exceptions::Column::CreatedAt)
        .order_by_desc(settlement_exceptions::Column::Id)
        .limit(500);
    if open_only {
        query = query.filter(settlement_exceptions::Column::Status.eq("open"));
    }
    let rows = query.all(db.reader()).await?;
    Ok(rows.into_iter().map(Exception::from).collect())
}

/// A regulator of the region resolves an open exception with a note of
/// what was found and done (nothing moves).
///
/// Refusals, in the order they are checked:
/// 1. `validation_failed` (`resolution`): blank or over 1000 characters.
/// 2. `forbidden`: not a regulator; `not_found`: no such exception of its
///    region.
/// 3. `invalid_state`: resolved already.
#[derive(Debug, Clone)]
pub struct ResolveException {
    pub id: Uuid,
    pub resolution: String,
}

impl Operation for ResolveException {
    type Output = Exception;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<Exception>> {
        let resolution = text::clean_multiline("resolution", &self.resolution, 1000)?;
        access::permit(&ctx.actor, Action::DecideClaim)?;
        let found = settlement_exceptions::Entity::find_by_id(self.id)
            .lock_exclusive()
            .one(txn)
            .await?
            .filter(|e| ctx.actor.regulates(&e.region))
            .ok_or(DomainError::NotFound)?;
        if found.status != "open" {
            let detail = format!("the exception is {}", found.status);
            return Err(DomainError::refused(Refusal::InvalidState, detail).into());
        }
        let by = ctx.actor.person.unwrap_or(ctx.actor.sub);
        settlement_exceptions::Entity::update_many()
            .col_expr(
                settlement_exceptions::Column::Status,
                Expr::value("resolved"),
            )
            .col_expr(
                settlement_exceptions::Column::Resolution,
                Expr::value(resolution.clone()),
            )
            .col_expr(settlement_exceptions::Column::ResolvedBy, Expr::value(by))
            .col_expr(
                settlement_exceptions::Column::ResolvedAt,
                Expr::value(ctx.now),
            )
            .filter(settlement_exceptions::Column::Id.eq(found.id))
            .exec(txn)
            .await?;
        let resolved = settlement_exceptions::Model {
            status: "resolved".into(),
            resolution: Some(resolution),
            resolved_by: Some(by),
            resolved_at: Some(ctx.now),
            ..found
        };
        Done::recorded(
            resolved.into(),
            "settlement.resolve",
            "settlement_exception",
        )
    }
}

/// The open exceptions about a run's payments.
async fn open_of_run<C: ConnectionTrait>(txn: &C, run: Uuid) -> ServiceResult<u64> {
    let items = Query::select()
        .column(settlement_items::Column::Id)
        .from(settlement_items::Entity)
        .and_where(Expr::col(settlement_items::Column::RunId).eq(run))
        .to_owned();
    Ok(settlement_exceptions::Entity::find()
        .filter(settlement_exceptions::Column::Status.eq("open"))
        .filter(settlement_exceptions::Column::ItemId.in_subquery(items))
        .count(txn)
        .await?)
}

/// The region's regulator reconciles a run the bank has reported on in
/// full (settled or partly settled) once no exception about its payments
/// is open.
///
/// Refusals, in the order they are checked:
/// 1. `forbidden`: not a regulator; `not_found`: no such run of its region.
/// 2. `invalid_state`: the run is not settled or partly settled, or an
///    exception about its payments is open.
#[derive(Debug, Clone)]
pub struct ReconcileRun {
    pub id: Uuid,
}

impl Operation for ReconcileRun {
    type Output = Run;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<Run>> {
        let run = lock(txn, &ctx.actor, self.id).await?;
        let settled = [RunStatus::Settled, RunStatus::PartlySettled];
        expect(&run, &settled, "reconciled")?;
        let open = open_of_run(txn, run.id).await?;
        if open > 0 {
            let detail = format!("{open} exception(s) about the run's payments are open");
            return Err(DomainError::refused(Refusal::InvalidState, detail).into());
        }
        step(txn, run.id, RunStatus::Reconciled, None).await?;
        let run = one(txn, run.id, ctx.now).await?;
        Done::recorded(run, "settlement.reconcile", "settlement_run")
    }
}

/// The region's regulator closes a reconciled run.
///
/// Refusals, in the order they are checked:
/// 1. `forbidden`: not a regulator; `not_found`: no such run of its region.
/// 2. `invalid_state`: the run is not reconciled.
#[derive(Debug, Clone)]
pub struct CloseRun {
    pub id: Uuid,
}

impl Operation for CloseRun {
    type Output = Run;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<Run>> {
        let run = lock(txn, &ctx.actor, self.id).await?;
        expect(&run, &[RunStatus::Reconciled], "closed")?;
        step(txn, run.id, RunStatus::Closed, Some(ctx.now)).await?;
        let run = one(txn, run.id, ctx.now).await?;
        Done::recorded(run, "settlement.close", "settlement_run")
    }
}

async fn step<C: ConnectionTrait>(
    txn: &C,
    run: Uuid,
    status: RunStatus,
    closed_at: Option<DateTime<Utc>>,
) -> ServiceResult<()> {
    let mut update = settlement_runs::Entity::update_many()
        .col_expr(
            settlement_runs::Column::Status,
            Expr::value(status.as_str()),
        )
        .filter(settlement_runs::Column::Id.eq(run));
    if let Some(at) = closed_at {
        update = update.col_expr(settlement_runs::Column::ClosedAt, Expr::value(at));
    }
    update.exec(txn).await?;
    Ok(())
}
