//! Programme set-up: budgets and admissions of a region, and its policy.

use chrono::NaiveDate;
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{get, post, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::confirmations::{decided_status, Awaiting, DecidedView};
use super::idempotent::Idempotent;
use super::reply::Reply;
use super::views::{AdmissionView, BudgetView};
use crate::api::auth::{can, Caller, May};
use crate::api::error::{ApiError, ApiResult};
use crate::domain::programme::parse_year;
use crate::domain::{Amount, Money, Region};
use crate::rules::policy::SettlementCycle;
use crate::service::admissions::{Admit, Admitted};
use crate::service::budgets::{self, Appropriate, Budget};
use crate::service::four_eyes::Decided;
use crate::App;

use super::common::path_region;

/// An appropriation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppropriationRequest {
    #[schema(example = 2026)]
    pub year: i32,
    #[schema(value_type = String, example = "5000000.00")]
    pub amount: Amount,
    /// The district whose fund receives it (`[districts.fund]` of the
    /// region's policy); none: the region's own budget.
    #[serde(default)]
    #[schema(example = "YH")]
    pub fund: Option<String>,
}

/// An admission.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdmissionRequest {
    pub provider_id: Uuid,
    #[schema(example = json!(["testing", "rnd"]))]
    pub categories: Vec<String>,
}

