//! Settlement runs: a region pays its providers per period of its policy's
//! `settlement_cycle`, in one run. Created as a draft (a preview of what it
//! would pay), frozen by one person (the approved, unpaid claims decided
//! before the cut-off locked to it, one item per provider paid to a
//! snapshot of its bank account in force, control totals fixed), approved
//! by another (maker-checker), exported (the bank files, the money moved
//! from payable to in transit), then reported on by the bank
//! ([`import`]). Cancelled only before export. [`runs`] holds the steps up
//! to approval, [`export`] the files out.

pub mod advice;
mod bookings;
pub mod exceptions;
pub mod export;
pub mod import;
pub mod manual;
mod notice;
pub mod runs;
pub mod statement;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use uuid::Uuid;

use super::{Recorded, ServiceError, ServiceResult};
use crate::domain::access::{self, Action};
use crate::domain::settlement::{ItemStatus, RunStatus};
use crate::domain::{Actor, DomainError, Money, Region};
use crate::store::entities::{bank_files, organizations, settlement_items, settlement_runs};
use crate::store::Db;

/// A settlement run.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    pub id: Uuid,
    pub region: Region,
    pub period: String,
    /// Claims decided before this moment are paid by the run.
    pub cut_off: DateTime<Utc>,
    pub status: RunStatus,
    /// The control totals: items, claims, and their sum.
    pub item_count: i64,
    pub claim_count: i64,
    pub total: Money,
    pub items: Vec<Item>,
    /// Providers with payable claims but no approved bank account when
    /// the run was frozen (their claims stay payable).
    pub held_back: Vec<HeldBack>,
    /// While a draft: what freezing now would pay.
    pub preview: Option<Vec<Planned>>,
    /// The bank files that went out and came in.
    pub files: Vec<FileRef>,
    /// What the claims the run pays come to per budget line (fiscal year
    /// of their redemptions).
    pub budget_lines: Vec<BudgetLine>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub frozen_by: Option<Uuid>,
    pub frozen_at: Option<DateTime<Utc>>,
    pub approved_by: Option<Uuid>,
    pub approved_at: Option<DateTime<Utc>>,
    pub exported_by: Option<Uuid>,
    pub exported_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub reason: Option<String>,
}

impl Recorded for Run {
    fn audit_region(&self) -> &Region {
        &self.region
    }
    fn audit_id(&self) -> String {
        self.id.to_string()
    }
}

/// One payment of a run: a provider, the account it is paid to (as it
/// was when the run was frozen), how many claims and how much.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub id: Uuid,
    pub provider_id: Uuid,
    pub provider_name: String,
    pub payee_account_id: Uuid,
    pub account_name: String,
    pub account_number: String,
    pub bank_name: String,
    pub cnaps_code: String,
    pub claim_count: i64,
    pub amount: Money,
    pub status: ItemStatus,
    pub reason: Option<String>,
    pub bank_reference: Option<String>,
    pub settled_at: Option<DateTime<Utc>>,
}

/// A budget line (fiscal year) of a run and what it pays from it.
#[derive(Debug, Clone, Serialize)]
pub struct BudgetLine {
    pub year: i32,
    pub amount: Money,
}

/// What a run's payments come to per fiscal year.
async fn budget_lines<C: ConnectionTrait>(
    conn: &C,
    items: impl IntoIterator<Item = Uuid>,
) -> ServiceResult<Vec<BudgetLine>> {
    let mut years: std::collections::BTreeMap<i32, Money> = Default::default();
    for by_year in export::per_item_year(conn, items).await?.into_values() {
        for (year, amount) in by_year {
            let sum = years.entry(year).or_default();
            *sum = sum
                .checked_add(amount)
                .ok_or_else(|| ServiceError::Internal("budget line overflow".into()))?;
        }
    }
    Ok(years
        .into_iter()
        .map(|(year, amount)| BudgetLine { year, amount })
        .collect())
}

/// What freezing a draft would pay a provider.
#[derive(Debug, Clone, Serialize)]
pub struct Planned {
    pub provider_id: Uuid,
    pub provider_name: String,
    pub claim_count: i64,
    pub amount: Money,
    /// The approved account in force, if any (none: held back).
    pub payee_account_id: Option<Uuid>,
    #[serde(skip)]
    pub(super) account: Option<super::payees::PayeeAccount>,
}

/// A provider left out of a run, and why.
#[derive(Debug, Clone, Serialize)]
pub struct HeldBack {
    pub provider_id: Uuid,
    pub provider_name: String,
    pub claim_count: i64,
    pub amount: Money,
    pub reason: String,
}

