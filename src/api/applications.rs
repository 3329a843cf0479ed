//! Applications for vouchers: submit, approve (issues a voucher), reject, read.

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{get, post, State};
use serde::Deserialize;
use utoipa::ToSchema;

use super::common::{page, path_id};
use super::idempotent::Idempotent;
use super::reply::Reply;
use super::views::{ApplicationView, VoucherView};
use crate::api::auth::{can, Caller, May};
use crate::api::error::ApiResult;
use crate::domain::eligibility::DeclaredInput;
use crate::domain::Amount;
use crate::service::applications::{
    self, Application, ApproveApplication, RejectApplication, SubmitApplication,
};
use crate::service::review::RecommendApplication;
use crate::{list_of, App};

list_of!(ApplicationList, ApplicationView, Application);

fn view(application: &Application) -> ApplicationView {
    application.clone().into()
}

/// An application.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationRequest {
    #[schema(example = "JX")]
    pub region: String,
    #[schema(example = 2026)]
    pub year: i32,
    #[schema(value_type = String, example = "100000.00")]
    pub amount: Amount,
    #[schema(example = "光学镜片环境可靠性检测")]
    pub purpose: String,
    /// The facts the programme asks for (docs/rules.md): omit what it does
    /// not ask.
    #[serde(default)]
    pub declared: Option<DeclaredRequest>,
    /// The district, city or county where the company is registered (a
    /// code from the programme's policy): required where the programme
    /// reviews at two levels.
    #[serde(default)]
    #[schema(example = "HZ")]
    pub district: Option<String>,
}

/// What a company declares about itself.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclaredRequest {
    /// An enterprise's S&T SME registration number (科技型中小企业入库登记编号).
    #[serde(default)]
    #[schema(example = "20263101150001234")]
    pub sme_registration: Option<String>,
    /// Where a start-up team is housed: `incubator`,
    /// `university_science_park` or `maker_space`.
    #[serde(default)]
    #[schema(example = "incubator")]
    pub housed_in: Option<String>,
    #[serde(default)]
    #[schema(example = "漕河泾科技创业中心")]
    pub housing_name: Option<String>,
    /// A start-up team's core members.
    #[serde(default)]
    #[schema(example = 4)]
    pub core_members: Option<i64>,
}

impl From<DeclaredRequest> for DeclaredInput {
    fn from(d: DeclaredRequest) -> Self {
        DeclaredInput {
            sme_registration: d.sme_registration,
            housed_in: d.housed_in,
            housing_name: d.housing_name,
            core_members: d.core_members,
        }
    }
}

/// An approval; without an amount, the amount requested is issued.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalRequest {
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "80000.00")]
    pub amount: Option<Amount>,
}

/// A decision with a reason (rejections, revocations).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonRequest {
    pub reason: String,
}

/// A company applies for a voucher of its region's programme.
#[utoipa::path(
    post, path = "/api/v1/applications", tag = "vouchers",
    params(("Idempotency-Key" = String, Header)), request_body = ApplicationRequest, security(("bearer" = [])),
    responses(
        (status = 201, body = ApplicationView),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/applications", data = "<req>")]
pub async fn submit(
    app: &State<App>,
    _caller: May<can::Apply>,
    req: Idempotent<ApplicationRequest>,
) -> ApiResult<Reply> {
    let r = req.body;
    let op = SubmitApplication {
        region: r.region,
        year: r.year,
        amount: r.amount,
        purpose: r.purpose,
        declared: r.declared.unwrap_or_default().into(),
        district: r.district,
    };
    req.once.run(app, op, |_| Status::Created, view).await
}

/// The region's regulator approves: a voucher is issued from the budget.
#[utoipa::path(
    post, path = "/api/v1/applications/{id}/approve", tag = "vouchers",
    params(("id" = uuid::Uuid, Path), ("Idempotency-Key" = String, Header)),
    request_body = ApprovalRequest, security(("bearer" = [])),
    responses(
        (status = 201, description = "The issued voucher", body = VoucherView),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid_state`", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`budget_exceeded`, `invalid_amount`", body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/applications/<id>/approve", data = "<req>")]
pub async fn approve(
    app: &State<App>,
    _caller: May<can::DecideApplication>,
    id: &str,
    req: Idempotent<ApprovalRequest>,
) -> ApiResult<Reply> {
    let op = ApproveApplication {
        id: path_id(id)?,
        amount: req.body.amount,
    };
    req.once
        .run(
            app,
            op,
            |_| Status::Created,
            |v| VoucherView::from(v.clone()),
        )
        .await
}

/// A recommendation of the first level to the region.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecommendationRequest {
    /// Without it, the amount requested.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "80000.00")]
    pub amount: Option<Amount>,
    /// Required when recommending less than requested.
    #[serde(default)]
    pub reason: Option<String>,
}

/// The regulator of the application's district reviews it first and
/// recommends it to the region (where the programme reviews at two levels).
#[utoipa::path(
    post, path = "/api/v1/applications/{id}/recommend", tag = "vouchers",
    params(("id" = uuid::Uuid, Path), ("Idempotency-Key" = String, Header)),
    request_body = RecommendationRequest, security(("bearer" = [])),
    responses(
        (status = 200, body = ApplicationView),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid_state`", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/applications/<id>/recommend", data = "<req>")]
pub async fn recommend(
    app: &State<App>,
    _caller: May<can::ReviewApplication>,
    id: &str,
    req: Idempotent<RecommendationRequest>,
) -> ApiResult<Reply> {
    let op = RecommendApplication {
        id: path_id(id)?,
        amount: req.body.amount,
        reason: req.body.reason,
    };
    req.once.run(app, op, |_| Status::Ok, view).await
}

/// The region's regulator rejects, with a reason; or, at the first level,
/// the regulator of the application's district.
#[utoipa::path(
    post, path = "/api/v1/applications/{id}/reject", tag = "vouchers",
    params(("id" = uuid::Uuid, Path), ("Idempotency-Key" = String, Header)),
    request_body = ReasonRequest, security(("bearer" = [])),
    responses(
        (status = 200, body = ApplicationView),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/applications/<id>/reject", data = "<req>")]
pub async fn reject(
    app: &State<App>,
    _caller: Caller,
    id: &str,
    req: Idempotent<ReasonRequest>,
) -> ApiResult<Reply> {
    let op = RejectApplication {
        id: path_id(id)?,
        reason: req.body.reason,
    };
    req.once.run(app, op, |_| Status::Ok, view).await
}

/// Applications: a company's own, or all of a regulator's region.
#[utoipa::path(
    get, path = "/api/v1/applications", tag = "vouchers",
    params(("limit" = Option<u64>, Query), ("cursor" = Option<String>, Query)), security(("bearer" = [])),
    responses((status = 200, body = ApplicationList), (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/applications?<limit>&<cursor>")]
pub async fn list(
    app: &State<App>,
    caller: May<can::ListApplications>,
    limit: Option<&str>,
    cursor: Option<&str>,
) -> ApiResult<Json<ApplicationList>> {
    let page = page(limit, cursor)?;
    let applications = applications::list(app.service.db.reader(), &caller.0, page).await?;
    Ok(Json(applications.into()))
}

/// One application.
#[utoipa::path(
    get, path = "/api/v1/applications/{id}", tag = "vouchers",
    params(("id" = uuid::Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = ApplicationView), (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/applications/<id>")]
pub async fn read(app: &State<App>, caller: Caller, id: &str) -> ApiResult<Json<ApplicationView>> {
    let application = applications::find(app.service.db.reader(), &caller.0, path_id(id)?).await?;
    Ok(Json(application.into()))
}
