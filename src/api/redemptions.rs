//! Redemptions: hold, complete, cancel, read.

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{get, post, State};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::body::JsonBody;
use super::common::{ctx, page, path_id, require_role};
use super::idempotent::{self, IdempotencyKey};
use super::reply::Reply;
use crate::auth::{Caller, CompanyCaller, ProviderCaller};
use crate::domain::{Amount, Role};
use crate::error::ApiResult;
use crate::service::redemptions::{self, HoldRequest, Redemption};
use crate::{list_of, work, App};

list_of!(RedemptionList, Redemption);

/// A hold on a voucher against a service contract.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedemptionRequest {
    pub voucher_id: Uuid,
    pub provider_id: Uuid,
    #[schema(example = "SHT-2026-0117")]
    pub contract_no: String,
    #[schema(value_type = String, example = "200000.00")]
    pub contract_amount: Amount,
    #[schema(example = "testing")]
    pub service_category: String,
    #[schema(value_type = String, example = "100000.00")]
    pub amount: Amount,
}

/// A completion; without an amount, everything held is completed.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompletionRequest {
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "90000.00")]
    pub amount: Option<Amount>,
}

/// No fields.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmptyRequest {}

/// The company holds an amount of its voucher for a contract with an
/// admitted provider.
#[utoipa::path(
    post, path = "/api/v1/redemptions", tag = "redemptions",
    params(("Idempotency-Key" = String, Header)), request_body = RedemptionRequest, security(("bearer" = [])),
    responses(
        (status = 201, body = Redemption),
        (status = 404, description = "No such voucher or provider", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`insufficient_balance`, `voucher_expired`, `provider_not_admitted`, `category_not_eligible`, `duplicate_contract`, `invalid_amount`", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/redemptions", data = "<body>")]
pub async fn hold(
    app: &State<App>,
    caller: CompanyCaller,
    key: IdempotencyKey,
    body: JsonBody<RedemptionRequest>,
) -> ApiResult<Reply> {
    let ctx = ctx(app, caller.0);
    let r = body.value;
    let request = HoldRequest {
        voucher_id: r.voucher_id,
        provider_id: r.provider_id,
        contract_no: r.contract_no,
        contract_amount: r.contract_amount.0,
        service_category: r.service_category,
        amount: r.amount.0,
    };
    idempotent::run(
        app,
        &ctx.clone(),
        key,
        body.fingerprint,
        work!(|txn| {
            let redemption = redemptions::hold(txn, &ctx, request).await?;
            Reply::recorded(
                Status::Created,
                "redemption.hold",
                "redemption",
                &redemption,
            )
        }),
    )
    .await
}

/// The provider confirms delivery; what is not completed returns to the voucher.
#[utoipa::path(
    post, path = "/api/v1/redemptions/{id}/complete", tag = "redemptions",
    params(("id" = Uuid, Path), ("Idempotency-Key" = String, Header)),
    request_body = CompletionRequest, security(("bearer" = [])),
    responses(
        (status = 200, body = Redemption),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid_state`: already resolved", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`claim_deadline_passed`, `invalid_amount`", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/redemptions/<id>/complete", data = "<body>")]
pub async fn complete(
    app: &State<App>,
    caller: ProviderCaller,
    id: &str,
    key: IdempotencyKey,
    body: JsonBody<CompletionRequest>,
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
            let redemption = redemptions::complete(txn, &ctx, path_id(&id)?, amount).await?;
            Reply::recorded(Status::Ok, "redemption.complete", "redemption", &redemption)
        }),
    )
    .await
}

/// The company or the provider cancels a held redemption.
#[utoipa::path(
    post, path = "/api/v1/redemptions/{id}/cancel", tag = "redemptions",
    params(("id" = Uuid, Path), ("Idempotency-Key" = String, Header)),
    request_body = EmptyRequest, security(("bearer" = [])),
    responses(
        (status = 200, body = Redemption),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/redemptions/<id>/cancel", data = "<body>")]
pub async fn cancel(
    app: &State<App>,
    caller: Caller,
    id: &str,
    key: IdempotencyKey,
    body: JsonBody<EmptyRequest>,
) -> ApiResult<Reply> {
    require_role(&caller.0, &[Role::Company, Role::Provider])?;
    let ctx = ctx(app, caller.0);
    let id = id.to_owned();
    idempotent::run(
        app,
        &ctx.clone(),
        key,
        body.fingerprint,
        work!(|txn| {
            let redemption = redemptions::cancel(txn, &ctx, path_id(&id)?).await?;
            Reply::recorded(Status::Ok, "redemption.cancel", "redemption", &redemption)
        }),
    )
    .await
}

/// Redemptions the caller may see: its own (company, provider), or those of
/// a regulator's region as issuer or as the provider's region.
#[utoipa::path(
    get, path = "/api/v1/redemptions", tag = "redemptions",
    params(("limit" = Option<u64>, Query), ("cursor" = Option<String>, Query)), security(("bearer" = [])),
    responses((status = 200, body = RedemptionList), (status = 403, body = crate::error::Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/redemptions?<limit>&<cursor>")]
pub async fn list(
    app: &State<App>,
    caller: Caller,
    limit: Option<&str>,
    cursor: Option<&str>,
) -> ApiResult<Json<RedemptionList>> {
    require_role(&caller.0, &[Role::Company, Role::Provider, Role::Regulator])?;
    let page = page(limit, cursor)?;
    Ok(Json(
        redemptions::list(app.db.reader(), &caller.0, page)
            .await?
            .into(),
    ))
}

/// One redemption.
#[utoipa::path(
    get, path = "/api/v1/redemptions/{id}", tag = "redemptions",
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = Redemption), (status = 404, body = crate::error::Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/redemptions/<id>")]
pub async fn read(app: &State<App>, caller: Caller, id: &str) -> ApiResult<Json<Redemption>> {
    Ok(Json(
        redemptions::find(app.db.reader(), &caller.0, path_id(id)?).await?,
    ))
}
