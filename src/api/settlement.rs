//! Settlement runs: `POST /api/v1/regions/{region}/settlement-runs
//! {period}` (a draft), `GET` of the same (the region's runs),
//! `GET /api/v1/settlement-runs/{id}`, the steps `…/freeze`, `…/approve`
//! (another person), `…/export`, `…/cancel {reason}`, `…/reconcile` and
//! `…/close`. The bank files are in [`super::bank_files`].

use chrono::{DateTime, Utc};
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{get, post, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::applications::ReasonRequest;
use super::auth::{can, Caller, May};
use super::common::path_id;
use super::common::path_region;
use super::error::ApiResult;
use super::idempotent::Idempotent;
use super::redemptions::EmptyRequest;
use super::reply::Reply;
use crate::domain::Money;
use crate::service::settlement::exceptions::{CloseRun, ReconcileRun};
use crate::service::settlement::export::ExportRun;
use crate::service::settlement::runs::{ApproveRun, CancelRun, CreateRun, FreezeRun};
use crate::service::settlement::{self, FileRef, HeldBack, Item, Planned, Run};
use crate::App;

/// A run to start.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    /// A period of the region's settlement cycle that has ended: `2026-11`
    /// (monthly), `2026-Q4` (quarterly) or `2026` (yearly).
    #[schema(example = "2026-11")]
    pub period: String,
}

/// One payment of a run.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunItemView {
    /// Also the payment's EndToEndId in the bank files (as 32 hex digits).
    pub id: Uuid,
    pub provider_id: Uuid,
    pub provider_name: String,
    pub payee_account_id: Uuid,
    /// The account as it was when the run was frozen.
    pub account_name: String,
    pub account_number: String,
    pub bank_name: String,
    pub cnaps_code: String,
    pub claim_count: i64,
    #[schema(value_type = String, example = "1200.00")]
    pub amount: Money,
    /// `included`, `sent`, `settled`, `rejected`, `returned` or `cancelled`.
    pub status: String,
    pub reason: Option<String>,
    pub bank_reference: Option<String>,
    pub settled_at: Option<DateTime<Utc>>,
}

impl From<&Item> for RunItemView {
    fn from(i: &Item) -> Self {
        RunItemView {
            id: i.id,
            provider_id: i.provider_id,
            provider_name: i.provider_name.clone(),
            payee_account_id: i.payee_account_id,
            account_name: i.account_name.clone(),
            account_number: i.account_number.clone(),
            bank_name: i.bank_name.clone(),
            cnaps_code: i.cnaps_code.clone(),
            claim_count: i.claim_count,
            amount: i.amount,
            status: i.status.to_string(),
            reason: i.reason.clone(),
            bank_reference: i.bank_reference.clone(),
            settled_at: i.settled_at,
        }
    }
}

/// A provider with payable claims: what freezing would pay it, or why it
/// was held back.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunProviderView {
    pub provider_id: Uuid,
    pub provider_name: String,
    pub claim_count: i64,
    #[schema(value_type = String, example = "1200.00")]
    pub amount: Money,
    /// Preview: the approved account it would be paid to (none: it would
    /// be held back).
    pub payee_account_id: Option<Uuid>,
    /// Held back: why.
    pub reason: Option<String>,
}

impl From<&Planned> for RunProviderView {
    fn from(p: &Planned) -> Self {
        RunProviderView {
            provider_id: p.provider_id,
            provider_name: p.provider_name.clone(),
            claim_count: p.claim_count,
            amount: p.amount,
            payee_account_id: p.payee_account_id,
            reason: None,
        }
    }
}

impl From<&HeldBack> for RunProviderView {
    fn from(h: &HeldBack) -> Self {
        RunProviderView {
            provider_id: h.provider_id,
            provider_name: h.provider_name.clone(),
            claim_count: h.claim_count,
            amount: h.amount,
            payee_account_id: None,
            reason: Some(h.reason.clone()),
        }
    }
}

/// A bank file of a run.
#[derive(Debug, Serialize, ToSchema)]
pub struct BankFileView {
    pub id: Uuid,
    /// `out` (to the bank) or `in` (from it).
    pub direction: String,
    #[schema(example = "pain.001.001.09")]
    pub format: String,
    pub name: String,
    /// The SHA-256 of the file's bytes, as the audit trail records it.
    pub sha256: String,
    pub size: i64,
    pub created_at: DateTime<Utc>,
}

