//! A company's pages: its vouchers with balances and deadlines, applying
//! (with the cap), finding admitted providers, holding an amount against a
//! contract (with the share limit, in [`hold`]), cancelling a hold, and its
//! history.

use askama::Template;
use chrono::Datelike;
use rocket::form::{Form, FromForm};
use rocket::http::Status;
use rocket::response::Redirect;
use rocket::{get, post, Either, Route, State};
use uuid::Uuid;

use super::irreversible::{self, Canceller};
use super::kit::confirm::Confirmable;
use super::kit::explain::Policy;
use super::kit::forms::{self, problem_on, Problem, Submitted};
use super::kit::frame::{Frame, Html, PageError};
use super::kit::guards::{CompanyPage, Signed};
use super::kit::lists::{all_of, notice, parse_id};
use crate::domain::clock::shanghai_date;
use crate::domain::eligibility::{DeclaredInput, Housing};
use crate::domain::review::District;
use crate::domain::{CompanyType, Money, RedemptionStatus, Region, VoucherStatus};
use crate::service::admissions::{self, Listed};
use crate::service::applications::SubmitApplication;
use crate::service::caps::{self, CapRoom};
use crate::service::identity::{self, organization_names};
use crate::service::ratings;
use crate::service::redemptions::{self, CancelRedemption, Redemption};
use crate::service::vouchers::{self, Voucher};
use crate::service::Service;
use crate::App;

pub mod hold;
pub mod home;
pub mod rating;

/// The company pages' routes.
pub fn routes() -> Vec<Route> {
    rocket::routes![
        home::home,
        apply_form,
        apply,
        providers,
        hold::hold_form,
        hold::hold,
        hold::share_limit,
        rating::rate_form,
        rating::rate,
        history,
        cancel
    ]
}

/// Turns a service failure into the error page.
pub(crate) fn page_err(signed: &Signed) -> impl Fn(crate::service::ServiceError) -> PageError + '_ {
    move |e| PageError::from_service(signed.lang, e)
}

/// One region's cap for the company, as the apply page shows it.
pub struct CapRow {
    pub region: Region,
    pub room: CapRoom,
}

#[derive(Template)]
#[template(path = "apply.html", config = "src/portal/askama.toml")]
pub struct ApplyPage {
    pub f: Frame,
    pub idem: String,
    pub regions: Vec<Region>,
    pub years: Vec<i32>,
    pub caps: Vec<CapRow>,
    /// A start-up team declares its housing and members; an enterprise its
    /// S&T SME registration.
    pub team: bool,
    pub housings: &'static [Housing],
    /// The districts of each region that has them (two-level review).
    pub districts: Vec<(Region, Vec<District>)>,
    pub form: ApplyFields,
    pub problem: Option<Problem>,
}

impl ApplyPage {
    /// What a district's own fund pays, for the district select's hint.
    fn fund_hint(&self, d: &District) -> Option<String> {
        let fund = d.fund.as_ref()?;
        let f = &self.f;
        let terms: Vec<String> = [
            (fund.request_cap, "apply.fund_request_cap"),
            (fund.year_cap, "apply.fund_year_cap"),
            (fund.full_cover_below, "apply.fund_full_cover"),
        ]
        .into_iter()
        .filter_map(|(amount, key)| Some(f.t(key).replace("{amount}", &f.money(&amount?))))
        .collect();
        Some(format!(
            "{}{}{}",
            d.name,
            f.t("apply.fund_runs"),
            terms.join(f.t("list.and"))
        ))
    }

    fn housing_key(&self, h: &Housing) -> &'static str {
        super::kit::explain::housing_key(*h)
    }

    fn policy(&self, c: &CapRow) -> String {
        Policy {
            region: c.region.clone(),
            effective_from: c.room.effective_from,
        }
        .name(self.f.lang)
    }
    fn error(&self, field: &str) -> Option<&str> {
        problem_on(&self.problem, field)
    }
}

/// What the apply form sends (kept as typed after a refusal).
#[derive(Debug, Clone, Default, FromForm)]
pub struct ApplyFields {
    pub csrf: Option<String>,
    pub idem: Option<String>,
    pub region: String,
    pub year: String,
    pub amount: String,
    pub purpose: String,
    /// The company's district, where its programme reviews at two levels.
    #[field(default = String::new())]
    pub district: String,
    /// The declared facts: a form shows an enterprise's or a team's only.
    #[field(default = String::new())]
    pub sme_registration: String,
    #[field(default = String::new())]
    pub housed_in: String,
    #[field(default = String::new())]
    pub housing_name: String,
    #[field(default = String::new())]
    pub core_members: String,
}

impl ApplyFields {
    /// The declared facts as sent; a count that is not a number is sent
    /// as -1, which the service names as wrong.
    fn declared(&self) -> DeclaredInput {
        let members = self.core_members.trim();
        DeclaredInput {
            sme_registration: Some(self.sme_registration.clone()),
            housed_in: Some(self.housed_in.clone()),
            housing_name: Some(self.housing_name.clone()),
            core_members: (!members.is_empty()).then(|| members.parse().unwrap_or(-1)),
        }
    }
}

