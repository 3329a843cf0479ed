//! The people of an organisation, who sign in to the portal:
//! `POST /api/v1/organizations/{id}/invitations` (invite one, or reset a
//! password), `POST /api/v1/invitations/accept`,
//! `GET /api/v1/organizations/{id}/users` and
//! `POST /api/v1/organizations/{id}/users/{user_id}/disable`.

use chrono::{DateTime, Utc};
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{get, post, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::body::JsonBody;
use super::common::path_id;
use super::idempotent::Idempotent;
use super::organizations::InvitationView;
use super::redemptions::EmptyRequest;
use super::reply::Reply;
use crate::api::auth::Caller;
use crate::api::error::ApiResult;
use crate::domain::text;
use crate::service::account;
use crate::service::invitations::{self, Acceptance, Invitation, Invite};
use crate::service::people::{self, DisableUser, UnlockUser, User};
use crate::telemetry::ClientAddress;
use crate::App;

/// An invitation to ask for.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInvitationRequest {
    /// Whether the person it makes administers the organisation (its
    /// people and API clients). Default false.
    #[serde(default)]
    pub administrator: bool,
    /// For a password reset: the person whose password it replaces (the
    /// person keeps their login; `administrator` is ignored).
    pub user_id: Option<Uuid>,
}

/// What a person gives to accept an invitation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptRequest {
    /// The invitation's token.
    pub token: String,
    /// 3–64 characters, no spaces; unique (compared case-folded, NFKC).
    /// Ignored for a password reset.
    #[serde(default)]
    #[schema(example = "wang.fang")]
    pub login: String,
    /// Ignored for a password reset.
    #[serde(default)]
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
    /// Whether the person administers the organisation's people and clients.
    pub administrator: bool,
    pub created_at: DateTime<Utc>,
    /// In the list: until when wrong passwords from some address slow this
    /// person's sign-in there (null when they do not); an administrator
    /// may unlock it.
    pub sign_in_delayed_until: Option<DateTime<Utc>>,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        UserView {
            id: u.id,
            login: u.login.clone(),
            display_name: u.display_name.clone(),
            organization_id: u.organization_id,
            disabled: u.disabled,
            administrator: u.administrator,
            created_at: u.created_at,
            sign_in_delayed_until: None,
        }
    }
}

fn view(user: &User) -> UserView {
    user.into()
}

/// Invites a person to the organisation, or (with `user_id`) to set a new
/// password: the organisation's own administrators; its registrar only to
/// invite an administrator while it has none who can sign in.
#[utoipa::path(
    post, path = "/api/v1/organizations/{id}/invitations", tag = "identity",
    request_body = NewInvitationRequest,
    params(
        ("id" = Uuid, Path, description = "Organisation id"),
        ("Idempotency-Key" = String, Header, description = "1–255 printable ASCII characters"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Invited (the token is shown once)", body = InvitationView),
        (status = 400, description = "Missing Idempotency-Key or malformed JSON", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a person who administers the organisation", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Key in flight", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Malformed body", body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/organizations/<id>/invitations", data = "<req>")]
pub async fn invite(
    app: &State<App>,
    id: &str,
    req: Idempotent<NewInvitationRequest>,
) -> ApiResult<Reply> {
    let op = Invite {
        organization_id: Some(path_id(id)?),
        administrator: req.body.administrator,
        user_id: req.body.user_id,
        login: None,
    };
    let status = |_: &Invitation| Status::Created;
    req.once
        .run_redacted(app, op, status, InvitationView::shown, InvitationView::kept)
        .await
}

/// Accepts an invitation: the person sets their own login and password
/// (for a reset, a new password; their sessions end). No token is needed;
/// the invitation is the proof. An invitation is accepted once; unknown,
/// accepted and expired ones are all 404.
#[utoipa::path(
    post, path = "/api/v1/invitations/accept", tag = "identity",
    request_body = AcceptRequest,
    responses(
        (status = 201, description = "The person (the password is never returned)", body = UserView),
        (status = 400, description = "Malformed JSON", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, accepted or expired invitation", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Login taken (`conflict`)", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid login, display name or password (`validation_failed`)", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: busy hashing (see `Retry-After`)", body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/invitations/accept", data = "<body>")]
pub async fn accept(
    app: &State<App>,
    body: JsonBody<AcceptRequest>,
) -> ApiResult<(Status, Json<UserView>)> {
    let r = body.value;
    let token = text::clean("token", &r.token, 128)?;
    let given = Acceptance {
        login: r.login,
        display_name: r.display_name,
        password: r.password,
    };
    let user = invitations::accept(&app.service, &token, given, "api").await?;
    Ok((Status::Created, Json(view(&user))))
}

/// The people of an organisation, oldest first: the organisation itself,
/// operators and the regulators of its region.
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
    let db = &app.service.db;
    let people = people::list(db, &caller.0, path_id(id)?).await?;
    let slowed = people::slowed(db, &people, app.service.clock.now()).await?;
    let view = |p: &User| UserView {
        sign_in_delayed_until: slowed.get(&p.id).copied(),
        ..UserView::from(p)
    };
    Ok(Json(people.iter().map(view).collect()))
}

/// Disables a person: they can no longer sign in, and their sessions and
/// tokens stop working. The organisation's own administrators only.
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
        organization_id: Some(path_id(id)?),
        user_id: path_id(user_id)?,
    };
    req.once.run(app, op, |_| Status::Ok, view).await
}

