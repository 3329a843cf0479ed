//! A regulator's console: the dashboard of a year (budget figures and the
//! cross-region flows, as charts and tables, from the running totals), the
//! applications and claims queues with what the rules say about each, and
//! the audit trail (events, verification, downloads). Every page is of the
//! regulator's own region; asking for another region is the 403 page.

use askama::Template;
use chrono::Datelike;
use rocket::form::{Form, FromForm};
use rocket::http::{ContentType, Header, Status};
use rocket::response::stream::TextStream;
use rocket::response::Redirect;
use rocket::{get, post, Either, Responder, Route, State};
use uuid::Uuid;

use super::chart;
use super::company::{all_of, notice, organization_names, parse_id};
use super::explain::{percent, region_name, Policy};
use super::forms::{self, Acted, Problem};
use super::frame::{Frame, Html, PageError, Signed};
use super::i18n::{yuan, Lang};
use crate::audit::export::{lines, Format};
use crate::audit::{self, Event, EventFilter, Verification};
use crate::domain::clock::shanghai_date;
use crate::domain::{Actor, ApplicationStatus, ClaimStatus, Money, Region, Role};
use crate::service::applications::{
    self, Application, ApproveApplication, CapRoom, RejectApplication,
};
use crate::service::claims::{self, ApproveClaim, Claim, PayClaim, RejectClaim};
use crate::service::reports::{self, Month, Summary};
use crate::service::{audited_region, Service, ServiceError};
use crate::App;

/// The regulator pages' routes.
pub fn routes() -> Vec<Route> {
    rocket::routes![
        dashboard,
        applications_page,
        approve_application,
        reject_application,
        claims_page,
        approve_claim,
        reject_claim,
        pay_claim,
        audit_page,
        verify,
        export,
    ]
}

/// The signed-in regulator and the region a page is about: its own (a
/// regulator asking for another region gets the 403 page).
fn regulator<'a>(
    signed: &'a Signed,
    app: &App,
    asked: Option<&str>,
) -> Result<(&'a Actor, Region), PageError> {
    let actor = &signed.expect(Role::Regulator)?.actor;
    let region = audited_region(&app.service.rules, actor, asked.filter(|r| !r.is_empty()))
        .map_err(|e| PageError::from_service(signed.lang, e.into()))?;
    Ok((actor, region))
}

fn err(lang: Lang) -> impl Fn(ServiceError) -> PageError {
    move |e| PageError::from_service(lang, e)
}

/// One figure of the dashboard.
pub struct Figure {
    pub label: &'static str,
    pub amount: Money,
}

/// One cell of the cross-region table.
pub struct FlowRow {
    pub issuer: &'static str,
    pub provider: &'static str,
    pub completed: Money,
    pub paid: Money,
    pub count: i64,
    /// `JX-SH`, for tests and anchors.
    pub key: String,
}

#[derive(Template)]
#[template(path = "regulator_home.html", config = "src/portal/askama.toml")]
pub struct DashboardPage {
    pub f: Frame,
    pub region: Region,
    pub year: i32,
    pub years: Vec<i32>,
    /// None when the year has no budget yet.
    pub summary: Option<Summary>,
    pub figures: Vec<Figure>,
    pub budget_chart: String,
    pub months: Vec<Month>,
    pub month_chart: String,
    pub flows: Vec<FlowRow>,
    pub flow_chart: String,
}

impl DashboardPage {
    fn money(&self, m: &Money) -> String {
        yuan(*m)
    }
}

