//! Bank files: `GET /api/v1/bank-files/{id}` (a file as it went out or
//! came in), `POST /api/v1/regions/{region}/bank-files` (the bank's answer:
//! pain.002, camt.053, camt.054 or a CSV statement), and the exception
//! queue (`GET /api/v1/regions/{region}/settlement-exceptions`,
//! `POST /api/v1/settlement-exceptions/{id}/resolve`).

use chrono::{DateTime, Utc};
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{get, post, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::auth::{can, Caller, May};
use super::common::path_region;
use super::common::{path_id, query_problem};
use super::error::ApiResult;
use super::idempotent::Idempotent;
use super::reply::Reply;
use super::settlement::BankFileView;
use crate::domain::Money;
use crate::download::Kept;
use crate::service::settlement;
use crate::service::settlement::exceptions::{self as queue, Exception, ResolveException};
use crate::service::settlement::import::{ImportFile, Imported, Summary};
use crate::App;

/// A file from the bank.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BankFileRequest {
    /// `pain.002`, `camt.053`, `camt.054` or `statement.csv`.
    #[schema(example = "camt.053")]
    pub format: String,
    /// The file's name as the bank sent it.
    #[schema(example = "JX-2026-11-statement.xml")]
    pub name: String,
    /// The file's text (UTF-8), at most 8 MiB.
    pub content: String,
}

/// What importing a file did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportSummaryView {
    pub lines: u64,
    pub accepted: u64,
    pub settled: u64,
    pub rejected: u64,
    pub returned: u64,
    pub pending: u64,
    /// Lines that went to the exception queue.
    pub exceptions: u64,
    pub runs: Vec<Uuid>,
}

impl From<&Summary> for ImportSummaryView {
    fn from(s: &Summary) -> Self {
        ImportSummaryView {
            lines: s.lines,
            accepted: s.accepted,
            settled: s.settled,
            rejected: s.rejected,
            returned: s.returned,
            pending: s.pending,
            exceptions: s.exceptions,
            runs: s.runs.clone(),
        }
    }
}

/// A file imported.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportView {
    pub file: BankFileView,
    pub summary: ImportSummaryView,
    /// These bytes were imported before: nothing changed.
    pub repeated: bool,
}

fn import_view(i: &Imported) -> ImportView {
    ImportView {
        file: (&i.file).into(),
        summary: (&i.summary).into(),
        repeated: i.repeated,
    }
}

/// The region's regulator imports a file from the bank: each line is
/// matched to a payment (EndToEndId, else amount and account) and applied;
/// what cannot be goes to the exception queue. The same bytes again
/// change nothing (200, `repeated`).
#[utoipa::path(
    post, path = "/api/v1/regions/{region}/bank-files", tag = "settlement",
    params(("region" = String, Path, example = "JX"), ("Idempotency-Key" = String, Header)),
    request_body = BankFileRequest, security(("bearer" = [])),
    responses(
        (status = 201, description = "Imported", body = ImportView),
        (status = 200, description = "Imported before: nothing changed", body = ImportView),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Over 8 MiB", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: the format, or the file (the line or element named)", body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/regions/<region>/bank-files", data = "<req>")]
pub async fn import(
    app: &State<App>,
    _caller: May<can::DecideClaim>,
    region: &str,
    req: Idempotent<BankFileRequest>,
) -> ApiResult<Reply> {
    let b = req.body;
    let op = ImportFile {
        region: path_region(region)?,
        format: b.format,
        name: b.name,
        content: b.content,
    };
    let status = |i: &Imported| {
        if i.repeated {
            Status::Ok
        } else {
            Status::Created
        }
    };
    req.once.run(app, op, status, import_view).await
}

/// A line of a bank file that could not be applied.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExceptionView {
    pub id: Uuid,
    pub region: String,
    pub file_id: Uuid,
    /// Where in the file (a line, or an element with its line).
    pub locator: String,
    /// `unknown`, `wrong_amount`, `duplicate` or `wrong_state`.
    pub kind: String,
    pub end_to_end_id: Option<String>,
    pub item_id: Option<Uuid>,
    #[schema(value_type = Option<String>, example = "5000.00")]
    pub amount: Option<Money>,
    pub detail: String,
    /// `open` or `resolved`.
    pub status: String,
    pub resolution: Option<String>,
    pub resolved_by: Option<Uuid>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<&Exception> for ExceptionView {
    fn from(e: &Exception) -> Self {
        ExceptionView {
            id: e.id,
            region: e.region.to_string(),
            file_id: e.file_id,
            locator: e.locator.clone(),
            kind: e.kind.clone(),
            end_to_end_id: e.end_to_end_id.clone(),
            item_id: e.item_id,
            amount: e.amount,
            detail: e.detail.clone(),
            status: e.status.clone(),
            resolution: e.resolution.clone(),
            resolved_by: e.resolved_by,
            resolved_at: e.resolved_at,
            created_at: e.created_at,
        }
    }
}

/// The region's exceptions, newest first: open ones (default) or all.
#[utoipa::path(
    get, path = "/api/v1/regions/{region}/settlement-exceptions", tag = "settlement",
    params(("region" = String, Path, example = "JX"), ("status" = Option<String>, Query, description = "open (default) or all")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<ExceptionView>),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/regions/<region>/settlement-exceptions?<status>")]
pub async fn exceptions(
    app: &State<App>,
    caller: May<can::DecideClaim>,
    region: &str,
    status: Option<&str>,
) -> ApiResult<Json<Vec<ExceptionView>>> {
    let open_only = match status.unwrap_or("open") {
        "open" => true,
        "all" => false,
        _ => return Err(query_problem("status", "open or all")),
    };
    let region = path_region(region)?;
    let found = queue::list(&app.service.db, &caller.0, &region, open_only).await?;
    Ok(Json(found.iter().map(ExceptionView::from).collect()))
}

/// A resolution of an exception.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolutionRequest {
    /// What was found and done (e.g. "the bank corrected it in statement 12").
    pub resolution: String,
}

/// A regulator of the region resolves an open exception with a note.
#[utoipa::path(
    post, path = "/api/v1/settlement-exceptions/{id}/resolve", tag = "settlement",
    params(("id" = Uuid, Path), ("Idempotency-Key" = String, Header)),
    request_body = ResolutionRequest, security(("bearer" = [])),
    responses(
        (status = 200, body = ExceptionView),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid_state`: resolved already", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/settlement-exceptions/<id>/resolve", data = "<req>")]
pub async fn resolve(
    app: &State<App>,
    _caller: May<can::DecideClaim>,
    id: &str,
    req: Idempotent<ResolutionRequest>,
) -> ApiResult<Reply> {
    let op = ResolveException {
        id: path_id(id)?,
        resolution: req.body.resolution,
    };
    req.once
        .run(
            app,
            op,
            |_| Status::Ok,
            |e: &Exception| ExceptionView::from(e),
        )
        .await
}

/// A bank file of the caller's region, byte for byte as it went to the
/// bank or came from it; `X-Content-SHA256` is the hash the audit trail
/// recorded.
#[utoipa::path(
    get, path = "/api/v1/bank-files/{id}", tag = "settlement",
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses(
        (status = 200, description = "The file (XML or CSV)", body = String, content_type = "application/octet-stream"),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/bank-files/<id>")]
pub async fn file(app: &State<App>, caller: Caller, id: &str) -> ApiResult<Kept> {
    let f = settlement::file(&app.service.db, &caller.0, path_id(id)?).await?;
    Ok(Kept::new(&f.name, f.sha256, f.content))
}
