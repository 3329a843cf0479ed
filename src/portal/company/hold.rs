//! A company's hold: an amount of a voucher against a contract with a
//! provider, within the share of the contract its policy allows (shown as
//! the user types), or only the limit worked out.

use askama::Template;
use rocket::form::{Form, FromForm};
use rocket::http::Status;
use rocket::response::Redirect;
use rocket::{get, post, Either, State};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::page_err;
use crate::domain::fund::payable_share;
use crate::domain::{Amount, Money};
use crate::portal::kit::explain::{percent, Policy};
use crate::portal::kit::forms::{self, problem_on, Problem, Submitted};
use crate::portal::kit::frame::{Frame, Html, PageError};
use crate::portal::kit::guards::CompanyPage;
use crate::portal::kit::i18n::yuan;
use crate::portal::kit::lists::parse_id;
use crate::rules::common::max_share;
use crate::service::admissions::{self, Listed};
use crate::service::redemptions::Hold;
use crate::service::vouchers::{self, Voucher};
use crate::service::Service;
use crate::App;

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
    let rules = service.rules.get(&v.region)?;
    let version = rules.version(v.year).ok()?;
    let fund = v.fund.as_deref().and_then(|d| rules.policy().fund_of(d));
    let region_share = version.contract_share;
    Some(ShareRule {
        share: contract.map_or_else(
            || fund.and_then(|f| f.contract_share).unwrap_or(region_share),
            |c| payable_share(fund, region_share, c),
        ),
        most: contract.map_or(Money::ZERO, |c| max_share(version, fund, c)),
        policy: Policy {
            region: v.region.clone(),
            effective_from: version.effective_from,
        },
    })
}

/// Renders the hold page for voucher `id`.
async fn hold_page(
    service: &Service,
    signed: &CompanyPage,
    id: Uuid,
    form: HoldFields,
    problem: Option<Problem>,
) -> Result<Html, PageError> {
    let actor = signed.actor();
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
    let contract = contract.map(Amount::money);
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
    signed: CompanyPage,
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
    signed: CompanyPage,
    id: &str,
    contract_amount: Option<&str>,
) -> Result<String, PageError> {
    let actor = signed.actor();
    let id = parse_id(&signed, id)?;
    let v = vouchers::find(app.service.db.reader(), actor, id)
        .await
        .map_err(page_err(&signed))?;
    let contract = forms::amount(&signed, "contract_amount", contract_amount.unwrap_or(""));
    match contract {
        Ok(contract) => Ok(share_rule(&app.service, &v, Some(contract.money()))
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
    signed: CompanyPage,
    id: &str,
    form: Form<HoldFields>,
) -> Result<Either<Redirect, Html>, PageError> {
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
        Submitted::Done(_) => Ok(Either::Left(Redirect::to("/company/redemptions?done=held"))),
        Submitted::Again => Ok(Either::Left(Redirect::to(
            "/company/redemptions?done=again",
        ))),
        Submitted::Refused(problem) => again(Some(problem), form).await,
    }
}