/// The dashboard of a year: budget figures and cross-region flows.
#[get("/regulator?<year>&<region>")]
pub async fn dashboard(
    app: &State<App>,
    signed: Signed,
    year: Option<i32>,
    region: Option<&str>,
) -> Result<Html, PageError> {
    let (actor, region) = regulator(&signed, app, region)?;
    let lang = signed.lang;
    let this_year = shanghai_date(app.service.clock.now()).year();
    let year = year
        .filter(|y| (2000..=2100).contains(y))
        .unwrap_or(this_year);
    let db = app.service.db.reader();
    let summary = match reports::summary(db, &region, year).await {
        Ok(s) => Some(s),
        Err(ServiceError::Domain(crate::domain::DomainError::NotFound)) => None,
        Err(e) => return Err(err(lang)(e)),
    };
    let figures: Vec<Figure> = summary
        .as_ref()
        .map(|s| {
            [
                ("figure.appropriated", s.appropriated),
                ("figure.issued", s.issued),
                ("figure.unissued", s.unissued),
                ("figure.held", s.held),
                ("figure.redeemed", s.redeemed),
                ("figure.paid", s.paid),
                ("figure.returned", s.returned),
            ]
            .into_iter()
            .map(|(label, amount)| Figure { label, amount })
            .collect()
        })
        .unwrap_or_default();
    let labelled: Vec<(String, Money)> = figures
        .iter()
        .map(|f| (lang.t(f.label).to_owned(), f.amount))
        .collect();
    let budget_chart = chart::bars(
        "budget-chart",
        &format!(
            "{} {year} · {}",
            region_name(lang, &region),
            lang.t("dashboard.budget")
        ),
        lang.t("dashboard.budget_desc"),
        &labelled,
    );
    let months = reports::monthly(db, &region, year)
        .await
        .map_err(err(lang))?;
    let month_rows: Vec<(String, Money, Money)> = months
        .iter()
        .map(|m| (m.month.clone(), m.issued, m.redeemed))
        .collect();
    let month_chart = chart::pairs(
        "month-chart",
        &format!(
            "{} {year} · {}",
            region_name(lang, &region),
            lang.t("dashboard.months")
        ),
        lang.t("dashboard.months_desc"),
        (lang.t("figure.issued"), lang.t("figure.redeemed")),
        &month_rows,
    );
    let matrix = reports::cross_region(db, actor, year)
        .await
        .map_err(err(lang))?;
    let regions = app.service.rules.regions();
    let names: Vec<String> = regions
        .iter()
        .map(|r| region_name(lang, r).to_owned())
        .collect();
    let cells: Vec<Vec<Money>> = regions
        .iter()
        .map(|issuer| {
            regions
                .iter()
                .map(|provider| {
                    matrix
                        .cells
                        .iter()
                        .find(|c| &c.issuer_region == issuer && &c.provider_region == provider)
                        .map_or(Money::ZERO, |c| c.completed)
                })
                .collect()
        })
        .collect();
    let flow_chart = chart::matrix(
        "flow-chart",
        &format!("{year} · {}", lang.t("dashboard.flows")),
        lang.t("dashboard.flows_desc"),
        &names,
        &names,
        &cells,
    );
    let flows = matrix
        .cells
        .iter()
        .map(|c| FlowRow {
            issuer: region_name(lang, &c.issuer_region),
            provider: region_name(lang, &c.provider_region),
            completed: c.completed,
            paid: c.paid,
            count: c.count,
            key: format!("{}-{}", c.issuer_region, c.provider_region),
        })
        .collect();
    Html::page(&DashboardPage {
        f: signed.frame("dashboard.title"),
        region,
        year,
        years: vec![this_year - 1, this_year, this_year + 1],
        summary,
        figures,
        budget_chart,
        months,
        month_chart,
        flows,
        flow_chart,
    })
}

/// A submitted application and what the cap rule says about it.
pub struct ApplicationRow {
    pub a: Application,
    pub company: String,
    pub room: Option<CapRoom>,
    pub policy: String,
    pub approve_idem: String,
    pub reject_idem: String,
    pub problem: Option<String>,
}

#[derive(Template)]
#[template(
    path = "regulator_applications.html",
    config = "src/portal/askama.toml"
)]
pub struct ApplicationsPage {
    pub f: Frame,
    pub notice: Option<&'static str>,
    pub rows: Vec<ApplicationRow>,
    pub decided: Vec<(Application, String)>,
}

impl ApplicationsPage {
    fn money(&self, m: &Money) -> String {
        yuan(*m)
    }
    fn status(&self, s: &ApplicationStatus) -> &'static str {
        self.f.t(&format!("status.{s}"))
    }
}

