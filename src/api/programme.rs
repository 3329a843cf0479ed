//! Programme set-up: budgets and admissions of a region.

use chrono::NaiveDate;
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{get, post, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::body::JsonBody;
use super::common::ctx;
use super::idempotent::{self, IdempotencyKey};
use super::reply::Reply;
use crate::auth::{Caller, RegulatorCaller};
use crate::domain::{Amount, DomainError, Money, Region};
use crate::error::{ApiError, ApiResult};
use crate::rules::policy::SettlementCycle;
use crate::service::programme::{self, Admission, Budget};
use crate::{work, App};

/// An appropriation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppropriationRequest {
    #[schema(example = 2026)]
    pub year: i32,
    #[schema(value_type = String, example = "5000000.00")]
    pub amount: Amount,
}

/// An admission.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdmissionRequest {
    pub provider_id: Uuid,
    #[schema(example = json!(["testing", "rnd"]))]
    pub categories: Vec<String>,
}

/// The region of the path, if the programme knows it (else 404), and the
/// caller must regulate it (else 403).
fn regulated_region(
    regions: &[Region],
    caller: &RegulatorCaller,
    region: &str,
) -> Result<Region, ApiError> {
    let region = Region::parse(region)
        .ok()
        .filter(|r| regions.contains(r))
        .ok_or_else(ApiError::not_found)?;
    caller.require_region(&region)?;
    Ok(region)
}

