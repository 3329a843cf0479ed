//! Settlement claims: submit, approve, reject, pay, read.

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{get, post, State};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::applications::ReasonRequest;
use super::common::{page, path_id};
use super::confirmations::{decided_status, Awaiting, DecidedView};
use super::idempotent::Idempotent;
use super::redemptions::EmptyRequest;
use super::reply::Reply;
use super::views::ClaimView;
use crate::api::auth::{can, Caller, May};
use crate::api::error::ApiResult;
use crate::service::claims::{self, ApproveClaim, Claim, RejectClaim, SubmitClaim};
use crate::service::four_eyes::Decided;
use crate::service::payments::PayClaim;
use crate::{list_of, App};

list_of!(ClaimList, ClaimView, Claim);

fn decided(d: &Decided<Claim>) -> DecidedView<ClaimView> {
    DecidedView::of(d, view)
}

fn view(claim: &Claim) -> ClaimView {
    claim.clone().into()
}

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
        (status = 201, body = ClaimView),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`conflict`: a redemption is in another claim; `invalid_state`", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`duplicate_invoice`, `claim_deadline_passed`", body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/claims", data = "<req>")]
pub async fn submit(
    app: &State<App>,
    _caller: May<can::SubmitClaim>,
    req: Idempotent<ClaimRequest>,
) -> ApiResult<Reply> {
    let op = SubmitClaim {
        redemption_ids: req.body.redemption_ids,
        invoice_no: req.body.invoice_no,
    };
    req.once.run(app, op, |_| Status::Created, view).await
}

/// The issuer's regulator approves a submitted claim.
#[utoipa::path(
    post, path = "/api/v1/claims/{id}/approve", tag = "claims",
    params(("id" = Uuid, Path), ("Idempotency-Key" = String, Header)), request_body = EmptyRequest, security(("bearer" = [])),
    responses((status = 200, body = ClaimView), (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"), (status = 409, body = crate::api::error::Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/claims/<id>/approve", data = "<req>")]
pub async fn approve(
    app: &State<App>,
    _caller: May<can::DecideClaim>,
    id: &str,
    req: Idempotent<EmptyRequest>,
) -> ApiResult<Reply> {
    let op = ApproveClaim { id: path_id(id)? };
    req.once.run(app, op, |_| Status::Ok, view).await
}

/// The issuer's regulator rejects a claim; its redemptions may be claimed again.
#[utoipa::path(
    post, path = "/api/v1/claims/{id}/reject", tag = "claims",
    params(("id" = Uuid, Path), ("Idempotency-Key" = String, Header)), request_body = ReasonRequest, security(("bearer" = [])),
    responses((status = 200, body = ClaimView), (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"), (status = 409, body = crate::api::error::Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/claims/<id>/reject", data = "<req>")]
pub async fn reject(
    app: &State<App>,
    _caller: May<can::DecideClaim>,
    id: &str,
    req: Idempotent<ReasonRequest>,
) -> ApiResult<Reply> {
    let op = RejectClaim {
        id: path_id(id)?,
        reason: req.body.reason,
    };
    req.once.run(app, op, |_| Status::Ok, view).await
}

/// The issuer's regulator pays an approved claim, once. Under four eyes
/// (the region's policy) the payment waits for another person of the
/// regulator to confirm it: 202 with the request that waits
/// (`POST /api/v1/confirmations/{id}/confirm`); asked as an API client, 403.
#[utoipa::path(
    post, path = "/api/v1/claims/{id}/pay", tag = "claims",
    params(("id" = Uuid, Path), ("Idempotency-Key" = String, Header)), request_body = PaymentRequest, security(("bearer" = [])),
    responses(
        (status = 200, description = "Paid", body = ClaimView),
        (status = 202, description = "Waits for a second person (four eyes)", body = Awaiting),
        (status = 403, description = "Not a regulator, or an API client under four eyes", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/claims/<id>/pay", data = "<req>")]
pub async fn pay(
    app: &State<App>,
    _caller: May<can::DecideClaim>,
    id: &str,
    req: Idempotent<PaymentRequest>,
) -> ApiResult<Reply> {
    let op = PayClaim {
        id: path_id(id)?,
        bank_reference: req.body.bank_reference,
    };
    req.once.run(app, op, decided_status, decided).await
}

/// Claims: a provider's own, or all of a regulator's region.
#[utoipa::path(
    get, path = "/api/v1/claims", tag = "claims",
    params(("limit" = Option<u64>, Query), ("cursor" = Option<String>, Query)), security(("bearer" = [])),
    responses((status = 200, body = ClaimList), (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/claims?<limit>&<cursor>")]
pub async fn list(
    app: &State<App>,
    caller: May<can::ListClaims>,
    limit: Option<&str>,
    cursor: Option<&str>,
) -> ApiResult<Json<ClaimList>> {
    let page = page(limit, cursor)?;
    let claims = claims::list(app.service.db.reader(), &caller.0, page).await?;
    Ok(Json(claims.into()))
}

/// One claim.
#[utoipa::path(
    get, path = "/api/v1/claims/{id}", tag = "claims",
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = ClaimView), (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/claims/<id>")]
pub async fn read(app: &State<App>, caller: Caller, id: &str) -> ApiResult<Json<ClaimView>> {
    let claim = claims::find(app.service.db.reader(), &caller.0, path_id(id)?).await?;
    Ok(Json(claim.into()))
}
