//! Money: exact yuan as a `rust_decimal::Decimal` with two decimals (fen);
//! stored in the database as whole fen in an i64.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The largest amount a request may carry: 10,000,000,000.00 yuan.
pub const MAX_FEN: i64 = 1_000_000_000_000;

/// Every amount error message starts with this, so that the HTTP layer can
/// answer `invalid_amount` for it wherever it occurs in a body.
pub const AMOUNT_ERROR: &str = "invalid amount";

/// An amount of yuan: a decimal with scale 2 whose number of fen fits an
/// i64 (the database column). Arithmetic is checked and never rounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(Decimal);

impl Default for Money {
    fn default() -> Self {
        Money::ZERO
    }
}

impl Money {
    pub const ZERO: Money = Money(Decimal::from_parts(0, 0, 0, false, 2));

    /// From whole fen.
    pub const fn from_fen(fen: i64) -> Self {
        Money(Decimal::from_parts(
            fen.unsigned_abs() as u32,
            (fen.unsigned_abs() >> 32) as u32,
            0,
            fen < 0,
            2,
        ))
    }

    /// In whole fen (exact: the scale is always 2 and the value fits).
    pub fn fen(self) -> i64 {
        self.0.mantissa() as i64
    }

    /// The amount as a decimal with scale 2.
    pub fn to_decimal(self) -> Decimal {
        self.0
    }

    /// A decimal with at most two places whose fen fit an i64.
    fn from_decimal(d: Decimal) -> Option<Money> {
        if d.scale() > 2 {
            return None;
        }
        let mut d = d;
        d.rescale(2);
        i64::try_from(d.mantissa()).ok().map(|_| Money(d))
    }

    /// Parses a request amount: digits with up to two decimals, positive,
    /// at most 10,000,000,000.00. No signs, exponents or spaces.
    pub fn parse_positive(text: &str) -> Result<Self, String> {
        let invalid = |why: &str| format!("{AMOUNT_ERROR}: {why}");
        let (whole, frac) = match text.split_once('.') {
            Some((w, f)) => (w, f),
            None => (text, ""),
        };
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(
                "use digits with up to two decimals, like \"1234.50\"",
            ));
        }
        if text.contains('.') && frac.is_empty() {
            return Err(invalid(
                "use digits with up to two decimals, like \"1234.50\"",
            ));
        }
        if !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(
                "use digits with up to two decimals, like \"1234.50\"",
            ));
        }
        if frac.len() > 2 {
            return Err(invalid("more than two decimals; amounts are never rounded"));
        }
        let whole = whole.trim_start_matches('0');
        if whole.len() > 11 {
            return Err(invalid("above 10000000000.00"));
        }
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| invalid("too large"))?
        };
        let frac: i64 = format!("{frac:0<2}").parse().unwrap_or(0);
        let fen = whole * 100 + frac;
        if fen == 0 {
            return Err(invalid("must be greater than zero"));
        }
        if fen > MAX_FEN {
            return Err(invalid("above 10000000000.00"));
        }
        Ok(Money::from_fen(fen))
    }

    /// The sum, if its fen fit an i64.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).and_then(Money::from_decimal)
    }

    /// The difference, if its fen fit an i64.
    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).and_then(Money::from_decimal)
    }

    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    pub fn is_negative(self) -> bool {
        self.0.is_sign_negative() && !self.0.is_zero()
    }

    /// `share × self`, rounded down to the fen (the public never pays more
    /// than policy allows).
    pub fn share_floor(self, share: Decimal) -> Option<Money> {
        let product = self.0.checked_mul(share)?;
        Money::from_decimal(
            product.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::ToNegativeInfinity),
        )
    }
}

impl std::ops::Neg for Money {
    type Output = Money;

    /// The amount negated (the debit leg of a posting). Amounts never reach
    /// `i64::MIN`: they are capped far below it.
    fn neg(self) -> Money {
        Money(-self.0)
    }
}

impl fmt::Display for Money {
    /// Always two decimals: `1234.50`, `-0.05`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.2}", self.0)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// An amount more than zero: what an operation moves or asks for. Made
/// once, where it arrives (a request's JSON string, never a number; a form
/// field; a script), so that no operation is handed zero or less.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Amount(Money);

impl Amount {
    /// `money`, if it is more than zero.
    pub fn new(money: Money) -> Option<Amount> {
        (money > Money::ZERO).then_some(Amount(money))
    }

    /// An amount of `fen`, if more than zero.
    pub fn from_fen(fen: i64) -> Option<Amount> {
        Amount::new(Money::from_fen(fen))
    }