/// Appropriates budget for a fiscal year (repeatable; amounts add up).
#[utoipa::path(
    post, path = "/api/v1/regions/{region}/budgets", tag = "programme",
    params(("region" = String, Path, example = "JX"), ("Idempotency-Key" = String, Header)),
    request_body = AppropriationRequest, security(("bearer" = [])),
    responses(
        (status = 201, body = Budget),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_amount`, `validation_failed`", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/regions/<region>/budgets", data = "<body>")]
pub async fn appropriate(
    app: &State<App>,
    caller: RegulatorCaller,
    region: &str,
    key: IdempotencyKey,
    body: JsonBody<AppropriationRequest>,
) -> ApiResult<Reply> {
    let region = region.to_owned();
    let regions = app.regions.clone();
    let ctx = ctx(app, caller.0.clone());
    let request = body.value;
    idempotent::run(
        app,
        &ctx.clone(),
        key,
        body.fingerprint,
        work!(|txn| {
            let region = regulated_region(&regions, &caller, &region)?;
            let budget =
                programme::appropriate(txn, &ctx, &region, request.year, request.amount.0).await?;
            Reply::recorded(Status::Created, "budget.appropriate", "budget", &budget)
        }),
    )
    .await
}

/// A region's budget for a fiscal year.
#[utoipa::path(
    get, path = "/api/v1/regions/{region}/budgets/{year}", tag = "programme",
    params(("region" = String, Path), ("year" = i32, Path)), security(("bearer" = [])),
    responses(
        (status = 200, body = Budget),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/regions/<region>/budgets/<year>")]
pub async fn read_budget(
    app: &State<App>,
    caller: RegulatorCaller,
    region: &str,
    year: &str,
) -> ApiResult<Json<Budget>> {
    let region = regulated_region(&app.regions, &caller, region)?;
    let year: i32 = year.parse().map_err(|_| ApiError::not_found())?;
    Ok(Json(programme::read(app.db.reader(), &region, year).await?))
}

/// Admits a provider (also of another region) for service categories;
/// admitting again replaces the categories (200).
#[utoipa::path(
    post, path = "/api/v1/regions/{region}/admissions", tag = "programme",
    params(("region" = String, Path), ("Idempotency-Key" = String, Header)),
    request_body = AdmissionRequest, security(("bearer" = [])),
    responses(
        (status = 201, description = "Admitted", body = Admission),
        (status = 200, description = "Categories replaced", body = Admission),
        (status = 404, description = "No such provider", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/regions/<region>/admissions", data = "<body>")]
pub async fn admit(
    app: &State<App>,
    caller: RegulatorCaller,
    region: &str,
    key: IdempotencyKey,
    body: JsonBody<AdmissionRequest>,
) -> ApiResult<Reply> {
    let region = region.to_owned();
    let regions = app.regions.clone();
    let ctx = ctx(app, caller.0.clone());
    let request = body.value;
    idempotent::run(
        app,
        &ctx.clone(),
        key,
        body.fingerprint,
        work!(|txn| {
            let region = regulated_region(&regions, &caller, &region)?;
            let (admission, new) =
                programme::admit(txn, &ctx, &region, request.provider_id, &request.categories)
                    .await?;
            Reply::recorded(
                if new { Status::Created } else { Status::Ok },
                "provider.admit",
                "admission",
                &admission,
            )
        }),
    )
    .await
}

/// A region's policy in force for a fiscal year.
#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyView {
    pub region: String,
    pub name: String,
    /// The rules module that applies it.
    pub rules: String,
    /// The fiscal year it was chosen for.
    pub year: i32,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
    #[schema(value_type = String, example = "300000.00")]
    pub enterprise_cap: Money,
    #[schema(value_type = String, example = "100000.00")]
    pub team_cap: Money,
    /// The share of a contract a voucher may pay.
    #[schema(example = "0.50")]
    pub contract_share: String,
    pub categories: Vec<String>,
    pub applicant_regions: Vec<String>,
    pub admits_provider_regions: Vec<String>,
    /// The use deadline of a voucher of this year (Asia/Shanghai).
    pub use_until: NaiveDate,
    /// The claim deadline of a voucher of this year (Asia/Shanghai).
    pub claim_until: NaiveDate,
    #[schema(value_type = String, example = "quarterly")]
    pub settlement_cycle: SettlementCycle,
    /// The most of a year's budget that may be spent outside the region, if capped.
    #[schema(example = "0.30")]
    pub cross_region_budget_share: Option<String>,
    pub source: Option<String>,
}

/// The policy in force for a region: for the current fiscal year, or `?year=`.
#[utoipa::path(
    get, path = "/api/v1/regions/{region}/policy", tag = "programme",
    params(("region" = String, Path, example = "SH"), ("year" = Option<i32>, Query)), security(("bearer" = [])),
    responses(
        (status = 200, body = PolicyView),
        (status = 404, description = "Not an issuing region", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "No policy for that year", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/regions/<region>/policy?<year>")]
pub async fn policy(
    app: &State<App>,
    caller: Caller,
    region: &str,
    year: Option<&str>,
) -> ApiResult<Json<PolicyView>> {
    let ctx = ctx(app, caller.0);
    let region = Region::parse(region).map_err(|_| ApiError::not_found())?;
    let rules = ctx.rules_for(&region)?;
    let year = match year {
        None => ctx.fiscal_year(),
        Some(text) => text
            .parse()
            .map_err(|_| ApiError::from(DomainError::field("year", "must be a year")))?,
    };
    let v = rules.version(year)?;
    let policy = rules.policy();
    let deadlines = v.deadlines(year);
    let codes = |list: &[Region]| list.iter().map(Region::to_string).collect();
    Ok(Json(PolicyView {
        region: region.to_string(),
        name: policy.name.clone(),
        rules: policy.rules.clone(),
        year,
        effective_from: v.effective_from,
        effective_to: v.effective_to,
        enterprise_cap: v.enterprise_cap,
        team_cap: v.team_cap,
        contract_share: v.contract_share.to_string(),
        categories: v.categories.clone(),
        applicant_regions: codes(&v.applicant_regions),
        admits_provider_regions: codes(&v.admits_provider_regions),
        use_until: deadlines.use_until,
        claim_until: deadlines.claim_until,
        settlement_cycle: v.settlement_cycle,
        cross_region_budget_share: v.cross_region_budget_share.map(|s| s.to_string()),
        source: v.source.clone(),
    }))
}
