//! Signing in and out, the language switch, and `/` (each role's home, or
//! the sign-in page).

use askama::Template;
use rocket::form::{Form, FromForm};
use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::response::Redirect;
use rocket::{get, post, Either, State};

use super::kit::frame::{after_sign_in, home_of, is_local_page, Frame, Html, PageError};
use super::kit::guards::{
    forget_session, same, session_cookie, Signed, Tls, Visitor, LANG_COOKIE, LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
};
use super::kit::i18n::Lang;
use crate::service::secrets;
use crate::service::sessions::{self, Attempt, Refused};
use crate::telemetry::ClientAddress;
use crate::App;

/// The sign-in page.
#[derive(Template)]
#[template(path = "login.html", config = "src/portal/askama.toml")]
pub struct LoginPage {
    pub f: Frame,
    /// The login as typed (kept after a refusal).
    pub login: String,
    /// The page to go to once signed in (checked), or empty.
    pub next: String,
    /// What went wrong or what happened, in words.
    pub message: Option<String>,
    /// Whether `message` is a refusal (shown as an error).
    pub is_error: bool,
    pub login_csrf: String,
}

/// `/`: the role's home, or the sign-in page.
#[get("/")]
pub fn root(visitor: Visitor) -> Redirect {
    match visitor.person {
        Some(p) => Redirect::to(home_of(&p.actor)),
        None => Redirect::to("/login"),
    }
}

/// The sign-in form (a signed-in person goes home).
#[allow(clippy::too_many_arguments)]
#[get("/login?<ended>&<out>&<joined>&<changed>&<next>")]
pub fn show(
    visitor: Visitor,
    jar: &CookieJar<'_>,
    tls: Tls,
    ended: Option<u8>,
    out: Option<u8>,
    joined: Option<String>,
    changed: Option<u8>,
    next: Option<String>,
) -> Either<Redirect, Result<Html, PageError>> {
    if let Some(p) = &visitor.person {
        return Either::Left(Redirect::to(after_sign_in(&p.actor, next.as_deref())));
    }
    if ended.is_some() || changed.is_some() {
        forget_session(jar);
    }
    let message = if changed.is_some() {
        Some(visitor.lang.t("login.changed").to_owned())
    } else if joined.is_some() {
        Some(visitor.lang.t("invite.joined").to_owned())
    } else if out.is_some() {
        Some(visitor.lang.t("login.logged_out").to_owned())
    } else if ended.is_some() {
        Some(visitor.lang.t("login.ended").to_owned())
    } else {
        None
    };
    // Just joined: the login to sign in as, filled in (bounded, as typed).
    let login = joined
        .filter(|l| l != "1" && l.chars().count() <= 80)
        .unwrap_or_default();
    let typed = Typed { login, next };
    Either::Right(login_page(
        &visitor,
        jar,
        tls.0,
        typed,
        message,
        false,
        Status::Ok,
    ))
}

/// What the sign-in form keeps: the login as typed and the page to go to.
struct Typed {
    login: String,
    next: Option<String>,
}

/// Renders the sign-in page with a fresh CSRF token in its cookie.
fn login_page(
    visitor: &Visitor,
    jar: &CookieJar<'_>,
    tls: bool,
    typed: Typed,
    message: Option<String>,
    is_error: bool,
    status: Status,
) -> Result<Html, PageError> {
    let token = secrets::random_token();
    jar.add(
        Cookie::build((LOGIN_CSRF_COOKIE, token.clone()))
            .path("/login")
            .http_only(true)
            .same_site(SameSite::Strict)
            .secure(tls),
    );
    let page = LoginPage {
        f: Frame::new(visitor.lang, None, "login.title", &visitor.here),
        login: typed.login,
        next: typed.next.filter(|n| is_local_page(n)).unwrap_or_default(),
        message,
        is_error,
        login_csrf: token,
    };
    Html::with_status(status, &page)
}

/// The sign-in form's fields.
#[derive(Debug, FromForm)]
pub struct Credentials {
    pub login: Option<String>,
    pub password: Option<String>,
    /// A code of the person's second factor, when they enrolled one.
    pub code: Option<String>,
    pub csrf: Option<String>,
    /// The page to go to once signed in.
    pub next: Option<String>,
}

