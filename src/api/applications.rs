//! Applications for vouchers: submit, approve (issues a voucher), reject, read.

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{get, post, State};
use serde::Deserialize;
use utoipa::ToSchema;

use super::body::JsonBody;
use super::common::{ctx, page, path_id, require_role};
use super::idempotent::{self, IdempotencyKey};
use super::reply::Reply;
use crate::auth::{Caller, CompanyCaller, RegulatorCaller};
use crate::domain::{Amount, Region, Role};
use crate::error::ApiResult;
use crate::service::vouchers::{self, Application, Voucher};
use crate::{list_of, work, App};

list_of!(ApplicationList, Application);

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
        (status = 201, body = Application),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/applications", data = "<body>")]
pub async fn submit(
    app: &State<App>,
    caller: CompanyCaller,
    key: IdempotencyKey,
    body: JsonBody<ApplicationRequest>,
) -> ApiResult<Reply> {
    let ctx = ctx(app, caller.0);
    let r = body.value;
    idempotent::run(
        app,
        &ctx.clone(),
        key,
        body.fingerprint,
        work!(|txn| {
            let region = Region::parse(&r.region)?;
            let application =
                vouchers::submit(txn, &ctx, &region, r.year, r.amount.0, &r.purpose).await?;
            Reply::recorded(
                Status::Created,
                "application.submit",
                "application",
                &application,
            )
        }),
    )
    .await
}

/// The region's regulator approves: a voucher is issued from the budget.
#[utoipa::path(
    post, path = "/api/v1/applications/{id}/approve", tag = "vouchers",
    params(("id" = uuid::Uuid, Path), ("Idempotency-Key" = String, Header)),
    request_body = ApprovalRequest, security(("bearer" = [])),
    responses(
        (status = 201, description = "The issued voucher", body = Voucher),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid_state`", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`budget_exceeded`, `invalid_amount`", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/applications/<id>/approve", data = "<body>")]
pub async fn approve(
    app: &State<App>,
    caller: RegulatorCaller,
    id: &str,
    key: IdempotencyKey,
    body: JsonBody<ApprovalRequest>,
) -> ApiResult<Reply> {
    let ctx = ctx(app, caller.0);
    let id = id.to_owned();
    let amount = body.value.amount.map(|a| a.0);
    idempotent::run(
        app,
        &ctx.clone(),
        key,
        body.fingerprint,
        work!(|txn| {
            let voucher = vouchers::approve(txn, &ctx, path_id(&id)?, amount).await?;
            Reply::recorded(Status::Created, "application.approve", "voucher", &voucher)
        }),
    )
    .await
}

/// The region's regulator rejects, with a reason.
#[utoipa::path(
    post, path = "/api/v1/applications/{id}/reject", tag = "vouchers",
    params(("id" = uuid::Uuid, Path), ("Idempotency-Key" = String, Header)),
    request_body = ReasonRequest, security(("bearer" = [])),
    responses(
        (status = 200, body = Application),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/applications/<id>/reject", data = "<body>")]
pub async fn reject(
    app: &State<App>,
    caller: RegulatorCaller,
    id: &str,
    key: IdempotencyKey,
    body: JsonBody<ReasonRequest>,
) -> ApiResult<Reply> {
    let ctx = ctx(app, caller.0);
    let id = id.to_owned();
    let reason = body.value.reason;
    idempotent::run(
        app,
        &ctx.clone(),
        key,
        body.fingerprint,
        work!(|txn| {
            let application = vouchers::reject(txn, &ctx, path_id(&id)?, &reason).await?;
            Reply::recorded(
                Status::Ok,
                "application.reject",
                "application",
                &application,
            )
        }),
    )
    .await
}

/// Applications: a company's own, or all of a regulator's region.
#[utoipa::path(
    get, path = "/api/v1/applications", tag = "vouchers",
    params(("limit" = Option<u64>, Query), ("cursor" = Option<String>, Query)), security(("bearer" = [])),
    responses((status = 200, body = ApplicationList), (status = 403, body = crate::error::Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/applications?<limit>&<cursor>")]
pub async fn list(
    app: &State<App>,
    caller: Caller,
    limit: Option<&str>,
    cursor: Option<&str>,
) -> ApiResult<Json<ApplicationList>> {
    require_role(&caller.0, &[Role::Company, Role::Regulator])?;
    let page = page(limit, cursor)?;
    Ok(Json(
        vouchers::list_applications(app.db.reader(), &caller.0, page)
            .await?
            .into(),
    ))
}

/// One application.
#[utoipa::path(
    get, path = "/api/v1/applications/{id}", tag = "vouchers",
    params(("id" = uuid::Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = Application), (status = 404, body = crate::error::Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/applications/<id>")]
pub async fn read(app: &State<App>, caller: Caller, id: &str) -> ApiResult<Json<Application>> {
    Ok(Json(
        vouchers::find_application(app.db.reader(), &caller.0, path_id(id)?).await?,
    ))
}
