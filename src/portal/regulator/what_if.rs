//! The regulator's policy what-if page: a draft of the region's policy
//! (filled in with the version in force), replayed over a fiscal year by
//! the same service call as `POST /api/v1/regions/{region}/policy/what-if`,
//! and what would have differed, per rule and one by one.

use std::collections::HashMap;

use askama::Template;
use chrono::Datelike;
use rocket::form::{Form, FromForm};
use rocket::http::Status;
use rocket::{get, post, State};
use uuid::Uuid;

use crate::domain::clock::shanghai_date;
use crate::domain::programme::CATEGORIES;
use crate::domain::Region;
use crate::portal::kit::forms::{problem_on, Problem};
use crate::portal::kit::frame::{Frame, Html, PageError};
use crate::portal::kit::guards::RegulatorPage;
use crate::portal::kit::i18n::{self, date, yuan};
use crate::rules::policy::VersionFile;
use crate::rules::PolicyVersion;
use crate::service::identity::organization_names;
use crate::service::what_if::{self, WhatIfSummary};
use crate::App;

/// The most differences the page lists (the API lists more).
const LISTED: usize = 100;

/// A draft as the form sends it: the keys of a policy version.
#[derive(Debug, Clone, Default, FromForm)]
pub struct DraftFields {
    pub csrf: Option<String>,
    pub year: String,
    pub enterprise_cap: String,
    pub team_cap: String,
    pub contract_share: String,
    pub categories: Vec<String>,
    pub applicant_regions: String,
    pub admits_provider_regions: String,
    pub use_deadline: String,
    pub claim_deadline: String,
    pub cross_region_budget_share: String,
    pub idle_voucher_share: String,
    pub team_min_core_members: String,
}

impl DraftFields {
    /// The form filled in with version `v`, for `year`.
    fn of(year: i32, v: &PolicyVersion) -> Self {
        let codes = |list: &[Region]| {
            list.iter()
                .map(Region::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        DraftFields {
            csrf: None,
            year: year.to_string(),
            enterprise_cap: v.enterprise_cap.to_string(),
            team_cap: v.team_cap.to_string(),
            contract_share: v.contract_share.to_string(),
            categories: v.categories.clone(),
            applicant_regions: codes(&v.applicant_regions),
            admits_provider_regions: codes(&v.admits_provider_regions),
            use_deadline: format!("{:02}-{:02}", v.use_deadline.0, v.use_deadline.1),
            claim_deadline: format!("{:02}-{:02}", v.claim_deadline.0, v.claim_deadline.1),
            cross_region_budget_share: v
                .cross_region_budget_share
                .map(|s| s.to_string())
                .unwrap_or_default(),
            idle_voucher_share: v
                .idle_voucher_share
                .map(|s| s.to_string())
                .unwrap_or_default(),
            team_min_core_members: v
                .team_min_core_members
                .map(|n| n.to_string())
                .unwrap_or_default(),
        }
    }

    /// The draft as a policy file would write it, on top of `base` (the
    /// keys the form does not show).
    fn version(&self, base: &PolicyVersion, year: i32) -> VersionFile {
        let list = |text: &str| {
            text.split([',', '，', ' '])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_uppercase)
                .collect()
        };
        let share = self.cross_region_budget_share.trim();
        let idle = self.idle_voucher_share.trim();
        // A count the form cannot read is refused before the draft is
        // replayed ([`run`]).
        let team_min_core_members = self.team_min_core_members.trim().parse().ok();
        VersionFile {
            effective_from: format!("{year}-01-01"),
            effective_to: None,
            enterprise_cap: self.enterprise_cap.trim().to_owned(),
            team_cap: self.team_cap.trim().to_owned(),
            contract_share: self.contract_share.trim().to_owned(),
            categories: self.categories.clone(),
            applicant_regions: list(&self.applicant_regions),
            admits_provider_regions: list(&self.admits_provider_regions),
            use_deadline: self.use_deadline.trim().to_owned(),
            claim_deadline: self.claim_deadline.trim().to_owned(),
            settlement_cycle: base.settlement_cycle,
            cross_region_budget_share: (!share.is_empty()).then(|| share.to_owned()),
            sme_registration_required: base.sme_registration_required,
            team_housing: base.team_housing.iter().map(|h| h.to_string()).collect(),
            team_min_core_members,
            idle_voucher_share: (!idle.is_empty()).then(|| idle.to_owned()),
            review_levels: Some(base.review_levels),
            notice_days: base.notice_days,
            claim_documents: base.claim_documents.iter().map(|d| d.to_string()).collect(),
            source: None,
            sources: Default::default(),
        }
    }
}

/// One difference, with the company's name.
pub struct DifferenceRow {
    pub kind: &'static str,
    pub company: String,
    pub rule: String,
    pub actual: String,
    pub draft: String,
    pub day: String,
}

#[derive(Template)]
#[template(path = "regulator_what_if.html", config = "src/portal/askama.toml")]
pub struct WhatIfPage {
    pub f: Frame,
    pub form: DraftFields,
    /// Every category, and whether the draft funds it.
    pub categories: Vec<(&'static str, bool)>,
    /// Whether the region's rules use the cross-region share.
    pub cross_region: bool,
    pub in_force: String,
    pub problem: Option<Problem>,
    pub result: Option<WhatIfSummary>,
    pub rows: Vec<DifferenceRow>,
}

impl WhatIfPage {
    fn problem_on(&self, field: &str) -> Option<&str> {
        problem_on(&self.problem, field)
    }

