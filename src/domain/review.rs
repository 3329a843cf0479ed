//! Two-level review: where a region's policy says so, an application is
//! reviewed first by the regulator of the company's district (a district,
//! city or county below the region), then by the region's.

use serde::Serialize;

use super::fund::DistrictFund;
use super::{DomainError, Region};
use crate::text_enum;

/// Why a recommendation of less than requested is refused without a
/// reason (the portal words it in the reader's language).
pub const REASON_FOR_LESS: &str = "say why the district recommends less than requested";

/// Why a recommendation of fewer categories than asked is refused without
/// a reason.
pub const REASON_FOR_FEWER: &str = "say why the district recommends fewer categories than asked";

/// A district, city or county below a region, as its policy lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct District {
    /// 2 to 8 upper-case letters or digits, unique in the region.
    pub code: String,
    pub name: String,
    /// Its own fund, if it runs one: its vouchers are issued from it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fund: Option<DistrictFund>,
}

/// The level an application waits at (or was last reviewed at).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReviewLevel {
    /// The first level: the regulator of the company's district.
    District,
    /// The region's regulator, who issues the voucher.
    Region,
}

text_enum!(ReviewLevel {
    District => "district",
    Region => "region",
});

/// Where a provider's request for admission stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AdmissionRequestStatus {
    /// Waits for a decision (at its `level`).
    Pending,
    /// The region admitted it (for the categories it chose).
    Admitted,
    /// Rejected at either level, with a reason.
    Rejected,
}

text_enum!(AdmissionRequestStatus {
    Pending => "pending",
    Admitted => "admitted",
    Rejected => "rejected",
});

/// The district whose regulator reviews a provider's admission to
/// `region` first, under a programme of `levels` levels: the provider's
/// registered `district`, where there are two levels and the provider is
/// of the region. A provider registered without a district (a provincial
/// institution), or of another region, is reviewed by the region alone.
pub fn first_reviewer(
    region: &Region,
    levels: u8,
    provider_region: &Region,
    district: Option<&str>,
) -> Option<String> {
    district
        .filter(|_| levels > 1 && provider_region == region)
        .map(str::to_owned)
}

/// The categories `chosen` of those `offered` (all of them when none are
/// chosen): each offered, each once, at least one. A refusal names the
/// entry (`categories[1]`).
pub fn choose_categories(
    chosen: Option<&[String]>,
    offered: &[String],
) -> Result<Vec<String>, DomainError> {
    let Some(chosen) = chosen else {
        return Ok(offered.to_vec());
    };
    if chosen.is_empty() {
        return Err(DomainError::field(
            "categories",
            "choose at least one category (to refuse them all, reject)",
        ));
    }
    let mut categories: Vec<String> = Vec::new();
    for (i, c) in chosen.iter().enumerate() {
        if !offered.contains(c) {
            return Err(DomainError::field(
                format!("categories[{i}]"),
                format!("`{c}` is not among {}", offered.join(", ")),
            ));
        }
        if !categories.contains(c) {
            categories.push(c.clone());
        }
    }
    Ok(categories)
}

/// Whether `code` has the form of a district code.
pub fn is_district_code(code: &str) -> bool {
    (2..=8).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// The district `code` among `districts`, or a refusal of `field` naming
/// the ones there are.
pub fn district<'a>(
    field: &str,
    code: &str,
    districts: &'a [District],
) -> Result<&'a District, DomainError> {
    districts.iter().find(|d| d.code == code).ok_or_else(|| {
        let message = if districts.is_empty() {
            "this region's programme has no districts".to_owned()
        } else {
            format!(
                "`{code}` is not a district of the programme; one of {}",
                codes(districts)
            )
        };
        DomainError::field(field, message)
    })
}

/// Where a new application goes first, under a policy listing
/// `districts` and reviewing at `levels` levels, for the district the
/// company `named`: its district (checked) and the level it waits at.
/// Two levels need a district; one level takes an optional one.
pub fn route(
    districts: &[District],
    levels: u8,
    named: Option<&str>,
) -> Result<(Option<String>, ReviewLevel), DomainError> {
    let named = named.map(str::trim).filter(|d| !d.is_empty());
    let district = match named {
        Some(code) => Some(district("district", code, districts)?.code.clone()),
        None if levels > 1 => {
            return Err(DomainError::field(
                "district",
                format!(
                    "name the district, city or county where the company is registered \
                     (it reviews first); one of {}",
                    codes(districts)
                ),
            ));
        }
        None => None,
    };
    let level = if levels > 1 {
        ReviewLevel::District
    } else {
        ReviewLevel::Region
    };
    Ok((district, level))
}

/// The codes of `districts`, for a message.
fn codes(districts: &[District]) -> String {
    let codes: Vec<&str> = districts.iter().map(|d| d.code.as_str()).collect();
    codes.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn district_codes_and_lookup() {
        assert!(is_district_code("HZ") && is_district_code("YH2"));
        assert!(
            !is_district_code("h") && !is_district_code("hz") && !is_district_code("ABCDEFGHI")
        );
        let list = [District {
            code: "HZ".into(),
            name: "杭州市".into(),
            fund: None,
        }];
        assert_eq!(district("district", "HZ", &list).unwrap().name, "杭州市");
        let err = district("district", "NB", &list)
            .unwrap_err()
            .field_message();
        assert!(err.contains("one of HZ"), "{err}");
        assert_eq!(ReviewLevel::District.as_str(), "district");
    }

    #[test]
    fn categories_are_chosen_among_those_offered() {
        let offered = vec!["testing".to_owned(), "rnd".to_owned()];
        assert_eq!(choose_categories(None, &offered).unwrap(), offered);
        let some = ["rnd".to_owned(), "rnd".to_owned()];
        assert_eq!(choose_categories(Some(&some), &offered).unwrap(), ["rnd"]);
        let other = ["rnd".to_owned(), "ip".to_owned()];
        let err = choose_categories(Some(&other), &offered).unwrap_err();
        assert!(
            matches!(&err, DomainError::Validation(f) if f[0].field == "categories[1]"),
            "{err:?}"
        );
        assert!(choose_categories(Some(&[]), &offered).is_err());
    }
}