/// A [`HeldBack`] as the run row keeps it (JSON, the amount in fen).
#[derive(serde::Serialize, serde::Deserialize)]
struct HeldBackRow {
    provider_id: Uuid,
    provider_name: String,
    claim_count: i64,
    fen: i64,
    reason: String,
}

/// The held-back providers as stored.
fn held_back_to_text(held: &[HeldBack]) -> String {
    let rows: Vec<HeldBackRow> = held
        .iter()
        .map(|h| HeldBackRow {
            provider_id: h.provider_id,
            provider_name: h.provider_name.clone(),
            claim_count: h.claim_count,
            fen: h.amount.fen(),
            reason: h.reason.clone(),
        })
        .collect();
    serde_json::to_string(&rows).unwrap_or_else(|_| "[]".into())
}

/// The held-back providers of a stored run.
fn held_back_of(text: &str) -> Vec<HeldBack> {
    let rows: Vec<HeldBackRow> = serde_json::from_str(text).unwrap_or_default();
    rows.into_iter()
        .map(|r| HeldBack {
            provider_id: r.provider_id,
            provider_name: r.provider_name,
            claim_count: r.claim_count,
            amount: Money::from_fen(r.fen),
            reason: r.reason,
        })
        .collect()
}

/// A bank file of a run (its content is downloaded separately).
#[derive(Debug, Clone, Serialize)]
pub struct FileRef {
    pub id: Uuid,
    /// `out` or `in`.
    pub direction: String,
    pub format: String,
    pub name: String,
    pub sha256: String,
    pub size: i64,
    pub created_at: DateTime<Utc>,
}

impl From<bank_files::Model> for FileRef {
    fn from(f: bank_files::Model) -> Self {
        FileRef {
            id: f.id,
            direction: f.direction,
            format: f.format,
            name: f.name,
            sha256: f.sha256,
            size: f.size,
            created_at: f.created_at,
        }
    }
}

/// `SUM(expr)` as a BIGINT (PostgreSQL sums BIGINTs as NUMERIC).
fn sum_fen(expr: impl Into<sea_orm::sea_query::Expr>) -> sea_orm::sea_query::Expr {
    use sea_orm::sea_query::{Alias, Expr, Func};
    Expr::from(Func::cast_as(Func::sum(expr.into()), Alias::new("BIGINT")))
}

fn status<T: std::str::FromStr>(text: &str) -> ServiceResult<T> {
    text.parse()
        .map_err(|_| ServiceError::Internal(format!("unknown settlement status {text}")))
}

