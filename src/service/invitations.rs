//! Invitations: how a person joins an organisation, and how a forgotten
//! password is replaced, without anyone but that person ever knowing it.
//!
//! An invitation is a random token shown once to whoever creates it, to
//! hand over; the database keeps only its SHA-256. It is valid for
//! [`VALID_FOR`] and accepted at most once: the person who accepts it sets
//! their own login and password (or, for a reset, a new password).
//!
//! Who invites whom:
//! - registering an organisation invites its first administrator (the
//!   registrar hands the invitation over, and never sees a password or a
//!   client secret);
//! - the organisation's own administrators invite further people and reset
//!   their passwords;
//! - the registrar (an operator for a regulator, the region's regulator for
//!   a company or provider) may invite a new administrator only while the
//!   organisation has none who can sign in — the way back when the first
//!   invitation expired or every administrator left;
//! - `create-admin --login` invites an operator's person.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::people::{self, User};
use super::{engine, secrets, Call, Ctx, Done, Operation, Service, ServiceResult};
use crate::domain::{access, sign_in_name, Actor, DomainError, OrgKind, Region, Role};
use crate::store::entities::{invitations, organizations, users};

/// How long an invitation may be accepted.
pub const VALID_FOR: Duration = Duration::hours(72);

/// A new invitation: the token in clear, shown once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub token: String,
    /// None for an operator's person.
    pub organization_id: Option<Uuid>,
    pub administrator: bool,
    /// The person whose password it replaces, for a reset.
    pub user_id: Option<Uuid>,
    /// The login the inviter chose, if any.
    pub login: Option<String>,
    pub expires_at: DateTime<Utc>,
}

impl Invitation {
    /// The portal page where it is accepted.
    pub fn path(&self) -> String {
        format!("/invite/{}", self.token)
    }
}

/// SHA-256 of a token, hex: what the database keeps. The token has 256
/// random bits, so a fast hash is enough.
fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Who an actor is, as the invitation records its maker.
fn maker(actor: &Actor) -> String {
    match (actor.person, actor.role) {
        (Some(person), _) => person.to_string(),
        (None, Role::System) => Role::System.as_str().into(),
        (None, _) => actor.sub.to_string(),
    }
}

/// What a new invitation is for.
#[derive(Debug, Clone, Default)]
pub(super) struct For {
    /// None for an operator's person.
    pub organization_id: Option<Uuid>,
    pub administrator: bool,
    /// The person whose password it replaces, for a reset.
    pub user_id: Option<Uuid>,
    /// The login the inviter chose (checked).
    pub login: Option<String>,
}

/// Stores a new invitation in `conn`.
pub(super) async fn create<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    what: For,
    now: DateTime<Utc>,
) -> ServiceResult<Invitation> {
    let invitation = Invitation {
        token: secrets::random_token(),
        organization_id: what.organization_id,
        administrator: what.administrator,
        user_id: what.user_id,
        login: what.login,
        expires_at: now + VALID_FOR,
    };
    invitations::Entity::insert(invitations::ActiveModel {
        token_hash: Set(token_hash(&invitation.token)),
        organization_id: Set(invitation.organization_id),
        administrator: Set(invitation.administrator),
        user_id: Set(invitation.user_id),
        login: Set(invitation.login.clone()),
        created_by: Set(maker(actor)),
        created_at: Set(now),
        expires_at: Set(invitation.expires_at),
        accepted_at: Set(None),
        accepted_by: Set(None),
    })
    .exec_without_returning(conn)
    .await?;
    Ok(invitation)
}

/// The audit record of an invitation (never its token).
fn audited(invitation: &Invitation) -> serde_json::Value {
    serde_json::json!({
        "organization_id": invitation.organization_id,
        "administrator": invitation.administrator,
        "user_id": invitation.user_id,
        "expires_at": invitation.expires_at,
    })
}

/// Invites a person to an organisation (or, with `user_id`, to set a new
/// password for one of its people: a reset, never a password).
///
/// Refusals, in the order they are checked:
/// 1. `not_found`: the organisation does not exist, or the caller may not see it.
/// 2. `forbidden`: the caller is not a person who administers the organisation —
///    except its registrar inviting an administrator while the organisation has
///    none who can sign in, and the service itself inviting an operator.
/// 3. `not_found`: a reset names no person of the organisation.
/// 4. `validation_failed` (`login`) or `conflict`: a login chosen by the
///    inviter is malformed or taken.
#[derive(Debug, Clone)]
pub struct Invite {
    /// None for an operator's person.
    pub organization_id: Option<Uuid>,
    pub administrator: bool,
    /// For a reset: the person whose password it replaces.
    pub user_id: Option<Uuid>,
    /// The login the person will have, if the inviter chooses it.
    pub login: Option<String>,
}

