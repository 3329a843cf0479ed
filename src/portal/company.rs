//! A company's pages: its vouchers with balances and deadlines, applying
//! (with the cap), finding admitted providers, holding an amount against a
//! contract (with the share limit), cancelling a hold, and its history.

use askama::Template;
use chrono::Datelike;
use rocket::form::{Form, FromForm};
use rocket::http::Status;
use rocket::response::Redirect;
use rocket::{get, post, Either, Route, State};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::explain::{percent, Policy};
use super::forms::{self, problem_on, Acted, Plain, Problem};
use super::frame::{Frame, Html, PageError, Signed};
use super::i18n::{yuan, Lang};
use crate::domain::clock::shanghai_date;
use crate::domain::{Actor, Money, RedemptionStatus, Region, Role};
use crate::rules::common::max_share;
use crate::service::admissions::{self, Listed};
use crate::service::applications::{self, Application, CapRoom, SubmitApplication};
use crate::service::redemptions::{self, CancelRedemption, Hold, Redemption};
use crate::service::vouchers::{self, Voucher};
use crate::service::{PageRequest, Service, ServiceResult};
use crate::App;

/// The company pages' routes.
pub fn routes() -> Vec<Route> {
    rocket::routes![
        home,
        apply_form,
        apply,
        providers,
        hold_form,
        hold,
        share_limit,
        history,
        cancel
    ]
}

/// The most rows a list page reads.
const MOST_ROWS: u64 = 500;

/// Reads every page of a list, up to [`MOST_ROWS`].
pub async fn all_of<T, F, Fut>(list: F) -> ServiceResult<Vec<T>>
where
    F: Fn(PageRequest) -> Fut,
    Fut: std::future::Future<Output = ServiceResult<crate::service::Page<T>>>,
{
    let mut items = Vec::new();
    let mut after = None;
    loop {
        let page = list(PageRequest { limit: 100, after }).await?;
        items.extend(page.items);
        match page.next_cursor.and_then(|c| c.parse().ok()) {
            Some(next) if (items.len() as u64) < MOST_ROWS => after = Some(next),
            _ => return Ok(items),
        }
    }
}

/// The signed-in company (else the 403 page).
fn company(signed: &Signed) -> Result<&Actor, PageError> {
    Ok(&signed.expect(Role::Company)?.actor)
}

/// Turns a service failure into the error page.
fn page_err(signed: &Signed) -> impl Fn(crate::service::ServiceError) -> PageError + '_ {
    move |e| PageError::from_service(signed.lang, e)
}

/// A notice after an action (`?done=…`), if it names one.
pub fn notice(lang: Lang, done: Option<&str>) -> Option<&'static str> {
    let key = match done? {
        "applied" => "done.applied",
        "held" => "done.held",
        "cancelled" => "done.cancelled",
        "completed" => "done.completed",
        "claimed" => "done.claimed",
        "approved" => "done.approved",
        "rejected" => "done.rejected",
        "paid" => "done.paid",
        "revoked" => "done.revoked",
        "admitted" => "done.admitted",
        "registered" => "done.registered",
        "user_created" => "done.user_created",
        "user_disabled" => "done.user_disabled",
        "again" => "done.already",
        _ => return None,
    };
    Some(lang.t(key))
}

/// A voucher as the home page shows it.
pub struct VoucherRow {
    pub v: Voucher,
    pub days_left: i64,
    /// Active and 30 days or fewer left to use it.
    pub ends_soon: bool,
}

#[derive(Template)]
#[template(path = "company_home.html", config = "src/portal/askama.toml")]
pub struct HomePage {
    pub f: Frame,
    pub notice: Option<&'static str>,
    pub vouchers: Vec<VoucherRow>,
    pub applications: Vec<Application>,
}

/// The company's home: each voucher with its balances and deadlines, and
/// its applications.
#[get("/company?<done>")]
pub async fn home(app: &State<App>, signed: Signed, done: Option<&str>) -> Result<Html, PageError> {
    let actor = company(&signed)?;
    let db = app.service.db.reader();
    let today = shanghai_date(app.service.clock.now());
    let vouchers = all_of(|p| vouchers::list(db, actor, p))
        .await
        .map_err(page_err(&signed))?;
    let mut applications = all_of(|p| applications::list(db, actor, p))
        .await
        .map_err(page_err(&signed))?;
    applications.reverse();
    let vouchers = vouchers
        .into_iter()
        .map(|v| {
            let days_left = (v.use_until - today).num_days();
            VoucherRow {
                ends_soon: v.status == "active" && (0..=30).contains(&days_left),
                days_left,
                v,
            }
        })
        .collect();
    Html::page(&HomePage {
        f: signed.frame("company.title"),
        notice: notice(signed.lang, done),
        vouchers,
        applications,
    })
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
    pub form: ApplyFields,
    pub problem: Option<Problem>,
}

