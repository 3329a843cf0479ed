//! Organisations, credentials and authentication.

use std::net::IpAddr;
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use rand::RngCore;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
};
use serde::Serialize;
use uuid::Uuid;

use super::engine;
use super::invitations::{self, Invitation};
use super::logins::{self, LoginLimits};
use super::secrets;
use super::{Ctx, Done, Operation, ServiceError, ServiceResult};
use crate::domain::identity::{reviewed_district, OrganizationFields};
use crate::domain::{access, review, text};
use crate::domain::{
    Actor, CompanyType, CreditCode, DomainError, NewOrganization, OrgKind, Region, Role,
};
use crate::store::entities::{credentials, organizations};
use crate::store::{self, Db};

/// A registered organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Organization {
    pub id: Uuid,
    pub kind: OrgKind,
    pub name: String,
    pub region: Region,
    pub credit_code: Option<String>,
    pub company_type: Option<CompanyType>,
    pub actual_controller: Option<String>,
    pub created_at: chrono::DateTime<Utc>,
    /// When its registrar suspended it, if it is suspended.
    pub suspended_at: Option<chrono::DateTime<Utc>>,
    /// A regulator's district (first-level review) or a provider's (where it is registered), if any.
    pub district: Option<String>,
}

/// A client id and its secret in clear text: shown once, stored only hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCredentials {
    pub client_id: String,
    pub client_secret: String,
}

/// A registration request, as received: every field is checked by
/// [`NewOrganization::parse`].
///
/// Refusals, in the order they are checked:
/// 1. `validation_failed` (`kind`, `name`, `region`, `company_type`, `credit_code`,
///    `actual_controller`, `district`): every invalid field at once, a missing credit code of an
///    enterprise or provider included.
/// 2. `invalid_credit_code`: the credit code is malformed or its check character
///    does not match (GB 32100).
/// 3. `forbidden`: the caller is neither an operator nor a regulator; or a regulator
///    registers a regulator, or an organisation of another region.
/// 4. `validation_failed` (`region`): not an issuing region; (`district`):
///    not a district of the region's programme.
/// 5. `conflict`: an organisation of this kind with this credit code is registered.
///
/// The answer carries an invitation for the organisation's first
/// administrator ([`super::invitations`]): the registrar hands it over and
/// never sees a password or a client secret of the organisation.
#[derive(Debug, Clone, Default)]
pub struct RegisterOrganization {
    pub kind: String,
    pub name: String,
    pub region: String,
    pub credit_code: Option<String>,
    pub company_type: Option<String>,
    pub actual_controller: Option<String>,
    /// A regulator's district (it reviews there at the first level) or a provider's.
    pub district: Option<String>,
}

/// A new organisation and the invitation of its first administrator (the
/// token in clear, once).
#[derive(Debug, Clone)]
pub struct Registered {
    pub organization: Organization,
    pub invitation: Invitation,
}

impl Operation for RegisterOrganization {
    type Output = Registered;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<Registered>> {
        let new = NewOrganization::parse(OrganizationFields {
            kind: &self.kind,
            name: &self.name,
            region: &self.region,
            credit_code: self.credit_code.as_deref(),
            company_type: self.company_type.as_deref(),
            actual_controller: self.actual_controller.as_deref(),
            district: self.district.as_deref(),
        })?;
        let organization = register(txn, ctx, new).await?;
        let first = invitations::For {
            organization_id: Some(organization.id),
            administrator: true,
            ..Default::default()
        };
        let invitation = invitations::create(txn, &ctx.actor, first, ctx.now).await?;
        // The audit trail records the organisation, never the token.
        let audited = serde_json::json!({
            "organization": &organization,
            "invitation_expires_at": invitation.expires_at,
        });
        let event = engine::entry(
            &organization.region,
            "organization.register",
            "organization",
            organization.id.to_string(),
            &audited,
        )?;
        Ok(Done {
            value: Registered {
                organization,
                invitation,
            },
            events: vec![event],
        })
    }
}

/// Registers an organisation of an issuing region.
async fn register<C: ConnectionTrait>(
    txn: &C,
    ctx: &Ctx,
    new: NewOrganization,
) -> ServiceResult<Organization> {
    access::may_register(&ctx.actor, new.kind, &new.region)?;
    let Some(rules) = ctx.rules.get(&new.region) else {
        return Err(DomainError::field("region", format!("unknown region {}", new.region)).into());
    };
    if let Some(code) = &new.district {
        review::district("district", code, &rules.policy().districts)?;
    }
    let org = Organization {
        id: Uuid::now_v7(),
        kind: new.kind,
        name: new.name,
        region: new.region,
        credit_code: new.credit_code.as_ref().map(CreditCode::to_string),
        company_type: new.company_type,
        actual_controller: new.actual_controller,
        created_at: ctx.now,
        suspended_at: None,
        district: new.district,
    };
    let row = organizations::ActiveModel {
        id: Set(org.id),
        kind: Set(org.kind),
        name: Set(org.name.clone()),
        region: Set(org.region.clone()),
        credit_code: Set(org.credit_code.clone()),
        company_type: Set(org.company_type),
        actual_controller: Set(org.actual_controller.clone()),
        controller_key: Set(org.actual_controller.as_deref().map(text::key)),
        created_at: Set(org.created_at),
        suspended_at: Set(None),
        district: Set(org.district.clone()),
    };
    let inserted = organizations::Entity::insert(row)
        .exec_without_returning(txn)
        .await;
    if let Err(err) = inserted {
        return Err(if store::is_unique_violation(&err) {
            DomainError::Conflict(format!(
                "a {} with this credit code is already registered",
                org.kind
            ))
            .into()
        } else {
            err.into()
        });
    }
    Ok(org)
}

