//! A regulator's audit trail: the region's events (filtered and paged as
//! the API's), the verification of its chain against the ledger, and the
//! download of every event as CSV or JSON Lines.

use askama::Template;
use rocket::form::FromForm;
use rocket::http::Status;
use rocket::{get, State};

use super::err;
use crate::audit::export::Format;
use crate::audit::{self, Event, EventFilter, Finding, Verification};
use crate::domain::Region;
use crate::download::Download;
use crate::portal::kit::frame::{percent_encode, Frame, Html, PageError};
use crate::portal::kit::guards::RegulatorPage;
use crate::portal::kit::i18n::Lang;
use crate::portal::kit::texts_audit::AUDIT;
use crate::service::Service;
use crate::App;

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
    /// What a verification found, in the reader's language (the transfer or
    /// account it names is shown beside it).
    fn finding(&self, finding: &Finding) -> String {
        let text = self.f.t(&format!("audit.finding.{}", finding.kind()));
        let number = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
        text.replace("{seq}", &number(finding.seq()))
            .replace("{to}", &number(finding.to()))
    }

    /// Every action of the audit trail as (code, name in the reader's
    /// language), grouped by what they act on: the action filter's choices.
    fn actions(&self) -> Vec<(&'static str, &'static str)> {
        AUDIT
            .iter()
            .filter_map(|(key, _, _)| Some((key.strip_prefix("action.")?, *key)))
            .map(|(code, key)| (code, self.f.lang.t(key)))
            .collect()
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
                href.push_str(&format!("&{name}={}", percent_encode(&value)));
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
    signed: &RegulatorPage,
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
    signed: RegulatorPage,
    query: AuditQuery,
) -> Result<Html, PageError> {
    let region = signed.audited(&app.service.rules, query.region.as_deref())?;
    audit_view(&app.service, &signed, region, query, None).await
}

/// Verifies the region's chain against the ledger and shows the result.
#[get("/regulator/audit/verify?<region>")]
pub async fn verify(
    app: &State<App>,
    signed: RegulatorPage,
    region: Option<&str>,
) -> Result<Html, PageError> {
    let region = signed.audited(&app.service.rules, region)?;
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
    signed: RegulatorPage,
    region: Option<&str>,
    format: Option<&str>,
) -> Result<Download<impl futures::Stream<Item = String>>, PageError> {
    let region = signed.audited(&app.service.rules, region)?;
    let format = Format::parse(format.unwrap_or("csv"))
        .ok_or_else(|| PageError::new(signed.lang, Status::BadRequest, "error.400"))?;
    let file = audit::export::file(app.service.db.clone(), region, format);
    Ok(Download::new(&file.filename, file.content_type, file.lines))
}
