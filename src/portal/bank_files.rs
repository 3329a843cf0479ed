//! The bank's files on the regulator's desk: importing one
//! (`/regulator/settlement/import`, a multipart upload), resolving an
//! exception, and downloading a file byte for byte
//! (`/regulator/bank-files/<id>`).

use rocket::form::{Form, FromForm};
use rocket::fs::TempFile;
use rocket::response::Redirect;
use rocket::{get, post, Either, Route, State};

use super::kit::forms::{self, Problem, Submitted};
use super::kit::frame::{Html, PageError};
use super::kit::guards::RegulatorPage;
use super::kit::lists::parse_id;
use super::settlement::runs_view;
use crate::download::Kept;
use crate::service::settlement;
use crate::service::settlement::exceptions::ResolveException;
use crate::service::settlement::import::{ImportFile, Imported};
use crate::App;

/// The bank-file pages' routes.
pub fn routes() -> Vec<Route> {
    rocket::routes![import, resolve, file, statement]
}

/// A file from the bank.
#[derive(FromForm)]
pub struct Upload<'r> {
    pub csrf: Option<String>,
    pub idem: Option<String>,
    pub format: String,
    pub file: TempFile<'r>,
}

/// Imports a file from the bank.
#[post("/regulator/settlement/import", data = "<form>")]
pub async fn import(
    app: &State<App>,
    signed: RegulatorPage,
    form: Form<Upload<'_>>,
) -> Result<Either<Redirect, Html>, PageError> {
    use rocket::tokio::io::AsyncReadExt;
    let lang = signed.lang;
    let mut content = String::new();
    // At most 8 MiB, as the API takes (the form's limit is an evidence
    // document's).
    let read = match form.file.open().await {
        Ok(opened) => {
            let mut capped = opened.take(8 * 1024 * 1024 + 1);
            capped.read_to_string(&mut content).await.is_ok() && content.len() <= 8 * 1024 * 1024
        }
        Err(_) => false,
    };
    let name = form
        .file
        .raw_name()
        .map(|n| n.dangerous_unsafe_unsanitized_raw().as_str().to_owned())
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| "upload".into());
    if !read {
        let problem = Problem {
            field: "content",
            message: lang.t("run.import_hint").to_owned(),
        };
        return runs_view(app, &signed, None, String::new(), Some(problem))
            .await
            .map(Either::Right);
    }
    let op = ImportFile {
        region: signed.region.clone(),
        format: form.format.clone(),
        name,
        content,
    };
    let (csrf, idem) = (form.csrf.as_deref(), form.idem.as_deref());
    match forms::act(&app.service, &signed, csrf, idem, &[&form.format], op).await? {
        Submitted::Done(Imported { repeated: true, .. }) => Ok(Either::Left(Redirect::to(
            "/regulator/settlement?done=repeated",
        ))),
        Submitted::Done(i) => {
            let s = &i.summary;
            Ok(Either::Left(Redirect::to(format!(
                "/regulator/settlement?done=imported&imported={}-{}-{}-{}",
                s.lines,
                s.settled,
                s.rejected + s.returned,
                s.exceptions
            ))))
        }
        Submitted::Again => Ok(Either::Left(Redirect::to(
            "/regulator/settlement?done=again",
        ))),
        Submitted::Refused(problem) => runs_view(app, &signed, None, String::new(), Some(problem))
            .await
            .map(Either::Right),
    }
}

/// The resolve form.
#[derive(Debug, FromForm)]
pub struct ResolveFields {
    pub csrf: Option<String>,
    pub idem: Option<String>,
    pub resolution: String,
}

/// Resolves an exception with a note.
#[post("/regulator/settlement/exceptions/<id>/resolve", data = "<form>")]
pub async fn resolve(
    app: &State<App>,
    signed: RegulatorPage,
    id: &str,
    form: Form<ResolveFields>,
) -> Result<Either<Redirect, Html>, PageError> {
    let op = ResolveException {
        id: parse_id(&signed, id)?,
        resolution: form.resolution.clone(),
    };
    let (csrf, idem) = (form.csrf.as_deref(), form.idem.as_deref());
    let fields = [id, form.resolution.as_str()];
    match forms::act(&app.service, &signed, csrf, idem, &fields, op).await? {
        Submitted::Done(_) => Ok(Either::Left(Redirect::to(
            "/regulator/settlement?done=exception_resolved",
        ))),
        Submitted::Again => Ok(Either::Left(Redirect::to(
            "/regulator/settlement?done=again",
        ))),
        Submitted::Refused(problem) => runs_view(app, &signed, None, String::new(), Some(problem))
            .await
            .map(Either::Right),
    }
}

/// A bank file of the region, as it went out or came in.
#[get("/regulator/bank-files/<id>")]
pub async fn file(app: &State<App>, signed: RegulatorPage, id: &str) -> Result<Kept, PageError> {
    let lang = signed.lang;
    let id = parse_id(&signed, id)?;
    let f = settlement::file(&app.service.db, signed.actor(), id)
        .await
        .map_err(|e| PageError::from_service(lang, e))?;
    Ok(Kept::new(&f.name, f.sha256, f.content))
}

/// A cross-region settlement statement as a printable page: what
/// `issuer`'s fund paid providers of `provider_region` in `period` (the
/// regulator of either region).
#[get("/regulator/settlement/statement?<issuer>&<provider_region>&<period>")]
pub async fn statement(
    app: &State<App>,
    signed: RegulatorPage,
    issuer: &str,
    provider_region: &str,
    period: &str,
) -> Result<(rocket::http::ContentType, String), PageError> {
    use crate::domain::Region;
    let lang = signed.lang;
    let bad = || PageError::new(lang, rocket::http::Status::NotFound, "error.404");
    let issuer = Region::parse(issuer).map_err(|_| bad())?;
    let provider_region = Region::parse(provider_region).map_err(|_| bad())?;
    let db = &app.service.db;
    let found =
        settlement::statement::statement(db, signed.actor(), &issuer, &provider_region, period)
            .await
            .map_err(|e| PageError::from_service(lang, e))?;
    Ok((
        rocket::http::ContentType::HTML,
        settlement::statement::html(&found),
    ))
}
