//! Vouchers: read and revoke.

use rocket::serde::json::Json;
use rocket::{get, post, State};

use super::applications::ReasonRequest;
use super::common::{page, path_id};
use super::confirmations::{decided_status, Awaiting, DecidedView};
use super::idempotent::Idempotent;
use super::reply::Reply;
use super::views::VoucherView;
use crate::api::auth::{can, Caller, May};
use crate::api::error::ApiResult;
use crate::service::four_eyes::Decided;
use crate::service::vouchers::{self, RevokeVoucher, Voucher};
use crate::{list_of, App};

list_of!(VoucherList, VoucherView, Voucher);

/// Vouchers: a company's own, or all of a regulator's region.
#[utoipa::path(
    get, path = "/api/v1/vouchers", tag = "vouchers",
    params(("limit" = Option<u64>, Query), ("cursor" = Option<String>, Query)), security(("bearer" = [])),
    responses((status = 200, body = VoucherList), (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/vouchers?<limit>&<cursor>")]
pub async fn list(
    app: &State<App>,
    caller: May<can::ListVouchers>,
    limit: Option<&str>,
    cursor: Option<&str>,
) -> ApiResult<Json<VoucherList>> {
    let page = page(limit, cursor)?;
    let vouchers = vouchers::list(app.service.db.reader(), &caller.0, page).await?;
    Ok(Json(vouchers.into()))
}

/// One voucher with its balances.
#[utoipa::path(
    get, path = "/api/v1/vouchers/{id}", tag = "vouchers",
    params(("id" = uuid::Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = VoucherView), (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/vouchers/<id>")]
pub async fn read(app: &State<App>, caller: Caller, id: &str) -> ApiResult<Json<VoucherView>> {
    let voucher = vouchers::find(app.service.db.reader(), &caller.0, path_id(id)?).await?;
    Ok(Json(voucher.into()))
}

/// The issuing region's regulator revokes a voucher: its unused balance
/// returns to the budget.
#[utoipa::path(
    post, path = "/api/v1/vouchers/{id}/revoke", tag = "vouchers",
    params(("id" = uuid::Uuid, Path), ("Idempotency-Key" = String, Header)),
    request_body = ReasonRequest, security(("bearer" = [])),
    responses(
        (status = 200, description = "Revoked", body = VoucherView),
        (status = 202, description = "Waits for a second person (four eyes: a voucher with a balance)", body = Awaiting),
        (status = 403, description = "Not a regulator, or an API client under four eyes", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/vouchers/<id>/revoke", data = "<req>")]
pub async fn revoke(
    app: &State<App>,
    _caller: May<can::RevokeVoucher>,
    id: &str,
    req: Idempotent<ReasonRequest>,
) -> ApiResult<Reply> {
    let op = RevokeVoucher {
        id: path_id(id)?,
        reason: req.body.reason,
    };
    let view = |d: &Decided<Voucher>| DecidedView::of(d, |v| VoucherView::from(v.clone()));
    req.once.run(app, op, decided_status, view).await
}
