//! An organisation's API clients, managed by its own administrators:
//! `POST /api/v1/organizations/{id}/clients` (the secret shown once),
//! `GET /api/v1/organizations/{id}/clients` and
//! `POST /api/v1/organizations/{id}/clients/{client_id}/revoke`.

use chrono::{DateTime, Utc};
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{get, post, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::common::path_id;
use super::idempotent::Idempotent;
use super::redemptions::EmptyRequest;
use super::reply::Reply;
use crate::api::auth::Caller;
use crate::api::error::ApiResult;
use crate::domain::text;
use crate::service::clients::{self, Client, CreateClient, NewClient, RevokeClient};
use crate::App;

/// A new API client.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClientRequest {
    /// What the organisation calls it (at most 100 characters).
    #[schema(example = "ERP")]
    pub label: Option<String>,
}

/// An API client (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientView {
    pub client_id: String,
    pub label: Option<String>,
    /// The person who created it.
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

impl From<&Client> for ClientView {
    fn from(c: &Client) -> Self {
        ClientView {
            client_id: c.client_id.clone(),
            label: c.label.clone(),
            created_by: c.created_by,
            created_at: c.created_at,
        }
    }
}

/// A new client with its secret, shown only in the first answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientCreated {
    #[serde(flatten)]
    pub client: ClientView,
    /// The secret, in the first answer only. It is never stored but as an
    /// Argon2id hash: a repeat of the request answers null and says so in
    /// `note`.
    pub client_secret: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

fn created(new: &NewClient) -> ClientCreated {
    ClientCreated {
        client: ClientView::from(&new.client),
        client_secret: Some(new.credentials.client_secret.clone()),
        note: None,
    }
}

fn kept(new: &NewClient) -> ClientCreated {
    ClientCreated {
        client_secret: None,
        note: Some(
            "the client secret is shown once, in the first answer; revoke a lost one and create another"
                .into(),
        ),
        ..created(new)
    }
}

fn view(client: &Client) -> ClientView {
    client.into()
}

/// Creates an API client of the organisation: its own administrators only
/// (a person's token; not an API client, not its registrar, not an operator).
#[utoipa::path(
    post, path = "/api/v1/organizations/{id}/clients", tag = "identity",
    request_body = NewClientRequest,
    params(
        ("id" = Uuid, Path, description = "Organisation id"),
        ("Idempotency-Key" = String, Header, description = "1–255 printable ASCII characters"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created (the secret is shown once)", body = ClientCreated),
        (status = 400, description = "Missing Idempotency-Key or malformed JSON", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a person who administers the organisation", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Key in flight", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid label", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: busy hashing (see `Retry-After`)", body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/organizations/<id>/clients", data = "<req>")]
pub async fn create(
    app: &State<App>,
    id: &str,
    req: Idempotent<NewClientRequest>,
) -> ApiResult<Reply> {
    let op = CreateClient {
        organization_id: path_id(id)?,
        label: req.body.label,
    };
    req.once
        .run_redacted(app, op, |_| Status::Created, created, kept)
        .await
}

/// The organisation's API clients, oldest first (any caller of the
/// organisation itself; anyone else: 404).
#[utoipa::path(
    get, path = "/api/v1/organizations/{id}/clients", tag = "identity",
    params(("id" = Uuid, Path, description = "Organisation id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The organisation's clients", body = Vec<ClientView>),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/organizations/<id>/clients")]
pub async fn list(app: &State<App>, caller: Caller, id: &str) -> ApiResult<Json<Vec<ClientView>>> {
    let clients = clients::list(&app.service.db, &caller.0, path_id(id)?).await?;
    Ok(Json(clients.iter().map(ClientView::from).collect()))
}

/// Revokes an API client: its secret stops working at once.
#[utoipa::path(
    post, path = "/api/v1/organizations/{id}/clients/{client_id}/revoke", tag = "identity",
    params(
        ("id" = Uuid, Path, description = "Organisation id"),
        ("client_id" = String, Path, description = "Client id"),
        ("Idempotency-Key" = String, Header, description = "1–255 printable ASCII characters"),
    ),
    request_body = EmptyRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Revoked", body = ClientView),
        (status = 400, description = "Missing Idempotency-Key or malformed JSON", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a person who administers the organisation", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Key in flight", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid client id", body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post(
    "/api/v1/organizations/<id>/clients/<client_id>/revoke",
    data = "<req>"
)]
pub async fn revoke(
    app: &State<App>,
    id: &str,
    client_id: &str,
    req: Idempotent<EmptyRequest>,
) -> ApiResult<Reply> {
    let op = RevokeClient {
        organization_id: path_id(id)?,
        client_id: text::clean("client_id", client_id, 64)?,
    };
    req.once.run(app, op, |_| Status::Ok, view).await
}
