//! The operator's pages: every organisation, registering a regulator (the
//! invitation of its first administrator shown once — never a password or
//! a client secret), an organisation's people (seen, not managed: only its
//! own administrators manage them; the operator may invite a regulator's
//! administrator again while it has none), and running the expiry job.

use askama::Template;
use rocket::form::{Form, FromForm};
use rocket::http::Status;
use rocket::response::Redirect;
use rocket::{get, post, Either, Route, State};

use super::kit::forms::{self, Plain, Problem, Submitted};
use super::kit::frame::{Frame, Html, PageError};
use super::kit::guards::OperatorPage;
use super::kit::lists::{notice, parse_id};
use crate::domain::{OrgKind, Region};
use crate::service::expiry::{self, ExpiryReport};
use crate::service::identity::{self, Organization, RegisterOrganization};
use crate::service::invitations::{Invitation, Invite};
use crate::service::people::{self, UnlockUser, User};
use crate::service::suspension::Suspend;
use crate::service::Service;
use crate::App;

/// The operator pages' routes.
pub fn routes() -> Vec<Route> {
    rocket::routes![
        organizations,
        register,
        organization,
        invite_administrator,
        unlock_administrator,
        suspend,
        expiry_page,
        run_expiry
    ]
}

#[derive(Template)]
#[template(path = "operator_home.html", config = "src/portal/askama.toml")]
pub struct OrganizationsPage {
    pub f: Frame,
    pub notice: Option<&'static str>,
    pub organizations: Vec<Organization>,
    pub regions: Vec<Region>,
    pub idem: String,
    pub problem: Option<Problem>,
    /// The regulator just registered and its first administrator's
    /// invitation (shown once).
    pub created: Option<(Organization, Invitation)>,
    pub name: String,
}

impl OrganizationsPage {
    fn kind(&self, k: &OrgKind) -> &'static str {
        self.f.t(&format!("kind.{k}"))
    }
}

async fn organizations_view(
    service: &Service,
    signed: &OperatorPage,
    done: Option<&str>,
    problem: Option<Problem>,
    created: Option<(Organization, Invitation)>,
    name: String,
) -> Result<Html, PageError> {
    let organizations = identity::list_organizations(&service.db, &signed.person.actor)
        .await
        .map_err(|e| PageError::from_service(signed.lang, e))?;
    let status = if problem.is_some() {
        Status::UnprocessableEntity
    } else {
        Status::Ok
    };
    Html::with_status(
        status,
        &OrganizationsPage {
            f: signed.frame("operator.title"),
            notice: notice(signed.lang, done),
            organizations,
            regions: service.rules.regions(),
            idem: forms::new_key(),
            problem,
            created,
            name,
        },
    )
}

/// Every organisation, and the form to register a regulator.
#[get("/operator?<done>")]
pub async fn organizations(
    app: &State<App>,
    signed: OperatorPage,
    done: Option<&str>,
) -> Result<Html, PageError> {
    organizations_view(&app.service, &signed, done, None, None, String::new()).await
}

/// The register form.
#[derive(Debug, FromForm)]
pub struct RegisterFields {
    pub csrf: Option<String>,
    pub idem: Option<String>,
    pub name: String,
    pub region: String,
}

/// Registers a regulator and shows its first administrator's invitation
/// once.
#[post("/operator/regulators", data = "<form>")]
pub async fn register(
    app: &State<App>,
    signed: OperatorPage,
    form: Form<RegisterFields>,
) -> Result<Either<Redirect, Html>, PageError> {
    let op = RegisterOrganization {
        kind: "regulator".into(),
        name: form.name.clone(),
        region: form.region.clone(),
        ..RegisterOrganization::default()
    };
    let (csrf, idem) = (form.csrf.as_deref(), form.idem.as_deref());
    let fields = [form.name.as_str(), form.region.as_str()];
    let service = &app.service;
    match forms::act(service, &signed, csrf, idem, &fields, op).await? {
        Submitted::Done(registered) => {
            let created = Some((registered.organization, registered.invitation));
            organizations_view(
                service,
                &signed,
                Some("registered"),
                None,
                created,
                String::new(),
            )
            .await
            .map(Either::Right)
        }
        Submitted::Again => Ok(Either::Left(Redirect::to("/operator?done=again"))),
        Submitted::Refused(problem) => organizations_view(
            service,
            &signed,
            None,
            Some(problem),
            None,
            form.name.clone(),
        )
        .await
        .map(Either::Right),
    }
}

