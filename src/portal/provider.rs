//! A service provider's pages: redemptions held at it (complete all or
//! part, or cancel), completed ones not yet claimed grouped by issuing
//! region with a claim form each, and its claims and payments.

use std::collections::BTreeMap;

use askama::Template;
use rocket::form::{Form, FromForm};
use rocket::http::Status;
use rocket::response::Redirect;
use rocket::{get, post, Either, Route, State};
use uuid::Uuid;

use super::irreversible::{self, Canceller};
use super::kit::confirm::Confirmable;
use super::kit::forms::{self, Problem, Submitted};
use super::kit::frame::{Frame, Html, PageError};
use super::kit::guards::ProviderPage;
use super::kit::lists::{all_of, notice, parse_id};
use crate::domain::{Actor, Money, RedemptionStatus, Region};
use crate::service::claims::{self, Claim, SubmitClaim};
use crate::service::redemptions::{self, CancelRedemption, Complete, Redemption};
use crate::service::{vouchers, Service, ServiceResult};
use crate::App;

pub mod admission;

/// The provider pages' routes.
pub fn routes() -> Vec<Route> {
    rocket::routes![
        home,
        complete,
        cancel,
        unclaimed,
        claim,
        claims_page,
        admission::page,
        admission::ask
    ]
}

/// The provider's redemptions, newest first.
async fn redemptions_of(service: &Service, actor: &Actor) -> ServiceResult<Vec<Redemption>> {
    let db = service.db.reader();
    let mut list = all_of(|p| redemptions::list(db, actor, p)).await?;
    list.reverse();
    Ok(list)
}

/// A held redemption with its forms' keys.
pub struct HeldRow {
    pub r: Redemption,
    pub company: String,
    pub complete_idem: String,
    pub cancel_idem: String,
    /// A refusal of this row's completion, in words.
    pub problem: Option<String>,
    /// The amount typed (kept after a refusal).
    pub typed: String,
}

#[derive(Template)]
#[template(path = "provider_home.html", config = "src/portal/askama.toml")]
pub struct HomePage {
    pub f: Frame,
    pub notice: Option<&'static str>,
    pub rows: Vec<HeldRow>,
}

/// Renders the held redemptions, with a refusal on row `refused`.
async fn home_page(
    service: &Service,
    signed: &ProviderPage,
    done: Option<&str>,
    refused: Option<(Uuid, String, Problem)>,
) -> Result<Html, PageError> {
    let actor = signed.actor();
    let err = |e| PageError::from_service(signed.lang, e);
    let held: Vec<Redemption> = redemptions_of(service, actor)
        .await
        .map_err(err)?
        .into_iter()
        .filter(|r| r.status == RedemptionStatus::Held)
        .collect();
    let ids = held.iter().map(|r| r.voucher_id);
    let names = vouchers::holder_names(service.db.reader(), actor, ids)
        .await
        .map_err(err)?;
    let status = if refused.is_some() {
        Status::UnprocessableEntity
    } else {
        Status::Ok
    };
    let rows = held
        .into_iter()
        .map(|r| {
            let mine = refused.as_ref().filter(|(id, _, _)| *id == r.id);
            HeldRow {
                company: names.get(&r.voucher_id).cloned().unwrap_or_default(),
                complete_idem: forms::new_key(),
                cancel_idem: forms::new_key(),
                problem: mine.map(|(_, _, p)| p.message.clone()),
                typed: mine.map(|(_, t, _)| t.clone()).unwrap_or_default(),
                r,
            }
        })
        .collect();
    Html::with_status(
        status,
        &HomePage {
            f: signed.frame("provider.title"),
            notice: notice(signed.lang, done),
            rows,
        },
    )
}

/// Redemptions held at the provider.
#[get("/provider?<done>")]
pub async fn home(
    app: &State<App>,
    signed: ProviderPage,
    done: Option<&str>,
) -> Result<Html, PageError> {
    home_page(&app.service, &signed, done, None).await
}

/// The completion form: an amount, or empty for all that is held.
#[derive(Debug, FromForm)]
pub struct CompleteFields {
    pub csrf: Option<String>,
    pub idem: Option<String>,
    pub amount: Option<String>,
}

