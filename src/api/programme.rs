//! Programme set-up: budgets and admissions of a region.

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{get, post, State};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::body::JsonBody;
use super::common::ctx;
use super::idempotent::{self, IdempotencyKey};
use super::reply::Reply;
use crate::auth::RegulatorCaller;
use crate::domain::{Amount, Region};
use crate::error::{ApiError, ApiResult};
use crate::service::programme::{self, Admission, Budget};
use crate::{work, App};

/// An appropriation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppropriationRequest {
    #[schema(example = 2026)]
    pub year: i32,
    #[schema(value_type = String, example = "5000000.00")]
    pub amount: Amount,
}

/// An admission.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdmissionRequest {
    pub provider_id: Uuid,
    #[schema(example = json!(["testing", "rnd"]))]
    pub categories: Vec<String>,
}

/// The region of the path, if the programme knows it (else 404), and the
/// caller must regulate it (else 403).
fn regulated_region(
    regions: &[Region],
    caller: &RegulatorCaller,
    region: &str,
) -> Result<Region, ApiError> {
    let region = Region::parse(region)
        .ok()
        .filter(|r| regions.contains(r))
        .ok_or_else(ApiError::not_found)?;
    caller.require_region(&region)?;
    Ok(region)
}

/// Appropriates budget for a fiscal year (repeatable; amounts add up).
#[utoipa::path(
    post, path = "/api/v1/regions/{region}/budgets", tag = "programme",
    params(("region" = String, Path, example = "JX"), ("Idempotency-Key" = String, Header)),
    request_body = AppropriationRequest, security(("bearer" = [])),
    responses(
        (status = 201, body = Budget),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_amount`, `validation_failed`", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/regions/<region>/budgets", data = "<body>")]
pub async fn appropriate(
    app: &State<App>,
    caller: RegulatorCaller,
    region: &str,
    key: IdempotencyKey,
    body: JsonBody<AppropriationRequest>,
) -> ApiResult<Reply> {
    let region = region.to_owned();
    let regions = app.regions.clone();
    let ctx = ctx(app, caller.0.clone());
    let request = body.value;
    idempotent::run(
        app,
        &ctx.actor.clone(),
        key,
        body.fingerprint,
        work!(|txn| {
            let region = regulated_region(&regions, &caller, &region)?;
            let budget =
                programme::appropriate(txn, &ctx, &region, request.year, request.amount.0).await?;
            Reply::json(Status::Created, &budget)
        }),
    )
    .await
}

/// A region's budget for a fiscal year.
#[utoipa::path(
    get, path = "/api/v1/regions/{region}/budgets/{year}", tag = "programme",
    params(("region" = String, Path), ("year" = i32, Path)), security(("bearer" = [])),
    responses(
        (status = 200, body = Budget),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/regions/<region>/budgets/<year>")]
pub async fn read_budget(
    app: &State<App>,
    caller: RegulatorCaller,
    region: &str,
    year: &str,
) -> ApiResult<Json<Budget>> {
    let region = regulated_region(&app.regions, &caller, region)?;
    let year: i32 = year.parse().map_err(|_| ApiError::not_found())?;
    Ok(Json(programme::read(app.db.reader(), &region, year).await?))
}

/// Admits a provider (also of another region) for service categories;
/// admitting again replaces the categories (200).
#[utoipa::path(
    post, path = "/api/v1/regions/{region}/admissions", tag = "programme",
    params(("region" = String, Path), ("Idempotency-Key" = String, Header)),
    request_body = AdmissionRequest, security(("bearer" = [])),
    responses(
        (status = 201, description = "Admitted", body = Admission),
        (status = 200, description = "Categories replaced", body = Admission),
        (status = 404, description = "No such provider", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/regions/<region>/admissions", data = "<body>")]
pub async fn admit(
    app: &State<App>,
    caller: RegulatorCaller,
    region: &str,
    key: IdempotencyKey,
    body: JsonBody<AdmissionRequest>,
) -> ApiResult<Reply> {
    let region = region.to_owned();
    let regions = app.regions.clone();
    let ctx = ctx(app, caller.0.clone());
    let request = body.value;
    idempotent::run(
        app,
        &ctx.actor.clone(),
        key,
        body.fingerprint,
        work!(|txn| {
            let region = regulated_region(&regions, &caller, &region)?;
            let (admission, new) =
                programme::admit(txn, &ctx, &region, request.provider_id, &request.categories)
                    .await?;
            Reply::json(if new { Status::Created } else { Status::Ok }, &admission)
        }),
    )
    .await
}
