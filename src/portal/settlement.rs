//! Settlement runs on the regulator's desk: `/regulator/settlement` —
//! start a run for an ended period, the region's runs, the bank's files
//! imported here, and the exceptions to resolve; `/regulator/settlement/<id>`
//! — a run with its control totals on every step, its payments, the
//! providers held back, its bank files (downloaded byte for byte), and the
//! step it is at (freeze, approve by another person, export, cancel,
//! reconcile, close). The bank's files and the exceptions are in
//! [`super::bank_files`].

use askama::Template;
use rocket::form::{Form, FromForm};
use rocket::http::Status;
use rocket::response::Redirect;
use rocket::{get, post, Either, Route, State};

use super::kit::forms::{self, Plain, Problem, Submitted};
use super::kit::frame::{Frame, Html, PageError};
use super::kit::guards::RegulatorPage;
use super::kit::lists::{notice, parse_id};
use crate::domain::settlement::{Cycle, RunStatus};
use crate::service::settlement::exceptions::{self, CloseRun, Exception, ReconcileRun};
use crate::service::settlement::export::ExportRun;
use crate::service::settlement::runs::{ApproveRun, CancelRun, CreateRun, FreezeRun};
use crate::service::settlement::{self, Run};
use crate::App;

/// The settlement pages' routes.
pub fn routes() -> Vec<Route> {
    rocket::routes![runs_page, start, run_page, step, cancel,]
}

/// An open exception with the key of its form.
pub struct Open {
    pub e: Exception,
    pub idem: String,
}

#[derive(Template)]
#[template(path = "regulator_settlement.html", config = "src/portal/askama.toml")]
pub struct RunsPage {
    pub f: Frame,
    pub notice: Option<String>,
    pub problem: Option<Problem>,
    pub runs: Vec<Run>,
    pub exceptions: Vec<Open>,
    pub period_hint: String,
    pub typed_period: String,
    pub start_idem: String,
    pub import_idem: String,
    /// The issuing regions (for the statement form).
    pub regions: Vec<crate::domain::Region>,
}

impl RunsPage {
    fn error(&self, field: &str) -> Option<&str> {
        forms::problem_on(&self.problem, field)
    }

    fn status_of(&self, s: &RunStatus) -> &'static str {
        run_status(&self.f, s)
    }

    /// An exception's kind, in words.
    fn kind(&self, kind: &str) -> &'static str {
        self.f.t(&format!("exception.{kind}"))
    }
}

fn run_status(f: &Frame, s: &RunStatus) -> &'static str {
    f.t(&format!("runstatus.{s}"))
}

/// The cycle's hint: how the region settles and a period to type.
fn period_hint(app: &App, signed: &RegulatorPage) -> String {
    let now = app.service.clock.now();
    let today = crate::domain::clock::shanghai_date(now);
    let cycle = app
        .service
        .rules
        .get(&signed.region)
        .and_then(|r| {
            r.policy()
                .version(chrono::Datelike::year(&today))
                .map(|v| v.settlement_cycle)
        })
        .unwrap_or(Cycle::Monthly);
    let current = crate::domain::settlement::Period::containing(today, cycle);
    let last = crate::domain::settlement::Period::containing(
        current.first.pred_opt().unwrap_or(current.first),
        cycle,
    );
    let cycle_key = match cycle {
        Cycle::Monthly => "cycle.monthly",
        Cycle::Quarterly => "cycle.quarterly",
        Cycle::Yearly => "cycle.yearly",
    };
    signed
        .lang
        .t("run.period_hint")
        .replace("{cycle}", signed.lang.t(cycle_key))
        .replace("{example}", &last.name())
}

pub(super) async fn runs_view(
    app: &App,
    signed: &RegulatorPage,
    notice_text: Option<String>,
    typed_period: String,
    problem: Option<Problem>,
) -> Result<Html, PageError> {
    let (lang, actor) = (signed.lang, signed.actor());
    let failed = |e| PageError::from_service(lang, e);
    let db = &app.service.db;
    let runs = settlement::list(db, actor, &signed.region)
        .await
        .map_err(failed)?;
    let open = exceptions::list(db, actor, &signed.region, true)
        .await
        .map_err(failed)?;
    let status = if problem.is_some() {
        Status::UnprocessableEntity
    } else {
        Status::Ok
    };
    Html::with_status(
        status,
        &RunsPage {
            f: signed.frame("nav.settlement"),
            notice: notice_text,
            problem,
            runs,
            exceptions: open
                .into_iter()
                .map(|e| Open {
                    e,
                    idem: forms::new_key(),
                })
                .collect(),
            period_hint: period_hint(app, signed),
            typed_period,
            start_idem: forms::new_key(),
            import_idem: forms::new_key(),
            regions: app.service.rules.regions(),
        },
    )
}