/// Renders the applications queue, with a refusal on one row.
async fn applications_view(
    service: &Service,
    signed: &Signed,
    region: &Region,
    done: Option<&str>,
    refused: Option<(Uuid, Problem)>,
) -> Result<Html, PageError> {
    let lang = signed.lang;
    let actor = &signed.person.actor;
    let db = service.db.reader();
    let mut all = all_of(|p| applications::list(db, actor, p))
        .await
        .map_err(err(lang))?;
    all.retain(|a| &a.region == region);
    all.reverse();
    let names = organization_names(service, all.iter().map(|a| a.company_id))
        .await
        .map_err(err(lang))?;
    let mut rows = Vec::new();
    let mut decided = Vec::new();
    for a in all {
        let company = names.get(&a.company_id).cloned().unwrap_or_default();
        if a.status != ApplicationStatus::Submitted {
            decided.push((a, company));
            continue;
        }
        let room = applications::cap_room_of(db, &service.rules, a.company_id, region, a.year)
            .await
            .ok();
        let policy = room.as_ref().map_or_else(String::new, |r| {
            Policy {
                region: region.clone(),
                effective_from: r.effective_from,
            }
            .name(lang)
        });
        let problem = refused
            .as_ref()
            .filter(|(id, _)| *id == a.id)
            .map(|(_, p)| p.message.clone());
        rows.push(ApplicationRow {
            a,
            company,
            room,
            policy,
            approve_idem: forms::new_key(),
            reject_idem: forms::new_key(),
            problem,
        });
    }
    decided.truncate(50);
    let status = if refused.is_some() {
        Status::UnprocessableEntity
    } else {
        Status::Ok
    };
    Html::with_status(
        status,
        &ApplicationsPage {
            f: signed.frame("queue.applications"),
            notice: notice(lang, done),
            rows,
            decided,
        },
    )
}

/// Submitted applications of the region, with the cap each would use.
#[get("/regulator/applications?<region>&<done>")]
pub async fn applications_page(
    app: &State<App>,
    signed: Signed,
    region: Option<&str>,
    done: Option<&str>,
) -> Result<Html, PageError> {
    let (_, region) = regulator(&signed, app, region)?;
    applications_view(&app.service, &signed, &region, done, None).await
}

/// A decision form: an amount (approve; empty for all), or a reason (reject).
#[derive(Debug, FromForm)]
pub struct Decision {
    pub csrf: Option<String>,
    pub idem: Option<String>,
    pub amount: Option<String>,
    pub reason: Option<String>,
    pub bank_reference: Option<String>,
}

/// Approves an application in full or in part.
#[post("/regulator/applications/<id>/approve", data = "<form>")]
pub async fn approve_application(
    app: &State<App>,
    signed: Signed,
    id: &str,
    form: Form<Decision>,
) -> Result<Either<Redirect, Html>, PageError> {
    let (_, region) = regulator(&signed, app, None)?;
    let id = parse_id(&signed, id)?;
    signed.check_csrf(form.csrf.as_deref())?;
    let typed = form.amount.clone().unwrap_or_default();
    let amount = if typed.trim().is_empty() {
        None
    } else {
        match forms::amount(&signed, "amount", &typed) {
            Ok(a) => Some(a),
            Err(problem) => {
                return applications_view(&app.service, &signed, &region, None, Some((id, problem)))
                    .await
                    .map(Either::Right)
            }
        }
    };
    let (csrf, idem) = (form.csrf.as_deref(), form.idem.as_deref());
    let id_text = id.to_string();
    let op = ApproveApplication { id, amount };
    let fields = [id_text.as_str(), typed.as_str()];
    decided(
        forms::act(&app.service, &signed, csrf, idem, &fields, op, None).await?,
        "/regulator/applications",
        "approved",
        |problem| applications_view(&app.service, &signed, &region, None, Some((id, problem))),
    )
    .await
}