impl Operation for Invite {
    type Output = Invitation;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<Invitation>> {
        // The service itself invites operators' people (`create-admin`).
        let by_machine = ctx.actor.role == Role::System && self.organization_id.is_none();
        let org = match people::administered(txn, &ctx.actor, self.organization_id).await {
            _ if by_machine => None,
            Ok(org) => org,
            Err(refused) => Some(registrar_may_invite(txn, &ctx.actor, &self, refused).await?),
        };
        let mut administrator = self.administrator;
        if let Some(user_id) = self.user_id {
            let person = users::Entity::find_by_id(user_id)
                .one(txn)
                .await?
                .filter(|u| u.organization_id == self.organization_id)
                .ok_or(DomainError::NotFound)?;
            administrator = person.administrator;
        }
        let login = match &self.login {
            Some(login) => Some(people::check_free_login(txn, login).await?),
            None => None,
        };
        let what = For {
            organization_id: self.organization_id,
            administrator,
            user_id: self.user_id,
            login,
        };
        let invitation = create(txn, &ctx.actor, what, ctx.now).await?;
        let events = match &org {
            Some(org) => vec![engine::entry(
                &org.region,
                "invitation.create",
                "organization",
                org.id.to_string(),
                &audited(&invitation),
            )?],
            None => Vec::new(),
        };
        Ok(Done {
            value: invitation,
            events,
        })
    }
}

/// The registrar's way back in ([`access::may_invite_administrator`]): an
/// administrator of an organisation it registers, while that organisation
/// has none who can sign in. When the caller is not its registrar, the
/// first refusal stands.
async fn registrar_may_invite<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    invite: &Invite,
    refused: super::ServiceError,
) -> ServiceResult<organizations::Model> {
    let Some(id) = invite.organization_id else {
        return Err(refused);
    };
    let Some(org) = organizations::Entity::find_by_id(id).one(conn).await? else {
        return Err(refused);
    };
    let first_administrator = invite.administrator && invite.user_id.is_none();
    if !first_administrator || access::may_suspend(actor, org.id, org.kind, &org.region).is_err() {
        return Err(refused);
    }
    let has = people::has_administrator(conn, org.id).await?;
    access::may_invite_administrator(actor, org.id, org.kind, &org.region, has)?;
    Ok(org)
}

/// What an invitation offers, for the page that accepts it.
#[derive(Debug, Clone)]
pub struct Offer {
    /// The organisation's id, name, kind and region (none for operators).
    pub organization: Option<(Uuid, String, OrgKind, Region)>,
    pub administrator: bool,
    /// The person's login, for a password reset.
    pub resets: Option<String>,
    /// The login the inviter chose, if any.
    pub login: Option<String>,
    pub expires_at: DateTime<Utc>,
}

/// The invitation behind a token, if it can still be accepted (unknown,
/// accepted and expired ones are all `not_found`, alike).
pub async fn offer(service: &Service, token: &str) -> ServiceResult<Offer> {
    let db = service.db.reader();
    let now = service.clock.now();
    let found = invitations::Entity::find_by_id(token_hash(token))
        .one(db)
        .await?
        .filter(|i| i.accepted_at.is_none() && i.expires_at > now)
        .ok_or(DomainError::NotFound)?;
    let organization = match found.organization_id {
        Some(id) => {
            let org = organizations::Entity::find_by_id(id)
                .one(db)
                .await?
                .ok_or(DomainError::NotFound)?;
            Some((org.id, org.name, org.kind, org.region))
        }
        None => None,
    };
    let resets = match found.user_id {
        Some(id) => Some(
            users::Entity::find_by_id(id)
                .one(db)
                .await?
                .ok_or(DomainError::NotFound)?
                .login,
        ),
        None => None,
    };
    Ok(Offer {
        organization,
        administrator: found.administrator,
        resets,
        login: found.login,
        expires_at: found.expires_at,
    })
}

/// What a person gives to accept an invitation. For a reset only the
/// password counts.
#[derive(Debug, Clone, Default)]
pub struct Acceptance {
    pub login: String,
    pub display_name: String,
    pub password: String,
}

/// Accepts an invitation: checks the token and the fields before the
/// password is hashed (so that nobody without an invitation can make the
/// service hash), then creates the person — or sets the new password of a
/// reset and ends that person's sessions — and spends the invitation, in
/// one transaction. `via` is how the person came (`portal` or `api`).
pub async fn accept(
    service: &Service,
    token: &str,
    given: Acceptance,
    via: &'static str,
) -> ServiceResult<User> {
    let offer = offer(service, token).await?;
    if offer.resets.is_none() {
        let login = offer.login.as_deref().unwrap_or(&given.login);
        people::check_person(login, &given.display_name)?;
    }
    let password_hash = people::hash_password(&given.password).await?;
    let user_id = Uuid::now_v7();
    let actor = match &offer.organization {
        Some((id, _, kind, region)) => Actor {
            sub: *id,
            role: kind.role(),
            region: Some(region.clone()),
            person: Some(user_id),
            needs_second_factor: false,
            district: None,
        },
        None => Actor {
            sub: user_id,
            role: Role::Admin,
            region: None,
            person: Some(user_id),
            needs_second_factor: false,
            district: None,
        },
    };
    let given = Acceptance {
        password: String::new(),
        ..given
    };
    let call = Call {
        via: Some(via),
        ..Call::by(actor)
    };
    let op = Accept::new(token, user_id, given, password_hash);
    service.execute(call, op).await
}

