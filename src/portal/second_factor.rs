//! `/team/second-factor`: a person enrols an authenticator app — start
//! (a new secret, its QR code), then a code of the app puts it in force and
//! the recovery codes are shown once; every session ends and they sign in
//! again, with a code.

use askama::Template;
use rocket::form::{Form, FromForm};
use rocket::http::Status;
use rocket::response::Redirect;
use rocket::{get, post, Either, Route, State};

use super::kit::forms::Problem;
use super::kit::frame::{Frame, Html, PageError};
use super::kit::guards::Signed;
use crate::domain::DomainError;
use crate::service::second_factor::{self, Standing};
use crate::service::ServiceError;
use crate::App;

/// The second factor's routes.
pub fn routes() -> Vec<Route> {
    rocket::routes![page, start, confirm]
}

#[derive(Template)]
#[template(path = "second_factor.html", config = "src/portal/askama.toml")]
pub struct SecondFactorPage {
    pub f: Frame,
    pub standing: Standing,
    pub problem: Option<Problem>,
    /// The recovery codes just made (shown once).
    pub recovery_codes: Vec<String>,
    /// Whether the person's role must have a second factor.
    pub required: bool,
}

impl SecondFactorPage {
    /// A base32 secret in groups of four, easier to type (apps ignore the
    /// spaces).
    fn grouped(&self, secret: &str) -> String {
        let chars: Vec<char> = secret.chars().collect();
        let groups: Vec<String> = chars.chunks(4).map(|c| c.iter().collect()).collect();
        groups.join(" ")
    }
}

async fn view(
    app: &App,
    signed: &Signed,
    problem: Option<Problem>,
    recovery_codes: Vec<String>,
) -> Result<Html, PageError> {
    let lang = signed.lang;
    let standing = if recovery_codes.is_empty() {
        second_factor::standing(app.service.db.reader(), signed.person.user_id)
            .await
            .map_err(|e| PageError::from_service(lang, e))?
    } else {
        Standing::Off
    };
    let status = if problem.is_some() {
        Status::UnprocessableEntity
    } else {
        Status::Ok
    };
    // This page is where the banner leads: it does not show it.
    let mut f = signed.frame("second_factor.title");
    f.enrol_first = false;
    Html::with_status(
        status,
        &SecondFactorPage {
            f,
            standing,
            problem,
            recovery_codes,
            required: second_factor::required(signed.person.actor.role),
        },
    )
}

/// Where the signed-in person's second factor stands, and its forms.
#[get("/team/second-factor")]
pub async fn page(app: &State<App>, signed: Signed) -> Result<Html, PageError> {
    view(app, &signed, None, Vec::new()).await
}

/// The CSRF field alone.
#[derive(Debug, FromForm)]
pub struct CsrfField {
    pub csrf: Option<String>,
}

/// Starts an enrolment (a new secret; an unconfirmed one is replaced).
#[post("/team/second-factor/start", data = "<form>")]
pub async fn start(
    app: &State<App>,
    signed: Signed,
    form: Form<CsrfField>,
) -> Result<Redirect, PageError> {
    signed.check_csrf(form.csrf.as_deref())?;
    let actor = &signed.person.actor;
    second_factor::start(&app.service, actor, "portal")
        .await
        .map_err(|e| PageError::from_service(signed.lang, e))?;
    Ok(Redirect::to("/team/second-factor"))
}

/// The confirming code.
#[derive(Debug, FromForm)]
pub struct CodeFields {
    pub csrf: Option<String>,
    pub code: String,
}

/// Confirms the enrolment with a code of the app: the recovery codes are
/// shown once, and the person signs in again.
#[post("/team/second-factor/confirm", data = "<form>")]
pub async fn confirm(
    app: &State<App>,
    signed: Signed,
    form: Form<CodeFields>,
) -> Result<Either<Html, Redirect>, PageError> {
    signed.check_csrf(form.csrf.as_deref())?;
    let (lang, actor) = (signed.lang, &signed.person.actor);
    match second_factor::confirm(&app.service, actor, "portal", &form.code).await {
        Ok(codes) => view(app, &signed, None, codes).await.map(Either::Left),
        Err(ServiceError::Domain(DomainError::Validation(_))) => {
            let problem = Problem {
                field: "code",
                message: lang.t("second_factor.wrong_code").to_owned(),
            };
            view(app, &signed, Some(problem), Vec::new())
                .await
                .map(Either::Left)
        }
        Err(ServiceError::Domain(DomainError::Refused(..))) => {
            Ok(Either::Right(Redirect::to("/team/second-factor")))
        }
        Err(e) => Err(PageError::from_service(lang, e)),
    }
}
