//! A regulator's console: the dashboard of a year (budget figures and the
//! cross-region flows, as charts and tables, from the running totals), the
//! applications and claims queues with what the rules say about each, and
//! the audit trail (events, verification, downloads). Every page is of the
//! regulator's own region; asking for another region is the 403 page.

use askama::Template;
use chrono::Datelike;
use rocket::form::{Form, FromForm};
use rocket::http::Status;
use rocket::response::Redirect;
use rocket::{get, post, Either, Route, State};
use uuid::Uuid;

use super::chart;
use super::company::{all_of, notice, organization_names, parse_id};
use super::explain::{percent, region_name, Policy};
use super::forms::{self, Acted, Problem};
use super::frame::{Frame, Html, PageError, Signed};
use super::i18n::Lang;
use crate::api::audit::{audit_file, Download};
use crate::audit::export::Format;
use crate::audit::{self, Event, EventFilter, Verification};
use crate::domain::clock::shanghai_date;
use crate::domain::{Actor, ApplicationStatus, ClaimStatus, Money, Region, Role};
use crate::service::applications::{
    self, Application, ApproveApplication, CapRoom, RejectApplication,
};
use crate::service::claims::{self, ApproveClaim, Claim, PayClaim, RejectClaim};
use crate::service::reports::{self, Month, Summary};
use crate::service::{audited_region, Operation, Service, ServiceError};
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
    pub decided: Vec<DecidedRow>,
}

/// An application decided: by whom it was asked, and what was approved.
pub struct DecidedRow {
    pub a: Application,
    pub company: String,
    /// The voucher's face value, for an approved application.
    pub approved: Option<Money>,
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
            decided.push(DecidedRow {
                a,
                company,
                approved: None,
            });
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
    let vouchers = decided.iter().filter_map(|d| d.a.voucher_id).collect();
    let approved = crate::service::vouchers::face_values(db, actor, vouchers)
        .await
        .map_err(err(lang))?;
    for d in &mut decided {
        d.approved = d.a.voucher_id.and_then(|v| approved.get(&v).copied());
    }
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
    let desk = desk(app, &signed)?;
    let id = parse_id(&signed, id)?;
    signed.check_csrf(form.csrf.as_deref())?;
    let typed = form.amount.clone().unwrap_or_default();
    let amount = match forms::optional_amount(&signed, "amount", &typed) {
        Ok(amount) => amount,
        Err(problem) => {
            let refused = Some((id, problem));
            return applications_view(&app.service, &signed, &desk.region, None, refused)
                .await
                .map(Either::Right);
        }
    };
    let op = ApproveApplication { id, amount };
    desk.decide(Queue::Applications, "approved", &form, id, &typed, op)
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
    let desk = desk(app, &signed)?;
    let id = parse_id(&signed, id)?;
    let reason = form.reason.clone().unwrap_or_default();
    let op = RejectApplication {
        id,
        reason: reason.clone(),
    };
    desk.decide(Queue::Applications, "rejected", &form, id, &reason, op)
        .await
}

/// The signed-in regulator's desk (its own region).
fn desk<'a>(app: &'a App, signed: &'a Signed) -> Result<Desk<'a>, PageError> {
    let (_, region) = regulator(signed, app, None)?;
    Ok(Desk {
        app,
        signed,
        region,
    })
}

/// The queue a decision is taken from.
#[derive(Debug, Clone, Copy)]
enum Queue {
    Applications,
    Claims,
}

/// A regulator at work on a queue of its region.
struct Desk<'a> {
    app: &'a App,
    signed: &'a Signed,
    region: Region,
}

impl Desk<'_> {
    /// Runs a decision on record `id` from its form (`detail`: what the form
    /// sent besides the id) and leads back to the queue: with a notice
    /// (`done`), or with the refusal on the record's row.
    async fn decide<O: Operation>(
        &self,
        queue: Queue,
        done: &str,
        form: &Decision,
        id: Uuid,
        detail: &str,
        op: O,
    ) -> Result<Either<Redirect, Html>, PageError> {
        let (service, signed) = (&self.app.service, self.signed);
        let id_text = id.to_string();
        let fields = [id_text.as_str(), detail];
        let (csrf, idem) = (form.csrf.as_deref(), form.idem.as_deref());
        let path = match queue {
            Queue::Applications => "/regulator/applications",
            Queue::Claims => "/regulator/claims",
        };
        match forms::act(service, signed, csrf, idem, &fields, op).await? {
            Acted::Done(_) => Ok(Either::Left(Redirect::to(format!("{path}?done={done}")))),
            Acted::Again => Ok(Either::Left(Redirect::to(format!("{path}?done=again")))),
            Acted::Refused(problem) => {
                let refused = Some((id, problem));
                let region = &self.region;
                match queue {
                    Queue::Applications => {
                        applications_view(service, signed, region, None, refused).await
                    }
                    Queue::Claims => claims_view(service, signed, region, None, refused).await,
                }
                .map(Either::Right)
            }
        }
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
    let desk = desk(app, &signed)?;
    let id = parse_id(&signed, id)?;
    let op = ApproveClaim { id };
    desk.decide(Queue::Claims, "approved", &form, id, "", op)
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
    let desk = desk(app, &signed)?;
    let id = parse_id(&signed, id)?;
    let reason = form.reason.clone().unwrap_or_default();
    let op = RejectClaim {
        id,
        reason: reason.clone(),
    };
    desk.decide(Queue::Claims, "rejected", &form, id, &reason, op)
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
    let desk = desk(app, &signed)?;
    let id = parse_id(&signed, id)?;
    let reference = form.bank_reference.clone().unwrap_or_default();
    let op = PayClaim {
        id,
        bank_reference: reference.clone(),
    };
    desk.decide(Queue::Claims, "paid", &form, id, &reference, op)
        .await
}

