//! A person's own account: changing their password — the old one first,
//! counted against the login's delay like a sign-in, then the new one. Every
//! session of the person ends (they sign in again with the new password).

use std::net::IpAddr;

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::passwords::{check_password, Attempt, Refused};
use super::people::{self, User};
use super::{engine, sessions, Call, Ctx, Done, Operation, Service, ServiceError, ServiceResult};
use crate::domain::{Actor, DomainError};
use crate::store::entities::users;

/// Changes the password of the person acting (`actor.person`), who gives
/// the old one. `via` is how they came (`portal` or `api`).
///
/// Refused with `forbidden` for an API client (no person), with
/// `validation_failed` on `old_password` when it is not right (the failure
/// counts towards the login's delay from `address`; while it waits,
/// `too_many_requests`) and on `new_password` when it is too short or too
/// long.
pub async fn change_password(
    service: &Service,
    actor: &Actor,
    (via, address): (&'static str, Option<IpAddr>),
    old: &str,
    new: &str,
) -> ServiceResult<User> {
    let person = actor.person.ok_or_else(|| {
        DomainError::Forbidden("only a person has a password; an API client has a secret".into())
    })?;
    let user = users::Entity::find_by_id(person)
        .one(service.db.reader())
        .await?
        .ok_or(ServiceError::Unauthorized)?;
    // The stored key signs in as the login does (keys are idempotent).
    let attempt = Attempt {
        login: user.login_key.clone(),
        address,
    };
    match check_password(service, &attempt, old).await? {
        Ok(_) => {}
        Err(Refused::WrongCredentials) => {
            return Err(DomainError::field("old_password", "is not your password").into())
        }
        Err(Refused::Locked { until }) => {
            let wait = (until - service.clock.now()).num_seconds().max(1) as u64;
            return Err(ServiceError::TooManyAttempts {
                retry_after_secs: wait,
            });
        }
        Err(Refused::Disabled | Refused::CodeNeeded | Refused::WrongCode) => {
            return Err(ServiceError::Unauthorized)
        }
    }
    let password_hash = people::hash_password(new).await.map_err(|e| match e {
        ServiceError::Domain(DomainError::Validation(mut fields)) => {
            fields
                .iter_mut()
                .for_each(|f| f.field = "new_password".into());
            DomainError::Validation(fields).into()
        }
        other => other,
    })?;
    let call = Call {
        via: Some(via),
        ..Call::by(actor.clone())
    };
    let op = SetPassword {
        user_id: person,
        password_hash,
    };
    service.execute(call, op).await
}

/// Sets a person's new password and ends their sessions.
///
/// Refusals, in the order they are checked:
/// 1. `not_found`: the person is gone.
#[derive(Debug, Clone)]
struct SetPassword {
    user_id: Uuid,
    password_hash: String,
}

impl Operation for SetPassword {
    type Output = User;
    const BEFORE_SECOND_FACTOR: bool = true;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<User>> {
        let user = users::Entity::find_by_id(self.user_id)
            .one(txn)
            .await?
            .ok_or(DomainError::NotFound)?;
        users::Entity::update_many()
            .col_expr(users::Column::PasswordHash, Expr::value(self.password_hash))
            .filter(users::Column::Id.eq(user.id))
            .exec(txn)
            .await?;
        sessions::end_all(txn, user.id).await?;
        let user = User::from(user);
        let region = match user.organization_id {
            Some(id) => engine::cached_organization(txn, &ctx.orgs, id)
                .await?
                .map(|o| o.region),
            None => None,
        };
        let events = match region {
            Some(region) => vec![engine::entry(
                &region,
                "user.password",
                "user",
                user.id.to_string(),
                &serde_json::json!({ "user": &user }),
            )?],
            None => Vec::new(),
        };
        Ok(Done {
            value: user,
            events,
        })
    }
}