/// Renders the apply page with the caps of `year`.
async fn apply_page(
    service: &Service,
    signed: &CompanyPage,
    form: ApplyFields,
    problem: Option<Problem>,
) -> Result<Html, PageError> {
    let actor = signed.actor();
    let this_year = shanghai_date(service.clock.now()).year();
    let year = form.year.parse().unwrap_or(this_year);
    let mut caps = Vec::new();
    for region in service.rules.regions() {
        // A region without a policy for the year, or that does not take
        // this company's applications, has no cap to show.
        let room = caps::cap_room(service.db.reader(), &service.rules, actor, &region, year);
        if let Ok(room) = room.await {
            caps.push(CapRow { region, room });
        }
    }
    let company = identity::find_organization(&service.db, actor, actor.sub)
        .await
        .map_err(page_err(signed))?;
    let status = if problem.is_some() {
        Status::UnprocessableEntity
    } else {
        Status::Ok
    };
    let districts = caps
        .iter()
        .filter_map(|c| service.rules.get(&c.region))
        .map(|r| (r.policy().region.clone(), r.policy().districts.clone()))
        .filter(|(_, d)| !d.is_empty())
        .collect();
    Html::with_status(
        status,
        &ApplyPage {
            f: signed.frame("apply.title"),
            idem: forms::new_key(),
            regions: caps.iter().map(|c| c.region.clone()).collect(),
            years: vec![this_year, this_year + 1],
            team: company.company_type == Some(CompanyType::Team),
            housings: Housing::ALL,
            districts,
            caps,
            form,
            problem,
        },
    )
}

/// The apply form, with the cap of each region beside it.
#[get("/company/apply")]
pub async fn apply_form(app: &State<App>, signed: CompanyPage) -> Result<Html, PageError> {
    let form = ApplyFields {
        region: signed
            .person
            .actor
            .region
            .as_ref()
            .map(|r| r.to_string())
            .unwrap_or_default(),
        ..<ApplyFields as Default>::default()
    };
    apply_page(&app.service, &signed, form, None).await
}

/// Submits an application.
#[post("/company/apply", data = "<form>")]
pub async fn apply(
    app: &State<App>,
    signed: CompanyPage,
    form: Form<ApplyFields>,
) -> Result<Either<Redirect, Html>, PageError> {
    let form = form.into_inner();
    let amount = match forms::amount(&signed, "amount", &form.amount) {
        Ok(amount) => amount,
        Err(problem) => {
            signed.check_csrf(form.csrf.as_deref())?;
            return apply_page(&app.service, &signed, form, Some(problem))
                .await
                .map(Either::Right);
        }
    };
    let Ok(year) = form.year.parse::<i32>() else {
        let problem = Problem {
            field: "year",
            message: signed.lang.t("error.400").to_owned(),
        };
        return apply_page(&app.service, &signed, form, Some(problem))
            .await
            .map(Either::Right);
    };
    let op = SubmitApplication {
        region: form.region.clone(),
        year,
        amount,
        purpose: form.purpose.clone(),
        declared: form.declared(),
        district: Some(form.district.clone()),
    };
    let fields = [
        form.region.as_str(),
        &form.year,
        &form.amount,
        &form.purpose,
        &form.district,
        &form.sme_registration,
        &form.housed_in,
        &form.housing_name,
        &form.core_members,
    ];
    let (csrf, idem) = (form.csrf.as_deref(), form.idem.as_deref());
    match forms::act(&app.service, &signed, csrf, idem, &fields, op).await? {
        Submitted::Done(_) => Ok(Either::Left(Redirect::to("/company?done=applied"))),
        Submitted::Again => Ok(Either::Left(Redirect::to("/company?done=again"))),
        Submitted::Refused(problem) => {
            apply_page(&app.service, &signed, form.clone(), Some(problem))
                .await
                .map(Either::Right)
        }
    }
}

#[derive(Template)]
#[template(path = "providers.html", config = "src/portal/askama.toml")]
pub struct ProvidersPage {
    pub f: Frame,
    pub vouchers: Vec<Voucher>,
    pub voucher: Option<Voucher>,
    pub categories: Vec<String>,
    pub regions: Vec<Region>,
    pub category: String,
    pub provider_region: String,
    pub providers: Vec<Listed>,
}

impl ProvidersPage {
    fn is_voucher(&self, v: &Voucher) -> bool {
        self.voucher.as_ref().is_some_and(|c| c.id == v.id)
    }
}

