//! What a company declares about itself when it applies: for an
//! enterprise, its registration as a science-and-technology SME (科技型中小
//! 企业入库登记编号); for a start-up team, where it is housed and how many
//! core members it has. The policy says which of these a programme needs
//! ([`crate::rules::common::eligible`]); the declaration is kept with the
//! application, as it stood when the company applied.

use serde::{Deserialize, Serialize};

use super::{text, DomainError};

/// Where a start-up team is housed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Housing {
    /// 科技企业孵化器.
    Incubator,
    /// 大学科技园.
    UniversitySciencePark,
    /// 众创空间.
    MakerSpace,
}

crate::text_enum!(Housing {
    Incubator => "incubator",
    UniversitySciencePark => "university_science_park",
    MakerSpace => "maker_space",
});

/// The most core members a team may declare (a bound, not a rule).
pub const MAX_CORE_MEMBERS: u32 = 10_000;

/// A company's declared facts, each optional: a programme asks only for
/// what its policy names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Declared {
    /// The S&T SME registration number, upper-case, 10–32 letters and digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sme_registration: Option<String>,
    /// Where a team is housed…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub housed_in: Option<Housing>,
    /// …the name of that incubator, park or space…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub housing_name: Option<String>,
    /// …and its core members.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub core_members: Option<u32>,
}

/// The facts as sent: text to check.
#[derive(Debug, Clone, Default)]
pub struct DeclaredInput {
    pub sme_registration: Option<String>,
    pub housed_in: Option<String>,
    pub housing_name: Option<String>,
    pub core_members: Option<i64>,
}

impl DeclaredInput {
    /// The facts, checked; blank text counts as not declared. Every wrong
    /// field is named (under `declared.`).
    pub fn check(self) -> Result<Declared, DomainError> {
        let mut errors = Vec::new();
        let blank_to_none = |v: Option<String>| v.filter(|t| !t.trim().is_empty());
        let sme_registration = blank_to_none(self.sme_registration).and_then(|raw| {
            let number: String = raw
                .chars()
                .filter(|c| !c.is_whitespace() && *c != '-')
                .collect::<String>()
                .to_ascii_uppercase();
            let ok = (10..=32).contains(&number.len())
                && number.chars().all(|c| c.is_ascii_alphanumeric());
            if !ok {
                errors.push(DomainError::field(
                    "declared.sme_registration",
                    "an S&T SME registration number is 10 to 32 letters and digits",
                ));
            }
            ok.then_some(number)
        });
        let housed_in = blank_to_none(self.housed_in).and_then(|raw| match raw.parse() {
            Ok(h) => Some(h),
            Err(_) => {
                errors.push(DomainError::field(
                    "declared.housed_in",
                    "one of incubator, university_science_park, maker_space",
                ));
                None
            }
        });
        let housing_name = blank_to_none(self.housing_name).and_then(|raw| {
            text::clean("declared.housing_name", &raw, 200)
                .map_err(|e| errors.push(e))
                .ok()
        });
        let core_members = self.core_members.and_then(|n| {
            match u32::try_from(n).ok().filter(|n| *n <= MAX_CORE_MEMBERS) {
                Some(n) => Some(n),
                None => {
                    errors.push(DomainError::field(
                        "declared.core_members",
                        format!("a count from 0 to {MAX_CORE_MEMBERS}"),
                    ));
                    None
                }
            }
        });
        if !errors.is_empty() {
            let fields = errors
                .into_iter()
                .flat_map(|e| match e {
                    DomainError::Validation(fields) => fields,
                    _ => Vec::new(),
                })
                .collect();
            return Err(DomainError::Validation(fields));
        }
        Ok(Declared {
            sme_registration,
            housed_in,
            housing_name,
            core_members,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_facts_are_checked_and_blank_is_absent() {
        let facts = DeclaredInput {
            sme_registration: Some(" 2026-3101-1500-0123 ".into()),
            housed_in: Some("maker_space".into()),
            housing_name: Some("  ".into()),
            core_members: Some(3),
        }
        .check()
        .unwrap();
        assert_eq!(facts.sme_registration.as_deref(), Some("2026310115000123"));
        assert_eq!(facts.housed_in, Some(Housing::MakerSpace));
        assert_eq!(facts.housing_name, None);
        let wrong = DeclaredInput {
            sme_registration: Some("12".into()),
            housed_in: Some("garage".into()),
            housing_name: None,
            core_members: Some(-1),
        }
        .check()
        .unwrap_err();
        let DomainError::Validation(fields) = wrong else {
            panic!("{wrong:?}")
        };
        let names: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            names,
            [
                "declared.sme_registration",
                "declared.housed_in",
                "declared.core_members"
            ]
        );
    }
}
