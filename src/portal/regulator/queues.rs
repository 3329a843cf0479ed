//! A regulator's queues: the decisions taken from the applications queue
//! ([`super::application_queue`]: approve, recommend, reject) and the
//! claims queue (with the cross-region budget: approve, reject, pay — a
//! payment under four eyes then waits in [`super::confirmations`]).

use askama::Template;
use chrono::Datelike;
use rocket::form::{Form, FromForm};
use rocket::http::Status;
use rocket::response::Redirect;
use rocket::{get, post, Either, State};
use uuid::Uuid;

use super::application_queue::{applications_view, desk_region};
use super::err;
use crate::domain::clock::shanghai_date;
use crate::domain::{Amount, ClaimStatus, Money, Region};
use crate::portal::kit::explain::percent;
use crate::portal::kit::forms::{self, Problem, Submitted};
use crate::portal::kit::frame::{Frame, Html, PageError};
use crate::portal::kit::guards::RegulatorPage;
use crate::portal::kit::lists::{all_of, notice, parse_id};
use crate::service::applications::{ApproveApplication, RejectApplication};
use crate::service::claims::{self, ApproveClaim, Claim, RejectClaim};
use crate::service::evidence::{self, Document};
use crate::service::four_eyes::Decided;
use crate::service::identity::organization_names;
use crate::service::payments::PayClaim;
use crate::service::review::RecommendApplication;
use crate::service::{Operation, Service};
use crate::App;

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
    signed: RegulatorPage,
    id: &str,
    form: Form<Decision>,
) -> Result<Either<Redirect, Html>, PageError> {
    let desk = desk(app, &signed)?;
    let id = parse_id(&signed, id)?;
    signed.check_csrf(form.csrf.as_deref())?;
    let typed = form.amount.clone().unwrap_or_default();
    let amount = match desk.typed_amount(id, &typed).await {
        Ok(amount) => amount,
        Err(page) => return page,
    };
    let op = ApproveApplication { id, amount };
    desk.decide(Queue::Applications, "approved", &form, id, &typed, op)
        .await
}

/// A district's regulator recommends an application to the region, in
/// full or in part (with a reason).
#[post("/regulator/applications/<id>/recommend", data = "<form>")]
pub async fn recommend_application(
    app: &State<App>,
    signed: RegulatorPage,
    id: &str,
    form: Form<Decision>,
) -> Result<Either<Redirect, Html>, PageError> {
    let desk = desk(app, &signed)?;
    let id = parse_id(&signed, id)?;
    signed.check_csrf(form.csrf.as_deref())?;
    let typed = form.amount.clone().unwrap_or_default();
    let amount = match desk.typed_amount(id, &typed).await {
        Ok(amount) => amount,
        Err(page) => return page,
    };
    let reason = form.reason.clone().unwrap_or_default();
    let op = RecommendApplication {
        id,
        amount,
        reason: Some(reason.clone()),
    };
    let detail = format!("{typed}\n{reason}");
    desk.decide(Queue::Applications, "recommended", &form, id, &detail, op)
        .await
}

