//! Reports for regulators (their own region) and operators (any), as JSON or
//! CSV (`?format=csv`).

use rocket::http::ContentType;
use rocket::{get, State};

use super::audit::audited_region;
use super::common::ctx;
use crate::auth::Caller;
use crate::domain::{DomainError, Role};
use crate::error::{ApiError, ApiResult, FieldProblem};
use crate::service::reports::{self, CrossRegion, Summary};
use crate::App;

/// JSON, or CSV when asked.
fn render<T: serde::Serialize>(
    format: Option<&str>,
    value: &T,
    csv: impl FnOnce(&T) -> String,
) -> ApiResult<(ContentType, String)> {
    match format.unwrap_or("json") {
        "json" => Ok((
            ContentType::JSON,
            serde_json::to_string(value)
                .map_err(|e| ApiError::internal().with_cause(e.to_string()))?,
        )),
        "csv" => Ok((ContentType::CSV, csv(value))),
        _ => Err(ApiError::validation(vec![FieldProblem {
            field: "format".into(),
            message: "must be json or csv".into(),
        }])),
    }
}

fn year(text: Option<&str>, default: i32) -> Result<i32, ApiError> {
    match text {
        None => Ok(default),
        Some(t) => t
            .parse::<i32>()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
            .ok_or_else(|| {
                DomainError::field("year", "must be a fiscal year between 2000 and 2100").into()
            }),
    }
}

/// A region's figures for a fiscal year (default: the current one).
#[utoipa::path(
    get, path = "/api/v1/reports/summary", tag = "reports",
    params(("region" = Option<String>, Query), ("year" = Option<i32>, Query), ("format" = Option<String>, Query, description = "json or csv")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Summary),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No budget for that year", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/reports/summary?<region>&<year>&<format>")]
pub async fn summary(
    app: &State<App>,
    caller: Caller,
    region: Option<&str>,
    year: Option<&str>,
    format: Option<&str>,
) -> ApiResult<(ContentType, String)> {
    let region = audited_region(app, &caller.0, region)?;
    let year = self::year(year, ctx(app, caller.0).fiscal_year())?;
    let summary = reports::summary(app.db.reader(), &region, year).await?;
    render(format, &summary, reports::summary_csv)
}

/// Completed and paid amounts by issuing region × provider region. A
/// regulator sees the cells where its region is issuer or provider.
#[utoipa::path(
    get, path = "/api/v1/reports/cross-region", tag = "reports",
    params(("year" = Option<i32>, Query), ("format" = Option<String>, Query, description = "json or csv")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = CrossRegion),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/reports/cross-region?<year>&<format>")]
pub async fn cross_region(
    app: &State<App>,
    caller: Caller,
    year: Option<&str>,
    format: Option<&str>,
) -> ApiResult<(ContentType, String)> {
    let actor = caller.0;
    let only = match actor.role {
        Role::Admin => None,
        Role::Regulator => actor.region.clone(),
        _ => {
            return Err(ApiError::forbidden(
                "only regulators and operators read reports",
            ))
        }
    };
    let year = self::year(year, ctx(app, actor).fiscal_year())?;
    let matrix = reports::cross_region(app.db.reader(), year, only.as_ref())
        .await
        .map_err(ApiError::from)?;
    render(format, &matrix, reports::cross_region_csv)
}
