//! An organisation's API clients: machine credentials its own
//! administrators create (the secret shown once, to them), list and revoke.
//! Nobody else — not the registrar, not an operator — ever holds a secret
//! of another organisation.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use uuid::Uuid;

use super::identity::{self, ClientCredentials};
use super::{engine, people, Ctx, Done, Operation, ServiceResult};
use crate::domain::{text, Actor, DomainError};
use crate::store::entities::credentials;
use crate::store::Db;

/// An API client as its organisation sees it (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Client {
    pub client_id: String,
    pub label: Option<String>,
    /// The person who created it.
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

impl From<credentials::Model> for Client {
    fn from(c: credentials::Model) -> Self {
        Client {
            client_id: c.client_id,
            label: c.label,
            created_by: c.created_by,
            created_at: c.created_at,
        }
    }
}

/// A new client and its secret (in clear, once).
#[derive(Debug, Clone)]
pub struct NewClient {
    pub client: Client,
    pub credentials: ClientCredentials,
}

/// Creates an API client of the caller's own organisation.
///
/// Refusals, in the order they are checked:
/// 1. `not_found`: the organisation does not exist, or the caller may not see it.
/// 2. `forbidden`: the caller is not a person who administers the organisation
///    (its registrar, an operator, or one of its API clients is not).
/// 3. `validation_failed` (`label`): over 100 characters, or with control,
///    zero-width or bidi characters.
///
/// The secret is hashed on the bounded hashing threads; when they are all
/// busy the answer is `unavailable` (a failure of the service, not a refusal).
#[derive(Debug, Clone)]
pub struct CreateClient {
    pub organization_id: Uuid,
    pub label: Option<String>,
}

impl Operation for CreateClient {
    type Output = NewClient;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<NewClient>> {
        let org = people::administered(txn, &ctx.actor, Some(self.organization_id))
            .await?
            .ok_or(DomainError::NotFound)?;
        let label = match self.label.as_deref().map(str::trim) {
            Some(label) if !label.is_empty() => Some(text::clean("label", label, 100)?),
            _ => None,
        };
        let issued = identity::Issue {
            subject: org.id,
            role: org.kind.role(),
            region: Some(org.region.clone()),
            organization_id: Some(org.id),
            label: label.clone(),
            created_by: ctx.actor.person,
        };
        let credentials = identity::issue_credentials(txn, issued, ctx.now).await?;
        let client = Client {
            client_id: credentials.client_id.clone(),
            label,
            created_by: ctx.actor.person,
            created_at: ctx.now,
        };
        let event = engine::entry(
            &org.region,
            "client.create",
            "organization",
            org.id.to_string(),
            &serde_json::json!({ "client": &client }),
        )?;
        Ok(Done {
            value: NewClient {
                client,
                credentials,
            },
            events: vec![event],
        })
    }
}

/// Revokes an API client: its secret stops working at once (tokens issued
/// with it live out their lifetime). Revoking a revoked client is not found.
///
/// Refusals, in the order they are checked:
/// 1. `not_found`: the organisation does not exist, or the caller may not see it.
/// 2. `forbidden`: the caller is not a person who administers the organisation.
/// 3. `not_found`: the organisation has no client `client_id`.
#[derive(Debug, Clone)]
pub struct RevokeClient {
    pub organization_id: Uuid,
    pub client_id: String,
}

impl Operation for RevokeClient {
    type Output = Client;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<Client>> {
        let org = people::administered(txn, &ctx.actor, Some(self.organization_id))
            .await?
            .ok_or(DomainError::NotFound)?;
        let client = credentials::Entity::find_by_id(self.client_id.clone())
            .one(txn)
            .await?
            .filter(|c| c.organization_id == Some(org.id))
            .ok_or(DomainError::NotFound)?;
        credentials::Entity::delete_by_id(client.client_id.clone())
            .exec(txn)
            .await?;
        let client = Client::from(client);
        let event = engine::entry(
            &org.region,
            "client.revoke",
            "organization",
            org.id.to_string(),
            &serde_json::json!({ "client": &client }),
        )?;
        Ok(Done {
            value: client,
            events: vec![event],
        })
    }
}

/// The API clients of the caller's own organisation, oldest first (any
/// caller of the organisation; nobody else: 404).
pub async fn list(db: &Db, actor: &Actor, organization_id: Uuid) -> ServiceResult<Vec<Client>> {
    if actor.sub != organization_id || actor.region.is_none() {
        return Err(DomainError::NotFound.into());
    }
    let rows = credentials::Entity::find()
        .filter(credentials::Column::OrganizationId.eq(organization_id))
        .order_by_asc(credentials::Column::CreatedAt)
        .order_by_asc(credentials::Column::ClientId)
        .all(db.reader())
        .await?;
    Ok(rows.into_iter().map(Client::from).collect())
}
