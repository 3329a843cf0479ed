//! A regulator's programme pages: vouchers (find by serial or company,
//! revoke with a reason), providers and admissions (admit for categories,
//! a provider of another region where the policy allows), and the policy in
//! force with its earlier versions and their sources.

use std::collections::HashMap;

use askama::Template;
use chrono::Datelike;
use rocket::form::{Form, FromForm};
use rocket::http::Status;
use rocket::response::Redirect;
use rocket::{get, post, Either, State};
use uuid::Uuid;

use crate::domain::clock::shanghai_date;
use crate::domain::Region;
use crate::portal::irreversible;
use crate::portal::kit::explain::{housing_key, percent, region_name};
use crate::portal::kit::forms::{self, Problem, Submitted};
use crate::portal::kit::frame::{Frame, Html, PageError};
use crate::portal::kit::guards::RegulatorPage;
use crate::portal::kit::i18n::{date, yuan, Lang};
use crate::portal::kit::lists::{notice, parse_id};
use crate::rules::version::{illustrative_note, FIGURE_KEYS};
use crate::rules::{PolicyVersion, RegionPolicy};
use crate::service::admissions::{self, Admit, Listed};
use crate::service::four_eyes::Decided;
use crate::service::identity::organization_names;
use crate::service::ratings::{self, ProviderRatings, Rating};
use crate::service::vouchers::{self, RevokeVoucher, Voucher};
use crate::service::Service;
use crate::App;

/// A voucher found, with its holder and a revoke form.
pub struct VoucherRow {
    pub v: Voucher,
    pub holder: String,
    pub idem: String,
    pub problem: Option<String>,
}

#[derive(Template)]
#[template(path = "regulator_vouchers.html", config = "src/portal/askama.toml")]
pub struct VouchersPage {
    pub f: Frame,
    pub notice: Option<&'static str>,
    pub query: String,
    pub rows: Vec<VoucherRow>,
}

/// The most vouchers a search shows.
const FOUND: u64 = 100;

async fn vouchers_view(
    service: &Service,
    signed: &RegulatorPage,
    query: &str,
    done: Option<&str>,
    refused: Option<(Uuid, Problem)>,
) -> Result<Html, PageError> {
    let actor = signed.actor();
    let lang = signed.lang;
    let found = vouchers::search(service.db.reader(), actor, query, FOUND)
        .await
        .map_err(|e| PageError::from_service(lang, e))?;
    let names = organization_names(&service.db, actor, found.iter().map(|v| v.holder_id))
        .await
        .map_err(|e| PageError::from_service(lang, e))?;
    let status = if refused.is_some() {
        Status::UnprocessableEntity
    } else {
        Status::Ok
    };
    let rows = found
        .into_iter()
        .map(|v| VoucherRow {
            holder: names.get(&v.holder_id).cloned().unwrap_or_default(),
            idem: forms::new_key(),
            problem: refused
                .as_ref()
                .filter(|(id, _)| *id == v.id)
                .map(|(_, p)| p.message.clone()),
            v,
        })
        .collect();
    Html::with_status(
        status,
        &VouchersPage {
            f: signed.frame("vouchers.title"),
            notice: notice(lang, done),
            query: query.to_owned(),
            rows,
        },
    )
}

/// The region's vouchers, found by serial or company name (newest first).
#[get("/regulator/vouchers?<q>&<done>")]
pub async fn vouchers_page(
    app: &State<App>,
    signed: RegulatorPage,
    q: Option<&str>,
    done: Option<&str>,
) -> Result<Html, PageError> {
    vouchers_view(&app.service, &signed, q.unwrap_or(""), done, None).await
}

/// The revoke form.
#[derive(Debug, FromForm)]
pub struct RevokeFields {
    pub csrf: Option<String>,
    pub idem: Option<String>,
    pub reason: String,
    /// Sent by the confirmation page's button only.
    pub confirmed: bool,
}