    /// An amount as written: `"1234"`, `"1234.5"`, `"1234.50"` (see
    /// [`Money::parse_positive`]).
    pub fn parse(text: &str) -> Result<Amount, String> {
        Money::parse_positive(text).map(Amount)
    }

    /// The money.
    pub fn money(self) -> Money {
        self.0
    }

    /// In whole fen.
    pub fn fen(self) -> i64 {
        self.0.fen()
    }
}

impl From<Amount> for Money {
    fn from(amount: Amount) -> Money {
        amount.0
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Amount;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "an amount as a string, like \"1234.50\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Amount, E> {
                Money::parse_positive(v).map(Amount).map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Amount, E> {
                Err(E::custom(format!(
                    "{AMOUNT_ERROR}: send amounts as strings, like \"1234.50\""
                )))
            }
            fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Amount, E> {
                Err(E::custom(format!(
                    "{AMOUNT_ERROR}: send amounts as strings, like \"1234.50\""
                )))
            }
            fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Amount, E> {
                Err(E::custom(format!(
                    "{AMOUNT_ERROR}: send amounts as strings, like \"1234.50\""
                )))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Amount, E> {
                Err(E::custom(format!(
                    "{AMOUNT_ERROR}: an amount is required, like \"1234.50\""
                )))
            }
            fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Amount, E> {
                Err(E::custom(format!(
                    "{AMOUNT_ERROR}: send amounts as strings, like \"1234.50\""
                )))
            }
        }
        d.deserialize_any(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_three_spellings() {
        assert_eq!(Money::parse_positive("1234").unwrap().fen(), 123_400);
        assert_eq!(Money::parse_positive("1234.5").unwrap().fen(), 123_450);
        assert_eq!(Money::parse_positive("1234.50").unwrap().fen(), 123_450);
        assert_eq!(Money::parse_positive("0.01").unwrap().fen(), 1);
        assert_eq!(
            Money::parse_positive("10000000000.00").unwrap().fen(),
            MAX_FEN
        );
        assert_eq!(Money::parse_positive("0010").unwrap().fen(), 1000);
    }

    #[test]
    fn refuses_everything_else() {
        for bad in [
            "",
            "0",
            "0.00",
            "-1",
            "+1",
            "1e3",
            "1.234",
            "1.",
            ".5",
            " 1",
            "1 ",
            "1,000",
            "10000000000.01",
            "99999999999999999999",
            "NaN",
            "１",
        ] {
            let err = Money::parse_positive(bad).unwrap_err();
            assert!(err.starts_with(AMOUNT_ERROR), "{bad}: {err}");
        }
    }

    #[test]
    fn prints_two_decimals() {
        assert_eq!(Money::from_fen(123_450).to_string(), "1234.50");
        assert_eq!(Money::from_fen(5).to_string(), "0.05");
        assert_eq!(Money::from_fen(-5).to_string(), "-0.05");
        assert_eq!(
            serde_json::to_string(&Money::from_fen(100)).unwrap(),
            "\"1.00\""
        );
    }

    #[test]
    fn amounts_must_be_strings() {
        assert!(serde_json::from_str::<Amount>("\"12.30\"").is_ok());
        let err = serde_json::from_str::<Amount>("12.3")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with(AMOUNT_ERROR), "{err}");
    }

    #[test]
    fn fen_round_trip_through_the_decimal() {
        for fen in [
            0,
            1,
            -1,
            99,
            100,
            123_450,
            MAX_FEN,
            -MAX_FEN,
            i64::MAX,
            i64::MIN + 1,
        ] {
            let m = Money::from_fen(fen);
            assert_eq!(m.fen(), fen);
            assert_eq!(m.to_decimal().scale(), 2);
        }
        assert_eq!(
            Money::from_fen(i64::MAX).checked_add(Money::from_fen(1)),
            None
        );
        assert_eq!(
            Money::from_fen(5).checked_sub(Money::from_fen(7)),
            Some(Money::from_fen(-2))
        );
        assert!(Money::from_fen(-2).is_negative() && !Money::ZERO.is_negative());
    }

    #[test]
    fn shares_round_down_to_the_fen() {
        let half = Decimal::new(50, 2);
        assert_eq!(
            Money::from_fen(333).share_floor(half),
            Some(Money::from_fen(166))
        );
        assert_eq!(
            Money::from_fen(100_000).share_floor(half),
            Some(Money::from_fen(50_000))
        );
    }
}