/// The notice of `done`, or of an import's summary.
fn said(signed: &RegulatorPage, done: Option<&str>, imported: Option<&str>) -> Option<String> {
    let lang = signed.lang;
    if let Some(text) = match done? {
        "run_started" => Some("done.run_started"),
        "run_frozen" => Some("done.run_frozen"),
        "run_approved" => Some("done.run_approved"),
        "run_exported" => Some("done.run_exported"),
        "run_cancelled" => Some("done.run_cancelled"),
        "run_reconciled" => Some("done.run_reconciled"),
        "run_closed" => Some("done.run_closed"),
        "exception_resolved" => Some("done.exception_resolved"),
        "repeated" => Some("run.repeated"),
        "imported" => None,
        _ => return notice(lang, done).map(str::to_owned),
    } {
        return Some(lang.t(text).to_owned());
    }
    let n: Vec<&str> = imported.unwrap_or_default().split('-').collect();
    let at = |i: usize| n.get(i).copied().unwrap_or("0");
    Some(
        lang.t("run.imported")
            .replace("{lines}", at(0))
            .replace("{settled}", at(1))
            .replace("{back}", at(2))
            .replace("{exceptions}", at(3)),
    )
}

/// The region's runs, the import form and the open exceptions.
#[get("/regulator/settlement?<done>&<imported>")]
pub async fn runs_page(
    app: &State<App>,
    signed: RegulatorPage,
    done: Option<&str>,
    imported: Option<&str>,
) -> Result<Html, PageError> {
    let notice_text = said(&signed, done, imported);
    runs_view(app, &signed, notice_text, String::new(), None).await
}

/// The start form.
#[derive(Debug, FromForm)]
pub struct StartFields {
    pub csrf: Option<String>,
    pub idem: Option<String>,
    pub period: String,
}

/// Starts a run (a draft) for an ended period.
#[post("/regulator/settlement", data = "<form>")]
pub async fn start(
    app: &State<App>,
    signed: RegulatorPage,
    form: Form<StartFields>,
) -> Result<Either<Redirect, Html>, PageError> {
    let op = CreateRun {
        region: signed.region.clone(),
        period: form.period.trim().to_owned(),
    };
    let (csrf, idem) = (form.csrf.as_deref(), form.idem.as_deref());
    match forms::act(&app.service, &signed, csrf, idem, &[&form.period], op).await? {
        Submitted::Done(run) => Ok(Either::Left(Redirect::to(format!(
            "/regulator/settlement/{}?done=run_started",
            run.id
        )))),
        Submitted::Again => Ok(Either::Left(Redirect::to(
            "/regulator/settlement?done=again",
        ))),
        Submitted::Refused(problem) => {
            let problem = match problem.field {
                "period" => Problem {
                    message: format!(
                        "{}{}",
                        signed.lang.t("run.period_wrong"),
                        period_hint(app, &signed)
                    ),
                    ..problem
                },
                _ => problem,
            };
            runs_view(app, &signed, None, form.period.clone(), Some(problem))
                .await
                .map(Either::Right)
        }
    }
}

/// The run page.
#[derive(Template)]
#[template(path = "regulator_run.html", config = "src/portal/askama.toml")]
pub struct RunPage {
    pub f: Frame,
    pub notice: Option<String>,
    pub problem: Option<Problem>,
    pub run: Run,
    /// The person froze it (and may not approve it).
    pub froze_it: bool,
    pub idem: String,
    pub cancel_idem: String,
}

impl RunPage {
    fn run_status(&self) -> &'static str {
        run_status(&self.f, &self.run.status)
    }

    fn item_status(&self, s: &impl std::fmt::Display) -> &'static str {
        self.f.t(&format!("itemstatus.{s}"))
    }

    fn is(&self, status: &str) -> bool {
        self.run.status.as_str() == status
    }

    /// A bank file's format in words where it has a name of its own (the
    /// bulk-payment sheet, a statement in CSV); the ISO 20022 message's
    /// name otherwise (`pain.001.001.09`, `camt.053`).
    fn format_name<'a>(&self, format: &'a str) -> std::borrow::Cow<'a, str> {
        crate::portal::kit::i18n::named(self.f.lang, "run.format", format)
    }

    /// Whether a file went out or came in, in words.
    fn direction(&self, direction: &str) -> &'static str {
        self.f.t(&format!("run.direction.{direction}"))
    }
}