/// The providers admitted by a voucher's issuing region, by category and
/// provider region — the cross-region ones too.
#[get("/company/providers?<voucher>&<category>&<region>")]
pub async fn providers(
    app: &State<App>,
    signed: CompanyPage,
    voucher: Option<&str>,
    category: Option<&str>,
    region: Option<&str>,
) -> Result<Html, PageError> {
    let actor = signed.actor();
    let db = app.service.db.reader();
    let vouchers: Vec<Voucher> = all_of(|p| vouchers::list(db, actor, p))
        .await
        .map_err(page_err(&signed))?
        .into_iter()
        .filter(|v| v.status == VoucherStatus::Active)
        .collect();
    let chosen = match voucher.filter(|v| !v.is_empty()) {
        Some(id) => {
            let id = Uuid::parse_str(id)
                .map_err(|_| PageError::new(signed.lang, Status::NotFound, "error.404"))?;
            Some(
                vouchers::find(db, actor, id)
                    .await
                    .map_err(page_err(&signed))?,
            )
        }
        None => vouchers.first().cloned(),
    };
    let category = category.unwrap_or("").to_owned();
    let provider_region = region.unwrap_or("").to_owned();
    let (categories, providers) = match &chosen {
        Some(v) => {
            let categories = app
                .service
                .rules
                .get(&v.region)
                .and_then(|r| r.version(v.year).ok())
                .map(|p| p.categories.clone())
                .unwrap_or_default();
            let wanted_region = Region::parse(&provider_region).ok();
            let wanted_category = Some(category.as_str()).filter(|c| !c.is_empty());
            let listed =
                admissions::directory(db, &v.region, wanted_category, wanted_region.as_ref())
                    .await
                    .map_err(page_err(&signed))?;
            (categories, listed)
        }
        None => (Vec::new(), Vec::new()),
    };
    Html::page(&ProvidersPage {
        f: signed.frame("providers.title"),
        vouchers,
        voucher: chosen,
        categories,
        regions: app.service.rules.regions(),
        category,
        provider_region,
        providers,
    })
}

/// A redemption as the history shows it.
pub struct RedemptionRow {
    pub r: Redemption,
    pub provider: String,
    pub held: bool,
    /// Completed: the company may rate it, once (the score once rated).
    pub completed: bool,
    pub rating: Option<i16>,
    /// The idempotency key of the row's cancel form.
    pub idem: String,
}

impl RedemptionRow {
    /// What a completion of less than was held gave back to the voucher.
    pub fn released(&self) -> Option<Money> {
        let r = &self.r;
        (r.status == RedemptionStatus::Completed)
            .then(|| r.amount.checked_sub(r.completed_amount))
            .flatten()
            .filter(|m| !m.is_zero() && !m.is_negative())
    }
}

#[derive(Template)]
#[template(path = "history.html", config = "src/portal/askama.toml")]
pub struct HistoryPage {
    pub f: Frame,
    pub notice: Option<&'static str>,
    pub rows: Vec<RedemptionRow>,
}

/// The company's redemptions, newest first; a held one can be cancelled.
#[get("/company/redemptions?<done>")]
pub async fn history(
    app: &State<App>,
    signed: CompanyPage,
    done: Option<&str>,
) -> Result<Html, PageError> {
    let actor = signed.actor();
    let db = app.service.db.reader();
    let mut list = all_of(|p| redemptions::list(db, actor, p))
        .await
        .map_err(page_err(&signed))?;
    list.reverse();
    let names = organization_names(&app.service.db, actor, list.iter().map(|r| r.provider_id))
        .await
        .map_err(page_err(&signed))?;
    let scores = ratings::scores_given(db, actor)
        .await
        .map_err(page_err(&signed))?;
    let rows = list
        .into_iter()
        .map(|r| RedemptionRow {
            provider: names.get(&r.provider_id).cloned().unwrap_or_default(),
            held: r.status == RedemptionStatus::Held,
            completed: r.status == RedemptionStatus::Completed,
            rating: scores.get(&r.id).copied(),
            idem: forms::new_key(),
            r,
        })
        .collect();
    Html::page(&HistoryPage {
        f: signed.frame("history.title"),
        notice: notice(signed.lang, done),
        rows,
    })
}

/// Cancels a held redemption (the amount returns to the voucher).
#[post("/company/redemptions/<id>/cancel", data = "<form>")]
pub async fn cancel(
    app: &State<App>,
    signed: CompanyPage,
    id: &str,
    form: Form<Confirmable>,
) -> Result<Either<Redirect, Html>, PageError> {
    let id = parse_id(&signed, id)?;
    if !form.confirmed {
        let asked = (signed.frame(irreversible::TITLE), signed.actor());
        return irreversible::cancel_hold(&app.service, asked, id, Canceller::Company, form.sent())
            .await
            .map(Either::Right);
    }
    let (csrf, idem) = (form.csrf.as_deref(), form.idem.as_deref());
    let op = CancelRedemption { id };
    let id_text = id.to_string();
    match forms::act(&app.service, &signed, csrf, idem, &[&id_text], op).await? {
        Submitted::Done(_) => Ok(Either::Left(Redirect::to(
            "/company/redemptions?done=cancelled",
        ))),
        Submitted::Again => Ok(Either::Left(Redirect::to(
            "/company/redemptions?done=again",
        ))),
        Submitted::Refused(problem) => Err(PageError {
            message: problem.message,
            ..PageError::new(signed.lang, Status::UnprocessableEntity, "error.400")
        }),
    }
}
