//! `/notices`: what is under public notice (公示), for anyone, without
//! signing in — the admissions and payment lists published before they
//! take effect — and the form to object to one.

use askama::Template;
use rocket::form::{Form, FromForm};
use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::response::Redirect;
use rocket::{get, post, Either, State};

use super::kit::explain;
use super::kit::frame::{Frame, Html, PageError};
use super::kit::guards::{same, Tls, Visitor};
use crate::domain::clock::shanghai_date;
use crate::domain::notice::{NoticeKind, NoticeStatus};
use crate::domain::DomainError;
use crate::service::notices::{self, FileObjection, Notice};
use crate::service::{secrets, Call};
use crate::App;

/// The cookie of the objection form's CSRF token (a visitor has no session).
const NOTICE_CSRF_COOKIE: &str = "vl_notice_csrf";

/// The objection form as typed (kept after a refusal).
#[derive(Debug, Default, Clone, FromForm)]
pub struct ObjectionFields {
    pub csrf: Option<String>,
    #[field(default = String::new())]
    pub name: String,
    #[field(default = String::new())]
    pub contact: String,
    #[field(default = String::new())]
    pub text: String,
}

#[derive(Template)]
#[template(path = "notices.html", config = "src/portal/askama.toml")]
pub struct NoticesPage {
    pub f: Frame,
    pub notices: Vec<Notice>,
    pub csrf: String,
    pub filed: bool,
    /// The notice whose form was refused, what was typed and why.
    pub refused: Option<(uuid::Uuid, ObjectionFields, String)>,
}

impl NoticesPage {
    fn open(&self, n: &Notice) -> bool {
        n.status == NoticeStatus::Open
    }
    fn day(&self, at: &chrono::DateTime<chrono::Utc>) -> String {
        shanghai_date(*at).to_string()
    }
    fn status_key(&self, n: &Notice) -> &'static str {
        status_key(n)
    }
    fn heading(&self, n: &Notice) -> String {
        heading(&self.f, n)
    }

    fn typed(&self, n: &Notice) -> ObjectionFields {
        match &self.refused {
            Some((id, fields, _)) if *id == n.id => fields.clone(),
            _ => <ObjectionFields as Default>::default(),
        }
    }
    fn problem(&self, n: &Notice) -> Option<&str> {
        match &self.refused {
            Some((id, _, message)) if *id == n.id => Some(message),
            _ => None,
        }
    }
}

/// The text key of where a notice stands.
pub fn status_key(n: &Notice) -> &'static str {
    match n.status {
        NoticeStatus::Open => "notice.open",
        NoticeStatus::Effective => "notice.effective",
        NoticeStatus::Withdrawn => "notice.withdrawn",
    }
}

/// What a notice says, in the reader's language.
pub fn heading(f: &Frame, n: &Notice) -> String {
    let name = n.detail["provider_name"].as_str().unwrap_or_default();
    let categories: Vec<String> = n.detail["categories"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c.as_str())
        .map(|c| f.category(c).into_owned())
        .collect();
    match n.kind {
        NoticeKind::Admission => f
            .t("notice.admission")
            .replace("{provider}", name)
            .replace("{region}", f.region(&n.region))
            .replace("{categories}", &categories.join(f.t("list.or"))),
        NoticeKind::Payments => n.title.clone(),
    }
}

async fn page(
    app: &App,
    visitor: &Visitor,
    jar: &CookieJar<'_>,
    tls: bool,
    filed: bool,
    refused: Option<(uuid::Uuid, ObjectionFields, String)>,
) -> Result<Html, PageError> {
    let service = &app.service;
    let found = notices::public(service.db.reader(), None, service.clock.now())
        .await
        .map_err(|e| PageError::from_service(visitor.lang, e))?;
    let token = secrets::random_token();
    jar.add(
        Cookie::build((NOTICE_CSRF_COOKIE, token.clone()))
            .path("/notices")
            .http_only(true)
            .same_site(SameSite::Strict)
            .secure(tls),
    );
    let status = if refused.is_some() {
        Status::UnprocessableEntity
    } else {
        Status::Ok
    };
    Html::with_status(
        status,
        &NoticesPage {
            f: Frame::new(
                visitor.lang,
                visitor.person.as_ref(),
                "notice.title",
                &visitor.here,
            ),
            notices: found,
            csrf: token,
            filed,
            refused,
        },
    )
}

/// What is under public notice, and what took effect or was withdrawn
/// in the last 30 days.
#[get("/notices?<done>")]
pub async fn show(
    app: &State<App>,
    visitor: Visitor,
    jar: &CookieJar<'_>,
    tls: Tls,
    done: Option<&str>,
) -> Result<Html, PageError> {
    page(app, &visitor, jar, tls.0, done == Some("objected"), None).await
}

/// Files an objection (no sign-in): back to the list with a notice, or
/// the form again with why, as typed.
#[post("/notices/<id>/objections", data = "<form>")]
pub async fn object(
    app: &State<App>,
    visitor: Visitor,
    jar: &CookieJar<'_>,
    tls: Tls,
    id: &str,
    form: Form<ObjectionFields>,
) -> Result<Either<Redirect, Html>, PageError> {
    let lang = visitor.lang;
    let expected = jar.get(NOTICE_CSRF_COOKIE).map(|c| c.value().to_owned());
    if !matches!((&expected, &form.csrf), (Some(e), Some(t)) if same(e, t)) {
        return Err(PageError::new(lang, Status::Forbidden, "error.csrf"));
    }
    let notice_id = uuid::Uuid::parse_str(id)
        .map_err(|_| PageError::new(lang, Status::NotFound, "error.404"))?;
    let fields = form.into_inner();
    let op = FileObjection {
        notice_id,
        name: fields.name.clone(),
        contact: fields.contact.clone(),
        text: fields.text.clone(),
    };
    match app.service.execute(Call::system(), op).await {
        Ok(_) => Ok(Either::Left(Redirect::to("/notices?done=objected"))),
        Err(crate::service::ServiceError::Domain(e)) => {
            let message = match &e {
                // The form's own words for what a field must be.
                DomainError::Validation(_) => lang.t("refusal.objection").to_owned(),
                other => explain::domain(lang, other),
            };
            let refused = Some((notice_id, fields, message));
            page(app, &visitor, jar, tls.0, false, refused)
                .await
                .map(Either::Right)
        }
        Err(e) => Err(PageError::from_service(lang, e)),
    }
}
