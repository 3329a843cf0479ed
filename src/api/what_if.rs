//! Policy what-if: `POST /api/v1/regions/{region}/policy/what-if`.

use chrono::{DateTime, NaiveDate, Utc};
use rocket::http::Status;
use rocket::{post, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::common::path_region;
use super::idempotent::Idempotent;
use super::reply::Reply;
use crate::api::error::{ApiError, ApiResult, FieldProblem};
use crate::domain::access::{self, Action};
use crate::domain::programme::parse_year;
use crate::domain::Money;
use crate::rules::policy::{SettlementCycle, VersionFile};
use crate::rules::what_if::Kind;
use crate::service::what_if as replay;
use crate::App;

/// The most differences an answer lists (all are counted).
pub const MOST_LISTED: usize = 1000;

/// A draft policy version and the fiscal year to replay under it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WhatIfRequest {
    #[schema(example = 2026)]
    pub year: i32,
    pub draft: DraftVersion,
}

/// A draft version: the same keys as a version in the region's policy file
/// (docs/rules.md).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftVersion {
    #[schema(example = "2027-01-01")]
    pub effective_from: String,
    #[serde(default)]
    pub effective_to: Option<String>,
    #[schema(example = "200000.00")]
    pub enterprise_cap: String,
    #[schema(example = "50000.00")]
    pub team_cap: String,
    /// A share between 0 and 1.
    #[schema(example = "0.50")]
    pub contract_share: String,
    #[schema(example = json!(["testing", "rnd"]))]
    pub categories: Vec<String>,
    #[schema(example = json!(["JX"]))]
    pub applicant_regions: Vec<String>,
    #[schema(example = json!(["JX", "ZJ", "SH"]))]
    pub admits_provider_regions: Vec<String>,
    /// `MM-DD` of the fiscal year.
    #[schema(example = "12-31")]
    pub use_deadline: String,
    /// `MM-DD` of the next year.
    #[schema(example = "03-31")]
    pub claim_deadline: String,
    #[schema(value_type = String, example = "monthly")]
    pub settlement_cycle: SettlementCycle,
    #[serde(default)]
    #[schema(example = "0.30")]
    pub cross_region_budget_share: Option<String>,
    /// Enterprises must declare an S&T SME registration number.
    #[serde(default)]
    pub sme_registration_required: bool,
    /// Where a start-up team must be housed (empty: anywhere).
    #[serde(default)]
    #[schema(example = json!(["incubator", "university_science_park", "maker_space"]))]
    pub team_housing: Vec<String>,
    #[serde(default)]
    #[schema(example = 3)]
    pub team_min_core_members: Option<u32>,
    /// A voucher of last year more than this share unused at expiry bars
    /// its company.
    #[serde(default)]
    #[schema(example = "0.50")]
    pub idle_voucher_share: Option<String>,
    /// 1 or 2 levels of review of an application.
    #[serde(default)]
    #[schema(example = 2)]
    pub review_levels: Option<u8>,
    /// Days of public notice before an admission or a payment list takes
    /// effect.
    #[serde(default)]
    #[schema(example = 7)]
    pub notice_days: Option<u32>,
    /// The documents a claim must carry before it is approved (claims
    /// are not replayed).
    #[serde(default)]
    #[schema(example = json!(["contract", "invoice", "own_share_payment", "service_report"]))]
    pub claim_documents: Vec<String>,
    #[serde(default)]
    pub source: Option<String>,
    /// Key → source of its figure, or `"illustrative"`.
    #[serde(default)]
    pub sources: std::collections::BTreeMap<String, String>,
}

impl From<DraftVersion> for VersionFile {
    fn from(d: DraftVersion) -> Self {
        VersionFile {
            effective_from: d.effective_from,
            effective_to: d.effective_to,
            enterprise_cap: d.enterprise_cap,
            team_cap: d.team_cap,
            contract_share: d.contract_share,
            categories: d.categories,
            applicant_regions: d.applicant_regions,
            admits_provider_regions: d.admits_provider_regions,
            use_deadline: d.use_deadline,
            claim_deadline: d.claim_deadline,
            settlement_cycle: d.settlement_cycle,
            cross_region_budget_share: d.cross_region_budget_share,
            sme_registration_required: d.sme_registration_required,
            team_housing: d.team_housing,
            team_min_core_members: d.team_min_core_members,
            idle_voucher_share: d.idle_voucher_share,
            review_levels: d.review_levels,
            notice_days: d.notice_days,
            claim_documents: d.claim_documents,
            source: d.source,
            sources: d.sources,
        }
    }
}

/// What the draft would have changed in the year.
#[derive(Debug, Serialize, ToSchema)]
pub struct WhatIfView {
    pub region: String,
    pub year: i32,
    /// `effective_from` of the version that was in force.
    pub policy_in_force: NaiveDate,
    /// Applications, approvals and holds replayed.
    pub replayed: Replayed,
    pub applications_refused: u64,
    pub applications_reduced: u64,
    /// By how much approvals would have been lower in all.
    #[schema(value_type = String)]
    pub applications_reduced_by: Money,
    pub holds_refused: u64,
    #[schema(value_type = String)]
    pub holds_refused_amount: Money,
    pub companies_affected: u64,
    pub budget: BudgetEffect,
    pub by_rule: Vec<RuleEffect>,
    /// Every difference counted; at most 1000 listed, in the order they happened.
    pub differences_total: u64,
    pub differences: Vec<DifferenceView>,
}

