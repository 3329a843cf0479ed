//! Public notice (公示): where a region's policy says so, an admission and
//! a settlement run's payment list are published for a number of days
//! before they take effect; anyone may object (name, contact, text), and
//! an objection the regulator upholds stops the decision.

use super::{text, DomainError};
use crate::text_enum;

/// What a notice publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NoticeKind {
    /// A provider's admission (or a change of its categories).
    Admission,
    /// A settlement run's payment list.
    Payments,
}

/// Where a notice stands: open for objections, then in effect or
/// withdrawn (an objection was upheld).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NoticeStatus {
    Open,
    Effective,
    Withdrawn,
}

/// Where an objection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectionStatus {
    Open,
    Upheld,
    Dismissed,
}

text_enum!(NoticeKind {
    Admission => "admission",
    Payments => "payments",
});
text_enum!(NoticeStatus {
    Open => "open",
    Effective => "effective",
    Withdrawn => "withdrawn",
});
text_enum!(ObjectionStatus {
    Open => "open",
    Upheld => "upheld",
    Dismissed => "dismissed",
});

/// The longest name, contact and text of an objection (characters).
pub const NAME_MAX: usize = 100;
pub const CONTACT_MAX: usize = 200;
pub const TEXT_MAX: usize = 2000;
/// The most objections one notice takes (a bound on what the public can
/// make the service store).
pub const MOST_OBJECTIONS: u64 = 500;

/// An objection as filed, checked: name, contact and text, each trimmed,
/// without control, zero-width or bidi characters (the text may have line
/// breaks). Every bad field is reported at once.
pub fn objection(
    name: &str,
    contact: &str,
    body: &str,
) -> Result<(String, String, String), DomainError> {
    let mut problems = Vec::new();
    let mut take = |result: Result<String, DomainError>| match result {
        Ok(value) => value,
        Err(DomainError::Validation(mut fields)) => {
            problems.append(&mut fields);
            String::new()
        }
        Err(_) => String::new(),
    };
    let name = take(text::clean("name", name, NAME_MAX));
    let contact = take(text::clean("contact", contact, CONTACT_MAX));
    let body = take(text::clean_multiline("text", body, TEXT_MAX));
    if problems.is_empty() {
        Ok((name, contact, body))
    } else {
        Err(DomainError::Validation(problems))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_objection_is_bounded_and_clean() {
        let ok = objection(" 张伟 ", "zw@example.cn", "该机构资质\n存疑").unwrap();
        assert_eq!(ok.0, "张伟");
        let Err(DomainError::Validation(fields)) =
            objection("", "a\u{202e}b", &"长".repeat(TEXT_MAX + 1))
        else {
            panic!("refused");
        };
        let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["name", "contact", "text"]);
        assert_eq!(NoticeKind::Payments.as_str(), "payments");
    }
}
