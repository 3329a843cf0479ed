//! People: the users of an organisation who sign in to the portal. An
//! organisation's own client, an operator, or a regulator who may register
//! the organisation manages them; anyone else is told the organisation does
//! not exist.

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
use crate::domain::{access, text, Actor, DomainError};
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

/// A login: 3 to 64 characters, none of them blank or forbidden.
fn parse_login(login: &str) -> Result<String, DomainError> {
    let login = text::clean("login", login, 64)?;
    if login.chars().count() < 3 {
        return Err(DomainError::field("login", "at least 3 characters"));
    }
    if login.chars().any(char::is_whitespace) {
        return Err(DomainError::field("login", "no spaces"));
    }
    Ok(login)
}

/// The organisation whose people `actor` may manage: the organisation
/// itself, operators, and regulators who may register it (others: 404, or
/// 403 for a regulator's own region's regulators).
async fn managed_organization<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    id: Uuid,
) -> ServiceResult<organizations::Model> {
    let org = organizations::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(DomainError::NotFound)?;
    if actor.sub == org.id {
        return Ok(org);
    }
    if !access::may_see_organization(actor, org.id, &org.region) {
        return Err(DomainError::NotFound.into());
    }
    access::may_register(actor, org.kind, &org.region)?;
    Ok(org)
}

/// Checks that `actor` may manage the people of an organisation — before
/// a password is hashed, so that nobody else can make the service hash.
/// The operation checks again in its transaction.
pub async fn check_manager(db: &Db, actor: &Actor, organization_id: Uuid) -> ServiceResult<()> {
    managed_organization(db.reader(), actor, organization_id).await?;
    Ok(())
}

/// Adds a person to an organisation. The password comes hashed
/// ([`hash_password`]).
///
/// Refusals, in the order they are checked:
/// 1. `not_found`: the organisation does not exist, or the caller is not the
///    organisation itself, an operator or a regulator of its region.
/// 2. `forbidden`: a regulator manages a regulator's people (only operators may).
/// 3. `validation_failed` (`login`): blank, over 64 or under 3 characters, with a
///    space, or with control, zero-width or bidi characters.
/// 4. `validation_failed` (`display_name`): blank, over 200 characters, or with
///    control, zero-width or bidi characters.
/// 5. `conflict`: the login (compared by key) is taken.
///
/// The password itself is checked (`validation_failed` on `password`) by
/// [`hash_password`], before the operation runs.
#[derive(Debug, Clone)]
pub struct CreateUser {
    pub organization_id: Uuid,
    pub login: String,
    pub display_name: String,
    pub password_hash: String,
}

impl Operation for CreateUser {
    type Output = User;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<User>> {
        let org = managed_organization(txn, &ctx.actor, self.organization_id).await?;
        let (login, display_name) = check_person(&self.login, &self.display_name)?;
        let user = User {
            id: Uuid::now_v7(),
            login,
            display_name,
            organization_id: Some(org.id),
            disabled: false,
            created_at: ctx.now,
        };
        insert(txn, &user, self.password_hash).await?;
        let event = engine::entry(
            &org.region,
            "user.create",
            "user",
            user.id.to_string(),
            &serde_json::json!({ "user": &user }),
        )?;
        Ok(Done {
            value: user,
            events: vec![event],
        })
    }
}

/// Disables a person: they can no longer sign in, and their portal
/// sessions end in the same transaction. Disabling a disabled person
/// changes nothing.
///
/// Refusals, in the order they are checked:
/// 1. `not_found`: the organisation does not exist, or the caller is not the
///    organisation itself, an operator or a regulator of its region.
/// 2. `forbidden`: a regulator manages a regulator's people (only operators may).
/// 3. `not_found`: the organisation has no person `user_id`.
#[derive(Debug, Clone)]
pub struct DisableUser {
    pub organization_id: Uuid,
    pub user_id: Uuid,
}

impl Operation for DisableUser {
    type Output = User;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<User>> {
        let org = managed_organization(txn, &ctx.actor, self.organization_id).await?;
        let user = users::Entity::find_by_id(self.user_id)
            .filter(users::Column::OrganizationId.eq(org.id))
            .one(txn)
            .await?
            .ok_or(DomainError::NotFound)?;
        if user.disabled {
            return Ok(Done {
                value: user.into(),
                events: Vec::new(),
            });
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
        let event = engine::entry(
            &org.region,
            "user.disable",
            "user",
            user.id.to_string(),
            &serde_json::json!({ "user": &user }),
        )?;
        Ok(Done {
            value: user,
            events: vec![event],
        })
    }
}

/// An operator's person (`create-admin --login`), with a random password
/// returned once, in clear.
pub async fn create_operator(
    db: &Db,
    login: &str,
    at: DateTime<Utc>,
) -> ServiceResult<(User, String)> {
    let login = parse_login(login)?;
    let password = secrets::random_password();
    let user = User {
        id: Uuid::now_v7(),
        display_name: login.clone(),
        login,
        organization_id: None,
        disabled: false,
        created_at: at,
    };
    insert(db.writer(), &user, hash_password(&password).await?).await?;
    Ok((user, password))
}

/// Stores a new person; a login already taken (by its key) is a conflict.
async fn insert<C: ConnectionTrait>(
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
        created_at: Set(user.created_at),
        disabled_at: Set(None),
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

/// The people of an organisation, oldest first.
pub async fn list(db: &Db, actor: &Actor, organization_id: Uuid) -> ServiceResult<Vec<User>> {
    let org = managed_organization(db.reader(), actor, organization_id).await?;
    let people = users::Entity::find()
        .filter(users::Column::OrganizationId.eq(org.id))
        .order_by_asc(users::Column::CreatedAt)
        .order_by_asc(users::Column::Id)
        .all(db.reader())
        .await?;
    Ok(people.into_iter().map(User::from).collect())
}
