//! A provider's request for admission to a programme: the provider asks,
//! its district's regulator recommends or rejects (two-level programmes),
//! the region's regulator admits or rejects.

use chrono::{DateTime, Utc};
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{get, post, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::applications::ReasonRequest;
use super::common::{page, path_id, path_region};
use super::confirmations::{decided_status, DecidedView};
use super::idempotent::Idempotent;
use super::reply::Reply;
use super::views::AdmissionView;
use crate::api::auth::{can, Caller, May};
use crate::api::error::ApiResult;
use crate::service::admission_requests::{
    self, AdmissionRequest, AdmitRequest, RecommendAdmission, RejectAdmission, RequestAdmission,
    RequestAdmitted,
};
use crate::{list_of, App};

/// A provider's request for admission to a region's programme.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdmissionRequestView {
    pub id: Uuid,
    /// The programme's region.
    #[schema(example = "ZJ")]
    pub region: String,
    pub provider_id: Uuid,
    pub provider_region: String,
    /// The provider's district, whose regulator reviews first (null: the
    /// region reviews alone).
    #[schema(example = "HZ")]
    pub district: Option<String>,
    /// The categories asked for.
    #[schema(example = json!(["testing", "rnd"]))]
    pub categories: Vec<String>,
    /// The provider's self-evaluation.
    pub statement: String,
    /// `district` or `region`: the level it waits at (or was last
    /// reviewed at).
    pub level: String,
    /// `pending`, `admitted` or `rejected`.
    pub status: String,
    /// The categories the district recommended.
    pub recommended: Option<Vec<String>>,
    /// The district's reason for recommending fewer.
    pub review_reason: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
    /// The categories the region admitted.
    pub admitted: Option<Vec<String>>,
    /// Why it was rejected.
    pub reason: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<AdmissionRequest> for AdmissionRequestView {
    fn from(r: AdmissionRequest) -> Self {
        AdmissionRequestView {
            id: r.id,
            region: r.region.to_string(),
            provider_id: r.provider_id,
            provider_region: r.provider_region.to_string(),
            district: r.district,
            categories: r.categories,
            statement: r.statement,
            level: r.level.to_string(),
            status: r.status.to_string(),
            recommended: r.recommended,
            review_reason: r.review_reason,
            reviewed_at: r.reviewed_at,
            admitted: r.admitted,
            reason: r.reason,
            decided_at: r.decided_at,
            created_at: r.created_at,
        }
    }
}

list_of!(AdmissionRequestList, AdmissionRequestView, AdmissionRequest);

fn view(request: &AdmissionRequest) -> AdmissionRequestView {
    request.clone().into()
}

/// What a provider asks for.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdmissionAsk {
    #[schema(example = json!(["testing", "rnd"]))]
    pub categories: Vec<String>,
    /// The self-evaluation: capacity, equipment, qualifications, credit
    /// (up to 4000 characters).
    #[schema(example = "CMA 认证检测机构，专职检测人员 35 名，大型仪器 120 台")]
    pub statement: String,
}

/// A district's recommendation: the categories asked (none: all), or
/// fewer with a reason.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdmissionRecommendation {
    #[serde(default)]
    #[schema(example = json!(["testing"]))]
    pub categories: Option<Vec<String>>,
    /// Required when recommending fewer than asked.
    #[serde(default)]
    pub reason: Option<String>,
}

/// The categories the region admits, among those recommended (none: all).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoriesChoice {
    #[serde(default)]
    #[schema(example = json!(["testing"]))]
    pub categories: Option<Vec<String>>,
}

/// A request the region admitted, and the admission: in effect (its
/// record), waiting for a second person (`confirmation`), or under public
/// notice (`notice`).
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestAdmittedView {
    pub request: AdmissionRequestView,
    #[schema(value_type = Object)]
    pub admission: DecidedView<AdmissionView>,
}

/// A provider asks a region's programme to admit it. Where the programme
/// reviews at two levels, the regulator of the provider's registered
/// district reviews it first.
#[utoipa::path(
    post, path = "/api/v1/regions/{region}/admission-requests", tag = "programme",
    params(("region" = String, Path, example = "ZJ"), ("Idempotency-Key" = String, Header)),
    request_body = AdmissionAsk, security(("bearer" = [])),
    responses(
        (status = 201, body = AdmissionRequestView),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid_state`: admitted for all already, or a request pending", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`, `provider_not_admitted`, `category_not_eligible`", body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/regions/<region>/admission-requests", data = "<req>")]
