//! A person's login and password, checked: Argon2id on the bounded hashing
//! threads, the same time for unknown logins, and failures counted per
//! login *and* address — after [`SLOW_AFTER`] wrong passwords in a row from
//! one address, attempts of that login from there wait a delay that doubles
//! with each further failure (up to [`LONGEST_DELAY`]) and are refused
//! before any hashing meanwhile. Whoever fails from their own address slows
//! only themselves: the login's owner, signing in from elsewhere, is never
//! held up, and nobody can keep a login locked. An administrator clears a
//! login's failures ([`unlock`]). Whether a person may sign in or act at all
//! (not disabled, their organisation not suspended) is here too.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::LazyLock;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
};
use uuid::Uuid;

use super::{engine, logins, secrets, Call, Ctx, Done, Operation, Service, ServiceResult};
use crate::domain::text;
use crate::store::entities::{sessions, sign_in_failures, users};

/// Wrong passwords in a row, from one address, before that login's
/// attempts from there slow down.
pub const SLOW_AFTER: i32 = 5;
/// The first delay; each further failure doubles it.
pub const FIRST_DELAY: Duration = Duration::seconds(30);
/// The longest delay between attempts of a login from one address.
pub const LONGEST_DELAY: Duration = Duration::minutes(15);
/// Failures are forgotten this long after the last one.
pub const FORGET_FAILURES_AFTER: Duration = Duration::hours(24);

/// Who is signing in, and from where: failures are counted per both.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub login: String,
    /// The client's address (as the trusted proxy names it), if known.
    pub address: Option<IpAddr>,
}

impl Attempt {
    /// The login's key and the address as stored.
    fn keys(&self) -> (String, String) {
        let address = self
            .address
            .map_or_else(|| "unknown".into(), |a| a.to_string());
        (text::key(&self.login), address)
    }
}

/// How long attempts wait after `failures` in a row: none before
/// [`SLOW_AFTER`], then [`FIRST_DELAY`] doubling up to [`LONGEST_DELAY`].
pub fn delay_after(failures: i32) -> Option<Duration> {
    if failures < SLOW_AFTER {
        return None;
    }
    let factor = 1i32 << std::cmp::min(failures - SLOW_AFTER, 16);
    Some((FIRST_DELAY * factor).min(LONGEST_DELAY))
}
/// Longer logins cannot exist; they are refused without hashing.
const MAX_LOGIN_BYTES: usize = 256;

/// Why a sign-in was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// No such login, or the wrong password (the two are not told apart).
    WrongCredentials,
    /// Too many wrong passwords of this login from this address: no
    /// attempt from there is looked at until then.
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
/// person may sign in; a wrong password counts towards the delay of this
/// login from this address.
pub(super) async fn check_password(
    service: &Service,
    attempt: &Attempt,
    password: &str,
) -> ServiceResult<Result<users::Model, Refused>> {
    if attempt.login.len() > MAX_LOGIN_BYTES || password.len() > 1024 {
        return Ok(Err(Refused::WrongCredentials));
    }
    let (login_key, address) = attempt.keys();
    let now = service.clock.now();
    let db = service.db.reader();
    if let Some(until) = delayed_until(db, &login_key, &address, now).await? {
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
            failed(service, attempt, Refused::WrongCredentials).await?
        ));
    };
    if !may_sign_in(db, &user).await? {
        return Ok(Err(Refused::Disabled));
    }
    Ok(Ok(user))
}

/// Counts a failed sign-in of a login from an address: answers `refused`,
/// or the delay the failure brought on.
pub(super) async fn failed(
    service: &Service,
    attempt: &Attempt,
    refused: Refused,
) -> ServiceResult<Refused> {
    let (login_key, address) = attempt.keys();
    let failed = RecordFailure { login_key, address };
    let delayed = service.execute(Call::system(), failed).await?;
    Ok(match delayed {
        Some(until) => Refused::Locked { until },
        None => refused,
    })
}

/// Forgets the failures of a login from an address, after it succeeded
/// there.
pub(super) async fn succeeded(service: &Service, attempt: &Attempt) -> ServiceResult<()> {
    let (login_key, address) = attempt.keys();
    let forget = ForgetFailures { login_key, address };
    service.execute(Call::system(), forget).await
}

