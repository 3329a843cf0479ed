//! `/team`: an organisation's people and API clients, for every role. Its
//! administrators invite people (the link shown once, to hand over), reset
//! a password (a new invitation, never a password), disable a person, and
//! create (the secret shown once) and revoke API clients; everyone else of
//! the organisation sees the lists. Operators see and invite operators.

use askama::Template;
use rocket::form::{Form, FromForm};
use rocket::http::Status;
use rocket::response::Redirect;
use rocket::{get, post, Either, Route, State};
use uuid::Uuid;

use super::irreversible;
use super::kit::confirm::Confirmable;
use super::kit::explain;
use super::kit::forms::{self, Plain, Problem, Submitted};
use super::kit::frame::{Frame, Html, PageError};
use super::kit::guards::Signed;
use super::kit::lists::{notice, parse_id};
use crate::domain::{DomainError, Role};
use crate::service::account;
use crate::service::clients::{self, Client, CreateClient, NewClient, RevokeClient};
use crate::service::invitations::{Invitation, Invite};
use crate::service::people::{self, DisableUser, UnlockUser, User};
use crate::service::ServiceError;
use crate::telemetry::ClientAddress;
use crate::App;

/// The team page's routes.
pub fn routes() -> Vec<Route> {
    rocket::routes![
        page,
        invite,
        reset,
        disable,
        unlock,
        create_client,
        revoke_client,
        change_password
    ]
}

/// A row with the key of its form.
pub struct Row<T> {
    pub item: T,
    pub idem: String,
}

/// What was just made and is shown once.
pub enum Shown {
    Invitation(Invitation),
    Client(NewClient),
}

#[derive(Template)]
#[template(path = "team.html", config = "src/portal/askama.toml")]
pub struct TeamPage {
    pub f: Frame,
    pub notice: Option<&'static str>,
    pub administrator: bool,
    /// Whether the organisation has API clients (operators' are the CLI's).
    pub has_clients: bool,
    pub me: Uuid,
    pub people: Vec<Row<User>>,
    /// Until when each slowed person's sign-in waits (from some address).
    pub slowed: std::collections::HashMap<Uuid, chrono::DateTime<chrono::Utc>>,
    pub clients: Vec<Row<Client>>,
    pub idem_invite: String,
    pub idem_client: String,
    pub problem: Option<Problem>,
    pub shown: Option<Shown>,
}

impl TeamPage {
    fn error(&self, field: &str) -> Option<&str> {
        forms::problem_on(&self.problem, field)
    }

    /// A fresh form key: a person's reset, unlock and disable forms are
    /// three actions, each with its own.
    fn new_key(&self) -> String {
        forms::new_key()
    }
}

/// Each item with a fresh form key.
fn rows<T>(items: Vec<T>) -> Vec<Row<T>> {
    items
        .into_iter()
        .map(|item| Row {
            item,
            idem: forms::new_key(),
        })
        .collect()
}

/// The organisation the person belongs to (none for operators).
fn organization(signed: &Signed) -> Option<Uuid> {
    (signed.person.actor.role != Role::Admin).then_some(signed.person.actor.sub)
}

async fn view(
    app: &App,
    signed: &Signed,
    done: Option<&str>,
    problem: Option<Problem>,
    shown: Option<Shown>,
) -> Result<Html, PageError> {
    let (db, actor, lang) = (&app.service.db, &signed.person.actor, signed.lang);
    let failed = |e| PageError::from_service(lang, e);
    let org = organization(signed);
    let people = match org {
        Some(id) => people::list(db, actor, id).await,
        None => people::list_operators(db, actor).await,
    }
    .map_err(failed)?;
    let slowed = people::slowed(db, &people, app.service.clock.now())
        .await
        .map_err(failed)?;
    let clients = match org {
        Some(id) => clients::list(db, actor, id).await.map_err(failed)?,
        None => Vec::new(),
    };
    let status = if problem.is_some() {
        Status::UnprocessableEntity
    } else {
        Status::Ok
    };
    Html::with_status(
        status,
        &TeamPage {
            f: signed.frame("team.title"),
            notice: notice(lang, done),
            administrator: signed.person.administrator,
            has_clients: org.is_some(),
            me: signed.person.user_id,
            people: rows(people),
            slowed,
            clients: rows(clients),
            idem_invite: forms::new_key(),
            idem_client: forms::new_key(),
            problem,
            shown,
        },
    )
}