pub async fn submit(
    app: &State<App>,
    _caller: May<can::RequestAdmission>,
    region: &str,
    req: Idempotent<AdmissionAsk>,
) -> ApiResult<Reply> {
    let op = RequestAdmission {
        region: path_region(region)?,
        categories: req.body.categories,
        statement: req.body.statement,
    };
    req.once.run(app, op, |_| Status::Created, view).await
}

/// The district's regulator recommends a request to the region, for the
/// categories asked or fewer (with a reason).
#[utoipa::path(
    post, path = "/api/v1/admission-requests/{id}/recommend", tag = "programme",
    params(("id" = uuid::Uuid, Path), ("Idempotency-Key" = String, Header)),
    request_body = AdmissionRecommendation, security(("bearer" = [])),
    responses(
        (status = 200, body = AdmissionRequestView),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid_state`", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/admission-requests/<id>/recommend", data = "<req>")]
pub async fn recommend(
    app: &State<App>,
    _caller: May<can::ReviewAdmission>,
    id: &str,
    req: Idempotent<AdmissionRecommendation>,
) -> ApiResult<Reply> {
    let op = RecommendAdmission {
        id: path_id(id)?,
        categories: req.body.categories,
        reason: req.body.reason,
    };
    req.once.run(app, op, |_| Status::Ok, view).await
}

/// The region's regulator admits a request, for the categories recommended
/// or fewer: the admission may wait for a second person or a public
/// notice (202).
#[utoipa::path(
    post, path = "/api/v1/admission-requests/{id}/admit", tag = "programme",
    params(("id" = uuid::Uuid, Path), ("Idempotency-Key" = String, Header)),
    request_body = CategoriesChoice, security(("bearer" = [])),
    responses(
        (status = 200, description = "Admitted", body = RequestAdmittedView),
        (status = 202, description = "The admission waits for a second person or a public notice", body = RequestAdmittedView),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid_state`", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/admission-requests/<id>/admit", data = "<req>")]
pub async fn admit(
    app: &State<App>,
    _caller: May<can::ManageProgramme>,
    id: &str,
    req: Idempotent<CategoriesChoice>,
) -> ApiResult<Reply> {
    let op = AdmitRequest {
        id: path_id(id)?,
        categories: req.body.categories,
    };
    let status = |done: &RequestAdmitted| decided_status(&done.admission);
    let view = |done: &RequestAdmitted| RequestAdmittedView {
        request: done.request.clone().into(),
        admission: DecidedView::of(&done.admission, |a| AdmissionView::from(a.clone())),
    };
    req.once.run(app, op, status, view).await
}

/// Rejects a request with a reason: the district's regulator at the first
/// level, the region's at the second.
#[utoipa::path(
    post, path = "/api/v1/admission-requests/{id}/reject", tag = "programme",
    params(("id" = uuid::Uuid, Path), ("Idempotency-Key" = String, Header)),
    request_body = ReasonRequest, security(("bearer" = [])),
    responses(
        (status = 200, body = AdmissionRequestView),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/admission-requests/<id>/reject", data = "<req>")]
pub async fn reject(
    app: &State<App>,
    _caller: Caller,
    id: &str,
    req: Idempotent<ReasonRequest>,
) -> ApiResult<Reply> {
    let op = RejectAdmission {
        id: path_id(id)?,
        reason: req.body.reason,
    };
    req.once.run(app, op, |_| Status::Ok, view).await
}

/// Requests for admission: a provider's own, a district's (its regulator),
/// a region's.
#[utoipa::path(
    get, path = "/api/v1/admission-requests", tag = "programme",
    params(("limit" = Option<u64>, Query), ("cursor" = Option<String>, Query)), security(("bearer" = [])),
    responses((status = 200, body = AdmissionRequestList), (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/admission-requests?<limit>&<cursor>")]
pub async fn list(
    app: &State<App>,
    caller: May<can::ListAdmissionRequests>,
    limit: Option<&str>,
    cursor: Option<&str>,
) -> ApiResult<Json<AdmissionRequestList>> {
    let page = page(limit, cursor)?;
    let requests = admission_requests::list(app.service.db.reader(), &caller.0, page).await?;
    Ok(Json(requests.into()))
}

/// One request for admission.
#[utoipa::path(
    get, path = "/api/v1/admission-requests/{id}", tag = "programme",
    params(("id" = uuid::Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = AdmissionRequestView), (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/admission-requests/<id>")]
pub async fn read(
    app: &State<App>,
    caller: Caller,
    id: &str,
) -> ApiResult<Json<AdmissionRequestView>> {
    let request =
        admission_requests::find(app.service.db.reader(), &caller.0, path_id(id)?).await?;
    Ok(Json(request.into()))
}