/// Names of organisations, by id.
async fn names<C: ConnectionTrait>(
    conn: &C,
    ids: impl IntoIterator<Item = Uuid>,
) -> ServiceResult<std::collections::HashMap<Uuid, String>> {
    let rows: Vec<(Uuid, String)> = organizations::Entity::find()
        .filter(organizations::Column::Id.is_in(ids))
        .select_only()
        .column(organizations::Column::Id)
        .column(organizations::Column::Name)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

/// A run as stored, with its items, held-back providers and files.
async fn assemble<C: ConnectionTrait>(
    conn: &C,
    run: settlement_runs::Model,
    now: DateTime<Utc>,
) -> ServiceResult<Run> {
    let items = settlement_items::Entity::find()
        .filter(settlement_items::Column::RunId.eq(run.id))
        .order_by_asc(settlement_items::Column::Id)
        .all(conn)
        .await?;
    let names = names(conn, items.iter().map(|i| i.provider_id)).await?;
    let mut out = Vec::with_capacity(items.len());
    for i in items {
        out.push(Item {
            provider_name: names.get(&i.provider_id).cloned().unwrap_or_default(),
            id: i.id,
            provider_id: i.provider_id,
            payee_account_id: i.payee_account_id,
            account_name: i.account_name,
            account_number: i.account_number,
            bank_name: i.bank_name,
            cnaps_code: i.cnaps_code,
            claim_count: i.claim_count,
            amount: Money::from_fen(i.amount),
            status: status(&i.status)?,
            reason: i.reason,
            bank_reference: i.bank_reference,
            settled_at: i.settled_at,
        });
    }
    let files = bank_files::Entity::find()
        .filter(bank_files::Column::RunId.eq(run.id))
        .order_by_asc(bank_files::Column::CreatedAt)
        .order_by_asc(bank_files::Column::Id)
        .all(conn)
        .await?;
    let status: RunStatus = status(&run.status)?;
    let lines = budget_lines(conn, out.iter().map(|i| i.id)).await?;
    let preview = match status {
        RunStatus::Draft => Some(runs::gather(conn, &run.region, run.cut_off, now).await?),
        _ => None,
    };
    Ok(Run {
        id: run.id,
        region: run.region,
        period: run.period,
        cut_off: run.cut_off,
        status,
        item_count: run.item_count,
        claim_count: run.claim_count,
        total: Money::from_fen(run.total),
        items: out,
        held_back: held_back_of(&run.held_back),
        preview,
        files: files.into_iter().map(FileRef::from).collect(),
        budget_lines: lines,
        created_by: run.created_by,
        created_at: run.created_at,
        frozen_by: run.frozen_by,
        frozen_at: run.frozen_at,
        approved_by: run.approved_by,
        approved_at: run.approved_at,
        exported_by: run.exported_by,
        exported_at: run.exported_at,
        closed_at: run.closed_at,
        reason: run.reason,
    })
}

/// Locks a run of the caller's region (a regulator's) for a step.
async fn lock<C: ConnectionTrait>(
    txn: &C,
    actor: &Actor,
    id: Uuid,
) -> ServiceResult<settlement_runs::Model> {
    access::permit(actor, Action::DecideClaim)?;
    settlement_runs::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?
        .filter(|r| actor.regulates(&r.region))
        .ok_or_else(|| DomainError::NotFound.into())
}

/// Refuses a step unless the run is in one of `states`.
fn expect(run: &settlement_runs::Model, states: &[RunStatus], step: &str) -> ServiceResult<()> {
    let now: RunStatus = status(&run.status)?;
    if states.contains(&now) {
        return Ok(());
    }
    let wanted: Vec<&str> = states.iter().map(|s| s.as_str()).collect();
    Err(DomainError::refused(
        crate::domain::Refusal::InvalidState,
        format!(
            "the run is {now}: only a run that is {} can be {step}",
            wanted.join(" or ")
        ),
    )
    .into())
}

/// One run, for a regulator of its region, as at `now` (a draft's preview).
pub async fn find(db: &Db, actor: &Actor, id: Uuid, now: DateTime<Utc>) -> ServiceResult<Run> {
    access::permit(actor, Action::DecideClaim)?;
    let conn = db.reader();
    let run = settlement_runs::Entity::find_by_id(id)
        .one(conn)
        .await?
        .filter(|r| actor.regulates(&r.region))
        .ok_or(DomainError::NotFound)?;
    assemble(conn, run, now).await
}

/// The runs of `region`, newest first, without their items (a regulator
/// of the region).
pub async fn list(db: &Db, actor: &Actor, region: &Region) -> ServiceResult<Vec<Run>> {
    access::permit_in_region(actor, Action::DecideClaim, region)?;
    if !actor.regulates(region) {
        return Err(DomainError::Forbidden("only the region's regulator settles".into()).into());
    }
    let rows = settlement_runs::Entity::find()
        .filter(settlement_runs::Column::Region.eq(region.clone()))
        .order_by_desc(settlement_runs::Column::CreatedAt)
        .order_by_desc(settlement_runs::Column::Id)
        .limit(200)
        .all(db.reader())
        .await?;
    let mut runs = Vec::with_capacity(rows.len());
    for r in rows {
        runs.push(Run {
            status: status(&r.status)?,
            total: Money::from_fen(r.total),
            held_back: held_back_of(&r.held_back),
            items: Vec::new(),
            preview: None,
            files: Vec::new(),
            budget_lines: Vec::new(),
            id: r.id,
            region: r.region,
            period: r.period,
            cut_off: r.cut_off,
            item_count: r.item_count,
            claim_count: r.claim_count,
            created_by: r.created_by,
            created_at: r.created_at,
            frozen_by: r.frozen_by,
            frozen_at: r.frozen_at,
            approved_by: r.approved_by,
            approved_at: r.approved_at,
            exported_by: r.exported_by,
            exported_at: r.exported_at,
            closed_at: r.closed_at,
            reason: r.reason,
        });
    }
    Ok(runs)
}

/// A bank file of the caller's region, whole (a regulator of the region).
pub async fn file(db: &Db, actor: &Actor, id: Uuid) -> ServiceResult<bank_files::Model> {
    access::permit(actor, Action::DecideClaim)?;
    Ok(bank_files::Entity::find_by_id(id)
        .one(db.reader())
        .await?
        .filter(|f| actor.regulates(&f.region))
        .ok_or(DomainError::NotFound)?)
}