impl From<&FileRef> for BankFileView {
    fn from(f: &FileRef) -> Self {
        BankFileView {
            id: f.id,
            direction: f.direction.clone(),
            format: f.format.clone(),
            name: f.name.clone(),
            sha256: f.sha256.clone(),
            size: f.size,
            created_at: f.created_at,
        }
    }
}

/// A budget line (fiscal year) of a run.
#[derive(Debug, Serialize, ToSchema)]
pub struct BudgetLineView {
    pub year: i32,
    #[schema(value_type = String, example = "36000.00")]
    pub amount: Money,
}

/// A settlement run, with its control totals.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunView {
    pub id: Uuid,
    #[schema(example = "JX")]
    pub region: String,
    #[schema(example = "2026-11")]
    pub period: String,
    /// Claims approved before this moment are paid by the run.
    pub cut_off: DateTime<Utc>,
    /// `draft`, `frozen`, `approved`, `exported`, `accepted`, `settled`,
    /// `partly_settled`, `reconciled`, `closed` or `cancelled`.
    pub status: String,
    pub item_count: i64,
    pub claim_count: i64,
    /// The control sum.
    #[schema(value_type = String, example = "36000.00")]
    pub total: Money,
    pub items: Vec<RunItemView>,
    pub held_back: Vec<RunProviderView>,
    /// A draft's preview: what freezing it now would pay.
    pub preview: Option<Vec<RunProviderView>>,
    pub files: Vec<BankFileView>,
    /// What the claims the run pays come to per budget line (fiscal year).
    pub budget_lines: Vec<BudgetLineView>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub frozen_by: Option<Uuid>,
    pub frozen_at: Option<DateTime<Utc>>,
    pub approved_by: Option<Uuid>,
    pub approved_at: Option<DateTime<Utc>>,
    pub exported_by: Option<Uuid>,
    pub exported_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// Why it was cancelled.
    pub reason: Option<String>,
}

impl From<&Run> for RunView {
    fn from(r: &Run) -> Self {
        RunView {
            id: r.id,
            region: r.region.to_string(),
            period: r.period.clone(),
            cut_off: r.cut_off,
            status: r.status.to_string(),
            item_count: r.item_count,
            claim_count: r.claim_count,
            total: r.total,
            items: r.items.iter().map(RunItemView::from).collect(),
            held_back: r.held_back.iter().map(RunProviderView::from).collect(),
            preview: r
                .preview
                .as_ref()
                .map(|p| p.iter().map(RunProviderView::from).collect()),
            files: r.files.iter().map(BankFileView::from).collect(),
            budget_lines: r
                .budget_lines
                .iter()
                .map(|l| BudgetLineView {
                    year: l.year,
                    amount: l.amount,
                })
                .collect(),
            created_by: r.created_by,
            created_at: r.created_at,
            frozen_by: r.frozen_by,
            frozen_at: r.frozen_at,
            approved_by: r.approved_by,
            approved_at: r.approved_at,
            exported_by: r.exported_by,
            exported_at: r.exported_at,
            closed_at: r.closed_at,
            reason: r.reason.clone(),
        }
    }
}

fn view(r: &Run) -> RunView {
    r.into()
}

/// The region's regulator starts a run for an ended period: a draft with
/// a preview of what it would pay.
#[utoipa::path(
    post, path = "/api/v1/regions/{region}/settlement-runs", tag = "settlement",
    params(("region" = String, Path, example = "JX"), ("Idempotency-Key" = String, Header)),
    request_body = RunRequest, security(("bearer" = [])),
    responses(
        (status = 201, description = "A draft", body = RunView),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`conflict`: the period has a run", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: not a period of the region's cycle, or not ended", body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/regions/<region>/settlement-runs", data = "<req>")]
pub async fn create(
    app: &State<App>,
    _caller: May<can::DecideClaim>,
    region: &str,
    req: Idempotent<RunRequest>,
) -> ApiResult<Reply> {
    let op = CreateRun {
        region: path_region(region)?,
        period: req.body.period,
    };
    req.once.run(app, op, |_| Status::Created, view).await
}

/// The region's runs, newest first (without their items).
#[utoipa::path(
    get, path = "/api/v1/regions/{region}/settlement-runs", tag = "settlement",
    params(("region" = String, Path, example = "JX")), security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<RunView>),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/regions/<region>/settlement-runs")]
