//! Files in: the bank's answer to a run — pain.002 (accepted or rejected
//! payments), camt.053/camt.054 (booked and returned payments), a CSV
//! statement. Each line is matched to a payment on its EndToEndId (the
//! item's id), else on amount and payee account among the payments still
//! at the bank; what it says is applied ([`super::bookings`]); what cannot
//! be applied — an unknown line, a wrong amount, a payment booked twice or
//! booked after it came back — waits as an exception a regulator resolves
//! ([`super::exceptions`]). The same file again changes nothing.

use std::collections::BTreeSet;

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QuerySelect,
};
use serde::Serialize;
use uuid::Uuid;

use super::bookings::{send_back, settle};
use super::export::{keep, sha256_hex};
use super::FileRef;
use crate::domain::access::{self, Action};
use crate::domain::bank_files::statement::{self, Format, Line, Outcome};
use crate::domain::settlement::{outcome, ItemStatus, RunStatus};
use crate::domain::{text, DomainError, Money, Region};
use crate::service::{Ctx, Done, Operation, Recorded, ServiceError, ServiceResult};
use crate::store::entities::{
    bank_files, settlement_exceptions, settlement_items, settlement_runs,
};

/// What importing a file did.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Summary {
    pub lines: u64,
    pub accepted: u64,
    pub settled: u64,
    pub rejected: u64,
    pub returned: u64,
    pub pending: u64,
    pub exceptions: u64,
    /// The runs it reported on.
    pub runs: Vec<Uuid>,
}

/// A file imported (or the earlier import of the same bytes).
#[derive(Debug, Clone, Serialize)]
pub struct Imported {
    pub region: Region,
    pub file: FileRef,
    pub summary: Summary,
    /// True when these bytes had been imported before: nothing changed.
    pub repeated: bool,
}

impl Recorded for Imported {
    fn audit_region(&self) -> &Region {
        &self.region
    }
    fn audit_id(&self) -> String {
        self.file.id.to_string()
    }
}

/// The region's regulator imports a file from the bank.
///
/// Refusals, in the order they are checked:
/// 1. `forbidden`: the caller is not the region's regulator.
/// 2. `validation_failed` (`format`): not `pain.002`, `camt.053`,
///    `camt.054` or `statement.csv`; (`name`): blank or over 200
///    characters; (`content`): empty.
/// 3. `validation_failed` (`content`): the file is not what it says (not
///    XML, another message, a DOCTYPE, too deep, an amount not in CNY, a
///    malformed line), naming the line or element.
#[derive(Debug, Clone)]
pub struct ImportFile {
    pub region: Region,
    pub format: String,
    pub name: String,
    pub content: String,
}

impl Operation for ImportFile {
    type Output = Imported;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<Imported>> {
        let region = self.region;
        access::permit_in_region(&ctx.actor, Action::DecideClaim, &region)?;
        if !ctx.actor.regulates(&region) {
            let detail = "only the region's regulator imports its bank files";
            return Err(DomainError::Forbidden(detail.into()).into());
        }
        let format: Format = self.format.parse().map_err(|_| {
            DomainError::field(
                "format",
                "one of pain.002, camt.053, camt.054, statement.csv",
            )
        })?;
        let name = text::clean("name", &self.name, 200)?;
        if self.content.trim().is_empty() {
            return Err(DomainError::field("content", "the file is empty").into());
        }
        let sha256 = sha256_hex(&self.content);
        let earlier = bank_files::Entity::find()
            .filter(bank_files::Column::Region.eq(region.clone()))
            .filter(bank_files::Column::Direction.eq("in"))
            .filter(bank_files::Column::Sha256.eq(sha256.clone()))
            .one(txn)
            .await?;
        if let Some(earlier) = earlier {
            let summary = serde_json::from_str(&earlier.summary).unwrap_or_default();
            let value = Imported {
                region,
                file: earlier.into(),
                summary,
                repeated: true,
            };
            return Ok(Done {
                value,
                events: Vec::new(),
            });
        }
        let read = statement::read(format, &self.content)
            .map_err(|e| DomainError::field("content", e.to_string()))?;
        let file_id = keep(
            txn,
            ctx,
            &region,
            None,
            "in",
            format.as_str(),
            name.clone(),
            self.content,
        )
        .await?;
        let mut apply = Apply {
            ctx,
            region: &region,
            file_id,
            file_name: &name,
            summary: Summary::default(),
            runs: BTreeSet::new(),
        };
        let lines = match (&read.group_rejected, &read.original_message) {
            (Some(reason), Some(message)) => apply.whole_run(txn, message, reason).await?,
            _ => read.lines,
        };
        for line in &lines {
            apply.line(txn, line).await?;
        }
        let Apply {
            mut summary, runs, ..
        } = apply;
        summary.runs = runs.iter().copied().collect();
        for run in &runs {
            advance(txn, *run, summary.accepted > 0).await?;
        }
        let run_id = runs.iter().next().copied().filter(|_| runs.len() == 1);
        bank_files::Entity::update_many()
            .col_expr(
                bank_files::Column::Summary,
                Expr::value(serde_json::to_string(&summary).unwrap_or_else(|_| "{}".into())),
            )
            .col_expr(bank_files::Column::RunId, Expr::value(run_id))
            .filter(bank_files::Column::Id.eq(file_id))
            .exec(txn)
            .await?;
        let file = bank_files::Entity::find_by_id(file_id)
            .one(txn)
            .await?
            .ok_or_else(|| ServiceError::Internal("an imported file vanished".into()))?;
        let imported = Imported {
            region,
            file: file.into(),
            summary,
            repeated: false,
        };
        Done::recorded(imported, "settlement.import", "bank_file")
    }
}