/// Rejects an application with a reason.
#[post("/regulator/applications/<id>/reject", data = "<form>")]
pub async fn reject_application(
    app: &State<App>,
    signed: Signed,
    id: &str,
    form: Form<Decision>,
) -> Result<Either<Redirect, Html>, PageError> {
    let (_, region) = regulator(&signed, app, None)?;
    let id = parse_id(&signed, id)?;
    let reason = form.reason.clone().unwrap_or_default();
    let (csrf, idem) = (form.csrf.as_deref(), form.idem.as_deref());
    let id_text = id.to_string();
    let op = RejectApplication {
        id,
        reason: reason.clone(),
    };
    decided(
        forms::act(
            &app.service,
            &signed,
            csrf,
            idem,
            &[&id_text, &reason],
            op,
            None,
        )
        .await?,
        "/regulator/applications",
        "rejected",
        |problem| applications_view(&app.service, &signed, &region, None, Some((id, problem))),
    )
    .await
}

/// Where a decision leads: the queue with a notice, or the queue again
/// with the refusal on the row.
async fn decided<T, F, Fut>(
    acted: Acted<T>,
    queue: &str,
    done: &str,
    refused: F,
) -> Result<Either<Redirect, Html>, PageError>
where
    F: FnOnce(Problem) -> Fut,
    Fut: std::future::Future<Output = Result<Html, PageError>>,
{
    match acted {
        Acted::Done(_) => Ok(Either::Left(Redirect::to(format!("{queue}?done={done}")))),
        Acted::Again => Ok(Either::Left(Redirect::to(format!("{queue}?done=again")))),
        Acted::Refused(problem) => refused(problem).await.map(Either::Right),
    }
}

/// A claim in the queue, with its provider.
pub struct ClaimRow {
    pub c: Claim,
    pub provider: String,
    pub open: bool,
    pub approvable: bool,
    pub payable: bool,
    pub approve_idem: String,
    pub reject_idem: String,
    pub pay_idem: String,
    pub problem: Option<String>,
}

#[derive(Template)]
#[template(path = "regulator_claims.html", config = "src/portal/askama.toml")]
pub struct ClaimsPage {
    pub f: Frame,
    pub notice: Option<&'static str>,
    pub rows: Vec<ClaimRow>,
    /// The cross-region budget: the cap and what is held or completed outside.
    pub outside: Option<(String, Money, Money)>,
}

impl ClaimsPage {
    fn money(&self, m: &Money) -> String {
        yuan(*m)
    }
    fn status(&self, s: &ClaimStatus) -> &'static str {
        self.f.t(&format!("status.{s}"))
    }
}

/// Renders the claims queue, with a refusal on one row.
async fn claims_view(
    service: &Service,
    signed: &Signed,
    region: &Region,
    done: Option<&str>,
    refused: Option<(Uuid, Problem)>,
) -> Result<Html, PageError> {
    let lang = signed.lang;
    let actor = &signed.person.actor;
    let db = service.db.reader();
    let mut all = all_of(|p| claims::list(db, actor, p))
        .await
        .map_err(err(lang))?;
    all.retain(|c| &c.region == region);
    all.reverse();
    let names = organization_names(service, all.iter().map(|c| c.provider_id))
        .await
        .map_err(err(lang))?;
    let rows = all
        .into_iter()
        .take(200)
        .map(|c| ClaimRow {
            provider: names.get(&c.provider_id).cloned().unwrap_or_default(),
            open: matches!(c.status, ClaimStatus::Submitted | ClaimStatus::Approved),
            approvable: c.status == ClaimStatus::Submitted,
            payable: c.status == ClaimStatus::Approved,
            approve_idem: forms::new_key(),
            reject_idem: forms::new_key(),
            pay_idem: forms::new_key(),
            problem: refused
                .as_ref()
                .filter(|(id, _)| *id == c.id)
                .map(|(_, p)| p.message.clone()),
            c,
        })
        .collect();
    let year = shanghai_date(service.clock.now()).year();
    let outside = outside_budget(service, region, year).await;
    let status = if refused.is_some() {
        Status::UnprocessableEntity
    } else {
        Status::Ok
    };
    Html::with_status(
        status,
        &ClaimsPage {
            f: signed.frame("queue.claims"),
            notice: notice(lang, done),
            rows,
            outside,
        },
    )
}

