//! `POST /api/v1/auth/token`: client credentials — or a person's login and
//! password — for an access token.

use rocket::serde::json::Json;
use rocket::{post, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::body::JsonBody;
use crate::telemetry::ClientAddress;

use crate::api::error::{ApiError, ApiResult};
use crate::domain::{text, Actor, DomainError};
use crate::service::sessions::{self, Attempt, Refused};
use crate::service::{identity, ServiceError};
use crate::App;

/// Client credentials (`client_id`, `client_secret`), or a person's
/// `login` and `password`: exactly one of the two pairs.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// A person's login (the portal's): their token acts as the person.
    pub login: Option<String>,
    pub password: Option<String>,
    /// With a login, for a person who enrolled a second factor: the code
    /// their authenticator app shows now, or one of their recovery codes.
    #[schema(example = "492039")]
    pub code: Option<String>,
}

/// An access token to send as `Authorization: Bearer <access_token>`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the token expires.
    pub expires_in: u64,
}

/// Exchanges client credentials, or a person's login and password, for a
/// bearer token. A person's token acts as the person (the audit trail names
/// them) and stops working when they are disabled.
#[utoipa::path(
    post, path = "/api/v1/auth/token", tag = "identity",
    request_body = TokenRequest,
    responses(
        (status = 200, description = "A token", body = TokenResponse),
        (status = 401, description = "Wrong credentials", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Malformed request", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "`too_many_requests`: too many failed logins for this client id or address (see `Retry-After`)", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: busy hashing, or the database is down (see `Retry-After`)", body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/auth/token", data = "<body>")]
pub async fn issue_token(
    app: &State<App>,
    client: ClientAddress,
    body: JsonBody<TokenRequest>,
) -> ApiResult<Json<TokenResponse>> {
    let request = body.value;
    let address = client.0;
    let logins = &app.logins;
    let actor = match request {
        TokenRequest {
            client_id: Some(client_id),
            client_secret: Some(secret),
            login: None,
            password: None,
            code: None,
        } => {
            let client_id = text::clean("client_id", &client_id, 64)?;
            let secret = text::clean("client_secret", &secret, 256)?;
            identity::log_in(&app.service.db, logins, &client_id, &secret, address).await?
        }
        TokenRequest {
            client_id: None,
            client_secret: None,
            login: Some(login),
            password: Some(password),
            code,
        } => person(app, &login, &password, code.as_deref(), address).await?,
        _ => {
            let message = "give either client_id and client_secret, or login and password";
            return Err(DomainError::field("client_id", message).into());
        }
    };
    let (access_token, expires_in) = app.keys.issue(&actor, app.service.clock.now())?;
    Ok(Json(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in,
    }))
}

/// A person's token: the portal's login checks and limits, without a
/// session.
async fn person(
    app: &App,
    login: &str,
    password: &str,
    code: Option<&str>,
    address: Option<std::net::IpAddr>,
) -> ApiResult<Actor> {
    let login = text::clean("login", login, 256)?;
    app.logins.pace(address).await;
    let attempt = Attempt { login, address };
    match sessions::authenticate(&app.service, &attempt, password, code).await? {
        Ok(actor) => Ok(actor),
        Err(Refused::WrongCredentials) => {
            app.logins.failed_from(address);
            Err(ServiceError::Unauthorized.into())
        }
        Err(Refused::Locked { until }) => {
            let wait = (until - app.service.clock.now()).num_seconds().max(1) as u64;
            Err(ServiceError::TooManyAttempts {
                retry_after_secs: wait,
            }
            .into())
        }
        Err(Refused::Disabled) => Err(ServiceError::Unauthorized.into()),
        Err(Refused::CodeNeeded) => Err(ApiError::unauthorized(
            "this person signs in with a second factor: send `code` too (the code their \
             authenticator app shows, or a recovery code)",
        )),
        Err(Refused::WrongCode) => {
            app.logins.failed_from(address);
            Err(ApiError::unauthorized(
                "the code is not right, or was used already",
            ))
        }
    }
}
