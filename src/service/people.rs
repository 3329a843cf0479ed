//! People: the users of an organisation who sign in to the portal (and,
//! with a person's token, to the API). A person joins by an invitation
//! ([`super::invitations`]); only the organisation's own administrators
//! manage its people and API clients — never its registrar, an operator,
//! or one of its API clients. Its registrar, operators and the organisation
//! itself may list them.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder,
};
use serde::Serialize;
use uuid::Uuid;

use super::engine;
use super::{logins, secrets, Ctx, Done, Operation, ServiceResult};
use crate::domain::{access, text, Actor, DomainError, Role};
use crate::store::entities::{organizations, users};
use crate::store::{self, Db};

/// The fewest characters a password may have.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// The most (longer ones only cost hashing time).
const MAX_PASSWORD_BYTES: usize = 1024;

/// A person of an organisation (never with the password).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: Uuid,
    pub login: String,
    pub display_name: String,
    /// None for an operator's person.
    pub organization_id: Option<Uuid>,
    pub disabled: bool,
    /// Whether the person administers the organisation's people and clients.
    pub administrator: bool,
    pub created_at: DateTime<Utc>,
}

impl From<users::Model> for User {
    fn from(u: users::Model) -> Self {
        User {
            id: u.id,
            login: u.login,
            display_name: u.display_name,
            organization_id: u.organization_id,
            disabled: u.disabled,
            administrator: u.administrator,
            created_at: u.created_at,
        }
    }
}

/// Checks a new password and hashes it (Argon2id) on a hashing thread —
/// before any transaction, so that no batch waits for the hash.
pub async fn hash_password(password: &str) -> ServiceResult<String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        let message = format!("at least {MIN_PASSWORD_CHARS} characters");
        return Err(DomainError::field("password", message).into());
    }
    if password.len() > MAX_PASSWORD_BYTES {
        let message = format!("at most {MAX_PASSWORD_BYTES} bytes");
        return Err(DomainError::field("password", message).into());
    }
    let password = password.to_owned();
    logins::on_hashing_thread(move || secrets::hash(&password)).await
}

/// A new person's login and display name, checked (so that a caller can
/// refuse bad fields before paying for a password hash).
pub fn check_person(login: &str, display_name: &str) -> Result<(String, String), DomainError> {
    let login = parse_login(login)?;
    let display_name = text::clean("display_name", display_name, 200)?;
    Ok((login, display_name))
}

/// A login chosen ahead (an invitation's), checked and not taken yet.
pub(super) async fn check_free_login<C: ConnectionTrait>(
    conn: &C,
    login: &str,
) -> ServiceResult<String> {
    let login = parse_login(login)?;
    let taken = users::Entity::find()
        .filter(users::Column::LoginKey.eq(text::key(&login)))
        .one(conn)
        .await?;
    if taken.is_some() {
        return Err(DomainError::Conflict(format!("the login {login} is taken")).into());
    }
    Ok(login)
}

/// The most characters a login has (a person of an organisation signs in
/// as `login@code`, which must fit the column's 64).
pub const MAX_LOGIN_CHARS: usize = 40;

/// A login: 3 to 40 characters, none of them blank, `@` or forbidden.
fn parse_login(login: &str) -> Result<String, DomainError> {
    let login = text::clean("login", login, MAX_LOGIN_CHARS)?;
    if login.chars().count() < 3 {
        return Err(DomainError::field("login", "at least 3 characters"));
    }
    if login.chars().any(char::is_whitespace) {
        return Err(DomainError::field("login", "no spaces"));
    }
    if login.contains('@') {
        return Err(DomainError::field(
            "login",
            "no @: the organisation's code is added after it (login@code)",
        ));
    }
    Ok(login)
}

/// The organisation `actor` administers (see
/// [`access::may_manage_people`]): its own, and only as a person who
/// administers it. Operators' persons all administer the operators' people
/// (`organization_id` none).
pub(super) async fn administered<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    organization_id: Option<Uuid>,
) -> ServiceResult<Option<organizations::Model>> {
    let org = match organization_id {
        Some(id) => Some(
            organizations::Entity::find_by_id(id)
                .one(conn)
                .await?
                .ok_or(DomainError::NotFound)?,
        ),
        None => None,
    };
    let person = match actor.person {
        Some(id) => users::Entity::find_by_id(id).one(conn).await?,
        None => None,
    };
    let administers = person.is_some_and(|p| {
        !p.disabled
            && p.organization_id == organization_id
            && (p.administrator || organization_id.is_none())
    });
    let seen = org.as_ref().map(|o| (o.id, o.kind, &o.region));
    access::may_manage_people(actor, seen, administers)?;
    Ok(org)
}

