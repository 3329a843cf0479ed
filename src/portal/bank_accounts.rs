//! Bank accounts on the portal: `/provider/bank-account` — the provider's
//! accounts and where each stands, and (for its administrators) the form
//! to enter one; `/regulator/bank-accounts` — the accounts of the region's
//! providers that wait for approval: approve (under four eyes it goes to
//! the confirmations) or reject with a reason.

use askama::Template;
use chrono::NaiveDate;
use rocket::form::{Form, FromForm};
use rocket::http::Status;
use rocket::response::Redirect;
use rocket::{get, post, Either, Route, State};

use super::kit::forms::{self, Plain, Problem, Submitted};
use super::kit::frame::{Frame, Html, PageError};
use super::kit::guards::{ProviderPage, RegulatorPage};
use super::kit::lists::{notice, parse_id};
use crate::service::four_eyes::Decided;
use crate::service::payees::{self, ApproveAccount, PayeeAccount, RejectAccount, SubmitAccount};
use crate::App;

/// The bank-account pages' routes.
pub fn routes() -> Vec<Route> {
    rocket::routes![provider_page, submit, regulator_page, approve, reject]
}

/// What the provider typed, kept when the form is refused.
#[derive(Debug, Default, Clone, FromForm)]
pub struct AccountFields {
    pub csrf: Option<String>,
    pub idem: Option<String>,
    pub account_name: String,
    pub account_number: String,
    pub bank_name: String,
    pub cnaps_code: String,
    pub valid_from: String,
}

#[derive(Template)]
#[template(path = "provider_bank_account.html", config = "src/portal/askama.toml")]
pub struct ProviderAccountsPage {
    pub f: Frame,
    pub notice: Option<&'static str>,
    pub accounts: Vec<PayeeAccount>,
    /// Whether the person may enter one (an administrator).
    pub administrator: bool,
    pub typed: AccountFields,
    pub problem: Option<Problem>,
    pub idem: String,
}

impl ProviderAccountsPage {
    fn error(&self, field: &str) -> Option<&str> {
        forms::problem_on(&self.problem, field)
    }

    /// Where an account stands, in words.
    fn status(&self, status: &str) -> &'static str {
        self.f.t(&format!("account.status.{status}"))
    }
}

async fn provider_view(
    app: &App,
    signed: &ProviderPage,
    done: Option<&str>,
    typed: AccountFields,
    problem: Option<Problem>,
) -> Result<Html, PageError> {
    let (lang, actor) = (signed.lang, signed.actor());
    let accounts = payees::list(&app.service.db, actor, actor.sub)
        .await
        .map_err(|e| PageError::from_service(lang, e))?;
    let status = if problem.is_some() {
        Status::UnprocessableEntity
    } else {
        Status::Ok
    };
    let typed = if typed.account_name.is_empty() && problem.is_none() {
        AccountFields {
            account_name: signed.person.organization_name.clone().unwrap_or_default(),
            ..typed
        }
    } else {
        typed
    };
    Html::with_status(
        status,
        &ProviderAccountsPage {
            f: signed.frame("nav.bank_account"),
            notice: notice(lang, done),
            accounts,
            administrator: signed.person.administrator,
            typed,
            problem,
            idem: forms::new_key(),
        },
    )
}

/// The provider's bank accounts, and the form to enter one.
#[get("/provider/bank-account?<done>")]
pub async fn provider_page(
    app: &State<App>,
    signed: ProviderPage,
    done: Option<&str>,
) -> Result<Html, PageError> {
    provider_view(
        app,
        &signed,
        done,
        <AccountFields as Default>::default(),
        None,
    )
    .await
}

/// Enters a bank account (the provider's administrator).
#[post("/provider/bank-account", data = "<form>")]
pub async fn submit(
    app: &State<App>,
    signed: ProviderPage,
    form: Form<AccountFields>,
) -> Result<Either<Redirect, Html>, PageError> {
    let typed = form.into_inner();
    let Ok(valid_from) = NaiveDate::parse_from_str(typed.valid_from.trim(), "%Y-%m-%d") else {
        let problem = Problem {
            field: "valid_from",
            message: signed.lang.t("account.valid_from_wrong").to_owned(),
        };
        return provider_view(app, &signed, None, typed, Some(problem))
            .await
            .map(Either::Right);
    };
    let op = SubmitAccount {
        provider_id: signed.actor().sub,
        account_name: typed.account_name.clone(),
        account_number: typed.account_number.clone(),
        bank_name: typed.bank_name.clone(),
        cnaps_code: typed.cnaps_code.clone(),
        valid_from,
    };
    let (csrf, idem) = (typed.csrf.as_deref(), typed.idem.as_deref());
    let fields = [
        typed.account_name.as_str(),
        &typed.account_number,
        &typed.bank_name,
        &typed.cnaps_code,
        &typed.valid_from,
    ];
    match forms::act(&app.service, &signed, csrf, idem, &fields, op).await? {
        Submitted::Done(_) => Ok(Either::Left(Redirect::to(
            "/provider/bank-account?done=account_submitted",
        ))),
        Submitted::Again => Ok(Either::Left(Redirect::to(
            "/provider/bank-account?done=again",
        ))),
        Submitted::Refused(problem) => {
            let problem = in_words(&signed, problem);
            provider_view(app, &signed, None, typed, Some(problem))
                .await
                .map(Either::Right)
        }
    }
}