/// Gives an operators' client a new secret: the old one stops working at
/// once (tokens issued with it live out their lifetime). An organisation's
/// clients are its own administrators' to revoke and create
/// ([`super::clients`]): an operator never receives their secrets.
///
/// Refusals, in the order they are checked:
/// 1. `forbidden`: the caller is not an operator (or the service itself).
/// 2. `not_found`: no client has this id.
/// 3. `forbidden`: the client is an organisation's.
///
/// The secret is hashed on the bounded hashing threads; when they are all
/// busy the answer is `unavailable` (a failure of the service, not a refusal).
#[derive(Debug, Clone)]
pub struct RotateSecret {
    pub client_id: String,
}

impl Operation for RotateSecret {
    type Output = ClientCredentials;

    async fn run(
        self,
        txn: &DatabaseTransaction,
        ctx: &Ctx,
    ) -> ServiceResult<Done<ClientCredentials>> {
        access::permit(&ctx.actor, access::Action::RotateSecret)?;
        let credential = credentials::Entity::find_by_id(self.client_id.clone())
            .one(txn)
            .await?
            .ok_or(DomainError::NotFound)?;
        if credential.organization_id.is_some() || credential.role != Role::Admin {
            return Err(DomainError::Forbidden(
                "an organisation's clients are revoked and created by its own administrators"
                    .into(),
            )
            .into());
        }
        let client_secret = random_hex(32);
        let secret = client_secret.clone();
        let secret_hash = logins::on_hashing_thread(move || secrets::hash(&secret)).await?;
        credentials::Entity::update_many()
            .col_expr(
                credentials::Column::SecretHash,
                sea_orm::sea_query::Expr::value(secret_hash),
            )
            .filter(credentials::Column::ClientId.eq(&self.client_id))
            .exec(txn)
            .await?;
        Ok(Done::unrecorded(ClientCredentials {
            client_id: self.client_id,
            client_secret,
        }))
    }
}

/// The organisation behind an id, if it is of `kind`.
pub async fn organization_of_kind<C: ConnectionTrait>(
    conn: &C,
    ctx: &Ctx,
    id: Uuid,
    kind: OrgKind,
) -> ServiceResult<Option<organizations::Model>> {
    let found = engine::cached_organization(conn, &ctx.orgs, id).await?;
    Ok(found.filter(|o| o.kind == kind))
}

/// Reads an organisation the actor may see.
pub async fn find_organization(db: &Db, actor: &Actor, id: Uuid) -> ServiceResult<Organization> {
    let model = organizations::Entity::find_by_id(id)
        .one(db.reader())
        .await?
        .ok_or(DomainError::NotFound)?;
    let org = to_organization(model);
    if access::may_see_organization(actor, org.id, &org.region) {
        Ok(org)
    } else {
        Err(DomainError::NotFound.into())
    }
}

/// Every organisation, by kind, region and name (operators only).
pub async fn list_organizations(db: &Db, actor: &Actor) -> ServiceResult<Vec<Organization>> {
    use sea_orm::QueryOrder;
    if actor.role != Role::Admin {
        return Err(DomainError::Forbidden("only operators list every organisation".into()).into());
    }
    let rows = organizations::Entity::find()
        .order_by_asc(organizations::Column::Kind)
        .order_by_asc(organizations::Column::Region)
        .order_by_asc(organizations::Column::Name)
        .all(db.reader())
        .await?;
    Ok(rows.into_iter().map(to_organization).collect())
}

/// The names of the organisations `ids` the actor may know, by id (for
/// lists that name a record's parties). A name is known to operators, to
/// the organisation itself and to the regulators of its region; a
/// provider's to everyone (the directory lists providers); a company's also
/// to the regulators of a region it applied to. Other names are left out.
pub async fn organization_names(
    db: &Db,
    actor: &Actor,
    ids: impl IntoIterator<Item = Uuid>,
) -> ServiceResult<std::collections::HashMap<Uuid, String>> {
    use crate::store::entities::applications;
    use sea_orm::QuerySelect;
    let ids: Vec<Uuid> = ids.into_iter().collect();
    let orgs = organizations::Entity::find()
        .filter(organizations::Column::Id.is_in(ids))
        .all(db.reader())
        .await?;
    let known = |o: &organizations::Model| {
        o.kind == OrgKind::Provider || access::may_see_organization(actor, o.id, &o.region)
    };
    let others: Vec<Uuid> = orgs
        .iter()
        .filter(|o| o.kind == OrgKind::Company && !known(o))
        .map(|o| o.id)
        .collect();
    let applicants: Vec<Uuid> = match &actor.region {
        Some(region) if actor.role == Role::Regulator && !others.is_empty() => {
            let mut query = applications::Entity::find()
                .select_only()
                .column(applications::Column::CompanyId)
                .filter(applications::Column::Region.eq(region.clone()))
                .filter(applications::Column::CompanyId.is_in(others));
            // A district's regulator: the applicants of its district.
            if let Some(district) = &actor.district {
                query = query.filter(applications::Column::District.eq(district.clone()));
            }
            query.distinct().into_tuple().all(db.reader()).await?
        }
        _ => Vec::new(),
    };
    Ok(orgs
        .into_iter()
        .filter(|o| known(o) || applicants.contains(&o.id))
        .map(|o| (o.id, o.name))
        .collect())
}