/// Whether an organisation has an administrator who can sign in.
pub(super) async fn has_administrator<C: ConnectionTrait>(
    conn: &C,
    organization_id: Uuid,
) -> ServiceResult<bool> {
    let found = users::Entity::find()
        .filter(users::Column::OrganizationId.eq(organization_id))
        .filter(users::Column::Administrator.eq(true))
        .filter(users::Column::Disabled.eq(false))
        .one(conn)
        .await?;
    Ok(found.is_some())
}

/// The organisation whose people `actor` may list: the organisation
/// itself, operators, and the regulators of its region (others: 404).
async fn visible_organization<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    id: Uuid,
) -> ServiceResult<organizations::Model> {
    let org = organizations::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(DomainError::NotFound)?;
    if access::may_see_organization(actor, org.id, &org.region) {
        Ok(org)
    } else {
        Err(DomainError::NotFound.into())
    }
}

/// Disables a person: they can no longer sign in, and their portal
/// sessions end in the same transaction. Disabling a disabled person
/// changes nothing.
///
/// Refusals, in the order they are checked:
/// 1. `not_found`: the organisation does not exist, or the caller may not see it.
/// 2. `forbidden`: the caller is not a person who administers the organisation
///    (its registrar, an operator, or one of its API clients is not).
/// 3. `not_found`: the organisation has no person `user_id`.
/// 4. `conflict`: the person is the caller (another administrator disables them).
#[derive(Debug, Clone)]
pub struct DisableUser {
    /// None for an operator's person.
    pub organization_id: Option<Uuid>,
    pub user_id: Uuid,
}