/// A refused account's problem in the page's language, for the fields
/// this form has.
fn in_words(signed: &ProviderPage, problem: Problem) -> Problem {
    let lang = signed.lang;
    let message = match problem.field {
        "account_name" => format!(
            "{}{}",
            lang.t("account.name_wrong"),
            signed.person.organization_name.clone().unwrap_or_default()
        ),
        "account_number" => lang.t("account.number_wrong").to_owned(),
        "cnaps_code" => lang.t("account.cnaps_hint").to_owned(),
        _ => problem.message,
    };
    Problem { message, ..problem }
}

/// An account waiting, with the keys of its forms.
pub struct Waiting {
    pub a: PayeeAccount,
    pub provider: String,
    pub approve_idem: String,
    pub reject_idem: String,
}

#[derive(Template)]
#[template(
    path = "regulator_bank_accounts.html",
    config = "src/portal/askama.toml"
)]
pub struct RegulatorAccountsPage {
    pub f: Frame,
    pub notice: Option<&'static str>,
    pub problem: Option<Problem>,
    pub waiting: Vec<Waiting>,
}

async fn regulator_view(
    app: &App,
    signed: &RegulatorPage,
    done: Option<&str>,
    problem: Option<Problem>,
) -> Result<Html, PageError> {
    let (lang, actor) = (signed.lang, signed.actor());
    let failed = |e| PageError::from_service(lang, e);
    let accounts = payees::awaiting(&app.service.db, actor)
        .await
        .map_err(failed)?;
    let mut waiting = Vec::new();
    for a in accounts {
        let provider =
            crate::service::identity::find_organization(&app.service.db, actor, a.provider_id)
                .await
                .map(|o| o.name)
                .unwrap_or_default();
        waiting.push(Waiting {
            a,
            provider,
            approve_idem: forms::new_key(),
            reject_idem: forms::new_key(),
        });
    }
    let status = if problem.is_some() {
        Status::UnprocessableEntity
    } else {
        Status::Ok
    };
    Html::with_status(
        status,
        &RegulatorAccountsPage {
            f: signed.frame("nav.bank_accounts"),
            notice: notice(lang, done),
            problem,
            waiting,
        },
    )
}

/// The accounts of the region's providers that wait for approval.
#[get("/regulator/bank-accounts?<done>")]
pub async fn regulator_page(
    app: &State<App>,
    signed: RegulatorPage,
    done: Option<&str>,
) -> Result<Html, PageError> {
    regulator_view(app, &signed, done, None).await
}

/// Approves an account: under four eyes, the request goes to the
/// confirmations, where another officer confirms it.
#[post("/regulator/bank-accounts/<id>/approve", data = "<form>")]
pub async fn approve(
    app: &State<App>,
    signed: RegulatorPage,
    id: &str,
    form: Form<Plain>,
) -> Result<Either<Redirect, Html>, PageError> {
    let op = ApproveAccount {
        id: parse_id(&signed, id)?,
    };
    let (csrf, idem) = (form.csrf.as_deref(), form.idem.as_deref());
    match forms::act(&app.service, &signed, csrf, idem, &[id], op).await? {
        Submitted::Done(Decided::Done(_) | Decided::Noticed(_)) => Ok(Either::Left(Redirect::to(
            "/regulator/bank-accounts?done=account_approved",
        ))),
        Submitted::Done(Decided::Awaiting(_)) => Ok(Either::Left(Redirect::to(
            "/regulator/confirmations?done=awaiting_account",
        ))),
        Submitted::Again => Ok(Either::Left(Redirect::to(
            "/regulator/bank-accounts?done=again",
        ))),
        Submitted::Refused(problem) => regulator_view(app, &signed, None, Some(problem))
            .await
            .map(Either::Right),
    }
}

/// The reject form.
#[derive(Debug, FromForm)]
pub struct RejectFields {
    pub csrf: Option<String>,
    pub idem: Option<String>,
    pub reason: String,
}

/// Rejects an account, saying why.
#[post("/regulator/bank-accounts/<id>/reject", data = "<form>")]
pub async fn reject(
    app: &State<App>,
    signed: RegulatorPage,
    id: &str,
    form: Form<RejectFields>,
) -> Result<Either<Redirect, Html>, PageError> {
    let op = RejectAccount {
        id: parse_id(&signed, id)?,
        reason: form.reason.clone(),
    };
    let (csrf, idem) = (form.csrf.as_deref(), form.idem.as_deref());
    match forms::act(&app.service, &signed, csrf, idem, &[id, &form.reason], op).await? {
        Submitted::Done(_) => Ok(Either::Left(Redirect::to(
            "/regulator/bank-accounts?done=account_rejected",
        ))),
        Submitted::Again => Ok(Either::Left(Redirect::to(
            "/regulator/bank-accounts?done=again",
        ))),
        Submitted::Refused(problem) => regulator_view(app, &signed, None, Some(problem))
            .await
            .map(Either::Right),
    }
}
