//! Redemptions: hold, complete, cancel, read.

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{get, post, State};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::common::{page, path_id};
use super::idempotent::Idempotent;
use super::reply::Reply;
use super::views::RedemptionView;
use crate::api::auth::{can, Caller, May};
use crate::api::error::ApiResult;
use crate::domain::Amount;
use crate::service::redemptions::{self, CancelRedemption, Complete, Hold, Redemption};
use crate::{list_of, App};

list_of!(RedemptionList, RedemptionView, Redemption);

fn view(redemption: &Redemption) -> RedemptionView {
    redemption.clone().into()
}

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
        (status = 201, body = RedemptionView),
        (status = 404, description = "No such voucher or provider", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`insufficient_balance`, `voucher_expired`, `provider_not_admitted`, `category_not_eligible`, `duplicate_contract`, `invalid_amount`", body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/redemptions", data = "<req>")]
pub async fn hold(
    app: &State<App>,
    _caller: May<can::Hold>,
    req: Idempotent<RedemptionRequest>,
) -> ApiResult<Reply> {
    let r = req.body;
    let op = Hold {
        voucher_id: r.voucher_id,
        provider_id: r.provider_id,
        contract_no: r.contract_no,
        contract_amount: r.contract_amount,
        service_category: r.service_category,
        amount: r.amount,
    };
    req.once.run(app, op, |_| Status::Created, view).await
}

/// The provider confirms delivery; what is not completed returns to the voucher.
#[utoipa::path(
    post, path = "/api/v1/redemptions/{id}/complete", tag = "redemptions",
    params(("id" = Uuid, Path), ("Idempotency-Key" = String, Header)),
    request_body = CompletionRequest, security(("bearer" = [])),
    responses(
        (status = 200, body = RedemptionView),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid_state`: already resolved", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`claim_deadline_passed`, `invalid_amount`", body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/redemptions/<id>/complete", data = "<req>")]
pub async fn complete(
    app: &State<App>,
    _caller: May<can::Complete>,
    id: &str,
    req: Idempotent<CompletionRequest>,
) -> ApiResult<Reply> {
    let op = Complete {
        id: path_id(id)?,
        amount: req.body.amount,
    };
    req.once.run(app, op, |_| Status::Ok, view).await
}

/// The company or the provider cancels a held redemption.
#[utoipa::path(
    post, path = "/api/v1/redemptions/{id}/cancel", tag = "redemptions",
    params(("id" = Uuid, Path), ("Idempotency-Key" = String, Header)),
    request_body = EmptyRequest, security(("bearer" = [])),
    responses(
        (status = 200, body = RedemptionView),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/redemptions/<id>/cancel", data = "<req>")]
pub async fn cancel(app: &State<App>, id: &str, req: Idempotent<EmptyRequest>) -> ApiResult<Reply> {
    let op = CancelRedemption { id: path_id(id)? };
    req.once.run(app, op, |_| Status::Ok, view).await
}

/// Redemptions the caller may see: its own (company, provider), or those of
/// a regulator's region as issuer or as the provider's region.
#[utoipa::path(
    get, path = "/api/v1/redemptions", tag = "redemptions",
    params(("limit" = Option<u64>, Query), ("cursor" = Option<String>, Query)), security(("bearer" = [])),
    responses((status = 200, body = RedemptionList), (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/redemptions?<limit>&<cursor>")]
pub async fn list(
    app: &State<App>,
    caller: May<can::ListRedemptions>,
    limit: Option<&str>,
    cursor: Option<&str>,
) -> ApiResult<Json<RedemptionList>> {
    let page = page(limit, cursor)?;
    let redemptions = redemptions::list(app.service.db.reader(), &caller.0, page).await?;
    Ok(Json(redemptions.into()))
}

/// One redemption.
#[utoipa::path(
    get, path = "/api/v1/redemptions/{id}", tag = "redemptions",
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = RedemptionView), (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/redemptions/<id>")]
pub async fn read(app: &State<App>, caller: Caller, id: &str) -> ApiResult<Json<RedemptionView>> {
    let redemption = redemptions::find(app.service.db.reader(), &caller.0, path_id(id)?).await?;
    Ok(Json(redemption.into()))
}