/// Appropriates budget for a fiscal year (repeatable; amounts add up).
#[utoipa::path(
    post, path = "/api/v1/regions/{region}/budgets", tag = "programme",
    params(("region" = String, Path, example = "JX"), ("Idempotency-Key" = String, Header)),
    request_body = AppropriationRequest, security(("bearer" = [])),
    responses(
        (status = 201, body = BudgetView),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_amount`, `validation_failed`", body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/regions/<region>/budgets", data = "<req>")]
pub async fn appropriate(
    app: &State<App>,
    _caller: May<can::ManageProgramme>,
    region: &str,
    req: Idempotent<AppropriationRequest>,
) -> ApiResult<Reply> {
    let op = Appropriate {
        region: path_region(region)?,
        year: req.body.year,
        amount: req.body.amount,
        fund: req.body.fund.clone(),
    };
    req.once
        .run(
            app,
            op,
            |_| Status::Created,
            |b: &Budget| BudgetView::from(b.clone()),
        )
        .await
}

/// A region's budget for a fiscal year.
#[utoipa::path(
    get, path = "/api/v1/regions/{region}/budgets/{year}", tag = "programme",
    params(("region" = String, Path), ("year" = i32, Path, minimum = 2000, maximum = 2100)), security(("bearer" = [])),
    responses(
        (status = 200, body = BudgetView),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/regions/<region>/budgets/<year>")]
pub async fn read_budget(
    app: &State<App>,
    caller: May<can::ManageProgramme>,
    region: &str,
    year: &str,
) -> ApiResult<Json<BudgetView>> {
    let region = path_region(region)?;
    let ctx = app.service.ctx(caller.0);
    budgets::programme_region(&ctx, &ctx.actor, &region)?;
    let year: i32 = year.parse().map_err(|_| ApiError::not_found())?;
    let budget = budgets::read(app.service.db.reader(), &ctx, &region, year).await?;
    Ok(Json(budget.into()))
}

/// Admits a provider (also of another region) for service categories;
/// admitting again for other categories changes the admission — under four
/// eyes (the region's policy: `provider.admit`) it waits for a second
/// person of the regulator (202).
#[utoipa::path(
    post, path = "/api/v1/regions/{region}/admissions", tag = "programme",
    params(("region" = String, Path), ("Idempotency-Key" = String, Header)),
    request_body = AdmissionRequest, security(("bearer" = [])),
    responses(
        (status = 201, description = "Admitted", body = AdmissionView),
        (status = 200, description = "Admitted again for the same categories, or categories replaced (no four eyes)", body = AdmissionView),
        (status = 202, description = "A change of categories waits for a second person (four eyes)", body = Awaiting),
        (status = 403, description = "Not this region's regulator, or an API client changing an admission under four eyes", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such provider", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/regions/<region>/admissions", data = "<req>")]
pub async fn admit(
    app: &State<App>,
    _caller: May<can::ManageProgramme>,
    region: &str,
    req: Idempotent<AdmissionRequest>,
) -> ApiResult<Reply> {
    let op = Admit {
        region: path_region(region)?,
        provider_id: req.body.provider_id,
        categories: req.body.categories,
    };
    let status = |d: &Decided<Admitted>| match d {
        Decided::Done(a) if a.new => Status::Created,
        other => decided_status(other),
    };
    let view = |d: &Decided<Admitted>| DecidedView::of(d, |a| AdmissionView::from(a.clone()));
    req.once.run(app, op, status, view).await
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
    /// Enterprises must declare an S&T SME registration number.
    pub sme_registration_required: bool,
    /// Where a start-up team must be housed (empty: anywhere).
    pub team_housing: Vec<String>,
    pub team_min_core_members: Option<u32>,
    /// A voucher of last year more than this share unused at expiry bars its
    /// company, if the programme has the rule.
    #[schema(example = "0.50")]
    pub idle_voucher_share: Option<String>,
    /// 1 (the region decides) or 2 (first the company's district, then
    /// the region).
    #[schema(example = 2)]
    pub review_levels: u8,
    /// Days an admission and a payment list are published before they
    /// take effect (none: at once).
    #[schema(example = 7)]
    pub notice_days: Option<u32>,
    /// The documents a claim must carry before it is approved.
    #[schema(example = json!(["contract", "invoice", "own_share_payment", "service_report"]))]
    pub claim_documents: Vec<String>,
    /// The districts, cities or counties below the region: where two-level
    /// review sends an application first, and the funds some run.
    #[schema(value_type = Vec<Object>)]
    pub districts: Vec<crate::domain::review::District>,
    pub source: Option<String>,
    /// Where each figure comes from, by key (`illustrative…`: no public
    /// source); keys not listed take `source`.
    pub sources: std::collections::BTreeMap<String, String>,
}

/// The policy in force for a region: for the current fiscal year, or `?year=`.
#[utoipa::path(
    get, path = "/api/v1/regions/{region}/policy", tag = "programme",
    params(("region" = String, Path, example = "SH"), ("year" = Option<i32>, Query, minimum = 2000, maximum = 2100)), security(("bearer" = [])),
    responses(
        (status = 200, body = PolicyView),
        (status = 404, description = "Not an issuing region", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "No policy for that year", body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/regions/<region>/policy?<year>")]
pub async fn policy(
    app: &State<App>,
    caller: Caller,
    region: &str,
    year: Option<&str>,
) -> ApiResult<Json<PolicyView>> {
    let ctx = app.service.ctx(caller.0);
    let region = path_region(region)?;
    let rules = ctx.rules_for(&region)?;
    let year = match year {
        None => ctx.fiscal_year(),
        Some(text) => parse_year(text.parse().unwrap_or(i32::MIN))?,
    };
    let v = rules.version(year)?;
    let policy = rules.policy();
    let deadlines = v.deadlines(year);
    let codes = |list: &[Region]| list.iter().map(Region::to_string).collect();
    Ok(Json(PolicyView {
        region: region.to_string(),
        name: policy.name.clone(),
        rules: policy.rules.to_string(),
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
        sme_registration_required: v.sme_registration_required,
        team_housing: v.team_housing.iter().map(|h| h.to_string()).collect(),
        team_min_core_members: v.team_min_core_members,
        idle_voucher_share: v.idle_voucher_share.map(|s| s.to_string()),
        review_levels: v.review_levels,
        notice_days: v.notice_days,
        claim_documents: v.claim_documents.iter().map(|d| d.to_string()).collect(),
        districts: policy.districts.clone(),
        source: v.source.clone(),
        sources: v.sources.clone(),
    }))
}