/// Confirms delivery of all or part of a held redemption.
#[post("/provider/redemptions/<id>/complete", data = "<form>")]
pub async fn complete(
    app: &State<App>,
    signed: ProviderPage,
    id: &str,
    form: Form<CompleteFields>,
) -> Result<Either<Redirect, Html>, PageError> {
    let id = parse_id(&signed, id)?;
    signed.check_csrf(form.csrf.as_deref())?;
    let typed = form.amount.clone().unwrap_or_default();
    let amount = match forms::optional_amount(&signed, "amount", &typed) {
        Ok(amount) => amount,
        Err(problem) => {
            return home_page(&app.service, &signed, None, Some((id, typed, problem)))
                .await
                .map(Either::Right)
        }
    };
    let (csrf, idem) = (form.csrf.as_deref(), form.idem.as_deref());
    let id_text = id.to_string();
    let op = Complete { id, amount };
    match forms::act(&app.service, &signed, csrf, idem, &[&id_text, &typed], op).await? {
        Submitted::Done(_) => Ok(Either::Left(Redirect::to(
            "/provider/unclaimed?done=completed",
        ))),
        Submitted::Again => Ok(Either::Left(Redirect::to("/provider?done=again"))),
        Submitted::Refused(problem) => {
            home_page(&app.service, &signed, None, Some((id, typed, problem)))
                .await
                .map(Either::Right)
        }
    }
}

/// Cancels a redemption held at the provider.
#[post("/provider/redemptions/<id>/cancel", data = "<form>")]
pub async fn cancel(
    app: &State<App>,
    signed: ProviderPage,
    id: &str,
    form: Form<Confirmable>,
) -> Result<Either<Redirect, Html>, PageError> {
    let id = parse_id(&signed, id)?;
    if !form.confirmed {
        let asked = (signed.frame(irreversible::TITLE), signed.actor());
        return irreversible::cancel_hold(
            &app.service,
            asked,
            id,
            Canceller::Provider,
            form.sent(),
        )
        .await
        .map(Either::Right);
    }
    let (csrf, idem) = (form.csrf.as_deref(), form.idem.as_deref());
    let id_text = id.to_string();
    let op = CancelRedemption { id };
    match forms::act(&app.service, &signed, csrf, idem, &[&id_text], op).await? {
        Submitted::Done(_) => Ok(Either::Left(Redirect::to("/provider?done=cancelled"))),
        Submitted::Again => Ok(Either::Left(Redirect::to("/provider?done=again"))),
        Submitted::Refused(problem) => home_page(
            &app.service,
            &signed,
            None,
            Some((id, String::new(), problem)),
        )
        .await
        .map(Either::Right),
    }
}

/// The completed, unclaimed redemptions of one issuing region.
pub struct RegionGroup {
    pub region: Region,
    pub rows: Vec<Redemption>,
    pub total: Money,
    pub idem: String,
    pub problem: Option<String>,
    pub invoice: String,
    /// The redemptions ticked for the claim: all of them, or those the
    /// refused form had ticked.
    pub chosen: Vec<Uuid>,
}

impl RegionGroup {
    /// Whether redemption `id` is ticked for the claim.
    pub fn is_chosen(&self, id: &Uuid) -> bool {
        self.chosen.contains(id)
    }
}

/// A refused claim form: its region, the invoice typed, the redemptions
/// ticked, and why.
type RefusedClaim = (Region, String, Vec<Uuid>, Problem);

#[derive(Template)]
#[template(path = "unclaimed.html", config = "src/portal/askama.toml")]
pub struct UnclaimedPage {
    pub f: Frame,
    pub notice: Option<&'static str>,
    pub groups: Vec<RegionGroup>,
}

