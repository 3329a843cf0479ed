//! Reports for regulators (their own region) and operators (any), as JSON or
//! CSV (`?format=csv`).

use rocket::http::ContentType;
use rocket::{get, State};

use super::common::query_problem;
use super::views::{CrossRegionView, SummaryView};
use crate::api::auth::{can, Caller, May};
use crate::api::error::{ApiError, ApiResult};
use crate::domain::programme::parse_year;
use crate::service::{audited_region, reports};
use crate::App;

/// JSON (of the view), or CSV when asked.
fn render<T, V: serde::Serialize>(
    format: Option<&str>,
    value: &T,
    view: impl FnOnce(&T) -> V,
    csv: impl FnOnce(&T) -> String,
) -> ApiResult<(ContentType, String)> {
    match format.unwrap_or("json") {
        "json" => Ok((
            ContentType::JSON,
            serde_json::to_string(&view(value))
                .map_err(|e| ApiError::internal().with_cause(e.to_string()))?,
        )),
        "csv" => Ok((ContentType::CSV, csv(value))),
        _ => Err(query_problem("format", "must be json or csv")),
    }
}

fn year(text: Option<&str>, default: i32) -> Result<i32, ApiError> {
    match text {
        None => Ok(default),
        Some(t) => Ok(parse_year(t.parse::<i32>().unwrap_or(i32::MIN))?),
    }
}

/// A region's figures for a fiscal year (default: the current one).
#[utoipa::path(
    get, path = "/api/v1/reports/summary", tag = "reports",
    params(("region" = Option<String>, Query), ("year" = Option<i32>, Query, minimum = 2000, maximum = 2100), ("format" = Option<String>, Query, description = "json or csv")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = SummaryView),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No budget for that year", body = crate::api::error::Problem, content_type = "application/problem+json"),
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
    let region = audited_region(&app.service.rules, &caller.0, region)?;
    let year = self::year(year, app.service.ctx(caller.0).fiscal_year())?;
    let summary = reports::summary(app.service.db.reader(), &region, year).await?;
    render(
        format,
        &summary,
        |s| SummaryView::from(s.clone()),
        reports::summary_csv,
    )
}

/// Completed and paid amounts by issuing region × provider region. A
/// regulator sees the cells where its region is issuer or provider.
#[utoipa::path(
    get, path = "/api/v1/reports/cross-region", tag = "reports",
    params(("year" = Option<i32>, Query, minimum = 2000, maximum = 2100), ("format" = Option<String>, Query, description = "json or csv")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = CrossRegionView),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/reports/cross-region?<year>&<format>")]
pub async fn cross_region(
    app: &State<App>,
    caller: May<can::ReadCrossRegion>,
    year: Option<&str>,
    format: Option<&str>,
) -> ApiResult<(ContentType, String)> {
    let year = self::year(year, app.service.ctx(caller.0.clone()).fiscal_year())?;
    let matrix = reports::cross_region(app.service.db.reader(), &caller.0, year).await?;
    render(
        format,
        &matrix,
        |m| CrossRegionView::from(m.clone()),
        reports::cross_region_csv,
    )
}
