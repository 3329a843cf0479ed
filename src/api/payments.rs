//! Payments as a provider sees them: `GET /api/v1/organizations/{id}/payments`
//! (newest first) and the remittance advice with its 兑付明细表,
//! `GET /api/v1/settlement-runs/{id}/items/{item_id}/advice` (JSON, `csv`
//! or a printable `html` page) — for the provider and the paying region's
//! regulator.

use chrono::{DateTime, Utc};
use rocket::http::ContentType;
use rocket::serde::json::Json;
use rocket::{get, State};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::auth::Caller;
use super::common::{path_id, query_problem};
use super::error::ApiResult;
use crate::domain::Money;
use crate::service::settlement::advice::{self, Advice};
use crate::App;

/// One redemption a payment covers.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdviceLineView {
    pub claim_id: Uuid,
    pub invoice_no: String,
    pub voucher_serial: String,
    pub contract_no: String,
    pub company: String,
    #[schema(value_type = String, example = "3000.00")]
    pub amount: Money,
}

/// A payment to a provider.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentView {
    pub run_id: Uuid,
    /// The paying region.
    pub region: String,
    pub period: String,
    pub run_status: String,
    pub item_id: Uuid,
    pub provider_id: Uuid,
    pub provider_name: String,
    pub account_name: String,
    pub account_number: String,
    pub bank_name: String,
    pub cnaps_code: String,
    #[schema(value_type = String, example = "5000.00")]
    pub amount: Money,
    /// `included`, `sent`, `settled`, `rejected` or `returned`.
    pub status: String,
    pub bank_reference: Option<String>,
    pub settled_at: Option<DateTime<Utc>>,
    pub exported_at: Option<DateTime<Utc>>,
    /// Why the bank sent it back.
    pub reason: Option<String>,
    /// The advice's lines (empty in a list).
    pub lines: Vec<AdviceLineView>,
}

impl From<&Advice> for PaymentView {
    fn from(a: &Advice) -> Self {
        PaymentView {
            run_id: a.run_id,
            region: a.region.to_string(),
            period: a.period.clone(),
            run_status: a.run_status.to_string(),
            item_id: a.item_id,
            provider_id: a.provider_id,
            provider_name: a.provider_name.clone(),
            account_name: a.account_name.clone(),
            account_number: a.account_number.clone(),
            bank_name: a.bank_name.clone(),
            cnaps_code: a.cnaps_code.clone(),
            amount: a.amount,
            status: a.status.to_string(),
            bank_reference: a.bank_reference.clone(),
            settled_at: a.settled_at,
            exported_at: a.exported_at,
            reason: a.reason.clone(),
            lines: a
                .lines
                .iter()
                .map(|l| AdviceLineView {
                    claim_id: l.claim_id,
                    invoice_no: l.invoice_no.clone(),
                    voucher_serial: l.voucher_serial.clone(),
                    contract_no: l.contract_no.clone(),
                    company: l.company.clone(),
                    amount: l.amount,
                })
                .collect(),
        }
    }
}

/// A provider's payments, newest first: for the provider, and for a
/// regulator the payments from its region.
#[utoipa::path(
    get, path = "/api/v1/organizations/{id}/payments", tag = "settlement",
    params(("id" = Uuid, Path, description = "The provider")), security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<PaymentView>),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/organizations/<id>/payments")]
pub async fn list(app: &State<App>, caller: Caller, id: &str) -> ApiResult<Json<Vec<PaymentView>>> {
    let found = advice::payments(&app.service.db, &caller.0, path_id(id)?).await?;
    Ok(Json(found.iter().map(PaymentView::from).collect()))
}

/// The advice as JSON, CSV or a printable page.
#[derive(rocket::Responder)]
pub enum AdviceReply {
    Json(Json<PaymentView>),
    Text((ContentType, String)),
}

/// The remittance advice of a payment with its 兑付明细表 (each
/// redemption it pays): for the provider and the paying region's
/// regulator.
#[utoipa::path(
    get, path = "/api/v1/settlement-runs/{id}/items/{item_id}/advice", tag = "settlement",
    params(("id" = Uuid, Path), ("item_id" = Uuid, Path), ("format" = Option<String>, Query, description = "json, csv or html")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = PaymentView),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/settlement-runs/<id>/items/<item_id>/advice?<format>")]
pub async fn read(
    app: &State<App>,
    caller: Caller,
    id: &str,
    item_id: &str,
    format: Option<&str>,
) -> ApiResult<AdviceReply> {
    let found = advice::advice(&app.service.db, &caller.0, path_id(id)?, path_id(item_id)?).await?;
    let utf8 = |kind: &str, sub: &str| {
        ContentType::new(kind.to_owned(), sub.to_owned()).with_params(("charset", "utf-8"))
    };
    match format.unwrap_or("json") {
        "json" => Ok(AdviceReply::Json(Json(PaymentView::from(&found)))),
        "csv" => Ok(AdviceReply::Text((
            utf8("text", "csv"),
            advice::csv(&found),
        ))),
        "html" => Ok(AdviceReply::Text((ContentType::HTML, advice::html(&found)))),
        _ => Err(query_problem("format", "json, csv or html")),
    }
}