/// In the caller's transaction: forgets every failure of a login, from
/// every address (an administrator unlocking it).
pub(super) async fn unlock<C: ConnectionTrait>(conn: &C, login: &str) -> ServiceResult<u64> {
    let gone = sign_in_failures::Entity::delete_many()
        .filter(sign_in_failures::Column::LoginKey.eq(text::key(login)))
        .exec(conn)
        .await?;
    Ok(gone.rows_affected)
}

/// Until when attempts of each of these logins (by key) are slowed, from
/// some address — the latest delay — for those that are now.
pub(super) async fn slowed_until<C: ConnectionTrait>(
    conn: &C,
    login_keys: Vec<String>,
    now: DateTime<Utc>,
) -> ServiceResult<HashMap<String, DateTime<Utc>>> {
    let rows = sign_in_failures::Entity::find()
        .filter(sign_in_failures::Column::LoginKey.is_in(login_keys))
        .filter(sign_in_failures::Column::DelayedUntil.gt(now))
        .all(conn)
        .await?;
    let mut slowed: HashMap<String, DateTime<Utc>> = HashMap::new();
    for row in rows {
        if let Some(until) = row.delayed_until {
            let latest = slowed.entry(row.login_key).or_insert(until);
            if until > *latest {
                *latest = until;
            }
        }
    }
    Ok(slowed)
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

/// Until when attempts of a login from an address wait, if they do now.
async fn delayed_until<C: ConnectionTrait>(
    conn: &C,
    login_key: &str,
    address: &str,
    now: DateTime<Utc>,
) -> ServiceResult<Option<DateTime<Utc>>> {
    let row = sign_in_failures::Entity::find_by_id((login_key.to_owned(), address.to_owned()))
        .one(conn)
        .await?;
    Ok(row
        .and_then(|r| r.delayed_until)
        .filter(|until| *until > now))
}

/// Counts a wrong password of a login from an address; from the
/// [`SLOW_AFTER`]th in a row on, the next attempt from there waits. Answers
/// until when, if it does.
///
/// Refusals, in the order they are checked: none besides the service's own
/// failures (a delay is an answer, not a refusal).
#[derive(Debug, Clone)]
struct RecordFailure {
    login_key: String,
    address: String,
}

impl Operation for RecordFailure {
    type Output = Option<DateTime<Utc>>;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<Self::Output>> {
        use sign_in_failures::Column;
        sign_in_failures::Entity::insert(sign_in_failures::ActiveModel {
            login_key: Set(self.login_key.clone()),
            address: Set(self.address.clone()),
            failures: Set(1),
            delayed_until: Set(None),
            last_failed_at: Set(ctx.now),
        })
        .on_conflict(
            OnConflict::columns([Column::LoginKey, Column::Address])
                .value(
                    Column::Failures,
                    Expr::col((sign_in_failures::Entity, Column::Failures)).add(1),
                )
                .value(Column::LastFailedAt, Expr::value(ctx.now))
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
        let key = (self.login_key.clone(), self.address.clone());
        let row = sign_in_failures::Entity::find_by_id(key).one(txn).await?;
        let Some(delay) = row.and_then(|r| delay_after(r.failures)) else {
            return Ok(Done::unrecorded(None));
        };
        let until = ctx.now + delay;
        sign_in_failures::Entity::update_many()
            .col_expr(Column::DelayedUntil, Expr::value(until))
            .filter(Column::LoginKey.eq(self.login_key))
            .filter(Column::Address.eq(self.address))
            .exec(txn)
            .await?;
        Ok(Done::unrecorded(Some(until)))
    }
}

/// Clears the failures of a login from an address after a right password.
///
/// Refusals, in the order they are checked: none besides the service's own
/// failures.
#[derive(Debug, Clone)]
struct ForgetFailures {
    login_key: String,
    address: String,
}

impl Operation for ForgetFailures {
    type Output = ();

    async fn run(self, txn: &DatabaseTransaction, _ctx: &Ctx) -> ServiceResult<Done<()>> {
        sign_in_failures::Entity::delete_by_id((self.login_key, self.address))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delay_doubles_from_the_fifth_failure_up_to_a_limit() {
        assert_eq!(delay_after(4), None);
        assert_eq!(delay_after(5), Some(Duration::seconds(30)));
        assert_eq!(delay_after(6), Some(Duration::seconds(60)));
        assert_eq!(delay_after(9), Some(Duration::minutes(8)));
        assert_eq!(delay_after(10), Some(LONGEST_DELAY));
        assert_eq!(delay_after(1000), Some(LONGEST_DELAY));
    }
}
