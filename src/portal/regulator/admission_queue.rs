//! Providers' requests for admission: a district's regulator recommends
//! (some of the categories asked, with a reason when fewer) or rejects; the
//! region's regulator admits (some of what was recommended) or rejects.

use askama::Template;
use rocket::form::{Form, FromForm};
use rocket::http::Status;
use rocket::response::Redirect;
use rocket::{get, post, Either, State};
use uuid::Uuid;

use super::application_queue::{desk_region, where_it_stands};
use super::err;
use crate::domain::review::{AdmissionRequestStatus, ReviewLevel};
use crate::domain::Region;
use crate::portal::kit::forms::{self, Problem, Submitted};
use crate::portal::kit::frame::{Frame, Html, PageError};
use crate::portal::kit::guards::RegulatorPage;
use crate::portal::kit::lists::{all_of, notice, parse_id};
use crate::service::admission_requests::{
    self, AdmissionRequest, AdmitRequest, RecommendAdmission, RejectAdmission, RequestAdmitted,
};
use crate::service::four_eyes::Decided;
use crate::service::identity::organization_names;
use crate::service::{Operation, Service};
use crate::App;

/// A request as the queue shows it.
pub struct RequestRow {
    pub r: AdmissionRequest,
    pub provider: String,
    /// The district's name, where it reviews first.
    pub district: Option<String>,
    /// Where it stands, in the reader's language.
    pub level: Option<String>,
    /// The categories the reader may choose among (asked, or recommended).
    pub offered: Vec<String>,
    /// The reader may decide it now.
    pub decidable: bool,
    pub waits: Option<String>,
    pub decide_idem: String,
    pub reject_idem: String,
    pub problem: Option<String>,
    /// What the refused form had ticked and typed (none: all ticked).
    pub ticked: Option<Vec<String>>,
    pub typed: String,
}

impl RequestRow {
    /// Whether category `c` is ticked on the row's form.
    pub fn is_ticked(&self, c: &str) -> bool {
        self.ticked
            .as_ref()
            .is_none_or(|ticked| ticked.iter().any(|t| t == c))
    }
}

/// A refused decision: the request, why, and what its form had ticked (none
/// for a rejection's form, which ticks nothing) and typed.
type Refused = (Uuid, Problem, Option<Vec<String>>, String);

#[derive(Template)]
#[template(
    path = "regulator_admission_requests.html",
    config = "src/portal/askama.toml"
)]
pub struct RequestsPage {
    pub f: Frame,
    /// The reader is a district's regulator (first-level review).
    pub reviewer: bool,
    pub notice: Option<&'static str>,
    pub pending: Vec<RequestRow>,
    pub decided: Vec<RequestRow>,
}

async fn requests_view(
    service: &Service,
    signed: &RegulatorPage,
    region: &Region,
    done: Option<&str>,
    refused: Option<Refused>,
) -> Result<Html, PageError> {
    let lang = signed.lang;
    let actor = signed.actor();
    let db = service.db.reader();
    let mut all = all_of(|p| admission_requests::list(db, actor, p))
        .await
        .map_err(err(lang))?;
    all.retain(|r| &r.region == region);
    all.reverse();
    let names = organization_names(&service.db, actor, all.iter().map(|r| r.provider_id))
        .await
        .map_err(err(lang))?;
    let districts = service
        .rules
        .get(region)
        .map_or(&[][..], |r| &r.policy().districts[..]);
    let reviewer = actor.district.is_some();
    let (mut pending, mut decided) = (Vec::new(), Vec::new());
    for r in all {
        let (district, level) = where_it_stands(lang, districts, r.district.as_deref(), r.level);
        let at_district = r.level == ReviewLevel::District;
        let open = r.status == AdmissionRequestStatus::Pending;
        let decidable = open && reviewer == at_district;
        let waits = (open && !decidable && at_district).then(|| {
            lang.t("queue.waits_for_district")
                .replace("{district}", district.as_deref().unwrap_or_default())
        });
        let offered = r
            .recommended
            .clone()
            .unwrap_or_else(|| r.categories.clone());
        let mine = refused.as_ref().filter(|(id, ..)| *id == r.id);
        let problem = mine.map(|(_, p, ..)| p.message.clone());
        let ticked = mine.and_then(|(_, _, ticked, _)| ticked.clone());
        let typed = mine.map(|(.., typed)| typed.clone()).unwrap_or_default();
        let row = RequestRow {
            provider: names.get(&r.provider_id).cloned().unwrap_or_default(),
            r,
            district,
            level,
            offered,
            decidable,
            waits,
            decide_idem: forms::new_key(),
            reject_idem: forms::new_key(),
            problem,
            ticked,
            typed,
        };
        if open {
            pending.push(row);
        } else {
            decided.push(row);
        }
    }
    decided.truncate(50);
    let status = if refused.is_some() {
        Status::UnprocessableEntity
    } else {
        Status::Ok
    };
    let title = if reviewer {
        "nav.first_review_providers"
    } else {
        "nav.admission_requests"
    };
    Html::with_status(
        status,
        &RequestsPage {
            f: signed.frame(title),
            reviewer,
            notice: notice(lang, done),
            pending,
            decided,
        },
    )
}

