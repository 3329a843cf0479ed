//! The frame around every page (navigation, language switch, sign-out),
//! the portal's rendered answer with its security headers, and the error
//! pages. Who is asking (sessions, roles) is in [`super::guards`].

use askama::Template;
use rocket::http::{ContentType, Header, Status};
use rocket::request::Request;
use rocket::response::{self, Redirect, Responder, Response};

use super::i18n::Lang;
use crate::domain::{Actor, DomainError, Money, Region, Role};
use crate::service::sessions::Person;
use crate::service::ServiceError;

/// A link of the navigation.
#[derive(Debug, Clone)]
pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// What the frame around every page shows.
#[derive(Debug, Clone)]
pub struct Frame {
    pub lang: Lang,
    /// The page's title, a text key.
    pub title: &'static str,
    /// The signed-in person's name and organisation, and the role's key.
    pub person: Option<(String, String, &'static str)>,
    pub csrf: String,
    pub nav: Vec<NavLink>,
    /// Where the language switch goes.
    pub switch_href: String,
    /// The person must enrol a second factor before changing anything.
    pub enrol_first: bool,
}

impl Frame {
    /// The frame for `person` (if any) on the page at `here`.
    pub fn new(lang: Lang, person: Option<&Person>, title: &'static str, here: &str) -> Self {
        let nav = person.map_or_else(Vec::new, |p| nav(&p.actor, here));
        Frame {
            lang,
            title,
            person: person.map(|p| {
                (
                    p.display_name.clone(),
                    p.organization_name.clone().unwrap_or_default(),
                    role_key(p.actor.role),
                )
            }),
            csrf: person.map(|p| p.csrf_token.clone()).unwrap_or_default(),
            nav,
            switch_href: format!(
                "/language?to={}&back={}",
                lang.other().code(),
                percent_encode(here)
            ),
            enrol_first: person.is_some_and(|p| p.actor.needs_second_factor),
        }
    }

    /// The text of `key` in the page's language.
    pub fn t(&self, key: &str) -> &'static str {
        self.lang.t(key)
    }

    /// An amount: `¥1,234.50`.
    pub fn money(&self, amount: &Money) -> String {
        super::i18n::yuan(*amount)
    }

    /// A region's name.
    pub fn region(&self, region: &Region) -> &'static str {
        super::explain::region_name(self.lang, region)
    }

    /// A status's name (`status.<code>`).
    pub fn status(&self, status: &impl std::fmt::Display) -> &'static str {
        self.lang.t(&format!("status.{status}"))
    }

    /// A day: `2026-12-31`.
    pub fn date(&self, day: &chrono::NaiveDate) -> String {
        super::i18n::date(*day)
    }

    /// A moment to the minute, in Asia/Shanghai: `2026-03-02 10:30`.
    pub fn minute(&self, at: &chrono::DateTime<chrono::Utc>) -> String {
        let local = at.with_timezone(&crate::domain::clock::china_standard_time());
        local.format("%Y-%m-%d %H:%M").to_string()
    }

    /// The day of a moment, in Asia/Shanghai.
    pub fn day(&self, at: &chrono::DateTime<chrono::Utc>) -> String {
        super::i18n::date(crate::domain::clock::shanghai_date(*at))
    }

    /// A number of redemptions: "3 笔", "1 redemption", "3 redemptions".
    pub fn redemptions(&self, n: usize) -> String {
        let key = if n == 1 {
            "count.redemption"
        } else {
            "count.redemptions"
        };
        self.lang.t(key).replace("{n}", &n.to_string())
    }

    /// A service category's name (its code if it has none).
    pub fn category<'a>(&self, code: &'a str) -> std::borrow::Cow<'a, str> {
        super::i18n::category(self.lang, code)
    }

    /// The name of `code` of a kind: an audit `action`, an `entity` type, a
    /// `role`, a `via` channel (the code if it has none).
    pub fn named<'a>(&self, kind: &str, code: &'a str) -> std::borrow::Cow<'a, str> {
        super::i18n::named(self.lang, kind, code)
    }
}

fn role_key(role: Role) -> &'static str {
    match role {
        Role::Company => "role.company",
        Role::Provider => "role.provider",
        Role::Regulator => "role.regulator",
        Role::Admin | Role::System => "role.admin",
    }
}

