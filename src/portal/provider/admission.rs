//! A provider asks a programme to admit it: one card per programme that
//! admits providers of its region (what it holds, what it may ask for),
//! and its requests with where each stands.

use askama::Template;
use chrono::Datelike;
use rocket::form::{Form, FromForm};
use rocket::http::Status;
use rocket::response::Redirect;
use rocket::{get, post, Either, State};

use crate::domain::clock::shanghai_date;
use crate::domain::review::AdmissionRequestStatus;
use crate::domain::Region;
use crate::portal::kit::forms::{self, Problem, Submitted};
use crate::portal::kit::frame::{Frame, Html, PageError};
use crate::portal::kit::guards::ProviderPage;
use crate::portal::kit::lists::{all_of, notice};
use crate::service::admission_requests::{self, AdmissionRequest, RequestAdmission};
use crate::service::admissions::admitted_categories;
use crate::service::Service;
use crate::App;

/// A programme the provider may ask to be admitted to.
pub struct ProgrammeCard {
    pub region: Region,
    /// The categories it is admitted for.
    pub held: Vec<String>,
    /// The categories it may still ask for.
    pub open: Vec<String>,
    /// Its request waiting for a decision, if any.
    pub pending: Option<AdmissionRequest>,
    pub idem: String,
    /// A refusal of this card's form, and what was typed.
    pub problem: Option<Problem>,
    pub typed: String,
}

#[derive(Template)]
#[template(path = "provider_admission.html", config = "src/portal/askama.toml")]
pub struct AdmissionPage {
    pub f: Frame,
    pub notice: Option<&'static str>,
    pub cards: Vec<ProgrammeCard>,
    pub requests: Vec<AdmissionRequest>,
}

/// A refusal on the card of a region, with the statement typed.
type Refused = (Region, Problem, String);

async fn admission_view(
    service: &Service,
    signed: &ProviderPage,
    done: Option<&str>,
    refused: Option<Refused>,
) -> Result<Html, PageError> {
    let lang = signed.lang;
    let actor = signed.actor();
    let err = |e| PageError::from_service(lang, e);
    let db = service.db.reader();
    let mut requests = all_of(|p| admission_requests::list(db, actor, p))
        .await
        .map_err(err)?;
    requests.reverse();
    let own = actor.region.clone();
    let year = shanghai_date(service.clock.now()).year();
    let mut cards = Vec::new();
    for region in &service.rules.regions() {
        let Some(version) = service.rules.get(region).and_then(|r| r.version(year).ok()) else {
            continue;
        };
        if !own
            .as_ref()
            .is_some_and(|r| version.admits_provider_regions.contains(r))
        {
            continue;
        }
        let held = admitted_categories(db, region, actor.sub)
            .await
            .map_err(err)?
            .unwrap_or_default();
        let open = version
            .categories
            .iter()
            .filter(|c| !held.contains(c))
            .cloned()
            .collect();
        let pending = requests
            .iter()
            .find(|r| &r.region == region && r.status == AdmissionRequestStatus::Pending)
            .cloned();
        let (problem, typed) = match &refused {
            Some((r, p, typed)) if r == region => (Some(p.clone()), typed.clone()),
            _ => (None, String::new()),
        };
        cards.push(ProgrammeCard {
            region: region.clone(),
            held,
            open,
            pending,
            idem: forms::new_key(),
            problem,
            typed,
        });
    }
    let status = if refused.is_some() {
        Status::UnprocessableEntity
    } else {
        Status::Ok
    };
    Html::with_status(
        status,
        &AdmissionPage {
            f: signed.frame("nav.admission"),
            notice: notice(lang, done),
            cards,
            requests,
        },
    )
}

/// The programmes the provider may ask to join, and its requests.
#[get("/provider/admission?<done>")]
pub async fn page(
    app: &State<App>,
    signed: ProviderPage,
    done: Option<&str>,
) -> Result<Html, PageError> {
    admission_view(&app.service, &signed, done, None).await
}

/// A request for admission: categories and the self-evaluation.
#[derive(Debug, FromForm)]
pub struct AskFields {
    pub csrf: Option<String>,
    pub idem: Option<String>,
    pub category: Vec<String>,
    pub statement: Option<String>,
}

/// Sends a request for admission to `region`'s programme.
#[post("/provider/admission/<region>", data = "<form>")]
pub async fn ask(
    app: &State<App>,
    signed: ProviderPage,
    region: &str,
    form: Form<AskFields>,
) -> Result<Either<Redirect, Html>, PageError> {
    let lang = signed.lang;
    let region = Region::parse(region)
        .ok()
        .filter(|r| app.service.rules.get(r).is_some())
        .ok_or_else(|| PageError::new(lang, Status::NotFound, "error.404"))?;
    let statement = form.statement.clone().unwrap_or_default();
    let op = RequestAdmission {
        region: region.clone(),
        categories: form.category.clone(),
        statement: statement.clone(),
    };
    let mut fields = vec![region.as_str(), statement.as_str()];
    fields.extend(form.category.iter().map(String::as_str));
    let (csrf, idem) = (form.csrf.as_deref(), form.idem.as_deref());
    match forms::act(&app.service, &signed, csrf, idem, &fields, op).await? {
        Submitted::Done(_) => Ok(Either::Left(Redirect::to("/provider/admission?done=asked"))),
        Submitted::Again => Ok(Either::Left(Redirect::to("/provider/admission?done=again"))),
        Submitted::Refused(problem) => {
            let refused = Some((region, problem, statement));
            admission_view(&app.service, &signed, None, refused)
                .await
                .map(Either::Right)
        }
    }
}
