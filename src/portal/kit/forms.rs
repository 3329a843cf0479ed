//! What every form shares: its idempotency key (one per rendering, so that a
//! double submit acts once), the CSRF check, amounts as people type them,
//! and the refusal kept next to its field.

use rocket::http::Status;
use sha2::{Digest, Sha256};

use super::explain;
use super::frame::PageError;
use super::guards::Signed;
use crate::domain::{Amount, DomainError};
use crate::service::engine::{IdempotencyKey, KeyedRequest};
use crate::service::{Answer, Executed, Operation, Service, ServiceError};

/// A form with only its CSRF token and idempotency key (a button).
#[derive(Debug, rocket::form::FromForm)]
pub struct Plain {
    pub csrf: Option<String>,
    pub idem: Option<String>,
}

/// A fresh idempotency key for a form being rendered.
pub fn new_key() -> String {
    IdempotencyKey::fresh().to_string()
}

/// A refusal in words and the field it concerns.
#[derive(Debug, Clone, Default)]
pub struct Problem {
    pub field: &'static str,
    pub message: String,
}

impl Problem {
    /// The message if it concerns `field` (for the template).
    pub fn on(&self, field: &str) -> Option<&str> {
        (self.field == field).then_some(self.message.as_str())
    }
}

/// The message of an optional problem on `field` (for templates).
pub fn problem_on<'a>(problem: &'a Option<Problem>, field: &str) -> Option<&'a str> {
    problem.as_ref().and_then(|p| p.on(field))
}

/// An amount as typed: `40000`, `40000.5`, `40,000.00` or `¥40,000.00`
/// (separators and the sign dropped), else the amount-format problem on
/// `field`.
pub fn amount(signed: &Signed, field: &'static str, typed: &str) -> Result<Amount, Problem> {
    let cleaned: String = typed
        .trim()
        .trim_start_matches(['¥', '￥'])
        .chars()
        .filter(|c| *c != ',' && *c != '，' && !c.is_whitespace())
        .collect();
    Amount::parse(&cleaned).map_err(|_| Problem {
        field,
        message: signed.lang.t("refusal.amount_format").to_owned(),
    })
}

/// An amount that may be left empty ("all of it"): none when empty.
pub fn optional_amount(
    signed: &Signed,
    field: &'static str,
    typed: &str,
) -> Result<Option<Amount>, Problem> {
    if typed.trim().is_empty() {
        Ok(None)
    } else {
        amount(signed, field, typed).map(Some)
    }
}

/// What a form's operation did.
pub enum Submitted<T> {
    /// It ran now.
    Done(T),
    /// The same form had been sent before: it acted (or was refused) then.
    Again,
    /// A rule refused it: the words, next to the field.
    Refused(Problem),
}

/// Runs a form's operation at most once per rendering of the form (its
/// `idem` key): the CSRF token is checked first, and nothing acts without it.
/// `fields` are what the form sent (their hash tells a changed resubmit
/// from a double click).
pub async fn act<O: Operation>(
    service: &Service,
    signed: &Signed,
    csrf: Option<&str>,
    idem: Option<&str>,
    fields: &[&str],
    op: O,
) -> Result<Submitted<O::Output>, PageError> {
    signed.check_csrf(csrf)?;
    let lang = signed.lang;
    let key = idem
        .and_then(IdempotencyKey::parse)
        .ok_or_else(|| PageError::new(lang, Status::BadRequest, "error.400"))?;
    let mut hash = Sha256::new();
    for field in fields {
        hash.update(field.as_bytes());
        hash.update([0]);
    }
    let keyed = KeyedRequest {
        scope: format!("portal:{}", signed.person.user_id),
        key: key.clone(),
        fingerprint: hex::encode(hash.finalize()),
    };
    let call = signed.person.call(Some(key));
    match service.execute_once(call, keyed, op, kept_answer).await {
        Ok(Executed::Ran { value, .. }) => Ok(Submitted::Done(value)),
        Ok(Executed::Replayed(_)) | Err(ServiceError::IdempotencyInProgress) => {
            Ok(Submitted::Again)
        }
        Err(ServiceError::Domain(
            err @ (DomainError::Refused(..) | DomainError::Validation(_)),
        )) => Ok(Submitted::Refused(Problem {
            field: explain::field_of(&err),
            message: explain::domain(lang, &err),
        })),
        Err(e) => Err(PageError::from_service(lang, e)),
    }
}

/// What the portal keeps under a form's key: done (200) or refused (422).
/// A replay only needs to know that the form was sent before; the page
/// then says so.
fn kept_answer<T>(result: Result<&T, &ServiceError>) -> Answer {
    Answer {
        status: if result.is_ok() { 200 } else { 422 },
        body: String::new(),
    }
}
