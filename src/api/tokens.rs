//! `POST /api/v1/auth/token`: client credentials for an access token.

use rocket::serde::json::Json;
use rocket::{post, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::body::JsonBody;
use crate::telemetry::ClientAddress;

use crate::api::error::ApiResult;
use crate::domain::text;
use crate::service::identity;
use crate::App;

/// Client credentials.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    pub client_id: String,
    pub client_secret: String,
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

/// Exchanges client credentials for a bearer token.
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
    let client_id = text::clean("client_id", &request.client_id, 64)?;
    let secret = text::clean("client_secret", &request.client_secret, 256)?;
    let address = client.0;
    let logins = &app.logins;
    let actor = identity::log_in(&app.service.db, logins, &client_id, &secret, address).await?;
    let (access_token, expires_in) = app.keys.issue(&actor, app.service.clock.now())?;
    Ok(Json(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in,
    }))
}
