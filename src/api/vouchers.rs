//! Vouchers: read and revoke.

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{get, post, State};

use super::applications::ReasonRequest;
use super::body::JsonBody;
use super::common::{ctx, page, path_id, require_role};
use super::idempotent::{self, IdempotencyKey};
use super::reply::Reply;
use crate::auth::{Caller, RegulatorCaller};
use crate::domain::Role;
use crate::error::ApiResult;
use crate::service::vouchers::{self, Voucher};
use crate::{list_of, work, App};

list_of!(VoucherList, Voucher);

/// Vouchers: a company's own, or all of a regulator's region.
#[utoipa::path(
    get, path = "/api/v1/vouchers", tag = "vouchers",
    params(("limit" = Option<u64>, Query), ("cursor" = Option<String>, Query)), security(("bearer" = [])),
    responses((status = 200, body = VoucherList), (status = 403, body = crate::error::Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/vouchers?<limit>&<cursor>")]
pub async fn list(
    app: &State<App>,
    caller: Caller,
    limit: Option<&str>,
    cursor: Option<&str>,
) -> ApiResult<Json<VoucherList>> {
    require_role(&caller.0, &[Role::Company, Role::Regulator])?;
    let page = page(limit, cursor)?;
    Ok(Json(
        vouchers::list_vouchers(app.db.reader(), &caller.0, page)
            .await?
            .into(),
    ))
}

/// One voucher with its balances.
#[utoipa::path(
    get, path = "/api/v1/vouchers/{id}", tag = "vouchers",
    params(("id" = uuid::Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = Voucher), (status = 404, body = crate::error::Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/vouchers/<id>")]
pub async fn read(app: &State<App>, caller: Caller, id: &str) -> ApiResult<Json<Voucher>> {
    Ok(Json(
        vouchers::find_voucher(app.db.reader(), &caller.0, path_id(id)?).await?,
    ))
}

/// The issuing region's regulator revokes a voucher: its unused balance
/// returns to the budget.
#[utoipa::path(
    post, path = "/api/v1/vouchers/{id}/revoke", tag = "vouchers",
    params(("id" = uuid::Uuid, Path), ("Idempotency-Key" = String, Header)),
    request_body = ReasonRequest, security(("bearer" = [])),
    responses(
        (status = 200, body = Voucher),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/vouchers/<id>/revoke", data = "<body>")]
pub async fn revoke(
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
            let voucher = vouchers::revoke(txn, &ctx, path_id(&id)?, &reason).await?;
            Reply::recorded(Status::Ok, "voucher.revoke", "voucher", &voucher)
        }),
    )
    .await
}
