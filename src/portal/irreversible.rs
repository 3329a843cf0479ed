//! The confirmation pages of the actions that cannot be undone: cancelling
//! a hold (by the company or the provider), revoking a voucher, disabling a
//! person, revoking an API client. Each names what is acted on, what follows and what cannot be
//! had back, then sends the same form again, confirmed
//! ([`super::kit::confirm`]).

use rocket::http::Status;
use uuid::Uuid;

use super::kit::confirm::ConfirmPage;
use super::kit::frame::{Frame, Html, PageError};
use super::kit::i18n::{category, date, yuan};
use crate::domain::clock::shanghai_date;
use crate::domain::identity::Actor;
use crate::service::clients;
use crate::service::identity::organization_names;
use crate::service::people::{self, User};
use crate::service::redemptions;
use crate::service::vouchers;
use crate::service::Service;

/// A form's CSRF token and idempotency key, as it sent them.
pub type Sent<'a> = (Option<&'a str>, Option<&'a str>);

/// The title every confirmation page carries (a text key).
pub const TITLE: &str = "confirm_step.title";

/// Who cancels a hold: the company that made it or the provider it is at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Canceller {
    Company,
    Provider,
}

/// "Cancel the hold of contract …?": the provider (or the company), the
/// contract, the amount held, and where the amount goes.
pub async fn cancel_hold(
    service: &Service,
    (frame, actor): (Frame, &Actor),
    id: Uuid,
    by: Canceller,
    sent: Sent<'_>,
) -> Result<Html, PageError> {
    let lang = frame.lang;
    let fail = |e| PageError::from_service(lang, e);
    let r = redemptions::find(service.db.reader(), actor, id)
        .await
        .map_err(fail)?;
    let (counterpart, label, action, back) = match by {
        Canceller::Company => {
            let names = organization_names(&service.db, actor, [r.provider_id]).await;
            let name = names.map_err(fail)?.remove(&r.provider_id);
            let action = format!("/company/redemptions/{id}/cancel");
            (name, "col.provider", action, "/company/redemptions")
        }
        Canceller::Provider => {
            let names = vouchers::holder_names(service.db.reader(), actor, [r.voucher_id]).await;
            let name = names.map_err(fail)?.remove(&r.voucher_id);
            let action = format!("/provider/redemptions/{id}/cancel");
            (name, "col.company", action, "/provider")
        }
    };
    let amount = yuan(r.amount);
    let question = lang
        .t("confirm_step.cancel_hold.question")
        .replace("{contract}", &r.contract_no);
    let page = ConfirmPage::new(frame, question, action, back)
        .fact(label, counterpart.unwrap_or_default())
        .fact("col.contract", r.contract_no.clone())
        .fact("col.category", category(lang, &r.service_category))
        .fact("confirm_step.held", amount.clone())
        .then(
            lang.t("confirm_step.cancel_hold.returns")
                .replace("{amount}", &amount),
        )
        .then(lang.t(match by {
            Canceller::Company => "confirm_step.cancel_hold.provider_stops",
            Canceller::Provider => "confirm_step.cancel_hold.company_again",
        }))
        .then(lang.t("confirm_step.cancel_hold.final"))
        .button("confirm_step.cancel_hold.button");
    carry(page, sent).render()
}