/// Applying one file's lines.
struct Apply<'a> {
    ctx: &'a Ctx,
    region: &'a Region,
    file_id: Uuid,
    file_name: &'a str,
    summary: Summary,
    runs: BTreeSet<Uuid>,
}

impl Apply<'_> {
    /// A rejection of a whole message: one line per payment of the run it
    /// names that is still at the bank.
    async fn whole_run<C: ConnectionTrait>(
        &mut self,
        txn: &C,
        message: &str,
        reason: &str,
    ) -> ServiceResult<Vec<Line>> {
        let run = Uuid::try_parse(message)
            .ok()
            .filter(|_| message.len() == 32);
        let Some(run) = run else {
            return Ok(Vec::new());
        };
        let items = settlement_items::Entity::find()
            .filter(settlement_items::Column::RunId.eq(run))
            .filter(settlement_items::Column::Status.eq(ItemStatus::Sent.as_str()))
            .all(txn)
            .await?;
        Ok(items
            .into_iter()
            .map(|i| Line {
                locator: "GrpSts".into(),
                end_to_end_id: Some(i.id.simple().to_string()),
                amount: Some(Money::from_fen(i.amount)),
                account_number: None,
                outcome: Outcome::Rejected,
                reason: Some(reason.to_owned()),
                bank_reference: None,
            })
            .collect())
    }

    /// The payment a line is about: by EndToEndId, else the one payment
    /// still at the bank with its amount and account. Locked: of two files
    /// booking the same payment at once, the second waits and sees it booked.
    async fn find<C: ConnectionTrait>(
        &self,
        txn: &C,
        line: &Line,
    ) -> ServiceResult<Option<settlement_items::Model>> {
        let of_region = |item: settlement_items::Model| async move {
            let run = settlement_runs::Entity::find_by_id(item.run_id)
                .one(txn)
                .await?;
            Ok::<_, ServiceError>(run.filter(|r| &r.region == self.region).map(|_| item))
        };
        if let Some(e2e) = &line.end_to_end_id {
            let Some(id) = Uuid::try_parse(e2e).ok() else {
                return Ok(None);
            };
            let item = settlement_items::Entity::find_by_id(id)
                .lock_exclusive()
                .one(txn)
                .await?;
            return match item {
                Some(item) => of_region(item).await,
                None => Ok(None),
            };
        }
        let (Some(amount), Some(account)) = (line.amount, &line.account_number) else {
            return Ok(None);
        };
        let candidates = settlement_items::Entity::find()
            .filter(settlement_items::Column::Status.eq(ItemStatus::Sent.as_str()))
            .filter(settlement_items::Column::Amount.eq(amount.fen()))
            .filter(settlement_items::Column::AccountNumber.eq(account.clone()))
            .lock_exclusive()
            .all(txn)
            .await?;
        let mut found = Vec::new();
        for item in candidates {
            if let Some(item) = of_region(item).await? {
                found.push(item);
            }
        }
        Ok(if found.len() == 1 { found.pop() } else { None })
    }

    async fn line<C: ConnectionTrait>(&mut self, txn: &C, line: &Line) -> ServiceResult<()> {
        self.summary.lines += 1;
        if line.outcome == Outcome::Pending {
            self.summary.pending += 1;
            return Ok(());
        }
        let Some(item) = self.find(txn, line).await? else {
            let detail = "no payment of the region's runs has this EndToEndId, or this amount \
                          and account";
            return self.exception(txn, line, "unknown", None, detail).await;
        };
        self.runs.insert(item.run_id);
        if let Some(amount) = line.amount.filter(|a| a.fen() != item.amount) {
            let detail = format!(
                "the bank reports {amount}, the payment was {}",
                Money::from_fen(item.amount)
            );
            return self
                .exception(txn, line, "wrong_amount", Some(item.id), &detail)
                .await;
        }
        let status: ItemStatus = item
            .status
            .parse()
            .map_err(|_| ServiceError::Internal(format!("item status {}", item.status)))?;
        let reason = line
            .reason
            .clone()
            .unwrap_or_else(|| "no reason given".into());
        use ItemStatus as S;
        match (line.outcome, status) {
            (Outcome::Accepted, _) => self.summary.accepted += 1,
            (Outcome::Booked, S::Sent) => {
                let reference = line
                    .bank_reference
                    .clone()
                    .unwrap_or_else(|| format!("{} {}", self.file_name, line.locator));
                let reference: String = reference.chars().take(128).collect();
                settle(txn, self.ctx, self.region, &item, &reference).await?;
                self.summary.settled += 1;
            }
            (Outcome::Rejected, S::Sent) => {
                send_back(txn, self.ctx, self.region, &item, S::Rejected, &reason).await?;
                self.summary.rejected += 1;
            }
            (Outcome::Returned, S::Sent | S::Settled) => {
                send_back(txn, self.ctx, self.region, &item, S::Returned, &reason).await?;
                self.summary.returned += 1;
            }
            (Outcome::Booked, S::Settled)
            | (Outcome::Rejected | Outcome::Returned, S::Rejected | S::Returned) => {
                let detail = format!("the payment is {status} already: reported twice");
                self.exception(txn, line, "duplicate", Some(item.id), &detail)
                    .await?;
            }
            _ => {
                let detail = format!("the payment is {status}: the bank's answer does not fit it");
                self.exception(txn, line, "wrong_state", Some(item.id), &detail)
                    .await?;
            }
        }
        Ok(())
    }

    async fn exception<C: ConnectionTrait>(
        &mut self,
        txn: &C,
        line: &Line,
        kind: &str,
        item: Option<Uuid>,
        detail: &str,
    ) -> ServiceResult<()> {
        self.summary.exceptions += 1;
        settlement_exceptions::Entity::insert(settlement_exceptions::ActiveModel {
            id: Set(Uuid::now_v7()),
            region: Set(self.region.clone()),
            file_id: Set(self.file_id),
            locator: Set(line.locator.chars().take(200).collect()),
            kind: Set(kind.into()),
            end_to_end_id: Set(line
                .end_to_end_id
                .as_ref()
                .map(|e| e.chars().take(64).collect())),
            item_id: Set(item),
            amount: Set(line.amount.map(|a| a.fen())),
            detail: Set(detail.into()),
            status: Set("open".into()),
            resolution: Set(None),
            resolved_by: Set(None),
            resolved_at: Set(None),
            created_at: Set(self.ctx.now),
        })
        .exec_without_returning(txn)
        .await?;
        Ok(())
    }
}