/// The requests for admission of the reader's region (district).
#[get("/regulator/admission-requests?<done>")]
pub async fn page(
    app: &State<App>,
    signed: RegulatorPage,
    done: Option<&str>,
) -> Result<Html, PageError> {
    let region = desk_region(&app.service, &signed, None)?;
    requests_view(&app.service, &signed, &region, done, None).await
}

/// A decision on a request: the categories chosen, or a reason.
#[derive(Debug, FromForm)]
pub struct RequestDecision {
    pub csrf: Option<String>,
    pub idem: Option<String>,
    pub category: Vec<String>,
    pub reason: Option<String>,
}

/// A district's regulator recommends a request to the region.
#[post("/regulator/admission-requests/<id>/recommend", data = "<form>")]
pub async fn recommend(
    app: &State<App>,
    signed: RegulatorPage,
    id: &str,
    form: Form<RequestDecision>,
) -> Result<Either<Redirect, Html>, PageError> {
    let id = parse_id(&signed, id)?;
    let reason = form.reason.clone().unwrap_or_default();
    let op = RecommendAdmission {
        id,
        categories: Some(form.category.clone()),
        reason: Some(reason),
    };
    decide(app, &signed, &form, id, op, |_| "recommended").await
}

/// The region's regulator admits a request.
#[post("/regulator/admission-requests/<id>/admit", data = "<form>")]
pub async fn admit(
    app: &State<App>,
    signed: RegulatorPage,
    id: &str,
    form: Form<RequestDecision>,
) -> Result<Either<Redirect, Html>, PageError> {
    let id = parse_id(&signed, id)?;
    let op = AdmitRequest {
        id,
        categories: Some(form.category.clone()),
    };
    let done = |out: &RequestAdmitted| match out.admission {
        Decided::Done(_) => "admitted",
        Decided::Awaiting(_) => "awaiting_admit",
        Decided::Noticed(_) => "noticed",
    };
    decide(app, &signed, &form, id, op, done).await
}

/// Rejects a request, with a reason (at the reader's level).
#[post("/regulator/admission-requests/<id>/reject", data = "<form>")]
pub async fn reject(
    app: &State<App>,
    signed: RegulatorPage,
    id: &str,
    form: Form<RequestDecision>,
) -> Result<Either<Redirect, Html>, PageError> {
    let id = parse_id(&signed, id)?;
    let op = RejectAdmission {
        id,
        reason: form.reason.clone().unwrap_or_default(),
    };
    decide(app, &signed, &form, id, op, |_| "rejected").await
}

/// Runs a decision on request `id` and leads back to the queue: with a
/// notice (`done` of the outcome), or with the refusal on its row.
async fn decide<O: Operation>(
    app: &App,
    signed: &RegulatorPage,
    form: &RequestDecision,
    id: Uuid,
    op: O,
    done: fn(&O::Output) -> &'static str,
) -> Result<Either<Redirect, Html>, PageError> {
    let service = &app.service;
    let region = desk_region(service, signed, None)?;
    let id_text = id.to_string();
    let mut fields = vec![id_text.as_str(), form.reason.as_deref().unwrap_or("")];
    fields.extend(form.category.iter().map(String::as_str));
    let (csrf, idem) = (form.csrf.as_deref(), form.idem.as_deref());
    let path = "/regulator/admission-requests";
    match forms::act(service, signed, csrf, idem, &fields, op).await? {
        Submitted::Done(out) => Ok(Either::Left(Redirect::to(format!(
            "{path}?done={}",
            done(&out)
        )))),
        Submitted::Again => Ok(Either::Left(Redirect::to(format!("{path}?done=again")))),
        Submitted::Refused(problem) => {
            let typed = form.reason.clone().unwrap_or_default();
            let ticked = (!form.category.is_empty()).then(|| form.category.clone());
            let refused = (id, problem, ticked, typed);
            requests_view(service, signed, &region, None, Some(refused))
                .await
                .map(Either::Right)
        }
    }
}
