//! The unified social credit code (统一社会信用代码) of GB 32100-2015.

use std::fmt;

/// The 31 characters a credit code may use (no I, O, S, V, Z).
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// Weights of the first 17 characters: 3^(i) mod 31.
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A validated 18-character unified social credit code, in upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CreditCode(String);

/// Why a string is not a credit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CreditCodeError {
    #[error("a unified social credit code has 18 characters")]
    Length,
    #[error("a unified social credit code uses only digits and the letters ABCDEFGHJKLMNPQRTUWXY")]
    Character,
    #[error("the check character does not match (GB 32100-2015)")]
    CheckCharacter,
}

impl CreditCode {
    /// Parses a code, accepting lower case and surrounding spaces.
    pub fn parse(input: &str) -> Result<Self, CreditCodeError> {
        let code = input.trim().to_ascii_uppercase();
        if code.chars().count() != 18 {
            return Err(CreditCodeError::Length);
        }
        let values = code
            .bytes()
            .map(|b| ALPHABET.iter().position(|&a| a == b).map(|p| p as u32))
            .collect::<Option<Vec<u32>>>()
            .ok_or(CreditCodeError::Character)?;
        if check_value(&values[..17]) != values[17] {
            return Err(CreditCodeError::CheckCharacter);
        }
        Ok(Self(code))
    }

    /// Completes a 17-character body with its check character (used by
    /// fixtures and the demo data).
    pub fn with_check_character(body: &str) -> Result<Self, CreditCodeError> {
        let body = body.to_ascii_uppercase();
        if body.len() != 17 {
            return Err(CreditCodeError::Length);
        }
        let values = body
            .bytes()
            .map(|b| ALPHABET.iter().position(|&a| a == b).map(|p| p as u32))
            .collect::<Option<Vec<u32>>>()
            .ok_or(CreditCodeError::Character)?;
        let check = ALPHABET[check_value(&values) as usize] as char;
        Ok(Self(format!("{body}{check}")))
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn check_value(values: &[u32]) -> u32 {
    let sum: u32 = values.iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    (31 - sum % 31) % 31
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_published_codes() {
        for code in ["91350100M000100Y43", "91110000600037341L"] {
            assert_eq!(CreditCode::parse(code).unwrap().as_str(), code);
        }
        assert!(CreditCode::parse(" 91110000600037341l ").is_ok());
    }

    #[test]
    fn rejects_wrong_check_character() {
        assert_eq!(
            CreditCode::parse("91350100M000100Y44"),
            Err(CreditCodeError::CheckCharacter)
        );
    }

    #[test]
    fn rejects_wrong_length_and_characters() {
        assert_eq!(
            CreditCode::parse("91350100M000100Y4"),
            Err(CreditCodeError::Length)
        );
        assert_eq!(
            CreditCode::parse("91350100M000100Y433"),
            Err(CreditCodeError::Length)
        );
        assert_eq!(
            CreditCode::parse("91350100M000100I43"),
            Err(CreditCodeError::Character)
        );
        assert_eq!(
            CreditCode::parse("９1350100M000100Y43"),
            Err(CreditCodeError::Character)
        );
    }

    #[test]
    fn completes_a_body() {
        let code = CreditCode::with_check_character("91350100M000100Y4").unwrap();
        assert_eq!(code.as_str(), "91350100M000100Y43");
    }
}