impl ApplyPage {
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
}

/// Renders the apply page with the caps of `year`.
async fn apply_page(
    service: &Service,
    signed: &Signed,
    form: ApplyFields,
    problem: Option<Problem>,
) -> Result<Html, PageError> {
    let actor = company(signed)?;
    let this_year = shanghai_date(service.clock.now()).year();
    let year = form.year.parse().unwrap_or(this_year);
    let mut caps = Vec::new();
    for region in service.rules.regions() {
        // A region without a policy for the year, or that does not take
        // this company's applications, has no cap to show.
        let room =
            applications::cap_room(service.db.reader(), &service.rules, actor, &region, year);
        if let Ok(room) = room.await {
            caps.push(CapRow { region, room });
        }
    }
    let status = if problem.is_some() {
        Status::UnprocessableEntity
    } else {
        Status::Ok
    };
    Html::with_status(
        status,
        &ApplyPage {
            f: signed.frame("apply.title"),
            idem: forms::new_key(),
            regions: caps.iter().map(|c| c.region.clone()).collect(),
            years: vec![this_year, this_year + 1],
            caps,
            form,
            problem,
        },
    )
}

/// The apply form, with the cap of each region beside it.
#[get("/company/apply")]
pub async fn apply_form(app: &State<App>, signed: Signed) -> Result<Html, PageError> {
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
    signed: Signed,
    form: Form<ApplyFields>,
) -> Result<Either<Redirect, Html>, PageError> {
    company(&signed)?;
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
    };
    let fields = [
        form.region.as_str(),
        &form.year,
        &form.amount,
        &form.purpose,
    ];
    let (csrf, idem) = (form.csrf.as_deref(), form.idem.as_deref());
    match forms::act(&app.service, &signed, csrf, idem, &fields, op).await? {
        Acted::Done(_) => Ok(Either::Left(Redirect::to("/company?done=applied"))),
        Acted::Again => Ok(Either::Left(Redirect::to("/company?done=again"))),
        Acted::Refused(problem) => apply_page(&app.service, &signed, form.clone(), Some(problem))
            .await
            .map(Either::Right),
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
    signed: Signed,
    voucher: Option<&str>,
    category: Option<&str>,
    region: Option<&str>,
) -> Result<Html, PageError> {
    let actor = company(&signed)?;
    let db = app.service.db.reader();
    let vouchers: Vec<Voucher> = all_of(|p| vouchers::list(db, actor, p))
        .await
        .map_err(page_err(&signed))?
        .into_iter()
        .filter(|v| v.status == "active")
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

#[derive(Template)]
#[template(path = "hold.html", config = "src/portal/askama.toml")]
pub struct HoldPage {
    pub f: Frame,
    pub idem: String,
    pub v: Voucher,
    pub providers: Vec<Listed>,
    pub categories: Vec<String>,
    pub form: HoldFields,
    pub share: String,
    pub policy: String,
    /// The most the typed contract amount allows, if one was typed.
    pub most: Option<String>,
    pub problem: Option<Problem>,
}

impl HoldPage {
    fn error(&self, field: &str) -> Option<&str> {
        problem_on(&self.problem, field)
    }
    fn cross(&self, p: &Listed) -> bool {
        p.provider_region != self.v.region
    }
}

/// What the hold form sends (kept as typed after a refusal).
#[derive(Debug, Clone, Default, FromForm)]
pub struct HoldFields {
    pub csrf: Option<String>,
    pub idem: Option<String>,
    pub provider_id: String,
    pub service_category: String,
    pub contract_no: String,
    pub contract_amount: String,
    pub amount: String,
    /// `check`: only work out the limit.
    pub intent: Option<String>,
}

/// The share rule of a voucher's policy: the share, the most a contract of
/// `contract` allows, and the policy version.
struct ShareRule {
    share: Decimal,
    most: Money,
    policy: Policy,
}

fn share_rule(service: &Service, v: &Voucher, contract: Option<Money>) -> Option<ShareRule> {
    let version = service.rules.get(&v.region)?.version(v.year).ok()?;
    Some(ShareRule {
        share: version.contract_share,
        most: contract.map_or(Money::ZERO, |c| max_share(version, c)),
        policy: Policy {
            region: v.region.clone(),
            effective_from: version.effective_from,
        },
    })
}

/// Renders the hold page for voucher `id`.
async fn hold_page(
    service: &Service,
    signed: &Signed,
    id: Uuid,
    form: HoldFields,
    problem: Option<Problem>,
) -> Result<Html, PageError> {
    let actor = company(signed)?;
    let db = service.db.reader();
    let v = vouchers::find(db, actor, id)
        .await
        .map_err(page_err(signed))?;
    let providers = admissions::directory(db, &v.region, None, None)
        .await
        .map_err(page_err(signed))?;
    let version = service
        .rules
        .get(&v.region)
        .and_then(|r| r.version(v.year).ok())
        .ok_or_else(|| PageError::new(signed.lang, Status::NotFound, "error.404"))?;
    let contract = forms::amount(signed, "contract_amount", &form.contract_amount).ok();
    let Some(ShareRule {
        share,
        policy,
        most,
    }) = share_rule(service, &v, contract)
    else {
        return Err(PageError::new(signed.lang, Status::NotFound, "error.404"));
    };
    let status = if problem.is_some() {
        Status::UnprocessableEntity
    } else {
        Status::Ok
    };
    Html::with_status(
        status,
        &HoldPage {
            f: signed.frame("hold.title"),
            idem: forms::new_key(),
            categories: version.categories.clone(),
            providers,
            form,
            share: percent(share),
            policy: policy.name(signed.lang),
            most: contract.map(|_| yuan(most)),
            problem,
            v,
        },
    )
}

/// The hold form for a voucher (provider and category may come chosen).
#[get("/company/vouchers/<id>/hold?<provider>&<category>&<contract_amount>")]
pub async fn hold_form(
    app: &State<App>,
    signed: Signed,
    id: &str,
    provider: Option<&str>,
    category: Option<&str>,
    contract_amount: Option<&str>,
) -> Result<Html, PageError> {
    let id = parse_id(&signed, id)?;
    let form = HoldFields {
        provider_id: provider.unwrap_or("").to_owned(),
        service_category: category.unwrap_or("").to_owned(),
        contract_amount: contract_amount.unwrap_or("").to_owned(),
        ..<HoldFields as Default>::default()
    };
    hold_page(&app.service, &signed, id, form, None).await
}

/// The most the share rule allows for a contract amount, as text (for the
/// script that shows it as the user types).
#[get("/company/vouchers/<id>/share?<contract_amount>")]
pub async fn share_limit(
    app: &State<App>,
    signed: Signed,
    id: &str,
    contract_amount: Option<&str>,
) -> Result<String, PageError> {
    let actor = company(&signed)?;
    let id = parse_id(&signed, id)?;
    let v = vouchers::find(app.service.db.reader(), actor, id)
        .await
        .map_err(page_err(&signed))?;
    let contract = forms::amount(&signed, "contract_amount", contract_amount.unwrap_or(""));
    match contract {
        Ok(contract) => Ok(share_rule(&app.service, &v, Some(contract))
            .map(|rule| yuan(rule.most))
            .unwrap_or_default()),
        Err(problem) => Ok(problem.message),
    }
}

/// Holds an amount of a voucher against a contract, or (`intent=check`)
/// only works out the limit.
#[post("/company/vouchers/<id>/hold", data = "<form>")]
pub async fn hold(
    app: &State<App>,
    signed: Signed,
    id: &str,
    form: Form<HoldFields>,
) -> Result<Either<Redirect, Html>, PageError> {
    company(&signed)?;
    let id = parse_id(&signed, id)?;
    let form = form.into_inner();
    signed.check_csrf(form.csrf.as_deref())?;
    let again = |problem: Option<Problem>, form: HoldFields| {
        let (service, signed) = (&app.service, &signed);
        async move {
            hold_page(service, signed, id, form, problem)
                .await
                .map(Either::Right)
        }
    };
    if form.intent.as_deref() == Some("check") {
        return again(None, form).await;
    }
    let contract = match forms::amount(&signed, "contract_amount", &form.contract_amount) {
        Ok(c) => c,
        Err(problem) => return again(Some(problem), form).await,
    };
    let amount = match forms::amount(&signed, "amount", &form.amount) {
        Ok(a) => a,
        Err(problem) => return again(Some(problem), form).await,
    };
    let Ok(provider_id) = Uuid::parse_str(form.provider_id.trim()) else {
        let problem = Problem {
            field: "provider_id",
            message: signed.lang.t("refusal.provider_not_admitted").to_owned(),
        };
        return again(Some(problem), form).await;
    };
    let op = Hold {
        voucher_id: id,
        provider_id,
        contract_no: form.contract_no.clone(),
        contract_amount: contract,
        service_category: form.service_category.clone(),
        amount,
    };
    let fields = [
        form.provider_id.as_str(),
        &form.service_category,
        &form.contract_no,
        &form.contract_amount,
        &form.amount,
    ];
    let (csrf, idem) = (form.csrf.as_deref(), form.idem.as_deref());
    match forms::act(&app.service, &signed, csrf, idem, &fields, op).await? {
        Acted::Done(_) => Ok(Either::Left(Redirect::to("/company/redemptions?done=held"))),
        Acted::Again => Ok(Either::Left(Redirect::to(
            "/company/redemptions?done=again",
        ))),
        Acted::Refused(problem) => again(Some(problem), form).await,
    }
}

/// A redemption as the history shows it.
pub struct RedemptionRow {
    pub r: Redemption,
    pub provider: String,
    pub held: bool,
    /// The idempotency key of the row's cancel form.
    pub idem: String,
}

#[derive(Template)]
#[template(path = "history.html", config = "src/portal/askama.toml")]
pub struct HistoryPage {
    pub f: Frame,
    pub notice: Option<&'static str>,
    pub rows: Vec<RedemptionRow>,
}

/// The names of organisations by id (for lists).
pub async fn organization_names(
    service: &Service,
    ids: impl Iterator<Item = Uuid>,
) -> ServiceResult<std::collections::HashMap<Uuid, String>> {
    use crate::store::entities::organizations;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let ids: Vec<Uuid> = ids.collect();
    let orgs = organizations::Entity::find()
        .filter(organizations::Column::Id.is_in(ids))
        .all(service.db.reader())
        .await?;
    Ok(orgs.into_iter().map(|o| (o.id, o.name)).collect())
}

/// The company's redemptions, newest first; a held one can be cancelled.
#[get("/company/redemptions?<done>")]
pub async fn history(
    app: &State<App>,
    signed: Signed,
    done: Option<&str>,
) -> Result<Html, PageError> {
    let actor = company(&signed)?;
    let db = app.service.db.reader();
    let mut list = all_of(|p| redemptions::list(db, actor, p))
        .await
        .map_err(page_err(&signed))?;
    list.reverse();
    let names = organization_names(&app.service, list.iter().map(|r| r.provider_id))
        .await
        .map_err(page_err(&signed))?;
    let rows = list
        .into_iter()
        .map(|r| RedemptionRow {
            provider: names.get(&r.provider_id).cloned().unwrap_or_default(),
            held: r.status == RedemptionStatus::Held,
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
    signed: Signed,
    id: &str,
    form: Form<Plain>,
) -> Result<Either<Redirect, Html>, PageError> {
    company(&signed)?;
    let id = parse_id(&signed, id)?;
    let (csrf, idem) = (form.csrf.as_deref(), form.idem.as_deref());
    let op = CancelRedemption { id };
    let id_text = id.to_string();
    match forms::act(&app.service, &signed, csrf, idem, &[&id_text], op).await? {
        Acted::Done(_) => Ok(Either::Left(Redirect::to(
            "/company/redemptions?done=cancelled",
        ))),
        Acted::Again => Ok(Either::Left(Redirect::to(
            "/company/redemptions?done=again",
        ))),
        Acted::Refused(problem) => Err(PageError {
            message: problem.message,
            ..PageError::new(signed.lang, Status::UnprocessableEntity, "error.400")
        }),
    }
}

/// A record id from a path (a malformed one is a record that does not exist).
pub fn parse_id(signed: &Signed, id: &str) -> Result<Uuid, PageError> {
    Uuid::parse_str(id).map_err(|_| PageError::new(signed.lang, Status::NotFound, "error.404"))
}