/// The organisation's people and API clients.
#[get("/team?<done>")]
pub async fn page(app: &State<App>, signed: Signed, done: Option<&str>) -> Result<Html, PageError> {
    view(app, &signed, done, None, None).await
}

/// What a form's operation did, as the page answers it: the page with what
/// is shown once, the page again after a repeat, or the refusal.
async fn answer<T>(
    app: &App,
    signed: &Signed,
    submitted: Submitted<T>,
    shown: impl FnOnce(T) -> Option<Shown>,
    done: &str,
) -> Result<Either<Redirect, Html>, PageError> {
    match submitted {
        Submitted::Done(value) => match shown(value) {
            Some(shown) => view(app, signed, None, None, Some(shown))
                .await
                .map(Either::Right),
            None => Ok(Either::Left(Redirect::to(format!("/team?done={done}")))),
        },
        Submitted::Again => Ok(Either::Left(Redirect::to("/team?done=again"))),
        Submitted::Refused(problem) => view(app, signed, None, Some(problem), None)
            .await
            .map(Either::Right),
    }
}

/// The invite form.
#[derive(Debug, FromForm)]
pub struct InviteFields {
    pub csrf: Option<String>,
    pub idem: Option<String>,
    pub administrator: bool,
}

/// Invites a person; the link is shown once.
#[post("/team/invitations", data = "<form>")]
pub async fn invite(
    app: &State<App>,
    signed: Signed,
    form: Form<InviteFields>,
) -> Result<Either<Redirect, Html>, PageError> {
    let op = Invite {
        organization_id: organization(&signed),
        administrator: form.administrator,
        user_id: None,
        login: None,
    };
    let (csrf, idem) = (form.csrf.as_deref(), form.idem.as_deref());
    let fields = [if form.administrator { "1" } else { "0" }];
    let submitted = forms::act(&app.service, &signed, csrf, idem, &fields, op).await?;
    answer(app, &signed, submitted, |i| Some(Shown::Invitation(i)), "").await
}

/// Resets a person's password: a new invitation for them, shown once.
#[post("/team/people/<id>/reset", data = "<form>")]
pub async fn reset(
    app: &State<App>,
    signed: Signed,
    id: &str,
    form: Form<Plain>,
) -> Result<Either<Redirect, Html>, PageError> {
    let user_id = parse_id(&signed, id)?;
    let op = Invite {
        organization_id: organization(&signed),
        administrator: false,
        user_id: Some(user_id),
        login: None,
    };
    let (csrf, idem) = (form.csrf.as_deref(), form.idem.as_deref());
    let submitted = forms::act(&app.service, &signed, csrf, idem, &[id], op).await?;
    answer(app, &signed, submitted, |i| Some(Shown::Invitation(i)), "").await
}

/// Disables a person: they cannot sign in, and their sessions end now.
#[post("/team/people/<id>/disable", data = "<form>")]
pub async fn disable(
    app: &State<App>,
    signed: Signed,
    id: &str,
    form: Form<Confirmable>,
) -> Result<Either<Redirect, Html>, PageError> {
    let op = DisableUser {
        organization_id: organization(&signed),
        user_id: parse_id(&signed, id)?,
    };
    if !form.confirmed {
        let asked = (signed.frame(irreversible::TITLE), &signed.person.actor);
        let (org, user) = (op.organization_id, op.user_id);
        return irreversible::disable_person(&app.service, asked, org, user, form.sent())
            .await
            .map(Either::Right);
    }
    let (csrf, idem) = (form.csrf.as_deref(), form.idem.as_deref());
    let submitted = forms::act(&app.service, &signed, csrf, idem, &[id], op).await?;
    answer(app, &signed, submitted, |_| None, "user_disabled").await
}

