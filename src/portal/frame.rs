//! What every page shares: the visitor's language and person, the frame
//! around a page (navigation, language switch, sign-out), the guards that
//! require a session and a role, CSRF checks, and the error pages.

use askama::Template;
use rocket::http::{ContentType, Cookie, CookieJar, Header, SameSite, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::{self, Redirect, Responder, Response};
use rocket::Either;
use sha2::{Digest, Sha256};

use super::i18n::Lang;
use crate::domain::{DomainError, Money, Region, Role};
use crate::error::ApiError;
use crate::service::sessions::{self, Person};
use crate::service::ServiceError;
use crate::App;

/// The session cookie (a random id; the database keeps its hash).
pub const SESSION_COOKIE: &str = "vl_session";
/// The language cookie (`zh-CN` or `en`).
pub const LANG_COOKIE: &str = "vl_lang";
/// The cookie the sign-in form's CSRF token is checked against (there is
/// no session yet to keep it in).
pub const LOGIN_CSRF_COOKIE: &str = "vl_login_csrf";

/// Who is looking: their language, and their person if signed in.
#[derive(Debug, Clone)]
pub struct Visitor {
    pub lang: Lang,
    pub person: Option<Person>,
    /// The path and query of this request (the language switch returns here).
    pub here: String,
    /// Whether the request came with a session cookie (that may have ended).
    pub had_session: bool,
}

/// The visitor's language: the cookie, else `Accept-Language`, else Chinese.
pub fn language(req: &Request<'_>) -> Lang {
    req.cookies()
        .get(LANG_COOKIE)
        .and_then(|c| Lang::from_code(c.value()))
        .unwrap_or_else(|| {
            Lang::from_accept_language(req.headers().get_one("Accept-Language").unwrap_or(""))
        })
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Visitor {
    type Error = PageError;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, PageError> {
        let lang = language(req);
        let here = req.uri().to_string();
        let cookie = req
            .cookies()
            .get(SESSION_COOKIE)
            .map(|c| c.value().to_owned());
        let app = req.rocket().state::<App>().expect("App is managed");
        let person = match &cookie {
            None => None,
            Some(id) => match sessions::find(&app.service, id).await {
                Ok(person) => person,
                Err(e) => {
                    let err = PageError::from_service(lang, e);
                    return Outcome::Error((err.status, err));
                }
            },
        };
        Outcome::Success(Visitor {
            lang,
            person,
            here,
            had_session: cookie.is_some(),
        })
    }
}

/// A signed-in person (else the sign-in page, saying the session ended when
/// there was one).
#[derive(Debug, Clone)]
pub struct Signed {
    pub lang: Lang,
    pub person: Person,
    pub here: String,
}

impl Signed {
    /// The person, if their role is `role` (else the 403 page).
    pub fn expect(&self, role: Role) -> Result<&Person, PageError> {
        if self.person.actor.role == role {
            Ok(&self.person)
        } else {
            Err(PageError::new(self.lang, Status::Forbidden, "error.403"))
        }
    }

    /// Checks a form's CSRF token against the session's (the 403 page when
    /// it is missing or wrong: nothing is done).
    pub fn check_csrf(&self, token: Option<&str>) -> Result<(), PageError> {
        if token.is_some_and(|t| same(t, &self.person.csrf_token)) {
            Ok(())
        } else {
            Err(PageError::new(self.lang, Status::Forbidden, "error.csrf"))
        }
    }

    /// The frame of a page titled `title` (a text key).
    pub fn frame(&self, title: &'static str) -> Frame {
        Frame::new(self.lang, Some(&self.person), title, &self.here)
    }
}

/// Compares two tokens in time independent of where they differ.
pub fn same(a: &str, b: &str) -> bool {
    let (a, b) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Signed {
    type Error = PageError;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, PageError> {
        let visitor = match Visitor::from_request(req).await {
            Outcome::Success(v) => v,
            Outcome::Error(e) => return Outcome::Error(e),
            Outcome::Forward(f) => return Outcome::Forward(f),
        };
        match visitor.person {
            Some(person) => {
                // An error page of this request shows the person's frame.
                req.local_cache(|| Some(person.clone()));
                Outcome::Success(Signed {
                    lang: visitor.lang,
                    person,
                    here: visitor.here,
                })
            }
            None => {
                let err = PageError {
                    lang: visitor.lang,
                    status: Status::Unauthorized,
                    message: String::new(),
                    session_ended: visitor.had_session,
                };
                req.local_cache(|| Some(err.clone()));
                Outcome::Error((Status::Unauthorized, err))
            }
        }
    }
}

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
}

impl Frame {
    /// The frame for `person` (if any) on the page at `here`.
    pub fn new(lang: Lang, person: Option<&Person>, title: &'static str, here: &str) -> Self {
        let nav = person.map_or_else(Vec::new, |p| nav(p.actor.role, here));
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
}

fn role_key(role: Role) -> &'static str {
    match role {
        Role::Company => "role.company",
        Role::Provider => "role.provider",
        Role::Regulator => "role.regulator",
        Role::Admin | Role::System => "role.admin",
    }
}

/// A role's home and the pages linked from every page.
fn nav(role: Role, here: &str) -> Vec<NavLink> {
    let links: &[(&'static str, &'static str)] = match role {
        Role::Company => &[
            ("/company", "nav.vouchers"),
            ("/company/apply", "nav.apply"),
            ("/company/providers", "nav.providers"),
            ("/company/redemptions", "nav.history"),
        ],
        Role::Provider => &[
            ("/provider", "nav.held"),
            ("/provider/unclaimed", "nav.unclaimed"),
            ("/provider/claims", "nav.claims"),
        ],
        Role::Regulator => &[
            ("/regulator", "nav.dashboard"),
            ("/regulator/applications", "nav.applications"),
            ("/regulator/claims", "nav.claims_queue"),
            ("/regulator/vouchers", "nav.vouchers_admin"),
            ("/regulator/providers", "nav.providers_admin"),
            ("/regulator/policy", "nav.policy"),
            ("/regulator/what-if", "nav.what_if"),
            ("/regulator/audit", "nav.audit"),
        ],
        Role::Admin | Role::System => &[
            ("/operator", "nav.organizations"),
            ("/operator/expiry", "nav.expiry"),
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

/// The home page of a role.
pub fn home_of(role: Role) -> &'static str {
    match role {
        Role::Company => "/company",
        Role::Provider => "/provider",
        Role::Regulator => "/regulator",
        Role::Admin | Role::System => "/operator",
    }
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
        Ok(Html { status, body })
    }
}

/// The security headers every portal answer carries.
fn secure_headers(response: &mut Response<'_>) {
    response.set_header(Header::new(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ));
    response.set_header(Header::new("X-Content-Type-Options", "nosniff"));
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
            | ServiceError::TooManyAttempts { .. } => {
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
            let to = if self.session_ended {
                "/login?ended=1"
            } else {
                "/login"
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

/// Whether a path is one of the portal's (its failures answer in HTML).
fn is_portal_path(path: &str) -> bool {
    [
        "/login",
        "/logout",
        "/language",
        "/company",
        "/provider",
        "/operator",
        "/assets",
    ]
    .iter()
    .any(|p| path == *p || path.starts_with(&format!("{p}/")))
        || path == "/"
}

/// Whether a request prefers HTML (a browser navigating).
fn wants_html(req: &Request<'_>) -> bool {
    req.headers()
        .get_one("Accept")
        .is_some_and(|a| a.contains("text/html"))
}

/// Every failure without a handler's answer: an HTML page on the portal's
/// paths and for browsers off the API, problem+json for the API.
#[rocket::catch(default)]
pub fn any_status(status: Status, req: &Request<'_>) -> Either<PageError, ApiError> {
    let path = req.uri().path().as_str();
    let api = path.starts_with("/api/") || path == "/openapi.json" || path == "/health";
    if !api && (is_portal_path(path) || wants_html(req)) {
        let stashed: &Option<PageError> = req.local_cache(|| None);
        if let Some(err) = stashed.clone().filter(|e| e.status == status) {
            return Either::Left(err);
        }
        let lang = language(req);
        let key = match status.code {
            401 => "login.ended",
            403 => "error.403",
            404 => "error.404",
            503 => "error.503",
            400 | 413 | 415 | 422 => "error.400",
            _ => "error.500",
        };
        return Either::Left(PageError::new(lang, status, key));
    }
    Either::Right(crate::error::caught(status, req))
}

/// The session cookie for `id`: HttpOnly, SameSite=Strict, Secure when the
/// request came over TLS (directly, or through a proxy that says so).
pub fn session_cookie(req_is_tls: bool, id: String) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, id))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(req_is_tls)
        .build()
}

/// Whether the request reached the service over TLS (a proxy in front says
/// so with `X-Forwarded-Proto: https`).
pub fn over_tls(req: &Request<'_>) -> bool {
    req.headers()
        .get_one("X-Forwarded-Proto")
        .is_some_and(|p| p.eq_ignore_ascii_case("https"))
}

/// Whether this request came over TLS, as a guard.
pub struct Tls(pub bool);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Tls {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        Outcome::Success(Tls(over_tls(req)))
    }
}

/// Removes the session cookie.
pub fn forget_session(jar: &CookieJar<'_>) {
    jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
}