/// Revokes a voucher with a reason (what is available returns to the
/// budget); one with a balance, under four eyes, waits in the
/// confirmations.
#[post("/regulator/vouchers/<id>/revoke", data = "<form>")]
pub async fn revoke(
    app: &State<App>,
    signed: RegulatorPage,
    id: &str,
    form: Form<RevokeFields>,
) -> Result<Either<Redirect, Html>, PageError> {
    let id = parse_id(&signed, id)?;
    // A blank reason is refused at once; any other is confirmed first.
    if !form.confirmed && !form.reason.trim().is_empty() {
        let asked = (signed.frame(irreversible::TITLE), signed.actor());
        let sent = (form.csrf.as_deref(), form.idem.as_deref());
        return irreversible::revoke_voucher(&app.service, asked, id, &form.reason, sent)
            .await
            .map(Either::Right);
    }
    let (csrf, idem) = (form.csrf.as_deref(), form.idem.as_deref());
    let id_text = id.to_string();
    let op = RevokeVoucher {
        id,
        reason: form.reason.clone(),
    };
    let fields = [id_text.as_str(), form.reason.as_str()];
    match forms::act(&app.service, &signed, csrf, idem, &fields, op).await? {
        Submitted::Done(Decided::Done(v)) => Ok(Either::Left(Redirect::to(format!(
            "/regulator/vouchers?q={}&done=revoked",
            v.serial
        )))),
        Submitted::Done(Decided::Awaiting(_)) => Ok(Either::Left(Redirect::to(
            "/regulator/confirmations?done=awaiting_revoke",
        ))),
        Submitted::Done(Decided::Noticed(_)) => Ok(Either::Left(Redirect::to(
            "/regulator/notices?done=noticed",
        ))),
        Submitted::Again => Ok(Either::Left(Redirect::to("/regulator/vouchers?done=again"))),
        Submitted::Refused(problem) => {
            vouchers_view(&app.service, &signed, "", None, Some((id, problem)))
                .await
                .map(Either::Right)
        }
    }
}

#[derive(Template)]
#[template(path = "regulator_providers.html", config = "src/portal/askama.toml")]
pub struct ProvidersPage {
    pub f: Frame,
    pub notice: Option<&'static str>,
    pub region: Region,
    pub admitted: Vec<Listed>,
    pub candidates: Vec<Listed>,
    pub categories: Vec<String>,
    pub idem: String,
    pub problem: Option<Problem>,
    /// Each rated provider's ratings, by provider.
    pub ratings: HashMap<Uuid, ProviderRatings>,
    /// The newest complaints and low scores, with the provider's name.
    pub concerns: Vec<(String, Rating)>,
}

impl ProvidersPage {
    fn rating_of(&self, provider: &Uuid) -> Option<&ProviderRatings> {
        self.ratings.get(provider)
    }
}

/// The policy version in force this year in `region`.
fn in_force<'a>(service: &'a Service, region: &Region) -> Option<&'a PolicyVersion> {
    let year = shanghai_date(service.clock.now()).year();
    service.rules.get(region)?.version(year).ok()
}

async fn providers_view(
    service: &Service,
    signed: &RegulatorPage,
    done: Option<&str>,
    problem: Option<Problem>,
) -> Result<Html, PageError> {
    let region = signed.region.clone();
    let lang = signed.lang;
    let db = service.db.reader();
    let admitted = admissions::directory(db, &region, None, None)
        .await
        .map_err(|e| PageError::from_service(lang, e))?;
    let version = in_force(service, &region);
    let admits = version.map_or_else(Vec::new, |v| v.admits_provider_regions.clone());
    let candidates = admissions::candidates(db, &admits)
        .await
        .map_err(|e| PageError::from_service(lang, e))?;
    let rated = ratings::of_region(db, &signed.person.actor, &region)
        .await
        .map_err(|e| PageError::from_service(lang, e))?;
    let names: HashMap<Uuid, String> = admitted
        .iter()
        .map(|p| (p.provider_id, p.name.clone()))
        .collect();
    let mut concerns: Vec<(String, Rating)> = rated
        .iter()
        .flat_map(|p| p.concerns.iter().cloned())
        .map(|r| (names.get(&r.provider_id).cloned().unwrap_or_default(), r))
        .collect();
    concerns.sort_by_key(|c| std::cmp::Reverse(c.1.created_at));
    concerns.truncate(20);
    let ratings = rated.into_iter().map(|p| (p.provider_id, p)).collect();
    let status = if problem.is_some() {
        Status::UnprocessableEntity
    } else {
        Status::Ok
    };
    Html::with_status(
        status,
        &ProvidersPage {
            f: signed.frame("admissions.title"),
            notice: notice(lang, done),
            region,
            admitted,
            candidates,
            categories: version.map_or_else(Vec::new, |v| v.categories.clone()),
            idem: forms::new_key(),
            problem,
            ratings,
            concerns,
        },
    )
}