/// Clears a person's failed sign-ins: they are no longer slowed anywhere.
#[post("/team/people/<id>/unlock", data = "<form>")]
pub async fn unlock(
    app: &State<App>,
    signed: Signed,
    id: &str,
    form: Form<Plain>,
) -> Result<Either<Redirect, Html>, PageError> {
    let op = UnlockUser {
        organization_id: organization(&signed),
        user_id: parse_id(&signed, id)?,
    };
    let (csrf, idem) = (form.csrf.as_deref(), form.idem.as_deref());
    let submitted = forms::act(&app.service, &signed, csrf, idem, &[id], op).await?;
    answer(app, &signed, submitted, |_| None, "user_unlocked").await
}

/// The new-client form.
#[derive(Debug, FromForm)]
pub struct ClientFields {
    pub csrf: Option<String>,
    pub idem: Option<String>,
    pub label: String,
}

/// Creates an API client; the secret is shown once.
#[post("/team/clients", data = "<form>")]
pub async fn create_client(
    app: &State<App>,
    signed: Signed,
    form: Form<ClientFields>,
) -> Result<Either<Redirect, Html>, PageError> {
    let Some(organization_id) = organization(&signed) else {
        return Err(PageError::new(signed.lang, Status::Forbidden, "error.403"));
    };
    let op = CreateClient {
        organization_id,
        label: Some(form.label.clone()),
    };
    let (csrf, idem) = (form.csrf.as_deref(), form.idem.as_deref());
    let submitted = forms::act(&app.service, &signed, csrf, idem, &[&form.label], op).await?;
    answer(app, &signed, submitted, |c| Some(Shown::Client(c)), "").await
}

/// Revokes an API client: its secret stops working at once.
#[post("/team/clients/<client_id>/revoke", data = "<form>")]
pub async fn revoke_client(
    app: &State<App>,
    signed: Signed,
    client_id: &str,
    form: Form<Confirmable>,
) -> Result<Either<Redirect, Html>, PageError> {
    let Some(organization_id) = organization(&signed) else {
        return Err(PageError::new(signed.lang, Status::Forbidden, "error.403"));
    };
    if !form.confirmed {
        let asked = (signed.frame(irreversible::TITLE), &signed.person.actor);
        return irreversible::revoke_client(
            &app.service,
            asked,
            organization_id,
            client_id,
            form.sent(),
        )
        .await
        .map(Either::Right);
    }
    let op = RevokeClient {
        organization_id,
        client_id: client_id.to_owned(),
    };
    let (csrf, idem) = (form.csrf.as_deref(), form.idem.as_deref());
    let submitted = forms::act(&app.service, &signed, csrf, idem, &[client_id], op).await?;
    answer(app, &signed, submitted, |_| None, "client_revoked").await
}

/// The password form.
#[derive(Debug, FromForm)]
pub struct PasswordFields {
    pub csrf: Option<String>,
    pub old_password: String,
    pub new_password: String,
    pub new_password_again: String,
}

/// Changes the signed-in person's own password; their sessions end, so
/// they sign in again with the new one.
#[post("/team/password", data = "<form>")]
pub async fn change_password(
    app: &State<App>,
    signed: Signed,
    client: ClientAddress,
    form: Form<PasswordFields>,
) -> Result<Either<Redirect, Html>, PageError> {
    signed.check_csrf(form.csrf.as_deref())?;
    let lang = signed.lang;
    if form.new_password != form.new_password_again {
        let problem = Problem {
            field: "new_password_again",
            message: lang.t("invite.mismatch").to_owned(),
        };
        return view(app, &signed, None, Some(problem), None)
            .await
            .map(Either::Right);
    }
    let actor = &signed.person.actor;
    let (old, new) = (&form.old_password, &form.new_password);
    let how = ("portal", client.0);
    match account::change_password(&app.service, actor, how, old, new).await {
        Ok(_) => Ok(Either::Left(Redirect::to("/login?changed=1"))),
        Err(ServiceError::Domain(err @ DomainError::Validation(_))) => {
            let field = match &err {
                DomainError::Validation(f) if f[0].field == "old_password" => "old_password",
                _ => "new_password",
            };
            let problem = Problem {
                field,
                message: explain::domain(lang, &err),
            };
            view(app, &signed, None, Some(problem), None)
                .await
                .map(Either::Right)
        }
        Err(e) => Err(PageError::from_service(lang, e)),
    }
}
