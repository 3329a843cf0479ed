//! Providers' bank accounts: `POST /api/v1/organizations/{id}/bank-accounts`
//! (the provider's administrator enters one), `GET` of the same (the
//! provider, its regulators and those of the regions that admitted it),
//! `GET /api/v1/bank-accounts?status=submitted` (a regulator's queue), and
//! `POST /api/v1/bank-accounts/{id}/approve` (four eyes) or `…/reject`.

use chrono::{DateTime, NaiveDate, Utc};
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{get, post, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::applications::ReasonRequest;
use super::auth::{Caller, May};
use super::common::path_id;
use super::confirmations::{decided_status, Awaiting, DecidedView};
use super::idempotent::Idempotent;
use super::redemptions::EmptyRequest;
use super::reply::Reply;
use crate::api::auth::can;
use crate::api::error::ApiResult;
use crate::service::four_eyes::Decided;
use crate::service::payees::{self, ApproveAccount, PayeeAccount, RejectAccount, SubmitAccount};
use crate::App;

/// A bank account as the provider enters it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BankAccountRequest {
    /// The provider's registered name (a bank pays only an account in the
    /// payee's own name).
    #[schema(example = "上海测试技术研究院")]
    pub account_name: String,
    /// 6 to 32 digits; spaces and dashes are dropped.
    #[schema(example = "6222 0210 0112 3456 789")]
    pub account_number: String,
    #[schema(example = "中国工商银行上海分行营业部")]
    pub bank_name: String,
    /// The bank's CNAPS code (行号): 12 digits.
    #[schema(example = "102290000011")]
    pub cnaps_code: String,
    /// The first day payments may go to it.
    pub valid_from: NaiveDate,
}

/// A provider's bank account.
#[derive(Debug, Serialize, ToSchema)]
pub struct BankAccountView {
    pub id: Uuid,
    pub provider_id: Uuid,
    /// The provider's region, whose regulator approves the account.
    pub region: String,
    pub account_name: String,
    pub account_number: String,
    pub bank_name: String,
    pub cnaps_code: String,
    pub valid_from: NaiveDate,
    /// `submitted`, `approved` or `rejected`.
    #[schema(example = "submitted")]
    pub status: String,
    pub submitted_by: Uuid,
    pub submitted_at: DateTime<Utc>,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTime<Utc>>,
    /// Why it was rejected.
    pub reason: Option<String>,
}

impl From<&PayeeAccount> for BankAccountView {
    fn from(a: &PayeeAccount) -> Self {
        BankAccountView {
            id: a.id,
            provider_id: a.provider_id,
            region: a.region.to_string(),
            account_name: a.account_name.clone(),
            account_number: a.account_number.clone(),
            bank_name: a.bank_name.clone(),
            cnaps_code: a.cnaps_code.clone(),
            valid_from: a.valid_from,
            status: a.status.clone(),
            submitted_by: a.submitted_by,
            submitted_at: a.submitted_at,
            decided_by: a.decided_by,
            decided_at: a.decided_at,
            reason: a.reason.clone(),
        }
    }
}

fn view(a: &PayeeAccount) -> BankAccountView {
    a.into()
}

/// The provider's administrator enters a bank account; it is paid to only
/// once the provider's regulator approves it.
#[utoipa::path(
    post, path = "/api/v1/organizations/{id}/bank-accounts", tag = "claims",
    params(("id" = Uuid, Path, description = "The provider"), ("Idempotency-Key" = String, Header)),
    request_body = BankAccountRequest, security(("bearer" = [])),
    responses(
        (status = 201, description = "Entered, waiting for the regulator", body = BankAccountView),
        (status = 403, description = "Not a person who administers the provider", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: a field's shape, or an account not in the provider's name", body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/organizations/<id>/bank-accounts", data = "<req>")]
pub async fn submit(
    app: &State<App>,
    id: &str,
    req: Idempotent<BankAccountRequest>,
) -> ApiResult<Reply> {
    let b = req.body;
    let op = SubmitAccount {
        provider_id: path_id(id)?,
        account_name: b.account_name,
        account_number: b.account_number,
        bank_name: b.bank_name,
        cnaps_code: b.cnaps_code,
        valid_from: b.valid_from,
    };
    req.once.run(app, op, |_| Status::Created, view).await
}

/// A provider's bank accounts, newest first.
#[utoipa::path(
    get, path = "/api/v1/organizations/{id}/bank-accounts", tag = "claims",
    params(("id" = Uuid, Path, description = "The provider")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<BankAccountView>),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/organizations/<id>/bank-accounts")]
pub async fn list(
    app: &State<App>,
    caller: Caller,
    id: &str,
) -> ApiResult<Json<Vec<BankAccountView>>> {
    let accounts = payees::list(&app.service.db, &caller.0, path_id(id)?).await?;
    Ok(Json(accounts.iter().map(view).collect()))
}

/// The bank accounts of the providers of the caller's region that wait
/// for its approval, oldest first (regulators).
#[utoipa::path(
    get, path = "/api/v1/bank-accounts", tag = "claims",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<BankAccountView>),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/bank-accounts")]
pub async fn awaiting(
    app: &State<App>,
    caller: May<can::ManageProgramme>,
) -> ApiResult<Json<Vec<BankAccountView>>> {
    let accounts = payees::awaiting(&app.service.db, &caller.0).await?;
    Ok(Json(accounts.iter().map(view).collect()))
}

/// The regulator of the provider's region approves a bank account; under
/// four eyes a second person of the regulator confirms it (202).
#[utoipa::path(
    post, path = "/api/v1/bank-accounts/{id}/approve", tag = "claims",
    params(("id" = Uuid, Path), ("Idempotency-Key" = String, Header)),
    request_body = EmptyRequest, security(("bearer" = [])),
    responses(
        (status = 200, description = "Approved", body = BankAccountView),
        (status = 202, description = "Waits for a second person (four eyes)", body = Awaiting),
        (status = 403, description = "Not a regulator, or an API client under four eyes", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid_state`: decided already", body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/bank-accounts/<id>/approve", data = "<req>")]
pub async fn approve(
    app: &State<App>,
    _caller: May<can::ManageProgramme>,
    id: &str,
    req: Idempotent<EmptyRequest>,
) -> ApiResult<Reply> {
    let op = ApproveAccount { id: path_id(id)? };
    let view = |d: &Decided<PayeeAccount>| DecidedView::of(d, |a| BankAccountView::from(a));
    req.once.run(app, op, decided_status, view).await
}

/// The regulator of the provider's region rejects a bank account, saying
/// why.
#[utoipa::path(
    post, path = "/api/v1/bank-accounts/{id}/reject", tag = "claims",
    params(("id" = Uuid, Path), ("Idempotency-Key" = String, Header)),
    request_body = ReasonRequest, security(("bearer" = [])),
    responses(
        (status = 200, description = "Rejected", body = BankAccountView),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid_state`: decided already", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/bank-accounts/<id>/reject", data = "<req>")]
pub async fn reject(
    app: &State<App>,
    _caller: May<can::ManageProgramme>,
    id: &str,
    req: Idempotent<ReasonRequest>,
) -> ApiResult<Reply> {
    let op = RejectAccount {
        id: path_id(id)?,
        reason: req.body.reason,
    };
    req.once.run(app, op, |_| Status::Ok, view).await
}