#[derive(Template)]
#[template(path = "regulator_audit.html", config = "src/portal/askama.toml")]
pub struct AuditPage {
    pub f: Frame,
    pub region: Region,
    pub events: Vec<Event>,
    pub query: AuditQuery,
    /// The next page's link, when there is one.
    pub next: Option<String>,
    pub verification: Option<Verification>,
}

impl AuditPage {
    fn when(&self, e: &Event) -> String {
        e.occurred_at
            .with_timezone(&crate::domain::clock::china_standard_time())
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    }
    /// The first 12 characters (of an id or a hash), for a narrow column.
    fn short(&self, text: &str) -> String {
        text.chars().take(12).collect()
    }
}

/// The audit page's filters, as the API's: action, entity, actor, and the
/// days from and to (inclusive, Asia/Shanghai); `after` pages on.
#[derive(Debug, Clone, Default, FromForm)]
pub struct AuditQuery {
    pub region: Option<String>,
    pub action: Option<String>,
    pub entity_id: Option<String>,
    pub actor: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub after: Option<i64>,
}

impl AuditQuery {
    /// A filter's text, trimmed (none when empty).
    fn text(value: &Option<String>) -> Option<String> {
        value
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    }

    /// Midnight in Asia/Shanghai of a `2026-03-02` day, `days` later, as UTC.
    fn day(value: &Option<String>, days: u64) -> Result<Option<chrono::DateTime<chrono::Utc>>, ()> {
        let Some(text) = Self::text(value) else {
            return Ok(None);
        };
        let day = chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|_| ())?;
        let day = day.checked_add_days(chrono::Days::new(days)).ok_or(())?;
        let local = day.and_hms_opt(0, 0, 0).ok_or(())?;
        let at = local
            .and_local_timezone(crate::domain::clock::china_standard_time())
            .single()
            .ok_or(())?;
        Ok(Some(at.with_timezone(&chrono::Utc)))
    }

    /// The filter over `region`'s events (400 for a malformed day).
    fn filter(&self, region: Region, lang: Lang) -> Result<EventFilter, PageError> {
        let bad = |_| PageError::new(lang, Status::BadRequest, "error.400");
        Ok(EventFilter {
            from: Self::day(&self.from, 0).map_err(bad)?,
            to: Self::day(&self.to, 1).map_err(bad)?,
            action: Self::text(&self.action),
            entity_id: Self::text(&self.entity_id),
            actor: Self::text(&self.actor),
            after_seq: self.after.unwrap_or(0).max(0),
            ..EventFilter::of(region)
        })
    }

    /// The link to the page after sequence number `seq`, same filters.
    fn next_page(&self, seq: i64) -> String {
        let mut href = format!("/regulator/audit?after={seq}");
        for (name, value) in [
            ("action", &self.action),
            ("entity_id", &self.entity_id),
            ("actor", &self.actor),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            if let Some(value) = Self::text(value) {
                href.push_str(&format!("&{name}={}", super::frame::percent_encode(&value)));
            }
        }
        href
    }
}

/// The most events a page shows.
const EVENTS_PER_PAGE: u64 = 50;

/// Reads a page of events and renders the audit page.
async fn audit_view(
    service: &Service,
    signed: &Signed,
    region: Region,
    query: AuditQuery,
    verification: Option<Verification>,
) -> Result<Html, PageError> {
    let lang = signed.lang;
    let filter = query.filter(region.clone(), lang)?;
    let rows = audit::events(service.db.reader(), &filter, EVENTS_PER_PAGE + 1)
        .await
        .map_err(|e| err(lang)(e.into()))?;
    let more = rows.len() as u64 > EVENTS_PER_PAGE;
    let events: Vec<Event> = rows
        .into_iter()
        .take(EVENTS_PER_PAGE as usize)
        .map(Event::try_from)
        .collect::<Result<_, _>>()
        .map_err(|e| err(lang)(e.into()))?;
    let next = if more {
        events.last().map(|e| query.next_page(e.seq))
    } else {
        None
    };
    Html::page(&AuditPage {
        f: signed.frame("audit.title"),
        region,
        events,
        query,
        next,
        verification,
    })
}

/// The region's audit events, filtered and paged.
#[get("/regulator/audit?<query..>")]
pub async fn audit_page(
    app: &State<App>,
    signed: Signed,
    query: AuditQuery,
) -> Result<Html, PageError> {
    let (_, region) = regulator(&signed, app, query.region.as_deref())?;
    audit_view(&app.service, &signed, region, query, None).await
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
    let query = <AuditQuery as Default>::default();
    audit_view(&app.service, &signed, region, query, Some(verification)).await
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
    Ok(audit_file(app.service.db.clone(), region, format))
}
