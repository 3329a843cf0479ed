//! `GET /health`: is the service up, and can it reach its database?

use rocket::serde::json::Json;
use rocket::{get, State};
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::error::{ApiError, ApiResult};
use crate::service::ServiceError;
use crate::App;

/// The service and its database are working.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
    #[schema(example = "ok")]
    pub database: &'static str,
}

/// Health of the service and its database.
#[utoipa::path(
    get, path = "/health", tag = "service",
    responses(
        (status = 200, description = "Up, and the database answers", body = Health),
        (status = 503, description = "The database cannot be reached", body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/health")]
pub async fn health(app: &State<App>) -> ApiResult<Json<Health>> {
    app.service
        .db
        .ping()
        .await
        .map_err(|e| ApiError::from(ServiceError::Unavailable(e.to_string())))?;
    Ok(Json(Health {
        status: "ok",
        database: "ok",
    }))
}