#[derive(Template)]
#[template(path = "operator_organization.html", config = "src/portal/askama.toml")]
pub struct OrganizationPage {
    pub f: Frame,
    pub org: Organization,
    pub people: Vec<User>,
    /// Whether the operator may invite an administrator: a regulator with
    /// none who can sign in.
    pub may_invite: bool,
    pub idem: String,
    pub problem: Option<Problem>,
    /// The invitation just made (shown once).
    pub invitation: Option<Invitation>,
    /// The key of the suspend (or reinstate) form.
    pub idem_suspend: String,
    /// The slowed administrators of a regulator, and until when (an
    /// operator may unlock them).
    pub slowed: std::collections::HashMap<uuid::Uuid, chrono::DateTime<chrono::Utc>>,
}

impl OrganizationPage {
    fn kind(&self) -> &'static str {
        self.f.t(&format!("kind.{}", self.org.kind))
    }

    /// A fresh form key (one per unlock form).
    fn new_key(&self) -> String {
        forms::new_key()
    }

    /// Until when an administrator the operator may unlock waits, if
    /// they do.
    fn slowed_until(&self, p: &User) -> Option<&chrono::DateTime<chrono::Utc>> {
        self.slowed.get(&p.id).filter(|_| p.administrator)
    }
}

async fn organization_view(
    service: &Service,
    signed: &OperatorPage,
    id: uuid::Uuid,
    problem: Option<Problem>,
    invitation: Option<Invitation>,
) -> Result<Html, PageError> {
    let lang = signed.lang;
    let actor = &signed.person.actor;
    let failed = |e| PageError::from_service(lang, e);
    let org = identity::find_organization(&service.db, actor, id)
        .await
        .map_err(failed)?;
    let people = people::list(&service.db, actor, id).await.map_err(failed)?;
    let may_invite =
        org.kind == OrgKind::Regulator && !people.iter().any(|p| p.administrator && !p.disabled);
    let slowed = match org.kind {
        OrgKind::Regulator => people::slowed(&service.db, &people, service.clock.now())
            .await
            .map_err(failed)?,
        _ => Default::default(),
    };
    let status = if problem.is_some() {
        Status::UnprocessableEntity
    } else {
        Status::Ok
    };
    Html::with_status(
        status,
        &OrganizationPage {
            f: signed.frame("operator.people"),
            org,
            people,
            may_invite,
            idem: forms::new_key(),
            problem,
            invitation,
            idem_suspend: forms::new_key(),
            slowed,
        },
    )
}

/// Unlocks a regulator's administrator slowed by wrong passwords.
#[post(
    "/operator/organizations/<id>/people/<user_id>/unlock",
    data = "<form>"
)]
pub async fn unlock_administrator(
    app: &State<App>,
    signed: OperatorPage,
    id: &str,
    user_id: &str,
    form: Form<Plain>,
) -> Result<Either<Redirect, Html>, PageError> {
    let organization_id = parse_id(&signed, id)?;
    let op = UnlockUser {
        organization_id: Some(organization_id),
        user_id: parse_id(&signed, user_id)?,
    };
    let (csrf, idem) = (form.csrf.as_deref(), form.idem.as_deref());
    let service = &app.service;
    match forms::act(service, &signed, csrf, idem, &[id, user_id], op).await? {
        Submitted::Done(_) | Submitted::Again => Ok(Either::Left(Redirect::to(format!(
            "/operator/organizations/{organization_id}"
        )))),
        Submitted::Refused(problem) => {
            organization_view(service, &signed, organization_id, Some(problem), None)
                .await
                .map(Either::Right)
        }
    }
}