/// How many of each were replayed.
#[derive(Debug, Serialize, ToSchema)]
pub struct Replayed {
    pub applications: u64,
    pub approvals: u64,
    pub holds: u64,
}

/// The year's budget, as it went and under the draft.
#[derive(Debug, Serialize, ToSchema)]
pub struct BudgetEffect {
    #[schema(value_type = String)]
    pub issued_actual: Money,
    #[schema(value_type = String)]
    pub issued_draft: Money,
    /// Issued under the draft minus issued (negative: budget left unissued).
    #[schema(value_type = String)]
    pub issued_change: Money,
    #[schema(value_type = String)]
    pub held_actual: Money,
    #[schema(value_type = String)]
    pub held_draft: Money,
}

/// The differences one rule of the draft made.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleEffect {
    /// The policy key (`enterprise_cap`, `contract_share`, …), or
    /// `voucher_balance` for holds the draft's smaller vouchers cannot pay.
    pub rule: String,
    pub applications_refused: u64,
    pub applications_reduced: u64,
    #[schema(value_type = String)]
    pub applications_amount: Money,
    pub holds_refused: u64,
    #[schema(value_type = String)]
    pub holds_amount: Money,
}

/// One application or hold that would have gone differently.
#[derive(Debug, Serialize, ToSchema)]
pub struct DifferenceView {
    /// `application` or `hold`.
    pub kind: &'static str,
    /// The application's or redemption's id.
    pub id: Uuid,
    pub company_id: Uuid,
    pub rule: String,
    /// Approved or held as it happened.
    #[schema(value_type = String)]
    pub actual: Money,
    /// What the draft allows ("0.00": refused).
    #[schema(value_type = String)]
    pub draft: Money,
    pub at: DateTime<Utc>,
}

impl WhatIfView {
    /// The answer for a replay: its summary, field by field, and the first
    /// [`MOST_LISTED`] differences.
    pub fn of(found: &replay::WhatIf) -> Self {
        let s = found.summary();
        WhatIfView {
            region: s.region.to_string(),
            year: s.year,
            policy_in_force: s.policy_in_force,
            replayed: Replayed {
                applications: s.replayed.applications,
                approvals: s.replayed.approvals,
                holds: s.replayed.holds,
            },
            applications_refused: s.applications_refused,
            applications_reduced: s.applications_reduced,
            applications_reduced_by: s.applications_reduced_by,
            holds_refused: s.holds_refused,
            holds_refused_amount: s.holds_refused_amount,
            companies_affected: s.companies_affected,
            budget: BudgetEffect {
                issued_actual: s.budget.issued_actual,
                issued_draft: s.budget.issued_draft,
                issued_change: s.budget.issued_change,
                held_actual: s.budget.held_actual,
                held_draft: s.budget.held_draft,
            },
            by_rule: s
                .by_rule
                .into_iter()
                .map(|r| RuleEffect {
                    rule: r.rule,
                    applications_refused: r.applications_refused,
                    applications_reduced: r.applications_reduced,
                    applications_amount: r.applications_amount,
                    holds_refused: r.holds_refused,
                    holds_amount: r.holds_amount,
                })
                .collect(),
            differences_total: s.differences_total,
            differences: found
                .outcome
                .differences
                .iter()
                .take(MOST_LISTED)
                .map(|d| DifferenceView {
                    kind: match d.kind {
                        Kind::Application => "application",
                        Kind::Hold => "hold",
                    },
                    id: d.id,
                    company_id: d.company,
                    rule: d.rule.to_owned(),
                    actual: d.actual,
                    draft: d.draft,
                    at: d.at,
                })
                .collect(),
        }
    }
}

/// Replays a fiscal year of the region's applications, approvals and holds
/// under a draft policy version, on a read-only snapshot, changing nothing,
/// and answers what would have differed, per rule. The region's regulator
/// only. Like every POST it needs an `Idempotency-Key`: a repeat with the
/// same body gets the first answer again, another body under the same key
/// is refused (422 `idempotency_key_reused`). One replay of a region runs
/// at a time; when four more wait, another is refused (429, `Retry-After`).
#[utoipa::path(
    post, path = "/api/v1/regions/{region}/policy/what-if", tag = "programme",
    params(("region" = String, Path, example = "JX"), ("Idempotency-Key" = String, Header)),
    request_body = WhatIfRequest, security(("bearer" = [])),
    responses(
        (status = 200, body = WhatIfView),
        (status = 403, description = "Not the region's regulator", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not an issuing region", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: the draft's field (`draft.contract_share`, …) or the year; `idempotency_key_reused`", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "`too_many_requests`: too many replays of the region are waiting (`Retry-After`)", body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/regions/<region>/policy/what-if", data = "<req>")]
pub async fn run_what_if(
    app: &State<App>,
    region: &str,
    req: Idempotent<WhatIfRequest>,
) -> ApiResult<Reply> {
    let region = path_region(region)?;
    let actor = req.once.call().actor.clone();
    access::permit_in_region(&actor, Action::ManageProgramme, &region)?;
    let year = parse_year(req.body.year)?;
    let draft = VersionFile::from(req.body.draft)
        .check()
        .map_err(|(key, message)| {
            ApiError::validation(vec![FieldProblem {
                field: format!("draft.{key}"),
                message,
            }])
        })?;
    let found = replay::run(&app.service, &actor, &region, year, &draft).await?;
    let kept = replay::Answered(found);
    req.once
        .run(app, kept, |_| Status::Ok, WhatIfView::of)
        .await
}
