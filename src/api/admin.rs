//! Operations: the expiry run on demand.

use chrono::{DateTime, Utc};
use rocket::http::Status;
use rocket::{post, State};
use serde::Deserialize;
use utoipa::ToSchema;

use super::idempotent::Idempotent;
use super::reply::Reply;
use super::views::ExpiryReportView;
use crate::api::auth::{can, May};
use crate::api::error::ApiResult;
use crate::service::expiry::{self, ExpiryReport, RunExpiry};
use crate::App;

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
        (status = 200, body = ExpiryReportView),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/admin/expiry-runs", data = "<req>")]
pub async fn run_expiry(
    app: &State<App>,
    _caller: May<can::RunExpiry>,
    req: Idempotent<ExpiryRunRequest>,
) -> ApiResult<Reply> {
    let now = app.service.clock.now();
    let as_of = req.body.as_of.unwrap_or(now);
    // Chunk by chunk, each its own operation; the last chunk (what is left,
    // usually nothing) is the request's own and carries what the others did.
    // A future `as_of` is refused by that last chunk, under the key.
    let carried = if as_of <= now {
        expiry::run_to_end(&app.service, req.once.call(), as_of).await?
    } else {
        ExpiryReport::default()
    };
    let op = RunExpiry {
        as_of: Some(as_of),
        carried,
        ..Default::default()
    };
    req.once
        .run(
            app,
            op,
            |_| Status::Ok,
            |r: &ExpiryReport| ExpiryReportView::from(*r),
        )
        .await
}
