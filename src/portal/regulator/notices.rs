//! The region's public notices on the regulator's desk: what is published,
//! until when, and the objections filed — name, contact and text — each
//! with "uphold" (the decision is withdrawn) or "dismiss" and a note.

use askama::Template;
use rocket::form::{Form, FromForm};
use rocket::response::Redirect;
use rocket::{get, post, Either, State};

use super::err;
use crate::domain::notice::ObjectionStatus;
use crate::portal::kit::forms::{self, Problem, Submitted};
use crate::portal::kit::frame::{Frame, Html, PageError};
use crate::portal::kit::guards::RegulatorPage;
use crate::portal::kit::lists::{notice, parse_id};
use crate::service::notice_effect::DecideObjection;
use crate::service::notices::{self, Notice, Objection};
use crate::App;

/// A notice with its objections and the keys of their forms.
pub struct Row {
    pub n: Notice,
    pub filed: Vec<(Objection, String)>,
}

#[derive(Template)]
#[template(path = "regulator_notices.html", config = "src/portal/askama.toml")]
pub struct NoticesPage {
    pub f: Frame,
    pub notice: Option<&'static str>,
    pub problem: Option<Problem>,
    pub rows: Vec<Row>,
}

impl NoticesPage {
    fn status_key(&self, n: &Notice) -> &'static str {
        crate::portal::notices::status_key(n)
    }
    fn objection_key(&self, o: &Objection) -> &'static str {
        match o.status {
            ObjectionStatus::Open => "objection.open",
            ObjectionStatus::Upheld => "objection.upheld",
            ObjectionStatus::Dismissed => "objection.dismissed",
        }
    }
    fn waiting(&self, o: &Objection) -> bool {
        o.status == ObjectionStatus::Open
    }
    fn heading(&self, n: &Notice) -> String {
        crate::portal::notices::heading(&self.f, n)
    }
}

async fn view(
    app: &App,
    signed: &RegulatorPage,
    done: Option<&str>,
    problem: Option<Problem>,
) -> Result<Html, PageError> {
    let lang = signed.lang;
    let region = signed.audited(&app.service.rules, None)?;
    let found = notices::of_region(app.service.db.reader(), signed.actor(), &region)
        .await
        .map_err(err(lang))?;
    let rows = found
        .into_iter()
        .map(|(n, filed)| Row {
            n,
            filed: filed.into_iter().map(|o| (o, forms::new_key())).collect(),
        })
        .collect();
    let status = if problem.is_some() {
        rocket::http::Status::UnprocessableEntity
    } else {
        rocket::http::Status::Ok
    };
    Html::with_status(
        status,
        &NoticesPage {
            f: signed.frame("nav.notices"),
            notice: notice(lang, done),
            problem,
            rows,
        },
    )
}

/// The region's notices and their objections.
#[get("/regulator/notices?<done>")]
pub async fn page(
    app: &State<App>,
    signed: RegulatorPage,
    done: Option<&str>,
) -> Result<Html, PageError> {
    view(app, &signed, done, None).await
}

/// An answer to an objection.
#[derive(Debug, FromForm)]
pub struct AnswerFields {
    pub csrf: Option<String>,
    pub idem: Option<String>,
    /// `uphold` or `dismiss`: the button pressed.
    pub decision: String,
    #[field(default = String::new())]
    pub note: String,
}

/// Upholds or dismisses an objection, with a note.
#[post("/regulator/objections/<id>/answer", data = "<form>")]
pub async fn answer(
    app: &State<App>,
    signed: RegulatorPage,
    id: &str,
    form: Form<AnswerFields>,
) -> Result<Either<Redirect, Html>, PageError> {
    let op = DecideObjection {
        id: parse_id(&signed, id)?,
        upheld: form.decision == "uphold",
        note: form.note.clone(),
    };
    let (csrf, idem) = (form.csrf.as_deref(), form.idem.as_deref());
    let fields = [id, form.decision.as_str(), form.note.as_str()];
    match forms::act(&app.service, &signed, csrf, idem, &fields, op).await? {
        Submitted::Done(_) => Ok(Either::Left(Redirect::to(
            "/regulator/notices?done=answered",
        ))),
        Submitted::Again => Ok(Either::Left(Redirect::to("/regulator/notices?done=again"))),
        Submitted::Refused(problem) => view(app, &signed, None, Some(problem))
            .await
            .map(Either::Right),
    }
}
