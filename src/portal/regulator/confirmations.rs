//! Four eyes on the regulator's desk: the decisions of the region that wait
//! for a second person — who asked, for what, when — with "confirm" for
//! everyone but the one who asked, and "withdraw".

use askama::Template;
use rocket::form::Form;
use rocket::response::Redirect;
use rocket::{get, post, Either, State};

use super::err;
use crate::portal::kit::forms::{self, Plain, Problem, Submitted};
use crate::portal::kit::frame::{Frame, Html, PageError};
use crate::portal::kit::guards::RegulatorPage;
use crate::portal::kit::lists::{notice, parse_id};
use crate::service::confirmations::{Confirm, Withdraw};
use crate::service::four_eyes::{self, Confirmation};
use crate::service::people;
use crate::App;

/// A decision that waits, with who asked and the keys of its forms.
pub struct Row {
    pub c: Confirmation,
    pub asked_by: String,
    /// The signed-in person asked for it (and may not confirm it).
    pub mine: bool,
    pub confirm_idem: String,
    pub withdraw_idem: String,
}

#[derive(Template)]
#[template(
    path = "regulator_confirmations.html",
    config = "src/portal/askama.toml"
)]
pub struct ConfirmationsPage {
    pub f: Frame,
    pub notice: Option<&'static str>,
    pub problem: Option<Problem>,
    pub rows: Vec<Row>,
}

impl ConfirmationsPage {
    /// What the decision is, in words.
    fn what(&self, c: &Confirmation) -> String {
        let d = &c.detail;
        let categories = d["categories"].as_array().into_iter().flatten();
        let categories: Vec<_> = categories
            .filter_map(|k| k.as_str())
            .map(|k| self.f.category(k).into_owned())
            .collect();
        let account = match (d["account_name"].as_str(), d["account_number"].as_str()) {
            (Some(name), Some(number)) => Some(format!("{name} {number}")),
            _ => None,
        };
        let given = ["bank_reference", "reason"]
            .iter()
            .find_map(|k| d[k].as_str().map(str::to_owned))
            .or(account)
            .unwrap_or_else(|| {
                categories.join(match self.f.lang {
                    crate::portal::kit::i18n::Lang::Zh => "、",
                    _ => ", ",
                })
            });
        format!("{}{given}", self.f.t(&format!("confirm.{}", c.action)))
    }
}

async fn view(
    app: &App,
    signed: &RegulatorPage,
    done: Option<&str>,
    problem: Option<Problem>,
) -> Result<Html, PageError> {
    let lang = signed.lang;
    let (service, actor) = (&app.service, signed.actor());
    let ctx = service.ctx(actor.clone());
    let waiting = four_eyes::list(&service.db, &ctx, true)
        .await
        .map_err(err(lang))?;
    let people = people::list(&service.db, actor, actor.sub)
        .await
        .map_err(err(lang))?;
    let me = signed.signed.person.user_id;
    let rows = waiting
        .into_iter()
        .map(|c| Row {
            asked_by: people
                .iter()
                .find(|p| p.id == c.requested_by)
                .map(|p| p.display_name.clone())
                .unwrap_or_default(),
            mine: c.requested_by == me,
            confirm_idem: forms::new_key(),
            withdraw_idem: forms::new_key(),
            c,
        })
        .collect();
    let status = if problem.is_some() {
        rocket::http::Status::UnprocessableEntity
    } else {
        rocket::http::Status::Ok
    };
    Html::with_status(
        status,
        &ConfirmationsPage {
            f: signed.frame("nav.confirmations"),
            notice: notice(lang, done),
            problem,
            rows,
        },
    )
}

/// The region's decisions that wait for a second person.
#[get("/regulator/confirmations?<done>")]
pub async fn page(
    app: &State<App>,
    signed: RegulatorPage,
    done: Option<&str>,
) -> Result<Html, PageError> {
    view(app, &signed, done, None).await
}

/// Confirms a decision that waits: it takes effect now.
#[post("/regulator/confirmations/<id>/confirm", data = "<form>")]
pub async fn confirm(
    app: &State<App>,
    signed: RegulatorPage,
    id: &str,
    form: Form<Plain>,
) -> Result<Either<Redirect, Html>, PageError> {
    let op = Confirm {
        id: parse_id(&signed, id)?,
    };
    let (csrf, idem) = (form.csrf.as_deref(), form.idem.as_deref());
    let submitted = forms::act(&app.service, &signed, csrf, idem, &[id], op).await?;
    answer(app, &signed, submitted, "confirmed").await
}

/// Withdraws a decision that waits: nothing takes effect.
#[post("/regulator/confirmations/<id>/withdraw", data = "<form>")]
pub async fn withdraw(
    app: &State<App>,
    signed: RegulatorPage,
    id: &str,
    form: Form<Plain>,
) -> Result<Either<Redirect, Html>, PageError> {
    let op = Withdraw {
        id: parse_id(&signed, id)?,
    };
    let (csrf, idem) = (form.csrf.as_deref(), form.idem.as_deref());
    let submitted = forms::act(&app.service, &signed, csrf, idem, &[id], op).await?;
    answer(app, &signed, submitted, "withdrawn").await
}

async fn answer<T>(
    app: &App,
    signed: &RegulatorPage,
    submitted: Submitted<T>,
    done: &str,
) -> Result<Either<Redirect, Html>, PageError> {
    match submitted {
        Submitted::Done(_) => Ok(Either::Left(Redirect::to(format!(
            "/regulator/confirmations?done={done}"
        )))),
        Submitted::Again => Ok(Either::Left(Redirect::to(
            "/regulator/confirmations?done=again",
        ))),
        Submitted::Refused(problem) => view(app, signed, None, Some(problem))
            .await
            .map(Either::Right),
    }
}
