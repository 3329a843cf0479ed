//! The second person of four eyes ([`super::four_eyes`]): confirming a
//! decision that waits makes it take effect, in the same transaction and
//! with the same checks as if it had been made now; withdrawing it drops
//! it. Either is done by a person of the region's regulator — confirming,
//! by anyone but the one who asked.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect,
};
use serde::Serialize;
use uuid::Uuid;

use super::four_eyes::{self, Confirmation, Decided};
use super::{
    admissions, claims, engine, payees, payments, vouchers, Ctx, Done, Operation, ServiceResult,
};
use crate::domain::{access, DomainError, Refusal};
use crate::store::entities::confirmations;

/// A decision confirmed: the confirmation and what the decision made (the
/// claim paid, the voucher revoked, the admission changed), as JSON.
#[derive(Debug, Clone, Serialize)]
pub struct Confirmed {
    pub confirmation: Confirmation,
    pub result: serde_json::Value,
}

/// Locks a confirmation that waits, for a regulator person of its region.
async fn lock_pending<C: ConnectionTrait>(
    txn: &C,
    ctx: &Ctx,
    id: Uuid,
) -> ServiceResult<(confirmations::Model, Uuid)> {
    access::permit(&ctx.actor, access::Action::DecideClaim)?;
    let found = confirmations::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?
        .filter(|c| ctx.actor.regulates(&c.region))
        .ok_or(DomainError::NotFound)?;
    let person = four_eyes::person(ctx)?;
    if found.status != "pending" {
        let detail = format!("the request is {}", found.status);
        return Err(DomainError::refused(Refusal::InvalidState, detail).into());
    }
    Ok((found, person))
}

/// Marks a confirmation decided.
async fn decide<C: ConnectionTrait>(
    txn: &C,
    ctx: &Ctx,
    found: confirmations::Model,
    person: Uuid,
    status: &str,
) -> ServiceResult<Confirmation> {
    confirmations::Entity::update_many()
        .col_expr(confirmations::Column::Status, Expr::value(status))
        .col_expr(confirmations::Column::DecidedBy, Expr::value(person))
        .col_expr(confirmations::Column::DecidedAt, Expr::value(ctx.now))
        .filter(confirmations::Column::Id.eq(found.id))
        .exec(txn)
        .await?;
    Ok(confirmations::Model {
        status: status.into(),
        decided_by: Some(person),
        decided_at: Some(ctx.now),
        ..found
    }
    .into())
}

/// A second person of the regulator confirms a decision that waits: it
/// takes effect now, with every check of the decision run again.
///
/// Refusals, in the order they are checked:
/// 1. `forbidden`: the caller is not a regulator.
/// 2. `not_found`: no such request in the caller's region.
/// 3. `forbidden`: the caller is an API client, not a person.
/// 4. `invalid_state`: the request was confirmed or withdrawn already.
/// 5. `forbidden`: the caller is the person who asked (four eyes).
/// 6. whatever the decision itself refuses now (e.g. `invalid_state`: the
///    claim is no longer approved).
#[derive(Debug, Clone)]
pub struct Confirm {
    pub id: Uuid,
}

impl Operation for Confirm {
    type Output = Confirmed;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<Confirmed>> {
        let (found, person) = lock_pending(txn, ctx, self.id).await?;
        if found.requested_by == person {
            return Err(DomainError::Forbidden(
                "the person who asked cannot confirm: another person of the regulator must \
                 (four eyes)"
                    .into(),
            )
            .into());
        }
        let detail: serde_json::Value =
            serde_json::from_str(&found.detail).unwrap_or(serde_json::Value::Null);
        let (target, region) = (found.target_id, found.region.clone());
        let mut entity_id = target.to_string();
        let (action, entity, result) = match found.action.as_str() {
            payments::PAY => {
                let reference = detail["bank_reference"].as_str().unwrap_or_default();
                let claim = claims::pay(txn, ctx, target, reference).await?;
                (payments::PAY, "claim", serde_json::to_value(&claim))
            }
            vouchers::REVOKE => {
                let reason = detail["reason"].as_str().unwrap_or_default();
                let voucher = vouchers::revoke(txn, ctx, target, reason).await?;
                (vouchers::REVOKE, "voucher", serde_json::to_value(&voucher))
            }
            payees::APPROVE => {
                let account = payees::approve(txn, ctx, target).await?;
                (
                    payees::APPROVE,
                    "payee_account",
                    serde_json::to_value(&account),
                )
            }
            admissions::ADMIT => {
                let categories = detail["categories"].as_array().into_iter().flatten();
                let admit = admissions::Admit {
                    region: region.clone(),
                    provider_id: target,
                    categories: categories
                        .filter_map(|c| c.as_str().map(str::to_owned))
                        .collect(),
                };
                // Published for notice, the confirmation's event is the
                // notice's (the admission takes effect after it).
                match admit.apply(txn, ctx).await?.0 {
                    Decided::Noticed(notice) => {
                        entity_id = notice.id.to_string();
                        ("notice.publish", "notice", serde_json::to_value(&notice))
                    }
                    Decided::Done(admitted) => (
                        admissions::ADMIT,
                        "admission",
                        serde_json::to_value(&admitted),
                    ),
                    Decided::Awaiting(_) => {
                        return Err(super::ServiceError::Internal(
                            "a confirmed admission waits again".into(),
                        ))
                    }
                }
            }
            other => {
                return Err(super::ServiceError::Internal(format!(
                    "no decision named {other}"
                )))
            }
        };
        let result = result
            .map_err(|e| super::ServiceError::Internal(format!("serialising a result: {e}")))?;
        let confirmation = decide(txn, ctx, found, person, "confirmed").await?;
        let confirmed = Confirmed {
            confirmation,
            result,
        };
        // The event is the decision's own (its record, as when one person
        // decides) with the confirmation beside it: verifiers read it alike.
        let mut payload = confirmed.result.clone();
        if let Some(fields) = payload.as_object_mut() {
            let confirmation = serde_json::to_value(&confirmed.confirmation).map_err(|e| {
                super::ServiceError::Internal(format!("serialising a confirmation: {e}"))
            })?;
            fields.insert("confirmation".into(), confirmation);
        }
        let event = engine::entry(&region, action, entity, entity_id, &payload)?;
        Ok(Done {
            value: confirmed,
            events: vec![event],
        })
    }
}

/// A person of the regulator withdraws a decision that waits (the one who
/// asked, or the one asked to confirm, declining): nothing takes effect.
///
/// Refusals, in the order they are checked:
/// 1. `forbidden`: the caller is not a regulator.
/// 2. `not_found`: no such request in the caller's region.
/// 3. `forbidden`: the caller is an API client, not a person.
/// 4. `invalid_state`: the request was confirmed or withdrawn already.
#[derive(Debug, Clone)]
pub struct Withdraw {
    pub id: Uuid,
}

impl Operation for Withdraw {
    type Output = Confirmation;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<Confirmation>> {
        let (found, person) = lock_pending(txn, ctx, self.id).await?;
        let region = found.region.clone();
        let confirmation = decide(txn, ctx, found, person, "withdrawn").await?;
        let event = engine::entry(
            &region,
            "confirmation.withdraw",
            "confirmation",
            confirmation.id.to_string(),
            &confirmation,
        )?;
        Ok(Done {
            value: confirmation,
            events: vec![event],
        })
    }
}