/// "Revoke voucher …?": its company, what is available and held, and where
/// each goes; the reason typed is carried over.
pub async fn revoke_voucher(
    service: &Service,
    (frame, actor): (Frame, &Actor),
    id: Uuid,
    reason: &str,
    sent: Sent<'_>,
) -> Result<Html, PageError> {
    let lang = frame.lang;
    let fail = |e| PageError::from_service(lang, e);
    let v = vouchers::find(service.db.reader(), actor, id)
        .await
        .map_err(fail)?;
    let names = organization_names(&service.db, actor, [v.holder_id])
        .await
        .map_err(fail)?;
    let question = lang
        .t("confirm_step.revoke.question")
        .replace("{serial}", &v.serial);
    let mut page = ConfirmPage::new(
        frame,
        question,
        format!("/regulator/vouchers/{id}/revoke"),
        &format!("/regulator/vouchers?q={}", v.serial),
    )
    .fact(
        "col.company",
        names.get(&v.holder_id).cloned().unwrap_or_default(),
    )
    .fact("col.face_value", yuan(v.face_value))
    .fact("col.available", yuan(v.available))
    .fact("col.held", yuan(v.held))
    .fact("vouchers.reason", reason.to_owned())
    .then(
        lang.t("confirm_step.revoke.available")
            .replace("{amount}", &yuan(v.available)),
    );
    if !v.held.is_zero() {
        let held = lang.t("confirm_step.revoke.held");
        page = page.then(held.replace("{amount}", &yuan(v.held)));
    }
    let page = page
        .then(lang.t("confirm_step.revoke.four_eyes"))
        .then(lang.t("confirm_step.revoke.final"))
        .field("reason", Some(reason))
        .button("confirm_step.revoke.button");
    carry(page, sent).render()
}

/// "Disable …?": their login and name; they cannot sign in again.
pub async fn disable_person(
    service: &Service,
    (frame, actor): (Frame, &Actor),
    organization_id: Option<Uuid>,
    user_id: Uuid,
    sent: Sent<'_>,
) -> Result<Html, PageError> {
    let lang = frame.lang;
    let people = match organization_id {
        Some(org) => people::list(&service.db, actor, org).await,
        None => people::list_operators(&service.db, actor).await,
    }
    .map_err(|e| PageError::from_service(lang, e))?;
    let Some(person) = people.into_iter().find(|p| p.id == user_id) else {
        return Err(PageError::new(lang, Status::NotFound, "error.404"));
    };
    let User {
        login,
        display_name,
        ..
    } = person;
    let question = lang
        .t("confirm_step.disable.question")
        .replace("{name}", &display_name);
    let page = ConfirmPage::new(
        frame,
        question,
        format!("/team/people/{user_id}/disable"),
        "/team",
    )
    .fact("login.login", login)
    .fact("operator.display_name", display_name)
    .then(lang.t("confirm_step.disable.sessions"))
    .then(lang.t("confirm_step.disable.final"))
    .button("confirm_step.disable.button");
    carry(page, sent).render()
}

/// "Revoke API client …?": its label and when it was made; the systems
/// using it stop at once.
pub async fn revoke_client(
    service: &Service,
    (frame, actor): (Frame, &Actor),
    organization_id: Uuid,
    client_id: &str,
    sent: Sent<'_>,
) -> Result<Html, PageError> {
    let lang = frame.lang;
    let clients = clients::list(&service.db, actor, organization_id)
        .await
        .map_err(|e| PageError::from_service(lang, e))?;
    let Some(client) = clients.into_iter().find(|c| c.client_id == client_id) else {
        return Err(PageError::new(lang, Status::NotFound, "error.404"));
    };
    let label = client.label.clone().unwrap_or_default();
    let question = lang
        .t("confirm_step.revoke_client.question")
        .replace("{label}", &label);
    let action = format!("/team/clients/{client_id}/revoke");
    let page = ConfirmPage::new(frame, question, action, "/team")
        .identifier("team.client_id", client.client_id)
        .fact("team.label", label)
        .fact("team.created", date(shanghai_date(client.created_at)))
        .then(lang.t("confirm_step.revoke_client.stops"))
        .then(lang.t("confirm_step.revoke_client.final"))
        .button("confirm_step.revoke_client.button");
    carry(page, sent).render()
}

/// The form's CSRF token and idempotency key, carried to the confirmed form.
fn carry(page: ConfirmPage, (csrf, idem): Sent<'_>) -> ConfirmPage {
    page.field("csrf", csrf).field("idem", idem)
}
