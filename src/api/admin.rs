//! Operations: the expiry run on demand.

use chrono::{DateTime, Utc};
use rocket::http::Status;
use rocket::{post, State};
use serde::Deserialize;
use utoipa::ToSchema;

use super::body::JsonBody;
use super::common::ctx;
use super::idempotent::{self, IdempotencyKey};
use super::reply::Reply;
use crate::auth::AdminCaller;
use crate::error::{ApiError, ApiResult, FieldProblem};
use crate::service::expiry::{self, ExpiryReport};
use crate::{work, App};

/// An expiry run; `as_of` (RFC 3339, not in the future) defaults to now.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpiryRunRequest {
    #[serde(default)]
    pub as_of: Option<DateTime<Utc>>,
}

/// Expires vouchers past their use deadline and holds past their claim
/// deadline; running it again changes nothing more.
#[utoipa::path(
    post, path = "/api/v1/admin/expiry-runs", tag = "operations",
    params(("Idempotency-Key" = String, Header)), request_body = ExpiryRunRequest, security(("bearer" = [])),
    responses(
        (status = 200, body = ExpiryReport),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/admin/expiry-runs", data = "<body>")]
pub async fn run_expiry(
    app: &State<App>,
    caller: AdminCaller,
    key: IdempotencyKey,
    body: JsonBody<ExpiryRunRequest>,
) -> ApiResult<Reply> {
    let ctx = ctx(app, caller.0);
    let now = ctx.now;
    let as_of = body.value.as_of.unwrap_or(now);
    idempotent::run(
        app,
        &ctx.clone(),
        key,
        body.fingerprint,
        work!(|txn| {
            if as_of > now {
                return Err(ApiError::validation(vec![FieldProblem {
                    field: "as_of".into(),
                    message: "must not be in the future".into(),
                }]));
            }
            let run = expiry::run(txn, as_of, &ctx.stamp()).await?;
            let mut reply = Reply::json(Status::Ok, &run.total)?;
            reply.audit = run.audit_entries(ctx.operation, as_of);
            Ok(reply)
        }),
    )
    .await
}
