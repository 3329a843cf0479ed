//! Portal sessions: a person signs in with login and password and gets a
//! random session id (the cookie); the database keeps only its SHA-256, the
//! person and a CSRF token, so that every instance sees the same sessions
//! and a logout or a disabled person ends them at once. A session ends after
//! [`IDLE`] without a request or [`MAX_AGE`] after sign-in.
//!
//! The password itself, and the lock, are checked by [`super::passwords`].

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::engine::{cached_organization, IdempotencyKey, OrgCache};
pub use super::passwords::{acting, end_all, Attempt, Refused};
use super::passwords::{check_password, failed, may_sign_in, succeeded, FORGET_FAILURES_AFTER};
use super::{second_factor, secrets, Call, Ctx, Done, Operation, Service, ServiceResult};
use crate::domain::identity::reviewed_district;
use crate::domain::{Actor, Role};
use crate::store::entities::{sessions, sign_in_failures, users};

/// A session ends after this long without a request.
pub const IDLE: Duration = Duration::minutes(30);
/// A session ends this long after sign-in, however busy.
pub const MAX_AGE: Duration = Duration::hours(8);
/// A session's last request is written at most this often.
const TOUCH_EVERY: Duration = Duration::seconds(60);
/// A signed-in person, and who they act as.
#[derive(Debug, Clone)]
pub struct Person {
    pub user_id: Uuid,
    pub login: String,
    pub display_name: String,
    /// The role, organisation (`sub`) and region of the person's
    /// organisation; an operator's person acts as an operator.
    pub actor: Actor,
    /// The organisation's name (none for an operator).
    pub organization_name: Option<String>,
    /// Whether the person administers their organisation's people and
    /// API clients (every operator's person does).
    pub administrator: bool,
    /// The token every form of this session carries.
    pub csrf_token: String,
}

impl Person {
    /// A call of the service by this person through the portal.
    pub fn call(&self, idempotency_key: Option<IdempotencyKey>) -> Call {
        Call {
            actor: self.actor.clone(),
            request_id: None,
            idempotency_key,
            via: Some("portal"),
        }
    }
}

/// A session just started: the id for the cookie (shown once, never stored).
#[derive(Debug, Clone)]
pub struct Started {
    pub session_id: String,
    pub person: Person,
}

/// SHA-256 of a session id, hex: what the database keeps.
fn id_hash(session_id: &str) -> String {
    hex::encode(Sha256::digest(session_id.as_bytes()))
}

/// Signs a person in, with a code of their second factor when they
/// enrolled one. A login slowed at this address is refused before the
/// password is looked at; a wrong password or code counts towards its
/// delay there.
pub async fn sign_in(
    service: &Service,
    attempt: &Attempt,
    password: &str,
    code: Option<&str>,
) -> ServiceResult<Result<Started, Refused>> {
    let user = match check_credentials(service, attempt, password, code).await? {
        Ok(user) => user,
        Err(refused) => return Ok(Err(refused)),
    };
    succeeded(service, attempt).await?;
    let start = StartSession {
        user_id: user.id,
        session_id: secrets::random_token(),
        csrf_token: secrets::random_token(),
    };
    let session_id = start.session_id.clone();
    let Some(person) = service.execute(Call::system(), start).await? else {
        return Ok(Err(Refused::Disabled));
    };
    Ok(Ok(Started { session_id, person }))
}

/// Who a person's login and password make the caller, for a person's API
/// token: the same checks and delays as [`sign_in`], without a session.
pub async fn authenticate(
    service: &Service,
    attempt: &Attempt,
    password: &str,
    code: Option<&str>,
) -> ServiceResult<Result<Actor, Refused>> {
    let user = match check_credentials(service, attempt, password, code).await? {
        Ok(user) => user,
        Err(refused) => return Ok(Err(refused)),
    };
    succeeded(service, attempt).await?;
    let found = person(service.db.reader(), &service.orgs, user, String::new()).await?;
    Ok(found.map(|p| p.actor).ok_or(Refused::Disabled))
}

/// The person of a live session, or none (unknown, expired, or the person
/// was disabled). Notes the request, at most once a minute.
pub async fn find(service: &Service, session_id: &str) -> ServiceResult<Option<Person>> {
    let hash = id_hash(session_id);
    let now = service.clock.now();
    let db = service.db.reader();
    let Some(session) = sessions::Entity::find_by_id(hash.clone()).one(db).await? else {
        return Ok(None);
    };
    if expired(&session, now) {
        service
            .execute(Call::system(), EndSession { id_hash: hash })
            .await?;
        return Ok(None);
    }
    let Some(user) = users::Entity::find_by_id(session.user_id).one(db).await? else {
        return Ok(None);
    };
    if !may_sign_in(db, &user).await? {
        return Ok(None);
    }
    let person = person(db, &service.orgs, user, session.csrf_token.clone()).await?;
    if now - session.last_seen_at >= TOUCH_EVERY {
        service
            .execute(Call::system(), Touch { id_hash: hash })
            .await?;
    }
    Ok(person)
}

/// The person behind a login, a password and — when they enrolled one — a
/// code of their second factor (a TOTP code or a recovery code, used up).
/// A wrong code counts like a wrong password.
async fn check_credentials(
    service: &Service,
    attempt: &Attempt,
    password: &str,
    code: Option<&str>,
) -> ServiceResult<Result<users::Model, Refused>> {
    let user = match check_password(service, attempt, password).await? {
        Ok(user) => user,
        Err(refused) => return Ok(Err(refused)),
    };
    if user.totp_enrolled_at.is_none() {
        return Ok(Ok(user));
    }
    let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(Err(Refused::CodeNeeded));
    };
    if second_factor::prove(service, &user, code).await? {
        return Ok(Ok(user));
    }
    Ok(Err(failed(service, attempt, Refused::WrongCode).await?))
}