/// An organisation and its people.
#[get("/operator/organizations/<id>")]
pub async fn organization(
    app: &State<App>,
    signed: OperatorPage,
    id: &str,
) -> Result<Html, PageError> {
    let id = parse_id(&signed, id)?;
    organization_view(&app.service, &signed, id, None, None).await
}

/// Invites a regulator's administrator again, while it has none who can
/// sign in (the service refuses otherwise); the link is shown once.
#[post("/operator/organizations/<id>/invitations", data = "<form>")]
pub async fn invite_administrator(
    app: &State<App>,
    signed: OperatorPage,
    id: &str,
    form: Form<Plain>,
) -> Result<Either<Redirect, Html>, PageError> {
    let organization_id = parse_id(&signed, id)?;
    let op = Invite {
        organization_id: Some(organization_id),
        administrator: true,
        user_id: None,
        login: None,
    };
    let (csrf, idem) = (form.csrf.as_deref(), form.idem.as_deref());
    let service = &app.service;
    match forms::act(service, &signed, csrf, idem, &[id], op).await? {
        Submitted::Done(invitation) => {
            organization_view(service, &signed, organization_id, None, Some(invitation))
                .await
                .map(Either::Right)
        }
        Submitted::Again => Ok(Either::Left(Redirect::to(format!(
            "/operator/organizations/{organization_id}"
        )))),
        Submitted::Refused(problem) => {
            organization_view(service, &signed, organization_id, Some(problem), None)
                .await
                .map(Either::Right)
        }
    }
}

/// The suspend form: `suspended` says which way.
#[derive(Debug, FromForm)]
pub struct SuspendFields {
    pub csrf: Option<String>,
    pub idem: Option<String>,
    pub suspended: bool,
}

/// Suspends a regulator (its people cannot sign in, their sessions end) or
/// reinstates it.
#[post("/operator/organizations/<id>/suspension", data = "<form>")]
pub async fn suspend(
    app: &State<App>,
    signed: OperatorPage,
    id: &str,
    form: Form<SuspendFields>,
) -> Result<Either<Redirect, Html>, PageError> {
    let organization_id = parse_id(&signed, id)?;
    let op = Suspend {
        organization_id,
        suspended: form.suspended,
    };
    let (csrf, idem) = (form.csrf.as_deref(), form.idem.as_deref());
    let way = if form.suspended { "1" } else { "0" };
    let service = &app.service;
    match forms::act(service, &signed, csrf, idem, &[id, way], op).await? {
        Submitted::Done(_) | Submitted::Again => Ok(Either::Left(Redirect::to(format!(
            "/operator/organizations/{organization_id}"
        )))),
        Submitted::Refused(problem) => {
            organization_view(service, &signed, organization_id, Some(problem), None)
                .await
                .map(Either::Right)
        }
    }
}

#[derive(Template)]
#[template(path = "operator_expiry.html", config = "src/portal/askama.toml")]
pub struct ExpiryPage {
    pub f: Frame,
    pub report: Option<ExpiryReport>,
}

/// The expiry job: what it does, and a button to run it now.
#[get("/operator/expiry")]
pub fn expiry_page(signed: OperatorPage) -> Result<Html, PageError> {
    Html::page(&ExpiryPage {
        f: signed.frame("expiry.title"),
        report: None,
    })
}

/// Runs the expiry job now, as the operator, and shows what it did.
#[post("/operator/expiry", data = "<form>")]
pub async fn run_expiry(
    app: &State<App>,
    signed: OperatorPage,
    form: Form<Plain>,
) -> Result<Html, PageError> {
    signed.check_csrf(form.csrf.as_deref())?;
    let now = app.service.clock.now();
    let report = expiry::run_to_end(&app.service, &signed.person.call(None), now)
        .await
        .map_err(|e| PageError::from_service(signed.lang, e))?;
    Html::page(&ExpiryPage {
        f: signed.frame("expiry.title"),
        report: Some(report),
    })
}
