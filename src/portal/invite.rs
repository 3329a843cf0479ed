//! `/invite/{token}`: a person accepts an invitation — sets their own login
//! and password (or, for a reset, a new password) — and then signs in. No
//! session is needed: the token is the proof, and whoever could forge the
//! form would hold the token already, so it carries no CSRF token.

use askama::Template;
use rocket::form::{Form, FromForm};
use rocket::http::Status;
use rocket::response::Redirect;
use rocket::{get, post, Either, State};

use super::kit::explain;
use super::kit::forms::{problem_on, Problem};
use super::kit::frame::{Frame, Html, PageError};
use super::kit::guards::Visitor;
use crate::domain::DomainError;
use crate::service::invitations::{self, Acceptance, Offer};
use crate::service::ServiceError;
use crate::App;

#[derive(Template)]
#[template(path = "invite.html", config = "src/portal/askama.toml")]
pub struct InvitePage {
    pub f: Frame,
    pub token: String,
    pub offer: Offer,
    pub problem: Option<Problem>,
    pub login: String,
    pub display_name: String,
}

impl InvitePage {
    fn error(&self, field: &str) -> Option<&str> {
        problem_on(&self.problem, field)
    }

    /// The organisation's name, or "operators".
    fn organization(&self) -> String {
        match &self.offer.organization {
            Some((_, name, ..)) => name.clone(),
            None => self.f.t("role.admin").to_owned(),
        }
    }

    /// `@code` after the login, for a person of an organisation.
    fn suffix(&self) -> String {
        match &self.offer.organization {
            Some((id, _, _, region)) => format!("@{}", crate::domain::sign_in_code(*id, region)),
            None => String::new(),
        }
    }

    fn role(&self) -> &'static str {
        match &self.offer.organization {
            Some((_, _, kind, _)) => self.f.t(&format!("kind.{kind}")),
            None => self.f.t("role.admin"),
        }
    }
}

/// The invitation's form (404 for an unknown, accepted or expired one).
#[get("/invite/<token>")]
pub async fn show(app: &State<App>, visitor: Visitor, token: &str) -> Result<Html, PageError> {
    let offer = find(app, &visitor, token).await?;
    let login = offer.login.clone().unwrap_or_default();
    page(&visitor, token, offer, None, login, String::new())
}

async fn find(app: &App, visitor: &Visitor, token: &str) -> Result<Offer, PageError> {
    invitations::offer(&app.service, token)
        .await
        .map_err(|e| PageError::from_service(visitor.lang, e))
}

fn page(
    visitor: &Visitor,
    token: &str,
    offer: Offer,
    problem: Option<Problem>,
    login: String,
    display_name: String,
) -> Result<Html, PageError> {
    let status = if problem.is_some() {
        Status::UnprocessableEntity
    } else {
        Status::Ok
    };
    Html::with_status(
        status,
        &InvitePage {
            f: Frame::new(visitor.lang, None, "invite.title", "/login"),
            token: token.to_owned(),
            offer,
            problem,
            login,
            display_name,
        },
    )
}

/// The invitation form's fields.
#[derive(Debug, FromForm)]
pub struct AcceptFields {
    pub login: Option<String>,
    pub display_name: Option<String>,
    pub password: String,
    pub password_again: String,
}

/// Accepts the invitation, then sends the person to sign in.
#[post("/invite/<token>", data = "<form>")]
pub async fn accept(
    app: &State<App>,
    visitor: Visitor,
    token: &str,
    form: Form<AcceptFields>,
) -> Result<Either<Redirect, Html>, PageError> {
    let offer = find(app, &visitor, token).await?;
    let login = offer
        .login
        .clone()
        .or_else(|| form.login.clone())
        .unwrap_or_default();
    let display_name = form.display_name.clone().unwrap_or_default();
    let refused = |problem: Problem| {
        let typed = (login.clone(), display_name.clone());
        page(
            &visitor,
            token,
            offer.clone(),
            Some(problem),
            typed.0,
            typed.1,
        )
        .map(Either::Right)
    };
    if form.password != form.password_again {
        return refused(Problem {
            field: "password_again",
            message: visitor.lang.t("invite.mismatch").to_owned(),
        });
    }
    let given = Acceptance {
        login: login.clone(),
        display_name: display_name.clone(),
        password: form.password.clone(),
    };
    match invitations::accept(&app.service, token, given, "portal").await {
        // The sign-in form, with the login to sign in as filled in.
        Ok(user) => Ok(Either::Left(Redirect::to(rocket::uri!(
            super::login::show(
                ended = _,
                out = _,
                joined = Some(user.login),
                changed = _,
                next = _
            )
        )))),
        Err(ServiceError::Domain(
            err @ (DomainError::Validation(_) | DomainError::Conflict(_)),
        )) => refused(Problem {
            field: field_of(&err),
            message: explain::domain(visitor.lang, &err),
        }),
        Err(e) => Err(PageError::from_service(visitor.lang, e)),
    }
}

/// The field of the invitation form a refusal concerns.
fn field_of(err: &DomainError) -> &'static str {
    match err {
        DomainError::Validation(fields) => match fields.first().map(|f| f.field.as_str()) {
            Some("password") => "password",
            Some("display_name") => "display_name",
            _ => "login",
        },
        _ => "login",
    }
}
