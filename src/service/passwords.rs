//! A person's login and password, checked: Argon2id on the bounded hashing
//! threads, the same time for unknown logins, and the lock — five wrong
//! passwords in a row lock a login for [`LOCK_FOR`], and a locked login is
//! refused before any hashing. Whether a person may sign in or act at all
//! (not disabled, their organisation not suspended) is here too.

use std::sync::LazyLock;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
};
use uuid::Uuid;

use super::{engine, logins, secrets, Call, Ctx, Done, Operation, Service, ServiceResult};
use crate::domain::text;
use crate::store::entities::{login_locks, sessions, users};

/// Wrong passwords in a row that lock a login.
pub const LOCK_AFTER: i32 = 5;
/// How long a login stays locked.
pub const LOCK_FOR: Duration = Duration::minutes(15);
/// Failures of a login not locked are forgotten after this long.
pub const FORGET_FAILURES_AFTER: Duration = Duration::hours(24);
/// Longer logins cannot exist; they are refused without hashing.
const MAX_LOGIN_BYTES: usize = 256;

/// Why a sign-in was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// No such login, or the wrong password (the two are not told apart).
    WrongCredentials,
    /// Too many wrong passwords: locked until then.
    Locked { until: DateTime<Utc> },
    /// The right password, but the person was disabled.
    Disabled,
    /// The right password of a person with a second factor, and no code.
    CodeNeeded,
    /// The right password, but not a good code of the second factor (a
    /// failure like a wrong password).
    WrongCode,
}

/// A hash to verify against when the login is unknown, so that the time
/// taken does not tell which logins exist.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| secrets::hash("not a real password"));

/// The person behind a login and password, if both are right and the
/// person may sign in; a wrong password counts towards the lock.
pub(super) async fn check_password(
    service: &Service,
    login: &str,
    password: &str,
) -> ServiceResult<Result<users::Model, Refused>> {
    if login.len() > MAX_LOGIN_BYTES || password.len() > 1024 {
        return Ok(Err(Refused::WrongCredentials));
    }
    let login_key = text::key(login);
    let now = service.clock.now();
    let db = service.db.reader();
    if let Some(until) = locked_until(db, &login_key, now).await? {
        return Ok(Err(Refused::Locked { until }));
    }
    let user = users::Entity::find()
        .filter(users::Column::LoginKey.eq(login_key.as_str()))
        .one(db)
        .await?;
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    let password = password.to_owned();
    let matches = logins::on_hashing_thread(move || {
        secrets::verify(&password, hash.as_deref().unwrap_or(&DUMMY_HASH))
    })
    .await?;
    let Some(user) = user.filter(|_| matches) else {
        return Ok(Err(
            failed(service, &login_key, Refused::WrongCredentials).await?
        ));
    };
    if !may_sign_in(db, &user).await? {
        return Ok(Err(Refused::Disabled));
    }
    Ok(Ok(user))
}

/// Counts a failed sign-in of a login: answers `refused`, or the lock the
/// failure brought on.
pub(super) async fn failed(
    service: &Service,
    login_key: &str,
    refused: Refused,
) -> ServiceResult<Refused> {
    let failed = RecordFailure {
        login_key: login_key.to_owned(),
    };
    let locked = service.execute(Call::system(), failed).await?;
    Ok(match locked {
        Some(until) => Refused::Locked { until },
        None => refused,
    })
}

/// Whether a person may sign in or act now: not disabled, and their
/// organisation not suspended (read fresh).
pub(super) async fn may_sign_in<C: ConnectionTrait>(
    conn: &C,
    user: &users::Model,
) -> ServiceResult<bool> {
    if user.disabled {
        return Ok(false);
    }
    match user.organization_id {
        Some(id) => Ok(!engine::is_suspended(conn, id).await?),
        None => Ok(true),
    }
}

/// Person `user_id`, if they may still act (exists, is not disabled, and
/// their organisation is not suspended): a person's API token stops
/// working at once otherwise.
pub async fn acting(service: &Service, user_id: Uuid) -> ServiceResult<Option<users::Model>> {
    let db = service.db.reader();
    match users::Entity::find_by_id(user_id).one(db).await? {
        Some(user) if may_sign_in(db, &user).await? => Ok(Some(user)),
        _ => Ok(None),
    }
}

/// When a login is locked until, if it is locked now.
async fn locked_until<C: ConnectionTrait>(
    conn: &C,
    login_key: &str,
    now: DateTime<Utc>,
) -> ServiceResult<Option<DateTime<Utc>>> {
    let lock = login_locks::Entity::find_by_id(login_key.to_owned())
        .one(conn)
        .await?;
    Ok(lock
        .and_then(|l| l.locked_until)
        .filter(|until| *until > now))
}

/// Counts a wrong password; the fifth in a row locks the login. Answers
/// until when it is locked, if this failure locked it.
///
/// Refusals, in the order they are checked: none besides the service's own
/// failures (a lock is an answer, not a refusal).
#[derive(Debug, Clone)]
struct RecordFailure {
    login_key: String,
}

impl Operation for RecordFailure {
    type Output = Option<DateTime<Utc>>;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<Self::Output>> {
        login_locks::Entity::insert(login_locks::ActiveModel {
            login_key: Set(self.login_key.clone()),
            failures: Set(1),
            locked_until: Set(None),
            last_failed_at: Set(Some(ctx.now)),
        })
        .on_conflict(
            OnConflict::column(login_locks::Column::LoginKey)
                .value(
                    login_locks::Column::Failures,
                    Expr::col((login_locks::Entity, login_locks::Column::Failures)).add(1),
                )
                .value(login_locks::Column::LastFailedAt, Expr::value(ctx.now))
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
        let lock = login_locks::Entity::find_by_id(self.login_key.clone())
            .one(txn)
            .await?;
        let failures = lock.map_or(0, |l| l.failures);
        if failures < LOCK_AFTER {
            return Ok(Done::unrecorded(None));
        }
        let until = ctx.now + LOCK_FOR;
        login_locks::Entity::update_many()
            .col_expr(login_locks::Column::Failures, Expr::value(0))
            .col_expr(login_locks::Column::LockedUntil, Expr::value(until))
            .filter(login_locks::Column::LoginKey.eq(self.login_key))
            .exec(txn)
            .await?;
        Ok(Done::unrecorded(Some(until)))
    }
}

/// Clears a login's failures after a right password.
///
/// Refusals, in the order they are checked: none besides the service's own
/// failures.
#[derive(Debug, Clone)]
pub(super) struct ForgetFailures {
    pub login_key: String,
}

impl Operation for ForgetFailures {
    type Output = ();

    async fn run(self, txn: &DatabaseTransaction, _ctx: &Ctx) -> ServiceResult<Done<()>> {
        login_locks::Entity::delete_by_id(self.login_key)
            .exec(txn)
            .await?;
        Ok(Done::unrecorded(()))
    }
}

/// Ends every session of a person, in the caller's transaction (when they
/// are disabled, change their password or enrol a second factor).
pub async fn end_all<C: ConnectionTrait>(conn: &C, user_id: Uuid) -> ServiceResult<()> {
    sessions::Entity::delete_many()
        .filter(sessions::Column::UserId.eq(user_id))
        .exec(conn)
        .await?;
    Ok(())
}
