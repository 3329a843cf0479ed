//! The operator's pages: every organisation, registering a regulator (its
//! API credentials shown once), an organisation's people (create one,
//! disable one — their sessions end at once), and running the expiry job.

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
use crate::service::identity::{self, ClientCredentials, Organization, RegisterOrganization};
use crate::service::people::{self, CreateUser, DisableUser, User};
use crate::service::Service;
use crate::App;

/// The operator pages' routes.
pub fn routes() -> Vec<Route> {
    rocket::routes![
        organizations,
        register,
        organization,
        create_user,
        disable_user,
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
    /// The credentials of the regulator just registered (shown once).
    pub created: Option<(Organization, ClientCredentials)>,
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
    created: Option<(Organization, ClientCredentials)>,
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

/// Registers a regulator and shows its API credentials once.
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
            let created = Some((registered.organization, registered.credentials));
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

/// A person with the key of their disable form.
pub struct PersonRow {
    pub user: User,
    pub idem: String,
}

#[derive(Template)]
#[template(path = "operator_organization.html", config = "src/portal/askama.toml")]
pub struct OrganizationPage {
    pub f: Frame,
    pub notice: Option<&'static str>,
    pub org: Organization,
    pub people: Vec<PersonRow>,
    pub idem: String,
    pub problem: Option<Problem>,
    pub login: String,
    pub display_name: String,
}

impl OrganizationPage {
    fn error(&self, field: &str) -> Option<&str> {
        forms::problem_on(&self.problem, field)
    }
    fn kind(&self) -> &'static str {
        self.f.t(&format!("kind.{}", self.org.kind))
    }
}

async fn organization_view(
    service: &Service,
    signed: &OperatorPage,
    id: uuid::Uuid,
    done: Option<&str>,
    problem: Option<Problem>,
    typed: (String, String),
) -> Result<Html, PageError> {
    let lang = signed.lang;
    let actor = &signed.person.actor;
    let org = identity::find_organization(&service.db, actor, id)
        .await
        .map_err(|e| PageError::from_service(lang, e))?;
    let people = people::list(&service.db, actor, id)
        .await
        .map_err(|e| PageError::from_service(lang, e))?
        .into_iter()
        .map(|user| PersonRow {
            user,
            idem: forms::new_key(),
        })
        .collect();
    let status = if problem.is_some() {
        Status::UnprocessableEntity
    } else {
        Status::Ok
    };
    Html::with_status(
        status,
        &OrganizationPage {
            f: signed.frame("operator.people"),
            notice: notice(lang, done),
            org,
            people,
            idem: forms::new_key(),
            problem,
            login: typed.0,
            display_name: typed.1,
        },
    )
}

/// An organisation and its people.
#[get("/operator/organizations/<id>?<done>")]
pub async fn organization(
    app: &State<App>,
    signed: OperatorPage,
    id: &str,
    done: Option<&str>,
) -> Result<Html, PageError> {
    let id = parse_id(&signed, id)?;
    let typed = (String::new(), String::new());
    organization_view(&app.service, &signed, id, done, None, typed).await
}

/// The new-person form.
#[derive(Debug, FromForm)]
pub struct PersonFields {
    pub csrf: Option<String>,
    pub idem: Option<String>,
    pub login: String,
    pub display_name: String,
    pub password: String,
}

/// Creates a person of the organisation (the password hashed first, on
/// the bounded hashing threads, and never kept in the form's fingerprint).
#[post("/operator/organizations/<id>/users", data = "<form>")]
pub async fn create_user(
    app: &State<App>,
    signed: OperatorPage,
    id: &str,
    form: Form<PersonFields>,
) -> Result<Either<Redirect, Html>, PageError> {
    let id = parse_id(&signed, id)?;
    signed.check_csrf(form.csrf.as_deref())?;
    let service = &app.service;
    let typed = (form.login.clone(), form.display_name.clone());
    let refused = |err: crate::domain::DomainError| Problem {
        field: match &err {
            crate::domain::DomainError::Validation(f) if f[0].field == "password" => "password",
            crate::domain::DomainError::Validation(f) if f[0].field == "display_name" => {
                "display_name"
            }
            _ => "login",
        },
        message: super::kit::explain::domain(signed.lang, &err),
    };
    let checked = people::check_manager(&service.db, &signed.person.actor, id)
        .await
        .and_then(|()| Ok(people::check_person(&form.login, &form.display_name)?));
    let hash = match checked {
        Ok(_) => people::hash_password(&form.password).await,
        Err(e) => Err(e),
    };
    let hash = match hash {
        Ok(hash) => hash,
        Err(crate::service::ServiceError::Domain(err)) => {
            return organization_view(service, &signed, id, None, Some(refused(err)), typed)
                .await
                .map(Either::Right)
        }
        Err(e) => return Err(PageError::from_service(signed.lang, e)),
    };
    let op = CreateUser {
        organization_id: id,
        login: form.login.clone(),
        display_name: form.display_name.clone(),
        password_hash: hash,
    };
    let (csrf, idem) = (form.csrf.as_deref(), form.idem.as_deref());
    let fields = [form.login.as_str(), form.display_name.as_str()];
    match forms::act(service, &signed, csrf, idem, &fields, op).await? {
        Submitted::Done(_) => Ok(Either::Left(Redirect::to(format!(
            "/operator/organizations/{id}?done=user_created"
        )))),
        Submitted::Again => Ok(Either::Left(Redirect::to(format!(
            "/operator/organizations/{id}?done=again"
        )))),
        Submitted::Refused(problem) => {
            organization_view(service, &signed, id, None, Some(problem), typed)
                .await
                .map(Either::Right)
        }
    }
}

/// Disables a person: they cannot sign in, and their sessions end now.
#[post(
    "/operator/organizations/<id>/users/<user_id>/disable",
    data = "<form>"
)]
pub async fn disable_user(
    app: &State<App>,
    signed: OperatorPage,
    id: &str,
    user_id: &str,
    form: Form<Plain>,
) -> Result<Either<Redirect, Html>, PageError> {
    let (id, user_id) = (parse_id(&signed, id)?, parse_id(&signed, user_id)?);
    let (csrf, idem) = (form.csrf.as_deref(), form.idem.as_deref());
    let op = DisableUser {
        organization_id: id,
        user_id,
    };
    let user_text = user_id.to_string();
    match forms::act(&app.service, &signed, csrf, idem, &[&user_text], op).await? {
        Submitted::Done(_) => Ok(Either::Left(Redirect::to(format!(
            "/operator/organizations/{id}?done=user_disabled"
        )))),
        Submitted::Again => Ok(Either::Left(Redirect::to(format!(
            "/operator/organizations/{id}?done=again"
        )))),
        Submitted::Refused(problem) => {
            let typed = (String::new(), String::new());
            organization_view(&app.service, &signed, id, None, Some(problem), typed)
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