/// A role's home and the pages linked from every page (a district's
/// regulator reviews applications and providers' admissions and manages its
/// team, nothing else).
fn nav(actor: &Actor, here: &str) -> Vec<NavLink> {
    let links: &[(&'static str, &'static str)] = match actor.role {
        Role::Regulator if actor.district.is_some() => &[
            ("/regulator/applications", "nav.first_review"),
            (
                "/regulator/admission-requests",
                "nav.first_review_providers",
            ),
            ("/team", "nav.team"),
        ],
        Role::Company => &[
            ("/company", "nav.vouchers"),
            ("/company/apply", "nav.apply"),
            ("/company/providers", "nav.providers"),
            ("/company/redemptions", "nav.history"),
            ("/team", "nav.team"),
        ],
        Role::Provider => &[
            ("/provider", "nav.held"),
            ("/provider/unclaimed", "nav.unclaimed"),
            ("/provider/claims", "nav.claims"),
            ("/provider/payments", "nav.payments"),
            ("/provider/bank-account", "nav.bank_account"),
            ("/provider/admission", "nav.admission"),
            ("/team", "nav.team"),
        ],
        Role::Regulator => &[
            ("/regulator", "nav.dashboard"),
            ("/regulator/applications", "nav.applications"),
            ("/regulator/claims", "nav.claims_queue"),
            ("/regulator/confirmations", "nav.confirmations"),
            ("/regulator/notices", "nav.notices"),
            ("/regulator/vouchers", "nav.vouchers_admin"),
            ("/regulator/providers", "nav.providers_admin"),
            ("/regulator/admission-requests", "nav.admission_requests"),
            ("/regulator/bank-accounts", "nav.bank_accounts"),
            ("/regulator/settlement", "nav.settlement"),
            ("/regulator/policy", "nav.policy"),
            ("/regulator/what-if", "nav.what_if"),
            ("/regulator/audit", "nav.audit"),
            ("/team", "nav.team"),
        ],
        Role::Admin | Role::System => &[
            ("/operator", "nav.organizations"),
            ("/operator/expiry", "nav.expiry"),
            ("/team", "nav.team"),
        ],
    };
    let path = here.split('?').next().unwrap_or(here);
    links
        .iter()
        .map(|&(href, label)| NavLink {
            href,
            label,
            current: path == href,
        })
        .collect()
}

/// The home page of an actor's role.
pub fn home_of(actor: &Actor) -> &'static str {
    match actor.role {
        Role::Company => "/company",
        Role::Provider => "/provider",
        Role::Regulator if actor.district.is_some() => "/regulator/applications",
        Role::Regulator => "/regulator",
        Role::Admin | Role::System => "/operator",
    }
}

/// Where a person goes once signed in: `next` (the page they asked for)
/// when it is a page of this site, else their home.
pub fn after_sign_in(actor: &Actor, next: Option<&str>) -> String {
    next.filter(|n| is_local_page(n))
        .map_or_else(|| home_of(actor).to_owned(), str::to_owned)
}

/// Whether `path` is a page of this site to return to: one leading slash
/// (no scheme, no host, no `//`), no backslash or control character, at
/// most 500 bytes, and not the sign-in or sign-out page itself.
pub fn is_local_page(path: &str) -> bool {
    path.len() <= 500
        && path.starts_with('/')
        && !path.starts_with("//")
        && !path.chars().any(|c| c.is_control() || c == '\\')
        && !["/login", "/logout"]
            .iter()
            .any(|p| path == *p || path.starts_with(&format!("{p}?")))
}

/// Percent-encodes a query value.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A rendered page with the portal's headers: no caching of personal data,
/// no framing, scripts and styles only from the portal itself.
pub struct Html {
    pub status: Status,
    pub body: String,
}

impl Html {
    /// `template` rendered, 200.
    pub fn page<T: Template>(template: &T) -> Result<Html, PageError> {
        Html::with_status(Status::Ok, template)
    }

    /// `template` rendered with `status`.
    pub fn with_status<T: Template>(status: Status, template: &T) -> Result<Html, PageError> {
        let body = template.render().map_err(|e| {
            tracing::error!(error = %e, "rendering a page");
            PageError::new(Lang::Zh, Status::InternalServerError, "error.500")
        })?;
        let body = if status == Status::UnprocessableEntity {
            super::refused::mark(body)
        } else {
            body
        };
        Ok(Html { status, body })
    }
}