/// Signs in: a session cookie and the role's home, or the form again with
/// what went wrong (the login kept, the password not).
#[post("/login", data = "<form>")]
pub async fn submit(
    app: &State<App>,
    visitor: Visitor,
    jar: &CookieJar<'_>,
    tls: Tls,
    client: ClientAddress,
    form: Form<Credentials>,
) -> Result<Either<Redirect, Html>, PageError> {
    let lang = visitor.lang;
    let address = client.0;
    let expected = jar.get(LOGIN_CSRF_COOKIE).map(|c| c.value().to_owned());
    let csrf_ok = matches!((&expected, &form.csrf), (Some(e), Some(t)) if same(e, t));
    if !csrf_ok {
        return Err(PageError::new(lang, Status::Forbidden, "error.csrf"));
    }
    let login = form.login.clone().unwrap_or_default().trim().to_owned();
    let password = form.password.clone().unwrap_or_default();
    let typed = || Typed {
        login: login.clone(),
        next: form.next.clone(),
    };
    let again = |key: &str, status: Status| {
        login_page(
            &visitor,
            jar,
            tls.0,
            typed(),
            Some(lang.t(key).to_owned()),
            true,
            status,
        )
        .map(Either::Right)
    };
    if login.is_empty() || password.is_empty() {
        return again("login.required", Status::UnprocessableEntity);
    }
    app.logins.pace(address).await;
    let code = form.code.as_deref();
    let attempt = Attempt {
        login: login.clone(),
        address,
    };
    let started = match sessions::sign_in(&app.service, &attempt, &password, code).await {
        Ok(started) => started,
        Err(crate::service::ServiceError::Busy) => {
            return again("login.busy", Status::ServiceUnavailable)
        }
        Err(e) => return Err(PageError::from_service(lang, e)),
    };
    match started {
        Ok(started) => {
            jar.remove(Cookie::build(LOGIN_CSRF_COOKIE).path("/login"));
            jar.add(session_cookie(tls.0, started.session_id));
            let to = after_sign_in(&started.person.actor, form.next.as_deref());
            Ok(Either::Left(Redirect::to(to)))
        }
        Err(Refused::WrongCredentials) => {
            app.logins.failed_from(address);
            again("login.wrong", Status::Unauthorized)
        }
        Err(Refused::Locked { until }) => {
            let until = until.with_timezone(&crate::domain::clock::china_standard_time());
            let message = format!("{}{}", lang.t("login.locked"), until.format("%H:%M:%S"));
            login_page(
                &visitor,
                jar,
                tls.0,
                typed(),
                Some(message),
                true,
                Status::TooManyRequests,
            )
            .map(Either::Right)
        }
        Err(Refused::Disabled) => again("login.disabled", Status::Forbidden),
        Err(Refused::CodeNeeded) => again("login.code_needed", Status::Unauthorized),
        Err(Refused::WrongCode) => {
            app.logins.failed_from(address);
            again("login.code_wrong", Status::Unauthorized)
        }
    }
}

/// The sign-out form's field.
#[derive(Debug, FromForm)]
pub struct CsrfOnly {
    pub csrf: Option<String>,
}

/// Signs out: the session ends at once, on every instance.
#[post("/logout", data = "<form>")]
pub async fn logout(
    app: &State<App>,
    signed: Signed,
    jar: &CookieJar<'_>,
    form: Form<CsrfOnly>,
) -> Result<Redirect, PageError> {
    signed.check_csrf(form.csrf.as_deref())?;
    if let Some(cookie) = jar.get(SESSION_COOKIE) {
        sessions::sign_out(&app.service, cookie.value())
            .await
            .map_err(|e| PageError::from_service(signed.lang, e))?;
    }
    forget_session(jar);
    Ok(Redirect::to("/login?out=1"))
}

/// Switches the language (remembered for a year) and goes back.
#[get("/language?<to>&<back>")]
pub fn language(jar: &CookieJar<'_>, to: Option<&str>, back: Option<&str>) -> Redirect {
    let lang = to.and_then(Lang::from_code).unwrap_or_default();
    jar.add(
        Cookie::build((LANG_COOKIE, lang.code()))
            .path("/")
            .same_site(SameSite::Lax)
            .max_age(rocket::time::Duration::days(365)),
    );
    Redirect::to(
        back.filter(|b| is_page_of_this_site(b))
            .unwrap_or("/")
            .to_owned(),
    )
}

/// Whether `back` is a page of this site to return to: a path, not
/// `//host`, of visible ASCII only (a browser drops a tab or a line break,
/// which would make `/\t/evil.com` the host `evil.com`), without a
/// backslash, and a valid URI.
fn is_page_of_this_site(back: &str) -> bool {
    back.starts_with('/')
        && !back.starts_with("//")
        && back
            .bytes()
            .all(|b| (0x21..0x7f).contains(&b) && b != b'\\')
        && rocket::http::uri::Origin::parse(back).is_ok()
}