impl Operation for DisableUser {
    type Output = User;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<User>> {
        let org = administered(txn, &ctx.actor, self.organization_id).await?;
        let user = users::Entity::find_by_id(self.user_id)
            .one(txn)
            .await?
            .filter(|u| u.organization_id == self.organization_id)
            .ok_or(DomainError::NotFound)?;
        if user.disabled {
            return Ok(Done {
                value: user.into(),
                events: Vec::new(),
            });
        }
        if ctx.actor.person == Some(user.id) {
            return Err(DomainError::Conflict(
                "you cannot disable yourself; another administrator can".into(),
            )
            .into());
        }
        users::Entity::update_many()
            .col_expr(users::Column::Disabled, Expr::value(true))
            .col_expr(users::Column::DisabledAt, Expr::value(ctx.now))
            .filter(users::Column::Id.eq(user.id))
            .exec(txn)
            .await?;
        super::sessions::end_all(txn, user.id).await?;
        let user = User {
            disabled: true,
            ..user.into()
        };
        let events = match &org {
            Some(org) => vec![engine::entry(
                &org.region,
                "user.disable",
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

/// Stores a new person; a login already taken (by its key) is a conflict.
pub(super) async fn insert<C: ConnectionTrait>(
    conn: &C,
    user: &User,
    password_hash: String,
) -> ServiceResult<()> {
    let inserted = users::Entity::insert(users::ActiveModel {
        id: Set(user.id),
        organization_id: Set(user.organization_id),
        login: Set(user.login.clone()),
        login_key: Set(text::key(&user.login)),
        display_name: Set(user.display_name.clone()),
        password_hash: Set(password_hash),
        disabled: Set(user.disabled),
        administrator: Set(user.administrator),
        created_at: Set(user.created_at),
        disabled_at: Set(None),
        totp_secret: Set(None),
        totp_enrolled_at: Set(None),
        totp_last_step: Set(None),
    })
    .exec_without_returning(conn)
    .await;
    match inserted {
        Ok(_) => Ok(()),
        Err(err) if store::is_unique_violation(&err) => {
            Err(DomainError::Conflict(format!("the login {} is taken", user.login)).into())
        }
        Err(err) => Err(err.into()),
    }
}

/// The people of an organisation, oldest first: for the organisation
/// itself, operators and the regulators of its region.
pub async fn list(db: &Db, actor: &Actor, organization_id: Uuid) -> ServiceResult<Vec<User>> {
    let org = visible_organization(db.reader(), actor, organization_id).await?;
    people_of(db, Some(org.id)).await
}

/// The operators' people, oldest first (operators only).
pub async fn list_operators(db: &Db, actor: &Actor) -> ServiceResult<Vec<User>> {
    if actor.role != Role::Admin {
        return Err(DomainError::Forbidden("only operators list operators".into()).into());
    }
    people_of(db, None).await
}

async fn people_of(db: &Db, organization_id: Option<Uuid>) -> ServiceResult<Vec<User>> {
    let filter = match organization_id {
        Some(id) => users::Column::OrganizationId.eq(id),
        None => users::Column::OrganizationId.is_null(),
    };
    let people = users::Entity::find()
        .filter(filter)
        .order_by_asc(users::Column::CreatedAt)
        .order_by_asc(users::Column::Id)
        .all(db.reader())
        .await?;
    Ok(people.into_iter().map(User::from).collect())
}

/// Clears every failed sign-in of a person's login, from every address:
/// attempts are no longer delayed anywhere. Unlocking a login that is not
/// slowed changes nothing.
///
/// Refusals, in the order they are checked:
/// 1. `not_found`: the organisation does not exist, or the caller may not see it.
/// 2. `forbidden`: the caller is neither a person who administers the
///    organisation nor — for one of its administrators — its registrar (an
///    operator for a regulator's, a regulator for a company's or provider's).
/// 3. `not_found`: the organisation has no person `user_id`.
#[derive(Debug, Clone)]
pub struct UnlockUser {
    /// None for an operator's person.
    pub organization_id: Option<Uuid>,
    pub user_id: Uuid,
}

impl Operation for UnlockUser {
    type Output = User;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<User>> {
        let user = users::Entity::find_by_id(self.user_id)
            .one(txn)
            .await?
            .filter(|u| u.organization_id == self.organization_id);
        let org = match administered(txn, &ctx.actor, self.organization_id).await {
            Ok(org) => org,
            Err(super::ServiceError::Domain(refused @ DomainError::Forbidden(_))) => {
                // The way back in for an organisation whose administrators
                // are all slowed: its registrar unlocks an administrator.
                let org = match self.organization_id {
                    Some(id) => organizations::Entity::find_by_id(id).one(txn).await?,
                    None => None,
                };
                let registrar = org.as_ref().is_some_and(|o| {
                    access::may_suspend(&ctx.actor, o.id, o.kind, &o.region).is_ok()
                });
                if !registrar || !user.as_ref().is_some_and(|u| u.administrator) {
                    return Err(refused.into());
                }
                org
            }
            Err(other) => return Err(other),
        };
        let user = user.ok_or(DomainError::NotFound)?;
        let cleared = super::passwords::unlock(txn, &user.login_key).await?;
        let user = User::from(user);
        let events = match (&org, cleared) {
            (Some(org), 1..) => vec![engine::entry(
                &org.region,
                "user.unlock",
                "user",
                user.id.to_string(),
                &serde_json::json!({ "user": &user, "addresses_cleared": cleared }),
            )?],
            _ => Vec::new(),
        };
        Ok(Done {
            value: user,
            events,
        })
    }
}

/// Until when each of `people` is slowed from some address (those who are
/// now), for their administrators' lists.
pub async fn slowed(
    db: &Db,
    people: &[User],
    now: DateTime<Utc>,
) -> ServiceResult<std::collections::HashMap<Uuid, DateTime<Utc>>> {
    let ids: Vec<Uuid> = people.iter().map(|p| p.id).collect();
    let rows = users::Entity::find()
        .filter(users::Column::Id.is_in(ids))
        .all(db.reader())
        .await?;
    let keys = rows.iter().map(|r| r.login_key.clone()).collect();
    let until = super::passwords::slowed_until(db.reader(), keys, now).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| until.get(&r.login_key).map(|u| (r.id, *u)))
        .collect())
}