/// The share of the year's budget that may go to other regions' providers,
/// its limit and what is held or completed there (regions with that rule).
async fn outside_budget(
    service: &Service,
    region: &Region,
    year: i32,
) -> Option<(String, Money, Money)> {
    let share = service
        .rules
        .get(region)?
        .version(year)
        .ok()?
        .cross_region_budget_share?;
    let used = crate::service::redemptions::cross_region_used(service.db.reader(), region, year)
        .await
        .ok()??;
    let limit = used.appropriated.share_floor(share)?;
    Some((percent(share), limit, used.committed_outside))
}

/// Claims of the region: submitted and approved ones to decide and pay.
#[get("/regulator/claims?<region>&<done>")]
pub async fn claims_page(
    app: &State<App>,
    signed: Signed,
    region: Option<&str>,
    done: Option<&str>,
) -> Result<Html, PageError> {
    let (_, region) = regulator(&signed, app, region)?;
    claims_view(&app.service, &signed, &region, done, None).await
}

/// Approves a submitted claim.
#[post("/regulator/claims/<id>/approve", data = "<form>")]
pub async fn approve_claim(
    app: &State<App>,
    signed: Signed,
    id: &str,
    form: Form<Decision>,
) -> Result<Either<Redirect, Html>, PageError> {
    let (_, region) = regulator(&signed, app, None)?;
    let id = parse_id(&signed, id)?;
    let (csrf, idem) = (form.csrf.as_deref(), form.idem.as_deref());
    let id_text = id.to_string();
    decided(
        forms::act(
            &app.service,
            &signed,
            csrf,
            idem,
            &[&id_text],
            ApproveClaim { id },
            None,
        )
        .await?,
        "/regulator/claims",
        "approved",
        |problem| claims_view(&app.service, &signed, &region, None, Some((id, problem))),
    )
    .await
}

/// Rejects a claim with a reason (its redemptions may be claimed again).
#[post("/regulator/claims/<id>/reject", data = "<form>")]
pub async fn reject_claim(
    app: &State<App>,
    signed: Signed,
    id: &str,
    form: Form<Decision>,
) -> Result<Either<Redirect, Html>, PageError> {
    let (_, region) = regulator(&signed, app, None)?;
    let id = parse_id(&signed, id)?;
    let reason = form.reason.clone().unwrap_or_default();
    let (csrf, idem) = (form.csrf.as_deref(), form.idem.as_deref());
    let id_text = id.to_string();
    let op = RejectClaim {
        id,
        reason: reason.clone(),
    };
    decided(
        forms::act(
            &app.service,
            &signed,
            csrf,
            idem,
            &[&id_text, &reason],
            op,
            None,
        )
        .await?,
        "/regulator/claims",
        "rejected",
        |problem| claims_view(&app.service, &signed, &region, None, Some((id, problem))),
    )
    .await
}

/// Pays an approved claim with the bank's reference.
#[post("/regulator/claims/<id>/pay", data = "<form>")]
pub async fn pay_claim(
    app: &State<App>,
    signed: Signed,
    id: &str,
    form: Form<Decision>,
) -> Result<Either<Redirect, Html>, PageError> {
    let (_, region) = regulator(&signed, app, None)?;
    let id = parse_id(&signed, id)?;
    let reference = form.bank_reference.clone().unwrap_or_default();
    let (csrf, idem) = (form.csrf.as_deref(), form.idem.as_deref());
    let id_text = id.to_string();
    let op = PayClaim {
        id,
        bank_reference: reference.clone(),
    };
    decided(
        forms::act(
            &app.service,
            &signed,
            csrf,
            idem,
            &[&id_text, &reference],
            op,
            None,
        )
        .await?,
        "/regulator/claims",
        "paid",
        |problem| claims_view(&app.service, &signed, &region, None, Some((id, problem))),
    )
    .await
}

#[derive(Template)]
#[template(path = "regulator_audit.html", config = "src/portal/askama.toml")]
pub struct AuditPage {
    pub f: Frame,
    pub region: Region,
    pub events: Vec<Event>,
    pub action: String,
    pub entity_id: String,
    pub after: i64,
    pub next: Option<i64>,
    pub verification: Option<Verification>,
}