/// Moves a run on once the bank has reported: settled or partly settled
/// when every payment has its last word, else accepted when the bank
/// acknowledged it.
async fn advance<C: ConnectionTrait>(txn: &C, run: Uuid, accepted: bool) -> ServiceResult<()> {
    let Some(found) = settlement_runs::Entity::find_by_id(run)
        .lock_exclusive()
        .one(txn)
        .await?
    else {
        return Ok(());
    };
    let now: RunStatus = found
        .status
        .parse()
        .map_err(|_| ServiceError::Internal(format!("run status {}", found.status)))?;
    if !now.at_the_bank() {
        return Ok(());
    }
    let items: Vec<ItemStatus> = settlement_items::Entity::find()
        .filter(settlement_items::Column::RunId.eq(run))
        .all(txn)
        .await?
        .iter()
        .filter_map(|i| i.status.parse().ok())
        .collect();
    let next = match outcome(&items) {
        Some(done) => done,
        None if accepted && now == RunStatus::Exported => RunStatus::Accepted,
        None => return Ok(()),
    };
    settlement_runs::Entity::update_many()
        .col_expr(settlement_runs::Column::Status, Expr::value(next.as_str()))
        .filter(settlement_runs::Column::Id.eq(run))
        .exec(txn)
        .await?;
    Ok(())
}
