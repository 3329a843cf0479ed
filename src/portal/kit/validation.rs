//! A field's validation message in the reader's language: the field by the
//! label people see on the form, the message by its pattern, amounts
//! formatted (`金额：最多为已冻结的 ¥1,000.00`, not `amount: at most the
//! 1000.00 held`). A message of no known pattern keeps the service's words.

use super::i18n::{yuan, Lang, MISSING};
use crate::domain::error::FieldError;
use crate::domain::Money;

/// The service's messages by pattern: the text before and after the one
/// figure, and the key of the reader's words (`{n}` for the figure).
const PATTERNS: &[(&str, &str, &str)] = &[
    ("must be 1 to ", " characters", "validation.length"),
    ("at most the ", " held", "validation.at_most_held"),
    ("at most the ", " requested", "validation.at_most_requested"),
    (
        "at most the ",
        " recommended by the district",
        "validation.at_most_recommended",
    ),
    (
        "must not contain control, zero-width or bidirectional-control characters",
        "",
        "validation.hidden_characters",
    ),
];

/// `field: message` in the reader's words.
pub fn field_error(lang: Lang, error: &FieldError) -> String {
    let code = error.field.split(['[', '.']).next().unwrap_or_default();
    let label = match lang.t(&format!("field.{code}")) {
        MISSING => error.field.as_str(),
        label => label,
    };
    format!(
        "{label}{}{}",
        lang.t("colon"),
        message(lang, &error.message)
    )
}

fn message(lang: Lang, message: &str) -> String {
    for (before, after, key) in PATTERNS {
        let Some(figure) = message
            .strip_prefix(before)
            .and_then(|rest| rest.strip_suffix(after))
        else {
            continue;
        };
        // An amount (it has decimals) as the reader reads amounts.
        let figure = match Money::parse_positive(figure) {
            Ok(amount) if figure.contains('.') => yuan(amount),
            _ => figure.to_owned(),
        };
        return lang.t(key).replace("{n}", &figure);
    }
    message.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(field: &str, message: &str) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }

    #[test]
    fn a_field_and_its_message_are_said_in_the_readers_words() {
        let held = error("amount", "at most the 1000.00 held");
        assert_eq!(
            field_error(Lang::Zh, &held),
            "金额：最多为已冻结的 ¥1,000.00"
        );
        assert_eq!(
            field_error(Lang::En, &held),
            "Amount: at most the ¥1,000.00 held"
        );
        let long = error("invoice_no", "must be 1 to 64 characters");
        assert_eq!(field_error(Lang::Zh, &long), "发票号：须为 1 至 64 个字符");
        let hidden = error(
            "reason",
            "must not contain control, zero-width or bidirectional-control characters",
        );
        assert!(field_error(Lang::Zh, &hidden).starts_with("原因：不能含有"));
        // A pattern not known keeps the service's words, under the label.
        let other = error("contract_no", "something new");
        assert_eq!(field_error(Lang::Zh, &other), "合同编号：something new");
    }
}