/// Clears a person's failed sign-ins from every address, so that they are
/// no longer slowed anywhere: the organisation's own administrators, or —
/// for one of its administrators — its registrar (an operator for a
/// regulator's).
#[utoipa::path(
    post, path = "/api/v1/organizations/{id}/users/{user_id}/unlock", tag = "identity",
    params(
        ("id" = Uuid, Path, description = "Organisation id"),
        ("user_id" = Uuid, Path, description = "User id"),
        ("Idempotency-Key" = String, Header, description = "1–255 printable ASCII characters"),
    ),
    request_body = EmptyRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Unlocked", body = UserView),
        (status = 400, description = "Missing Idempotency-Key or malformed JSON", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Key in flight", body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/organizations/<id>/users/<user_id>/unlock", data = "<req>")]
pub async fn unlock(
    app: &State<App>,
    id: &str,
    user_id: &str,
    req: Idempotent<EmptyRequest>,
) -> ApiResult<Reply> {
    let op = UnlockUser {
        organization_id: Some(path_id(id)?),
        user_id: path_id(user_id)?,
    };
    req.once.run(app, op, |_| Status::Ok, view).await
}

/// A password change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub old_password: String,
    /// At least 12 characters; kept only as an Argon2id hash.
    pub new_password: String,
}

/// The person of the token changes their own password (the old one, then
/// the new); every session of theirs ends. A wrong old password counts
/// towards the login's lock. No `Idempotency-Key`: a repeat finds the old
/// password changed and is refused.
#[utoipa::path(
    post, path = "/api/v1/me/password", tag = "identity",
    request_body = PasswordChange,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Changed (the password is never returned)", body = UserView),
        (status = 400, description = "Malformed JSON", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "An API client, not a person", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The old password is not right, or the new one too short (`validation_failed`)", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong passwords for this login (see `Retry-After`)", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: busy hashing (see `Retry-After`)", body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/me/password", data = "<body>")]
pub async fn change_password(
    app: &State<App>,
    caller: Caller,
    client: ClientAddress,
    body: JsonBody<PasswordChange>,
) -> ApiResult<Json<UserView>> {
    let r = body.value;
    let user = account::change_password(
        &app.service,
        &caller.0,
        ("api", client.0),
        &r.old_password,
        &r.new_password,
    )
    .await?;
    Ok(Json(view(&user)))
}
