//! Four eyes: a decision that moves money out (paying a claim, revoking a
//! voucher with a balance) or decides who may be paid (changing a
//! provider's admission) is asked for by one person of the regulator and
//! takes effect only when another person of the same regulator confirms it
//! — the one who asked cannot. The region's policy (`[four_eyes]`) says
//! which decisions, from which amount. Both must be people (a portal
//! session or a person's token), so that two people, not one person and a
//! machine they hold, are on record.
//!
//! A request waits as a [`Confirmation`]; asking again for the same
//! decision answers the one that waits. The decision itself runs in the
//! confirming transaction ([`super::confirmations`]).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use serde::Serialize;
use uuid::Uuid;

use super::{engine, Ctx, Done, Recorded, ServiceResult};
use crate::domain::{access, DomainError, Money, Region, Role};
use crate::store::entities::confirmations;
use crate::store::Db;

/// A decision waiting for (or given) a second person's confirmation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Confirmation {
    pub id: Uuid,
    pub region: Region,
    /// `claim.pay`, `voucher.revoke` or `provider.admit`.
    pub action: String,
    /// The claim, voucher or provider.
    pub target_id: Uuid,
    /// What the decision moves (zero for an admission).
    pub amount: Money,
    /// What the person who asked gave (the bank reference, the reason,
    /// the categories).
    pub detail: serde_json::Value,
    pub requested_by: Uuid,
    pub requested_at: DateTime<Utc>,
    /// `pending`, `confirmed` or `withdrawn`.
    pub status: String,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTime<Utc>>,
}

impl From<confirmations::Model> for Confirmation {
    fn from(m: confirmations::Model) -> Self {
        Confirmation {
            id: m.id,
            region: m.region,
            action: m.action,
            target_id: m.target_id,
            amount: Money::from_fen(m.amount),
            detail: serde_json::from_str(&m.detail).unwrap_or(serde_json::Value::Null),
            requested_by: m.requested_by,
            requested_at: m.requested_at,
            status: m.status,
            decided_by: m.decided_by,
            decided_at: m.decided_at,
        }
    }
}

/// What a decision under four eyes did: took effect, waits for a second
/// person, or is published and takes effect after its public notice.
#[derive(Debug, Clone)]
pub enum Decided<T> {
    Done(T),
    Awaiting(Box<Confirmation>),
    Noticed(Box<super::notices::Notice>),
}

/// What a decision answers when it waits: the request, recorded as a
/// `confirmation.request` event of its region.
pub(super) fn awaiting<T>(waiting: Confirmation) -> ServiceResult<Done<Decided<T>>> {
    let event = engine::entry(
        &waiting.region,
        "confirmation.request",
        "confirmation",
        waiting.id.to_string(),
        &waiting,
    )?;
    Ok(Done {
        value: Decided::Awaiting(Box::new(waiting)),
        events: vec![event],
    })
}

/// What a decision answers when it took effect: its record, recorded as
/// `action` on an `entity_type` (as [`Done::recorded`]).
pub(super) fn done<T: Recorded>(
    value: T,
    action: &'static str,
    entity_type: &'static str,
) -> ServiceResult<Done<Decided<T>>> {
    let done = Done::recorded(value, action, entity_type)?;
    Ok(Done {
        value: Decided::Done(done.value),
        events: done.events,
    })
}

/// The person acting, for a decision under four eyes (403 for an API
/// client: two people must be on record).
pub(super) fn person(ctx: &Ctx) -> ServiceResult<Uuid> {
    ctx.actor.person.ok_or_else(|| {
        DomainError::Forbidden(
            "this decision needs two people of the regulator (four eyes): ask for it as a \
             person — signed in, or with a person's token — not as an API client"
                .into(),
        )
        .into()
    })
}

/// In a decision's transaction, after its checks passed: when the region's
/// policy puts `action` of `amount` (None: a decision that moves no money)
/// under four eyes, the request that waits
/// (the one already waiting for this decision, or a new one) — the
/// decision must then not take effect. None when it may take effect now.
pub(super) async fn ask<C: ConnectionTrait>(
    txn: &C,
    ctx: &Ctx,
    region: &Region,
    action: &'static str,
    target: Uuid,
    amount: Option<Money>,
    detail: serde_json::Value,
) -> ServiceResult<Option<Confirmation>> {
    let needed = ctx
        .rules
        .get(region)
        .is_none_or(|r| r.policy().four_eyes.needed(action, amount));
    if !needed {
        return Ok(None);
    }
    let requested_by = person(ctx)?;
    let waiting = confirmations::Entity::find()
        .filter(confirmations::Column::Region.eq(region.clone()))
        .filter(confirmations::Column::TargetId.eq(target))
        .filter(confirmations::Column::Action.eq(action))
        .filter(confirmations::Column::Status.eq("pending"))
        .one(txn)
        .await?;
    if let Some(waiting) = waiting {
        return Ok(Some(waiting.into()));
    }
    let model = confirmations::Model {
        id: Uuid::now_v7(),
        region: region.clone(),
        action: action.into(),
        target_id: target,
        amount: amount.unwrap_or(Money::ZERO).fen(),
        detail: detail.to_string(),
        requested_by,
        requested_at: ctx.now,
        status: "pending".into(),
        decided_by: None,
        decided_at: None,
    };
    confirmations::Entity::insert(confirmations::ActiveModel {
        id: Set(model.id),
        region: Set(model.region.clone()),
        action: Set(model.action.clone()),
        target_id: Set(model.target_id),
        amount: Set(model.amount),
        detail: Set(model.detail.clone()),
        requested_by: Set(model.requested_by),
        requested_at: Set(model.requested_at),
        status: Set(model.status.clone()),
        decided_by: Set(None),
        decided_at: Set(None),
    })
    .exec_without_returning(txn)
    .await?;
    Ok(Some(model.into()))
}

/// The confirmations of the caller's region, newest first: those waiting,
/// or all (`pending_only` false). Regulators of the region only.
pub async fn list(db: &Db, ctx: &Ctx, pending_only: bool) -> ServiceResult<Vec<Confirmation>> {
    let actor = &ctx.actor;
    let region = match (&actor.region, actor.role) {
        (Some(region), Role::Regulator) => region.clone(),
        _ => return Err(DomainError::Forbidden("only regulators confirm decisions".into()).into()),
    };
    access::permit_in_region(actor, access::Action::DecideClaim, &region)?;
    let mut query = confirmations::Entity::find()
        .filter(confirmations::Column::Region.eq(region))
        .order_by_desc(confirmations::Column::RequestedAt)
        .order_by_desc(confirmations::Column::Id);
    if pending_only {
        query = query.filter(confirmations::Column::Status.eq("pending"));
    }
    let rows = query.all(db.reader()).await?;
    Ok(rows.into_iter().map(Confirmation::from).collect())
}