/// Whether a session has ended by time.
fn expired(session: &sessions::Model, now: DateTime<Utc>) -> bool {
    now - session.last_seen_at > IDLE || now - session.created_at > MAX_AGE
}

/// The person a user is, acting for their organisation (none if the
/// organisation is gone).
async fn person<C: ConnectionTrait>(
    conn: &C,
    orgs: &OrgCache,
    user: users::Model,
    csrf_token: String,
) -> ServiceResult<Option<Person>> {
    let (actor, organization_name) = match user.organization_id {
        Some(id) => {
            let Some(org) = cached_organization(conn, orgs, id).await? else {
                return Ok(None);
            };
            let role = org.kind.role();
            let actor = Actor {
                sub: org.id,
                role,
                region: Some(org.region.clone()),
                person: Some(user.id),
                needs_second_factor: second_factor::missing(role, &user),
                district: reviewed_district(role, org.district.clone()),
            };
            (actor, Some(org.name))
        }
        None => {
            let actor = Actor {
                sub: user.id,
                role: Role::Admin,
                region: None,
                person: Some(user.id),
                needs_second_factor: second_factor::missing(Role::Admin, &user),
                district: None,
            };
            (actor, None)
        }
    };
    let administrator = user.administrator || user.organization_id.is_none();
    Ok(Some(Person {
        administrator,
        user_id: user.id,
        login: user.login,
        display_name: user.display_name,
        actor,
        organization_name,
        csrf_token,
    }))
}

/// Ends a session (logout); ending an ended session changes nothing.
pub async fn sign_out(service: &Service, session_id: &str) -> ServiceResult<()> {
    let end = EndSession {
        id_hash: id_hash(session_id),
    };
    service.execute(Call::system(), end).await
}

/// Removes the sessions that ended by time and the failures a day old that
/// no longer delay anything; answers how many rows went.
pub async fn purge(service: &Service) -> ServiceResult<u64> {
    service.execute(Call::system(), Purge).await
}

/// Removes the sessions that ended by time and the failures a day old
/// that no longer delay anything; answers how many rows went.
///
/// Refusals, in the order they are checked: none besides the service's own
/// failures.
#[derive(Debug, Clone)]
struct Purge;

impl Operation for Purge {
    type Output = u64;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<u64>> {
        let sessions = sessions::Entity::delete_many()
            .filter(
                sessions::Column::LastSeenAt
                    .lt(ctx.now - IDLE)
                    .or(sessions::Column::CreatedAt.lt(ctx.now - MAX_AGE)),
            )
            .exec(txn)
            .await?;
        // Failures a day old, no longer delaying anything: what a storm of
        // made-up logins leaves behind is forgotten.
        let done_waiting = sign_in_failures::Column::DelayedUntil
            .is_null()
            .or(sign_in_failures::Column::DelayedUntil.lte(ctx.now));
        let locks = sign_in_failures::Entity::delete_many()
            .filter(sign_in_failures::Column::LastFailedAt.lt(ctx.now - FORGET_FAILURES_AFTER))
            .filter(done_waiting)
            .exec(txn)
            .await?;
        Ok(Done::unrecorded(
            sessions.rows_affected + locks.rows_affected,
        ))
    }
}

/// Starts a session for a person whose password matched. None if the
/// person was disabled meanwhile.
///
/// Refusals, in the order they are checked: none besides the service's own
/// failures (a person disabled or removed meanwhile, or whose organisation
/// is gone, is answered `None`, not refused).
#[derive(Debug, Clone)]
struct StartSession {
    user_id: Uuid,
    session_id: String,
    csrf_token: String,
}

impl Operation for StartSession {
    type Output = Option<Person>;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<Self::Output>> {
        let user = users::Entity::find_by_id(self.user_id).one(txn).await?;
        let Some(user) = user.filter(|u| !u.disabled) else {
            return Ok(Done::unrecorded(None));
        };
        sessions::Entity::insert(sessions::ActiveModel {
            id_hash: Set(id_hash(&self.session_id)),
            user_id: Set(user.id),
            csrf_token: Set(self.csrf_token.clone()),
            created_at: Set(ctx.now),
            last_seen_at: Set(ctx.now),
        })
        .exec_without_returning(txn)
        .await?;
        Ok(Done::unrecorded(
            person(txn, &ctx.orgs, user, self.csrf_token).await?,
        ))
    }
}

/// Notes a request of a session now.
///
/// Refusals, in the order they are checked: none besides the service's own
/// failures (an unknown session changes nothing).
#[derive(Debug, Clone)]
struct Touch {
    id_hash: String,
}

impl Operation for Touch {
    type Output = ();

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<()>> {
        sessions::Entity::update_many()
            .col_expr(sessions::Column::LastSeenAt, Expr::value(ctx.now))
            .filter(sessions::Column::IdHash.eq(self.id_hash))
            .exec(txn)
            .await?;
        Ok(Done::unrecorded(()))
    }
}

/// Ends one session.
///
/// Refusals, in the order they are checked: none besides the service's own
/// failures (ending an ended session changes nothing).
#[derive(Debug, Clone)]
struct EndSession {
    id_hash: String,
}

impl Operation for EndSession {
    type Output = ();

    async fn run(self, txn: &DatabaseTransaction, _ctx: &Ctx) -> ServiceResult<Done<()>> {
        sessions::Entity::delete_by_id(self.id_hash)
            .exec(txn)
            .await?;
        Ok(Done::unrecorded(()))
    }
}
