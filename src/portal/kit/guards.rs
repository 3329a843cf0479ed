//! Who is asking: the visitor's language and session (the cookies), the
//! guard that requires a signed-in person, and one page guard per role —
//! [`CompanyPage`], [`ProviderPage`], [`OperatorPage`] and
//! [`RegulatorPage`] (with the regulator's region). A wrong role gets the
//! 403 page, no session the sign-in page, as from a handler.

use std::ops::Deref;

use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::outcome::try_outcome;
use rocket::request::{FromRequest, Outcome, Request};
use sha2::{Digest, Sha256};

use super::frame::{Frame, PageError};
use super::i18n::Lang;
use crate::domain::{Actor, Region, Role};
use crate::rules::Registry;
use crate::service::audited_region;
use crate::service::sessions::{self, Person};
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

/// Where the language switch returns: this page, or, for the answer to a
/// form (a POST, which has no page to go back to), the page of this site
/// the form was sent from (its `Referer`); when that was this form's own
/// answer too (a second refusal), the home of this area of the portal
/// (`/provider` for `/provider/redemptions/…/complete`).
fn here(req: &Request<'_>) -> String {
    if req.method() == rocket::http::Method::Get {
        return req.uri().to_string();
    }
    let path = req.uri().path().to_string();
    let host = req.headers().get_one("Host");
    let from = req
        .headers()
        .get_one("Referer")
        .and_then(|r| r.split_once("://"))
        .and_then(|(_, rest)| {
            let (authority, from) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            (Some(authority) == host && from.starts_with('/')).then_some(from)
        });
    match from {
        Some(from) if from.split('?').next() != Some(path.as_str()) => from.to_owned(),
        _ => {
            let area = path.split('/').nth(1).unwrap_or_default();
            format!("/{area}")
        }
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Visitor {
    type Error = PageError;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, PageError> {
        let lang = language(req);
        let here = here(req);
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
            None => refuse(
                req,
                PageError {
                    lang: visitor.lang,
                    status: Status::Unauthorized,
                    message: String::new(),
                    session_ended: visitor.had_session,
                },
            ),
        }
    }
}

/// Fails a guard with `err`, kept for the catcher (which answers with this
/// very page).
fn refuse<T>(req: &Request<'_>, err: PageError) -> Outcome<T, PageError> {
    req.local_cache(|| Some(err.clone()));
    Outcome::Error((err.status, err))
}

/// The signed-in person, if their role is `role` (else the 403 page, as
/// [`Signed::expect`] answers).
async fn signed_as(req: &Request<'_>, role: Role) -> Outcome<Signed, PageError> {
    let signed = try_outcome!(Signed::from_request(req).await);
    match signed.expect(role) {
        Ok(_) => Outcome::Success(signed),
        Err(err) => refuse(req, err),
    }
}

/// A page guard for one role: the signed-in person of that role.
macro_rules! role_page {
    ($(#[$doc:meta])* $name:ident, $role:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub Signed);

        impl $name {
            /// Who is acting.
            pub fn actor(&self) -> &Actor {
                &self.0.person.actor
            }
        }

        impl Deref for $name {
            type Target = Signed;

            fn deref(&self) -> &Signed {
                &self.0
            }
        }

        #[rocket::async_trait]
        impl<'r> FromRequest<'r> for $name {
            type Error = PageError;

            async fn from_request(req: &'r Request<'_>) -> Outcome<Self, PageError> {
                signed_as(req, $role).await.map($name)
            }
        }
    };
}

role_page!(
    /// A company's page: a person of a company (else the 403 page).
    CompanyPage,
    Role::Company
);
role_page!(
    /// A service provider's page: a person of a provider (else the 403 page).
    ProviderPage,
    Role::Provider
);
role_page!(
    /// An operator's page: an operator (else the 403 page).
    OperatorPage,
    Role::Admin
);

/// A regulator's page: a person of a regulator, and its region (else the
/// 403 page).
#[derive(Debug, Clone)]
pub struct RegulatorPage {
    pub signed: Signed,
    /// The regulator's own region.
    pub region: Region,
}

impl RegulatorPage {
    /// Who is acting.
    pub fn actor(&self) -> &Actor {
        &self.signed.person.actor
    }

    /// The region a page asks about (`asked`, else its own): the regulator
    /// may only audit its own (the 403 page for another, as the API's
    /// answer).
    pub fn audited(&self, rules: &Registry, asked: Option<&str>) -> Result<Region, PageError> {
        audited_region(rules, self.actor(), asked.filter(|r| !r.is_empty()))
            .map_err(|e| PageError::from_service(self.signed.lang, e.into()))
    }
}

impl Deref for RegulatorPage {
    type Target = Signed;

    fn deref(&self) -> &Signed {
        &self.signed
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for RegulatorPage {
    type Error = PageError;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, PageError> {
        let signed = try_outcome!(signed_as(req, Role::Regulator).await);
        match signed.person.actor.region.clone() {
            Some(region) => Outcome::Success(RegulatorPage { signed, region }),
            None => refuse(
                req,
                PageError::new(signed.lang, Status::Forbidden, "error.403"),
            ),
        }
    }
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

/// Removes the session cookie.
pub fn forget_session(jar: &CookieJar<'_>) {
    jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
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