/// Renders the unclaimed redemptions, with a refusal on one region's form.
async fn unclaimed_page(
    service: &Service,
    signed: &ProviderPage,
    done: Option<&str>,
    refused: Option<RefusedClaim>,
) -> Result<Html, PageError> {
    let actor = signed.actor();
    let list = redemptions_of(service, actor)
        .await
        .map_err(|e| PageError::from_service(signed.lang, e))?;
    let mut by_region: BTreeMap<Region, Vec<Redemption>> = BTreeMap::new();
    for r in list {
        if r.status == RedemptionStatus::Completed && r.claim_id.is_none() {
            by_region.entry(r.region.clone()).or_default().push(r);
        }
    }
    let status = if refused.is_some() {
        Status::UnprocessableEntity
    } else {
        Status::Ok
    };
    let groups = by_region
        .into_iter()
        .map(|(region, rows)| {
            let total = rows
                .iter()
                .try_fold(Money::ZERO, |sum, r| sum.checked_add(r.completed_amount))
                .unwrap_or(Money::ZERO);
            let mine = refused.as_ref().filter(|(r, _, _, _)| *r == region);
            RegionGroup {
                problem: mine.map(|(_, _, _, p)| p.message.clone()),
                invoice: mine.map(|(_, t, _, _)| t.clone()).unwrap_or_default(),
                chosen: mine.map_or_else(
                    || rows.iter().map(|r| r.id).collect(),
                    |(_, _, ticked, _)| ticked.clone(),
                ),
                idem: forms::new_key(),
                region,
                rows,
                total,
            }
        })
        .collect();
    Html::with_status(
        status,
        &UnclaimedPage {
            f: signed.frame("unclaimed.title"),
            notice: notice(signed.lang, done),
            groups,
        },
    )
}

/// Completed redemptions not yet claimed, by issuing region.
#[get("/provider/unclaimed?<done>")]
pub async fn unclaimed(
    app: &State<App>,
    signed: ProviderPage,
    done: Option<&str>,
) -> Result<Html, PageError> {
    unclaimed_page(&app.service, &signed, done, None).await
}

/// A claim form: the invoice and the redemptions ticked.
#[derive(Debug, FromForm)]
pub struct ClaimFields {
    pub csrf: Option<String>,
    pub idem: Option<String>,
    pub region: String,
    pub invoice_no: String,
    pub redemption: Vec<String>,
}

/// Claims settlement of the ticked redemptions of one region.
#[post("/provider/claims", data = "<form>")]
pub async fn claim(
    app: &State<App>,
    signed: ProviderPage,
    form: Form<ClaimFields>,
) -> Result<Either<Redirect, Html>, PageError> {
    let ids: Result<Vec<Uuid>, _> = form.redemption.iter().map(|r| Uuid::parse_str(r)).collect();
    let ids = ids.map_err(|_| PageError::new(signed.lang, Status::BadRequest, "error.400"))?;
    let region = Region::parse(&form.region)
        .map_err(|_| PageError::new(signed.lang, Status::BadRequest, "error.400"))?;
    let mut fields: Vec<&str> = vec![&form.region, &form.invoice_no];
    fields.extend(form.redemption.iter().map(String::as_str));
    let op = SubmitClaim {
        redemption_ids: ids.clone(),
        invoice_no: form.invoice_no.clone(),
    };
    let (csrf, idem) = (form.csrf.as_deref(), form.idem.as_deref());
    match forms::act(&app.service, &signed, csrf, idem, &fields, op).await? {
        Submitted::Done(_) => Ok(Either::Left(Redirect::to("/provider/claims?done=claimed"))),
        Submitted::Again => Ok(Either::Left(Redirect::to("/provider/claims?done=again"))),
        Submitted::Refused(problem) => {
            let refused = Some((region, form.invoice_no.clone(), ids, problem));
            unclaimed_page(&app.service, &signed, None, refused)
                .await
                .map(Either::Right)
        }
    }
}

#[derive(Template)]
#[template(path = "claims.html", config = "src/portal/askama.toml")]
pub struct ClaimsPage {
    pub f: Frame,
    pub notice: Option<&'static str>,
    pub claims: Vec<Claim>,
}

/// The provider's claims, newest first, with status and bank reference.
#[get("/provider/claims?<done>")]
pub async fn claims_page(
    app: &State<App>,
    signed: ProviderPage,
    done: Option<&str>,
) -> Result<Html, PageError> {
    let actor = signed.actor();
    let db = app.service.db.reader();
    let mut list = all_of(|p| claims::list(db, actor, p))
        .await
        .map_err(|e| PageError::from_service(signed.lang, e))?;
    list.reverse();
    Html::page(&ClaimsPage {
        f: signed.frame("claims.title"),
        notice: notice(signed.lang, done),
        claims: list,
    })
}
