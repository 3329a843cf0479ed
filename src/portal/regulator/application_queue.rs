//! A regulator's applications queue: the region's applications (with
//! what the cap rule says of each and, in a two-level programme, where
//! each stands), or a district's regulator's first-review queue. The
//! decisions taken from it are in [`super::queues`].

use askama::Template;
use chrono::Datelike;
use rocket::http::Status;
use rocket::{get, State};
use uuid::Uuid;

use super::err;
use crate::domain::clock::shanghai_date;
use crate::domain::review::{District, ReviewLevel};
use crate::domain::{ApplicationStatus, Money, Region};
use crate::portal::kit::explain::Policy;
use crate::portal::kit::forms::{self, Problem};
use crate::portal::kit::frame::{Frame, Html, PageError};
use crate::portal::kit::guards::RegulatorPage;
use crate::portal::kit::i18n::Lang;
use crate::portal::kit::lists::{all_of, notice};
use crate::service::applications::{self, Application};
use crate::service::caps::{self, CapRoom};
use crate::service::identity::organization_names;
use crate::service::Service;
use crate::App;

/// A submitted application and what the cap rule says about it.
pub struct ApplicationRow {
    pub a: Application,
    pub company: String,
    pub room: Option<CapRoom>,
    pub policy: String,
    pub approve_idem: String,
    pub reject_idem: String,
    /// Where it stands in a two-level review (none in a one-level
    /// programme), in the reader's language.
    pub level: Option<String>,
    /// The reader may decide it now: the region's regulator once the
    /// district recommended it, the district's while it waits there.
    pub decidable: bool,
    /// Why the reader cannot decide it yet.
    pub waits: Option<String>,
    pub problem: Option<String>,
}

#[derive(Template)]
#[template(
    path = "regulator_applications.html",
    config = "src/portal/askama.toml"
)]
pub struct ApplicationsPage {
    pub f: Frame,
    /// The reader is a district's regulator (first-level review).
    pub reviewer: bool,
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
pub(super) async fn applications_view(
    service: &Service,
    signed: &RegulatorPage,
    region: &Region,
    done: Option<&str>,
    refused: Option<(Uuid, Problem)>,
) -> Result<Html, PageError> {
    let lang = signed.lang;
    let actor = signed.actor();
    let db = service.db.reader();
    let mut all = all_of(|p| applications::list(db, actor, p))
        .await
        .map_err(err(lang))?;
    all.retain(|a| &a.region == region);
    all.reverse();
    let names = organization_names(&service.db, actor, all.iter().map(|a| a.company_id))
        .await
        .map_err(err(lang))?;
    let mut rows = Vec::new();
    let mut decided = Vec::new();
    let reviewer = actor.district.is_some();
    let rules = service.rules.get(region);
    let districts = rules.map_or(&[][..], |r| &r.policy().districts[..]);
    let two_levels = rules
        .and_then(|r| r.version(shanghai_date(service.clock.now()).year()).ok())
        .is_some_and(|v| v.review_levels > 1);
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
        let room = caps::cap_room_of(db, &service.rules, a.company_id, region, a.year)
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
        let at_district = a.level == ReviewLevel::District;
        let (district, level) = where_it_stands(lang, districts, a.district.as_deref(), a.level);
        let level = level.filter(|_| two_levels);
        let decidable = reviewer == at_district;
        let waits = (!decidable && at_district).then(|| {
            let name = district.as_deref().unwrap_or_default();
            lang.t("queue.waits_for_district")
                .replace("{district}", name)
        });
        rows.push(ApplicationRow {
            a,
            company,
            room,
            policy,
            approve_idem: forms::new_key(),
            reject_idem: forms::new_key(),
            level,
            decidable,
            waits,
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
            f: signed.frame(if reviewer {
                "nav.first_review"
            } else {
                "queue.applications"
            }),
            reviewer,
            notice: notice(lang, done),
            rows,
            decided,
        },
    )
}

/// The name of a record's district (its code if the policy does not list
/// it) and, in the reader's language, the level it waits at: what both
/// review queues show.
pub(super) fn where_it_stands(
    lang: Lang,
    districts: &[District],
    code: Option<&str>,
    level: ReviewLevel,
) -> (Option<String>, Option<String>) {
    let district = code.map(|code| {
        districts
            .iter()
            .find(|d| d.code == code)
            .map_or_else(|| code.to_owned(), |d| d.name.clone())
    });
    let key = match level {
        ReviewLevel::District => "queue.level.district",
        ReviewLevel::Region => "queue.level.region",
    };
    let text = district
        .as_ref()
        .map(|name| lang.t(key).replace("{district}", name));
    (district, text)
}

/// Submitted applications of the region, with the cap each would use.
#[get("/regulator/applications?<region>&<done>")]
pub async fn applications_page(
    app: &State<App>,
    signed: RegulatorPage,
    region: Option<&str>,
    done: Option<&str>,
) -> Result<Html, PageError> {
    let region = desk_region(&app.service, &signed, region)?;
    applications_view(&app.service, &signed, &region, done, None).await
}

/// The region a regulator's queue shows: a district's regulator sees its
/// own region's (its district's applications); the region's regulator the
/// region it audits.
pub(super) fn desk_region(
    service: &Service,
    signed: &RegulatorPage,
    asked: Option<&str>,
) -> Result<Region, PageError> {
    match (&signed.actor().district, &signed.actor().region) {
        (Some(_), Some(region)) => Ok(region.clone()),
        _ => signed.audited(&service.rules, asked),
    }
}
