//! `POST/GET /api/v1/organizations/{id}/users` and
//! `POST /api/v1/organizations/{id}/users/{user_id}/disable`: the people of
//! an organisation, who sign in to the portal.

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
use crate::service::people::{self, CreateUser, DisableUser, User};
use crate::service::ServiceError;
use crate::App;

/// A new person of an organisation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserRequest {
    /// 3–64 characters, no spaces; unique (compared case-folded, NFKC).
    #[schema(example = "wang.fang")]
    pub login: String,
    #[schema(example = "王芳")]
    pub display_name: String,
    /// At least 12 characters; kept only as an Argon2id hash, never returned.
    pub password: String,
}

/// A person of an organisation.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub login: String,
    pub display_name: String,
    /// Null for an operator's person.
    pub organization_id: Option<Uuid>,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        UserView {
            id: u.id,
            login: u.login.clone(),
            display_name: u.display_name.clone(),
            organization_id: u.organization_id,
            disabled: u.disabled,
            created_at: u.created_at,
        }
    }
}

fn view(user: &User) -> UserView {
    user.into()
}

/// Adds a person who signs in to the portal. The organisation's own client,
/// operators, and regulators who may register the organisation.
#[utoipa::path(
    post, path = "/api/v1/organizations/{id}/users", tag = "identity",
    request_body = NewUserRequest,
    params(
        ("id" = Uuid, Path, description = "Organisation id"),
        ("Idempotency-Key" = String, Header, description = "1–255 printable ASCII characters"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created (the password is never returned)", body = UserView),
        (status = 400, description = "Missing Idempotency-Key or malformed JSON", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Login taken (`conflict`), or key in flight", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid login, display name or password (`validation_failed`)", body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/organizations/<id>/users", data = "<req>")]
pub async fn create(
    app: &State<App>,
    id: &str,
    req: Idempotent<NewUserRequest>,
) -> ApiResult<Reply> {
    let organization_id = path_id(id)?;
    let r = req.body;
    // The stored fingerprint of this request must not be a fast hash of the
    // password: it covers everything else.
    let once = req
        .once
        .fingerprinted(&["users", id, &r.login, &r.display_name]);
    people::check_manager(&app.service.db, &once.call().actor, organization_id).await?;
    people::check_person(&r.login, &r.display_name).map_err(ServiceError::from)?;
    let password_hash = people::hash_password(&r.password).await?;
    let op = CreateUser {
        organization_id,
        login: r.login,
        display_name: r.display_name,
        password_hash,
    };
    once.run(app, op, |_| Status::Created, view).await
}

/// The people of an organisation, oldest first.
#[utoipa::path(
    get, path = "/api/v1/organizations/{id}/users", tag = "identity",
    params(("id" = Uuid, Path, description = "Organisation id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The organisation's people", body = Vec<UserView>),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/organizations/<id>/users")]
pub async fn list(app: &State<App>, caller: Caller, id: &str) -> ApiResult<Json<Vec<UserView>>> {
    let people = people::list(&app.service.db, &caller.0, path_id(id)?).await?;
    Ok(Json(people.iter().map(UserView::from).collect()))
}

/// Disables a person: they can no longer sign in.
#[utoipa::path(
    post, path = "/api/v1/organizations/{id}/users/{user_id}/disable", tag = "identity",
    params(
        ("id" = Uuid, Path, description = "Organisation id"),
        ("user_id" = Uuid, Path, description = "User id"),
        ("Idempotency-Key" = String, Header, description = "1–255 printable ASCII characters"),
    ),
    request_body = EmptyRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Disabled", body = UserView),
        (status = 400, description = "Missing Idempotency-Key or malformed JSON", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Key in flight", body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/organizations/<id>/users/<user_id>/disable", data = "<req>")]
pub async fn disable(
    app: &State<App>,
    id: &str,
    user_id: &str,
    req: Idempotent<EmptyRequest>,
) -> ApiResult<Reply> {
    let op = DisableUser {
        organization_id: path_id(id)?,
        user_id: path_id(user_id)?,
    };
    req.once.run(app, op, |_| Status::Ok, view).await
}