async fn run_view(
    app: &App,
    signed: &RegulatorPage,
    id: uuid::Uuid,
    notice_text: Option<String>,
    problem: Option<Problem>,
) -> Result<Html, PageError> {
    let lang = signed.lang;
    let now = app.service.clock.now();
    let run = settlement::find(&app.service.db, signed.actor(), id, now)
        .await
        .map_err(|e| PageError::from_service(lang, e))?;
    let froze_it = run.frozen_by.is_some() && run.frozen_by == signed.actor().person;
    let status = if problem.is_some() {
        Status::UnprocessableEntity
    } else {
        Status::Ok
    };
    Html::with_status(
        status,
        &RunPage {
            f: signed.frame("run.title"),
            notice: notice_text,
            problem,
            run,
            froze_it,
            idem: forms::new_key(),
            cancel_idem: forms::new_key(),
        },
    )
}

/// A run, its totals, payments and files, and its next step.
#[get("/regulator/settlement/<id>?<done>", rank = 2)]
pub async fn run_page(
    app: &State<App>,
    signed: RegulatorPage,
    id: &str,
    done: Option<&str>,
) -> Result<Html, PageError> {
    let id = parse_id(&signed, id)?;
    let notice_text = said(&signed, done, None);
    run_view(app, &signed, id, notice_text, None).await
}

/// Runs a step of a run: freeze, approve, export, reconcile or close.
#[post("/regulator/settlement/<id>/<what>", data = "<form>", rank = 2)]
pub async fn step(
    app: &State<App>,
    signed: RegulatorPage,
    id: &str,
    what: &str,
    form: Form<Plain>,
) -> Result<Either<Redirect, Html>, PageError> {
    let run = parse_id(&signed, id)?;
    let fields = [id, what];
    let sent = Sent {
        app,
        signed: &signed,
        form: &form,
        fields: &fields,
    };
    let done = match what {
        "freeze" => sent.run(FreezeRun { id: run }, "run_frozen").await?,
        "approve" => sent.run(ApproveRun { id: run }, "run_approved").await?,
        "export" => sent.run(ExportRun { id: run }, "run_exported").await?,
        "reconcile" => sent.run(ReconcileRun { id: run }, "run_reconciled").await?,
        "close" => sent.run(CloseRun { id: run }, "run_closed").await?,
        _ => return Err(PageError::new(signed.lang, Status::NotFound, "error.404")),
    };
    after(app, &signed, run, done).await
}

/// A step's form as it was sent.
struct Sent<'a> {
    app: &'a App,
    signed: &'a RegulatorPage,
    form: &'a Plain,
    fields: &'a [&'a str],
}

impl Sent<'_> {
    /// Runs the step's operation: what it did, named `done`.
    async fn run<O: crate::service::Operation>(
        &self,
        op: O,
        done: &'static str,
    ) -> Result<Submitted<&'static str>, PageError> {
        let (csrf, idem) = (self.form.csrf.as_deref(), self.form.idem.as_deref());
        let service = &self.app.service;
        let acted = forms::act(service, self.signed, csrf, idem, self.fields, op).await?;
        Ok(acted.map(|_| done))
    }
}

/// Where a step leads: back to the run, with what happened or why not.
async fn after(
    app: &App,
    signed: &RegulatorPage,
    run: uuid::Uuid,
    done: Submitted<&'static str>,
) -> Result<Either<Redirect, Html>, PageError> {
    match done {
        Submitted::Done(key) => Ok(Either::Left(Redirect::to(format!(
            "/regulator/settlement/{run}?done={key}"
        )))),
        Submitted::Again => Ok(Either::Left(Redirect::to(format!(
            "/regulator/settlement/{run}?done=again"
        )))),
        Submitted::Refused(problem) => run_view(app, signed, run, None, Some(problem))
            .await
            .map(Either::Right),
    }
}

/// The cancel form.
#[derive(Debug, FromForm)]
pub struct CancelFields {
    pub csrf: Option<String>,
    pub idem: Option<String>,
    pub reason: String,
}

/// Cancels a run before export, saying why.
#[post("/regulator/settlement/<id>/cancel", data = "<form>")]
pub async fn cancel(
    app: &State<App>,
    signed: RegulatorPage,
    id: &str,
    form: Form<CancelFields>,
) -> Result<Either<Redirect, Html>, PageError> {
    let run = parse_id(&signed, id)?;
    let op = CancelRun {
        id: run,
        reason: form.reason.clone(),
    };
    let (csrf, idem) = (form.csrf.as_deref(), form.idem.as_deref());
    let done = forms::act(&app.service, &signed, csrf, idem, &[id, &form.reason], op)
        .await?
        .map(|_| "run_cancelled");
    after(app, &signed, run, done).await
}
