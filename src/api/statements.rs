//! The cross-region settlement statement: `GET
//! /api/v1/settlement-statements?issuer=JX&provider_region=SH&period=2026-03`
//! (`format=csv` for a sheet, `format=html` for a printable page), for the
//! regulators of both regions and operators.

use chrono::{DateTime, Utc};
use rocket::http::ContentType;
use rocket::{get, State};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::auth::{can, May};
use super::common::query_problem;
use super::error::ApiResult;
use super::settlement::BankFileView;
use crate::domain::{Money, Region};
use crate::service::settlement::statement::{self, Payment, Statement};
use crate::App;

/// A claim a payment pays.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatementClaimView {
    pub id: Uuid,
    pub invoice_no: String,
    #[schema(value_type = String, example = "3000.00")]
    pub amount: Money,
    /// `approved` (at the bank) or `paid`.
    pub status: String,
}

/// One payment to a provider of the other region.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatementPaymentView {
    pub run_id: Uuid,
    pub item_id: Uuid,
    pub provider_id: Uuid,
    pub provider_name: String,
    pub account_number: String,
    pub cnaps_code: String,
    #[schema(value_type = String, example = "5000.00")]
    pub amount: Money,
    /// `sent`, `settled`, `rejected` or `returned`.
    pub status: String,
    pub bank_reference: Option<String>,
    pub reason: Option<String>,
    pub claims: Vec<StatementClaimView>,
}

impl From<&Payment> for StatementPaymentView {
    fn from(p: &Payment) -> Self {
        StatementPaymentView {
            run_id: p.run_id,
            item_id: p.item_id,
            provider_id: p.provider_id,
            provider_name: p.provider_name.clone(),
            account_number: p.account_number.clone(),
            cnaps_code: p.cnaps_code.clone(),
            amount: p.amount,
            status: p.status.to_string(),
            bank_reference: p.bank_reference.clone(),
            reason: p.reason.clone(),
            claims: p
                .claims
                .iter()
                .map(|c| StatementClaimView {
                    id: c.id,
                    invoice_no: c.invoice_no.clone(),
                    amount: c.amount,
                    status: c.status.to_string(),
                })
                .collect(),
        }
    }
}

/// A run of the period and its bank files.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatementRunView {
    pub id: Uuid,
    pub status: String,
    pub files: Vec<BankFileView>,
}

/// The statement.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatementView {
    pub issuer_region: String,
    pub provider_region: String,
    pub period: String,
    pub runs: Vec<StatementRunView>,
    pub payments: Vec<StatementPaymentView>,
    #[schema(value_type = String)]
    pub sent: Money,
    /// Booked, summed from the payments (the issuer's side).
    #[schema(value_type = String)]
    pub settled: Money,
    #[schema(value_type = String)]
    pub in_transit: Money,
    /// Rejected or returned by the bank.
    #[schema(value_type = String)]
    pub sent_back: Money,
    /// The providers' claims these runs paid (the providers' side).
    #[schema(value_type = String)]
    pub claims_paid: Money,
    /// Whether the two sides agree to the fen.
    pub agrees: bool,
    pub generated_at: DateTime<Utc>,
}

fn view(s: &Statement, now: DateTime<Utc>) -> StatementView {
    StatementView {
        issuer_region: s.issuer_region.to_string(),
        provider_region: s.provider_region.to_string(),
        period: s.period.clone(),
        runs: s
            .runs
            .iter()
            .map(|r| StatementRunView {
                id: r.id,
                status: r.status.to_string(),
                files: r.files.iter().map(BankFileView::from).collect(),
            })
            .collect(),
        payments: s.payments.iter().map(StatementPaymentView::from).collect(),
        sent: s.sent,
        settled: s.settled,
        in_transit: s.in_transit,
        sent_back: s.sent_back,
        claims_paid: s.claims_paid,
        agrees: s.agrees,
        generated_at: now,
    }
}

/// The statement as JSON or CSV.
#[derive(rocket::Responder)]
pub enum StatementReply {
    Json(rocket::serde::json::Json<StatementView>),
    Text((ContentType, String)),
}

/// What an issuing region's fund paid providers of another region in a
/// period: the runs and their files' hashes, each payment and the claims
/// it paid, the totals, and whether the issuer's and the providers' sides
/// agree.
#[utoipa::path(
    get, path = "/api/v1/settlement-statements", tag = "settlement",
    params(
        ("issuer" = String, Query, example = "JX"), ("provider_region" = String, Query, example = "SH"),
        ("period" = String, Query, example = "2026-11"), ("format" = Option<String>, Query, description = "json, csv or html (a printable page)"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, body = StatementView),
        (status = 403, description = "Not a regulator of either region, nor an operator", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/settlement-statements?<issuer>&<provider_region>&<period>&<format>")]
pub async fn read(
    app: &State<App>,
    caller: May<can::ReadCrossRegion>,
    issuer: Option<&str>,
    provider_region: Option<&str>,
    period: Option<&str>,
    format: Option<&str>,
) -> ApiResult<StatementReply> {
    let region = |name: &str, value: Option<&str>| {
        Region::parse(value.unwrap_or_default())
            .map_err(|_| query_problem(name, "a region code such as JX"))
    };
    let issuer = region("issuer", issuer)?;
    let provider_region = region("provider_region", provider_region)?;
    let period = period
        .filter(|p| (4..=7).contains(&p.len()))
        .ok_or_else(|| query_problem("period", "a period such as 2026-11, 2026-Q4 or 2026"))?;
    let found = statement::statement(
        &app.service.db,
        &caller.0,
        &issuer,
        &provider_region,
        period,
    )
    .await?;
    match format.unwrap_or("json") {
        "json" => Ok(StatementReply::Json(rocket::serde::json::Json(view(
            &found,
            app.service.clock.now(),
        )))),
        "csv" => Ok(StatementReply::Text((
            ContentType::new("text", "csv").with_params(("charset", "utf-8")),
            statement::csv(&found),
        ))),
        "html" => Ok(StatementReply::Text((
            ContentType::HTML,
            statement::html(&found),
        ))),
        _ => Err(query_problem("format", "json, csv or html")),
    }
}
