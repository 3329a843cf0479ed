//! Service categories and voucher deadlines.

use chrono::NaiveDate;

use super::DomainError;

/// The service categories of product.md §5.
pub const CATEGORIES: [&str; 6] = [
    "testing",
    "rnd",
    "tech_transfer",
    "consulting",
    "ip",
    "incubation",
];

/// Checks a category identifier.
pub fn parse_category(field: &str, value: &str) -> Result<String, DomainError> {
    if CATEGORIES.contains(&value) {
        Ok(value.to_owned())
    } else {
        Err(DomainError::field(
            field,
            format!(
                "unknown service category `{value}`; one of {}",
                CATEGORIES.join(", ")
            ),
        ))
    }
}

/// A fiscal year the programme can hold: 2000 to 2100.
pub fn parse_year(value: i32) -> Result<i32, DomainError> {
    if (2000..=2100).contains(&value) {
        Ok(value)
    } else {
        Err(DomainError::field(
            "year",
            "must be a fiscal year between 2000 and 2100",
        ))
    }
}

/// A voucher's deadlines, as dates in Asia/Shanghai.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    /// No new holds after this day.
    pub use_until: NaiveDate,
    /// No completions or claims after this day.
    pub claim_until: NaiveDate,
}

/// A list of category identifiers, stored comma-separated.
pub fn join_categories(categories: &[String]) -> String {
    categories.join(",")
}

/// The stored list back.
pub fn split_categories(stored: &str) -> Vec<String> {
    stored
        .split(',')
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect()
}