    /// A rule's name in the reader's language (its key if it has none).
    fn rule_name<'a>(&self, rule: &'a str) -> std::borrow::Cow<'a, str> {
        match self.f.lang.t(&format!("whatif.rule.{rule}")) {
            i18n::MISSING => rule.into(),
            name => name.into(),
        }
    }
}

/// The signed-in regulator's region, and the version in force for `year`.
fn regulator_policy<'a>(
    app: &'a App,
    signed: &RegulatorPage,
    year: i32,
) -> Result<(Region, &'a PolicyVersion, bool), PageError> {
    let region = signed.region.clone();
    let rules = app
        .service
        .rules
        .get(&region)
        .ok_or_else(|| PageError::new(signed.lang, Status::NotFound, "error.404"))?;
    let version = rules
        .version(year)
        .map_err(|_| PageError::new(signed.lang, Status::NotFound, "error.404"))?;
    let cross_region = rules.policy().rules.caps_cross_region_spending();
    Ok((region, version, cross_region))
}

fn page(
    signed: &RegulatorPage,
    form: DraftFields,
    in_force: &PolicyVersion,
    cross_region: bool,
) -> WhatIfPage {
    let categories = CATEGORIES
        .iter()
        .map(|c| (*c, form.categories.iter().any(|d| d == c)))
        .collect();
    WhatIfPage {
        f: signed.frame("whatif.title"),
        form,
        categories,
        cross_region,
        in_force: date(in_force.effective_from),
        problem: None,
        result: None,
        rows: Vec::new(),
    }
}

/// What to say of an invalid draft field, in the reader's language.
fn invalid_text(field: &str) -> &'static str {
    match field {
        "enterprise_cap" | "team_cap" => "refusal.amount_format",
        "contract_share" | "cross_region_budget_share" | "idle_voucher_share" => {
            "whatif.invalid.share"
        }
        "team_min_core_members" => "whatif.invalid.count",
        "use_deadline" | "claim_deadline" => "whatif.invalid.month_day",
        "applicant_regions" | "admits_provider_regions" => "whatif.invalid.regions",
        "categories" => "whatif.invalid.categories",
        "year" => "whatif.invalid.year",
        _ => "refusal.field",
    }
}

/// The draft form, filled in with the version in force for `year`.
#[get("/regulator/what-if?<year>")]
pub fn draft_page(
    app: &State<App>,
    signed: RegulatorPage,
    year: Option<i32>,
) -> Result<Html, PageError> {
    let year = year.unwrap_or_else(|| shanghai_date(app.service.clock.now()).year());
    let (_, version, cross_region) = regulator_policy(app, &signed, year)?;
    Html::page(&page(
        &signed,
        DraftFields::of(year, version),
        version,
        cross_region,
    ))
}

/// Replays the year under the draft and shows what would have differed.
#[post("/regulator/what-if", data = "<form>")]
pub async fn run(
    app: &State<App>,
    signed: RegulatorPage,
    form: Form<DraftFields>,
) -> Result<Html, PageError> {
    let form = form.into_inner();
    signed.check_csrf(form.csrf.as_deref())?;
    let lang = signed.lang;
    // A year without a policy version is a problem of the year field; the
    // form is then shown for the current year's version.
    let asked = form.year.trim().parse::<i32>().ok();
    let found = asked.map(|y| regulator_policy(app, &signed, y).map(|found| (y, found)));
    let (year, (region, in_force, cross_region)) = match found {
        Some(Ok(found)) => (Some(found.0), found.1),
        _ => {
            let now = shanghai_date(app.service.clock.now()).year();
            (None, regulator_policy(app, &signed, now)?)
        }
    };
    let year_or_now = year.unwrap_or(in_force.effective_from.year());
    let draft = form.version(in_force, year_or_now).check();
    let mut view = page(&signed, form, in_force, cross_region);
    let members = view.form.team_min_core_members.trim();
    let members_unread = !members.is_empty() && members.parse::<u32>().is_err();
    let draft = match (year, draft) {
        (None, _) => Err(("year", ())),
        (Some(_), _) if members_unread => Err(("team_min_core_members", ())),
        (Some(_), Err((key, _))) => Err((key, ())),
        (Some(_), Ok(draft)) => Ok(draft),
    };
    let draft = match draft {
        Ok(draft) => draft,
        Err((field, _)) => {
            let message = lang.t(invalid_text(field)).to_owned();
            view.problem = Some(Problem { field, message });
            return Html::with_status(Status::UnprocessableEntity, &view);
        }
    };
    let actor = signed.person.actor.clone();
    let found = what_if::run(&app.service, &actor, &region, year_or_now, &draft)
        .await
        .map_err(|e| PageError::from_service(lang, e))?;
    let result = found.summary();
    let listed = &found.outcome.differences[..found.outcome.differences.len().min(LISTED)];
    let names: HashMap<Uuid, String> =
        organization_names(&app.service.db, &actor, listed.iter().map(|d| d.company))
            .await
            .map_err(|e| PageError::from_service(lang, e))?;
    view.rows = listed
        .iter()
        .map(|d| DifferenceRow {
            kind: match d.kind {
                crate::rules::what_if::Kind::Application => "whatif.kind.application",
                crate::rules::what_if::Kind::Hold => "whatif.kind.hold",
            },
            company: names.get(&d.company).cloned().unwrap_or_default(),
            rule: d.rule.to_owned(),
            actual: yuan(d.actual),
            draft: yuan(d.draft),
            day: date(shanghai_date(d.at)),
        })
        .collect();
    view.result = Some(result);
    Html::page(&view)
}