/// The providers admitted to the region's programme, and the admit form.
#[get("/regulator/providers?<done>")]
pub async fn providers_page(
    app: &State<App>,
    signed: RegulatorPage,
    done: Option<&str>,
) -> Result<Html, PageError> {
    providers_view(&app.service, &signed, done, None).await
}

/// The admit form: a provider and its categories (admitting again
/// replaces them).
#[derive(Debug, FromForm)]
pub struct AdmitFields {
    pub csrf: Option<String>,
    pub idem: Option<String>,
    pub provider_id: String,
    pub category: Vec<String>,
}

/// Admits a provider to the region's programme for some categories.
#[post("/regulator/admissions", data = "<form>")]
pub async fn admit(
    app: &State<App>,
    signed: RegulatorPage,
    form: Form<AdmitFields>,
) -> Result<Either<Redirect, Html>, PageError> {
    let region = signed.region.clone();
    let Ok(provider_id) = Uuid::parse_str(form.provider_id.trim()) else {
        let problem = Problem {
            field: "provider_id",
            message: signed.lang.t("refusal.provider_not_admitted").to_owned(),
        };
        return providers_view(&app.service, &signed, None, Some(problem))
            .await
            .map(Either::Right);
    };
    let (csrf, idem) = (form.csrf.as_deref(), form.idem.as_deref());
    let op = Admit {
        region,
        provider_id,
        categories: form.category.clone(),
    };
    let mut fields: Vec<&str> = vec![&form.provider_id];
    fields.extend(form.category.iter().map(String::as_str));
    match forms::act(&app.service, &signed, csrf, idem, &fields, op).await? {
        Submitted::Done(Decided::Done(_)) => Ok(Either::Left(Redirect::to(
            "/regulator/providers?done=admitted",
        ))),
        Submitted::Done(Decided::Awaiting(_)) => Ok(Either::Left(Redirect::to(
            "/regulator/confirmations?done=awaiting_admit",
        ))),
        Submitted::Done(Decided::Noticed(_)) => Ok(Either::Left(Redirect::to(
            "/regulator/notices?done=noticed",
        ))),
        Submitted::Again => Ok(Either::Left(Redirect::to(
            "/regulator/providers?done=again",
        ))),
        Submitted::Refused(problem) => providers_view(&app.service, &signed, None, Some(problem))
            .await
            .map(Either::Right),
    }
}

/// A policy version as the policy page shows it.
pub struct VersionRow {
    pub from: String,
    pub to: String,
    pub in_force: bool,
    pub enterprise_cap: String,
    pub team_cap: String,
    pub share: String,
    pub categories: Vec<String>,
    pub applicants: Vec<&'static str>,
    pub admits: Vec<&'static str>,
    pub deadlines: String,
    pub cross_region: Option<String>,
    pub source: String,
    /// Enterprises must be registered S&T SMEs.
    pub sme_registration: bool,
    /// Where start-up teams must be housed (text keys), and their fewest
    /// core members.
    pub team_housing: Vec<&'static str>,
    pub team_min_core_members: Option<u32>,
    pub idle_voucher_share: Option<String>,
    /// The keys whose figure is illustrative.
    pub illustrative: Vec<&'static str>,
    /// Each figure's label (text key) and source.
    pub sources: Vec<(&'static str, String)>,
}

impl VersionRow {
    /// Whether the figure of `key` is illustrative (no public source).
    pub fn marked(&self, key: &str) -> bool {
        self.illustrative.contains(&key)
    }
}

/// The label (text key) of a policy key with a figure.
/// A source as the reader sees it: the citation, or "illustrative" in the
/// reader's language followed by its note.
fn cited(lang: Lang, source: &str) -> String {
    match illustrative_note(source) {
        None => source.to_owned(),
        Some("") => lang.t("policy.illustrative").to_owned(),
        Some(note) => format!("{}{}{note}", lang.t("policy.illustrative"), lang.t("colon")),
    }
}

fn label_of(key: &str) -> &'static str {
    match key {
        "enterprise_cap" => "policy.enterprise_cap",
        "team_cap" => "policy.team_cap",
        "contract_share" => "policy.share",
        "categories" => "policy.categories",
        "applicant_regions" => "policy.applicants",
        "admits_provider_regions" => "policy.admits",
        "use_deadline" => "policy.use_deadline",
        "claim_deadline" => "policy.claim_deadline",
        "settlement_cycle" => "policy.settlement_cycle",
        "cross_region_budget_share" => "policy.cross_region",
        "sme_registration_required" => "policy.sme_registration",
        "team_housing" => "policy.team_housing",
        "team_min_core_members" => "policy.team_min_core_members",
        _ => "policy.idle_voucher_share",
    }
}