/// Rejects an application with a reason.
#[post("/regulator/applications/<id>/reject", data = "<form>")]
pub async fn reject_application(
    app: &State<App>,
    signed: RegulatorPage,
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
fn desk<'a>(app: &'a App, signed: &'a RegulatorPage) -> Result<Desk<'a>, PageError> {
    let region = desk_region(&app.service, signed, None)?;
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
    signed: &'a RegulatorPage,
    region: Region,
}

impl Desk<'_> {
    /// The amount an application's decision form typed (empty: none), or
    /// the queue again with why it cannot be read on that application.
    async fn typed_amount(
        &self,
        id: Uuid,
        typed: &str,
    ) -> Result<Option<Amount>, Result<Either<Redirect, Html>, PageError>> {
        let (service, signed) = (&self.app.service, self.signed);
        match forms::optional_amount(signed, "amount", typed) {
            Ok(amount) => Ok(amount),
            Err(problem) => {
                let refused = Some((id, problem));
                let page = applications_view(service, signed, &self.region, None, refused).await;
                Err(page.map(Either::Right))
            }
        }
    }

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
        self.decide_then(queue, done, form, id, detail, op, |_| None)
            .await
    }

    /// The same, leading where `landing` says for some outcomes (a payment
    /// that waits for a second person goes to the confirmations).
    #[allow(clippy::too_many_arguments)]
    async fn decide_then<O: Operation>(
        &self,
        queue: Queue,
        done: &str,
        form: &Decision,
        id: Uuid,
        detail: &str,
        op: O,
        landing: fn(&O::Output) -> Option<&'static str>,
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
            Submitted::Done(out) => Ok(Either::Left(Redirect::to(match landing(&out) {
                Some(elsewhere) => elsewhere.to_owned(),
                None => format!("{path}?done={done}"),
            }))),
            Submitted::Again => Ok(Either::Left(Redirect::to(format!("{path}?done=again")))),
            Submitted::Refused(problem) => {
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
    /// The evidence documents the claim carries.
    pub documents: Vec<Document>,
    pub open: bool,
    pub approvable: bool,
    pub payable: bool,
    pub approve_idem: String,
    pub reject_idem: String,
    pub pay_idem: String,
    pub problem: Option<Problem>,
}

impl ClaimRow {
    /// The refusal of this row's `field` (`reason`, `bank_reference`), shown
    /// next to that field.
    fn error_on(&self, field: &str) -> Option<&str> {
        self.problem.as_ref().and_then(|p| p.on(field))
    }

    /// A refusal of the row that is not about one of its fields.
    fn general_error(&self) -> Option<&str> {
        self.problem
            .as_ref()
            .filter(|p| !matches!(p.field, "reason" | "bank_reference"))
            .map(|p| p.message.as_str())
    }
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
    fn kind_key(&self, kind: &str) -> &'static str {
        kind.parse()
            .map_or("evidence.link", |k| crate::portal::evidence::kind_key(&k))
    }
}

/// Renders the claims queue, with a refusal on one row.
async fn claims_view(
    service: &Service,
    signed: &RegulatorPage,
    region: &Region,
    done: Option<&str>,
    refused: Option<(Uuid, Problem)>,
) -> Result<Html, PageError> {
    let lang = signed.lang;
    let actor = signed.actor();
    let db = service.db.reader();
    let mut all = all_of(|p| claims::list(db, actor, p))
        .await
        .map_err(err(lang))?;
    all.retain(|c| &c.region == region);
    all.reverse();
    let names = organization_names(&service.db, actor, all.iter().map(|c| c.provider_id))
        .await
        .map_err(err(lang))?;
    all.truncate(200);
    let listed: Vec<(Uuid, Region)> = all.iter().map(|c| (c.id, c.region.clone())).collect();
    let mut documents = evidence::of_claims(db, &listed).await.map_err(err(lang))?;
    let rows = all
        .into_iter()
        .map(|c| ClaimRow {
            provider: names.get(&c.provider_id).cloned().unwrap_or_default(),
            documents: documents.remove(&c.id).unwrap_or_default(),
            open: matches!(c.status, ClaimStatus::Submitted | ClaimStatus::Approved),
            approvable: c.status == ClaimStatus::Submitted,
            payable: c.status == ClaimStatus::Approved,
            approve_idem: forms::new_key(),
            reject_idem: forms::new_key(),
            pay_idem: forms::new_key(),
            problem: refused
                .as_ref()
                .filter(|(id, _)| *id == c.id)
                .map(|(_, p)| p.clone()),
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
    signed: RegulatorPage,
    region: Option<&str>,
    done: Option<&str>,
) -> Result<Html, PageError> {
    let region = signed.audited(&app.service.rules, region)?;
    claims_view(&app.service, &signed, &region, done, None).await
}

/// Approves a submitted claim.
#[post("/regulator/claims/<id>/approve", data = "<form>")]
pub async fn approve_claim(
    app: &State<App>,
    signed: RegulatorPage,
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
    signed: RegulatorPage,
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
    signed: RegulatorPage,
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
    let awaiting = |d: &Decided<Claim>| {
        matches!(d, Decided::Awaiting(_)).then_some("/regulator/confirmations?done=awaiting")
    };
    desk.decide_then(Queue::Claims, "paid", &form, id, &reference, op, awaiting)
        .await
}
