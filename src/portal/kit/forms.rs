//! What every form shares: its idempotency key (one per rendering, so that a
//! double submit acts once), the CSRF check, amounts as people type them,
//! and the refusal kept next to its field.

use rocket::http::Status;
use sha2::{Digest, Sha256};

use super::explain;
use super::frame::PageError;
use super::guards::Signed;
use super::i18n::Lang;
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

/// An amount as typed: `40000`, `40000.5`, `40,000.00` or `¥40,000.00`,
/// else the amount-format problem on `field`.
pub fn amount(signed: &Signed, field: &'static str, typed: &str) -> Result<Amount, Problem> {
    typed_amount(typed).ok_or_else(|| Problem {
        field,
        message: signed.lang.t(amount_problem(typed)).to_owned(),
    })
}

/// Why `typed` is not an amount, as a text key: nothing typed, zero, a
/// negative amount, or another format.
fn amount_problem(typed: &str) -> &'static str {
    use unicode_normalization::UnicodeNormalization;
    let typed: String = typed.nfkc().collect();
    let text = typed.trim().trim_start_matches(['¥', '￥']).trim();
    let digits = |t: &str| {
        t.chars().any(|c| c.is_ascii_digit())
            && t.chars().all(|c| c.is_ascii_digit() || ",. ".contains(c))
    };
    if text.is_empty() {
        "refusal.amount_blank"
    } else if text.starts_with('-') && digits(&text[1..]) {
        "refusal.amount_negative"
    } else if digits(text) && text.chars().all(|c| !c.is_ascii_digit() || c == '0') {
        "refusal.amount_zero"
    } else {
        "refusal.amount_format"
    }
}

/// An amount as people type it: an optional `¥`, then yuan whose thousands
/// may be grouped by `,` (or `，`, or a space) in groups of three, then
/// at most two decimals. `1,5` is not 1.5 nor 15: it is refused, as is
/// any separator that does not group thousands. Full-width digits, points
/// and spaces (`１，０００．５`, as Chinese input methods type them) read
/// as their ASCII forms (NFKC).
pub fn typed_amount(typed: &str) -> Option<Amount> {
    use unicode_normalization::UnicodeNormalization;
    let typed: String = typed.nfkc().collect();
    let text = typed.trim().trim_start_matches(['¥', '￥']).trim_start();
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text, None),
    };
    let groups: Vec<&str> = whole.split([',', '，', ' ']).collect();
    let grouped = groups.len() == 1
        || (matches!(groups[0].len(), 1..=3) && groups[1..].iter().all(|g| g.len() == 3));
    if !grouped {
        return None;
    }
    let mut plain = groups.concat();
    if let Some(fraction) = fraction {
        plain.push('.');
        plain.push_str(fraction);
    }
    Amount::parse(&plain).ok()
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

impl<T> Submitted<T> {
    /// The same outcome with what was done converted.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Submitted<U> {
        match self {
            Submitted::Done(value) => Submitted::Done(f(value)),
            Submitted::Again => Submitted::Again,
            Submitted::Refused(problem) => Submitted::Refused(problem),
        }
    }
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
    let kept = move |result: Result<&O::Output, &ServiceError>| kept_answer(lang, result);
    match service.execute_once(call, keyed, op, kept).await {
        Ok(Executed::Ran { value, .. }) => Ok(Submitted::Done(value)),
        // The same form again: refused then, refused now, in the same words.
        Ok(Executed::Replayed(answer)) if answer.status == REFUSED => {
            Ok(Submitted::Refused(Problem::kept(&answer.body)))
        }
        Ok(Executed::Replayed(_)) | Err(ServiceError::IdempotencyInProgress) => {
            Ok(Submitted::Again)
        }
        Err(err) => match refusal(lang, &err) {
            Some(problem) => Ok(Submitted::Refused(problem)),
            None => Err(PageError::from_service(lang, err)),
        },
    }
}

/// The status the portal keeps for a refused form.
const REFUSED: u16 = 422;

/// A refusal in words, if `err` is one a person can correct.
fn refusal(lang: Lang, err: &ServiceError) -> Option<Problem> {
    match err {
        ServiceError::Domain(err @ (DomainError::Refused(..) | DomainError::Validation(_))) => {
            Some(Problem {
                field: explain::field_of(err),
                message: explain::domain(lang, err),
            })
        }
        _ => None,
    }
}

/// What the portal keeps under a form's key: done (200), or refused (422)
/// with the field and the words, so that the same form sent again shows
/// the same refusal.
fn kept_answer<T>(lang: Lang, result: Result<&T, &ServiceError>) -> Answer {
    match result.map_err(|err| refusal(lang, err)) {
        Ok(_) => Answer {
            status: 200,
            body: String::new(),
        },
        Err(problem) => Answer {
            status: REFUSED,
            body: problem
                .map(|p| format!("{}\n{}", p.field, p.message))
                .unwrap_or_default(),
        },
    }
}

impl Problem {
    /// A refusal kept by [`kept_answer`].
    fn kept(body: &str) -> Problem {
        let (field, message) = body.split_once('\n').unwrap_or(("", body));
        Problem {
            field: explain::FIELDS
                .iter()
                .find(|f| **f == field)
                .unwrap_or(&"amount"),
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{amount_problem, typed_amount};

    #[test]
    fn a_refused_amount_is_told_why() {
        for (typed, key) in [
            ("", "refusal.amount_blank"),
            ("  ", "refusal.amount_blank"),
            ("¥", "refusal.amount_blank"),
            ("0", "refusal.amount_zero"),
            ("0.00", "refusal.amount_zero"),
            ("０", "refusal.amount_zero"),
            ("-5", "refusal.amount_negative"),
            ("－１，０００", "refusal.amount_negative"),
            ("1,5", "refusal.amount_format"),
            ("abc", "refusal.amount_format"),
            ("-", "refusal.amount_format"),
            ("1e3", "refusal.amount_format"),
        ] {
            assert_eq!(amount_problem(typed), key, "{typed:?}");
        }
    }

    #[test]
    fn amounts_are_read_as_people_write_them_and_nothing_else() {
        let read = |typed: &str| typed_amount(typed).map(|a| a.to_string());
        for (typed, amount) in [
            ("40000", "40000.00"),
            ("40000.5", "40000.50"),
            ("40,000.00", "40000.00"),
            ("¥40,000.00", "40000.00"),
            ("￥ 1,234,567.89", "1234567.89"),
            ("1，234", "1234.00"),
            ("1 234.5", "1234.50"),
            (" 999 ", "999.00"),
            ("１０００", "1000.00"),
            ("￥１，２３４．５", "1234.50"),
            ("\u{3000}８００\u{3000}", "800.00"),
        ] {
            assert_eq!(read(typed).as_deref(), Some(amount), "{typed}");
        }
        for typed in [
            "1,5",
            "1,23",
            "12,3456",
            ",123",
            "1,234,56",
            "1 5",
            "1,234.5,6",
            "1.2.3",
            "",
            "0",
            "-5",
            "1e3",
            "1,,234",
            "１，５",
            "－５",
        ] {
            assert_eq!(read(typed), None, "{typed}");
        }
    }
}
