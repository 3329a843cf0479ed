//! Ratings: a company rates a completed service; the region's regulator
//! reads each provider's average, count and complaints.

use chrono::{DateTime, Utc};
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{get, post, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::common::path_id;
use super::common::path_region;
use super::idempotent::Idempotent;
use super::reply::Reply;
use crate::api::auth::{can, May};
use crate::api::error::ApiResult;
use crate::service::ratings::{self, ProviderRatings, RateRedemption, Rating};
use crate::App;

/// A rating of a completed service.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingRequest {
    /// 1 (poor) to 5 (excellent).
    #[schema(example = 4)]
    pub score: i64,
    #[serde(default)]
    #[schema(example = "报告及时，数据完整")]
    pub comment: Option<String>,
    /// File the rating as a complaint (the regulator sees it as one).
    #[serde(default)]
    pub complaint: bool,
}

/// A rating.
#[derive(Debug, Serialize, ToSchema)]
pub struct RatingView {
    pub id: Uuid,
    pub redemption_id: Uuid,
    #[schema(example = "JX")]
    pub region: String,
    pub company_id: Uuid,
    pub provider_id: Uuid,
    pub score: i16,
    pub comment: Option<String>,
    pub complaint: bool,
    pub created_at: DateTime<Utc>,
}

impl From<&Rating> for RatingView {
    fn from(r: &Rating) -> Self {
        RatingView {
            id: r.id,
            redemption_id: r.redemption_id,
            region: r.region.to_string(),
            company_id: r.company_id,
            provider_id: r.provider_id,
            score: r.score,
            comment: r.comment.clone(),
            complaint: r.complaint,
            created_at: r.created_at,
        }
    }
}

/// A provider's ratings in a region's programme.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderRatingsView {
    pub provider_id: Uuid,
    /// The mean score, two decimals.
    #[schema(example = "4.50")]
    pub average: String,
    pub count: u64,
    pub complaints: u64,
    /// The newest complaints and scores of 1 or 2 (at most 20).
    pub concerns: Vec<RatingView>,
}

impl From<&ProviderRatings> for ProviderRatingsView {
    fn from(p: &ProviderRatings) -> Self {
        ProviderRatingsView {
            provider_id: p.provider_id,
            average: p.average.to_string(),
            count: p.count,
            complaints: p.complaints,
            concerns: p.concerns.iter().map(RatingView::from).collect(),
        }
    }
}

fn view(rating: &Rating) -> RatingView {
    rating.into()
}

/// The company of a completed redemption rates the service, once.
#[utoipa::path(
    post, path = "/api/v1/redemptions/{id}/rating", tag = "redemptions",
    params(("id" = Uuid, Path), ("Idempotency-Key" = String, Header)),
    request_body = RatingRequest, security(("bearer" = [])),
    responses(
        (status = 201, body = RatingView),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not completed, or rated already", body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/redemptions/<id>/rating", data = "<req>")]
pub async fn rate(
    app: &State<App>,
    _caller: May<can::Hold>,
    id: &str,
    req: Idempotent<RatingRequest>,
) -> ApiResult<Reply> {
    let r = req.body;
    let op = RateRedemption {
        redemption_id: path_id(id)?,
        score: r.score,
        comment: r.comment,
        complaint: r.complaint,
    };
    req.once.run(app, op, |_| Status::Created, view).await
}

/// Each provider's ratings on the region's vouchers, for the region's
/// regulator: most complaints first, then the lowest average.
#[utoipa::path(
    get, path = "/api/v1/regions/{region}/provider-ratings", tag = "programme",
    params(("region" = String, Path, example = "JX")), security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<ProviderRatingsView>),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/regions/<region>/provider-ratings")]
pub async fn provider_ratings(
    app: &State<App>,
    caller: May<can::DecideClaim>,
    region: &str,
) -> ApiResult<Json<Vec<ProviderRatingsView>>> {
    let region = path_region(region)?;
    let found = ratings::of_region(app.service.db.reader(), &caller.0, &region).await?;
    Ok(Json(found.iter().map(ProviderRatingsView::from).collect()))
}
