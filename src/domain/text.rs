//! Text: enums spelled as text on the wire and in the database, checks of
//! text people type, and comparison keys of identity text.

use unicode_normalization::UnicodeNormalization;

use super::DomainError;

/// Declares `as_str`, `FromStr`, `Display` and serde for an enum whose
/// variants each have one spelling.
#[macro_export]
macro_rules! text_enum {
    ($ty:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The wire and database spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $text),+ }
            }
        }
        impl std::str::FromStr for $ty {
            type Err = $crate::domain::text::UnknownText;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($ty::$variant),)+
                    _ => Err($crate::domain::text::UnknownText {
                        what: stringify!($ty),
                        text: s.to_owned(),
                    }),
                }
            }
        }
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl From<$ty> for String {
            fn from(value: $ty) -> String {
                value.as_str().to_owned()
            }
        }
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

/// Text that spells no variant of an enum.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a {what}")]
pub struct UnknownText {
    pub what: &'static str,
    pub text: String,
}

/// Whether a character may not appear in text people typed: control
/// characters (a line break only where `multiline`), zero-width characters
/// and bidirectional controls, which hide or reorder what a reader sees.
fn forbidden(c: char, multiline: bool) -> bool {
    if c.is_control() {
        return !(multiline && c == '\n');
    }
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
    )
}

/// Checks a one-line text field: trimmed, 1 to `max` characters, nothing
/// [`forbidden`]. Returns the trimmed text.
pub fn clean(field: &str, value: &str, max: usize) -> Result<String, DomainError> {
    check(field, value, max, false)
}

/// The same for free text that may span lines (purposes, reasons).
pub fn clean_multiline(field: &str, value: &str, max: usize) -> Result<String, DomainError> {
    check(field, value, max, true)
}

/// Checks a query parameter or other optional text: at most `max`
/// characters, nothing [`forbidden`]; empty is allowed.
pub fn clean_optional(field: &str, value: &str, max: usize) -> Result<String, DomainError> {
    if value.trim().is_empty() {
        return Ok(String::new());
    }
    clean(field, value, max)
}

fn check(field: &str, value: &str, max: usize, multiline: bool) -> Result<String, DomainError> {
    if value.chars().any(|c| forbidden(c, multiline)) {
        return Err(DomainError::field(
            field,
            "must not contain control, zero-width or bidirectional-control characters",
        ));
    }
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max {
        return Err(DomainError::field(
            field,
            format!("must be 1 to {max} characters"),
        ));
    }
    Ok(value.to_owned())
}

/// The comparison key of identity text (names of controllers, contract and
/// invoice numbers, logins): Unicode NFKC, trimmed, inner whitespace
/// collapsed to one space, lower-cased. Two spellings of one thing have one
/// key. NFKC can make text much longer (`ﷺ` becomes 18 characters), so a
/// key longer than [`KEY_MAX`] characters is its SHA-256 instead: the key
/// is bounded, not the input, and equal keys still mean equal text.
pub fn key(value: &str) -> String {
    use sha2::{Digest, Sha256};
    let folded: String = value.nfkc().flat_map(char::to_lowercase).collect();
    let key = folded.split_whitespace().collect::<Vec<_>>().join(" ");
    if key.chars().count() <= KEY_MAX {
        return key;
    }
    let digest = Sha256::digest(key.as_bytes());
    format!("sha256:{}", hex::encode(&digest[..28]))
}

/// The most characters a comparison key has (the key columns hold 64).
pub const KEY_MAX: usize = 64;

/// The byte-order mark every CSV this service writes for people starts
/// with: spreadsheet programs (Excel) then read it as UTF-8, not as the
/// local code page (Chinese text would be garbled).
pub const CSV_BOM: &str = "\u{feff}";

/// A CSV text field, safe to open in a spreadsheet: a field that would
/// start a formula (`=`, `+`, `-`, `@`, tab, carriage return) gets a leading
/// `'` (OWASP), and the field is quoted when it holds a comma, a quote or a
/// line break. Amounts are written as numbers, not through this.
pub fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_bounded_whatever_the_text_grows_to() {
        let grows = "\u{FDFA}".repeat(20); // 20 characters, 360 under NFKC
        assert!(key(&grows).chars().count() <= KEY_MAX);
        assert!(key(&grows).starts_with("sha256:"));
        assert_eq!(key(&grows), key(&format!(" {grows} ")));
        assert_ne!(key(&grows), key(&"\u{FDFA}".repeat(21)));
        let longest = "a".repeat(KEY_MAX);
        assert_eq!(key(&longest), longest);
    }

    #[test]
    fn spellings_of_one_name_share_a_key() {
        assert_eq!(key("Zhang San"), key("zhang  SAN "));
        assert_eq!(key("ＺＨＡＮＧ　San"), "zhang san");
        assert_eq!(key("DUP-abc"), key("dup-ABC"));
        assert_ne!(key("张三"), key("张四"));
    }

    #[test]
    fn hidden_characters_are_refused() {
        for bad in [
            "a\0b",
            "dup\u{200B}",
            "\u{202E}evil",
            "tab\there",
            "a\u{FEFF}",
        ] {
            assert!(clean("f", bad, 64).is_err(), "{bad:?}");
        }
        assert!(clean("f", "line\nbreak", 64).is_err());
        assert_eq!(
            clean_multiline("f", " line\nbreak ", 64).unwrap(),
            "line\nbreak"
        );
        assert_eq!(clean("f", " 嘉兴光子科技 ", 64).unwrap(), "嘉兴光子科技");
        assert!(clean("f", "   ", 64).is_err());
        assert!(clean("f", &"x".repeat(65), 64).is_err());
        assert_eq!(clean_optional("f", "", 64).unwrap(), "");
    }
}