/// The security headers every portal answer carries.
///
/// `X-Content-Type-Options: nosniff` comes from Rocket's Shield, on every
/// answer; setting it here too made Shield warn twice per page.
fn secure_headers(response: &mut Response<'_>) {
    response.set_header(Header::new(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ));
    response.set_header(Header::new("Referrer-Policy", "same-origin"));
    response.set_header(Header::new("Cache-Control", "no-store"));
}

impl<'r> Responder<'r, 'static> for Html {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        let mut response = Response::build()
            .status(self.status)
            .header(ContentType::HTML)
            .sized_body(self.body.len(), std::io::Cursor::new(self.body))
            .finalize();
        secure_headers(&mut response);
        Ok(response)
    }
}

/// Why a page could not be shown or a form not acted on: answered with the
/// error page in the visitor's language (401: the sign-in page).
#[derive(Debug, Clone)]
pub struct PageError {
    pub lang: Lang,
    pub status: Status,
    /// What the page says.
    pub message: String,
    /// For a 401: whether a session had been there (and ended).
    pub session_ended: bool,
}

impl PageError {
    /// An error page saying the text of `key`.
    pub fn new(lang: Lang, status: Status, key: &str) -> Self {
        PageError {
            lang,
            status,
            message: lang.t(key).to_owned(),
            session_ended: false,
        }
    }

    /// The page for a failure of the service (a refusal is explained by the
    /// form that caused it, not here).
    pub fn from_service(lang: Lang, err: ServiceError) -> Self {
        match err {
            ServiceError::Domain(DomainError::NotFound) => {
                PageError::new(lang, Status::NotFound, "error.404")
            }
            ServiceError::Domain(DomainError::Forbidden(_)) => {
                PageError::new(lang, Status::Forbidden, "error.403")
            }
            ServiceError::Domain(e) => PageError {
                message: super::explain::domain(lang, &e),
                ..PageError::new(lang, Status::UnprocessableEntity, "error.400")
            },
            ServiceError::Busy
            | ServiceError::Unavailable(_)
            | ServiceError::Contention(_)
            | ServiceError::TooManyAttempts { .. }
            | ServiceError::QueueFull { .. } => {
                if let ServiceError::Unavailable(why) = &err {
                    tracing::warn!(error = %why, "portal: database unavailable");
                }
                PageError::new(lang, Status::ServiceUnavailable, "error.503")
            }
            ServiceError::Unauthorized => PageError::new(lang, Status::Unauthorized, "login.ended"),
            ServiceError::IdempotencyKeyReused | ServiceError::IdempotencyInProgress => {
                PageError::new(lang, Status::Conflict, "done.already")
            }
            ServiceError::Internal(why) => {
                tracing::error!(error = %why, "portal: internal error");
                PageError::new(lang, Status::InternalServerError, "error.500")
            }
        }
    }
}

/// The error page.
#[derive(Template)]
#[template(path = "error.html", config = "src/portal/askama.toml")]
pub struct ErrorPage {
    pub f: Frame,
    pub code: u16,
    pub message: String,
}

impl<'r> Responder<'r, 'static> for PageError {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        if self.status == Status::Unauthorized {
            // Back to the page asked for once signed in (what a GET asked).
            let asked = req.uri().to_string();
            let next = (req.method() == rocket::http::Method::Get && is_local_page(&asked))
                .then(|| format!("next={}", percent_encode(&asked)));
            let query: Vec<String> = [self.session_ended.then(|| "ended=1".to_owned()), next]
                .into_iter()
                .flatten()
                .collect();
            let to = if query.is_empty() {
                "/login".to_owned()
            } else {
                format!("/login?{}", query.join("&"))
            };
            return Redirect::to(to).respond_to(req);
        }
        let person: &Option<Person> = req.local_cache(|| None);
        let page = ErrorPage {
            f: Frame::new(
                self.lang,
                person.as_ref(),
                "error.title",
                &req.uri().to_string(),
            ),
            code: self.status.code,
            message: self.message,
        };
        match Html::with_status(self.status, &page) {
            Ok(html) => html.respond_to(req),
            Err(_) => Err(Status::InternalServerError),
        }
    }
}