#[derive(Template)]
#[template(path = "regulator_policy.html", config = "src/portal/askama.toml")]
pub struct PolicyPage {
    pub f: Frame,
    pub name: String,
    pub versions: Vec<VersionRow>,
    /// The district funds: the district's name and the fund's terms.
    pub funds: Vec<FundRow>,
}

/// A district fund's terms, as the policy page shows them.
pub struct FundRow {
    pub district: String,
    pub holder: String,
    pub request_cap: String,
    pub year_cap: String,
    pub share: String,
    pub full_cover_below: String,
    pub source: String,
}

/// The region's policy: the version in force and the earlier ones, newest
/// first, with their sources.
#[get("/regulator/policy")]
pub fn policy_page(app: &State<App>, signed: RegulatorPage) -> Result<Html, PageError> {
    let region = signed.region.clone();
    let lang = signed.lang;
    let rules = app
        .service
        .rules
        .get(&region)
        .ok_or_else(|| PageError::new(lang, Status::NotFound, "error.404"))?;
    let policy: &RegionPolicy = rules.policy();
    let year = shanghai_date(app.service.clock.now()).year();
    let regions = |list: &[Region]| list.iter().map(|r| region_name(lang, r)).collect();
    let mut versions: Vec<VersionRow> = policy
        .versions
        .iter()
        .map(|v| VersionRow {
            from: date(v.effective_from),
            to: v.effective_to.map(date).unwrap_or_default(),
            in_force: v.covers(year),
            enterprise_cap: yuan(v.enterprise_cap),
            team_cap: yuan(v.team_cap),
            share: percent(v.contract_share),
            categories: v.categories.clone(),
            applicants: regions(&v.applicant_regions),
            admits: regions(&v.admits_provider_regions),
            deadlines: format!(
                "{:02}-{:02} / {:02}-{:02}",
                v.use_deadline.0, v.use_deadline.1, v.claim_deadline.0, v.claim_deadline.1
            ),
            cross_region: v.cross_region_budget_share.map(percent),
            source: v
                .source
                .as_deref()
                .map(|s| cited(lang, s))
                .unwrap_or_default(),
            sme_registration: v.sme_registration_required,
            team_housing: v.team_housing.iter().map(|h| housing_key(*h)).collect(),
            team_min_core_members: v.team_min_core_members,
            idle_voucher_share: v.idle_voucher_share.map(percent),
            illustrative: FIGURE_KEYS
                .into_iter()
                .filter(|k| v.illustrative(k))
                .collect(),
            sources: v
                .sources
                .iter()
                .map(|(key, source)| (label_of(key), cited(lang, source)))
                .collect(),
        })
        .collect();
    versions.reverse();
    let none = || "—".to_owned();
    let funds = policy
        .districts
        .iter()
        .filter_map(|d| Some((d, d.fund.as_ref()?)))
        .map(|(d, fund)| FundRow {
            district: format!("{} ({})", d.name, d.code),
            holder: fund.name.clone(),
            request_cap: fund.request_cap.map_or_else(none, yuan),
            year_cap: fund.year_cap.map_or_else(none, yuan),
            share: fund
                .contract_share
                .map_or_else(|| lang.t("policy.fund_share_region").to_owned(), percent),
            full_cover_below: fund.full_cover_below.map_or_else(none, yuan),
            source: cited(lang, &fund.source),
        })
        .collect();
    Html::page(&PolicyPage {
        f: signed.frame("policy.title"),
        name: policy.name.clone(),
        versions,
        funds,
    })
}
