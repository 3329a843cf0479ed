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

/// A list of category identifiers as sent: at least one, each known (a
/// refusal names the entry, `categories[1]`), duplicates dropped.
pub fn parse_categories(sent: &[String]) -> Result<Vec<String>, DomainError> {
    if sent.is_empty() {
        return Err(DomainError::field(
            "categories",
            "name at least one category",
        ));
    }
    let mut categories = Vec::new();
    for (i, c) in sent.iter().enumerate() {
        let c = parse_category(&format!("categories[{i}]"), c)?;
        if !categories.contains(&c) {
            categories.push(c);
        }
    }
    Ok(categories)
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

/// A share between 0 and 1 with at most four places (`"0.50"`), as a
/// policy file writes it; an error names the key `name`.
pub fn parse_share(
    name: &'static str,
    text: &str,
) -> Result<rust_decimal::Decimal, (&'static str, String)> {
    use rust_decimal::Decimal;
    text.parse::<Decimal>()
        .ok()
        .filter(|s| *s > Decimal::ZERO && *s <= Decimal::ONE && s.scale() <= 4)
        .ok_or_else(|| {
            (
                name,
                format!("`{text}` is not a share between 0 and 1, like \"0.50\""),
            )
        })
}
