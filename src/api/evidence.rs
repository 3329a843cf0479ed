//! A claim's evidence documents: uploaded by its provider as the raw bytes
//! of one file (the type is read from the content), listed and downloaded
//! by the provider and the regulators deciding the claim.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rocket::data::{self, Data, FromData, ToByteUnit};
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{get, post, Request, State};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::body::fingerprint;
use super::common::path_id;
use super::error::{ApiError, ApiResult};
use super::idempotent::{caller_and_key, Once};
use super::reply::Reply;
use crate::domain::evidence::MAX_SIZE;
use crate::domain::Actor;
use crate::download::Kept;
use crate::service::evidence::{self, AttachDocument, Document};
use crate::App;

/// An uploaded file: its caller, key and raw bytes (at most 10 MiB).
pub struct Upload {
    pub once: Once,
    pub actor: Actor,
    pub content: Vec<u8>,
}

#[rocket::async_trait]
impl<'r> FromData<'r> for Upload {
    type Error = ApiError;

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        let (actor, key) = match caller_and_key(req).await {
            Ok(found) => found,
            Err(e) => return data::Outcome::Error(e),
        };
        let too_large = || {
            let err = ApiError::new(
                Status::PayloadTooLarge,
                "payload_too_large",
                "a document is at most 10 MiB",
            );
            data::Outcome::Error((err.status, err.stash(req)))
        };
        let limit = (MAX_SIZE as u64).bytes();
        let capped = match data.open(limit).into_bytes().await {
            Ok(capped) => capped,
            Err(_) => {
                let err = ApiError::new(
                    Status::BadRequest,
                    "validation_failed",
                    "the body could not be read",
                );
                return data::Outcome::Error((err.status, err.stash(req)));
            }
        };
        if !capped.is_complete() {
            return too_large();
        }
        let content = capped.into_inner();
        let once = Once::new(req, actor.clone(), key, fingerprint(req, &content));
        data::Outcome::Success(Upload {
            once,
            actor,
            content,
        })
    }
}

/// A document a claim carries.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentView {
    pub claim_id: Uuid,
    /// `contract`, `invoice`, `own_share_payment` or `service_report`.
    pub kind: String,
    /// SHA-256 of the bytes, hex; also in the audit event.
    pub sha256: String,
    pub file_name: String,
    /// As read from the content: `application/pdf`, `image/jpeg`,
    /// `image/png` or `application/ofd`.
    pub media_type: String,
    pub size: i64,
    pub uploaded_at: DateTime<Utc>,
}

impl From<&Document> for DocumentView {
    fn from(d: &Document) -> Self {
        DocumentView {
            claim_id: d.claim_id,
            kind: d.kind.clone(),
            sha256: d.sha256.clone(),
            file_name: d.file_name.clone(),
            media_type: d.media_type.clone(),
            size: d.size,
            uploaded_at: d.uploaded_at,
        }
    }
}

fn view(d: &Document) -> DocumentView {
    d.into()
}

/// The claim's provider uploads one document (the raw bytes of the file as
/// the body); another of the same kind replaces it until the claim is
/// decided.
#[utoipa::path(
    post, path = "/api/v1/claims/{id}/documents", tag = "claims",
    params(("id" = Uuid, Path), ("kind" = String, Query, example = "invoice"),
        ("name" = Option<String>, Query, example = "发票.pdf"), ("Idempotency-Key" = String, Header)),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    security(("bearer" = [])),
    responses(
        (status = 201, body = DocumentView),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The claim is decided", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 413, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a PDF, JPEG, PNG or OFD by its content", body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/claims/<id>/documents?<kind>&<name>", data = "<upload>")]
pub async fn upload(
    app: &State<App>,
    id: &str,
    kind: Option<&str>,
    name: Option<&str>,
    upload: Upload,
) -> ApiResult<Reply> {
    let op = AttachDocument {
        claim_id: path_id(id)?,
        kind: kind.unwrap_or_default().to_owned(),
        name: name.map(str::to_owned),
        content: Arc::new(upload.content),
    };
    evidence::prepare(&app.service.db, &upload.actor, &op).await?;
    upload.once.run(app, op, |_| Status::Created, view).await
}

/// The documents of a claim: its provider, the regulators of its region.
#[utoipa::path(
    get, path = "/api/v1/claims/{id}/documents", tag = "claims",
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<DocumentView>),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/claims/<id>/documents")]
pub async fn list(
    app: &State<App>,
    caller: super::auth::Caller,
    id: &str,
) -> ApiResult<Json<Vec<DocumentView>>> {
    let found = evidence::list(app.service.db.reader(), &caller.0, path_id(id)?).await?;
    Ok(Json(found.iter().map(DocumentView::from).collect()))
}

/// One document, byte for byte, with its SHA-256 in `X-Content-SHA256`.
#[utoipa::path(
    get, path = "/api/v1/claims/{id}/documents/{kind}", tag = "claims",
    params(("id" = Uuid, Path), ("kind" = String, Path, example = "invoice")), security(("bearer" = [])),
    responses(
        (status = 200, description = "The file", content_type = "application/octet-stream"),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/claims/<id>/documents/<kind>")]
pub async fn download(
    app: &State<App>,
    caller: super::auth::Caller,
    id: &str,
    kind: &str,
) -> ApiResult<Kept> {
    let (doc, content) = evidence::fetch(&app.service.db, &caller.0, path_id(id)?, kind).await?;
    Ok(Kept::document(
        &doc.kind,
        doc.sha256,
        &doc.media_type,
        content,
    ))
}
