//! Settlement claims: submit, approve, reject, pay, read.

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{get, post, State};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::applications::ReasonRequest;
use super::body::JsonBody;
use super::common::{ctx, page, path_id, require_role};
use super::idempotent::{self, IdempotencyKey};
use super::redemptions::EmptyRequest;
use super::reply::Reply;
use crate::auth::{Caller, ProviderCaller, RegulatorCaller};
use crate::domain::Role;
use crate::error::ApiResult;
use crate::service::claims::{self, Claim};
use crate::{list_of, work, App};

list_of!(ClaimList, Claim);

/// A claim over completed redemptions.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimRequest {
    pub redemption_ids: Vec<Uuid>,
    #[schema(example = "31000262-00415893")]
    pub invoice_no: String,
}

/// A payment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentRequest {
    #[schema(example = "ICBC-20270115-000381")]
    pub bank_reference: String,
}

/// The provider claims settlement of completed redemptions of one issuing region.
#[utoipa::path(
    post, path = "/api/v1/claims", tag = "claims",
    params(("Idempotency-Key" = String, Header)), request_body = ClaimRequest, security(("bearer" = [])),
    responses(
        (status = 201, body = Claim),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`conflict`: a redemption is in another claim; `invalid_state`", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`duplicate_invoice`, `claim_deadline_passed`", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/claims", data = "<body>")]
pub async fn submit(
    app: &State<App>,
    caller: ProviderCaller,
    key: IdempotencyKey,
    body: JsonBody<ClaimRequest>,
) -> ApiResult<Reply> {
    let ctx = ctx(app, caller.0);
    let r = body.value;
    idempotent::run(
        app,
        &ctx.clone(),
        key,
        body.fingerprint,
        work!(|txn| {
            let claim = claims::submit(txn, &ctx, &r.redemption_ids, &r.invoice_no).await?;
            Reply::recorded(Status::Created, "claim.submit", "claim", &claim)
        }),
    )
    .await
}

/// The issuer's regulator approves a submitted claim.
#[utoipa::path(
    post, path = "/api/v1/claims/{id}/approve", tag = "claims",
    params(("id" = Uuid, Path), ("Idempotency-Key" = String, Header)), request_body = EmptyRequest, security(("bearer" = [])),
    responses((status = 200, body = Claim), (status = 404, body = crate::error::Problem, content_type = "application/problem+json"), (status = 409, body = crate::error::Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/claims/<id>/approve", data = "<body>")]
pub async fn approve(
    app: &State<App>,
    caller: RegulatorCaller,
    id: &str,
    key: IdempotencyKey,
    body: JsonBody<EmptyRequest>,
) -> ApiResult<Reply> {
    let ctx = ctx(app, caller.0);
    let id = id.to_owned();
    idempotent::run(
        app,
        &ctx.clone(),
        key,
        body.fingerprint,
        work!(|txn| {
            let claim = claims::approve(txn, &ctx, path_id(&id)?).await?;
            Reply::recorded(Status::Ok, "claim.approve", "claim", &claim)
        }),
    )
    .await
}

/// The issuer's regulator rejects a claim; its redemptions may be claimed again.
#[utoipa::path(
    post, path = "/api/v1/claims/{id}/reject", tag = "claims",
    params(("id" = Uuid, Path), ("Idempotency-Key" = String, Header)), request_body = ReasonRequest, security(("bearer" = [])),
    responses((status = 200, body = Claim), (status = 404, body = crate::error::Problem, content_type = "application/problem+json"), (status = 409, body = crate::error::Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/claims/<id>/reject", data = "<body>")]
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
            let claim = claims::reject(txn, &ctx, path_id(&id)?, &reason).await?;
            Reply::recorded(Status::Ok, "claim.reject", "claim", &claim)
        }),
    )
    .await
}

/// The issuer's regulator pays an approved claim, once.
#[utoipa::path(
    post, path = "/api/v1/claims/{id}/pay", tag = "claims",
    params(("id" = Uuid, Path), ("Idempotency-Key" = String, Header)), request_body = PaymentRequest, security(("bearer" = [])),
    responses((status = 200, body = Claim), (status = 404, body = crate::error::Problem, content_type = "application/problem+json"), (status = 409, body = crate::error::Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/claims/<id>/pay", data = "<body>")]
pub async fn pay(
    app: &State<App>,
    caller: RegulatorCaller,
    id: &str,
    key: IdempotencyKey,
    body: JsonBody<PaymentRequest>,
) -> ApiResult<Reply> {
    let ctx = ctx(app, caller.0);
    let id = id.to_owned();
    let reference = body.value.bank_reference;
    idempotent::run(
        app,
        &ctx.clone(),
        key,
        body.fingerprint,
        work!(|txn| {
            let claim = claims::pay(txn, &ctx, path_id(&id)?, &reference).await?;
            Reply::recorded(Status::Ok, "claim.pay", "claim", &claim)
        }),
    )
    .await
}

/// Claims: a provider's own, or all of a regulator's region.
#[utoipa::path(
    get, path = "/api/v1/claims", tag = "claims",
    params(("limit" = Option<u64>, Query), ("cursor" = Option<String>, Query)), security(("bearer" = [])),
    responses((status = 200, body = ClaimList), (status = 403, body = crate::error::Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/claims?<limit>&<cursor>")]
pub async fn list(
    app: &State<App>,
    caller: Caller,
    limit: Option<&str>,
    cursor: Option<&str>,
) -> ApiResult<Json<ClaimList>> {
    require_role(&caller.0, &[Role::Provider, Role::Regulator])?;
    let page = page(limit, cursor)?;
    Ok(Json(
        claims::list(app.db.reader(), &caller.0, page).await?.into(),
    ))
}

/// One claim.
#[utoipa::path(
    get, path = "/api/v1/claims/{id}", tag = "claims",
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = Claim), (status = 404, body = crate::error::Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/claims/<id>")]
pub async fn read(app: &State<App>, caller: Caller, id: &str) -> ApiResult<Json<Claim>> {
    Ok(Json(
        claims::find(app.db.reader(), &caller.0, path_id(id)?).await?,
    ))
}