/// Creates an operator (admin) credential.
pub async fn create_admin(db: &Db, at: DateTime<Utc>) -> ServiceResult<ClientCredentials> {
    let issue = Issue {
        subject: Uuid::now_v7(),
        role: Role::Admin,
        region: None,
        organization_id: None,
        label: Some("create-admin".into()),
        created_by: None,
    };
    issue_credentials(db.writer(), issue, at).await
}

/// Checks client credentials and returns who they belong to. The hash is
/// verified on a blocking thread; unknown clients cost the same time as
/// known ones, so a caller cannot probe for client ids.
pub async fn authenticate(db: &Db, client_id: &str, client_secret: &str) -> ServiceResult<Actor> {
    let found = credentials::Entity::find_by_id(client_id.to_owned())
        .one(db.reader())
        .await?;
    // Unknown clients are checked against a dummy hash: the time taken does
    // not tell which client ids exist.
    let hash = found.as_ref().map(|c| c.secret_hash.clone());
    let secret = client_secret.to_owned();
    let matches = logins::on_hashing_thread(move || {
        let hash = hash.as_deref().unwrap_or(&DUMMY_HASH);
        secrets::verify(&secret, hash)
    })
    .await?;
    let credential = found
        .filter(|_| matches)
        .ok_or(ServiceError::Unauthorized)?;
    let mut district = None;
    if let Some(id) = credential.organization_id {
        let org = organizations::Entity::find_by_id(id)
            .one(db.reader())
            .await?;
        if org.as_ref().is_some_and(|o| o.suspended_at.is_some()) {
            return Err(ServiceError::Unauthorized);
        }
        district = reviewed_district(credential.role, org.and_then(|o| o.district));
    }
    Ok(Actor {
        sub: credential.subject,
        role: credential.role,
        region: credential.region,
        person: None,
        needs_second_factor: false,
        district,
    })
}

/// Checks client credentials as [`authenticate`] does, within the login
/// limits: an attempter over its limit is refused before any hashing, and a
/// failure counts against the client id and the source address.
pub async fn log_in(
    db: &Db,
    limits: &LoginLimits,
    client_id: &str,
    client_secret: &str,
    address: Option<IpAddr>,
) -> ServiceResult<Actor> {
    limits.admit(client_id, address).await?;
    let result = authenticate(db, client_id, client_secret).await;
    if let Err(ServiceError::Unauthorized) = result {
        limits.failed(client_id, address);
    }
    result
}

/// A hash to verify against when the client id is unknown.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| secrets::hash("not a real secret"));

/// Who a new client credential is for.
#[derive(Debug, Clone)]
pub(super) struct Issue {
    /// The organisation id, or a new id for an operators' client.
    pub subject: Uuid,
    pub role: Role,
    pub region: Option<Region>,
    pub organization_id: Option<Uuid>,
    pub label: Option<String>,
    /// The person who creates it.
    pub created_by: Option<Uuid>,
}

/// Stores a new client with a random secret; answers the secret in clear.
pub(super) async fn issue_credentials<C: ConnectionTrait>(
    conn: &C,
    issue: Issue,
    at: DateTime<Utc>,
) -> ServiceResult<ClientCredentials> {
    let client_id = format!("vl_{}", random_hex(12));
    let client_secret = random_hex(32);
    let secret = client_secret.clone();
    let secret_hash = logins::on_hashing_thread(move || secrets::hash(&secret)).await?;
    let row = credentials::ActiveModel {
        client_id: Set(client_id.clone()),
        secret_hash: Set(secret_hash),
        subject: Set(issue.subject),
        role: Set(issue.role),
        region: Set(issue.region),
        organization_id: Set(issue.organization_id),
        created_at: Set(at),
        label: Set(issue.label),
        created_by: Set(issue.created_by),
    };
    credentials::Entity::insert(row)
        .exec_without_returning(conn)
        .await?;
    Ok(ClientCredentials {
        client_id,
        client_secret,
    })
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    hex::encode(buf)
}

pub(super) fn to_organization(model: organizations::Model) -> Organization {
    Organization {
        id: model.id,
        kind: model.kind,
        name: model.name,
        region: model.region,
        credit_code: model.credit_code,
        company_type: model.company_type,
        actual_controller: model.actual_controller,
        created_at: model.created_at,
        suspended_at: model.suspended_at,
        district: model.district,
    }
}