impl AuditPage {
    fn when(&self, e: &Event) -> String {
        e.occurred_at
            .with_timezone(&crate::domain::clock::china_standard_time())
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    }
    fn short<'a>(&self, hash: &'a str) -> &'a str {
        &hash[..hash.len().min(12)]
    }
}

/// The most events a page shows.
const EVENTS_PER_PAGE: u64 = 50;

/// Reads a page of events and renders the audit page.
async fn audit_view(
    service: &Service,
    signed: &Signed,
    region: Region,
    action: Option<&str>,
    entity_id: Option<&str>,
    after: i64,
    verification: Option<Verification>,
) -> Result<Html, PageError> {
    let clean = |t: Option<&str>| {
        t.map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    };
    let filter = EventFilter {
        action: clean(action),
        entity_id: clean(entity_id),
        after_seq: after.max(0),
        ..EventFilter::of(region.clone())
    };
    let rows = audit::events(service.db.reader(), &filter, EVENTS_PER_PAGE + 1)
        .await
        .map_err(|e| err(signed.lang)(e.into()))?;
    let more = rows.len() as u64 > EVENTS_PER_PAGE;
    let events: Vec<Event> = rows
        .into_iter()
        .take(EVENTS_PER_PAGE as usize)
        .map(Event::try_from)
        .collect::<Result<_, _>>()
        .map_err(|e| err(signed.lang)(e.into()))?;
    let next = if more {
        events.last().map(|e| e.seq)
    } else {
        None
    };
    Html::page(&AuditPage {
        f: signed.frame("audit.title"),
        region,
        events,
        action: filter.action.unwrap_or_default(),
        entity_id: filter.entity_id.unwrap_or_default(),
        after: filter.after_seq,
        next,
        verification,
    })
}

/// The region's audit events, filtered and paged.
#[get("/regulator/audit?<region>&<action>&<entity_id>&<after>")]
pub async fn audit_page(
    app: &State<App>,
    signed: Signed,
    region: Option<&str>,
    action: Option<&str>,
    entity_id: Option<&str>,
    after: Option<i64>,
) -> Result<Html, PageError> {
    let (_, region) = regulator(&signed, app, region)?;
    audit_view(
        &app.service,
        &signed,
        region,
        action,
        entity_id,
        after.unwrap_or(0),
        None,
    )
    .await
}

/// Verifies the region's chain against the ledger and shows the result.
#[get("/regulator/audit/verify?<region>")]
pub async fn verify(
    app: &State<App>,
    signed: Signed,
    region: Option<&str>,
) -> Result<Html, PageError> {
    let (_, region) = regulator(&signed, app, region)?;
    let verification = audit::verify(&app.service.db, &region)
        .await
        .map_err(|e| err(signed.lang)(e.into()))?;
    audit_view(
        &app.service,
        &signed,
        region,
        None,
        None,
        0,
        Some(verification),
    )
    .await
}

/// A file to download.
#[derive(Responder)]
pub struct Download<S> {
    inner: TextStream<S>,
    content_type: ContentType,
    disposition: Header<'static>,
}

/// The region's events as CSV (safe to open in a spreadsheet) or JSON Lines.
#[get("/regulator/audit/export?<region>&<format>")]
pub async fn export(
    app: &State<App>,
    signed: Signed,
    region: Option<&str>,
    format: Option<&str>,
) -> Result<Download<impl futures::Stream<Item = String>>, PageError> {
    let (_, region) = regulator(&signed, app, region)?;
    let format = Format::parse(format.unwrap_or("csv"))
        .ok_or_else(|| PageError::new(signed.lang, Status::BadRequest, "error.400"))?;
    Ok(Download {
        inner: TextStream::from(lines(app.service.db.clone(), region.clone(), format)),
        content_type: ContentType::parse_flexible(format.content_type())
            .unwrap_or(ContentType::Plain),
        disposition: Header::new(
            "Content-Disposition",
            format!(
                "attachment; filename=\"audit-{region}.{}\"",
                format.extension()
            ),
        ),
    })
}