/// Spends an invitation: creates its person, or sets a new password. Run
/// as the organisation with the new person (`user_id`) as the actor's
/// person; [`accept`] does that, and checks before hashing.
///
/// Refusals, in the order they are checked:
/// 1. `not_found`: the invitation is unknown, accepted or expired.
/// 2. `validation_failed` (`login`, `display_name`): see [`people::check_person`].
/// 3. `conflict`: the login (compared by key) is taken.
#[derive(Debug, Clone)]
pub struct Accept {
    token_hash: String,
    user_id: Uuid,
    login: String,
    display_name: String,
    password_hash: String,
}

impl Accept {
    /// Accepting the invitation `token` as the new person `user_id`, with
    /// the password already hashed ([`people::hash_password`]).
    pub fn new(token: &str, user_id: Uuid, given: Acceptance, password_hash: String) -> Self {
        Accept {
            token_hash: token_hash(token),
            user_id,
            login: given.login,
            display_name: given.display_name,
            password_hash,
        }
    }
}

impl Operation for Accept {
    type Output = User;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<User>> {
        // The conditional update is the at-most-once: of two acceptances
        // racing, one finds it accepted already.
        let spent = invitations::Entity::update_many()
            .col_expr(invitations::Column::AcceptedAt, Expr::value(ctx.now))
            .filter(invitations::Column::TokenHash.eq(self.token_hash.as_str()))
            .filter(invitations::Column::AcceptedAt.is_null())
            .filter(invitations::Column::ExpiresAt.gt(ctx.now))
            .exec(txn)
            .await?;
        if spent.rows_affected != 1 {
            return Err(DomainError::NotFound.into());
        }
        let invitation = invitations::Entity::find_by_id(self.token_hash.clone())
            .one(txn)
            .await?
            .ok_or(DomainError::NotFound)?;
        let (user, action) = match invitation.user_id {
            Some(user_id) => (reset(txn, user_id, self.password_hash).await?, "user.reset"),
            None => {
                let login = invitation.login.as_deref().unwrap_or(&self.login);
                let (login, display_name) = people::check_person(login, &self.display_name)?;
                // A person of an organisation signs in as `login@code`.
                let organization = match invitation.organization_id {
                    Some(id) => engine::cached_organization(txn, &ctx.orgs, id).await?,
                    None => None,
                };
                let login = sign_in_name(&login, organization.as_ref().map(|o| (o.id, &o.region)));
                let user = User {
                    id: self.user_id,
                    login,
                    display_name,
                    organization_id: invitation.organization_id,
                    disabled: false,
                    administrator: invitation.administrator,
                    created_at: ctx.now,
                };
                people::insert(txn, &user, self.password_hash).await?;
                (user, "user.create")
            }
        };
        invitations::Entity::update_many()
            .col_expr(invitations::Column::AcceptedBy, Expr::value(user.id))
            .filter(invitations::Column::TokenHash.eq(self.token_hash.as_str()))
            .exec(txn)
            .await?;
        let region = match invitation.organization_id {
            Some(id) => engine::cached_organization(txn, &ctx.orgs, id)
                .await?
                .map(|o| o.region),
            None => None,
        };
        let events = match region {
            Some(region) => vec![engine::entry(
                &region,
                action,
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

/// Sets a person's new password and ends their sessions (a disabled
/// person stays disabled).
async fn reset<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    password_hash: String,
) -> ServiceResult<User> {
    let user = users::Entity::find_by_id(user_id)
        .one(conn)
        .await?
        .ok_or(DomainError::NotFound)?;
    // A reset is also how a person who lost their second factor and its
    // recovery codes gets back in: they enrol again.
    users::Entity::update_many()
        .col_expr(users::Column::PasswordHash, Expr::value(password_hash))
        .col_expr(
            users::Column::TotpSecret,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            users::Column::TotpEnrolledAt,
            Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
        )
        .col_expr(
            users::Column::TotpLastStep,
            Expr::value(Option::<i64>::None),
        )
        .filter(users::Column::Id.eq(user_id))
        .exec(conn)
        .await?;
    super::second_factor::forget_recovery_codes(conn, user_id).await?;
    super::sessions::end_all(conn, user_id).await?;
    Ok(user.into())
}

/// Invites an operator's person who will sign in as `login`
/// (`create-admin --login`): the invitation is printed on the machine, to
/// hand over.
pub async fn invite_operator(service: &Service, login: &str) -> ServiceResult<Invitation> {
    let op = Invite {
        organization_id: None,
        administrator: true,
        user_id: None,
        login: Some(login.to_owned()),
    };
    service.execute(Call::system(), op).await
}
