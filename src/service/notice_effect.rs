//! What public notice decides: an objection answered (upheld withdraws
//! the notice, dismissed lets it take effect), and a notice whose period
//! ended with no objection open taking effect ([`SettleNotice`], run by the
//! scheduler and by an operator: [`settle_due`]).

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use super::engine;
use super::notices::{lock, notice_of, objection_count, Objection};
use super::{admissions, Call, Ctx, Done, Operation, Recorded, Service, ServiceResult};
use crate::audit::Entry;
use crate::domain::access::{self, Action};
use crate::domain::notice::{NoticeKind, NoticeStatus, ObjectionStatus};
use crate::domain::{text, DomainError, Refusal};
use crate::store::entities::{notices, objections};

/// The region's regulator answers an objection: upheld (the notice is
/// withdrawn: the admission does not take effect, the run cannot be
/// exported) or dismissed (the notice takes effect once its period has
/// ended and no other objection is open).
///
/// Refusals, in the order they are checked:
/// 1. `validation_failed` (`note`): blank, over 1000 characters, or with
///    control (other than line breaks), zero-width or bidi characters.
/// 2. `not_found`: no such objection; `forbidden`: not this region's
///    regulator.
/// 3. `invalid_state`: already answered.
#[derive(Debug, Clone)]
pub struct DecideObjection {
    pub id: Uuid,
    pub upheld: bool,
    pub note: String,
}

impl Operation for DecideObjection {
    type Output = Objection;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<Objection>> {
        let note = text::clean_multiline("note", &self.note, 1000)?;
        let found = objections::Entity::find_by_id(self.id)
            .one(txn)
            .await?
            .ok_or(DomainError::NotFound)?;
        access::permit_in_region(&ctx.actor, Action::ManageProgramme, &found.region)?;
        let notice = lock(txn, found.notice_id).await?;
        let found = objections::Entity::find_by_id(self.id)
            .lock_exclusive()
            .one(txn)
            .await?
            .ok_or(DomainError::NotFound)?;
        if found.status != ObjectionStatus::Open {
            return Err(DomainError::refused(
                Refusal::InvalidState,
                format!("the objection is already {}", found.status),
            )
            .into());
        }
        let status = if self.upheld {
            ObjectionStatus::Upheld
        } else {
            ObjectionStatus::Dismissed
        };
        objections::Entity::update_many()
            .col_expr(objections::Column::Status, Expr::value(status))
            .col_expr(objections::Column::Note, Expr::value(note))
            .col_expr(
                objections::Column::DecidedBy,
                Expr::value(ctx.actor.person.unwrap_or(ctx.actor.sub)),
            )
            .col_expr(objections::Column::DecidedAt, Expr::value(ctx.now))
            .filter(objections::Column::Id.eq(found.id))
            .exec(txn)
            .await?;
        let objection: Objection = objections::Entity::find_by_id(found.id)
            .one(txn)
            .await?
            .ok_or(DomainError::NotFound)?
            .into();
        let mut events = vec![objection.event("notice.answer")?];
        if notice.status == NoticeStatus::Open {
            if self.upheld {
                events.push(settle_as(txn, ctx, notice.id, NoticeStatus::Withdrawn).await?);
            } else {
                events.extend(take_effect_if_due(txn, ctx, notice).await?);
            }
        }
        Ok(Done {
            value: objection,
            events,
        })
    }
}

/// Makes an open notice whose period ended, with no objection open, take
/// effect (an admission is stored, checked again); answers whether it did.
/// The service runs it (as the system) for every notice due.
///
/// Refusals, in the order they are checked:
/// 1. `not_found`: no such notice.
/// 2. What the region's rules refuse of the admission now
///    (`provider_not_admitted`, `category_not_eligible`): nothing takes
///    effect, and the notice stays open.
#[derive(Debug, Clone)]
pub struct SettleNotice {
    pub id: Uuid,
}

impl Operation for SettleNotice {
    type Output = bool;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<bool>> {
        let notice = lock(txn, self.id).await?;
        let events = take_effect_if_due(txn, ctx, notice).await?;
        Ok(Done {
            value: !events.is_empty(),
            events,
        })
    }
}

/// The events of `notice` taking effect, if it is open, its period has
/// ended and no objection to it is open (none otherwise).
pub(super) async fn take_effect_if_due(
    txn: &DatabaseTransaction,
    ctx: &Ctx,
    notice: notices::Model,
) -> ServiceResult<Vec<Entry>> {
    if notice.status != NoticeStatus::Open || notice.ends_at > ctx.now {
        return Ok(Vec::new());
    }
    let open = objections::Entity::find()
        .filter(objections::Column::NoticeId.eq(notice.id))
        .filter(objections::Column::Status.eq(ObjectionStatus::Open))
        .count(txn)
        .await?;
    if open > 0 {
        return Ok(Vec::new());
    }
    let mut events = vec![settle_as(txn, ctx, notice.id, NoticeStatus::Effective).await?];
    if notice.kind == NoticeKind::Admission {
        let detail: serde_json::Value = serde_json::from_str(&notice.detail).unwrap_or_default();
        let categories = detail["categories"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c.as_str().map(str::to_owned))
            .collect();
        let admitted =
            admissions::take_effect(txn, ctx, &notice.region, notice.subject_id, categories)
                .await?;
        events.push(engine::entry(
            &notice.region,
            admissions::ADMIT,
            "admission",
            admitted.audit_id(),
            &admitted,
        )?);
    }
    Ok(events)
}

/// Marks a notice effective or withdrawn; answers its event.
async fn settle_as(
    txn: &DatabaseTransaction,
    ctx: &Ctx,
    id: Uuid,
    status: NoticeStatus,
) -> ServiceResult<Entry> {
    notices::Entity::update_many()
        .col_expr(notices::Column::Status, Expr::value(status))
        .col_expr(notices::Column::SettledAt, Expr::value(ctx.now))
        .filter(notices::Column::Id.eq(id))
        .exec(txn)
        .await?;
    let row = notices::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or(DomainError::NotFound)?;
    let count = objection_count(txn, id).await?;
    let notice = notice_of(row, count);
    let action = match status {
        NoticeStatus::Withdrawn => "notice.withdraw",
        _ => "notice.effective",
    };
    engine::entry(&notice.region, action, "notice", notice.audit_id(), &notice)
}

/// Settles every notice due now (the scheduler's and an operator's run):
/// answers how many took effect.
pub async fn settle_due(service: &Service, call: &Call) -> ServiceResult<u64> {
    access::permit(&call.actor, Action::RunExpiry)?;
    let now = service.clock.now();
    let due: Vec<Uuid> = notices::Entity::find()
        .select_only()
        .column(notices::Column::Id)
        .filter(notices::Column::Status.eq(NoticeStatus::Open))
        .filter(notices::Column::EndsAt.lte(now))
        .into_tuple()
        .all(service.db.reader())
        .await?;
    let mut effective = 0;
    for id in due {
        if service.execute(call.clone(), SettleNotice { id }).await? {
            effective += 1;
        }
    }
    Ok(effective)
}