pub async fn list(
    app: &State<App>,
    caller: May<can::DecideClaim>,
    region: &str,
) -> ApiResult<Json<Vec<RunView>>> {
    let runs = settlement::list(&app.service.db, &caller.0, &path_region(region)?).await?;
    Ok(Json(runs.iter().map(view).collect()))
}

/// A run, with its items, held-back providers and bank files.
#[utoipa::path(
    get, path = "/api/v1/settlement-runs/{id}", tag = "settlement",
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses(
        (status = 200, body = RunView),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/settlement-runs/<id>")]
pub async fn read(app: &State<App>, caller: Caller, id: &str) -> ApiResult<Json<RunView>> {
    let now = app.service.clock.now();
    let run = settlement::find(&app.service.db, &caller.0, path_id(id)?, now).await?;
    Ok(Json(view(&run)))
}

macro_rules! step {
    ($name:ident, $path:literal, $route:literal, $op:ident, $doc:literal, $refused:literal) => {
        #[doc = $doc]
        #[utoipa::path(
            post, path = $path, tag = "settlement",
            params(("id" = Uuid, Path), ("Idempotency-Key" = String, Header)),
            request_body = EmptyRequest, security(("bearer" = [])),
            responses(
                (status = 200, body = RunView),
                (status = 403, description = $refused, body = crate::api::error::Problem, content_type = "application/problem+json"),
                (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
                (status = 409, description = "`invalid_state`", body = crate::api::error::Problem, content_type = "application/problem+json"),
            )
        )]
        #[post($route, data = "<req>")]
        pub async fn $name(
            app: &State<App>,
            _caller: May<can::DecideClaim>,
            id: &str,
            req: Idempotent<EmptyRequest>,
        ) -> ApiResult<Reply> {
            let op = $op { id: path_id(id)? };
            req.once.run(app, op, |_| Status::Ok, view).await
        }
    };
}

step!(
    freeze,
    "/api/v1/settlement-runs/{id}/freeze",
    "/api/v1/settlement-runs/<id>/freeze",
    FreezeRun,
    "A person of the regulator freezes a draft: its claims are locked, one item per provider with an approved account, the control totals fixed.",
    "Not a regulator, or an API client"
);
step!(
    approve,
    "/api/v1/settlement-runs/{id}/approve",
    "/api/v1/settlement-runs/<id>/approve",
    ApproveRun,
    "Another person of the regulator than the one who froze it approves a frozen run (maker-checker).",
    "Not a regulator, an API client, or the person who froze it"
);
step!(
    export,
    "/api/v1/settlement-runs/{id}/export",
    "/api/v1/settlement-runs/<id>/export",
    ExportRun,
    "The regulator exports an approved run: the pain.001.001.09 file and the bulk-payment sheet are made and kept (SHA-256 in the audit trail), the money moves to in transit.",
    "Not a regulator"
);

step!(
    reconcile,
    "/api/v1/settlement-runs/{id}/reconcile",
    "/api/v1/settlement-runs/<id>/reconcile",
    ReconcileRun,
    "The regulator reconciles a run the bank reported on in full (settled or partly settled), once no exception about its payments is open.",
    "Not a regulator"
);
step!(
    close,
    "/api/v1/settlement-runs/{id}/close",
    "/api/v1/settlement-runs/<id>/close",
    CloseRun,
    "The regulator closes a reconciled run.",
    "Not a regulator"
);

/// The regulator cancels a run before it is exported, saying why: its
/// claims are payable again.
#[utoipa::path(
    post, path = "/api/v1/settlement-runs/{id}/cancel", tag = "settlement",
    params(("id" = Uuid, Path), ("Idempotency-Key" = String, Header)),
    request_body = ReasonRequest, security(("bearer" = [])),
    responses(
        (status = 200, body = RunView),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid_state`: exported or cancelled", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/settlement-runs/<id>/cancel", data = "<req>")]
pub async fn cancel(
    app: &State<App>,
    _caller: May<can::DecideClaim>,
    id: &str,
    req: Idempotent<ReasonRequest>,
) -> ApiResult<Reply> {
    let op = CancelRun {
        id: path_id(id)?,
        reason: req.body.reason,
    };
    req.once.run(app, op, |_| Status::Ok, view).await
}
