//! A claim's evidence documents on the portal: the provider uploads the
//! contract, the invoice, the proof of the company's own share and the
//! service report while the claim waits; the provider and the regulator
//! deciding it download them.

use std::sync::Arc;

use askama::Template;
use rocket::form::{Form, FromForm};
use rocket::fs::TempFile;
use rocket::http::Status;
use rocket::response::Redirect;
use rocket::{get, post, Either, Route, State};

use super::kit::forms::{self, problem_on, Problem, Submitted};
use super::kit::frame::{Frame, Html, PageError};
use super::kit::guards::{ProviderPage, Signed};
use super::kit::lists::{notice, parse_id};
use crate::domain::evidence::{DocumentKind, MAX_SIZE};
use crate::domain::ClaimStatus;
use crate::download::Kept;
use crate::service::claims::{self, Claim};
use crate::service::evidence::{self, AttachDocument, Document};
use crate::App;

/// The evidence pages' routes.
pub fn routes() -> Vec<Route> {
    rocket::routes![documents_page, attach, download]
}

/// The text key of a document's kind.
pub fn kind_key(kind: &DocumentKind) -> &'static str {
    match kind {
        DocumentKind::Contract => "evidence.contract",
        DocumentKind::Invoice => "evidence.invoice",
        DocumentKind::OwnSharePayment => "evidence.own_share_payment",
        DocumentKind::ServiceReport => "evidence.service_report",
    }
}

#[derive(Template)]
#[template(path = "provider_documents.html", config = "src/portal/askama.toml")]
pub struct DocumentsPage {
    pub f: Frame,
    pub notice: Option<&'static str>,
    pub claim: Claim,
    /// Each kind with its document, if uploaded.
    pub kinds: Vec<(DocumentKind, Option<Document>)>,
    /// The claim waits for its decision: documents may still change.
    pub open: bool,
    pub idem: String,
    pub problem: Option<Problem>,
    /// The kind the form had chosen (kept after a refusal).
    pub chosen: String,
}

impl DocumentsPage {
    fn error(&self, field: &str) -> Option<&str> {
        problem_on(&self.problem, field)
    }
    fn kind_key(&self, kind: &DocumentKind) -> &'static str {
        kind_key(kind)
    }
    /// A file's type as people name it: `application/pdf` is "PDF".
    fn file_type(&self, media_type: &str) -> String {
        let subtype = media_type.rsplit('/').next().unwrap_or(media_type);
        let subtype = subtype.trim_start_matches("x-").trim_start_matches("vnd.");
        subtype.to_uppercase()
    }
}

async fn page(
    app: &App,
    signed: &ProviderPage,
    id: &str,
    done: Option<&str>,
    refused: Option<(Problem, String)>,
) -> Result<Html, PageError> {
    let (problem, chosen) = match refused {
        Some((problem, kind)) => (Some(problem), kind),
        None => (None, String::new()),
    };
    let lang = signed.lang;
    let claim_id = parse_id(signed, id)?;
    let db = app.service.db.reader();
    let err = |e| PageError::from_service(lang, e);
    let claim = claims::find(db, signed.actor(), claim_id)
        .await
        .map_err(err)?;
    let documents = evidence::list(db, signed.actor(), claim_id)
        .await
        .map_err(err)?;
    let kinds = DocumentKind::ALL
        .iter()
        .map(|k| {
            let found = documents.iter().find(|d| d.kind == k.as_str()).cloned();
            (*k, found)
        })
        .collect();
    let status = match problem {
        Some(_) => Status::UnprocessableEntity,
        None => Status::Ok,
    };
    Html::with_status(
        status,
        &DocumentsPage {
            f: signed.frame("evidence.title"),
            notice: notice(lang, done),
            open: claim.status == ClaimStatus::Submitted,
            claim,
            kinds,
            idem: forms::new_key(),
            problem,
            chosen,
        },
    )
}

/// A claim's documents and, while it waits, the upload form.
#[get("/provider/claims/<id>/documents?<done>")]
pub async fn documents_page(
    app: &State<App>,
    signed: ProviderPage,
    id: &str,
    done: Option<&str>,
) -> Result<Html, PageError> {
    page(app, &signed, id, done, None).await
}

/// One uploaded file and its kind.
#[derive(FromForm)]
pub struct Upload<'r> {
    pub csrf: Option<String>,
    pub idem: Option<String>,
    pub kind: String,
    pub file: TempFile<'r>,
}

/// Attaches a document to the claim.
#[post("/provider/claims/<id>/documents", data = "<form>")]
pub async fn attach(
    app: &State<App>,
    signed: ProviderPage,
    id: &str,
    form: Form<Upload<'_>>,
) -> Result<Either<Redirect, Html>, PageError> {
    use rocket::tokio::io::AsyncReadExt;
    let claim_id = parse_id(&signed, id)?;
    let mut content = Vec::new();
    let read = match form.file.open().await {
        Ok(opened) => opened
            .take(MAX_SIZE as u64 + 1)
            .read_to_end(&mut content)
            .await
            .is_ok(),
        Err(_) => false,
    };
    if !read || content.is_empty() {
        signed.check_csrf(form.csrf.as_deref())?;
        let problem = Problem {
            field: "content",
            message: signed.lang.t("evidence.choose").to_owned(),
        };
        return page(app, &signed, id, None, Some((problem, form.kind.clone())))
            .await
            .map(Either::Right);
    }
    let name = form
        .file
        .raw_name()
        .map(|n| n.dangerous_unsafe_unsanitized_raw().as_str().to_owned());
    let op = AttachDocument {
        claim_id,
        kind: form.kind.clone(),
        name,
        content: Arc::new(content),
    };
    let sha256 = evidence::sha256_hex(&op.content);
    evidence::prepare(&app.service.db, signed.actor(), &op)
        .await
        .map_err(|e| PageError::from_service(signed.lang, e))?;
    let (csrf, idem) = (form.csrf.as_deref(), form.idem.as_deref());
    let kind = form.kind.clone();
    let fields = [form.kind.as_str(), &sha256];
    let back = format!("/provider/claims/{claim_id}/documents");
    match forms::act(&app.service, &signed, csrf, idem, &fields, op).await? {
        Submitted::Done(_) => Ok(Either::Left(Redirect::to(format!("{back}?done=attached")))),
        Submitted::Again => Ok(Either::Left(Redirect::to(format!("{back}?done=again")))),
        Submitted::Refused(problem) => page(app, &signed, id, None, Some((problem, kind)))
            .await
            .map(Either::Right),
    }
}

/// A document, for its claim's provider or the regulators of its region.
#[get("/claims/<id>/documents/<kind>")]
pub async fn download(
    app: &State<App>,
    signed: Signed,
    id: &str,
    kind: &str,
) -> Result<Kept, PageError> {
    let claim = parse_id(&signed, id)?;
    let (doc, content) = evidence::fetch(&app.service.db, &signed.person.actor, claim, kind)
        .await
        .map_err(|e| PageError::from_service(signed.lang, e))?;
    Ok(Kept::document(
        &doc.kind,
        doc.sha256,
        &doc.media_type,
        content,
    ))
}
